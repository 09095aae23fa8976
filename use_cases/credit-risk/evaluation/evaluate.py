"""Evaluation step of the credit-risk pipeline (a SageMaker processing job).

Inputs: the trained model (``model.tar.gz`` of the training step), the training and the held-out
rows of the preprocessing step. Outputs, in the formats a model risk reviewer and the kit read:

* ``evaluation/evaluation.json``: model quality on the held-out rows in SageMaker Model Monitor's
  binary-classification statistics layout, plus ``metrics`` (what the pipeline's quality
  condition reads) and ``model_card_content`` (the version's whole model card, which the register
  step attaches);
* ``bias/analysis.json``: SageMaker Clarify's bias report, pre-training metrics of the training
  labels and post-training metrics of the model's held-out predictions, for the facet
  ``age_group = under_25``;
* ``explainability/analysis.json``: Clarify's explainability report (Kernel SHAP, global values);
* ``checksums/checksums.json``: the SHA-256 of the model archive this step evaluated and of the
  evaluation report it wrote, under the version metadata keys promotion verifies
  (``customer_metadata_properties``, which the register step records on the version).

The computations are the kit's own (``evaluation.py`` and the names it uses, ``metadata.py``,
shipped beside this script from ``scripts/governance/``): the same bias and SHAP reports ``mlgov seed`` registers. The
card is the sections the pipeline module wrote (``card_sections.json``: intended uses, business
details, risk rating, caveats) plus what only this step knows: the model artifact, training
details (the job, its data, hyperparameters and metrics), the quality, bias and explainability
evaluations with the S3 URI of each report, the use case's DataZone project and, when the run
read a subscribed dataset, that dataset's DataZone asset id and revision.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import baseline  # shipped beside this script: scripts/governance/baseline.py
import evaluation as ev  # shipped beside this script: scripts/governance/evaluation.py
import joblib
import metadata as meta  # shipped beside this script: scripts/governance/metadata.py
import numpy as np
import pandas as pd
from sagemaker.core.shapes.model_card_shapes import (
    EvaluationDetailsItem,
    MetricGroupsItem,
    ModelCardContent,
    SimpleMetric,
)

ROOT = Path("/opt/ml/processing")
LABEL = "good_credit"
POSITIVE_LABEL = 1
FACET = "age_group"
SENSITIVE = "under_25"
EXPLAINED_ROWS = 100
SEED = 0
QUALITY = "holdout-evaluation"
#: What the pipeline passes for the dataset's asset id and revision when its input is no catalog
#: asset (``mlgov pipeline start --data``): nothing is recorded then.
UNSET = "unset"
#: Key of checksums.json holding the version metadata the register step records.
CHECKSUMS_KEY = "customer_metadata_properties"


def _csv(directory: Path) -> pd.DataFrame:
    return pd.concat([pd.read_csv(path) for path in sorted(directory.rglob("*.csv"))], ignore_index=True)


def _archive(directory: Path) -> Path:
    return next(directory.rglob("model.tar.gz"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _model(directory: Path) -> tuple[Any, list[str], dict[str, Any], dict[str, float]]:
    archive = _archive(directory)
    unpacked = Path(tempfile.mkdtemp())
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")

    def read(name: str) -> Any:
        return json.loads((unpacked / name).read_text())

    model = joblib.load(unpacked / "model.joblib")
    return model, read("features.json"), read("hyperparameters.json"), read("training_metrics.json")


def quality(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

    y_hat = (p >= 0.5).astype(int)
    return {
        "accuracy": round(float(accuracy_score(y, y_hat)), 4),
        "roc_auc": round(float(roc_auc_score(y, p)), 4),
        "precision": round(float(precision_score(y, y_hat, zero_division=0)), 4),
        "recall": round(float(recall_score(y, y_hat)), 4),
        "f1": round(float(f1_score(y, y_hat)), 4),
    }


def card(
    args: argparse.Namespace,
    *,
    metrics: dict[str, float],
    bias: dict[str, Any],
    explainability: dict[str, Any],
    hyperparameters: dict[str, Any],
    training_metrics: dict[str, float],
    features: list[str],
) -> ModelCardContent:
    sections = json.loads(next((ROOT / "card").rglob("*.json")).read_text())
    report_uri = f"{args.report_uri.rstrip('/')}/evaluation.json"
    quality_entry = EvaluationDetailsItem(
        name=QUALITY,
        evaluation_observation="Stratified 25% holdout of the training dataset.",
        datasets=[report_uri],
        metadata={
            "hyperparameters": json.dumps(hyperparameters, sort_keys=True),
            "features": ",".join(features),
        },
        metric_groups=[
            MetricGroupsItem(
                name="binary_classification",
                metric_data=[
                    SimpleMetric(name=k, type="number", value=float(v)) for k, v in sorted(metrics.items())
                ],
            )
        ],
    )
    reports = ev.card_evaluations(
        bias,
        explainability,
        bias_uri=f"{args.bias_uri.rstrip('/')}/analysis.json",
        explainability_uri=f"{args.explainability_uri.rstrip('/')}/analysis.json",
    )
    training = sections.setdefault("training_details", {})
    training["training_job_details"] = {
        "training_arn": args.training_job_arn,
        "training_datasets": [args.training_data_uri],
        "training_metrics": [{"name": k, "value": float(v)} for k, v in sorted(training_metrics.items())],
        "user_provided_hyper_parameters": [
            {"name": str(k), "value": json.dumps(v)} for k, v in sorted(hyperparameters.items())
        ],
    }
    info = sections.setdefault("additional_information", {})
    info["custom_details"] = {
        **(info.get("custom_details") or {}),
        meta.DATAZONE_PROJECT_KEY: args.datazone_project_id,
        "use_case": args.use_case,
    }
    if args.dataset_asset_id not in ("", UNSET):
        info["custom_details"][meta.DATASET_ASSET_KEY] = args.dataset_asset_id
        info["custom_details"][meta.DATASET_REVISION_KEY] = args.dataset_revision
    sections["model_overview"] = {
        "model_creator": args.model_creator,
        "model_artifact": [args.model_artifact],
    }
    sections["evaluation_details"] = [
        item.model_dump(exclude_none=True) for item in [quality_entry, *reports]
    ]
    return ModelCardContent.model_validate(sections)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    for option in (
        "--use-case",
        "--datazone-project-id",
        "--model-artifact",
        "--model-creator",
        "--training-job-arn",
        "--training-data-uri",
        "--report-uri",
        "--bias-uri",
        "--explainability-uri",
    ):
        parser.add_argument(option, required=True)
    parser.add_argument("--dataset-asset-id", default=UNSET, help="the input dataset's DataZone asset id")
    parser.add_argument("--dataset-revision", default=UNSET, help="the asset's revision the run read")
    args = parser.parse_args(argv)
    if (args.dataset_asset_id == UNSET) != (args.dataset_revision == UNSET):
        parser.error("--dataset-asset-id and --dataset-revision go together")
    from threadpoolctl import threadpool_limits

    model, features, hyperparameters, training_metrics = _model(ROOT / "model")
    train, test = _csv(ROOT / "train"), _csv(ROOT / "test")
    x_train = train[features].to_numpy(dtype="float64")
    x_test = test[features].to_numpy(dtype="float64")
    with threadpool_limits(limits=1):
        probabilities = model.predict_proba(x_test)[:, 1]
        metrics = quality(test[LABEL].to_numpy(), probabilities)
        predicted = (probabilities >= 0.5).astype(int)

        def bias_of(frame: pd.DataFrame, labels: Any = None) -> dict[str, Any]:
            return ev.bias_report(
                frame,
                label=LABEL,
                positive_label=POSITIVE_LABEL,
                facet=FACET,
                facet_values_or_threshold=SENSITIVE,
                predicted=labels,
            )

        pre, post = bias_of(train), bias_of(test, predicted)
        bias = {
            "version": pre["version"],
            ev.PRE_TRAINING: pre[ev.PRE_TRAINING],
            ev.POST_TRAINING: post[ev.POST_TRAINING],
        }
        explained = np.random.default_rng(SEED).choice(
            len(x_test), min(EXPLAINED_ROWS, len(x_test)), replace=False
        )
        explainability = ev.explainability_report(
            model.predict_proba,
            background=x_train,
            sample=x_test[np.sort(explained)],
            feature_names=features,
            label=LABEL,
            seed=SEED,
        )
    content = card(
        args,
        metrics=metrics,
        bias=bias,
        explainability=explainability,
        hyperparameters=hyperparameters,
        training_metrics=training_metrics,
        features=features,
    )
    report = {
        "binary_classification_metrics": {
            k: {"value": v, "standard_deviation": "NaN"} for k, v in metrics.items()
        },
        "metrics": metrics,
        "holdout_size": len(test),
        "features": features,
        "model_card_content": content.model_dump_json(exclude_none=True),
    }
    for name, document in (("evaluation", report), ("bias", bias), ("explainability", explainability)):
        target = ROOT / "output" / name
        target.mkdir(parents=True, exist_ok=True)
        filename = "evaluation.json" if name == "evaluation" else "analysis.json"
        (target / filename).write_text(json.dumps(document, indent=2, sort_keys=True, allow_nan=False))
    # The data-quality baseline `mlgov monitor` compares the served traffic with: the training rows
    # with the model's predictions on them, as `mlgov seed` computes it (scripts/governance/train.py).
    statistics, constraints = baseline.model_baseline(
        features, x_train, model.predict(x_train), model.predict_proba(x_train)[:, 1]
    )
    target = ROOT / "output" / "baseline"
    target.mkdir(parents=True, exist_ok=True)
    (target / "statistics.json").write_bytes(statistics)
    (target / "constraints.json").write_bytes(constraints)
    # What promotion verifies the version's copies against: the bytes evaluated and reported here.
    checksums = {
        CHECKSUMS_KEY: {
            meta.META_MODEL_SHA256: _sha256(_archive(ROOT / "model")),
            meta.META_REPORT_SHA256: _sha256(ROOT / "output" / "evaluation" / "evaluation.json"),
        }
    }
    target = ROOT / "output" / "checksums"
    target.mkdir(parents=True, exist_ok=True)
    (target / "checksums.json").write_text(json.dumps(checksums, indent=2, sort_keys=True))
    print(f"quality on {len(test)} held-out rows: {metrics}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
