"""Shared fixtures: the shipped configuration synthesized once per test session.

Importing the AWS provider bindings costs about 20 s per process, so every construct, policy and
validate test reads the same in-process synthesis of all stacks (``main.build_app``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from environments import PlatformConfig, load_platform
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist (``make test`` runs ``-n 3 --dist loadgroup``), every test that reads the
    shared synthesis runs on one worker, so the ~20 s provider import and the synth happen once
    rather than once per worker. e2e groups are set in tests/e2e/conftest.py."""
    for item in items:
        if "synth" in getattr(item, "fixturenames", ()) and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group("synth"))
