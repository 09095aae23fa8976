"""Typed, frozen shapes of the environment configuration, validated by pydantic.

The YAML files in this folder are loaded into these objects by ``environments.loader``; nothing
else in the kit reads the YAML. Every object is a frozen pydantic dataclass (so
``dataclasses.replace`` re-validates) with its mappings read-only, so a stack or a script cannot
change the configuration it was given.

Rules live beside the fields they constrain: a field's type carries its pattern or range
(:mod:`environments.fields`), a class's ``after`` validator the rules between its fields, and
:class:`PlatformConfig` the rules between files (:mod:`environments.rules`: distinct accounts,
non-overlapping CIDRs, the promotion graph, derived names within AWS limits; one DataZone home
here). Each rule raises :func:`environments.fields.refuse` with what was expected and what was
found; the loader prefixes the file and the field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Strict,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic.dataclasses import dataclass
from pydantic_core import InitErrorDetails, PydanticCustomError

from .fields import (
    AccountId,
    Bool,
    Branch,
    BucketName,
    CardSection,
    Cidr,
    CiPrincipal,
    EnvName,
    GitHubRepository,
    LifecycleStage,
    LogRetentionDays,
    MonitorSchedule,
    NamePrefix,
    Number,
    OrganizationId,
    ProfileName,
    Region,
    RoleName,
    Str,
    Tags,
    Tier,
    TrustedPrincipal,
    UnknownEnvironmentError,
    UseCaseName,
    _again,
    _at_least,
    _between,
    _empty,
    _not_empty,
    _number,
    _read_only,
    _refuse_all,
    _tier,
    _unique,
    refuse,
)
from .rules import _check_accounts, _check_derived_names, _check_networks, _check_promotion_graph

# -- sections -------------------------------------------------------------------------------------


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class _Section:
    """Base of every section: YAML keys are checked against the fields before any field is.

    A key the class does not know is refused naming the allowed ones (``extra="forbid"`` alone
    would not list them), each unknown key on its own, together with whatever the known keys
    get wrong; ``null`` means "not set": a default applies, or the key is required. Objects
    built in code (``dataclasses.replace``) skip this step, not validation.
    """

    _from_context: ClassVar[tuple[str, ...]] = ()
    """Fields the loader fills through the validation context, never from YAML."""

    @model_validator(mode="before")
    @classmethod
    def _yaml_keys(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, Mapping):
            return data  # constructor arguments, or a non-mapping the type check refuses
        allowed = sorted(f.name for f in dataclasses.fields(cls) if f.name not in cls._from_context)
        unknown = sorted(str(k) for k in data if k not in allowed)
        if unknown:
            errors = [
                InitErrorDetails(
                    type=refuse(f"unknown key; allowed keys are {', '.join(allowed)}", field=key),
                    loc=(),
                    input=data,
                )
                for key in unknown
            ]
            try:  # the known keys are checked too, so one run shows every problem of the section
                cls.__pydantic_validator__.validate_python(  # type: ignore[attr-defined]
                    {k: v for k, v in data.items() if k in allowed}, context=info.context
                )
            except ValidationError as exc:
                errors += _again(exc.errors())
            raise ValidationError.from_exception_data(cls.__name__, errors)
        given = {k: v for k, v in data.items() if v is not None}
        context = info.context or {}
        given.update({k: context[k] for k in cls._from_context if k in context})
        return cls._fill(given)

    @classmethod
    def _fill(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Defaults that depend on other keys of the same file."""
        return data


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class NetworkConfig(_Section):
    cidr: Cidr
    """VPC CIDR block, e.g. ``10.10.0.0/16``; must not overlap another environment's."""
    az_count: Annotated[int, Strict(), _between(2, 6, "availability zones")]
    """How many availability zones get a private subnet (2-6)."""


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class StudioConfig(_Section):
    user_profiles: Annotated[tuple[ProfileName, ...], _unique("expected unique names")]
    """SageMaker Studio user profile names created in the domain."""


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class UseCase(_Section):
    name: UseCaseName
    """Short slug; the model package group is ``<prefix>-<name>`` in every environment."""
    description: Str = ""
    data_quality_schedule: MonitorSchedule | None = None
    """Have the stack create a data-quality monitoring schedule of the use case's endpoint
    (``hourly``, ``daily`` or a Model Monitor cron expression, UTC; stored as the expression):
    Model Monitor compares each hour's captured traffic with the baseline of the version served,
    which ``mlgov serve`` puts at ``Names.served_baseline_prefix``. SageMaker refuses a schedule of
    an endpoint that does not exist, so set it once ``mlgov serve`` has created the endpoint
    (docs/GOVERNANCE.md, "Scheduled data-quality monitoring"). None: no schedule (the default)."""


def _abs_limit(value: float) -> float:
    if not 0 <= value <= 1:
        raise refuse(f"expected a number from 0 to 1 (|DPPL| is at most 1), got {value:g}")
    return value


def _di_range(value: Any) -> tuple[float, float]:
    expected = "expected [low, high] with 0 <= low <= 1 <= high (disparate impact 1 is parity)"
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise refuse(f"{expected}, got {value!r}")
    low, high = (_number(v) for v in value)
    if not (0 <= low <= 1 <= high and low < high):
        raise refuse(f"{expected}, got [{low:g}, {high:g}]")
    return low, high


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class BiasLimits(_Section):
    """Post-training bias a version may show and still be promoted *into* the environment, in
    SageMaker Clarify's metric definitions (computed on the version's holdout predictions for the
    protected facet). A limit that is set requires the metric in the card: a version without it
    is refused, never waved through."""

    max_abs_dppl: Annotated[float, BeforeValidator(_number), AfterValidator(_abs_limit)] | None = None
    """Largest accepted |DPPL| (difference in positive proportions in predicted labels)."""
    disparate_impact: Annotated[tuple[float, float], BeforeValidator(_di_range)] | None = None
    """Accepted ``[low, high]`` of DI (ratio of predicted positive proportions; 1 is parity; the
    four-fifths rule is ``[0.8, 1.25]``)."""


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class GovernanceConfig(_Section):
    """The gates a version must pass to be promoted *into* this environment."""

    required_card_sections: tuple[CardSection, ...] = ()
    """Card sections a version must carry before it may be promoted *into* this environment."""
    metric_minimums: Annotated[Mapping[Str, Number], AfterValidator(_read_only)] = dataclasses.field(
        default_factory=_empty
    )
    """Evaluation metric floors a version must meet to be promoted *into* this environment."""
    bias_limits: BiasLimits | None = None
    """Post-training bias limits (none: bias is not gated here)."""
    require_explainability: Bool = False
    """Refuse a version whose card carries no explainability section (global attributions)."""


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class RetentionConfig(_Section):
    """How long an environment keeps what it deletes, and whether a destroy may take data with it.

    Defaults come from the tier (:data:`TIER_DEFAULTS`); ``retention:`` in an environment file
    overrides any subset of the fields.
    """

    kms_deletion_window_days: Annotated[int, Strict(), _between(7, 30, "days (the KMS deletion window)")]
    """Days a scheduled KMS key deletion can still be cancelled (AWS accepts 7-30)."""
    noncurrent_version_days: Annotated[int, Strict(), _at_least(1, "day")]
    """Days a replaced or deleted artifact object version is kept before S3 expires it."""
    flow_log_retention_days: LogRetentionDays
    """Retention of the VPC flow log group."""
    governance_log_retention_days: LogRetentionDays
    """Retention of the governance event log group (approvals, card changes, promotions)."""
    force_destroy_buckets: Bool
    """Let ``destroy`` delete buckets that still hold objects (artifacts, access logs)."""
    retain_studio_home_efs: Bool
    """Keep the Studio domain's home EFS (users' notebooks) when the domain is deleted."""


#: Retention by tier, before an environment's own ``retention:`` overrides.
TIER_DEFAULTS: Mapping[Tier, RetentionConfig] = MappingProxyType(
    {
        Tier.DEV: RetentionConfig(
            kms_deletion_window_days=7,
            noncurrent_version_days=90,
            flow_log_retention_days=365,
            governance_log_retention_days=365,
            force_destroy_buckets=True,
            retain_studio_home_efs=False,
        ),
        Tier.STAGING: RetentionConfig(
            kms_deletion_window_days=7,
            noncurrent_version_days=90,
            flow_log_retention_days=365,
            governance_log_retention_days=365,
            force_destroy_buckets=True,
            retain_studio_home_efs=False,
        ),
        Tier.PROD: RetentionConfig(
            kms_deletion_window_days=30,
            noncurrent_version_days=365,
            flow_log_retention_days=365,
            governance_log_retention_days=2557,
            force_destroy_buckets=False,
            retain_studio_home_efs=True,
        ),
    }
)


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class RemoteStateConfig(_Section):
    bucket: BucketName
    """S3 bucket holding Terraform state (created by the bootstrap)."""
    key: Str
    """State object key, one per environment (in YAML: default ``platform/<name>.tfstate``)."""
    region: Region
    """Region of the state bucket (in YAML: default the environment's region)."""
    use_lockfile: Bool = True
    """S3-native locking (Terraform >= 1.10); no DynamoDB table needed."""
    kms_key_id: Str | None = None


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class CiConfig(_Section):
    """The CI identity trusted by every account's deploy role (``ci:`` in platform.yaml).

    GitHub Actions presents an OIDC token whose ``sub`` claim names the repository and either the
    GitHub environment of the job (``repo:<owner>/<name>:environment:<env>``), the branch of a job
    without one (``repo:<owner>/<name>:ref:refs/heads/<branch>``) or ``...:pull_request``. The
    bootstrap trusts exactly the values below, never a wildcard:

    - deploy role of environment ``E``: ``environment:E`` (a GitHub environment named like the kit
      environment, where staging and prod carry required reviewers); for a dev-tier environment
      also the listed branches, so a push to main applies dev without a reviewer.
    - plan role (read-only): the listed branches (scheduled drift detection) and, when
      ``plan_on_pull_request``, ``pull_request``, except in prod-tier environments.
    - promotion role of environment ``E``: ``environment:E-promotion`` (a GitHub environment of its
      own whose reviewers approve promotions, apart from the deploy jobs' ``E``).
    """

    github_repository: GitHubRepository
    """``owner/name`` of the repository whose workflows may deploy."""
    branches: Annotated[tuple[Branch, ...], _unique("expected unique names")] = ("main",)
    """Branches whose jobs may plan everywhere and apply dev-tier environments."""
    plan_on_pull_request: Bool = True
    """Let pull-request jobs assume the read-only plan role (never the deploy role) of every
    environment but prod-tier ones."""
    admin_principals: Annotated[tuple[CiPrincipal, ...], _unique("expected unique names")] = ()
    """Break-glass IAM principal ARNs that may also assume the deploy role (operators' laptops)."""
    create_oidc_provider: Bool = True
    """Create the account's GitHub OIDC provider; false when the account already has one."""

    def deploy_subjects(self, env: EnvironmentConfig) -> tuple[str, ...]:
        """``sub`` values that may assume ``env``'s deploy role."""
        repo = f"repo:{self.github_repository}"
        branches = () if env.tier.strict else tuple(f"{repo}:ref:refs/heads/{b}" for b in self.branches)
        return (f"{repo}:environment:{env.name}", *branches)

    def plan_subjects(self, env: EnvironmentConfig) -> tuple[str, ...]:
        """``sub`` values that may assume ``env``'s read-only plan role: the branches (drift
        detection) and, when ``plan_on_pull_request``, pull requests, except in a prod-tier
        environment. A pull request's workflow runs the pull request's code (``python main.py``)
        after the credentials are configured, so whatever its role may read, the pull request's
        author may read: prod's plan role never trusts it (docs/THREAT_MODEL.md)."""
        repo = f"repo:{self.github_repository}"
        pull = (f"{repo}:pull_request",) if self.plan_on_pull_request and env.tier is not Tier.PROD else ()
        return (*(f"{repo}:ref:refs/heads/{b}" for b in self.branches), *pull)

    def promotion_subjects(self, env: EnvironmentConfig) -> tuple[str, ...]:
        """``sub`` values that may assume ``env``'s promotion role: jobs of the GitHub environment
        ``<env>-promotion`` (``promote.yml``), never a branch or a pull request."""
        return (f"repo:{self.github_repository}:environment:{env.promotion_environment}",)


@dataclass(frozen=True, kw_only=True, config=ConfigDict(extra="forbid"))
class EnvironmentConfig(_Section):
    """One AWS account of the platform (one ``environments/<name>.yaml``)."""

    _from_context: ClassVar[tuple[str, ...]] = ("source",)

    name: EnvName
    """Equals the file name without ``.yaml``."""
    tier: Annotated[Tier, BeforeValidator(_tier)]
    account_id: AccountId
    region: Region
    deploy_role_name: RoleName
    promotes_from: Str | None = None
    """The upstream environment versions are pulled from; None for where versions are born."""
    lifecycle_stage: LifecycleStage
    network: NetworkConfig
    studio: StudioConfig
    data_scientists: Annotated[
        tuple[TrustedPrincipal, ...],
        _not_empty("expected at least one IAM principal allowed to act as a data scientist here"),
        _unique("expected unique principals"),
    ]
    """Who may assume the data-scientist role (:func:`environments.fields._trusted_principal`: named roles or users,
    or a permission set's role pattern; never the account root)."""
    approvers: Annotated[
        tuple[TrustedPrincipal, ...],
        _not_empty("expected at least one IAM principal allowed to approve models"),
        _unique("expected unique principals"),
    ]
    """Who may assume the model-approver role (same rules as ``data_scientists``)."""
    promotion_operators: Annotated[tuple[TrustedPrincipal, ...], _unique("expected unique principals")] = ()
    """Who besides the protected CI promote job (``ci``: the GitHub environment
    ``<env>-promotion``) may assume the promotion role, e.g. a release manager's permission set;
    empty: only CI promotes into this environment."""
    data_engineers: Annotated[tuple[TrustedPrincipal, ...], _unique("expected unique principals")] = ()
    """Who may assume the data-engineer role where data lives (``promotes_from: null``): publish
    datasets and decide subscriptions to them (docs/DATA.md). Required there, unused elsewhere;
    never one of ``data_scientists``, who would otherwise approve their own access to data."""
    model_deployers: Annotated[tuple[TrustedPrincipal, ...], _unique("expected unique principals")] = ()
    """Who may assume the model-deploy role (``mlgov serve``); empty: the ``approvers``."""
    use_cases: Annotated[
        tuple[UseCase, ...],
        _not_empty("expected at least one use case"),
        _unique("expected unique use case names", key=lambda u: u.name),
    ]
    governance: GovernanceConfig
    retention: RetentionConfig
    """The tier's :data:`TIER_DEFAULTS` with this file's ``retention:`` keys over them."""
    datazone_home: Bool = False
    remote_state: RemoteStateConfig | None = None
    tags: Tags = dataclasses.field(default_factory=_empty)
    source: str = dataclasses.field(default="", compare=False)
    """The file this environment was loaded from (for error messages)."""

    @classmethod
    def _fill(cls, data: dict[str, Any]) -> dict[str, Any]:
        state = data.get("remote_state")
        if isinstance(state, Mapping):
            state = {k: v for k, v in state.items() if v is not None}
            state.setdefault("region", data.get("region"))
            state.setdefault("key", f"platform/{data.get('name')}.tfstate")
            data["remote_state"] = state
        overrides = data.get("retention", {})
        try:
            tier = _tier(data.get("tier"))
        except PydanticCustomError:
            # No defaults to start from: the file is refused for its tier anyway; any tier's
            # defaults let the overrides be checked without reporting the rest as missing.
            tier = Tier.DEV
        if isinstance(overrides, Mapping):
            defaults = dataclasses.asdict(TIER_DEFAULTS[tier])
            data["retention"] = {**defaults, **{k: v for k, v in overrides.items() if v is not None}}
        return data

    @model_validator(mode="after")
    def _named_like_its_file(self) -> EnvironmentConfig:
        stem = Path(self.source).stem if self.source else self.name
        if self.name != stem:
            raise refuse(f"expected {stem!r} (the file name without .yaml), got {self.name!r}", field="name")
        return self

    @model_validator(mode="after")
    def _four_eyes(self) -> EnvironmentConfig:
        """In a strict tier one principal may not both approve and register versions: a data
        scientist or a promotion operator who is also an approver approves their own work."""
        if not self.tier.strict:
            return self
        problems = [
            refuse(
                f"{principal!r} is also in approvers: in a {self.tier.value} tier the principal that "
                f"{doing} must not be the one that approves it; list it in one of the two",
                field=f"{field}[{i}]",
            )
            for field, doing in (
                ("data_scientists", "builds a version"),
                ("promotion_operators", "promotes a version"),
            )
            for i, principal in enumerate(getattr(self, field))
            if principal in self.approvers
        ]
        if problems:
            raise _refuse_all(problems, type(self).__name__, self)
        return self

    @model_validator(mode="after")
    def _data_owners(self) -> EnvironmentConfig:
        """Where data lives someone other than its consumers decides who reads it."""
        if self.promotes_from is None and not self.data_engineers:
            raise refuse(
                "expected at least one IAM principal allowed to act as a data engineer where data "
                "lives (promotes_from: null): they publish datasets and decide subscriptions",
                field="data_engineers",
            )
        problems = [
            refuse(
                f"{principal!r} is also in data_scientists: a data scientist would decide their "
                "own access to data; list it in one of the two",
                field=f"data_engineers[{i}]",
            )
            for i, principal in enumerate(self.data_engineers)
            if principal in self.data_scientists
        ]
        if problems:
            raise _refuse_all(problems, type(self).__name__, self)
        return self

    @property
    def deployers(self) -> tuple[str, ...]:
        """Who may assume the model-deploy role: ``model_deployers``, else the ``approvers``."""
        return self.model_deployers or self.approvers

    @property
    def deploy_role_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{self.deploy_role_name}"

    @property
    def promotion_environment(self) -> str:
        """The GitHub environment whose jobs may assume this environment's promotion role
        (``<name>-promotion``: its own required reviewers, apart from the deploy jobs')."""
        return f"{self.name}-promotion"

    def use_case(self, name: str) -> UseCase:
        for uc in self.use_cases:
            if uc.name == name:
                return uc
        raise KeyError(name)


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class PlatformConfig(_Section):
    """Every environment plus the platform-wide settings (``platform.yaml``).

    Validating it checks the rules between environment files; each refusal names the file that
    has to change.
    """

    _from_context: ClassVar[tuple[str, ...]] = ("environments",)

    name_prefix: NamePrefix
    """Prefixes every resource name."""
    organization_id: OrganizationId | None
    """When set, cross-account grants also require ``aws:PrincipalOrgID``."""
    environments: Annotated[Mapping[str, EnvironmentConfig], AfterValidator(_read_only)]
    ci: CiConfig | None = None
    """The CI identity the bootstrap trusts. None: no OIDC provider; the deploy role then trusts
    only its own account's root (IAM policies in that account decide who may assume it)."""

    @classmethod
    def _fill(cls, data: dict[str, Any]) -> dict[str, Any]:
        data.setdefault("organization_id", None)
        return data

    @model_validator(mode="after")
    def _rules_between_files(self, info: ValidationInfo) -> PlatformConfig:
        context = info.context or {}
        if context.get("partial"):
            # Some environment file was refused (the loader reports it): rules between files
            # would judge an incomplete set (an upstream "missing" that is only invalid).
            return self
        envs = list(self.environments.values())
        directory = context.get("directory") or (
            str(Path(envs[0].source).parent) if envs and envs[0].source else "environments"
        )
        problems = [
            *_check_derived_names(self.name_prefix, envs),
            *_check_accounts(envs),
            *_check_networks(envs),
            *_check_promotion_graph(self.environments),
        ]
        homes = [e.name for e in envs if e.datazone_home]
        if len(homes) != 1:
            problems.append(
                refuse(
                    f"expected exactly one environment with datazone_home: true, found {', '.join(homes) or 'none'}",
                    field="datazone_home",
                    file=directory,
                )
            )
        if problems:
            raise _refuse_all(problems, type(self).__name__, self)
        return self

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
        access to this environment's registry, bucket and key). Several environments may promote
        from one upstream: the environments form a tree rooted where versions are born."""
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
