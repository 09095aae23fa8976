"""Rules between environment files, checked when :class:`environments.schema.PlatformConfig` is
validated: derived names within AWS limits, one account per environment, non-overlapping CIDRs,
the promotion graph (no self-link, an existing upstream that defines the use cases, no cycle).
Each refusal names the file that has to change.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from pydantic_core import PydanticCustomError

from .fields import refuse

if TYPE_CHECKING:
    from .schema import EnvironmentConfig

#: The longest derived role name is "<prefix>-<env>-datazone-execution" (see naming.py).
_LONGEST_ROLE_SUFFIX = len("-datazone-execution")
#: The longest derived bucket name is "<prefix>-<env>-access-logs-<account id>".
_LONGEST_BUCKET_SUFFIX = len("-access-logs-") + 12
_MODEL_PACKAGE_GROUP = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
#: The data-quality monitoring schedule and its job definition: "<prefix>-<use case>-data-quality".
_MONITOR_SUFFIX = "-data-quality"


# -- rules between files ----------------------------------------------------------------------------


# Each rule yields every refusal it finds; PlatformConfig reports them all at once.


def _check_derived_names(prefix: str, envs: Sequence[EnvironmentConfig]) -> Iterator[PydanticCustomError]:
    """Names built from ``name_prefix`` (platform.yaml) and an environment file fit AWS limits."""
    for env in envs:
        for i, uc in enumerate(env.use_cases):
            group = f"{prefix}-{uc.name}"
            if not _MODEL_PACKAGE_GROUP.fullmatch(group):
                yield refuse(
                    f"model package group name {group!r} breaks SageMaker's pattern",
                    field=f"use_cases[{i}].name",
                    file=env.source,
                )
            monitor = f"{group}{_MONITOR_SUFFIX}"
            if uc.data_quality_schedule and not _MODEL_PACKAGE_GROUP.fullmatch(monitor):
                yield refuse(
                    f"monitoring schedule name {monitor!r} exceeds SageMaker's 63 characters; "
                    "shorten name_prefix or the use case's name",
                    field=f"use_cases[{i}].data_quality_schedule",
                    file=env.source,
                )
        base = f"{prefix}-{env.name}"
        if len(base) + _LONGEST_ROLE_SUFFIX > 64:
            yield refuse(
                f"derived IAM role name {base}-datazone-execution exceeds 64 characters; "
                "shorten name_prefix or name",
                field="name",
                file=env.source,
            )
        if len(base) + _LONGEST_BUCKET_SUFFIX > 63:
            yield refuse(
                f"derived bucket name {base}-access-logs-{env.account_id} exceeds 63 characters; "
                "shorten name_prefix or name",
                field="name",
                file=env.source,
            )


def _check_accounts(envs: Sequence[EnvironmentConfig]) -> Iterator[PydanticCustomError]:
    seen: dict[str, EnvironmentConfig] = {}
    for env in envs:
        other = seen.setdefault(env.account_id, env)
        if other is not env:
            yield refuse(
                f"expected an account of its own, but {env.account_id} is already used by "
                f"{other.name!r} in {other.source} (one AWS account per environment)",
                field="account_id",
                file=env.source,
            )


def _check_networks(envs: Sequence[EnvironmentConfig]) -> Iterator[PydanticCustomError]:
    nets = [(e, ipaddress.ip_network(e.network.cidr)) for e in envs]
    for i, (a, net_a) in enumerate(nets):
        for b, net_b in nets[i + 1 :]:
            # overlaps() is symmetric: b inside a, a inside b, or equal (subnet_of is one-way)
            if net_a.overlaps(net_b):
                yield refuse(
                    f"expected a block not overlapping {a.name}'s {a.network.cidr}, got {b.network.cidr}",
                    field="network.cidr",
                    file=b.source,
                )


def _check_promotion_graph(envs: Mapping[str, EnvironmentConfig]) -> Iterator[PydanticCustomError]:
    for env in envs.values():
        if env.promotes_from is None:
            continue
        if env.promotes_from == env.name:
            yield refuse("an environment cannot promote from itself", field="promotes_from", file=env.source)
            continue
        if env.promotes_from not in envs:
            yield refuse(
                f"expected one of {', '.join(sorted(envs))} or null, got {env.promotes_from!r}",
                field="promotes_from",
                file=env.source,
            )
            continue
        upstream = envs[env.promotes_from]
        missing = sorted({u.name for u in env.use_cases} - {u.name for u in upstream.use_cases})
        if missing:
            yield refuse(
                f"{', '.join(missing)} not defined upstream in {upstream.name}; "
                "a use case must exist where its versions are promoted from",
                field="use_cases",
                file=env.source,
            )
    # Cycles: walk upstream from every environment (links refused above end the walk); each
    # cycle is reported once, from the first environment whose walk meets it.
    reported: set[frozenset[str]] = set()
    for env in envs.values():
        seen = [env.name]
        current = env
        while (upstream_name := current.promotes_from) is not None:
            if upstream_name not in envs or upstream_name == current.name:
                break
            if upstream_name in seen:
                cycle = frozenset(seen[seen.index(upstream_name) :])
                if cycle not in reported:
                    reported.add(cycle)
                    chain = " -> ".join([*seen, upstream_name])
                    yield refuse(
                        f"promotion chain has a cycle: {chain}", field="promotes_from", file=env.source
                    )
                break
            seen.append(upstream_name)
            current = envs[upstream_name]
