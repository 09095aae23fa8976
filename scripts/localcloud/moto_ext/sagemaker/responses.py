"""SageMaker request handlers for the governance backend: one per botocore operation.

Calls that name a resource by ARN are served from the ARN's account (a downstream promotion role
reads and annotates the upstream account's versions), and with IAM enforced such a cross-account
call is authorized by the model package group's resource policy (``policy.py``), as on AWS.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker import models as sm_models
from moto.sagemaker.responses import SageMakerResponse

from ..utils import iam_enforced
from .cards import metadata_only
from .models import (
    CreateModelPackageRequest,
    GovernanceSageMakerBackend,
    UpdateModelPackageRequest,
    governed,
)
from .policy import authorize_cross_account, group_name
from .search import RECORD_MEMBERS
from .serving_responses import ServingResponse


def _governance_backend(account_id: str, region_name: str) -> GovernanceSageMakerBackend:
    backend = sm_models.sagemaker_backends[account_id][region_name]
    if not isinstance(backend, GovernanceSageMakerBackend):
        raise TypeError("moto_ext.install() has not swapped the SageMaker backend in")
    return backend


class GovernanceSageMakerResponse(ServingResponse, SageMakerResponse):
    """Handlers for the operations of :class:`GovernanceSageMakerBackend` (botocore names)."""

    @property
    def sagemaker_backend(self) -> GovernanceSageMakerBackend:
        return _governance_backend(self.current_account, self.region)

    def _backend_for(self, name_or_arn: str | None, operation: str) -> GovernanceSageMakerBackend:
        """The backend of the account and region an ARN names (the caller's for a plain name);
        a cross-account call is authorized by the group's resource policy while IAM is enforced."""
        if name_or_arn and name_or_arn.startswith("arn:"):
            parts = name_or_arn.split(":")
            if len(parts) > 5 and parts[2] == "sagemaker" and parts[4]:
                backend = _governance_backend(parts[4], parts[3])
                if parts[4] != self.current_account and iam_enforced():
                    policy = backend.model_package_group_policies.get(group_name(name_or_arn))
                    authorize_cross_account(policy, self._caller()[0], operation, name_or_arn)
                return backend
        return self.sagemaker_backend

    def _caller(self) -> tuple[str, dict[str, str]]:
        """The caller's principal ARN (the role for an assumed role) and its IamIdentity."""
        from moto.iam.models import iam_backends
        from moto.sts.models import sts_backends

        for partition_backend in sts_backends[self.current_account].values():
            assumed = partition_backend.get_assumed_role_from_access_key(self.access_key)
            if assumed is not None:
                return assumed.role_arn, {"Arn": assumed.arn, "PrincipalId": assumed.user_id}
        for iam in iam_backends[self.current_account].values():
            key = iam.access_keys.get(self.access_key)
            if key is not None and key.user_name is not None:
                user = iam.get_user(key.user_name)
                return user.arn, {"Arn": user.arn, "PrincipalId": user.id}
        root = f"arn:aws:iam::{self.current_account}:root"
        return root, {"Arn": root, "PrincipalId": self.current_account}

    def _user_context(self) -> dict[str, Any]:
        """CreatedBy / LastModifiedBy: the IAM identity that made the call, as SageMaker records
        it for API callers (moto invented a fake Studio user profile)."""
        return {"IamIdentity": self._caller()[1]}

    # -- model packages and groups ----------------------------------------------------------
    def create_model_package(self) -> ActionResult:
        request = CreateModelPackageRequest.from_params(self._get_param)
        arn = self.sagemaker_backend.create_model_package(request, created_by=self._user_context())
        return ActionResult({"ModelPackageArn": arn})

    def update_model_package(self) -> ActionResult:
        request = UpdateModelPackageRequest.from_params(self._get_param)
        backend = self._backend_for(request.model_package_arn, "UpdateModelPackage")
        arn = backend.update_model_package(request, modified_by=self._user_context())
        return ActionResult({"ModelPackageArn": arn})

    def describe_model_package(self) -> ActionResult:
        """DescribeModelPackage; ``IncludedData=MetadataOnly`` trims the card's content to the
        unencrypted metadata fields (status kept, every other member unchanged)."""
        name = self._get_param("ModelPackageName")
        package = self._backend_for(name, "DescribeModelPackage").describe_model_package(name)
        described = package.describe()
        card = described.get("ModelCard")
        if self._get_param("IncludedData") == "MetadataOnly" and card and "ModelCardContent" in card:
            described["ModelCard"] = {**card, "ModelCardContent": metadata_only(card["ModelCardContent"])}
        return ActionResult(described)

    def describe_model_package_group(self) -> ActionResult:
        name = self._get_param("ModelPackageGroupName")
        group = self._backend_for(name, "DescribeModelPackageGroup").model_package_group(name)
        response = group.gen_response_object()
        response.setdefault("CreatedBy", {})
        return ActionResult(response)

    def list_model_packages(self) -> ActionResult:
        backend = self._backend_for(self._get_param("ModelPackageGroupName"), "ListModelPackages")
        packages, next_token = backend.list_model_packages(
            creation_time_after=self._get_param("CreationTimeAfter"),
            creation_time_before=self._get_param("CreationTimeBefore"),
            max_results=self._get_param("MaxResults"),
            name_contains=self._get_param("NameContains"),
            model_approval_status=self._get_param("ModelApprovalStatus"),
            model_package_group_name=self._get_param("ModelPackageGroupName"),
            model_package_type=self._get_param("ModelPackageType", "Unversioned"),
            next_token=self._get_param("NextToken"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
        )
        summaries = [governed(p).summary() for p in packages]
        return ActionResult({"ModelPackageSummaryList": summaries, "NextToken": next_token})

    def delete_model_package(self) -> ActionResult:
        self.sagemaker_backend.delete_model_package(self._get_param("ModelPackageName"))
        return EmptyResult()

    def delete_model_package_group(self) -> ActionResult:
        self.sagemaker_backend.delete_model_package_group(self._get_param("ModelPackageGroupName"))
        return EmptyResult()

    def put_model_package_group_policy(self) -> ActionResult:
        arn = self.sagemaker_backend.put_model_package_group_policy(
            self._get_param("ModelPackageGroupName"), self._get_param("ResourcePolicy")
        )
        return ActionResult({"ModelPackageGroupArn": arn})

    def get_model_package_group_policy(self) -> ActionResult:
        policy = self.sagemaker_backend.get_model_package_group_policy(
            self._get_param("ModelPackageGroupName")
        )
        return ActionResult({"ResourcePolicy": policy})

    def delete_model_package_group_policy(self) -> ActionResult:
        self.sagemaker_backend.delete_model_package_group_policy(self._get_param("ModelPackageGroupName"))
        return EmptyResult()

    # -- Search -----------------------------------------------------------------------------
    def search(self) -> ActionResult:
        """Search: model packages, groups and cards as AWS returns them (whole records, 100 a
        page, filters, sorting); other resources are left to moto."""
        resource = self._get_param("Resource")
        if resource not in RECORD_MEMBERS:
            return super().search()
        hits, token = self.sagemaker_backend.search_records(
            resource=resource,
            search_expression=self._get_param("SearchExpression"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            cross_account_filter_option=self._get_param("CrossAccountFilterOption"),
            visibility_conditions=self._get_param("VisibilityConditions"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        member = RECORD_MEMBERS[resource]
        return ActionResult({"Results": [{member: hit.record} for hit in hits], "NextToken": token})

    # -- model cards ---------------------------------------------------------------------------
    def describe_model_card(self) -> ActionResult:
        """moto's DescribeModelCard, with ``IncludedData=MetadataOnly``."""
        card = self.sagemaker_backend.describe_model_card_version(
            self._get_param("ModelCardName"), self._get_param("ModelCardVersion")
        )
        described = card.describe()
        described["LastModifiedTime"] = card.last_modified_time
        if described.get("SecurityConfig") is None:
            described.pop("SecurityConfig", None)
        if self._get_param("IncludedData") == "MetadataOnly":
            described["Content"] = metadata_only(described["Content"])
        return ActionResult(described)

    def update_model_card(self) -> ActionResult:
        arn = self.sagemaker_backend.update_model_card(
            self._get_param("ModelCardName"), self._get_param("Content"), self._get_param("ModelCardStatus")
        )
        return ActionResult({"ModelCardArn": arn})

    def create_model_card_export_job(self) -> ActionResult:
        arn = self.sagemaker_backend.create_model_card_export_job(
            self._get_param("ModelCardName"),
            self._get_param("ModelCardVersion"),
            self._get_param("ModelCardExportJobName"),
            self._get_param("OutputConfig")["S3OutputPath"],
        )
        return ActionResult({"ModelCardExportJobArn": arn})

    def describe_model_card_export_job(self) -> ActionResult:
        job = self.sagemaker_backend.describe_model_card_export_job(self._get_param("ModelCardExportJobArn"))
        return ActionResult(job.describe())

    def list_model_card_export_jobs(self) -> ActionResult:
        jobs, token = self.sagemaker_backend.list_model_card_export_jobs(
            model_card_name=self._get_param("ModelCardName"),
            model_card_version=self._get_param("ModelCardVersion"),
            creation_time_after=self._get_param("CreationTimeAfter"),
            creation_time_before=self._get_param("CreationTimeBefore"),
            name_contains=self._get_param("ModelCardExportJobNameContains"),
            status_equals=self._get_param("StatusEquals"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult({"ModelCardExportJobSummaries": [j.summary() for j in jobs], "NextToken": token})

    # -- Studio domains and user profiles --------------------------------------------------
    def create_domain(self) -> ActionResult:
        """moto's handler, plus TagPropagation, which moto's does not read."""
        result = super().create_domain()
        domain = self.sagemaker_backend.studio_domain_named(self._get_param("DomainName"))
        domain.tag_propagation = self._get_param("TagPropagation") or "DISABLED"
        return result

    def update_domain(self) -> ActionResult:
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

    # -- lineage ----------------------------------------------------------------------------
    def _create_lineage(
        self,
        kind: str,
        *,
        description: str | None = None,
        status: str | None = None,
        metadata_properties: dict[str, Any] | None = None,
    ) -> ActionResult:
        """CreateArtifact, CreateAction, CreateContext: the members all three take, and those
        only some take (an Artifact has no Description, a Context no MetadataProperties and only
        an Action a Status)."""
        arn = self.sagemaker_backend.create_lineage_entity(
            kind,
            name=self._get_param(f"{kind}Name"),
            source=self._get_param("Source"),
            entity_type=self._get_param(f"{kind}Type"),
            description=description,
            status=status,
            properties=self._get_param("Properties"),
            metadata_properties=metadata_properties,
            tags=self._get_param("Tags"),
        )
        return ActionResult({f"{kind}Arn": arn})

    def create_artifact(self) -> ActionResult:
        return self._create_lineage("Artifact", metadata_properties=self._get_param("MetadataProperties"))

    def create_action(self) -> ActionResult:
        return self._create_lineage(
            "Action",
            description=self._get_param("Description"),
            status=self._get_param("Status"),
            metadata_properties=self._get_param("MetadataProperties"),
        )

    def create_context(self) -> ActionResult:
        return self._create_lineage("Context", description=self._get_param("Description"))

    def describe_artifact(self) -> ActionResult:
        entity = self.sagemaker_backend.get_lineage_entity("Artifact", self._get_param("ArtifactArn"))
        return ActionResult(entity.describe())

    def describe_action(self) -> ActionResult:
        entity = self.sagemaker_backend.get_lineage_entity("Action", self._get_param("ActionName"))
        return ActionResult(entity.describe())

    def describe_context(self) -> ActionResult:
        entity = self.sagemaker_backend.get_lineage_entity("Context", self._get_param("ContextName"))
        return ActionResult(entity.describe())

    def delete_artifact(self) -> ActionResult:
        source = self._get_param("Source") or {}
        arn = self.sagemaker_backend.delete_artifact(self._get_param("ArtifactArn"), source.get("SourceUri"))
        return ActionResult({"ArtifactArn": arn})

    def delete_action(self) -> ActionResult:
        arn = self.sagemaker_backend.delete_lineage_entity("Action", self._get_param("ActionName"))
        return ActionResult({"ActionArn": arn})

    def delete_context(self) -> ActionResult:
        arn = self.sagemaker_backend.delete_lineage_entity("Context", self._get_param("ContextName"))
        return ActionResult({"ContextArn": arn})

    def _list_lineage(self, kind: str) -> ActionResult:
        found, token = self.sagemaker_backend.list_lineage_entities(
            kind=kind,
            source_uri=self._get_param("SourceUri"),
            entity_type=self._get_param(f"{kind}Type"),
            created_after=self._get_param("CreatedAfter"),
            created_before=self._get_param("CreatedBefore"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult({f"{kind}Summaries": [e.summary() for e in found], "NextToken": token})

    def list_artifacts(self) -> ActionResult:
        return self._list_lineage("Artifact")

    def list_actions(self) -> ActionResult:
        return self._list_lineage("Action")

    def list_contexts(self) -> ActionResult:
        return self._list_lineage("Context")

    def add_association(self) -> ActionResult:
        source, destination = self._get_param("SourceArn"), self._get_param("DestinationArn")
        self.sagemaker_backend.add_association(source, destination, self._get_param("AssociationType"))
        return ActionResult({"SourceArn": source, "DestinationArn": destination})

    def delete_association(self) -> ActionResult:
        source, destination = self._get_param("SourceArn"), self._get_param("DestinationArn")
        self.sagemaker_backend.delete_association(source, destination)
        return ActionResult({"SourceArn": source, "DestinationArn": destination})

    def list_associations(self) -> ActionResult:
        found, token = self.sagemaker_backend.list_associations(
            source_arn=self._get_param("SourceArn"),
            destination_arn=self._get_param("DestinationArn"),
            source_type=self._get_param("SourceType"),
            destination_type=self._get_param("DestinationType"),
            association_type=self._get_param("AssociationType"),
            created_after=self._get_param("CreatedAfter"),
            created_before=self._get_param("CreatedBefore"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult({"AssociationSummaries": [a.summary() for a in found], "NextToken": token})
