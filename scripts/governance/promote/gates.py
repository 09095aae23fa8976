"""The governance gates a source version must pass before it is promoted into an environment.

Each gate reads what the target environment's ``governance:`` section asks for and, when it
refuses, names what it read, its value and the limit with the configuration field that set it, so
a person knows whether to fix the model or the file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from environments import EnvironmentConfig

from .. import cards, evaluation
from ..context import EnvContext
from ..errors import describe_client_error
from .plan import report_uri, split_s3

#: Where a gate finds each metric in the evaluation report (SageMaker model-quality layout).
REPORT_METRIC_PATHS = ("metrics", "binary_classification_metrics")


def check_gates(ctx: EnvContext, source: Mapping[str, Any], card: Any) -> list[dict[str, str]]:
    """Every failed gate with its reason (empty: all pass). Reads, never writes.

    Gates of the target environment ``ctx.env``: ModelApprovalStatus Approved; card status
    Approved; ``governance.required_card_sections`` present; every ``metric_minimums`` entry
    present (card first, then the evaluation report) and at or above its floor; the card's
    post-training bias within ``bias_limits``; an explainability section when
    ``require_explainability``."""
    gov = ctx.env.governance
    failures: list[dict[str, str]] = []
    approval = source.get("ModelApprovalStatus")
    if approval != "Approved":
        failures.append(
            {"gate": "approval", "reason": f"ModelApprovalStatus is {approval}, must be Approved"}
        )
    card_status = (source.get("ModelCard") or {}).get("ModelCardStatus")
    if card_status != "Approved":
        failures.append(
            {
                "gate": "card_status",
                "reason": f"model card status is {card_status or 'absent'}, must be Approved",
            }
        )
    present = cards.present_sections(card)
    missing = [s for s in gov.required_card_sections if s not in present]
    if missing:
        failures.append(
            {
                "gate": "card_sections",
                "reason": f"card lacks section(s) {', '.join(missing)} required by {ctx.env.name}",
            }
        )
    if gov.metric_minimums:
        metrics = cards.evaluation_metrics(card)
        if any(m not in metrics for m in gov.metric_minimums):
            metrics = {**report_metrics(ctx, source), **metrics}
        for name, floor in sorted(gov.metric_minimums.items()):
            value = metrics.get(name)
            if value is None:
                failures.append(
                    {
                        "gate": f"metric:{name}",
                        "reason": f"{name} is not in the card's evaluation metrics nor "
                        f"the evaluation report; {ctx.env.name} requires >= {floor}",
                    }
                )
            elif value < floor:
                failures.append(
                    {
                        "gate": f"metric:{name}",
                        "reason": f"{name} = {value} is below {ctx.env.name}'s minimum {floor}",
                    }
                )
    failures += bias_failures(ctx.env, card)
    if gov.require_explainability and not evaluation.has_explainability(card):
        failures.append(
            {
                "gate": "explainability",
                "reason": "the card carries no explainability section (global feature "
                f"attributions), which {ctx.env.name} requires "
                f"({ctx.env.name} governance.require_explainability)",
            }
        )
    return failures


def bias_failures(env: EnvironmentConfig, card: Any) -> list[dict[str, str]]:
    """The bias gates of ``env`` on the card's post-training bias metrics (Clarify names)."""
    limits = env.governance.bias_limits
    if limits is None:
        return []
    metrics = evaluation.bias_metrics(card)
    failures = []
    checks: list[tuple[str, str, Any]] = []
    if limits.max_abs_dppl is not None:
        checks.append(("DPPL", "max_abs_dppl", limits.max_abs_dppl))
    if limits.disparate_impact is not None:
        checks.append(("DI", "disparate_impact", limits.disparate_impact))
    for metric, field, limit in checks:
        where = f"({env.name} governance.bias_limits.{field})"
        value = metrics.get(metric)
        if value is None:
            reason = (
                f"post-training bias {metric} is not in the card's evaluation details; "
                f"a version without it is refused {where}"
            )
        elif metric == "DPPL" and abs(value) > limit:
            sign = "" if value >= 0 else " in absolute value"
            reason = f"post-training bias DPPL {value:.3f} exceeds {limit:g}{sign} {where}"
        elif metric == "DI" and not limit[0] <= value <= limit[1]:
            reason = f"post-training bias DI {value:.3f} is outside [{limit[0]:g}, {limit[1]:g}] {where}"
        else:
            continue
        failures.append({"gate": f"bias:{metric}", "reason": reason})
    return failures


def report_metrics(ctx: EnvContext, source: Mapping[str, Any]) -> dict[str, float]:
    """Metrics from the evaluation report (read only when the card does not carry them all)."""
    uri = report_uri(dict(source))
    if not uri:
        return {}
    bucket, key = split_s3(uri)
    try:
        report = json.loads(ctx.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    except ClientError as err:
        raise describe_client_error(err, role_arn=ctx.role_arn) from err
    out: dict[str, float] = {}
    for path in REPORT_METRIC_PATHS:
        for name, entry in (report.get(path) or {}).items():
            value = entry.get("value") if isinstance(entry, dict) else entry
            if isinstance(value, (int, float)):
                out.setdefault(name, float(value))
    return out
