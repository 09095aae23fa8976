"""The governance RAM backend: moto's ``ResourceAccessManagerBackend`` plus associations after
creation, managed permissions, tags and invitations (see the package docstring for what AWS does
and which pages were followed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from moto.core.utils import unix_time, utcnow
from moto.moto_api._internal import mock_random
from moto.ram import models as ram_models
from moto.ram.exceptions import InvalidParameterException, UnknownResourceException
from moto.ram.models import ManagedPermission, ResourceAccessManagerBackend, ResourceShare

from .exceptions import InvitationError

#: ARN resource types RAM shares that moto's list lacks.
EXTRA_SHAREABLE = ("domain",)
#: RAM's AWS managed permissions for ``datazone:Domain`` (the ``ram:PermissionArn`` values the AWS
#: managed policy SageMakerStudioAdminIAMPermissiveExecutionPolicy allows in
#: AssociateResourceSharePermission); the first is the resource type's default.
DATAZONE_DOMAIN_PERMISSIONS = (
    "AWSRAMDefaultPermissionAmazonDataZoneDomain",
    "AWSRAMPermissionAmazonDataZoneDomainFullAccessWithPortalAccess",
    "AWSRAMPermissionsAmazonDatazoneDomainExtendedServiceAccess",
    "AWSRAMPermissionsAmazonDatazoneDomainExtendedServiceWithPortalAccess",
)
ACCOUNT_ID = re.compile(r"\d{12}")


class Invitation:
    """A resource share invitation to one account (kept by the share owner's backend)."""

    def __init__(self, share: ResourceShare, receiver: str) -> None:
        self.arn = (
            f"arn:{share.partition}:ram:{share.region}:{share.owning_account_id}:"
            f"resource-share-invitation/{mock_random.uuid4()}"
        )
        self.share = share
        self.receiver = receiver
        self.timestamp = utcnow()
        self.status = "PENDING"

    def describe(self) -> dict[str, Any]:
        return {
            "resourceShareInvitationArn": self.arn,
            "resourceShareName": self.share.name,
            "resourceShareArn": self.share.arn,
            "senderAccountId": self.share.owning_account_id,
            "receiverAccountId": self.receiver,
            "invitationTimestamp": unix_time(self.timestamp),
            "status": self.status,
        }


def _organization_management_account(account_id: str) -> str | None:
    """The management account of the AWS Organization ``account_id`` belongs to (moto keeps an
    organization and its accounts in the management account's backend)."""
    from moto.organizations.models import organizations_backends

    for management, per_partition in list(organizations_backends.items()):
        backend = per_partition.get("aws")
        org = backend.org if backend is not None else None
        if backend is None or org is None:
            continue
        if account_id == org.master_account_id or any(a.id == account_id for a in backend.accounts):
            return management
    return None


def _region_backends(region: str) -> list[GovernanceRamBackend]:
    found = []
    for per_region in list(ram_models.ram_backends.values()):
        backend = per_region.get(region)
        if isinstance(backend, GovernanceRamBackend):
            found.append(backend)
    return found


def _type_of(resource_arn: str) -> str:
    """RAM's resource type of an ARN (``datazone:Domain``, ``ec2:Subnet``)."""
    parts = resource_arn.split(":", 5)
    kind = re.split(r"[/:]", parts[5])[0]
    return f"{parts[2]}:{''.join(word.title() for word in kind.split('-'))}"


class GovernanceRamBackend(ResourceAccessManagerBackend):
    """moto's RAM backend plus associations after creation, share permissions and tags."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.init_governance_state()

    def init_governance_state(self) -> None:
        # Tags by share ARN: moto's ResourceShare keeps none.
        self.share_tags: dict[str, dict[str, str]] = {}
        # Managed permissions attached by CreateResourceShare, by share ARN.
        self.share_permissions: dict[str, list[dict[str, Any]]] = {}
        self.invitations: dict[str, Invitation] = {}
        # (share ARN, account) associated inside the organization with sharing enabled: access
        # without an invitation, decided when the account was associated, as on AWS.
        self.organization_grants: set[tuple[str, str]] = set()
        # Set in an organization's management account by EnableSharingWithAwsOrganization.
        self.sharing_with_organization = False
        published = {p.arn for p in self.managed_permissions}
        for name in DATAZONE_DOMAIN_PERMISSIONS:
            permission = ManagedPermission(
                self.account_id,
                self.region_name,
                name=name,
                resource_type="datazone:Domain",
                is_resource_type_default=name == DATAZONE_DOMAIN_PERMISSIONS[0],
            )
            if permission.arn not in published:
                self.managed_permissions.append(permission)

    def _managed_permission(self, arn: str, resource_types: set[str]) -> dict[str, Any]:
        """The published permission ``arn`` (described as ListPermissions does), refused as RAM
        refuses it when it does not exist or is for another resource type than the share's."""
        found = next((p.describe() for p in self.managed_permissions if p.arn == arn), None)
        if found is None:
            raise UnknownResourceException(f"Permission {arn} could not be found.")
        kind = str(found["resourceType"]).lower()
        if resource_types and kind not in resource_types:
            raise InvalidParameterException(
                f"Permission {arn} is for resource type {found['resourceType']}, which is not "
                "the type of a resource in this resource share."
            )
        return found

    def create_resource_share(self, **kwargs: Any) -> dict[str, Any]:
        """CreateResourceShare, keeping the tags moto dropped and attaching ``permissionArns``."""
        types = {_type_of(arn).lower() for arn in kwargs.get("resourceArns") or []}
        permissions = [self._managed_permission(a, types) for a in kwargs.get("permissionArns") or []]
        result = super().create_resource_share(**kwargs)
        share = self._share(result["resourceShare"]["resourceShareArn"])
        self.share_permissions[share.arn] = permissions
        self.share_tags[share.arn] = {t["key"]: t.get("value", "") for t in kwargs.get("tags") or []}
        self._invite(share, kwargs.get("principals") or [])
        result["resourceShare"]["tags"] = self._tag_list(share.arn)
        return result

    def get_resource_shares(self, resource_owner: str | None, **filters: Any) -> dict[str, Any]:
        """GetResourceShares with the filters the Terraform provider sends, and tags;
        ``OTHER-ACCOUNTS``: the shares other accounts gave this one access to."""
        if resource_owner == "OTHER-ACCOUNTS":
            result = {"resourceShares": [share.describe() for share in self.shares_received()]}
        else:
            result = super().get_resource_shares(resource_owner)
        arns = filters.get("resourceShareArns") or []
        name = filters.get("name")
        status = filters.get("resourceShareStatus")
        shares = []
        for described in result["resourceShares"]:
            if arns and described["resourceShareArn"] not in arns:
                continue
            if name and described["name"] != name:
                continue
            if status and described["status"] != status:
                continue
            owner = self._owner_backend(described["resourceShareArn"])
            described["tags"] = owner._tag_list(described["resourceShareArn"]) if owner else []
            shares.append(described)
        return {"resourceShares": shares}

    # -- invitations -------------------------------------------------------------------------
    def enable_sharing_with_aws_organization(self) -> dict[str, Any]:
        result = super().enable_sharing_with_aws_organization()
        self.sharing_with_organization = True
        return result

    def _organization_shares_without_invitation(self, account_id: str) -> bool:
        """Whether this (owner) account shares with ``account_id`` without an invitation: both in
        one organization whose management account enabled sharing with AWS Organizations."""
        management = _organization_management_account(self.account_id)
        if management is None or management != _organization_management_account(account_id):
            return False
        backend = ram_models.ram_backends[management].get(self.region_name)
        return isinstance(backend, GovernanceRamBackend) and backend.sharing_with_organization

    def _invite(self, share: ResourceShare, principals: list[str]) -> None:
        for principal in principals:
            if not ACCOUNT_ID.fullmatch(principal) or principal == self.account_id:
                continue
            if self._organization_shares_without_invitation(principal):
                self.organization_grants.add((share.arn, principal))
                continue
            open_ = [
                i
                for i in self.invitations.values()
                if i.share is share and i.receiver == principal and i.status in ("PENDING", "ACCEPTED")
            ]
            if not open_:
                invitation = Invitation(share, principal)
                self.invitations[invitation.arn] = invitation

    def has_access(self, share: ResourceShare, account_id: str) -> bool:
        """Whether ``account_id`` (not the owner) has access to this backend's ``share``."""
        if share.status != "ACTIVE" or account_id not in share.principals:
            return False
        if (share.arn, account_id) in self.organization_grants:
            return True
        return any(
            i.share is share and i.receiver == account_id and i.status == "ACCEPTED"
            for i in self.invitations.values()
        )

    def shares_received(self) -> list[ResourceShare]:
        return [
            share
            for owner in _region_backends(self.region_name)
            if owner.account_id != self.account_id
            for share in owner.resource_shares
            if owner.has_access(share, self.account_id)
        ]

    def _owner_backend(self, share_arn: str) -> GovernanceRamBackend | None:
        parts = share_arn.split(":")
        if len(parts) < 6:
            return None
        backend = ram_models.ram_backends[parts[4]].get(parts[3])
        return backend if isinstance(backend, GovernanceRamBackend) else None

    def _received_invitations(self) -> list[Invitation]:
        return [
            invitation
            for owner in _region_backends(self.region_name)
            for invitation in list(owner.invitations.values())
            if invitation.receiver == self.account_id
        ]

    def get_resource_share_invitations(
        self, invitation_arns: list[str] | None, share_arns: list[str] | None
    ) -> list[dict[str, Any]]:
        """GetResourceShareInvitations: the invitations this account received."""
        received = self._received_invitations()
        if invitation_arns:
            known = {i.arn for i in received}
            missing = [arn for arn in invitation_arns if arn not in known]
            if missing:
                raise InvitationError(
                    "ResourceShareInvitationArnNotFoundException",
                    f"ResourceShareInvitationArn {missing[0]} could not be found.",
                )
            received = [i for i in received if i.arn in invitation_arns]
        if share_arns:
            received = [i for i in received if i.share.arn in share_arns]
        return [i.describe() for i in received]

    def respond_to_invitation(self, invitation_arn: str, accept: bool) -> dict[str, Any]:
        """AcceptResourceShareInvitation / RejectResourceShareInvitation (the receiver only)."""
        invitation = next((i for i in self._received_invitations() if i.arn == invitation_arn), None)
        if invitation is None:
            raise InvitationError(
                "ResourceShareInvitationArnNotFoundException",
                f"ResourceShareInvitationArn {invitation_arn} could not be found.",
            )
        errors = {
            "ACCEPTED": "ResourceShareInvitationAlreadyAcceptedException",
            "REJECTED": "ResourceShareInvitationAlreadyRejectedException",
            "EXPIRED": "ResourceShareInvitationExpiredException",
        }
        if invitation.status in errors:
            raise InvitationError(
                errors[invitation.status],
                f"The invitation {invitation_arn} is already {invitation.status.lower()}.",
            )
        invitation.status = "ACCEPTED" if accept else "REJECTED"
        return invitation.describe()

    def list_resources(
        self, resource_owner: str, share_arns: list[str] | None, resource_arns: list[str] | None
    ) -> list[dict[str, Any]]:
        """ListResources: the resources of this account's shares (``SELF``) or of the shares it
        was given access to (``OTHER-ACCOUNTS``)."""
        if resource_owner == "SELF":
            shares = [s for s in self.resource_shares if s.status == "ACTIVE"]
        elif resource_owner == "OTHER-ACCOUNTS":
            shares = self.shares_received()
        else:
            raise InvalidParameterException(
                f"{resource_owner} is not a valid resource owner. "
                "Specify either SELF or OTHER-ACCOUNTS and try again."
            )
        return [
            {
                "arn": arn,
                "type": _type_of(arn),
                "resourceShareArn": share.arn,
                "status": "AVAILABLE",
                "creationTime": unix_time(share.creation_time),
                "lastUpdatedTime": unix_time(share.last_updated_time),
                "resourceRegionScope": "REGIONAL",
            }
            for share in shares
            if not share_arns or share.arn in share_arns
            for arn in share.resource_arns
            if not resource_arns or arn in resource_arns
        ]

    def tag_resource(self, arn: str, tags: list[dict[str, str]]) -> None:
        share = self._share(arn)
        current = self.share_tags.setdefault(share.arn, {})
        current.update({t["key"]: t.get("value", "") for t in tags})

    def untag_resource(self, arn: str, tag_keys: list[str]) -> None:
        share = self._share(arn)
        current = self.share_tags.get(share.arn, {})
        self.share_tags[share.arn] = {k: v for k, v in current.items() if k not in tag_keys}

    def _tag_list(self, arn: str) -> list[dict[str, str]]:
        return [{"key": k, "value": v} for k, v in self.share_tags.get(arn, {}).items()]

    def _share(self, arn: str) -> ResourceShare:
        for share in self.resource_shares:
            if share.arn == arn and share.status != "DELETED":
                return share
        raise UnknownResourceException(f"ResourceShare {arn} could not be found.")

    def _associations(
        self, share: ResourceShare, resources: list[str], principals: list[str], status: str
    ) -> list[dict[str, Any]]:
        entries = [(r, "RESOURCE") for r in resources] + [(p, "PRINCIPAL") for p in principals]
        return [
            {
                "resourceShareArn": share.arn,
                "resourceShareName": share.name,
                "associatedEntity": entity,
                "associationType": kind,
                "status": status,
                "creationTime": unix_time(share.creation_time),
                "lastUpdatedTime": unix_time(share.last_updated_time),
                "external": kind == "PRINCIPAL" and entity.isdigit() and entity != self.account_id,
            }
            for entity, kind in entries
        ]

    def associate_resource_share(
        self, arn: str, resource_arns: list[str], principals: list[str]
    ) -> list[dict[str, Any]]:
        """AssociateResourceShare (an entity already associated is not added twice)."""
        share = self._share(arn)
        share.add_resources([r for r in resource_arns if r not in share.resource_arns])
        share.add_principals([p for p in principals if p not in share.principals])
        self._invite(share, principals)
        return self._associations(share, resource_arns, principals, "ASSOCIATED")

    def disassociate_resource_share(
        self, arn: str, resource_arns: list[str], principals: list[str]
    ) -> list[dict[str, Any]]:
        share = self._share(arn)
        share.resource_arns = [r for r in share.resource_arns if r not in resource_arns]
        share.principals = [p for p in share.principals if p not in principals]
        # A removed account's invitation goes with it; associating it again invites it again.
        for key in [k for k, i in self.invitations.items() if i.share is share and i.receiver in principals]:
            del self.invitations[key]
        self.organization_grants -= {(share.arn, p) for p in principals}
        return self._associations(share, resource_arns, principals, "DISASSOCIATED")

    def list_resource_share_permissions(self, arn: str) -> list[dict[str, Any]]:
        """ListResourceSharePermissions: the permissions CreateResourceShare attached (none given:
        the share's resources use their type's default, not listed here, as before a resource is
        added on AWS)."""
        share = self._share(arn)
        return [
            {**p, "status": "ASSOCIATED", "featureSet": "STANDARD"}
            for p in self.share_permissions.get(share.arn, [])
        ]

    def principal_status(self, share: ResourceShare, principal: str) -> str:
        """GetResourceShareAssociations' status of ``principal`` in this backend's ``share``."""
        if not ACCOUNT_ID.fullmatch(principal) or principal == self.account_id:
            return "ASSOCIATED"
        if (share.arn, principal) in self.organization_grants:
            return "ASSOCIATED"
        statuses = {
            i.status for i in self.invitations.values() if i.share is share and i.receiver == principal
        }
        if "ACCEPTED" in statuses:
            return "ASSOCIATED"
        if "PENDING" in statuses:
            return "ASSOCIATING"
        return "FAILED" if statuses else "ASSOCIATING"

    def get_resource_share_associations(
        self,
        association_type: str | None,
        association_status: str | None,
        resource_share_arns: list[str],
        resource_arn: str | None,
        principal: str | None,
    ) -> dict[str, Any]:
        """moto's answer with each account principal's real status (pending invitation:
        ``ASSOCIATING``), filtered by ``associationStatus`` after that."""
        result = super().get_resource_share_associations(
            association_type, None, resource_share_arns, resource_arn, principal
        )
        shares = {s.arn: s for s in self.resource_shares}
        associations = []
        for association in result["resourceShareAssociations"]:
            share = shares.get(association["resourceShareArn"])
            if association["associationType"] == "PRINCIPAL" and share is not None:
                entity = association["associatedEntity"]
                association["status"] = self.principal_status(share, entity)
                association["external"] = bool(ACCOUNT_ID.fullmatch(entity)) and entity != self.account_id
            if association_status and association["status"] != association_status:
                continue
            associations.append(association)
        return {"resourceShareAssociations": associations}


def shared_with(account_id: str, region: str, resource_arn: str) -> bool:
    """Whether ``resource_arn`` is shared with ``account_id`` and the account has access (its
    invitation accepted, or shared inside an organization with sharing enabled): what another
    service checks before it lets an account use a shared resource."""
    for owner in _region_backends(region):
        for share in owner.resource_shares:
            if resource_arn in share.resource_arns and owner.has_access(share, account_id):
                return True
    return False


#: moto's own ``ManagedPermission.describe``, which :func:`describe_permission` completes.
moto_describe_permission = ManagedPermission.describe


def _epoch(value: Any) -> Any:
    """RAM's timestamps are epoch seconds on the wire (botocore's rest-json ``timestamp``)."""
    if isinstance(value, str):
        parsed = datetime.strptime(value, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
        return parsed.timestamp()
    return value


def describe_permission(self: ManagedPermission) -> dict[str, Any]:
    """moto's description of a permission with ``creationTime`` and ``lastUpdatedTime`` as epoch
    numbers: moto gave text, which botocore reads but the Go SDK (Terraform's provider) refuses
    ("expected DateTime to be a JSON Number, got string"), failing the read of every share that
    carries ``permission_arns``; and a last update time where moto left none."""
    described = moto_describe_permission(self)
    # A permission created without times (moto's default) was never updated: null is not a time.
    described["lastUpdatedTime"] = described["lastUpdatedTime"] or described["creationTime"]
    for key in ("creationTime", "lastUpdatedTime"):
        described[key] = _epoch(described[key])
    return described
