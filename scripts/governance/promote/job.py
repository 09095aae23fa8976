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
from scripts.errors import KitError, UsageError

from .. import audit
from ..context import EnvContext, env_context, resolve_use_case
from ..errors import RefusedError
from ..output import common_parser
from ..versions import version_number
from .copy import MULTIPART_PART_SIZE, MULTIPART_THRESHOLD, check_sources, ensure_copies, verify_copies
from .gates import GateResult, evaluate_gates
from .lock import LOCK_TTL, LOCK_WAIT_SECONDS, acquire_lock, release_dead_lock
from .plan import Plan, plan_promotion, read_record
from .register import ensure_audit, ensure_lineage, ensure_registered

logger = logging.getLogger(__name__)

#: Steps after the gates, in order (fault-injection tests stop a run after each one).
STEPS = ("lock", "copy", "verify", "register", "lineage", "audit")


def record_refusal(
    ctx: EnvContext, plan: Plan, refusal: RefusedError, results: Sequence[GateResult] = ()
) -> RefusedError:
    """The refusal, audited in the target environment (who, when, every gate with its value and
    limit), beside the source version (:func:`..audit.upstream_prefix`). A refusal that cannot be
    audited is still a refusal: the error then says that the record is missing, and why."""
    version = version_number(plan.source_arn)
    failed = [f.gate for f in refusal.failures]
    try:
        rec = audit.record(
            ctx,
            action="promote-refused",
            model_package_arn=plan.source_arn,
            group=plan.target_group,
            version=version,
            reason=f"promotion of {plan.source_arn} into {plan.target_env} refused by {', '.join(failed)}",
            before={
                "source_arn": plan.source_arn,
                "ModelApprovalStatus": plan.source.get("ModelApprovalStatus"),
                "ModelCardStatus": (plan.source.get("ModelCard") or {}).get("ModelCardStatus"),
            },
            after={"refused": failed},
            extra={
                "token": plan.token,
                "failures": [f.to_dict() for f in refusal.failures],
                "gates": [r.to_dict() for r in results],
            },
            prefix=audit.upstream_prefix(ctx, plan.target_group, plan.source_env, version),
        )
    except KitError as err:
        logger.error("the refusal could not be audited: %s", err)
        return RefusedError(f"{refusal} (the refusal could not be audited: {err})", refusal.failures)
    logger.info("refusal audited: %s", rec["key"])
    refusal.audit_key = rec["key"]
    return refusal


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
    results = evaluate_gates(ctx, plan.source, plan.card)
    failures = [r.failure() for r in results if not r.passed]
    result: dict[str, Any] = {
        "source_env": plan.source_env,
        "target_env": plan.target_env,
        "use_case": uc,
        "source_arn": plan.source_arn,
        "token": plan.token,
        "dry_run": dry_run,
    }
    if failures:
        refusal = RefusedError(
            f"promotion of {plan.source_arn} into {target.name} refused: "
            + "; ".join(f"{f.gate}: {f.reason}" for f in failures),
            failures,
        )
        raise refusal if dry_run else record_refusal(ctx, plan, refusal, results)
    plan.gate_results = tuple(results)
    if dry_run:
        check_sources(ctx, plan)  # reads only: a replaced source artifact is refused here too
        return {
            **result,
            "gates": "passed",
            "gate_results": [r.to_dict() for r in results],
            "target_arn": read_record(ctx, plan).get("target_arn"),
            "would_copy": [f"{c.source_uri} -> {plan.target_uri(c)}" for c in plan.copies],
        }

    lease = acquire_lock(ctx, plan, lock_wait_seconds)

    def done(step: str, status: str) -> None:
        plan.steps[step] = status
        logger.info("promote %s -> %s: %s %s", plan.source_arn, target.name, step, status)
        if on_step is not None:
            on_step(step)
        if step != STEPS[-1]:
            lease.check()  # taken over meanwhile: stop before the next step writes

    target_arn, created = "", False
    try:
        done("lock", "done")
        try:
            done("copy", ensure_copies(ctx, plan, threshold=multipart_threshold, part_size=part_size))
            done("verify", verify_copies(ctx, plan))
        except RefusedError as refusal:
            raise record_refusal(ctx, plan, refusal, results) from None
        target_arn, created = ensure_registered(ctx, plan)
        done("register", "done" if created else "skipped")
        done("lineage", ensure_lineage(ctx, plan, target_arn))
        done("audit", ensure_audit(ctx, plan, target_arn, created))
    finally:
        lease.release()
    return {
        **result,
        "target_arn": target_arn,
        "created": created,
        "steps": dict(plan.steps),
        "gate_results": [r.to_dict() for r in results],
        "artifacts": [
            {"key": c.key, "method": plan.copied[c.key].method if c.key in plan.copied else None}
            for c in plan.copies
        ],
    }


def release_lock(
    platform: PlatformConfig,
    target_env: str,
    version: str,
    *,
    use_case: str | None = None,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """``mlgov promote --release-lock``: release the lock of a promotion whose run died (audited);
    refused while that run is alive. Promotes nothing: run the promotion again afterwards."""
    ctx = env_context(platform, platform.env(target_env).name, "promotion", job="promote", source=source)
    plan = plan_promotion(ctx, resolve_use_case(ctx.env, use_case), version)
    return release_dead_lock(ctx, plan)


def render(result: dict[str, Any]) -> str:
    if result.get("release_lock"):
        if not result["released"]:
            return f"nothing released: {result['why']} ({result['lock']})"
        holder = result["holder"]
        return (
            f"released {result['lock']}: held by {holder['who']} on {holder['host']} (pid {holder['pid']}) "
            f"since {holder['started']}; {result['why']}; audit {result['audit_key']}\n"
            f"  now run the promotion again: it resumes where the stopped run was"
        )
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
        help="seconds to wait for a live concurrent run of the same promotion (default: 300); a dead "
        "run's lock is taken over at once when it ran on this host, else once its heartbeat is "
        f"{LOCK_TTL.total_seconds():.0f} s old",
    )
    p.add_argument(
        "--release-lock",
        action="store_true",
        help="only release the lock of this promotion left by a run that died (killed, machine lost), "
        "audited; refused while the run holding it is alive. Then run the promotion again",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    def job(a: argparse.Namespace) -> dict[str, Any]:
        if a.release_lock:
            if a.dry_run:
                raise UsageError("--release-lock and --dry-run: --release-lock changes nothing but the lock")
            return release_lock(load_platform(a.config_dir), a.env, a.version, use_case=a.use_case)
        return promote(
            load_platform(a.config_dir),
            a.env,
            a.version,
            use_case=a.use_case,
            dry_run=a.dry_run,
            lock_wait_seconds=a.lock_wait,
        )

    return command.main(build_parser(), argv, job, render=render)
