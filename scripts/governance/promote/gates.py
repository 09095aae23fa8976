"""The governance gates a source version must pass before it is promoted into an environment.

:data:`GATES` is the list, written once: two gates every environment has (the version and its
card approved) and one gate per field of the target's ``governance:`` section
(:class:`environments.schema.GovernanceConfig`), each a small function of the
:class:`Candidate`. A new gate is one schema field and one function added here; the table in
docs/GOVERNANCE.md ("Promotion") is generated from :data:`GATES` (:func:`docs_table`, and a test
keeps the two equal).

A gate that refuses returns a :class:`GateFailure` naming what it read, its value and the limit,
with the configuration field that set it, so a person knows whether to fix the model or the file.
Gates read, never write; the evaluation report is read only when a metric floor needs a metric
the card does not carry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from environments import EnvironmentConfig
from scripts.aws import kit_errors

from ..context import EnvContext
from ..errors import GateFailure
from .plan import report_uri, split_s3

if TYPE_CHECKING:
    from sagemaker.core.shapes.model_card_shapes import ModelCardContent

#: Where a gate finds each metric in the evaluation report (SageMaker model-quality layout).
REPORT_METRIC_PATHS = ("metrics", "binary_classification_metrics")


@dataclass(frozen=True)
class Candidate:
    """What the gates read: the source version, its card, and the environment it would enter."""

    env: EnvironmentConfig
    """The target environment: its ``governance:`` section sets the limits."""
    source: Mapping[str, Any]
    """DescribeModelPackage of the source version."""
    card: ModelCardContent | None
    read_report: Callable[[], Mapping[str, float]] = field(default=dict)
    """The evaluation report's metrics (read from S3 when called)."""


# -- the gates, one function each ----------------------------------------------------------------
def approval(c: Candidate) -> list[GateFailure]:
    status = c.source.get("ModelApprovalStatus")
    if status == "Approved":
        return []
    return [GateFailure("approval", f"ModelApprovalStatus is {status}, must be Approved", status, "Approved")]


def card_status(c: Candidate) -> list[GateFailure]:
    status = (c.source.get("ModelCard") or {}).get("ModelCardStatus")
    if status == "Approved":
        return []
    return [
        GateFailure(
            "card_status", f"model card status is {status or 'absent'}, must be Approved", status, "Approved"
        )
    ]


def required_card_sections(c: Candidate) -> list[GateFailure]:
    from .. import cards

    required = c.env.governance.required_card_sections
    present = cards.present_sections(c.card)
    missing = [s for s in required if s not in present]
    if not missing:
        return []
    reason = f"card lacks section(s) {', '.join(missing)} required by {c.env.name}"
    return [GateFailure("card_sections", reason, tuple(missing), tuple(required))]


def metric_minimums(c: Candidate) -> list[GateFailure]:
    from .. import cards

    floors = c.env.governance.metric_minimums
    if not floors:
        return []
    metrics = cards.evaluation_metrics(c.card)
    if any(m not in metrics for m in floors):
        metrics = {**c.read_report(), **metrics}
    failures = []
    for name, floor in sorted(floors.items()):
        value = metrics.get(name)
        if value is None:
            reason = (
                f"{name} is not in the card's evaluation metrics nor the evaluation report; "
                f"{c.env.name} requires >= {floor}"
            )
        elif value < floor:
            reason = f"{name} = {value} is below {c.env.name}'s minimum {floor}"
        else:
            continue
        failures.append(GateFailure(f"metric:{name}", reason, value, floor))
    return failures


def bias_limits(c: Candidate) -> list[GateFailure]:
    """Limits on the card's post-training bias metrics (Clarify names); a limit that is set
    requires its metric."""
    from .. import evaluation

    limits = c.env.governance.bias_limits
    if limits is None:
        return []
    metrics = evaluation.bias_metrics(c.card)
    failures = []
    checks: list[tuple[str, str, Any]] = []
    if limits.max_abs_dppl is not None:
        checks.append(("DPPL", "max_abs_dppl", limits.max_abs_dppl))
    if limits.disparate_impact is not None:
        checks.append(("DI", "disparate_impact", limits.disparate_impact))
    for metric, field_name, limit in checks:
        where = f"({c.env.name} governance.bias_limits.{field_name})"
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
        failures.append(GateFailure(f"bias:{metric}", reason, value, limit))
    return failures


def require_explainability(c: Candidate) -> list[GateFailure]:
    from .. import evaluation

    if not c.env.governance.require_explainability or evaluation.has_explainability(c.card):
        return []
    reason = (
        "the card carries no explainability section (global feature attributions), which "
        f"{c.env.name} requires ({c.env.name} governance.require_explainability)"
    )
    return [GateFailure("explainability", reason, False, True)]


# -- the list --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Gate:
    """One gate: its check and the rows it adds to the documentation's table."""

    check: Callable[[Candidate], list[GateFailure]]
    field: str | None
    """The ``governance:`` field that configures it (None: every environment has it)."""
    docs: tuple[tuple[str, str, str], ...]
    """``(failure name, passes when, set by)`` rows of docs/GOVERNANCE.md's gate table."""


#: Every gate, in the order a refusal lists them.
GATES: tuple[Gate, ...] = (
    Gate(approval, None, (("`approval`", "ModelApprovalStatus is Approved", ""),)),
    Gate(card_status, None, (("`card_status`", "the card is Approved", ""),)),
    Gate(
        required_card_sections,
        "required_card_sections",
        (("`card_sections`", "every required section carries content", "`required_card_sections`"),),
    ),
    Gate(
        metric_minimums,
        "metric_minimums",
        (
            (
                "`metric:<name>`",
                "the card's evaluation metric (else the evaluation report's) is at or above the "
                "floor; a metric in neither fails",
                "`metric_minimums`",
            ),
        ),
    ),
    Gate(
        bias_limits,
        "bias_limits",
        (
            (
                "`bias:DPPL`",
                "\\|DPPL\\| of the card's post-training bias entry is at most the limit",
                "`bias_limits.max_abs_dppl`",
            ),
            (
                "`bias:DI`",
                "DI of the card's post-training bias entry is within `[low, high]`",
                "`bias_limits.disparate_impact`",
            ),
        ),
    ),
    Gate(
        require_explainability,
        "require_explainability",
        (
            (
                "`explainability`",
                "the card carries global feature attributions",
                "`require_explainability: true`",
            ),
        ),
    ),
)


def docs_table() -> str:
    """The gate table of docs/GOVERNANCE.md, from :data:`GATES`."""
    lines = ["| gate | passes when | set by |", "| --- | --- | --- |"]
    lines += [
        "|" + "|".join(f" {c} " if c else " " for c in row) + "|" for gate in GATES for row in gate.docs
    ]
    return "\n".join(lines)


def check_gates(
    ctx: EnvContext, source: Mapping[str, Any], card: ModelCardContent | None
) -> list[GateFailure]:
    """Every failed gate of the target environment ``ctx.env`` (empty: all pass), in
    :data:`GATES` order. Reads, never writes; the evaluation report only when a metric floor
    needs a metric the card lacks (the metric gate is its one reader)."""
    candidate = Candidate(ctx.env, source, card, lambda: report_metrics(ctx, source))
    return [failure for gate in GATES for failure in gate.check(candidate)]


def report_metrics(ctx: EnvContext, source: Mapping[str, Any]) -> dict[str, float]:
    """Metrics from the evaluation report (read only when the card does not carry them all)."""
    uri = report_uri(dict(source))
    if not uri:
        return {}
    bucket, key = split_s3(uri)
    with kit_errors(ctx.role_arn):
        report = json.loads(ctx.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    out: dict[str, float] = {}
    for path in REPORT_METRIC_PATHS:
        for name, entry in (report.get(path) or {}).items():
            value = entry.get("value") if isinstance(entry, dict) else entry
            if isinstance(value, (int, float)):
                out.setdefault(name, float(value))
    return out
