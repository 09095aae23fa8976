"""End-to-end fixtures: one emulator, one synth and ONE apply of every environment per session.

``deployed_cloud`` is the fixture other e2e tests build on (the governance workflow runs against
it): the local cloud running, every environment planned (changes expected) and then applied
with the deploy runner. The apply happens once per session however many tests use it.

The accounts are empty before it, so this deploy is also the proof that every environment can be
applied at once into empty accounts: no policy needs another environment's role to exist.

Tests marked ``e2e_destroy`` tear the stacks down, so they are moved to the very end of the
session (``pytest_collection_modifyitems``); every other test sees the deployed state. Tests
marked ``e2e_after_workflow`` register versions or write audit records in the shared accounts,
which test_workflow.py counts, so they run after every unmarked test and before the destroy.
Tests marked ``e2e_out_of_band`` change the deployed accounts behind Terraform's back and repair
them with the kit's commands: they run after all of those, so no other test sees the accounts
between the damage and the repair (or after a repair that failed), and before the destroy.

With pytest-xdist, the tests that use ``deployed_cloud`` run in one worker (``--dist
loadgroup``: they carry ``xdist_group("e2e-deployed")``, tests/conftest.py); a worker of their own
would start a second emulator and apply again. e2e modules with an emulator of their own
(test_extend.py) get a group each.
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
    config.addinivalue_line(
        "markers",
        "e2e_after_workflow: writes versions or audit records into the shared accounts; runs after "
        "every unmarked test (test_workflow.py counts them) and before e2e_destroy",
    )
    config.addinivalue_line(
        "markers",
        "e2e_out_of_band: changes the deployed accounts outside Terraform and repairs them; runs after "
        "every other test of the deployed cloud and before e2e_destroy",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Unmarked tests, then ``e2e_after_workflow``, then ``e2e_out_of_band``, then
    ``e2e_destroy`` (file order within each). The xdist groups are set in tests/conftest.py."""

    def rank(item: pytest.Item) -> int:
        for order, marker in enumerate(("e2e_destroy", "e2e_out_of_band", "e2e_after_workflow")):
            if item.get_closest_marker(marker) is not None:
                return 3 - order
        return 0

    items[:] = sorted(items, key=rank)  # stable: file order within a rank


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A fresh emulator for this session (its own state dir: a user's running one is untouched)."""
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH: the e2e tests apply the stacks with Terraform >= 1.10")
    from scripts.localcloud import LocalCloud

    # IAM enforced explicitly (it is the default): test_separation_of_duties.py proves denials
    # on this cloud, which would pass nothing on a cloud that allows every call.
    cloud = LocalCloud(state_dir=tmp_path_factory.mktemp("localcloud"), enforce_iam=True).start(reuse=False)
    try:
        yield cloud
    finally:
        cloud.stop()


@pytest.fixture(scope="session")
def deployed_cloud(local_cloud: Any, synth: Any, tmp_path_factory: pytest.TempPathFactory) -> DeployedCloud:
    """Every environment planned (before anything exists) and applied by the deploy runner,
    once per session."""
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
    # shows both that each plan had changes before anything existed and the apply.
    # parallel=True is the runner's default, every environment at once (the sequential promotion
    # order is covered by the runner's unit tests).
    target.apply = run_deploy("apply", target, parallel=True)
    target.plan_before_apply = [r for r in target.apply if r.step == "plan"]
    return target
