"""``make test`` relies on ``--dist loadgroup``: the tests of one ``xdist_group`` share a worker,
so a module-scoped emulator starts once and a test may build on its module's earlier applies.

pytest 9.2 moved the node id out of the attribute pytest-xdist 3.8 rewrites to add the group
suffix, and every group silently ran spread over the workers: the synthesis ran once per worker,
tests/e2e deployed a cloud per worker, and a remote-state test ran without the applies before it.
This runs pytest with the suite's own options over a generated module and checks where its
tests ran, so a version bump that breaks grouping fails here, not as a flaky e2e test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

MODULE = """
import json, os, pathlib
import pytest

def _record(name):
    out = pathlib.Path(os.environ["GROUPS_OUT"]) / f"{name}.json"
    out.write_text(json.dumps(os.environ.get("PYTEST_XDIST_WORKER", "main")))

@pytest.mark.xdist_group("together")
@pytest.mark.parametrize("n", range(4))
def test_grouped(n):
    _record(f"grouped-{n}")

@pytest.mark.parametrize("n", range(8))
def test_free(n):
    _record(f"free-{n}")
"""


def test_tests_of_one_xdist_group_run_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_generated.py").write_text(MODULE)
    (tmp_path / "out").mkdir()
    env = {**os.environ, "GROUPS_OUT": str(tmp_path / "out")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "3", "--dist", "loadgroup", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    workers = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "out").iterdir()}
    assert len(workers) == 12, workers
    grouped = {w for name, w in workers.items() if name.startswith("grouped-")}
    assert len(grouped) == 1, f"the group ran on {sorted(grouped)}"
    # The check means something only if the other tests did spread over the workers.
    assert len(set(workers.values())) > 1, workers
