"""``mlgov deploy`` (or ``python -m scripts.deploy``): the deploy runner's command line.

    mlgov deploy apply                       # every environment, local emulator
    mlgov deploy apply --sequential          # one at a time, downstream first
    mlgov deploy plan --env dev --json       # one environment, JSON summary
    mlgov deploy destroy                     # upstream first
    mlgov deploy drift --target aws          # plan -refresh-only -detailed-exitcode
    mlgov deploy refresh                     # apply -refresh-only (apply's last step)
    mlgov deploy synth --force-synth         # only write cdktf.out/, even if unchanged
    mlgov deploy plan --config-dir my-envs   # another configuration folder
    mlgov deploy apply --env dev --migrate-state   # after setting remote_state
    mlgov deploy bootstrap --env dev         # the bootstrap-<env> stacks (.bootstrap)
    mlgov deploy principals                  # policies naming a recreated role (.principals)
    mlgov deploy access-matrix --env prod    # who can make each governance change (.access)

The configuration folder is ``--config-dir``, else ``$MLGOV_ENVIRONMENTS_DIR``, else the kit's
``environments/``; the environments acted on, the stacks synthesized and the accounts of an
emulator this command starts all come from it. ``--target local`` (default): ``apply`` starts the
local emulator or reuses the running one, which outlives the command so that the deployed
resources stay available to the governance jobs; ``plan``, ``drift``, ``refresh``, ``destroy``
and ``principals`` act on what is deployed, so without a running one they stop before anything
runs and say how to start it (a new cloud would be empty).

``apply`` applies every environment at once by default (nothing has to exist first: an upstream's
policies grant the downstream roles by ``aws:PrincipalArn``, :mod:`.cross_stack`);
``--sequential`` applies one environment after another, downstream first.
``destroy`` always runs one environment at a time, upstream first. Synthesis is skipped when
nothing it reads changed since ``cdktf.out`` was written (``--force-synth`` runs it anyway).

``drift`` also reports the key, bucket and model package group policies that show a principal as
a unique id (a role deleted or recreated since the policy was written: :mod:`.principals`) and
the environment to apply again.

Exit codes: 0 done (``drift``: no drift), 1 a step failed (the message names environment,
resource and log file) or ``drift`` found drift, 2 bad usage (an unknown environment or a bad
configuration, found before anything runs) or no terraform binary.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from environments import load_platform
from scripts import command
from scripts.errors import EXIT_FAILED, EXIT_OK, AwsError

from .runner import (
    ACTIONS,
    DeployError,
    Runner,
    StepResult,
    check_local_cloud,
    default_work_root,
    environments_dir,
    select_environments,
    start_local_cloud,
)
from .targets import TARGETS


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mlgov deploy",
        description="Synthesize every stack once (skipped when its inputs are unchanged) and run "
        "Terraform per environment against the local multi-account emulator or AWS: apply, plan and "
        "drift in every environment at once; destroy one environment at a time, upstream first.",
        epilog="Exit codes: 0 done (drift: none found), 1 a step failed or drift was found, 2 bad usage. "
        "Logs: .terraform-work/<target>/logs/<env>-<step>.log. "
        "The bootstrap-<env> stacks: `mlgov deploy bootstrap --help`. "
        "Key, bucket and group policies naming a deleted or recreated role: "
        "`mlgov deploy principals --help`. Who can make each governance change: "
        "`mlgov deploy access-matrix --help`.",
    )
    p.add_argument(
        "action",
        choices=ACTIONS,
        help="apply: create/update; plan: show changes (reports whether there are any); "
        "destroy: remove every resource; drift: plan -refresh-only -detailed-exitcode; "
        "refresh: apply -refresh-only (what apply ends with: state records what the provider "
        "reads back, so drift reports only out-of-band changes); synth: only run main.py",
    )
    p.add_argument(
        "--env",
        action="append",
        dest="envs",
        metavar="NAME",
        help="environment to act on (repeatable); default: every environment of the configuration folder",
    )
    p.add_argument(
        "--config-dir",
        type=Path,
        default=None,
        help="directory of environment YAML files, for the selection and the synth alike "
        "(default: $MLGOV_ENVIRONMENTS_DIR, else the kit's environments/)",
    )
    p.add_argument(
        "--target",
        choices=TARGETS,
        default="local",
        help="local: the emulator on loopback (default; apply starts it when none runs, the other "
        "actions need it running); "
        "aws: the normal AWS credential chain and each environment's deploy role",
    )
    p.add_argument(
        "--json", action="store_true", help="print a machine-readable summary of every step on stdout"
    )
    order = p.add_mutually_exclusive_group()
    order.add_argument(
        "--parallel",
        dest="parallel",
        action="store_true",
        default=True,
        help="the default: every environment at once (they are wired by names, not by each other's state)",
    )
    order.add_argument(
        "--sequential",
        dest="parallel",
        action="store_false",
        help="one environment after another, apply downstream first (the order alone makes every "
        "principal a policy names exist); destroy is always sequential, upstream first",
    )
    p.add_argument(
        "--force-synth",
        action="store_true",
        help="run main.py even when nothing it reads changed since cdktf.out was written",
    )
    p.add_argument(
        "--migrate-state",
        action="store_true",
        help="when an environment's backend changed (remote_state set on a deployed environment), "
        "copy its existing state into the new backend (terraform init -migrate-state -force-copy)",
    )
    p.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="root of the Terraform working directories and logs "
        "(default: $MLGOV_DEPLOY_WORK_DIR, else .terraform-work)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return p


class _NoCloud:
    """Stands in for the emulator where an action never talks to it (synth)."""

    url = "http://127.0.0.1:0"


def _orphaned_principals(platform: Any, envs: Sequence[Any], target: str, config_dir: Path) -> bool:
    """Print every principal the policies of ``envs`` show as a unique id; whether there was one.
    A policy that cannot be read (credentials without the read permissions) is a warning only:
    Terraform's drift above already compared every policy it manages."""
    from botocore.exceptions import BotoCoreError, ClientError

    from .principals import find_orphans, sessions_for_target

    try:
        orphans = find_orphans(platform, envs, sessions_for_target(target, config_dir), target)
    except (AwsError, ClientError, BotoCoreError) as exc:
        print(f"warning: resource policies not checked for recreated principals: {exc}", file=sys.stderr)
        return False
    for orphan in orphans:
        print(orphan, file=sys.stderr)
    return bool(orphans)


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bootstrap"]:
        # Its own options (--admin-role, --plan) and stacks: scripts/deploy/bootstrap.py.
        from .bootstrap import main as bootstrap_main

        return bootstrap_main(argv[1:])
    if argv[:1] == ["access-matrix"]:
        # Reads the synthesized policies only; no Terraform, no AWS: scripts/deploy/access.py.
        from .access import main as access_main

        return access_main(argv[1:])
    if argv[:1] == ["principals"]:
        # Reads policies through the deploy roles; runs no Terraform: scripts/deploy/principals.py.
        from .principals import main as principals_main

        return principals_main(argv[1:])
    return command.main(build_parser(), argv, run, render=lambda _: None, log_level=logging.WARNING)


def run(args: argparse.Namespace) -> command.Outcome:
    """The action over the selected environments; the outcome carries the summary of every step
    (printed with ``--json``), the exit code (drift found: 1) and a failed step's error."""
    results: list[StepResult] = []
    status, failure = EXIT_OK, None
    try:
        config_dir = environments_dir(args.config_dir)
        platform = load_platform(config_dir)
        envs = select_environments(platform, args.envs, args.action)
        if args.target == "local" and args.action != "synth":
            check_local_cloud(config_dir, envs, args.action)
        cloud = start_local_cloud(config_dir) if args.target == "local" and args.action != "synth" else None
        runner = Runner(
            platform,
            target=args.target,
            cloud=cloud if cloud is not None else _NoCloud(),
            work_root=args.work_dir or default_work_root(),
            parallel=args.parallel,
            force_synth=args.force_synth,
            migrate_state=args.migrate_state,
            progress=_progress,
            config_dir=config_dir,
        )
        results = runner.run(args.action, envs)
        if args.action == "drift" and any(r.changes for r in results):
            status = EXIT_FAILED
            for r in results:
                if r.step == "drift" and r.changes:
                    print(
                        f"drift in {r.env}: {', '.join(r.drifted or [])} (details: {r.log})", file=sys.stderr
                    )
        if args.action == "drift" and _orphaned_principals(platform, envs, args.target, config_dir):
            status = EXIT_FAILED
    except DeployError as exc:
        results, failure = exc.results, exc
    summary = {
        "action": args.action,
        "target": args.target,
        "ok": status == EXIT_OK and failure is None,
        "steps": [asdict(r) for r in results],
        "error": None
        if failure is None
        else {
            "env": failure.env,
            "step": failure.step,
            "resource": failure.resource,
            "log": failure.log,
            "detail": failure.detail,
        },
    }
    return command.Outcome(summary, status, failure)


if __name__ == "__main__":
    sys.exit(main())
