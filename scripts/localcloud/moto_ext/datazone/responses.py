"""DataZone request handlers: one per botocore operation (restJson1, parsed by moto from the model).

Each call that names a domain is served by the backend of the account that holds it
(``domain_in_reach``: the caller's own domain, or one shared with its account through RAM and
accepted), as the caller's user profile there (``identity.caller_of``, ``users.py``).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote, urlparse

from moto.core.responses import ActionResult, BaseResponse, EmptyResult

from .exceptions import ValidationException
from .identity import caller_of
from .models import DataZoneBackend, Domain, datazone_backends
from .users import UserProfile

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


def _items(page: list[Any], token: str | None, key: str = "items") -> ActionResult:
    return ActionResult({key: [i.to_dict() for i in page], "nextToken": token})


class DataZoneResponse(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name="datazone")
        self.automated_parameter_parsing = True

    @property
    def datazone_backend(self) -> DataZoneBackend:
        return datazone_backends[self.current_account][self.region]

    def _p(self, name: str, default: Any = None) -> Any:
        return self._get_param(name, default)

    def _in_domain(self) -> tuple[DataZoneBackend, Domain, UserProfile]:
        """The backend holding the request's domain, the domain, and the caller's profile in it."""
        owner, domain = self.datazone_backend.domain_in_reach(self._p("domainIdentifier"))
        return owner, domain, owner.user_for(domain, caller_of(self))

    # -- domains ----------------------------------------------------------------------------
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

    # -- projects ---------------------------------------------------------------------------
    def _project_kwargs(self) -> dict[str, Any]:
        return {
            "description": self._p("description"),
            "resource_tags": self._p("resourceTags"),
            "glossary_terms": self._p("glossaryTerms"),
            "domain_unit_id": self._p("domainUnitId"),
            "user_parameters": self._p("userParameters"),
        }

    def create_project(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        project = owner.create_project(
            domain.id,
            self._p("name"),
            creator=user,
            project_profile_id=self._p("projectProfileId"),
            project_category=self._p("projectCategory"),
            **self._project_kwargs(),
        )
        return ActionResult(project.to_dict())

    def get_project(self) -> ActionResult:
        owner, domain = self.datazone_backend.domain_in_reach(self._p("domainIdentifier"))
        project = owner.get_project(domain.id, self._p("identifier"))
        return ActionResult(project.to_dict())

    def _own_domain_user(self) -> UserProfile:
        backend = self.datazone_backend
        domain = backend.get_domain(self._p("domainIdentifier"))
        return backend.user_for(domain, caller_of(self))

    def update_project(self) -> ActionResult:
        user = self._own_domain_user()
        project = self.datazone_backend.update_project(
            self._p("domainIdentifier"),
            self._p("identifier"),
            user,
            name=self._p("name"),
            **self._project_kwargs(),
        )
        return ActionResult(project.to_dict())

    def delete_project(self) -> ActionResult:
        user = self._own_domain_user()
        self.datazone_backend.delete_project(self._p("domainIdentifier"), self._p("identifier"), user)
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

    # -- users and membership -----------------------------------------------------------------
    def create_user_profile(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        profile = owner.create_user_profile(domain, user, self._p("userIdentifier"), self._p("userType"))
        return ActionResult(profile.to_dict())

    def get_user_profile(self) -> ActionResult:
        owner, domain, _ = self._in_domain()
        if self._p("type") == "SSO":
            raise ValidationException(
                "This domain has no SSO users (type SSO); its users are IAM principals."
            )
        return ActionResult(owner.profile(domain.id, unquote(self._p("userIdentifier"))).to_dict())

    def create_project_membership(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        project = owner.get_project(domain.id, self._p("projectIdentifier"))
        owner.create_project_membership(
            domain.id,
            project.id,
            user,
            self._p("member") or {},
            self._p("designation"),
            self._p("userCreatedDesignationId"),
        )
        return EmptyResult()

    def delete_project_membership(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        project = owner.get_project(domain.id, self._p("projectIdentifier"))
        owner.delete_project_membership(domain.id, project.id, user, self._p("member") or {})
        return EmptyResult()

    def list_project_memberships(self) -> ActionResult:
        owner, domain, _ = self._in_domain()
        project = owner.get_project(domain.id, self._p("projectIdentifier"))
        page, token = owner.list_project_memberships(
            domain_id=domain.id,
            project_id=project.id,
            sort_order=self._p("sortOrder"),
            next_token=self._p("nextToken"),
            max_results=self._p("maxResults"),
        )
        members = [{k: v for k, v in m.items() if k != "key"} for m in page]
        return ActionResult({"members": members, "nextToken": token})

    # -- glossaries ---------------------------------------------------------------------------
    def create_glossary(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        glossary = owner.create_glossary(
            domain,
            user,
            self._p("name"),
            self._p("owningProjectIdentifier"),
            description=self._p("description"),
            status=self._p("status"),
            usage_restrictions=self._p("usageRestrictions"),
        )
        keep = ("domainId", "id", "name", "owningProjectId", "description", "status", "usageRestrictions")
        return ActionResult({k: v for k, v in glossary.to_dict().items() if k in keep})

    def get_glossary(self) -> ActionResult:
        owner, domain, _ = self._in_domain()
        return ActionResult(owner.get_glossary(domain.id, self._p("identifier")).to_dict())

    def create_glossary_term(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        term = owner.create_glossary_term(
            domain,
            user,
            self._p("glossaryIdentifier"),
            self._p("name"),
            status=self._p("status"),
            short_description=self._p("shortDescription"),
            long_description=self._p("longDescription"),
            term_relations=self._p("termRelations"),
        )
        drop = ("createdAt", "createdBy", "updatedAt", "updatedBy")
        return ActionResult({k: v for k, v in term.to_dict().items() if k not in drop})

    def get_glossary_term(self) -> ActionResult:
        owner, domain, _ = self._in_domain()
        return ActionResult(owner.get_glossary_term(domain.id, self._p("identifier")).to_dict())

    def update_glossary(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        glossary = owner.update_glossary(
            domain,
            user,
            self._p("identifier"),
            name=self._p("name"),
            description=self._p("description"),
            status=self._p("status"),
        )
        keep = ("domainId", "id", "name", "owningProjectId", "description", "status", "usageRestrictions")
        return ActionResult({k: v for k, v in glossary.to_dict().items() if k in keep})

    def delete_glossary(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        owner.delete_glossary(domain, user, self._p("identifier"))
        return EmptyResult()

    def update_glossary_term(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        term = owner.update_glossary_term(
            domain,
            user,
            self._p("identifier"),
            glossary_identifier=self._p("glossaryIdentifier"),
            name=self._p("name"),
            short_description=self._p("shortDescription"),
            long_description=self._p("longDescription"),
            term_relations=self._p("termRelations"),
            status=self._p("status"),
        )
        drop = ("createdAt", "createdBy", "updatedAt", "updatedBy")
        return ActionResult({k: v for k, v in term.to_dict().items() if k not in drop})

    def delete_glossary_term(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        owner.delete_glossary_term(domain, user, self._p("identifier"))
        return EmptyResult()

    # -- types --------------------------------------------------------------------------------
    def create_form_type(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        form_type = owner.create_form_type(
            domain,
            user,
            self._p("name"),
            self._p("model") or {},
            self._p("owningProjectIdentifier"),
            self._p("status"),
            self._p("description"),
        )
        keep = (
            "domainId",
            "name",
            "revision",
            "description",
            "owningProjectId",
            "originDomainId",
            "originProjectId",
        )
        return ActionResult({k: v for k, v in form_type.to_dict(domain.id).items() if k in keep})

    def get_form_type(self) -> ActionResult:
        owner, domain, _ = self._in_domain()
        form_type = owner.form_type(domain.id, self._p("formTypeIdentifier"), self._p("revision"))
        return ActionResult(form_type.to_dict(domain.id))

    def create_asset_type(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        asset_type = owner.create_asset_type(
            domain,
            user,
            self._p("name"),
            self._p("formsInput") or {},
            self._p("owningProjectIdentifier"),
            self._p("description"),
        )
        return ActionResult(asset_type.to_dict(domain.id))

    def get_asset_type(self) -> ActionResult:
        owner, domain, _ = self._in_domain()
        asset_type = owner.asset_type(domain.id, self._p("identifier"), self._p("revision"))
        return ActionResult(asset_type.to_dict(domain.id))

    def delete_form_type(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        owner.delete_form_type(domain, user, self._p("formTypeIdentifier"))
        return EmptyResult()

    def delete_asset_type(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        owner.delete_asset_type(domain, user, self._p("identifier"))
        return EmptyResult()

    def search_types(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        documents = owner.search_types(
            domain.id,
            self._p("searchScope"),
            bool(self._p("managed")),
            search_text=self._p("searchText"),
            search_in=self._p("searchIn"),
            filters=self._p("filters"),
            sort=self._p("sort"),
        )
        return self._search_page(owner, documents, user)

    # -- assets -------------------------------------------------------------------------------
    def create_asset(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        asset = owner.create_asset(
            domain,
            user,
            name=self._p("name"),
            owning_project=self._p("owningProjectIdentifier"),
            type_identifier=self._p("typeIdentifier"),
            type_revision=self._p("typeRevision"),
            forms_input=self._p("formsInput"),
            glossary_terms=self._p("glossaryTerms"),
            description=self._p("description"),
            external_identifier=self._p("externalIdentifier"),
            client_token=self._p("clientToken"),
        )
        return ActionResult(asset.to_dict())

    def get_asset(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        asset = owner.get_asset(domain.id, user, self._p("identifier"))
        return ActionResult(asset.to_dict(self._p("revision")))

    def create_asset_revision(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        asset = owner.create_asset_revision(
            domain,
            user,
            self._p("identifier"),
            name=self._p("name"),
            type_revision=self._p("typeRevision"),
            forms_input=self._p("formsInput"),
            glossary_terms=self._p("glossaryTerms"),
            description=self._p("description"),
        )
        return ActionResult(asset.to_dict())

    def delete_asset(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        owner.delete_asset(domain.id, user, self._p("identifier"))
        return EmptyResult()

    def list_asset_revisions(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        page, token = owner.list_asset_revisions(
            domain_id=domain.id,
            user=user,
            identifier=self._p("identifier"),
            next_token=self._p("nextToken"),
            max_results=self._p("maxResults"),
        )
        return ActionResult({"items": page, "nextToken": token})

    # -- listings and search ------------------------------------------------------------------
    def create_listing_change_set(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        listing, _ = owner.create_listing_change_set(
            domain,
            user,
            self._p("entityIdentifier"),
            self._p("entityType"),
            self._p("entityRevision"),
            self._p("action"),
        )
        return ActionResult(
            {"listingId": listing.id, "listingRevision": listing.latest.revision, "status": listing.status}
        )

    def get_listing(self) -> ActionResult:
        owner, domain, _ = self._in_domain()
        listing = owner.listing(domain.id, self._p("identifier"))
        return ActionResult(listing.to_dict(self._p("listingRevision")))

    def _search_page(self, owner: DataZoneBackend, documents: list[Any], user: UserProfile) -> ActionResult:
        params = {k: v for k, v in (self.params or {}).items() if k not in ("nextToken", "maxResults")}
        query = json.dumps({"params": params, "user": user.id}, sort_keys=True, default=str)
        page, token = owner.page_documents(
            documents, query=query, next_token=self._p("nextToken"), max_results=self._p("maxResults")
        )
        return ActionResult(
            {"items": [d.item for d in page], "nextToken": token, "totalMatchCount": len(documents)}
        )

    def search(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        documents = owner.search_inventory(
            domain.id,
            user,
            self._p("searchScope"),
            self._p("owningProjectIdentifier"),
            "FORMS" in (self._p("additionalAttributes") or []),
            search_text=self._p("searchText"),
            search_in=self._p("searchIn"),
            filters=self._p("filters"),
            sort=self._p("sort"),
        )
        return self._search_page(owner, documents, user)

    def search_listings(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        if self._p("aggregations"):
            raise ValidationException("aggregations are not computed by this domain; search without them.")
        documents = owner.search_listings(
            domain.id,
            "FORMS" in (self._p("additionalAttributes") or []),
            search_text=self._p("searchText"),
            search_in=self._p("searchIn"),
            filters=self._p("filters"),
            sort=self._p("sort"),
        )
        return self._search_page(owner, documents, user)

    # -- environments and subscription targets ------------------------------------------------
    def list_environment_blueprints(self) -> ActionResult:
        owner, _, _ = self._in_domain()
        page, token = owner.list_environment_blueprints(
            name=self._p("name"),
            managed=self._p("managed"),
            next_token=self._p("nextToken"),
            max_results=self._p("maxResults"),
        )
        return ActionResult({"items": page, "nextToken": token})

    def put_environment_blueprint_configuration(self) -> ActionResult:
        owner, domain, _ = self._in_domain()
        configuration = owner.put_environment_blueprint_configuration(
            domain,
            self.current_account,
            self._p("environmentBlueprintIdentifier"),
            self._p("enabledRegions") or [],
            manage_access_role_arn=self._p("manageAccessRoleArn"),
            provisioning_role_arn=self._p("provisioningRoleArn"),
        )
        return ActionResult(configuration.to_dict())

    def create_environment(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        environment = owner.create_environment(
            domain,
            user,
            self._p("projectIdentifier"),
            self._p("name"),
            self._p("environmentProfileIdentifier"),
            self._p("environmentBlueprintIdentifier"),
            self._p("environmentAccountIdentifier"),
            self._p("environmentAccountRegion"),
            description=self._p("description"),
            glossary_terms=self._p("glossaryTerms"),
        )
        return ActionResult(environment.to_dict())

    def get_environment(self) -> ActionResult:
        owner, domain, _ = self._in_domain()
        return ActionResult(owner.environment(domain.id, self._p("identifier")).to_dict())

    def list_environments(self) -> ActionResult:
        owner, domain, _ = self._in_domain()
        page, token = owner.list_environments(
            domain_id=domain.id,
            project_id=self._p("projectIdentifier"),
            name=self._p("name"),
            aws_account_id=self._p("awsAccountId"),
            next_token=self._p("nextToken"),
            max_results=self._p("maxResults"),
        )
        return ActionResult({"items": [e.summary() for e in page], "nextToken": token})

    def delete_environment(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        owner.delete_environment(domain.id, user, self._p("identifier"))
        return EmptyResult()

    def associate_environment_role(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        owner.associate_environment_role(
            domain.id, user, self._p("environmentIdentifier"), unquote(self._p("environmentRoleArn"))
        )
        return EmptyResult()

    def create_subscription_target(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        target = owner.create_subscription_target(
            domain,
            user,
            self._p("environmentIdentifier"),
            name=self._p("name"),
            type=self._p("type"),
            config=self._p("subscriptionTargetConfig"),
            authorized_principals=self._p("authorizedPrincipals") or [],
            manage_access_role=self._p("manageAccessRole"),
            applicable_asset_types=self._p("applicableAssetTypes") or [],
            provider=self._p("provider"),
            creation_mode=self._p("subscriptionGrantCreationMode"),
        )
        return ActionResult(target.to_dict())

    def get_subscription_target(self) -> ActionResult:
        owner, domain, _ = self._in_domain()
        target = owner.subscription_target(domain.id, self._p("environmentIdentifier"), self._p("identifier"))
        return ActionResult(target.to_dict())

    def list_subscription_targets(self) -> ActionResult:
        owner, domain, _ = self._in_domain()
        page, token = owner.list_subscription_targets(
            domain_id=domain.id,
            environment_id=self._p("environmentIdentifier"),
            sort_by=self._p("sortBy"),
            sort_order=self._p("sortOrder"),
            next_token=self._p("nextToken"),
            max_results=self._p("maxResults"),
        )
        return _items(page, token)

    def delete_subscription_target(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        owner.delete_subscription_target(
            domain.id, user, self._p("environmentIdentifier"), self._p("identifier")
        )
        return EmptyResult()

    # -- subscriptions ------------------------------------------------------------------------
    def create_subscription_request(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        request = owner.create_subscription_request(
            domain,
            user,
            self._p("subscribedPrincipals") or [],
            self._p("subscribedListings") or [],
            self._p("requestReason"),
            self._p("metadataForms"),
            self._p("assetPermissions"),
            self._p("assetScopes"),
        )
        return ActionResult(request.to_dict())

    def accept_subscription_request(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        request = owner.decide_subscription_request(
            domain,
            user,
            self._p("identifier"),
            True,
            self._p("decisionComment"),
            self._p("assetScopes"),
            self._p("assetPermissions"),
        )
        return ActionResult(request.to_dict())

    def reject_subscription_request(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        request = owner.decide_subscription_request(
            domain, user, self._p("identifier"), False, self._p("decisionComment")
        )
        return ActionResult(request.to_dict())

    def get_subscription_request_details(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        return ActionResult(owner.get_subscription_request(domain.id, user, self._p("identifier")).to_dict())

    def list_subscription_requests(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        page, token = owner.list_subscription_requests(
            domain_id=domain.id,
            user=user,
            status=self._p("status"),
            subscribed_listing_id=self._p("subscribedListingId"),
            owning_project_id=self._p("owningProjectId"),
            approver_project_id=self._p("approverProjectId"),
            sort_by=self._p("sortBy"),
            sort_order=self._p("sortOrder"),
            next_token=self._p("nextToken"),
            max_results=self._p("maxResults"),
        )
        return ActionResult({"items": [r.to_dict(summary=True) for r in page], "nextToken": token})

    def get_subscription(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        return ActionResult(owner.get_subscription(domain.id, user, self._p("identifier")).to_dict())

    def list_subscriptions(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        page, token = owner.list_subscriptions(
            domain_id=domain.id,
            user=user,
            status=self._p("status"),
            subscription_request_identifier=self._p("subscriptionRequestIdentifier"),
            subscribed_listing_id=self._p("subscribedListingId"),
            owning_project_id=self._p("owningProjectId"),
            approver_project_id=self._p("approverProjectId"),
            sort_by=self._p("sortBy"),
            sort_order=self._p("sortOrder"),
            next_token=self._p("nextToken"),
            max_results=self._p("maxResults"),
        )
        return _items(page, token)

    def revoke_subscription(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        subscription = owner.end_subscription(
            domain, user, self._p("identifier"), revoke=True, retain_permissions=self._p("retainPermissions")
        )
        return ActionResult(subscription.to_dict())

    def cancel_subscription(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        subscription = owner.end_subscription(
            domain, user, self._p("identifier"), revoke=False, retain_permissions=None
        )
        return ActionResult(subscription.to_dict())

    # -- grants -------------------------------------------------------------------------------
    def create_subscription_grant(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        grant = owner.create_subscription_grant(
            domain,
            user,
            self._p("environmentIdentifier"),
            self._p("subscriptionTargetIdentifier"),
            self._p("grantedEntity") or {},
            self._p("assetTargetNames"),
        )
        return ActionResult(grant.to_dict())

    def get_subscription_grant(self) -> ActionResult:
        owner, domain, _ = self._in_domain()
        return ActionResult(owner.subscription_grant(domain.id, self._p("identifier")).to_dict())

    def list_subscription_grants(self) -> ActionResult:
        owner, domain, _ = self._in_domain()
        page, token = owner.list_subscription_grants(
            domain_id=domain.id,
            environment_id=self._p("environmentId"),
            subscription_target_id=self._p("subscriptionTargetId"),
            subscribed_listing_id=self._p("subscribedListingId"),
            subscription_id=self._p("subscriptionId"),
            owning_project_id=self._p("owningProjectId"),
            sort_by=self._p("sortBy"),
            sort_order=self._p("sortOrder"),
            next_token=self._p("nextToken"),
            max_results=self._p("maxResults"),
        )
        return _items(page, token)

    def update_subscription_grant_status(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        grant = owner.update_subscription_grant_status(
            domain,
            user,
            self._p("identifier"),
            self._p("assetIdentifier"),
            self._p("status"),
            self._p("failureCause"),
            self._p("targetName"),
        )
        return ActionResult(grant.to_dict())

    def delete_subscription_grant(self) -> ActionResult:
        owner, domain, user = self._in_domain()
        return ActionResult(owner.delete_subscription_grant(domain.id, user, self._p("identifier")).to_dict())

    # -- tags ---------------------------------------------------------------------------------
    def tag_resource(self) -> ActionResult:
        self.datazone_backend.tag_resource(self._p("resourceArn"), self._p("tags"))
        return EmptyResult()

    def untag_resource(self) -> ActionResult:
        self.datazone_backend.untag_resource(self._p("resourceArn"), self._p("tagKeys"))
        return EmptyResult()

    def list_tags_for_resource(self) -> ActionResult:
        return ActionResult({"tags": self.datazone_backend.list_tags_for_resource(self._p("resourceArn"))})
