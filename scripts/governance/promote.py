"""Promote: pull an approved model version from the upstream environment into this one.

Runs as the TARGET environment's promotion role, which the upstream group policy, bucket policy
and key policy grant read access (and UpdateModelPackage on the source, to record where it went).

1. **gates** on the source version: ModelApprovalStatus Approved; card status Approved; the
   target's ``governance.required_card_sections`` present; the target's ``metric_minimums`` met
   (from the card's evaluation metrics, else from the evaluation report). A refusal names every
   failed gate, writes nothing and exits 1.
2. **lock**: an S3 object (``promotions/<token>.lock``) created with ``If-None-Match: *``, so concurrent runs for one version
   serialize; the others wait and then find the work done.
3. **copy**: model artifact and evaluation report copied server side (CopyObject; multipart
   UploadPartCopy above 5 GiB) into the target bucket under the target KMS key. No artifact
   byte passes through this process.
4. **verify**: size, KMS key and S3-computed SHA-256 of every copy against its source.
5. **register**: the target version (card re-pointed at the copies, metrics at the copied
   report, the target's lifecycle stage, PendingManualApproval, metadata naming source ARN,
   account, environment and version) with a ClientToken derived from source ARN + target.
6. **lineage**: lineage artifacts for source and target model packages, associated source ->
   target.
7. **annotate source**: the source version's metadata and lifecycle say where it went.
8. **audit**: the promotion's audit record and event in the target environment.

Every step is "ensure": it checks whether its result already exists first. A promotion record
(``promotions/<token>.json`` in the target bucket) notes the registration before and after it
happens, so a run stopped after any step finishes on the next run with no duplicate and no
orphan, and a second run returns the existing target.

    python -m scripts.governance.promote --env staging --version 1 [--dry-run] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError

from environments import Names, PlatformConfig

from . import audit, cards
from .common import (
    AwsCallError,
    EnvContext,
    GovernanceError,
    RefusedError,
    UsageError,
    common_parser,
    describe_client_error,
    describe_version,
    env_context,
    error_code,
    load_config,
    resolve_env,
    resolve_use_case,
    run_job,
    utcnow,
    version_number,
)

logger = logging.getLogger(__name__)

#: Steps after the gates, in order (fault-injection tests stop a run after each one).
STEPS = ("lock", "copy", "verify", "register", "lineage", "annotate-source", "audit")

#: Above this size an object is copied with multipart UploadPartCopy (CopyObject's limit: 5 GiB).
MULTIPART_THRESHOLD = 5 * 1024**3
#: Part size of a multipart copy (S3 allows 5 MiB .. 5 GiB per part, at most 10,000 parts).
MULTIPART_PART_SIZE = 512 * 1024**2
MIN_PART_SIZE = 5 * 1024**2

#: A lock older than this is taken to belong to a run that died.
LOCK_TTL = timedelta(minutes=15)
#: Pause between creating the lock and reading it back.
LOCK_SETTLE_SECONDS = 0.05
#: How long a run waits for a concurrent run of the same promotion before giving up.
LOCK_WAIT_SECONDS = 300.0

META_SOURCE_ARN = "mlgov-source-arn"
META_SOURCE_ACCOUNT = "mlgov-source-account"
META_SOURCE_ENV = "mlgov-source-env"
META_SOURCE_VERSION = "mlgov-source-version"
META_TOKEN = "mlgov-promotion-token"
META_PROMOTED_TO = "mlgov-promoted-to-{env}"

#: Where a gate finds each metric in the evaluation report (SageMaker model-quality layout).
REPORT_METRIC_PATHS = ("metrics", "binary_classification_metrics")


class PromotionConflict(GovernanceError):
    """Another run of the same promotion holds the lock longer than we are willing to wait."""


@dataclass
class Plan:
    """What one promotion acts on; built from the source version and the target's SSM."""

    source_env: str
    target_env: str
    use_case: str
    source_arn: str
    source: dict[str, Any]
    card: Any
    token: str
    target_group: str
    target_bucket: str
    target_key_arn: str
    target_stage: str
    copies: list[dict[str, str]] = field(default_factory=list)
    steps: dict[str, str] = field(default_factory=dict)


def promotion_token(source_arn: str, target_account: str, target_env: str) -> str:
    """ClientToken of the promotion: the same source into the same target is the same request."""
    digest = hashlib.sha256(f"{source_arn}|{target_account}|{target_env}".encode()).hexdigest()
    return str(uuid.UUID(digest[:32]))


def split_s3(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise AwsCallError(f"not an S3 object URI: {uri!r}")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


# -- gates ----------------------------------------------------------------------------------
def check_gates(ctx: EnvContext, source: Mapping[str, Any], card: Any) -> list[dict[str, str]]:
    """Every failed gate with its reason (empty: all pass). Reads, never writes."""
    gov = ctx.env.governance
    failures: list[dict[str, str]] = []
    approval = source.get("ModelApprovalStatus")
    if approval != "Approved":
        failures.append(
            {"gate": "approval", "reason": f"ModelApprovalStatus is {approval}, must be Approved"}
        )
    card_status = (source.get("ModelCard") or {}).get("ModelCardStatus")
    if card_status != "Approved":
        failures.append(
            {
                "gate": "card_status",
                "reason": f"model card status is {card_status or 'absent'}, must be Approved",
            }
        )
    present = cards.present_sections(card)
    missing = [s for s in gov.required_card_sections if s not in present]
    if missing:
        failures.append(
            {
                "gate": "card_sections",
                "reason": f"card lacks section(s) {', '.join(missing)} required by {ctx.env.name}",
            }
        )
    if gov.metric_minimums:
        metrics = cards.evaluation_metrics(card)
        if any(m not in metrics for m in gov.metric_minimums):
            metrics = {**_report_metrics(ctx, source), **metrics}
        for name, floor in sorted(gov.metric_minimums.items()):
            value = metrics.get(name)
            if value is None:
                failures.append(
                    {
                        "gate": f"metric:{name}",
                        "reason": f"{name} is not in the card's evaluation metrics nor "
                        f"the evaluation report; {ctx.env.name} requires >= {floor}",
                    }
                )
            elif value < floor:
                failures.append(
                    {
                        "gate": f"metric:{name}",
                        "reason": f"{name} = {value} is below {ctx.env.name}'s minimum {floor}",
                    }
                )
    return failures


def _report_metrics(ctx: EnvContext, source: Mapping[str, Any]) -> dict[str, float]:
    """Metrics from the evaluation report (only when the card does not carry them)."""
    uri = (((source.get("ModelMetrics") or {}).get("ModelQuality") or {}).get("Statistics") or {}).get(
        "S3Uri"
    )
    if not uri:
        return {}
    bucket, key = split_s3(uri)
    try:
        report = json.loads(ctx.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    except ClientError as err:
        raise describe_client_error(err, role_arn=ctx.role_arn) from err
    out: dict[str, float] = {}
    for path in REPORT_METRIC_PATHS:
        for name, value in (report.get(path) or {}).items():
            value = value.get("value") if isinstance(value, dict) else value
            if isinstance(value, (int, float)):
                out.setdefault(name, float(value))
    return out


# -- lock -----------------------------------------------------------------------------------
#: Lock and promotion record share one prefix, so the promotion role needs one grant for both.
STATE_PREFIX = "promotions/"


def _lock_key(token: str) -> str:
    return f"{STATE_PREFIX}{token}.lock"


def acquire_lock(ctx: EnvContext, plan: Plan, wait_seconds: float) -> str | None:
    """Create the lock object and return its owner id. While another run holds it, wait (the
    steps after it then find that run's work done); take over a lock older than LOCK_TTL."""
    s3 = ctx.client("s3")
    owner = uuid.uuid4().hex
    deadline = time.monotonic() + wait_seconds
    body = json.dumps({"owner": owner, "started": utcnow().isoformat(), "source": plan.source_arn})
    waited = False
    while True:
        try:
            s3.put_object(
                Bucket=plan.target_bucket,
                Key=_lock_key(plan.token),
                Body=body.encode(),
                IfNoneMatch="*",
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=plan.target_key_arn,
            )
            # Confirm after a moment: S3's conditional put is atomic, but a store that checks
            # and writes in two moves (some emulators) can let two writers through; the read
            # back tells the later writer's run it lost.
            time.sleep(LOCK_SETTLE_SECONDS)
            held = _read_json(ctx, plan.target_bucket, _lock_key(plan.token))
            if held is not None and held.get("owner") == owner:
                return owner
            logger.info("lost the promotion lock of %s to a concurrent run", plan.source_arn)
        except ClientError as err:
            if error_code(err) not in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise describe_client_error(err, role_arn=ctx.role_arn) from err
        held = _read_json(ctx, plan.target_bucket, _lock_key(plan.token))
        if held is not None and held.get("owner") != owner:
            started = held.get("started", "")
            try:
                age = utcnow() - datetime.fromisoformat(started)
            except ValueError:
                age = LOCK_TTL * 2
            if age > LOCK_TTL:
                logger.warning("lock of promotion %s is stale (%s old); taking it over", plan.token, age)
                _delete(ctx, plan.target_bucket, _lock_key(plan.token))
                continue
        if not waited:
            logger.info("another run is promoting %s; waiting for it", plan.source_arn)
            waited = True
        if time.monotonic() > deadline:
            raise PromotionConflict(
                f"another run has held the promotion lock s3://{plan.target_bucket}/"
                f"{_lock_key(plan.token)} for more than {wait_seconds:.0f}s; rerun later (a lock "
                f"older than {LOCK_TTL} is taken over)"
            )
        time.sleep(0.2)


def release_lock(ctx: EnvContext, plan: Plan, owner: str) -> None:
    held = _read_json(ctx, plan.target_bucket, _lock_key(plan.token))
    if held is not None and held.get("owner") == owner:
        _delete(ctx, plan.target_bucket, _lock_key(plan.token))


def _read_json(ctx: EnvContext, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        return json.loads(ctx.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    except ClientError as err:
        if error_code(err) in ("NoSuchKey", "404", "NotFound"):
            return None
        raise describe_client_error(err, role_arn=ctx.role_arn) from err


def _delete(ctx: EnvContext, bucket: str, key: str) -> None:
    try:
        ctx.client("s3").delete_object(Bucket=bucket, Key=key)
    except ClientError as err:
        raise describe_client_error(err, role_arn=ctx.role_arn) from err


# -- copy and verify ------------------------------------------------------------------------
def _head(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        return s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    except ClientError as err:
        if error_code(err) in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def server_side_copy(
    s3: Any,
    *,
    source_bucket: str,
    source_key: str,
    bucket: str,
    key: str,
    kms_key_arn: str,
    source_head: Mapping[str, Any],
    threshold: int = MULTIPART_THRESHOLD,
    part_size: int = MULTIPART_PART_SIZE,
) -> dict[str, Any]:
    """Copy inside S3 under ``kms_key_arn``: CopyObject up to ``threshold`` bytes, multipart
    UploadPartCopy above it (aborted on failure, so no parts are left behind)."""
    size = int(source_head["ContentLength"])
    metadata = {
        **(source_head.get("Metadata") or {}),
        "source-etag": source_head["ETag"].strip('"'),
        "source-uri": f"s3://{source_bucket}/{source_key}",
    }
    encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_arn}
    copy_source = {"Bucket": source_bucket, "Key": source_key}
    if size <= threshold:
        s3.copy_object(
            Bucket=bucket,
            Key=key,
            CopySource=copy_source,
            MetadataDirective="REPLACE",
            Metadata=metadata,
            ContentType=source_head.get("ContentType", "binary/octet-stream"),
            ChecksumAlgorithm="SHA256",
            **encryption,
        )
        return {"method": "copy_object", "parts": 1}
    part_size = max(part_size, MIN_PART_SIZE, -(-size // 10_000))
    upload = s3.create_multipart_upload(
        Bucket=bucket,
        Key=key,
        Metadata=metadata,
        ContentType=source_head.get("ContentType", "binary/octet-stream"),
        **encryption,
    )
    upload_id = upload["UploadId"]
    parts = []
    try:
        for number, start in enumerate(range(0, size, part_size), start=1):
            end = min(start + part_size, size) - 1
            resp = s3.upload_part_copy(
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                CopySource=copy_source,
                CopySourceRange=f"bytes={start}-{end}",
            )
            parts.append({"PartNumber": number, "ETag": resp["CopyPartResult"]["ETag"]})
        s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    except BaseException:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        raise
    return {"method": "upload_part_copy", "parts": len(parts)}


def verify_copy(
    source_head: Mapping[str, Any], target_head: Mapping[str, Any] | None, kms_key_arn: str
) -> list[str]:
    """Why the copy does not match its source (empty: it does)."""
    if target_head is None:
        return ["the copy does not exist"]
    problems = []
    if int(target_head["ContentLength"]) != int(source_head["ContentLength"]):
        problems.append(f"size {target_head['ContentLength']} != source {source_head['ContentLength']}")
    if target_head.get("SSEKMSKeyId") != kms_key_arn:
        problems.append(f"encrypted under {target_head.get('SSEKMSKeyId')}, not the target key {kms_key_arn}")
    meta = target_head.get("Metadata") or {}
    if meta.get("source-etag") != source_head["ETag"].strip('"'):
        problems.append("copied from a different source object (ETag recorded at copy differs)")
    src_sum, dst_sum = source_head.get("ChecksumSHA256"), target_head.get("ChecksumSHA256")
    # S3 computes both checksums itself; a multipart copy has a composite one ("...-N").
    if src_sum and dst_sum and "-" not in dst_sum and src_sum != dst_sum:
        problems.append(f"SHA-256 {dst_sum} != source {src_sum}")
    if not (src_sum and dst_sum) and (source_head.get("Metadata") or {}).get("sha256") != meta.get("sha256"):
        problems.append("recorded sha256 differs from the source's")
    return problems


def ensure_copies(ctx: EnvContext, plan: Plan, *, threshold: int, part_size: int) -> str:
    s3 = ctx.client("s3")
    did = "skipped"
    for copy in plan.copies:
        try:
            src = _head(s3, copy["source_bucket"], copy["source_key"])
            if src is None:
                raise AwsCallError(
                    f"source artifact s3://{copy['source_bucket']}/{copy['source_key']} "
                    "is missing; the source version is broken"
                )
            copy["source_head"] = src
            existing = _head(s3, plan.target_bucket, copy["key"])
            if existing is not None and not verify_copy(src, existing, plan.target_key_arn):
                copy["method"] = "existing"
                continue
            copy.update(
                server_side_copy(
                    s3,
                    source_bucket=copy["source_bucket"],
                    source_key=copy["source_key"],
                    bucket=plan.target_bucket,
                    key=copy["key"],
                    kms_key_arn=plan.target_key_arn,
                    source_head=src,
                    threshold=threshold,
                    part_size=part_size,
                )
            )
            did = "done"
        except ClientError as err:
            raise describe_client_error(err, role_arn=ctx.role_arn) from err
    return did


def verify_copies(ctx: EnvContext, plan: Plan) -> str:
    s3 = ctx.client("s3")
    problems = []
    for copy in plan.copies:
        try:
            target = _head(s3, plan.target_bucket, copy["key"])
        except ClientError as err:
            raise describe_client_error(err, role_arn=ctx.role_arn) from err
        for p in verify_copy(copy["source_head"], target, plan.target_key_arn):
            problems.append(f"s3://{plan.target_bucket}/{copy['key']}: {p}")
    if problems:
        raise AwsCallError("copied artifacts failed verification, nothing registered: " + "; ".join(problems))
    return "done"


# -- registration -----------------------------------------------------------------------------
def _record_key(token: str) -> str:
    return f"{STATE_PREFIX}{token}.json"


def _write_record(ctx: EnvContext, plan: Plan, **state: Any) -> None:
    body = {
        "token": plan.token,
        "source_arn": plan.source_arn,
        "target_env": plan.target_env,
        "updated": utcnow().isoformat(),
        **state,
    }
    try:
        ctx.client("s3").put_object(
            Bucket=plan.target_bucket,
            Key=_record_key(plan.token),
            Body=json.dumps(body, sort_keys=True).encode(),
            ContentType="application/json",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=plan.target_key_arn,
        )
    except ClientError as err:
        raise describe_client_error(err, role_arn=ctx.role_arn) from err


def find_target(ctx: EnvContext, plan: Plan) -> str | None:
    """The target version of this promotion if it exists: from the promotion record, or (when a
    run stopped between CreateModelPackage and the record) by the token in version metadata."""
    record = _read_json(ctx, plan.target_bucket, _record_key(plan.token))
    if record is None:
        return None  # no registration was ever attempted
    if record.get("target_arn"):
        return record["target_arn"]
    started = record.get("registering_since")
    after = datetime.fromisoformat(started) - timedelta(minutes=5) if started else None
    sm = ctx.client("sagemaker")
    kwargs: dict[str, Any] = {
        "ModelPackageGroupName": plan.target_group,
        "ModelPackageType": "Versioned",
        "SortBy": "CreationTime",
        "SortOrder": "Descending",
    }
    if after is not None:
        kwargs["CreationTimeAfter"] = after
    try:
        for page in sm.get_paginator("list_model_packages").paginate(**kwargs):
            for summary in page.get("ModelPackageSummaryList", []):
                desc = describe_version(ctx, summary["ModelPackageArn"])
                if (desc.get("CustomerMetadataProperties") or {}).get(META_TOKEN) == plan.token:
                    return summary["ModelPackageArn"]
    except ClientError as err:
        raise describe_client_error(err, role_arn=ctx.role_arn) from err
    return None


def target_request(plan: Plan) -> dict[str, Any]:
    src = plan.source
    by_role = {c["role"]: f"s3://{plan.target_bucket}/{c['key']}" for c in plan.copies}
    inference = json.loads(json.dumps(src.get("InferenceSpecification") or {}))
    for container in inference.get("Containers", []):
        if container.get("ModelDataUrl") and "model" in by_role:
            container["ModelDataUrl"] = by_role["model"]
    card = cards.repoint(
        plan.card,
        artifact_uri=by_role.get("model", ""),
        report_uri=by_role.get("report", ""),
        extra_details={"promoted_from": plan.source_arn, "promoted_from_env": plan.source_env},
    )
    meta = dict(src.get("CustomerMetadataProperties") or {})
    for key in list(meta):
        if key.startswith("mlgov-promoted-to-"):
            meta.pop(key)  # where the source went next is not the target's history
    meta.update(
        {
            META_SOURCE_ARN: plan.source_arn,
            META_SOURCE_ACCOUNT: plan.source_arn.split(":")[4],
            META_SOURCE_ENV: plan.source_env,
            META_SOURCE_VERSION: str(version_number(plan.source_arn)),
            META_TOKEN: plan.token,
        }
    )
    request: dict[str, Any] = {
        "ModelPackageGroupName": plan.target_group,
        "ModelPackageDescription": src.get("ModelPackageDescription", "")[:1024],
        "ModelApprovalStatus": "PendingManualApproval",
        # Content reviewed upstream; the target's approvers review it again here.
        "ModelCard": {"ModelCardContent": cards.card_json(card), "ModelCardStatus": "PendingReview"},
        "SecurityConfig": {"KmsKeyId": plan.target_key_arn},
        "ModelLifeCycle": {
            "Stage": plan.target_stage,
            "StageStatus": "Registered",
            "StageDescription": f"promoted from {plan.source_env}: {plan.source_arn}",
        },
        "CustomerMetadataProperties": meta,
        "ClientToken": plan.token,
    }
    if inference:
        request["InferenceSpecification"] = inference
    if "report" in by_role:
        request["ModelMetrics"] = {
            "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": by_role["report"]}}
        }
    return request


def ensure_registered(ctx: EnvContext, plan: Plan) -> tuple[str, bool]:
    noted = (_read_json(ctx, plan.target_bucket, _record_key(plan.token)) or {}).get("target_arn")
    if noted:
        return noted, False  # the record stays as it is (it may already note the audit)
    existing = find_target(ctx, plan)
    if existing is not None:
        _write_record(ctx, plan, state="registered", target_arn=existing)
        return existing, False
    request = target_request(plan)  # card validated before any write
    _write_record(ctx, plan, state="registering", registering_since=utcnow().isoformat())
    try:
        arn = ctx.client("sagemaker").create_model_package(**request)["ModelPackageArn"]
    except ClientError as err:
        raise describe_client_error(err, role_arn=ctx.role_arn) from err
    _write_record(ctx, plan, state="registered", target_arn=arn)
    return arn, True


# -- lineage, source annotation, audit ----------------------------------------------------------
def _artifact_for(ctx: EnvContext, package_arn: str, env_name: str) -> str:
    sm = ctx.client("sagemaker")
    for page in sm.get_paginator("list_artifacts").paginate(SourceUri=package_arn):
        for summary in page.get("ArtifactSummaries", []):
            return summary["ArtifactArn"]
    group, number = package_arn.split("/")[-2:]
    try:
        return sm.create_artifact(
            ArtifactName=f"{group}-{env_name}-v{number}"[:120],
            Source={"SourceUri": package_arn},
            ArtifactType="ModelPackage",
            Properties={"account": package_arn.split(":")[4], "environment": env_name},
        )["ArtifactArn"]
    except ClientError as err:
        # Created meanwhile by another run: use that one.
        if "already exists" not in str(err):
            raise
        for page in sm.get_paginator("list_artifacts").paginate(SourceUri=package_arn):
            for summary in page.get("ArtifactSummaries", []):
                return summary["ArtifactArn"]
        raise


def ensure_lineage(ctx: EnvContext, plan: Plan, target_arn: str) -> str:
    sm = ctx.client("sagemaker")
    try:
        src = _artifact_for(ctx, plan.source_arn, plan.source_env)
        dst = _artifact_for(ctx, target_arn, plan.target_env)
        found = sm.list_associations(SourceArn=src, DestinationArn=dst).get("AssociationSummaries", [])
        if found:
            return "skipped"
        sm.add_association(SourceArn=src, DestinationArn=dst, AssociationType="ContributedTo")
    except ClientError as err:
        raise describe_client_error(err, role_arn=ctx.role_arn) from err
    return "done"


def ensure_source_annotated(ctx: EnvContext, plan: Plan, target_arn: str) -> str:
    key = META_PROMOTED_TO.format(env=plan.target_env)
    current = describe_version(ctx, plan.source_arn)
    if (current.get("CustomerMetadataProperties") or {}).get(key) == target_arn:
        return "skipped"
    life = current.get("ModelLifeCycle") or {}
    try:
        ctx.client("sagemaker").update_model_package(
            ModelPackageArn=plan.source_arn,
            CustomerMetadataProperties={key: target_arn},
            ModelLifeCycle={
                "Stage": life.get("Stage") or Names.of(ctx.platform, plan.source_env).env.lifecycle_stage,
                "StageStatus": "Promoted",
                "StageDescription": f"promoted to {plan.target_env}: {target_arn}",
            },
        )
    except ClientError as err:
        raise describe_client_error(err, role_arn=ctx.role_arn) from err
    return "done"


def ensure_audit(ctx: EnvContext, plan: Plan, target_arn: str, created: bool) -> str:
    """The promotion's audit record, noted in the promotion record once written (the role may
    write audit records but not read or list them). Its time is the target's creation time, so
    its key is the same for every run of this promotion: two runs that both get here, or a run
    stopped between writing it and noting it, leave one record, not two."""
    record = _read_json(ctx, plan.target_bucket, _record_key(plan.token)) or {}
    if record.get("audit_key"):
        return "skipped"
    version = version_number(target_arn)
    created_at = describe_version(ctx, target_arn).get("CreationTime")
    rec = audit.record(
        ctx,
        when=created_at,
        action="promote",
        model_package_arn=target_arn,
        group=plan.target_group,
        version=version,
        reason=f"promotion of {plan.source_arn} from {plan.source_env}",
        before={
            "source_arn": plan.source_arn,
            "ModelApprovalStatus": plan.source.get("ModelApprovalStatus"),
            "ModelCardStatus": (plan.source.get("ModelCard") or {}).get("ModelCardStatus"),
        },
        after={
            "target_arn": target_arn,
            "ModelApprovalStatus": "PendingManualApproval",
            "ModelCardStatus": "PendingReview",
            "Stage": plan.target_stage,
        },
        extra={
            "token": plan.token,
            "created": created,
            "artifacts": [f"s3://{plan.target_bucket}/{c['key']}" for c in plan.copies],
        },
        token=plan.token,
    )
    _write_record(ctx, plan, state="complete", target_arn=target_arn, audit_key=rec["key"])
    return "done"


# -- the job ----------------------------------------------------------------------------------
def source_arn_of(platform: PlatformConfig, source_env: str, use_case: str, version: str) -> str:
    names = Names.of(platform, source_env)
    if version.startswith("arn:"):
        if f":{names.env.account_id}:model-package/" not in version:
            raise UsageError(
                f"{version} is not a model package of {source_env!r} (account {names.env.account_id})"
            )
        return version
    try:
        number = int(version)
    except ValueError:
        raise UsageError(
            f"version must be a version number or a model package ARN, got {version!r}"
        ) from None
    return f"{names.model_package_group_arn(use_case).replace(':model-package-group/', ':model-package/')}/{number}"


def plan_promotion(ctx: EnvContext, use_case: str, version: str) -> Plan:
    source_env = ctx.env.promotes_from
    if source_env is None:
        raise UsageError(
            f"environment {ctx.env.name!r} promotes from nothing (promotes_from is "
            f"null in {ctx.env.source or ctx.env.name + '.yaml'}); promote into a "
            "downstream environment"
        )
    arn = source_arn_of(ctx.platform, source_env, use_case, version)
    source = describe_version(ctx, arn)  # cross-account read, granted by the group policy
    card = cards.parse_card((source.get("ModelCard") or {}).get("ModelCardContent"))
    token = promotion_token(arn, ctx.env.account_id, ctx.env.name)
    params = ctx.params(
        [
            ctx.names.ssm_group_name(use_case),
            ctx.names.ssm_artifact_bucket,
            ctx.names.ssm_kms_key_arn,
            ctx.names.ssm_lifecycle_stage,
        ]
    )
    plan = Plan(
        source_env=source_env,
        target_env=ctx.env.name,
        use_case=use_case,
        source_arn=arn,
        source=source,
        card=card,
        token=token,
        target_group=params[ctx.names.ssm_group_name(use_case)],
        target_bucket=params[ctx.names.ssm_artifact_bucket],
        target_key_arn=params[ctx.names.ssm_kms_key_arn],
        target_stage=params[ctx.names.ssm_lifecycle_stage],
    )
    containers = (source.get("InferenceSpecification") or {}).get("Containers") or []
    model_uri = next((c["ModelDataUrl"] for c in containers if c.get("ModelDataUrl")), None)
    report_uri = (((source.get("ModelMetrics") or {}).get("ModelQuality") or {}).get("Statistics") or {}).get(
        "S3Uri"
    )
    for role, uri in (("model", model_uri), ("report", report_uri)):
        if uri:
            bucket, key = split_s3(uri)
            plan.copies.append({"role": role, "source_bucket": bucket, "source_key": key, "key": key})
    return plan


def promote(
    platform: PlatformConfig,
    target_env: str,
    version: str,
    *,
    use_case: str | None = None,
    dry_run: bool = False,
    source: boto3.Session | None = None,
    on_step: Callable[[str], None] | None = None,
    multipart_threshold: int = MULTIPART_THRESHOLD,
    part_size: int = MULTIPART_PART_SIZE,
    lock_wait_seconds: float = LOCK_WAIT_SECONDS,
) -> dict[str, Any]:
    """Promote ``version`` of the upstream environment into ``target_env`` (see module doc).

    ``on_step`` is called after each step in :data:`STEPS` completes (progress, fault tests)."""
    target = resolve_env(platform, target_env)
    ctx = env_context(platform, target.name, "promotion", job="promote", source=source)
    uc = resolve_use_case(ctx.env, use_case)
    plan = plan_promotion(ctx, uc, version)
    failures = check_gates(ctx, plan.source, plan.card)
    result: dict[str, Any] = {
        "source_env": plan.source_env,
        "target_env": plan.target_env,
        "use_case": uc,
        "source_arn": plan.source_arn,
        "token": plan.token,
        "dry_run": dry_run,
    }
    if failures:
        raise RefusedError(
            f"promotion of {plan.source_arn} into {target.name} refused: "
            + "; ".join(f"{f['gate']}: {f['reason']}" for f in failures),
            failures,
        )
    if dry_run:
        existing = _read_json(ctx, plan.target_bucket, _record_key(plan.token))
        return {
            **result,
            "gates": "passed",
            "target_arn": (existing or {}).get("target_arn"),
            "would_copy": [
                f"s3://{c['source_bucket']}/{c['source_key']} -> s3://{plan.target_bucket}/{c['key']}"
                for c in plan.copies
            ],
        }

    def done(step: str, status: str) -> None:
        plan.steps[step] = status
        logger.info("promote %s -> %s: %s %s", plan.source_arn, target.name, step, status)
        if on_step is not None:
            on_step(step)

    owner = acquire_lock(ctx, plan, lock_wait_seconds)
    target_arn, created = "", False
    try:
        done("lock", "done")
        done("copy", ensure_copies(ctx, plan, threshold=multipart_threshold, part_size=part_size))
        done("verify", verify_copies(ctx, plan))
        target_arn, created = ensure_registered(ctx, plan)
        done("register", "done" if created else "skipped")
        done("lineage", ensure_lineage(ctx, plan, target_arn))
        done("annotate-source", ensure_source_annotated(ctx, plan, target_arn))
        done("audit", ensure_audit(ctx, plan, target_arn, created))
    finally:
        release_lock(ctx, plan, owner)
    return {
        **result,
        "target_arn": target_arn,
        "created": created,
        "steps": dict(plan.steps),
        "artifacts": [{"key": c["key"], "method": c.get("method")} for c in plan.copies],
    }


def render(result: dict[str, Any]) -> str:
    if result.get("dry_run"):
        lines = [f"dry run: {result['source_arn']} -> {result['target_env']}: gates passed"]
        lines += [f"  would copy {c}" for c in result["would_copy"]]
        if result.get("target_arn"):
            lines.append(f"  already promoted as {result['target_arn']}")
        return "\n".join(lines)
    state = "promoted" if result["created"] else "already promoted"
    steps = ", ".join(f"{k}={v}" for k, v in result["steps"].items())
    return f"{state}: {result['source_arn']} -> {result['target_arn']}\n  steps: {steps}"


def build_parser() -> argparse.ArgumentParser:
    p = common_parser(
        "Promote an approved model version from the upstream environment into "
        "--env (pull, as --env's promotion role), behind --env's governance gates."
    )
    p.add_argument(
        "--version",
        required=True,
        help="version number in the UPSTREAM environment's group, or its model package ARN",
    )
    p.add_argument(
        "--use-case",
        default=None,
        help="use case name from the environment file (default: its first use case)",
    )
    p.add_argument(
        "--lock-wait",
        type=float,
        default=LOCK_WAIT_SECONDS,
        help="seconds to wait for a concurrent run of the same promotion (default: 300)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def job(a: argparse.Namespace) -> dict[str, Any]:
        return promote(
            load_config(a.config_dir),
            a.env,
            a.version,
            use_case=a.use_case,
            dry_run=a.dry_run,
            lock_wait_seconds=a.lock_wait,
        )

    return run_job(job, args, render)


if __name__ == "__main__":
    sys.exit(main())
