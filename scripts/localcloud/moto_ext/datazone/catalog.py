"""DataZone's business catalog: glossaries and terms, form types and asset types, assets and their
revisions, and listings (assets published to the catalog).

What DataZone checks and the local cloud checks the same way (DataZone API reference for each
operation; User Guide "Create custom asset types", "Create, edit, or delete metadata forms",
"Publish data"):

- A form type's model is Smithy (``smithy.py``); asset forms are validated against it on
  CreateAsset and CreateAssetRevision. A form the asset type marks ``required`` must be given.
  CreateFormType / CreateAssetType with the name of an existing type create its next revision
  (there is no Update call); the ``amazon.datazone.`` prefix is DataZone's own.
- Glossary terms attached to an asset or bound by a form member
  (``@amazon.datazone#glossaryterm("<glossary id>")``) must exist in the domain.
- Only owners and contributors of the owning project create and revise its glossaries, types and
  assets and publish them (``users.PUBLISHERS``); only its members read its inventory (assets not
  yet published). A published listing is visible to every user of the domain.
- Publishing (CreateListingChangeSet PUBLISH) is asynchronous: the listing revision is
  ``CREATING`` for ``$MLGOV_LOCALCLOUD_DATAZONE_LISTING_READY_S`` seconds (default 1) before it is
  ``ACTIVE`` and searchable (the DataZone getting-started script waits 15 s after publishing
  before it searches). UNPUBLISH makes the listing ``INACTIVE``: it leaves search and can no
  longer be subscribed to; existing subscriptions stay.

The managed types DataZone ships that a kit may use are served with a minimal model:
``amazon.datazone.S3ObjectCollectionAssetType`` with its required form
``amazon.datazone.S3ObjectCollectionFormType`` (``bucketArn``), as the CreateAsset and GetAsset
examples of the API reference show them. Other managed types are not known here.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from moto.core.utils import utcnow
from moto.utilities.paginator import paginate

from . import events, smithy
from .exceptions import (
    AccessDeniedException,
    ConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from .users import PUBLISHERS, UserProfile
from .utils import PAGINATION_MODEL

if TYPE_CHECKING:
    from .models import Domain

from .catalog_records import (
    MANAGED_ASSET_TYPES,
    MANAGED_FORM_TYPES,
    MANAGED_PREFIX,
    MISSING_INPUT,
    Asset,
    AssetRevision,
    AssetType,
    FormType,
    Glossary,
    GlossaryTerm,
    Listing,
    ListingRevision,
    compact,
)


class CatalogBackend:
    """Glossaries, types, assets and listings of the domains this account holds (a mixin of
    ``DataZoneBackend``; state keyed by domain id)."""

    account_id: str
    region_name: str
    # From MembershipBackend and DataZoneBackend, which this mixin is composed with.
    require: Any
    is_member: Any
    get_project: Any

    def init_catalog_state(self) -> None:
        self.glossaries: dict[str, dict[str, Glossary]] = {}
        self.glossary_terms: dict[str, dict[str, GlossaryTerm]] = {}
        self.form_types: dict[str, dict[str, list[FormType]]] = {}
        self.asset_types: dict[str, dict[str, list[AssetType]]] = {}
        self.assets: dict[str, dict[str, Asset]] = {}
        self.listings: dict[str, dict[str, Listing]] = {}
        self.catalog_tokens: dict[tuple[str, str], str] = {}

    def drop_catalog_state(self, domain_id: str) -> None:
        for store in (
            self.glossaries,
            self.glossary_terms,
            self.form_types,
            self.asset_types,
            self.assets,
            self.listings,
        ):
            store.pop(domain_id, None)

    def _owning_project(
        self,
        domain: Domain,
        identifier: str,
        user: UserProfile,
        operation: str,
        missing: type[Exception] | None = None,
    ) -> str:
        """The owning project a create names, which the caller must own or contribute to.
        ``missing``: the error for a project that does not exist, when the operation declares
        no ResourceNotFoundException (CreateGlossary, CreateFormType, CreateAssetType)."""
        try:
            project = self.get_project(domain.id, identifier)
        except ResourceNotFoundException as error:
            if missing is None:
                raise
            raise missing(error.message) from error
        self.require(domain.id, project.id, user, PUBLISHERS, operation)
        return str(project.id)

    # -- glossaries ---------------------------------------------------------------------------
    def create_glossary(
        self, domain: Domain, user: UserProfile, name: str, owning_project: str, **fields: Any
    ) -> Glossary:
        project_id = self._owning_project(domain, owning_project, user, "CreateGlossary", ValidationException)
        glossaries = self.glossaries.setdefault(domain.id, {})
        if any(g.name == name for g in glossaries.values()):
            raise ConflictException(f"A glossary with the name {name} already exists in domain {domain.id}.")
        glossary = Glossary(domain.id, name, project_id, user.id, **fields)
        glossaries[glossary.id] = glossary
        return glossary

    def get_glossary(self, domain_id: str, identifier: str) -> Glossary:
        glossary = self.glossaries.get(domain_id, {}).get(identifier)
        if glossary is None:
            raise ResourceNotFoundException(f"Glossary {identifier} does not exist in domain {domain_id}.")
        return glossary

    def create_glossary_term(
        self, domain: Domain, user: UserProfile, glossary_identifier: str, name: str, **fields: Any
    ) -> GlossaryTerm:
        glossary = self.get_glossary(domain.id, glossary_identifier)
        self.require(domain.id, glossary.owning_project_id, user, PUBLISHERS, "CreateGlossaryTerm")
        if glossary.status != "ENABLED":
            raise ValidationException(
                f"Glossary {glossary.id} is {glossary.status}; terms go into an enabled glossary."
            )
        terms = self.glossary_terms.setdefault(domain.id, {})
        if any(t.glossary_id == glossary.id and t.name == name for t in terms.values()):
            raise ConflictException(f"A term with the name {name} already exists in glossary {glossary.id}.")
        term = GlossaryTerm(glossary, name, user.id, **fields)
        terms[term.id] = term
        return term

    def get_glossary_term(self, domain_id: str, identifier: str) -> GlossaryTerm:
        term = self.glossary_terms.get(domain_id, {}).get(identifier)
        if term is None:
            raise ResourceNotFoundException(
                f"Glossary term {identifier} does not exist in domain {domain_id}."
            )
        return term

    def update_glossary(self, domain: Domain, user: UserProfile, identifier: str, **changes: Any) -> Glossary:
        glossary = self.get_glossary(domain.id, identifier)
        self.require(domain.id, glossary.owning_project_id, user, PUBLISHERS, "UpdateGlossary")
        name = changes.get("name")
        if (
            name
            and name != glossary.name
            and any(g.name == name for g in self.glossaries[domain.id].values())
        ):
            raise ConflictException(f"A glossary with the name {name} already exists in domain {domain.id}.")
        for attribute, value in changes.items():
            if value is not None:
                setattr(glossary, attribute, value)
        return glossary

    def delete_glossary(self, domain: Domain, user: UserProfile, identifier: str) -> None:
        """DeleteGlossary: a disabled glossary without terms (Terraform's aws_datazone_glossary
        disables it before it deletes it)."""
        glossary = self.get_glossary(domain.id, identifier)
        self.require(domain.id, glossary.owning_project_id, user, PUBLISHERS, "DeleteGlossary")
        if glossary.status == "ENABLED":
            raise ConflictException(f"Glossary {glossary.id} is ENABLED; disable it (UpdateGlossary) first.")
        if any(t.glossary_id == glossary.id for t in self.glossary_terms.get(domain.id, {}).values()):
            raise ConflictException(f"Glossary {glossary.id} still has terms; delete them first.")
        del self.glossaries[domain.id][glossary.id]

    def update_glossary_term(
        self, domain: Domain, user: UserProfile, identifier: str, **changes: Any
    ) -> GlossaryTerm:
        term = self.get_glossary_term(domain.id, identifier)
        self.require(domain.id, term.owning_project_id, user, PUBLISHERS, "UpdateGlossaryTerm")
        target = changes.pop("glossary_identifier", None)
        if target and target != term.glossary_id:
            raise ValidationException(
                f"Term {term.id} belongs to glossary {term.glossary_id}; terms do not move."
            )
        name = changes.get("name")
        terms = self.glossary_terms[domain.id].values()
        if (
            name
            and name != term.name
            and any(t.glossary_id == term.glossary_id and t.name == name for t in terms)
        ):
            raise ConflictException(
                f"A term with the name {name} already exists in glossary {term.glossary_id}."
            )
        for attribute, value in changes.items():
            if value is not None:
                setattr(term, attribute, value)
        return term

    def delete_glossary_term(self, domain: Domain, user: UserProfile, identifier: str) -> None:
        """DeleteGlossaryTerm: a disabled term no asset's latest revision carries."""
        term = self.get_glossary_term(domain.id, identifier)
        self.require(domain.id, term.owning_project_id, user, PUBLISHERS, "DeleteGlossaryTerm")
        if term.status == "ENABLED":
            raise ConflictException(
                f"Glossary term {term.id} is ENABLED; disable it (UpdateGlossaryTerm) first."
            )
        users = [
            a.id
            for a in self.assets.get(domain.id, {}).values()
            if term.id in (a.latest.glossary_terms or [])
        ]
        if users:
            raise ConflictException(f"Glossary term {term.id} is attached to assets {', '.join(users)}.")
        del self.glossary_terms[domain.id][term.id]

    def _terms(self, domain_id: str, identifiers: list[str] | None) -> list[GlossaryTerm]:
        terms = []
        for identifier in identifiers or []:
            term = self.glossary_terms.get(domain_id, {}).get(identifier)
            if term is None or term.status != "ENABLED":
                raise ResourceNotFoundException(f"{MISSING_INPUT} (glossary term {identifier})")
            terms.append(term)
        return terms

    # -- form types ---------------------------------------------------------------------------
    def _type_name(self, domain_id: str, identifier: str) -> str:
        """A type identifier as the domain resolves it: a name, or ``<domain id>.<name>``."""
        return identifier.removeprefix(f"{domain_id}.")

    def create_form_type(
        self,
        domain: Domain,
        user: UserProfile,
        name: str,
        model: dict[str, Any],
        owning_project: str,
        status: str | None,
        description: str | None,
    ) -> FormType:
        project_id = self._owning_project(domain, owning_project, user, "CreateFormType", ValidationException)
        if name.startswith(MANAGED_PREFIX):
            raise ValidationException(
                f"Form type name {name}: the prefix {MANAGED_PREFIX} is reserved for DataZone."
            )
        text = model.get("smithy") if isinstance(model, dict) else None
        if not text:
            raise ValidationException("model must carry the form type's Smithy model (model.smithy).")
        revisions = self.form_types.get(domain.id, {}).get(name, [])
        if revisions and revisions[-1].owning_project_id != project_id:
            raise ConflictException(f"Form type {name} belongs to project {revisions[-1].owning_project_id}.")
        try:
            form_type = FormType(
                domain.id,
                name,
                str(len(revisions) + 1),
                text,
                project_id,
                user.id,
                description,
                status or "ENABLED",
            )
        except smithy.SmithyError as error:
            raise ValidationException(f"Invalid model for form type {name}: {error}") from error
        for member, glossary_id in form_type.model.glossary_members().items():
            if glossary_id not in self.glossaries.get(domain.id, {}):
                raise ValidationException(
                    f"Member {member} of {name} is bound to glossary {glossary_id}, which does not exist."
                )
        self.form_types.setdefault(domain.id, {}).setdefault(name, []).append(form_type)
        return form_type

    def form_type(self, domain_id: str, identifier: str, revision: str | None = None) -> FormType:
        name = self._type_name(domain_id, identifier)
        revisions = [MANAGED_FORM_TYPES[name]] if name in MANAGED_FORM_TYPES else None
        revisions = revisions or self.form_types.get(domain_id, {}).get(name)
        if not revisions:
            raise ResourceNotFoundException(f"Form type {identifier} does not exist in domain {domain_id}.")
        if revision is None:
            return revisions[-1]
        found = next((f for f in revisions if f.revision == revision), None)
        if found is None:
            raise ResourceNotFoundException(f"Revision {revision} of form type {identifier} does not exist.")
        return found

    # -- asset types --------------------------------------------------------------------------
    def create_asset_type(
        self,
        domain: Domain,
        user: UserProfile,
        name: str,
        forms_input: dict[str, dict[str, Any]],
        owning_project: str,
        description: str | None,
    ) -> AssetType:
        project_id = self._owning_project(
            domain, owning_project, user, "CreateAssetType", ValidationException
        )
        if name.startswith(MANAGED_PREFIX):
            raise ValidationException(
                f"Asset type name {name}: the prefix {MANAGED_PREFIX} is reserved for DataZone."
            )
        forms = {}
        for form_name, entry in (forms_input or {}).items():
            try:
                form_type = self.form_type(domain.id, entry["typeIdentifier"], entry.get("typeRevision"))
            except ResourceNotFoundException as error:
                # CreateAssetType declares no ResourceNotFoundException.
                raise ValidationException(f"Form {form_name}: {error.message}") from error
            forms[form_name] = {
                "typeName": form_type.name,
                "typeRevision": form_type.revision,
                "required": bool(entry.get("required", False)),
            }
        revisions = self.asset_types.get(domain.id, {}).get(name, [])
        if revisions and revisions[-1].owning_project_id != project_id:
            raise ConflictException(
                f"Asset type {name} belongs to project {revisions[-1].owning_project_id}."
            )
        asset_type = AssetType(
            domain.id, name, str(len(revisions) + 1), forms, project_id, user.id, description
        )
        self.asset_types.setdefault(domain.id, {}).setdefault(name, []).append(asset_type)
        return asset_type

    def asset_type(self, domain_id: str, identifier: str, revision: str | None = None) -> AssetType:
        name = self._type_name(domain_id, identifier)
        revisions = [MANAGED_ASSET_TYPES[name]] if name in MANAGED_ASSET_TYPES else None
        revisions = revisions or self.asset_types.get(domain_id, {}).get(name)
        if not revisions:
            raise ResourceNotFoundException(f"Asset type {identifier} does not exist in domain {domain_id}.")
        if revision is None:
            return revisions[-1]
        found = next((t for t in revisions if t.revision == revision), None)
        if found is None:
            raise ResourceNotFoundException(f"Revision {revision} of asset type {identifier} does not exist.")
        return found

    def delete_form_type(self, domain: Domain, user: UserProfile, identifier: str) -> None:
        """DeleteFormType: every revision, unless an asset type still uses it."""
        name = self._type_name(domain.id, identifier)
        if name in MANAGED_FORM_TYPES:
            raise ValidationException(f"Form type {name} is managed by DataZone and cannot be deleted.")
        latest = self.form_type(domain.id, name)
        self.require(domain.id, str(latest.owning_project_id), user, PUBLISHERS, "DeleteFormType")
        for type_name, revisions in self.asset_types.get(domain.id, {}).items():
            if any(f["typeName"] == name for t in revisions for f in t.forms.values()):
                raise ConflictException(
                    f"Form type {name} is used by asset type {type_name}; delete that first."
                )
        del self.form_types[domain.id][name]

    def delete_asset_type(self, domain: Domain, user: UserProfile, identifier: str) -> None:
        """DeleteAssetType: every revision, unless an asset of the type still exists."""
        name = self._type_name(domain.id, identifier)
        if name in MANAGED_ASSET_TYPES:
            raise ValidationException(f"Asset type {name} is managed by DataZone and cannot be deleted.")
        latest = self.asset_type(domain.id, name)
        self.require(domain.id, latest.owning_project_id, user, PUBLISHERS, "DeleteAssetType")
        in_use = [a.id for a in self.assets.get(domain.id, {}).values() if a.type_name == name]
        if in_use:
            raise ConflictException(
                f"Asset type {name} is used by assets {', '.join(in_use)}; delete them first."
            )
        del self.asset_types[domain.id][name]

    def all_types(self, domain_id: str, scope: str, managed: bool) -> list[Any]:
        """The latest revision of every type of ``scope`` (ASSET_TYPE / FORM_TYPE), managed or not."""
        if scope == "ASSET_TYPE":
            if managed:
                return list(MANAGED_ASSET_TYPES.values())
            return [revisions[-1] for revisions in self.asset_types.get(domain_id, {}).values()]
        if scope == "FORM_TYPE":
            if managed:
                return list(MANAGED_FORM_TYPES.values())
            return [revisions[-1] for revisions in self.form_types.get(domain_id, {}).values()]
        return []

    # -- assets -------------------------------------------------------------------------------
    def _forms(
        self, domain_id: str, asset_type: AssetType, forms_input: list[dict[str, Any]] | None
    ) -> list[dict[str, Any]]:
        """FormsOutput of a new asset revision, each form validated against its form type."""
        outputs = []
        problems: list[str] = []
        given = set()
        for form in forms_input or []:
            form_name = form["formName"]
            if form_name in given:
                raise ValidationException(f"Form {form_name} is given twice.")
            given.add(form_name)
            declared = asset_type.forms.get(form_name)
            if declared is not None:
                identifier = form.get("typeIdentifier") or declared["typeName"]
                if self._type_name(domain_id, identifier) != declared["typeName"]:
                    raise ValidationException(
                        f"Form {form_name} of asset type {asset_type.name} is a {declared['typeName']}, not {identifier}."
                    )
                revision = form.get("typeRevision") or declared["typeRevision"]
            elif form.get("typeIdentifier"):
                identifier, revision = form["typeIdentifier"], form.get("typeRevision")
            else:
                raise ValidationException(
                    f"Form {form_name} is not a form of asset type {asset_type.name}; give its typeIdentifier."
                )
            try:
                form_type = self.form_type(domain_id, identifier, revision)
            except ResourceNotFoundException as error:
                raise ResourceNotFoundException(f"{MISSING_INPUT} ({error.message})") from error
            if form_type.status != "ENABLED":
                raise ValidationException(f"Form type {form_type.name} is {form_type.status}.")
            try:
                content = json.loads(form.get("content") or "{}")
            except json.JSONDecodeError as error:
                raise ValidationException(
                    f"Content of form {form_name} is not valid JSON: {error.msg}."
                ) from error
            problems += form_type.model.validate(content, form_name)
            for member, glossary_id in form_type.model.glossary_members().items():
                values = content.get(member) if isinstance(content, dict) else None
                for term_id in values if isinstance(values, list) else [values] if values else []:
                    term = self.glossary_terms.get(domain_id, {}).get(str(term_id))
                    if term is None or term.glossary_id != glossary_id:
                        problems.append(
                            f"$.{form_name}.{member}: {term_id} is not a term of glossary {glossary_id}"
                        )
            outputs.append(
                {
                    "formName": form_name,
                    "typeName": form_type.name,
                    "typeRevision": form_type.revision,
                    "content": compact(content),
                }
            )
        for form_name, declared in asset_type.forms.items():
            if declared["required"] and form_name not in given:
                problems.append(
                    f"$.{form_name}: is missing but it is required by asset type {asset_type.name}"
                )
        if problems:
            raise ValidationException("; ".join(problems))
        return outputs

    def create_asset(
        self,
        domain: Domain,
        user: UserProfile,
        name: str,
        owning_project: str,
        type_identifier: str,
        type_revision: str | None,
        forms_input: list[dict[str, Any]] | None,
        glossary_terms: list[str] | None,
        description: str | None,
        external_identifier: str | None,
        client_token: str | None,
    ) -> Asset:
        project_id = self._owning_project(domain, owning_project, user, "CreateAsset")
        if client_token and (domain.id, client_token) in self.catalog_tokens:
            existing = self.assets.get(domain.id, {}).get(self.catalog_tokens[(domain.id, client_token)])
            if existing is not None:
                return existing
        try:
            asset_type = self.asset_type(domain.id, type_identifier, type_revision)
        except ResourceNotFoundException as error:
            raise ResourceNotFoundException(f"{MISSING_INPUT} ({error.message})") from error
        self._terms(domain.id, glossary_terms)
        forms = self._forms(domain.id, asset_type, forms_input)
        assets = self.assets.setdefault(domain.id, {})
        if external_identifier and any(a.external_identifier == external_identifier for a in assets.values()):
            raise ConflictException(
                f"An asset with the external identifier {external_identifier} already exists."
            )
        first = AssetRevision("1", name, description, glossary_terms, forms, asset_type.revision, user.id)
        asset = Asset(domain.id, asset_type.name, project_id, external_identifier, first)
        assets[asset.id] = asset
        if client_token:
            self.catalog_tokens[(domain.id, client_token)] = asset.id
        return asset

    def asset(self, domain_id: str, identifier: str) -> Asset:
        asset = self.assets.get(domain_id, {}).get(identifier)
        if asset is None:
            raise ResourceNotFoundException(f"Asset {identifier} does not exist in domain {domain_id}.")
        return asset

    def get_asset(self, domain_id: str, user: UserProfile, identifier: str) -> Asset:
        """An inventory asset, for the members of its owning project (others find it only
        through its listing)."""
        asset = self.asset(domain_id, identifier)
        if not self.is_member(domain_id, asset.owning_project_id, user):
            raise AccessDeniedException(
                f"User {user.id} ({user.arn}) is not permitted to read asset {asset.id}: it is not a member "
                f"of its owning project {asset.owning_project_id}."
            )
        return asset

    def create_asset_revision(
        self,
        domain: Domain,
        user: UserProfile,
        identifier: str,
        name: str,
        type_revision: str | None,
        forms_input: list[dict[str, Any]] | None,
        glossary_terms: list[str] | None,
        description: str | None,
    ) -> Asset:
        """A new revision: the forms given replace the previous revision's forms (a required form
        left out is missing), as DataZone revises an asset."""
        asset = self.asset(domain.id, identifier)
        self.require(domain.id, asset.owning_project_id, user, PUBLISHERS, "CreateAssetRevision")
        asset_type = self.asset_type(domain.id, asset.type_name, type_revision)
        self._terms(domain.id, glossary_terms)
        forms = self._forms(domain.id, asset_type, forms_input)
        asset.revisions.append(
            AssetRevision(
                str(len(asset.revisions) + 1),
                name,
                description,
                glossary_terms,
                forms,
                asset_type.revision,
                user.id,
            )
        )
        return asset

    def delete_asset(self, domain_id: str, user: UserProfile, identifier: str) -> None:
        asset = self.asset(domain_id, identifier)
        self.require(domain_id, asset.owning_project_id, user, PUBLISHERS, "DeleteAsset")
        if asset.listing is not None and asset.listing.status != "INACTIVE":
            raise ConflictException(
                f"Asset {asset.id} is published as listing {asset.listing.id}; unpublish it first "
                "(CreateListingChangeSet with action UNPUBLISH)."
            )
        del self.assets[domain_id][asset.id]
        if asset.listing is not None:
            self.listings.get(domain_id, {}).pop(asset.listing.id, None)

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_asset_revisions(
        self, domain_id: str, user: UserProfile, identifier: str
    ) -> list[dict[str, Any]]:
        asset = self.get_asset(domain_id, user, identifier)
        return [
            {
                "domainId": domain_id,
                "id": asset.id,
                "revision": r.revision,
                "createdBy": r.created_by,
                "createdAt": r.created_at,
            }
            for r in reversed(asset.revisions)
        ]

    # -- listings -----------------------------------------------------------------------------
    def searchable_text(self, domain_id: str, revision: AssetRevision) -> dict[str, str]:
        """What search matches an asset revision by: its name, description, glossary terms and
        the form members marked ``@amazon.datazone#searchable``, by search attribute."""
        text = {"name": revision.name, "description": revision.description or ""}
        terms = [self.glossary_terms.get(domain_id, {}).get(t) for t in revision.glossary_terms or []]
        text["glossaryTerms"] = " ".join(
            f"{t.name} {t.short_description or ''}".strip() for t in terms if t is not None
        )
        for form in revision.forms:
            try:
                form_type = self.form_type(domain_id, form["typeName"], form["typeRevision"])
            except ResourceNotFoundException:
                continue
            content = json.loads(form.get("content") or "{}")
            for member in form_type.model.searchable_members():
                value = content.get(member)
                if value is not None:
                    text[f"{form['formName']}.{member}"] = (
                        value if isinstance(value, str) else json.dumps(value)
                    )
        return text

    def create_listing_change_set(
        self,
        domain: Domain,
        user: UserProfile,
        entity_identifier: str,
        entity_type: str,
        entity_revision: str | None,
        action: str,
    ) -> tuple[Listing, str]:
        """PUBLISH a revision of an asset (a new listing revision) or UNPUBLISH it; the listing
        and the operation that was applied."""
        if entity_type != "ASSET":
            raise ValidationException(f"entityType {entity_type}: only ASSET listings exist in this domain.")
        asset = self.asset(domain.id, entity_identifier)
        self.require(domain.id, asset.owning_project_id, user, PUBLISHERS, "CreateListingChangeSet")
        listings = self.listings.setdefault(domain.id, {})
        if action == "UNPUBLISH":
            if asset.listing is None or asset.listing.unpublished:
                raise ConflictException(f"Asset {asset.id} is not published.")
            asset.listing.unpublished = True
            asset.listing.updated_by, asset.listing.updated_at = user.id, utcnow()
            self._listing_event(domain, "Asset Unpublished", asset, asset.listing, user)
            return asset.listing, action
        revision = asset.revision(entity_revision)
        if asset.listing is None:
            asset.listing = Listing(domain.id, asset)
            listings[asset.listing.id] = asset.listing
        listing = asset.listing
        terms = self._terms(domain.id, revision.glossary_terms)
        listing.revisions.append(
            ListingRevision(
                str(len(listing.revisions) + 1),
                asset,
                revision,
                terms,
                self.searchable_text(domain.id, revision),
                user.id,
            )
        )
        listing.unpublished = False
        listing.updated_by, listing.updated_at = user.id, utcnow()
        self._listing_event(domain, "Asset Added To Catalog", asset, listing, user)
        return listing, action

    def _listing_event(
        self, domain: Domain, detail_type: str, asset: Asset, listing: Listing, user: UserProfile
    ) -> None:
        shown = listing.latest
        events.publish(
            domain.account_id,
            self.region_name,
            detail_type,
            entity_id=asset.id,
            type_name="AssetEntityType",
            domain_id=domain.id,
            user_id=user.id,
            owning_project_id=asset.owning_project_id,
            data={
                "assetId": asset.id,
                "assetRevision": shown.asset_revision,
                "typeName": asset.type_name,
                "listingId": listing.id,
                "listingVersion": shown.revision,
            },
        )

    def listing(self, domain_id: str, identifier: str) -> Listing:
        listing = self.listings.get(domain_id, {}).get(identifier)
        if listing is None:
            raise ResourceNotFoundException(f"Listing {identifier} does not exist in domain {domain_id}.")
        return listing
