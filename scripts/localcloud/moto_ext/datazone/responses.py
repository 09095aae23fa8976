"""DataZone request handlers: one per botocore operation (restJson1, parsed by moto from the model)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlparse

from moto.core.responses import ActionResult, BaseResponse, EmptyResult

from .models import DataZoneBackend, datazone_backends

_DOMAIN_PATH = re.compile(r"^/v2/domains/([^/]+)")


def domain_arn(region: str, caller_account: str, identifier: str) -> str:
    """The ARN of domain ``identifier`` as IAM evaluates it: the account that holds the domain,
    else (no such domain) the caller's own account."""
    for per_region in list(datazone_backends.values()):
        backend = per_region.get(region)
        if isinstance(backend, DataZoneBackend) and identifier in backend.domains:
            return backend.domains[identifier].arn
    return f"arn:aws:datazone:{region}:{caller_account}:domain/{identifier}"


def iam_resources(response: Any, action: str, body: dict[str, Any]) -> list[str]:
    """What IAM authorizes a DataZone call against (``iam_resources.RESOLVERS``), as the Service
    Authorization Reference's "Actions defined by Amazon DataZone" lists them: GetDomain,
    UpdateDomain, DeleteDomain and the tagging calls take the ``domain`` they name (in the path,
    ``/v2/domains/{id}`` or ``/tags/{domain ARN}``); CreateDomain, ListDomains and the project
    calls (CreateProject, GetProject, ListProjects, UpdateProject, DeleteProject) take no resource
    type, so ``*``: a statement scoped to domain ARNs does not allow them, on AWS as here."""
    url = urlparse(str(getattr(response, "uri", "") or getattr(response, "path", "")))
    if action in DOMAIN_ACTIONS:
        match = _DOMAIN_PATH.fullmatch(url.path.rstrip("/"))
        if match:
            return [domain_arn(response.region, response.current_account, unquote(match.group(1)))]
    if action in TAG_ACTIONS and url.path.startswith("/tags/"):
        return [unquote(url.path.removeprefix("/tags/"))]
    return ["*"]


#: DataZone actions on the domain they name (Service Authorization Reference: ``domain*``).
DOMAIN_ACTIONS = ("GetDomain", "UpdateDomain", "DeleteDomain")
TAG_ACTIONS = ("TagResource", "UntagResource", "ListTagsForResource")


class DataZoneResponse(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name="datazone")
        self.automated_parameter_parsing = True

    @property
    def datazone_backend(self) -> DataZoneBackend:
        return datazone_backends[self.current_account][self.region]

    def _p(self, name: str, default: Any = None) -> Any:
        return self._get_param(name, default)

    def create_domain(self) -> ActionResult:
        """CreateDomain; its execution and service roles are passed to DataZone (``iam:PassRole``
        with ``iam:PassedToService`` = ``datazone.amazonaws.com``, IAM enforced)."""
        from ..resource_policies import authorize_on_behalf

        for role in dict.fromkeys(r for r in (self._p("domainExecutionRole"), self._p("serviceRole")) if r):
            authorize_on_behalf(self, "iam:PassRole", role, {"iam:passedtoservice": "datazone.amazonaws.com"})
        domain = self.datazone_backend.create_domain(
            name=self._p("name"),
            description=self._p("description"),
            single_sign_on=self._p("singleSignOn"),
            domain_execution_role=self._p("domainExecutionRole"),
            kms_key_identifier=self._p("kmsKeyIdentifier"),
            tags=self._p("tags"),
            domain_version=self._p("domainVersion"),
            service_role=self._p("serviceRole"),
            client_token=self._p("clientToken"),
        )
        body = domain.to_dict()
        for member in ("createdAt", "lastUpdatedAt"):
            body.pop(member, None)
        return ActionResult(body)

    def get_domain(self) -> ActionResult:
        _, domain = self.datazone_backend.domain_in_reach(self._p("identifier"))
        return ActionResult(domain.to_dict())

    def update_domain(self) -> ActionResult:
        domain = self.datazone_backend.update_domain(
            self._p("identifier"),
            description=self._p("description"),
            single_sign_on=self._p("singleSignOn"),
            domain_execution_role=self._p("domainExecutionRole"),
            service_role=self._p("serviceRole"),
            name=self._p("name"),
        )
        body = {
            "id": domain.id,
            "rootDomainUnitId": domain.root_domain_unit_id,
            "description": domain.description,
            "singleSignOn": domain.single_sign_on,
            "domainExecutionRole": domain.domain_execution_role,
            "serviceRole": domain.service_role,
            "name": domain.name,
            "lastUpdatedAt": domain.last_updated_at,
        }
        return ActionResult({k: v for k, v in body.items() if v is not None})

    def delete_domain(self) -> ActionResult:
        self.datazone_backend.delete_domain(self._p("identifier"), self._p("skipDeletionCheck"))
        # AWS answers 202 DELETING and finishes asynchronously; here it is already gone.
        return ActionResult({"status": "DELETING"})

    def list_domains(self) -> ActionResult:
        page, token = self.datazone_backend.list_domains(
            status=self._p("status"), next_token=self._p("nextToken"), max_results=self._p("maxResults")
        )
        return ActionResult({"items": [d.summary() for d in page], "nextToken": token})

    def _project_kwargs(self) -> dict[str, Any]:
        return {
            "description": self._p("description"),
            "resource_tags": self._p("resourceTags"),
            "glossary_terms": self._p("glossaryTerms"),
            "domain_unit_id": self._p("domainUnitId"),
            "user_parameters": self._p("userParameters"),
        }

    def create_project(self) -> ActionResult:
        caller = self.datazone_backend
        owner, domain = caller.domain_in_reach(self._p("domainIdentifier"))
        project = owner.create_project(
            domain.id,
            self._p("name"),
            created_by=caller.caller_user_id,
            project_profile_id=self._p("projectProfileId"),
            project_category=self._p("projectCategory"),
            **self._project_kwargs(),
        )
        return ActionResult(project.to_dict())

    def get_project(self) -> ActionResult:
        owner, domain = self.datazone_backend.domain_in_reach(self._p("domainIdentifier"))
        project = owner.get_project(domain.id, self._p("identifier"))
        return ActionResult(project.to_dict())

    def update_project(self) -> ActionResult:
        project = self.datazone_backend.update_project(
            self._p("domainIdentifier"),
            self._p("identifier"),
            name=self._p("name"),
            **self._project_kwargs(),
        )
        return ActionResult(project.to_dict())

    def delete_project(self) -> ActionResult:
        self.datazone_backend.delete_project(self._p("domainIdentifier"), self._p("identifier"))
        return EmptyResult()

    def list_projects(self) -> ActionResult:
        owner, domain = self.datazone_backend.domain_in_reach(self._p("domainIdentifier"))
        page, token = owner.list_projects(
            domain_identifier=domain.id,
            name=self._p("name"),
            next_token=self._p("nextToken"),
            max_results=self._p("maxResults"),
        )
        return ActionResult({"items": [p.summary() for p in page], "nextToken": token})

    def tag_resource(self) -> ActionResult:
        self.datazone_backend.tag_resource(self._p("resourceArn"), self._p("tags"))
        return EmptyResult()

    def untag_resource(self) -> ActionResult:
        self.datazone_backend.untag_resource(self._p("resourceArn"), self._p("tagKeys"))
        return EmptyResult()

    def list_tags_for_resource(self) -> ActionResult:
        return ActionResult({"tags": self.datazone_backend.list_tags_for_resource(self._p("resourceArn"))})
