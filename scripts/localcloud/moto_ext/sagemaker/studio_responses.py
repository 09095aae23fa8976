"""The Studio request handlers of the governance backend (domains, user profiles, spaces and
apps), and what a call that hands SageMaker a role or tags a new Studio resource needs
(``iam:PassRole``, ``sagemaker:AddTags``). :class:`~.responses.GovernanceSageMakerResponse` is
composed of :class:`StudioResponse`."""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker import models as sm_models
from moto.sagemaker.responses import SageMakerResponse

from .models import GovernanceSageMakerBackend


def governance_backend(account_id: str, region_name: str) -> GovernanceSageMakerBackend:
    backend = sm_models.sagemaker_backends[account_id][region_name]
    if not isinstance(backend, GovernanceSageMakerBackend):
        raise TypeError("moto_ext.install() has not swapped the SageMaker backend in")
    return backend


class StudioResponse(SageMakerResponse):
    """Handlers for Studio operations (botocore names)."""

    @property
    def sagemaker_backend(self) -> GovernanceSageMakerBackend:
        return governance_backend(self.current_account, self.region)

    def _pass_roles(self, *settings: dict[str, Any] | None) -> None:
        """A call that hands SageMaker a role (a domain's or profile's ExecutionRole) needs
        ``iam:PassRole`` on it, with ``iam:PassedToService`` = ``sagemaker.amazonaws.com`` (IAM
        User Guide, "Grant a user permissions to pass a role to an AWS service"); refused with
        AccessDeniedException naming iam:PassRole (``service_role.check_pass_role``, which the
        models, jobs and pipelines use too)."""
        from .service_role import check_pass_role

        arns = [(s or {}).get("ExecutionRole") for s in settings]
        for arn in dict.fromkeys(a for a in arns if a):
            check_pass_role(self, arn)

    def _tag_on_create(self, arn: str, operation: str) -> None:
        """Tags given to a Studio space or app on creation need ``sagemaker:AddTags`` on it too,
        with ``sagemaker:TaggingAction`` = the creating operation (SageMaker Developer Guide,
        "Provide permissions for tagging SageMaker AI resources": Studio tags what it creates,
        and the managed policies allow AddTags only with that key)."""
        from ..request_context import request_tag_keys
        from ..resource_policies import authorize_on_behalf

        tags = self._get_param("Tags")
        if tags:
            keys = {"sagemaker:taggingaction": operation, **request_tag_keys(tags)}
            authorize_on_behalf(self, "sagemaker:AddTags", arn, keys)

    # -- Studio domains and user profiles --------------------------------------------------
    def create_domain(self) -> ActionResult:
        """moto's handler, plus TagPropagation, which moto's does not read."""
        self._pass_roles(self._get_param("DefaultUserSettings"), self._get_param("DefaultSpaceSettings"))
        result = super().create_domain()
        domain = self.sagemaker_backend.studio_domain_named(self._get_param("DomainName"))
        domain.tag_propagation = self._get_param("TagPropagation") or "DISABLED"
        return result

    def update_domain(self) -> ActionResult:
        self._pass_roles(self._get_param("DefaultUserSettings"), self._get_param("DefaultSpaceSettings"))
        arn = self.sagemaker_backend.update_domain(
            self._get_param("DomainId"),
            default_user_settings=self._get_param("DefaultUserSettings"),
            domain_settings=self._get_param("DomainSettings"),
            default_space_settings=self._get_param("DefaultSpaceSettings"),
            subnet_ids=self._get_param("SubnetIds"),
            app_network_access_type=self._get_param("AppNetworkAccessType"),
            tag_propagation=self._get_param("TagPropagation"),
        )
        return ActionResult({"DomainArn": arn})

    def create_user_profile(self) -> ActionResult:
        self._pass_roles(self._get_param("UserSettings"))
        arn = self.sagemaker_backend.create_user_profile(
            domain_id=self._get_param("DomainId"),
            user_profile_name=self._get_param("UserProfileName"),
            single_sign_on_user_identifier=self._get_param("SingleSignOnUserIdentifier"),
            single_sign_on_user_value=self._get_param("SingleSignOnUserValue"),
            tags=self._get_param("Tags"),
            user_settings=self._get_param("UserSettings"),
        )
        return ActionResult({"UserProfileArn": arn})

    def describe_user_profile(self) -> ActionResult:
        profile = self.sagemaker_backend.describe_user_profile(
            self._get_param("DomainId"), self._get_param("UserProfileName")
        )
        return ActionResult(profile.describe())

    def update_user_profile(self) -> ActionResult:
        self._pass_roles(self._get_param("UserSettings"))
        arn = self.sagemaker_backend.update_user_profile(
            self._get_param("DomainId"),
            self._get_param("UserProfileName"),
            self._get_param("UserSettings"),
        )
        return ActionResult({"UserProfileArn": arn})

    def delete_user_profile(self) -> ActionResult:
        self.sagemaker_backend.delete_user_profile(
            self._get_param("DomainId"), self._get_param("UserProfileName")
        )
        return EmptyResult()

    def list_user_profiles(self) -> ActionResult:
        profiles, token = self.sagemaker_backend.list_user_profiles(
            domain_id_equals=self._get_param("DomainIdEquals"),
            user_profile_name_contains=self._get_param("UserProfileNameContains"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult({"UserProfiles": [p.summary() for p in profiles], "NextToken": token})

    # -- Studio spaces and apps --------------------------------------------------------------
    def create_space(self) -> ActionResult:
        domain_id, name = self._get_param("DomainId"), self._get_param("SpaceName")
        self._tag_on_create(
            f"arn:aws:sagemaker:{self.region}:{self.current_account}:space/{domain_id}/{name}", "CreateSpace"
        )
        arn = self.sagemaker_backend.create_space(
            domain_id=self._get_param("DomainId"),
            space_name=self._get_param("SpaceName"),
            tags=self._get_param("Tags"),
            space_settings=self._get_param("SpaceSettings"),
            ownership_settings=self._get_param("OwnershipSettings"),
            space_sharing_settings=self._get_param("SpaceSharingSettings"),
            space_display_name=self._get_param("SpaceDisplayName"),
        )
        return ActionResult({"SpaceArn": arn})

    def describe_space(self) -> ActionResult:
        space = self.sagemaker_backend.describe_space(
            self._get_param("DomainId"), self._get_param("SpaceName")
        )
        return ActionResult(space.describe())

    def delete_space(self) -> ActionResult:
        self.sagemaker_backend.delete_space(self._get_param("DomainId"), self._get_param("SpaceName"))
        return EmptyResult()

    def list_spaces(self) -> ActionResult:
        spaces, token = self.sagemaker_backend.list_spaces(
            domain_id_equals=self._get_param("DomainIdEquals"),
            space_name_contains=self._get_param("SpaceNameContains"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult({"Spaces": [s.summary() for s in spaces], "NextToken": token})

    def _app_key(self) -> dict[str, Any]:
        """The members that name one app (DescribeApp, DeleteApp)."""
        return {
            "domain_id": self._get_param("DomainId"),
            "user_profile_name": self._get_param("UserProfileName"),
            "space_name": self._get_param("SpaceName"),
            "app_type": self._get_param("AppType"),
            "app_name": self._get_param("AppName"),
        }

    def create_app(self) -> ActionResult:
        key = self._app_key()
        owner = key["space_name"] or key["user_profile_name"]
        self._tag_on_create(
            f"arn:aws:sagemaker:{self.region}:{self.current_account}:app/{key['domain_id']}/{owner}/"
            f"{key['app_type']}/{key['app_name']}",
            "CreateApp",
        )
        arn = self.sagemaker_backend.create_app(
            **self._app_key(), tags=self._get_param("Tags"), resource_spec=self._get_param("ResourceSpec")
        )
        return ActionResult({"AppArn": arn})

    def describe_app(self) -> ActionResult:
        return ActionResult(self.sagemaker_backend.describe_app(**self._app_key()).describe())

    def delete_app(self) -> ActionResult:
        self.sagemaker_backend.delete_app(**self._app_key())
        return EmptyResult()

    def list_apps(self) -> ActionResult:
        apps, token = self.sagemaker_backend.list_apps(
            domain_id_equals=self._get_param("DomainIdEquals"),
            user_profile_name_equals=self._get_param("UserProfileNameEquals"),
            space_name_equals=self._get_param("SpaceNameEquals"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult({"Apps": [a.summary() for a in apps], "NextToken": token})
