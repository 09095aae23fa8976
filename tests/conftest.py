"""Shared fixtures: the shipped configuration synthesized once per test session.

Importing the AWS provider bindings costs about 13 s per process on an idle machine, so every construct, policy and
validate test reads the same in-process synthesis of all stacks (``main.build_app``). A variant
configuration synthesized in the same process costs a few seconds more (``named_approver_synth``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from environments import DEFAULT_DIR, PlatformConfig, load_platform
from tests.synthesized import Stack


@dataclass(frozen=True)
class Synthesized:
    """All stacks of one configuration, synthesized into ``outdir/stacks/<env>``."""

    platform: PlatformConfig
    outdir: Path
    stacks: dict[str, Stack]

    def __getitem__(self, env: str) -> Stack:
        return self.stacks[env]


def synthesize(platform: PlatformConfig, outdir: Path) -> Synthesized:
    from main import build_app

    build_app(platform, outdir=outdir).synth()
    stacks = {p.name: Stack.read(p) for p in sorted((outdir / "stacks").iterdir())}
    return Synthesized(platform, outdir, stacks)


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The shipped environments/ synthesized once for the whole session."""
    return synthesize(load_platform(), tmp_path_factory.mktemp("synth") / "cdktf.out")


#: A principal that is not an account root: the approver trust must name it exactly.
NAMED_APPROVER = "arn:aws:iam::222222222222:role/governance-officer"


@pytest.fixture(scope="session")
def named_approver_synth(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The shipped environments/ with staging's ``approvers`` set to one named role.

    Every shipped file names its account root as approver, the same principal the data-scientist
    and promotion roles trust; only a named role tells the approver trust apart from the root."""
    root = tmp_path_factory.mktemp("named-approver")
    config = root / "environments"
    config.mkdir()
    for path in DEFAULT_DIR.glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        if path.name == "staging.yaml":
            data["approvers"] = [NAMED_APPROVER]
        (config / path.name).write_text(yaml.safe_dump(data, sort_keys=False))
    return synthesize(load_platform(config), root / "cdktf.out")


@pytest.fixture(scope="session")
def monitored_synth(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The shipped environments/ with every use case's ``data_quality_schedule`` set (hourly):
    the stacks with their scheduled data-quality monitors."""
    root = tmp_path_factory.mktemp("monitored")
    config = root / "environments"
    config.mkdir()
    for path in DEFAULT_DIR.glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        if "use_cases" in data:
            data["use_cases"] = [{**uc, "data_quality_schedule": "hourly"} for uc in data["use_cases"]]
        (config / path.name).write_text(yaml.safe_dump(data, sort_keys=False))
    return synthesize(load_platform(config), root / "cdktf.out")


#: Fixtures that synthesize in process (and so import the provider bindings).
SYNTH_FIXTURES = frozenset({"synth", "named_approver_synth", "monitored_synth"})


def pytest_configure(config: pytest.Config) -> None:
    # Registered by pytest-xdist when it is active; declared here so -p no:xdist runs too.
    config.addinivalue_line("markers", "xdist_group(name): run in the same xdist worker as the group")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist (``make test`` runs ``-n 4 --dist loadgroup``), tests that share expensive
    state run on one worker, in file order:

    - every e2e test that uses ``deployed_cloud`` on one worker (one deployed cloud for all of
      them); every other e2e module on a worker of its own per module (its module-scoped
      emulator starts once, and its tests may build on each other's applies);
    - every test that reads the shared synthesis on one worker, so the provider import (~13 s
      idle) and the synth happen once rather than once per worker.

    Here, not in tests/e2e/conftest.py: a conftest below tests/ is not loaded when only
    tests/deploy is run, and the groups must not depend on what else was selected. ``tryfirst``:
    xdist turns the marker into the node id's group suffix in its own hook of this name."""
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        if item.get_closest_marker("e2e") is not None:
            deployed = "deployed_cloud" in getattr(item, "fixturenames", ())
            item.add_marker(pytest.mark.xdist_group("e2e-deployed" if deployed else f"e2e-{item.path.stem}"))
        elif SYNTH_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("synth"))
