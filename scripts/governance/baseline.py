"""A version's data-quality baseline: ``statistics.json`` and ``constraints.json`` of the data it
was trained on, in SageMaker Model Monitor's format, which ``mlgov monitor`` compares the
endpoint's captured traffic with.

Formats (SageMaker Developer Guide, "Schema for Statistics (statistics.json file)" and "Schema for
Constraints (constraints.json file)"): per feature its ``inferred_type`` (``Integral``,
``Fractional``, ``String``) with ``numerical_statistics`` (``common.num_present`` /
``num_missing``, ``mean``, ``sum``, ``std_dev``, ``min``, ``max``, ``distribution.kll``:
``buckets`` and a ``sketch`` with ``parameters`` ``c`` / ``k`` and ``data``) or
``string_statistics``; constraints per feature ``name``, ``inferred_type``, ``completeness``,
``num_constraints.is_non_negative``, and the ``monitoring_config`` Model Monitor suggests by
default (``datatype_check_threshold`` 1.0, ``domain_content_threshold`` 1.0,
``distribution_constraints`` Robust comparison at 0.1).

What a baselining job of the ``sagemaker-model-monitor-analyzer`` image writes over a CSV dataset
with a header; here computed in process from the training rows (the kit's sample features are
all numeric), so a version has its baseline from registration on and no baselining job runs.
The sketch holds the sorted values themselves, up to :data:`KLL_K` of them (an evenly spaced
sample beyond): the distribution the drift check compares with.

The columns are the model's outputs first (``predicted_label``, ``probability``: Model Monitor's
``output_columns_position`` ``START``, which is how captured records are laid out, the response
columns before the request's), then the input features in the model's order.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

#: The baseline's files, under ``baseline/`` beside the version's ``model.tar.gz``.
BASELINE_DIR = "baseline/"
STATISTICS, CONSTRAINTS = "statistics.json", "constraints.json"
#: The model's output columns, first in every row (what the sample inference script answers).
OUTPUT_COLUMNS = ("predicted_label", "probability")
KLL_K = 2048
KLL_C = 0.64
BUCKETS = 10

#: Model Monitor's suggested monitoring_config (Developer Guide, "Schema for Constraints").
MONITORING_CONFIG: dict[str, Any] = {
    "evaluate_constraints": "Enabled",
    "emit_metrics": "Enabled",
    "datatype_check_threshold": 1.0,
    "domain_content_threshold": 1.0,
    "distribution_constraints": {
        "perform_comparison": "Enabled",
        "comparison_threshold": 0.1,
        "comparison_method": "Robust",
        "categorical_comparison_threshold": 0.1,
        "categorical_drift_method": "LInfinity",
    },
}


def _feature(name: str, values: Sequence[float]) -> dict[str, Any]:
    # Integral only for ints: the model's inputs are float64, so a feature whose training values
    # happen to be whole stays Fractional and traffic written "3.5" or "3" passes its type check.
    integral = all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    numbers = [float(v) for v in values if not math.isnan(float(v))]
    total = sum(numbers)
    mean = total / len(numbers) if numbers else 0.0
    std = math.sqrt(sum((n - mean) ** 2 for n in numbers) / len(numbers)) if numbers else 0.0
    low, high = (min(numbers), max(numbers)) if numbers else (0.0, 0.0)
    width = (high - low) / BUCKETS if high > low else 0.0
    counts = [0] * BUCKETS
    for n in numbers:
        counts[min(int((n - low) / width), BUCKETS - 1) if width else 0] += 1
    ordered = sorted(numbers)
    step = max(len(ordered) / KLL_K, 1.0)
    sample = ordered if len(ordered) <= KLL_K else [ordered[int(i * step)] for i in range(KLL_K)]
    return {
        "name": name,
        "inferred_type": "Integral" if integral else "Fractional",
        "numerical_statistics": {
            "common": {"num_present": len(numbers), "num_missing": len(values) - len(numbers)},
            "mean": mean,
            "sum": total,
            "std_dev": std,
            "min": low,
            "max": high,
            "distribution": {
                "kll": {
                    "buckets": [
                        {
                            "lower_bound": low + i * width,
                            "upper_bound": low + (i + 1) * width if width else high,
                            "count": counts[i],
                        }
                        for i in range(BUCKETS)
                    ],
                    "sketch": {"parameters": {"c": KLL_C, "k": float(KLL_K)}, "data": [sample]},
                }
            },
        },
    }


def data_quality_baseline(
    names: Sequence[str], rows: Sequence[Sequence[float]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(statistics, constraints)`` of numeric ``rows`` whose columns are ``names``; a column of
    ints is ``Integral``, any other ``Fractional``."""
    if not rows:
        raise ValueError("a baseline needs at least one row")
    if any(len(r) != len(names) for r in rows):
        raise ValueError(f"every row must have {len(names)} values ({', '.join(names)})")
    features = [_feature(n, [r[i] for r in rows]) for i, n in enumerate(names)]
    statistics = {"version": 0.0, "dataset": {"item_count": len(rows)}, "features": features}
    constraints = {
        "version": 0.0,
        "features": [
            {
                "name": f["name"],
                "inferred_type": f["inferred_type"],
                "completeness": f["numerical_statistics"]["common"]["num_present"] / len(rows),
                "num_constraints": {"is_non_negative": f["numerical_statistics"]["min"] >= 0},
            }
            for f in features
        ],
        "monitoring_config": MONITORING_CONFIG,
    }
    return statistics, constraints


def model_baseline(
    features: Sequence[str], x: Any, predicted_label: Any, probability: Any
) -> tuple[bytes, bytes]:
    """The baseline files of a model over its input rows ``x`` (rows x ``features``) and its
    predictions on them: the output columns first, then the features."""
    rows = [
        [int(label), float(p), *(float(v) for v in row)]
        for label, p, row in zip(predicted_label, probability, x, strict=True)
    ]
    statistics, constraints = data_quality_baseline([*OUTPUT_COLUMNS, *features], rows)
    return _json(statistics), _json(constraints)


def _json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, allow_nan=False).encode()
