"""DataZone backend: domains and projects (what ``aws_datazone_domain`` / ``aws_datazone_project``
call), composed with users and project membership (``users.py``), the business catalog
(``catalog.py``), environments and subscription targets (``environments.py``) and subscriptions
(``subscriptions.py``), the way moto composes its larger backends. All of a domain's state lives
in the backend of the domain's account; an associated account reaches it through
``domain_in_reach``."""

from __future__ import annotations

import json
import os
import random
import string
from datetime import datetime
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.utilities.paginator import paginate

from . import search, utils
from .catalog import CatalogBackend
from .environments import EnvironmentBackend
from .exceptions import ConflictException, ResourceNotFoundException, ValidationException
from .subscriptions import SubscriptionBackend
from .users import OWNER, MembershipBackend, UserProfile
from .utils import PAGINATION_MODEL

#: Seconds a new domain stays CREATING before it is AVAILABLE (AWS takes minutes; the provider's
#: aws_datazone_domain waits for AVAILABLE, and so must anything that polls a domain).
READY_DELAY_ENV = "MLGOV_LOCALCLOUD_DATAZONE_READY_S"


DEFAULT_READY_DELAY_S = 2.0


def ready_delay_s() -> float:
    """The configured provisioning time of a domain (``$MLGOV_LOCALCLOUD_DATAZONE_READY_S``)."""
    try:
        return max(0.0, float(os.environ.get(READY_DELAY_ENV, DEFAULT_READY_DELAY_S)))
    except ValueError:
        return DEFAULT_READY_DELAY_S


def _alnum(length: int) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(random.choice(alphabet) for _ in range(length))


class Domain(BaseModel):
    """CreateDomain's resource. Ids look like AWS's: ``dzd_`` + 14 lowercase alphanumerics."""

    def __init__(
        self,
        account_id: str,
        region_name: str,
        name: str,
        description: str | None,
        single_sign_on: dict[str, Any] | None,
        domain_execution_role: str,
        kms_key_identifier: str | None,
        tags: dict[str, str] | None,
        domain_version: str | None,
        service_role: str | None,
    ) -> None:
        self.id = f"dzd_{_alnum(14)}"
        self.account_id = account_id
        self.arn = f"arn:aws:datazone:{region_name}:{account_id}:domain/{self.id}"
        self.root_domain_unit_id = _alnum(14)
        self.name = name
        self.description = description
        self.single_sign_on = single_sign_on or {"type": "DISABLED"}
        self.domain_execution_role = domain_execution_role
        self.kms_key_identifier = kms_key_identifier
        self.tags = dict(tags or {})
        self.domain_version = domain_version or "V1"
        self.service_role = service_role
        self._ready_at = utils.clock() + ready_delay_s()
        self.portal_url = f"https://{self.id}.datazone.{region_name}.on.aws"
        self.created_at = utcnow()
        self.last_updated_at = self.created_at

    @property
    def status(self) -> str:
        """CREATING until the provisioning delay has passed, then AVAILABLE (as AWS reports)."""
        return "AVAILABLE" if utils.clock() >= self._ready_at else "CREATING"

    def to_dict(self) -> dict[str, Any]:
        result = {
            "id": self.id,
            "rootDomainUnitId": self.root_domain_unit_id,
            "name": self.name,
            "description": self.description,
            "singleSignOn": self.single_sign_on,
            "domainExecutionRole": self.domain_execution_role,
            "arn": self.arn,
            "kmsKeyIdentifier": self.kms_key_identifier,
            "status": self.status,
            "portalUrl": self.portal_url,
            "createdAt": self.created_at,
            "lastUpdatedAt": self.last_updated_at,
            "tags": self.tags,
            "domainVersion": self.domain_version,
            "serviceRole": self.service_role,
        }
        return {k: v for k, v in result.items() if v is not None}

    def summary(self) -> dict[str, Any]:
        result = {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "arn": self.arn,
            "managedAccountId": self.account_id,
            "status": self.status,
            "portalUrl": self.portal_url,
            "createdAt": self.created_at,
            "lastUpdatedAt": self.last_updated_at,
            "domainVersion": self.domain_version,
        }
        return {k: v for k, v in result.items() if v is not None}


class Project(BaseModel):
    """CreateProject's resource."""

    def __init__(
        self,
        domain: Domain,
        name: str,
        created_by: str,
        description: str | None,
        resource_tags: dict[str, str] | None,
        glossary_terms: list[str] | None,
        domain_unit_id: str | None,
        project_profile_id: str | None,
        user_parameters: list[dict[str, Any]] | None,
        project_category: str | None,
    ) -> None:
        self.domain_id = domain.id
        self.id = _alnum(14)
        self.name = name
        self.description = description
        self.project_status = "ACTIVE"
        self.created_by = created_by
        self.created_at = utcnow()
        self.last_updated_at = self.created_at
        self.resource_tags = resource_tags
        self.glossary_terms = glossary_terms
        self.domain_unit_id = domain_unit_id or domain.root_domain_unit_id
        self.project_profile_id = project_profile_id
        self.user_parameters = user_parameters
        self.project_category = project_category

    def to_dict(self) -> dict[str, Any]:
        result = {
            "domainId": self.domain_id,
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "projectStatus": self.project_status,
            "createdBy": self.created_by,
            "createdAt": self.created_at,
            "lastUpdatedAt": self.last_updated_at,
            "resourceTags": (
                [{"key": k, "value": v, "source": "PROJECT"} for k, v in self.resource_tags.items()]
                if self.resource_tags
                else None
            ),
            "glossaryTerms": self.glossary_terms,
            "domainUnitId": self.domain_unit_id,
            "projectProfileId": self.project_profile_id,
            "userParameters": self.user_parameters,
            "projectCategory": self.project_category,
        }
        return {k: v for k, v in result.items() if v is not None}

    def summary(self) -> dict[str, Any]:
        result = {
            "domainId": self.domain_id,
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "projectStatus": self.project_status,
            "createdBy": self.created_by,
            "createdAt": self.created_at,
            "updatedAt": self.last_updated_at,
            "domainUnitId": self.domain_unit_id,
            "projectCategory": self.project_category,
        }
        return {k: v for k, v in result.items() if v is not None}


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


class DataZoneBackend(
    MembershipBackend, CatalogBackend, EnvironmentBackend, SubscriptionBackend, BaseBackend
):
    """Domains, projects and everything in them, of one account in one region."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.domains: dict[str, Domain] = {}
        self.projects: dict[str, dict[str, Project]] = {}
        self.client_tokens: dict[str, str] = {}
        self.init_membership_state()
        self.init_catalog_state()
        self.init_environment_state()
        self.init_subscription_state()

    # -- domains ----------------------------------------------------------------------------
    def create_domain(
        self,
        name: str,
        description: str | None,
        single_sign_on: dict[str, Any] | None,
        domain_execution_role: str | None,
        kms_key_identifier: str | None,
        tags: dict[str, str] | None,
        domain_version: str | None,
        service_role: str | None,
        client_token: str | None,
    ) -> Domain:
        if client_token and self.client_tokens.get(client_token) in self.domains:
            return self.domains[self.client_tokens[client_token]]
        if not domain_execution_role:
            raise ValidationException("domainExecutionRole is required.")
        if any(d.name == name for d in self.domains.values()):
            raise ConflictException(f"A domain with the name {name} already exists.")
        domain = Domain(
            account_id=self.account_id,
            region_name=self.region_name,
            name=name,
            description=description,
            single_sign_on=single_sign_on,
            domain_execution_role=domain_execution_role,
            kms_key_identifier=kms_key_identifier,
            tags=tags,
            domain_version=domain_version,
            service_role=service_role,
        )
        self.domains[domain.id] = domain
        self.projects[domain.id] = {}
        if client_token:
            self.client_tokens[client_token] = domain.id
        return domain

    def get_domain(self, identifier: str) -> Domain:
        domain = self.domains.get(identifier)
        if domain is None:
            raise ResourceNotFoundException(f"Domain {identifier} does not exist.")
        return domain

    def domain_in_reach(self, identifier: str) -> tuple[DataZoneBackend, Domain]:
        """The backend holding domain ``identifier`` and the domain, for the calls an associated
        account may make: its own domain, or another account's domain shared with this account
        through RAM and accepted (DataZone User Guide, "Associated accounts in Amazon DataZone",
        https://docs.aws.amazon.com/datazone/latest/userguide/working-with-associated-accounts.html).
        A domain of another account that is not (yet) associated is not found, as if it did not
        exist: the error an account gets before it accepted the association."""
        if identifier in self.domains:
            return self, self.domains[identifier]
        from ..ram import shared_with

        for per_region in list(datazone_backends.values()):
            owner = per_region.get(self.region_name)
            if not isinstance(owner, DataZoneBackend) or owner is self:
                continue
            domain = owner.domains.get(identifier)
            if domain is not None and shared_with(self.account_id, self.region_name, domain.arn):
                return owner, domain
        raise ResourceNotFoundException(f"Domain {identifier} does not exist.")

    def update_domain(self, identifier: str, **changes: Any) -> Domain:
        """UpdateDomain: sets what the request names."""
        domain = self.get_domain(identifier)
        for attribute, value in changes.items():
            if value is not None:
                setattr(domain, attribute, value)
        domain.last_updated_at = utcnow()
        return domain

    def delete_domain(self, identifier: str, skip_deletion_check: bool | None) -> None:
        """DeleteDomain: refused while projects remain unless skipDeletionCheck is set."""
        self.get_domain(identifier)
        if self.projects.get(identifier) and not skip_deletion_check:
            raise ConflictException(
                f"Domain {identifier} still has projects; delete them or set skipDeletionCheck."
            )
        del self.domains[identifier]
        self.projects.pop(identifier, None)
        self.drop_membership_state(identifier)
        self.drop_catalog_state(identifier)
        self.drop_environment_state(identifier)
        self.drop_subscription_state(identifier)

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_domains(self, status: str | None) -> list[Domain]:
        found = [d for d in self.domains.values() if status is None or d.status == status]
        return sorted(found, key=lambda d: d.created_at)

    # -- projects ---------------------------------------------------------------------------
    def create_project(
        self, domain_identifier: str, name: str, creator: UserProfile, **kwargs: Any
    ) -> Project:
        """CreateProject in this account's domain (an associated account's project lives here
        too); the creator is the project's owner."""
        domain = self.get_domain(domain_identifier)
        projects = self.projects.setdefault(domain.id, {})
        if any(p.name == name for p in projects.values()):
            raise ConflictException(f"A project with the name {name} already exists in {domain.id}.")
        project = Project(domain=domain, name=name, created_by=creator.id, **kwargs)
        projects[project.id] = project
        self.add_project_owner(domain.id, project.id, creator)
        return project

    def get_project(self, domain_identifier: str, identifier: str) -> Project:
        domain = self.get_domain(domain_identifier)
        project = self.projects.get(domain.id, {}).get(identifier)
        if project is None:
            raise ResourceNotFoundException(f"Project {identifier} does not exist in domain {domain.id}.")
        return project

    def update_project(
        self, domain_identifier: str, identifier: str, user: UserProfile, **changes: Any
    ) -> Project:
        project = self.get_project(domain_identifier, identifier)
        self.require(project.domain_id, project.id, user, (OWNER,), "UpdateProject")
        new_name = changes.get("name")
        if (
            new_name
            and new_name != project.name
            and any(p.name == new_name for p in self.projects[project.domain_id].values())
        ):
            raise ConflictException(f"A project with the name {new_name} already exists.")
        for attribute, value in changes.items():
            if value is not None:
                setattr(project, attribute, value)
        project.last_updated_at = utcnow()
        return project

    def delete_project(self, domain_identifier: str, identifier: str, user: UserProfile) -> None:
        project = self.get_project(domain_identifier, identifier)
        self.require(project.domain_id, project.id, user, (OWNER,), "DeleteProject")
        del self.projects[project.domain_id][project.id]
        self.drop_project_members(project.domain_id, project.id)

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_projects(self, domain_identifier: str, name: str | None) -> list[Project]:
        domain = self.get_domain(domain_identifier)
        found = [p for p in self.projects.get(domain.id, {}).values() if name is None or p.name == name]
        return sorted(found, key=lambda p: p.created_at)

    # -- search -------------------------------------------------------------------------------
    @paginate(pagination_model=PAGINATION_MODEL)
    def page_documents(self, documents: list[search.Document], *, query: str) -> list[search.Document]:
        """One page of search results; ``query`` (the search, canonical JSON) ties a nextToken to
        the search it was issued for."""
        return documents

    def _listing_document(self, domain_id: str, listing: Any, with_forms: bool) -> search.Document:
        shown = listing.latest
        item: dict[str, Any] = {
            "listingId": listing.id,
            "listingRevision": shown.revision,
            "name": shown.name,
            "entityId": shown.asset_id,
            "entityRevision": shown.asset_revision,
            "entityType": shown.asset_type,
            "description": shown.description,
            "createdAt": shown.created_at,
            "listingCreatedBy": shown.created_by,
            "listingUpdatedBy": listing.updated_by or shown.created_by,
            "glossaryTerms": shown.glossary_terms or None,
            "owningProjectId": shown.owning_project_id,
        }
        if with_forms:
            item["additionalAttributes"] = {"forms": shown.forms}
        fields = self._filter_fields(shown.owning_project_id, shown.asset_type, shown.name, shown.description)
        fields.update(glossaryTerms=list(shown.glossary_term_ids), createdAt=_epoch(shown.created_at))
        fields["updatedAt"] = _epoch(listing.updated_at or shown.created_at)
        fields.update(_form_fields(json.loads(shown.forms)))
        return search.Document(
            item={"assetListing": {k: v for k, v in item.items() if v is not None}},
            text=dict(shown.searchable),
            fields=fields,
            created_at=shown.created_at,
            updated_at=listing.updated_at or shown.created_at,
            key=listing.id,
        )

    @staticmethod
    def _filter_fields(project_id: str, type_name: str, name: str, description: str | None) -> dict[str, Any]:
        return {
            "owningProjectId": project_id,
            "typeName": [type_name, type_name.removeprefix("amazon.datazone.")],
            "name": name,
            "description": description,
            "amazonmetadata.sourceCategory": "asset",
        }

    def search_listings(self, domain_id: str, with_forms: bool, **query: Any) -> list[search.Document]:
        """SearchListings: the ACTIVE listings of the domain (every user of it sees the catalog)."""
        documents = [
            self._listing_document(domain_id, listing, with_forms)
            for listing in list(self.listings.get(domain_id, {}).values())
            if listing.status == "ACTIVE"
        ]
        return search.run(
            documents,
            query.get("search_text"),
            query.get("search_in"),
            query.get("filters"),
            query.get("sort"),
        )

    def search_inventory(
        self,
        domain_id: str,
        user: UserProfile,
        scope: str,
        owning_project: str | None,
        with_forms: bool,
        **query: Any,
    ) -> list[search.Document]:
        """Search: assets of the projects the caller is a member of (all of them, or the one
        ``owningProjectIdentifier`` names), or the domain's glossaries and terms."""
        documents: list[search.Document] = []
        if scope == "ASSET":
            if owning_project is not None:
                # A project the caller is not a member of (or that does not exist) is refused
                # alike: Search declares no ResourceNotFoundException.
                self.require(domain_id, owning_project, user, tuple(self._designations()), "Search")
            projects = {owning_project} if owning_project else self.projects_of(domain_id, user)
            for asset in list(self.assets.get(domain_id, {}).values()):
                if asset.owning_project_id in projects:
                    documents.append(self._asset_document(domain_id, asset, with_forms))
        elif scope == "GLOSSARY":
            for glossary in list(self.glossaries.get(domain_id, {}).values()):
                item = glossary.to_dict()
                documents.append(
                    search.Document(
                        item={"glossaryItem": item},
                        text={"name": glossary.name, "description": glossary.description or ""},
                        fields={"owningProjectId": glossary.owning_project_id, "name": glossary.name},
                        created_at=glossary.created_at,
                        updated_at=glossary.created_at,
                        key=glossary.id,
                    )
                )
        elif scope == "GLOSSARY_TERM":
            for term in list(self.glossary_terms.get(domain_id, {}).values()):
                documents.append(
                    search.Document(
                        item={"glossaryTermItem": term.to_dict()},
                        text={
                            "name": term.name,
                            "description": f"{term.short_description or ''} {term.long_description or ''}",
                        },
                        fields={"owningProjectId": term.owning_project_id, "name": term.name},
                        created_at=term.created_at,
                        updated_at=term.created_at,
                        key=term.id,
                    )
                )
        return search.run(
            documents,
            query.get("search_text"),
            query.get("search_in"),
            query.get("filters"),
            query.get("sort"),
        )

    @staticmethod
    def _designations() -> tuple[str, ...]:
        from .users import DESIGNATIONS

        return DESIGNATIONS

    def _asset_document(self, domain_id: str, asset: Any, with_forms: bool) -> search.Document:
        latest, first = asset.latest, asset.revisions[0]
        item: dict[str, Any] = {
            "domainId": domain_id,
            "identifier": asset.id,
            "name": latest.name,
            "typeIdentifier": asset.type_name,
            "typeRevision": latest.type_revision,
            "externalIdentifier": asset.external_identifier,
            "description": latest.description,
            "createdAt": latest.created_at,
            "createdBy": latest.created_by,
            "firstRevisionCreatedAt": first.created_at,
            "firstRevisionCreatedBy": first.created_by,
            "glossaryTerms": latest.glossary_terms,
            "owningProjectId": asset.owning_project_id,
        }
        if with_forms:
            item["additionalAttributes"] = {"formsOutput": latest.forms}
        fields = self._filter_fields(
            asset.owning_project_id, asset.type_name, latest.name, latest.description
        )
        fields.update(glossaryTerms=list(latest.glossary_terms or []), createdAt=_epoch(first.created_at))
        fields["updatedAt"] = _epoch(latest.created_at)
        fields.update(_form_fields(latest.forms_by_name()))
        return search.Document(
            item={"assetItem": {k: v for k, v in item.items() if v is not None}},
            text=self.searchable_text(domain_id, latest),
            fields=fields,
            created_at=first.created_at,
            updated_at=latest.created_at,
            key=asset.id,
        )

    def search_types(self, domain_id: str, scope: str, managed: bool, **query: Any) -> list[search.Document]:
        documents = []
        for kind in self.all_types(domain_id, scope, managed):
            item_key = "assetTypeItem" if scope == "ASSET_TYPE" else "formTypeItem"
            item = kind.to_dict(domain_id)
            if scope == "ASSET_TYPE":
                item.pop("domainId", None)
                item = {"domainId": domain_id, **item}
            documents.append(
                search.Document(
                    item={item_key: item},
                    text={"name": kind.name, "description": kind.description or ""},
                    fields={"owningProjectId": kind.owning_project_id, "name": kind.name},
                    created_at=kind.created_at,
                    updated_at=kind.created_at,
                    key=kind.name,
                )
            )
        return search.run(
            documents,
            query.get("search_text"),
            query.get("search_in"),
            query.get("filters"),
            query.get("sort"),
        )

    # -- tags (domains carry the ARN) -------------------------------------------------------
    def _tagged(self, resource_arn: str) -> Domain:
        for domain in self.domains.values():
            if domain.arn == resource_arn:
                return domain
        raise ResourceNotFoundException(f"Resource {resource_arn} does not exist.")

    def tag_resource(self, resource_arn: str, tags: dict[str, str]) -> None:
        self._tagged(resource_arn).tags.update(tags)

    def untag_resource(self, resource_arn: str, tag_keys: list[str]) -> None:
        domain = self._tagged(resource_arn)
        for key in tag_keys:
            domain.tags.pop(key, None)

    def list_tags_for_resource(self, resource_arn: str) -> dict[str, str]:
        return dict(self._tagged(resource_arn).tags)


def _form_fields(forms: dict[str, Any]) -> dict[str, Any]:
    """``<form name>.<member>`` -> value of every top-level form member (what filters see)."""
    fields = {}
    for form_name, content in forms.items():
        if isinstance(content, dict):
            for member, value in content.items():
                fields[f"{form_name}.{member}"] = value
    return fields


datazone_backends = BackendDict(DataZoneBackend, "datazone")
