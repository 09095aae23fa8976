"""Role trust policies and KMS key policies evaluated with the caller's identity policies.

moto authorizes a request against the caller's identity policies only. It checks a role's trust
policy on AssumeRole just when the role is in the caller's own account, and then compares the
caller's session ARN with the principals as strings (``arn:aws:iam::<account>:root`` never
matches); KMS key policies are consulted only for an explicit Deny. With IAM enforced, the
local cloud then let any principal whose own policy allows ``sts:AssumeRole`` assume a role that
does not trust it, and let a cross-account key user in without the key policy's half.

Here, with IAM enforced, both requests are decided as AWS's policy evaluation logic does
(IAM User Guide, "Policy evaluation logic" and "Cross-account policy evaluation logic"; KMS
Developer Guide, "Key policies" and "Allowing users in other accounts to use a KMS key"):

- an explicit Deny in the identity policies or in the trust / key policy denies;
- the trust / key policy must allow the caller, either *directly* (naming its role or user ARN,
  its session ARN, or ``*``) or *through its account* (``<account>`` / ``arn:aws:iam::<account>:root``,
  which delegates the decision to that account's IAM policies);
- same account: a direct grant suffices; a grant through the account also needs an Allow in the
  caller's identity policies;
- another account: the caller's identity policies must allow too, however the grant is made.

Conditions are evaluated against what the local cloud knows of the request (``conditions.py``):
``aws:PrincipalArn``, ``aws:PrincipalAccount``, ``aws:PrincipalType``, ``aws:SecureTransport``,
``kms:CallerAccount``, ``sts:ExternalId``, ``sts:RoleSessionName``; a condition on any other key
is not met, so its statement does not apply. Denials use the wording of the service
(``AccessDenied`` from STS, ``AccessDeniedException`` from KMS, each naming the caller, the
action, the resource and which policy is missing). Every other request keeps moto's
identity-only evaluation. :func:`register` replaces a method of moto's ``IAMRequestBase``, which a
type checker refuses (``type: ignore[method-assign]``).
"""

from __future__ import annotations

import enum
import fnmatch
import json
import re
from dataclasses import dataclass
from typing import Any

from moto.core.exceptions import AccessDeniedError
from moto.iam.access_control import (
    AssumedRoleAccessKey,
    IAMPolicy,
    IAMRequestBase,
    PermissionResult,
)

from .core.bindings import present
from .core.conditions import Context, conditions_met
from .core.utils import as_list

_ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role/(?:.+/)?([^/]+)$")
_KEY_ARN = re.compile(r"^arn:aws[\w-]*:kms:([\w-]+):(\d{12}):key/(.+)$")
_BUCKET_ARN = re.compile(r"^arn:aws[\w-]*:s3:::([^/*]+)(?:/.*)?$")


class Grant(enum.IntEnum):
    """What a resource-based policy says about one request, weakest first."""

    NONE = 0
    THROUGH_ACCOUNT = 1
    DIRECT = 2
    DENY = 3


@dataclass(frozen=True)
class Caller:
    """The principal a request is made as."""

    account: str
    arn: str
    """The IAM user ARN, or the role ARN (with its path) for an assumed-role session."""
    session_arn: str | None = None
    """``arn:aws:sts::<account>:assumed-role/<role>/<session>`` for an assumed-role session."""

    @property
    def acting_arn(self) -> str:
        """The ARN AWS names in an access denied message."""
        return self.session_arn or self.arn


class PolicyAccessDenied(AccessDeniedError):
    """AccessDenied with the full message AWS gives (the resource, and which policy is missing)."""

    def __init__(self, message: str) -> None:
        super(AccessDeniedError, self).__init__("AccessDenied", message)


def caller_of(request: IAMRequestBase) -> Caller:
    from moto.iam.models import iam_backends

    key = request._access_key
    if isinstance(key, AssumedRoleAccessKey):
        backend = iam_backends[key.account_id][key.partition]
        role = next((r for r in backend.roles.values() if r.name == key._owner_role_name), None)
        arn = role.arn if role else f"arn:aws:iam::{key.account_id}:role/{key._owner_role_name}"
        return Caller(key.account_id, arn, key.arn)
    return Caller(key.account_id, key.arn)


def _principal_grant(statement: dict[str, Any], caller: Caller) -> Grant:
    def named(principal: Any) -> Grant:
        if principal == "*":
            return Grant.DIRECT
        if not isinstance(principal, dict):
            return Grant.NONE
        entries = [str(e) for e in as_list(principal.get("AWS"))]
        if "*" in entries or caller.arn in entries or (caller.session_arn in entries):
            return Grant.DIRECT
        if caller.account in entries or f"arn:aws:iam::{caller.account}:root" in entries:
            return Grant.THROUGH_ACCOUNT
        return Grant.NONE

    if "NotPrincipal" in statement:
        return Grant.NONE if named(statement["NotPrincipal"]) else Grant.DIRECT
    return named(statement.get("Principal"))


def _matches(statement: dict[str, Any], element: str, value: str, *, case: bool) -> bool | None:
    """Whether ``value`` matches the statement's ``element`` (or its Not form); None if neither
    is present."""
    for name, negated in ((element, False), (f"Not{element}", True)):
        if name in statement:
            patterns = [str(p) for p in as_list(statement[name])]
            if case:
                hit = any(fnmatch.fnmatchcase(value, p) for p in patterns)
            else:
                hit = any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in patterns)
            return hit != negated
    return None


def resource_policy_grant(
    document: dict[str, Any], caller: Caller, action: str, resource: str, context: Context
) -> Grant:
    """The strongest grant of ``document`` for the request; DENY if a statement denies it."""
    grant = Grant.NONE
    for statement in as_list(document.get("Statement")):
        if not isinstance(statement, dict):
            continue
        principal = _principal_grant(statement, caller)
        if principal is Grant.NONE or not _matches(statement, "Action", action, case=False):
            continue
        # A trust policy has no Resource: the role it is attached to is the resource.
        if _matches(statement, "Resource", resource, case=True) is False:
            continue
        if not conditions_met(statement, context):
            continue
        if statement.get("Effect") == "Deny":
            return Grant.DENY
        if statement.get("Effect") == "Allow":
            grant = max(grant, principal)
    return grant


def identity_result(request: IAMRequestBase, resource: str) -> PermissionResult:
    """moto's evaluation of the caller's identity policies (inline and attached)."""
    permitted = False
    for policy in request._access_key.collect_policies():
        result = IAMPolicy(policy).is_action_permitted(request._action, resource)
        if result == PermissionResult.DENIED:
            return result
        permitted = permitted or result == PermissionResult.PERMITTED
    return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL


def request_context(request: IAMRequestBase, caller: Caller) -> dict[str, str | list[str]]:
    context: dict[str, str | list[str]] = {
        "aws:principalarn": caller.arn,
        "aws:principalaccount": caller.account,
        "aws:principaltype": "AssumedRole" if caller.session_arn else "User",
        "aws:securetransport": "true",
        "kms:calleraccount": caller.account,
    }
    data = request._data if isinstance(request._data, dict) else {}
    for member, key in (("ExternalId", "sts:externalid"), ("RoleSessionName", "sts:rolesessionname")):
        value = data.get(member)
        if value:
            context[key] = str(value[0] if isinstance(value, list) else value)
    return context


def decide(grant: Grant, identity: PermissionResult, same_account: bool) -> str | None:
    """None when allowed, else which half is missing ("resource-based" / "identity-based" /
    "explicit deny")."""
    if grant is Grant.DENY or identity == PermissionResult.DENIED:
        return "explicit deny"
    if grant is Grant.NONE:
        return "resource-based"
    if grant is Grant.DIRECT and same_account:
        return None
    return None if identity == PermissionResult.PERMITTED else "identity-based"


def _role_document(resource: str) -> tuple[str, dict[str, Any] | None]:
    from moto.iam.models import iam_backends

    match = _ROLE_ARN.match(resource)
    assert match is not None
    account = match.group(1)
    backend = iam_backends[account]["aws"]
    role = next((r for r in backend.roles.values() if r.arn == resource), None)
    if role is None:
        return account, None
    return account, json.loads(role.assume_role_policy_document)


def _key_document(resource: str) -> tuple[str, dict[str, Any] | None]:
    from moto.kms.models import kms_backends

    match = _KEY_ARN.match(resource)
    assert match is not None
    region, account, key_id = match.groups()
    # dict's own get: moto's __getitem__ would create a backend for a region never used.
    backend = dict.get(kms_backends[account], region)
    key = backend.keys.get(key_id) if backend is not None else None
    return account, json.loads(present(key.policy)) if key is not None and key.policy else None


def _bucket_document(resource: str) -> tuple[str | None, dict[str, Any] | None]:
    """(owning account, bucket policy as S3 evaluates it) of the bucket an S3 ARN names;
    (None, None) when no account holds that bucket."""
    from moto.s3.models import s3_backends

    match = _BUCKET_ARN.match(resource)
    assert match is not None
    owner = s3_backends.bucket_accounts.get(match.group(1))
    if owner is None:
        return None, None
    partition, account = owner
    bucket = s3_backends[account][partition].buckets.get(match.group(1))
    policy = present(bucket.policy) if bucket is not None and bucket.policy else None
    return account, json.loads(policy) if policy else None


def check_action_permitted(self: IAMRequestBase, resource: str) -> None:
    """moto's ``check_action_permitted`` with trust and key policies in the decision."""
    action = self._action
    if action == "sts:GetCallerIdentity":  # AWS allows it whatever the policies say
        return
    identity = identity_result(self, resource)
    is_role = action == "sts:AssumeRole" and _ROLE_ARN.match(resource)
    is_key = action.startswith("kms:") and _KEY_ARN.match(resource)
    if action.startswith("s3:") and _BUCKET_ARN.match(resource):
        _check_bucket_request(self, resource, identity)
        return
    if not (is_role or is_key):
        if identity != PermissionResult.PERMITTED:
            self._raise_access_denied()
        return
    caller = caller_of(self)
    account, document = _role_document(resource) if is_role else _key_document(resource)
    if document is None:
        # No such role: AWS answers AccessDenied. No such key: the handler answers NotFound.
        if is_role or identity != PermissionResult.PERMITTED:
            self._raise_access_denied()
        return
    grant = resource_policy_grant(document, caller, action, resource, request_context(self, caller))
    missing = decide(grant, identity, caller.account == account)
    if missing is None:
        return
    message = f"User: {caller.acting_arn} is not authorized to perform: {action} on resource: {resource}"
    if is_key:
        from .core.errors import JsonAuthError

        reason = (
            f"with an explicit deny in a {'resource' if grant is Grant.DENY else 'identity'}-based policy"
            if missing == "explicit deny"
            else f"because no {missing} policy allows the {action} action"
        )
        raise JsonAuthError("AccessDeniedException", f"{message} {reason}", 400)
    raise PolicyAccessDenied(message)


def _check_bucket_request(request: IAMRequestBase, resource: str, identity: PermissionResult) -> None:
    """A request from another account than the bucket's needs the bucket policy's grant too;
    within the bucket's account moto's identity-only evaluation stays (a documented gap)."""
    caller = caller_of(request)
    account, document = _bucket_document(resource)
    if account is None or account == caller.account:
        if identity != PermissionResult.PERMITTED:
            request._raise_access_denied()
        return
    context = request_context(request, caller)
    grant = resource_policy_grant(document or {}, caller, request._action, resource, context)
    if decide(grant, identity, same_account=False) is not None:
        # S3 answers a cross-account request with the plain "Access Denied" (its detailed
        # messages are for requests from the bucket owner's own account).
        request._raise_access_denied()


def register() -> None:
    """Evaluate trust, key and (across accounts) bucket policies on AssumeRole, KMS and S3 calls
    (idempotent)."""
    IAMRequestBase.check_action_permitted = check_action_permitted  # type: ignore[method-assign]
