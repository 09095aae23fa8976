"""How a job gets at an account: one session per environment role, clients, SSM.

Every job acts in an account through one of that environment's roles. :func:`env_context` is how
a job gets one (``execution | data_scientist | approver | promotion | model_deploy``); the role is assumed
through :func:`scripts.aws.assume_role` (refreshable credentials: botocore assumes the role
again before they expire, for every client and thread of the session, so a long job never sees
an expired token) and clients come from :func:`scripts.aws.client` (standard retries). An
environment name that is not in the configuration raises :class:`environments.ConfigError`,
which the command edge reports as a usage error (exit 2). Everything else a job needs
(bucket, KMS key, group name, lifecycle stage, DataZone project id) is read from the SSM
parameters the platform stack publishes, at the paths computed by :class:`environments.Names`.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from environments import EnvironmentConfig, Names, PlatformConfig
from scripts.aws import (
    acting_for,
    assume_role,
    client,
    configured_person,
    kit_errors,
    new_session,
    person_of,
    session_person,
)

from .errors import UsageError

#: Role keys a job may act as (see ``environments.naming.ROLE_SUFFIXES``).
ROLE_KEYS = ("execution", "data_scientist", "approver", "promotion", "model_deploy")

#: GetParameters takes at most this many names per call.
SSM_BATCH = 10


def resolve_use_case(env: EnvironmentConfig, use_case: str | None) -> str:
    """The named use case, or the environment's only one when none is given; with several, none
    is guessed: the caller must name one."""
    if use_case is None:
        if not env.use_cases:
            raise UsageError(f"environment {env.name!r} has no use_cases in {env.source}")
        if len(env.use_cases) > 1:
            known = ", ".join(u.name for u in env.use_cases)
            raise UsageError(
                f"environment {env.name!r} has several use cases: {known}; name one with --use-case "
                f"(e.g. --use-case {env.use_cases[0].name})"
            )
        return env.use_cases[0].name
    try:
        return env.use_case(use_case).name
    except KeyError:
        known = ", ".join(u.name for u in env.use_cases)
        raise UsageError(
            f"unknown use case {use_case!r} in environment {env.name!r}: known use cases are "
            f"{known} (add it under use_cases in {env.source or env.name + '.yaml'})"
        ) from None


# -- sessions ----------------------------------------------------------------------------------
def base_session() -> boto3.Session:
    """The caller's own credentials (normal resolution: env vars, profile, instance role)."""
    return new_session()


#: Role through which a job enters each environment's account before assuming the job's role
#: (role chaining). Unset: the job's role is assumed straight from your credentials, which must
#: be in that account (or trusted by the role). ``deploy``: the environment's deploy role (which
#: may no longer assume the person-facing roles: only for jobs whose role trusts it). Any other
#: value: the name of a role that exists in every environment's account, e.g. your SSO
#: permission set's role.
ENTRY_ROLE_VAR = "MLGOV_ENTRY_ROLE"
#: A JSON file naming, per account and job role, the role a person signs in to and the person:
#: ``{"accounts": {"<account>": {"approver": {"role_arn": ..., "person": ...}, ...}}}``. A job
#: acting as ``approver`` in that account first assumes ``role_arn`` carrying ``person`` as its
#: source identity (what an IAM Identity Center sign-in is), then the approver role from there.
#: The local cloud writes one for its people (``mlgov cloud env`` sets this variable); it is
#: read before ``MLGOV_ENTRY_ROLE``.
PEOPLE_VAR = "MLGOV_PEOPLE"


@dataclass(frozen=True)
class Entry:
    """How a job enters an account as a person: the role the person signs in to, and who."""

    role_arn: str
    person: str


def people_entry(account: str, role_key: str) -> Entry | None:
    """The entry ``$MLGOV_PEOPLE`` names for ``role_key`` in ``account``, if any."""
    path = os.environ.get(PEOPLE_VAR, "").strip()
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        entry = data["accounts"].get(account, {}).get(role_key)
    except (OSError, ValueError, KeyError, AttributeError) as err:
        raise UsageError(
            f"{PEOPLE_VAR}={path}: expected a readable JSON file "
            '{"accounts": {"<account>": {"<role>": {"role_arn": ..., "person": ...}}}} '
            f"({err}); unset it, or point it at the local cloud's (`mlgov cloud env`)"
        ) from None
    if not entry:
        return None
    return Entry(role_arn=str(entry["role_arn"]), person=str(entry["person"]))


def entry_role_arn(names: Names) -> str | None:
    """The role to enter ``names.env``'s account through, from ``$MLGOV_ENTRY_ROLE``."""
    value = os.environ.get(ENTRY_ROLE_VAR, "").strip()
    if not value:
        return None
    if value == "deploy":
        return names.env.deploy_role_arn
    if not re.fullmatch(r"[\w+=,.@/-]{1,64}", value):
        raise UsageError(f"{ENTRY_ROLE_VAR}={value!r}: expected 'deploy' or an IAM role name")
    return f"arn:aws:iam::{names.env.account_id}:role/{value}"


def assumed_session(names: Names, role_key: str, job: str, source: boto3.Session) -> boto3.Session:
    """A session acting as ``role_key`` of ``names.env`` (:func:`scripts.aws.assume_role`:
    refreshable credentials, carrying the person as its source identity).

    With ``$MLGOV_PEOPLE`` naming an entry for that role and account, the person signs in to its
    role first; else with ``$MLGOV_ENTRY_ROLE`` set, the account is entered through that role
    first. A caller that already acts as the role (a CI job that assumed it with its OIDC token)
    keeps its own session."""
    env = names.env
    where = f"for {job} in environment {env.name!r}"
    target = names.role_arn(role_key)
    person = people_entry(env.account_id, role_key)
    if person is not None:
        source = assume_role(
            person.role_arn, source=source, purpose=job, region=env.region, where=where, person=person.person
        )
    else:
        entry = entry_role_arn(names)
        if entry is not None and entry != target:
            source = assume_role(entry, source=source, purpose=job, region=env.region, where=where)
        elif entry is None and session_person(source) is None:
            caller = _caller_arn(source, env.region)
            who = configured_person() or person_of(caller)
            if _role_of_session(caller) == target:
                return acting_for(source, who)
            return assume_role(target, source=source, purpose=job, region=env.region, where=where, person=who)
    return assume_role(target, source=source, purpose=job, region=env.region, where=where)


def _caller_arn(session: boto3.Session, region: str) -> str:
    with kit_errors():
        return str(client(session, "sts", region=region).get_caller_identity()["Arn"])


def _role_of_session(caller_arn: str) -> str | None:
    """``arn:aws:iam::<account>:role/<name>`` of an assumed-role session ARN, else None (the role
    ARN's path is not in the session ARN: the kit's roles have none)."""
    parts = caller_arn.split(":", 5)
    if len(parts) < 6 or not parts[5].startswith("assumed-role/"):
        return None
    role = parts[5].split("/")[1]
    return f"arn:aws:iam::{parts[4]}:role/{role}"


# -- the context of a job ----------------------------------------------------------------------
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

    def _session(self) -> boto3.Session:
        with self._lock:
            if self.session is None:
                self.session = assumed_session(
                    self.names, self.role_key, self.job, self._source or base_session()
                )
            return self.session

    def boto_session(self) -> boto3.Session:
        """The session acting as this role (assumed on first use), for a library that makes its
        own clients (the SageMaker SDK building a pipeline)."""
        return self._session()

    def client(self, service: str) -> Any:
        """A client for ``service`` in this environment's account, as this role, cached per
        service (boto3 clients are thread safe)."""
        with self._lock:
            existing = self._clients.get(service)
        if existing is not None:
            return existing
        created = client(self._session(), service, region=self.env.region)
        with self._lock:
            return self._clients.setdefault(service, created)

    def param(self, path: str) -> str:
        """An SSM parameter the stack published; a clear error names it when missing."""
        if path not in self._params:
            self.params([path])
        return self._params[path]

    def params(self, paths: Iterable[str]) -> dict[str, str]:
        """Several SSM parameters in batches of ten (GetParameters' limit)."""
        paths = list(paths)
        wanted = [p for p in dict.fromkeys(paths) if p not in self._params]
        ssm = self.client("ssm")
        for start in range(0, len(wanted), SSM_BATCH):
            batch = wanted[start : start + SSM_BATCH]
            with kit_errors(self.role_arn):
                resp = ssm.get_parameters(Names=batch)
            for p in resp.get("Parameters", []):
                self._params[p["Name"]] = p["Value"]
            if resp.get("InvalidParameters"):
                raise UsageError(
                    f"SSM parameter(s) {', '.join(resp['InvalidParameters'])} not found in "
                    f"account {self.env.account_id} ({self.env.name}): deploy the "
                    f"{self.env.name} stack first (mlgov deploy apply --env {self.env.name})"
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

    def person(self) -> str | None:
        """The person this context acts for: its session's source identity (``scripts.aws``)."""
        return session_person(self._session())

    def caller_arn(self) -> str:
        """Who is acting (``sts get-caller-identity``), for audit records."""
        if self._caller is None:
            with kit_errors(self.role_arn):
                self._caller = str(self.client("sts").get_caller_identity()["Arn"])
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
    env = platform.env(env_name)  # an unknown name is a ConfigError: exit 2 at the command edge
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


def paginate(client: Any, operation: str, result_key: str, **kwargs: Any) -> Iterator[Any]:
    """Every item under ``result_key`` across all pages of a list call (boto3's paginator)."""
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(result_key, [])
