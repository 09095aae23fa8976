"""Inference script of the kit's sample models for the SageMaker scikit-learn serving container.

Packaged as ``code/inference.py`` inside ``model.tar.gz`` beside ``model.joblib`` and
``features.json`` (what :mod:`scripts.governance.train` writes), and named by the model's
container environment ``SAGEMAKER_PROGRAM=inference.py`` and
``SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code``, which is how the container finds a script
shipped in the model archive. It runs inside the container, so it imports only what the
container has (numpy, scikit-learn, joblib) and nothing of the kit.

Request (one row per applicant, the columns of ``features.json`` in that order):

* ``text/csv``: one row per line, no header (``38.5,0.21,4.0,0,12.0,3.5``); a first line
  naming the feature columns (any order) is read as a header and the columns are reordered;
* ``application/json``: ``{"instances": [[...], ...]}``, a list of rows, or a list of objects
  keyed by feature name (``[{"income_k": 38.5, ...}]``).

Rows named by column (JSON objects, CSV with a header) may also carry the columns listed in the
container variable ``MLGOV_FACET_COLUMNS`` (comma-separated; ``mlgov serve`` sets it to the
facets of the card's post-training bias, e.g. ``age_group``): they are not given to the model,
but data capture records them, so the bias-drift monitor can group the traffic by facet
(scripts/serving/bias_drift.py).

Response (``Accept``; ``*/*`` or none means JSON):

* ``application/json``: ``{"predictions": [{"predicted_label": 1, "probability": 0.83}, ...]}``;
* ``text/csv``: ``predicted_label,probability`` per row, no header.

``predicted_label`` is the model's ``predict`` and ``probability`` its ``predict_proba`` for the
positive class (good credit), on the rows as float64, so the endpoint answers exactly what the
model answers when loaded on its own. A row of the wrong width, an unknown column or a content
type other than these two raises ``ValueError`` (the container answers 500).
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import joblib
import numpy as np

JSON = "application/json"
CSV = "text/csv"


class Served:
    """The loaded model and the column order its input must have."""

    def __init__(self, model: Any, features: list[str], facets: tuple[str, ...] = ()) -> None:
        self.model = model
        self.features = features
        self.facets = tuple(f for f in facets if f not in features)
        """Columns a named row may carry for the monitor only (``MLGOV_FACET_COLUMNS``)."""


def model_fn(model_dir: str) -> Served:
    model = joblib.load(Path(model_dir) / "model.joblib")
    features = json.loads((Path(model_dir) / "features.json").read_text(encoding="utf-8"))
    facets = tuple(c.strip() for c in os.environ.get("MLGOV_FACET_COLUMNS", "").split(",") if c.strip())
    return Served(model, list(features), facets)


def _media_type(content_type: str | None) -> str:
    return (content_type or JSON).split(";", 1)[0].strip().lower()


def input_fn(body: Any, content_type: str) -> dict[str, Any]:
    text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else str(body)
    media = _media_type(content_type)
    if media == CSV:
        rows = [row for row in csv.reader(io.StringIO(text)) if row]
        return {"rows": rows}
    if media == JSON:
        data = json.loads(text)
        if isinstance(data, dict):
            data = data.get("instances", data.get("inputs"))
        if not isinstance(data, list):
            raise ValueError('expected a list of rows or {"instances": [...]}')
        return {"rows": data}
    raise ValueError(f"content type {content_type!r} is not supported: send {CSV} or {JSON}")


def _matrix(rows: list[Any], features: list[str], facets: tuple[str, ...] = ()) -> np.ndarray:
    if rows and isinstance(rows[0], dict):
        unknown = sorted({k for r in rows for k in r} - set(features) - set(facets))
        if unknown:
            raise ValueError(f"unknown columns {unknown}: expected {features}")
        return np.array([[float(r[f]) for f in features] for r in rows], dtype=np.float64)
    if (
        rows
        and isinstance(rows[0], list)
        and rows[0]
        and set(map(str, rows[0])) - set(facets) == set(features)
    ):
        header = [str(c) for c in rows[0]]
        order = [header.index(f) for f in features]
        rows = [[row[i] for i in order] for row in rows[1:]]
    if rows and not isinstance(rows[0], list):
        rows = [rows]  # one row sent flat
    matrix = np.array([[float(v) for v in row] for row in rows], dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != len(features):
        width = matrix.shape[1] if matrix.ndim == 2 else 0
        raise ValueError(f"each row needs {len(features)} values ({', '.join(features)}), got {width}")
    return matrix


def predict_fn(data: dict[str, Any], served: Served) -> np.ndarray:
    matrix = _matrix(data["rows"], served.features, served.facets)
    labels = served.model.predict(matrix)
    probability = served.model.predict_proba(matrix)[:, 1]
    return np.column_stack([labels.astype(np.float64), probability])


def output_fn(prediction: np.ndarray, accept: str) -> tuple[str, str]:
    media = _media_type(accept)
    if media == CSV:
        lines = [f"{int(label)},{float(p)!r}" for label, p in prediction]
        return "\n".join(lines) + "\n", CSV
    if media == JSON:
        records = [{"predicted_label": int(label), "probability": float(p)} for label, p in prediction]
        return json.dumps({"predictions": records}), JSON
    raise ValueError(f"accept {accept!r} is not supported: ask for {CSV} or {JSON}")
