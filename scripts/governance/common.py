"""Shared helpers of the governance jobs: configuration, sessions per environment role, clients,
SSM discovery, typed errors with exit codes, output and logging.

Every job acts in an account through one of that environment's roles. :func:`env_context` is the
one place that assumes a role (``execution | data_scientist | approver | promotion``) and hands
out clients built with standard retries. Everything else a job needs (bucket, KMS key, group
name, lifecycle stage, DataZone project id) is read from the SSM parameters the platform stack
publishes, at the paths computed by :class:`environments.Names`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, NoCredentialsError

from environments import (
    ConfigError,
    EnvironmentConfig,
    Names,
    PlatformConfig,
    UnknownEnvironmentError,
    load_platform,
)

logger = logging.getLogger(__name__)

#: Exit codes shared by every job.
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

#: Role keys a job may act as (see ``environments.naming.ROLE_SUFFIXES``).
ROLE_KEYS = ("execution", "data_scientist", "approver", "promotion")

#: Error codes AWS returns when the credentials of an assumed role have run out.
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
)

RETRY_CONFIG = Config(retries={"mode": "standard"})


# -- errors ------------------------------------------------------------------------------------
class GovernanceError(Exception):
    """Base of every error a job reports to a person; ``exit_code`` is what the CLI returns."""

    exit_code = EXIT_FAILED

    def to_dict(self) -> dict[str, Any]:
        return {"error": type(self).__name__, "message": str(self)}


class UsageError(GovernanceError):
    """Bad input: unknown environment, unknown version, malformed option. Nothing was changed."""

    exit_code = EXIT_USAGE


class UnknownVersionError(UsageError):
    """The model version named on the command line does not exist in that environment."""


class CardValidationError(UsageError):
    """Model card content does not match the SageMaker model card schema."""


class RefusedError(GovernanceError):
    """A governance gate refused the request. ``failures`` names each failed gate and why."""

    def __init__(self, message: str, failures: Sequence[Mapping[str, str]] = ()):
        super().__init__(message)
        self.failures = [dict(f) for f in failures]

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "failures": self.failures}


class PermissionDeniedError(GovernanceError):
    """AWS denied a call; the message names the role, the action and the resource."""


class CredentialsError(GovernanceError):
    """A role could not be assumed, or its credentials expired again after one re-assume."""


class AwsCallError(GovernanceError):
    """Any other AWS error, with the operation that failed."""


def describe_client_error(err: ClientError, *, role_arn: str | None = None) -> GovernanceError:
    """Turn a botocore error into the typed error a person can act on."""
    code = err.response.get("Error", {}).get("Code", "Unknown")
    message = err.response.get("Error", {}).get("Message", str(err))
    op = getattr(err, "operation_name", "call")
    who = f" as {role_arn}" if role_arn else ""
    if code in DENIED_CODES:
        return PermissionDeniedError(
            f"{op} was denied{who}: {message}. Run the job with the role allowed to do this, or "
            "check that role's policy and the resource policy of the target."
        )
    if code in EXPIRED_CODES:
        return CredentialsError(f"{op}{who}: credentials expired ({message})")
    return AwsCallError(f"{op}{who} failed: {code}: {message}")


def error_code(err: ClientError) -> str:
    return err.response.get("Error", {}).get("Code", "")


# -- configuration -----------------------------------------------------------------------------
def load_config(config_dir: str | None = None) -> PlatformConfig:
    """Load ``environments/`` (or ``config_dir``); configuration errors become usage errors."""
    try:
        return load_platform(config_dir)
    except ConfigError as err:
        raise UsageError(str(err)) from err


def resolve_env(platform: PlatformConfig, name: str) -> EnvironmentConfig:
    try:
        return platform.env(name)
    except UnknownEnvironmentError as err:
        raise UsageError(str(err)) from None


def resolve_use_case(env: EnvironmentConfig, use_case: str | None) -> str:
    """The named use case, or the environment's only/first one when none is given."""
    if use_case is None:
        if not env.use_cases:
            raise UsageError(f"environment {env.name!r} has no use_cases in {env.source}")
        return env.use_cases[0].name
    try:
        return env.use_case(use_case).name
    except KeyError:
        known = ", ".join(u.name for u in env.use_cases)
        raise UsageError(
            f"unknown use case {use_case!r} in environment {env.name!r}: known use cases are "
            f"{known} (add it under use_cases in {env.source or env.name + '.yaml'})"
        ) from None


# -- sessions and clients ----------------------------------------------------------------------
#: Observers called with every client a job creates (the bench registers API counters here).
_client_observers: list[Callable[[Any], None]] = []
_observers_lock = threading.Lock()


def add_client_observer(observer: Callable[[Any], None]) -> None:
    with _observers_lock:
        _client_observers.append(observer)


def remove_client_observer(observer: Callable[[Any], None]) -> None:
    with _observers_lock:
        if observer in _client_observers:
            _client_observers.remove(observer)


_shared_loader = None


def new_session(**kwargs: Any) -> boto3.Session:
    """A boto3 session sharing one botocore data loader with every other session of the process.

    Each assumed role needs its own session, and a fresh botocore session would parse the
    service models again (the SageMaker model alone is several MB of JSON, ~0.5 s per session).
    """
    global _shared_loader
    import botocore.loaders
    import botocore.session

    if _shared_loader is None:
        _shared_loader = botocore.loaders.create_loader()
    core = botocore.session.get_session()
    core.register_component("data_loader", _shared_loader)
    return boto3.Session(botocore_session=core, **kwargs)


def base_session() -> boto3.Session:
    """The caller's own credentials (normal resolution: env vars, profile, instance role)."""
    return new_session()


def _assume(names: Names, role_key: str, job: str, source: boto3.Session) -> boto3.Session:
    role_arn = names.role_arn(role_key)
    sts = source.client("sts", region_name=names.env.region, config=RETRY_CONFIG)
    with _observers_lock:
        observers = list(_client_observers)
    for observe in observers:
        observe(sts)
    try:
        creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=f"mlgov-{job}")["Credentials"]
    except ClientError as err:
        raise CredentialsError(
            f"cannot assume {role_arn} for {job} in environment {names.env.name!r}: "
            f"{error_code(err)}: {err.response.get('Error', {}).get('Message', '')}. Check that "
            "your credentials may assume it (its trust policy) and that the stack is deployed."
        ) from err
    except NoCredentialsError as err:
        raise CredentialsError(
            "no AWS credentials found: configure a profile or set AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY (the local cloud sets them for you)"
        ) from err
    return new_session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=names.env.region,
    )


class _ReassumingClient:
    """A boto3 client proxy: on expired credentials it re-assumes the role once and retries;
    a second expiry is a :class:`CredentialsError`. Any other AWS error passes through."""

    def __init__(self, ctx: EnvContext, service: str):
        self._ctx = ctx
        self._service = service
        self._client = ctx._raw_client(service)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr) or name in ("get_paginator", "can_paginate", "get_waiter"):
            return attr
        # Paginators and waiters are built from the current client; the method call is wrapped.

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return getattr(self._client, name)(*args, **kwargs)
            except ClientError as err:
                if error_code(err) not in EXPIRED_CODES:
                    raise
                logger.warning("credentials of %s expired; assuming it again", self._ctx.role_arn)
                self._ctx.reassume()
                self._client = self._ctx._raw_client(self._service)
                try:
                    return getattr(self._client, name)(*args, **kwargs)
                except ClientError as again:
                    if error_code(again) in EXPIRED_CODES:
                        raise CredentialsError(
                            f"credentials of {self._ctx.role_arn} expired again right after "
                            "being re-assumed; check the clock of this machine and the role's "
                            "maximum session duration"
                        ) from again
                    raise

        return call


@dataclass
class EnvContext:
    """One environment, acted on as one of its roles. Clients and SSM values are cached."""

    platform: PlatformConfig
    env: EnvironmentConfig
    role_key: str
    job: str
    session: boto3.Session | None = None
    _source: boto3.Session | None = None
    _clients: dict[str, Any] = field(default_factory=dict)
    _params: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _caller: str | None = None

    @property
    def names(self) -> Names:
        return Names.of(self.platform, self.env)

    @property
    def role_arn(self) -> str:
        return self.names.role_arn(self.role_key)

    def reassume(self) -> None:
        with self._lock:
            self.session = _assume(self.names, self.role_key, self.job, self._source or base_session())
            self._clients.clear()

    def _raw_client(self, service: str) -> Any:
        if self.session is None:
            self.reassume()
        assert self.session is not None
        client = self.session.client(service, region_name=self.env.region, config=RETRY_CONFIG)
        with _observers_lock:
            observers = list(_client_observers)
        for observe in observers:
            observe(client)
        return client

    def client(self, service: str) -> Any:
        """A client for ``service`` in this environment's account, as this role. Clients are
        thread safe; the proxy is cached per service."""
        with self._lock:
            existing = self._clients.get(service)
        if existing is not None:
            return existing
        created = _ReassumingClient(self, service)
        with self._lock:
            return self._clients.setdefault(service, created)

    def param(self, path: str) -> str:
        """An SSM parameter the stack published; a clear error names it when missing."""
        if path not in self._params:
            self.params([path])
        return self._params[path]

    def params(self, paths: Iterable[str]) -> dict[str, str]:
        """Several SSM parameters in batches of ten (GetParameters' limit)."""
        wanted = [p for p in dict.fromkeys(paths) if p not in self._params]
        ssm = self.client("ssm")
        for start in range(0, len(wanted), 10):
            batch = wanted[start : start + 10]
            try:
                resp = ssm.get_parameters(Names=batch)
            except ClientError as err:
                raise describe_client_error(err, role_arn=self.role_arn) from err
            for p in resp.get("Parameters", []):
                self._params[p["Name"]] = p["Value"]
            if resp.get("InvalidParameters"):
                raise UsageError(
                    f"SSM parameter(s) {', '.join(resp['InvalidParameters'])} not found in "
                    f"account {self.env.account_id} ({self.env.name}): deploy the "
                    f"{self.env.name} stack first (python -m scripts.deploy apply)"
                )
        return {p: self._params[p] for p in paths}

    # Values every job reads, each from its SSM parameter.
    @property
    def artifact_bucket(self) -> str:
        return self.param(self.names.ssm_artifact_bucket)

    @property
    def kms_key_arn(self) -> str:
        return self.param(self.names.ssm_kms_key_arn)

    @property
    def lifecycle_stage(self) -> str:
        return self.param(self.names.ssm_lifecycle_stage)

    def group_name(self, use_case: str) -> str:
        return self.param(self.names.ssm_group_name(use_case))

    def caller_arn(self) -> str:
        """Who is acting (``sts get-caller-identity``), for audit records."""
        if self._caller is None:
            try:
                self._caller = self.client("sts").get_caller_identity()["Arn"]
            except ClientError as err:
                raise describe_client_error(err, role_arn=self.role_arn) from err
        return self._caller


def env_context(
    platform: PlatformConfig,
    env_name: str,
    role_key: str,
    *,
    job: str,
    source: boto3.Session | None = None,
) -> EnvContext:
    """The ONE way a job gets at an account: environment ``env_name`` as its ``role_key`` role.

    The role is assumed lazily on the first client, so building a context for a dry run or a
    usage error costs no call.
    """
    if role_key not in ROLE_KEYS:
        raise UsageError(f"unknown role {role_key!r}: expected one of {', '.join(ROLE_KEYS)}")
    env = resolve_env(platform, env_name)
    return EnvContext(platform=platform, env=env, role_key=role_key, job=job, _source=source)


def datazone_project_id(
    platform: PlatformConfig,
    use_case: str,
    *,
    job: str,
    source: boto3.Session | None = None,
    role_key: str = "data_scientist",
) -> str:
    """The DataZone project id of ``use_case``, from the DataZone home environment's SSM."""
    home = platform.datazone_home
    ctx = env_context(platform, home.name, role_key, job=job, source=source)
    return ctx.param(ctx.names.ssm_datazone_project_id(use_case))


# -- model versions ----------------------------------------------------------------------------
def list_versions(ctx: EnvContext, group: str) -> list[dict[str, Any]]:
    """Every version summary of a group, oldest first (paginated)."""
    sm = ctx.client("sagemaker")
    out: list[dict[str, Any]] = []
    try:
        pages = sm.get_paginator("list_model_packages").paginate(
            ModelPackageGroupName=group,
            ModelPackageType="Versioned",
            SortBy="CreationTime",
            SortOrder="Ascending",
        )
        for page in pages:
            out.extend(page.get("ModelPackageSummaryList", []))
    except ClientError as err:
        raise describe_client_error(err, role_arn=ctx.role_arn) from err
    return out


def resolve_version(ctx: EnvContext, use_case: str, version: str) -> str:
    """The model package ARN of ``version`` (a version number or an ARN) in this environment."""
    group = ctx.group_name(use_case)
    if version.startswith("arn:"):
        arn = version
        if f":{ctx.env.account_id}:model-package/" not in arn:
            raise UsageError(
                f"{arn} is not a model package of environment {ctx.env.name!r} (account {ctx.env.account_id})"
            )
    else:
        try:
            number = int(version)
        except ValueError:
            raise UsageError(
                f"version must be a version number or a model package ARN, got {version!r}"
            ) from None
        arn = f"arn:aws:sagemaker:{ctx.env.region}:{ctx.env.account_id}:model-package/{group}/{number}"
    describe_version(ctx, arn)  # raises UnknownVersionError
    return arn


def describe_version(ctx: EnvContext, arn: str) -> dict[str, Any]:
    try:
        return ctx.client("sagemaker").describe_model_package(ModelPackageName=arn)
    except ClientError as err:
        code = error_code(err)
        msg = err.response.get("Error", {}).get("Message", "")
        if code in ("ResourceNotFound", "ValidationException") and (
            "not" in msg.lower() or "does not exist" in msg.lower() or code == "ResourceNotFound"
        ):
            raise UnknownVersionError(
                f"unknown version {arn} in environment {ctx.env.name!r}: list the versions with "
                "`mlgov report`"
            ) from None
        raise describe_client_error(err, role_arn=ctx.role_arn) from err


def version_number(arn: str) -> int:
    return int(arn.rsplit("/", 1)[1])


# -- output ------------------------------------------------------------------------------------
def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, default=_json_default)


def emit(data: Any, *, as_json: bool, text: str | None = None, stream: Any = None) -> None:
    """Print a result: JSON when asked, otherwise the human text (or the JSON if none)."""
    stream = stream or sys.stdout
    if as_json or text is None:
        print(dumps(data), file=stream)
    else:
        print(text, file=stream)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A plain-text table with aligned columns."""
    cells = [[str(r.get(c, "") if r.get(c) is not None else "-") for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    line = "  ".join(c.upper().ljust(w) for c, w in zip(columns, widths))
    out = [line.rstrip(), "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(out)


def setup_logging(verbose: bool = False) -> None:
    level = logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    # botocore is chatty at DEBUG; the jobs' own progress is what a person wants to see.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)


def common_parser(
    description: str, *, writes: bool = True, env_required: bool = True
) -> argparse.ArgumentParser:
    """Options every job shares: --env, --config-dir, --json, --verbose and --dry-run."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--env",
        required=env_required,
        help="environment name (a file in environments/, e.g. dev, staging, prod)",
    )
    p.add_argument(
        "--config-dir",
        default=None,
        help="directory of environment YAML files (default: the kit's environments/)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--verbose", action="store_true", help="debug logging on stderr")
    if writes:
        p.add_argument(
            "--dry-run",
            action="store_true",
            help="show what would change and change nothing (read calls still run)",
        )
    return p


def run_job(
    fn: Callable[[argparse.Namespace], Any],
    args: argparse.Namespace,
    render: Callable[[Any], str] | None = None,
) -> int:
    """Run a job's function, print its result, map errors to exit codes (0/1/2)."""
    setup_logging(getattr(args, "verbose", False))
    as_json = getattr(args, "json", False)
    try:
        result = fn(args)
    except GovernanceError as err:
        if as_json:
            print(dumps(err.to_dict()))
        print(f"error: {err}", file=sys.stderr)
        if isinstance(err, RefusedError):
            for f in err.failures:
                print(f"  - {f['gate']}: {f['reason']}", file=sys.stderr)
        return err.exit_code
    except ClientError as err:
        typed = describe_client_error(err)
        if as_json:
            print(dumps(typed.to_dict()))
        print(f"error: {typed}", file=sys.stderr)
        return typed.exit_code
    emit(result, as_json=as_json, text=render(result) if render else None)
    return EXIT_OK


def utcnow() -> datetime:
    return datetime.now(UTC)


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")
