"""Studio on the governance backend: domains, user profiles, spaces and apps, each ``Pending``
for the provisioning delay (``provisioning.py``) after it is created, and a deleted app
``Deleting`` as long.

:class:`StudioBackend` holds their state and rules; :class:`~.models.GovernanceSageMakerBackend`
is composed of it. ``create_domain`` passes moto's handler's arguments through to
:class:`StudioDomain`, hence its ``type: ignore[override]``.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.sagemaker.models import Domain, SageMakerModelBackend
from moto.sagemaker.utils import arn_formatter
from moto.utilities.paginator import paginate

from .provisioning import Provisioned, provisioning_delay
from .utils import PAGINATION_MODEL, short_id, sort_by_order, without_none


class StudioDomain(Provisioned, Domain):
    """moto's Studio Domain with AWS's id format (``d-`` + 12 lowercase alphanumerics),
    TagPropagation (which moto ignores) and AWS's ``Pending`` while it is created."""

    tag_propagation: str = "DISABLED"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_provisioning()
        self.id = f"d-{short_id()}"
        self.arn = arn_formatter("domain", self.id, self.account_id, self.region_name)
        self.url = f"https://{self.id}.studio.{self.region_name}.sagemaker.aws"
        self.tags = list(self.tags or [])

    def describe(self) -> dict[str, Any]:
        described = super().describe()
        described["TagPropagation"] = self.tag_propagation
        if self.auth_mode != "SSO":
            # IAM-mode domains have no IAM Identity Center application.
            described.pop("SingleSignOnApplicationArn", None)
            described.pop("SingleSignOnManagedApplicationInstanceId", None)
        return described


class StudioMember(Provisioned, BaseModel):
    """What a user profile and a space share: a name in a domain, the ARN
    ``<resource type>/<domain id>/<name>``, tags, a home EFS uid, and ``Pending`` while it is
    created."""

    def __init__(
        self,
        resource_type: str,
        domain_id: str,
        name: str,
        account_id: str,
        region_name: str,
        tags: list[dict[str, str]] | None,
    ) -> None:
        self.domain_id = domain_id
        self.name = name
        self.arn = arn_formatter(resource_type, f"{domain_id}/{name}", account_id, region_name)
        self.tags = list(tags or [])
        self.start_provisioning()
        self.home_efs_file_system_uid = str(200000 + random.randint(0, 99999))
        self.creation_time = utcnow()
        self.last_modified_time = self.creation_time


class UserProfile(StudioMember):
    """A SageMaker Studio user profile (CreateUserProfile), ``Pending`` while it is created."""

    def __init__(
        self,
        domain_id: str,
        name: str,
        account_id: str,
        region_name: str,
        user_settings: dict[str, Any] | None,
        single_sign_on_user_identifier: str | None,
        single_sign_on_user_value: str | None,
        tags: list[dict[str, str]] | None,
    ) -> None:
        self.user_settings = user_settings
        self.single_sign_on_user_identifier = single_sign_on_user_identifier
        self.single_sign_on_user_value = single_sign_on_user_value
        super().__init__("user-profile", domain_id, name, account_id, region_name, tags)

    def describe(self) -> dict[str, Any]:
        result = {
            "DomainId": self.domain_id,
            "UserProfileArn": self.arn,
            "UserProfileName": self.name,
            "HomeEfsFileSystemUid": self.home_efs_file_system_uid,
            "Status": self.status,
            "LastModifiedTime": self.last_modified_time,
            "CreationTime": self.creation_time,
            "SingleSignOnUserIdentifier": self.single_sign_on_user_identifier,
            "SingleSignOnUserValue": self.single_sign_on_user_value,
            "UserSettings": self.user_settings,
        }
        return without_none(result)

    def summary(self) -> dict[str, Any]:
        return {
            "DomainId": self.domain_id,
            "UserProfileName": self.name,
            "Status": self.status,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
        }


#: App types whose space runs one app of the space's own type (SpaceSettings.AppType); the
#: Studio Classic types (JupyterServer, KernelGateway) are not tied to a space's type.
SPACE_APP_TYPES = ("JupyterLab", "CodeEditor")


class Space(StudioMember):
    """A Studio space (CreateSpace), ``Pending`` while it is created. Private spaces have an
    owner (OwnershipSettings) and SpaceSharingSettings ``Private``; shared ones ``Shared``."""

    def __init__(
        self,
        domain_id: str,
        name: str,
        account_id: str,
        region_name: str,
        space_settings: dict[str, Any] | None,
        ownership_settings: dict[str, str] | None,
        space_sharing_settings: dict[str, str] | None,
        space_display_name: str | None,
        tags: list[dict[str, str]] | None,
    ) -> None:
        self.space_settings = space_settings
        self.ownership_settings = ownership_settings
        self.space_sharing_settings = space_sharing_settings
        self.space_display_name = space_display_name
        super().__init__("space", domain_id, name, account_id, region_name, tags)

    @property
    def owner(self) -> str | None:
        return (self.ownership_settings or {}).get("OwnerUserProfileName")

    @property
    def app_type(self) -> str | None:
        return (self.space_settings or {}).get("AppType")

    def describe(self) -> dict[str, Any]:
        result = {
            "DomainId": self.domain_id,
            "SpaceArn": self.arn,
            "SpaceName": self.name,
            "HomeEfsFileSystemUid": self.home_efs_file_system_uid,
            "Status": self.status,
            "LastModifiedTime": self.last_modified_time,
            "CreationTime": self.creation_time,
            "SpaceSettings": self.space_settings,
            "OwnershipSettings": self.ownership_settings,
            "SpaceSharingSettings": self.space_sharing_settings,
            "SpaceDisplayName": self.space_display_name,
        }
        return without_none(result)

    def summary(self) -> dict[str, Any]:
        """A SpaceDetails entry of ListSpaces."""
        settings = self.space_settings or {}
        settings_summary = {
            k: settings[k] for k in ("AppType", "RemoteAccess", "SpaceStorageSettings") if k in settings
        }
        result = {
            "DomainId": self.domain_id,
            "SpaceName": self.name,
            "Status": self.status,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "SpaceSettingsSummary": settings_summary or None,
            "SpaceSharingSettingsSummary": self.space_sharing_settings,
            "OwnershipSettingsSummary": self.ownership_settings,
            "SpaceDisplayName": self.space_display_name,
        }
        return without_none(result)


def app_arn(
    domain_id: str, owner: str | None, app_type: str, name: str, account_id: str, region_name: str
) -> str:
    """An app's ARN, ``app/${DomainId}/${UserProfileName}/${AppType}/${AppName}`` (Service
    Authorization Reference, SageMaker resource types), with a space's name for its apps."""
    return arn_formatter("app", f"{domain_id}/{owner}/{app_type}/{name}", account_id, region_name)


class StudioApp(Provisioned, BaseModel):
    """A Studio app (CreateApp) of a space or a user profile: ``Pending``, then ``InService``;
    after DeleteApp ``Deleting`` for the same delay, then ``Deleted``, and still described (AWS
    keeps a deleted app visible, and a new app may then take its name)."""

    deleting_until: datetime | None = None

    def __init__(
        self,
        domain_id: str,
        user_profile_name: str | None,
        space_name: str | None,
        app_type: str,
        name: str,
        account_id: str,
        region_name: str,
        resource_spec: dict[str, Any] | None,
        tags: list[dict[str, str]] | None,
    ) -> None:
        self.domain_id = domain_id
        self.user_profile_name = user_profile_name
        self.space_name = space_name
        self.app_type = app_type
        self.name = name
        self.arn = app_arn(
            domain_id, space_name or user_profile_name, app_type, name, account_id, region_name
        )
        self.resource_spec = resource_spec
        self.tags = list(tags or [])
        self.start_provisioning()
        self.creation_time = utcnow()

    @property
    def status(self) -> str:
        if self.deleting_until is not None:
            return "Deleting" if utcnow() < self.deleting_until else "Deleted"
        return super().status

    @status.setter
    def status(self, value: str) -> None:
        self._status = value

    def start_deleting(self) -> None:
        self.deleting_until = utcnow() + provisioning_delay()

    @property
    def live(self) -> bool:
        """Not yet ``Deleted`` (what keeps its space or profile from being deleted)."""
        return self.status != "Deleted"

    def _members(self) -> dict[str, Any]:
        return {
            "DomainId": self.domain_id,
            "UserProfileName": self.user_profile_name,
            "SpaceName": self.space_name,
            "AppType": self.app_type,
            "AppName": self.name,
            "Status": self.status,
            "CreationTime": self.creation_time,
            "ResourceSpec": self.resource_spec,
        }

    def describe(self) -> dict[str, Any]:
        return without_none({"AppArn": self.arn, **self._members()})

    def summary(self) -> dict[str, Any]:
        """An AppDetails entry of ListApps."""
        return without_none(self._members())


class StudioBackend(SageMakerModelBackend):
    """The Studio operations of the governance backend (state set by :meth:`init_studio_state`)."""

    #: Set by ``GovernanceSageMakerBackend.init_governance_state``; shared with the registry.
    registry_lock: threading.RLock

    def init_studio_state(self) -> None:
        self.user_profiles: dict[tuple[str, str], UserProfile] = {}
        self.spaces: dict[tuple[str, str], Space] = {}
        self.apps: dict[str, StudioApp] = {}

    # -- Studio domains and user profiles --------------------------------------------------
    def create_domain(self, domain_name: str, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        """CreateDomain with an AWS-format id (moto's handler parses the request)."""
        if any(d.domain_name == domain_name for d in self.domains.values()):
            raise ResourceInUseException(
                f"Resource Already Exists: Domain with name {domain_name} already exists. "
                "Choose a different name."
            )
        domain = StudioDomain(
            domain_name=domain_name, account_id=self.account_id, region_name=self.region_name, **kwargs
        )
        self.domains[domain.id] = domain
        return {"DomainArn": domain.arn, "DomainId": domain.id, "Url": domain.url}

    def studio_domain(self, domain_id: str) -> StudioDomain:
        domain = self.domains.get(domain_id)
        if not isinstance(domain, StudioDomain):
            raise ResourceNotFound(f"Cannot find Domain with id {domain_id}.")
        return domain

    def studio_domain_named(self, domain_name: str) -> StudioDomain:
        for domain in self.domains.values():
            if domain.domain_name == domain_name and isinstance(domain, StudioDomain):
                return domain
        raise ResourceNotFound(f"Cannot find Domain with name {domain_name}.")

    def describe_domain(self, domain_id: str) -> dict[str, Any]:
        return self.studio_domain(domain_id).describe()

    def delete_domain(self, domain_id: str, retention_policy: dict[str, str] | None) -> None:
        self.studio_domain(domain_id)
        if any(d == domain_id for d, _ in self.user_profiles):
            raise ResourceInUseException(f"Domain {domain_id} still has user profiles.")
        if any(d == domain_id for d, _ in self.spaces):
            raise ResourceInUseException(f"Domain {domain_id} still has spaces.")
        del self.domains[domain_id]

    def update_domain(self, domain_id: str, **changes: Any) -> str:
        """UpdateDomain: stores the settings the request names."""
        domain = self.studio_domain(domain_id)
        for attribute, value in changes.items():
            if value is not None:
                setattr(domain, attribute, value)
        domain.last_modified_time = utcnow()
        return domain.arn

    def _check_new_member(
        self, kind: str, members: Mapping[tuple[str, str], StudioMember], domain_id: str, name: str
    ) -> None:
        """A new user profile or space (``kind``) is made in an existing domain, under a name not
        yet taken there."""
        self.studio_domain(domain_id)
        if (domain_id, name) in members:
            raise ResourceInUseException(
                f"Resource Already Exists: {kind} with name {name} already exists in domain "
                f"{domain_id}. Choose a different name."
            )

    def create_user_profile(
        self,
        domain_id: str,
        user_profile_name: str,
        single_sign_on_user_identifier: str | None,
        single_sign_on_user_value: str | None,
        tags: list[dict[str, str]] | None,
        user_settings: dict[str, Any] | None,
    ) -> str:
        self._check_new_member("UserProfile", self.user_profiles, domain_id, user_profile_name)
        profile = UserProfile(
            domain_id=domain_id,
            name=user_profile_name,
            account_id=self.account_id,
            region_name=self.region_name,
            user_settings=user_settings,
            single_sign_on_user_identifier=single_sign_on_user_identifier,
            single_sign_on_user_value=single_sign_on_user_value,
            tags=tags,
        )
        self.user_profiles[(domain_id, user_profile_name)] = profile
        return profile.arn

    def describe_user_profile(self, domain_id: str, user_profile_name: str) -> UserProfile:
        profile = self.user_profiles.get((domain_id, user_profile_name))
        if profile is None:
            raise ResourceNotFound(f"User profile {user_profile_name} does not exist in domain {domain_id}.")
        return profile

    def update_user_profile(
        self, domain_id: str, user_profile_name: str, user_settings: dict[str, Any] | None
    ) -> str:
        """UpdateUserProfile: the settings named are merged into the profile's."""
        profile = self.describe_user_profile(domain_id, user_profile_name)
        if user_settings is not None:
            merged = dict(profile.user_settings or {})
            merged.update(user_settings)
            profile.user_settings = merged
        profile.last_modified_time = utcnow()
        return profile.arn

    def delete_user_profile(self, domain_id: str, user_profile_name: str) -> None:
        """DeleteUserProfile: refused while the profile owns a space or has an app that is not
        ``Deleted`` (ResourceInUse)."""
        self.describe_user_profile(domain_id, user_profile_name)
        owned = [
            s.name for s in self.spaces.values() if s.domain_id == domain_id and s.owner == user_profile_name
        ]
        if owned or self._live_apps(domain_id, user_profile=user_profile_name):
            raise ResourceInUseException(
                f"User profile {user_profile_name} still owns spaces {owned} or has apps that are not Deleted."
            )
        del self.user_profiles[(domain_id, user_profile_name)]

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_user_profiles(
        self,
        domain_id_equals: str | None,
        user_profile_name_contains: str | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[UserProfile]:
        profiles = [
            p
            for p in self.user_profiles.values()
            if (domain_id_equals is None or p.domain_id == domain_id_equals)
            and (user_profile_name_contains is None or user_profile_name_contains in p.name)
        ]
        key = (lambda p: p.name) if sort_by == "UserProfileName" else (lambda p: p.creation_time)
        return sort_by_order(profiles, key, sort_order)

    # -- Studio spaces and apps ------------------------------------------------------------
    def _check_owner(
        self,
        domain_id: str,
        ownership_settings: dict[str, str] | None,
        space_sharing_settings: dict[str, str] | None,
    ) -> None:
        """A space with an owner names its sharing type and the reverse (a private space is
        "OwnershipSettings + SpaceSharingSettings Private", Studio's "Create a space"), and the
        owner is a user profile of the space's domain."""
        if (ownership_settings is None) != (space_sharing_settings is None):
            raise ValidationError("OwnershipSettings and SpaceSharingSettings must be specified together.")
        if ownership_settings is None:
            return
        owner = ownership_settings.get("OwnerUserProfileName")
        if (domain_id, owner) not in self.user_profiles:
            raise ResourceNotFound(f"User profile {owner} does not exist in domain {domain_id}.")

    def create_space(
        self,
        domain_id: str,
        space_name: str,
        tags: list[dict[str, str]] | None,
        space_settings: dict[str, Any] | None,
        ownership_settings: dict[str, str] | None,
        space_sharing_settings: dict[str, str] | None,
        space_display_name: str | None,
    ) -> str:
        """CreateSpace: in an existing domain, a name not yet taken there, an owner (private or
        shared space) that is a user profile of that domain."""
        with self.registry_lock:
            self._check_new_member("Space", self.spaces, domain_id, space_name)
            self._check_owner(domain_id, ownership_settings, space_sharing_settings)
            space = Space(
                domain_id=domain_id,
                name=space_name,
                account_id=self.account_id,
                region_name=self.region_name,
                space_settings=space_settings,
                ownership_settings=ownership_settings,
                space_sharing_settings=space_sharing_settings,
                space_display_name=space_display_name,
                tags=tags,
            )
            self.spaces[(domain_id, space_name)] = space
            return space.arn

    def describe_space(self, domain_id: str, space_name: str) -> Space:
        space = self.spaces.get((domain_id, space_name))
        if space is None:
            raise ResourceNotFound(f"Space {space_name} does not exist in domain {domain_id}.")
        return space

    def _live_apps(
        self, domain_id: str, *, space_name: str | None = None, user_profile: str | None = None
    ) -> list[StudioApp]:
        return [
            a
            for a in self.apps.values()
            if a.domain_id == domain_id
            and a.live
            and (space_name is None or a.space_name == space_name)
            and (user_profile is None or a.user_profile_name == user_profile)
        ]

    def delete_space(self, domain_id: str, space_name: str) -> None:
        """DeleteSpace: refused while an app of the space is not ``Deleted`` (ResourceInUse)."""
        with self.registry_lock:
            self.describe_space(domain_id, space_name)
            if self._live_apps(domain_id, space_name=space_name):
                raise ResourceInUseException(
                    f"Space {space_name} in domain {domain_id} has apps that are not Deleted; "
                    "delete them first."
                )
            del self.spaces[(domain_id, space_name)]

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_spaces(
        self,
        domain_id_equals: str | None,
        space_name_contains: str | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[Space]:
        spaces = [
            s
            for s in self.spaces.values()
            if (domain_id_equals is None or s.domain_id == domain_id_equals)
            and (space_name_contains is None or space_name_contains in s.name)
        ]
        attribute = "last_modified_time" if sort_by == "LastModifiedTime" else "creation_time"
        return sort_by_order(spaces, lambda s: getattr(s, attribute), sort_order)

    def create_app(
        self,
        domain_id: str,
        user_profile_name: str | None,
        space_name: str | None,
        app_type: str,
        app_name: str,
        tags: list[dict[str, str]] | None,
        resource_spec: dict[str, Any] | None,
    ) -> str:
        """CreateApp: of exactly one space or user profile, which must exist in an existing
        domain; a JupyterLab or Code Editor space runs apps of its own type only; a name is taken
        again only once its app is ``Deleted``."""
        with self.registry_lock:
            self.studio_domain(domain_id)
            if (user_profile_name is None) == (space_name is None):
                raise ValidationError("Specify exactly one of UserProfileName and SpaceName.")
            if space_name is not None:
                space = self.describe_space(domain_id, space_name)
                if space.app_type in SPACE_APP_TYPES and app_type != space.app_type:
                    raise ValidationError(
                        f"Space {space_name} is a {space.app_type} space; it cannot run a {app_type} app."
                    )
            else:
                self.describe_user_profile(domain_id, str(user_profile_name))
            app = StudioApp(
                domain_id=domain_id,
                user_profile_name=user_profile_name,
                space_name=space_name,
                app_type=app_type,
                name=app_name,
                account_id=self.account_id,
                region_name=self.region_name,
                resource_spec=resource_spec,
                tags=tags,
            )
            existing = self.apps.get(app.arn)
            if existing is not None and existing.live:
                raise ResourceInUseException(f"App {app.arn} already exists with status {existing.status}.")
            self.apps[app.arn] = app
            return app.arn

    def _find_app(
        self,
        domain_id: str,
        user_profile_name: str | None,
        space_name: str | None,
        app_type: str,
        app_name: str,
    ) -> StudioApp:
        owner = space_name or user_profile_name
        return self._app(app_arn(domain_id, owner, app_type, app_name, self.account_id, self.region_name))

    def _app(self, arn: str) -> StudioApp:
        app = self.apps.get(arn)
        if app is None:
            raise ResourceNotFound(f"App {arn} does not exist.")
        return app

    def describe_app(
        self,
        domain_id: str,
        user_profile_name: str | None,
        space_name: str | None,
        app_type: str,
        app_name: str,
    ) -> StudioApp:
        """DescribeApp: a deleted app is still described, with Status ``Deleted``."""
        return self._find_app(domain_id, user_profile_name, space_name, app_type, app_name)

    def delete_app(
        self,
        domain_id: str,
        user_profile_name: str | None,
        space_name: str | None,
        app_type: str,
        app_name: str,
    ) -> None:
        """DeleteApp: the app is ``Deleting``, then ``Deleted``; one already being deleted or deleted
        is not found."""
        with self.registry_lock:
            app = self._find_app(domain_id, user_profile_name, space_name, app_type, app_name)
            if app.deleting_until is not None:
                raise ResourceNotFound(f"App {app.arn} has already been deleted.")
            app.start_deleting()

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_apps(
        self,
        domain_id_equals: str | None,
        user_profile_name_equals: str | None,
        space_name_equals: str | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[StudioApp]:
        apps = [
            a
            for a in self.apps.values()
            if (domain_id_equals is None or a.domain_id == domain_id_equals)
            and (user_profile_name_equals is None or a.user_profile_name == user_profile_name_equals)
            and (space_name_equals is None or a.space_name == space_name_equals)
        ]
        return sort_by_order(apps, lambda a: a.creation_time, sort_order)

    def _get_resource_from_arn(self, arn: str) -> Any:
        """The user profile, domain, space or app an ARN names (tag operations); others are the
        next class's to find."""
        resource_type, _, resource_id = arn.split(":", 5)[-1].partition("/")
        if resource_type == "user-profile":
            domain_id, _, name = resource_id.partition("/")
            return self.describe_user_profile(domain_id, name)
        if resource_type == "domain":
            return self.studio_domain(resource_id)
        if resource_type == "space":
            domain_id, _, name = resource_id.partition("/")
            return self.describe_space(domain_id, name)
        if resource_type == "app":
            return self._app(arn)
        return super()._get_resource_from_arn(arn)
