"""Registration of the target version and what records it: lineage and the audit record. Each
function is an "ensure": it returns what exists instead of doing it twice.

Everything the target needs is in its CreateModelPackage request (card, metrics, lifecycle,
metadata naming its source): the promotion role holds no UpdateModelPackage, neither on the
upstream version nor on its own (separation of duties), so nothing is written after creation.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from scripts.aws import kit_errors

from .. import audit, lineage
from ..context import EnvContext, paginate
from ..metadata import (
    GATES_PASSED,
    META_GATE_RESULTS,
    META_GATES,
    META_PROMOTED_TO_PREFIX,
    META_SOURCE_ACCOUNT,
    META_SOURCE_ARN,
    META_SOURCE_ENV,
    META_SOURCE_VERSION,
    META_TOKEN,
    STAGE_REGISTERED,
)
from ..versions import describe_version, version_number
from .gates import gate_record
from .plan import EVALUATION_REPORT_ROLES, Plan, read_record, write_record

if TYPE_CHECKING:
    from sagemaker.core.shapes.model_card_shapes import ModelCardContent

#: How far before the noted start of a registration the metadata scan looks (clock skew).
REGISTRATION_SKEW = timedelta(minutes=5)


def find_target(ctx: EnvContext, plan: Plan) -> str | None:
    """The target version of this promotion if it exists: from the promotion record, or (when a
    run stopped between CreateModelPackage and the record) by the token in version metadata."""
    record = read_record(ctx, plan)
    if not record:
        return None  # no registration was ever attempted
    if record.get("target_arn"):
        return str(record["target_arn"])
    kwargs: dict[str, Any] = {
        "ModelPackageGroupName": plan.target_group,
        "ModelPackageType": "Versioned",
        "SortBy": "CreationTime",
        "SortOrder": "Descending",
    }
    started = record.get("registering_since")
    if started:
        kwargs["CreationTimeAfter"] = datetime.fromisoformat(started) - REGISTRATION_SKEW
    with kit_errors(ctx.role_arn):
        for summary in paginate(
            ctx.client("sagemaker"), "list_model_packages", "ModelPackageSummaryList", **kwargs
        ):
            desc = describe_version(ctx, summary["ModelPackageArn"])
            if (desc.get("CustomerMetadataProperties") or {}).get(META_TOKEN) == plan.token:
                return str(summary["ModelPackageArn"])
    return None


def repoint_reports(
    card: ModelCardContent, original: ModelCardContent, copies: dict[str, str]
) -> ModelCardContent:
    """``card`` (re-pointed by :func:`cards.repoint`, which re-points the artifact and the quality
    entry) with each bias and explainability entry naming the copy of its OWN report, as
    ``original`` named it (``copies``: source URI -> copy URI)."""
    own = {
        item.name: item.datasets
        for item in original.evaluation_details or []
        if item.name in EVALUATION_REPORT_ROLES and item.datasets
    }
    if not own:
        return card
    items = [
        item.model_copy(update={"datasets": [copies.get(d, d) for d in own[item.name]]})
        if item.name in own
        else item
        for item in card.evaluation_details or []
    ]
    return card.model_copy(update={"evaluation_details": items})


def _repoint_metrics(metrics: dict[str, Any], copies: dict[str, str]) -> dict[str, Any]:
    """ModelMetrics with every MetricsSource S3Uri replaced by its copy."""
    out = json.loads(json.dumps(metrics))
    for section in out.values():
        for source in (section or {}).values():
            if isinstance(source, dict) and source.get("S3Uri") in copies:
                source["S3Uri"] = copies[source["S3Uri"]]
    return out


def target_request(plan: Plan) -> dict[str, Any]:
    """CreateModelPackage of the target: the source's content re-pointed at the copies, pending
    the target's own review, with metadata naming the source and the promotion token."""
    from .. import cards  # the SageMaker SDK's card shapes: loaded by a promotion, not by --help

    src = plan.source
    by_role: dict[str, str] = {}
    copies: dict[str, str] = {}
    for c in plan.copies:
        uri = plan.target_uri(c)
        by_role.setdefault(c.role, uri)
        copies[c.source_uri] = uri
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
    card = repoint_reports(card, plan.card, copies)
    # Where the source went next is not the target's history.
    meta = {
        k: v
        for k, v in (src.get("CustomerMetadataProperties") or {}).items()
        if not k.startswith(META_PROMOTED_TO_PREFIX)
    }
    meta.update(
        {
            META_SOURCE_ARN: plan.source_arn,
            META_SOURCE_ACCOUNT: plan.source_arn.split(":")[4],
            META_SOURCE_ENV: plan.source_env,
            META_SOURCE_VERSION: str(version_number(plan.source_arn)),
            META_TOKEN: plan.token,
            # The gates this version passed, where only promotion writes (CreateModelPackage:
            # a versioned package carries no tags of its own, and nobody may change mlgov-*
            # metadata after creation); approval in a strict tier reads it.
            META_GATES: GATES_PASSED,
            META_GATE_RESULTS: gate_record(plan.gate_results),
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
            "StageStatus": STAGE_REGISTERED,
            "StageDescription": f"promoted from {plan.source_env}: {plan.source_arn}",
        },
        "CustomerMetadataProperties": meta,
        "ClientToken": plan.token,
    }
    if inference:
        request["InferenceSpecification"] = inference
    if src.get("ModelMetrics"):
        request["ModelMetrics"] = _repoint_metrics(src["ModelMetrics"], copies)
    return request


def ensure_registered(ctx: EnvContext, plan: Plan) -> tuple[str, bool]:
    """The target version's ARN and whether this run created it. The promotion record notes the
    registration before and after CreateModelPackage, so a rerun never registers twice."""
    noted = read_record(ctx, plan).get("target_arn")
    if noted:
        return str(noted), False  # the record stays as it is (it may already note the audit)
    existing = find_target(ctx, plan)
    if existing is not None:
        write_record(ctx, plan, state="registered", target_arn=existing)
        return existing, False
    request = target_request(plan)  # card validated before any write
    write_record(ctx, plan, state="registering", registering_since=datetime.now(UTC).isoformat())
    with kit_errors(ctx.role_arn):
        arn = str(ctx.client("sagemaker").create_model_package(**request)["ModelPackageArn"])
    write_record(ctx, plan, state="registered", target_arn=arn)
    return arn, True


def ensure_lineage(ctx: EnvContext, plan: Plan, target_arn: str) -> str:
    """In the target account: the artifact standing for the source package ContributedTo the
    target package's artifact (lineage never crosses accounts; see :mod:`..lineage`)."""
    sm = ctx.client("sagemaker")
    with kit_errors(ctx.role_arn):
        src = lineage.package_artifact(sm, plan.source_arn, env=plan.source_env)
        dst = lineage.package_artifact(sm, target_arn, env=plan.target_env)
        added = lineage.associate(sm, src, dst, "ContributedTo")
    return "done" if added else "skipped"


def ensure_audit(ctx: EnvContext, plan: Plan, target_arn: str, created: bool) -> str:
    """The promotion's audit record, noted in the promotion record once written (the role may
    write audit records but not read or list them). Its time is the target's creation time, so
    its key is the same for every run of this promotion: two runs that both get here, or a run
    stopped between writing it and noting it, leave one record, not two. What it records of the
    target is what the target is: its approval, card status and stage as SageMaker describes them
    (a target that arrived Approved is recorded Approved, not what the request asked for)."""
    if read_record(ctx, plan).get("audit_key"):
        return "skipped"
    target = describe_version(ctx, target_arn)
    rec = audit.record(
        ctx,
        when=target.get("CreationTime"),
        action="promote",
        model_package_arn=target_arn,
        group=plan.target_group,
        version=version_number(target_arn),
        reason=f"promotion of {plan.source_arn} from {plan.source_env}",
        before={
            "source_arn": plan.source_arn,
            "ModelApprovalStatus": plan.source.get("ModelApprovalStatus"),
            "ModelCardStatus": (plan.source.get("ModelCard") or {}).get("ModelCardStatus"),
        },
        after={
            "target_arn": target_arn,
            "ModelApprovalStatus": target.get("ModelApprovalStatus"),
            "ModelCardStatus": (target.get("ModelCard") or {}).get("ModelCardStatus"),
            "Stage": (target.get("ModelLifeCycle") or {}).get("Stage"),
        },
        extra={
            "token": plan.token,
            "created": created,
            "artifacts": [plan.target_uri(c) for c in plan.copies],
            "gates": [r.to_dict() for r in plan.gate_results],
        },
        token=plan.token,
    )
    write_record(ctx, plan, state="complete", target_arn=target_arn, audit_key=rec["key"])
    return "done"
