"""The one way into AWS: sessions, clients, role assumption, and what an AWS error becomes.

Governance jobs (:mod:`scripts.governance.context`), the deploy runner's helpers
(:mod:`scripts.deploy.principals`, :mod:`scripts.deploy.association`, :mod:`scripts.deploy.ci`)
and the benchmarks all reach AWS through here:

- :data:`RETRY_CONFIG`: botocore's ``standard`` retry mode, the one retry configuration; every
  client made by :func:`client` carries it.
- :func:`new_session`: a boto3 session sharing one botocore data loader with every other session
  of the process (the service models are parsed once, not once per assumed role), optionally
  acting with refreshable credentials, optionally sending every client to one endpoint (the
  local cloud).
- :func:`client`: a client of a session with the retry configuration, shown to every client
  observer (the bench counts API calls there).
- :func:`assume_role`: a session acting as a role. Its credentials are botocore
  ``RefreshableCredentials``: botocore assumes the role again before they expire, for every
  client and thread of the session, so a long job never sees an expired token. It is the one
  place that calls ``sts:AssumeRole``; what the request carries is decided here: the session
  name (:func:`session_name`) and the person (:func:`person_of`): every assumed session carries
  the caller's ``SourceIdentity``, which STS keeps through role chaining and CloudTrail and
  SageMaker record (``IamIdentity.SourceIdentity``), so the audit trail names a person, not only
  a role (issue 20). :func:`session_person` reads it back.
- :func:`describe_client_error` and :func:`kit_errors`: a botocore ``ClientError`` becomes the
  kit's typed error (:class:`scripts.errors.PermissionDeniedError`, ``CredentialsError``,
  ``AwsCallError``) naming the operation and the role, which the command edge
  (:mod:`scripts.command`) prints as one line with exit code 1.

    with kit_errors(ctx.role_arn):
        ctx.client("s3").put_object(...)
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import ClientError, NoCredentialsError

from scripts.errors import AwsCallError, AwsError, CredentialsError, PermissionDeniedError

__all__ = [
    "DENIED_CODES",
    "EXPIRED_CODES",
    "RETRY_CONFIG",
    "acting_for",
    "add_client_observer",
    "assume_role",
    "client",
    "configured_person",
    "describe_client_error",
    "error_code",
    "kit_errors",
    "new_session",
    "person_of",
    "remove_client_observer",
    "session_name",
    "session_person",
]

#: The kit's one retry configuration (botocore's standard mode: 3 attempts, backoff with jitter,
#: throttling and transient errors retried).
RETRY_CONFIG = Config(retries={"mode": "standard"})

#: Error codes AWS returns when the credentials of an assumed role have run out.
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
#: Error codes of a call IAM (or a resource policy) refused.
DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
)


# -- AWS errors -> the kit's errors ------------------------------------------------------------
def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def describe_client_error(err: ClientError, *, role_arn: str | None = None) -> AwsError:
    """Turn a botocore error into the typed error a person can act on."""
    code = error_code(err) or "Unknown"
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


@contextmanager
def kit_errors(role_arn: str | None = None, *, allow: Collection[str] = ()) -> Iterator[None]:
    """Calls inside raise the kit's typed error (naming the operation and ``role_arn``) instead of
    a botocore ``ClientError``; the ClientError stays attached as its cause. An error whose code
    is in ``allow`` (``NoSuchKey``: the object is absent) ends the block quietly: the code after
    the ``with`` runs."""
    try:
        yield
    except ClientError as err:
        if error_code(err) in allow:
            return
        raise describe_client_error(err, role_arn=role_arn) from err


# -- client observers --------------------------------------------------------------------------
#: Called with every client :func:`client` creates (the bench registers API counters here).
_client_observers: list[Callable[[Any], None]] = []
_observers_lock = threading.Lock()


def add_client_observer(observer: Callable[[Any], None]) -> None:
    with _observers_lock:
        _client_observers.append(observer)


def remove_client_observer(observer: Callable[[Any], None]) -> None:
    with _observers_lock:
        if observer in _client_observers:
            _client_observers.remove(observer)


# -- sessions and clients ----------------------------------------------------------------------
_shared_loader: Any = None
_loader_lock = threading.Lock()


class _EndpointSession(boto3.Session):
    """A session whose clients all go to one endpoint (the local cloud) unless told otherwise."""

    def __init__(self, endpoint_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.endpoint_url = endpoint_url

    def client(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("endpoint_url", self.endpoint_url)
        return super().client(*args, **kwargs)


def new_session(
    *,
    credentials: RefreshableCredentials | None = None,
    endpoint_url: str | None = None,
    **kwargs: Any,
) -> boto3.Session:
    """A boto3 session sharing one botocore data loader with every other session of the process,
    acting with ``credentials`` when given (else ``kwargs``: keys, region, profile; else the
    normal resolution); with ``endpoint_url``, every client it makes goes there.

    Each assumed role needs its own session, and a fresh botocore session would parse the
    service models again (the SageMaker model alone is several MB of JSON, ~0.5 s per session).
    """
    global _shared_loader
    with _loader_lock:
        if _shared_loader is None:
            _shared_loader = botocore.loaders.create_loader()
    core = botocore.session.get_session()
    core.register_component("data_loader", _shared_loader)
    if credentials is not None:
        # botocore has no public setter for refreshable credentials; this is the attribute its
        # own credential resolution fills, and every client of the session reads it.
        core._credentials = credentials
    if endpoint_url is not None:
        return _EndpointSession(endpoint_url, botocore_session=core, **kwargs)
    return boto3.Session(botocore_session=core, **kwargs)


def client(
    session: boto3.Session,
    service: str,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    config: Config | None = None,
) -> Any:
    """A ``service`` client of ``session`` with :data:`RETRY_CONFIG` (merged with ``config``),
    shown to every client observer."""
    kwargs: dict[str, Any] = {"config": RETRY_CONFIG if config is None else RETRY_CONFIG.merge(config)}
    if region is not None:
        kwargs["region_name"] = region
    if endpoint_url is not None:
        kwargs["endpoint_url"] = endpoint_url
    made = session.client(service, **kwargs)
    with _observers_lock:
        observers = list(_client_observers)
    for observe in observers:
        observe(made)
    return made


# -- role assumption ---------------------------------------------------------------------------
def session_name(purpose: str) -> str:
    """The role session name of every session the kit assumes: ``mlgov-<purpose>`` (what the
    audit trail and CloudTrail show after ``assumed-role/<role>/``)."""
    return f"mlgov-{purpose}"[:64]


#: Names the person every assumed session carries, instead of the caller's own name.
PERSON_VAR = "MLGOV_PERSON"
#: What STS accepts as a source identity (AssumeRole API reference: 2-64 characters of
#: ``[\w+=,.@-]``; a value starting with ``aws:`` is reserved).
_PERSON = re.compile(r"[\w+=,.@-]{2,64}")
#: The attribute a session made by :func:`assume_role` keeps its person in.
_PERSON_ATTRIBUTE = "mlgov_person"


def _checked_person(value: str, where: str) -> str:
    if not _PERSON.fullmatch(value) or value.lower().startswith("aws:"):
        raise CredentialsError(
            f"{where} {value!r} cannot be a source identity: STS takes 2 to 64 letters, digits or "
            f"+=,.@_- characters, not starting with aws:; set {PERSON_VAR} to the name to record "
            "(e.g. your e-mail address)"
        )
    return value


def person_of(caller_arn: str) -> str:
    """The person behind a caller ARN (``sts get-caller-identity``): an IAM user's name, or the
    role session name of an assumed-role session (what IAM Identity Center puts there: the
    user's name), or a federated user's name. The account root is nobody in particular."""
    resource = caller_arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    if kind == "user":
        name = rest.rsplit("/", 1)[-1]
    elif kind == "assumed-role":
        name = rest.split("/", 1)[-1]
    elif kind == "federated-user":
        name = rest
    else:
        raise CredentialsError(
            f"the caller {caller_arn} names no person to record in the audit trail: act as an IAM "
            f"user or role, or set {PERSON_VAR} to the name to record"
        )
    return _checked_person(name, f"the caller {caller_arn}'s name")


def session_person(session: boto3.Session) -> str | None:
    """The person a session made by :func:`assume_role` carries (its ``SourceIdentity``); None
    for any other session."""
    value = getattr(session, _PERSON_ATTRIBUTE, None)
    return str(value) if value else None


def acting_for(session: boto3.Session, person: str) -> boto3.Session:
    """``session`` (one the kit did not assume: a CI job's OIDC session already in the role)
    recorded as acting for ``person``."""
    setattr(session, _PERSON_ATTRIBUTE, _checked_person(person, "the person"))
    return session


def configured_person() -> str | None:
    """``$MLGOV_PERSON``, checked, or None when unset."""
    configured = os.environ.get(PERSON_VAR, "").strip()
    return _checked_person(configured, PERSON_VAR) if configured else None


def _person(source: boto3.Session, sts: Any, explicit: str | None) -> str:
    """Who the new session is for: ``explicit``, else ``$MLGOV_PERSON``, else the person the
    source session already carries (STS refuses a change along a chain), else the caller's own
    name (one GetCallerIdentity, which needs no permission)."""
    if explicit:
        return _checked_person(explicit, "the person")
    configured = configured_person()
    if configured:
        return configured
    carried = session_person(source)
    if carried:
        return carried
    try:
        caller = str(sts.get_caller_identity()["Arn"])
    except NoCredentialsError as err:
        raise CredentialsError(
            "no AWS credentials found: configure a profile or set AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY (the local cloud sets them for you: `mlgov cloud env`)"
        ) from err
    except ClientError as err:
        raise CredentialsError(
            f"cannot tell who you are (sts:GetCallerIdentity): {describe_client_error(err)}"
        ) from err
    return person_of(caller)


def assume_role(
    role_arn: str,
    *,
    source: boto3.Session,
    purpose: str,
    region: str,
    endpoint_url: str | None = None,
    config: Config | None = None,
    where: str = "",
    person: str | None = None,
) -> boto3.Session:
    """A session acting as ``role_arn``, assumed now from ``source`` and again by botocore
    whenever the credentials come within minutes of expiring, carrying the person as its
    ``SourceIdentity`` (:func:`_person`: ``person``, ``$MLGOV_PERSON``, the source session's, or
    the caller's own name). The role's trust policy must allow ``sts:SetSourceIdentity`` (every
    role the kit creates for people and jobs does).

    ``purpose`` names the session (:func:`session_name`); ``endpoint_url`` sends STS and every
    client of the new session there (the local cloud); ``config`` is merged into the STS
    client's retry configuration; ``where`` is said in the error (e.g. ``for review in
    environment 'dev'``). Raises :class:`scripts.errors.CredentialsError` when the role cannot
    be assumed (naming it and what to check), when no credentials are found, when the caller
    names no person, or when the credentials handed out are already expired."""
    sts = client(source, "sts", region=region, endpoint_url=endpoint_url, config=config)
    carried = _person(source, sts, person)
    request = {"RoleArn": role_arn, "RoleSessionName": session_name(purpose), "SourceIdentity": carried}
    context = f" {where}" if where else ""

    def assume() -> dict[str, str]:
        try:
            creds = sts.assume_role(**request)["Credentials"]
        except ClientError as err:
            raise CredentialsError(
                f"cannot assume {role_arn}{context} as {carried}: {error_code(err)}: "
                f"{err.response.get('Error', {}).get('Message', '')}. Check that your credentials may "
                "assume it (its trust policy names who may, and must allow sts:SetSourceIdentity) "
                "and that the stack is deployed."
            ) from err
        except NoCredentialsError as err:
            raise CredentialsError(
                "no AWS credentials found: configure a profile or set AWS_ACCESS_KEY_ID/"
                "AWS_SECRET_ACCESS_KEY (the local cloud sets them for you: `mlgov cloud env`)"
            ) from err
        expiry: datetime = creds["Expiration"]
        if expiry <= datetime.now(UTC):
            raise CredentialsError(
                f"credentials of {role_arn} were already expired when assumed (they expire at "
                f"{expiry.isoformat()}); check the clock of this machine and the role's maximum "
                "session duration"
            )
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": expiry.isoformat(),
        }

    credentials = RefreshableCredentials.create_from_metadata(
        metadata=assume(), refresh_using=assume, method="assume-role"
    )
    session = new_session(credentials=credentials, region_name=region, endpoint_url=endpoint_url)
    setattr(session, _PERSON_ATTRIBUTE, carried)
    return session
