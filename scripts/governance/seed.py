"""Seed: register the sample use case's model versions in the first environment, each with its card.

For every :data:`scripts.governance.train.DEFAULT_SPECS` entry it trains a real small model on the
kit's credit data and hands the run to the one registration path (:mod:`.register`) as a
submission: ``model.tar.gz``, ``evaluation.json``, ``bias.json`` and ``explainability.json``
under the environment's KMS key, a version with its card (Draft; quality, bias and explainability
entries; the DataZone project), ``PendingManualApproval``, ``ModelLifeCycle`` at the
environment's stage, and lineage from the credit dataset (uploaded beside the models) to the
version. Runs as the environment's data-scientist role.

Idempotent: each version carries a run key naming the use case, the group, the spec, the data,
the image and the card file, known before training, so a second run finds it without training
again (and completes its lineage if a run stopped before that); registration's own key and
ClientToken guard the version itself.

    mlgov seed --env dev [--use-case credit-risk] [--card-file card.json] [--dry-run] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import boto3

from environments import PlatformConfig, load_platform
from scripts import command
from scripts.aws import kit_errors

from . import cards, credit_data, lineage
from .metadata import META_RUN_KEY
from .output import common_parser, table
from .register import Artifact, Submission, Target, check_group, key_of, prepare, register_submission, upload
from .train import DATASET, DEFAULT_SPECS, TrainingResult, TrainingSpec, data_hash, run_key, train
from .versions import version_number

logger = logging.getLogger(__name__)

SKLEARN_FRAMEWORK_VERSION = "1.2-1"


def image_uri(region: str) -> str:
    """The SageMaker scikit-learn serving image of the region (from the SageMaker SDK's table)."""
    from sagemaker.core import image_uris

    return str(image_uris.retrieve("sklearn", region=region, version=SKLEARN_FRAMEWORK_VERSION))


def seed_key(
    target: Target, spec: TrainingSpec, dataset_hash: str, image: str, overrides: Mapping[str, Any]
) -> str:
    """The run key of ``spec`` registered by seed into ``target``: the training run (spec and
    data) and everything seed registers with it, the use case and the group first."""
    return key_of(
        {
            "use_case": target.use_case,
            "group": target.group,
            "run": run_key(spec, dataset_hash),
            "image": image,
            "card": dict(overrides),
        }
    )


def dataset_key(use_case: str, dataset_hash: str) -> str:
    """Where the credit data lies in the artifact bucket (under models/, which is what the
    data-scientist role may write)."""
    return f"models/{use_case}/datasets/{dataset_hash[:16]}/credit.csv"


def submission(
    target: Target,
    result: TrainingResult,
    *,
    image: str,
    dataset_uri: str,
    overrides: Mapping[str, Any],
    run: str,
) -> Submission:
    """One training run as a registration: the card sections seed writes (replaced whole by the
    card file's), its reports, and the run key."""
    spec = result.spec
    sections = cards.sample_sections(
        use_case=target.use_case,
        use_case_description=target.ctx.env.use_case(target.use_case).description,
        risk_rating=spec.risk_rating,
        algorithm=spec.algorithm,
        training_metrics=result.training_metrics,
        dataset=DATASET,
        hyperparameters=spec.hyperparameters,
    )
    return Submission(
        use_case=target.use_case,
        image=image,
        artifact=Artifact(f"training run {spec.label}", result.model_tar_gz),
        metrics_report=result.evaluation_report,
        metrics=result.evaluation_metrics,
        sections={**sections, **overrides},
        bias_report=result.bias_report,
        explainability_report=result.explainability_report,
        baseline_statistics=result.baseline_statistics,
        baseline_constraints=result.baseline_constraints,
        dataset_uri=dataset_uri,
        dataset_hash=result.dataset_hash,
        label=spec.label,
        description=f"{spec.label}: {spec.algorithm} on {', '.join(spec.features)} {spec.hyperparameters}",
        training={
            "algorithm": spec.algorithm,
            "hyperparameters": spec.hyperparameters,
            "metrics": result.evaluation_metrics,
        },
        quality_observation="Stratified 25% holdout of the training dataset.",
        quality_metadata={
            "hyperparameters": json.dumps(spec.hyperparameters, sort_keys=True),
            "features": ",".join(spec.features),
        },
        metadata={META_RUN_KEY: run},
        reason=f"seed: training run {spec.label}",
    )


def _lineage_recorded(target: Target, arn: str) -> bool:
    with kit_errors(target.ctx.role_arn):
        return lineage.is_recorded(target.ctx.client("sagemaker"), arn)


def seed(
    platform: PlatformConfig,
    env_name: str,
    *,
    use_case: str | None = None,
    specs: Sequence[TrainingSpec] = DEFAULT_SPECS,
    dry_run: bool = False,
    source: boto3.Session | None = None,
    card_overrides: str | Mapping[str, Any] | None = None,
    trainer: Callable[[TrainingSpec], TrainingResult] | None = None,
) -> dict[str, Any]:
    """Register ``specs`` in ``env_name`` as its data-scientist role; returns what happened.

    ``card_overrides`` (a JSON file path or a mapping of card sections) replaces the sections seed
    writes (evaluation entries are added to the kit's); it is validated before any AWS call.
    ``trainer`` makes a training run (default: this module's ``train``, looked up at call time;
    the demo passes :func:`.train.train_ahead`'s, whose runs started while the stacks synthesized)."""
    overrides = cards.load_overrides(card_overrides)
    target = prepare(platform, env_name, use_case, job="seed", dry_run=dry_run, source=source)
    image = image_uri(target.ctx.env.region)
    dh = data_hash()
    dataset_uri: str | None = None
    versions = []
    for spec in specs:
        run = seed_key(target, spec, dh, image, overrides)
        arn = target.find(run, META_RUN_KEY)
        if arn is not None and (dry_run or _lineage_recorded(target, arn)):
            check_group(target, arn, run)
            versions.append(
                {"label": spec.label, "arn": arn, "version": version_number(arn), "status": "exists"}
            )
            logger.info("%s already registered as %s", spec.label, arn)
            continue
        if dry_run:
            versions.append({"label": spec.label, "arn": None, "version": None, "status": "would-create"})
            continue
        logger.info("training %s (%s %s)", spec.label, spec.algorithm, spec.hyperparameters)
        result = (trainer or train)(spec)
        if dataset_uri is None:
            csv = credit_data.generate().to_csv().encode()
            dataset_uri = upload(target.ctx, dataset_key(target.use_case, dh), csv, "text/csv")["uri"]
        sub = submission(target, result, image=image, dataset_uri=dataset_uri, overrides=overrides, run=run)
        row = register_submission(target, sub)
        versions.append({k: row[k] for k in ("label", "arn", "version", "status", "metrics")})
    return {
        "environment": env_name,
        "use_case": target.use_case,
        "group": target.group,
        "group_created": target.group_created,
        "datazone_project_id": target.project_id,
        "dry_run": dry_run,
        "versions": versions,
    }


def render(result: dict[str, Any]) -> str:
    head = (
        f"seed {result['environment']}: group {result['group']}"
        f"{' (created)' if result['group_created'] else ''}; DataZone project "
        f"{result['datazone_project_id']}{' [dry run]' if result['dry_run'] else ''}"
    )
    return head + "\n" + table(result["versions"], ["label", "version", "status", "arn"])


def build_parser() -> argparse.ArgumentParser:
    p = common_parser(
        prog="mlgov seed",
        description="Register the sample use case's model versions (real training runs on the kit's credit "
        "data) with their model cards, reports and lineage in the first environment of the chain.",
    )
    p.add_argument(
        "--use-case",
        default=None,
        help="use case name from the environment file (required when the environment has several; default: its only one)",
    )
    p.add_argument(
        "--card-file",
        default=None,
        help="JSON file of model card sections (e.g. intended_uses, business_details) "
        "that replace the generated ones; validated before any AWS call",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    def job(a: argparse.Namespace) -> dict[str, Any]:
        platform = load_platform(a.config_dir)
        return seed(platform, a.env, use_case=a.use_case, dry_run=a.dry_run, card_overrides=a.card_file)

    return command.main(build_parser(), argv, job, render=render)


if __name__ == "__main__":
    sys.exit(main())
