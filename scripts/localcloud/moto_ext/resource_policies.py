"""Every request authorized as AWS's policy evaluation logic does: identity policies with their
conditions, and the resource-based policy of the resource it names.

moto evaluates identity policies only, treats every condition as met, checks a role's trust
policy just in the caller's own account (comparing ARNs as strings), and consults KMS key
policies only for an explicit Deny. With IAM enforced, the local cloud instead decides each
request from (IAM User Guide, "Policy evaluation logic", "Cross-account policy evaluation logic";
KMS Developer Guide, "Key policies", "Allowing users in other accounts to use a KMS key"; S3 User
Guide, "How Amazon S3 authorizes a request"; SageMaker Developer Guide, cross-account model
registry with model package group policies):

- the caller's identity policies, every statement's Action, Resource (policy variables
  substituted) and Condition evaluated (``core/evaluation.py``) against the request context
  (``request_context.py``);
- the resource-based policy of the resource: a role's trust policy (``sts:AssumeRole``,
  ``sts:SetSourceIdentity``, ``sts:TagSession``), a KMS key's policy (``kms:*`` on a key), a
  bucket's policy (``s3:*``), a model package group's policy (``sagemaker:*`` on the group or its
  versions);
- an explicit Deny anywhere denies; a trust or key policy must allow (directly, or through the
  caller's account plus the caller's own Allow); a bucket or group policy is optional in its own
  account (identity Allow or a direct grant suffices) and required from another account (both
  halves); another account's SageMaker resource of a type without a resource policy is denied.

Denials use the service's wording: STS ``AccessDenied`` "User: <caller> is not authorized to
perform: sts:AssumeRole on resource: <role>", KMS ``AccessDeniedException`` naming the missing
policy, SageMaker ``AccessDeniedException`` "... because no resource-based policy allows the
<action> action", S3's plain ``AccessDenied``; otherwise moto's ``AccessDenied`` (in the
service's protocol, ``auth_errors.py``). :func:`register` replaces a method of moto's
``IAMRequestBase``, which a type checker refuses (``type: ignore[method-assign]``).
"""

from __future__ import annotations

import json
import re
from contextvars import ContextVar
from typing import Any

from moto.core.exceptions import AccessDeniedError
from moto.iam.access_control import AssumedRoleAccessKey, IAMPolicy, IAMRequestBase

from . import request_context
from .core.bindings import present
from .core.errors import JsonAuthError
from .core.evaluation import (
    Caller,
    Decision,
    Grant,
    decide,
    decide_same_account_optional,
    identity_decision,
    resource_policy_grant,
)

_ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role/(?:.+/)?([^/]+)$")
_KEY_ARN = re.compile(r"^arn:aws[\w-]*:kms:([\w-]+):(\d{12}):key/(.+)$")
_BUCKET_ARN = re.compile(r"^arn:aws[\w-]*:s3:::([^/*]+)(?:/.*)?$")
_SAGEMAKER_ARN = re.compile(r"^arn:aws[\w-]*:sagemaker:([\w-]+):(\d{12}):([\w-]+)/(.+)$")
#: The role's trust policy decides these STS actions (with the caller's identity policies).
TRUST_ACTIONS = ("sts:assumerole", "sts:setsourceidentity", "sts:tagsession")

#: The moto response object (the request) being authorized; set by ``authentication``.
CURRENT: ContextVar[Any] = ContextVar("mlgov_current_request", default=None)


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


def identity_documents(access_key: Any) -> list[dict[str, Any]]:
    """The caller's identity policies (inline, attached, and its groups') as documents."""
    documents = []
    for policy in access_key.collect_policies():
        document = IAMPolicy(policy)._policy_json
        if isinstance(document, dict):
            documents.append(document)
    return documents


# -- resource-based policies -----------------------------------------------------------------------
def _role_document(resource: str) -> tuple[str, dict[str, Any] | None]:
    from moto.iam.models import iam_backends

    match = _ROLE_ARN.match(resource)
    assert match is not None
    account = match.group(1)
    role = next((r for r in iam_backends[account]["aws"].roles.values() if r.arn == resource), None)
    return account, json.loads(role.assume_role_policy_document) if role is not None else None


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


def _group_document(resource: str) -> tuple[str, dict[str, Any] | None, bool]:
    """(account, group policy, whether the resource type has resource policies) of a SageMaker
    ARN: model package groups and their versions carry the group's policy."""
    from moto.sagemaker.models import sagemaker_backends

    match = _SAGEMAKER_ARN.match(resource)
    assert match is not None
    region, account, kind, path = match.groups()
    if kind not in ("model-package", "model-package-group"):
        return account, None, False
    backend = dict.get(sagemaker_backends.get(account, {}), region)
    policies = getattr(backend, "model_package_group_policies", {}) if backend is not None else {}
    group = path.split("/")[0]
    policy = policies.get(group) or next((p for g, p in policies.items() if g.lower() == group.lower()), None)
    return account, json.loads(present(policy)) if policy else None, True


# -- the decision ----------------------------------------------------------------------------------
def _deny(
    request: IAMRequestBase, caller: Caller, action: str, resource: str, kind: str, missing: str
) -> None:
    message = f"User: {caller.acting_arn} is not authorized to perform: {action} on resource: {resource}"
    if kind == "key":
        reason = (
            f"with an explicit deny in a {'resource' if missing == 'resource deny' else 'identity'}-based policy"
            if missing in ("explicit deny", "resource deny")
            else f"because no {missing} policy allows the {action} action"
        )
        raise JsonAuthError("AccessDeniedException", f"{message} {reason}", 400)
    if kind == "group":
        reason = (
            "with an explicit deny"
            if missing in ("explicit deny", "resource deny")
            else f"because no {missing} policy allows the {action} action"
        )
        raise JsonAuthError("AccessDeniedException", f"{message} {reason}", 400)
    if kind == "role":
        raise PolicyAccessDenied(message)
    request._raise_access_denied()


def authorize(request: IAMRequestBase, action: str, resource: str) -> None:
    """Raise the service's access denied error unless ``action`` on ``resource`` is allowed."""
    caller = caller_of(request)
    response = CURRENT.get()
    service, _, operation = action.partition(":")
    context = request_context.build(response, request._access_key, service, operation, resource)
    identity = identity_decision(identity_documents(request._access_key), action, resource, context)
    lowered = action.lower()

    if lowered in TRUST_ACTIONS and _ROLE_ARN.match(resource):
        account, document = _role_document(resource)
        if document is None:  # no such role: AccessDenied, as AWS answers
            _deny(request, caller, action, resource, "role", "resource-based")
        grant = resource_policy_grant(document, caller, action, resource, context)
        missing = decide(grant, identity, caller.account == account)
        if missing is not None:
            _deny(request, caller, action, resource, "role", missing)
        return
    if service == "kms" and _KEY_ARN.match(resource):
        account, document = _key_document(resource)
        if document is None:  # no such key: the handler answers NotFoundException
            if identity is not Decision.ALLOWED:
                _deny(request, caller, action, resource, "identity", "identity-based")
            return
        grant = resource_policy_grant(document, caller, action, resource, context)
        missing = decide(grant, identity, caller.account == account)
        if missing is not None:
            _deny(
                request, caller, action, resource, "key", "resource deny" if grant is Grant.DENY else missing
            )
        return
    if service == "s3" and _BUCKET_ARN.match(resource):
        owner, document = _bucket_document(resource)
        grant = resource_policy_grant(document, caller, action, resource, context)
        if owner is None or owner == caller.account:
            missing = decide_same_account_optional(grant, identity)
        else:
            # S3 answers a cross-account request with the plain "Access Denied".
            missing = decide(grant, identity, same_account=False)
        if missing is not None:
            _deny(request, caller, action, resource, "bucket", missing)
        return
    if service == "sagemaker" and _SAGEMAKER_ARN.match(resource):
        account, document, has_policies = _group_document(resource)
        if account != caller.account:
            grant = (
                resource_policy_grant(document, caller, action, resource, context)
                if has_policies
                else Grant.NONE
            )
            missing = decide(grant, identity, same_account=False)
            if missing is not None:
                _deny(
                    request,
                    caller,
                    action,
                    resource,
                    "group",
                    "resource deny" if grant is Grant.DENY else missing,
                )
            return
        grant = resource_policy_grant(document, caller, action, resource, context)
        missing = decide_same_account_optional(grant, identity)
        if missing == "explicit deny" and grant is Grant.DENY:
            _deny(request, caller, action, resource, "group", "resource deny")
        if missing is not None:
            _deny(request, caller, action, resource, "identity", missing)
        return
    if identity is not Decision.ALLOWED:
        _deny(request, caller, action, resource, "identity", "identity-based")


def check_action_permitted(self: IAMRequestBase, resource: str) -> None:
    """moto's ``check_action_permitted``, decided as the module docstring says."""
    action = self._action
    if action == "sts:GetCallerIdentity":  # AWS allows it whatever the policies say
        return
    authorize(self, action, resource)
    if action == "sts:AssumeRole" and _ROLE_ARN.match(resource):
        _check_session_attributes(self, resource)


def _check_session_attributes(request: IAMRequestBase, resource: str) -> None:
    """AssumeRole with a source identity (set or inherited) needs ``sts:SetSourceIdentity``,
    with session tags ``sts:TagSession``; a chained session's source identity cannot change."""
    from .sts import caller_session, query_list

    response = CURRENT.get()
    if response is None:
        return
    session = caller_session(response)
    inherited = getattr(session, "source_identity", None) if session is not None else None
    requested = response._get_param("SourceIdentity")
    if inherited and requested and requested != inherited:
        caller = caller_of(request)
        raise PolicyAccessDenied(
            f"User: {caller.acting_arn} is not authorized to perform: sts:SetSourceIdentity on "
            f"resource: {resource}: the source identity of this session ({inherited}) cannot be "
            "changed"
        )
    if inherited or requested:
        authorize(request, "sts:SetSourceIdentity", resource)
    if query_list(response, "Tags"):
        authorize(request, "sts:TagSession", resource)


def register() -> None:
    """Decide every enforced request from identity and resource-based policies (idempotent)."""
    IAMRequestBase.check_action_permitted = check_action_permitted  # type: ignore[method-assign]


def authorize_on_behalf(response: Any, action: str, resource: str, keys: dict[str, str | list[str]]) -> None:
    """Authorize a call a service makes for the caller of ``response`` (Forward access sessions:
    SageMaker using a KMS key, passing a role), as the caller, with the extra context ``keys``
    (``kms:ViaService``, ``aws:ViaAWSService``, ``iam:PassedToService`` ...). Refusals are the
    calling service's ``AccessDeniedException`` carrying the inner service's message. Only while
    IAM is enforced."""
    from moto.iam.access_control import IAMRequest

    from .core.utils import iam_enforced

    if not iam_enforced():
        return
    operation = action.split(":", 1)[1]
    request = IAMRequest(
        account_id=response.current_account,
        method=response.method,
        path="/",
        data=response.data,
        body=b"",
        headers=response.headers,
        action=operation,
    )
    request._action = action
    current, on_behalf = CURRENT.set(response), request_context.ON_BEHALF.set(keys)
    try:
        authorize(request, action, resource)
    except JsonAuthError:
        raise
    except AccessDeniedError:
        caller = caller_of(request)
        raise JsonAuthError(
            "AccessDeniedException",
            f"User: {caller.acting_arn} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action",
            400,
        ) from None
    finally:
        request_context.ON_BEHALF.reset(on_behalf)
        CURRENT.reset(current)
