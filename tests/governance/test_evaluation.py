"""The sample credit data and the Clarify-format bias and explainability reports in the card."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from sagemaker.core.shapes.model_card_shapes import ModelCardContent

from scripts.governance import credit_data as cd
from scripts.governance import evaluation as ev


@pytest.fixture(scope="module")
def data() -> cd.CreditData:
    return cd.generate()


def test_credit_data_is_deterministic_and_carries_its_hash(data: cd.CreditData) -> None:
    again = cd.generate()
    assert data.to_csv() == again.to_csv()
    assert data.content_hash() == again.content_hash()
    assert cd.generate(seed=cd.SEED + 1).content_hash() != data.content_hash()
    assert data.rows == cd.ROWS
    assert set(np.unique(data.facet)) == {cd.FACET_SENSITIVE_VALUE, cd.FACET_OTHER_VALUE}


def test_unknown_feature_is_named(data: cd.CreditData) -> None:
    with pytest.raises(ValueError, match="'salary'"):
        data.features(("income_k", "salary"))


def _positive_rate(labels: np.ndarray, mask: np.ndarray) -> float:
    return float(labels[mask].mean())


def test_pre_training_bias_follows_clarify_definitions_and_shows_the_planted_bias(
    data: cd.CreditData,
) -> None:
    report = ev.bias_report(
        data.to_frame(),
        label=cd.LABEL,
        positive_label=1,
        facet=cd.FACET,
        facet_values_or_threshold=cd.FACET_SENSITIVE_VALUE,
    )
    (result,) = report[ev.PRE_TRAINING]["facets"][cd.FACET]
    metrics = {m["name"]: m["value"] for m in result["metrics"]}
    young = data.facet == cd.FACET_SENSITIVE_VALUE
    # Clarify: CI = (n_a - n_d) / (n_a + n_d); DPL = q_a - q_d (a: the other group, d: the facet).
    n_d, n_a = young.sum(), (~young).sum()
    assert metrics["CI"] == pytest.approx((n_a - n_d) / (n_a + n_d), abs=1e-3)
    dpl = _positive_rate(data.labels, ~young) - _positive_rate(data.labels, young)
    assert metrics["DPL"] == pytest.approx(dpl, abs=1e-6)
    assert metrics["DPL"] > 0.1, "the historical labelling bias must be visible"
    assert ev.POST_TRAINING not in report


def test_post_training_bias_of_predictions(data: cd.CreditData) -> None:
    young = data.facet == cd.FACET_SENSITIVE_VALUE
    predicted = np.where(young, 0, 1)  # a model that refuses every young applicant
    report = ev.bias_report(
        data.to_frame(),
        label=cd.LABEL,
        positive_label=1,
        facet=cd.FACET,
        facet_values_or_threshold=cd.FACET_SENSITIVE_VALUE,
        predicted=predicted,
    )
    (result,) = report[ev.POST_TRAINING]["facets"][cd.FACET]
    metrics = {m["name"]: m["value"] for m in result["metrics"]}
    assert metrics["DPPL"] == pytest.approx(1.0)
    assert metrics["DI"] == pytest.approx(0.0)
    json.dumps(report, allow_nan=False)  # undefined values are None, never NaN/inf


def _reports(data: cd.CreditData) -> tuple[dict, dict]:
    from sklearn.linear_model import LogisticRegression

    x = data.features(cd.FINANCIAL_FEATURES)
    model = LogisticRegression(max_iter=500).fit(x, data.labels)
    bias = ev.bias_report(
        data.to_frame(),
        label=cd.LABEL,
        positive_label=1,
        facet=cd.FACET,
        facet_values_or_threshold=cd.FACET_SENSITIVE_VALUE,
        predicted=model.predict(x),
    )
    explain = ev.explainability_report(
        model.predict_proba,
        background=x[:200],
        sample=x[:20],
        feature_names=cd.FINANCIAL_FEATURES,
        label=cd.LABEL,
    )
    return bias, explain


def test_reports_load_into_the_card_and_back(data: cd.CreditData) -> None:
    bias, explain = _reports(data)
    shap_values = explain["explanations"]["kernel_shap"][cd.LABEL]["global_shap_values"]
    assert set(shap_values) == set(cd.FINANCIAL_FEATURES)
    top3 = sorted(shap_values, key=shap_values.get, reverse=True)[:3]
    assert set(top3) == {"debt_to_income", "late_payments_2y", "income_k"}  # the true drivers

    items = ev.card_evaluations(
        bias, explain, bias_uri="s3://b/bias.json", explainability_uri="s3://b/shap.json"
    )
    assert [i.name for i in items] == [ev.EVAL_PRE_BIAS, ev.EVAL_POST_BIAS, ev.EVAL_EXPLAINABILITY]
    card = ModelCardContent.model_validate_json(ModelCardContent(evaluation_details=items).model_dump_json())
    metrics = ev.bias_metrics(card)
    post = {m["name"]: m["value"] for m in bias[ev.POST_TRAINING]["facets"][cd.FACET][0]["metrics"]}
    assert metrics["DPPL"] == pytest.approx(post["DPPL"]) and metrics["DI"] == pytest.approx(post["DI"])
    assert {"CI", "DPL", "KL", "DPPL", "DI", "AD"} <= set(metrics)
    assert ev.has_explainability(card)
    assert items[0].datasets == ["s3://b/bias.json"] and items[2].datasets == ["s3://b/shap.json"]
    assert all(len(g.name) <= 63 for i in items for g in i.metric_groups)


def test_card_without_explainability_or_bias() -> None:
    assert not ev.has_explainability(ModelCardContent())
    assert not ev.has_explainability(None)
    assert ev.bias_metrics(None) == {}


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda r: r.pop(ev.POST_TRAINING), "post_training_bias_metrics: missing"),
        (lambda r: r[ev.PRE_TRAINING].pop("facets"), "pre_training_bias_metrics.facets: missing"),
        (
            lambda r: r[ev.POST_TRAINING]["facets"][cd.FACET][0]["metrics"][0].update(value="high"),
            "post_training_bias_metrics.facets.age_group[0].metrics.",
        ),
    ],
)
def test_malformed_bias_report_is_named(data: cd.CreditData, mutate, field: str) -> None:
    bias, _ = _reports(data)
    broken = copy.deepcopy(bias)
    mutate(broken)
    with pytest.raises(
        ev.ReportError, match=field.replace(".", r"\.").replace("[", r"\[").replace("]", r"\]")
    ):
        ev.validate_bias_report(broken, source="bias.json")


def test_malformed_explainability_report_is_named() -> None:
    with pytest.raises(ev.ReportError, match=r"explanations\.kernel_shap: missing"):
        ev.validate_explainability_report({"explanations": {}}, source="shap.json")
    with pytest.raises(ev.ReportError, match=r"global_shap_values\.age: expected a finite number, got 'x'"):
        ev.validate_explainability_report(
            {"explanations": {"kernel_shap": {"y": {"global_shap_values": {"age": "x"}}}}}, source="shap.json"
        )


# -- a numeric facet: binned by a threshold, as Clarify does --------------------------------------
@pytest.fixture(scope="module")
def diabetes():
    """scikit-learn's diabetes data as load_diabetes returns it by default: every column scaled, the
    protected facet ``sex`` too (two float values, about -0.0446 and 0.0507)."""
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True).frame
    frame["fast"] = (frame["target"] > frame["target"].quantile(0.7)).astype(int)
    return frame


def _biased(frame):
    return np.where(frame["sex"] > 0, 1, frame["fast"])  # flags every patient of one sex


def test_a_numeric_facet_given_one_of_its_values_is_refused_not_reported_as_nulls(diabetes) -> None:
    """The newcomer's case: sex is numeric, so Clarify reads 0.0507 as a threshold and the sensitive
    group (sex > 0.0507) is empty; every metric would be null. Refused, naming the fix."""
    top = float(diabetes["sex"].max())
    with pytest.raises(ev.ReportError) as err:
        ev.bias_report(diabetes, label="fast", positive_label=1, facet="sex", facet_values_or_threshold=top)
    message = str(err.value)
    assert message.startswith(
        f"facet 'sex': the sensitive group (sex > {top:g}) is no row of 442 (values from "
    )
    assert "Give a threshold between -0.0446416 and 0.0506801" in message and "astype(str)" in message
    low = float(diabetes["sex"].min()) - 1
    with pytest.raises(ev.ReportError, match=r"is all 442 rows of 442"):
        ev.bias_report(diabetes, label="fast", positive_label=1, facet="sex", facet_values_or_threshold=low)
    with pytest.raises(ev.ReportError, match=r"one numeric threshold .* got \['female'\]"):
        ev.bias_report(
            diabetes, label="fast", positive_label=1, facet="sex", facet_values_or_threshold="female"
        )


def test_a_numeric_facet_is_binned_by_its_threshold_as_clarify_does(diabetes) -> None:
    report = ev.bias_report(
        diabetes,
        label="fast",
        positive_label=1,
        facet="sex",
        facet_values_or_threshold=0.0,
        predicted=_biased(diabetes),
    )
    (post,) = report[ev.POST_TRAINING]["facets"]["sex"]
    assert post["value_or_threshold"].startswith("(0.0, ")  # Clarify's interval: sex > 0
    metrics = {m["name"]: m["value"] for m in post["metrics"]}
    group = diabetes["sex"] > 0
    predicted = _biased(diabetes)
    # DPPL = q_a - q_d on the predicted labels (d: the sensitive group, sex > 0).
    assert metrics["DPPL"] == pytest.approx(predicted[~group].mean() - predicted[group].mean(), abs=1e-9)
    assert all(v is not None for v in metrics.values())
    ev.validate_bias_report(report)


def test_a_coded_facet_cast_to_categories_names_its_value(diabetes) -> None:
    coded = diabetes.assign(sex=np.where(diabetes["sex"] > 0, "2", "1"))
    report = ev.bias_report(coded, label="fast", positive_label=1, facet="sex", facet_values_or_threshold="2")
    (pre,) = report[ev.PRE_TRAINING]["facets"]["sex"]
    assert pre["value_or_threshold"] == "2"
    with pytest.raises(
        ev.ReportError, match=r"sensitive group \(sex in \['3'\]\) is no row of 442 .*'1', '2'"
    ):
        ev.bias_report(coded, label="fast", positive_label=1, facet="sex", facet_values_or_threshold="3")
