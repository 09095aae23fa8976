"""The DataZone catalog as the kit uses it: who acts, the kit's form and asset types, assets,
listings and subscriptions.

Who acts (the roles of modules/data.py and modules/iam.py), all in the DataZone home
environment, which must also be where the data lives (``promotes_from`` unset):

- the deploy role, in ``mlgov data setup`` only: it created the projects (Terraform), so it is
  their owner in DataZone; it adds the data engineer as owner of the producer project, the data
  scientist as contributor of each use case's project, and creates the kit's types;
- the data engineer: publishes datasets, decides and revokes subscriptions;
- the data-grant role, assumed by the data engineer: the read grant itself (:mod:`.grants`);
- the data scientist: requests subscriptions for its use case's project, publishes model assets.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3

from environments import EnvironmentConfig, Names, PlatformConfig
from scripts.aws import assume_role, client, kit_errors
from scripts.governance.context import EnvContext, base_session, env_context, paginate
from scripts.governance.errors import UsageError

from .types import KIT_TYPES

logger = logging.getLogger(__name__)

#: How long a published listing may take to become ACTIVE (DataZone indexes it asynchronously;
#: its getting-started script waits 15 s) before the kit reports it.
LISTING_TIMEOUT_S = 120.0
LISTING_POLL_S = 1.0


def data_environment(platform: PlatformConfig, env_name: str | None) -> EnvironmentConfig:
    """The environment whose data and catalog ``mlgov data`` acts on: the DataZone home, where
    versions are born. Anything else is refused naming the one that works."""
    home = platform.datazone_home
    env = platform.env(env_name) if env_name else home
    if env.name != home.name or env.promotes_from is not None:
        raise UsageError(
            f"environment {env.name!r} holds no data catalog: datasets are published and "
            f"subscribed in the DataZone home environment {home.name!r} (datazone_home: true), "
            "which must also be where versions are born (promotes_from: null); use "
            f"--env {home.name}"
        )
    return env


def role_context(
    platform: PlatformConfig, env: EnvironmentConfig, role_key: str, *, job: str, source: boto3.Session | None
) -> EnvContext:
    """``env`` acted on as one of its roles, the data roles included (``env_context`` knows only
    the model roles)."""
    if role_key in ("execution", "data_scientist", "approver", "promotion"):
        return env_context(platform, env.name, role_key, job=job, source=source)
    return EnvContext(platform=platform, env=env, role_key=role_key, job=job, _source=source)


@dataclass
class Catalog:
    """The domain as one role sees it: ids from the home environment's SSM parameters."""

    ctx: EnvContext

    @property
    def names(self) -> Names:
        return self.ctx.names

    @property
    def dz(self) -> Any:
        return self.ctx.client("datazone")

    @property
    def domain(self) -> str:
        return self.ctx.param(self.names.ssm_datazone_domain_id)

    @property
    def producer_project(self) -> str:
        return self.ctx.param(self.names.ssm_datazone_producer_project_id)

    def project(self, use_case: str) -> str:
        return self.ctx.param(self.names.ssm_datazone_project_id(use_case))

    def use_case_of(self, project_id: str) -> str | None:
        """The use case whose project is ``project_id`` (None: not a use case's project)."""
        for uc in self.ctx.env.use_cases:
            if self.project(uc.name) == project_id:
                return uc.name
        return None

    def call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        with kit_errors(self.ctx.role_arn):
            return dict(getattr(self.dz, operation)(domainIdentifier=self.domain, **kwargs))

    # -- assets and listings --------------------------------------------------------------
    def find_asset(self, project: str, name: str) -> dict[str, Any] | None:
        """The asset named ``name`` owned by ``project`` (its inventory: members only), latest
        revision, or None."""
        with kit_errors(self.ctx.role_arn):
            for item in paginate(
                self.dz,
                "search",
                "items",
                domainIdentifier=self.domain,
                owningProjectIdentifier=project,
                searchScope="ASSET",
                filters={"filter": {"attribute": "name", "value": name}},
            ):
                found = item.get("assetItem") or {}
                if found.get("name") == name:
                    return self.call("get_asset", identifier=found["identifier"])
        return None

    def put_asset(
        self, *, project: str, name: str, description: str, type_name: str, forms: list[dict[str, str]]
    ) -> tuple[dict[str, Any], bool]:
        """Create the asset, or a new revision when its forms or description differ; returns the
        asset (GetAsset) and whether anything was written."""
        existing = self.find_asset(project, name)
        if existing is None:
            self.call(
                "create_asset",
                name=name,
                description=description,
                owningProjectIdentifier=project,
                typeIdentifier=type_name,
                formsInput=forms,
            )
            made = self.find_asset(project, name)
            assert made is not None
            return made, True
        if _same_forms(existing, forms) and existing.get("description") == description:
            return existing, False
        self.call(
            "create_asset_revision",
            identifier=existing["id"],
            name=name,
            description=description,
            formsInput=forms,
        )
        return self.call("get_asset", identifier=existing["id"]), True

    def publish(self, asset: dict[str, Any], *, wait: bool = True) -> str:
        """List the asset's latest revision (a new listing revision when the listed one is older);
        waits for the listing to be ACTIVE. Returns the listing id."""
        listing = asset.get("listing") or {}
        listed = self._listed_revision(listing.get("listingId"))
        if listed != asset["revision"]:
            self.call(
                "create_listing_change_set",
                entityIdentifier=asset["id"],
                entityType="ASSET",
                entityRevision=asset["revision"],
                action="PUBLISH",
            )
            listing = (self.call("get_asset", identifier=asset["id"]).get("listing")) or {}
        listing_id = str(listing["listingId"])
        if wait:
            self.wait_active(listing_id)
        return listing_id

    def unpublish(self, asset: dict[str, Any]) -> bool:
        """Take the asset out of the catalog; False when it was not listed."""
        listing = asset.get("listing") or {}
        if not listing.get("listingId") or self._listed_revision(listing["listingId"]) is None:
            return False
        self.call(
            "create_listing_change_set", entityIdentifier=asset["id"], entityType="ASSET", action="UNPUBLISH"
        )
        return True

    def _listed_revision(self, listing_id: str | None) -> str | None:
        """The asset revision the listing shows, None when not listed (or unpublished)."""
        if not listing_id:
            return None
        listing = self.call("get_listing", identifier=listing_id)
        if listing.get("status") == "INACTIVE":
            return None
        return str((listing.get("item") or {}).get("assetListing", {}).get("assetRevision") or "") or None

    def wait_active(self, listing_id: str, *, sleep: Callable[[float], None] = time.sleep) -> None:
        deadline = time.monotonic() + LISTING_TIMEOUT_S
        while True:
            status = self.call("get_listing", identifier=listing_id).get("status")
            if status == "ACTIVE":
                return
            if status == "FAILED" or time.monotonic() > deadline:
                raise UsageError(
                    f"listing {listing_id} is {status} after {LISTING_TIMEOUT_S:.0f} s; rerun the "
                    "command to check it again"
                )
            sleep(LISTING_POLL_S)

    def listing_of(self, asset_name: str) -> dict[str, Any]:
        """The ACTIVE listing of the asset named ``asset_name`` (catalog search: any user)."""
        with kit_errors(self.ctx.role_arn):
            for item in paginate(
                self.dz,
                "search_listings",
                "items",
                domainIdentifier=self.domain,
                filters={"filter": {"attribute": "name", "value": asset_name}},
            ):
                listing = item.get("assetListing") or {}
                if listing.get("name") == asset_name:
                    return dict(listing)
        raise UsageError(
            f"no dataset {asset_name!r} in the catalog: the data engineer publishes it first "
            "(mlgov data publish)"
        )


def _same_forms(asset: dict[str, Any], forms: list[dict[str, str]]) -> bool:
    have = {f["formName"]: json.loads(f.get("content") or "{}") for f in asset.get("formsOutput", [])}
    return all(have.get(f["formName"]) == json.loads(f["content"]) for f in forms)


# -- setup: memberships and types, as the projects' creator ------------------------------------
def setup(
    platform: PlatformConfig, env_name: str | None = None, *, source: boto3.Session | None = None
) -> dict[str, Any]:
    """After the apply: the data engineer owns the producer project, the data scientist
    contributes to each use case's project, and the kit's form and asset types exist (owned by
    the producer project). Acts as the deploy role, which created the projects. Idempotent."""
    env = data_environment(platform, env_name)
    names = Names.of(platform, env)
    session = assume_role(
        env.deploy_role_arn,
        source=source or base_session(),
        purpose="data-setup",
        region=env.region,
        where=f"for data setup in environment {env.name!r}",
    )
    dz, ssm = client(session, "datazone", region=env.region), client(session, "ssm", region=env.region)
    with kit_errors(env.deploy_role_arn):
        ids = {
            p["Name"]: p["Value"]
            for p in ssm.get_parameters(
                Names=[
                    names.ssm_datazone_domain_id,
                    names.ssm_datazone_producer_project_id,
                    *(names.ssm_datazone_project_id(u.name) for u in env.use_cases),
                ]
            )["Parameters"]
        }
    domain = ids.get(names.ssm_datazone_domain_id)
    producer = ids.get(names.ssm_datazone_producer_project_id)
    if not domain or not producer:
        raise UsageError(
            f"the DataZone domain or producer project of {env.name!r} is not published in SSM: "
            f"deploy the stack first (mlgov deploy apply --env {env.name})"
        )
    wanted = [(producer, names.role_arn("data_engineer"), "PROJECT_OWNER")]
    wanted += [
        (ids[names.ssm_datazone_project_id(u.name)], names.role_arn("data_scientist"), "PROJECT_CONTRIBUTOR")
        for u in env.use_cases
    ]
    members: list[dict[str, str]] = []
    with kit_errors(env.deploy_role_arn):
        for project, role_arn, designation in wanted:
            profile = dz.create_user_profile(
                domainIdentifier=domain, userIdentifier=role_arn, userType="IAM_ROLE"
            )
            present = {
                (m.get("memberDetails") or {}).get("user", {}).get("userId")
                for m in paginate(
                    dz,
                    "list_project_memberships",
                    "members",
                    domainIdentifier=domain,
                    projectIdentifier=project,
                )
            }
            if profile["id"] not in present:
                dz.create_project_membership(
                    domainIdentifier=domain,
                    projectIdentifier=project,
                    member={"userIdentifier": profile["id"]},
                    designation=designation,
                )
            members.append({"project": project, "role": role_arn, "designation": designation})
        created = [t.ensure(dz, domain, producer) for t in KIT_TYPES]
    return {
        "environment": env.name,
        "domain": domain,
        "producer_project": producer,
        "members": members,
        "types": [t for t in created if t],
    }
