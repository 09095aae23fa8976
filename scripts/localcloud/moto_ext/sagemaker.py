"""SageMaker operations the platform needs and moto 5.2.1 does not serve (or serves partly).

Written in moto's idiom: :class:`GovernanceSageMakerBackend` subclasses moto's
``SageMakerModelBackend`` (state lives on the per-account, per-region backend, so accounts stay
isolated) and :class:`GovernanceSageMakerResponse` subclasses ``SageMakerResponse`` with one
handler per botocore operation. :func:`register` swaps both into moto's registry.

Operations (botocore names) added or changed here:

* CreateModelPackage: ModelCard (content checked against the model package model card schema),
  ModelLifeCycle, SecurityConfig, SourceUri, ClientToken idempotency, versions never reused.
* UpdateModelPackage: ModelCard, ModelLifeCycle, CustomerMetadataProperties merged (moto replaced
  them), InferenceSpecification, SourceUri, approval change events.
* DescribeModelPackage / ListModelPackages: the fields above.
* DeleteModelPackage, DeleteModelPackageGroup.
* PutModelPackageGroupPolicy, GetModelPackageGroupPolicy, DeleteModelPackageGroupPolicy.
* CreateDomain / DescribeDomain / ListDomains / DeleteDomain: domain ids in AWS's format.
* CreateUserProfile, DescribeUserProfile, UpdateUserProfile, DeleteUserProfile, ListUserProfiles.
* Lineage: CreateArtifact, DescribeArtifact, ListArtifacts, DeleteArtifact, CreateAction,
  DescribeAction, ListActions, DeleteAction, CreateContext, DescribeContext, ListContexts,
  DeleteContext, AddAssociation, DeleteAssociation, ListAssociations.
* AddTags / ListTags / DeleteTags on the new resource types (and tag keys replaced, not doubled).

Model package state changes are published to the account's default EventBridge bus as
"SageMaker Model Package State Change" events, the way SageMaker does.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import string
import threading
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from moto.core.common_models import BaseModel
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.sagemaker import models as sm_models
from moto.sagemaker.exceptions import (
    ConflictException,
    ResourceInUseException,
    ResourceNotFound,
    ValidationError,
)
from moto.sagemaker.models import ModelPackage, SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter

MODEL_CARD_STATUSES = ("Draft", "PendingReview", "Approved", "Archived")
APPROVAL_STATUSES = ("Approved", "Rejected", "PendingManualApproval")
STATE_CHANGE_DETAIL_TYPE = "SageMaker Model Package State Change"
#: botocore's AssociationEntityArn pattern.
ASSOCIATION_ENTITY_ARN = re.compile(
    r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:"
    r"(experiment|experiment-trial-component|artifact|action|context)/.*"
)
_SCHEMA_PATH = Path(__file__).with_name("model_card_schema.json")


@lru_cache(maxsize=1)
def model_card_validator() -> jsonschema.Draft7Validator:
    schema = json.loads(_SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def validate_model_package_card(card: dict[str, Any] | None) -> None:
    """Reject a ModelCard whose status or content AWS would reject (ValidationException)."""
    if card is None:
        return
    status = card.get("ModelCardStatus")
    if status is not None and status not in MODEL_CARD_STATUSES:
        raise ValidationError(
            f"Value '{status}' at 'modelCard.modelCardStatus' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(MODEL_CARD_STATUSES)}]"
        )
    content = card.get("ModelCardContent")
    if content is None:
        return
    try:
        document = json.loads(content)
    except ValueError as error:
        raise ValidationError(f"ModelCardContent is not valid JSON: {error}") from None
    errors = sorted(model_card_validator().iter_errors(document), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "(root)"
        raise ValidationError(
            "ModelCardContent does not conform to the model package model card schema at "
            f"'{where}': {first.message}"
        )


def _iam_enforced() -> bool:
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    return ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any, caller: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    caller_account = caller.split(":")[4]
    for entry in _as_list(principal.get("AWS")):
        if entry in ("*", caller, caller_account, f"arn:aws:iam::{caller_account}:root"):
            return True
    return False


def resource_policy_allows(document: dict[str, Any], caller: str, action: str, resource: str) -> bool:
    """IAM evaluation of a resource policy for one request: an explicit Deny wins, else an Allow
    is needed. A statement with a Condition does not apply (the emulator has no request context
    for it, and AWS treats a condition on an absent key as not met)."""
    import fnmatch

    allowed = False
    for statement in _as_list(document.get("Statement")):
        if statement.get("Condition"):
            continue
        if not _principal_matches(statement.get("Principal"), caller):
            continue
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _as_list(statement.get("Action"))):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in _as_list(statement.get("Resource"))):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _short_id(length: int = 12) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(random.choice(alphabet) for _ in range(length))


class UserProfile(BaseModel):
    """A SageMaker Studio user profile (CreateUserProfile)."""

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
        self.domain_id = domain_id
        self.name = name
        self.arn = arn_formatter("user-profile", f"{domain_id}/{name}", account_id, region_name)
        self.user_settings = user_settings
        self.single_sign_on_user_identifier = single_sign_on_user_identifier
        self.single_sign_on_user_value = single_sign_on_user_value
        self.tags = list(tags or [])
        self.status = "InService"
        self.home_efs_file_system_uid = str(200000 + random.randint(0, 99999))
        self.creation_time = utcnow()
        self.last_modified_time = self.creation_time

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
        return {k: v for k, v in result.items() if v is not None}

    def summary(self) -> dict[str, Any]:
        return {
            "DomainId": self.domain_id,
            "UserProfileName": self.name,
            "Status": self.status,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
        }


class LineageEntity(BaseModel):
    """An artifact, action or context: the lineage entities SageMaker ML Lineage Tracking keeps."""

    def __init__(
        self,
        kind: str,
        name: str | None,
        arn: str,
        source: dict[str, Any],
        entity_type: str,
        description: str | None,
        status: str | None,
        properties: dict[str, str] | None,
        metadata_properties: dict[str, Any] | None,
        tags: list[dict[str, str]] | None,
    ) -> None:
        self.kind = kind
        self.name = name
        self.arn = arn
        self.source = source
        self.entity_type = entity_type
        self.description = description
        self.status = status
        self.properties = properties
        self.metadata_properties = metadata_properties
        self.tags = list(tags or [])
        self.creation_time = utcnow()
        self.last_modified_time = self.creation_time

    def describe(self) -> dict[str, Any]:
        k = self.kind
        result = {
            f"{k}Name": self.name,
            f"{k}Arn": self.arn,
            "Source": self.source,
            f"{k}Type": self.entity_type,
            "Description": self.description if k != "Artifact" else None,
            "Status": self.status if k == "Action" else None,
            "Properties": self.properties,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "MetadataProperties": self.metadata_properties if k != "Context" else None,
        }
        return {key: v for key, v in result.items() if v is not None}

    def summary(self) -> dict[str, Any]:
        k = self.kind
        result = {
            f"{k}Arn": self.arn,
            f"{k}Name": self.name,
            "Source": self.source,
            f"{k}Type": self.entity_type,
            "Status": self.status if k == "Action" else None,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
        }
        return {key: v for key, v in result.items() if v is not None}


class Association(BaseModel):
    def __init__(
        self,
        source_arn: str,
        destination_arn: str,
        association_type: str | None,
        source_type: str,
        destination_type: str,
        source_name: str | None,
        destination_name: str | None,
    ) -> None:
        self.source_arn = source_arn
        self.destination_arn = destination_arn
        self.association_type = association_type
        self.source_type = source_type
        self.destination_type = destination_type
        self.source_name = source_name
        self.destination_name = destination_name
        self.creation_time = utcnow()

    def summary(self) -> dict[str, Any]:
        result = {
            "SourceArn": self.source_arn,
            "DestinationArn": self.destination_arn,
            "SourceType": self.source_type,
            "DestinationType": self.destination_type,
            "AssociationType": self.association_type,
            "SourceName": self.source_name,
            "DestinationName": self.destination_name,
            "CreationTime": self.creation_time,
        }
        return {k: v for k, v in result.items() if v is not None}


def _paginate(
    items: list[Any], next_token: str | None, max_results: int | None
) -> tuple[list[Any], str | None]:
    start = int(next_token) if next_token else 0
    size = max_results or 100
    page = items[start : start + size]
    more = start + size < len(items)
    return page, (str(start + size) if more else None)


def _sort(items: list[Any], key: Any, sort_order: str | None) -> list[Any]:
    return sorted(items, key=key, reverse=(sort_order or "Descending") == "Descending")


class GovernanceSageMakerBackend(SageMakerModelBackend):
    """moto's SageMaker backend plus the registry governance and lineage operations."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.init_governance_state()

    def init_governance_state(self) -> None:
        # The emulator serves requests on threads: a ClientToken lookup and the create it guards
        # must be one step, or two concurrent promotions with one token register two versions.
        self.registry_lock = threading.RLock()
        self.model_package_group_policies: dict[str, str] = {}
        # Version numbers are never reused after a delete, as on AWS.
        self.model_package_version_counters: dict[str, int] = {}
        self.model_package_client_tokens: dict[str, str] = {}
        self.user_profiles: dict[tuple[str, str], UserProfile] = {}
        self.lineage: dict[str, LineageEntity] = {}
        self.associations: dict[tuple[str, str], Association] = {}

    @property
    def _url_module(self) -> Any:
        # BaseBackend derives the urls module from the class's module; ours is moto's.
        from moto.sagemaker import urls

        return urls

    # -- model packages --------------------------------------------------------------------
    def create_model_package(  # type: ignore[override]
        self,
        model_package_name: str | None,
        model_package_group_name: str | None,
        model_package_description: str | None,
        inference_specification: Any,
        validation_specification: Any,
        source_algorithm_specification: Any,
        certify_for_marketplace: bool,
        tags: Any,
        model_approval_status: str | None,
        metadata_properties: Any,
        model_metrics: Any,
        client_token: Any,
        customer_metadata_properties: Any,
        drift_check_baselines: Any,
        domain: Any,
        task: Any,
        sample_payload_url: Any,
        additional_inference_specifications: Any,
        model_card: dict[str, Any] | None = None,
        model_life_cycle: dict[str, Any] | None = None,
        security_config: dict[str, Any] | None = None,
        source_uri: str | None = None,
        skip_model_validation: str | None = None,
        model_package_registration_type: str | None = None,
        created_by: dict[str, Any] | None = None,
    ) -> str:
        """CreateModelPackage (atomic per account and region, ClientToken-idempotent)."""
        with self.registry_lock:
            return self._create_model_package(
                model_package_name,
                model_package_group_name,
                model_package_description,
                inference_specification,
                validation_specification,
                source_algorithm_specification,
                certify_for_marketplace,
                tags,
                model_approval_status,
                metadata_properties,
                model_metrics,
                client_token,
                customer_metadata_properties,
                drift_check_baselines,
                domain,
                task,
                sample_payload_url,
                additional_inference_specifications,
                model_card,
                model_life_cycle,
                security_config,
                source_uri,
                skip_model_validation,
                model_package_registration_type,
                created_by,
            )

    def _create_model_package(
        self,
        model_package_name: str | None,
        model_package_group_name: str | None,
        model_package_description: str | None,
        inference_specification: Any,
        validation_specification: Any,
        source_algorithm_specification: Any,
        certify_for_marketplace: bool,
        tags: Any,
        model_approval_status: str | None,
        metadata_properties: Any,
        model_metrics: Any,
        client_token: Any,
        customer_metadata_properties: Any,
        drift_check_baselines: Any,
        domain: Any,
        task: Any,
        sample_payload_url: Any,
        additional_inference_specifications: Any,
        model_card: dict[str, Any] | None,
        model_life_cycle: dict[str, Any] | None,
        security_config: dict[str, Any] | None,
        source_uri: str | None,
        skip_model_validation: str | None,
        model_package_registration_type: str | None,
        created_by: dict[str, Any] | None,
    ) -> str:
        if client_token and client_token in self.model_package_client_tokens:
            existing = self.model_package_client_tokens[client_token]
            if existing in self.model_packages:
                return existing
        if model_package_group_name and model_package_name:
            raise ValidationError(
                "Both ModelPackageName and ModelPackageGroupName are provided in the input. "
                "Cannot determine which one to use."
            )
        if not model_package_group_name and not model_package_name:
            raise ValidationError("Either ModelPackageName or ModelPackageGroupName is required.")
        validate_model_package_card(model_card)
        self._validate_life_cycle(model_life_cycle)
        version = None
        if model_package_group_name:
            if model_package_group_name.startswith("arn:"):
                model_package_group_name = model_package_group_name.split("/")[-1]
            if model_package_group_name not in self.model_package_groups:
                raise ValidationError(f"Model Package Group {model_package_group_name} does not exist.")
            version = self.model_package_version_counters.get(model_package_group_name, 0) + 1
            self.model_package_version_counters[model_package_group_name] = version
            package_type = "Versioned"
            name = model_package_group_name
        else:
            package_type = "Unversioned"
            name = model_package_name
        package = ModelPackage(
            model_package_name=name,  # type: ignore[arg-type]
            model_package_group_name=model_package_group_name,
            model_package_description=model_package_description,
            inference_specification=inference_specification,
            validation_specification=validation_specification,
            source_algorithm_specification=source_algorithm_specification,
            certify_for_marketplace=certify_for_marketplace,
            tags=tags,
            model_approval_status=model_approval_status,
            metadata_properties=metadata_properties,
            model_metrics=model_metrics,
            customer_metadata_properties=customer_metadata_properties,
            drift_check_baselines=drift_check_baselines,
            domain=domain,
            task=task,
            sample_payload_url=sample_payload_url,
            additional_inference_specifications=additional_inference_specifications,
            model_package_version=version,
            approval_description=None,
            region_name=self.region_name,
            account_id=self.account_id,
            client_token=client_token,
            model_package_type=package_type,
        )
        package.tags = list(tags or [])
        # No validation profile or image scan ran, so AWS lists no statuses (moto put the ARN in
        # as a status name, which the model's name pattern forbids).
        package.model_package_status_details = {"ValidationStatuses": [], "ImageScanStatuses": []}
        package.created_by = created_by or {}
        package.model_card = dict(model_card) if model_card else None
        package.model_life_cycle = dict(model_life_cycle) if model_life_cycle else None
        package.security_config = security_config
        package.source_uri = source_uri
        package.skip_model_validation = skip_model_validation
        package.model_package_registration_type = model_package_registration_type or "Registered"
        if package.model_approval_status is None and package_type == "Versioned":
            # AWS defaults a versioned package to PendingManualApproval.
            package.model_approval_status = "PendingManualApproval"
        self.model_package_name_mapping[package.model_package_name] = package.arn
        self.model_package_name_mapping[package.arn] = package.arn
        self.model_packages[package.arn] = package
        if client_token:
            self.model_package_client_tokens[client_token] = package.arn
        if package_type == "Versioned":
            self._emit_state_change(package)
        return package.arn

    def _find_model_package(self, name_or_arn: str) -> ModelPackage:
        mapped = self.model_package_name_mapping.get(name_or_arn, name_or_arn)
        package = self.model_packages.get(mapped)
        if package is None:
            # Versioned ARNs are matched case-insensitively on the group name, as on AWS.
            package = self.model_packages.get(mapped.lower())
        if package is None:
            raise ValidationError(f"Model package {name_or_arn} does not exist.")
        return package

    def describe_model_package(self, model_package_name: str) -> ModelPackage:
        """DescribeModelPackage."""
        return self._find_model_package(model_package_name)

    @staticmethod
    def _validate_life_cycle(life_cycle: dict[str, Any] | None) -> None:
        if life_cycle is None:
            return
        for member in ("Stage", "StageStatus"):
            if not life_cycle.get(member):
                raise ValidationError(f"ModelLifeCycle.{member} is required.")

    def update_model_package(  # type: ignore[override]
        self,
        model_package_arn: str,
        model_approval_status: str | None,
        approval_description: str | None,
        customer_metadata_properties: dict[str, str] | None,
        customer_metadata_properties_to_remove: list[str],
        additional_inference_specifications_to_add: list[Any] | None,
        model_card: dict[str, Any] | None = None,
        model_life_cycle: dict[str, Any] | None = None,
        inference_specification: dict[str, Any] | None = None,
        source_uri: str | None = None,
        modified_by: dict[str, Any] | None = None,
    ) -> str:
        """UpdateModelPackage: changes only what the request names, as AWS does."""
        with self.registry_lock:
            return self._update_model_package(
                model_package_arn,
                model_approval_status,
                approval_description,
                customer_metadata_properties,
                customer_metadata_properties_to_remove,
                additional_inference_specifications_to_add,
                model_card,
                model_life_cycle,
                inference_specification,
                source_uri,
                modified_by,
            )

    def _update_model_package(
        self,
        model_package_arn: str,
        model_approval_status: str | None,
        approval_description: str | None,
        customer_metadata_properties: dict[str, str] | None,
        customer_metadata_properties_to_remove: list[str],
        additional_inference_specifications_to_add: list[Any] | None,
        model_card: dict[str, Any] | None,
        model_life_cycle: dict[str, Any] | None,
        inference_specification: dict[str, Any] | None,
        source_uri: str | None,
        modified_by: dict[str, Any] | None,
    ) -> str:
        package = self._find_model_package(model_package_arn)
        validate_model_package_card(model_card)
        self._validate_life_cycle(model_life_cycle)
        if model_approval_status is not None and model_approval_status not in APPROVAL_STATUSES:
            raise ValidationError(
                f"Value '{model_approval_status}' at 'modelApprovalStatus' failed to satisfy "
                f"constraint: Member must satisfy enum value set: [{', '.join(APPROVAL_STATUSES)}]"
            )
        overlap = set(customer_metadata_properties or {}) & set(customer_metadata_properties_to_remove or [])
        if overlap:
            raise ValidationError(
                "CustomerMetadataProperties and CustomerMetadataPropertiesToRemove name the same "
                f"keys: {sorted(overlap)}"
            )
        previous_status = package.model_approval_status
        if model_approval_status is not None:
            package.model_approval_status = model_approval_status
        if approval_description is not None:
            package.approval_description = approval_description
        if customer_metadata_properties:
            merged = dict(package.customer_metadata_properties or {})
            merged.update(customer_metadata_properties)
            package.customer_metadata_properties = merged
        if customer_metadata_properties_to_remove:
            remaining = dict(package.customer_metadata_properties or {})
            for key in customer_metadata_properties_to_remove:
                remaining.pop(key, None)
            package.customer_metadata_properties = remaining or None
        if additional_inference_specifications_to_add:
            package.add_additional_inference_specifications(additional_inference_specifications_to_add)
        if model_card is not None:
            card = dict(getattr(package, "model_card", None) or {})
            card.update({k: v for k, v in model_card.items() if v is not None})
            package.model_card = card
        if model_life_cycle is not None:
            package.model_life_cycle = dict(model_life_cycle)
        if inference_specification is not None:
            package.inference_specification = inference_specification
        if source_uri is not None:
            package.source_uri = source_uri
        package.last_modified_time = utcnow()
        package.last_modified_by = modified_by or {}
        if package.model_package_group_name and model_approval_status is not None:
            if model_approval_status != previous_status:
                self._emit_state_change(package)
        return package.arn

    def delete_model_package(self, model_package_name: str) -> None:
        """DeleteModelPackage."""
        with self.registry_lock:
            self._delete_model_package(model_package_name)

    def _delete_model_package(self, model_package_name: str) -> None:
        package = self._find_model_package(model_package_name)
        del self.model_packages[package.arn]
        for key in [k for k, v in self.model_package_name_mapping.items() if v == package.arn]:
            del self.model_package_name_mapping[key]
        for token in [t for t, arn in self.model_package_client_tokens.items() if arn == package.arn]:
            del self.model_package_client_tokens[token]

    def _group(self, name_or_arn: str) -> Any:
        name = name_or_arn.split("/")[-1] if name_or_arn.startswith("arn:") else name_or_arn
        return self.describe_model_package_group(name)

    def delete_model_package_group(self, model_package_group_name: str) -> None:
        """DeleteModelPackageGroup: refused while versions remain, as on AWS."""
        group = self._group(model_package_group_name)
        name = group.model_package_group_name
        if any(p.model_package_group_name == name for p in self.model_packages.values()):
            raise ConflictException(f"Model Package Group {name} contains model packages; delete them first.")
        del self.model_package_groups[name]
        self.model_package_group_policies.pop(name, None)
        self.model_package_version_counters.pop(name, None)

    def put_model_package_group_policy(self, model_package_group_name: str, resource_policy: str) -> str:
        """PutModelPackageGroupPolicy."""
        group = self._group(model_package_group_name)
        try:
            document = json.loads(resource_policy)
        except ValueError:
            raise ValidationError("ResourcePolicy is not valid JSON.") from None
        if not isinstance(document, dict) or "Statement" not in document:
            raise ValidationError("ResourcePolicy must be a policy document with a Statement.")
        self.model_package_group_policies[group.model_package_group_name] = resource_policy
        return group.arn

    def get_model_package_group_policy(self, model_package_group_name: str) -> str:
        """GetModelPackageGroupPolicy."""
        group = self._group(model_package_group_name)
        policy = self.model_package_group_policies.get(group.model_package_group_name)
        if policy is None:
            raise ValidationError(
                f"Cannot find resource policy for model package group {group.model_package_group_name}."
            )
        return policy

    def delete_model_package_group_policy(self, model_package_group_name: str) -> None:
        """DeleteModelPackageGroupPolicy."""
        group = self._group(model_package_group_name)
        if self.model_package_group_policies.pop(group.model_package_group_name, None) is None:
            raise ValidationError(
                f"Cannot find resource policy for model package group {group.model_package_group_name}."
            )

    def _emit_state_change(self, package: ModelPackage) -> None:
        """Publish a "SageMaker Model Package State Change" to the default event bus."""
        from moto.events.models import events_backends

        detail = {
            "ModelPackageGroupName": package.model_package_group_name,
            "ModelPackageVersion": package.model_package_version,
            "ModelPackageArn": package.arn,
            "ModelPackageName": f"{package.model_package_group_name}/{package.model_package_version}",
            "CreationTime": int(package.creation_time.timestamp() * 1000),
            "ModelPackageStatus": package.model_package_status,
            "ModelApprovalStatus": package.model_approval_status,
        }
        if getattr(package, "model_life_cycle", None):
            detail["ModelLifeCycle"] = package.model_life_cycle
        events_backends[self.account_id][self.region_name].put_events(
            [
                {
                    "Source": "aws.sagemaker",
                    "DetailType": STATE_CHANGE_DETAIL_TYPE,
                    "Detail": json.dumps(detail),
                    "Resources": [package.arn],
                }
            ]
        )

    # -- Studio domains and user profiles --------------------------------------------------
    def create_domain(self, domain_name: str, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        """CreateDomain with an AWS-format id: ``d-`` and 12 lowercase alphanumerics."""
        if any(d.domain_name == domain_name for d in self.domains.values()):
            raise ResourceInUseException(
                f"Resource Already Exists: Domain with name {domain_name} already exists. "
                "Choose a different name."
            )
        super().create_domain(domain_name=domain_name, **kwargs)
        domain = self.domains.pop(f"d-{domain_name}")
        domain.id = f"d-{_short_id()}"
        domain.arn = arn_formatter("domain", domain.id, self.account_id, self.region_name)
        domain.url = f"https://{domain.id}.studio.{self.region_name}.sagemaker.aws"
        domain.tags = list(domain.tags or [])
        self.domains[domain.id] = domain
        return {"DomainArn": domain.arn, "DomainId": domain.id, "Url": domain.url}

    def describe_domain(self, domain_id: str) -> dict[str, Any]:
        if domain_id not in self.domains:
            raise ResourceNotFound(f"Cannot find Domain with id {domain_id}.")
        described = self.domains[domain_id].describe()
        described["TagPropagation"] = getattr(self.domains[domain_id], "tag_propagation", "DISABLED")
        if self.domains[domain_id].auth_mode != "SSO":
            # IAM-mode domains have no IAM Identity Center application.
            described.pop("SingleSignOnApplicationArn", None)
            described.pop("SingleSignOnManagedApplicationInstanceId", None)
        return described

    def delete_domain(self, domain_id: str, retention_policy: dict[str, str] | None) -> None:
        if domain_id not in self.domains:
            raise ResourceNotFound(f"Cannot find Domain with id {domain_id}.")
        if any(d == domain_id for d, _ in self.user_profiles):
            raise ResourceInUseException(f"Domain {domain_id} still has user profiles.")
        del self.domains[domain_id]

    def update_domain(self, domain_id: str, **changes: Any) -> str:
        """UpdateDomain: stores the settings the request names."""
        if domain_id not in self.domains:
            raise ResourceNotFound(f"Cannot find Domain with id {domain_id}.")
        domain = self.domains[domain_id]
        for attribute, value in changes.items():
            if value is not None:
                setattr(domain, attribute, value)
        domain.last_modified_time = utcnow()
        return domain.arn

    def create_user_profile(
        self,
        domain_id: str,
        user_profile_name: str,
        single_sign_on_user_identifier: str | None,
        single_sign_on_user_value: str | None,
        tags: list[dict[str, str]] | None,
        user_settings: dict[str, Any] | None,
    ) -> str:
        """CreateUserProfile."""
        if domain_id not in self.domains:
            raise ResourceNotFound(f"Cannot find Domain with id {domain_id}.")
        if (domain_id, user_profile_name) in self.user_profiles:
            raise ResourceInUseException(
                f"Resource Already Exists: UserProfile with name {user_profile_name} already "
                f"exists in domain {domain_id}. Choose a different name."
            )
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
        """DescribeUserProfile."""
        profile = self.user_profiles.get((domain_id, user_profile_name))
        if profile is None:
            raise ResourceNotFound(f"User profile {user_profile_name} does not exist in domain {domain_id}.")
        return profile

    def update_user_profile(
        self, domain_id: str, user_profile_name: str, user_settings: dict[str, Any] | None
    ) -> str:
        """UpdateUserProfile."""
        profile = self.describe_user_profile(domain_id, user_profile_name)
        if user_settings is not None:
            merged = dict(profile.user_settings or {})
            merged.update(user_settings)
            profile.user_settings = merged
        profile.last_modified_time = utcnow()
        return profile.arn

    def delete_user_profile(self, domain_id: str, user_profile_name: str) -> None:
        """DeleteUserProfile."""
        self.describe_user_profile(domain_id, user_profile_name)
        del self.user_profiles[(domain_id, user_profile_name)]

    def list_user_profiles(
        self,
        domain_id_equals: str | None,
        user_profile_name_contains: str | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[UserProfile]:
        """ListUserProfiles (filtered and sorted; the response pages)."""
        profiles = [
            p
            for p in self.user_profiles.values()
            if (domain_id_equals is None or p.domain_id == domain_id_equals)
            and (user_profile_name_contains is None or user_profile_name_contains in p.name)
        ]
        key = (lambda p: p.name) if sort_by == "UserProfileName" else (lambda p: p.creation_time)
        return _sort(profiles, key, sort_order)

    # -- lineage ----------------------------------------------------------------------------
    _LINEAGE_ARN_TYPES = {"Artifact": "artifact", "Action": "action", "Context": "context"}

    def create_lineage_entity(
        self,
        kind: str,
        name: str | None,
        source: dict[str, Any],
        entity_type: str,
        description: str | None = None,
        status: str | None = None,
        properties: dict[str, str] | None = None,
        metadata_properties: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> str:
        """CreateArtifact, CreateAction, CreateContext."""
        with self.registry_lock:
            return self._create_lineage_entity(
                kind, name, source, entity_type, description, status, properties, metadata_properties, tags
            )

    def _create_lineage_entity(
        self,
        kind: str,
        name: str | None,
        source: dict[str, Any],
        entity_type: str,
        description: str | None,
        status: str | None,
        properties: dict[str, str] | None,
        metadata_properties: dict[str, Any] | None,
        tags: list[dict[str, str]] | None,
    ) -> str:
        if not source or not source.get("SourceUri"):
            raise ValidationError(f"{kind} Source.SourceUri is required.")
        if name:
            resource_id = name.lower()
        else:
            # Unnamed artifacts get a content-independent 32-hex id, as AWS does.
            resource_id = hashlib.md5(f"{random.random()}{utcnow()}".encode()).hexdigest()
        arn = arn_formatter(self._LINEAGE_ARN_TYPES[kind], resource_id, self.account_id, self.region_name)
        if arn in self.lineage:
            raise ValidationError(f"{kind} {name} already exists with ARN {arn}.")
        self.lineage[arn] = LineageEntity(
            kind=kind,
            name=name,
            arn=arn,
            source=source,
            entity_type=entity_type,
            description=description,
            status=status,
            properties=properties,
            metadata_properties=metadata_properties,
            tags=tags,
        )
        return arn

    def get_lineage_entity(self, kind: str, name_or_arn: str) -> LineageEntity:
        if name_or_arn.startswith("arn:"):
            arn = name_or_arn
        else:
            arn = arn_formatter(
                self._LINEAGE_ARN_TYPES[kind], name_or_arn.lower(), self.account_id, self.region_name
            )
        entity = self.lineage.get(arn)
        if entity is None or entity.kind != kind:
            raise ResourceNotFound(f"{kind} {name_or_arn} does not exist.")
        return entity

    def delete_lineage_entity(self, kind: str, name_or_arn: str) -> str:
        """DeleteArtifact, DeleteAction, DeleteContext (their associations go with them)."""
        entity = self.get_lineage_entity(kind, name_or_arn)
        del self.lineage[entity.arn]
        for key in [k for k in self.associations if entity.arn in k]:
            del self.associations[key]
        return entity.arn

    def list_lineage_entities(
        self,
        kind: str,
        source_uri: str | None,
        entity_type: str | None,
        created_after: datetime | None,
        created_before: datetime | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[LineageEntity]:
        """ListArtifacts, ListActions, ListContexts."""
        found = [
            e
            for e in self.lineage.values()
            if e.kind == kind
            and (source_uri is None or e.source.get("SourceUri") == source_uri)
            and (entity_type is None or e.entity_type == entity_type)
            and (created_after is None or e.creation_time > created_after)
            and (created_before is None or e.creation_time < created_before)
        ]
        key = (lambda e: e.name or "") if sort_by == "Name" else (lambda e: e.creation_time)
        return _sort(found, key, sort_order)

    def _lineage_type_and_name(self, arn: str) -> tuple[str, str | None]:
        entity = self.lineage.get(arn)
        if entity is not None:
            return entity.entity_type, entity.name
        resource = arn.split(":", 5)[-1]
        resource_type = resource.split("/")[0]
        camel = "".join(part.title() for part in resource_type.split("-"))
        return camel, resource.split("/", 1)[-1]

    def _check_lineage_endpoint(self, arn: str) -> None:
        parts = arn.split(":")
        if len(parts) < 6 or parts[2] != "sagemaker":
            return
        if parts[4] != self.account_id or parts[3] != self.region_name:
            # Cross-account ARNs (a promoted version's upstream source) are recorded as given.
            return
        resource_type = parts[5].split("/")[0]
        if resource_type in self._LINEAGE_ARN_TYPES.values() and arn not in self.lineage:
            raise ResourceNotFound(f"Lineage entity {arn} does not exist.")

    def add_association(self, source_arn: str, destination_arn: str, association_type: str | None) -> None:
        """AddAssociation (idempotent for the same pair).

        Only lineage entities can be associated (the model's AssociationEntityArn pattern):
        experiments, trial components, artifacts, actions and contexts. A model package takes
        part through an artifact or action whose SourceUri is the package ARN.
        """
        for role, arn in (("SourceArn", source_arn), ("DestinationArn", destination_arn)):
            if not ASSOCIATION_ENTITY_ARN.fullmatch(arn):
                raise ValidationError(
                    f"Value '{arn}' at '{role[0].lower() + role[1:]}' failed to satisfy constraint: "
                    f"Member must satisfy regular expression pattern: {ASSOCIATION_ENTITY_ARN.pattern}"
                )
        self._check_lineage_endpoint(source_arn)
        self._check_lineage_endpoint(destination_arn)
        key = (source_arn, destination_arn)
        if key in self.associations:
            return
        source_type, source_name = self._lineage_type_and_name(source_arn)
        destination_type, destination_name = self._lineage_type_and_name(destination_arn)
        self.associations[key] = Association(
            source_arn=source_arn,
            destination_arn=destination_arn,
            association_type=association_type,
            source_type=source_type,
            destination_type=destination_type,
            source_name=source_name,
            destination_name=destination_name,
        )

    def delete_association(self, source_arn: str, destination_arn: str) -> None:
        """DeleteAssociation."""
        if self.associations.pop((source_arn, destination_arn), None) is None:
            raise ResourceNotFound(f"Association from {source_arn} to {destination_arn} does not exist.")

    def list_associations(self, **filters: Any) -> list[Association]:
        """ListAssociations with every filter the API defines."""

        def keep(a: Association) -> bool:
            return (
                (filters.get("source_arn") is None or a.source_arn == filters["source_arn"])
                and (
                    filters.get("destination_arn") is None or a.destination_arn == filters["destination_arn"]
                )
                and (filters.get("source_type") is None or a.source_type == filters["source_type"])
                and (
                    filters.get("destination_type") is None
                    or a.destination_type == filters["destination_type"]
                )
                and (
                    filters.get("association_type") is None
                    or a.association_type == filters["association_type"]
                )
                and (filters.get("created_after") is None or a.creation_time > filters["created_after"])
                and (filters.get("created_before") is None or a.creation_time < filters["created_before"])
            )

        sort_attribute = {
            "SourceArn": "source_arn",
            "DestinationArn": "destination_arn",
            "SourceType": "source_type",
            "DestinationType": "destination_type",
        }.get(filters.get("sort_by") or "", "creation_time")
        found = [a for a in self.associations.values() if keep(a)]
        return _sort(found, lambda a: getattr(a, sort_attribute), filters.get("sort_order"))

    # -- tags on the resource types added here ---------------------------------------------
    def _get_resource_from_arn(self, arn: str) -> Any:
        resource = arn.split(":", 5)[-1]
        resource_type, _, resource_id = resource.partition("/")
        if resource_type == "user-profile":
            domain_id, _, name = resource_id.partition("/")
            return self.describe_user_profile(domain_id, name)
        if resource_type == "model-package":
            return self._find_model_package(arn)
        if resource_type in self._LINEAGE_ARN_TYPES.values():
            entity = self.lineage.get(arn)
            if entity is None:
                raise ResourceNotFound(f"Lineage entity {arn} does not exist.")
            return entity
        if resource_type == "model-package-group":
            return self._group(arn)
        if resource_type == "domain":
            if resource_id not in self.domains:
                raise ResourceNotFound(f"Cannot find Domain with id {resource_id}.")
            return self.domains[resource_id]
        return super()._get_resource_from_arn(arn)

    def add_tags(self, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
        """AddTags: a key given again replaces its value (moto appended a duplicate)."""
        resource = self._get_resource_from_arn(arn)
        new_keys = {tag["Key"] for tag in tags}
        resource.tags = [t for t in (resource.tags or []) if t["Key"] not in new_keys] + list(tags)
        return resource.tags

    def list_tags(self, arn: str, **kwargs: Any) -> Any:  # type: ignore[override]
        resource = self._get_resource_from_arn(arn)
        if resource.tags is None:
            resource.tags = []
        return super().list_tags(arn, **kwargs)


def _package_response(package: ModelPackage) -> dict[str, Any]:
    response = package.gen_response_object()
    # AWS names a versioned package after its group (moto dropped the required member).
    response["ModelPackageName"] = package.model_package_name
    extras = {
        "ModelCard": getattr(package, "model_card", None),
        "ModelLifeCycle": getattr(package, "model_life_cycle", None),
        "SecurityConfig": getattr(package, "security_config", None),
        "SourceUri": getattr(package, "source_uri", None),
        "SkipModelValidation": getattr(package, "skip_model_validation", None),
        "ModelPackageRegistrationType": getattr(package, "model_package_registration_type", None),
        "CustomerMetadataProperties": package.customer_metadata_properties or None,
        "CreatedBy": package.created_by or None,
        "LastModifiedBy": package.last_modified_by or None,
    }
    for key, value in extras.items():
        if value is None:
            response.pop(key, None)
        else:
            response[key] = value
    return response


class GovernanceSageMakerResponse(SageMakerResponse):
    """Handlers for the operations of :class:`GovernanceSageMakerBackend` (botocore names)."""

    @property
    def sagemaker_backend(self) -> GovernanceSageMakerBackend:  # type: ignore[override]
        return sm_models.sagemaker_backends[self.current_account][self.region]  # type: ignore[return-value]

    def _backend_for(
        self, name_or_arn: str | None, operation: str | None = None
    ) -> GovernanceSageMakerBackend:
        """The backend of the account and region an ARN names (the caller's for a plain name).

        A downstream promotion role reads and annotates the upstream account's versions by ARN;
        AWS serves those calls from the resource's account, authorized by the model package
        group's resource policy. With IAM enforced, that policy is evaluated here too.
        """
        if name_or_arn and name_or_arn.startswith("arn:"):
            parts = name_or_arn.split(":")
            if len(parts) > 5 and parts[2] == "sagemaker" and parts[4]:
                backend: GovernanceSageMakerBackend = sm_models.sagemaker_backends[parts[4]][parts[3]]  # type: ignore[assignment]
                if parts[4] != self.current_account and operation and _iam_enforced():
                    self._authorize_cross_account(backend, name_or_arn, operation)
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
            key = iam.access_keys.get(self.access_key) if hasattr(iam, "access_keys") else None
            if key is not None:
                user = iam.get_user(key.user_name)
                return user.arn, {"Arn": user.arn, "PrincipalId": user.id}
        root = f"arn:aws:iam::{self.current_account}:root"
        return root, {"Arn": root, "PrincipalId": self.current_account}

    def _caller_arn(self) -> str:
        return self._caller()[0]

    def _user_context(self) -> dict[str, Any]:
        """CreatedBy / LastModifiedBy: the IAM identity that made the call, as SageMaker records
        it for API callers (moto invented a fake Studio user profile)."""
        return {"IamIdentity": self._caller()[1]}

    def _authorize_cross_account(self, backend: GovernanceSageMakerBackend, arn: str, operation: str) -> None:
        """AccessDeniedException unless the group's resource policy allows the caller."""
        from .auth_errors import JsonAuthError

        resource = arn.split(":", 5)[5]
        group = resource.split("/")[1] if "/" in resource else ""
        policy = backend.model_package_group_policies.get(group)
        caller = self._caller_arn()
        action = f"sagemaker:{operation}"
        if policy is None or not resource_policy_allows(json.loads(policy), caller, action, arn):
            raise JsonAuthError(
                "AccessDeniedException",
                f"User: {caller} is not authorized to perform: {action} on resource: {arn} "
                "because no resource-based policy allows the action",
                400,
            )

    # CreateModelPackage
    def create_model_package(self) -> ActionResult:
        arn = self.sagemaker_backend.create_model_package(
            model_package_name=self._get_param("ModelPackageName"),
            model_package_group_name=self._get_param("ModelPackageGroupName"),
            model_package_description=self._get_param("ModelPackageDescription"),
            inference_specification=self._get_param("InferenceSpecification"),
            validation_specification=self._get_param("ValidationSpecification"),
            source_algorithm_specification=self._get_param("SourceAlgorithmSpecification"),
            certify_for_marketplace=self._get_param("CertifyForMarketplace", False),
            tags=self._get_param("Tags"),
            model_approval_status=self._get_param("ModelApprovalStatus"),
            metadata_properties=self._get_param("MetadataProperties"),
            model_metrics=self._get_param("ModelMetrics"),
            client_token=self._get_param("ClientToken"),
            customer_metadata_properties=self._get_param("CustomerMetadataProperties"),
            drift_check_baselines=self._get_param("DriftCheckBaselines"),
            domain=self._get_param("Domain"),
            task=self._get_param("Task"),
            sample_payload_url=self._get_param("SamplePayloadUrl"),
            additional_inference_specifications=self._get_param("AdditionalInferenceSpecifications"),
            model_card=self._get_param("ModelCard"),
            model_life_cycle=self._get_param("ModelLifeCycle"),
            security_config=self._get_param("SecurityConfig"),
            source_uri=self._get_param("SourceUri"),
            skip_model_validation=self._get_param("SkipModelValidation"),
            model_package_registration_type=self._get_param("ModelPackageRegistrationType"),
            created_by=self._user_context(),
        )
        return ActionResult({"ModelPackageArn": arn})

    # UpdateModelPackage
    def update_model_package(self) -> ActionResult:
        target = self._get_param("ModelPackageArn")
        arn = self._backend_for(target, "UpdateModelPackage").update_model_package(
            model_package_arn=target,
            model_approval_status=self._get_param("ModelApprovalStatus"),
            approval_description=self._get_param("ApprovalDescription"),
            customer_metadata_properties=self._get_param("CustomerMetadataProperties"),
            customer_metadata_properties_to_remove=self._get_param("CustomerMetadataPropertiesToRemove", []),
            additional_inference_specifications_to_add=self._get_param(
                "AdditionalInferenceSpecificationsToAdd"
            ),
            model_card=self._get_param("ModelCard"),
            model_life_cycle=self._get_param("ModelLifeCycle"),
            inference_specification=self._get_param("InferenceSpecification"),
            source_uri=self._get_param("SourceUri"),
            modified_by=self._user_context(),
        )
        return ActionResult({"ModelPackageArn": arn})

    # DescribeModelPackage
    def describe_model_package(self) -> ActionResult:
        name = self._get_param("ModelPackageName")
        package = self._backend_for(name, "DescribeModelPackage").describe_model_package(name)
        return ActionResult(_package_response(package))

    # DescribeModelPackageGroup (by ARN from another account, too)
    def describe_model_package_group(self) -> ActionResult:
        name = self._get_param("ModelPackageGroupName")
        group = self._backend_for(name, "DescribeModelPackageGroup")._group(name)
        response = group.gen_response_object()
        response.setdefault("CreatedBy", {})
        return ActionResult(response)

    # ListModelPackages
    def list_model_packages(self) -> ActionResult:
        backend = self._backend_for(self._get_param("ModelPackageGroupName"), "ListModelPackages")
        creation_time_after = self._get_param("CreationTimeAfter")
        creation_time_before = self._get_param("CreationTimeBefore")
        packages, next_token = backend.list_model_packages(
            creation_time_after=creation_time_after,
            creation_time_before=creation_time_before,
            max_results=self._get_param("MaxResults"),
            name_contains=self._get_param("NameContains"),
            model_approval_status=self._get_param("ModelApprovalStatus"),
            model_package_group_name=self._get_param("ModelPackageGroupName"),
            model_package_type=self._get_param("ModelPackageType", "Unversioned"),
            next_token=self._get_param("NextToken"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
        )
        summaries = [p.gen_response_object() for p in packages]
        result = ActionResult({"ModelPackageSummaryList": summaries, "NextToken": next_token})
        for summary in summaries:
            package = backend.model_packages.get(summary["ModelPackageArn"])
            if package is not None and getattr(package, "model_life_cycle", None):
                summary["ModelLifeCycle"] = package.model_life_cycle
        return result

    # DeleteModelPackage
    def delete_model_package(self) -> ActionResult:
        self.sagemaker_backend.delete_model_package(self._get_param("ModelPackageName"))
        return EmptyResult()

    # DeleteModelPackageGroup
    def delete_model_package_group(self) -> ActionResult:
        self.sagemaker_backend.delete_model_package_group(self._get_param("ModelPackageGroupName"))
        return EmptyResult()

    # PutModelPackageGroupPolicy
    def put_model_package_group_policy(self) -> ActionResult:
        arn = self.sagemaker_backend.put_model_package_group_policy(
            self._get_param("ModelPackageGroupName"), self._get_param("ResourcePolicy")
        )
        return ActionResult({"ModelPackageGroupArn": arn})

    # GetModelPackageGroupPolicy
    def get_model_package_group_policy(self) -> ActionResult:
        policy = self.sagemaker_backend.get_model_package_group_policy(
            self._get_param("ModelPackageGroupName")
        )
        return ActionResult({"ResourcePolicy": policy})

    # DeleteModelPackageGroupPolicy
    def delete_model_package_group_policy(self) -> ActionResult:
        self.sagemaker_backend.delete_model_package_group_policy(self._get_param("ModelPackageGroupName"))
        return EmptyResult()

    # CreateDomain (moto's handler, plus TagPropagation which moto ignores)
    def create_domain(self) -> ActionResult:
        result = super().create_domain()
        domain = self.sagemaker_backend.domains[result.result["DomainId"]]  # type: ignore[index]
        domain.tag_propagation = self._get_param("TagPropagation") or "DISABLED"
        return result

    # UpdateDomain
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

    # CreateUserProfile
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

    # DescribeUserProfile
    def describe_user_profile(self) -> ActionResult:
        profile = self.sagemaker_backend.describe_user_profile(
            self._get_param("DomainId"), self._get_param("UserProfileName")
        )
        return ActionResult(profile.describe())

    # UpdateUserProfile
    def update_user_profile(self) -> ActionResult:
        arn = self.sagemaker_backend.update_user_profile(
            self._get_param("DomainId"),
            self._get_param("UserProfileName"),
            self._get_param("UserSettings"),
        )
        return ActionResult({"UserProfileArn": arn})

    # DeleteUserProfile
    def delete_user_profile(self) -> ActionResult:
        self.sagemaker_backend.delete_user_profile(
            self._get_param("DomainId"), self._get_param("UserProfileName")
        )
        return EmptyResult()

    # ListUserProfiles
    def list_user_profiles(self) -> ActionResult:
        profiles = self.sagemaker_backend.list_user_profiles(
            domain_id_equals=self._get_param("DomainIdEquals"),
            user_profile_name_contains=self._get_param("UserProfileNameContains"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
        )
        page, token = _paginate(profiles, self._get_param("NextToken"), self._get_param("MaxResults"))
        return ActionResult({"UserProfiles": [p.summary() for p in page], "NextToken": token})

    # CreateArtifact / CreateAction / CreateContext
    def create_artifact(self) -> ActionResult:
        arn = self.sagemaker_backend.create_lineage_entity(
            "Artifact",
            name=self._get_param("ArtifactName"),
            source=self._get_param("Source"),
            entity_type=self._get_param("ArtifactType"),
            properties=self._get_param("Properties"),
            metadata_properties=self._get_param("MetadataProperties"),
            tags=self._get_param("Tags"),
        )
        return ActionResult({"ArtifactArn": arn})

    def create_action(self) -> ActionResult:
        arn = self.sagemaker_backend.create_lineage_entity(
            "Action",
            name=self._get_param("ActionName"),
            source=self._get_param("Source"),
            entity_type=self._get_param("ActionType"),
            description=self._get_param("Description"),
            status=self._get_param("Status"),
            properties=self._get_param("Properties"),
            metadata_properties=self._get_param("MetadataProperties"),
            tags=self._get_param("Tags"),
        )
        return ActionResult({"ActionArn": arn})

    def create_context(self) -> ActionResult:
        arn = self.sagemaker_backend.create_lineage_entity(
            "Context",
            name=self._get_param("ContextName"),
            source=self._get_param("Source"),
            entity_type=self._get_param("ContextType"),
            description=self._get_param("Description"),
            properties=self._get_param("Properties"),
            tags=self._get_param("Tags"),
        )
        return ActionResult({"ContextArn": arn})

    # DescribeArtifact / DescribeAction / DescribeContext
    def describe_artifact(self) -> ActionResult:
        entity = self.sagemaker_backend.get_lineage_entity("Artifact", self._get_param("ArtifactArn"))
        return ActionResult(entity.describe())

    def describe_action(self) -> ActionResult:
        entity = self.sagemaker_backend.get_lineage_entity("Action", self._get_param("ActionName"))
        return ActionResult(entity.describe())

    def describe_context(self) -> ActionResult:
        entity = self.sagemaker_backend.get_lineage_entity("Context", self._get_param("ContextName"))
        return ActionResult(entity.describe())

    # DeleteArtifact / DeleteAction / DeleteContext
    def delete_artifact(self) -> ActionResult:
        target = self._get_param("ArtifactArn")
        if not target:
            source = self._get_param("Source") or {}
            matches = self.sagemaker_backend.list_lineage_entities(
                "Artifact", source.get("SourceUri"), None, None, None, None, None
            )
            if not matches:
                raise ResourceNotFound("No artifact has that source.")
            target = matches[0].arn
        arn = self.sagemaker_backend.delete_lineage_entity("Artifact", target)
        return ActionResult({"ArtifactArn": arn})

    def delete_action(self) -> ActionResult:
        arn = self.sagemaker_backend.delete_lineage_entity("Action", self._get_param("ActionName"))
        return ActionResult({"ActionArn": arn})

    def delete_context(self) -> ActionResult:
        arn = self.sagemaker_backend.delete_lineage_entity("Context", self._get_param("ContextName"))
        return ActionResult({"ContextArn": arn})

    # ListArtifacts / ListActions / ListContexts
    def _list_lineage(self, kind: str) -> ActionResult:
        found = self.sagemaker_backend.list_lineage_entities(
            kind,
            source_uri=self._get_param("SourceUri"),
            entity_type=self._get_param(f"{kind}Type"),
            created_after=self._get_param("CreatedAfter"),
            created_before=self._get_param("CreatedBefore"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
        )
        page, token = _paginate(found, self._get_param("NextToken"), self._get_param("MaxResults"))
        return ActionResult({f"{kind}Summaries": [e.summary() for e in page], "NextToken": token})

    def list_artifacts(self) -> ActionResult:
        return self._list_lineage("Artifact")

    def list_actions(self) -> ActionResult:
        return self._list_lineage("Action")

    def list_contexts(self) -> ActionResult:
        return self._list_lineage("Context")

    # AddAssociation
    def add_association(self) -> ActionResult:
        source, destination = self._get_param("SourceArn"), self._get_param("DestinationArn")
        self.sagemaker_backend.add_association(source, destination, self._get_param("AssociationType"))
        return ActionResult({"SourceArn": source, "DestinationArn": destination})

    # DeleteAssociation
    def delete_association(self) -> ActionResult:
        source, destination = self._get_param("SourceArn"), self._get_param("DestinationArn")
        self.sagemaker_backend.delete_association(source, destination)
        return ActionResult({"SourceArn": source, "DestinationArn": destination})

    # ListAssociations
    def list_associations(self) -> ActionResult:
        found = self.sagemaker_backend.list_associations(
            source_arn=self._get_param("SourceArn"),
            destination_arn=self._get_param("DestinationArn"),
            source_type=self._get_param("SourceType"),
            destination_type=self._get_param("DestinationType"),
            association_type=self._get_param("AssociationType"),
            created_after=self._get_param("CreatedAfter"),
            created_before=self._get_param("CreatedBefore"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
        )
        page, token = _paginate(found, self._get_param("NextToken"), self._get_param("MaxResults"))
        return ActionResult({"AssociationSummaries": [a.summary() for a in page], "NextToken": token})


def register() -> None:
    """Swap the governance backend and response into moto's SageMaker registry (idempotent)."""
    from moto.sagemaker import urls

    backends = sm_models.sagemaker_backends
    backends.backend = GovernanceSageMakerBackend
    for account_backends in backends.values():
        account_backends.backend = GovernanceSageMakerBackend
        for backend in account_backends.values():
            if not isinstance(backend, GovernanceSageMakerBackend):
                # Backends created before install() keep their data and gain the new state.
                backend.__class__ = GovernanceSageMakerBackend
                backend.init_governance_state()
    for path in list(urls.url_paths):
        urls.url_paths[path] = GovernanceSageMakerResponse.dispatch
