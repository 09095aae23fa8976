"""What one promotion acts on (:class:`Plan`), and the promotion's state objects in the target
bucket: the record (``promotions/<token>.json``) and the lock (``promotions/<token>.lock``)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from environments import Names, PlatformConfig
from scripts.aws import kit_errors

from ..context import EnvContext
from ..errors import AwsCallError, UnknownVersionError, UsageError
from ..metadata import EVAL_EXPLAINABILITY, EVAL_POST_BIAS, EVAL_PRE_BIAS
from ..versions import describe_version, version_arn

#: Lock and promotion record share one prefix, so the promotion role needs one grant for both.
STATE_PREFIX = "promotions/"


@dataclass(frozen=True)
class PlannedCopy:
    """One object a promotion copies into the target bucket."""

    role: str
    """``model`` | ``report`` | ``bias`` | ``explainability`` | ``baseline`` (the data-quality
    statistics and constraints): what it is to the version."""
    source_uri: str
    source_bucket: str
    source_key: str
    key: str
    """Its key in the target bucket (the source's key: one layout in every account)."""


@dataclass(frozen=True)
class Copied:
    """How a planned copy came to be in the target bucket, and the source it was copied from."""

    method: str
    """``copy_object``, ``upload_part_copy``, or ``existing`` (a verified copy was there)."""
    source_head: dict[str, Any]
    """HeadObject of the source (with its S3 checksum), which the verification compares with."""


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
    copies: tuple[PlannedCopy, ...] = ()
    copied: dict[str, Copied] = field(default_factory=dict)
    """Target key -> how it was copied (filled by the copy step)."""
    steps: dict[str, str] = field(default_factory=dict)
    gate_results: tuple[Any, ...] = ()
    """The target's gates on the source (:class:`.gates.GateResult`, every one passed): recorded
    on the target version and in the promotion's audit record."""

    def target_uri(self, copy: PlannedCopy) -> str:
        return f"s3://{self.target_bucket}/{copy.key}"


def promotion_token(source_arn: str, target_account: str, target_env: str) -> str:
    """ClientToken of the promotion: the same source into the same target is the same request."""
    digest = hashlib.sha256(f"{source_arn}|{target_account}|{target_env}".encode()).hexdigest()
    return str(uuid.UUID(digest[:32]))


def split_s3(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise AwsCallError(f"not an S3 object URI: {uri!r}")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


def report_uri(version: dict[str, Any]) -> str | None:
    """The evaluation report a version's ModelMetrics point at, if any."""
    quality = (version.get("ModelMetrics") or {}).get("ModelQuality") or {}
    uri = (quality.get("Statistics") or {}).get("S3Uri")
    return str(uri) if uri else None


#: The card's evaluation entries whose report travels with the version, by copy role.
EVALUATION_REPORT_ROLES = {
    EVAL_PRE_BIAS: "bias",
    EVAL_POST_BIAS: "bias",
    EVAL_EXPLAINABILITY: "explainability",
}


def artifact_uris(version: dict[str, Any], card: Any) -> list[tuple[str, str]]:
    """``(role, S3 URI)`` of everything a promotion copies, each URI once: the model archive,
    the evaluation report of ModelMetrics, the bias and explainability reports the card's
    evaluation entries (and ModelMetrics, when it names them) point at, and the data-quality
    baseline (ModelMetrics' ModelDataQuality statistics and constraints, which ``mlgov monitor``
    reads beside the copied archive: the copy keeps the source's keys)."""
    containers = (version.get("InferenceSpecification") or {}).get("Containers") or []
    found: list[tuple[str, str | None]] = [
        ("model", next((c["ModelDataUrl"] for c in containers if c.get("ModelDataUrl")), None)),
        ("report", report_uri(version)),
    ]
    metrics = version.get("ModelMetrics") or {}
    for role, section in (
        ("bias", "Bias"),
        ("explainability", "Explainability"),
        ("baseline", "ModelDataQuality"),
    ):
        for source in (metrics.get(section) or {}).values():
            found.append((role, (source or {}).get("S3Uri")))
    for item in (card.evaluation_details or []) if card is not None else []:
        if item.name in EVALUATION_REPORT_ROLES:
            found += [(EVALUATION_REPORT_ROLES[item.name], uri) for uri in item.datasets or []]
    out: list[tuple[str, str]] = []
    for kind, uri in found:
        if uri and uri.startswith("s3://") and uri not in {u for _, u in out}:
            out.append((kind, uri))
    return out


def source_arn_of(platform: PlatformConfig, source_env: str, use_case: str, version: str) -> str:
    """The source version's ARN, computed from names (the source account's SSM is not ours)."""
    names = Names.of(platform, source_env)
    return version_arn(names.env, names.model_package_group(use_case), version)


def plan_promotion(ctx: EnvContext, use_case: str, version: str) -> Plan:
    source_env = ctx.env.promotes_from
    if source_env is None:
        raise UsageError(
            f"environment {ctx.env.name!r} promotes from nothing (promotes_from is "
            f"null in {ctx.env.source or ctx.env.name + '.yaml'}); promote into a "
            "downstream environment"
        )
    arn = source_arn_of(ctx.platform, source_env, use_case, version)
    try:
        source = describe_version(ctx, arn)  # cross-account read, granted by the group policy
    except UnknownVersionError:
        raise UnknownVersionError(
            f"unknown version {arn} in environment {source_env!r}, where {ctx.env.name!r} promotes "
            f"from: --version names a version of {source_env!r} (list them with "
            f"`mlgov report --env {source_env}`)"
        ) from None
    from .. import cards  # the SageMaker SDK's card shapes: loaded by a promotion, not by --help

    card = cards.parse_card((source.get("ModelCard") or {}).get("ModelCardContent"))
    names = ctx.names
    params = ctx.params(
        [
            names.ssm_group_name(use_case),
            names.ssm_artifact_bucket,
            names.ssm_kms_key_arn,
            names.ssm_lifecycle_stage,
        ]
    )
    plan = Plan(
        source_env=source_env,
        target_env=ctx.env.name,
        use_case=use_case,
        source_arn=arn,
        source=source,
        card=card,
        token=promotion_token(arn, ctx.env.account_id, ctx.env.name),
        target_group=params[names.ssm_group_name(use_case)],
        target_bucket=params[names.ssm_artifact_bucket],
        target_key_arn=params[names.ssm_kms_key_arn],
        target_stage=params[names.ssm_lifecycle_stage],
    )
    copies = []
    for role, uri in artifact_uris(source, card):
        bucket, key = split_s3(uri)
        copies.append(PlannedCopy(role=role, source_uri=uri, source_bucket=bucket, source_key=key, key=key))
    return dataclasses.replace(plan, copies=tuple(copies))


# -- state objects in the target bucket ---------------------------------------------------------
def record_key(token: str) -> str:
    return f"{STATE_PREFIX}{token}.json"


def read_json(ctx: EnvContext, bucket: str, key: str) -> dict[str, Any] | None:
    """A JSON object of the bucket, or None when it does not exist."""
    with kit_errors(ctx.role_arn, allow=("NoSuchKey", "404", "NotFound")):
        data: dict[str, Any] = json.loads(ctx.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
        return data
    return None


def delete_object(ctx: EnvContext, bucket: str, key: str) -> None:
    with kit_errors(ctx.role_arn):
        ctx.client("s3").delete_object(Bucket=bucket, Key=key)


def read_record(ctx: EnvContext, plan: Plan) -> dict[str, Any]:
    """The promotion record (empty when no run got as far as writing one)."""
    return read_json(ctx, plan.target_bucket, record_key(plan.token)) or {}


def write_record(ctx: EnvContext, plan: Plan, **state: Any) -> None:
    """Replace the promotion record with ``state`` (plus who/what/when of the promotion)."""
    body = {
        "token": plan.token,
        "source_arn": plan.source_arn,
        "target_env": plan.target_env,
        "updated": datetime.now(UTC).isoformat(),
        **state,
    }
    with kit_errors(ctx.role_arn):
        ctx.client("s3").put_object(
            Bucket=plan.target_bucket,
            Key=record_key(plan.token),
            Body=json.dumps(body, sort_keys=True).encode(),
            ContentType="application/json",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=plan.target_key_arn,
        )
