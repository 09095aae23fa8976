"""The promotion gates on their own: a version description, a card and a fake context, no
emulator. Written to kill the mutants of scripts/governance/promote/gates.py that the
end-to-end promotion tests let through (docs/mutation.md); each case is a gate decision a
plausible bug would get wrong."""

from __future__ import annotations

import dataclasses
import io
import json
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sagemaker.core.shapes.model_card_shapes import (
    EvaluationDetailsItem,
    MetricGroupsItem,
    ModelCardContent,
    SimpleMetric,
)

from environments import EnvironmentConfig, load_platform
from scripts.governance import evaluation
from scripts.governance.errors import PermissionDeniedError
from scripts.governance.promote import gates

REPORT_URI = "s3://mlgov-dev-artifacts/reports/v1/evaluation.json"
ROLE = "arn:aws:iam::222222222222:role/mlgov-staging-promotion"


class FakeS3:
    """get_object of one evaluation report; records what was asked for."""

    def __init__(self, report: Any = None, error: str | None = None) -> None:
        self.report = report
        self.error = error
        self.calls: list[tuple[str, str]] = []

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        self.calls.append((Bucket, Key))
        if self.error:
            raise ClientError({"Error": {"Code": self.error, "Message": "no"}}, "GetObject")
        return {"Body": io.BytesIO(json.dumps(self.report).encode())}


def _ctx(env: EnvironmentConfig, s3: FakeS3 | None = None) -> Any:
    s3 = s3 or FakeS3(error="NoSuchKey")
    return SimpleNamespace(env=env, role_arn=ROLE, client=lambda service: {"s3": s3}[service], s3=s3)


@pytest.fixture(scope="module")
def staging() -> EnvironmentConfig:
    return load_platform().env("staging")


def _with(env: EnvironmentConfig, **governance: Any) -> EnvironmentConfig:
    return dataclasses.replace(env, governance=dataclasses.replace(env.governance, **governance))


def _metric_group(name: str, metrics: dict[str, float]) -> MetricGroupsItem:
    return MetricGroupsItem(
        name=name,
        metric_data=[SimpleMetric(name=k, type="number", value=v) for k, v in metrics.items()],
    )


def _card(
    quality: dict[str, float] | None = None,
    post_bias: dict[str, float] | None = None,
    explain: dict[str, float] | None = None,
    sections: tuple[str, ...] = ("model_overview", "intended_uses", "business_details", "training_details"),
) -> ModelCardContent:
    details = []
    if quality is not None:
        details.append(
            EvaluationDetailsItem(name="model-quality", metric_groups=[_metric_group("q", quality)])
        )
    if post_bias is not None:
        details.append(
            EvaluationDetailsItem(
                name=evaluation.EVAL_POST_BIAS, metric_groups=[_metric_group("post", post_bias)]
            )
        )
    if explain is not None:
        details.append(
            EvaluationDetailsItem(
                name=evaluation.EVAL_EXPLAINABILITY, metric_groups=[_metric_group("shap", explain)]
            )
        )
    data: dict[str, Any] = {
        "model_overview": {"model_description": "credit risk"},
        "intended_uses": {"purpose_of_model": "score"},
        "business_details": {"business_problem": "loans"},
        "training_details": {"objective_function": {"notes": "logloss"}},
        "additional_information": {"custom_details": {"use_case": "credit-risk"}},
    }
    content = {k: v for k, v in data.items() if k in sections}
    return ModelCardContent(**content, evaluation_details=details or None)


GOOD = {
    "quality": {"accuracy": 0.8, "roc_auc": 0.85},
    "post_bias": {"DPPL": 0.05, "DI": 1.0, "AD": 0.01},
    "explain": {"income_k": 0.3},
}


def _source(approval: str = "Approved", card_status: str | None = "Approved", report: bool = True) -> dict:
    source: dict[str, Any] = {"ModelApprovalStatus": approval}
    if card_status is not None:
        source["ModelCard"] = {"ModelCardStatus": card_status}
    if report:
        source["ModelMetrics"] = {"ModelQuality": {"Statistics": {"S3Uri": REPORT_URI}}}
    return source


def _gates(failures: list[gates.GateFailure]) -> dict[str, str]:
    return {f.gate: f.reason for f in failures}


def _limits(failures: list[gates.GateFailure]) -> dict[str, tuple[Any, Any]]:
    """Gate -> (value read, limit): what a refusal records besides its sentence."""
    return {f.gate: (f.value, f.limit) for f in failures}


def _bias(env: EnvironmentConfig, card: ModelCardContent) -> list[gates.GateFailure]:
    """The bias gate's failures (its results that did not pass)."""
    return [r.failure() for r in gates.bias_limits(gates.Candidate(env, {}, card)) if not r.passed]


def test_a_good_version_passes_every_gate_without_reading_the_report(staging) -> None:
    ctx = _ctx(staging)
    assert gates.check_gates(ctx, _source(), _card(**GOOD)) == []
    assert ctx.s3.calls == [], "every metric is in the card: the report is not read"


def test_approval_and_card_status_gates_name_the_status(staging) -> None:
    found = gates.check_gates(_ctx(staging), _source("PendingManualApproval", "PendingReview"), _card(**GOOD))
    assert _gates(found) == {
        "approval": "ModelApprovalStatus is PendingManualApproval, must be Approved",
        "card_status": "model card status is PendingReview, must be Approved",
    }
    assert _limits(found) == {
        "approval": ("PendingManualApproval", "Approved"),
        "card_status": ("PendingReview", "Approved"),
    }
    found = gates.check_gates(_ctx(staging), _source(card_status=None), _card(**GOOD))
    assert _gates(found) == {"card_status": "model card status is absent, must be Approved"}
    assert _limits(found) == {"card_status": (None, "Approved")}


def test_missing_sections_are_each_named(staging) -> None:
    card = _card(**GOOD, sections=("model_overview", "training_details"))
    found = gates.check_gates(_ctx(staging), _source(), card)
    assert _gates(found) == {
        "card_sections": "card lacks section(s) intended_uses, business_details required by staging"
    }
    assert _limits(found) == {
        "card_sections": (("intended_uses", "business_details"), staging.governance.required_card_sections)
    }


def test_metric_below_floor_fails_and_one_at_floor_passes(staging) -> None:
    card = _card(**{**GOOD, "quality": {"accuracy": 0.72, "roc_auc": 0.7799}})
    found = gates.check_gates(_ctx(staging), _source(), card)
    assert _gates(found) == {"metric:roc_auc": "roc_auc = 0.7799 is below staging's minimum 0.78"}
    assert _limits(found) == {"metric:roc_auc": (0.7799, 0.78)}


def test_metrics_are_checked_in_name_order(staging) -> None:
    card = _card(**{**GOOD, "quality": {"roc_auc": 0.1, "accuracy": 0.1}})
    failures = gates.check_gates(_ctx(staging), _source(), card)
    assert [f.gate for f in failures] == ["metric:accuracy", "metric:roc_auc"]


def test_metric_missing_from_the_card_is_read_from_the_report(staging) -> None:
    s3 = FakeS3({"binary_classification_metrics": {"roc_auc": {"value": 0.9}, "accuracy": {"value": 0.1}}})
    card = _card(**{**GOOD, "quality": {"accuracy": 0.8}})
    assert gates.check_gates(_ctx(staging, s3), _source(), card) == []
    # The card's own value wins over the report's (accuracy 0.8 in the card, 0.1 in the report).
    assert s3.calls == [("mlgov-dev-artifacts", "reports/v1/evaluation.json")]


def test_metric_in_neither_card_nor_report_is_refused_by_name(staging) -> None:
    card = _card(**{**GOOD, "quality": {"accuracy": 0.8}})
    found = gates.check_gates(_ctx(staging, FakeS3({"metrics": {}})), _source(), card)
    assert _gates(found) == {
        "metric:roc_auc": "roc_auc is not in the card's evaluation metrics nor the evaluation "
        "report; staging requires >= 0.78"
    }
    assert _limits(found) == {"metric:roc_auc": (None, 0.78)}


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_metric_that_is_no_finite_number_is_refused_by_name(staging, value: float) -> None:
    """NaN compares false with every floor and infinity passes one: either, in the card or in the
    report, is refused naming the metric, never passed (a version written other than by
    ``register``, which refuses both)."""
    card = _card(**{**GOOD, "quality": {"accuracy": 0.8, "roc_auc": value}})
    found = gates.check_gates(_ctx(staging), _source(), card)
    assert _gates(found) == {
        "metric:roc_auc": f"roc_auc is {value}, not a number a floor can hold; staging requires >= 0.78"
    }
    report = FakeS3({"binary_classification_metrics": {"roc_auc": {"value": value}}})
    found = gates.check_gates(
        _ctx(staging, report), _source(), _card(**{**GOOD, "quality": {"accuracy": 0.8}})
    )
    assert set(_gates(found)) == {"metric:roc_auc"} and report.calls


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_bias_metric_that_is_no_finite_number_is_refused_by_name(staging, value: float) -> None:
    for metric, field in (("DPPL", "max_abs_dppl"), ("DI", "disparate_impact")):
        card = _card(**{**GOOD, "post_bias": {"DPPL": 0.0, "DI": 1.0, metric: value}})
        assert _gates(_bias(staging, card)) == {
            f"bias:{metric}": f"post-training bias {metric} is {value}, undefined; a version without it "
            f"is refused (staging governance.bias_limits.{field})"
        }


def test_no_metric_floors_no_report_read(staging) -> None:
    env = _with(staging, metric_minimums={})
    ctx = _ctx(env)
    assert gates.check_gates(ctx, _source(), _card(**{**GOOD, "quality": {}})) == []
    assert ctx.s3.calls == []


def test_report_metrics_reads_both_layouts_numbers_only_first_wins(staging) -> None:
    report = {
        "metrics": {"accuracy": {"value": 0.7}, "f1": 0.6, "label": {"value": "x"}, "flag": True},
        "binary_classification_metrics": {"accuracy": {"value": 0.1}, "roc_auc": {"value": 1}},
    }
    out = gates.report_metrics(_ctx(staging, FakeS3(report)), _source())
    assert out == {"accuracy": 0.7, "f1": 0.6, "roc_auc": 1.0, "flag": 1.0}
    assert isinstance(out["roc_auc"], float)


def test_report_metrics_without_a_report_uri_reads_nothing(staging) -> None:
    ctx = _ctx(staging, FakeS3({"metrics": {"accuracy": 0.9}}))
    assert gates.report_metrics(ctx, _source(report=False)) == {}
    assert ctx.s3.calls == []


def test_report_metrics_denied_names_the_role(staging) -> None:
    with pytest.raises(PermissionDeniedError, match=f"GetObject was denied as {ROLE}"):
        gates.report_metrics(_ctx(staging, FakeS3(error="AccessDenied")), _source())


def test_dppl_limit_is_on_the_absolute_value_and_inclusive(staging) -> None:
    def bias(dppl: float) -> dict[str, str]:
        card = _card(**{**GOOD, "post_bias": {"DPPL": dppl, "DI": 1.0}})
        return _gates(_bias(staging, card))

    assert bias(0.25) == {}
    assert bias(-0.25) == {}
    assert bias(0.26) == {
        "bias:DPPL": "post-training bias DPPL 0.260 exceeds 0.25 (staging governance.bias_limits.max_abs_dppl)"
    }
    assert bias(-0.3) == {
        "bias:DPPL": "post-training bias DPPL -0.300 exceeds 0.25 in absolute value "
        "(staging governance.bias_limits.max_abs_dppl)"
    }
    card = _card(**{**GOOD, "post_bias": {"DPPL": -0.3, "DI": 1.0}})
    assert _limits(_bias(staging, card)) == {"bias:DPPL": (-0.3, 0.25)}


def test_di_range_is_inclusive_at_both_ends(staging) -> None:
    def bias(di: float) -> dict[str, str]:
        card = _card(**{**GOOD, "post_bias": {"DPPL": 0.0, "DI": di}})
        return _gates(_bias(staging, card))

    assert bias(0.5) == {} and bias(2.0) == {}
    assert bias(0.49) == {
        "bias:DI": "post-training bias DI 0.490 is outside [0.5, 2] (staging governance.bias_limits.disparate_impact)"
    }
    assert set(bias(2.01)) == {"bias:DI"}
    card = _card(**{**GOOD, "post_bias": {"DPPL": 0.0, "DI": 0.49}})
    assert _limits(_bias(staging, card)) == {"bias:DI": (0.49, (0.5, 2.0))}


def test_missing_bias_metrics_are_refused_each_by_name(staging) -> None:
    failures = _bias(staging, _card(**{**GOOD, "post_bias": {"AD": 0.0}}))
    assert [f.gate for f in failures] == ["bias:DPPL", "bias:DI"]
    assert [(f.value, f.limit) for f in failures] == [(None, 0.25), (None, (0.5, 2.0))]
    assert failures[1].reason == (
        "post-training bias DI is not in the card's evaluation details; a version without it is "
        "refused (staging governance.bias_limits.disparate_impact)"
    )


def test_only_the_limits_that_are_set_are_gated(staging) -> None:
    card = _card(**{**GOOD, "post_bias": {"DPPL": 0.9, "DI": 9.0}})
    only_di = _with(
        staging, bias_limits=dataclasses.replace(staging.governance.bias_limits, max_abs_dppl=None)
    )
    assert [f.gate for f in _bias(only_di, card)] == ["bias:DI"]
    only_dppl = _with(
        staging, bias_limits=dataclasses.replace(staging.governance.bias_limits, disparate_impact=None)
    )
    assert [f.gate for f in _bias(only_dppl, card)] == ["bias:DPPL"]
    assert _bias(_with(staging, bias_limits=None), card) == []


def test_bias_failures_are_part_of_check_gates(staging) -> None:
    card = _card(**{**GOOD, "post_bias": {"DPPL": 0.9, "DI": 1.0}})
    assert [f.gate for f in gates.check_gates(_ctx(staging), _source(), card)] == ["bias:DPPL"]


def test_explainability_gate_only_where_required(staging) -> None:
    card = _card(**{**GOOD, "explain": None})
    found = gates.check_gates(_ctx(staging), _source(), card)
    assert _gates(found) == {
        "explainability": "the card carries no explainability section (global feature attributions), "
        "which staging requires (staging governance.require_explainability)"
    }
    assert _limits(found) == {"explainability": (False, True)}
    relaxed = _with(staging, require_explainability=False)
    assert gates.check_gates(_ctx(relaxed), _source(), card) == []


def test_the_report_is_read_at_most_once_however_many_metrics_miss(staging) -> None:
    s3 = FakeS3({"binary_classification_metrics": {"roc_auc": {"value": 0.9}, "accuracy": {"value": 0.9}}})
    assert gates.check_gates(_ctx(staging, s3), _source(), _card(**{**GOOD, "quality": {}})) == []
    assert len(s3.calls) == 1


def test_every_governance_field_has_exactly_one_gate() -> None:
    """A new ``governance:`` field without its gate (or a gate without its field) fails here."""
    from environments.schema import GovernanceConfig

    fields = [g.field for g in gates.GATES if g.field is not None]
    assert sorted(fields) == sorted(f.name for f in dataclasses.fields(GovernanceConfig))
    assert len(fields) == len(set(fields))
    for gate in gates.GATES:
        if gate.field is not None:
            assert gate.check.__name__ == gate.field, "one function per field, named after it"
