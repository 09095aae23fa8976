"""The records of DataZone's subscriptions (the listing revision subscribed to, subscription
requests, subscriptions, subscription grants) as their outputs and events show them, and the grant
statuses' phases; :mod:`.subscriptions` holds the backend that creates, checks and moves them (its
docstring says the lifecycle DataZone follows)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moto.core.common_models import BaseModel
from moto.core.utils import utcnow

from .catalog_records import Listing, new_id

if TYPE_CHECKING:
    from .environments import SubscriptionTarget


GRANT_PHASE = ("GRANT_PENDING", "GRANT_IN_PROGRESS", "GRANTED", "GRANT_FAILED")
REVOKE_PHASE = ("REVOKE_PENDING", "REVOKE_IN_PROGRESS", "REVOKED", "REVOKE_FAILED")
#: Grant asset statuses a caller may report, from the statuses of the same phase.
REPORTABLE = {
    "GRANT_IN_PROGRESS": ("GRANT_PENDING", "GRANT_IN_PROGRESS", "GRANT_FAILED"),
    "GRANTED": ("GRANT_PENDING", "GRANT_IN_PROGRESS", "GRANT_FAILED"),
    "GRANT_FAILED": ("GRANT_PENDING", "GRANT_IN_PROGRESS"),
    "REVOKE_IN_PROGRESS": ("REVOKE_PENDING", "REVOKE_IN_PROGRESS", "REVOKE_FAILED"),
    "REVOKED": ("REVOKE_PENDING", "REVOKE_IN_PROGRESS", "REVOKE_FAILED"),
    "REVOKE_FAILED": ("REVOKE_PENDING", "REVOKE_IN_PROGRESS"),
}
GRANT_EVENTS = {
    "GRANTED": "Subscription Grant Completed",
    "GRANT_FAILED": "Subscription Grant Failed",
    "REVOKED": "Subscription Grant Revoke Completed",
    "REVOKE_FAILED": "Subscription Grant Revoke Failed",
}


class ListingSnapshot:
    """The listing revision a request or subscription is for, as its outputs show it."""

    def __init__(self, listing: Listing, owner_project_name: str) -> None:
        shown = listing.latest
        self.listing_id = listing.id
        self.revision = shown.revision
        self.name = shown.name
        self.description = shown.description or ""
        self.asset_id = shown.asset_id
        self.asset_revision = shown.asset_revision
        self.asset_type = shown.asset_type
        self.forms = shown.forms
        self.glossary_terms = shown.glossary_terms
        self.owner_project_id = shown.owning_project_id
        self.owner_project_name = owner_project_name

    def to_dict(self) -> dict[str, Any]:
        asset_listing: dict[str, Any] = {
            "entityId": self.asset_id,
            "entityRevision": self.asset_revision,
            "entityType": self.asset_type,
            "forms": self.forms,
        }
        if self.glossary_terms:
            asset_listing["glossaryTerms"] = self.glossary_terms
        return {
            "id": self.listing_id,
            "revision": self.revision,
            "name": self.name,
            "description": self.description,
            "item": {"assetListing": asset_listing},
            "ownerProjectId": self.owner_project_id,
            "ownerProjectName": self.owner_project_name,
        }

    def event(self) -> dict[str, Any]:
        return {
            "id": self.listing_id,
            "version": self.revision,
            "ownerProjectId": self.owner_project_id,
            "name": self.name,
        }


class SubscriptionRequest(BaseModel):
    def __init__(
        self,
        domain_id: str,
        project: Any,
        listing: ListingSnapshot,
        reason: str,
        created_by: str,
        metadata_forms: list[dict[str, Any]],
    ) -> None:
        self.id = new_id()
        self.domain_id = domain_id
        self.project = project
        self.listing = listing
        self.reason = reason
        self.created_by = created_by
        self.updated_by: str | None = None
        self.metadata_forms = metadata_forms
        self.status = "PENDING"
        self.reviewer_id: str | None = None
        self.decision_comment: str | None = None
        self.created_at = utcnow()
        self.updated_at = self.created_at

    def principal(self) -> dict[str, Any]:
        return {"project": {"id": self.project.id, "name": self.project.name}}

    def to_dict(self, summary: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "createdBy": self.created_by,
            "updatedBy": self.updated_by,
            "domainId": self.domain_id,
            "status": self.status,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "requestReason": self.reason,
            "subscribedPrincipals": [self.principal()],
            "subscribedListings": [self.listing.to_dict()],
            "reviewerId": self.reviewer_id,
            "decisionComment": self.decision_comment,
        }
        if summary:
            body["metadataFormsSummary"] = [
                {"formName": f["formName"], "typeName": f["typeName"], "typeRevision": f["typeRevision"]}
                for f in self.metadata_forms
            ] or None
        else:
            body["metadataForms"] = self.metadata_forms or None
        return {k: v for k, v in body.items() if v is not None}

    def event_data(self) -> dict[str, Any]:
        data = {
            "autoApprove": False,
            "requesterId": self.created_by,
            "status": self.status,
            "subscribedListings": [self.listing.event()],
            "subscribedPrincipals": [{"id": self.project.id, "type": "PROJECT"}],
            "requestReason": self.reason,
        }
        if self.decision_comment is not None:
            data["decisionComment"] = self.decision_comment
        return data


class Subscription(BaseModel):
    def __init__(self, request: SubscriptionRequest, created_by: str) -> None:
        self.id = new_id()
        self.domain_id = request.domain_id
        self.project = request.project
        self.listing = request.listing
        self.request_id = request.id
        self.status = "APPROVED"
        self.retain_permissions: bool | None = None
        self.created_by = created_by
        self.updated_by: str | None = None
        self.created_at = utcnow()
        self.updated_at = self.created_at

    def to_dict(self) -> dict[str, Any]:
        body = {
            "id": self.id,
            "createdBy": self.created_by,
            "updatedBy": self.updated_by,
            "domainId": self.domain_id,
            "status": self.status,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "subscribedPrincipal": {"project": {"id": self.project.id, "name": self.project.name}},
            "subscribedListing": self.listing.to_dict(),
            "subscriptionRequestId": self.request_id,
            "retainPermissions": self.retain_permissions,
        }
        return {k: v for k, v in body.items() if v is not None}

    def event_data(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "subscribedListing": self.listing.event(),
            "subscribedPrincipal": {"id": self.project.id, "type": "PROJECT"},
            "subscriptionRequestId": self.request_id,
        }


class SubscriptionGrant(BaseModel):
    def __init__(
        self,
        domain_id: str,
        target: SubscriptionTarget,
        listing: ListingSnapshot,
        subscription: Subscription | None,
        created_by: str,
        target_name: str | None = None,
    ) -> None:
        self.id = new_id()
        self.domain_id = domain_id
        self.target = target
        self.listing = listing
        self.subscription = subscription
        self.created_by = created_by
        self.updated_by: str | None = None
        self.created_at = utcnow()
        self.updated_at = self.created_at
        self.asset: dict[str, Any] = {
            "assetId": listing.asset_id,
            "assetRevision": listing.asset_revision,
            "status": "GRANT_PENDING",
        }
        if target_name:
            self.asset["targetName"] = target_name

    @property
    def status(self) -> str:
        asset_status = self.asset["status"]
        if asset_status.endswith("_IN_PROGRESS"):
            return "IN_PROGRESS"
        if asset_status in ("GRANT_FAILED", "REVOKE_FAILED"):
            return str(asset_status)
        if asset_status.endswith("_PENDING"):
            return "PENDING"
        return "COMPLETED"

    def to_dict(self) -> dict[str, Any]:
        body = {
            "id": self.id,
            "createdBy": self.created_by,
            "updatedBy": self.updated_by,
            "domainId": self.domain_id,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "environmentId": self.target.environment_id,
            "subscriptionTargetId": self.target.id,
            "grantedEntity": {"listing": {"id": self.listing.listing_id, "revision": self.listing.revision}},
            "status": self.status,
            "assets": [dict(self.asset)],
            "subscriptionId": self.subscription.id if self.subscription else None,
        }
        return {k: v for k, v in body.items() if v is not None}

    def event_data(self) -> dict[str, Any]:
        return {
            "asset": {
                "id": self.listing.asset_id,
                "listingId": self.listing.listing_id,
                "listingVersion": self.listing.revision,
                "typeName": self.listing.asset_type,
                "status": self.asset["status"],
            },
            "projectId": self.target.project_id,
            "subscriptionTarget": {
                "id": self.target.id,
                "environmentId": self.target.environment_id,
                "typeName": self.target.type,
                "provider": self.target.provider,
            },
            "subscriptionId": self.subscription.id if self.subscription else None,
        }
