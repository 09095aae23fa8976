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
import math
from collections.abc import Callable, Mapping, Sequence
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


@dataclass(frozen=True)
class GateResult:
    """One check of a gate, passed or not: what it read (``value``), what the environment requires
    (``limit``) and, when it failed, why (a sentence naming both and the configuration field)."""

    gate: str
    """``approval``, ``card_status``, ``card_sections``, ``metric:<name>``, ``bias:<metric>``,
    ``explainability``."""
    passed: bool
    value: Any
    limit: Any
    reason: str = ""
    """Why it failed; empty when it passed."""

    def failure(self) -> GateFailure:
        return GateFailure(self.gate, self.reason, self.value, self.limit)

    def to_dict(self) -> dict[str, Any]:
        return {
            "gate": self.gate,
            "passed": self.passed,
            "value": self.value,
            "limit": self.limit,
            "reason": self.reason,
        }


def _result(gate: str, passed: bool, value: Any, limit: Any, reason: str) -> GateResult:
    return GateResult(gate, passed, value, limit, "" if passed else reason)


# -- the gates, one function each ----------------------------------------------------------------
def approval(c: Candidate) -> list[GateResult]:
    status = c.source.get("ModelApprovalStatus")
    reason = f"ModelApprovalStatus is {status}, must be Approved"
    return [_result("approval", status == "Approved", status, "Approved", reason)]


def card_status(c: Candidate) -> list[GateResult]:
    status = (c.source.get("ModelCard") or {}).get("ModelCardStatus")
    reason = f"model card status is {status or 'absent'}, must be Approved"
    return [_result("card_status", status == "Approved", status, "Approved", reason)]


def required_card_sections(c: Candidate) -> list[GateResult]:
    from .. import cards

    required = c.env.governance.required_card_sections
    present = cards.present_sections(c.card)
    missing = [s for s in required if s not in present]
    reason = f"card lacks section(s) {', '.join(missing)} required by {c.env.name}"
    return [_result("card_sections", not missing, tuple(missing), tuple(required), reason)]


def _finite(value: Any) -> bool:
    """A gate compares numbers: NaN compares false with every limit and infinity passes a floor, so
    a value that is neither is refused by name (submissions refuse them earlier: this is for a
    version written some other way)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def metric_minimums(c: Candidate) -> list[GateResult]:
    from .. import cards

    floors = c.env.governance.metric_minimums
    if not floors:
        return []
    metrics = cards.evaluation_metrics(c.card)
    if any(m not in metrics for m in floors):
        metrics = {**c.read_report(), **metrics}
    results = []
    for name, floor in sorted(floors.items()):
        value = metrics.get(name)
        if value is None:
            reason = (
                f"{name} is not in the card's evaluation metrics nor the evaluation report; "
                f"{c.env.name} requires >= {floor}"
            )
        elif not _finite(value):
            reason = f"{name} is {value}, not a number a floor can hold; {c.env.name} requires >= {floor}"
        else:
            reason = f"{name} = {value} is below {c.env.name}'s minimum {floor}"
        passed = value is not None and _finite(value) and value >= floor
        results.append(_result(f"metric:{name}", passed, value, floor, reason))
    return results


def bias_limits(c: Candidate) -> list[GateResult]:
    """Limits on the card's post-training bias metrics (Clarify names); a limit that is set
    requires its metric."""
    from .. import evaluation

    limits = c.env.governance.bias_limits
    if limits is None:
        return []
    metrics = evaluation.bias_metrics(c.card)
    results = []
    checks: list[tuple[str, str, Any]] = []
    if limits.max_abs_dppl is not None:
        checks.append(("DPPL", "max_abs_dppl", limits.max_abs_dppl))
    if limits.disparate_impact is not None:
        checks.append(("DI", "disparate_impact", limits.disparate_impact))
    for metric, field_name, limit in checks:
        where = f"({c.env.name} governance.bias_limits.{field_name})"
        value = metrics.get(metric)
        if value is None:
            passed = False
            reason = (
                f"post-training bias {metric} is not in the card's evaluation details; "
                f"a version without it is refused {where}"
            )
        elif not _finite(value):
            passed = False
            reason = (
                f"post-training bias {metric} is {value}, undefined; a version without it is refused {where}"
            )
        elif metric == "DPPL":
            passed = abs(value) <= limit
            sign = "" if value >= 0 else " in absolute value"
            reason = f"post-training bias DPPL {value:.3f} exceeds {limit:g}{sign} {where}"
        else:
            passed = limit[0] <= value <= limit[1]
            reason = f"post-training bias DI {value:.3f} is outside [{limit[0]:g}, {limit[1]:g}] {where}"
        results.append(_result(f"bias:{metric}", passed, value, limit, reason))
    return results


def require_explainability(c: Candidate) -> list[GateResult]:
    from .. import evaluation

    if not c.env.governance.require_explainability:
        return []
    reason = (
        "the card carries no explainability section (global feature attributions), which "
        f"{c.env.name} requires ({c.env.name} governance.require_explainability)"
    )
    present = evaluation.has_explainability(c.card)
    return [_result("explainability", present, present, True, reason)]


# -- the list --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Gate:
    """One gate: its check and the rows it adds to the documentation's table."""

    check: Callable[[Candidate], list[GateResult]]
    field: str | None
    """The ``governance:`` field that configures it (None: every environment has it)."""
    docs: tuple[tuple[str, str, str], ...]
    """``(failure name, passes when, set by)`` rows of docs/GOVERNANCE.md's gate table."""
    review: bool = False
    """Decided by people after registration (approval, card status): a submission is not
    checked against it (:func:`preview`)."""


#: Every gate, in the order a refusal lists them.
GATES: tuple[Gate, ...] = (
    Gate(approval, None, (("`approval`", "ModelApprovalStatus is Approved", ""),), review=True),
    Gate(card_status, None, (("`card_status`", "the card is Approved", ""),), review=True),
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


def evaluate_gates(
    ctx: EnvContext, source: Mapping[str, Any], card: ModelCardContent | None
) -> list[GateResult]:
    """Every gate of the target environment ``ctx.env`` on the source version, passed or not, in
    :data:`GATES` order. Reads, never writes; the evaluation report only when a metric floor
    needs a metric the card lacks (the metric gate is its one reader)."""
    candidate = Candidate(ctx.env, source, card, lambda: report_metrics(ctx, source))
    return [result for gate in GATES for result in gate.check(candidate)]


def check_gates(
    ctx: EnvContext, source: Mapping[str, Any], card: ModelCardContent | None
) -> list[GateFailure]:
    """Every failed gate of the target environment ``ctx.env`` (empty: all pass), in
    :data:`GATES` order (:func:`evaluate_gates`, failures only)."""
    return [r.failure() for r in evaluate_gates(ctx, source, card) if not r.passed]


def preview(
    env: EnvironmentConfig, card: ModelCardContent | None, metrics: Mapping[str, float]
) -> list[GateResult]:
    """The gates of ``env`` that a submission can be checked against before anyone reviews it
    (every gate but approval and card status), on its card and its evaluation report's
    ``metrics``: what ``mlgov register`` reports for every downstream environment."""
    candidate = Candidate(env, {}, card, lambda: metrics)
    return [result for gate in GATES if not gate.review for result in gate.check(candidate)]


# -- the record on the promoted version ------------------------------------------------------------
#: A metadata value holds at most this many characters (botocore ``CustomerMetadataValue``).
RECORD_MAX = 256
#: The characters a metadata value may hold besides letters, digits and spaces
#: (``[\p{L}\p{Z}\p{N}_.:/=+\-@]``, the SageMaker API reference's pattern).
RECORD_PUNCTUATION = "_.:/=+-@"


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return f"{value:.4g}"
    return "none" if value is None else str(value)


def _entry(result: GateResult) -> str:
    """``<gate>=<value>[@<limit>]``: the limit's relation is the gate's (``min``: the value is at
    least the floor; ``maxabs``: its absolute value is at most the limit; ``in``: it lies in
    ``low:high``, both inclusive; ``/``: sections present of those required)."""
    gate, value, limit = result.gate, result.value, result.limit
    if gate == "card_sections":
        required = len(limit)
        return f"{gate}={required - len(value)}/{required}"
    if gate.startswith("metric:"):
        return f"{gate}={_number(value)}@min:{_number(limit)}"
    if gate == "bias:DPPL":
        return f"{gate}={_number(value)}@maxabs:{_number(limit)}"
    if gate == "bias:DI":
        return f"{gate}={_number(value)}@in:{_number(limit[0])}:{_number(limit[1])}"
    if value == limit or gate == "explainability":
        return f"{gate}={_number(value)}"
    return f"{gate}={_number(value)}@{_number(limit)}"


def gate_record(results: Sequence[GateResult]) -> str:
    """The compact record of ``results`` (``mlgov-gate-results``): one ``<gate>=<value>@<limit>``
    entry per result, separated by spaces, at most :data:`RECORD_MAX` characters. Entries that
    do not fit are counted in a last ``+<n>`` entry (the promotion's audit record holds them all).
    """
    entries = [_entry(r) for r in results]
    out: list[str] = []
    for i, entry in enumerate(entries):
        rest = len(entries) - i - 1
        tail = f" +{rest}" if rest else ""
        if len(" ".join([*out, entry])) + len(tail) > RECORD_MAX:
            out.append(f"+{len(entries) - i}")
            break
        out.append(entry)
    return " ".join(out)


@dataclass(frozen=True)
class RecordedGate:
    """One entry of a version's ``mlgov-gate-results``, as the report shows it."""

    gate: str
    value: str
    relation: str
    """``min``, ``maxabs``, ``in``, ``of`` (sections), ``is`` (a status that must match), or ``""``."""
    limit: str

    def to_dict(self) -> dict[str, str]:
        return {"gate": self.gate, "value": self.value, "relation": self.relation, "limit": self.limit}


def parse_gate_record(text: str | None) -> tuple[tuple[RecordedGate, ...], int]:
    """The entries of a ``mlgov-gate-results`` value and how many did not fit (its ``+<n>``).
    Text that is not an entry is skipped: the report shows what it can read."""
    found: list[RecordedGate] = []
    more = 0
    for token in (text or "").split():
        if token.startswith("+") and token[1:].isdigit():
            more = int(token[1:])
            continue
        gate, sep, rest = token.partition("=")
        if not sep or not gate:
            continue
        value, _, limit = rest.partition("@")
        relation = ""
        if gate == "card_sections" and "/" in value:
            value, limit, relation = *value.split("/", 1), "of"
        elif limit:
            relation, colon, bound = limit.partition(":")
            if colon and relation in ("min", "maxabs", "in"):
                limit = bound
            else:
                relation = "is"
        found.append(RecordedGate(gate, value, relation, limit))
    return tuple(found), more


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
