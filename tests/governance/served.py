"""The local cloud serving the kit's per-account resources, for tests whose commands run in other
processes (a promotion killed with SIGKILL, a documentation page's shell blocks): moto in process
cannot be shared with a subprocess, the local cloud can.

The accounts hold what :func:`tests.governance.conftest.provision` creates (roles, key, bucket,
group, SSM parameters), not the Terraform stacks: these tests are about the jobs, not IAM (IAM is
not enforced here; the deployed e2e suite proves the policies). :func:`shell` runs a command line
the way a person pastes it, pointed at this cloud and at this checkout's code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from environments import PlatformConfig, load_platform
from scripts.localcloud import LocalCloud

from .conftest import Provisioned, provision

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Served:
    cloud: LocalCloud
    platform: PlatformConfig
    provisioned: Provisioned
    env: dict[str, str]
    """The environment of a command run against this cloud (``mlgov cloud env``, this checkout on
    PYTHONPATH, the venv's ``mlgov`` on PATH)."""


def served_cloud(tmp: Path, platform: PlatformConfig | None = None) -> Iterator[Served]:
    """Start a local cloud of its own in ``tmp`` (IAM not enforced), point this process at it,
    provision every environment's resources; stop it afterwards."""
    platform = platform or load_platform()
    with LocalCloud(state_dir=tmp, enforce_iam=False) as cloud, pytest.MonkeyPatch.context() as mp:
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "MLGOV_ENVIRONMENTS_DIR"):
            mp.delenv(key, raising=False)
        for key, value in cloud.env().items():
            mp.setenv(key, value)
        env = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN")}
        env.update(
            PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            MLGOV_LOCALCLOUD_DIR=str(cloud.state_dir),  # what `mlgov cloud env` reads
        )
        yield Served(cloud, platform, provision(platform), env)


def shell(
    served: Served, command: str, *, cwd: Path, timeout: float = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``command`` run by bash in ``cwd`` against the served cloud."""
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", command],
        cwd=cwd,
        env={**served.env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
