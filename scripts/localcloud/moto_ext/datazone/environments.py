"""DataZone environments from the custom AWS service blueprint, and their subscription targets.

Where subscribed data is consumed: a project's environment in an AWS account (the domain's or an
associated one), and the subscription targets of that environment that say which asset types it
takes, which IAM principals get access, and which role manages that access. DataZone grants
access itself only for the asset types it manages (Glue tables, Redshift); for any other type the
documented flow is a custom subscription target whose grants DataZone only requests and whose
status the publisher's own automation reports back (UpdateSubscriptionGrantStatus), after the
"Subscription Grant Requested" event (see subscriptions.py).

The environment the local cloud creates is the one the DataZone User Guide, "Create an environment
using a custom AWS service blueprint", describes for existing resources: the managed blueprint
``CustomAwsService``, enabled in the environment's account and region by
PutEnvironmentBlueprintConfiguration (each account enables blueprints for itself), and an existing
IAM role associated as the environment role (AssociateEnvironmentRole; "Amazon DataZone does not
provision this role for you"). Environment profiles and the other managed blueprints are not
served: naming one is ResourceNotFoundException.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.utilities.paginator import paginate

from .catalog_records import new_id
from .exceptions import ConflictException, ResourceNotFoundException, ValidationException
from .identity import principal_of
from .users import PUBLISHERS, UserProfile
from .utils import PAGINATION_MODEL

if TYPE_CHECKING:
    from .models import Domain

CUSTOM_BLUEPRINT_NAME = "CustomAwsService"
#: The managed blueprint's id (fixed here; AWS's ids are opaque and found by ListEnvironmentBlueprints).
CUSTOM_BLUEPRINT_ID = "cstmawssvc4dz01"
PROVIDER = "Amazon DataZone"


def blueprint_summary() -> dict[str, Any]:
    return {
        "id": CUSTOM_BLUEPRINT_ID,
        "name": CUSTOM_BLUEPRINT_NAME,
        "description": "Bring your own AWS resources and an existing IAM role into a project.",
        "provider": PROVIDER,
        "provisioningProperties": {"cloudFormation": {"templateUrl": ""}},
    }


class BlueprintConfiguration(BaseModel):
    def __init__(self, domain_id: str, account: str, enabled_regions: list[str], **roles: str | None) -> None:
        self.domain_id = domain_id
        self.account = account
        self.enabled_regions = list(enabled_regions)
        self.manage_access_role_arn = roles.get("manage_access_role_arn")
        self.provisioning_role_arn = roles.get("provisioning_role_arn")
        self.created_at = utcnow()

    def to_dict(self) -> dict[str, Any]:
        body = {
            "domainId": self.domain_id,
            "environmentBlueprintId": CUSTOM_BLUEPRINT_ID,
            "provisioningRoleArn": self.provisioning_role_arn,
            "manageAccessRoleArn": self.manage_access_role_arn,
            "enabledRegions": self.enabled_regions,
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
        }
        return {k: v for k, v in body.items() if v is not None}


class Environment(BaseModel):
    def __init__(
        self,
        domain_id: str,
        project_id: str,
        name: str,
        account: str,
        region: str,
        created_by: str,
        **fields: Any,
    ) -> None:
        self.id = new_id()
        self.domain_id = domain_id
        self.project_id = project_id
        self.name = name
        self.account = account
        self.region = region
        self.created_by = created_by
        self.description: str | None = fields.get("description")
        self.glossary_terms: list[str] | None = fields.get("glossary_terms")
        self.role_arn: str | None = None
        self.created_at = utcnow()
        self.updated_at = self.created_at

    def to_dict(self) -> dict[str, Any]:
        body = {
            "projectId": self.project_id,
            "id": self.id,
            "domainId": self.domain_id,
            "createdBy": self.created_by,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "name": self.name,
            "description": self.description,
            "awsAccountId": self.account,
            "awsAccountRegion": self.region,
            "provider": PROVIDER,
            "provisionedResources": (
                [{"name": "userRoleArn", "type": "IAMRole", "value": self.role_arn, "provider": "IAM"}]
                if self.role_arn
                else []
            ),
            "status": "ACTIVE",
            "glossaryTerms": self.glossary_terms,
            "environmentBlueprintId": CUSTOM_BLUEPRINT_ID,
        }
        return {k: v for k, v in body.items() if v is not None}

    def summary(self) -> dict[str, Any]:
        full = self.to_dict()
        keep = (
            "projectId",
            "id",
            "domainId",
            "createdBy",
            "createdAt",
            "updatedAt",
            "name",
            "description",
            "awsAccountId",
            "awsAccountRegion",
            "provider",
            "status",
        )
        return {k: full[k] for k in keep if k in full}


class SubscriptionTarget(BaseModel):
    def __init__(self, environment: Environment, created_by: str, **fields: Any) -> None:
        self.id = new_id()
        self.domain_id = environment.domain_id
        self.project_id = environment.project_id
        self.environment_id = environment.id
        self.name: str = fields["name"]
        self.type: str = fields["type"]
        self.authorized_principals: list[str] = list(fields["authorized_principals"])
        self.manage_access_role: str = fields["manage_access_role"]
        self.applicable_asset_types: list[str] = list(fields["applicable_asset_types"])
        self.config: list[dict[str, Any]] = list(fields.get("config") or [])
        self.provider: str = fields.get("provider") or PROVIDER
        self.creation_mode: str = fields.get("creation_mode") or "AUTOMATIC"
        self.created_by = created_by
        self.created_at = utcnow()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "authorizedPrincipals": self.authorized_principals,
            "domainId": self.domain_id,
            "projectId": self.project_id,
            "environmentId": self.environment_id,
            "name": self.name,
            "type": self.type,
            "createdBy": self.created_by,
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
            "manageAccessRole": self.manage_access_role,
            "applicableAssetTypes": self.applicable_asset_types,
            "subscriptionTargetConfig": self.config,
            "provider": self.provider,
            "subscriptionGrantCreationMode": self.creation_mode,
        }


class EnvironmentBackend:
    """Blueprint configurations, environments and subscription targets (a mixin of
    ``DataZoneBackend``; state keyed by domain id)."""

    account_id: str
    region_name: str
    require: Any
    get_project: Any
    asset_type: Any
    grants_for_new_target: Any
    grants_of_environment: Any

    def init_environment_state(self) -> None:
        # domain id -> account -> configuration of the custom AWS service blueprint
        self.blueprint_configurations: dict[str, dict[str, BlueprintConfiguration]] = {}
        self.environments: dict[str, dict[str, Environment]] = {}
        self.subscription_targets: dict[str, dict[str, SubscriptionTarget]] = {}

    def drop_environment_state(self, domain_id: str) -> None:
        for store in (self.blueprint_configurations, self.environments, self.subscription_targets):
            store.pop(domain_id, None)

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_environment_blueprints(self, name: str | None, managed: bool | None) -> list[dict[str, Any]]:
        if managed is False:
            return []
        summary = blueprint_summary()
        return [summary] if name in (None, summary["name"]) else []

    def put_environment_blueprint_configuration(
        self,
        domain: Domain,
        caller_account: str,
        blueprint: str,
        enabled_regions: list[str],
        **roles: str | None,
    ) -> BlueprintConfiguration:
        if blueprint != CUSTOM_BLUEPRINT_ID:
            raise ResourceNotFoundException(
                f"Environment blueprint {blueprint} does not exist (this domain serves {CUSTOM_BLUEPRINT_NAME}, "
                f"id {CUSTOM_BLUEPRINT_ID})."
            )
        configuration = BlueprintConfiguration(domain.id, caller_account, enabled_regions, **roles)
        self.blueprint_configurations.setdefault(domain.id, {})[caller_account] = configuration
        return configuration

    def create_environment(
        self,
        domain: Domain,
        user: UserProfile,
        project_identifier: str,
        name: str,
        profile: str | None,
        blueprint: str | None,
        account: str | None,
        region: str | None,
        **fields: Any,
    ) -> Environment:
        project = self.get_project(domain.id, project_identifier)
        self.require(domain.id, project.id, user, PUBLISHERS, "CreateEnvironment")
        if profile:
            raise ResourceNotFoundException(
                f"Environment profile {profile} does not exist in domain {domain.id}."
            )
        if blueprint != CUSTOM_BLUEPRINT_ID:
            raise ResourceNotFoundException(
                f"Environment blueprint {blueprint} does not exist (use {CUSTOM_BLUEPRINT_NAME}, id {CUSTOM_BLUEPRINT_ID})."
            )
        if not account or not region:
            raise ValidationException(
                "An environment of the custom AWS service blueprint names its environmentAccountIdentifier "
                "and environmentAccountRegion."
            )
        configuration = self.blueprint_configurations.get(domain.id, {}).get(account)
        if configuration is None or region not in configuration.enabled_regions:
            raise ValidationException(
                f"Blueprint {CUSTOM_BLUEPRINT_NAME} is not enabled in account {account} region {region} for "
                f"domain {domain.id}; that account enables it with PutEnvironmentBlueprintConfiguration."
            )
        environments = self.environments.setdefault(domain.id, {})
        if any(e.project_id == project.id and e.name == name for e in environments.values()):
            raise ConflictException(f"An environment named {name} already exists in project {project.id}.")
        environment = Environment(domain.id, project.id, name, account, region, user.id, **fields)
        environments[environment.id] = environment
        return environment

    def environment(self, domain_id: str, identifier: str) -> Environment:
        environment = self.environments.get(domain_id, {}).get(identifier)
        if environment is None:
            raise ResourceNotFoundException(f"Environment {identifier} does not exist in domain {domain_id}.")
        return environment

    def associate_environment_role(
        self, domain_id: str, user: UserProfile, identifier: str, role_arn: str
    ) -> None:
        environment = self.environment(domain_id, identifier)
        self.require(domain_id, environment.project_id, user, PUBLISHERS, "AssociateEnvironmentRole")
        known = principal_of(role_arn)
        if known is None or known[2] != "IAM_ROLE" or known[0] != environment.account:
            raise ValidationException(
                f"{role_arn} is not an IAM role of the environment's account {environment.account}."
            )
        if environment.role_arn not in (None, role_arn):
            raise ConflictException(
                f"Environment {environment.id} already has the role {environment.role_arn}."
            )
        environment.role_arn = role_arn
        environment.updated_at = utcnow()

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_environments(self, domain_id: str, project_id: str, **filters: Any) -> list[Environment]:
        found = [e for e in self.environments.get(domain_id, {}).values() if e.project_id == project_id]
        if filters.get("name"):
            found = [e for e in found if e.name == filters["name"]]
        if filters.get("aws_account_id"):
            found = [e for e in found if e.account == filters["aws_account_id"]]
        return sorted(found, key=lambda e: e.created_at)

    def delete_environment(self, domain_id: str, user: UserProfile, identifier: str) -> None:
        environment = self.environment(domain_id, identifier)
        self.require(domain_id, environment.project_id, user, PUBLISHERS, "DeleteEnvironment")
        if self.grants_of_environment(domain_id, environment.id, active_only=True):
            raise ValidationException(
                f"Environment {environment.id} still has subscription grants; revoke or cancel the subscriptions first."
            )
        targets = self.subscription_targets.get(domain_id, {})
        for target_id in [t.id for t in targets.values() if t.environment_id == environment.id]:
            del targets[target_id]
        del self.environments[domain_id][environment.id]

    # -- subscription targets -----------------------------------------------------------------
    def create_subscription_target(
        self, domain: Domain, user: UserProfile, environment_identifier: str, **fields: Any
    ) -> SubscriptionTarget:
        environment = self.environment(domain.id, environment_identifier)
        self.require(domain.id, environment.project_id, user, PUBLISHERS, "CreateSubscriptionTarget")
        for asset_type in fields["applicable_asset_types"]:
            self.asset_type(domain.id, asset_type)
        for principal in [*fields["authorized_principals"], fields["manage_access_role"]]:
            if principal_of(principal) is None:
                raise ValidationException(f"IAM principal {principal} does not exist.")
        targets = self.subscription_targets.setdefault(domain.id, {})
        if any(t.environment_id == environment.id and t.name == fields["name"] for t in targets.values()):
            raise ConflictException(
                f"A subscription target named {fields['name']} already exists in environment {environment.id}."
            )
        target = SubscriptionTarget(environment, user.id, **fields)
        targets[target.id] = target
        if target.creation_mode == "AUTOMATIC":
            self.grants_for_new_target(domain, target)
        return target

    def subscription_target(self, domain_id: str, environment_id: str, identifier: str) -> SubscriptionTarget:
        target = self.subscription_targets.get(domain_id, {}).get(identifier)
        if target is None or target.environment_id != environment_id:
            raise ResourceNotFoundException(
                f"Subscription target {identifier} does not exist in environment {environment_id}."
            )
        return target

    def targets_of_project(self, domain_id: str, project_id: str) -> list[SubscriptionTarget]:
        return [
            t for t in self.subscription_targets.get(domain_id, {}).values() if t.project_id == project_id
        ]

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_subscription_targets(
        self, domain_id: str, environment_id: str, sort_by: str | None, sort_order: str | None
    ) -> list[SubscriptionTarget]:
        self.environment(domain_id, environment_id)
        found = [
            t
            for t in self.subscription_targets.get(domain_id, {}).values()
            if t.environment_id == environment_id
        ]
        found.sort(key=lambda t: t.created_at, reverse=sort_order == "DESCENDING")
        return found

    def delete_subscription_target(
        self, domain_id: str, user: UserProfile, environment_id: str, identifier: str
    ) -> None:
        target = self.subscription_target(domain_id, environment_id, identifier)
        self.require(domain_id, target.project_id, user, PUBLISHERS, "DeleteSubscriptionTarget")
        if self.grants_of_environment(domain_id, environment_id, active_only=True, target_id=target.id):
            raise ConflictException(
                f"Subscription target {target.id} still has subscription grants; revoke or cancel the subscriptions first."
            )
        del self.subscription_targets[domain_id][target.id]
