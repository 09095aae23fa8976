"""The SDK-dependent pipeline tests skip without the ``pipeline`` extra only locally: under
``CI=true`` a missing extra fails the run (as the Node-tool tests do), so a green CI has run them.
Each case runs pytest on ``test_credit_risk_pipeline.py`` in a subprocess whose interpreter
cannot find ``sagemaker.mlops`` (a ``sitecustomize`` hides it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULE = "tests/pipelines/test_credit_risk_pipeline.py"
HIDE = """
import importlib.util
_find_spec = importlib.util.find_spec
def find_spec(name, package=None):
    return None if name == "sagemaker.mlops" else _find_spec(name, package)
importlib.util.find_spec = find_spec
"""


def _run_without_the_extra(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "sitecustomize.py").write_text(HIDE)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(REPO)])
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", MODULE, "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-rs"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("ci", [None])
def test_a_missing_extra_skips_the_module_locally(tmp_path: Path, ci: str | None) -> None:
    proc = _run_without_the_extra(tmp_path, ci)
    # A module skipped whole leaves nothing to run: pytest's exit 5 ("no tests ran"), not a failure.
    assert proc.returncode == 5, proc.stdout + proc.stderr
    assert "the pipeline extra (sagemaker-mlops, sagemaker-train) is not installed" in proc.stdout
    assert "skipped" in proc.stdout


@pytest.mark.parametrize("ci", ["true"])
def test_a_missing_extra_fails_under_ci(tmp_path: Path, ci: str) -> None:
    proc = _run_without_the_extra(tmp_path, ci)
    assert proc.returncode not in (0, 5), proc.stdout
    assert "CI=true: `make install` installs it" in proc.stdout + proc.stderr
