"""SageMaker request handlers for the governance backend: one per botocore operation.

Calls that name a resource by ARN are served from the ARN's account (a downstream promotion role
reads and annotates the upstream account's versions), and with IAM enforced such a cross-account
call is authorized by the model package group's resource policy (``resource_policies.py``), as on AWS.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult, EmptyResult

from .cards import metadata_only
from .models import (
    CreateModelPackageRequest,
    GovernanceSageMakerBackend,
    UpdateModelPackageRequest,
    governed,
)
from .search import RECORD_MEMBERS
from .service_role import use_key
from .serving_responses import ServingResponse
from .studio_responses import StudioResponse, governance_backend
from .utils import without_none
from .workflow_responses import WorkflowResponses


def _timestamp(value: Any) -> datetime:
    """A request timestamp (epoch seconds, as botocore sends them) as an aware datetime."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    # moto keeps naive UTC times (moto.core.utils.utcnow).
    return datetime.fromtimestamp(float(value), tz=UTC).replace(tzinfo=None)


#: The KMS actions SageMaker performs, as the caller, with a registry key (module docstring).
KEY_WRITE = ("kms:DescribeKey", "kms:GenerateDataKey", "kms:CreateGrant")
KEY_UPDATE = ("kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant")
KEY_READ = ("kms:Decrypt",)


class GovernanceSageMakerResponse(ServingResponse, WorkflowResponses, StudioResponse):
    """Handlers for the operations of :class:`GovernanceSageMakerBackend` (botocore names)."""

    def _use_key(self, key_id: str | None, actions: tuple[str, ...]) -> None:
        """SageMaker encrypts model package and model card content under the customer key a
        ``SecurityConfig`` names, calling KMS as the caller through SageMaker
        (``service_role.use_key``: what AmazonSageMakerModelRegistryFullAccess grants,
        kms:CreateGrant, kms:GenerateDataKey, kms:Decrypt, kms:DescribeKey). Checked before
        anything changes."""
        use_key(self, key_id, actions)

    @property
    def sagemaker_backend(self) -> GovernanceSageMakerBackend:
        return governance_backend(self.current_account, self.region)

    def _backend_for(self, name_or_arn: str | None) -> GovernanceSageMakerBackend:
        """The backend of the account and region an ARN names (the caller's for a plain name).
        With IAM enforced, a call into another account was already authorized against the
        group's resource policy (``resource_policies.py``)."""
        if name_or_arn and name_or_arn.startswith("arn:"):
            parts = name_or_arn.split(":")
            if len(parts) > 5 and parts[2] == "sagemaker" and parts[4]:
                return governance_backend(parts[4], parts[3])
        return self.sagemaker_backend

    def _caller(self) -> tuple[str, dict[str, str]]:
        """The caller's principal ARN (the role for an assumed role) and its IamIdentity."""
        from moto.iam.models import iam_backends
        from moto.sts.models import sts_backends

        for partition_backend in sts_backends[self.current_account].values():
            assumed = partition_backend.get_assumed_role_from_access_key(self.access_key)
            if assumed is not None:
                identity = {"Arn": assumed.arn, "PrincipalId": assumed.user_id}
                source_identity = getattr(assumed, "source_identity", None)
                if source_identity:
                    # The session's sts:SourceIdentity, as SageMaker records it (IamIdentity).
                    identity["SourceIdentity"] = source_identity
                return assumed.role_arn, identity
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
        backend = self._backend_for(request.model_package_group_name)
        self._use_key((request.security_config or {}).get("KmsKeyId"), KEY_WRITE)
        arn = backend.create_model_package(request, created_by=self._user_context())
        return ActionResult({"ModelPackageArn": arn})

    def update_model_package(self) -> ActionResult:
        request = UpdateModelPackageRequest.from_params(self._get_param)
        backend = self._backend_for(request.model_package_arn)
        package = backend.describe_model_package(request.model_package_arn)
        self._use_key((package.security_config or {}).get("KmsKeyId"), KEY_UPDATE)
        arn = backend.update_model_package(request, modified_by=self._user_context())
        return ActionResult({"ModelPackageArn": arn})

    def describe_model_package(self) -> ActionResult:
        """DescribeModelPackage; ``IncludedData=MetadataOnly`` trims the card's content to the
        unencrypted metadata fields (status kept, every other member unchanged)."""
        name = self._get_param("ModelPackageName")
        package = self._backend_for(name).describe_model_package(name)
        if self._get_param("IncludedData") != "MetadataOnly":
            # "If you provided a KMS Key ID when you created your model package, you will see the
            # KMS Decrypt API call" (DescribeModelPackage); MetadataOnly needs no kms:Decrypt.
            self._use_key((package.security_config or {}).get("KmsKeyId"), KEY_READ)
        described = package.describe()
        card = described.get("ModelCard")
        if self._get_param("IncludedData") == "MetadataOnly" and card and "ModelCardContent" in card:
            described["ModelCard"] = {**card, "ModelCardContent": metadata_only(card["ModelCardContent"])}
        return ActionResult(described)

    def create_model_package_group(self) -> ActionResult:
        arn = self.sagemaker_backend.create_model_package_group(
            self._get_param("ModelPackageGroupName"),
            self._get_param("ModelPackageGroupDescription"),
            self._get_param("Tags"),
            created_by=self._user_context(),
        )
        return ActionResult({"ModelPackageGroupArn": arn})

    def describe_model_package_group(self) -> ActionResult:
        name = self._get_param("ModelPackageGroupName")
        group = self._backend_for(name).model_package_group(name)
        response = group.gen_response_object()
        response["CreatedBy"] = getattr(group, "created_by", None) or {}
        return ActionResult(response)

    def list_model_packages(self) -> ActionResult:
        backend = self._backend_for(self._get_param("ModelPackageGroupName"))
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
        else:
            # AllData "requires kms:Decrypt permission when a customer-managed key is configured".
            self._use_key((card.security_config or {}).get("KmsKeyId"), KEY_READ)
        return ActionResult(described)

    def create_model_card(self) -> ActionResult:
        """moto's CreateModelCard; content under a customer key needs SageMaker's use of it."""
        self._use_key((self._get_param("SecurityConfig") or {}).get("KmsKeyId"), KEY_WRITE)
        return super().create_model_card()

    def update_model_card(self) -> ActionResult:
        name = self._get_param("ModelCardName")
        card = self.sagemaker_backend.describe_model_card_version(name, None)
        self._use_key((card.security_config or {}).get("KmsKeyId"), KEY_UPDATE)
        arn = self.sagemaker_backend.update_model_card(
            self._get_param("ModelCardName"), self._get_param("Content"), self._get_param("ModelCardStatus")
        )
        return ActionResult({"ModelCardArn": arn})

    def create_model_card_export_job(self) -> ActionResult:
        card = self.sagemaker_backend.describe_model_card_version(
            self._get_param("ModelCardName"), self._get_param("ModelCardVersion")
        )
        self._use_key((card.security_config or {}).get("KmsKeyId"), KEY_READ)
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

    def update_artifact(self) -> ActionResult:
        arn = self.sagemaker_backend.update_lineage_entity(
            "Artifact",
            self._get_param("ArtifactArn"),
            name=self._get_param("ArtifactName"),
            properties=self._get_param("Properties"),
            properties_to_remove=self._get_param("PropertiesToRemove"),
        )
        return ActionResult({"ArtifactArn": arn})

    def update_action(self) -> ActionResult:
        arn = self.sagemaker_backend.update_lineage_entity(
            "Action",
            self._get_param("ActionName"),
            description=self._get_param("Description"),
            status=self._get_param("Status"),
            properties=self._get_param("Properties"),
            properties_to_remove=self._get_param("PropertiesToRemove"),
        )
        return ActionResult({"ActionArn": arn})

    def update_context(self) -> ActionResult:
        arn = self.sagemaker_backend.update_lineage_entity(
            "Context",
            self._get_param("ContextName"),
            description=self._get_param("Description"),
            properties=self._get_param("Properties"),
            properties_to_remove=self._get_param("PropertiesToRemove"),
        )
        return ActionResult({"ContextArn": arn})

    def query_lineage(self) -> ActionResult:
        """QueryLineage (moto answered HTTP 500): the graph from StartArns, Direction (default
        Both), MaxDepth (default 10), Filters; IncludeEdges (default true) adds the associations
        walked to reach the page's vertices; MaxResults (default 10) vertices a page."""
        filters = self._get_param("Filters") or {}
        for member in ("CreatedBefore", "CreatedAfter", "ModifiedBefore", "ModifiedAfter"):
            if filters.get(member) is not None:
                filters[member] = _timestamp(filters[member])
        query: dict[str, Any] = {
            "start_arns": list(self._get_param("StartArns") or []),
            "direction": self._get_param("Direction") or "Both",
            "filters": filters,
            "max_depth": int(self._get_param("MaxDepth") or 10),
        }
        page, token = self.sagemaker_backend.query_lineage(
            **query, next_token=self._get_param("NextToken"), max_results=self._get_param("MaxResults")
        )
        edges = self.sagemaker_backend.lineage_graph(**query)[1]
        result: dict[str, Any] = {"Vertices": [v.describe() for v in page], "NextToken": token}
        if self._get_param("IncludeEdges", True) is not False:
            on_page = {v.arn for v in page}
            result["Edges"] = [
                without_none(
                    {
                        "SourceArn": e.source_arn,
                        "DestinationArn": e.destination_arn,
                        "AssociationType": e.association_type,
                    }
                )
                for e in edges
                if e.source_arn in on_page or e.destination_arn in on_page
            ]
        return ActionResult(result)

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
