"""DataZone backend: the domain and project operations the Terraform resources
``aws_datazone_domain`` / ``aws_datazone_project`` and the kit's scripts call."""

from __future__ import annotations

import os
import random
import string
import time
import uuid
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.utilities.paginator import paginate

from .exceptions import ConflictException, ResourceNotFoundException, ValidationException
from .utils import PAGINATION_MODEL

#: Seconds a new domain stays CREATING before it is AVAILABLE (AWS takes minutes; the provider's
#: aws_datazone_domain waits for AVAILABLE, and so must anything that polls a domain).
READY_DELAY_ENV = "MLGOV_LOCALCLOUD_DATAZONE_READY_S"


def clock() -> float:
    """Seconds on a monotonic clock: what the provisioning delay is measured on (one name, so a
    test can move it instead of sleeping)."""
    return time.monotonic()


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
        self._ready_at = clock() + ready_delay_s()
        self.portal_url = f"https://{self.id}.datazone.{region_name}.on.aws"
        self.created_at = utcnow()
        self.last_updated_at = self.created_at

    @property
    def status(self) -> str:
        """CREATING until the provisioning delay has passed, then AVAILABLE (as AWS reports)."""
        return "AVAILABLE" if clock() >= self._ready_at else "CREATING"

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


class DataZoneBackend(BaseBackend):
    """Domains and projects of one account in one region."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.domains: dict[str, Domain] = {}
        self.projects: dict[str, dict[str, Project]] = {}
        self.client_tokens: dict[str, str] = {}
        # DataZone reports the caller's user id in createdBy; one stable id per account here.
        self.caller_user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"datazone:{account_id}"))

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

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_domains(self, status: str | None) -> list[Domain]:
        found = [d for d in self.domains.values() if status is None or d.status == status]
        return sorted(found, key=lambda d: d.created_at)

    # -- projects ---------------------------------------------------------------------------
    def create_project(
        self, domain_identifier: str, name: str, created_by: str | None = None, **kwargs: Any
    ) -> Project:
        """CreateProject in this account's domain; ``created_by``: the caller's user id when the
        caller is an associated account (the project lives in the domain's account)."""
        domain = self.get_domain(domain_identifier)
        projects = self.projects.setdefault(domain.id, {})
        if any(p.name == name for p in projects.values()):
            raise ConflictException(f"A project with the name {name} already exists in {domain.id}.")
        project = Project(domain=domain, name=name, created_by=created_by or self.caller_user_id, **kwargs)
        projects[project.id] = project
        return project

    def get_project(self, domain_identifier: str, identifier: str) -> Project:
        domain = self.get_domain(domain_identifier)
        project = self.projects.get(domain.id, {}).get(identifier)
        if project is None:
            raise ResourceNotFoundException(f"Project {identifier} does not exist in domain {domain.id}.")
        return project

    def update_project(self, domain_identifier: str, identifier: str, **changes: Any) -> Project:
        project = self.get_project(domain_identifier, identifier)
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

    def delete_project(self, domain_identifier: str, identifier: str) -> None:
        project = self.get_project(domain_identifier, identifier)
        del self.projects[project.domain_id][project.id]

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_projects(self, domain_identifier: str, name: str | None) -> list[Project]:
        domain = self.get_domain(domain_identifier)
        found = [p for p in self.projects.get(domain.id, {}).values() if name is None or p.name == name]
        return sorted(found, key=lambda p: p.created_at)

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


datazone_backends = BackendDict(DataZoneBackend, "datazone")
