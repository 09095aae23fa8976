"""IAM policy evaluation: identity policies and resource-based policies, with their conditions.

Written from the IAM User Guide's "Policy evaluation logic" and "Cross-account policy evaluation
logic". The same functions decide every request the local cloud authorizes (identity policies;
role trust, KMS key, S3 bucket and model package group policies), and can be called on documents
alone (a reviewer's access matrix) with a request context built by hand:

    identity = identity_decision(documents, "sagemaker:UpdateModelPackage", arn, context)
    grant = resource_policy_grant(group_policy, caller, "sagemaker:UpdateModelPackage", arn, context)
    missing = decide(grant, identity, same_account=caller.account == owner)   # None: allowed

- A statement applies when its ``Action``/``NotAction`` matches the action (case-insensitive,
  ``*`` and ``?``), its ``Resource``/``NotResource`` matches the resource (case-sensitive, policy
  variables substituted in version ``2012-10-17`` documents; a statement without either applies
  to the resource it is attached to, as a trust policy's), its ``Principal``/``NotPrincipal``
  names the caller (resource-based policies) and every ``Condition`` is met (``conditions.py``).
- An explicit Deny that applies denies, wherever it sits in the document or among the documents;
  otherwise an Allow that applies allows; otherwise the request is implicitly denied. Statement
  order never matters.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import VARIABLES_VERSION, Context, UnresolvedVariable, conditions_met, glob_match, substitute
from .utils import as_list


class Decision(enum.Enum):
    """What a set of identity policies says about one request."""

    ALLOWED = "allowed"
    DENIED = "denied"
    """An explicit Deny applies."""
    NEUTRAL = "neutral"
    """No statement applies: implicitly denied unless a resource-based policy allows."""


class Grant(enum.IntEnum):
    """What a resource-based policy says about one request, weakest first."""

    NONE = 0
    THROUGH_ACCOUNT = 1
    """Allowed to the caller's account (``<account>`` / ``arn:aws:iam::<account>:root``): the
    account's IAM policies decide."""
    DIRECT = 2
    """Allowed to the caller itself (its role, user or session ARN) or to ``*``."""
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


def _version(document: Mapping[str, Any]) -> str:
    return str(document.get("Version") or "2008-10-17")


def action_matches(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(glob_match(str(p), action, case=False) for p in as_list(statement["NotAction"]))
    return any(glob_match(str(p), action, case=False) for p in as_list(statement.get("Action")))


def _resource_patterns(patterns: Any, context: Context, version: str) -> list[str]:
    resolved = []
    for pattern in as_list(patterns):
        text = str(pattern)
        if version == VARIABLES_VERSION:
            try:
                text = substitute(text, context)
            except UnresolvedVariable:
                continue  # the variable cannot be resolved: this entry matches nothing
        resolved.append(text)
    return resolved


def resource_matches(statement: Mapping[str, Any], resource: str, context: Context, version: str) -> bool:
    """``Resource`` / ``NotResource`` against ``resource``; a statement with neither (a trust
    policy's) applies to the resource its policy is attached to."""
    if "NotResource" in statement:
        patterns = _resource_patterns(statement["NotResource"], context, version)
        return not any(glob_match(p, resource) for p in patterns)
    if "Resource" not in statement:
        return True
    return any(glob_match(p, resource) for p in _resource_patterns(statement["Resource"], context, version))


def statement_applies(
    statement: Mapping[str, Any], action: str, resource: str, context: Context, version: str
) -> bool:
    """Action, resource and conditions of one statement (its principal is the caller's to check)."""
    return (
        action_matches(statement, action)
        and resource_matches(statement, resource, context, version)
        and conditions_met(statement, context, version=version)
    )


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]


def identity_decision(
    documents: Iterable[Mapping[str, Any]], action: str, resource: str, context: Context
) -> Decision:
    """The caller's identity policies (inline, attached, group) on one request."""
    allowed = False
    for document in documents:
        version = _version(document)
        for statement in _statements(document):
            if not statement_applies(statement, action, resource, context, version):
                continue
            if statement.get("Effect") == "Deny":
                return Decision.DENIED
            allowed = allowed or statement.get("Effect") == "Allow"
    return Decision.ALLOWED if allowed else Decision.NEUTRAL


def principal_grant(statement: Mapping[str, Any], caller: Caller) -> Grant:
    """How ``statement``'s Principal / NotPrincipal names the caller. Service, federated and SAML
    principals never name an IAM caller."""

    def named(principal: Any) -> Grant:
        if principal == "*":
            return Grant.DIRECT
        if not isinstance(principal, Mapping):
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


def resource_policy_grant(
    document: Mapping[str, Any] | None, caller: Caller, action: str, resource: str, context: Context
) -> Grant:
    """The strongest grant of ``document`` for the request; DENY if any statement denies it."""
    if not document:
        return Grant.NONE
    version = _version(document)
    grant = Grant.NONE
    denied = False
    for statement in _statements(document):
        principal = principal_grant(statement, caller)
        if principal is Grant.NONE or not statement_applies(statement, action, resource, context, version):
            continue
        if statement.get("Effect") == "Deny":
            denied = True
        elif statement.get("Effect") == "Allow":
            grant = max(grant, principal)
    return Grant.DENY if denied else grant


def service_grant(
    document: Mapping[str, Any] | None, service: str, action: str, resource: str, context: Context
) -> Grant:
    """What ``document`` (a role's trust policy, a resource policy) says to the AWS service
    principal ``service`` (``sagemaker.amazonaws.com``) acting by itself: DIRECT when a statement
    naming it (``Principal: {"Service": ...}`` or ``"*"``) allows, DENY when one denies, NONE
    otherwise. The service acts as no IAM identity, so its identity policies play no part."""
    if not document:
        return Grant.NONE
    version = _version(document)

    def named(principal: Any) -> bool:
        if principal == "*":
            return True
        if not isinstance(principal, Mapping):
            return False
        return service in [str(e) for e in as_list(principal.get("Service"))] or "*" in as_list(
            principal.get("AWS")
        )

    grant, denied = Grant.NONE, False
    for statement in _statements(document):
        if "NotPrincipal" in statement:
            applies_to_service = not named(statement["NotPrincipal"])
        else:
            applies_to_service = named(statement.get("Principal"))
        if not applies_to_service or not statement_applies(statement, action, resource, context, version):
            continue
        if statement.get("Effect") == "Deny":
            denied = True
        elif statement.get("Effect") == "Allow":
            grant = Grant.DIRECT
    return Grant.DENY if denied else grant


def decide(grant: Grant, identity: Decision, same_account: bool) -> str | None:
    """None when allowed, else which half is missing: ``"explicit deny"``, ``"resource-based"``
    or ``"identity-based"``.

    An explicit Deny anywhere denies. The resource-based policy must allow the caller directly or
    through its account; in the resource's own account a direct grant suffices, a grant through
    the account also needs the caller's identity policies to allow; from another account the
    identity policies must allow too, however the grant is made."""
    if grant is Grant.DENY or identity is Decision.DENIED:
        return "explicit deny"
    if grant is Grant.NONE:
        return "resource-based"
    if grant is Grant.DIRECT and same_account:
        return None
    return None if identity is Decision.ALLOWED else "identity-based"


def decide_same_account_optional(grant: Grant, identity: Decision) -> str | None:
    """Within the resource's account, for resources whose policy is optional (S3 buckets, model
    package groups): either the identity policies or a direct grant of the resource policy allows
    ("Policy evaluation logic": the union of identity-based and resource-based policies)."""
    if grant is Grant.DENY or identity is Decision.DENIED:
        return "explicit deny"
    if identity is Decision.ALLOWED or grant is Grant.DIRECT:
        return None
    return "identity-based"
