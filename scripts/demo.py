"""``make demo``: the whole governance workflow on the local multi-account emulator.

Starts the local cloud, deploys every environment, then: seed dev; review and approve a card and
a version in dev; promote dev -> staging; review and approve in staging; promote staging -> prod;
approve in prod and mark it Deployed; show a REFUSED promotion of an unapproved version (expected,
printed); print the report. Exits 0 when every step behaved as expected. The emulator is stopped
at the end unless ``--keep-running`` (an emulator that was already running is left alone).

The workflow itself is :func:`run_workflow`; the end-to-end test calls the same function against
its deployed emulator.

    python -m scripts.demo [--keep-running] [--skip-deploy] [--html report.html] [--json]
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from environments import PlatformConfig

from .errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, KitError
from .governance import promote as promote_job
from .governance import report as report_job
from .governance import review
from .governance import seed as seed_job
from .governance.context import load_config
from .governance.errors import RefusedError
from .governance.output import dumps, setup_logging
from .governance.versions import version_number

logger = logging.getLogger(__name__)


def _approve(
    platform: PlatformConfig,
    env: str,
    version: str,
    say: Callable[[str], None],
    source: boto3.Session | None,
    *,
    card_from: str,
) -> None:
    """Card review to Approved (from ``card_from``), then the version approved, as the approver."""
    steps = ["PendingReview", "Approved"] if card_from == "Draft" else ["Approved"]
    for status in steps:
        r = review.set_card_status(
            platform, env, version, status, f"demo: card reviewed ({status})", source=source
        )
        say(f"  {env} v{version}: card {r['before']['ModelCardStatus']} -> {status}")
    r = review.set_approval(platform, env, version, "demo: metrics and card reviewed", source=source)
    say(f"  {env} v{version}: approval {r['before']['ModelApprovalStatus']} -> Approved")


def run_workflow(
    platform: PlatformConfig,
    *,
    say: Callable[[str], None] = print,
    source: boto3.Session | None = None,
    html_path: str | None = None,
) -> dict[str, Any]:
    """Seed, review, approve, promote along the chain, deploy, refuse, report.

    Every environment in :meth:`PlatformConfig.promotion_order` after the first gets the
    version promoted into it and approved there; the last one marks it Deployed. Raises
    :class:`scripts.errors.KitError` if a step that should succeed does not, or AssertionError if the
    unapproved version is NOT refused."""
    chain = [e.name for e in platform.promotion_order()]
    first, rest = chain[0], chain[1:]
    out: dict[str, Any] = {"chain": chain}
    step = iter(range(1, 100))

    say(f"{next(step)}. seed {first} (data-scientist role): real training runs, cards, artifacts under KMS")
    seeded = seed_job.seed(platform, first, source=source)
    for v in seeded["versions"]:
        say(f"  v{v['version']} {v['label']}: {v['status']}")
    out["seed"] = seeded
    good = str(seeded["versions"][0]["version"])
    unapproved = str(seeded["versions"][-1]["version"])

    say(f"{next(step)}. review and approve {first} v{good} (approver role)")
    _approve(platform, first, good, say, source, card_from="Draft")

    version, promotions = good, []
    for target in rest:
        say(
            f"{next(step)}. promote {platform.env(target).promotes_from} v{version} -> {target} "
            f"({target}'s promotion role, behind {target}'s gates)"
        )
        result = promote_job.promote(platform, target, version, source=source)
        say(f"  {'created' if result['created'] else 'already there'}: {result['target_arn']}")
        promotions.append(result)
        version = str(version_number(result["target_arn"]))
        say(f"{next(step)}. review and approve in {target}")
        _approve(platform, target, version, say, source, card_from="PendingReview")
    out["promotions"] = promotions

    last = chain[-1]
    say(f"{next(step)}. mark {last} v{version} Deployed")
    deployed = review.set_stage_status(
        platform, last, version, "Deployed", "demo: deployed to the production endpoint", source=source
    )
    say(f"  lifecycle {deployed['before']} -> {deployed['after']}")

    say(f"{next(step)}. promote the UNAPPROVED {first} v{unapproved} -> {rest[0]} (expected: refused)")
    try:
        promote_job.promote(platform, rest[0], unapproved, source=source)
    except RefusedError as refusal:
        say(f"  REFUSED (as expected): {len(refusal.failures)} gate(s) failed")
        for failure in refusal.failures:
            say(f"    - {failure['gate']}: {failure['reason']}")
        out["refused"] = refusal.to_dict()
    else:
        raise AssertionError(f"promotion of unapproved {first} v{unapproved} was not refused")

    say(f"{next(step)}. report")
    data = report_job.collect(platform, source=source)
    say(report_job.render_table(data))
    if html_path:
        with open(html_path, "w", encoding="utf-8") as fh:
            fh.write(report_job.render_html(data))
        say(f"  HTML report: {html_path}")
    out["report"] = data
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Deploy every environment on the local emulator and "
        "run the whole governance workflow (make demo)."
    )
    p.add_argument(
        "--keep-running",
        action="store_true",
        help="leave the emulator running afterwards (stop: python -m scripts.localcloud stop)",
    )
    p.add_argument(
        "--skip-deploy",
        action="store_true",
        help="do not apply the stacks (they are already applied on the running emulator)",
    )
    p.add_argument("--html", default=None, metavar="FILE", help="also write the HTML report to FILE")
    p.add_argument(
        "--config-dir",
        default=None,
        help="directory of environment YAML files (default: the kit's environments/)",
    )
    p.add_argument("--json", action="store_true", help="print the workflow's result as JSON at the end")
    p.add_argument("--verbose", action="store_true", help="debug logging on stderr")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    if not args.verbose:
        # The demo narrates each step itself; the jobs' progress lines are for --verbose.
        for name in ("scripts", "sagemaker"):
            logging.getLogger(name).setLevel(logging.WARNING)
    try:
        platform = load_config(args.config_dir)
    except KitError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    from scripts.deploy import deploy
    from scripts.localcloud import LocalCloud

    cloud = LocalCloud()
    ours = cloud.running_state() is None
    cloud.start(reuse=True)
    say = (lambda line: print(line, file=sys.stderr)) if args.json else print
    try:
        # The jobs reach the emulator through the standard variables boto3 honours.
        os.environ.update(cloud.env())
        say(f"local cloud at {cloud.url}")
        if not args.skip_deploy:
            say(
                "deploying every environment (downstream first: upstream policies name the downstream promotion roles)"
            )
            deploy(
                "apply",
                target="local",
                cloud=cloud,
                platform=platform,
                progress=lambda line: say(f"  {line}"),
            )
        result = run_workflow(platform, say=say, html_path=args.html)
    except KitError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except (AssertionError, BotoCoreError, ClientError, OSError, subprocess.SubprocessError) as err:
        # A step that misbehaved, an AWS error no job mapped, the emulator or Terraform failing:
        # reported in one line (anything else is a bug and keeps its traceback). The emulator is
        # stopped either way.
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if ours and not args.keep_running:
            cloud.stop()
    if args.json:
        print(dumps(result))
    say("demo finished: every step behaved as expected")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
