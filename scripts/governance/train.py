"""Real, small training runs for the sample use case, on a dataset that ships with scikit-learn.

Each :class:`TrainingSpec` is one model version: a different algorithm or hyperparameters on the
Wisconsin breast cancer dataset (``sklearn.datasets.load_breast_cancer``, bundled with the
package, nothing downloaded). A run produces ``model.tar.gz`` (the fitted estimator, joblib) and
an evaluation report in the SageMaker model-quality statistics layout, plus the metrics the model
card carries. Training is deterministic and the archive carries no timestamp, so the same spec
always gives the same bytes. The idempotency key of a version is computed from the spec and the data alone, so a
second seed can recognise a version without training again.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import uuid
from dataclasses import dataclass, field
from typing import Any

DATASET = "sklearn.datasets.load_breast_cancer (Wisconsin diagnostic, 569 samples)"


@dataclass(frozen=True)
class TrainingSpec:
    """One version to train."""

    label: str
    """Human label of the version, e.g. ``v1-logreg``."""
    algorithm: str
    """``logistic_regression`` | ``random_forest`` | ``decision_stump``."""
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    """Passed to the estimator; part of the idempotency key."""
    risk_rating: str = "High"


#: The sample versions seed registers: two strong models and one deliberately weak stump, so the
#: metric gates of staging/prod have something to refuse.
DEFAULT_SPECS = (
    TrainingSpec("v1-logreg", "logistic_regression", {"C": 1.0, "max_iter": 500}),
    TrainingSpec("v2-forest", "random_forest", {"n_estimators": 60, "max_depth": 4}),
    TrainingSpec("v3-stump", "decision_stump", {"max_depth": 1}),
)


@dataclass(frozen=True)
class TrainingResult:
    spec: TrainingSpec
    model_tar_gz: bytes
    evaluation_report: bytes
    training_metrics: dict[str, float]
    evaluation_metrics: dict[str, float]
    idempotency_key: str


def _load():
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    return data.data, data.target


def data_hash() -> str:
    """SHA-256 of the dataset's features and labels (part of every version's identity)."""
    x, y = _load()
    h = hashlib.sha256()
    h.update(x.tobytes())
    h.update(y.tobytes())
    return h.hexdigest()


def idempotency_key(spec: TrainingSpec, dataset_hash: str | None = None) -> str:
    """A UUID-shaped key (fits ``ClientToken``: 36 chars, ``[a-zA-Z0-9-]``) from the spec and
    the data: the same version always gets the same key."""
    material = json.dumps(
        {
            "algorithm": spec.algorithm,
            "hyperparameters": spec.hyperparameters,
            "data": dataset_hash or data_hash(),
        },
        sort_keys=True,
    )
    return str(uuid.UUID(hashlib.sha256(material.encode()).hexdigest()[:32]))


def _estimator(spec: TrainingSpec):
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


def _tar(files: dict[str, bytes]) -> bytes:
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


def train(spec: TrainingSpec) -> TrainingResult:
    """Fit, evaluate on a stratified holdout, package. Deterministic (fixed random states)."""
    import joblib
    from sklearn.metrics import (
        accuracy_score,
        f1_score,
        log_loss,
        precision_score,
        recall_score,
        roc_auc_score,
    )
    from sklearn.model_selection import train_test_split

    x, y = _load()
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, stratify=y, random_state=42)
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
        "precision": round(float(precision_score(y_te, y_hat)), 4),
        "recall": round(float(recall_score(y_te, y_hat)), 4),
        "f1": round(float(f1_score(y_te, y_hat)), 4),
    }
    dh = data_hash()
    report = {
        # The layout SageMaker Model Monitor uses for model-quality statistics.
        "binary_classification_metrics": {
            name: {"value": value, "standard_deviation": "NaN"} for name, value in evaluation.items()
        },
        "metrics": evaluation,
        "dataset": DATASET,
        "dataset_sha256": dh,
        "holdout_size": len(y_te),
        "algorithm": spec.algorithm,
        "hyperparameters": spec.hyperparameters,
    }
    model_buf = io.BytesIO()
    joblib.dump(model, model_buf)
    archive = _tar(
        {
            "model.joblib": model_buf.getvalue(),
            "hyperparameters.json": json.dumps(spec.hyperparameters, sort_keys=True).encode(),
        }
    )
    return TrainingResult(
        spec=spec,
        model_tar_gz=archive,
        evaluation_report=json.dumps(report, indent=2, sort_keys=True).encode(),
        training_metrics=training_metrics,
        evaluation_metrics=evaluation,
        idempotency_key=idempotency_key(spec, dh),
    )
