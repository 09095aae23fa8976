"""Subscription requests, subscriptions and subscription grants: how a project gets a listing.

The lifecycle AWS documents (DataZone User Guide, "Request subscription to assets", "Approve or
reject a subscription request", "Revoke subscription", "Cancel subscription"; API reference of
each operation) and the local cloud follows:

- CreateSubscriptionRequest: a member of the subscribing project (owner, contributor or catalog
  consumer) asks for one ACTIVE listing for that project; ``PENDING``. A second request of the same
  project for the same listing while one is pending, or while it holds an approved subscription,
  is ConflictException ("SubscriptionRequest already exists for subscribed principal Listing").
- AcceptSubscriptionRequest / RejectSubscriptionRequest: an owner or contributor of the project
  that owns the listed asset decides, with a ``decisionComment``; ``ACCEPTED`` creates an
  ``APPROVED`` subscription, ``REJECTED`` does not. A decided request cannot be decided again
  (ConflictException).
- RevokeSubscription (the publishing project's owner or contributor) ends an ``APPROVED``
  subscription as ``REVOKED``; CancelSubscription (a member of the subscribing project) as
  ``CANCELLED``.
- Subscription grants: on approval DataZone requests a grant for every subscription target of the
  subscribing project's environments that takes the asset's type (``subscriptionGrantCreationMode``
  AUTOMATIC; CreateSubscriptionGrant adds one by hand for a project holding the subscription).
  For asset types DataZone does not manage (everything but its Glue and Redshift types) it only
  requests: the grant's asset is ``GRANT_PENDING``, the "Subscription Grant Requested" event goes
  out, and the publisher's automation grants access and reports it with
  UpdateSubscriptionGrantStatus (``GRANT_IN_PROGRESS`` -> ``GRANTED`` or ``GRANT_FAILED`` with a
  ``failureCause``), as the AWS custom-asset samples do (awslabs data-solutions-framework-on-aws,
  DataZone MSK authorizer). Revoking or cancelling the subscription moves its grants' assets to
  ``REVOKE_PENDING`` and sends "Subscription Grant Revoke Requested"; the automation removes the
  access and reports ``REVOKE_IN_PROGRESS`` -> ``REVOKED`` (or ``REVOKE_FAILED``).
  ``retainPermissions`` on RevokeSubscription leaves the grants as they are.
  UpdateSubscriptionGrantStatus is accepted from the subscription target's ``manageAccessRole`` or
  from an owner or contributor of the publishing project.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moto.core.utils import utcnow
from moto.utilities.paginator import paginate

from . import events
from .catalog_records import Listing
from .exceptions import (
    AccessDeniedException,
    ConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from .subscription_records import (
    GRANT_EVENTS,
    GRANT_PHASE,
    REPORTABLE,
    ListingSnapshot,
    Subscription,
    SubscriptionGrant,
    SubscriptionRequest,
)
from .users import PUBLISHERS, SUBSCRIBERS, UserProfile
from .utils import PAGINATION_MODEL

if TYPE_CHECKING:
    from .environments import SubscriptionTarget
    from .models import Domain


class SubscriptionBackend:
    """Subscription requests, subscriptions and grants (a mixin of ``DataZoneBackend``)."""

    account_id: str
    region_name: str
    require: Any
    is_member: Any
    get_project: Any
    listing: Any
    environment: Any
    subscription_target: Any
    targets_of_project: Any

    def init_subscription_state(self) -> None:
        self.subscription_requests: dict[str, dict[str, SubscriptionRequest]] = {}
        self.subscriptions: dict[str, dict[str, Subscription]] = {}
        self.subscription_grants: dict[str, dict[str, SubscriptionGrant]] = {}

    def drop_subscription_state(self, domain_id: str) -> None:
        for store in (self.subscription_requests, self.subscriptions, self.subscription_grants):
            store.pop(domain_id, None)

    def _emit(
        self,
        domain: Domain,
        detail_type: str,
        entity: Any,
        type_name: str,
        user_id: str | None,
        project_id: str,
    ) -> None:
        events.publish(
            domain.account_id,
            self.region_name,
            detail_type,
            entity_id=entity.id,
            type_name=type_name,
            domain_id=domain.id,
            user_id=user_id,
            owning_project_id=project_id,
            data=entity.event_data(),
        )

    def _can_see(self, domain_id: str, user: UserProfile, subscriber: str, publisher: str) -> bool:
        return self.is_member(domain_id, subscriber, user) or self.is_member(domain_id, publisher, user)

    # -- requests -----------------------------------------------------------------------------
    def create_subscription_request(
        self,
        domain: Domain,
        user: UserProfile,
        principals: list[dict[str, Any]],
        listings: list[dict[str, Any]],
        reason: str,
        metadata_forms: list[dict[str, Any]] | None,
        asset_permissions: list[Any] | None,
        asset_scopes: list[Any] | None,
    ) -> SubscriptionRequest:
        if asset_permissions or asset_scopes:
            raise ValidationException(
                "assetPermissions and assetScopes apply to DataZone-managed S3 access and row filters, "
                "which this domain does not manage."
            )
        principal = principals[0] if principals else {}
        if set(principal) != {"project"} or not principal["project"].get("identifier"):
            raise ValidationException(
                "subscribedPrincipals: this domain takes a project ({'project': {'identifier': <project id>}})."
            )
        project = self.get_project(domain.id, principal["project"]["identifier"])
        self.require(domain.id, project.id, user, SUBSCRIBERS, "CreateSubscriptionRequest")
        listing: Listing = self.listing(domain.id, listings[0]["identifier"])
        if listing.status != "ACTIVE":
            raise ValidationException(
                f"Listing {listing.id} is {listing.status}; only an ACTIVE listing takes subscriptions."
            )
        for request in self.subscription_requests.get(domain.id, {}).values():
            if (
                request.project.id == project.id
                and request.listing.listing_id == listing.id
                and request.status == "PENDING"
            ):
                raise ConflictException(
                    f"SubscriptionRequest already exists for subscribed principal {project.id} Listing {listing.id}"
                )
        for subscription in self.subscriptions.get(domain.id, {}).values():
            if (
                subscription.project.id == project.id
                and subscription.listing.listing_id == listing.id
                and subscription.status == "APPROVED"
            ):
                raise ConflictException(
                    f"Subscription {subscription.id} already exists for subscribed principal {project.id} Listing {listing.id}"
                )
        owner = self.get_project(domain.id, listing.latest.owning_project_id)
        forms = [
            {
                "formName": f["formName"],
                "typeName": f.get("typeIdentifier") or f["formName"],
                "typeRevision": f.get("typeRevision") or "1",
                "content": f.get("content") or "{}",
            }
            for f in metadata_forms or []
        ]
        request = SubscriptionRequest(
            domain.id, project, ListingSnapshot(listing, owner.name), reason, user.id, forms
        )
        self.subscription_requests.setdefault(domain.id, {})[request.id] = request
        self._emit(
            domain,
            "Subscription Request Created",
            request,
            "SubscriptionRequestEntityType",
            user.id,
            project.id,
        )
        return request

    def subscription_request(self, domain_id: str, identifier: str) -> SubscriptionRequest:
        request = self.subscription_requests.get(domain_id, {}).get(identifier)
        if request is None:
            raise ResourceNotFoundException(
                f"Subscription request {identifier} does not exist in domain {domain_id}."
            )
        return request

    def get_subscription_request(
        self, domain_id: str, user: UserProfile, identifier: str
    ) -> SubscriptionRequest:
        request = self.subscription_request(domain_id, identifier)
        if not self._can_see(domain_id, user, request.project.id, request.listing.owner_project_id):
            raise AccessDeniedException(
                f"User {user.id} ({user.arn}) is not permitted to read subscription request {request.id}: it is a "
                f"member of neither project {request.project.id} nor {request.listing.owner_project_id}."
            )
        return request

    def decide_subscription_request(
        self,
        domain: Domain,
        user: UserProfile,
        identifier: str,
        accept: bool,
        decision_comment: str | None,
        asset_scopes: list[Any] | None = None,
        asset_permissions: list[Any] | None = None,
    ) -> SubscriptionRequest:
        request = self.subscription_request(domain.id, identifier)
        operation = "AcceptSubscriptionRequest" if accept else "RejectSubscriptionRequest"
        self.require(domain.id, request.listing.owner_project_id, user, PUBLISHERS, operation)
        if asset_scopes or asset_permissions:
            raise ValidationException(
                "assetScopes and assetPermissions apply to DataZone-managed access, which this domain does not manage."
            )
        if request.status != "PENDING":
            raise ConflictException(f"Subscription request {request.id} is already {request.status}.")
        request.status = "ACCEPTED" if accept else "REJECTED"
        request.reviewer_id = user.id
        request.updated_by = user.id
        request.decision_comment = decision_comment
        request.updated_at = utcnow()
        detail_type = "Subscription Request Accepted" if accept else "Subscription Request Rejected"
        self._emit(domain, detail_type, request, "SubscriptionRequestEntityType", user.id, request.project.id)
        if accept:
            subscription = Subscription(request, user.id)
            self.subscriptions.setdefault(domain.id, {})[subscription.id] = subscription
            self._emit(
                domain,
                "Subscription Created",
                subscription,
                "SubscriptionEntityType",
                user.id,
                request.project.id,
            )
            for target in self.targets_of_project(domain.id, request.project.id):
                if (
                    target.creation_mode == "AUTOMATIC"
                    and request.listing.asset_type in target.applicable_asset_types
                ):
                    self._request_grant(domain, target, subscription, user.id)
        return request

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_subscription_requests(
        self, domain_id: str, user: UserProfile, **filters: Any
    ) -> list[SubscriptionRequest]:
        if not (
            filters.get("approver_project_id")
            or filters.get("owning_project_id")
            or filters.get("subscribed_listing_id")
        ):
            raise ValidationException(
                "Missing required filters: give approverProjectId, owningProjectId or subscribedListingId."
            )
        found = []
        for request in self.subscription_requests.get(domain_id, {}).values():
            if filters.get("status") and request.status != filters["status"]:
                continue
            if (
                filters.get("approver_project_id")
                and request.listing.owner_project_id != filters["approver_project_id"]
            ):
                continue
            if filters.get("owning_project_id") and request.project.id != filters["owning_project_id"]:
                continue
            if (
                filters.get("subscribed_listing_id")
                and request.listing.listing_id != filters["subscribed_listing_id"]
            ):
                continue
            if self._can_see(domain_id, user, request.project.id, request.listing.owner_project_id):
                found.append(request)
        return _sorted(found, filters.get("sort_by"), filters.get("sort_order"))

    # -- subscriptions ------------------------------------------------------------------------
    def subscription(self, domain_id: str, identifier: str) -> Subscription:
        subscription = self.subscriptions.get(domain_id, {}).get(identifier)
        if subscription is None:
            raise ResourceNotFoundException(
                f"Subscription {identifier} does not exist in domain {domain_id}."
            )
        return subscription

    def get_subscription(self, domain_id: str, user: UserProfile, identifier: str) -> Subscription:
        subscription = self.subscription(domain_id, identifier)
        if not self._can_see(domain_id, user, subscription.project.id, subscription.listing.owner_project_id):
            raise AccessDeniedException(
                f"User {user.id} ({user.arn}) is not permitted to read subscription {subscription.id}: it is a member "
                f"of neither project {subscription.project.id} nor {subscription.listing.owner_project_id}."
            )
        return subscription

    def end_subscription(
        self,
        domain: Domain,
        user: UserProfile,
        identifier: str,
        revoke: bool,
        retain_permissions: bool | None,
    ) -> Subscription:
        """RevokeSubscription (publisher side) or CancelSubscription (subscriber side)."""
        subscription = self.subscription(domain.id, identifier)
        if revoke:
            self.require(
                domain.id, subscription.listing.owner_project_id, user, PUBLISHERS, "RevokeSubscription"
            )
        else:
            self.require(domain.id, subscription.project.id, user, SUBSCRIBERS, "CancelSubscription")
        if subscription.status != "APPROVED":
            raise ConflictException(f"Subscription {subscription.id} is already {subscription.status}.")
        subscription.status = "REVOKED" if revoke else "CANCELLED"
        subscription.retain_permissions = retain_permissions if revoke else None
        subscription.updated_by = user.id
        subscription.updated_at = utcnow()
        detail_type = "Subscription Revoked" if revoke else "Subscription Cancelled"
        self._emit(
            domain, detail_type, subscription, "SubscriptionEntityType", user.id, subscription.project.id
        )
        if not (revoke and retain_permissions):
            for grant in list(self.subscription_grants.get(domain.id, {}).values()):
                if grant.subscription is subscription and grant.asset["status"] in GRANT_PHASE:
                    self._request_revoke(domain, grant, user.id)
        return subscription

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_subscriptions(self, domain_id: str, user: UserProfile, **filters: Any) -> list[Subscription]:
        found = []
        for subscription in self.subscriptions.get(domain_id, {}).values():
            if filters.get("status") and subscription.status != filters["status"]:
                continue
            if (
                filters.get("subscription_request_identifier")
                and subscription.request_id != filters["subscription_request_identifier"]
            ):
                continue
            if (
                filters.get("subscribed_listing_id")
                and subscription.listing.listing_id != filters["subscribed_listing_id"]
            ):
                continue
            if filters.get("owning_project_id") and subscription.project.id != filters["owning_project_id"]:
                continue
            if (
                filters.get("approver_project_id")
                and subscription.listing.owner_project_id != filters["approver_project_id"]
            ):
                continue
            if self._can_see(domain_id, user, subscription.project.id, subscription.listing.owner_project_id):
                found.append(subscription)
        return _sorted(found, filters.get("sort_by"), filters.get("sort_order"))

    # -- grants -------------------------------------------------------------------------------
    def _request_grant(
        self,
        domain: Domain,
        target: SubscriptionTarget,
        subscription: Subscription,
        user_id: str,
        target_name: str | None = None,
    ) -> SubscriptionGrant:
        grant = SubscriptionGrant(domain.id, target, subscription.listing, subscription, user_id, target_name)
        self.subscription_grants.setdefault(domain.id, {})[grant.id] = grant
        self._emit(
            domain,
            "Subscription Grant Requested",
            grant,
            "SubscriptionGrantEntityType",
            user_id,
            target.project_id,
        )
        return grant

    def _request_revoke(self, domain: Domain, grant: SubscriptionGrant, user_id: str) -> None:
        grant.asset["status"] = "REVOKE_PENDING"
        grant.updated_by, grant.updated_at = user_id, utcnow()
        self._emit(
            domain,
            "Subscription Grant Revoke Requested",
            grant,
            "SubscriptionGrantEntityType",
            user_id,
            grant.target.project_id,
        )

    def grants_for_new_target(self, domain: Domain, target: SubscriptionTarget) -> None:
        """A new AUTOMATIC target gets grants for the approved subscriptions its project holds."""
        for subscription in list(self.subscriptions.get(domain.id, {}).values()):
            if (
                subscription.project.id == target.project_id
                and subscription.status == "APPROVED"
                and subscription.listing.asset_type in target.applicable_asset_types
            ):
                self._request_grant(domain, target, subscription, target.created_by)

    def grants_of_environment(
        self, domain_id: str, environment_id: str, active_only: bool = False, target_id: str | None = None
    ) -> list[SubscriptionGrant]:
        found = []
        for grant in self.subscription_grants.get(domain_id, {}).values():
            if grant.target.environment_id != environment_id or (target_id and grant.target.id != target_id):
                continue
            if active_only and grant.asset["status"] == "REVOKED":
                continue
            found.append(grant)
        return found

    def create_subscription_grant(
        self,
        domain: Domain,
        user: UserProfile,
        environment_identifier: str,
        target_identifier: str | None,
        granted_entity: dict[str, Any],
        asset_target_names: list[dict[str, Any]] | None,
    ) -> SubscriptionGrant:
        environment = self.environment(domain.id, environment_identifier)
        self.require(domain.id, environment.project_id, user, PUBLISHERS, "CreateSubscriptionGrant")
        entity = granted_entity.get("listing") or {}
        listing: Listing = self.listing(domain.id, entity.get("identifier", ""))
        subscription = next(
            (
                s
                for s in self.subscriptions.get(domain.id, {}).values()
                if s.project.id == environment.project_id
                and s.listing.listing_id == listing.id
                and s.status == "APPROVED"
            ),
            None,
        )
        if subscription is None:
            raise ValidationException(
                f"Project {environment.project_id} holds no approved subscription to listing {listing.id}; "
                "request one (CreateSubscriptionRequest) and have it accepted first."
            )
        if entity.get("revision") and entity["revision"] != subscription.listing.revision:
            raise ValidationException(
                f"Listing revision {entity['revision']} is not the subscribed revision {subscription.listing.revision}."
            )
        if target_identifier:
            target = self.subscription_target(domain.id, environment.id, target_identifier)
        else:
            candidates = [
                t
                for t in self.targets_of_project(domain.id, environment.project_id)
                if t.environment_id == environment.id
                and subscription.listing.asset_type in t.applicable_asset_types
            ]
            if not candidates:
                raise ValidationException(
                    f"Environment {environment.id} has no subscription target for asset type {subscription.listing.asset_type}."
                )
            target = candidates[0]
        if subscription.listing.asset_type not in target.applicable_asset_types:
            raise ValidationException(
                f"Subscription target {target.id} does not take asset type {subscription.listing.asset_type}."
            )
        for grant in self.subscription_grants.get(domain.id, {}).values():
            if (
                grant.target is target
                and grant.subscription is subscription
                and grant.asset["status"] != "REVOKED"
            ):
                raise ConflictException(
                    f"Subscription grant {grant.id} already exists for target {target.id}."
                )
        names = {n["assetId"]: n["targetName"] for n in asset_target_names or []}
        return self._request_grant(
            domain, target, subscription, user.id, names.get(subscription.listing.asset_id)
        )

    def subscription_grant(self, domain_id: str, identifier: str) -> SubscriptionGrant:
        grant = self.subscription_grants.get(domain_id, {}).get(identifier)
        if grant is None:
            raise ResourceNotFoundException(
                f"Subscription grant {identifier} does not exist in domain {domain_id}."
            )
        return grant

    def update_subscription_grant_status(
        self,
        domain: Domain,
        user: UserProfile,
        identifier: str,
        asset_identifier: str,
        status: str,
        failure_cause: dict[str, Any] | None,
        target_name: str | None,
    ) -> SubscriptionGrant:
        grant = self.subscription_grant(domain.id, identifier)
        if user.arn != grant.target.manage_access_role:
            self.require(
                domain.id, grant.listing.owner_project_id, user, PUBLISHERS, "UpdateSubscriptionGrantStatus"
            )
        if asset_identifier != grant.asset["assetId"]:
            raise ResourceNotFoundException(
                f"Asset {asset_identifier} is not part of subscription grant {grant.id}."
            )
        current = grant.asset["status"]
        if status not in REPORTABLE or current not in REPORTABLE[status]:
            raise ConflictException(
                f"The asset of subscription grant {grant.id} is {current}; it cannot be reported {status}."
            )
        grant.asset["status"] = status
        now = utcnow()
        if status == "GRANTED":
            grant.asset["grantedTimestamp"] = now
            grant.asset.pop("failureCause", None)
        if status.endswith("_FAILED"):
            grant.asset["failureTimestamp"] = now
            grant.asset["failureCause"] = {"message": (failure_cause or {}).get("message", "")}
        if target_name:
            grant.asset["targetName"] = target_name
        grant.updated_by, grant.updated_at = user.id, now
        if status in GRANT_EVENTS:
            self._emit(
                domain,
                GRANT_EVENTS[status],
                grant,
                "SubscriptionGrantEntityType",
                user.id,
                grant.target.project_id,
            )
        return grant

    def delete_subscription_grant(
        self, domain_id: str, user: UserProfile, identifier: str
    ) -> SubscriptionGrant:
        grant = self.subscription_grant(domain_id, identifier)
        if not self.is_member(domain_id, grant.target.project_id, user):
            self.require(
                domain_id, grant.listing.owner_project_id, user, PUBLISHERS, "DeleteSubscriptionGrant"
            )
        if grant.asset["status"] not in ("REVOKED", "GRANT_FAILED", "GRANT_PENDING"):
            raise ConflictException(
                f"Subscription grant {grant.id} is {grant.asset['status']}: access it gave must be revoked first "
                "(RevokeSubscription or CancelSubscription, then the revoke reported REVOKED)."
            )
        del self.subscription_grants[domain_id][grant.id]
        return grant

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_subscription_grants(self, domain_id: str, **filters: Any) -> list[SubscriptionGrant]:
        found = []
        for grant in self.subscription_grants.get(domain_id, {}).values():
            checks = {
                "environment_id": grant.target.environment_id,
                "subscription_target_id": grant.target.id,
                "subscribed_listing_id": grant.listing.listing_id,
                "subscription_id": grant.subscription.id if grant.subscription else None,
                "owning_project_id": grant.target.project_id,
            }
            if all(not filters.get(name) or filters[name] == value for name, value in checks.items()):
                found.append(grant)
        return _sorted(found, filters.get("sort_by"), filters.get("sort_order"))


def _sorted(items: list[Any], sort_by: str | None, sort_order: str | None) -> list[Any]:
    """SortKey CREATED_AT (the default) or UPDATED_AT, ascending unless DESCENDING."""
    attribute = "updated_at" if sort_by == "UPDATED_AT" else "created_at"
    return sorted(items, key=lambda i: getattr(i, attribute), reverse=sort_order == "DESCENDING")
