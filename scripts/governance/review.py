"""Review and approval: card status, version approval and lifecycle stage status, each audited.

Runs as the environment's approver role by default (``--role`` to act as another role, e.g. to
show that the data-scientist role is denied in staging and prod: IAM decides, not this script).
Every change writes an audit record (who, when, what, why, before/after) to the environment's
bucket and an event to the governance event log; a change to the value it already has writes
nothing.

    mlgov review  --env dev --version 1 --status PendingReview --reason "..."   (the card)
    mlgov approve --env dev --version 1 --reason "..." [--decision Rejected]
    mlgov reject  --env dev --version 1 --reason "..."
    mlgov stage   --env prod --version 1 --status Deployed --reason "..."

Stage statuses come from one vocabulary (:data:`scripts.governance.metadata.STAGE_STATUSES`);
anything else is refused before any call. Marking a version Deployed also records the deployment
in lineage (a ModelDeployment action fed by the version's package artifact), so the chain from the
dataset ends where the model serves, and moves the version of the same use case that was Deployed
in that environment before to Superseded (audited): one version serves in an environment.

An approval decision, and a card archived, are followed by the DataZone catalog
(:func:`scripts.datazone.models.after_decision`): an approved version is listed, a rejected or
archived one unlisted.

In a strict tier (staging, prod), approving a version needs the gate record promotion wrote on it
at creation (``mlgov-gates`` = ``passed``, :func:`check_gate_record`); a version without one is
refused before anything is written.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import boto3

from environments import EnvironmentConfig, PlatformConfig, load_platform
from scripts import command
from scripts.aws import kit_errors

from . import audit, lineage
from .context import EnvContext, env_context, resolve_use_case
from .errors import GateFailure, RefusedError, UsageError
from .metadata import (
    CARD_STATUSES,
    GATES_PASSED,
    META_GATES,
    STAGE_DEPLOYED,
    STAGE_STATUSES,
    STAGE_SUPERSEDED,
)
from .output import common_parser
from .versions import describe_version, list_versions, resolve_version, version_number

#: Card status moves a reviewer may make ("and back": an approved card can return to Draft).
CARD_TRANSITIONS = {
    "Draft": ("PendingReview", "Archived"),
    "PendingReview": ("Approved", "Draft", "Archived"),
    "Approved": ("Draft", "PendingReview", "Archived"),
    "Archived": (),
}
APPROVAL_DECISIONS = ("Approved", "Rejected", "PendingManualApproval")


def _require_reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise UsageError("--reason is required: say why, it goes into the audit record")
    return reason.strip()


def _context(
    platform: PlatformConfig,
    env: str,
    role: str,
    use_case: str | None,
    version: str,
    source: boto3.Session | None,
) -> tuple[EnvContext, str, str, dict[str, Any]]:
    ctx = env_context(platform, env, role, job="review", source=source)
    uc = resolve_use_case(ctx.env, use_case)
    arn = resolve_version(ctx, uc, version)
    return ctx, uc, arn, describe_version(ctx, arn)


def _apply(
    ctx: EnvContext,
    arn: str,
    desc: dict[str, Any],
    *,
    action: str,
    reason: str,
    update: dict[str, Any],
    before: dict[str, Any],
    after: dict[str, Any],
    dry_run: bool,
) -> dict[str, Any]:
    result = {
        "environment": ctx.env.name,
        "model_package_arn": arn,
        "action": action,
        "before": before,
        "after": after,
        "reason": reason,
        "dry_run": dry_run,
    }
    if before == after:
        return {**result, "changed": False}
    if dry_run:
        return {**result, "changed": False, "would_change": True}
    with kit_errors(ctx.role_arn):
        ctx.client("sagemaker").update_model_package(ModelPackageArn=arn, **update)
    rec = audit.record(
        ctx,
        action=action,
        model_package_arn=arn,
        group=desc["ModelPackageGroupName"],
        version=version_number(arn),
        reason=reason,
        before=before,
        after=after,
    )
    return {**result, "changed": True, "audit_key": rec["key"], "who": rec["who"]}


def set_card_status(
    platform: PlatformConfig,
    env: str,
    version: str,
    status: str,
    reason: str,
    *,
    use_case: str | None = None,
    role: str = "approver",
    dry_run: bool = False,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """Move the version's model card to ``status`` (Draft/PendingReview/Approved/Archived)."""
    reason = _require_reason(reason)
    if status not in CARD_STATUSES:
        raise UsageError(f"unknown card status {status!r}: expected one of {', '.join(CARD_STATUSES)}")
    ctx, _, arn, desc = _context(platform, env, role, use_case, version, source)
    current = (desc.get("ModelCard") or {}).get("ModelCardStatus")
    if current is None:
        raise RefusedError(
            f"{arn} has no model card; register it with one (mlgov seed)",
            [GateFailure("card", "the version carries no model card")],
        )
    if status != current and status not in CARD_TRANSITIONS.get(current, ()):
        allowed = ", ".join(CARD_TRANSITIONS.get(current, ())) or "nothing (archived cards are final)"
        raise RefusedError(
            f"card of {arn} is {current}; it may move to {allowed}, not {status}",
            [GateFailure("card_transition", f"{current} -> {status} is not a review step")],
        )
    result = _apply(
        ctx,
        arn,
        desc,
        action="card-status",
        reason=reason,
        update={"ModelCard": {"ModelCardStatus": status}},
        before={"ModelCardStatus": current},
        after={"ModelCardStatus": status},
        dry_run=dry_run,
    )
    if status == "Archived" and not dry_run:  # an archived version leaves the DataZone catalog
        from scripts.datazone.models import after_decision

        result["catalog"] = after_decision(ctx, arn=arn, use_case=use_case)
    return result


def check_gate_record(env: EnvironmentConfig, desc: dict[str, Any]) -> None:
    """Refuse approving ``desc`` in ``env`` when ``env`` is a strict tier and the version carries
    no passing gate record: the ``mlgov-gates`` metadata only promotion writes, at creation, after
    the gates of ``env`` passed. A version registered any other way never passed them."""
    if not env.tier.strict:
        return
    meta = desc.get("CustomerMetadataProperties") or {}
    recorded = meta.get(META_GATES)
    if recorded == GATES_PASSED:
        return
    arn = desc.get("ModelPackageArn", "the version")
    why = (
        f"its {META_GATES} metadata is {recorded!r}, not {GATES_PASSED!r}"
        if recorded is not None
        else f"it carries no {META_GATES} metadata: it was not registered by a promotion that "
        f"passed {env.name}'s gates"
    )
    raise RefusedError(
        f"{arn} may not be approved in {env.name} ({env.tier.value} tier): {why}. In a strict tier "
        f"only versions promoted through the gates are approved: promote it with `mlgov promote "
        f"--env {env.name} --version <upstream version>`",
        [GateFailure("gate_record", why, recorded, GATES_PASSED)],
    )


def set_approval(
    platform: PlatformConfig,
    env: str,
    version: str,
    reason: str,
    *,
    decision: str = "Approved",
    use_case: str | None = None,
    role: str = "approver",
    dry_run: bool = False,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """Approve or reject the version (ModelApprovalStatus) with ``reason`` as ApprovalDescription."""
    reason = _require_reason(reason)
    if decision not in APPROVAL_DECISIONS:
        raise UsageError(f"unknown decision {decision!r}: expected one of {', '.join(APPROVAL_DECISIONS)}")
    ctx, _, arn, desc = _context(platform, env, role, use_case, version, source)
    current = desc.get("ModelApprovalStatus")
    if decision == "Approved" and current != "Approved":
        check_gate_record(ctx.env, desc)
    action = {"Approved": "approve", "Rejected": "reject"}.get(decision, "reset-approval")
    result = _apply(
        ctx,
        arn,
        desc,
        action=action,
        reason=reason,
        update={"ModelApprovalStatus": decision, "ApprovalDescription": reason[:1024]},
        before={"ModelApprovalStatus": current},
        after={"ModelApprovalStatus": decision},
        dry_run=dry_run,
    )
    if not dry_run:  # the DataZone catalog follows the decision (scripts/datazone/models.py)
        from scripts.datazone.models import after_decision

        result["catalog"] = after_decision(ctx, arn=arn, use_case=use_case)
    return result


def check_stage_status(status: str) -> str:
    """``status`` if it is in the kit's vocabulary; else a usage error listing the vocabulary."""
    if status in STAGE_STATUSES:
        return status
    close = difflib.get_close_matches(status, STAGE_STATUSES, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise UsageError(
        f"unknown stage status {status!r}{hint}: expected one of {', '.join(STAGE_STATUSES)} "
        "(docs/GOVERNANCE.md, Lifecycle stage status)"
    )


def set_stage_status(
    platform: PlatformConfig,
    env: str,
    version: str,
    status: str,
    reason: str,
    *,
    use_case: str | None = None,
    role: str = "approver",
    dry_run: bool = False,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """Set the version's ModelLifeCycle stage status (one of :data:`STAGE_STATUSES`) at its
    environment's stage. ``Deployed`` also records the deployment in lineage; that is ensured on
    every call, so a run stopped between the two steps completes when repeated."""
    reason = _require_reason(reason)
    status = check_stage_status(status)
    ctx, _, arn, desc = _context(platform, env, role, use_case, version, source)
    life = desc.get("ModelLifeCycle") or {}
    stage = life.get("Stage") or ctx.lifecycle_stage
    before = {"Stage": life.get("Stage"), "StageStatus": life.get("StageStatus")}
    after = {"Stage": stage, "StageStatus": status}
    result = _apply(
        ctx,
        arn,
        desc,
        action="stage-status",
        reason=reason,
        update={"ModelLifeCycle": {"Stage": stage, "StageStatus": status, "StageDescription": reason[:1024]}},
        before=before,
        after=after,
        dry_run=dry_run,
    )
    if status == STAGE_DEPLOYED and not dry_run:
        with kit_errors(ctx.role_arn):
            result["deployment"] = lineage.record_deployment(
                ctx.client("sagemaker"),
                package_arn=arn,
                env=ctx.env.name,
                reason=reason,
                when=datetime.now(UTC).isoformat(),
            )
    if status == STAGE_DEPLOYED:
        result["superseded"] = _supersede(ctx, arn, desc, reason, dry_run=dry_run)
    return result


def deployed_before(summaries: list[dict[str, Any]], arn: str) -> list[str]:
    """The versions other than ``arn`` whose stage status is Deployed (ModelPackageSummary
    carries ModelLifeCycle)."""
    return [
        s["ModelPackageArn"]
        for s in summaries
        if s["ModelPackageArn"] != arn
        and (s.get("ModelLifeCycle") or {}).get("StageStatus") == STAGE_DEPLOYED
    ]


def _supersede(
    ctx: EnvContext, arn: str, desc: dict[str, Any], reason: str, *, dry_run: bool
) -> list[dict[str, Any]]:
    """Every other version of the group that is Deployed here moves to Superseded, audited. Run on
    every ``Deployed`` call, so a run stopped between the two steps completes when repeated."""
    out = []
    for other in deployed_before(list_versions(ctx, desc["ModelPackageGroupName"]), arn):
        other_desc = describe_version(ctx, other)
        life = other_desc.get("ModelLifeCycle") or {}
        why = f"superseded by v{version_number(arn)}, now Deployed in {ctx.env.name}: {reason}"
        out.append(
            _apply(
                ctx,
                other,
                other_desc,
                action="stage-status",
                reason=why,
                update={
                    "ModelLifeCycle": {
                        "Stage": life.get("Stage") or ctx.lifecycle_stage,
                        "StageStatus": STAGE_SUPERSEDED,
                        "StageDescription": why[:1024],
                    }
                },
                before={"Stage": life.get("Stage"), "StageStatus": life.get("StageStatus")},
                after={"Stage": life.get("Stage") or ctx.lifecycle_stage, "StageStatus": STAGE_SUPERSEDED},
                dry_run=dry_run,
            )
        )
    return out


def render(result: dict[str, Any]) -> str:
    state = (
        "changed" if result.get("changed") else "would change" if result.get("would_change") else "unchanged"
    )
    lines = [
        f"{result['action']} {result['model_package_arn']}: {result['before']} -> "
        f"{result['after']} ({state}{'; audit ' + result['audit_key'] if result.get('audit_key') else ''})"
    ]
    lines += ["  " + render(other) for other in result.get("superseded") or ()]
    return "\n".join(lines)


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--version",
        required=True,
        help="model version number in the use case's group, or a model package ARN",
    )
    p.add_argument("--reason", required=True, help="why: recorded in the audit record")
    p.add_argument(
        "--use-case",
        default=None,
        help="use case name from the environment file (required when the environment has several; default: its only one)",
    )
    p.add_argument(
        "--role",
        default="approver",
        choices=["approver", "data_scientist", "execution", "promotion"],
        help="environment role to act as (default: approver)",
    )


def build_parser(command_name: str | None = None) -> argparse.ArgumentParser:
    """The review command line; with ``command_name`` (``card``, ``approve``, ``reject``,
    ``stage``) the parser of that subcommand alone, which reports its own usage errors as the
    command a user typed (``mlgov approve: error: ...``)."""
    parent = common_parser("Review and approval of model versions.")
    top = argparse.ArgumentParser(
        prog="python -m scripts.governance.review",
        description="Review and approval of model versions: card "
        "status, version approval, lifecycle stage status. Run as `mlgov review` (card), "
        "`mlgov approve`, `mlgov reject` and `mlgov stage`.",
    )
    sub = top.add_subparsers(dest="command", required=True)
    card = sub.add_parser(
        "card",
        prog="mlgov review",
        parents=[parent],
        add_help=False,
        help="move the model card: Draft -> PendingReview -> Approved (and back)",
        description="Move the version's model card to --status (Draft -> "
        "PendingReview -> Approved, and back to Draft; or Archived). Audited.",
    )
    card.add_argument("--status", required=True, choices=CARD_STATUSES, help="new card status")
    approve = sub.add_parser(
        "approve",
        prog="mlgov approve",
        parents=[parent],
        add_help=False,
        help="approve (or reject) the version",
        description="Set the version's ModelApprovalStatus (default "
        "Approved) with --reason as ApprovalDescription. Audited.",
    )
    approve.add_argument(
        "--decision",
        default="Approved",
        choices=APPROVAL_DECISIONS,
        help="new ModelApprovalStatus (default: Approved)",
    )
    reject = sub.add_parser(
        "reject",
        prog="mlgov reject",
        parents=[parent],
        add_help=False,
        help="reject the version",
        description="Set the version's ModelApprovalStatus to Rejected with "
        "--reason as ApprovalDescription. Audited.",
    )
    stage = sub.add_parser(
        "stage",
        prog="mlgov stage",
        parents=[parent],
        add_help=False,
        help="set the lifecycle stage status, e.g. Deployed",
        description="Set the version's ModelLifeCycle StageStatus at its "
        "environment's stage, --reason as StageDescription. Audited.",
    )
    stage.add_argument(
        "--status",
        required=True,
        help=f"new StageStatus, one of {', '.join(STAGE_STATUSES)}; Deployed also records the "
        "deployment in lineage",
    )
    subcommands = {"card": card, "approve": approve, "reject": reject, "stage": stage}
    for name, p in subcommands.items():
        _add_common(p)
        p.set_defaults(command=name)
    return subcommands.get(command_name or "", top)


def dispatch(args: argparse.Namespace) -> dict[str, Any]:
    platform = load_platform(args.config_dir)
    common = {"use_case": args.use_case, "role": args.role, "dry_run": args.dry_run}
    if args.command == "card":
        return set_card_status(platform, args.env, args.version, args.status, args.reason, **common)
    if args.command == "approve":
        return set_approval(platform, args.env, args.version, args.reason, decision=args.decision, **common)
    if args.command == "reject":
        return set_approval(platform, args.env, args.version, args.reason, decision="Rejected", **common)
    return set_stage_status(platform, args.env, args.version, args.status, args.reason, **common)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] and argv[0] in ("card", "approve", "reject", "stage"):
        return command.main(build_parser(argv[0]), argv[1:], dispatch, render=render)
    return command.main(build_parser(), argv, dispatch, render=render)


if __name__ == "__main__":
    sys.exit(main())
