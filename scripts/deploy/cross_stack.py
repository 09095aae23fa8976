"""Environments are applied at once: no stack's policy may name another stack's role as a principal.

AWS resolves every IAM principal of a resource policy when the policy is written and refuses one
that does not exist (KMS ``MalformedPolicyDocumentException``, S3 ``MalformedPolicy``, IAM
``MalformedPolicyDocument``). If an upstream environment's bucket, key or model package group
policy named a downstream environment's promotion role as its principal, the downstream stack
would have to be applied first, and a role deleted and created again would silently lose the
grant (the policy then holds the old role's unique id). So the stacks grant another
environment's role with its account as principal and ``ArnEquals`` on ``aws:PrincipalArn``
(modules/policy.py ``roles_by_arn``): nothing needs to exist first, and the deploy runner applies
every environment at once.

:func:`cross_stack_principals` keeps it that way: it reads the synthesized policies (every policy
is literal JSON in ``cdk.tf.json``) and finds each ``Principal`` that is a role one of the other
selected stacks creates; :func:`check_stacks` refuses to apply while there is one, naming the
policy, the role and the fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from environments import EnvironmentConfig, PlatformConfig
from scripts.errors import UsageError

from .targets import STACK_FILE

_ROLE_ARN = re.compile(r"^arn:aws:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)$")


def read_stack(stack_dir: Path) -> dict[str, Any]:
    stack_file = stack_dir / STACK_FILE
    if not stack_file.is_file():
        raise UsageError(f"{stack_file} does not exist: synthesize first (python main.py)")
    doc: dict[str, Any] = json.loads(stack_file.read_text(encoding="utf-8"))
    return doc


def role_names(stack: Mapping[str, Any]) -> set[str]:
    """The names of every ``aws_iam_role`` a synthesized stack creates."""
    roles = stack.get("resource", {}).get("aws_iam_role", {})
    return {config["name"] for config in roles.values() if isinstance(config.get("name"), str)}


@dataclass(frozen=True)
class CrossStackPrincipal:
    """``resource`` of ``env``'s stack names, as a principal, ``role`` that ``owner``'s stack creates."""

    env: str
    resource: str
    owner: str
    role: str


def _policies(stack: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(resource address, policy document)`` for every policy a synthesized stack writes."""
    for kind, resources in stack.get("resource", {}).items():
        for logical, config in resources.items():
            for value in config.values():
                if not isinstance(value, str) or '"Statement"' not in value:
                    continue
                try:
                    doc = json.loads(value)
                except ValueError:
                    continue
                if isinstance(doc, dict):
                    yield f"{kind}.{logical}", doc


def _aws_principals(doc: Mapping[str, Any]) -> Iterator[str]:
    statements = doc.get("Statement", [])
    for stmt in statements if isinstance(statements, list) else [statements]:
        principal = stmt.get("Principal") if isinstance(stmt, dict) else None
        named = principal.get("AWS", []) if isinstance(principal, dict) else []
        yield from [named] if isinstance(named, str) else named


def cross_stack_principals(
    platform: PlatformConfig, stacks: Mapping[str, Mapping[str, Any]]
) -> list[CrossStackPrincipal]:
    """Every principal of a policy of one of ``stacks`` (synthesized, by environment name) that
    is a role another of ``stacks`` creates. Empty for the shipped stacks."""
    by_account = {platform.env(name).account_id: name for name in stacks}
    created = {name: role_names(stack) for name, stack in stacks.items()}
    found = []
    for name, stack in stacks.items():
        for resource, doc in _policies(stack):
            for principal in _aws_principals(doc):
                m = _ROLE_ARN.match(principal)
                owner = by_account.get(m.group(1)) if m else None
                if m and owner is not None and owner != name and m.group(2) in created[owner]:
                    found.append(CrossStackPrincipal(name, resource, owner, m.group(2)))
    return found


def check_stacks(platform: PlatformConfig, envs: Sequence[EnvironmentConfig], outdir: Path) -> None:
    """Raise :class:`UsageError` when a stack of ``envs`` (synthesized into ``outdir``) names a
    role another of them creates as a principal: they could not be applied at once."""
    stacks = {e.name: read_stack(outdir / "stacks" / e.name) for e in envs}
    found = cross_stack_principals(platform, stacks)
    if found:
        first = found[0]
        raise UsageError(
            f"{first.env}'s {first.resource} names the role {first.role!r} that {first.owner}'s stack "
            f"creates as its Principal: AWS refuses that policy until the role exists, so the "
            f"environments cannot be applied at once; grant the role with modules/policy.py "
            f"roles_by_arn (its account as principal, aws:PrincipalArn as condition)"
        )
