"""Register: a model a team trained becomes a new version where versions are born, with its card,
its reports and its lineage.

    mlgov register --env dev --use-case credit-risk --artifact model.tar.gz \\
        --image 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3 \\
        --metrics evaluation.json --card card.json [--dataset s3://bucket/data.csv] \\
        [--bias-report bias.json] [--explainability-report explainability.json] [--label v7] \\
        [--dry-run] [--json]

1. **check**, with no AWS call (:func:`load_submission`): the use case is one of the environment's;
   the artifact is a gzip'd tar archive (an ``s3://`` artifact is checked by reading its first
   bytes before anything is written); the metrics file is a model-quality report in SageMaker's
   statistics layout; the card file is card content (the SDK's shapes) with every section the
   environment requires; the reports are Clarify ``analysis.json``. A problem is a usage error
   (exit 2) naming the file and the field, and nothing is registered.
2. **upload**, as the environment's data-scientist role, under ``models/<use case>/<version key>/``
   of the artifact bucket, SSE-KMS under the environment's key: ``model.tar.gz`` (from a local
   path uploaded, from ``s3://`` copied inside S3), ``evaluation.json``, ``bias.json``,
   ``explainability.json``.
3. **register** in one CreateModelPackage: the card (Draft) assembled from the team's sections and
   what the kit registers (quality, bias and explainability entries pointing at the objects
   above; the use case's DataZone project), ModelMetrics, ModelLifeCycle at the environment's
   stage, PendingManualApproval.
4. **record** the lineage (dataset -> training run -> model -> package) and an audit record.

Idempotent: the version key (:func:`version_key`) hashes everything that makes a version distinct:
use case, group, artifact SHA-256, image, metrics, card, reports and dataset. It is the ClientToken
and is kept in the version's metadata, so a rerun returns the existing version (and completes its
lineage when a run stopped before that). A response naming a version of another group is an
error, never a registration. ``seed`` is one caller of this path: each sample training run becomes
a :class:`Submission`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import logging
import math
import sys
import tarfile
import uuid
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from environments import PlatformConfig

from . import audit, cards, lineage
from . import evaluation as ev
from .context import EnvContext, datazone_project_id, env_context, load_config, resolve_env, resolve_use_case
from .errors import GovernanceError, UsageError, describe_client_error, error_code
from .metadata import (
    META_DATA_HASH,
    META_KEY,
    META_LABEL,
    META_MODEL_SHA256,
    META_REPORT_SHA256,
    STAGE_REGISTERED,
)
from .output import common_parser, run_job, table
from .promote.copy import head, server_side_copy
from .versions import describe_version, list_versions, version_number

logger = logging.getLogger(__name__)

#: Model-quality sections of SageMaker's statistics layout, one of which the metrics file holds.
QUALITY_SECTIONS = (
    "binary_classification_metrics",
    "multiclass_classification_metrics",
    "regression_metrics",
)
#: PutObject's limit: a larger archive is put in S3 first and registered by its ``s3://`` URI.
MAX_UPLOAD = 5 * 1024**3
#: Bytes of an ``s3://`` artifact read to check that it is a gzip'd tar before anything is written.
ARCHIVE_PROBE = 64 * 1024
#: ``ContainerImage`` and ``StringParameterValue`` limits of the SageMaker API.
IMAGE_MAX, METADATA_VALUE_MAX, SOURCE_URI_MAX = 255, 256, 2048
#: Where the dataset's content hash is not known to the kit.
UNKNOWN = lineage.UNKNOWN


@dataclass(frozen=True)
class Artifact:
    """The model archive: its bytes (a local file or a training run) or an ``s3://`` URI."""

    source: str
    """As given: a path, an ``s3://`` URI, or the training run that produced ``body``."""
    body: bytes | None = None

    @property
    def s3_location(self) -> tuple[str, str] | None:
        if self.body is not None:
            return None
        bucket, key = self.source[5:].split("/", 1)
        return bucket, key


@dataclass(frozen=True)
class Submission:
    """Everything one version is made of, read and checked; building one makes no AWS call."""

    use_case: str
    image: str
    artifact: Artifact
    metrics_report: bytes
    """The model-quality report as given (uploaded as ``evaluation.json``)."""
    metrics: dict[str, float]
    """Its metrics by name, for the card's quality entry and the gates."""
    sections: dict[str, Any]
    """Card sections the team supplies (validated card content)."""
    metrics_group: str = "binary_classification"
    bias_report: bytes | None = None
    explainability_report: bytes | None = None
    dataset_uri: str | None = None
    dataset_hash: str | None = None
    """SHA-256 of the dataset's content; None when the kit could not read it."""
    label: str | None = None
    description: str | None = None
    training: dict[str, Any] = field(default_factory=dict)
    """``algorithm``, ``hyperparameters``, ``metrics`` of the training run, for lineage."""
    quality_observation: str = "Model quality reported by the team (metrics file)."
    quality_metadata: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    """Further CustomerMetadataProperties (seed's run key)."""
    reason: str = "register"
    """Why, for the audit record."""


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


# -- reading and checking what a team supplies (no AWS call) ------------------------------------
def _read(path: str, option: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise UsageError(f"{option} {path}: cannot read it: {err.strerror}") from None


def _json(raw: bytes, option: str, path: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise UsageError(f"{option} {path}: not JSON: {err}") from None


def check_archive(data: bytes, *, source: str, complete: bool = True) -> None:
    """Raise :class:`UsageError` unless ``data`` is a gzip'd tar archive holding a file (when not
    ``complete``, ``data`` is the archive's beginning and only its first member is checked)."""

    def refuse(why: str) -> UsageError:
        return UsageError(
            f"--artifact {source}: not a model archive ({why}); expected a gzip'd tar archive "
            "(model.tar.gz) of the model's files, as SageMaker loads it"
        )

    if not data.startswith(b"\x1f\x8b"):
        raise refuse("not gzip-compressed")
    if not complete:
        try:
            block = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)[: tarfile.BLOCKSIZE]
            tarfile.TarInfo.frombuf(block, tarfile.ENCODING, "surrogateescape")
        except (zlib.error, tarfile.TarError) as err:
            raise refuse(f"no tar header: {err}") from None
        return
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            files = [m.name for m in tar.getmembers() if m.isfile()]
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        raise refuse(str(err) or type(err).__name__) from None
    if not files:
        raise refuse("it holds no file")


def parse_metrics(raw: bytes, *, source: str) -> tuple[str, dict[str, float]]:
    """``(metric group, {name: value})`` of a model-quality report in SageMaker's statistics
    layout (Model Monitor's ``statistics.json``): ``{"binary_classification_metrics":
    {"accuracy": {"value": 0.9, ...}, ...}}``. Entries without a ``value`` (a confusion matrix)
    are not metrics of the card and are skipped."""
    data = _json(raw, "--metrics", source)
    present = [s for s in QUALITY_SECTIONS if isinstance(data, dict) and s in data]
    if not present:
        raise UsageError(
            f"--metrics {source}: no {' or '.join(QUALITY_SECTIONS)} object; expected a "
            'model-quality report in SageMaker\'s layout, e.g. {"binary_classification_metrics": '
            '{"accuracy": {"value": 0.91}}}'
        )
    section = present[0]
    body = data[section]
    if not isinstance(body, dict):
        raise UsageError(f"--metrics {source}: {section}: expected an object of metric -> {{value}}")
    metrics: dict[str, float] = {}
    for name, entry in body.items():
        if not isinstance(entry, dict) or "value" not in entry:
            continue
        value = entry["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise UsageError(f"--metrics {source}: {section}.{name}.value: expected a number, got {value!r}")
        metrics[str(name)] = float(value)
    if not metrics:
        raise UsageError(f"--metrics {source}: {section}: no metric with a numeric value")
    return section.removesuffix("_metrics"), metrics


def _report(path: str | None, option: str, validate: Any) -> bytes | None:
    if path is None:
        return None
    raw = _read(path, option)
    try:
        validate(_json(raw, option, path), source=f"{option} {path}")
    except ev.ReportError as err:
        raise UsageError(str(err)) from None
    return raw


def _artifact(value: str) -> Artifact:
    if value.startswith("s3://"):
        bucket, _, key = value[5:].partition("/")
        if not bucket or not key or key.endswith("/"):
            raise UsageError(f"--artifact {value}: expected s3://bucket/key of one object")
        return Artifact(value)
    path = Path(value)
    if path.is_file() and path.stat().st_size > MAX_UPLOAD:
        raise UsageError(
            f"--artifact {value}: larger than 5 GiB, the most one upload takes; put it in S3 and "
            "pass its s3:// URI (it is then copied inside S3)"
        )
    body = _read(value, "--artifact")
    check_archive(body, source=value)
    return Artifact(value, body)


def _dataset(value: str | None) -> tuple[str | None, str | None]:
    """Dataset URI and content hash for lineage. A local file is hashed; a URI is recorded as
    given with its hash ``unknown`` (the kit does not read other buckets, and a hash of the URI
    would claim a content it never saw)."""
    if value is None:
        return None, None
    if "://" in value:
        if len(value) > SOURCE_URI_MAX:
            raise UsageError(f"--dataset: URI longer than {SOURCE_URI_MAX} characters")
        return value, None
    path = Path(value)
    if not path.is_file():
        raise UsageError(
            f"--dataset {value}: no such file; give a local file (its content is hashed) or a URI "
            "such as s3://bucket/key (recorded with its hash unknown)"
        )
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return path.resolve().as_uri(), digest.hexdigest()


def _training_of(sections: Mapping[str, Any], metrics: Mapping[str, float]) -> dict[str, Any]:
    """What lineage records of a team's training run: the card's hyperparameters and the
    metrics. The algorithm is not a field of a package card, so it stays unknown."""
    job = (sections.get("training_details") or {}).get("training_job_details") or {}
    params = job.get("user_provided_hyper_parameters") or job.get("hyper_parameters") or []
    return {
        "algorithm": None,
        "hyperparameters": {p["name"]: p.get("value") for p in params},
        "metrics": dict(metrics),
    }


def load_submission(
    platform: PlatformConfig,
    env_name: str,
    *,
    use_case: str,
    artifact: str,
    image: str,
    metrics: str,
    card: str,
    dataset: str | None = None,
    bias_report: str | None = None,
    explainability_report: str | None = None,
    label: str | None = None,
) -> Submission:
    """Read and check everything ``mlgov register`` is given; no AWS call is made."""
    env = resolve_env(platform, env_name)
    use_case = resolve_use_case(env, use_case)
    if not image or len(image) > IMAGE_MAX or any(c.isspace() for c in image):
        raise UsageError(
            f"--image {image!r}: expected a container image URI of at most {IMAGE_MAX} characters "
            "without spaces, e.g. <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>"
        )
    if label is not None and not 0 < len(label) <= METADATA_VALUE_MAX:
        raise UsageError(f"--label: expected 1 to {METADATA_VALUE_MAX} characters")
    sections = cards.load_overrides(card)
    # The kit writes these sections itself; the rest must come from the team.
    missing = [
        s
        for s in env.governance.required_card_sections
        if s not in cards.present_sections(cards.validate_card(sections)) | set(cards.KIT_SECTIONS)
    ]
    if missing:
        raise UsageError(
            f"card file {card}: missing section(s) {', '.join(missing)}, required in environment "
            f"{env.name!r} (governance.required_card_sections in {env.source or env.name + '.yaml'})"
        )
    metrics_report = _read(metrics, "--metrics")
    group, values = parse_metrics(metrics_report, source=metrics)
    dataset_uri, dataset_hash = _dataset(dataset)
    return Submission(
        use_case=use_case,
        image=image,
        artifact=_artifact(artifact),
        metrics_report=metrics_report,
        metrics=values,
        metrics_group=group,
        sections=sections,
        bias_report=_report(bias_report, "--bias-report", ev.validate_bias_report),
        explainability_report=_report(
            explainability_report, "--explainability-report", ev.validate_explainability_report
        ),
        dataset_uri=dataset_uri,
        dataset_hash=dataset_hash,
        label=label,
        training=_training_of(sections, values),
        quality_observation=f"Model quality reported by the team ({Path(metrics).name}).",
        reason=f"register: {label or Path(artifact).name}",
    )


# -- the version key ---------------------------------------------------------------------------
def key_of(material: Mapping[str, Any]) -> str:
    """A UUID-shaped key of ``material`` (fits ``ClientToken``: 36 characters, [a-zA-Z0-9-])."""
    digest = hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()
    return str(uuid.UUID(digest[:32]))


def _sha256(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


def version_key(sub: Submission, group: str, artifact_sha256: str) -> str:
    """The key of the version ``sub`` makes in ``group``: everything that makes a version
    distinct. Two use cases, or two groups, never share one (the cause of a second use case's
    versions landing in the first one's group)."""
    return key_of(
        {
            "use_case": sub.use_case,
            "group": group,
            "artifact_sha256": artifact_sha256,
            "image": sub.image,
            "metrics_sha256": _sha256(sub.metrics_report),
            "card": sub.sections,
            "bias_sha256": _sha256(sub.bias_report),
            "explainability_sha256": _sha256(sub.explainability_report),
            "dataset": [sub.dataset_uri, sub.dataset_hash],
        }
    )


# -- acting in the environment -----------------------------------------------------------------
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
    try:
        sm.create_model_package_group(
            ModelPackageGroupName=group, ModelPackageGroupDescription=ctx.env.use_case(use_case).description
        )
    except ClientError as err:
        raise describe_client_error(err, role_arn=ctx.role_arn) from err
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
    try:
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
    except ClientError as err:
        raise describe_client_error(err, role_arn=ctx.role_arn) from err
    return {"uri": f"s3://{ctx.artifact_bucket}/{key}", "sha256": digest}


def _inspect_s3_artifact(ctx: EnvContext, artifact: Artifact) -> tuple[str, dict[str, Any]]:
    """SHA-256 and HeadObject of an ``s3://`` artifact, after checking its first bytes are a
    gzip'd tar. The hash is S3's own full-object SHA-256 when the object has one; otherwise the
    object is read once to hash it (it is still copied inside S3)."""
    location = artifact.s3_location
    assert location is not None
    bucket, key = location
    s3 = ctx.client("s3")
    try:
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
    except ClientError as err:
        raise describe_client_error(err, role_arn=ctx.role_arn) from err


def _put_artifact(
    ctx: EnvContext, artifact: Artifact, key: str, source_head: Mapping[str, Any] | None
) -> str:
    """The archive in the artifact bucket under the environment's key; returns its URI."""
    location = artifact.s3_location
    if location is None:
        assert artifact.body is not None
        return upload(ctx, key, artifact.body, "application/gzip")["uri"]
    assert source_head is not None
    try:
        server_side_copy(
            ctx.client("s3"),
            source_bucket=location[0],
            source_key=location[1],
            bucket=ctx.artifact_bucket,
            key=key,
            kms_key_arn=ctx.kms_key_arn,
            source_head=source_head,
        )
    except ClientError as err:
        raise describe_client_error(err, role_arn=ctx.role_arn) from err
    return f"s3://{ctx.artifact_bucket}/{key}"


def record_lineage(ctx: EnvContext, sub: Submission, arn: str, model_uri: str) -> dict[str, str]:
    """Dataset -> training run -> model -> package of a registered version (idempotent)."""
    try:
        return lineage.record_registration(
            ctx.client("sagemaker"),
            package_arn=arn,
            env=ctx.env.name,
            dataset_uri=sub.dataset_uri,
            dataset_hash=sub.dataset_hash,
            model_uri=model_uri,
            training=sub.training,
        )
    except ClientError as err:
        raise describe_client_error(err, role_arn=ctx.role_arn) from err


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
    try:
        arn = str(ctx.client("sagemaker").create_model_package(**request)["ModelPackageArn"])
    except ClientError as err:
        raise describe_client_error(err, role_arn=ctx.role_arn) from err
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
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """Register one checked submission in ``env_name`` as its data-scientist role."""
    target = prepare(platform, env_name, sub.use_case, job="register", dry_run=dry_run, source=source)
    return {
        "environment": env_name,
        "use_case": target.use_case,
        "group": target.group,
        "group_created": target.group_created,
        "datazone_project_id": target.project_id,
        "dry_run": dry_run,
        "version": register_submission(target, sub, dry_run=dry_run),
    }


def render(result: dict[str, Any]) -> str:
    head_line = (
        f"register {result['environment']}: group {result['group']}"
        f"{' (created)' if result['group_created'] else ''}; DataZone project "
        f"{result['datazone_project_id']}{' [dry run]' if result['dry_run'] else ''}"
    )
    return head_line + "\n" + table([result["version"]], ["label", "version", "status", "arn"])


def build_parser() -> argparse.ArgumentParser:
    p = common_parser(
        "Register a model your team trained as a new version, with its model card, reports and "
        "lineage, in the first environment of the chain. Everything is checked before any AWS call."
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
    p.add_argument("--bias-report", default=None, help="SageMaker Clarify bias analysis.json")
    p.add_argument(
        "--explainability-report", default=None, help="SageMaker Clarify explainability analysis.json"
    )
    p.add_argument("--label", default=None, help="human label of the version (default: from its key)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def job(a: argparse.Namespace) -> dict[str, Any]:
        platform = load_config(a.config_dir)
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
        return register(platform, a.env, sub, dry_run=a.dry_run)

    return run_job(job, args, render)


if __name__ == "__main__":
    sys.exit(main())
