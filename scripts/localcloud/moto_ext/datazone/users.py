"""DataZone users and project membership: who a caller is in a domain and what it may do.

DataZone authorizes on top of IAM: IAM decides whether a principal may call ``datazone:<Action>``
on the domain at all, and DataZone then decides by the caller's user profile and its project
memberships (DataZone User Guide, "Manage user permissions in the Amazon DataZone data portal":
"Within a specific project, the project membership designation (owner, contributor, view)
determines the action authorization"; "Authorization in Amazon DataZone": "At the level of the
project, users can be owner or contributor ... Users publish data, subscribe to data, and approve
subscriptions"). The rules the local cloud applies, and where each comes from, are listed in
docs/emulator-gaps.md ("DataZone's own authorization").

Every IAM principal that reaches a domain (its own account, or an associated account once the
RAM share is accepted) has one user profile there, ``ACTIVATED``, created on its first call; the
creator of a project is its ``PROJECT_OWNER`` (CreateProject's caller, as the data portal shows
it). CreateUserProfile registers another principal ahead of its first call, so a project owner
can add it as a member.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from moto.core.common_models import BaseModel
from moto.utilities.paginator import paginate

from .exceptions import (
    AccessDeniedException,
    ResourceNotFoundException,
    ValidationException,
)
from .identity import Caller, principal_of
from .utils import PAGINATION_MODEL

if TYPE_CHECKING:
    from .models import Domain

OWNER = "PROJECT_OWNER"
CONTRIBUTOR = "PROJECT_CONTRIBUTOR"
#: Designations CreateProjectMembership takes in a DataZone (V1) domain.
DESIGNATIONS = (
    OWNER,
    CONTRIBUTOR,
    "PROJECT_CATALOG_VIEWER",
    "PROJECT_CATALOG_CONSUMER",
    "PROJECT_CATALOG_STEWARD",
)
#: Members who create, revise, publish and unpublish the project's assets and decide subscription
#: requests to them (DataZone User Guide, "Publish data", "Approve or reject a subscription
#: request": the owning project's owners and contributors).
PUBLISHERS = (OWNER, CONTRIBUTOR)
#: Members who may request a subscription for their project ("Request subscription to assets":
#: a member of the subscribing project; a catalog consumer is designated for it).
SUBSCRIBERS = (OWNER, CONTRIBUTOR, "PROJECT_CATALOG_CONSUMER")


class UserProfile(BaseModel):
    """An IAM principal's user profile in one domain."""

    def __init__(self, domain_id: str, arn: str, principal_id: str, user_type: str) -> None:
        self.id = str(uuid.uuid4())
        self.domain_id = domain_id
        self.arn = arn
        self.principal_id = principal_id
        self.user_type = user_type
        self.status = "ACTIVATED"

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]

    def to_dict(self) -> dict[str, Any]:
        return {
            "domainId": self.domain_id,
            "id": self.id,
            "type": "IAM",
            "status": self.status,
            "details": {"iam": {"arn": self.arn, "principalId": self.principal_id}},
        }


class MembershipBackend:
    """User profiles and project memberships of the domains this account holds (a mixin of
    ``DataZoneBackend``; state keyed by domain id)."""

    account_id: str
    region_name: str

    def init_membership_state(self) -> None:
        self.user_profiles: dict[str, dict[str, UserProfile]] = {}
        # domain id -> project id -> user profile id -> designation
        self.memberships: dict[str, dict[str, dict[str, str]]] = {}

    def drop_membership_state(self, domain_id: str) -> None:
        self.user_profiles.pop(domain_id, None)
        self.memberships.pop(domain_id, None)

    # -- profiles -----------------------------------------------------------------------------
    def _profile_by_arn(self, domain_id: str, arn: str) -> UserProfile | None:
        return next((p for p in self.user_profiles.get(domain_id, {}).values() if p.arn == arn), None)

    def user_for(self, domain: Domain, caller: Caller) -> UserProfile:
        """The caller's profile in ``domain``, created on its first call (``ACTIVATED``)."""
        existing = self._profile_by_arn(domain.id, caller.arn)
        if existing is not None:
            return existing
        profile = UserProfile(domain.id, caller.arn, caller.principal_id, caller.user_type)
        self.user_profiles.setdefault(domain.id, {})[profile.id] = profile
        return profile

    def profile(self, domain_id: str, identifier: str) -> UserProfile:
        """A profile by its id or by its principal's ARN."""
        profiles = self.user_profiles.get(domain_id, {})
        found = profiles.get(identifier) or self._profile_by_arn(domain_id, identifier)
        if found is None and identifier.startswith("arn:"):
            known = principal_of(identifier)
            if known is not None:
                found = next((p for p in profiles.values() if p.principal_id == known[1]), None)
        if found is None:
            raise ResourceNotFoundException(
                f"User profile {identifier} does not exist in domain {domain_id}."
            )
        return found

    def create_user_profile(
        self, domain: Domain, caller: UserProfile, user_identifier: str, user_type: str | None
    ) -> UserProfile:
        """CreateUserProfile for an IAM role or user of the domain's account or of an account
        associated with it. Registering users is the domain account's business: a principal
        of an associated account is refused (AccessDeniedException). A principal that already
        has a profile gets it back."""
        if caller.account != domain.account_id:
            raise AccessDeniedException(
                f"User {caller.id} ({caller.arn}) is not permitted to perform CreateUserProfile in "
                f"domain {domain.id}: user profiles are created from the domain's account {domain.account_id}."
            )
        if user_type in ("SSO_USER", "IAM_ROLE_SESSION"):
            raise ValidationException(
                f"userType {user_type} is not supported by this domain: it has no IAM Identity Center "
                "sign-in; use IAM_ROLE or IAM_USER with the principal's ARN."
            )
        if not user_identifier.startswith("arn:"):
            raise ValidationException(
                f"userIdentifier {user_identifier} is not an IAM role or user ARN (IAM_ROLE / IAM_USER profiles)."
            )
        known = principal_of(user_identifier)
        if known is None:
            raise ValidationException(f"IAM principal {user_identifier} does not exist.")
        account, principal_id, kind = known
        if user_type is not None and user_type != kind:
            raise ValidationException(
                f"userType {user_type} does not match {user_identifier}, an {kind} principal."
            )
        from ..ram import shared_with

        if account != domain.account_id and not shared_with(account, domain.arn.split(":")[3], domain.arn):
            raise ValidationException(
                f"Account {account} of {user_identifier} is not associated with domain {domain.id}."
            )
        existing = self._profile_by_arn(domain.id, user_identifier)
        if existing is not None:
            return existing
        profile = UserProfile(domain.id, user_identifier, principal_id, kind)
        self.user_profiles.setdefault(domain.id, {})[profile.id] = profile
        return profile

    # -- memberships --------------------------------------------------------------------------
    def add_project_owner(self, domain_id: str, project_id: str, user: UserProfile) -> None:
        self.memberships.setdefault(domain_id, {}).setdefault(project_id, {})[user.id] = OWNER

    def drop_project_members(self, domain_id: str, project_id: str) -> None:
        self.memberships.get(domain_id, {}).pop(project_id, None)

    def designation(self, domain_id: str, project_id: str, user: UserProfile) -> str | None:
        return self.memberships.get(domain_id, {}).get(project_id, {}).get(user.id)

    def is_member(self, domain_id: str, project_id: str, user: UserProfile) -> bool:
        return self.designation(domain_id, project_id, user) is not None

    def projects_of(self, domain_id: str, user: UserProfile) -> set[str]:
        return {
            project_id
            for project_id, members in self.memberships.get(domain_id, {}).items()
            if user.id in members
        }

    def require(
        self,
        domain_id: str,
        project_id: str,
        user: UserProfile,
        designations: tuple[str, ...],
        operation: str,
    ) -> str:
        """The caller's designation in the project, or AccessDeniedException naming what was
        needed (DataZone's check after IAM allowed the call)."""
        held = self.designation(domain_id, project_id, user)
        if held not in designations:
            state = f"is {held} of" if held else "is not a member of"
            raise AccessDeniedException(
                f"User {user.id} ({user.arn}) is not permitted to perform {operation}: it {state} "
                f"project {project_id}, and {operation} needs one of {', '.join(designations)}."
            )
        return str(held)

    def create_project_membership(
        self,
        domain_id: str,
        project_id: str,
        caller: UserProfile,
        member: dict[str, Any],
        designation: str,
        user_created_designation_id: str | None,
    ) -> None:
        self.require(domain_id, project_id, caller, (OWNER,), "CreateProjectMembership")
        user = self._member_user(domain_id, member)
        if designation == "USER_CREATED_DESIGNATION" or user_created_designation_id:
            raise ValidationException(
                "USER_CREATED_DESIGNATION needs designations of a SageMaker unified domain; this domain "
                f"takes {', '.join(DESIGNATIONS)}."
            )
        members = self.memberships.setdefault(domain_id, {}).setdefault(project_id, {})
        if members.get(user.id) == OWNER and designation != OWNER and self._owners(members) == 1:
            raise ValidationException(
                f"User {user.id} is the last owner of project {project_id}; add another owner first."
            )
        # An existing member takes the new designation (DataZone's "Project Member Role Change
        # Succeeded" event; the operation declares no ConflictException).
        members[user.id] = designation

    @staticmethod
    def _owners(members: dict[str, str]) -> int:
        return sum(1 for d in members.values() if d == OWNER)

    def delete_project_membership(
        self, domain_id: str, project_id: str, caller: UserProfile, member: dict[str, Any]
    ) -> None:
        self.require(domain_id, project_id, caller, (OWNER,), "DeleteProjectMembership")
        user = self._member_user(domain_id, member)
        members = self.memberships.get(domain_id, {}).get(project_id, {})
        if user.id not in members:
            raise ResourceNotFoundException(f"User {user.id} is not a member of project {project_id}.")
        if members[user.id] == OWNER and self._owners(members) == 1:
            raise ValidationException(
                f"User {user.id} is the last owner of project {project_id}; add another owner first."
            )
        del members[user.id]

    def _member_user(self, domain_id: str, member: dict[str, Any]) -> UserProfile:
        if member.get("groupIdentifier"):
            raise ValidationException(
                "Group members need IAM Identity Center groups, which this domain does not use."
            )
        identifier = member.get("userIdentifier")
        if not identifier:
            raise ValidationException(
                "member must name a userIdentifier (a user profile id or the user's IAM ARN)."
            )
        return self.profile(domain_id, str(identifier))

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_project_memberships(
        self, domain_id: str, project_id: str, sort_order: str | None
    ) -> list[dict[str, Any]]:
        members = self.memberships.get(domain_id, {}).get(project_id, {})
        profiles = self.user_profiles.get(domain_id, {})
        ordered = sorted(
            members, key=lambda user_id: profiles[user_id].arn if user_id in profiles else user_id
        )
        items: list[dict[str, Any]] = [
            {"memberDetails": {"user": {"userId": user_id}}, "designation": members[user_id], "key": user_id}
            for user_id in ordered
        ]
        if sort_order == "DESCENDING":
            items.reverse()
        return items
