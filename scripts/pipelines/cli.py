"""``mlgov pipeline``: build, start and follow a use case's SageMaker Pipeline in one environment.

    mlgov pipeline upsert --env dev [--use-case credit-risk] [--dry-run]
    mlgov pipeline start  --env dev [--parameter MinRocAuc=0.8 ...] [--data credit.csv] [--wait]
    mlgov pipeline status --env dev [--execution ARN]       (the latest execution by default)
    mlgov pipeline wait   --env dev [--execution ARN] [--timeout 3600]
    mlgov pipeline list   --env dev

Every subcommand acts as the environment's data-scientist role, which may manage the pipelines
named after its use cases only (``<prefix>-<env>-<use case>``, modules/pipelines.py).

1. **upsert** loads ``use_cases/<use case>/pipeline.py`` (:mod:`.contract`), hands it a
   :class:`~.contract.PipelineContext` built from the SSM parameters the stack publishes (the
   pipeline execution role, the artifact bucket and its ``pipelines/<use case>/`` prefix, the KMS
   key, the model package group, the DataZone project id; the input data defaults to the bucket's
   ``data/<use case>/``), and creates or updates the pipeline with the SDK (which uploads the
   steps' code first). Only upsert imports the SageMaker SDK (the ``pipeline`` extra).
2. **start** checks every ``--parameter Name=Value`` against the parameters of the pipeline's
   definition (name and type) before it starts an execution. The input is the dataset the use
   case's DataZone project holds an approved subscription to (docs/DATA.md): its prefix as
   ``InputData``, its asset id and listed revision as ``DatasetAssetId`` / ``DatasetRevision``
   (which the card records), its dataset artifact in lineage marked with the asset id; without
   an approved subscription start refuses, naming the request to make. ``--data FILE`` instead
   uploads a local file under ``data/<use case>/<sha256>/`` and passes it as ``InputData`` (no
   catalog asset then); ``--wait`` then waits.
3. **status** prints one line per step; **wait** prints a line on stderr whenever a step moves
   and ends with the status. Both exit 1 when the execution Failed or was Stopped, naming the
   failed steps and their reasons (a Fail step's message, the job's failure, a refused call).
4. **list**: the use cases' pipelines and their latest execution.

A version the pipeline registers lands in the use case's group PendingManualApproval with its
card PendingReview, and goes on with ``mlgov review``, ``mlgov approve``, ``mlgov promote``.
Exit codes: 0 done (or still running), 1 failed/stopped/refused by AWS, 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from environments import load_platform
from scripts import command
from scripts.governance.output import common_parser, table

from .runs import (
    DATA_PARAMETER,
    DEFAULT_INTERVAL_S,
    DEFAULT_TIMEOUT_S,
    list_pipelines,
    progress_line,
    start,
    status,
    upsert,
    wait,
)


# -- command line ------------------------------------------------------------------------------
def render(result: dict[str, Any]) -> str:
    kind = result.get("kind")
    if kind == "upsert":
        head = f"{result['action']} pipeline {result['pipeline']} (role {result['role']})"
        if result.get("dry_run"):
            return f"{head}; dry run: nothing built or uploaded"
        return "\n".join(
            [
                f"{head} in {result['seconds']} s",
                f"  steps: {' -> '.join(result['steps'])}",
                "  parameters: " + ", ".join(f"{k}={v}" for k, v in result["parameters"].items()),
                f"  next: mlgov pipeline start --env {result['env']} --use-case {result['use_case']}",
            ]
        )
    if kind == "start":
        params = ", ".join(f"{k}={v}" for k, v in result["parameters"].items()) or "defaults"
        dataset = result.get("dataset")
        read = (
            f"\n  input: dataset {dataset['asset_name']} (asset {dataset['asset_id']} revision "
            f"{dataset['revision']}, subscription {dataset['subscription_id']})"
            if dataset
            else ""
        )
        if result.get("dry_run"):
            return f"would start {result['pipeline']} with {params}{read}"
        return f"started {result['execution']} with {params}{read}"
    if kind == "list":
        rows = [
            {
                "use case": r["use_case"],
                "pipeline": r["pipeline"] if r["exists"] else f"{r['pipeline']} (not upserted)",
                "latest": r.get("latest_status"),
                "started": r.get("latest_started"),
                "execution": r.get("latest_execution"),
            }
            for r in result["pipelines"]
        ]
        return table(rows, ["use case", "pipeline", "latest", "started", "execution"])
    lines = [f"{result['pipeline']}: {result['status']}  {result['execution']}"]
    lines += ["  " + progress_line(r, r["seconds"] or 0).split("] ", 1)[1] for r in result["steps"]]
    if result.get("model_package"):
        lines.append(f"registered {result['model_package']}")
    return "\n".join(lines)


def _seconds(value: str) -> float:
    seconds = float(value)
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {value}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="mlgov pipeline",
        description="Build, start and follow a use case's SageMaker Pipeline "
        "(use_cases/<use case>/pipeline.py) as the environment's data-scientist role.",
        epilog="Exit codes: 0 done (or still running), 1 the execution failed or was stopped, or AWS "
        "refused, 2 bad usage or input.",
    )
    sub = top.add_subparsers(dest="action", required=True, metavar="<action>")

    def add(name: str, help_: str, description: str, *, writes: bool) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            parents=[common_parser(description, writes=writes)],
            add_help=False,
            help=help_,
            description=description,
        )
        p.set_defaults(prog=f"mlgov pipeline {name}")
        if name != "list":
            p.add_argument("--use-case", default=None, help="use case (default: the environment's only one)")
        return p

    add(
        "upsert",
        "create or update the pipeline from use_cases/<use case>/pipeline.py",
        "Build the use case's pipeline with the SageMaker SDK (uploading its steps' code under "
        "pipelines/<use case>/ of the artifact bucket) and create or update it, run by the "
        "environment's pipeline execution role.",
        writes=True,
    )
    start_p = add(
        "start",
        "start an execution (--parameter Name=Value ...)",
        "Start an execution of the use case's pipeline; every --parameter is checked against the "
        "pipeline's parameters first. Its input is the dataset the use case's project is subscribed "
        "to (an approved DataZone subscription: mlgov data subscribe), unless --data or "
        "--parameter InputData=... says otherwise.",
        writes=True,
    )
    start_p.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a pipeline parameter for this execution (repeatable), e.g. MinRocAuc=0.8",
    )
    start_p.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="FILE",
        help=f"run on this local file instead of the subscribed dataset: uploaded under "
        f"data/<use case>/<sha256>/ of the artifact bucket (SSE-KMS) and passed as the "
        f"{DATA_PARAMETER} parameter (no catalog asset is recorded)",
    )
    start_p.add_argument("--wait", action="store_true", help="wait for the execution to end (as `wait`)")
    status_p = add(
        "status",
        "the execution's status, one line per step",
        "Show an execution (the latest by default) and its steps; exit 1 when it failed or was stopped.",
        writes=False,
    )
    wait_p = add(
        "wait",
        "wait for an execution to end, a line per step as it moves",
        "Wait for an execution (the latest by default) to end, printing a line on stderr whenever a "
        "step changes status; exit 1 when it failed or was stopped, naming the failed steps.",
        writes=False,
    )
    for p in (status_p, wait_p):
        p.add_argument("--execution", default=None, help="execution ARN (default: the latest)")
    for p in (start_p, wait_p):
        p.add_argument(
            "--timeout",
            type=_seconds,
            default=DEFAULT_TIMEOUT_S,
            help=f"give up waiting after this many seconds (default {DEFAULT_TIMEOUT_S:.0f}; exit 1)",
        )
        p.add_argument(
            "--interval",
            type=_seconds,
            default=DEFAULT_INTERVAL_S,
            help=f"seconds between two looks at the execution (default {DEFAULT_INTERVAL_S:.0f})",
        )
    add(
        "list",
        "the environment's use-case pipelines and their latest execution",
        "List the pipelines of the environment's use cases and their latest execution.",
        writes=False,
    )
    return top


def dispatch(args: argparse.Namespace) -> Any:
    platform = load_platform(args.config_dir)
    if args.action == "upsert":
        return upsert(platform, args.env, args.use_case, dry_run=args.dry_run)
    if args.action == "start":
        return start(
            platform,
            args.env,
            args.use_case,
            args.parameter,
            data=args.data,
            dry_run=args.dry_run,
            wait_for_end=args.wait,
            timeout=args.timeout,
            interval=args.interval,
        )
    if args.action == "status":
        return status(platform, args.env, args.use_case, args.execution)
    if args.action == "wait":
        return wait(
            platform, args.env, args.use_case, args.execution, timeout=args.timeout, interval=args.interval
        )
    return list_pipelines(platform, args.env)


def main(argv: Sequence[str] | None = None) -> int:
    return command.main(build_parser(), argv, dispatch, render=render)


if __name__ == "__main__":
    sys.exit(main())
