"""The serving command lines: ``mlgov serve``, ``mlgov invoke``, ``mlgov monitor`` and ``mlgov
batch``, each run as the environment's model-deploy role (scripts/serving/deploy.py, runtime.py,
batch.py).

    mlgov serve   --env prod --version 1 --reason "go-live" [--use-case credit-risk]
                  [--instance-type ml.m5.large] [--instance-count 1] [--rollback-alarm NAME]
    mlgov serve   --env prod --undeploy --reason "decommissioned"
    mlgov invoke  --env prod --csv rows.csv | --json-rows rows.json [--accept text/csv]
    mlgov monitor --env prod [--check data-quality|bias-drift ...] [--bias-tolerance 0.1]
    mlgov batch   --env prod --version 1 --reason "monthly scoring" --csv rows.csv | --input s3://...
                  [--accept text/csv] [--batch-strategy MultiRecord] [--download DIR]

Exit codes: 0 done; 1 refused (a gate, named), failed (a deployment that failed or rolled back,
a transform job that failed) or, for ``monitor``, violations found; 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from environments import load_platform
from scripts import command
from scripts.errors import EXIT_FAILED

from ..governance.output import common_parser
from . import batch, bias_drift, deploy, runtime

SUBCOMMANDS = ("serve", "invoke", "monitor", "batch")


def _use_case(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--use-case",
        default=None,
        help="use case name from the environment file (required when the environment has several; "
        "default: its only one)",
    )


def build_parser(name: str) -> argparse.ArgumentParser:
    if name == "serve":
        p = common_parser(
            "Deploy an approved model version to the use case's real-time SageMaker endpoint, as the "
            "environment's model-deploy role. Refused, naming each reason, unless the version is "
            "Approved, its card is Approved, its lifecycle stage is the environment's and its "
            "archive matches the SHA-256 recorded at registration. A second version replaces the "
            "first by SageMaker's blue/green update (rolled back if it fails its health checks). "
            "Records the stage status Deployed (as the approver role), an audit record and the "
            "endpoint's lineage; puts the version's data-quality baseline where the stack's scheduled "
            "monitor reads it (data_quality_schedule).",
            prog="mlgov serve",
        )
        p.add_argument("--version", help="model version number in the use case's group, or its ARN")
        p.add_argument("--reason", required=True, help="why: recorded in the audit record and the stage")
        p.add_argument(
            "--undeploy",
            action="store_true",
            help="delete the use case's endpoint (and the kit's models and configs of it) instead",
        )
        p.add_argument(
            "--instance-type",
            default=deploy.DEFAULT_INSTANCE_TYPE,
            help="instance type (default: %(default)s)",
        )
        p.add_argument("--instance-count", type=int, default=1, help="instances (default: 1)")
        p.add_argument(
            "--rollback-alarm",
            action="append",
            default=[],
            metavar="NAME",
            help="CloudWatch alarm that rolls a blue/green update back while in ALARM (repeatable)",
        )
        p.add_argument(
            "--timeout",
            type=float,
            default=deploy.DEFAULT_TIMEOUT_S,
            help="seconds to wait for InService (default: %(default)s)",
        )
    elif name == "invoke":
        p = common_parser(
            "Send rows to the use case's endpoint and print its predictions (predicted_label, "
            "probability), as the environment's model-deploy role.",
            prog="mlgov invoke",
            writes=False,
        )
        payload = p.add_mutually_exclusive_group(required=True)
        payload.add_argument("--csv", metavar="FILE", help="one row per line, the model's feature columns")
        payload.add_argument(
            "--json-rows", dest="json_file", metavar="FILE", help='{"instances": [[...], ...]}'
        )
        p.add_argument(
            "--accept",
            default=runtime.JSON,
            choices=(runtime.JSON, runtime.CSV),
            help="response type asked of the endpoint (default: %(default)s)",
        )
    elif name == "batch":
        p = common_parser(
            "Batch inference: run a SageMaker batch transform job of an approved model version over "
            "CSV files in the artifact bucket, as the environment's model-deploy role. Refused, naming "
            "each reason, by the gates of mlgov serve (Approved, card Approved, the environment's "
            "stage, the archive's recorded SHA-256). Input: one row per line, no header, the model's "
            "feature columns; under s3://<artifact bucket>/batch/<use case>/input/ (--input), or a "
            "local file uploaded there (--csv). Output: one <input file>.out per file under "
            "batch/<use case>/output/<job>/, encrypted with the platform key. Waits for the job; "
            "records an audit record and the job's lineage to the version.",
            prog="mlgov batch",
        )
        p.add_argument(
            "--version", required=True, help="model version number in the use case's group, or its ARN"
        )
        p.add_argument("--reason", required=True, help="why: recorded in the audit record")
        rows = p.add_mutually_exclusive_group(required=True)
        rows.add_argument(
            "--input",
            metavar="S3_URI",
            help="a CSV file, or a folder of them, under s3://<artifact bucket>/batch/<use case>/input/",
        )
        rows.add_argument(
            "--csv", metavar="FILE", help="a local CSV file, uploaded to the batch input prefix first"
        )
        p.add_argument(
            "--accept",
            default=batch.CSV,
            choices=(batch.CSV, batch.JSON),
            help="output format asked of the model (default: %(default)s: predicted_label,probability per row)",
        )
        p.add_argument(
            "--batch-strategy",
            default="MultiRecord",
            choices=batch.STRATEGIES,
            help="rows per request: as many as fit in 6 MB, or one (default: %(default)s)",
        )
        p.add_argument(
            "--instance-type",
            default=deploy.DEFAULT_INSTANCE_TYPE,
            help="instance type (default: %(default)s)",
        )
        p.add_argument("--instance-count", type=int, default=1, help="instances (default: 1)")
        p.add_argument(
            "--timeout",
            type=float,
            default=batch.DEFAULT_TIMEOUT_S,
            help="seconds to wait for the job; a job still running then is stopped (default: %(default)s)",
        )
        p.add_argument(
            "--download", metavar="DIR", help="also write the .out files into DIR and count their rows"
        )
    else:
        p = common_parser(
            "Check the endpoint's captured data (the last hour) as the environment's model-deploy "
            "role; print the violations (exit 1 if any). data-quality: Model Monitor runs once against "
            "the data-quality baseline of the version served. bias-drift: the post-training bias "
            "(Clarify's DPPL and DI) of the captured requests' facet groups, with the endpoint's "
            "answers as predicted labels, against the card's post-training bias; a metric farther "
            "from parity than the card's by more than --bias-tolerance is a violation, written in "
            "Model Monitor's bias-drift format under monitoring/<endpoint>/bias-drift/. Without a "
            "baseline, a card bias entry or captured traffic, says what is needed and runs nothing.",
            prog="mlgov monitor",
            writes=False,
        )
        p.add_argument("--timeout", type=float, default=900.0, help="seconds to wait (default: %(default)s)")
        p.add_argument(
            "--check",
            action="append",
            choices=runtime.CHECKS,
            default=None,
            help="which check to run (repeatable; default: data-quality)",
        )
        p.add_argument(
            "--bias-tolerance",
            type=float,
            default=bias_drift.DEFAULT_TOLERANCE,
            help="how much farther from parity (0 for DPPL, 1 for DI) than the card's value a metric of "
            "the traffic may be (default: %(default)s; 0 is Clarify's own rule)",
        )
    _use_case(p)
    return p


def _serve(a: argparse.Namespace) -> dict[str, Any]:
    platform = load_platform(a.config_dir)
    if a.undeploy:
        if a.version:
            raise deploy.UsageError("--undeploy takes no --version: it removes whatever the endpoint serves")
        return deploy.undeploy(platform, a.env, a.reason, use_case=a.use_case, dry_run=a.dry_run)
    if not a.version:
        raise deploy.UsageError("--version is required (or --undeploy)")
    return deploy.serve(
        platform,
        a.env,
        a.version,
        a.reason,
        use_case=a.use_case,
        instance_type=a.instance_type,
        instance_count=a.instance_count,
        rollback_alarms=a.rollback_alarm,
        timeout=a.timeout,
        dry_run=a.dry_run,
    )


def _invoke(a: argparse.Namespace) -> dict[str, Any]:
    body, content_type = runtime.read_payload(a.csv, a.json_file)
    return runtime.invoke(
        load_platform(a.config_dir),
        a.env,
        body,
        content_type=content_type,
        accept=a.accept,
        use_case=a.use_case,
    )


def _batch(a: argparse.Namespace) -> dict[str, Any]:
    return batch.transform(
        load_platform(a.config_dir),
        a.env,
        a.version,
        a.reason,
        input_uri=a.input,
        csv_path=a.csv,
        use_case=a.use_case,
        accept=a.accept,
        batch_strategy=a.batch_strategy,
        instance_type=a.instance_type,
        instance_count=a.instance_count,
        timeout=a.timeout,
        download=a.download,
        dry_run=a.dry_run,
    )


def _monitor(a: argparse.Namespace) -> command.Outcome:
    result = runtime.monitor(
        load_platform(a.config_dir),
        a.env,
        use_case=a.use_case,
        timeout=a.timeout,
        checks=tuple(dict.fromkeys(a.check or [runtime.DATA_QUALITY])),
        bias_tolerance=a.bias_tolerance,
    )
    return command.Outcome(result, code=EXIT_FAILED if result["violations"] else 0)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    name = argv[0] if argv[:1] and argv[0] in SUBCOMMANDS else "serve"
    rest = argv[1:] if argv[:1] and argv[0] in SUBCOMMANDS else argv
    if name == "serve":
        return command.main(build_parser(name), rest, _serve, render=deploy.render)
    if name == "invoke":
        return command.main(build_parser(name), rest, _invoke, render=runtime.render_invoke)
    if name == "batch":
        return command.main(build_parser(name), rest, _batch, render=batch.render)
    return command.main(build_parser(name), rest, _monitor, render=runtime.render_monitor)


if __name__ == "__main__":
    sys.exit(main())
