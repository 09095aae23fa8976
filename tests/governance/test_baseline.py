"""The data-quality baseline registration writes: Model Monitor's statistics.json and
constraints.json of the training rows with the model's predictions, the same documents a
baselining job of the analyzer writes over the same rows (the local cloud's analyzer stands in
for AWS's here), and the baseline a monitoring run flags drifted traffic against."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scripts.governance import baseline, credit_data, train
from scripts.localcloud.containers import model_monitor as analyzer


@pytest.fixture(scope="module")
def v1() -> train.TrainingResult:
    return train.train(train.DEFAULT_SPECS[0])


def f_values(feature: dict) -> list[float]:
    (data,) = feature["numerical_statistics"]["distribution"]["kll"]["sketch"]["data"]
    return data


def test_columns_are_the_outputs_then_the_model_s_features(v1):
    stats = json.loads(v1.baseline_statistics)
    constraints = json.loads(v1.baseline_constraints)
    names = ["predicted_label", "probability", *v1.spec.features]
    assert [f["name"] for f in stats["features"]] == names
    assert [f["name"] for f in constraints["features"]] == names
    by_name = {f["name"]: f for f in stats["features"]}
    assert by_name["predicted_label"]["inferred_type"] == "Integral"
    assert by_name["probability"]["inferred_type"] == "Fractional"
    # Over the training rows: 75% of the data.
    assert stats["dataset"]["item_count"] == round(credit_data.ROWS * 0.75)
    assert constraints["monitoring_config"]["distribution_constraints"]["comparison_method"] == "Robust"


def test_the_documents_equal_what_the_analyzer_s_baselining_writes_over_the_same_rows():
    rng = np.random.default_rng(7)
    x = np.column_stack([rng.normal(50, 10, 300).round(1), rng.integers(0, 5, 300)]).astype(float)
    labels, probs = (x[:, 0] > 50).astype(int), rng.random(300)
    stats_b, constraints_b = baseline.model_baseline(["income_k", "open_loans"], x, labels, probs)
    names = ["predicted_label", "probability", "income_k", "open_loans"]
    rows = [[int(a), float(b), *map(float, r)] for a, b, r in zip(labels, probs, x, strict=True)]
    expected = analyzer.statistics(names, rows)
    assert json.loads(stats_b) == json.loads(json.dumps(expected))
    assert json.loads(constraints_b) == analyzer.suggest_constraints(expected)


def test_bad_rows_are_refused():
    with pytest.raises(ValueError, match="at least one row"):
        baseline.data_quality_baseline(["a"], [])
    with pytest.raises(ValueError, match="every row must have 2 values"):
        baseline.data_quality_baseline(["a", "b"], [[1.0]])


def test_training_like_traffic_passes_and_drifted_traffic_is_flagged(v1):
    stats = json.loads(v1.baseline_statistics)
    constraints = json.loads(v1.baseline_constraints)
    names = [f["name"] for f in stats["features"]]
    columns = [f_values(f) for f in stats["features"]]
    # Rows spread over the training distribution; the label an int, as the endpoint answers it.
    same = [[int(r[0]), *r[1:]] for r in zip(*(c[::40] for c in columns), strict=True)]
    assert analyzer.violations(stats, constraints, names, same) == []
    drifted = [[r[0], r[1], *(v * 4 + 100 for v in r[2:])] for r in same]
    found = analyzer.violations(stats, constraints, names, drifted)
    assert {v["feature_name"] for v in found if v["constraint_check_type"] == "baseline_drift_check"} == set(
        v1.spec.features
    )
