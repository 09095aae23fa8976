"""The register job's command line (``mlgov register``): check the submission, then register it."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from environments import load_platform
from scripts import command

from ..output import common_parser, table
from .registration import register
from .submission import load_submission


def render(result: dict[str, Any]) -> str:
    head_line = (
        f"register {result['environment']}: group {result['group']}"
        f"{' (created)' if result['group_created'] else ''}; DataZone project "
        f"{result['datazone_project_id']}{' [dry run]' if result['dry_run'] else ''}"
    )
    lines = [head_line]
    asset = result.get("dataset_asset")
    if asset:
        lines.append(
            f"trained on dataset {asset['asset_name']} (DataZone asset {asset['asset_id']} revision "
            f"{asset['revision']}, subscription {asset['subscription_id']})"
        )
    lines.append(table([result["version"]], ["label", "version", "status", "arn"]))
    downstream = result.get("downstream") or []
    if downstream:
        lines.append("downstream gates on this submission (approval and card review come later):")
    for d in downstream:
        if not d["refused"]:
            lines.append(f"  {d['env']}: would pass")
            continue
        lines.append(f"  {d['env']}: would REFUSE it at promotion:")
        for f in d["failures"]:
            lines.append(f"    - {f['gate']}: {f['reason']}" + (f" ({f['hint']})" if f.get("hint") else ""))
    lines += [f"note: {note}" for note in result.get("metric_notes") or ()]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = common_parser(
        prog="mlgov register",
        description="Register a model your team trained as a new version, with its model card, reports and "
        "lineage, in the first environment of the chain. Everything is checked before any AWS call, "
        "including every downstream environment's gates (reported; refused with --strict) and the "
        "metric names (against the gates' and SageMaker's model quality names). Guide: "
        "docs/BRING_YOUR_OWN_MODEL.md",
    )
    p.add_argument("--use-case", required=True, help="use case name from the environment file")
    p.add_argument(
        "--artifact",
        required=True,
        help="the model archive (model.tar.gz): a local path (uploaded) or s3://bucket/key "
        "(copied inside S3) into the environment's artifact bucket, under its KMS key",
    )
    p.add_argument("--image", required=True, help="inference container image URI (e.g. in ECR)")
    p.add_argument(
        "--metrics",
        required=True,
        help='model-quality report, SageMaker statistics layout: {"binary_classification_metrics": '
        '{"accuracy": {"value": 0.91}, ...}}',
    )
    p.add_argument(
        "--card",
        required=True,
        help="JSON file of model card sections the team writes (intended_uses, business_details, "
        "training_details, additional_information...); the kit adds the overview, the evaluation "
        "entries and the DataZone project",
    )
    p.add_argument(
        "--dataset",
        default=None,
        help="training dataset for lineage: a local file (its SHA-256 is recorded) or a URI such as "
        "s3://bucket/key (its hash recorded as unknown)",
    )
    p.add_argument(
        "--subscribed-dataset",
        action="store_true",
        help="the training dataset is the one the use case's DataZone project is subscribed to "
        "(an approved subscription, docs/DATA.md): its asset id and revision go on the card and "
        "into lineage; refused without one (instead of --dataset)",
    )
    p.add_argument("--bias-report", default=None, help="SageMaker Clarify bias analysis.json")
    p.add_argument(
        "--explainability-report", default=None, help="SageMaker Clarify explainability analysis.json"
    )
    p.add_argument("--label", default=None, help="human label of the version (default: from its key)")
    p.add_argument(
        "--strict",
        action="store_true",
        help="refuse the registration (exit 1, nothing written) when a downstream environment's "
        "gates would refuse this version at promotion; without it they are reported and the "
        "version is registered",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    def job(a: argparse.Namespace) -> dict[str, Any]:
        platform = load_platform(a.config_dir)
        sub = load_submission(
            platform,
            a.env,
            use_case=a.use_case,
            artifact=a.artifact,
            image=a.image,
            metrics=a.metrics,
            card=a.card,
            dataset=a.dataset,
            bias_report=a.bias_report,
            explainability_report=a.explainability_report,
            label=a.label,
        )
        return register(
            platform, a.env, sub, dry_run=a.dry_run, strict=a.strict, subscribed_dataset=a.subscribed_dataset
        )

    return command.main(build_parser(), argv, job, render=render)
