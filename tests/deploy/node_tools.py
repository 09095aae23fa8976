"""The Node tools pinned in package.json (cdktf CLI, actionlint as WebAssembly), installed on demand.

``node_modules`` is installed with ``npm ci`` from package-lock.json when missing (``make install``
does the same). When npm cannot be used at all (no npm on the machine, or the npm registry cannot
be reached) a test that needs these tools is skipped locally, and the reason says which; under
``CI=true`` it fails instead, because the README requires Node.js and npm and a green CI run must
have run these tests (the Makefile's npm step follows the same rule). Any other npm failure
fails the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"
#: npm's messages when the registry cannot be reached (DNS, refused, timeout, offline).
_UNREACHABLE = ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT", "ECONNRESET", "ENETUNREACH", "network")


def required(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether missing Node tools are a failure: on a CI service (``CI=true``, as GitHub Actions
    and most others set it; ``1`` too), where the README's requirements must hold."""
    return environ.get("CI", "").strip().lower() in ("true", "1")


def unavailable(reason: str, environ: Mapping[str, str] = os.environ) -> NoReturn:
    """Skip the test with ``reason``, or fail it when :func:`required`."""
    if required(environ):
        pytest.fail(
            f"{reason}. CI=true: the README requires Node.js 20 with npm, so a CI run fails here "
            "instead of going green without these tests",
            pytrace=False,
        )
    pytest.skip(reason)


def _installed() -> bool:
    return (NODE_MODULES / ".bin" / "cdktf").exists() and (
        NODE_MODULES / "@tktco" / "node-actionlint"
    ).is_dir()


def ensure_node_modules() -> Path:
    """``node_modules`` with the pinned tools, or a skip (a failure under ``CI=true``) saying why
    npm could not provide them."""
    if _installed():
        return NODE_MODULES
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        unavailable(
            "npm unreachable: npm/node are not installed on this machine, so the pinned "
            "cdktf CLI and actionlint cannot be installed (npm ci)"
        )
    proc = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if proc.returncode != 0:
        output = proc.stdout + proc.stderr
        if any(marker in output for marker in _UNREACHABLE):
            unavailable(
                f"npm unreachable: `npm ci` could not reach the npm registry ({output.strip().splitlines()[-1]})"
            )
        pytest.fail(f"npm ci failed (exit {proc.returncode}):\n{output[-4000:]}")
    assert _installed(), "npm ci succeeded but the pinned tools are missing from node_modules"
    return NODE_MODULES
