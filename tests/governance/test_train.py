"""train: the sample runs on the credit data, byte-identical whenever trained, with the quality,
bias and explainability reports of each run (the numbers the gates are tuned to)."""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from scripts.governance import credit_data, train
from scripts.governance import evaluation as ev

V1, V2, V3 = train.DEFAULT_SPECS


@pytest.fixture(scope="module")
def runs() -> dict[str, train.TrainingResult]:
    return {spec.label: train.train(spec) for spec in train.DEFAULT_SPECS}


def _post(result: train.TrainingResult) -> dict[str, float]:
    report = json.loads(result.bias_report)
    (facet,) = report[ev.POST_TRAINING]["facets"][credit_data.FACET]
    return {m["name"]: m["value"] for m in facet["metrics"]}


def test_two_trainings_give_identical_bytes(monkeypatch):
    spec = V3  # the stump: the quickest to fit
    first = train.train(spec)
    real = time.time
    # A day later: a timestamp anywhere in the archive would differ.
    monkeypatch.setattr(time, "time", lambda: real() + 86_400)
    second = train.train(spec)
    assert second.model_tar_gz == first.model_tar_gz
    assert second.evaluation_report == first.evaluation_report
    assert second.bias_report == first.bias_report
    assert second.explainability_report == first.explainability_report
    assert second.idempotency_key == first.idempotency_key


def test_archive_carries_no_time_or_owner(runs):
    archive = runs[V3.label].model_tar_gz
    assert archive[4:8] == b"\0\0\0\0"  # gzip header MTIME
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        members = tar.getmembers()
        member = tar.extractfile("features.json")
        assert member is not None
        features = json.loads(member.read())
    assert [m.name for m in members] == ["features.json", "hyperparameters.json", "model.joblib"]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in members} == {(0, 0, 0, "", "", 0o644)}
    assert features == list(V3.features)
    assert gzip.decompress(archive)  # a whole, valid gzip stream


def test_sample_versions_measure_what_the_gates_are_tuned_to(runs):
    """v1 (financial columns) is accurate and nearly fair; v2 (with age) learns the labelling
    bias back; v3 is too weak. The figures are those the environments' gates are set against."""
    v1, v2, v3 = (runs[s.label] for s in train.DEFAULT_SPECS)
    assert v1.evaluation_metrics["accuracy"] == pytest.approx(0.770, abs=1e-3)
    assert v1.evaluation_metrics["roc_auc"] == pytest.approx(0.846, abs=1e-3)
    assert _post(v1)["DPPL"] == pytest.approx(0.039, abs=1e-3)
    assert _post(v1)["DI"] == pytest.approx(0.917, abs=1e-3)
    assert v2.evaluation_metrics["accuracy"] == pytest.approx(0.759, abs=1e-3)
    assert _post(v2)["DPPL"] == pytest.approx(0.230, abs=1e-3)
    assert _post(v2)["DI"] == pytest.approx(0.544, abs=1e-3)
    assert v3.evaluation_metrics["accuracy"] == pytest.approx(0.668, abs=1e-3)
    assert v3.evaluation_metrics["roc_auc"] == pytest.approx(0.674, abs=1e-3)


def test_bias_report_pre_training_on_training_rows_post_training_on_holdout(runs):
    """Clarify's layout with both sections; pre-training is measured on the rows the model
    learnt from (not the whole table, not the holdout)."""
    from sklearn.model_selection import train_test_split

    report = json.loads(runs[V1.label].bias_report)
    ev.validate_bias_report(report)
    data = credit_data.generate()
    rows_tr, _ = train_test_split(
        list(range(data.rows)), test_size=train.HOLDOUT, stratify=data.labels, random_state=train.SPLIT_SEED
    )
    training = data.to_frame().iloc[rows_tr]
    young = training[credit_data.FACET] == credit_data.FACET_SENSITIVE_VALUE
    labels = training[credit_data.LABEL]
    (pre,) = report[ev.PRE_TRAINING]["facets"][credit_data.FACET]
    dpl = next(m["value"] for m in pre["metrics"] if m["name"] == "DPL")
    assert dpl == pytest.approx(labels[~young].mean() - labels[young].mean(), abs=1e-9)
    assert dpl == pytest.approx(0.176, abs=2e-3)  # the planted labelling bias, visible


def test_explainability_names_the_features_each_model_uses(runs):
    for spec in (V1, V2):
        report = json.loads(runs[spec.label].explainability_report)
        ev.validate_explainability_report(report)
        values = report["explanations"]["kernel_shap"][credit_data.LABEL]["global_shap_values"]
        assert set(values) == set(spec.features)
    forest = json.loads(runs[V2.label].explainability_report)["explanations"]["kernel_shap"]
    ranked = list(forest[credit_data.LABEL]["global_shap_values"])
    assert "age" in ranked[:3], "the model that may use age leans on it"


def test_quality_report_in_model_monitor_layout(runs):
    report = json.loads(runs[V1.label].evaluation_report)
    layout = report["binary_classification_metrics"]
    assert {k: v["value"] for k, v in layout.items()} == runs[V1.label].evaluation_metrics
    assert report["dataset_sha256"] == credit_data.generate().content_hash()
    assert report["features"] == list(V1.features)


def test_run_key_names_spec_features_and_data():
    base = train.run_key(V1, "d" * 64)
    assert train.run_key(V1, "d" * 64) == base
    fewer = train.TrainingSpec(V1.label, V1.algorithm, V1.hyperparameters, features=V1.features[:-1])
    assert train.run_key(fewer, "d" * 64) != base
    assert train.run_key(V1, "e" * 64) != base


def test_train_ahead_hands_back_its_runs_and_trains_anything_else_on_the_spot(monkeypatch):
    """The demo trains while Terraform applies: the run started ahead is the one seed gets (not
    trained twice), a spec not started ahead is trained when asked, and a failed run raises its
    error when asked for, as train() would have."""
    calls: list[tuple[str, str]] = []
    release = threading.Event()

    def fake_train(spec: train.TrainingSpec) -> object:
        calls.append((spec.label, threading.current_thread().name))
        if spec.label == "broken":
            raise ValueError("the fit diverged")
        release.wait(5)  # still running when the trainer is asked: it must wait, not retrain
        return ("result", spec.label, spec.hyperparameters.get("max_depth"))

    monkeypatch.setattr(train, "train", fake_train)
    broken = dataclasses.replace(V3, label="broken")
    with ThreadPoolExecutor(1, thread_name_prefix="ahead") as pool:
        trainer = train.train_ahead(pool, (V1, broken, V3))
        threading.Timer(0.2, release.set).start()
        assert trainer(V1) == ("result", "v1-logreg", None)
        assert trainer(V1) == ("result", "v1-logreg", None)
        with pytest.raises(ValueError, match="diverged"):
            trainer(broken)
        assert trainer(V3) == ("result", "v3-stump", 1)
        # Same label, other hyperparameters: another run, trained here and now.
        deeper = dataclasses.replace(V3, hyperparameters={"max_depth": 2})
        assert trainer(deeper) == ("result", "v3-stump", 2)
    assert [label for label, _ in calls] == ["v1-logreg", "broken", "v3-stump", "v3-stump"]
    assert [thread.startswith("ahead") for _, thread in calls] == [True, True, True, False]
