"""The workflows hold deploy credentials (OIDC into every account), so they are security code:
zizmor, the GitHub Actions security linter, runs offline over .github/ and must report no
finding of medium or high severity (unpinned actions, credentials persisted by checkout,
template injection, excessive permissions ...). Low findings are style and are printed only.

zizmor comes with the dev extra (a PyPI wheel with its binary); a missing binary is a failure,
not a skip, because CI installs it from uv.lock.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _zizmor() -> str:
    beside_python = Path(sys.executable).with_name("zizmor")
    found = str(beside_python) if beside_python.exists() else shutil.which("zizmor")
    assert found, "zizmor is not installed: the dev extra brings it (make test installs it from uv.lock)"
    return found


def _findings(path: Path) -> list[dict]:
    proc = subprocess.run(
        [_zizmor(), "--offline", "--no-progress", "--format", "json", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    # zizmor exits non-zero when it reports findings; anything it could not parse is an error.
    assert proc.stdout.strip().startswith("["), f"zizmor did not report: {proc.stderr[-2000:]}"
    return json.loads(proc.stdout)


def _where(finding: dict) -> str:
    loc = finding["locations"][0]
    path = loc["symbolic"]["key"]["Local"]["verbatim_path"]
    row = loc["concrete"]["location"]["start_point"]["row"] + 1
    return f"{path}:{row}"


def test_workflows_have_no_medium_or_high_zizmor_finding() -> None:
    findings = _findings(REPO / ".github")
    serious = [
        f"{f['determinations']['severity']} {f['ident']} at {_where(f)}: {f['desc']}"
        for f in findings
        if f["determinations"]["severity"] in ("Medium", "High")
    ]
    assert not serious, "zizmor findings:\n" + "\n".join(serious)


@pytest.mark.parametrize(
    ("workflow", "ident"),
    [
        (
            "jobs:\n  x:\n    runs-on: ubuntu-latest\n    permissions: {}\n    steps:\n"
            "      - uses: actions/checkout@v4\n        with:\n          persist-credentials: false\n",
            "unpinned-uses",
        ),
        (
            "jobs:\n  x:\n    runs-on: ubuntu-latest\n    permissions: {}\n    steps:\n"
            "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n"
            "      - run: make test\n",
            "artipacked",
        ),
    ],
)
def test_zizmor_catches_what_the_workflows_must_not_do(tmp_path: Path, workflow: str, ident: str) -> None:
    """The gate above is only worth something if zizmor reports these two on bad input."""
    target = tmp_path / ".github" / "workflows"
    target.mkdir(parents=True)
    (target / "bad.yml").write_text("on: push\npermissions: {}\n" + workflow)
    idents = {(f["ident"], f["determinations"]["severity"]) for f in _findings(tmp_path / ".github")}
    assert any(i == ident and sev in ("Medium", "High") for i, sev in idents), idents
