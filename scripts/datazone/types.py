"""The kit's form and asset types in the DataZone domain: a dataset is an S3 prefix with the
dataset form (location, schema, protected facet, owner, classification); a model is a registry
version with the model form (the card's business details, intended uses, risk rating, an
evaluation summary, approval and stage, the model package ARN and the source dataset's asset id).

Form types are Smithy models (DataZone API reference, CreateFormType ``model.smithy``; members
marked ``@amazon.datazone#searchable`` are what a catalog search matches besides name and
description). Both are owned by the shared producer project and created by ``mlgov data setup``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DATASET_FORM = "MlgovDatasetForm"
DATASET_ASSET_TYPE = "MlgovS3DatasetAssetType"
MODEL_FORM = "MlgovModelForm"
MODEL_ASSET_TYPE = "MlgovModelAssetType"
#: DataZone's own form of an S3 asset (the bucket), required by the dataset asset type.
S3_FORM = "S3ObjectCollectionForm"
S3_FORM_TYPE = "amazon.datazone.S3ObjectCollectionFormType"

DATASET_SMITHY = """
structure Column {
    @required
    name: String
    @required
    type: String
}

list Columns {
    member: Column
}

enum Classification {
    PUBLIC
    INTERNAL
    CONFIDENTIAL
}

structure MlgovDatasetForm {
    @required
    s3Uri: String
    @required
    schema: Columns
    protectedFacet: String
    @amazon.datazone#searchable
    @required
    owner: String
    @required
    classification: Classification
    sha256: String
}
"""

MODEL_SMITHY = """
structure EvaluationSummary {
    quality: String
    bias: String
    explainability: String
}

structure MlgovModelForm {
    @required
    modelPackageArn: String
    @required
    useCase: String
    @required
    environment: String
    @required
    version: Integer
    @amazon.datazone#searchable
    businessProblem: String
    @amazon.datazone#searchable
    lineOfBusiness: String
    businessStakeholders: String
    @amazon.datazone#searchable
    intendedUses: String
    @required
    riskRating: String
    evaluation: EvaluationSummary
    @required
    approvalStatus: String
    @required
    stage: String
    sourceDatasetAssetId: String
}
"""


@dataclass(frozen=True)
class KitType:
    """One form type with the asset type that requires it."""

    form: str
    smithy: str
    asset_type: str
    description: str
    extra_forms: tuple[tuple[str, str], ...] = ()
    """(form name, type) DataZone's own forms the asset type also requires."""

    def ensure(self, dz: Any, domain: str, project: str) -> str | None:
        """Create the form and asset types unless the asset type exists; returns the asset
        type's name when it was created."""
        try:
            dz.get_asset_type(domainIdentifier=domain, identifier=self.asset_type)
            return None
        except dz.exceptions.ResourceNotFoundException:
            pass
        try:
            form = dz.get_form_type(domainIdentifier=domain, formTypeIdentifier=self.form)
        except dz.exceptions.ResourceNotFoundException:
            form = dz.create_form_type(
                domainIdentifier=domain,
                name=self.form,
                model={"smithy": self.smithy},
                owningProjectIdentifier=project,
                status="ENABLED",
            )
        forms = {
            name: {"typeIdentifier": type_id, "typeRevision": "1", "required": True}
            for name, type_id in self.extra_forms
        }
        forms[self.form] = {"typeIdentifier": self.form, "typeRevision": form["revision"], "required": True}
        dz.create_asset_type(
            domainIdentifier=domain,
            name=self.asset_type,
            description=self.description,
            owningProjectIdentifier=project,
            formsInput=forms,
        )
        return self.asset_type


KIT_TYPES = (
    KitType(
        DATASET_FORM,
        DATASET_SMITHY,
        DATASET_ASSET_TYPE,
        "A training dataset: an S3 prefix with its schema, protected facet, owner and classification",
        ((S3_FORM, S3_FORM_TYPE),),
    ),
    KitType(
        MODEL_FORM,
        MODEL_SMITHY,
        MODEL_ASSET_TYPE,
        "An approved model version: its card's business metadata, evaluation, approval and stage",
    ),
)
