"""Approved model versions in the DataZone catalog: one asset per use case and environment
(``<prefix>-<use case>-model-<env>``, type ``MlgovModelAssetType``) in the use case's project,
whose ``MlgovModelForm`` carries the card's business details, intended uses and risk rating, an
evaluation summary (quality, bias, explainability), the approval and lifecycle stage, the model
package ARN and the source dataset's asset id (the card's ``custom_details.dataset_asset_id``,
when registration recorded one).

- an Approved version (card not Archived) newer than the one listed becomes the asset's next
  revision, listed;
- a Rejected version, or one whose card is Archived, is unlisted when it is the one listed (an
  older listed version stays listed); a version never listed stays unlisted.

Once listed, the version's card records its asset: ``custom_details.model_asset_id`` and
``model_asset_revision`` (:data:`~scripts.governance.metadata.MODEL_ASSET_KEY`), written by the
environment's approver (the one role that changes versions in a strict tier; UpdateModelPackage of
the card content, which AWS allows on any card not Archived) and audited (``catalog-asset``). The
report shows them. A card that already names that asset and revision is not written again, so a
republish changes nothing; an unlisted version's card keeps naming the asset it was published as.
A promotion does not copy them (:func:`scripts.governance.cards.repoint`): the copy's own approval
publishes it as its environment's asset and records that one.

The version is read in its environment (``--env``) as that environment's approver; the catalog is
written as the DataZone home environment's data scientist, a contributor of the use case's project
(``mlgov data setup``). :func:`publish_version` is the call an approval makes
(scripts/governance/review.py) and ``mlgov data publish-model`` makes again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import boto3

from environments import PlatformConfig
from scripts.aws import kit_errors
from scripts.errors import AwsCallError, CredentialsError
from scripts.governance import audit
from scripts.governance.context import EnvContext, env_context, resolve_use_case
from scripts.governance.errors import UsageError
from scripts.governance.metadata import (
    DATASET_ASSET_KEY,
    EVAL_EXPLAINABILITY,
    EVAL_POST_BIAS,
    EVAL_PRE_BIAS,
    MODEL_ASSET_KEY,
    MODEL_ASSET_REVISION_KEY,
)
from scripts.governance.versions import describe_version, resolve_version, version_number

from .catalog import Catalog, role_context
from .types import MODEL_ASSET_TYPE, MODEL_FORM

logger = logging.getLogger(__name__)

_SUMMARY_MAX = 1000
#: The card's model-quality entry (``scripts.governance.cards.EVAL_QUALITY``, spelled here so the
#: approval path does not load the SageMaker SDK's card shapes; a test checks they agree).
EVAL_QUALITY = "holdout-evaluation"


def asset_name(ctx: EnvContext, use_case: str, env: str) -> str:
    return f"{ctx.names.prefix}-{use_case}-model-{env}"


def _metrics(entry: Mapping[str, Any]) -> str:
    parts = []
    for group in entry.get("metric_groups") or []:
        for metric in group.get("metric_data") or []:
            value = metric.get("value")
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            parts.append(f"{metric.get('name')}={shown}")
    return "; ".join(parts)


def evaluation_summary(card: Mapping[str, Any]) -> dict[str, str]:
    """quality / bias / explainability, each ``metric=value; ...`` from the card's entries."""
    entries = {e.get("name"): e for e in card.get("evaluation_details") or []}
    bias = "; ".join(
        f"{name}: {_metrics(entries[name])}" for name in (EVAL_PRE_BIAS, EVAL_POST_BIAS) if name in entries
    )
    summary = {
        "quality": _metrics(entries[EVAL_QUALITY]) if EVAL_QUALITY in entries else "",
        "bias": bias,
        "explainability": _metrics(entries[EVAL_EXPLAINABILITY]) if EVAL_EXPLAINABILITY in entries else "",
    }
    return {k: v[:_SUMMARY_MAX] for k, v in summary.items() if v}


def model_form(desc: Mapping[str, Any], *, use_case: str, env: str) -> dict[str, Any]:
    """The ``MlgovModelForm`` of a version, from its description (card, approval, stage)."""
    card = json.loads((desc.get("ModelCard") or {}).get("ModelCardContent") or "{}")
    business = card.get("business_details") or {}
    uses = card.get("intended_uses") or {}
    details = (card.get("additional_information") or {}).get("custom_details") or {}
    life = desc.get("ModelLifeCycle") or {}
    form: dict[str, Any] = {
        "modelPackageArn": desc["ModelPackageArn"],
        "useCase": use_case,
        "environment": env,
        "version": version_number(desc["ModelPackageArn"]),
        "businessProblem": business.get("business_problem"),
        "lineOfBusiness": business.get("line_of_business"),
        "businessStakeholders": business.get("business_stakeholders"),
        "intendedUses": uses.get("intended_uses") or uses.get("purpose_of_model"),
        "riskRating": uses.get("risk_rating") or "Unknown",
        "evaluation": evaluation_summary(card),
        "approvalStatus": desc.get("ModelApprovalStatus"),
        "stage": "/".join(s for s in (life.get("Stage"), life.get("StageStatus")) if s) or "unknown",
        "sourceDatasetAssetId": details.get(DATASET_ASSET_KEY),
    }
    return {k: v for k, v in form.items() if v not in (None, "", {})}


def _listed_version(cat: Catalog, asset: Mapping[str, Any] | None) -> int | None:
    """The version the asset's listed revision describes; None when not listed."""
    if asset is None:
        return None
    listing = asset.get("listing") or {}
    listed = cat._listed_revision(listing.get("listingId"))
    if listed is None:
        return None
    shown = (
        asset
        if listed == asset["revision"]
        else cat.call("get_asset", identifier=asset["id"], revision=listed)
    )
    forms = {f["formName"]: json.loads(f.get("content") or "{}") for f in shown.get("formsOutput", [])}
    version = (forms.get(MODEL_FORM) or {}).get("version")
    return int(version) if version is not None else None


def record_on_card(version_ctx: EnvContext, desc: Mapping[str, Any], *, asset_id: str, revision: str) -> str:
    """The version's card names its catalog asset and the revision listing it
    (``custom_details``), written as ``version_ctx``'s role and audited. Returns ``recorded``,
    ``unchanged`` (the card names them already) or ``no card``."""
    content = (desc.get("ModelCard") or {}).get("ModelCardContent")
    if not content:
        return "no card"
    details = (json.loads(content).get("additional_information") or {}).get("custom_details") or {}
    wanted = {MODEL_ASSET_KEY: asset_id, MODEL_ASSET_REVISION_KEY: str(revision)}
    before = {k: details.get(k) for k in wanted}
    if before == wanted:
        return "unchanged"
    from scripts.governance import cards  # the SDK's card shapes: loaded only to write a card

    parsed = cards.parse_card(content)
    assert parsed is not None  # content is not empty
    card = cards.with_custom_details(parsed, wanted)
    arn = desc["ModelPackageArn"]
    with kit_errors(version_ctx.role_arn):
        version_ctx.client("sagemaker").update_model_package(
            ModelPackageArn=arn, ModelCard={"ModelCardContent": cards.card_json(card)}
        )
    audit.record(
        version_ctx,
        action="catalog-asset",
        model_package_arn=arn,
        group=desc["ModelPackageGroupName"],
        version=version_number(arn),
        reason=f"published to the DataZone catalog as asset {asset_id} revision {revision}",
        before=before,
        after=wanted,
    )
    return "recorded"


def publish_version(version_ctx: EnvContext, cat: Catalog, *, use_case: str, arn: str) -> dict[str, Any]:
    """Publish, revise or unlist the catalog asset of ``use_case`` in ``version_ctx``'s
    environment for the version ``arn`` (see the module's rules). Idempotent."""
    env = version_ctx.env.name
    desc = describe_version(version_ctx, arn)
    version = version_number(arn)
    project = cat.project(use_case)
    name = asset_name(cat.ctx, use_case, env)
    existing = cat.find_asset(project, name)
    listed = _listed_version(cat, existing)
    approval = desc.get("ModelApprovalStatus")
    card_status = (desc.get("ModelCard") or {}).get("ModelCardStatus")
    result: dict[str, Any] = {
        "environment": env,
        "use_case": use_case,
        "version": version,
        "model_package_arn": arn,
        "approval": approval,
        "card_status": card_status,
        "asset_name": name,
        "asset_id": existing["id"] if existing else None,
        "listed_version": listed,
    }
    if approval != "Approved" or card_status == "Archived":
        if existing is not None and listed == version and cat.unpublish(existing):
            return {**result, "action": "unlisted", "listed_version": None}
        return {**result, "action": "not-listed"}
    if listed is not None and listed > version:
        return {**result, "action": "newer-listed"}
    form = model_form(desc, use_case=use_case, env=env)
    asset, changed = cat.put_asset(
        project=project,
        name=name,
        description=f"{use_case} model approved in {env}: version {version}",
        type_name=MODEL_ASSET_TYPE,
        forms=[{"formName": MODEL_FORM, "content": json.dumps(form)}],
    )
    listing = cat.publish(asset)
    card = record_on_card(version_ctx, desc, asset_id=asset["id"], revision=asset["revision"])
    return {
        **result,
        "action": "published" if changed or listed != version else "unchanged",
        "asset_id": asset["id"],
        "revision": asset["revision"],
        "listing_id": listing,
        "listed_version": version,
        "card": card,
    }


def catalog_writer(platform: PlatformConfig, *, job: str, source: boto3.Session | None) -> Catalog:
    """The catalog as the home environment's data scientist (contributor of the use case
    projects)."""
    return Catalog(role_context(platform, platform.datazone_home, "data_scientist", job=job, source=source))


def publish_model(
    platform: PlatformConfig,
    env: str,
    *,
    version: str,
    use_case: str | None = None,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """``mlgov data publish-model``: (re)publish a version's catalog asset."""
    ctx = env_context(platform, env, "approver", job="data-publish-model", source=source)
    uc = resolve_use_case(ctx.env, use_case)
    arn = resolve_version(ctx, uc, version)
    return publish_version(
        ctx, catalog_writer(platform, job="data-publish-model", source=source), use_case=uc, arn=arn
    )


def after_decision(ctx: EnvContext, *, arn: str, use_case: str | None = None) -> dict[str, Any]:
    """The catalog after an approval decision on ``arn`` in ``ctx``'s environment: the one call
    scripts/governance/review.py makes. Where the catalog is not set up (no DataZone domain or
    producer project published, or ``mlgov data setup`` not run: the model asset type is absent),
    or the caller cannot assume the home environment's data scientist, it says so in the result
    (``action: skipped`` and why) and changes nothing; any other failure raises,
    after the decision itself was recorded, and ``mlgov data publish-model`` (or the same
    approval again) publishes."""
    uc = resolve_use_case(ctx.env, use_case)
    cat = catalog_writer(ctx.platform, job=ctx.job, source=ctx._source)
    names = cat.names
    try:
        cat.ctx.params([names.ssm_datazone_domain_id, names.ssm_datazone_producer_project_id])
    except UsageError as err:
        return {"action": "skipped", "why": f"no DataZone catalog deployed: {err}"}
    except CredentialsError as err:
        # The decision is made and audited; who approves in prod may not act in the home
        # environment's catalog: said here, done again by `mlgov data publish-model`.
        return {
            "action": "skipped",
            "why": f"cannot act in the catalog: {err}; run `mlgov data publish-model` with credentials that may",
        }
    try:
        cat.call("get_asset_type", identifier=MODEL_ASSET_TYPE)
    except AwsCallError as err:
        if "ResourceNotFoundException" not in str(err):
            raise
        return {"action": "skipped", "why": f"{MODEL_ASSET_TYPE} does not exist yet: run `mlgov data setup`"}
    return publish_version(ctx, cat, use_case=uc, arn=arn)
