"""Standalone model cards on the governance backend, beyond moto's Create/Describe/List/Delete:
UpdateModelCard, a card version by number, ``IncludedData=MetadataOnly``, the card's Search record
and model card export jobs (the document is ``pdf.py``'s).

:class:`ModelCardBackend` holds the export jobs and the rules;
:class:`~.models.GovernanceSageMakerBackend` is composed of it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ConflictException, ResourceNotFound, ValidationError
from moto.sagemaker.models import FakeModelCard, SageMakerModelBackend
from moto.sagemaker.utils import arn_formatter
from moto.utilities.paginator import paginate

from .pdf import card_pdf
from .utils import PAGINATION_MODEL, sort_by_order, without_none
from .validators import ARCHIVED_MESSAGE, validate_model_card_content, validate_status_change

#: The JSON paths of a card's content that ``IncludedData=MetadataOnly`` keeps (the API reference
#: of DescribeModelCard's Content and DescribeModelPackage's ModelCard).
METADATA_ONLY_PATHS = (
    ("model_overview", "model_id"),
    ("model_overview", "model_name"),
    ("intended_uses", "risk_rating"),
    ("model_package_details", "model_package_group_name"),
    ("model_package_details", "model_package_arn"),
)


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
        return without_none(result)

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
        # A card made for a model package (model_package_details) is found by the package's ARN.
        "ModelId": overview.get("model_id") or details.get("model_package_arn"),
        "RiskRating": (document.get("intended_uses") or {}).get("risk_rating"),
        "ModelPackageGroupName": details.get("model_package_group_name"),
    }
    return without_none(record)


class ModelCardBackend(SageMakerModelBackend):
    """The model card operations of the governance backend (moto serves Create/Describe/List/
    Delete; state set by :meth:`init_model_card_state`)."""

    def init_model_card_state(self) -> None:
        self.model_card_export_jobs: dict[str, ModelCardExportJob] = {}

    def create_model_card(
        self,
        model_card_name: str,
        security_config: dict[str, str] | None,
        content: str,
        model_card_status: str,
        tags: list[dict[str, str]] | None,
        model_card_version: int | None = None,
        creation_time: datetime | None = None,
        last_modified_time: datetime | None = None,
    ) -> str:
        """CreateModelCard with its content held to the model card JSON schema (moto stored any
        string)."""
        validate_model_card_content(content)
        return super().create_model_card(
            model_card_name,
            security_config,
            content,
            model_card_status,
            tags,
            model_card_version,
            creation_time,
            last_modified_time,
        )

    def update_model_card(
        self, model_card_name: str, content: str | None, model_card_status: str | None
    ) -> str:
        """UpdateModelCard: content or status, never both in one call (the API reference); the
        member not named keeps its value (moto blanked it); content held to the model card JSON
        schema; an Archived card changes no more (``validators.validate_status_change``)."""
        if content is not None and model_card_status is not None:
            raise ValidationError(
                "You cannot update both model card content and model card status in a single call."
            )
        if model_card_name not in self.model_cards:
            raise ResourceNotFound(f"Modelcard {model_card_name} does not exist.")
        latest = self.model_cards[model_card_name][-1]
        if latest.model_card_status == "Archived" and content is not None:
            raise ValidationError(ARCHIVED_MESSAGE)
        validate_status_change(latest.model_card_status, model_card_status)
        validate_model_card_content(content)
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
        return sort_by_order(jobs, lambda j: getattr(j, attribute), sort_order)
