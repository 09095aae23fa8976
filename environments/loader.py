"""Load and validate ``environments/*.yaml`` into frozen :mod:`environments.schema` objects.

Every check runs before anything is returned, so a bad file stops the run before a stack is
synthesized or a script touches AWS. Errors name the file, the field and what was expected::

    environments/dev.yaml: account_id: expected a 12-digit AWS account id in quotes, got '1234'
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .schema import (
    CARD_SECTIONS,
    CiConfig,
    ConfigError,
    EnvironmentConfig,
    GovernanceConfig,
    NetworkConfig,
    PlatformConfig,
    RemoteStateConfig,
    StudioConfig,
    Tier,
    UseCase,
)

DEFAULT_DIR = Path(__file__).resolve().parent
PLATFORM_FILE = "platform.yaml"

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

_ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,11}$")
_USE_CASE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_ORG = re.compile(r"^o-[a-z0-9]{10,32}$")
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_PRINCIPAL = re.compile(r"^arn:aws:(iam|sts)::\d{12}:(root|role/[\w+=,.@/-]+|user/[\w+=,.@/-]+)$")
_PROFILE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")  # SageMaker UserProfileName
_MPG = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")  # SageMaker ModelPackageGroupName
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_TAG_KEY = re.compile(r"^[\w.:/=+@ -]{1,128}$")
_STAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,62}$")
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
# Git ref names: no wildcards here, the deploy role trusts exact subjects only.
_BRANCH = re.compile(r"^(?!/)(?!.*//)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}(?<!/)$")

#: The longest derived role name is "<prefix>-<env>-datazone-execution" (see naming.py).
_LONGEST_ROLE_SUFFIX = len("-datazone-execution")
#: The longest derived bucket name is "<prefix>-<env>-access-logs-<account id>".
_LONGEST_BUCKET_SUFFIX = len("-access-logs-") + 12


class _File:
    """Error helper bound to one file: ``f.fail("network.cidr", "expected ...")``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.label = str(path.relative_to(Path.cwd()))
        except ValueError:
            self.label = str(path)

    def fail(self, field: str, expected: str) -> ConfigError:
        return ConfigError(f"{self.label}: {field}: {expected}")

    def mapping(self, data: Any, field: str) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            raise self.fail(field, f"expected a mapping, got {type(data).__name__}")
        return data

    def get(
        self,
        data: Mapping[str, Any],
        key: str,
        typ: type | tuple[type, ...],
        field: str | None = None,
        *,
        required: bool = True,
        default: Any = None,
    ) -> Any:
        name = field or key
        if key not in data or data[key] is None:
            if required:
                raise self.fail(name, "is required")
            return default
        value = data[key]
        # bool is an int; never accept it where a number or a string is meant
        if isinstance(value, bool) and bool not in (typ if isinstance(typ, tuple) else (typ,)):
            raise self.fail(name, f"expected {_type_name(typ)}, got a boolean")
        if not isinstance(value, typ):
            raise self.fail(name, f"expected {_type_name(typ)}, got {type(value).__name__} {value!r}")
        return value

    def no_unknown_keys(self, data: Mapping[str, Any], allowed: set[str], where: str = "") -> None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            field = f"{where}.{unknown[0]}" if where else unknown[0]
            raise self.fail(field, f"unknown key; allowed keys are {', '.join(sorted(allowed))}")


def _type_name(typ: type | tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a mapping",
    }
    types = typ if isinstance(typ, tuple) else (typ,)
    return " or ".join(names.get(t, t.__name__) for t in types)


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read file: {exc.strerror}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


def _load_ci(f: _File, data: Mapping[str, Any]) -> CiConfig | None:
    raw = f.get(data, "ci", dict, required=False)
    if raw is None:
        return None
    f.no_unknown_keys(
        raw,
        {"github_repository", "branches", "plan_on_pull_request", "admin_principals", "create_oidc_provider"},
        "ci",
    )
    repo = f.get(raw, "github_repository", str, "ci.github_repository")
    if not _GITHUB_REPO.match(repo):
        raise f.fail("ci.github_repository", f"expected a GitHub repository as owner/name, got {repo!r}")

    def names(key: str, pattern: re.Pattern[str], what: str, default: list[str]) -> tuple[str, ...]:
        values = f.get(raw, key, list, f"ci.{key}", required=False, default=default)
        for i, v in enumerate(values):
            if not isinstance(v, str) or not pattern.match(v):
                raise f.fail(f"ci.{key}[{i}]", f"expected {what} (exact names, no wildcards), got {v!r}")
        if len(set(values)) != len(values):
            raise f.fail(f"ci.{key}", "expected unique names")
        return tuple(values)

    branches = names("branches", _BRANCH, "a branch name like main", ["main"])
    admins = names(
        "admin_principals",
        _PRINCIPAL,
        "an IAM principal ARN (arn:aws:iam::<account>:root|role/...|user/...)",
        [],
    )
    return CiConfig(
        github_repository=repo,
        branches=branches,
        plan_on_pull_request=f.get(
            raw, "plan_on_pull_request", bool, "ci.plan_on_pull_request", required=False, default=True
        ),
        admin_principals=admins,
        create_oidc_provider=f.get(
            raw, "create_oidc_provider", bool, "ci.create_oidc_provider", required=False, default=True
        ),
    )


def _load_platform(path: Path) -> tuple[str, str | None, CiConfig | None]:
    f = _File(path)
    data = f.mapping(_read_yaml(path) if path.exists() else {"name_prefix": "mlgov"}, "(top level)")
    f.no_unknown_keys(data, {"name_prefix", "organization_id", "ci"})
    prefix = f.get(data, "name_prefix", str)
    if not _PREFIX.match(prefix):
        raise f.fail(
            "name_prefix",
            f"expected 2-12 lowercase letters, digits or hyphens starting with a letter, got {prefix!r}",
        )
    org = f.get(data, "organization_id", str, required=False)
    if org is not None and not _ORG.match(org):
        raise f.fail("organization_id", f"expected an AWS Organization id like o-a1b2c3d4e5, got {org!r}")
    return prefix, org, _load_ci(f, data)


_ENV_KEYS = {
    "name",
    "tier",
    "account_id",
    "region",
    "deploy_role_name",
    "promotes_from",
    "lifecycle_stage",
    "network",
    "studio",
    "approvers",
    "use_cases",
    "governance",
    "datazone_home",
    "remote_state",
    "tags",
}


def _load_environment(path: Path, prefix: str) -> EnvironmentConfig:
    f = _File(path)
    data = f.mapping(_read_yaml(path), "(top level)")
    f.no_unknown_keys(data, _ENV_KEYS)

    name = f.get(data, "name", str)
    if name != path.stem:
        raise f.fail("name", f"expected {path.stem!r} (the file name without .yaml), got {name!r}")
    if not _ENV_NAME.match(name):
        raise f.fail(
            "name", f"expected 2-32 lowercase letters, digits or hyphens starting with a letter, got {name!r}"
        )

    tier_raw = f.get(data, "tier", str)
    try:
        tier = Tier(tier_raw)
    except ValueError:
        raise f.fail("tier", f"expected one of dev, staging, prod, got {tier_raw!r}") from None

    account_raw = data.get("account_id")
    if isinstance(account_raw, int) and not isinstance(account_raw, bool):
        raise f.fail(
            "account_id",
            "expected a 12-digit account id as a quoted string "
            f"(YAML drops leading zeros from numbers), got {account_raw!r}",
        )
    account_id = f.get(data, "account_id", str)
    if not _ACCOUNT.match(account_id):
        raise f.fail("account_id", f"expected a 12-digit AWS account id, got {account_id!r}")

    region = f.get(data, "region", str)
    if region not in KNOWN_REGIONS:
        raise f.fail(
            "region", f"expected a known AWS region ({', '.join(sorted(KNOWN_REGIONS))}), got {region!r}"
        )

    deploy_role_name = f.get(data, "deploy_role_name", str)
    if not _ROLE_NAME.match(deploy_role_name):
        raise f.fail(
            "deploy_role_name",
            f"expected an IAM role name of at most 64 characters, got {deploy_role_name!r}",
        )

    promotes_from = f.get(data, "promotes_from", str, required=False)
    stage = f.get(data, "lifecycle_stage", str)
    if not _STAGE.match(stage):
        raise f.fail(
            "lifecycle_stage",
            f"expected a ModelLifeCycle stage name (letters, digits, space, _ or -; at most 63), got {stage!r}",
        )

    net = f.mapping(f.get(data, "network", dict), "network")
    f.no_unknown_keys(net, {"cidr", "az_count"}, "network")
    cidr = f.get(net, "cidr", str, "network.cidr")
    try:
        network_obj = ipaddress.ip_network(cidr, strict=True)
    except ValueError as exc:
        raise f.fail(
            "network.cidr", f"expected an IPv4 CIDR block like 10.10.0.0/16, got {cidr!r} ({exc})"
        ) from None
    if network_obj.version != 4 or not 16 <= network_obj.prefixlen <= 24:
        raise f.fail("network.cidr", f"expected an IPv4 block between /16 and /24, got {cidr!r}")
    az_count = f.get(net, "az_count", int, "network.az_count")
    if not 2 <= az_count <= 6:
        raise f.fail("network.az_count", f"expected 2 to 6 availability zones, got {az_count}")

    studio = f.mapping(f.get(data, "studio", dict), "studio")
    f.no_unknown_keys(studio, {"user_profiles"}, "studio")
    profiles = f.get(studio, "user_profiles", list, "studio.user_profiles")
    for i, p in enumerate(profiles):
        if not isinstance(p, str) or not _PROFILE.match(p):
            raise f.fail(
                f"studio.user_profiles[{i}]",
                f"expected a SageMaker user profile name (letters, digits, hyphens; at most 63), got {p!r}",
            )
    if len(set(profiles)) != len(profiles):
        raise f.fail("studio.user_profiles", "expected unique names")

    approvers = f.get(data, "approvers", list)
    if not approvers:
        raise f.fail("approvers", "expected at least one IAM principal ARN allowed to approve models")
    for i, a in enumerate(approvers):
        if not isinstance(a, str) or not _PRINCIPAL.match(a):
            raise f.fail(
                f"approvers[{i}]",
                f"expected an IAM principal ARN (arn:aws:iam::<account>:root|role/...|user/...), got {a!r}",
            )
        if a == "*":
            raise f.fail(f"approvers[{i}]", "expected a named principal, not '*'")

    ucs_raw = f.get(data, "use_cases", list)
    if not ucs_raw:
        raise f.fail("use_cases", "expected at least one use case")
    use_cases: list[UseCase] = []
    for i, uc in enumerate(ucs_raw):
        where = f"use_cases[{i}]"
        uc = f.mapping(uc, where)
        f.no_unknown_keys(uc, {"name", "description"}, where)
        uc_name = f.get(uc, "name", str, f"{where}.name")
        if not _USE_CASE.match(uc_name):
            raise f.fail(
                f"{where}.name", f"expected 2-40 lowercase letters, digits or hyphens, got {uc_name!r}"
            )
        group = f"{prefix}-{uc_name}"
        if not _MPG.match(group):
            raise f.fail(f"{where}.name", f"model package group name {group!r} breaks SageMaker's pattern")
        use_cases.append(
            UseCase(
                uc_name, f.get(uc, "description", str, f"{where}.description", required=False, default="")
            )
        )
    if len({u.name for u in use_cases}) != len(use_cases):
        raise f.fail("use_cases", "expected unique use case names")

    gov = f.mapping(f.get(data, "governance", dict), "governance")
    f.no_unknown_keys(gov, {"required_card_sections", "metric_minimums"}, "governance")
    sections = f.get(
        gov, "required_card_sections", list, "governance.required_card_sections", required=False, default=[]
    )
    for i, s in enumerate(sections):
        if s not in CARD_SECTIONS:
            raise f.fail(
                f"governance.required_card_sections[{i}]",
                f"expected one of {', '.join(CARD_SECTIONS)}, got {s!r}",
            )
    minimums_raw = f.mapping(
        f.get(gov, "metric_minimums", dict, "governance.metric_minimums", required=False, default={}),
        "governance.metric_minimums",
    )
    minimums: dict[str, float] = {}
    for metric, value in minimums_raw.items():
        field = f"governance.metric_minimums.{metric}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise f.fail(field, f"expected a number, got {value!r}")
        minimums[str(metric)] = float(value)

    datazone_home = f.get(data, "datazone_home", bool, required=False, default=False)

    remote_state = None
    rs = f.get(data, "remote_state", dict, required=False)
    if rs is not None:
        f.no_unknown_keys(rs, {"bucket", "key", "region", "use_lockfile", "kms_key_id"}, "remote_state")
        bucket = f.get(rs, "bucket", str, "remote_state.bucket")
        if not _BUCKET.match(bucket) or ".." in bucket:
            raise f.fail(
                "remote_state.bucket",
                f"expected an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens), got {bucket!r}",
            )
        rs_region = f.get(rs, "region", str, "remote_state.region", required=False, default=region)
        if rs_region not in KNOWN_REGIONS:
            raise f.fail("remote_state.region", f"expected a known AWS region, got {rs_region!r}")
        remote_state = RemoteStateConfig(
            bucket=bucket,
            key=f.get(rs, "key", str, "remote_state.key", required=False, default=f"platform/{name}.tfstate"),
            region=rs_region,
            use_lockfile=f.get(
                rs, "use_lockfile", bool, "remote_state.use_lockfile", required=False, default=True
            ),
            kms_key_id=f.get(rs, "kms_key_id", str, "remote_state.kms_key_id", required=False),
        )

    tags_raw = f.mapping(f.get(data, "tags", dict, required=False, default={}), "tags")
    tags: dict[str, str] = {}
    for k, v in tags_raw.items():
        if not isinstance(k, str) or not _TAG_KEY.match(k) or k.lower().startswith("aws:"):
            raise f.fail(f"tags.{k}", "expected a tag key of 1-128 characters not starting with aws:")
        if not isinstance(v, (str, int, float)) or isinstance(v, bool) or len(str(v)) > 256:
            raise f.fail(f"tags.{k}", f"expected a string value of at most 256 characters, got {v!r}")
        tags[k] = str(v)

    # Derived names must fit AWS limits (role names 64, bucket names 63).
    base = f"{prefix}-{name}"
    if len(base) + _LONGEST_ROLE_SUFFIX > 64:
        raise f.fail(
            "name",
            f"derived IAM role name {base}-datazone-execution exceeds 64 characters; shorten name_prefix or name",
        )
    if len(base) + _LONGEST_BUCKET_SUFFIX > 63:
        raise f.fail(
            "name",
            f"derived bucket name {base}-access-logs-{account_id} exceeds 63 characters; shorten name_prefix or name",
        )

    return EnvironmentConfig(
        name=name,
        tier=tier,
        account_id=account_id,
        region=region,
        deploy_role_name=deploy_role_name,
        promotes_from=promotes_from,
        lifecycle_stage=stage,
        network=NetworkConfig(cidr=cidr, az_count=az_count),
        studio=StudioConfig(user_profiles=tuple(profiles)),
        approvers=tuple(approvers),
        use_cases=tuple(use_cases),
        governance=GovernanceConfig(required_card_sections=tuple(sections), metric_minimums=minimums),
        datazone_home=datazone_home,
        remote_state=remote_state,
        tags=tags,
        source=f.label,
    )


def _validate_platform(envs: dict[str, EnvironmentConfig], directory: Path) -> None:
    if not envs:
        raise ConfigError(
            f"{directory}: no environment files (*.yaml besides {PLATFORM_FILE}); add one, e.g. dev.yaml"
        )

    accounts: dict[str, EnvironmentConfig] = {}
    for env in envs.values():
        if env.account_id in accounts:
            other = accounts[env.account_id]
            raise ConfigError(
                f"{env.source}: account_id: expected an account of its own, but {env.account_id} "
                f"is already used by {other.name!r} in {other.source} (one AWS account per environment)"
            )
        accounts[env.account_id] = env

    nets = [(e, ipaddress.ip_network(e.network.cidr)) for e in envs.values()]
    for i, (a, na) in enumerate(nets):
        for b, nb in nets[i + 1 :]:
            if na.overlaps(nb):
                raise ConfigError(
                    f"{b.source}: network.cidr: expected a block not overlapping {a.name}'s "
                    f"{a.network.cidr}, got {b.network.cidr}"
                )

    for env in envs.values():
        if env.promotes_from is None:
            continue
        if env.promotes_from == env.name:
            raise ConfigError(f"{env.source}: promotes_from: an environment cannot promote from itself")
        if env.promotes_from not in envs:
            raise ConfigError(
                f"{env.source}: promotes_from: expected one of {', '.join(sorted(envs))} or null, "
                f"got {env.promotes_from!r}"
            )
        upstream = envs[env.promotes_from]
        missing = sorted({u.name for u in env.use_cases} - {u.name for u in upstream.use_cases})
        if missing:
            raise ConfigError(
                f"{env.source}: use_cases: {', '.join(missing)} not defined upstream in "
                f"{upstream.name}; a use case must exist where its versions are promoted from"
            )

    for env in envs.values():  # cycles: walk upstream from every environment
        seen = [env.name]
        current = env
        while current.promotes_from is not None:
            if current.promotes_from in seen:
                chain = " -> ".join([*seen, current.promotes_from])
                raise ConfigError(f"{env.source}: promotes_from: promotion chain has a cycle: {chain}")
            seen.append(current.promotes_from)
            current = envs[current.promotes_from]

    homes = [e for e in envs.values() if e.datazone_home]
    if len(homes) != 1:
        found = ", ".join(e.name for e in homes) or "none"
        raise ConfigError(
            f"{directory}: datazone_home: expected exactly one environment with datazone_home: true, found {found}"
        )


def load_platform(directory: str | Path | None = None) -> PlatformConfig:
    """Load every ``*.yaml`` in ``directory`` (default: this package's folder).

    ``platform.yaml`` holds the platform-wide settings; every other YAML file is one environment.
    Raises :class:`ConfigError` on the first problem found.
    """
    directory = Path(directory) if directory is not None else DEFAULT_DIR
    if not directory.is_dir():
        raise ConfigError(f"{directory}: not a directory of environment files")
    prefix, org, ci = _load_platform(directory / PLATFORM_FILE)
    envs: dict[str, EnvironmentConfig] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name == PLATFORM_FILE:
            continue
        env = _load_environment(path, prefix)
        envs[env.name] = env
    _validate_platform(envs, directory)
    return PlatformConfig(name_prefix=prefix, organization_id=org, environments=envs, ci=ci)
