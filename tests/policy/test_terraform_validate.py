"""``terraform validate`` on every synthesized stack, with the AWS provider from the local
mirror when present (the same CLI configuration the deploy runner writes)."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from scripts.deploy.terraform import Terraform, write_cli_config

pytestmark = pytest.mark.policy


@pytest.fixture(scope="module")
def cli_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH (1.10 or later is needed for the S3 lockfile backend)")
    return write_cli_config(tmp_path_factory.mktemp("terraform"))


def _validate(stack_dir: Path, cli_config: Path, work: Path) -> str | None:
    """init (no backend) + validate one stack; the problem as text, or None."""
    tf = Terraform(
        stack_dir,
        log_dir=work / "logs",
        label=stack_dir.name,
        # keep .terraform out of the synthesized folder (checkov scans it)
        env={"TF_CLI_CONFIG_FILE": str(cli_config), "TF_DATA_DIR": str(work / stack_dir.name / ".terraform")},
    )
    init = tf.run("init", ["init", "-backend=false", "-input=false", "-no-color"])
    if init.returncode != 0:
        return f"{stack_dir.name}: init failed:\n{init.log.read_text()[-2000:]}"
    validate = tf.run("validate", ["validate", "-no-color"])
    if validate.returncode != 0:
        return f"{stack_dir.name}: validate failed:\n{validate.log.read_text()[-2000:]}"
    return None


def test_every_stack_validates(synth, cli_config, tmp_path):
    stack_dirs = [synth.outdir / "stacks" / name for name in sorted(synth.stacks)]
    assert len(stack_dirs) >= 3
    # Loading the provider schema dominates; stacks are independent, so use the cores there are.
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        problems = [p for p in pool.map(lambda d: _validate(d, cli_config, tmp_path), stack_dirs) if p]
    assert not problems, "\n\n".join(problems)


def test_the_stacks_with_scheduled_monitors_validate(monitored_synth, cli_config, tmp_path):
    """The data-quality job definition and monitoring schedule as provider 5.100 defines them."""
    problems = [
        p
        for name in ("dev", "prod")
        if (p := _validate(monitored_synth.outdir / "stacks" / name, cli_config, tmp_path))
    ]
    assert not problems, "\n\n".join(problems)
