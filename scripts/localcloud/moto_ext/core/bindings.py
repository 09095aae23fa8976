"""Principals of resource and trust policies bound to the unique ids of the roles and users they
name, as AWS binds them when a policy is written (IAM User Guide, "AWS JSON policy elements:
Principal", IAM role principals: "the ARN transforms to the role's unique principal ID when you
save the policy ... If you delete the role, then you break the relationship. The policy no longer
applies, even if you recreate the role"; "IAM identifiers", unique ID prefixes ``AROA`` role,
``AIDA`` user).

The document is stored as the client wrote it (:class:`BoundPolicy`, a ``str`` or ``bytes``
carrying ``{ARN: unique id}``); :func:`present` gives it as the service shows and evaluates it:
the ARN while the principal it was bound to still exists, its old unique id once that role or
user was deleted or recreated (another id). ``moto_ext.principals`` wires this into the services;
the evaluations (``resource_policies.py``, ``s3_policy.py``, ``sagemaker/policy.py``) read
policies through :func:`present`, so a recreated role is not matched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, TypeVar

from .utils import as_list

_IAM_IDENTITY = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):(role|user)/(.+)$")

_Policy = TypeVar("_Policy", str, bytes)


class InvalidPrincipal(Exception):
    """A principal of a policy names an IAM role or user that does not exist."""

    def __init__(self, principal: str) -> None:
        super().__init__(principal)
        self.principal = principal


class BoundPolicy(str):
    """A policy document as written, with the unique id of each role or user it named then."""

    bindings: dict[str, str]

    def __new__(cls, text: str, bindings: dict[str, str]) -> BoundPolicy:
        bound = super().__new__(cls, text)
        bound.bindings = bindings
        return bound


class BoundPolicyBytes(bytes):
    """:class:`BoundPolicy` for services that keep the document as bytes (S3)."""

    bindings: dict[str, str]

    def __new__(cls, data: bytes, bindings: dict[str, str]) -> BoundPolicyBytes:
        bound = super().__new__(cls, data)
        bound.bindings = bindings
        return bound


def _principal(account: str, kind: str, path_and_name: str) -> Any:
    """The IAM role or user an ARN names (``None`` if there is none)."""
    from moto.iam.models import iam_backends

    backend = iam_backends[account]["aws"]
    name = path_and_name.rsplit("/", 1)[-1]
    arn_suffix = f":{kind}/{path_and_name}"
    found: Any = (
        next((r for r in backend.roles.values() if r.name == name), None)
        if kind == "role"
        else backend.users.get(name)
    )
    return found if found is not None and found.arn.endswith(arn_suffix) else None


def _aws_entries(document: dict[str, Any]) -> Iterator[tuple[dict[str, Any], list[Any]]]:
    """(principal element, its ``AWS`` entries) of every Principal / NotPrincipal of ``document``."""
    for statement in as_list(document.get("Statement")):
        if not isinstance(statement, dict):
            continue
        for element in ("Principal", "NotPrincipal"):
            principal = statement.get(element)
            if isinstance(principal, dict) and "AWS" in principal:
                yield principal, as_list(principal["AWS"])


def missing_principals(document: dict[str, Any]) -> list[str]:
    """The IAM role and user ARNs of ``document``'s Principal / NotPrincipal that do not exist."""
    missing: list[str] = []
    for _, entries in _aws_entries(document):
        for entry in entries:
            match = _IAM_IDENTITY.match(str(entry))
            if match and _principal(*match.groups()) is None:
                missing.append(str(entry))
    return missing


def _document(policy: str | bytes | dict[str, Any] | None) -> dict[str, Any] | None:
    if policy is None or isinstance(policy, dict):
        return policy
    try:
        document = json.loads(policy)
    except (TypeError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def check_principals_exist(policy: str | bytes | dict[str, Any] | None) -> None:
    """Raise :class:`InvalidPrincipal` for the first principal that does not exist.

    A document that is not JSON is left to the caller's own validation."""
    document = _document(policy)
    if document is not None:
        missing = missing_principals(document)
        if missing:
            raise InvalidPrincipal(missing[0])


def bind(policy: _Policy) -> _Policy:
    """``policy`` unchanged, carrying the unique id of every role and user ARN it names now."""
    document = _document(policy)
    if document is None:
        return policy
    bindings: dict[str, str] = {}
    for _, entries in _aws_entries(document):
        for entry in entries:
            match = _IAM_IDENTITY.match(str(entry))
            found = _principal(*match.groups()) if match else None
            if found is not None:
                bindings[str(entry)] = str(found.id)
    if isinstance(policy, str):
        return BoundPolicy(policy, bindings)
    return BoundPolicyBytes(policy, bindings)


def orphaned(policy: str | bytes | None) -> dict[str, str]:
    """``{ARN: unique id it was bound to}`` of the principals of ``policy`` deleted or recreated
    since it was written."""
    bindings: dict[str, str] = getattr(policy, "bindings", {})
    stale: dict[str, str] = {}
    for arn, unique_id in bindings.items():
        match = _IAM_IDENTITY.match(arn)
        current = _principal(*match.groups()) if match else None
        if current is None or current.id != unique_id:
            stale[arn] = unique_id
    return stale


def present(policy: _Policy) -> _Policy:
    """``policy`` as AWS shows and evaluates it: the unique id in place of each principal that was
    deleted or recreated since the policy was written; the document as written otherwise."""
    stale = orphaned(policy)
    document = _document(policy) if stale else None
    if document is None:
        return policy
    for principal, entries in _aws_entries(document):
        shown = [stale.get(str(entry), entry) for entry in entries]
        principal["AWS"] = shown if isinstance(principal["AWS"], list) else shown[0]
    text = json.dumps(document)
    return text if isinstance(policy, str) else text.encode()
