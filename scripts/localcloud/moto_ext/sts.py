"""STS AssumeRole with ``SourceIdentity`` and session tags, as AWS keeps them.

moto 5.2.1 ignores both. Here (IAM User Guide, "Monitor and control actions taken with assumed
roles" and "Passing session tags in AWS STS"; STS API reference, AssumeRole):

- ``SourceIdentity`` is 2 to 64 characters of ``[\\w+=,.@-]`` not starting with ``aws:``
  (AssumeRole API reference; botocore's shape allows 256, the reference 64), else
  ``ValidationError``.
- Setting it needs ``sts:SetSourceIdentity`` on the role, allowed by its trust policy (and by the
  caller's identity policies where ``sts:AssumeRole`` needs them), checked with the AssumeRole
  itself (``resource_policies.py``); ``sts:SourceIdentity`` is in that request's context.
- It persists through role chaining: a session assumed from a session that carries one carries
  it too, whether or not the request repeats it, and the next role's trust policy must allow
  ``sts:SetSourceIdentity`` for it as well; a *different* value is refused (AccessDenied: "the
  value that is set cannot be changed during the role session").
- The session's requests carry it as ``aws:SourceIdentity`` (``request_context.py``), usable as
  the policy variable ``${aws:SourceIdentity}``; AssumeRole's answer includes it, GetCallerIdentity
  does not (AWS's does not either). SageMaker records it in ``IamIdentity.SourceIdentity``.
- Session tags (``Tags``) need ``sts:TagSession`` on the role and become the session's
  ``aws:PrincipalTag/*``.

:func:`register` wraps moto's handler and gives moto's ``AssumedRole`` the two attributes, which a
type checker refuses (``type: ignore[method-assign]``).
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any, cast
from urllib.parse import urlparse

from moto.sts.exceptions import STSValidationError
from moto.sts.models import AssumedRole, sts_backends
from moto.sts.responses import TokenResponse

from .core.errors import QueryAuthError

SOURCE_IDENTITY = re.compile(r"[\w+=,.@-]{2,64}")


def session_of(account: str, access_key_id: str) -> AssumedRole | None:
    """The assumed-role session an access key belongs to (None for an IAM user's key)."""
    for backend in dict.values(sts_backends.get(account, {})):
        found = backend.get_assumed_role_from_access_key(access_key_id)
        if found is not None:
            return found
    return None


def validate_source_identity(value: str | None) -> None:
    if value is None:
        return
    if not SOURCE_IDENTITY.fullmatch(value):
        raise STSValidationError(
            f"1 validation error detected: Value '{value}' at 'sourceIdentity' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have "
            "length between 2 and 64"
        )
    if value.lower().startswith("aws:"):
        raise STSValidationError(
            f"Value '{value}' at 'sourceIdentity': the prefix aws: is reserved for AWS internal use"
        )


def query_list(response: Any, member: str) -> list[dict[str, Any]]:
    """A list member of a query-protocol request (``Tags.member.N.Key`` ...) as dicts."""
    value = response._get_params().get(member)
    if isinstance(value, dict):  # moto's parser keeps "member" as a level of its own
        value = value.get("member")
    return [v for v in (value or []) if isinstance(v, dict)]


def caller_session(response: Any) -> AssumedRole | None:
    """The session the request is signed with, if it is an assumed-role session."""
    return session_of(response.current_account, response.get_access_key() or "")


def effective_source_identity(response: Any) -> str | None:
    """The source identity the new session will carry: the caller's (chaining) or the request's."""
    session = caller_session(response)
    inherited = getattr(session, "source_identity", None) if session is not None else None
    return inherited or response._get_param("SourceIdentity")


_moto_assume_role = TokenResponse.assume_role


def _assume_role(self: TokenResponse) -> Any:
    requested = self._get_param("SourceIdentity")
    validate_source_identity(requested)
    source_identity = effective_source_identity(self)
    tags = {t["Key"]: t.get("Value", "") for t in query_list(self, "Tags")}
    result = _moto_assume_role(self)
    answer = cast(dict[str, Any], result.result)
    session = answer["Credentials"]
    session.source_identity = source_identity
    session.session_tags = tags
    if source_identity:
        answer["SourceIdentity"] = source_identity
    return result


def register() -> None:
    """Keep SourceIdentity and session tags on assumed-role sessions (idempotent)."""
    AssumedRole.source_identity = None  # type: ignore[attr-defined]
    AssumedRole.session_tags = {}  # type: ignore[attr-defined]
    if getattr(TokenResponse.assume_role, "__name__", "") != "_assume_role":
        TokenResponse.assume_role = _assume_role  # type: ignore[method-assign]


# -- AssumeRoleWithWebIdentity ---------------------------------------------------------------------
class WebIdentityError(QueryAuthError):
    """An STS error of AssumeRoleWithWebIdentity, in the query protocol's envelope."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, 403 if code == "AccessDenied" else 400)


def _claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT (its signature is not verified here: the local cloud cannot reach
    the identity provider's keys)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def web_identity_context(host: str, claims: dict[str, Any]) -> dict[str, str | list[str]]:
    """The trust policy's context of a web identity: ``<provider>:aud``, ``<provider>:sub``,
    ``<provider>:amr`` and, for GitHub Actions, the claims AWS exposes as keys
    (IAM User Guide, "Available keys for AWS OIDC federation")."""
    context: dict[str, str | list[str]] = {"aws:securetransport": "true"}
    for claim in ("aud", "sub", "amr", "actor", "repository", "job_workflow_ref", "environment", "ref"):
        value = claims.get(claim)
        if isinstance(value, list):
            context[f"{host}:{claim}".lower()] = [str(v) for v in value]
        elif value is not None:
            context[f"{host}:{claim}".lower()] = str(value)
    return context


def authorize_web_identity(response: Any) -> None:
    """AssumeRoleWithWebIdentity is not signed: the token and the role's trust policy decide
    (STS API reference, AssumeRoleWithWebIdentity; IAM User Guide, "Create a role for OpenID
    Connect federation"). The token's issuer must be an OIDC provider of the role's account whose
    client ids include the token's audience (``InvalidIdentityToken``); an expired token is
    ``ExpiredTokenException``; the trust policy must allow ``sts:AssumeRoleWithWebIdentity`` to
    that provider (``Principal.Federated``) with its conditions met on the token's claims
    (``AccessDenied`` "Not authorized to perform sts:AssumeRoleWithWebIdentity")."""
    from moto.iam.models import iam_backends

    from .core.evaluation import statement_applies
    from .core.utils import as_list

    role_arn = str(response._get_param("RoleArn") or "")
    claims = _claims(str(response._get_param("WebIdentityToken") or ""))
    if claims is None or not claims.get("iss"):
        raise WebIdentityError("InvalidIdentityToken", "The ID token provided is not a valid JWT.")
    issuer = urlparse(str(claims["iss"]))
    host = (issuer.netloc + issuer.path).rstrip("/")
    account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else response.current_account
    backend = iam_backends[account]["aws"]
    provider = backend.open_id_providers.get(f"arn:aws:iam::{account}:oidc-provider/{host}")
    if provider is None:
        raise WebIdentityError(
            "InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {claims['iss']}"
        )
    audiences = [str(a) for a in as_list(claims.get("aud"))]
    if not set(audiences) & set(provider.client_id_list or []):
        raise WebIdentityError("InvalidIdentityToken", "Incorrect token audience")
    if isinstance(claims.get("exp"), (int, float)) and claims["exp"] < time.time():
        raise WebIdentityError("ExpiredTokenException", "Token expired")
    role = next((r for r in backend.roles.values() if r.arn == role_arn), None)
    document = json.loads(role.assume_role_policy_document) if role is not None else {}
    version = str(document.get("Version") or "2008-10-17")
    context = web_identity_context(host, claims)
    action = "sts:AssumeRoleWithWebIdentity"
    allowed = denied = False
    for statement in as_list(document.get("Statement")):
        federated = [str(p) for p in as_list((statement.get("Principal") or {}).get("Federated"))]
        if provider.arn not in federated or not statement_applies(
            statement, action, role_arn, context, version
        ):
            continue
        denied = denied or statement.get("Effect") == "Deny"
        allowed = allowed or statement.get("Effect") == "Allow"
    if denied or not allowed:
        raise WebIdentityError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
