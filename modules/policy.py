"""Helpers that build IAM and resource policies as literal JSON from Python data.

Every policy in the kit is ``json.dumps`` of plain dicts so the synthesized Terraform carries the
real statements: checkov and the tests read them, and nothing hides behind a reference.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

Statement = dict[str, Any]


def document(*statements: Statement) -> str:
    """A policy document (version 2012-10-17) as a JSON string."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=False)


def statement(
    sid: str,
    actions: Iterable[str],
    resources: Iterable[str] | None = None,
    *,
    effect: str = "Allow",
    principal: dict[str, Any] | None = None,
    condition: dict[str, Any] | None = None,
    not_resources: Iterable[str] | None = None,
) -> Statement:
    """One statement; ``resources`` is omitted for trust policies; ``not_resources`` (instead of
    ``resources``) applies it to everything but them."""
    stmt: Statement = {"Sid": sid, "Effect": effect}
    if principal is not None:
        stmt["Principal"] = principal
    stmt["Action"] = sorted(set(actions))
    if resources is not None:
        stmt["Resource"] = list(dict.fromkeys(resources))
    if not_resources is not None:
        stmt["NotResource"] = list(dict.fromkeys(not_resources))
    if condition:
        stmt["Condition"] = condition
    return stmt


def variable(name: str) -> str:
    """An IAM policy variable (``${aws:SourceIdentity}``) as it must appear in a policy the stack
    hands to Terraform: Terraform reads ``${...}`` in a string as its own interpolation, so the
    JSON carries ``$${...}``, which Terraform writes to AWS as ``${...}``."""
    return f"$${{{name}}}"


def org_condition(organization_id: str | None) -> dict[str, Any]:
    """``aws:PrincipalOrgID`` for cross-account grants when the platform has an organization."""
    if not organization_id:
        return {}
    return {"StringEquals": {"aws:PrincipalOrgID": organization_id}}
