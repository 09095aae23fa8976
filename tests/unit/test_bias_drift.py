"""The bias-drift check's reading of the card and of captured records (scripts/serving/bias_drift.py),
without a cloud: the served path is tests/serving/test_bias_drift.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from scripts.governance.errors import GovernanceError
from scripts.serving import bias_drift

AT = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)
CARD = {
    "evaluation_details": [
        {
            "name": "pre-training-bias",
            "metric_groups": [{"name": "pre_training_bias - facet age_group=under_25"}],
        },
        {
            "name": "post-training-bias",
            "metadata": {"label": "good_credit", "positive_label": "1", "facets": "age_group"},
            "metric_groups": [
                {
                    "name": "post_training_bias - facet age_group=under_25",
                    "metric_data": [
                        {"name": "DPPL", "type": "number", "value": 0.05},
                        {"name": "DI", "type": "number", "value": 0.9},
                    ],
                }
            ],
        },
    ]
}


def _record(data: str, content_type: str, output: str, at: datetime = AT) -> str:
    return json.dumps(
        {
            "captureData": {
                "endpointInput": {
                    "observedContentType": content_type,
                    "mode": "INPUT",
                    "data": data,
                    "encoding": "CSV",
                },
                "endpointOutput": {
                    "observedContentType": "text/csv",
                    "mode": "OUTPUT",
                    "data": output,
                    "encoding": "CSV",
                },
            },
            "eventMetadata": {"eventId": "e", "inferenceTime": at.strftime("%Y-%m-%dT%H:%M:%SZ")},
            "eventVersion": "0",
        }
    )


def test_the_cards_post_training_bias_is_read_by_facet_group():
    [bias] = bias_drift.card_bias(CARD)
    assert bias == bias_drift.CardBias("age_group", "under_25", "1", {"DPPL": 0.05, "DI": 0.9})
    assert bias_drift.facet_columns(CARD) == ["age_group"]
    assert bias_drift.card_bias({"intended_uses": {}}) == []


def test_named_rows_give_the_metrics_and_a_diverging_group_a_violation_naming_it():
    # 4 young applicants, 1 approved; 4 others, all approved: DPPL = 1 - 0.25, DI = 0.25
    rows = "income_k,age_group\n" + "\n".join(["30,under_25"] * 4 + ["50,25_and_over"] * 4)
    labels = "\n".join(["1,0.9", "0,0.1", "0,0.1", "0,0.2"] + ["1,0.8"] * 4)
    traffic = bias_drift.read_traffic(
        iter([_record(rows, "text/csv", labels), _record(rows, "text/csv", labels, AT - timedelta(hours=2))]),
        start=AT - timedelta(hours=1),
        end=AT + timedelta(seconds=1),
        features=["income_k"],
    )
    assert len(traffic.rows) == 8 and traffic.records == 1  # the older record is outside the window
    [bias] = bias_drift.card_bias(CARD)
    measured = bias_drift.traffic_metrics(traffic, bias)
    assert measured == pytest.approx({"DPPL": 0.75, "DI": 0.25})
    found = bias_drift.violations(bias, measured, tolerance=0.1)
    assert [(v["metric_name"], v["constraint_check_type"]) for v in found] == [
        ("DPPL", "bias_drift_check"),
        ("DI", "bias_drift_check"),
    ]
    assert bias_drift.violations(bias, measured, tolerance=1.0) == []


def test_unnamed_rows_without_the_facet_are_refused_naming_it():
    traffic = bias_drift.read_traffic(
        iter([_record("30\n50", "text/csv", "1,0.9\n0,0.1")]),
        start=AT - timedelta(hours=1),
        end=AT + timedelta(seconds=1),
        features=["income_k"],
    )
    [bias] = bias_drift.card_bias(CARD)
    with pytest.raises(GovernanceError, match=r"2 of 2 captured rows carry no column 'age_group'.*header"):
        bias_drift.traffic_metrics(traffic, bias)
