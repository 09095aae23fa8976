"""The local cloud's stand-in for the Model Monitor analyzer (``sagemaker-model-monitor-analyzer``),
the prebuilt container a data-quality baselining or monitoring job runs.

It is **not** AWS's analyzer (a closed Spark/Deequ application); it reads the same inputs and
writes the same files, in the formats the Developer Guide documents ("Container Contract Inputs",
"Container Contract Outputs", "Schema for Statistics", "Schema for Constraints", "Schema for
Violations"), so code that reads Model Monitor's results reads these. What it computes:

Inputs (environment, as Model Monitor sets it): ``dataset_format`` (``{"csv": {"header": true,
"output_columns_position": "START"}}``, ``{"json": {"lines": true}}`` or
``{"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}``),
``dataset_source`` (a directory, read recursively), ``output_path``, and for a monitoring run
``baseline_statistics`` / ``baseline_constraints`` (files), ``start_time`` / ``end_time``
(captured records outside ``[start_time, end_time)`` are left out).

* **Columns.** A CSV with a header names its columns; without one they are ``_c0``, ``_c1``...
  Captured CSV data is one row per line of ``endpointInput`` data, with the ``endpointOutput``
  columns of the same record first (``START``, Model Monitor's default), and takes the baseline's
  feature names by position when a baseline is given. JSON records are flattened one level.
* **statistics.json** (always): ``version``, ``dataset.item_count`` and per feature its
  ``inferred_type`` (``Integral`` when every present value is an integer, ``Fractional`` when
  numeric, else ``String``) with ``numerical_statistics`` (``common.num_present`` /
  ``num_missing``, ``mean``, ``sum``, ``std_dev`` (population), ``min``, ``max``,
  ``distribution.kll``: 10 equal-width ``buckets`` between min and max, and a ``sketch`` with
  ``parameters`` ``c`` 0.64 / ``k`` 2048 whose ``data`` holds the values themselves, up to 2048
  of them, an evenly spaced sample of the sorted values beyond) or ``string_statistics``
  (``distinct_count``, ``distribution.categorical.buckets``).
* **constraints.json** (baselining, no baseline given): per feature ``name``,
  ``inferred_type``, ``completeness`` (share of present values), ``num_constraints.is_non_negative``
  or ``string_constraints.domains`` (the values seen, up to 20 distinct ones); and Model
  Monitor's default ``monitoring_config`` (``datatype_check_threshold`` 1.0,
  ``domain_content_threshold`` 1.0, ``distribution_constraints`` ``comparison_threshold`` 0.1,
  ``comparison_method`` Robust, ``categorical_drift_method`` LInfinity).
* **constraint_violations.json** (monitoring): ``data_type_check`` (share of values of the
  baseline type below ``datatype_check_threshold``), ``completeness_check`` (completeness below
  the baseline's), ``baseline_drift_check`` (numeric: the largest distance between the baseline's
  and the current empirical CDFs, Kolmogorov-Smirnov, from the baseline sketch, above
  ``comparison_threshold`` and, for ``comparison_method`` Robust, above the two-sample KS
  critical value at alpha 0.05 for the sizes compared; categorical: the L-infinity distance
  between the value frequencies above ``categorical_comparison_threshold`` and, for Robust, the
  same critical value),
  ``missing_column_check`` / ``extra_column_check`` (fewer / more columns than the baseline),
  ``categorical_values_check`` (share of values in the baseline domain below
  ``domain_content_threshold``), ``non_negative_check`` (a negative value where the baseline
  was non-negative). Real Model Monitor's "Robust" comparison and its KLL sketches differ in the
  numbers, not in what is compared.
* ``/opt/ml/output/message``: "Completed: Job completed successfully with no violations." or
  "CompletedWithViolations: Job completed successfully with N violations.", which SageMaker
  turns into the processing job's ExitMessage and the monitoring execution's status. No records
  at all is a failure (exit 1, "Error: no data found in the dataset source ...").

CloudWatch metrics (``publish_cloudwatch_metrics``) are not emitted.

Run as ``python -m scripts.localcloud.containers.model_monitor`` inside the job's ``/opt/ml``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

MESSAGE_FILE = Path(os.environ.get("SAGEMAKER_BASE_DIR", "/opt/ml")) / "output" / "message"
FAILURE_FILE = Path(os.environ.get("SAGEMAKER_BASE_DIR", "/opt/ml")) / "output" / "failure"
KLL_K = 2048
KLL_C = 0.64
BUCKETS = 10
MAX_DOMAIN = 20

DEFAULT_MONITORING_CONFIG: dict[str, Any] = {
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


class AnalyzerError(RuntimeError):
    """The job cannot run on its inputs; the message is the job's failure reason."""


# -- reading the dataset --------------------------------------------------------------------------
def _files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    return sorted(p for p in source.rglob("*") if p.is_file())


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.strip().replace(" ", "").replace("Z", "+00:00"))


def _csv_rows(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text)) if row]


def _capture_payload(entry: dict[str, Any]) -> tuple[str, str]:
    """The data of a captured input or output as text, and its kind (``csv`` / ``json``)."""
    import base64

    data = entry.get("data", "")
    encoding = entry.get("encoding", "")
    if encoding == "BASE64":
        data = base64.b64decode(data).decode("utf-8", "replace")
    media = (entry.get("observedContentType") or "").split(";", 1)[0].strip().lower()
    kind = "json" if encoding == "JSON" or media.endswith("json") else "csv"
    return data, kind


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """A JSON record as one level of columns (``a.b``)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}{key}."))
        return out
    return {prefix[:-1] if prefix else "_c0": value}


def _json_rows(text: str) -> list[dict[str, Any]]:
    data = json.loads(text)
    if isinstance(data, dict):
        data = data.get("instances") or data.get("predictions") or [data]
    rows: list[dict[str, Any]] = []
    for item in data if isinstance(data, list) else [data]:
        if isinstance(item, dict):
            rows.append(_flatten(item))
        elif isinstance(item, list):
            rows.append({f"_c{i}": v for i, v in enumerate(item)})
        else:
            rows.append({"_c0": item})
    return rows


def read_dataset(
    fmt: dict[str, Any], source: Path, start: datetime | None, end: datetime | None
) -> tuple[list[str], list[list[Any]]]:
    """Column names and rows (values as read, strings for CSV) of the dataset."""
    if "sagemakerCaptureJson" in fmt:
        indexes = fmt["sagemakerCaptureJson"].get("captureIndexNames") or ["endpointInput", "endpointOutput"]
        return _read_capture(source, indexes, start, end)
    if "json" in fmt:
        records: list[dict[str, Any]] = []
        for path in _files(source):
            text = path.read_text(encoding="utf-8")
            if fmt["json"].get("lines", True):
                for line in text.splitlines():
                    if line.strip():
                        records.extend(_json_rows(line))
            else:
                records.extend(_json_rows(text))
        keys = list(dict.fromkeys(k for r in records for k in r))
        return keys, [[r.get(k) for k in keys] for r in records]
    options = fmt.get("csv", {})
    header = bool(options.get("header", False))
    names: list[str] = []
    rows: list[list[Any]] = []
    for path in _files(source):
        file_rows = _csv_rows(path.read_text(encoding="utf-8"))
        if header and file_rows:
            names = names or file_rows[0]
            file_rows = file_rows[1:]
        rows.extend(file_rows)
    width = max((len(r) for r in rows), default=len(names))
    names = names or [f"_c{i}" for i in range(width)]
    return names, rows


def _read_capture(
    source: Path, indexes: list[str], start: datetime | None, end: datetime | None
) -> tuple[list[str], list[list[Any]]]:
    rows: list[list[Any]] = []
    named: list[dict[str, Any]] = []
    for path in _files(source):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            at = _parse_time(record.get("eventMetadata", {}).get("inferenceTime"))
            if at is not None and ((start and at < start) or (end and at >= end)):
                continue
            data = record.get("captureData", {})
            parts: list[tuple[str, str]] = []
            # Model Monitor puts the output columns first (output_columns_position START).
            for index in ("endpointOutput", "endpointInput"):
                if index in indexes and index in data:
                    parts.append(_capture_payload(data[index]))
            if any(kind == "json" for _, kind in parts):
                merged: list[dict[str, Any]] = []
                for text, kind in parts:
                    block = (
                        _json_rows(text)
                        if kind == "json"
                        else [{f"_c{i}": v for i, v in enumerate(r)} for r in _csv_rows(text)]
                    )
                    merged = [{**a, **b} for a, b in zip(merged, block, strict=False)] if merged else block
                named.extend(merged)
            else:
                blocks = [_csv_rows(text) for text, _ in parts]
                for combined in zip(*blocks, strict=False):
                    rows.append([value for block_row in combined for value in block_row])
    if named:
        names = list(dict.fromkeys(k for r in named for k in r))
        return names, [[r.get(n) for n in names] for r in named]
    width = max((len(r) for r in rows), default=0)
    return [f"_c{i}" for i in range(width)], rows


# -- statistics ---------------------------------------------------------------------------------
def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _is_integral(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return True
    text = str(value).strip()
    return text.lstrip("+-").isdigit()


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def infer_type(values: list[Any]) -> str:
    present = [v for v in values if not _missing(v)]
    if not present:
        return "Unknown"
    if all(_number(v) is not None for v in present):
        return "Integral" if all(_is_integral(v) for v in present) else "Fractional"
    return "String"


def _sketch(numbers: list[float]) -> list[list[float]]:
    ordered = sorted(numbers)
    if len(ordered) <= KLL_K:
        return [ordered]
    step = len(ordered) / KLL_K
    return [[ordered[int(i * step)] for i in range(KLL_K)]]


def feature_statistics(name: str, values: list[Any]) -> dict[str, Any]:
    kind = infer_type(values)
    present = [v for v in values if not _missing(v)]
    common = {"num_present": len(present), "num_missing": len(values) - len(present)}
    if kind in ("Integral", "Fractional"):
        numbers = [n for n in (_number(v) for v in present) if n is not None]
        total = sum(numbers)
        mean = total / len(numbers) if numbers else 0.0
        std = math.sqrt(sum((n - mean) ** 2 for n in numbers) / len(numbers)) if numbers else 0.0
        low, high = (min(numbers), max(numbers)) if numbers else (0.0, 0.0)
        width = (high - low) / BUCKETS if high > low else 0.0
        counts = [0] * BUCKETS
        for n in numbers:
            index = min(int((n - low) / width), BUCKETS - 1) if width else 0
            counts[index] += 1
        buckets = [
            {
                "lower_bound": low + i * width,
                "upper_bound": low + (i + 1) * width if width else high,
                "count": counts[i],
            }
            for i in range(BUCKETS)
        ]
        return {
            "name": name,
            "inferred_type": kind,
            "numerical_statistics": {
                "common": common,
                "mean": mean,
                "sum": total,
                "std_dev": std,
                "min": low,
                "max": high,
                "distribution": {
                    "kll": {
                        "buckets": buckets,
                        "sketch": {"parameters": {"c": KLL_C, "k": float(KLL_K)}, "data": _sketch(numbers)},
                    }
                },
            },
        }
    counts_by_value = Counter(str(v) for v in present)
    return {
        "name": name,
        "inferred_type": "String" if kind == "Unknown" else kind,
        "string_statistics": {
            "common": common,
            "distinct_count": float(len(counts_by_value)),
            "distribution": {
                "categorical": {
                    "buckets": [{"value": v, "count": c} for v, c in counts_by_value.most_common()]
                }
            },
        },
    }


def statistics(names: list[str], rows: list[list[Any]]) -> dict[str, Any]:
    columns = [[row[i] if i < len(row) else None for row in rows] for i in range(len(names))]
    return {
        "version": 0.0,
        "dataset": {"item_count": len(rows)},
        "features": [feature_statistics(n, c) for n, c in zip(names, columns, strict=True)],
    }


def suggest_constraints(stats: dict[str, Any]) -> dict[str, Any]:
    features = []
    for feature in stats["features"]:
        section = feature.get("numerical_statistics") or feature["string_statistics"]
        common = section["common"]
        total = common["num_present"] + common["num_missing"]
        entry: dict[str, Any] = {
            "name": feature["name"],
            "inferred_type": feature["inferred_type"],
            "completeness": common["num_present"] / total if total else 0.0,
        }
        if "numerical_statistics" in feature:
            entry["num_constraints"] = {"is_non_negative": feature["numerical_statistics"]["min"] >= 0}
        else:
            buckets = feature["string_statistics"]["distribution"]["categorical"]["buckets"]
            if len(buckets) <= MAX_DOMAIN:
                entry["string_constraints"] = {"domains": [b["value"] for b in buckets]}
        features.append(entry)
    return {"version": 0.0, "features": features, "monitoring_config": DEFAULT_MONITORING_CONFIG}


# -- violations ------------------------------------------------------------------------------
def _ks_distance(baseline_sample: list[float], current: list[float]) -> float:
    if not baseline_sample or not current:
        return 0.0
    base, cur = sorted(baseline_sample), sorted(current)
    import bisect

    points = sorted(set(base) | set(cur))
    return max(
        abs(bisect.bisect_right(base, x) / len(base) - bisect.bisect_right(cur, x) / len(cur)) for x in points
    )


def _linf(baseline: dict[str, float], current: dict[str, float]) -> float:
    keys = set(baseline) | set(current)
    return max((abs(baseline.get(k, 0.0) - current.get(k, 0.0)) for k in keys), default=0.0)


def _frequencies(buckets: list[dict[str, Any]]) -> dict[str, float]:
    total = sum(b["count"] for b in buckets)
    return {b["value"]: b["count"] / total for b in buckets} if total else {}


def violations(
    baseline_stats: dict[str, Any], constraints: dict[str, Any], names: list[str], rows: list[list[Any]]
) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    config = {**DEFAULT_MONITORING_CONFIG, **(constraints.get("monitoring_config") or {})}
    distribution = {
        **DEFAULT_MONITORING_CONFIG["distribution_constraints"],
        **(config.get("distribution_constraints") or {}),
    }
    expected = constraints.get("features") or []
    base_by_name = {f["name"]: f for f in baseline_stats.get("features") or []}
    width = len(names)
    if width < len(expected):
        found.append(
            {
                "feature_name": "",
                "constraint_check_type": "missing_column_check",
                "description": f"There are missing columns in current dataset. Number of columns in current dataset: {width}, Number of columns in baseline constraints: {len(expected)}",
            }
        )
    elif width > len(expected):
        found.append(
            {
                "feature_name": "",
                "constraint_check_type": "extra_column_check",
                "description": f"There are extra columns in current dataset. Number of columns in current dataset: {width}, Number of columns in baseline constraints: {len(expected)}",
            }
        )
    for index, constraint in enumerate(expected):
        name = constraint["name"]
        if index >= width:
            break
        values = [row[index] if index < len(row) else None for row in rows]
        present = [v for v in values if not _missing(v)]
        kind = constraint.get("inferred_type")
        if kind in ("Integral", "Fractional") and present:
            matching = [
                v for v in present if _number(v) is not None and (kind == "Fractional" or _is_integral(v))
            ]
            share = len(matching) / len(present)
            threshold = float(config.get("datatype_check_threshold", 1.0))
            if share < threshold:
                found.append(
                    {
                        "feature_name": name,
                        "constraint_check_type": "data_type_check",
                        "description": f"Data type match requirement is not met. Expected data type: {kind}, Expected match: {threshold * 100:.1f}%. Observed: Only {share * 100:.1f}% of data is {kind}.",
                    }
                )
        completeness = len(present) / len(values) if values else 0.0
        if completeness < float(constraint.get("completeness", 0.0)) - 1e-12:
            found.append(
                {
                    "feature_name": name,
                    "constraint_check_type": "completeness_check",
                    "description": f"Data completeness requirement is not met. Expected: {float(constraint['completeness']) * 100:.1f}% of data is present. Observed: Only {completeness * 100:.1f}% of data is present.",
                }
            )
        numbers = [n for n in (_number(v) for v in present) if n is not None]
        if constraint.get("num_constraints", {}).get("is_non_negative") and any(n < 0 for n in numbers):
            found.append(
                {
                    "feature_name": name,
                    "constraint_check_type": "non_negative_check",
                    "description": f"Data type match requirement is not met. Expected: all values are non-negative. Observed: {sum(1 for n in numbers if n < 0)} negative values.",
                }
            )
        domains = constraint.get("string_constraints", {}).get("domains")
        if domains is not None and present:
            inside = sum(1 for v in present if str(v) in set(domains)) / len(present)
            threshold = float(config.get("domain_content_threshold", 1.0))
            if inside < threshold:
                found.append(
                    {
                        "feature_name": name,
                        "constraint_check_type": "categorical_values_check",
                        "description": f"Data content check requirement is not met. Expected: {threshold * 100:.1f}% of data matches the baseline domain. Observed: Only {inside * 100:.1f}% of data matches.",
                    }
                )
        base = base_by_name.get(name)
        if base is None or distribution.get("perform_comparison", "Enabled") != "Enabled" or not present:
            continue
        if "numerical_statistics" in base and numbers:
            sample = [
                x
                for level in base["numerical_statistics"]["distribution"]["kll"]["sketch"]["data"]
                for x in level
            ]
            distance = _ks_distance(sample, numbers)
            threshold = float(distribution.get("comparison_threshold", 0.1))
            if distribution.get("comparison_method", "Robust") == "Robust":
                # Robust: the distance must also be significant for the sample sizes (two-sample
                # Kolmogorov-Smirnov at alpha 0.05), so a small window of baseline-like traffic
                # does not drift by chance.
                n, m = len(sample), len(numbers)
                threshold = max(threshold, 1.358 * math.sqrt((n + m) / (n * m)))
        elif "string_statistics" in base:
            buckets = base["string_statistics"]["distribution"]["categorical"]["buckets"]
            distance = _linf(
                _frequencies(buckets),
                _frequencies([{"value": v, "count": c} for v, c in Counter(str(v) for v in present).items()]),
            )
            threshold = float(distribution.get("categorical_comparison_threshold", 0.1))
            if distribution.get("comparison_method", "Robust") == "Robust":
                n, m = sum(b["count"] for b in buckets), len(present)
                threshold = max(threshold, 1.358 * math.sqrt((n + m) / (n * m)))
        else:
            continue
        if distance > threshold:
            found.append(
                {
                    "feature_name": name,
                    "constraint_check_type": "baseline_drift_check",
                    "description": f"Baseline drift distance: {distance} exceeds threshold: {threshold}",
                }
            )
    return found


# -- the job ---------------------------------------------------------------------------------------
def _write(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")


def run(env: dict[str, str]) -> str:
    """Analyze as the environment says; the exit message."""
    fmt = json.loads(env.get("dataset_format") or '{"csv": {"header": true}}')
    source = Path(env.get("dataset_source") or "/opt/ml/processing/input")
    output = Path(env.get("output_path") or "/opt/ml/processing/output")
    names, rows = read_dataset(
        fmt, source, _parse_time(env.get("start_time")), _parse_time(env.get("end_time"))
    )
    if not rows:
        raise AnalyzerError(f"Error: no data found in the dataset source {source} for the analysis window.")
    baseline_constraints = env.get("baseline_constraints")
    baseline_statistics = env.get("baseline_statistics")
    if not baseline_constraints:
        stats = statistics(names, rows)
        _write(output / "statistics.json", stats)
        _write(output / "constraints.json", suggest_constraints(stats))
        return "Completed: Job completed successfully with no violations."
    constraints = json.loads(Path(baseline_constraints).read_text(encoding="utf-8"))
    base_stats = (
        json.loads(Path(baseline_statistics).read_text(encoding="utf-8")) if baseline_statistics else {}
    )
    expected = [f["name"] for f in constraints.get("features") or []]
    if "sagemakerCaptureJson" in fmt or not fmt.get("csv", {}).get("header"):
        names = [expected[i] if i < len(expected) else n for i, n in enumerate(names)]
    _write(output / "statistics.json", statistics(names, rows))
    found = violations(base_stats, constraints, names, rows)
    _write(output / "constraint_violations.json", {"violations": found})
    if found:
        return f"CompletedWithViolations: Job completed successfully with {len(found)} violations."
    return "Completed: Job completed successfully with no violations."


def main() -> int:
    try:
        message = run(dict(os.environ))
    except (AnalyzerError, ValueError, OSError, KeyError) as error:
        print(f"analysis failed: {error}", file=sys.stderr)
        FAILURE_FILE.parent.mkdir(parents=True, exist_ok=True)
        FAILURE_FILE.write_text(str(error)[:1024], encoding="utf-8")
        return 1
    MESSAGE_FILE.parent.mkdir(parents=True, exist_ok=True)
    MESSAGE_FILE.write_text(message, encoding="utf-8")
    print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
