"""Seed: register the sample use case's model versions in the first environment, each with its card.

Runs as the environment's data-scientist role. For every :data:`scripts.governance.train.DEFAULT_SPECS`
entry it trains a real small model, uploads ``model.tar.gz`` and the evaluation report to the
environment's artifact bucket (SSE-KMS under the environment's key) and registers a model
version: ModelMetrics pointing at the report, the model card (Draft, content encrypted with the
environment's key through SecurityConfig), ``PendingManualApproval`` and ``ModelLifeCycle`` at the
environment's stage.

Idempotent: each version has a deterministic key (algorithm + hyperparameters + data hash) stored
in CustomerMetadataProperties and sent as ClientToken, so a second run registers nothing twice
(and does not train again for a version that exists).

    python -m scripts.governance.seed --env dev [--dry-run] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import boto3
from botocore.exceptions import ClientError

from environments import PlatformConfig

from . import audit, cards
from .context import EnvContext, datazone_project_id, env_context, load_config, resolve_use_case
from .errors import UsageError, describe_client_error, error_code
from .metadata import META_DATA_HASH, META_KEY, META_LABEL, META_MODEL_SHA256, META_REPORT_SHA256
from .output import common_parser, run_job, table
from .train import DATASET, DEFAULT_SPECS, TrainingSpec, data_hash, idempotency_key, train
from .versions import describe_version, list_versions, version_number

logger = logging.getLogger(__name__)

SKLEARN_FRAMEWORK_VERSION = "1.2-1"


def _image_uri(region: str) -> str:
    """The SageMaker scikit-learn serving image of the region (from the SageMaker SDK's table)."""
    from sagemaker.core import image_uris

    return image_uris.retrieve("sklearn", region=region, version=SKLEARN_FRAMEWORK_VERSION)


def ensure_group(ctx: EnvContext, use_case: str, *, dry_run: bool) -> tuple[str, bool]:
    """The group name from SSM; created only when missing (normally Terraform made it)."""
    group = ctx.group_name(use_case)
    sm = ctx.client("sagemaker")
    try:
        sm.describe_model_package_group(ModelPackageGroupName=group)
        return group, False
    except ClientError as err:
        if error_code(err) not in ("ValidationException", "ResourceNotFound"):
            raise describe_client_error(err, role_arn=ctx.role_arn) from err
    if dry_run:
        logger.info("dry run: would create model package group %s", group)
        return group, True
    description = ctx.env.use_case(use_case).description
    try:
        sm.create_model_package_group(ModelPackageGroupName=group, ModelPackageGroupDescription=description)
    except ClientError as err:
        raise describe_client_error(err, role_arn=ctx.role_arn) from err
    logger.info("created model package group %s", group)
    return group, True


def existing_keys(ctx: EnvContext, group: str) -> dict[str, str]:
    """Idempotency key -> ARN of every version already registered in the group."""
    found: dict[str, str] = {}
    for summary in list_versions(ctx, group):
        desc = describe_version(ctx, summary["ModelPackageArn"])
        key = (desc.get("CustomerMetadataProperties") or {}).get(META_KEY)
        if key:
            found[key] = summary["ModelPackageArn"]
    return found


def _upload(ctx: EnvContext, key: str, body: bytes, content_type: str) -> dict[str, str]:
    """Upload under the environment's KMS key with an S3-computed SHA-256 checksum."""
    digest = hashlib.sha256(body).digest()
    try:
        ctx.client("s3").put_object(
            Bucket=ctx.artifact_bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=ctx.kms_key_arn,
            ChecksumAlgorithm="SHA256",  # S3 keeps the checksum; promotion verifies copies by it
            Metadata={"sha256": digest.hex()},
        )
    except ClientError as err:
        raise describe_client_error(err, role_arn=ctx.role_arn) from err
    return {"uri": f"s3://{ctx.artifact_bucket}/{key}", "sha256": digest.hex()}


def register_version(
    ctx: EnvContext,
    use_case: str,
    group: str,
    spec: TrainingSpec,
    project_id: str,
    card_overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Train one spec, upload its artifacts and register the version (with its card)."""
    logger.info("training %s (%s %s)", spec.label, spec.algorithm, spec.hyperparameters)
    result = train(spec)
    prefix = f"models/{use_case}/{result.idempotency_key}/"
    model_uri = f"s3://{ctx.artifact_bucket}/{prefix}model.tar.gz"
    report_uri = f"s3://{ctx.artifact_bucket}/{prefix}evaluation.json"
    card = cards.build_card(
        creator=ctx.caller_arn(),
        artifact_uri=model_uri,
        use_case=use_case,
        use_case_description=ctx.env.use_case(use_case).description,
        risk_rating=spec.risk_rating,
        algorithm=spec.algorithm,
        training_metrics=result.training_metrics,
        evaluation_metrics=result.evaluation_metrics,
        evaluation_report_uri=report_uri,
        dataset=DATASET,
        hyperparameters=spec.hyperparameters,
        datazone_project_id=project_id,
    )
    # Validated before anything is written: a bad card leaves no orphan artifacts behind.
    content = cards.card_json(cards.merge(card, card_overrides or {}))
    model = _upload(ctx, prefix + "model.tar.gz", result.model_tar_gz, "application/gzip")
    report = _upload(ctx, prefix + "evaluation.json", result.evaluation_report, "application/json")
    request = {
        "ModelPackageGroupName": group,
        "ModelPackageDescription": f"{spec.label}: {spec.algorithm} {spec.hyperparameters}",
        "InferenceSpecification": {
            "Containers": [{"Image": _image_uri(ctx.env.region), "ModelDataUrl": model["uri"]}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        "ModelMetrics": {
            "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": report["uri"]}}
        },
        "ModelApprovalStatus": "PendingManualApproval",
        "ModelCard": {"ModelCardContent": content, "ModelCardStatus": "Draft"},
        "SecurityConfig": {"KmsKeyId": ctx.kms_key_arn},
        "ModelLifeCycle": {
            "Stage": ctx.lifecycle_stage,
            "StageStatus": "Registered",
            "StageDescription": f"registered by seed from training run {spec.label}",
        },
        "CustomerMetadataProperties": {
            META_KEY: result.idempotency_key,
            META_LABEL: spec.label,
            META_DATA_HASH: data_hash(),
            META_MODEL_SHA256: model["sha256"],
            META_REPORT_SHA256: report["sha256"],
        },
        "ClientToken": result.idempotency_key,
    }
    try:
        arn = ctx.client("sagemaker").create_model_package(**request)["ModelPackageArn"]
    except ClientError as err:
        raise describe_client_error(err, role_arn=ctx.role_arn) from err
    version = version_number(arn)
    audit.record(
        ctx,
        action="register",
        model_package_arn=arn,
        group=group,
        version=version,
        reason=f"seed: training run {spec.label}",
        before={},
        after={
            "ModelApprovalStatus": "PendingManualApproval",
            "ModelCardStatus": "Draft",
            "Stage": ctx.lifecycle_stage,
        },
        extra={"evaluation_metrics": result.evaluation_metrics, "idempotency_key": result.idempotency_key},
    )
    return {
        "label": spec.label,
        "arn": arn,
        "version": version,
        "status": "created",
        "metrics": result.evaluation_metrics,
    }


def seed(
    platform: PlatformConfig,
    env_name: str,
    *,
    use_case: str | None = None,
    specs: Sequence[TrainingSpec] = DEFAULT_SPECS,
    dry_run: bool = False,
    source: boto3.Session | None = None,
    card_overrides: str | Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Register ``specs`` in ``env_name`` as its data-scientist role; returns what happened.

    ``card_overrides`` (a JSON file path or a mapping of card sections) replaces the generated
    sections of every card; it is validated before any AWS call."""
    overrides = cards.load_overrides(card_overrides)
    ctx = env_context(platform, env_name, "data_scientist", job="seed", source=source)
    use_case = resolve_use_case(ctx.env, use_case)
    if ctx.env.promotes_from is not None:
        raise UsageError(
            f"seed registers new versions only where versions are born; {env_name!r} promotes "
            f"from {ctx.env.promotes_from!r} (use `mlgov promote` to bring versions in)"
        )
    project_id = datazone_project_id(platform, use_case, job="seed", source=source)
    group, created = ensure_group(ctx, use_case, dry_run=dry_run)
    existing = {} if (dry_run and created) else existing_keys(ctx, group)
    dh = data_hash()
    versions = []
    for spec in specs:
        key = idempotency_key(spec, dh)
        if key in existing:
            arn = existing[key]
            versions.append(
                {"label": spec.label, "arn": arn, "version": version_number(arn), "status": "exists"}
            )
            logger.info("%s already registered as %s", spec.label, arn)
            continue
        if dry_run:
            versions.append({"label": spec.label, "arn": None, "version": None, "status": "would-create"})
            continue
        versions.append(register_version(ctx, use_case, group, spec, project_id, overrides))
    return {
        "environment": env_name,
        "use_case": use_case,
        "group": group,
        "group_created": created,
        "datazone_project_id": project_id,
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
        "Register the sample use case's model versions (real training runs) with "
        "their model cards in the first environment of the chain."
    )
    p.add_argument(
        "--use-case",
        default=None,
        help="use case name from the environment file (default: its first use case)",
    )
    p.add_argument(
        "--card-file",
        default=None,
        help="JSON file of model card sections (e.g. intended_uses, business_details) "
        "that replace the generated ones; validated before any AWS call",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def job(a: argparse.Namespace) -> dict[str, Any]:
        platform = load_config(a.config_dir)
        return seed(platform, a.env, use_case=a.use_case, dry_run=a.dry_run, card_overrides=a.card_file)

    return run_job(job, args, render)


if __name__ == "__main__":
    sys.exit(main())
