"""The scikit-learn serving container stand-in on its own (no cloud): what the real container does
with a script that defines only ``model_fn`` (its defaults), with none at all, and with an
invalid combination of functions. Each expectation is read from the container's sources
(sagemaker-scikit-learn-container ``serving.py``; sagemaker-containers ``_transformer.py``,
``_encoders.py``, ``_worker.py``)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import joblib
import numpy as np
import pytest

from scripts.localcloud.containers.container import Container, ContainerError, Mount, free_port
from tests.emulator.serving_kit import fit, rows, wait_for

MODEL_FN_ONLY = b"""
import os
import joblib

def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))
"""

TRANSFORM_AND_INPUT = (
    MODEL_FN_ONLY
    + b"""
def transform_fn(model, body, content_type, accept):
    return "", accept

def input_fn(body, content_type):
    return body
"""
)


def _container(tmp_path: Path, script: bytes | None, env: dict[str, str]) -> Container:
    model_dir = tmp_path / "model"
    (model_dir / "code").mkdir(parents=True)
    joblib.dump(fit("logistic"), model_dir / "model.joblib")
    if script is not None:
        (model_dir / "code" / "serve.py").write_bytes(script)
    container = Container(
        "contract",
        "scripts.localcloud.containers.sklearn_serving",
        env=env,
        mounts=[Mount(model_dir, "model")],
    )
    container.start(port=free_port())
    return container


def _post(container: Container, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", container.port, timeout=30)
    connection.request("POST", "/invocations", body=body, headers=headers)
    answer = connection.getresponse()
    return answer.status, answer.getheader("Content-Type") or "", answer.read()


@pytest.fixture
def defaults(tmp_path: Path) -> Iterator[Container]:
    container = _container(
        tmp_path,
        MODEL_FN_ONLY,
        {"SAGEMAKER_PROGRAM": "serve.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"},
    )
    try:
        container.wait_healthy(120)
        yield container
    finally:
        container.stop()


def test_the_containers_defaults_decode_csv_and_json_and_predict(defaults):
    model = fit("logistic")
    matrix = rows(4)
    body = "\n".join(",".join(repr(float(v)) for v in row) for row in matrix).encode()
    status, content_type, payload = _post(defaults, body, {"Content-Type": "text/csv"})
    # Accept absent: SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT's default, JSON; the default input_fn
    # casts CSV and JSON to float32 before model.predict.
    assert (status, content_type) == (200, "application/json")
    assert json.loads(payload) == model.predict(matrix.astype(np.float32)).tolist()
    status, content_type, payload = _post(
        defaults,
        json.dumps(matrix.tolist()).encode(),
        {"Content-Type": "application/json", "Accept": "text/csv"},
    )
    assert (status, content_type) == (200, "text/csv; charset=utf-8")
    assert payload.decode().splitlines() == [str(v) for v in model.predict(matrix.astype(np.float32))]


def test_every_user_function_error_is_a_500_even_an_unsupported_content_type(defaults):
    status, content_type, payload = _post(defaults, b"1,2", {"Content-Type": "text/plain"})
    assert status == 500  # UnsupportedFormatError is wrapped in ClientError before it can be a 415
    assert content_type == "text/html; charset=utf-8"
    assert b"500 Internal Server Error" in payload
    wait_for(
        lambda: "Content type text/plain is not supported by this framework" in defaults.output(60),
        timeout=10,
        what="the log line",
    )
    status, _, _ = _post(defaults, b"1,2,3", {"Content-Type": "text/csv"})  # one row squeezed to 1-D
    assert status == 500
    one_row = json.dumps(rows(1).tolist()).encode()
    status, _, _ = _post(defaults, one_row, {"Content-Type": "application/json", "Accept": "application/xml"})
    assert status == 500
    wait_for(
        lambda: "Content type application/xml is not supported" in defaults.output(60),
        timeout=10,
        what="the log line",
    )


def test_without_a_program_or_with_transform_fn_and_input_fn_the_container_never_becomes_healthy(tmp_path):
    for name, script, env in (
        ("no-program", MODEL_FN_ONLY, {}),
        (
            "both",
            TRANSFORM_AND_INPUT,
            {"SAGEMAKER_PROGRAM": "serve.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"},
        ),
    ):
        container = _container(tmp_path / name, script, env)
        try:
            with pytest.raises(ContainerError, match="/ping answered HTTP 500"):
                container.wait_healthy(120)
        finally:
            container.stop()
