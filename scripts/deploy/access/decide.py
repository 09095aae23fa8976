"""Requests, callers and verdicts: one request decided over :class:`.stacks.Stacks` with the
local cloud's evaluator, an action allowed when one of its ways is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from environments import PlatformConfig

from .stacks import GITHUB_HOST, Document, Stacks

#: The people of a role, as the matrix names them (their session's source identity).
PERSON = "person@example.com"


@dataclass(frozen=True)
class Request:
    """One API request an action takes: the IAM action, the resource, and the request's keys."""

    action: str
    resource: str
    keys: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Caller:
    """Who makes the requests: a role's session (identity documents from the stacks), or a
    person or other principal whose own policies allow everything the matrix asks of them."""

    label: str
    account: str
    arn: str
    identity: tuple[Document, ...] | None
    """None: the principal's own policies allow anything (the trust decides)."""
    person: str = PERSON
    federated: Mapping[str, str] | None = None
    """A web identity: ``{"provider": ARN, "sub": ...}`` (AssumeRoleWithWebIdentity)."""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    denied_by: frozenset[str] = frozenset()
    """``<policy>#<Sid>`` of every explicit Deny that applied."""
    matched: frozenset[str] = frozenset()
    """``<policy>#<Sid>`` of every statement, Allow or Deny, that applied to some request of some
    way (what a reviewer reads to see which statement grants a cell; the tests' record of which
    conditions a cell depends on, where two policies must both allow)."""

    def cell(self) -> str:
        return "allowed" if self.allowed else "denied"


@dataclass(frozen=True)
class Action:
    """A governance action: its ways, each a list of requests that must all be allowed."""

    key: str
    title: str
    ways: tuple[tuple[Request, ...], ...]


class Matrix:
    """Decides requests over :class:`Stacks` with the local cloud's evaluator."""

    def __init__(self, platform: PlatformConfig, stacks: Stacks, evaluator: Any) -> None:
        self.platform = platform
        self.stacks = stacks
        self.ev = evaluator.evaluation

    # -- one request
    def decide(self, caller: Caller, request: Request) -> Verdict:
        ev = self.ev
        context = self._context(caller, request)
        denied: set[str] = set()
        matched: set[str] = set()
        if caller.identity is None:
            identity = ev.Decision.ALLOWED
        else:
            allows = False
            for doc in caller.identity:
                for statement in doc.statements():
                    if not ev.statement_applies(
                        statement, request.action, request.resource, context, doc.version
                    ):
                        continue
                    matched.add(f"{doc.label}#{statement.get('Sid', '?')}")
                    if statement.get("Effect") == "Deny":
                        denied.add(f"{doc.label}#{statement.get('Sid', '?')}")
                    elif statement.get("Effect") == "Allow":
                        allows = True
            identity = ev.Decision.ALLOWED if allows else ev.Decision.NEUTRAL
        kind, owner, document = self._resource_policy(request)
        grant = ev.Grant.NONE
        if document is not None:
            who = ev.Caller(caller.account, caller.arn, f"{caller.arn}/session")
            for statement in document.statements():
                if caller.federated is not None:
                    named = _federated_grant(statement, caller.federated["provider"])
                else:
                    named = ev.principal_grant(statement, who)
                if named is ev.Grant.NONE:
                    continue
                if not ev.statement_applies(
                    statement, request.action, request.resource, context, document.version
                ):
                    continue
                matched.add(f"{document.label}#{statement.get('Sid', '?')}")
                if statement.get("Effect") == "Deny":
                    denied.add(f"{document.label}#{statement.get('Sid', '?')}")
                elif statement.get("Effect") == "Allow":
                    grant = max(grant, named)
        if denied:
            return Verdict(False, frozenset(denied), frozenset(matched))
        same = owner == caller.account
        if kind == "identity":
            missing = None if identity is ev.Decision.ALLOWED else "identity"
        elif kind in ("bucket", "group") and same:
            missing = ev.decide_same_account_optional(grant, identity)
        else:
            missing = ev.decide(grant, identity, same)
        return Verdict(missing is None, matched=frozenset(matched))

    def _resource_policy(self, request: Request) -> tuple[str, str, Document | None]:
        """(kind, owning account, resource-based policy) of what ``request`` names."""
        resource, action = request.resource, request.action.lower()
        if action.startswith("sts:") and ":role/" in resource:
            role = self.stacks.roles.get(resource)
            return "role", resource.split(":")[4], role.trust if role else None
        if action.startswith("kms:") and ":key/" in resource:
            return "key", resource.split(":")[4], self.stacks.keys[resource][0]
        if action.startswith("s3:") and resource.startswith("arn:aws:s3:::"):
            bucket = resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
            owner, bucket_policy = self.stacks.buckets.get(bucket, ("", None))
            return "bucket", owner, bucket_policy
        if action.startswith("sagemaker:") and ":model-package" in resource:
            account = resource.split(":")[4]
            group = resource.replace(":model-package/", ":model-package-group/").rsplit("/", 1)[0]
            if ":model-package-group/" in resource:
                group = resource
            return "group", account, self.stacks.groups.get(group)
        return "identity", "", None

    def _context(self, caller: Caller, request: Request) -> dict[str, Any]:
        """The request context (``request_context.py``'s keys) of ``request`` by ``caller``."""
        context: dict[str, Any] = {
            "aws:securetransport": "true",
            "aws:viaawsservice": "false",
            "aws:principalisawsservice": "false",
            "aws:requestedregion": "us-east-1",
        }
        if caller.federated is not None:
            context.update(
                {f"{GITHUB_HOST}:sub": caller.federated["sub"], f"{GITHUB_HOST}:aud": "sts.amazonaws.com"}
            )
        else:
            context.update(
                {
                    "aws:principalarn": caller.arn,
                    "aws:principalaccount": caller.account,
                    "aws:principaltype": "AssumedRole",
                    "aws:sourceidentity": caller.person,
                }
            )
        parts = request.resource.split(":")
        if len(parts) > 4 and parts[4]:
            context["aws:resourceaccount"] = parts[4]
        if request.action.startswith("kms:"):
            context["kms:calleraccount"] = caller.account
            if request.resource in self.stacks.keys:
                context["kms:resourcealiases"] = sorted(self.stacks.keys[request.resource][1])
        if request.action.lower() in ("sts:assumerole", "sts:setsourceidentity"):
            context["sts:sourceidentity"] = caller.person
        context.update({k.lower(): v for k, v in request.keys.items()})
        return context

    # -- an action
    def verdict(self, caller: Caller, action: Action) -> Verdict:
        """Allowed when one way is; denied with every Deny met on the ways. Every way is decided
        (an allowed cell's record names the statements of its other ways too)."""
        denied: set[str] = set()
        matched: set[str] = set()
        allowed = False
        for way in action.ways:
            verdicts = [self.decide(caller, request) for request in way]
            allowed = allowed or all(v.allowed for v in verdicts)
            for v in verdicts:
                denied |= v.denied_by
                matched |= v.matched
        return Verdict(allowed, frozenset() if allowed else frozenset(denied), frozenset(matched))


def _federated_grant(statement: Mapping[str, Any], provider: str) -> Any:
    """How a trust statement names a web identity of ``provider`` (the evaluator's Grant)."""
    from types import SimpleNamespace

    principal = statement.get("Principal")
    named = isinstance(principal, Mapping) and provider in _as_list(principal.get("Federated"))
    grants = SimpleNamespace(NONE=0, DIRECT=2)
    return grants.DIRECT if named else grants.NONE


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
