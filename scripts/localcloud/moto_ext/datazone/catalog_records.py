"""The records of DataZone's business catalog (glossaries and terms, form and asset types, assets
and their revisions, listings) and the catalog's constants; :mod:`.catalog` holds the backend that
creates, checks and serves them (its docstring says what DataZone checks)."""

from __future__ import annotations

import json
import os
import random
import string
from datetime import datetime
from typing import TYPE_CHECKING, Any

from moto.core.common_models import BaseModel
from moto.core.utils import utcnow

from . import smithy, utils
from .exceptions import (
    ResourceNotFoundException,
)

if TYPE_CHECKING:
    pass

MANAGED_PREFIX = "amazon.datazone."
#: Owning project reported for DataZone's managed types (the model requires one; AWS's value is
#: not documented).
MANAGED_OWNER = "amazon"
LISTING_READY_ENV = "MLGOV_LOCALCLOUD_DATAZONE_LISTING_READY_S"
DEFAULT_LISTING_READY_S = 1.0
MISSING_INPUT = (
    "The given Asset's input resource doesn't exist. Try creating Asset's input resource before accessing it."
)


def listing_ready_delay_s() -> float:
    try:
        return max(0.0, float(os.environ.get(LISTING_READY_ENV, DEFAULT_LISTING_READY_S)))
    except ValueError:
        return DEFAULT_LISTING_READY_S


def new_id() -> str:
    """An id as DataZone makes them: 14 lowercase alphanumerics."""
    alphabet = string.ascii_lowercase + string.digits
    return "".join(random.choice(alphabet) for _ in range(14))


def compact(value: Any) -> str:
    """JSON as DataZone returns form content: re-serialized without spaces (the API reference's
    CreateAsset examples send ``{"name": "x", "test": true}`` and get ``{"name":"x","test":true}``)."""
    return json.dumps(value, separators=(",", ":"))


def _drop_none(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


class Glossary(BaseModel):
    def __init__(
        self, domain_id: str, name: str, owning_project_id: str, created_by: str, **fields: Any
    ) -> None:
        self.id = new_id()
        self.domain_id = domain_id
        self.name = name
        self.owning_project_id = owning_project_id
        self.description: str | None = fields.get("description")
        self.status: str = fields.get("status") or "ENABLED"
        self.usage_restrictions: list[str] | None = fields.get("usage_restrictions")
        self.created_by = created_by
        self.created_at = utcnow()

    def to_dict(self) -> dict[str, Any]:
        return _drop_none(
            {
                "domainId": self.domain_id,
                "id": self.id,
                "name": self.name,
                "owningProjectId": self.owning_project_id,
                "description": self.description,
                "status": self.status,
                "usageRestrictions": self.usage_restrictions,
                "createdAt": self.created_at,
                "createdBy": self.created_by,
                "updatedAt": self.created_at,
                "updatedBy": self.created_by,
            }
        )


class GlossaryTerm(BaseModel):
    def __init__(self, glossary: Glossary, name: str, created_by: str, **fields: Any) -> None:
        self.id = new_id()
        self.domain_id = glossary.domain_id
        self.glossary_id = glossary.id
        self.owning_project_id = glossary.owning_project_id
        self.name = name
        self.status: str = fields.get("status") or "ENABLED"
        self.short_description: str | None = fields.get("short_description")
        self.long_description: str | None = fields.get("long_description")
        self.term_relations: dict[str, Any] | None = fields.get("term_relations")
        self.usage_restrictions = glossary.usage_restrictions
        self.created_by = created_by
        self.created_at = utcnow()

    def to_dict(self) -> dict[str, Any]:
        return _drop_none(
            {
                "domainId": self.domain_id,
                "glossaryId": self.glossary_id,
                "id": self.id,
                "name": self.name,
                "shortDescription": self.short_description,
                "longDescription": self.long_description,
                "termRelations": self.term_relations,
                "status": self.status,
                "createdAt": self.created_at,
                "createdBy": self.created_by,
                "updatedAt": self.created_at,
                "updatedBy": self.created_by,
                "usageRestrictions": self.usage_restrictions,
            }
        )

    def detail(self) -> dict[str, Any]:
        """DetailedGlossaryTerm, as listings carry their terms."""
        return _drop_none({"name": self.name, "shortDescription": self.short_description})


class FormType(BaseModel):
    """One revision of a form type."""

    def __init__(
        self,
        domain_id: str,
        name: str,
        revision: str,
        model_text: str,
        owning_project_id: str | None,
        created_by: str | None,
        description: str | None = None,
        status: str = "ENABLED",
    ) -> None:
        self.domain_id = domain_id
        self.name = name
        self.revision = revision
        self.model_text = model_text
        self.model = smithy.load(name, model_text)
        self.owning_project_id = owning_project_id
        self.created_by = created_by
        self.description = description
        self.status = status
        self.created_at = utcnow()

    @property
    def managed(self) -> bool:
        return self.name.startswith(MANAGED_PREFIX)

    def to_dict(self, domain_id: str) -> dict[str, Any]:
        return _drop_none(
            {
                "domainId": domain_id,
                "name": self.name,
                "revision": self.revision,
                "model": {"smithy": self.model_text},
                "owningProjectId": self.owning_project_id,
                "originDomainId": None if self.managed else self.domain_id,
                "originProjectId": self.owning_project_id,
                "status": self.status,
                "createdAt": self.created_at,
                "createdBy": self.created_by,
                "description": self.description,
            }
        )


class AssetType(BaseModel):
    """One revision of an asset type; ``forms``: form name -> type name, revision, required."""

    def __init__(
        self,
        domain_id: str,
        name: str,
        revision: str,
        forms: dict[str, dict[str, Any]],
        owning_project_id: str,
        created_by: str | None,
        description: str | None = None,
    ) -> None:
        self.domain_id = domain_id
        self.name = name
        self.revision = revision
        self.forms = forms
        self.owning_project_id = owning_project_id
        self.created_by = created_by
        self.description = description
        self.created_at = utcnow()

    @property
    def managed(self) -> bool:
        return self.name.startswith(MANAGED_PREFIX)

    def forms_output(self) -> dict[str, dict[str, Any]]:
        return {
            name: {"typeName": f["typeName"], "typeRevision": f["typeRevision"], "required": f["required"]}
            for name, f in self.forms.items()
        }

    def to_dict(self, domain_id: str) -> dict[str, Any]:
        return _drop_none(
            {
                "domainId": domain_id,
                "name": self.name,
                "revision": self.revision,
                "description": self.description,
                "formsOutput": self.forms_output(),
                "owningProjectId": self.owning_project_id,
                "originDomainId": None if self.managed else self.domain_id,
                "originProjectId": None if self.managed else self.owning_project_id,
                "createdAt": self.created_at,
                "createdBy": self.created_by,
                "updatedAt": self.created_at,
                "updatedBy": self.created_by,
            }
        )


S3_FORM_TYPE = FormType(
    "",
    "amazon.datazone.S3ObjectCollectionFormType",
    "1",
    "structure S3ObjectCollectionFormType {\n    @required\n    bucketArn: String\n}",
    None,
    None,
    description="An Amazon S3 object collection: the bucket it lives in.",
)
S3_ASSET_TYPE = AssetType(
    "",
    "amazon.datazone.S3ObjectCollectionAssetType",
    "1",
    {
        "S3ObjectCollectionForm": {
            "typeName": S3_FORM_TYPE.name,
            "typeRevision": S3_FORM_TYPE.revision,
            "required": True,
        }
    },
    MANAGED_OWNER,
    None,
    description="A collection of Amazon S3 objects.",
)
MANAGED_FORM_TYPES = {S3_FORM_TYPE.name: S3_FORM_TYPE}
MANAGED_ASSET_TYPES = {S3_ASSET_TYPE.name: S3_ASSET_TYPE}


class AssetRevision:
    def __init__(
        self,
        revision: str,
        name: str,
        description: str | None,
        glossary_terms: list[str] | None,
        forms: list[dict[str, Any]],
        type_revision: str,
        created_by: str,
    ) -> None:
        self.revision = revision
        self.name = name
        self.description = description
        self.glossary_terms = glossary_terms
        self.forms = forms
        self.type_revision = type_revision
        self.created_by = created_by
        self.created_at = utcnow()

    def forms_by_name(self) -> dict[str, Any]:
        """Form name -> content object: the ``forms`` document of a listing."""
        return {f["formName"]: json.loads(f.get("content") or "{}") for f in self.forms}


class Asset(BaseModel):
    def __init__(
        self,
        domain_id: str,
        type_name: str,
        owning_project_id: str,
        external_identifier: str | None,
        first: AssetRevision,
    ) -> None:
        self.id = new_id()
        self.domain_id = domain_id
        self.type_name = type_name
        self.owning_project_id = owning_project_id
        self.external_identifier = external_identifier
        self.revisions = [first]
        self.listing: Listing | None = None

    @property
    def latest(self) -> AssetRevision:
        return self.revisions[-1]

    def revision(self, revision: str | None) -> AssetRevision:
        if revision is None:
            return self.latest
        found = next((r for r in self.revisions if r.revision == revision), None)
        if found is None:
            raise ResourceNotFoundException(f"Revision {revision} of asset {self.id} does not exist.")
        return found

    def to_dict(self, revision: str | None = None) -> dict[str, Any]:
        shown = self.revision(revision)
        first = self.revisions[0]
        return _drop_none(
            {
                "id": self.id,
                "name": shown.name,
                "typeIdentifier": self.type_name,
                "typeRevision": shown.type_revision,
                "externalIdentifier": self.external_identifier,
                "revision": shown.revision,
                "description": shown.description,
                "createdAt": shown.created_at,
                "createdBy": shown.created_by,
                "firstRevisionCreatedAt": first.created_at,
                "firstRevisionCreatedBy": first.created_by,
                "glossaryTerms": shown.glossary_terms,
                "owningProjectId": self.owning_project_id,
                "domainId": self.domain_id,
                "listing": (
                    {"listingId": self.listing.id, "listingStatus": self.listing.status}
                    if self.listing is not None
                    else None
                ),
                "formsOutput": shown.forms,
                "readOnlyFormsOutput": [],
            }
        )


class ListingRevision:
    """What one PUBLISH put in the catalog: a snapshot of an asset revision."""

    def __init__(
        self,
        revision: str,
        asset: Asset,
        asset_revision: AssetRevision,
        terms: list[GlossaryTerm],
        searchable: dict[str, str],
        created_by: str,
    ) -> None:
        self.revision = revision
        self.asset_id = asset.id
        self.asset_revision = asset_revision.revision
        self.asset_type = asset.type_name
        self.owning_project_id = asset.owning_project_id
        self.name = asset_revision.name[:64]
        self.description = asset_revision.description
        self.forms = compact(asset_revision.forms_by_name())
        self.glossary_terms = [t.detail() for t in terms]
        self.glossary_term_ids = [t.id for t in terms]
        self.searchable = searchable
        self.created_by = created_by
        self.created_at = utcnow()
        self.ready_at = utils.clock() + listing_ready_delay_s()


class Listing(BaseModel):
    """An asset's listing in the catalog, with a revision per PUBLISH."""

    def __init__(self, domain_id: str, asset: Asset) -> None:
        self.id = new_id()
        self.domain_id = domain_id
        self.asset_id = asset.id
        self.revisions: list[ListingRevision] = []
        self.unpublished = False
        self.updated_by: str | None = None
        self.updated_at: datetime | None = None

    @property
    def latest(self) -> ListingRevision:
        return self.revisions[-1]

    @property
    def status(self) -> str:
        """INACTIVE once unpublished; CREATING until the latest publication is ready; ACTIVE."""
        if self.unpublished:
            return "INACTIVE"
        return "ACTIVE" if utils.clock() >= self.latest.ready_at else "CREATING"

    def revision(self, revision: str | None) -> ListingRevision:
        if revision is None:
            return self.latest
        found = next((r for r in self.revisions if r.revision == revision), None)
        if found is None:
            raise ResourceNotFoundException(f"Revision {revision} of listing {self.id} does not exist.")
        return found

    def to_dict(self, revision: str | None = None) -> dict[str, Any]:
        shown = self.revision(revision)
        return _drop_none(
            {
                "domainId": self.domain_id,
                "id": self.id,
                "listingRevision": shown.revision,
                "createdAt": shown.created_at,
                "updatedAt": self.updated_at or shown.created_at,
                "createdBy": shown.created_by,
                "updatedBy": self.updated_by or shown.created_by,
                "item": {
                    "assetListing": _drop_none(
                        {
                            "assetId": shown.asset_id,
                            "assetRevision": shown.asset_revision,
                            "assetType": shown.asset_type,
                            "createdAt": shown.created_at,
                            "forms": shown.forms,
                            "glossaryTerms": shown.glossary_terms,
                            "owningProjectId": shown.owning_project_id,
                        }
                    )
                },
                "name": shown.name,
                "description": shown.description,
                "status": self.status,
            }
        )
