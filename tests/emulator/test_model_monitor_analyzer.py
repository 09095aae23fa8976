"""The Model Monitor analyzer stand-in on its own: the files it writes follow the Developer Guide's
schemas, each violation check fires on the data it is about and stays quiet on baseline-like
data, and captured records are read as Model Monitor reads them (output columns first, BASE64,
the analysis window). Run in-process on temporary directories (no container)."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from scripts.localcloud.containers import model_monitor as analyzer
from scripts.localcloud.moto_ext.sagemaker.capture import CaptureSettings

CSV_HEADER = {"csv": {"header": True, "output_columns_position": "START"}}
CAPTURE = {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([",".join(header), *(",".join(map(str, r)) for r in rows)]) + "\n")


def _baseline(tmp_path: Path, rows: list[list[object]], header: list[str]) -> tuple[Path, Path]:
    _write_csv(tmp_path / "baseline" / "data.csv", header, rows)
    out = tmp_path / "baseline-out"
    message = analyzer.run(
        {
            "dataset_format": json.dumps(CSV_HEADER),
            "dataset_source": str(tmp_path / "baseline"),
            "output_path": str(out),
        }
    )
    assert message == "Completed: Job completed successfully with no violations."
    return out / "statistics.json", out / "constraints.json"


def _monitor(
    tmp_path: Path, stats: Path, constraints: Path, header: list[str], rows: list[list[object]]
) -> list[dict[str, str]]:
    _write_csv(tmp_path / "current" / "data.csv", header, rows)
    out = tmp_path / "current-out"
    analyzer.run(
        {
            "dataset_format": json.dumps(CSV_HEADER),
            "dataset_source": str(tmp_path / "current"),
            "output_path": str(out),
            "baseline_statistics": str(stats),
            "baseline_constraints": str(constraints),
        }
    )
    return json.loads((out / "constraint_violations.json").read_text())["violations"]


HEADER = ["income", "late", "segment"]


def _rows(rng: np.random.Generator, count: int, *, income_scale: float = 1.0) -> list[list[object]]:
    return [
        [
            round(float(rng.normal(50, 10)) * income_scale, 3),
            int(rng.poisson(1)),
            str(rng.choice(["a", "b", "c"])),
        ]
        for _ in range(count)
    ]


def test_baselining_writes_statistics_and_constraints_in_model_monitors_schema(tmp_path):
    rng = np.random.default_rng(1)
    stats_file, constraints_file = _baseline(tmp_path, _rows(rng, 500), HEADER)
    stats = json.loads(stats_file.read_text())
    assert stats["version"] == 0.0
    assert stats["dataset"] == {"item_count": 500}
    income, late, segment = stats["features"]
    assert (income["name"], income["inferred_type"]) == ("income", "Fractional")
    assert (late["inferred_type"], segment["inferred_type"]) == ("Integral", "String")
    numbers = income["numerical_statistics"]
    assert set(numbers) == {"common", "mean", "sum", "std_dev", "min", "max", "distribution"}
    assert numbers["common"] == {"num_present": 500, "num_missing": 0}
    kll = numbers["distribution"]["kll"]
    assert len(kll["buckets"]) == 10 and sum(b["count"] for b in kll["buckets"]) == 500
    assert set(kll["buckets"][0]) == {"lower_bound", "upper_bound", "count"}
    assert kll["sketch"]["parameters"] == {"c": 0.64, "k": 2048.0}
    assert len(kll["sketch"]["data"][0]) == 500
    categories = segment["string_statistics"]
    assert categories["distinct_count"] == 3.0
    assert {b["value"] for b in categories["distribution"]["categorical"]["buckets"]} == {"a", "b", "c"}

    constraints = json.loads(constraints_file.read_text())
    assert [f["name"] for f in constraints["features"]] == HEADER
    assert constraints["features"][0] == {
        "name": "income",
        "inferred_type": "Fractional",
        "completeness": 1.0,
        "num_constraints": {"is_non_negative": True},
    }
    assert sorted(constraints["features"][2]["string_constraints"]["domains"]) == ["a", "b", "c"]
    assert constraints["monitoring_config"]["datatype_check_threshold"] == 1.0
    assert constraints["monitoring_config"]["distribution_constraints"]["comparison_method"] == "Robust"


def test_baseline_like_data_has_no_violations_and_drifted_data_does(tmp_path):
    rng = np.random.default_rng(2)
    stats, constraints = _baseline(tmp_path, _rows(rng, 2000), HEADER)
    assert _monitor(tmp_path, stats, constraints, HEADER, _rows(rng, 400)) == []
    found = _monitor(tmp_path, stats, constraints, HEADER, _rows(rng, 400, income_scale=1.6))
    assert [(v["feature_name"], v["constraint_check_type"]) for v in found] == [
        ("income", "baseline_drift_check")
    ]
    assert found[0]["description"].startswith("Baseline drift distance: ")
    assert found[0]["description"].endswith(" exceeds threshold: 0.1")


def test_each_constraint_check_fires_on_what_it_checks(tmp_path):
    rng = np.random.default_rng(3)
    stats, constraints = _baseline(tmp_path, _rows(rng, 300), HEADER)
    current = _rows(rng, 300)
    current[0][1] = 1.5  # not Integral
    current[1][0] = ""  # missing income
    current[2][2] = "z"  # outside the domain
    current[3][0] = -5.0  # negative where the baseline was not
    checks = {
        (v["feature_name"], v["constraint_check_type"])
        for v in _monitor(tmp_path, stats, constraints, HEADER, current)
    }
    assert checks == {
        ("late", "data_type_check"),
        ("income", "completeness_check"),
        ("segment", "categorical_values_check"),
        ("income", "non_negative_check"),
    }
    fewer = [row[:2] for row in _rows(rng, 50)]
    checks = {
        v["constraint_check_type"]
        for v in _monitor(tmp_path / "fewer", stats, constraints, HEADER[:2], fewer)
    }
    assert "missing_column_check" in checks
    more = [[*row, 1] for row in _rows(rng, 50)]
    checks = {
        v["constraint_check_type"]
        for v in _monitor(tmp_path / "more", stats, constraints, [*HEADER, "extra"], more)
    }
    assert "extra_column_check" in checks


def test_the_robust_comparison_does_not_call_a_small_window_drift_and_simple_does(tmp_path):
    """Fifty rows of the baseline's own distribution: their income is 0.14 away from the
    baseline's (KS), above the 0.1 threshold but under the two-sample critical value Robust adds
    (0.19 for 2,000 against 50 rows); comparison_method Simple compares with 0.1 alone."""
    rng = np.random.default_rng(4)
    stats, constraints = _baseline(tmp_path, _rows(rng, 2000), HEADER)
    window = _rows(rng, 50)
    sample = json.loads(stats.read_text())["features"][0]["numerical_statistics"]["distribution"]["kll"][
        "sketch"
    ]["data"][0]
    assert 0.1 < analyzer._ks_distance(sample, [r[0] for r in window]) < 0.19
    assert _monitor(tmp_path / "robust", stats, constraints, HEADER, window) == []
    simple = json.loads(constraints.read_text())
    simple["monitoring_config"]["distribution_constraints"]["comparison_method"] = "Simple"
    (tmp_path / "simple.json").write_text(json.dumps(simple))
    found = _monitor(tmp_path / "simple", stats, tmp_path / "simple.json", HEADER, window)
    assert ("income", "baseline_drift_check") in {
        (v["feature_name"], v["constraint_check_type"]) for v in found
    }


def _capture_line(record_input: str, record_output: str, at: str, encoding: str = "CSV") -> str:
    def part(data: str, mode: str) -> dict[str, str]:
        if encoding == "BASE64":
            return {
                "observedContentType": "text/csv",
                "mode": mode,
                "data": base64.b64encode(data.encode()).decode(),
                "encoding": "BASE64",
            }
        return {"observedContentType": "text/csv", "mode": mode, "data": data, "encoding": "CSV"}

    return json.dumps(
        {
            "captureData": {
                "endpointInput": part(record_input, "INPUT"),
                "endpointOutput": part(record_output, "OUTPUT"),
            },
            "eventMetadata": {"eventId": "e", "inferenceTime": at},
            "eventVersion": "0",
        }
    )


def test_captured_csv_puts_the_output_columns_first_and_keeps_the_window(tmp_path):
    source = tmp_path / "endpoint" / "ep" / "AllTraffic" / "2026" / "01" / "01" / "10"
    source.mkdir(parents=True)
    lines = [
        _capture_line("1.5,2\n3.5,4", "1,0.9\n0,0.1", "2026-01-01T10:15:00Z"),
        _capture_line("5.5,6", "1,0.7", "2026-01-01T10:20:00Z", encoding="BASE64"),
        _capture_line("9,9", "0,0.5", "2026-01-01T11:30:00Z"),  # outside the window
    ]
    (source / "00-00-000-x.jsonl").write_text("\n".join(lines) + "\n")
    names, rows = analyzer.read_dataset(
        CAPTURE,
        tmp_path / "endpoint",
        analyzer._parse_time("2026-01-01T10:00:00Z"),
        analyzer._parse_time("2026-01-01T11:00:00Z"),
    )
    assert names == ["_c0", "_c1", "_c2", "_c3"]
    assert rows == [["1", "0.9", "1.5", "2"], ["0", "0.1", "3.5", "4"], ["1", "0.7", "5.5", "6"]]


def test_no_data_in_the_window_fails_the_job(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(analyzer.AnalyzerError, match="no data found"):
        analyzer.run(
            {
                "dataset_format": json.dumps(CAPTURE),
                "dataset_source": str(tmp_path / "empty"),
                "output_path": str(tmp_path / "out"),
            }
        )


def test_capture_encodes_listed_content_types_as_text_and_others_in_base64():
    settings = CaptureSettings.from_config(
        {
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": "s3://b/p/",
            "CaptureOptions": [{"CaptureMode": "Input"}],
            "CaptureContentTypeHeader": {
                "CsvContentTypes": ["text/csv"],
                "JsonContentTypes": ["application/json"],
            },
        }
    )
    assert settings is not None and settings.destination == "s3://b/p"
    assert settings.encode(b"1,2", "text/csv; charset=utf-8", "INPUT")["encoding"] == "CSV"
    assert settings.encode(b"[1]", "application/json", "OUTPUT") == {
        "observedContentType": "application/json",
        "mode": "OUTPUT",
        "data": "[1]",
        "encoding": "JSON",
    }
    assert (
        settings.encode(b"\x00\x01", "application/x-npy", "INPUT")["data"]
        == base64.b64encode(b"\x00\x01").decode()
    )
    record = settings.record(
        request=b"1,2",
        request_type="text/csv",
        response=b"0",
        response_type="text/csv",
        at=datetime(2026, 1, 2, 3, 4, 5),
        inference_id=None,
    )
    assert set(record["captureData"]) == {"endpointInput"}  # CaptureOptions named Input only
    assert record["eventMetadata"]["inferenceTime"] == "2026-01-02T03:04:05Z"
    bare = CaptureSettings.from_config(
        {
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": "s3://b",
            "CaptureOptions": [{"CaptureMode": "InputAndOutput"}],
        }
    )
    assert bare is not None and bare.encode(b"1,2", "text/csv", "INPUT")["encoding"] == "BASE64"
    assert (
        CaptureSettings.from_config(
            {
                "EnableCapture": False,
                "InitialSamplingPercentage": 100,
                "DestinationS3Uri": "s3://b",
                "CaptureOptions": [],
            }
        )
        is None
    )
