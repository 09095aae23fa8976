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

import re
from typing import Any, cast

from moto.sts.exceptions import STSValidationError
from moto.sts.models import AssumedRole, sts_backends
from moto.sts.responses import TokenResponse

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
