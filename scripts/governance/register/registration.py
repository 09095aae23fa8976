"""Acting in the environment: a checked :class:`.submission.Submission` becomes a version in the
group where versions are born, as the environment's data-scientist role.

1. **upload** under ``models/<use case>/<version key>/`` of the artifact bucket, SSE-KMS under the
   environment's key: ``model.tar.gz`` (from a local path uploaded, from ``s3://`` copied inside
   S3 after its first bytes are checked), ``evaluation.json``, ``bias.json``,
   ``explainability.json``.
2. **register** in one CreateModelPackage: the card (Draft) assembled from the team's sections and
   what the kit registers (quality, bias and explainability entries pointing at the objects
   above; the use case's DataZone project), ModelMetrics, ModelLifeCycle at the environment's
   stage, PendingManualApproval.
3. **record** the lineage (dataset -> training run -> model -> package) and an audit record.

The version key is the ClientToken and is kept in the version's metadata, so a rerun returns the
existing version (and completes its lineage when a run stopped before that). A response naming a
version of another group is an error, never a registration.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import boto3

from environments import PlatformConfig
from scripts.aws import kit_errors

from .. import audit, cards, lineage
from .. import evaluation as ev
from ..baseline import BASELINE_DIR, CONSTRAINTS, STATISTICS
from ..context import EnvContext, datazone_project_id, env_context, resolve_use_case
from ..errors import GateFailure, GovernanceError, RefusedError, UsageError
from ..metadata import (
    META_DATA_HASH,
    META_KEY,
    META_LABEL,
    META_MODEL_SHA256,
    META_REPORT_SHA256,
    STAGE_REGISTERED,
)
from ..promote.copy import head, server_side_copy
from ..versions import describe_version, list_versions, version_number
from . import preview
from .submission import ARCHIVE_PROBE, UNKNOWN, Artifact, Submission, check_archive, version_key

logger = logging.getLogger(__name__)


@dataclass
class Target:
    """The group a version is registered into, as the environment's data-scientist role."""

    ctx: EnvContext
    use_case: str
    group: str
    group_created: bool
    project_id: str
    versions: dict[str, dict[str, Any]]
    """DescribeModelPackage of every version already in the group, by ARN."""

    def find(self, value: str, meta_key: str = META_KEY) -> str | None:
        """The version whose metadata has ``meta_key`` = ``value``, if any."""
        for arn, desc in self.versions.items():
            if (desc.get("CustomerMetadataProperties") or {}).get(meta_key) == value:
                return arn
        return None


def ensure_group(ctx: EnvContext, use_case: str, *, dry_run: bool) -> tuple[str, bool]:
    """The group name from SSM; created only when missing (normally Terraform made it)."""
    group = ctx.group_name(use_case)
    sm = ctx.client("sagemaker")
    with kit_errors(ctx.role_arn, allow=("ValidationException", "ResourceNotFound")):
        sm.describe_model_package_group(ModelPackageGroupName=group)
        return group, False
    if dry_run:
        logger.info("dry run: would create model package group %s", group)
        return group, True
    with kit_errors(ctx.role_arn):
        sm.create_model_package_group(
            ModelPackageGroupName=group, ModelPackageGroupDescription=ctx.env.use_case(use_case).description
        )
    logger.info("created model package group %s", group)
    return group, True


def prepare(
    platform: PlatformConfig,
    env_name: str,
    use_case: str | None,
    *,
    job: str,
    dry_run: bool,
    source: boto3.Session | None = None,
) -> Target:
    """The group of ``use_case`` in ``env_name`` (created when missing) and its versions, as the
    environment's data-scientist role. Only where versions are born: downstream environments
    get theirs by promotion."""
    ctx = env_context(platform, env_name, "data_scientist", job=job, source=source)
    use_case = resolve_use_case(ctx.env, use_case)
    if ctx.env.promotes_from is not None:
        raise UsageError(
            f"{job} registers new versions only where versions are born; {env_name!r} promotes "
            f"from {ctx.env.promotes_from!r} (use `mlgov promote` to bring versions in)"
        )
    project_id = datazone_project_id(platform, use_case, job=job, source=source)
    group, created = ensure_group(ctx, use_case, dry_run=dry_run)
    versions = (
        {}
        if (dry_run and created)
        else {
            s["ModelPackageArn"]: describe_version(ctx, s["ModelPackageArn"])
            for s in list_versions(ctx, group)
        }
    )
    return Target(ctx, use_case, group, created, project_id, versions)


def check_group(target: Target, arn: str, key: str) -> None:
    """Refuse a version ARN that is not in the target's group (and account): a registration
    answered with another group's version registered nothing here."""
    env = target.ctx.env
    expected = f"arn:aws:sagemaker:{env.region}:{env.account_id}:model-package/{target.group}/"
    if arn.startswith(expected) and arn[len(expected) :].isdigit():
        return
    other = arn.split("model-package/", 1)[-1].rsplit("/", 1)[0]
    raise GovernanceError(
        f"registering use case {target.use_case!r} into group {target.group} of environment "
        f"{env.name!r} was answered with {arn}, a version of group {other}: refused, nothing is "
        f"reported as registered. The idempotency key {key} belongs to that version. Fix: make "
        "every key name the use case and the group (register.version_key does; a caller of "
        "CreateModelPackage must not reuse a ClientToken across groups), and check that SSM "
        f"parameter {target.ctx.names.ssm_group_name(target.use_case)} names this use case's "
        "group (redeploy the environment's stack if not)."
    )


def upload(ctx: EnvContext, key: str, body: bytes, content_type: str) -> dict[str, str]:
    """Upload under the environment's KMS key with an S3-computed SHA-256 checksum."""
    digest = hashlib.sha256(body).hexdigest()
    with kit_errors(ctx.role_arn):
        ctx.client("s3").put_object(
            Bucket=ctx.artifact_bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=ctx.kms_key_arn,
            ChecksumAlgorithm="SHA256",  # S3 keeps the checksum; promotion verifies copies by it
            Metadata={"sha256": digest},
        )
    return {"uri": f"s3://{ctx.artifact_bucket}/{key}", "sha256": digest}


def _inspect_s3_artifact(ctx: EnvContext, artifact: Artifact) -> tuple[str, dict[str, Any]]:
    """SHA-256 and HeadObject of an ``s3://`` artifact, after checking its first bytes are a
    gzip'd tar. The hash is S3's own full-object SHA-256 when the object has one; otherwise the
    object is read once to hash it (it is still copied inside S3)."""
    location = artifact.s3_location
    assert location is not None
    bucket, key = location
    s3 = ctx.client("s3")
    with kit_errors(ctx.role_arn):
        found = head(s3, bucket, key)
        if found is None:
            raise UsageError(f"--artifact {artifact.source}: no such object (as {ctx.role_arn})")
        probe = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{ARCHIVE_PROBE - 1}")["Body"].read()
        check_archive(probe, source=artifact.source, complete=len(probe) < ARCHIVE_PROBE)
        checksum = found.get("ChecksumSHA256")
        if checksum and "-" not in checksum and found.get("ChecksumType", "FULL_OBJECT") == "FULL_OBJECT":
            return base64.b64decode(checksum).hex(), found
        digest = hashlib.sha256()
        for chunk in s3.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(1 << 20):
            digest.update(chunk)
        return digest.hexdigest(), found


def _put_artifact(
    ctx: EnvContext, artifact: Artifact, key: str, source_head: Mapping[str, Any] | None
) -> str:
    """The archive in the artifact bucket under the environment's key; returns its URI."""
    location = artifact.s3_location
    if location is None:
        assert artifact.body is not None
        return upload(ctx, key, artifact.body, "application/gzip")["uri"]
    assert source_head is not None
    with kit_errors(ctx.role_arn):
        server_side_copy(
            ctx.client("s3"),
            source_bucket=location[0],
            source_key=location[1],
            bucket=ctx.artifact_bucket,
            key=key,
            kms_key_arn=ctx.kms_key_arn,
            source_head=source_head,
        )
    return f"s3://{ctx.artifact_bucket}/{key}"


def record_lineage(ctx: EnvContext, sub: Submission, arn: str, model_uri: str) -> dict[str, str]:
    """Dataset -> training run -> model -> package of a registered version (idempotent)."""
    with kit_errors(ctx.role_arn):
        return lineage.record_registration(
            ctx.client("sagemaker"),
            package_arn=arn,
            env=ctx.env.name,
            dataset_uri=sub.dataset_uri,
            dataset_hash=sub.dataset_hash,
            model_uri=model_uri,
            training=sub.training,
            dataset_asset=sub.dataset_asset,
        )


def _model_uri(desc: Mapping[str, Any]) -> str:
    containers = (desc.get("InferenceSpecification") or {}).get("Containers") or []
    return str(next((c["ModelDataUrl"] for c in containers if c.get("ModelDataUrl")), ""))


def register_submission(target: Target, sub: Submission, *, dry_run: bool = False) -> dict[str, Any]:
    """Register ``sub`` in the target group, or return the version it already made there."""
    ctx = target.ctx
    source_head: dict[str, Any] | None = None
    if sub.artifact.body is not None:
        artifact_sha = hashlib.sha256(sub.artifact.body).hexdigest()
    else:
        artifact_sha, source_head = _inspect_s3_artifact(ctx, sub.artifact)
    key = version_key(sub, target.group, artifact_sha)
    label = sub.label or f"registered-{key[:8]}"
    row: dict[str, Any] = {"label": label, "key": key, "metrics": sub.metrics}
    existing = target.find(key)
    if existing is not None:
        check_group(target, existing, key)
        if not dry_run:
            # A run stopped after CreateModelPackage left the lineage short: complete it.
            record_lineage(ctx, sub, existing, _model_uri(target.versions[existing]))
        logger.info("%s already registered as %s", label, existing)
        return {**row, "arn": existing, "version": version_number(existing), "status": "exists"}
    if dry_run:
        return {**row, "arn": None, "version": None, "status": "would-create"}

    prefix = f"models/{sub.use_case}/{key}/"
    base = f"s3://{ctx.artifact_bucket}/{prefix}"
    bias_uri = base + "bias.json" if sub.bias_report is not None else None
    shap_uri = base + "explainability.json" if sub.explainability_report is not None else None
    quality = cards.quality_evaluation(
        sub.metrics,
        report_uri=base + "evaluation.json",
        observation=sub.quality_observation,
        group=sub.metrics_group,
        metadata=sub.quality_metadata,
    )
    evaluations = ev.card_evaluations(
        json.loads(sub.bias_report) if sub.bias_report is not None else None,
        json.loads(sub.explainability_report) if sub.explainability_report is not None else None,
        bias_uri=bias_uri,
        explainability_uri=shap_uri,
    )
    card = cards.assemble(
        sub.sections,
        creator=ctx.caller_arn(),
        artifact_uri=base + "model.tar.gz",
        evaluations=[quality, *evaluations],
        datazone_project_id=target.project_id,
        use_case=sub.use_case,
        dataset_asset=(
            (sub.dataset_asset["asset_id"], sub.dataset_asset["revision"]) if sub.dataset_asset else None
        ),
    )
    content = cards.card_json(card)  # validated before anything is written

    model_uri = _put_artifact(ctx, sub.artifact, prefix + "model.tar.gz", source_head)
    report = upload(ctx, prefix + "evaluation.json", sub.metrics_report, "application/json")
    metrics: dict[str, Any] = {
        "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": report["uri"]}}
    }
    if sub.bias_report is not None:
        bias = upload(ctx, prefix + "bias.json", sub.bias_report, "application/json")
        metrics["Bias"] = {"Report": {"ContentType": "application/json", "S3Uri": bias["uri"]}}
    if sub.explainability_report is not None:
        shap = upload(ctx, prefix + "explainability.json", sub.explainability_report, "application/json")
        metrics["Explainability"] = {"Report": {"ContentType": "application/json", "S3Uri": shap["uri"]}}
    if sub.baseline_statistics is not None and sub.baseline_constraints is not None:
        # Where AWS keeps a version's data-quality baseline, and the directory mlgov monitor reads.
        metrics["ModelDataQuality"] = {
            "Statistics": {
                "ContentType": "application/json",
                "S3Uri": upload(
                    ctx, prefix + BASELINE_DIR + STATISTICS, sub.baseline_statistics, "application/json"
                )["uri"],
            },
            "Constraints": {
                "ContentType": "application/json",
                "S3Uri": upload(
                    ctx, prefix + BASELINE_DIR + CONSTRAINTS, sub.baseline_constraints, "application/json"
                )["uri"],
            },
        }
    stage = ctx.lifecycle_stage
    request: dict[str, Any] = {
        "ModelPackageGroupName": target.group,
        "ModelPackageDescription": (sub.description or f"{label}: registered from {sub.artifact.source}")[
            :1024
        ],
        "InferenceSpecification": {
            "Containers": [{"Image": sub.image, "ModelDataUrl": model_uri}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        "ModelMetrics": metrics,
        "ModelApprovalStatus": "PendingManualApproval",
        "ModelCard": {"ModelCardContent": content, "ModelCardStatus": "Draft"},
        "SecurityConfig": {"KmsKeyId": ctx.kms_key_arn},
        "ModelLifeCycle": {
            "Stage": stage,
            "StageStatus": STAGE_REGISTERED,
            "StageDescription": f"{sub.reason}"[:1024],
        },
        "CustomerMetadataProperties": {
            META_KEY: key,
            META_LABEL: label,
            META_DATA_HASH: sub.dataset_hash or UNKNOWN,
            META_MODEL_SHA256: artifact_sha,
            META_REPORT_SHA256: report["sha256"],
            **sub.metadata,
        },
        "ClientToken": key,
    }
    with kit_errors(ctx.role_arn):
        arn = str(ctx.client("sagemaker").create_model_package(**request)["ModelPackageArn"])
    check_group(target, arn, key)
    record_lineage(ctx, sub, arn, model_uri)
    version = version_number(arn)
    audit.record(
        ctx,
        action="register",
        model_package_arn=arn,
        group=target.group,
        version=version,
        reason=sub.reason,
        before={},
        after={
            "ModelApprovalStatus": "PendingManualApproval",
            "ModelCardStatus": "Draft",
            "Stage": stage,
        },
        extra={
            "evaluation_metrics": sub.metrics,
            "idempotency_key": key,
            "artifact": sub.artifact.source,
            "dataset": sub.dataset_uri,
        },
        token=key,
    )
    return {**row, "arn": arn, "version": version, "status": "created"}


def register(
    platform: PlatformConfig,
    env_name: str,
    sub: Submission,
    *,
    dry_run: bool = False,
    strict: bool = False,
    subscribed_dataset: bool = False,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """Register one checked submission in ``env_name`` as its data-scientist role, after checking
    it against every downstream environment's gates (:mod:`.preview`; no AWS call): what would
    refuse it is reported, and with ``strict`` the registration is refused instead. With
    ``subscribed_dataset`` the dataset is the one the use case's project holds an approved
    DataZone subscription to (refused without one): its prefix and the content hash its catalog
    form records for lineage, its asset id and revision on the card and in lineage."""
    if subscribed_dataset:
        if sub.dataset_uri is not None:
            raise UsageError("--dataset and --subscribed-dataset both name the training dataset: give one")
        from scripts.datazone import datasets

        found = datasets.subscribed(platform, env_name, use_case=sub.use_case, source=source)
        sub = replace(sub, dataset_uri=found["s3_uri"], dataset_hash=found["sha256"], dataset_asset=found)
    downstream = preview.check_downstream(platform, env_name, sub)
    notes = preview.metric_notes(sub.metrics_group, list(sub.metrics), preview.gate_metric_names(platform))
    refused = [d for d in downstream if d["refused"]]
    if strict and refused:
        failures = [
            GateFailure(
                f"{d['env']} {f['gate']}",
                f["reason"] + (f"; {f['hint']}" if f.get("hint") else ""),
                f["value"],
                f["limit"],
            )
            for d in refused
            for f in d["failures"]
        ]
        raise RefusedError(
            f"--strict: {', '.join(d['env'] for d in refused)} would refuse this version at promotion "
            "(each failed gate below); nothing registered. Fix the submission, or register without "
            "--strict to keep it in "
            f"{env_name} only",
            failures,
        )
    target = prepare(platform, env_name, sub.use_case, job="register", dry_run=dry_run, source=source)
    return {
        "environment": env_name,
        "use_case": target.use_case,
        "group": target.group,
        "group_created": target.group_created,
        "datazone_project_id": target.project_id,
        "dataset_asset": (
            {k: sub.dataset_asset[k] for k in ("asset_id", "revision", "asset_name", "subscription_id")}
            if sub.dataset_asset
            else None
        ),
        "dry_run": dry_run,
        "version": register_submission(target, sub, dry_run=dry_run),
        "downstream": downstream,
        "metric_notes": notes,
    }
