"""The promote job: gates, then the steps in order, each reported as it completes (see the
package docstring for what each step does and guarantees)."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Sequence
from typing import Any

import boto3

from environments import PlatformConfig, load_platform
from scripts import command

from ..context import env_context, resolve_use_case
from ..errors import RefusedError
from ..output import common_parser
from .copy import MULTIPART_PART_SIZE, MULTIPART_THRESHOLD, ensure_copies, verify_copies
from .gates import check_gates
from .lock import LOCK_WAIT_SECONDS, acquire_lock, release_lock
from .plan import plan_promotion, read_record
from .register import ensure_audit, ensure_lineage, ensure_registered

logger = logging.getLogger(__name__)

#: Steps after the gates, in order (fault-injection tests stop a run after each one).
STEPS = ("lock", "copy", "verify", "register", "lineage", "audit")


def promote(
    platform: PlatformConfig,
    target_env: str,
    version: str,
    *,
    use_case: str | None = None,
    dry_run: bool = False,
    source: boto3.Session | None = None,
    on_step: Callable[[str], None] | None = None,
    multipart_threshold: int = MULTIPART_THRESHOLD,
    part_size: int = MULTIPART_PART_SIZE,
    lock_wait_seconds: float = LOCK_WAIT_SECONDS,
) -> dict[str, Any]:
    """Promote ``version`` of the upstream environment into ``target_env`` (see the package doc).

    ``on_step`` is called after each step in :data:`STEPS` completes (progress, fault tests)."""
    target = platform.env(target_env)
    ctx = env_context(platform, target.name, "promotion", job="promote", source=source)
    uc = resolve_use_case(ctx.env, use_case)
    plan = plan_promotion(ctx, uc, version)
    failures = check_gates(ctx, plan.source, plan.card)
    result: dict[str, Any] = {
        "source_env": plan.source_env,
        "target_env": plan.target_env,
        "use_case": uc,
        "source_arn": plan.source_arn,
        "token": plan.token,
        "dry_run": dry_run,
    }
    if failures:
        raise RefusedError(
            f"promotion of {plan.source_arn} into {target.name} refused: "
            + "; ".join(f"{f.gate}: {f.reason}" for f in failures),
            failures,
        )
    if dry_run:
        return {
            **result,
            "gates": "passed",
            "target_arn": read_record(ctx, plan).get("target_arn"),
            "would_copy": [f"{c.source_uri} -> {plan.target_uri(c)}" for c in plan.copies],
        }

    def done(step: str, status: str) -> None:
        plan.steps[step] = status
        logger.info("promote %s -> %s: %s %s", plan.source_arn, target.name, step, status)
        if on_step is not None:
            on_step(step)

    owner = acquire_lock(ctx, plan, lock_wait_seconds)
    target_arn, created = "", False
    try:
        done("lock", "done")
        done("copy", ensure_copies(ctx, plan, threshold=multipart_threshold, part_size=part_size))
        done("verify", verify_copies(ctx, plan))
        target_arn, created = ensure_registered(ctx, plan)
        done("register", "done" if created else "skipped")
        done("lineage", ensure_lineage(ctx, plan, target_arn))
        done("audit", ensure_audit(ctx, plan, target_arn, created))
    finally:
        release_lock(ctx, plan, owner)
    return {
        **result,
        "target_arn": target_arn,
        "created": created,
        "steps": dict(plan.steps),
        "artifacts": [
            {"key": c.key, "method": plan.copied[c.key].method if c.key in plan.copied else None}
            for c in plan.copies
        ],
    }


def render(result: dict[str, Any]) -> str:
    if result.get("dry_run"):
        lines = [f"dry run: {result['source_arn']} -> {result['target_env']}: gates passed"]
        lines += [f"  would copy {c}" for c in result["would_copy"]]
        if result.get("target_arn"):
            lines.append(f"  already promoted as {result['target_arn']}")
        return "\n".join(lines)
    state = "promoted" if result["created"] else "already promoted"
    steps = ", ".join(f"{k}={v}" for k, v in result["steps"].items())
    return f"{state}: {result['source_arn']} -> {result['target_arn']}\n  steps: {steps}"


def build_parser() -> argparse.ArgumentParser:
    p = common_parser(
        prog="mlgov promote",
        description="Promote an approved model version from the upstream environment into "
        "--env (pull, as --env's promotion role), behind --env's governance gates.",
    )
    p.add_argument(
        "--version",
        required=True,
        help="version number in the UPSTREAM environment's group, or its model package ARN",
    )
    p.add_argument(
        "--use-case",
        default=None,
        help="use case name from the environment file (required when the environment has several; default: its only one)",
    )
    p.add_argument(
        "--lock-wait",
        type=float,
        default=LOCK_WAIT_SECONDS,
        help="seconds to wait for a concurrent run of the same promotion (default: 300)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    def job(a: argparse.Namespace) -> dict[str, Any]:
        return promote(
            load_platform(a.config_dir),
            a.env,
            a.version,
            use_case=a.use_case,
            dry_run=a.dry_run,
            lock_wait_seconds=a.lock_wait,
        )

    return command.main(build_parser(), argv, job, render=render)
