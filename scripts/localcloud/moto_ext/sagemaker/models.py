"""The governance SageMaker backend: moto's ``SageMakerModelBackend`` plus the registry, Studio and
lineage state and rules the platform needs.

:class:`GovernanceSageMakerBackend`, the one class moto instantiates per account and region, is
composed the way moto composes its larger backends: this module holds the model registry (model
packages and groups, their resource policies and state change events), Search and tags, and the
class inherits Studio from ``studio.py``, lineage from ``lineage.py``, standalone model cards
from ``cards.py`` and hosting, batch transform and Model Monitor from ``serving.py`` (each a
``SageMakerModelBackend`` subclass, so every method sees moto's state).

State lives on the per-account, per-region backend, so accounts stay isolated. Registry writes
are serialised per backend (``registry_lock``): the emulator serves requests on threads, and a
ClientToken lookup and the create it guards must be one step, or two concurrent promotions with
one token register two versions.

``create_model_package`` and ``update_model_package`` differ from moto's signatures on purpose,
hence their ``type: ignore[override]``: they take one typed request object where moto's take a
long positional list. Only the request handlers call them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from functools import cache
from typing import Any

from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ConflictException, ValidationError
from moto.sagemaker.models import ModelPackage, ModelPackageGroup
from moto.sagemaker.utils import arn_formatter
from moto.utilities.paginator import paginate

from . import search
from .cards import ModelCardBackend, card_search_record
from .lineage import LineageBackend
from .pipelines import PipelineBackend
from .serving import ServingBackend
from .studio import StudioBackend
from .utils import PAGINATION_MODEL
from .validators import (
    validate_approval_status,
    validate_life_cycle,
    validate_model_package_card,
    validate_not_archived,
)

STATE_CHANGE_DETAIL_TYPE = "SageMaker Model Package State Change"

#: ``BaseResponse._get_param``: a request member's value by botocore name, or the default given.
GetParam = Callable[[str, Any], Any]


@cache
def member_name(field_name: str) -> str:
    """botocore's member name of a request field (``source_uri`` -> ``SourceUri``); moto's
    ``camelCase`` of an attribute name is the same conversion."""
    return "".join(part.title() for part in field_name.split("_"))


def _request_members(request_type: type, get_param: GetParam) -> dict[str, Any]:
    """A request dataclass's fields read from the request (a field's default stands for an absent
    member)."""
    return {
        f.name: get_param(member_name(f.name), None if f.default is MISSING else f.default)
        for f in fields(request_type)
    }


@dataclass(frozen=True)
class CreateModelPackageRequest:
    """The CreateModelPackage members the emulator keeps, named as moto names them (each field is
    the snake case of its botocore member; a default is the value of an absent member)."""

    model_package_name: str | None = None
    model_package_group_name: str | None = None
    model_package_description: str | None = None
    inference_specification: dict[str, Any] | None = None
    validation_specification: dict[str, Any] | None = None
    source_algorithm_specification: dict[str, Any] | None = None
    certify_for_marketplace: bool = False
    tags: list[dict[str, str]] | None = None
    model_approval_status: str | None = None
    metadata_properties: dict[str, str] | None = None
    model_metrics: dict[str, Any] | None = None
    client_token: str | None = None
    customer_metadata_properties: dict[str, str] | None = None
    drift_check_baselines: dict[str, Any] | None = None
    domain: str | None = None
    task: str | None = None
    sample_payload_url: str | None = None
    additional_inference_specifications: list[dict[str, Any]] | None = None
    model_card: dict[str, Any] | None = None
    model_life_cycle: dict[str, Any] | None = None
    security_config: dict[str, Any] | None = None
    source_uri: str | None = None
    skip_model_validation: str | None = None
    model_package_registration_type: str | None = None

    @classmethod
    def from_params(cls, get_param: GetParam) -> CreateModelPackageRequest:
        return cls(**_request_members(cls, get_param))


@dataclass(frozen=True)
class UpdateModelPackageRequest:
    """The UpdateModelPackage members the emulator applies (``None``: not named, left as is)."""

    model_package_arn: str
    model_approval_status: str | None = None
    approval_description: str | None = None
    customer_metadata_properties: dict[str, str] | None = None
    customer_metadata_properties_to_remove: list[str] | None = None
    additional_inference_specifications_to_add: list[dict[str, Any]] | None = None
    model_card: dict[str, Any] | None = None
    model_life_cycle: dict[str, Any] | None = None
    inference_specification: dict[str, Any] | None = None
    source_uri: str | None = None

    @classmethod
    def from_params(cls, get_param: GetParam) -> UpdateModelPackageRequest:
        return cls(**_request_members(cls, get_param))


#: The CreateModelPackage fields moto's ModelPackage constructor takes as they are.
_MOTO_PACKAGE_ARGUMENTS = (
    "model_package_description",
    "inference_specification",
    "validation_specification",
    "source_algorithm_specification",
    "certify_for_marketplace",
    "tags",
    "model_approval_status",
    "metadata_properties",
    "model_metrics",
    "client_token",
    "customer_metadata_properties",
    "drift_check_baselines",
    "domain",
    "task",
    "sample_payload_url",
    "additional_inference_specifications",
)


class GovernanceModelPackage(ModelPackage):
    """moto's ModelPackage plus the members moto does not keep, and AWS's defaults."""

    def camelCase(self, key: str) -> str:
        # moto recomputes it for every attribute of every record; Search builds a record per
        # version on every page, so the names are computed once.
        return member_name(key)

    # Class-level defaults: register() turns packages made before install() into this class.
    model_card: dict[str, Any] | None = None
    model_life_cycle: dict[str, Any] | None = None
    security_config: dict[str, Any] | None = None
    source_uri: str | None = None
    skip_model_validation: str | None = None
    model_package_registration_type: str | None = None

    def __init__(
        self,
        request: CreateModelPackageRequest,
        *,
        name: str,
        group_name: str | None,
        version: int | None,
        account_id: str,
        region_name: str,
        created_by: dict[str, Any],
    ) -> None:
        # moto types optional members (Domain, Task, ...) as str; the dict passes them through.
        moto_arguments: dict[str, Any] = {field: getattr(request, field) for field in _MOTO_PACKAGE_ARGUMENTS}
        super().__init__(
            model_package_name=name,
            model_package_group_name=group_name,
            model_package_version=version,
            model_package_type="Versioned" if version is not None else "Unversioned",
            approval_description=None,
            region_name=region_name,
            account_id=account_id,
            **moto_arguments,
        )
        self.tags = list(request.tags or [])
        # AWS keeps the group name's case in a version's ARN (moto lower-cased it).
        self.arn = arn_formatter(
            "model-package", f"{group_name}/{version}" if group_name else name, account_id, region_name
        )
        # No validation profile or image scan ran, so AWS lists no statuses (moto put the ARN in
        # as a status name, which the model's name pattern forbids).
        self.model_package_status_details = {"ValidationStatuses": [], "ImageScanStatuses": []}
        self.created_by = created_by
        self.model_card = dict(request.model_card) if request.model_card else None
        self.model_life_cycle = dict(request.model_life_cycle) if request.model_life_cycle else None
        self.security_config = request.security_config
        self.source_uri = request.source_uri
        self.skip_model_validation = request.skip_model_validation
        self.model_package_registration_type = request.model_package_registration_type or "Registered"
        if self.model_approval_status is None and version is not None:
            self.model_approval_status = "PendingManualApproval"

    def describe(self) -> dict[str, Any]:
        """DescribeModelPackage's body."""
        response = self.gen_response_object()
        # AWS names a versioned package after its group (moto dropped the required member).
        response["ModelPackageName"] = self.model_package_name
        extras = {
            "ModelCard": self.model_card,
            "ModelLifeCycle": self.model_life_cycle,
            "SecurityConfig": self.security_config,
            "SourceUri": self.source_uri,
            "SkipModelValidation": self.skip_model_validation,
            "ModelPackageRegistrationType": self.model_package_registration_type,
            "CustomerMetadataProperties": self.customer_metadata_properties or None,
            "CreatedBy": self.created_by or None,
            "LastModifiedBy": self.last_modified_by or None,
        }
        for key, value in extras.items():
            if value is None:
                response.pop(key, None)
            else:
                response[key] = value
        return response

    def summary(self) -> dict[str, Any]:
        """A ModelPackageSummary: moto's, with ModelLifeCycle."""
        response = self.gen_response_object()
        if self.model_life_cycle:
            response["ModelLifeCycle"] = self.model_life_cycle
        return response

    def search_record(self) -> dict[str, Any]:
        """``SearchRecord.ModelPackage``: the whole package as DescribeModelPackage gives it, plus
        its tags."""
        record = self.describe()
        if self.tags:
            record["Tags"] = list(self.tags)
        return record


def governed(package: ModelPackage) -> GovernanceModelPackage:
    """A stored package as the governance class (every one is: this backend creates them and
    register() converts older ones)."""
    if not isinstance(package, GovernanceModelPackage):
        raise TypeError(f"{package.arn} was not created by the governance backend")
    return package


@dataclass(frozen=True)
class SearchHit:
    """One Search result: the resource's ARN (what a NextToken points at) and its record."""

    arn: str
    record: dict[str, Any]


class GovernanceSageMakerBackend(
    ServingBackend, StudioBackend, LineageBackend, ModelCardBackend, PipelineBackend
):
    """moto's SageMaker backend plus the registry governance, Studio, lineage and model card
    operations."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.init_governance_state()

    def init_governance_state(self) -> None:
        self.registry_lock = threading.RLock()
        self.model_package_group_policies: dict[str, str] = {}
        # Version numbers are never reused after a delete, as on AWS.
        self.model_package_version_counters: dict[str, int] = {}
        self.model_package_client_tokens: dict[str, str] = {}
        self.init_studio_state()
        self.init_lineage_state()
        self.init_model_card_state()
        self.init_pipeline_state()

    # -- model packages --------------------------------------------------------------------
    def create_model_package(  # type: ignore[override]
        self, request: CreateModelPackageRequest, created_by: dict[str, Any]
    ) -> str:
        """CreateModelPackage: ClientToken-idempotent, versions never reused; ``created_by`` is the
        caller's IamIdentity."""
        with self.registry_lock:
            token = request.client_token
            if token and self.model_package_client_tokens.get(token) in self.model_packages:
                return self.model_package_client_tokens[token]
            group_name = request.model_package_group_name
            name = group_name or request.model_package_name
            if group_name and request.model_package_name:
                raise ValidationError(
                    "Both ModelPackageName and ModelPackageGroupName are provided in the input. "
                    "Cannot determine which one to use."
                )
            if not name:
                raise ValidationError("Either ModelPackageName or ModelPackageGroupName is required.")
            validate_model_package_card(request.model_card)
            validate_life_cycle(request.model_life_cycle)
            version = None
            if group_name:
                if group_name.startswith("arn:"):
                    group_name = name = group_name.split("/")[-1]
                if group_name not in self.model_package_groups:
                    raise ValidationError(f"Model Package Group {group_name} does not exist.")
                version = self.model_package_version_counters.get(group_name, 0) + 1
                self.model_package_version_counters[group_name] = version
            package = GovernanceModelPackage(
                request,
                name=name,
                group_name=group_name,
                version=version,
                account_id=self.account_id,
                region_name=self.region_name,
                created_by=created_by,
            )
            self.model_package_name_mapping[package.model_package_name] = package.arn
            self.model_package_name_mapping[package.arn] = package.arn
            self.model_packages[package.arn] = package
            if token:
                self.model_package_client_tokens[token] = package.arn
            if version is not None:
                self._emit_state_change(package)
            return package.arn

    def _find_model_package(self, name_or_arn: str) -> GovernanceModelPackage:
        mapped = self.model_package_name_mapping.get(name_or_arn, name_or_arn)
        package = self.model_packages.get(mapped)
        if package is None:
            # Versioned ARNs are matched case-insensitively on the group name, as on AWS.
            wanted = mapped.lower()
            package = next((p for arn, p in self.model_packages.items() if arn.lower() == wanted), None)
        if package is None:
            raise ValidationError(f"Model package {name_or_arn} does not exist.")
        return governed(package)

    def describe_model_package(self, model_package_name: str) -> GovernanceModelPackage:
        return self._find_model_package(model_package_name)

    def update_model_package(  # type: ignore[override]
        self, request: UpdateModelPackageRequest, modified_by: dict[str, Any]
    ) -> str:
        """UpdateModelPackage: changes only what the request names, as AWS does."""
        with self.registry_lock:
            package = self._find_model_package(request.model_package_arn)
            validate_model_package_card(request.model_card)
            validate_not_archived(package.model_card, request.model_card)
            validate_life_cycle(request.model_life_cycle)
            validate_approval_status(request.model_approval_status)
            to_remove = request.customer_metadata_properties_to_remove or []
            overlap = set(request.customer_metadata_properties or {}) & set(to_remove)
            if overlap:
                raise ValidationError(
                    "CustomerMetadataProperties and CustomerMetadataPropertiesToRemove name the same "
                    f"keys: {sorted(overlap)}"
                )
            previous_status = package.model_approval_status
            if request.model_approval_status is not None:
                package.model_approval_status = request.model_approval_status
            if request.approval_description is not None:
                package.approval_description = request.approval_description
            if request.customer_metadata_properties:
                merged = dict(package.customer_metadata_properties or {})
                merged.update(request.customer_metadata_properties)
                package.customer_metadata_properties = merged
            if to_remove:
                remaining = dict(package.customer_metadata_properties or {})
                for key in to_remove:
                    remaining.pop(key, None)
                package.customer_metadata_properties = remaining or None
            if request.additional_inference_specifications_to_add:
                package.add_additional_inference_specifications(
                    request.additional_inference_specifications_to_add
                )
            if request.model_card is not None:
                card = dict(package.model_card or {})
                card.update({k: v for k, v in request.model_card.items() if v is not None})
                package.model_card = card
            if request.model_life_cycle is not None:
                package.model_life_cycle = dict(request.model_life_cycle)
            if request.inference_specification is not None:
                package.inference_specification = request.inference_specification
            if request.source_uri is not None:
                package.source_uri = request.source_uri
            package.last_modified_time = utcnow()
            package.last_modified_by = modified_by
            status = request.model_approval_status
            if package.model_package_group_name and status is not None and status != previous_status:
                self._emit_state_change(package)
            return package.arn

    def delete_model_package(self, model_package_name: str) -> None:
        with self.registry_lock:
            package = self._find_model_package(model_package_name)
            del self.model_packages[package.arn]
            for key in [k for k, v in self.model_package_name_mapping.items() if v == package.arn]:
                del self.model_package_name_mapping[key]
            for token in [t for t, arn in self.model_package_client_tokens.items() if arn == package.arn]:
                del self.model_package_client_tokens[token]

    def create_model_package_group(
        self,
        model_package_group_name: str,
        model_package_group_description: str | None,
        tags: list[dict[str, str]] | None = None,
        created_by: dict[str, Any] | None = None,
    ) -> str:
        """CreateModelPackageGroup: a group that exists is refused, not replaced (moto replaced it,
        wiping its description, tags and policy); the SageMaker SDK's register creates the group
        before every version and reads ``ValidationException`` "... already exists" as "exists"."""
        with self.registry_lock:
            existing = self.model_package_groups.get(model_package_group_name)
            if existing is not None:
                raise ValidationError(f"Model Package Group already exists: {existing.arn}")
            arn = super().create_model_package_group(
                model_package_group_name,
                model_package_group_description,  # type: ignore[arg-type]  # moto types it str, keeps None
                tags,
            )
            self.model_package_groups[model_package_group_name].created_by = created_by or {}
            return arn

    def model_package_group(self, name_or_arn: str) -> ModelPackageGroup:
        """DescribeModelPackageGroup's group, named or by ARN."""
        name = name_or_arn.split("/")[-1] if name_or_arn.startswith("arn:") else name_or_arn
        return self.describe_model_package_group(name)

    def delete_model_package_group(self, model_package_group_name: str) -> None:
        """DeleteModelPackageGroup: refused while versions remain, as on AWS."""
        group = self.model_package_group(model_package_group_name)
        name = group.model_package_group_name
        if any(p.model_package_group_name == name for p in self.model_packages.values()):
            raise ConflictException(f"Model Package Group {name} contains model packages; delete them first.")
        del self.model_package_groups[name]
        self.model_package_group_policies.pop(name, None)
        self.model_package_version_counters.pop(name, None)

    def put_model_package_group_policy(self, model_package_group_name: str, resource_policy: str) -> str:
        group = self.model_package_group(model_package_group_name)
        try:
            document = json.loads(resource_policy)
        except ValueError:
            raise ValidationError("ResourcePolicy is not valid JSON.") from None
        if not isinstance(document, dict) or "Statement" not in document:
            raise ValidationError("ResourcePolicy must be a policy document with a Statement.")
        self.model_package_group_policies[group.model_package_group_name] = resource_policy
        return group.arn

    def get_model_package_group_policy(self, model_package_group_name: str) -> str:
        group = self.model_package_group(model_package_group_name)
        policy = self.model_package_group_policies.get(group.model_package_group_name)
        if policy is None:
            raise ValidationError(
                f"Cannot find resource policy for model package group {group.model_package_group_name}."
            )
        return policy

    def delete_model_package_group_policy(self, model_package_group_name: str) -> None:
        group = self.model_package_group(model_package_group_name)
        if self.model_package_group_policies.pop(group.model_package_group_name, None) is None:
            raise ValidationError(
                f"Cannot find resource policy for model package group {group.model_package_group_name}."
            )

    def _emit_state_change(self, package: GovernanceModelPackage) -> None:
        """Publish a "SageMaker Model Package State Change" to the default event bus, as SageMaker
        does on creating a versioned package and on every change of its approval status."""
        from moto.events.models import events_backends

        detail: dict[str, Any] = {
            "ModelPackageGroupName": package.model_package_group_name,
            "ModelPackageVersion": package.model_package_version,
            "ModelPackageArn": package.arn,
            "ModelPackageName": f"{package.model_package_group_name}/{package.model_package_version}",
            "CreationTime": int(package.creation_time.timestamp() * 1000),
            "ModelPackageStatus": package.model_package_status,
            "ModelApprovalStatus": package.model_approval_status,
        }
        if package.model_life_cycle:
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

    # -- Search ---------------------------------------------------------------------------------
    def _search_records(self, resource: str) -> list[dict[str, Any]]:
        if resource == "ModelPackage":
            return [governed(p).search_record() for p in list(self.model_packages.values())]
        if resource == "ModelPackageGroup":
            records = []
            for group in list(self.model_package_groups.values()):
                record = group.gen_response_object()
                record["CreatedBy"] = getattr(group, "created_by", None) or {}
                record["Tags"] = list(group.tags or [])
                records.append({k: v for k, v in record.items() if v not in (None, [])})
            return records
        return [card_search_record(versions[-1]) for versions in list(self.model_cards.values()) if versions]

    @paginate(pagination_model=PAGINATION_MODEL)
    def search_records(
        self,
        resource: str,
        search_expression: dict[str, Any] | None,
        sort_by: str | None,
        sort_order: str | None,
        cross_account_filter_option: str | None,
        visibility_conditions: list[dict[str, str]] | None,
    ) -> list[SearchHit]:
        """Search over model packages, model package groups and model cards of this account and
        region (other resources are moto's :meth:`search`)."""
        search.check_expression(resource, search_expression)
        if sort_by is not None:
            search.check_property(resource, sort_by)
        if cross_account_filter_option == "CrossAccount":
            # Only resources other accounts made discoverable (ResourceCatalogs) are searched
            # then; the local cloud has no resource catalogs.
            return []
        conditions = [
            {"Name": c["Key"], "Operator": "Equals", "Value": c["Value"]} for c in visibility_conditions or []
        ]
        records = [
            r
            for r in self._search_records(resource)
            if search.matches(r, search_expression) and all(search.filter_matches(r, c) for c in conditions)
        ]
        order_by = sort_by or "LastModifiedTime"
        arn_member = f"{search.RECORD_MEMBERS[resource]}Arn"

        def key(record: dict[str, Any]) -> tuple[Any, ...]:
            primary = search.sort_key(record, order_by)
            if order_by == "LastModifiedTime" and primary[0] == 0:
                # Never modified: AWS orders it by when it was created.
                primary = search.sort_key(record, "CreationTime")
            return (primary, record[arn_member])

        records.sort(key=key, reverse=(sort_order or "Descending") == "Descending")
        return [SearchHit(arn=r[arn_member], record=r) for r in records]

    # -- tags on the resource types added here ---------------------------------------------
    def _get_resource_from_arn(self, arn: str) -> Any:
        """The resource an ARN names: a model package or group here; Studio, lineage and moto's
        own resource types through the classes this one is composed of, in turn."""
        resource_type = arn.split(":", 5)[-1].partition("/")[0]
        if resource_type == "model-package":
            return self._find_model_package(arn)
        if resource_type == "model-package-group":
            return self.model_package_group(arn)
        return super()._get_resource_from_arn(arn)

    def add_tags(self, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
        """AddTags: a key given again replaces its value (moto appended a duplicate)."""
        resource = self._get_resource_from_arn(arn)
        new_keys = {tag["Key"] for tag in tags}
        resource.tags = [t for t in (resource.tags or []) if t["Key"] not in new_keys] + list(tags)
        return resource.tags

    def list_tags(self, *args: Any, **kwargs: Any) -> tuple[list[dict[str, str]], str | None]:
        """ListTags: moto's (paginated; its handler passes ``arn=``), also on a resource that was
        created without tags."""
        resource = self._get_resource_from_arn(kwargs["arn"])
        if resource.tags is None:
            resource.tags = []
        return super().list_tags(*args, **kwargs)
