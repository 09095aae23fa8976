"""The card's bias and explainability entries from hand-made Clarify ``analysis.json`` reports (no
smclarify or SHAP run, so the mutation run can repeat them per mutant; docs/mutation.md): what
card_evaluations writes, what bias_metrics and has_explainability read back for the gates, and
each field the validators name."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from sagemaker.core.shapes.model_card_shapes import (
    EvaluationDetailsItem,
    MetricGroupsItem,
    ModelCardContent,
    SimpleMetric,
)

from scripts.governance import evaluation as ev


def _metrics(**values: float | None) -> list[dict[str, Any]]:
    return [{"name": k, "description": f"{k} metric", "value": v} for k, v in values.items()]


def _bias() -> dict[str, Any]:
    return {
        "version": "1.0",
        ev.PRE_TRAINING: {
            "label": "default",
            "label_value_or_threshold": "1",
            "facets": {
                "age_group": [{"value_or_threshold": "young", "metrics": _metrics(CI=0.4, DPL=0.2, KL=None)}]
            },
        },
        ev.POST_TRAINING: {
            "label": "default",
            "label_value_or_threshold": "1",
            "facets": {
                "age_group": [
                    {"value_or_threshold": "young", "metrics": _metrics(DPPL=0.12, DI=0.9, AD=0.01)},
                    {"value_or_threshold": "old", "metrics": _metrics(DPPL=0.5)},
                ]
            },
        },
    }


def _explain() -> dict[str, Any]:
    return {
        "version": "1.0",
        "explanations": {"kernel_shap": {"default": {"global_shap_values": {"income_k": 0.3, "age": 0}}}},
    }


def _card(items: list[EvaluationDetailsItem]) -> ModelCardContent:
    # Through JSON and back, as the card travels in CreateModelPackage.
    return ModelCardContent.model_validate_json(ModelCardContent(evaluation_details=items).model_dump_json())


def test_card_evaluations_writes_one_entry_per_stage_and_one_for_explainability() -> None:
    items = ev.card_evaluations(
        _bias(), _explain(), bias_uri="s3://b/bias.json", explainability_uri="s3://b/x.json"
    )
    assert [i.name for i in items] == [ev.EVAL_PRE_BIAS, ev.EVAL_POST_BIAS, ev.EVAL_EXPLAINABILITY]
    pre, post, explain = items
    assert pre.evaluation_observation == "Bias in the training labels (SageMaker Clarify metrics)."
    assert post.evaluation_observation == "Bias in the model's predictions on the holdout (Clarify metrics)."
    assert explain.evaluation_observation == (
        "Global feature attributions: mean |SHAP| (Kernel SHAP, as Clarify)."
    )
    assert pre.datasets == post.datasets == ["s3://b/bias.json"] and explain.datasets == ["s3://b/x.json"]
    assert post.metadata == {"label": "default", "positive_label": "1", "facets": "age_group"}
    assert [g.name for g in post.metric_groups] == [
        "post_training_bias - facet age_group=young",
        "post_training_bias - facet age_group=old",
    ]
    assert [g.name for g in pre.metric_groups] == ["pre_training_bias - facet age_group=young"]
    # An undefined metric (value None) is left out, never written as a number.
    assert [(m.name, m.type, m.value, m.notes) for m in pre.metric_groups[0].metric_data] == [
        ("CI", "number", 0.4, "CI metric"),
        ("DPL", "number", 0.2, "DPL metric"),
    ]
    assert [g.name for g in explain.metric_groups] == ["explanations - global_shap_values, label=default"]
    assert [(m.name, m.type, m.value) for m in explain.metric_groups[0].metric_data] == [
        ("income_k", "number", 0.3),
        ("age", "number", 0.0),
    ]


def test_without_report_uris_no_datasets_and_without_reports_no_entries() -> None:
    items = ev.card_evaluations(_bias(), _explain())
    assert [i.datasets for i in items] == [None, None, None]
    assert ev.card_evaluations(None, None) == []
    assert [i.name for i in ev.card_evaluations(None, _explain())] == [ev.EVAL_EXPLAINABILITY]
    assert [i.name for i in ev.card_evaluations(_bias(), None)] == [ev.EVAL_PRE_BIAS, ev.EVAL_POST_BIAS]


def test_group_names_are_cut_to_the_cards_63_characters() -> None:
    bias = _bias()
    long_facet = "f" * 80
    for stage in (ev.PRE_TRAINING, ev.POST_TRAINING):
        bias[stage]["facets"] = {long_facet: bias[stage]["facets"]["age_group"]}
    explain = {"explanations": {"kernel_shap": {"l" * 80: {"global_shap_values": {"a": 1.0}}}}}
    items = ev.card_evaluations(bias, explain)
    names = [g.name for i in items for g in i.metric_groups]
    assert all(len(n) == 63 for n in names)
    assert names[0] == f"pre_training_bias - facet {long_facet}"[:63]
    assert names[-1] == f"explanations - global_shap_values, label={'l' * 80}"[:63]
    assert items[0].metadata["positive_label"] == "1"
    del bias[ev.PRE_TRAINING]["label_value_or_threshold"]
    assert ev.card_evaluations(bias, None)[0].metadata["positive_label"] == ""


def test_card_evaluations_refuses_a_malformed_report_before_writing() -> None:
    with pytest.raises(ev.ReportError, match=r"^bias report: post_training_bias_metrics: missing"):
        ev.card_evaluations({ev.PRE_TRAINING: _bias()[ev.PRE_TRAINING]}, None)
    with pytest.raises(ev.ReportError, match=r"^explainability report: explanations\.kernel_shap: missing"):
        ev.card_evaluations(None, {"explanations": {}})


def test_bias_metrics_reads_both_stages_first_facet_wins_and_nothing_else() -> None:
    items = ev.card_evaluations(_bias(), _explain())
    quality = EvaluationDetailsItem(
        name="model-quality",
        metric_groups=[
            MetricGroupsItem(name="q", metric_data=[SimpleMetric(name="DI", type="number", value=5.0)])
        ],
    )
    metrics = ev.bias_metrics(_card([quality, *items]))
    assert metrics == {"CI": 0.4, "DPL": 0.2, "DPPL": 0.12, "DI": 0.9, "AD": 0.01}
    assert all(isinstance(v, float) for v in metrics.values())
    assert ev.bias_metrics(ModelCardContent()) == {}


def test_has_explainability_needs_an_attribution_in_the_explainability_entry() -> None:
    (explain,) = ev.card_evaluations(None, _explain())
    assert ev.has_explainability(_card([explain]))
    assert not ev.has_explainability(_card(ev.card_evaluations(_bias(), None)))
    empty = EvaluationDetailsItem(
        name=ev.EVAL_EXPLAINABILITY, metric_groups=[MetricGroupsItem(name="g", metric_data=[])]
    )
    assert not ev.has_explainability(_card([empty]))
    assert not ev.has_explainability(_card([EvaluationDetailsItem(name=ev.EVAL_EXPLAINABILITY)]))


def _broken(change: Any) -> dict[str, Any]:
    report = copy.deepcopy(_bias())
    change(report)
    return report


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda r: r.pop(ev.PRE_TRAINING),
            "pre_training_bias_metrics: missing; expected Clarify's pre_training_bias_metrics object",
        ),
        (
            lambda r: r.update({ev.POST_TRAINING: []}),
            "post_training_bias_metrics: missing; expected Clarify's post_training_bias_metrics object",
        ),
        (lambda r: r[ev.PRE_TRAINING].pop("label"), "pre_training_bias_metrics.label: missing"),
        (lambda r: r[ev.POST_TRAINING].pop("facets"), "post_training_bias_metrics.facets: missing"),
        (
            lambda r: r[ev.PRE_TRAINING].update(facets={}),
            "pre_training_bias_metrics.facets: expected a mapping facet -> list of results",
        ),
        (
            lambda r: r[ev.PRE_TRAINING].update(facets=["age_group"]),
            "pre_training_bias_metrics.facets: expected a mapping facet -> list of results",
        ),
        (
            lambda r: r[ev.PRE_TRAINING]["facets"].update(age_group=[]),
            "pre_training_bias_metrics.facets.age_group: expected a non-empty list",
        ),
        (
            lambda r: r[ev.PRE_TRAINING]["facets"].update(age_group={}),
            "pre_training_bias_metrics.facets.age_group: expected a non-empty list",
        ),
        (
            lambda r: r[ev.POST_TRAINING]["facets"]["age_group"][1].pop("metrics"),
            "post_training_bias_metrics.facets.age_group[1].metrics: expected a list",
        ),
        (
            lambda r: r[ev.POST_TRAINING]["facets"]["age_group"].append("x"),
            "post_training_bias_metrics.facets.age_group[2].metrics: expected a list",
        ),
        (
            lambda r: r[ev.PRE_TRAINING]["facets"]["age_group"][0]["metrics"].append({"value": 1}),
            "pre_training_bias_metrics.facets.age_group[0].metrics: each needs a name",
        ),
        (
            lambda r: r[ev.PRE_TRAINING]["facets"]["age_group"][0]["metrics"].append("CI"),
            "pre_training_bias_metrics.facets.age_group[0].metrics: each needs a name",
        ),
        (
            lambda r: r[ev.PRE_TRAINING]["facets"]["age_group"][0]["metrics"][1].update(value="0.2"),
            "pre_training_bias_metrics.facets.age_group[0].metrics.DPL: expected a number, got '0.2'",
        ),
    ],
)
def test_each_malformed_bias_field_is_named(change: Any, message: str) -> None:
    with pytest.raises(ev.ReportError) as err:
        ev.validate_bias_report(_broken(change), source="bias.json")
    assert str(err.value) == f"bias.json: {message}"


def test_a_bias_report_that_is_not_an_object_is_named() -> None:
    with pytest.raises(
        ev.ReportError, match=r"^bias\.json: expected a JSON object \(Clarify analysis\.json\)$"
    ):
        ev.validate_bias_report([], source="bias.json")
    ev.validate_bias_report(_bias(), source="bias.json")  # integers, floats and None are numbers enough


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ([], "explanations.kernel_shap: missing; expected Clarify's explainability output"),
        ({}, "explanations.kernel_shap: missing; expected Clarify's explainability output"),
        (
            {"explanations": {"kernel_shap": {}}},
            "explanations.kernel_shap: missing; expected Clarify's explainability output",
        ),
        (
            {"explanations": {"kernel_shap": {"y": {}}}},
            "explanations.kernel_shap.y.global_shap_values: missing or empty",
        ),
        (
            {"explanations": {"kernel_shap": {"y": []}}},
            "explanations.kernel_shap.y.global_shap_values: missing or empty",
        ),
        (
            {"explanations": {"kernel_shap": {"y": {"global_shap_values": {}}}}},
            "explanations.kernel_shap.y.global_shap_values: missing or empty",
        ),
        (
            {"explanations": {"kernel_shap": {"y": {"global_shap_values": {"age": None}}}}},
            "explanations.kernel_shap.y.global_shap_values.age: expected a finite number, got None",
        ),
        (
            {"explanations": {"kernel_shap": {"y": {"global_shap_values": {"age": float("nan")}}}}},
            "explanations.kernel_shap.y.global_shap_values.age: expected a finite number, got nan",
        ),
        (
            {"explanations": {"kernel_shap": {"y": {"global_shap_values": {"age": float("inf")}}}}},
            "explanations.kernel_shap.y.global_shap_values.age: expected a finite number, got inf",
        ),
        (
            {"explanations": {"kernel_shap": {"y": {"global_shap_values": {"age": True}}}}},
            "explanations.kernel_shap.y.global_shap_values.age: expected a finite number, got True",
        ),
    ],
)
def test_each_malformed_explainability_field_is_named(report: Any, message: str) -> None:
    with pytest.raises(ev.ReportError, match=f"^{re.escape('shap.json: ' + message)}$"):
        ev.validate_explainability_report(report, source="shap.json")


def test_every_facet_is_named_in_the_entrys_metadata() -> None:
    bias = _bias()
    for stage in (ev.PRE_TRAINING, ev.POST_TRAINING):
        bias[stage]["facets"]["gender"] = copy.deepcopy(bias[stage]["facets"]["age_group"])
    assert [i.metadata["facets"] for i in ev.card_evaluations(bias, None)] == ["age_group,gender"] * 2


def test_no_card_no_bias_metrics_and_no_explainability() -> None:
    assert ev.bias_metrics(None) == {}
    assert ev.has_explainability(None) is False


def test_a_bias_metric_that_is_not_a_number_is_not_read() -> None:
    (post,) = [i for i in ev.card_evaluations(_bias(), None) if i.name == ev.EVAL_POST_BIAS]
    assert post.metric_groups is not None
    post.metric_groups[0].metric_data.insert(0, SimpleMetric(name="DPPL", type="string", value="n/a"))
    assert ev.bias_metrics(_card([post]))["DPPL"] == 0.12


def test_a_facet_result_whose_every_metric_is_null_is_refused() -> None:
    """What a sensitive group that matched nothing produces: refused, naming the group and the fix.
    One undefined metric beside defined ones stays allowed (left out of the card)."""
    report = _bias()
    report[ev.POST_TRAINING]["facets"]["age_group"][1]["metrics"] = _metrics(DPPL=None, DI=None)
    with pytest.raises(ev.ReportError) as err:
        ev.validate_bias_report(report, source="bias.json")
    assert str(err.value) == (
        "bias.json: post_training_bias_metrics.facets.age_group[1] (value_or_threshold 'old'): every "
        "metric is null (DPPL, DI): the sensitive group matched no row, or every row. A numeric facet is "
        "binned by a threshold, as Clarify does (the sensitive group is the rows above it): give "
        "facet_values_or_threshold a threshold inside the facet's range, or cast a coded facet to "
        "categories and name its value"
    )
    single = _bias()
    single[ev.POST_TRAINING]["facets"]["age_group"][1]["metrics"] = _metrics(DPPL=None)
    with pytest.raises(ev.ReportError, match=r"every metric is null \(DPPL\)"):
        ev.validate_bias_report(single)
    empty = _bias()
    empty[ev.PRE_TRAINING]["facets"]["age_group"][0]["metrics"] = []
    ev.validate_bias_report(empty)  # no metric at all is not a metric that is null


@pytest.mark.parametrize("value", [True, float("inf"), float("nan")])
def test_a_bias_metric_that_is_no_finite_number_is_named(value: Any) -> None:
    report = _bias()
    report[ev.PRE_TRAINING]["facets"]["age_group"][0]["metrics"][0]["value"] = value
    with pytest.raises(ev.ReportError, match=r"age_group\[0\]\.metrics\.CI: expected a number, got "):
        ev.validate_bias_report(report)
