"""The two tables of an environment: every role x every governance action, and every caller x
every person- or CI-facing role (may it assume it?)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from environments import PlatformConfig
from environments.fields import concrete_principal
from environments.naming import Names

from .actions import ROLES, actions, role_caller, roles_of
from .decide import Action, Caller, Matrix, Request, Verdict
from .stacks import Stacks


@dataclass(frozen=True)
class Row:
    action: Action
    verdicts: dict[str, Verdict]


def matrix(platform: PlatformConfig, stacks: Stacks, evaluator: Any, env_name: str) -> list[Row]:
    """Every action of ``env_name`` (rows) for every role of it (:data:`ROLES`)."""
    env = platform.env(env_name)
    decider = Matrix(platform, stacks, evaluator)
    callers = {key: role_caller(platform, stacks, env, key) for key in roles_of(platform, stacks, env)}
    return [
        Row(action, {key: decider.verdict(caller, action) for key, caller in callers.items()})
        for action in actions(platform, stacks, env)
    ]


#: Who tries to take the person- and CI-facing roles in :func:`who_may_assume`.
TAKERS = (
    "data scientist",
    "data engineer",
    "approver",
    "promotion operator",
    "other principal of the account",
    "deploy role",
    "CI pull request",
    "CI main branch",
    "CI apply job",
    "CI promote job",
)
TAKEN = ("data_scientist", "data_engineer", "approver", "promotion", "model_deploy", "deploy", "plan")


def who_may_assume(
    platform: PlatformConfig, stacks: Stacks, evaluator: Any, env_name: str
) -> dict[str, dict[str, Verdict | None]]:
    """``{taker: {role: verdict}}``: may each caller of :data:`TAKERS` take each role of
    :data:`TAKEN` in ``env_name`` (``None``: no such caller here, e.g. no promotion operator)?
    A person is the concrete principal the configuration names first (a pattern made concrete,
    ``environments.fields.concrete_principal``), its own policies allowing ``sts:AssumeRole``; a
    GitHub job is its OIDC token's subject."""
    env = platform.env(env_name)
    names = Names.of(platform, env)
    decider = Matrix(platform, stacks, evaluator)
    account = env.account_id

    def person(principals: Sequence[str]) -> Caller | None:
        if not principals:
            return None
        return Caller("person", account, concrete_principal(principals[0]), None)

    def job(subject: str) -> Caller | None:
        ci = platform.ci
        if ci is None:
            return None
        provider = names.github_oidc_provider_arn
        return Caller(
            "ci",
            account,
            provider,
            None,
            federated={"provider": provider, "sub": f"repo:{ci.github_repository}:{subject}"},
        )

    takers: dict[str, Caller | None] = {
        "data scientist": person(env.data_scientists),
        "data engineer": person(env.data_engineers),
        "approver": person(env.approvers),
        "promotion operator": person(env.promotion_operators),
        "other principal of the account": Caller(
            "other", account, f"arn:aws:iam::{account}:role/Administrator", None
        ),
        "deploy role": role_caller(platform, stacks, env, "deploy"),
        "CI pull request": job("pull_request"),
        "CI main branch": job("ref:refs/heads/main"),
        "CI apply job": job(f"environment:{env.name}"),
        "CI promote job": job(f"environment:{env.promotion_environment}"),
    }
    role_arns = {
        "data_scientist": names.role_arn("data_scientist"),
        "data_engineer": names.role_arn("data_engineer"),
        "approver": names.role_arn("approver"),
        "promotion": names.role_arn("promotion"),
        "model_deploy": names.role_arn("model_deploy"),
        "deploy": env.deploy_role_arn,
        "plan": names.plan_role_arn,
    }
    table: dict[str, dict[str, Verdict | None]] = {}
    for taker, caller in takers.items():
        row: dict[str, Verdict | None] = {}
        for role, arn in role_arns.items():
            if caller is None or arn not in stacks.roles:  # no such person, or no such role here
                row[role] = None
                continue
            if caller.federated is not None:
                way: tuple[Request, ...] = (Request("sts:AssumeRoleWithWebIdentity", arn),)
            else:
                way = (Request("sts:AssumeRole", arn), Request("sts:SetSourceIdentity", arn))
            row[role] = decider.verdict(caller, Action("assume", f"assume {role}", (way,)))
        table[taker] = row
    return table


def render_markdown(rows: Sequence[Row]) -> str:
    roles = [k for k in ROLES if rows and k in rows[0].verdicts]
    header = "| action | " + " | ".join(roles) + " |"
    lines = [header, "| --- |" + " --- |" * len(roles)]
    for row in rows:
        lines.append(f"| {row.action.title} | " + " | ".join(row.verdicts[k].cell() for k in roles) + " |")
    return "\n".join(lines)


def render_trust(table: Mapping[str, Mapping[str, Verdict | None]]) -> str:
    lines = ["| may assume | " + " | ".join(TAKEN) + " |", "| --- |" + " --- |" * len(TAKEN)]
    for taker, row in table.items():
        cells = [("n/a" if row[r] is None else row[r].cell()) for r in TAKEN]  # type: ignore[union-attr]
        lines.append(f"| {taker} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
