"""The configuration's field types and their rules, and the errors a refusal raises.

A field's type carries its pattern or range (``AccountId``, ``Region``, ``Cidr``,
``TrustedPrincipal``...): :mod:`environments.schema` builds its sections from these types, and
:mod:`environments.rules` checks the rules between files. Each rule written here raises
:func:`refuse` with what was expected and what was found; the loader prefixes the file and the
field. The trusted-principal helpers (:func:`is_pattern`, :func:`concrete_principal`,
:func:`principal_account`) are read by the constructs and the access matrix.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Strict, ValidationError
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
#: The words the kit accepts for Model Monitor's two most common schedules, and their expressions.
MONITOR_SCHEDULE_WORDS = {"hourly": "cron(0 * ? * * *)", "daily": "cron(0 0 ? * * *)"}
#: The cron expressions Model Monitor accepts for a schedule (Developer Guide, "The cron expression
#: for monitoring schedule"; API reference ScheduleConfig): at minute 0, every hour
#: ``cron(0 * ? * * *)``, daily at an hour ``cron(0 H ? * * *)``, or every N hours from an hour
#: ``cron(0 H/N ? * * *)`` (H 0-23, N 1-24).
MONITOR_CRON = re.compile(r"cron\(0 (\*|(?:[01]?[0-9]|2[0-3])(?:/(?:0?[1-9]|1[0-9]|2[0-4]))?) \? \* \* \*\)")


def _monitor_schedule(value: str) -> str:
    """A schedule word as its cron expression; a cron expression Model Monitor accepts as is."""
    expression = MONITOR_SCHEDULE_WORDS.get(value, value)
    if not MONITOR_CRON.fullmatch(expression):
        raise refuse(
            f"expected hourly, daily, or a cron expression Model Monitor accepts (cron(0 * ? * * *), "
            f"cron(0 H ? * * *) or cron(0 H/N ? * * *), H 0-23, N 1-24, in UTC), got {value!r}"
        )
    return expression


MonitorSchedule = Annotated[str, Strict(), AfterValidator(_monitor_schedule)]
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
