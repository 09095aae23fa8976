"""Typed, frozen shapes of the environment configuration.

The YAML files in this folder are loaded into these objects by ``environments.loader``; nothing
else in the kit reads the YAML. Every object is immutable so a stack or a script cannot change
the configuration it was given.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


class Tier(str, enum.Enum):
    """What kind of account an environment is. Behaviour is keyed on the tier, never on the
    free-text environment name, so a file called ``prod-eu.yaml`` with ``tier: prod`` gets every
    production control."""

    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"

    @property
    def strict(self) -> bool:
        """Staging and prod: only the approver role may change approval or card status."""
        return self is not Tier.DEV


#: Sections of a SageMaker model card that a governance gate may require.
CARD_SECTIONS = (
    "model_overview",
    "intended_uses",
    "business_details",
    "training_details",
    "evaluation_details",
    "additional_information",
)


@dataclass(frozen=True)
class NetworkConfig:
    cidr: str
    """VPC CIDR block, e.g. ``10.10.0.0/16``; must not overlap another environment's."""
    az_count: int
    """How many availability zones get a private subnet (2-6)."""


@dataclass(frozen=True)
class StudioConfig:
    user_profiles: tuple[str, ...]
    """SageMaker Studio user profile names created in the domain."""


@dataclass(frozen=True)
class UseCase:
    name: str
    """Short slug; the model package group is ``<prefix>-<name>`` in every environment."""
    description: str


@dataclass(frozen=True)
class GovernanceConfig:
    required_card_sections: tuple[str, ...]
    """Card sections a version must carry before it may be promoted *into* this environment."""
    metric_minimums: Mapping[str, float]
    """Evaluation metric floors a version must meet to be promoted *into* this environment."""


@dataclass(frozen=True)
class RemoteStateConfig:
    bucket: str
    """S3 bucket holding Terraform state (created by the bootstrap)."""
    key: str
    """State object key, one per environment."""
    region: str
    use_lockfile: bool = True
    """S3-native locking (Terraform >= 1.10); no DynamoDB table needed."""
    kms_key_id: str | None = None


@dataclass(frozen=True)
class CiConfig:
    """The CI identity trusted by every account's deploy role (``ci:`` in platform.yaml).

    GitHub Actions presents an OIDC token whose ``sub`` claim names the repository and either the
    GitHub environment of the job (``repo:<owner>/<name>:environment:<env>``), the branch of a job
    without one (``repo:<owner>/<name>:ref:refs/heads/<branch>``) or ``...:pull_request``. The
    bootstrap trusts exactly the values below, never a wildcard:

    - deploy role of environment ``E``: ``environment:E`` (a GitHub environment named like the kit
      environment, where staging and prod carry required reviewers); for a dev-tier environment
      also the listed branches, so a push to main applies dev without a reviewer.
    - plan role (read-only): the listed branches (scheduled drift detection) and, when
      ``plan_on_pull_request``, ``pull_request``.
    """

    github_repository: str
    """``owner/name`` of the repository whose workflows may deploy."""
    branches: tuple[str, ...] = ("main",)
    """Branches whose jobs may plan everywhere and apply dev-tier environments."""
    plan_on_pull_request: bool = True
    """Let pull-request jobs assume the read-only plan role (never the deploy role)."""
    admin_principals: tuple[str, ...] = ()
    """Break-glass IAM principal ARNs that may also assume the deploy role (operators' laptops)."""
    create_oidc_provider: bool = True
    """Create the account's GitHub OIDC provider; false when the account already has one."""

    def deploy_subjects(self, env: EnvironmentConfig) -> tuple[str, ...]:
        """``sub`` values that may assume ``env``'s deploy role."""
        repo = f"repo:{self.github_repository}"
        branches = () if env.tier.strict else tuple(f"{repo}:ref:refs/heads/{b}" for b in self.branches)
        return (f"{repo}:environment:{env.name}", *branches)

    def plan_subjects(self) -> tuple[str, ...]:
        """``sub`` values that may assume the read-only plan role of any environment."""
        repo = f"repo:{self.github_repository}"
        pull = (f"{repo}:pull_request",) if self.plan_on_pull_request else ()
        return (*(f"{repo}:ref:refs/heads/{b}" for b in self.branches), *pull)


@dataclass(frozen=True)
class EnvironmentConfig:
    """One AWS account of the platform."""

    name: str
    tier: Tier
    account_id: str
    region: str
    deploy_role_name: str
    promotes_from: str | None
    lifecycle_stage: str
    network: NetworkConfig
    studio: StudioConfig
    approvers: tuple[str, ...]
    use_cases: tuple[UseCase, ...]
    governance: GovernanceConfig
    datazone_home: bool
    remote_state: RemoteStateConfig | None
    tags: Mapping[str, str]
    source: str = field(default="", compare=False)
    """The file this environment was loaded from (for error messages)."""

    @property
    def deploy_role_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{self.deploy_role_name}"

    def use_case(self, name: str) -> UseCase:
        for uc in self.use_cases:
            if uc.name == name:
                return uc
        raise KeyError(name)


@dataclass(frozen=True)
class PlatformConfig:
    """Every environment plus the platform-wide settings."""

    name_prefix: str
    organization_id: str | None
    environments: Mapping[str, EnvironmentConfig]
    ci: CiConfig | None = None
    """The CI identity the bootstrap trusts. None: no OIDC provider; the deploy role then trusts
    only its own account's root (IAM policies in that account decide who may assume it)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "environments", MappingProxyType(dict(self.environments)))

    def env(self, name: str) -> EnvironmentConfig:
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(sorted(self.environments)) or "none"
            raise UnknownEnvironmentError(
                f"unknown environment {name!r}: known environments are {known} "
                f"(add environments/{name}.yaml to create it)"
            ) from None

    @property
    def datazone_home(self) -> EnvironmentConfig:
        return next(e for e in self.environments.values() if e.datazone_home)

    def downstream_of(self, name: str) -> tuple[EnvironmentConfig, ...]:
        """The environments that promote from ``name`` (their promotion roles are granted read
        access to this environment's registry, bucket and key)."""
        return tuple(
            sorted(
                (e for e in self.environments.values() if e.promotes_from == name),
                key=lambda e: e.name,
            )
        )

    def promotion_order(self) -> list[EnvironmentConfig]:
        """Environments ordered upstream first: each appears after the one it promotes from."""
        ordered: list[EnvironmentConfig] = []
        frontier = sorted(
            (e for e in self.environments.values() if e.promotes_from is None), key=lambda e: e.name
        )
        while frontier:
            current = frontier.pop(0)
            ordered.append(current)
            frontier.extend(self.downstream_of(current.name))
        return ordered

    def apply_order(self) -> list[EnvironmentConfig]:
        """The order in which stacks can be applied into empty accounts: downstream first.

        An environment's bucket, KMS key and model package group policies name its downstream
        environments' promotion roles by ARN, and AWS refuses a resource policy whose principal
        does not exist yet; the downstream stack creates that role. Nothing flows the other way
        (the promotion role's own policy may name upstream resources before they exist). Destroy
        goes the other way round: ``promotion_order()``.
        """
        return list(reversed(self.promotion_order()))


class ConfigError(ValueError):
    """A configuration file is invalid. The message names the file, the field and what was
    expected."""


class UnknownEnvironmentError(ConfigError):
    """An environment name that has no file in environments/."""
