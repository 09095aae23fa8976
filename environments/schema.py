"""Typed, frozen shapes of the environment configuration, validated by pydantic.

The YAML files in this folder are loaded into these objects by ``environments.loader``; nothing
else in the kit reads the YAML. Every object is a frozen pydantic dataclass (so
``dataclasses.replace`` re-validates) with its mappings read-only, so a stack or a script cannot
change the configuration it was given.

Rules live beside the fields they constrain: a field's type carries its pattern or range, a
class's ``after`` validator the rules between its fields, and :class:`PlatformConfig` the rules
between files (distinct accounts, non-overlapping CIDRs, the promotion graph, one DataZone home,
derived names within AWS limits). Each rule written here raises :func:`refuse` with what was
expected and what was found; the loader prefixes the file and the field.
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import re
from collections.abc import Callable, Collection, Hashable, Iterator, Mapping, Sequence
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


class Tier(enum.StrEnum):
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

#: Regions the kit knows SageMaker Studio, Model Registry and DataZone to be offered in.
KNOWN_REGIONS = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-2",
        "ca-central-1",
        "sa-east-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-central-1",
        "eu-north-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-south-1",
    }
)

#: The retention periods CloudWatch Logs accepts (PutRetentionPolicy ``retentionInDays``).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

#: The longest derived role name is "<prefix>-<env>-datazone-execution" (see naming.py).
_LONGEST_ROLE_SUFFIX = len("-datazone-execution")
#: The longest derived bucket name is "<prefix>-<env>-access-logs-<account id>".
_LONGEST_BUCKET_SUFFIX = len("-access-logs-") + 12
_MODEL_PACKAGE_GROUP = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")


class ConfigError(ValueError):
    """The configuration is invalid. Each problem (one line of the message) names the file, the
    field and what was expected; the loader reports every problem it finds, not only the first."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems: tuple[str, ...] = problems


class UnknownEnvironmentError(ConfigError):
    """An environment name that has no file in environments/."""


#: The pydantic error type of every refusal written in this module (see :func:`refuse`).
REFUSAL = "mlgov_config"


def refuse(expected: str, *, field: str = "", file: str = "") -> PydanticCustomError:
    """A validation error the loader turns into ``<file>: <field>: <expected>``.

    ``field`` is appended to the location pydantic reports (a class validator is located at its
    object, not at the field it judges); ``file`` replaces the file being validated (a rule
    between files blames the file that has to change).
    """
    return PydanticCustomError(REFUSAL, "{expected}", {"expected": expected, "field": field, "file": file})


def _refuse_all(problems: Sequence[PydanticCustomError], title: str, value: Any) -> ValidationError:
    """Several refusals at once (a validator can raise only one error, or a ValidationError that
    carries many); each keeps its field and file for the loader."""
    return ValidationError.from_exception_data(
        title, [InitErrorDetails(type=p, loc=(), input=value) for p in problems]
    )


def _again(errors: Sequence[Any]) -> list[InitErrorDetails]:
    """Errors of a nested validation, re-raised with the ones found beside it."""
    again: list[InitErrorDetails] = []
    for error in errors:
        ctx = error.get("ctx") or {}
        kind = PydanticCustomError(REFUSAL, "{expected}", ctx) if error["type"] == REFUSAL else error["type"]
        again.append(InitErrorDetails(type=kind, loc=error["loc"], input=error["input"], ctx=ctx))
    return again


# -- field types: a type with its rule and the expectation an error states ----------------------


def _matching(pattern: str, what: str) -> AfterValidator:
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if not regex.fullmatch(value):
            raise refuse(f"expected {what}, got {value!r}")
        return value

    return AfterValidator(check)


def _between(low: int, high: int, what: str) -> AfterValidator:
    def check(value: int) -> int:
        if not low <= value <= high:
            raise refuse(f"expected {low} to {high} {what}, got {value}")
        return value

    return AfterValidator(check)


def _among(allowed: Collection[Any], what: str) -> AfterValidator:
    def check(value: Any) -> Any:
        if value not in allowed:
            raise refuse(f"expected {what}, got {value!r}")
        return value

    return AfterValidator(check)


def _at_least(low: int, what: str) -> AfterValidator:
    def check(value: int) -> int:
        if value < low:
            raise refuse(f"expected at least {low} {what}, got {value}")
        return value

    return AfterValidator(check)


def _unique(expected: str, key: Callable[[Any], Hashable] = lambda v: v) -> AfterValidator:
    def check(values: tuple[Any, ...]) -> tuple[Any, ...]:
        if len({key(v) for v in values}) != len(values):
            raise refuse(expected)
        return values

    return AfterValidator(check)


def _not_empty(expected: str) -> AfterValidator:
    def check(values: tuple[Any, ...]) -> tuple[Any, ...]:
        if not values:
            raise refuse(expected)
        return values

    return AfterValidator(check)


def _read_only(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


def _account_id(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        raise refuse(
            "expected a 12-digit account id as a quoted string "
            f"(YAML drops leading zeros from numbers), got {value!r}"
        )
    return value


def _tier(value: Any) -> Tier:
    if isinstance(value, Tier):
        return value
    if isinstance(value, str) and value in {t.value for t in Tier}:
        return Tier(value)
    raise refuse(f"expected one of {', '.join(t.value for t in Tier)}, got {value!r}")


def _cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise refuse(f"expected an IPv4 CIDR block like 10.10.0.0/16, got {value!r} ({exc})") from None
    if network.version != 4 or not 16 <= network.prefixlen <= 24:
        raise refuse(f"expected an IPv4 block between /16 and /24, got {value!r}")
    return value


def _number(value: Any) -> float:
    # bool is an int; a metric floor of `true` is a typo, not 1.0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise refuse(f"expected a number, got {value!r}")
    return float(value)


def _tag_key(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not re.fullmatch(r"[\w.:/=+@ -]{1,128}", value)
        or value.lower().startswith("aws:")
    ):
        raise refuse("expected a tag key of 1-128 characters not starting with aws:")
    return value


def _tag_value(value: Any) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool) or len(str(value)) > 256:
        raise refuse(f"expected a string value of at most 256 characters, got {value!r}")
    return str(value)


Str = Annotated[str, Strict()]
Bool = Annotated[bool, Strict()]
Number = Annotated[float, BeforeValidator(_number)]

EnvName = Annotated[
    str,
    Strict(),
    _matching(r"[a-z][a-z0-9-]{1,31}", "2-32 lowercase letters, digits or hyphens starting with a letter"),
]
NamePrefix = Annotated[
    str,
    Strict(),
    _matching(r"[a-z][a-z0-9-]{1,11}", "2-12 lowercase letters, digits or hyphens starting with a letter"),
]
OrganizationId = Annotated[
    str, Strict(), _matching(r"o-[a-z0-9]{10,32}", "an AWS Organization id like o-a1b2c3d4e5")
]
AccountId = Annotated[
    str, Strict(), BeforeValidator(_account_id), _matching(r"\d{12}", "a 12-digit AWS account id")
]
Region = Annotated[
    str, Strict(), _among(KNOWN_REGIONS, f"a known AWS region ({', '.join(sorted(KNOWN_REGIONS))})")
]
RoleName = Annotated[
    str, Strict(), _matching(r"[\w+=,.@-]{1,64}", "an IAM role name of at most 64 characters")
]
_PRINCIPAL = r"arn:aws:(iam|sts)::\d{12}:(root|role/[\w+=,.@/-]+|user/[\w+=,.@/-]+)"
_PRINCIPAL_TEXT = "an IAM principal ARN (arn:aws:iam::<account>:root|role/...|user/...)"
#: A role or user named exactly, or a role ARN pattern (``*`` / ``?``: IAM Identity Center
#: permission sets' roles carry a generated suffix).
_NAMED_PRINCIPAL = re.compile(r"arn:aws:iam::(\d{12}):(role|user)/([\w+=,.@/-]+)")
_ROLE_PATTERN = re.compile(r"arn:aws:iam::(\d{12}):role/([\w+=,.@/*?-]+)")
_NAMED_TEXT = (
    "an IAM role or user ARN (arn:aws:iam::<account>:role/<name> or :user/<name>), or an IAM "
    "Identity Center permission set's role pattern (arn:aws:iam::<account>:role/aws-reserved/"
    "sso.amazonaws.com/AWSReservedSSO_<permission set>_*)"
)
#: Literal characters a role pattern's last path segment must keep: ``role/*`` or a path
#: ending in ``/*`` would trust every role of the account, as the account root does.
_PATTERN_LITERAL_MIN = 4


def _trusted_principal(value: Any) -> str:
    """A principal a kit role's trust policy may name: never the account root nor anyone.

    The account root in a trust policy lets every principal of the account whose own policies
    allow ``sts:AssumeRole`` become the role (the deploy role, a CI job, a compromised
    workstation's profile); ``*`` lets anyone. A pattern must name a role and keep a literal
    name: the trust matches it with ``ArnLike`` on ``aws:PrincipalArn``.
    """
    if not isinstance(value, str):
        raise refuse(f"expected {_NAMED_TEXT}, got {value!r}")
    if value.strip() == "*" or re.fullmatch(r"arn:aws:iam::\*:.*", value):
        raise refuse(
            f"expected {_NAMED_TEXT}, got {value!r}: a wildcard principal would let anyone assume the role"
        )
    if re.fullmatch(r"\d{12}|arn:aws:iam::\d{12}:root", value):
        raise refuse(
            f"expected {_NAMED_TEXT}, got the account root {value!r}: it would let every principal of "
            "the account that IAM allows sts:AssumeRole (the deploy role, a CI job) take the role; name "
            "the roles or users, or the permission set's role pattern"
        )
    if value.startswith("arn:aws:sts::"):
        raise refuse(
            f"expected {_NAMED_TEXT}, got the session {value!r}: name the role, not one session of it"
        )
    if _NAMED_PRINCIPAL.fullmatch(value):
        return value
    pattern = _ROLE_PATTERN.fullmatch(value)
    if pattern is None:
        raise refuse(f"expected {_NAMED_TEXT}, got {value!r}")
    last = pattern.group(2).rsplit("/", 1)[-1]
    if len(re.sub(r"[*?]", "", last)) < _PATTERN_LITERAL_MIN:
        raise refuse(
            f"expected a role pattern that keeps the role's name (at least {_PATTERN_LITERAL_MIN} literal "
            f"characters after the last /), got {value!r}: it would match nearly every role of the account"
        )
    return value


def is_pattern(principal: str) -> bool:
    """True for a role ARN pattern (matched with ``ArnLike`` on ``aws:PrincipalArn``)."""
    return "*" in principal or "?" in principal


def concrete_principal(principal: str) -> str:
    """A principal ARN that ``principal`` names: itself, or for a role pattern the pattern with
    each ``*`` the word ``local`` and each ``?`` an ``x`` (``..._MLGovApprover_*`` ->
    ``..._MLGovApprover_local``): the local cloud creates it, the access matrix tries it."""
    return principal.replace("*", "local").replace("?", "x")


def principal_account(principal: str) -> str:
    """The account of a principal ARN or pattern (always literal: the schema refuses ``*``)."""
    return principal.split(":")[4]


Principal = Annotated[str, Strict(), _matching(_PRINCIPAL, _PRINCIPAL_TEXT)]
TrustedPrincipal = Annotated[str, BeforeValidator(_trusted_principal)]
LifecycleStage = Annotated[
    str,
    Strict(),
    _matching(
        r"[A-Za-z0-9][A-Za-z0-9 _-]{0,62}",
        "a ModelLifeCycle stage name (letters, digits, space, _ or -; at most 63)",
    ),
]
Cidr = Annotated[str, Strict(), AfterValidator(_cidr)]
ProfileName = Annotated[
    str,
    Strict(),
    _matching(
        r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
        "a SageMaker user profile name (letters, digits, hyphens; at most 63)",
    ),
]
UseCaseName = Annotated[
    str, Strict(), _matching(r"[a-z][a-z0-9-]{1,39}", "2-40 lowercase letters, digits or hyphens")
]
CardSection = Annotated[str, Strict(), _among(CARD_SECTIONS, f"one of {', '.join(CARD_SECTIONS)}")]
BucketName = Annotated[
    str,
    Strict(),
    _matching(
        r"(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
        "an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)",
    ),
]
GitHubRepository = Annotated[
    str,
    Strict(),
    _matching(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}", "a GitHub repository as owner/name"),
]
# Git ref names: no wildcards here, the deploy role trusts exact subjects only.
Branch = Annotated[
    str,
    Strict(),
    _matching(
        r"(?!/)(?!.*//)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}(?<!/)",
        "a branch name like main (exact names, no wildcards)",
    ),
]
CiPrincipal = Annotated[
    str, Strict(), _matching(_PRINCIPAL, f"{_PRINCIPAL_TEXT} (exact names, no wildcards)")
]
LogRetentionDays = Annotated[
    int,
    Strict(),
    _among(
        LOG_RETENTION_DAYS,
        f"a retention in days CloudWatch Logs accepts ({', '.join(map(str, LOG_RETENTION_DAYS))})",
    ),
]
Tags = Annotated[
    Mapping[Annotated[str, BeforeValidator(_tag_key)], Annotated[str, BeforeValidator(_tag_value)]],
    AfterValidator(_read_only),
]


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


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
    """Who may assume the data-scientist role (:func:`_trusted_principal`: named roles or users,
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


# -- rules between files ----------------------------------------------------------------------------


# Each rule yields every refusal it finds; PlatformConfig reports them all at once.


def _check_derived_names(prefix: str, envs: Sequence[EnvironmentConfig]) -> Iterator[PydanticCustomError]:
    """Names built from ``name_prefix`` (platform.yaml) and an environment file fit AWS limits."""
    for env in envs:
        for i, uc in enumerate(env.use_cases):
            group = f"{prefix}-{uc.name}"
            if not _MODEL_PACKAGE_GROUP.fullmatch(group):
                yield refuse(
                    f"model package group name {group!r} breaks SageMaker's pattern",
                    field=f"use_cases[{i}].name",
                    file=env.source,
                )
        base = f"{prefix}-{env.name}"
        if len(base) + _LONGEST_ROLE_SUFFIX > 64:
            yield refuse(
                f"derived IAM role name {base}-datazone-execution exceeds 64 characters; "
                "shorten name_prefix or name",
                field="name",
                file=env.source,
            )
        if len(base) + _LONGEST_BUCKET_SUFFIX > 63:
            yield refuse(
                f"derived bucket name {base}-access-logs-{env.account_id} exceeds 63 characters; "
                "shorten name_prefix or name",
                field="name",
                file=env.source,
            )


def _check_accounts(envs: Sequence[EnvironmentConfig]) -> Iterator[PydanticCustomError]:
    seen: dict[str, EnvironmentConfig] = {}
    for env in envs:
        other = seen.setdefault(env.account_id, env)
        if other is not env:
            yield refuse(
                f"expected an account of its own, but {env.account_id} is already used by "
                f"{other.name!r} in {other.source} (one AWS account per environment)",
                field="account_id",
                file=env.source,
            )


def _check_networks(envs: Sequence[EnvironmentConfig]) -> Iterator[PydanticCustomError]:
    nets = [(e, ipaddress.ip_network(e.network.cidr)) for e in envs]
    for i, (a, net_a) in enumerate(nets):
        for b, net_b in nets[i + 1 :]:
            # overlaps() is symmetric: b inside a, a inside b, or equal (subnet_of is one-way)
            if net_a.overlaps(net_b):
                yield refuse(
                    f"expected a block not overlapping {a.name}'s {a.network.cidr}, got {b.network.cidr}",
                    field="network.cidr",
                    file=b.source,
                )


def _check_promotion_graph(envs: Mapping[str, EnvironmentConfig]) -> Iterator[PydanticCustomError]:
    for env in envs.values():
        if env.promotes_from is None:
            continue
        if env.promotes_from == env.name:
            yield refuse("an environment cannot promote from itself", field="promotes_from", file=env.source)
            continue
        if env.promotes_from not in envs:
            yield refuse(
                f"expected one of {', '.join(sorted(envs))} or null, got {env.promotes_from!r}",
                field="promotes_from",
                file=env.source,
            )
            continue
        upstream = envs[env.promotes_from]
        missing = sorted({u.name for u in env.use_cases} - {u.name for u in upstream.use_cases})
        if missing:
            yield refuse(
                f"{', '.join(missing)} not defined upstream in {upstream.name}; "
                "a use case must exist where its versions are promoted from",
                field="use_cases",
                file=env.source,
            )
    # Cycles: walk upstream from every environment (links refused above end the walk); each
    # cycle is reported once, from the first environment whose walk meets it.
    reported: set[frozenset[str]] = set()
    for env in envs.values():
        seen = [env.name]
        current = env
        while (upstream_name := current.promotes_from) is not None:
            if upstream_name not in envs or upstream_name == current.name:
                break
            if upstream_name in seen:
                cycle = frozenset(seen[seen.index(upstream_name) :])
                if cycle not in reported:
                    reported.add(cycle)
                    chain = " -> ".join([*seen, upstream_name])
                    yield refuse(
                        f"promotion chain has a cycle: {chain}", field="promotes_from", file=env.source
                    )
                break
            seen.append(upstream_name)
            current = envs[upstream_name]
