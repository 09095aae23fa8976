"""Training step of the credit-risk pipeline (a SageMaker training job, script mode).

Hyperparameters arrive as ``--name value`` arguments (the SageMaker SDK's ModelTrainer driver and
the training toolkit both pass them so); the training data in ``SM_CHANNEL_TRAIN``. Fits the
scikit-learn estimator the ``--algorithm`` names on the ``--features`` columns (the financial
columns by default: the model must not need age), and writes to ``SM_MODEL_DIR`` (which SageMaker
uploads as ``model.tar.gz``): ``model.joblib``, ``features.json`` (the input column order),
``hyperparameters.json`` and ``training_metrics.json``. Deterministic: fixed random states, one
thread.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
from sklearn.metrics import accuracy_score, log_loss
from threadpoolctl import threadpool_limits

LABEL = "good_credit"
FINANCIAL_FEATURES = (
    "income_k",
    "debt_to_income",
    "credit_history_years",
    "late_payments_2y",
    "loan_amount_k",
    "employment_years",
)


def estimator(algorithm: str, hyperparameters: dict[str, Any]) -> Any:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    if algorithm == "logistic_regression":
        return make_pipeline(StandardScaler(), LogisticRegression(random_state=0, **hyperparameters))
    if algorithm == "random_forest":
        return RandomForestClassifier(random_state=0, **hyperparameters)
    if algorithm == "decision_stump":
        return DecisionTreeClassifier(random_state=0, **hyperparameters)
    raise ValueError(
        f"unknown algorithm {algorithm!r}: expected logistic_regression, random_forest or decision_stump"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--algorithm", default="logistic_regression")
    parser.add_argument("--features", default=",".join(FINANCIAL_FEATURES), help="comma-separated columns")
    parser.add_argument("--C", type=float, default=None)
    parser.add_argument("--max_iter", type=int, default=None)
    parser.add_argument("--n_estimators", type=int, default=None)
    parser.add_argument("--max_depth", type=int, default=None)
    args = parser.parse_args(argv)
    hyperparameters = {
        k: v for k, v in vars(args).items() if k not in ("algorithm", "features") and v is not None
    }
    features = [f for f in args.features.split(",") if f]
    channel = Path(os.environ.get("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train"))
    frame = pd.concat([pd.read_csv(path) for path in sorted(channel.rglob("*.csv"))], ignore_index=True)
    x, y = frame[features].to_numpy(dtype="float64"), frame[LABEL].to_numpy()
    with threadpool_limits(limits=1):
        model = estimator(args.algorithm, hyperparameters).fit(x, y)
        probabilities = model.predict_proba(x)[:, 1]
    metrics = {
        "train_accuracy": round(float(accuracy_score(y, (probabilities >= 0.5).astype(int))), 4),
        "train_log_loss": round(float(log_loss(y, probabilities)), 4),
    }
    model_dir = Path(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    joblib.dump(model, model_dir / "model.joblib")
    (model_dir / "features.json").write_text(json.dumps(features))
    (model_dir / "hyperparameters.json").write_text(
        json.dumps({"algorithm": args.algorithm, **hyperparameters}, sort_keys=True)
    )
    (model_dir / "training_metrics.json").write_text(json.dumps(metrics, sort_keys=True))
    print(f"{args.algorithm} {hyperparameters} on {len(frame)} rows, features {features}: {metrics}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
