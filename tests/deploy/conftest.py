"""Fixtures for the real-accounts tests: a configuration that uses remote state, synthesized once.

The kit's own environments/ keep local state (so ``make demo`` needs no bootstrap); these tests
copy them into a temporary folder and add ``remote_state`` to every environment, exactly what an
operator does after the bootstrap (docs/OPERATOR_GUIDE.md), then synthesize that configuration
in this process (the provider bindings are imported once per test session).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from environments import PlatformConfig, load_platform
from environments.naming import Names

REPO = Path(__file__).resolve().parents[2]
ENV_DIR = REPO / "environments"


def write_remote_state_config(target: Path, *, ci: dict[str, Any] | bool | None = True) -> PlatformConfig:
    """Copy the kit's YAMLs into ``target`` with ``remote_state`` set as the bootstrap's output says.

    ``ci``: True keeps platform.yaml's section, None removes it, a mapping replaces it.
    """
    target.mkdir(parents=True, exist_ok=True)
    for path in ENV_DIR.glob("*.yaml"):
        shutil.copy(path, target / path.name)
    platform_file = target / "platform.yaml"
    data = yaml.safe_load(platform_file.read_text())
    if ci is None:
        data.pop("ci", None)
    elif isinstance(ci, dict):
        data["ci"] = ci
    platform_file.write_text(yaml.safe_dump(data, sort_keys=False))
    base = load_platform(target)
    for env in base.environments.values():
        path = target / f"{env.name}.yaml"
        doc = yaml.safe_load(path.read_text())
        names = Names.of(base, env)
        doc["remote_state"] = {
            "bucket": names.state_bucket,
            "key": names.state_key,
            "region": env.region,
            "use_lockfile": True,
            "kms_key_id": f"arn:aws:kms:{env.region}:{env.account_id}:{names.state_kms_alias}",
        }
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_platform(target)


def synth(platform: PlatformConfig, outdir: Path) -> Path:
    """Synthesize every stack of ``platform`` into ``outdir`` (in process) and return it."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    import main

    main.build_app(platform, outdir).synth()
    return outdir


def stack(outdir: Path, name: str) -> dict[str, Any]:
    return json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text())


def by_path(doc: dict[str, Any], resource_type: str, path: str) -> dict[str, Any]:
    """The resource of ``resource_type`` whose construct path is ``path`` (never a hashed id)."""
    found = [
        r
        for r in doc.get("resource", {}).get(resource_type, {}).values()
        if r.get("//", {}).get("metadata", {}).get("path") == path
    ]
    assert len(found) == 1, f"expected one {resource_type} at {path}, found {len(found)}"
    return found[0]


@pytest.fixture(scope="session")
def rs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rs-environments")


@pytest.fixture(scope="session")
def rs_platform(rs_dir: Path) -> PlatformConfig:
    return write_remote_state_config(rs_dir)


@pytest.fixture(scope="session")
def rs_out(rs_platform: PlatformConfig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield synth(rs_platform, tmp_path_factory.mktemp("rs-cdktf.out"))
