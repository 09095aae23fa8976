"""The two-phase apply: which identities must exist before any environment writes its policies.

An environment's bucket, KMS key and model package group policies name the promotion role of
each environment that promotes from it (modules/stack.py: ``downstream_promotion``), and AWS
refuses a resource policy whose principal does not exist. Applying downstream first
(``PlatformConfig.apply_order``) satisfies that one environment at a time, so the provider's
long waits (about a minute per stack, mostly S3 lifecycle configurations settling) add up.

Instead:

- **phase 1, identities**: in every selected environment at once, ``terraform apply -target``
  exactly the roles that another *selected* environment's policies name (today: the promotion
  role of each environment whose upstream is applied in the same run). Nothing else: a role
  has no dependency, so the targeted apply creates that role alone, in seconds.
- **phase 2, apply**: every selected environment at once, the whole stack; every principal a
  policy names now exists, so the order no longer matters and the waits overlap.

Which roles: :func:`identity_roles`, from the configuration alone (``PlatformConfig`` and
``environments.naming.Names``, the functions the stacks name the principals with). Their
Terraform addresses: :func:`identity_targets`, read from the synthesized ``cdk.tf.json`` by the
role's ``name`` (never a hashed logical id typed in). :func:`unplanned_principals` checks the
other way round, from the synthesized policies: a policy that names a role another stack
creates but phase 1 does not would fail on a strict cloud, so the runner refuses before
applying anything and says which role to add.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from environments import EnvironmentConfig, PlatformConfig
from environments.naming import Names
from scripts.errors import UsageError

from .targets import STACK_FILE

PHASE_IDENTITIES = "identities"
PHASE_APPLY = "apply"
#: Roles other environments' resource policies name, by ``Names.role_name`` key: the upstream's
#: bucket, key and group policies grant each downstream environment's promotion role
#: (modules/stack.py). A new cross-environment grant adds its key here; :func:`unplanned_principals`
#: refuses to apply until it is.
ROLES_NAMED_BY_UPSTREAM = ("promotion",)
_ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/([\w+=,.@-]+)")


@dataclass(frozen=True)
class Identity:
    """One role phase 1 creates: in ``env``, named by ``named_by``'s policies."""

    env: str
    role_name: str
    named_by: str
    address: str = ""
    """The role's Terraform address in ``env``'s stack (``aws_iam_role.<logical id>``)."""


def identity_roles(
    platform: PlatformConfig, selected: Iterable[EnvironmentConfig | str] | None = None
) -> dict[str, tuple[Identity, ...]]:
    """The roles phase 1 creates, per selected environment (every environment is a key).

    A role is created early only when the environment whose policies name it is applied in the
    same run: with ``--env staging`` alone, dev's policies are not written, so staging needs no
    phase 1 (and an environment without an upstream never does).
    """
    names = [e if isinstance(e, str) else e.name for e in (selected or platform.environments.values())]
    chosen = set(names)
    plan: dict[str, tuple[Identity, ...]] = {}
    for name in names:
        env = platform.env(name)
        upstream = env.promotes_from
        if upstream is None or upstream not in chosen:
            plan[name] = ()
            continue
        # The roles the upstream stack's policies name: the same Names call modules/stack.py makes.
        plan[name] = tuple(
            Identity(name, Names.of(platform, env).role_name(key), named_by=upstream)
            for key in ROLES_NAMED_BY_UPSTREAM
        )
    return plan


def read_stack(stack_dir: Path) -> dict[str, Any]:
    stack_file = stack_dir / STACK_FILE
    if not stack_file.is_file():
        raise UsageError(f"{stack_file} does not exist: synthesize first (python main.py)")
    doc: dict[str, Any] = json.loads(stack_file.read_text(encoding="utf-8"))
    return doc


def role_addresses(stack: Mapping[str, Any]) -> dict[str, str]:
    """Every ``aws_iam_role`` of a synthesized stack: role name -> Terraform address."""
    roles = stack.get("resource", {}).get("aws_iam_role", {})
    return {
        config["name"]: f"aws_iam_role.{logical}"
        for logical, config in roles.items()
        if isinstance(config.get("name"), str)
    }


def identity_targets(
    stack: Mapping[str, Any], identities: Sequence[Identity], *, env: str = ""
) -> list[Identity]:
    """``identities`` with the address of each role in the synthesized ``stack``.

    Raises :class:`UsageError` when the stack creates no role of that name (the stack and
    ``environments.naming`` disagree: phase 1 would create nothing and phase 2 would fail).
    """
    addresses = role_addresses(stack)
    found = []
    for identity in identities:
        if identity.role_name not in addresses:
            raise UsageError(
                f"the synthesized stack of {env or identity.env!r} creates no aws_iam_role named "
                f"{identity.role_name!r}, which {identity.named_by}'s policies name; synthesize again "
                f"(--force-synth) or check modules/iam.py against environments/naming.py"
            )
        found.append(
            Identity(identity.env, identity.role_name, identity.named_by, addresses[identity.role_name])
        )
    return found


@dataclass(frozen=True)
class PhasePlan:
    """What each phase of a two-phase apply does."""

    identities: dict[str, tuple[Identity, ...]]
    """Phase 1: per environment, the roles (with addresses) to create first; empty: none."""
    apply: tuple[str, ...]
    """Phase 2: the environments applied whole, concurrently."""

    def phase1_envs(self) -> list[str]:
        return [env for env in self.apply if self.identities.get(env)]


def phase_plan(platform: PlatformConfig, envs: Sequence[EnvironmentConfig], outdir: Path) -> PhasePlan:
    """The plan for ``envs`` from the configuration and the stacks synthesized into ``outdir``."""
    stacks = {e.name: read_stack(outdir / "stacks" / e.name) for e in envs}
    roles = identity_roles(platform, envs)
    targets = {name: tuple(identity_targets(stacks[name], ids, env=name)) for name, ids in roles.items()}
    missing = unplanned_principals(platform, stacks, targets)
    if missing:
        first = missing[0]
        raise UsageError(
            f"{first[0]}'s synthesized policies name the role {first[2]!r} that {first[1]}'s stack "
            f"creates, but phase 1 does not create it first: add its key to "
            f"scripts/deploy/phases.py ROLES_NAMED_BY_UPSTREAM (or apply with --sequential)"
        )
    return PhasePlan(identities=targets, apply=tuple(e.name for e in envs))


def unplanned_principals(
    platform: PlatformConfig,
    stacks: Mapping[str, Mapping[str, Any]],
    identities: Mapping[str, Sequence[Identity]],
) -> list[tuple[str, str, str]]:
    """Roles that one selected stack's JSON names and another selected stack creates, which phase
    1 does not create: ``(naming env, creating env, role name)``. Empty when the plan is complete.

    Read from the synthesized JSON (every policy is literal JSON there), so a grant added to a
    module without updating :data:`ROLES_NAMED_BY_UPSTREAM` is caught before anything is applied.
    """
    by_account = {platform.env(name).account_id: name for name in stacks}
    created = {name: set(role_addresses(stack)) for name, stack in stacks.items()}
    planned = {(i.env, i.role_name) for ids in identities.values() for i in ids}
    missing = []
    for name, stack in stacks.items():
        text = json.dumps(stack)
        for account, role in sorted(set(_ROLE_ARN.findall(text))):
            owner = by_account.get(account)
            if owner is None or owner == name or role not in created[owner]:
                continue
            if (owner, role) not in planned:
                missing.append((name, owner, role))
    return missing
