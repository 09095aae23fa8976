"""End-to-end fixtures: one emulator, one synth and ONE apply of every environment per session.

``deployed_cloud`` is the fixture other e2e tests build on (the governance workflow runs against
it): the local cloud running, every environment planned (changes expected) and then applied
with the deploy runner. The apply happens once per session however many tests use it.

Tests marked ``e2e_destroy`` tear the stacks down, so they are moved to the very end of the
session (``pytest_collection_modifyitems``); every other test sees the deployed state.

With pytest-xdist, run the e2e tests in one worker (``-p no:xdist`` or ``--dist loadgroup``: they
carry ``xdist_group("e2e-deployed")``, tests/conftest.py); a worker of their own would start a
second emulator and apply again.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from environments import load_platform
from tests.e2e.deployed import DeployedCloud, run_deploy


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e_destroy: destroys the deployed stacks; runs after every other test of the session"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Destroying tests last (stable order otherwise). The xdist groups are set in
    tests/conftest.py."""
    last = [i for i in items if i.get_closest_marker("e2e_destroy") is not None]
    if last:
        rest = [i for i in items if i.get_closest_marker("e2e_destroy") is None]
        items[:] = rest + last


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A fresh emulator for this session (its own state dir: a user's running one is untouched)."""
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH: the e2e tests apply the stacks with Terraform >= 1.10")
    from scripts.localcloud import LocalCloud

    cloud = LocalCloud(state_dir=tmp_path_factory.mktemp("localcloud")).start(reuse=False)
    try:
        yield cloud
    finally:
        cloud.stop()


@pytest.fixture(scope="session")
def deployed_cloud(local_cloud: Any, synth: Any, tmp_path_factory: pytest.TempPathFactory) -> DeployedCloud:
    """Every environment planned (before anything exists) and applied, once per session."""
    platform = load_platform()
    target = DeployedCloud(
        cloud=local_cloud,
        platform=platform,
        outdir=synth.outdir,
        work_root=tmp_path_factory.mktemp("terraform-work"),
        plan_before_apply=[],
        apply=[],
    )
    # The runner's apply is plan -out (exit 2: changes) then apply of that plan, so one run
    # shows both that the plan had changes before anything existed and the apply.
    # Concurrently: the environments share no Terraform state, and the provider's minute-long
    # waits overlap (the sequential promotion order is covered by the runner's unit tests).
    target.apply = run_deploy("apply", target, parallel=True)
    target.plan_before_apply = [r for r in target.apply if r.step == "plan"]
    return target
