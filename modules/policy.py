"""Helpers that build IAM and resource policies as literal JSON from Python data.

Every policy in the kit is ``json.dumps`` of plain dicts so the synthesized Terraform carries the
real statements: checkov and the tests read them, and nothing hides behind a reference.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from environments.fields import is_pattern, principal_account

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


def roles_by_arn(role_arns: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(principal, condition)`` granting exactly the roles ``role_arns`` of other accounts in a
    resource policy, without naming them as principals: the principal is each role's account and
    ``ArnEquals`` on ``aws:PrincipalArn`` (the role's ARN in every session of it) admits only those
    roles (IAM User Guide, "aws:PrincipalArn"; "Principal", AWS account principals).

    Why not the role ARN as principal: AWS resolves a principal to the role's unique id when the
    policy is written, so the role must exist first (the grantee's stack applied before the
    granter's), and a role deleted and created again is no longer granted. With the account and
    the condition, no apply order is needed and the grant follows the role's name. The account
    principal delegates to that account's IAM: the role's own policies must also allow the
    action, which the kit's do (a cross-account call always needs both)."""
    arns = sorted(set(role_arns))
    accounts = sorted({f"arn:aws:iam::{principal_account(arn)}:root" for arn in arns})
    return {"AWS": accounts}, {"ArnEquals": {"aws:PrincipalArn": arns}}


#: What a person-facing role's trust lets its principals do: assume it, carrying the person in
#: (``sts:SetSourceIdentity``: a session that carries a source identity, or an AssumeRole that
#: sets one, is refused without it; IAM User Guide, "Monitor and control actions taken with
#: assumed roles").
PEOPLE_TRUST_ACTIONS = ("sts:AssumeRole", "sts:SetSourceIdentity")


def people_trust(sid: str, principals: Sequence[str]) -> list[Statement]:
    """The trust of a person-facing role: exactly ``principals`` (validated by the schema: named
    roles or users, never an account root or ``*``), each allowed to bring its source identity.

    A named principal is the statement's ``Principal``. A role pattern (an IAM Identity Center
    permission set's roles carry a generated suffix) cannot be a principal: its account is the
    principal and ``ArnLike`` on ``aws:PrincipalArn`` admits only roles matching it (IAM User
    Guide, "Principal" and "aws:PrincipalArn"); with the account as principal, the caller's own
    policies must also allow ``sts:AssumeRole`` (a permission set's policy does)."""
    named = sorted(p for p in principals if not is_pattern(p))
    patterns: dict[str, list[str]] = {}
    for p in sorted(principals):
        if is_pattern(p):
            patterns.setdefault(principal_account(p), []).append(p)
    out = [statement(sid, PEOPLE_TRUST_ACTIONS, principal={"AWS": named})] if named else []
    for i, (account, matching) in enumerate(sorted(patterns.items())):
        out.append(
            statement(
                f"{sid}ByPattern{i + 1 if len(patterns) > 1 else ''}",
                PEOPLE_TRUST_ACTIONS,
                principal={"AWS": f"arn:aws:iam::{account}:root"},
                condition={"ArnLike": {"aws:PrincipalArn": matching}},
            )
        )
    return out
