"""S3 bucket policies on object requests evaluated with their conditions, as AWS does.

moto 5.2.1 (``S3Response._key_response`` -> ``FakeBucket.get_permission``) evaluates a bucket
policy for every object request without any request context: a statement's conditions then count
as met, so the TLS-only statement every kit bucket carries,

    {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}

denies every PutObject, GetObject and HeadObject (403 Forbidden), which breaks the Terraform S3
backend, promotions and audit records on the emulator.

This replaces ``FakeBucket.get_permission``, which moto asks what the policy says to *everyone*
(anonymous requests included), with the local cloud's evaluator (``core/evaluation.py``): only
statements whose principal is everyone (``*`` or ``{"AWS": "*"}``) apply here, with the context
every request to the emulator carries (``aws:SecureTransport`` is ``true``: the emulator stands
in for AWS's HTTPS endpoints) and the request's own keys (``s3:if-none-match`` ...,
``request_context.py``). Statements naming principals are decided, with the caller known,
by ``resource_policies.py`` on every request while IAM is enforced. :func:`register` replaces the
method on moto's class, which a type checker refuses (``type: ignore[method-assign]``).
"""

from __future__ import annotations

import json
from typing import Any

from moto.iam.access_control import PermissionResult
from moto.s3.models import FakeBucket

from .core.bindings import present
from .core.evaluation import Caller, Grant, principal_grant, statement_applies
from .core.utils import as_list
from .request_context import principal_keys, request_keys
from .s3_writes import SERVING

#: What every request to the emulator carries, as far as bucket policy conditions go.
REQUEST_CONTEXT = {"aws:securetransport": "true"}
#: A caller no policy names: only statements for everyone name it.
_ANYONE = Caller(account="", arn="")


def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
    """The bucket policy's verdict on ``action`` over ``resource`` for anyone."""
    if self.policy is None:
        return PermissionResult.NEUTRAL
    policy = present(self.policy)  # a recreated role no longer matches (core/bindings.py)
    document = json.loads(policy.decode() if isinstance(policy, bytes) else policy)
    version = str(document.get("Version") or "2008-10-17")
    # The object request being served carries its own keys (s3:if-none-match, ...), and, when
    # signed, its caller's (aws:PrincipalArn ...): a Deny conditioned on who calls decides for
    # that caller, as S3 decides it (unsigned, the keys are absent).
    serving = SERVING.get()
    context = {
        **REQUEST_CONTEXT,
        **_caller_keys(serving),
        **request_keys(serving, "s3", action.partition(":")[2]),
    }
    permitted = False
    for statement in as_list(document.get("Statement")):
        if principal_grant(statement, _ANYONE) is not Grant.DIRECT:
            continue
        if not statement_applies(statement, action, resource, context, version):
            continue
        if statement.get("Effect") == "Deny":
            return PermissionResult.DENIED
        permitted = permitted or statement.get("Effect") == "Allow"
    return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL


def _caller_keys(response: Any) -> dict[str, Any]:
    """The principal keys of the caller that signed the request being served (its SigV4
    credential's access key), or none for an unsigned request or an unknown key."""
    from moto.iam.access_control import CreateAccessKeyFailure, create_access_key

    headers = getattr(response, "headers", None) or {}
    authorization = str(headers.get("Authorization") or headers.get("authorization") or "")
    if "Credential=" not in authorization:
        return {}
    scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    if len(scope) < 3:
        return {}
    try:
        key = create_access_key(
            account_id=str(getattr(response, "current_account", "") or ""),
            partition="aws",
            access_key_id=scope[0],
            headers=headers,
        )
    except CreateAccessKeyFailure:  # an unknown key: moto's own authentication refuses it
        return {}
    return dict(principal_keys(key, scope[2]))


def register() -> None:
    """Install the condition-aware bucket policy evaluation (idempotent)."""
    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
