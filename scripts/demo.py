"""``make demo``: the whole governance workflow on the local multi-account emulator.

Starts the local cloud (IAM enforced unless it was started without), deploys every environment,
then:

1. seed dev with the sample versions: v1 fair logistic regression, v2 random forest that uses age,
   v3 decision stump; each with its card carrying quality, bias and explainability;
2. review and approve v1 in dev; promote it along the chain; in the first strict environment a
   data scientist tries to approve it first (denied by IAM: separation of duties), then the
   approver reviews and approves it; mark it Deployed at the end of the chain;
3. print the evaluation sections of the deployed version's card;
4. promote v2 as far as its bias allows: prod's bias gate REFUSES it, naming DPPL and DI;
5. approve v3 in dev: staging's quality floors REFUSE it, naming the metrics;
6. print the report.

Exits 0 when every step behaved as expected. The emulator is stopped at the end unless
``--keep-running`` (an emulator that was already running is left alone).

The workflow itself is :func:`run_workflow`; the end-to-end test calls the same function against
its deployed emulator.

    python -m scripts.demo [--keep-running] [--skip-deploy] [--force-synth] [--html report.html] [--json]
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
from .governance import evaluation, review
from .governance import promote as promote_job
from .governance import report as report_job
from .governance import seed as seed_job
from .governance.cards import parse_card
from .governance.context import env_context, load_config
from .governance.errors import PermissionDeniedError, RefusedError
from .governance.output import dumps, setup_logging
from .governance.versions import describe_version, resolve_version, version_number

logger = logging.getLogger(__name__)

#: How many of the strongest feature attributions the demo prints.
TOP_FEATURES = 4


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
    say(f"  {env} v{version}: approval {r['before']['ModelApprovalStatus']} -> Approved (approver role)")


def _separation_of_duties(
    platform: PlatformConfig,
    env: str,
    version: str,
    say: Callable[[str], None],
    source: boto3.Session | None,
) -> dict[str, Any]:
    """A data scientist tries to change the approval of ``env``'s version: IAM must deny it.

    The attempt asks for a decision other than the current one, so a call is really made on every
    run (the job skips a change to the value already set). Without IAM enforcement the call goes
    through; that is reported as it happened, never as a denial."""
    ctx = env_context(platform, env, "approver", job="demo", source=source)
    current = describe_version(ctx, resolve_version(ctx, _use_case(platform, env), version)).get(
        "ModelApprovalStatus"
    )
    decision = "Rejected" if current == "Approved" else "Approved"
    say(f"  a data scientist tries to set {env} v{version} {decision} (expected: denied by IAM)")
    try:
        review.set_approval(
            platform,
            env,
            version,
            "demo: separation-of-duties check",
            decision=decision,
            role="data_scientist",
            source=source,
        )
    except PermissionDeniedError as denied:
        say(f"  DENIED (as expected): {denied}")
        return {"env": env, "decision": decision, "denied": True, "error": str(denied)}
    say(
        f"  NOT DENIED: the data-scientist role set {env} v{version} {decision}. This local cloud "
        "does not enforce IAM (started with --no-enforce-iam?); on AWS, and on a local cloud with "
        "IAM enforced, this call is denied. The approver's decision below replaces it."
    )
    return {"env": env, "decision": decision, "denied": False, "error": None}


def _use_case(platform: PlatformConfig, env: str) -> str:
    return platform.env(env).use_cases[0].name


def evaluation_sections(card: Any) -> dict[str, Any]:
    """The card's evaluation as the demo prints it: quality metrics, pre- and post-training bias
    metrics (Clarify names) and the strongest global feature attributions."""
    out: dict[str, Any] = {
        "quality": {},
        "pre_training_bias": {},
        "post_training_bias": {},
        "top_features": [],
    }
    key = {
        evaluation.EVAL_PRE_BIAS: "pre_training_bias",
        evaluation.EVAL_POST_BIAS: "post_training_bias",
    }
    for item in (card.evaluation_details if card is not None else None) or []:
        values = {
            m.name: float(m.value)
            for group in item.metric_groups or []
            for m in group.metric_data
            if isinstance(getattr(m, "value", None), (int, float)) and not isinstance(m.value, bool)
        }
        if item.name == evaluation.EVAL_EXPLAINABILITY:
            out["top_features"] = sorted(values.items(), key=lambda kv: -abs(kv[1]))[:TOP_FEATURES]
        else:
            out[key.get(item.name, "quality")].update(values)
    return out


def _show_evaluation(sections: dict[str, Any], say: Callable[[str], None]) -> None:
    def line(values: dict[str, float]) -> str:
        return ", ".join(f"{k} {v:.3f}" for k, v in sorted(values.items())) or "(none)"

    say(f"  quality:            {line(sections['quality'])}")
    say(f"  pre-training bias:  {line(sections['pre_training_bias'])}")
    say(f"  post-training bias: {line(sections['post_training_bias'])}")
    top = ", ".join(f"{name} {value:.3f}" for name, value in sections["top_features"]) or "(none)"
    say(f"  explainability (mean |SHAP|, top {TOP_FEATURES}): {top}")


def _expect_refusal(
    platform: PlatformConfig,
    env: str,
    version: str,
    say: Callable[[str], None],
    source: boto3.Session | None,
    *,
    gate_prefix: str,
) -> dict[str, Any]:
    """Promote ``version`` into ``env``; it must be refused by a gate starting with ``gate_prefix``."""
    try:
        promote_job.promote(platform, env, version, source=source)
    except RefusedError as refusal:
        say(f"  REFUSED (as expected): {len(refusal.failures)} gate(s) failed")
        for failure in refusal.failures:
            say(f"    - {failure['gate']}: {failure['reason']}")
        if not any(f["gate"].startswith(gate_prefix) for f in refusal.failures):
            raise AssertionError(
                f"promotion into {env} was refused, but not by a {gate_prefix} gate"
            ) from None
        return refusal.to_dict()
    raise AssertionError(f"promotion of v{version} into {env} was not refused by its {gate_prefix} gate")


def run_workflow(
    platform: PlatformConfig,
    *,
    say: Callable[[str], None] = print,
    source: boto3.Session | None = None,
    html_path: str | None = None,
) -> dict[str, Any]:
    """Seed, review, approve, promote along the chain, deploy, show, refuse, report.

    Every environment in :meth:`PlatformConfig.promotion_order` after the first gets the first
    sample version promoted into it and approved there; the last one marks it Deployed. The second
    sample version goes as far as the environment before the last, whose successor's bias gate
    must refuse it; the third is refused by the first downstream environment's quality floors.
    Raises :class:`scripts.errors.KitError` if a step that should succeed does not, or
    AssertionError if a promotion that must be refused is not."""
    chain = [e.name for e in platform.promotion_order()]
    first, rest = chain[0], chain[1:]
    strict = next((e for e in rest if platform.env(e).tier.strict), None)
    out: dict[str, Any] = {"chain": chain}
    step = iter(range(1, 100))

    say(f"{next(step)}. seed {first} (data-scientist role): real training runs, cards, artifacts under KMS")
    seeded = seed_job.seed(platform, first, source=source)
    for v in seeded["versions"]:
        say(f"  v{v['version']} {v['label']}: {v['status']}")
    out["seed"] = seeded
    good, biased, weak = (str(v["version"]) for v in seeded["versions"][:3])

    def promote_along(version: str, targets: Sequence[str], *, check_duties: bool) -> list[dict[str, Any]]:
        """Approve ``version`` in ``first``, then promote and approve it in each of ``targets``."""
        say(f"{next(step)}. review and approve {first} v{version} (approver role)")
        _approve(platform, first, version, say, source, card_from="Draft")
        results = []
        for target in targets:
            say(
                f"{next(step)}. promote {platform.env(target).promotes_from} v{version} -> {target} "
                f"({target}'s promotion role, behind {target}'s gates)"
            )
            result = promote_job.promote(platform, target, version, source=source)
            say(f"  {'created' if result['created'] else 'already there'}: {result['target_arn']}")
            results.append(result)
            version = str(version_number(result["target_arn"]))
            if check_duties and target == strict:
                say(f"{next(step)}. separation of duties in {target}")
                out["separation_of_duties"] = _separation_of_duties(platform, target, version, say, source)
            say(f"{next(step)}. review and approve in {target} (promoted cards arrive PendingReview)")
            _approve(platform, target, version, say, source, card_from="PendingReview")
        return results

    promotions = promote_along(good, rest, check_duties=True)
    out["promotions"] = promotions
    last = chain[-1]
    deployed_version = str(version_number(promotions[-1]["target_arn"])) if promotions else good
    say(f"{next(step)}. mark {last} v{deployed_version} Deployed (recorded in lineage)")
    deployed = review.set_stage_status(
        platform,
        last,
        deployed_version,
        "Deployed",
        "demo: deployed to the production endpoint",
        source=source,
    )
    say(f"  lifecycle {deployed['before']} -> {deployed['after']}")
    say(f"  deployment in lineage: {deployed['deployment']}")

    say(f"{next(step)}. evaluation in the card of {last} v{deployed_version}")
    ctx = env_context(platform, last, "approver", job="demo", source=source)
    desc = describe_version(ctx, resolve_version(ctx, _use_case(platform, last), deployed_version))
    sections = evaluation_sections(parse_card((desc.get("ModelCard") or {}).get("ModelCardContent")))
    _show_evaluation(sections, say)
    out["evaluation"] = sections

    if rest:
        say(f"--- v{biased}: a model that uses age; {last}'s bias gate must refuse it")
        biased_promotions = promote_along(biased, rest[:-1], check_duties=False)
        upstream = str(version_number(biased_promotions[-1]["target_arn"])) if biased_promotions else biased
        say(
            f"{next(step)}. promote {platform.env(last).promotes_from} v{upstream} -> {last} (expected: refused)"
        )
        out["refused_bias"] = _expect_refusal(platform, last, upstream, say, source, gate_prefix="bias:")

        say(f"--- v{weak}: a decision stump; {rest[0]}'s quality floors must refuse it")
        say(f"{next(step)}. review and approve {first} v{weak} (dev has no floors)")
        _approve(platform, first, weak, say, source, card_from="Draft")
        say(f"{next(step)}. promote {first} v{weak} -> {rest[0]} (expected: refused)")
        out["refused_quality"] = _expect_refusal(platform, rest[0], weak, say, source, gate_prefix="metric:")

    say(f"{next(step)}. report")
    data = report_job.collect(platform, source=source, details=bool(html_path))
    say(report_job.render_table(data))
    if html_path:
        say(f"  HTML report: {report_job.write_html(data, html_path)}")
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
    p.add_argument(
        "--force-synth",
        action="store_true",
        help="synthesize the stacks even if nothing they are built from changed",
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
                "deploying every environment (roles other environments' policies name first, then all at once)"
            )
            deploy(
                "apply",
                target="local",
                cloud=cloud,
                platform=platform,
                config_dir=args.config_dir,
                force_synth=args.force_synth,
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
