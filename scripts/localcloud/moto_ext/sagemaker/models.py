"""The governance SageMaker backend: moto's ``SageMakerModelBackend`` plus the registry, Studio and
lineage state and rules the platform needs.

State lives on the per-account, per-region backend, so accounts stay isolated. Registry writes
are serialised per backend (``registry_lock``): the emulator serves requests on threads, and a
ClientToken lookup and the create it guards must be one step, or two concurrent promotions with
one token register two versions.

Three methods differ from moto's signatures on purpose, hence their ``type: ignore[override]``:
``create_model_package`` and ``update_model_package`` take one typed request object where moto's
take a long positional list, and ``create_domain`` passes moto's handler's arguments through to
:class:`StudioDomain`. Only the request handlers call them.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import threading
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from datetime import datetime, timedelta
from functools import cache
from typing import Any, ClassVar

from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import (
    ConflictException,
    ResourceInUseException,
    ResourceNotFound,
    ValidationError,
)
from moto.sagemaker.models import (
    Domain,
    FakeModelCard,
    ModelPackage,
    ModelPackageGroup,
    SageMakerModelBackend,
)
from moto.sagemaker.utils import arn_formatter
from moto.utilities.paginator import paginate

from . import search
from .pdf import card_pdf
from .utils import PAGINATION_MODEL, short_id
from .validators import (
    validate_approval_status,
    validate_life_cycle,
    validate_model_package_card,
    validate_not_archived,
)

STATE_CHANGE_DETAIL_TYPE = "SageMaker Model Package State Change"
#: botocore's AssociationEntityArn pattern.
ASSOCIATION_ENTITY_ARN = re.compile(
    r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:"
    r"(experiment|experiment-trial-component|artifact|action|context)/.*"
)
LINEAGE_ARN_TYPES = {"Artifact": "artifact", "Action": "action", "Context": "context"}
#: Seconds a new Studio domain or user profile stays ``Pending`` before it is ``InService``
#: (AWS takes minutes; the provider and the scripts must wait either way).
PROVISIONING_DELAY_ENV = "MLGOV_LOCALCLOUD_SAGEMAKER_DELAY_S"
DEFAULT_PROVISIONING_DELAY_S = 2.0
#: The JSON paths of a card's content that ``IncludedData=MetadataOnly`` keeps (the API reference
#: of DescribeModelCard's Content and DescribeModelPackage's ModelCard).
METADATA_ONLY_PATHS = (
    ("model_overview", "model_id"),
    ("model_overview", "model_name"),
    ("intended_uses", "risk_rating"),
    ("model_package_details", "model_package_group_name"),
    ("model_package_details", "model_package_arn"),
)


def provisioning_delay() -> timedelta:
    """How long a new domain or user profile is ``Pending`` (read at creation, so a test or the
    server's environment can change it)."""
    raw = os.environ.get(PROVISIONING_DELAY_ENV)
    seconds = DEFAULT_PROVISIONING_DELAY_S if raw in (None, "") else float(raw)
    return timedelta(seconds=max(seconds, 0.0))


class Provisioned:
    """A resource that is ``Pending`` until ``ready_at`` and then ``InService`` (moto sets the
    status once, so the attribute is a property computed on every read)."""

    ready_at: datetime | None = None
    _status: str = "InService"

    def start_provisioning(self) -> None:
        self.ready_at = utcnow() + provisioning_delay()

    @property
    def status(self) -> str:
        if self._status == "InService" and self.ready_at is not None and utcnow() < self.ready_at:
            return "Pending"
        return self._status

    @status.setter
    def status(self, value: str) -> None:
        self._status = value


def metadata_only(content: str | None) -> str | None:
    """A card's content trimmed to what ``IncludedData=MetadataOnly`` returns."""
    if content is None:
        return None
    try:
        document = json.loads(content)
    except ValueError:
        return "{}"
    kept: dict[str, dict[str, Any]] = {}
    for section, field in METADATA_ONLY_PATHS:
        value = document.get(section, {}).get(field) if isinstance(document.get(section), dict) else None
        if value is not None:
            kept.setdefault(section, {})[field] = value
    return json.dumps(kept)


#: ``BaseResponse._get_param``: a request member's value by botocore name, or the default given.
GetParam = Callable[[str, Any], Any]


def member_name(field_name: str) -> str:
    """botocore's member name of a request field (``source_uri`` -> ``SourceUri``)."""
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


@cache
def _camel_case(key: str) -> str:
    return "".join(word.title() for word in key.split("_"))


class GovernanceModelPackage(ModelPackage):
    """moto's ModelPackage plus the members moto does not keep, and AWS's defaults."""

    def camelCase(self, key: str) -> str:
        # moto recomputes it for every attribute of every record; Search builds a record per
        # version on every page, so the names are computed once.
        return _camel_case(key)

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


class UserProfile(Provisioned, BaseModel):
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
        self.domain_id = domain_id
        self.name = name
        self.arn = arn_formatter("user-profile", f"{domain_id}/{name}", account_id, region_name)
        self.user_settings = user_settings
        self.single_sign_on_user_identifier = single_sign_on_user_identifier
        self.single_sign_on_user_value = single_sign_on_user_value
        self.tags = list(tags or [])
        self.start_provisioning()
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


#: App types whose space runs one app of the space's own type (SpaceSettings.AppType); the
#: Studio Classic types (JupyterServer, KernelGateway) are not tied to a space's type.
SPACE_APP_TYPES = ("JupyterLab", "CodeEditor")


class Space(Provisioned, BaseModel):
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
        self.domain_id = domain_id
        self.name = name
        self.arn = arn_formatter("space", f"{domain_id}/{name}", account_id, region_name)
        self.space_settings = space_settings
        self.ownership_settings = ownership_settings
        self.space_sharing_settings = space_sharing_settings
        self.space_display_name = space_display_name
        self.tags = list(tags or [])
        self.start_provisioning()
        self.home_efs_file_system_uid = str(200000 + random.randint(0, 99999))
        self.creation_time = utcnow()
        self.last_modified_time = self.creation_time

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
        return {k: v for k, v in result.items() if v is not None}

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
        return {k: v for k, v in result.items() if v is not None}


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
        owner = space_name or user_profile_name
        # Service Authorization Reference, SageMaker resource types:
        # app/${DomainId}/${UserProfileName}/${AppType}/${AppName} (a space's name for its apps).
        self.arn = arn_formatter("app", f"{domain_id}/{owner}/{app_type}/{name}", account_id, region_name)
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
        result = {"AppArn": self.arn, **self._members()}
        return {k: v for k, v in result.items() if v is not None}

    def summary(self) -> dict[str, Any]:
        """An AppDetails entry of ListApps."""
        return {k: v for k, v in self._members().items() if v is not None}


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


@dataclass(frozen=True)
class SearchHit:
    """One Search result: the resource's ARN (what a NextToken points at) and its record."""

    arn: str
    record: dict[str, Any]


class ModelCardExportJob(BaseModel):
    """A model card export job (CreateModelCardExportJob). The export runs at creation: the
    document is written to the output path, or the job fails with the reason, as AWS reports."""

    def __init__(
        self, name: str, card: FakeModelCard, output_path: str, account_id: str, region_name: str
    ) -> None:
        self.name = name
        self.card_name = card.model_card_name
        self.card_version = card.model_card_version
        self.arn = arn_formatter(
            "model-card", f"{card.model_card_name}/export-job/{name}", account_id, region_name
        )
        self.output_path = output_path
        self.created_at = utcnow()
        self.last_modified_at = self.created_at
        self.status = "InProgress"
        self.failure_reason: str | None = None
        self.artifact: str | None = None

    def describe(self) -> dict[str, Any]:
        result = {
            "ModelCardExportJobName": self.name,
            "ModelCardExportJobArn": self.arn,
            "Status": self.status,
            "ModelCardName": self.card_name,
            "ModelCardVersion": self.card_version,
            "OutputConfig": {"S3OutputPath": self.output_path},
            "CreatedAt": self.created_at,
            "LastModifiedAt": self.last_modified_at,
            "FailureReason": self.failure_reason,
            "ExportArtifacts": {"S3ExportArtifacts": self.artifact} if self.artifact else None,
        }
        return {k: v for k, v in result.items() if v is not None}

    def summary(self) -> dict[str, Any]:
        return {
            "ModelCardExportJobName": self.name,
            "ModelCardExportJobArn": self.arn,
            "Status": self.status,
            "ModelCardName": self.card_name,
            "ModelCardVersion": self.card_version,
            "CreatedAt": self.created_at,
            "LastModifiedAt": self.last_modified_at,
        }


def card_search_record(card: FakeModelCard) -> dict[str, Any]:
    """``SearchRecord.ModelCard``: the card with the fields Search derives from its content."""
    try:
        document = json.loads(card.content or "{}")
    except ValueError:
        document = {}
    overview = document.get("model_overview") or {}
    details = document.get("model_package_details") or {}
    record = {
        "ModelCardArn": card.arn,
        "ModelCardName": card.model_card_name,
        "ModelCardVersion": card.model_card_version,
        "Content": card.content,
        "ModelCardStatus": card.model_card_status,
        "SecurityConfig": card.security_config,
        "CreationTime": card.creation_time,
        "CreatedBy": {},
        "LastModifiedTime": card.last_modified_time,
        "LastModifiedBy": {},
        "Tags": list(card.tags or []) or None,
        "ModelId": overview.get("model_id"),
        "RiskRating": (document.get("intended_uses") or {}).get("risk_rating"),
        "ModelPackageGroupName": details.get("model_package_group_name"),
    }
    return {k: v for k, v in record.items() if v is not None}


def _sort(items: list[Any], key: Callable[[Any], Any], sort_order: str | None) -> list[Any]:
    return sorted(items, key=key, reverse=(sort_order or "Descending") == "Descending")


class GovernanceSageMakerBackend(SageMakerModelBackend):
    """moto's SageMaker backend plus the registry governance, Studio and lineage operations."""

    _ASSOCIATION_SORT_KEYS: ClassVar[dict[str, str]] = {
        "SourceArn": "source_arn",
        "DestinationArn": "destination_arn",
        "SourceType": "source_type",
        "DestinationType": "destination_type",
    }

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.init_governance_state()

    def init_governance_state(self) -> None:
        self.registry_lock = threading.RLock()
        self.model_package_group_policies: dict[str, str] = {}
        # Version numbers are never reused after a delete, as on AWS.
        self.model_package_version_counters: dict[str, int] = {}
        self.model_package_client_tokens: dict[str, str] = {}
        self.user_profiles: dict[tuple[str, str], UserProfile] = {}
        self.spaces: dict[tuple[str, str], Space] = {}
        self.apps: dict[str, StudioApp] = {}
        self.lineage: dict[str, LineageEntity] = {}
        self.associations: dict[tuple[str, str], Association] = {}
        self.model_card_export_jobs: dict[str, ModelCardExportJob] = {}

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
            package = self.model_packages.get(mapped.lower())
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

    def create_user_profile(
        self,
        domain_id: str,
        user_profile_name: str,
        single_sign_on_user_identifier: str | None,
        single_sign_on_user_value: str | None,
        tags: list[dict[str, str]] | None,
        user_settings: dict[str, Any] | None,
    ) -> str:
        self.studio_domain(domain_id)
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
        return _sort(profiles, key, sort_order)

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
            self.studio_domain(domain_id)
            if (domain_id, space_name) in self.spaces:
                raise ResourceInUseException(
                    f"Resource Already Exists: Space with name {space_name} already exists in "
                    f"domain {domain_id}. Choose a different name."
                )
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
        return _sort(spaces, lambda s: getattr(s, attribute), sort_order)

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
        arn = arn_formatter(
            "app", f"{domain_id}/{owner}/{app_type}/{app_name}", self.account_id, self.region_name
        )
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
        return _sort(apps, lambda a: a.creation_time, sort_order)

    # -- lineage ----------------------------------------------------------------------------
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
        """CreateArtifact, CreateAction, CreateContext (``kind`` says which)."""
        with self.registry_lock:
            if not source or not source.get("SourceUri"):
                raise ValidationError(f"{kind} Source.SourceUri is required.")
            if name:
                resource_id = name.lower()
            else:
                # Unnamed artifacts get a content-independent 32-hex id, as AWS does.
                resource_id = hashlib.md5(f"{random.random()}{utcnow()}".encode()).hexdigest()
            arn = arn_formatter(LINEAGE_ARN_TYPES[kind], resource_id, self.account_id, self.region_name)
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
                LINEAGE_ARN_TYPES[kind], name_or_arn.lower(), self.account_id, self.region_name
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

    def delete_artifact(self, artifact_arn: str | None, source_uri: str | None) -> str:
        """DeleteArtifact names the artifact by ARN or by its Source."""
        if artifact_arn:
            return self.delete_lineage_entity("Artifact", artifact_arn)
        matches = self._lineage_entities("Artifact", source_uri=source_uri)
        if not matches:
            raise ResourceNotFound("No artifact has that source.")
        return self.delete_lineage_entity("Artifact", matches[0].arn)

    def _lineage_entities(
        self,
        kind: str,
        source_uri: str | None = None,
        entity_type: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
    ) -> list[LineageEntity]:
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

    @paginate(pagination_model=PAGINATION_MODEL)
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
        return self._lineage_entities(
            kind, source_uri, entity_type, created_after, created_before, sort_by, sort_order
        )

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
        if resource_type in LINEAGE_ARN_TYPES.values() and arn not in self.lineage:
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
        if self.associations.pop((source_arn, destination_arn), None) is None:
            raise ResourceNotFound(f"Association from {source_arn} to {destination_arn} does not exist.")

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_associations(
        self,
        source_arn: str | None,
        destination_arn: str | None,
        source_type: str | None,
        destination_type: str | None,
        association_type: str | None,
        created_after: datetime | None,
        created_before: datetime | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[Association]:
        """ListAssociations with every filter the API defines."""
        found = [
            a
            for a in self.associations.values()
            if (source_arn is None or a.source_arn == source_arn)
            and (destination_arn is None or a.destination_arn == destination_arn)
            and (source_type is None or a.source_type == source_type)
            and (destination_type is None or a.destination_type == destination_type)
            and (association_type is None or a.association_type == association_type)
            and (created_after is None or a.creation_time > created_after)
            and (created_before is None or a.creation_time < created_before)
        ]
        attribute = self._ASSOCIATION_SORT_KEYS.get(sort_by or "", "creation_time")
        return _sort(found, lambda a: getattr(a, attribute), sort_order)

    # -- Search ---------------------------------------------------------------------------------
    def _search_records(self, resource: str) -> list[dict[str, Any]]:
        if resource == "ModelPackage":
            return [governed(p).search_record() for p in list(self.model_packages.values())]
        if resource == "ModelPackageGroup":
            records = []
            for group in list(self.model_package_groups.values()):
                record = group.gen_response_object()
                record["CreatedBy"] = {}
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

    # -- model cards (moto serves Create/Describe/List/Delete) -------------------------------
    def update_model_card(
        self, model_card_name: str, content: str | None, model_card_status: str | None
    ) -> str:
        """UpdateModelCard: content or status, never both in one call (the API reference); the
        member not named keeps its value (moto blanked it)."""
        if content is not None and model_card_status is not None:
            raise ValidationError(
                "You cannot update both model card content and model card status in a single call."
            )
        if model_card_name not in self.model_cards:
            raise ResourceNotFound(f"Modelcard {model_card_name} does not exist.")
        latest = self.model_cards[model_card_name][-1]
        return super().update_model_card(
            model_card_name,
            content if content is not None else latest.content,
            model_card_status if model_card_status is not None else latest.model_card_status,
        )

    def create_model_card_export_job(
        self, model_card_name: str, model_card_version: int | None, job_name: str, output_path: str
    ) -> str:
        """CreateModelCardExportJob: writes the card's PDF to ``<S3OutputPath>/<card>/<job>.pdf``
        in this account's bucket, or fails the job with the reason when it cannot."""
        from moto.s3.exceptions import MissingBucket
        from moto.s3.models import s3_backends

        card = self.describe_model_card_version(model_card_name, model_card_version)
        job = ModelCardExportJob(job_name, card, output_path, self.account_id, self.region_name)
        if job.arn in self.model_card_export_jobs:
            raise ConflictException(f"Model card export job {job_name} already exists for {model_card_name}.")
        bucket, _, prefix = output_path.split("://", 1)[1].partition("/")
        key = "/".join(part for part in (prefix.strip("/"), card.model_card_name, f"{job_name}.pdf") if part)
        document = card_pdf(
            card.model_card_name, card.model_card_version, card.model_card_status, card.content
        )
        try:
            s3_backends[self.account_id][self.partition].put_object(bucket, key, document)
        except MissingBucket:
            job.status = "Failed"
            job.failure_reason = f"The S3 bucket {bucket} does not exist or is not accessible."
        else:
            job.status = "Completed"
            job.artifact = f"s3://{bucket}/{key}"
        job.last_modified_at = utcnow()
        self.model_card_export_jobs[job.arn] = job
        return job.arn

    def describe_model_card_version(
        self, model_card_name: str, model_card_version: int | None
    ) -> FakeModelCard:
        """A card version (the latest when none is named); ResourceNotFound as DescribeModelCard."""
        versions = self.model_cards.get(model_card_name)
        if not versions:
            raise ResourceNotFound(f"Modelcard {model_card_name} does not exist.")
        if model_card_version is None:
            return versions[-1]
        for version in versions:
            if version.model_card_version == model_card_version:
                return version
        raise ResourceNotFound(
            f"Modelcard with name {model_card_name} and version: {model_card_version} does not exist"
        )

    def describe_model_card_export_job(self, job_arn: str) -> ModelCardExportJob:
        job = self.model_card_export_jobs.get(job_arn)
        if job is None:
            raise ResourceNotFound(f"Model card export job {job_arn} does not exist.")
        return job

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_model_card_export_jobs(
        self,
        model_card_name: str,
        model_card_version: int | None,
        creation_time_after: datetime | None,
        creation_time_before: datetime | None,
        name_contains: str | None,
        status_equals: str | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[ModelCardExportJob]:
        jobs = [
            j
            for j in self.model_card_export_jobs.values()
            if j.card_name == model_card_name
            and (model_card_version is None or j.card_version == model_card_version)
            and (creation_time_after is None or j.created_at > creation_time_after)
            and (creation_time_before is None or j.created_at < creation_time_before)
            and (name_contains is None or name_contains in j.name)
            and (status_equals is None or j.status == status_equals)
        ]
        attribute = {"Name": "name", "Status": "status"}.get(sort_by or "", "created_at")
        return _sort(jobs, lambda j: getattr(j, attribute), sort_order)

    # -- tags on the resource types added here ---------------------------------------------
    def _get_resource_from_arn(self, arn: str) -> Any:
        resource = arn.split(":", 5)[-1]
        resource_type, _, resource_id = resource.partition("/")
        if resource_type == "user-profile":
            domain_id, _, name = resource_id.partition("/")
            return self.describe_user_profile(domain_id, name)
        if resource_type == "model-package":
            return self._find_model_package(arn)
        if resource_type in LINEAGE_ARN_TYPES.values():
            entity = self.lineage.get(arn)
            if entity is None:
                raise ResourceNotFound(f"Lineage entity {arn} does not exist.")
            return entity
        if resource_type == "model-package-group":
            return self.model_package_group(arn)
        if resource_type == "domain":
            return self.studio_domain(resource_id)
        if resource_type == "space":
            domain_id, _, name = resource_id.partition("/")
            return self.describe_space(domain_id, name)
        if resource_type == "app":
            app = self.apps.get(arn)
            if app is None:
                raise ResourceNotFound(f"App {arn} does not exist.")
            return app
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
