"""``terraform validate`` on every synthesized stack, with the AWS provider from the local
mirror when present (the same CLI configuration the deploy runner writes)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scripts.terraform import Terraform, write_cli_config

pytestmark = pytest.mark.policy


@pytest.fixture(scope="module")
def cli_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH (1.10 or later is needed for the S3 lockfile backend)")
    return write_cli_config(tmp_path_factory.mktemp("terraform"))


def test_every_stack_validates(synth, cli_config, tmp_path):
    problems = []
    for name in sorted(synth.stacks):
        stack_dir = synth.outdir / "stacks" / name
        tf = Terraform(
            stack_dir,
            log_dir=tmp_path / "logs",
            label=name,
            # keep .terraform out of the synthesized folder (checkov scans it)
            env={"TF_CLI_CONFIG_FILE": str(cli_config), "TF_DATA_DIR": str(tmp_path / name / ".terraform")},
        )
        init = tf.run("init", ["init", "-backend=false", "-input=false", "-no-color"])
        if init.returncode != 0:
            problems.append(f"{name}: init failed:\n{init.log.read_text()[-2000:]}")
            continue
        validate = tf.run("validate", ["validate", "-no-color"])
        if validate.returncode != 0:
            problems.append(f"{name}: validate failed:\n{validate.log.read_text()[-2000:]}")
    assert not problems, "\n\n".join(problems)
    assert len(synth.stacks) >= 3
