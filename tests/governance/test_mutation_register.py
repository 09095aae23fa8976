"""Registration's look ahead on its own (no emulator): which environments are downstream, the
metric-name notes and the "did you mean" (docs/mutation.md)."""

from __future__ import annotations

import dataclasses

import pytest

from environments import load_platform
from scripts.governance.register import preview


def test_downstream_is_every_environment_reached_upstream_first_with_the_use_case() -> None:
    platform = load_platform()
    assert [e.name for e in preview.downstream(platform, "dev", "credit-risk")] == ["staging", "prod"]
    assert [e.name for e in preview.downstream(platform, "staging", "credit-risk")] == ["prod"]
    assert preview.downstream(platform, "prod", "credit-risk") == []
    assert preview.downstream(platform, "dev", "no-such-use-case") == []
    # An environment without the use case is not downstream for it.
    envs = dict(platform.environments)
    fraud = dataclasses.replace(platform.env("dev").use_cases[0], name="fraud")
    for name in ("dev", "staging"):
        envs[name] = dataclasses.replace(envs[name], use_cases=(*envs[name].use_cases, fraud))
    envs["prod"] = dataclasses.replace(envs["prod"], use_cases=(fraud,))
    narrowed = dataclasses.replace(platform, environments=envs)
    assert [e.name for e in preview.downstream(narrowed, "dev", "credit-risk")] == ["staging"]
    assert [e.name for e in preview.downstream(narrowed, "dev", "fraud")] == ["staging", "prod"]


def test_gate_metric_names_are_every_environments_floors() -> None:
    assert preview.gate_metric_names(load_platform()) == {"accuracy", "roc_auc"}


@pytest.mark.parametrize(
    ("name", "candidates", "expected"),
    [
        ("auc", {"roc_auc", "accuracy"}, "roc_auc"),  # SageMaker's name -> the gates'
        ("roc_auc", {"auc", "accuracy"}, "auc"),  # the gates' name -> the file's
        ("auc", {"accuracy"}, None),  # nothing like it
        ("acuracy", {"accuracy", "auc"}, "accuracy"),  # a typo
        ("precison", {"precision", "recall"}, "precision"),
        ("recall", {"recall"}, None),  # itself is never the answer
        ("recalll", {"recall", "f1"}, "recall"),
        ("xyz", {"accuracy"}, None),
    ],
)
def test_did_you_mean(name: str, candidates: set[str], expected: str | None) -> None:
    assert preview.did_you_mean(name, candidates) == expected


def test_metric_notes_name_what_neither_the_gates_nor_sagemaker_know() -> None:
    read = {"accuracy", "roc_auc"}
    group = "binary_classification"
    assert preview.metric_notes(group, ["accuracy", "roc_auc", "f1", "precision", "f0_5"], read) == []
    assert preview.metric_notes(group, ["accuracy", "auc"], read) == [
        "metric 'auc' is SageMaker's name for what the gates read as 'roc_auc': name it 'roc_auc' in the "
        "metrics file, or no metric floor on roc_auc will find it"
    ]
    # Both named: auc is a SageMaker metric beside the gates' roc_auc, nothing to say.
    assert preview.metric_notes(group, ["auc", "roc_auc"], read) == []
    # With no gate reading roc_auc, auc is just SageMaker's metric.
    assert preview.metric_notes(group, ["auc"], {"accuracy"}) == []
    assert preview.metric_notes(group, ["acuracy", "lift"], read) == [
        "metric 'acuracy' is neither a metric the gates read (accuracy, roc_auc) nor one of SageMaker's "
        "binary_classification model quality metrics (did you mean accuracy?)",
        "metric 'lift' is neither a metric the gates read (accuracy, roc_auc) nor one of SageMaker's "
        "binary_classification model quality metrics",
    ]
    assert preview.metric_notes("regression", ["rmse", "mape"], set()) == [
        "metric 'mape' is neither a metric the gates read (none) nor one of SageMaker's regression model "
        "quality metrics (did you mean mae?)"
    ]
    assert preview.metric_notes("multiclass_classification", ["weighted_f1", "accuracy"], set()) == []


def test_sagemaker_names_are_model_monitors() -> None:
    assert preview.SAGEMAKER_QUALITY_METRICS["binary_classification"][10] == "auc"
    assert set(preview.SAGEMAKER_QUALITY_METRICS) == {
        "binary_classification",
        "multiclass_classification",
        "regression",
    }
    assert preview.KIT_NAMES == {"auc": "roc_auc"}
