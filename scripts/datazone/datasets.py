"""Datasets by subscription: the data engineer publishes, a use case's project subscribes, the
data owner decides, and the kit grants or revokes the read (:mod:`.grants`).

The sample dataset is the kit's credit table (:mod:`scripts.governance.credit_data`), stored as
``s3://<artifact bucket>/datasets/credit/credit.csv`` under the platform key and published as the
asset ``<prefix>-credit`` of type ``MlgovS3DatasetAssetType`` in the shared producer project.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import boto3

from environments import PlatformConfig
from scripts.aws import kit_errors
from scripts.governance import credit_data
from scripts.governance.context import EnvContext, paginate, resolve_use_case
from scripts.governance.errors import UsageError

from . import grants
from .catalog import Catalog, data_environment, role_context
from .types import DATASET_ASSET_TYPE, DATASET_FORM, S3_FORM

logger = logging.getLogger(__name__)

#: The sample dataset: its name under ``datasets/``, owner and classification.
SAMPLE = "credit"
SAMPLE_OWNER = "risk-data-team"
SAMPLE_CLASSIFICATION = "CONFIDENTIAL"
SAMPLE_DESCRIPTION = (
    "Consumer credit applications with their repayment outcome (label good_credit); protected facet age_group"
)

_COLUMN_TYPES = {"i": "int", "u": "int", "f": "double", "b": "boolean"}


def asset_name(ctx: EnvContext, dataset: str) -> str:
    return f"{ctx.names.prefix}-{dataset}"


def _reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise UsageError("a reason is required (--reason): it is recorded with the decision")
    return reason.strip()


def _catalog(platform: PlatformConfig, env: str | None, role: str, job: str, source: Any) -> Catalog:
    return Catalog(role_context(platform, data_environment(platform, env), role, job=job, source=source))


# -- publish -----------------------------------------------------------------------------------
def publish(
    platform: PlatformConfig,
    env: str | None = None,
    *,
    dry_run: bool = False,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """As the data engineer: upload the sample credit table under ``datasets/credit/``, create
    (or revise) its asset with the dataset form and list it. Idempotent."""
    cat = _catalog(platform, env, "data_engineer", "data-publish", source)
    ctx = cat.ctx
    table = credit_data.generate()
    body = table.to_csv().encode()
    prefix = f"{ctx.names.datasets_prefix}{SAMPLE}/"
    bucket = ctx.artifact_bucket
    form = {
        "s3Uri": f"s3://{bucket}/{prefix}",
        "schema": [
            {"name": name, "type": _COLUMN_TYPES.get(values.dtype.kind, "string")}
            for name, values in table.columns.items()
        ],
        "protectedFacet": credit_data.FACET,
        "owner": SAMPLE_OWNER,
        "classification": SAMPLE_CLASSIFICATION,
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    result: dict[str, Any] = {
        "environment": ctx.env.name,
        "dataset": SAMPLE,
        "s3_uri": form["s3Uri"],
        "asset_name": asset_name(ctx, SAMPLE),
        "dry_run": dry_run,
    }
    if dry_run:
        return result
    with kit_errors(ctx.role_arn):
        ctx.client("s3").put_object(
            Bucket=bucket,
            Key=f"{prefix}{SAMPLE}.csv",
            Body=body,
            ContentType="text/csv",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=ctx.kms_key_arn,
        )
    asset, changed = cat.put_asset(
        project=cat.producer_project,
        name=asset_name(ctx, SAMPLE),
        description=SAMPLE_DESCRIPTION,
        type_name=DATASET_ASSET_TYPE,
        forms=[
            {"formName": S3_FORM, "content": json.dumps({"bucketArn": f"arn:aws:s3:::{bucket}"})},
            {"formName": DATASET_FORM, "content": json.dumps(form)},
        ],
    )
    listing = cat.publish(asset)
    return {
        **result,
        "asset_id": asset["id"],
        "revision": asset["revision"],
        "listing_id": listing,
        "changed": changed,
    }


# -- subscribe ---------------------------------------------------------------------------------
def subscribe(
    platform: PlatformConfig,
    env: str | None = None,
    *,
    use_case: str | None,
    reason: str | None,
    dataset: str = SAMPLE,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """As the data scientist: the use case's project requests the dataset, with a reason. An open
    request or a subscription already approved is returned, not asked again."""
    reason = _reason(reason)
    cat = _catalog(platform, env, "data_scientist", "data-subscribe", source)
    uc = resolve_use_case(cat.ctx.env, use_case)
    project = cat.project(uc)
    listing = cat.listing_of(asset_name(cat.ctx, dataset))
    base = {
        "environment": cat.ctx.env.name,
        "use_case": uc,
        "project": project,
        "listing_id": listing["listingId"],
    }
    with kit_errors(cat.ctx.role_arn):
        for sub in paginate(
            cat.dz,
            "list_subscriptions",
            "items",
            domainIdentifier=cat.domain,
            owningProjectId=project,
            subscribedListingId=listing["listingId"],
            status="APPROVED",
        ):
            return {**base, "subscription_id": sub["id"], "status": "APPROVED", "changed": False}
        for req in paginate(
            cat.dz,
            "list_subscription_requests",
            "items",
            domainIdentifier=cat.domain,
            owningProjectId=project,
            subscribedListingId=listing["listingId"],
            status="PENDING",
        ):
            return {**base, "request_id": req["id"], "status": "PENDING", "changed": False}
    made = cat.call(
        "create_subscription_request",
        subscribedPrincipals=[{"project": {"identifier": project}}],
        subscribedListings=[{"identifier": listing["listingId"]}],
        requestReason=reason,
    )
    return {**base, "request_id": made["id"], "status": made["status"], "reason": reason, "changed": True}


def subscribed(
    platform: PlatformConfig,
    env: str | None = None,
    *,
    use_case: str | None,
    dataset: str = SAMPLE,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """As the data scientist: the dataset the use case's project holds an approved subscription
    to, as its listing shows it now (``mlgov pipeline start`` reads it from there): the asset id,
    the revision listed, its ``s3Uri`` (the prefix the subscription's grant covers) and the
    subscription. Without an approved subscription, a :class:`UsageError` naming the request to
    make (or the one waiting for the data owner)."""
    cat = _catalog(platform, env, "data_scientist", "data-subscribed", source)
    uc = resolve_use_case(cat.ctx.env, use_case)
    project = cat.project(uc)
    name = asset_name(cat.ctx, dataset)
    found = cat.listing_of(name)
    with kit_errors(cat.ctx.role_arn):
        approved = next(
            iter(
                paginate(
                    cat.dz,
                    "list_subscriptions",
                    "items",
                    domainIdentifier=cat.domain,
                    owningProjectId=project,
                    subscribedListingId=found["listingId"],
                    status="APPROVED",
                )
            ),
            None,
        )
        pending = (
            None
            if approved
            else next(
                iter(
                    paginate(
                        cat.dz,
                        "list_subscription_requests",
                        "items",
                        domainIdentifier=cat.domain,
                        owningProjectId=project,
                        subscribedListingId=found["listingId"],
                        status="PENDING",
                    )
                ),
                None,
            )
        )
    if approved is None:
        env_name = cat.ctx.env.name
        if pending is not None:
            raise UsageError(
                f"use case {uc!r} has no approved subscription to dataset {name!r}: its request "
                f"{pending['id']} waits for the data owner (`mlgov data approve-subscription --env "
                f"{env_name} --request {pending['id']} --reason ...`, run by the data engineer)"
            )
        raise UsageError(
            f"use case {uc!r} has no approved subscription to dataset {name!r}, so its pipeline may "
            f"not read it: request one with `mlgov data subscribe --env {env_name} --use-case {uc} "
            "--reason ...`, then the data owner approves it (`mlgov data approve-subscription`)"
        )
    listed = cat.call("get_listing", identifier=found["listingId"])["item"]["assetListing"]
    form = (json.loads(listed.get("forms") or "{}")).get(DATASET_FORM) or {}
    return {
        "environment": cat.ctx.env.name,
        "use_case": uc,
        "project": project,
        "domain_id": cat.domain,
        "dataset": dataset,
        "asset_name": name,
        "asset_id": listed["assetId"],
        "revision": listed["assetRevision"],
        "listing_id": found["listingId"],
        "subscription_id": approved["id"],
        "s3_uri": form.get("s3Uri", ""),
        "sha256": form.get("sha256"),
    }


# -- decide ------------------------------------------------------------------------------------
def _request(cat: Catalog, request_id: str) -> dict[str, Any]:
    """The request, checked to be what the kit grants: one of the kit's datasets under
    ``datasets/`` of this environment's bucket, for one use case's project."""
    req = cat.call("get_subscription_request_details", identifier=request_id)
    [principal] = req["subscribedPrincipals"]
    project = principal["project"]["id"]
    uc = cat.use_case_of(project)
    if uc is None:
        raise UsageError(
            f"subscription request {request_id} is for project {project}, which is no use case's "
            "project in this environment: the kit grants data to use cases only"
        )
    [listed] = req["subscribedListings"]
    entity = listed["item"]["assetListing"]
    asset = cat.call("get_asset", identifier=entity["entityId"], revision=entity["entityRevision"])
    forms = {f["formName"]: json.loads(f.get("content") or "{}") for f in asset.get("formsOutput", [])}
    uri = (forms.get(DATASET_FORM) or {}).get("s3Uri", "")
    bucket = cat.ctx.artifact_bucket
    head = f"s3://{bucket}/{cat.names.datasets_prefix}"
    if not uri.startswith(head) or not uri.endswith("/") or ".." in uri:
        raise UsageError(
            f"asset {asset['id']} is not a dataset of this environment (its {DATASET_FORM}.s3Uri "
            f"{uri!r} is not a prefix under {head}): the kit grants only those"
        )
    return {
        "request": req,
        "use_case": uc,
        "project": project,
        "asset_id": asset["id"],
        "asset_revision": asset["revision"],
        "asset_name": asset["name"],
        "bucket": bucket,
        "prefix": uri[len(f"s3://{bucket}/") :],
    }


def _subscription_of(cat: Catalog, request_id: str) -> dict[str, Any] | None:
    with kit_errors(cat.ctx.role_arn):
        for sub in paginate(
            cat.dz,
            "list_subscriptions",
            "items",
            domainIdentifier=cat.domain,
            subscriptionRequestIdentifier=request_id,
        ):
            return dict(sub)
    return None


def approve(
    platform: PlatformConfig,
    env: str | None = None,
    *,
    request_id: str,
    reason: str | None,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """As the data owner (data engineer): accept the request with ``reason``, then grant the use
    case's roles read on the dataset's prefix (the data-grant role) and audit it. A rerun after a
    failed grant finds the request accepted and completes the grant."""
    reason = _reason(reason)
    cat = _catalog(platform, env, "data_engineer", "data-approve", source)
    found = _request(cat, request_id)
    status = found["request"]["status"]
    if status == "REJECTED":
        raise UsageError(
            f"subscription request {request_id} was rejected; the project asks again (mlgov data subscribe)"
        )
    if status == "PENDING":
        cat.call("accept_subscription_request", identifier=request_id, decisionComment=reason[:4096])
    sub = _subscription_of(cat, request_id)
    if sub is None or sub["status"] != "APPROVED":
        raise UsageError(
            f"subscription request {request_id} has no approved subscription "
            f"({sub['status'] if sub else 'none'}): nothing is granted"
        )
    granter = grants.granter(cat.ctx)
    roles = grants.grant(granter, subscription_id=sub["id"], bucket=found["bucket"], prefix=found["prefix"])
    details = {
        "request_id": request_id,
        "use_case": found["use_case"],
        "project": found["project"],
        "asset_id": found["asset_id"],
        "asset_revision": found["asset_revision"],
        "s3_prefix": f"s3://{found['bucket']}/{found['prefix']}",
        "policy": grants.policy_name(granter, sub["id"]),
        "roles": roles,
        "decided_by": cat.ctx.caller_arn(),
    }
    rec = grants.record(granter, action="grant", subscription_id=sub["id"], reason=reason, details=details)
    return {
        "environment": cat.ctx.env.name,
        "subscription_id": sub["id"],
        "status": "APPROVED",
        **details,
        "audit_key": rec["key"],
    }


def reject(
    platform: PlatformConfig,
    env: str | None = None,
    *,
    request_id: str,
    reason: str | None,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """As the data owner: reject the request with ``reason`` (audited); nothing is granted."""
    reason = _reason(reason)
    cat = _catalog(platform, env, "data_engineer", "data-reject", source)
    req = cat.call("get_subscription_request_details", identifier=request_id)
    if req["status"] == "PENDING":
        req = cat.call("reject_subscription_request", identifier=request_id, decisionComment=reason[:4096])
    elif req["status"] != "REJECTED":
        raise UsageError(
            f"subscription request {request_id} is {req['status']}: revoke its subscription instead (mlgov data revoke)"
        )
    rec = grants.record(
        cat.ctx,
        action="reject",
        subscription_id=f"request-{request_id}",
        reason=reason,
        details={"request_id": request_id},
    )
    return {
        "environment": cat.ctx.env.name,
        "request_id": request_id,
        "status": req["status"],
        "audit_key": rec["key"],
    }


def revoke(
    platform: PlatformConfig,
    env: str | None = None,
    *,
    subscription_id: str,
    reason: str | None,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """As the data owner: revoke the subscription in DataZone and delete the grant (audited).
    A subscription already revoked still has its grant removed (a rerun completes it)."""
    reason = _reason(reason)
    cat = _catalog(platform, env, "data_engineer", "data-revoke", source)
    sub = cat.call("get_subscription", identifier=subscription_id)
    if sub["status"] == "APPROVED":
        sub = cat.call("revoke_subscription", identifier=subscription_id, retainPermissions=False)
    granter = grants.granter(cat.ctx)
    removed = grants.revoke(granter, subscription_id=subscription_id)
    rec = grants.record(
        granter,
        action="revoke",
        subscription_id=subscription_id,
        reason=reason,
        details={"policy": grants.policy_name(granter, subscription_id), "roles": removed},
    )
    return {
        "environment": cat.ctx.env.name,
        "subscription_id": subscription_id,
        "status": sub["status"],
        "removed_from": removed,
        "audit_key": rec["key"],
    }


# -- list --------------------------------------------------------------------------------------
def listing(
    platform: PlatformConfig,
    env: str | None = None,
    *,
    role: str = "data_engineer",
    use_case: str | None = None,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """What the catalog holds (datasets and models listed), and the subscriptions: the producer
    project's (as the data engineer) or the use case project's (as the data scientist)."""
    cat = _catalog(platform, env, role, "data-list", source)
    with kit_errors(cat.ctx.role_arn):
        listings = [
            {
                "name": item["assetListing"].get("name"),
                "listing_id": item["assetListing"].get("listingId"),
                "asset_id": item["assetListing"].get("entityId"),
                "revision": item["assetListing"].get("entityRevision"),
                "type": item["assetListing"].get("entityType"),
                "owner_project": item["assetListing"].get("owningProjectId"),
            }
            for item in paginate(cat.dz, "search_listings", "items", domainIdentifier=cat.domain)
            if "assetListing" in item
        ]
        if role == "data_engineer":
            scope = {"approverProjectId": cat.producer_project}
        else:
            scope = {"owningProjectId": cat.project(resolve_use_case(cat.ctx.env, use_case))}
        requests = [
            {
                "request_id": r["id"],
                "status": r["status"],
                "project": r["subscribedPrincipals"][0].get("project", {}).get("id"),
                "listing": r["subscribedListings"][0].get("name"),
                "reason": r.get("requestReason"),
                "decision": r.get("decisionComment"),
            }
            for r in paginate(
                cat.dz, "list_subscription_requests", "items", domainIdentifier=cat.domain, **scope
            )
        ]
        subscriptions = [
            {
                "subscription_id": s["id"],
                "status": s["status"],
                "project": s["subscribedPrincipal"].get("project", {}).get("id"),
                "listing": s["subscribedListing"].get("name"),
                "request_id": s.get("subscriptionRequestId"),
            }
            for s in paginate(cat.dz, "list_subscriptions", "items", domainIdentifier=cat.domain, **scope)
        ]
    return {
        "environment": cat.ctx.env.name,
        "listings": listings,
        "subscription_requests": requests,
        "subscriptions": subscriptions,
    }


def search(
    platform: PlatformConfig,
    env: str | None = None,
    *,
    text: str,
    role: str = "data_engineer",
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """The catalog's listings that match ``text`` (SearchListings: every word, in the name, the
    description or a searchable form member such as a model's business problem or line of
    business), as ``role`` (a member of the producer project by default: another project than the
    use case's) finds them, with each listing's forms."""
    if not text.strip():
        raise UsageError("--text is empty: give the words to search the catalog for (e.g. 'retail lending')")
    cat = _catalog(platform, env, role, "data-search", source)
    with kit_errors(cat.ctx.role_arn):
        hits = []
        for item in paginate(
            cat.dz,
            "search_listings",
            "items",
            domainIdentifier=cat.domain,
            searchText=text,
            additionalAttributes=["FORMS"],
        ):
            listing = item.get("assetListing")
            if not listing:
                continue
            forms = json.loads((listing.get("additionalAttributes") or {}).get("forms") or "{}")
            hits.append(
                {
                    "name": listing.get("name"),
                    "type": listing.get("entityType"),
                    "asset_id": listing.get("entityId"),
                    "revision": listing.get("entityRevision"),
                    "listing_id": listing.get("listingId"),
                    "forms": forms,
                }
            )
    return {
        "environment": cat.ctx.env.name,
        "text": text,
        "listings": hits,
        "subscription_requests": [],
        "subscriptions": [],
    }
