"""Real, small training runs for the sample use case, on the kit's credit data.

Each :class:`TrainingSpec` is one model version: an algorithm, its hyperparameters and the
feature columns it may use, trained on :mod:`scripts.governance.credit_data` (generated from a
fixed seed, nothing downloaded) with a stratified 75/25 split. A run produces what the version
carries beside its model:

* ``model.tar.gz``: the fitted estimator (joblib), its hyperparameters and feature order;
* ``evaluation.json``: model quality in the SageMaker model-quality statistics layout;
* ``bias.json``: Clarify's bias ``analysis.json``: pre-training metrics of the TRAINING rows (the
  labels the model learns from), post-training metrics of the model's predictions on the holdout;
* ``explainability.json``: Clarify's explainability ``analysis.json`` (Kernel SHAP, training
  rows as background, 100 seeded holdout rows explained);

plus the metrics the model card carries. Training is deterministic and the archive carries no
timestamp, so the same spec always gives the same bytes. :func:`run_key` names a run by its spec
and the data alone, so seed can recognise a version it registered without training again.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

from . import baseline, credit_data
from . import evaluation as ev

DATASET = credit_data.DESCRIPTION
#: Share of the rows held out for evaluation, and the split's seed.
HOLDOUT = 0.25
SPLIT_SEED = 0
#: Holdout rows explained by Kernel SHAP (its cost grows with each row).
EXPLAINED_ROWS = 100


@dataclass(frozen=True)
class TrainingSpec:
    """One version to train."""

    label: str
    """Human label of the version, e.g. ``v1-logreg``."""
    algorithm: str
    """``logistic_regression`` | ``random_forest`` | ``decision_stump``."""
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    """Passed to the estimator; part of the run key."""
    features: tuple[str, ...] = credit_data.FINANCIAL_FEATURES
    """Columns of :mod:`credit_data` the model is trained on, in this order; part of the run key."""
    risk_rating: str = "High"


#: The sample versions seed registers: v1 uses the financial columns only and passes every gate;
#: v2 may also use age and learns the historical bias back (the prod bias gate refuses it); v3 is
#: a stump the quality floors refuse.
DEFAULT_SPECS = (
    TrainingSpec("v1-logreg", "logistic_regression", {"C": 1.0, "max_iter": 500}),
    TrainingSpec(
        "v2-forest",
        "random_forest",
        {"n_estimators": 60, "max_depth": 6},
        features=credit_data.ALL_FEATURES,
    ),
    TrainingSpec("v3-stump", "decision_stump", {"max_depth": 1}),
)


@dataclass(frozen=True)
class TrainingResult:
    spec: TrainingSpec
    model_tar_gz: bytes
    evaluation_report: bytes
    """Model quality (SageMaker model-quality statistics layout)."""
    bias_report: bytes
    """Clarify bias ``analysis.json`` (pre- and post-training sections)."""
    explainability_report: bytes
    """Clarify explainability ``analysis.json`` (global SHAP values)."""
    baseline_statistics: bytes
    baseline_constraints: bytes
    """Data-quality baseline of the training rows with the model's predictions on them (Model
    Monitor's ``statistics.json`` / ``constraints.json``; :mod:`.baseline`)."""
    training_metrics: dict[str, float]
    evaluation_metrics: dict[str, float]
    dataset_hash: str
    """:meth:`credit_data.CreditData.content_hash` of the data trained on."""
    idempotency_key: str
    """The run key (:func:`run_key`): spec and data. A version's own key adds what the
    registration adds (use case, group, image, card); see :mod:`.register`."""


def data_hash() -> str:
    """SHA-256 of the credit data's CSV (its identity in lineage and in every run key)."""
    return credit_data.generate().content_hash()


def run_key(spec: TrainingSpec, dataset_hash: str | None = None) -> str:
    """A UUID-shaped key of the training run (algorithm, hyperparameters, features, data): the
    same spec on the same data always gets the same key."""
    material = json.dumps(
        {
            "algorithm": spec.algorithm,
            "hyperparameters": spec.hyperparameters,
            "features": list(spec.features),
            "data": dataset_hash or data_hash(),
        },
        sort_keys=True,
    )
    return str(uuid.UUID(hashlib.sha256(material.encode()).hexdigest()[:32]))


def _estimator(spec: TrainingSpec) -> Any:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    hp = dict(spec.hyperparameters)
    if spec.algorithm == "logistic_regression":
        return make_pipeline(StandardScaler(), LogisticRegression(random_state=0, **hp))
    if spec.algorithm == "random_forest":
        return RandomForestClassifier(random_state=0, **hp)
    if spec.algorithm == "decision_stump":
        return DecisionTreeClassifier(random_state=0, **hp)
    raise ValueError(f"unknown algorithm {spec.algorithm!r}")


def tar_gz(files: dict[str, bytes]) -> bytes:
    """A ``.tar.gz`` of ``files`` whose bytes depend on the files alone: the gzip header's
    timestamp and each member's time, owner and mode are fixed, members in name order."""
    buf = io.BytesIO()
    with (
        gzip.GzipFile(filename="", fileobj=buf, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, payload in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            info.mtime = 0
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


def quality_report(metrics: dict[str, float], **context: Any) -> dict[str, Any]:
    """The model-quality report in the layout SageMaker Model Monitor uses for binary
    classification statistics (what ``mlgov register --metrics`` reads back), plus ``context``."""
    return {
        "binary_classification_metrics": {
            name: {"value": value, "standard_deviation": "NaN"} for name, value in metrics.items()
        },
        "metrics": metrics,
        **context,
    }


def train(spec: TrainingSpec) -> TrainingResult:
    """Fit, evaluate on a stratified holdout, measure bias and attributions, package.
    Deterministic (fixed data, split and random states)."""
    import numpy as np
    from sklearn.model_selection import train_test_split
    from threadpoolctl import threadpool_limits

    data = credit_data.generate()
    rows_tr, rows_te = train_test_split(
        np.arange(data.rows), test_size=HOLDOUT, stratify=data.labels, random_state=SPLIT_SEED
    )
    # The fits are small: OpenMP/BLAS worker threads only contend for the cores (Kernel SHAP's
    # k-means took 50x longer with them on a busy two-core machine). A limit reaches only the
    # runtimes already loaded: scikit-learn's import above has loaded them.
    with threadpool_limits(limits=1):
        return _fit_and_evaluate(spec, data, rows_tr, rows_te)


def train_ahead(
    pool: Executor, specs: Sequence[TrainingSpec] = DEFAULT_SPECS
) -> Callable[[TrainingSpec], TrainingResult]:
    """Start training ``specs`` on ``pool`` now; returns a drop-in for :func:`train` that hands
    back a run started here (waiting for it if need be) and trains any other spec on the spot.

    The demo trains while main.py synthesizes the stacks, so its workflow does not wait for
    the fits. Training is deterministic, so a run made ahead is the run seed would make.
    A run that failed raises its error when asked for, as :func:`train` would have."""
    ahead: list[tuple[TrainingSpec, Future[TrainingResult]]] = [
        (spec, pool.submit(train, spec)) for spec in specs
    ]

    def trainer(spec: TrainingSpec) -> TrainingResult:
        for started, future in ahead:
            if started == spec:
                return future.result()
        return train(spec)

    return trainer


def _fit_and_evaluate(
    spec: TrainingSpec, data: credit_data.CreditData, rows_tr: Any, rows_te: Any
) -> TrainingResult:
    import joblib
    import numpy as np
    from sklearn.metrics import (
        accuracy_score,
        f1_score,
        log_loss,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    x, y = data.features(spec.features), data.labels
    x_tr, x_te, y_tr, y_te = x[rows_tr], x[rows_te], y[rows_tr], y[rows_te]
    model = _estimator(spec).fit(x_tr, y_tr)
    p_tr = model.predict_proba(x_tr)[:, 1]
    p_te = model.predict_proba(x_te)[:, 1]
    y_hat = (p_te >= 0.5).astype(int)
    training_metrics = {
        "train_accuracy": round(float(accuracy_score(y_tr, (p_tr >= 0.5).astype(int))), 4),
        "train_log_loss": round(float(log_loss(y_tr, p_tr)), 4),
    }
    evaluation = {
        "accuracy": round(float(accuracy_score(y_te, y_hat)), 4),
        "roc_auc": round(float(roc_auc_score(y_te, p_te)), 4),
        "precision": round(float(precision_score(y_te, y_hat, zero_division=0)), 4),
        "recall": round(float(recall_score(y_te, y_hat)), 4),
        "f1": round(float(f1_score(y_te, y_hat)), 4),
    }
    dh = data.content_hash()
    report = quality_report(
        evaluation,
        dataset=DATASET,
        dataset_sha256=dh,
        holdout_size=len(y_te),
        algorithm=spec.algorithm,
        hyperparameters=spec.hyperparameters,
        features=list(spec.features),
    )

    frame = data.to_frame()

    def bias(frame_rows: Any, predicted: Any = None) -> dict[str, Any]:
        return ev.bias_report(
            frame.iloc[frame_rows],
            label=credit_data.LABEL,
            positive_label=credit_data.POSITIVE_LABEL,
            facet=credit_data.FACET,
            facet_values_or_threshold=credit_data.FACET_SENSITIVE_VALUE,
            predicted=predicted,
        )

    # Pre-training bias is the bias of the labels the model learnt from; post-training bias is
    # the bias of its predictions on rows it never saw. Clarify reports both in one analysis.json.
    pre, post = bias(rows_tr), bias(rows_te, y_hat)
    bias_analysis = {
        "version": pre["version"],
        ev.PRE_TRAINING: pre[ev.PRE_TRAINING],
        ev.POST_TRAINING: post[ev.POST_TRAINING],
    }
    explained = np.random.default_rng(SPLIT_SEED).choice(len(x_te), EXPLAINED_ROWS, replace=False)
    explainability = ev.explainability_report(
        model.predict_proba,
        background=x_tr,
        sample=x_te[np.sort(explained)],
        feature_names=spec.features,
        label=credit_data.LABEL,
        seed=SPLIT_SEED,
    )

    statistics, constraints = baseline.model_baseline(
        spec.features, x_tr, model.predict(x_tr), model.predict_proba(x_tr)[:, 1]
    )
    model_buf = io.BytesIO()
    joblib.dump(model, model_buf)
    archive = tar_gz(
        {
            "model.joblib": model_buf.getvalue(),
            "hyperparameters.json": json.dumps(spec.hyperparameters, sort_keys=True).encode(),
            # Column order of the model's input: an inference script cannot guess it.
            "features.json": json.dumps(list(spec.features)).encode(),
        }
    )
    return TrainingResult(
        spec=spec,
        model_tar_gz=archive,
        evaluation_report=_json(report),
        bias_report=_json(bias_analysis),
        explainability_report=_json(explainability),
        baseline_statistics=statistics,
        baseline_constraints=constraints,
        training_metrics=training_metrics,
        evaluation_metrics=evaluation,
        dataset_hash=dh,
        idempotency_key=run_key(spec, dh),
    )


def _json(data: Any) -> bytes:
    return json.dumps(data, indent=2, sort_keys=True, allow_nan=False).encode()
