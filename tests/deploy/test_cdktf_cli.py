"""The cdktf CLI pinned in package.json works with the kit: ``cdktf synth`` runs main.py (cdktf.json),
and ``cdktf diff <env>`` / ``cdktf deploy <env>`` plan and apply against the local emulator with
the kit's Terraform CLI configuration (provider from the local mirror) and the deploy runner's
local override.

Skipped only when npm cannot provide the CLI (no npm, or the npm registry unreachable), and the
skip reason says so; under ``CI=true`` that is a failure instead (``node_tools.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.deploy import targets
from scripts.deploy import terraform as tf

from .node_tools import REPO, ensure_node_modules

pytestmark = pytest.mark.e2e


def _cdktf(args: list[str], env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess[str]:
    cli = ensure_node_modules() / ".bin" / "cdktf"
    return subprocess.run(
        [str(cli), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("cdktf-cli")
    env = dict(os.environ)
    env.update(
        {
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            "CHECKPOINT_DISABLE": "1",  # no version check or telemetry calls from the CLI
            # The kit's CLI configuration installs the provider from the mirror; cdktf's own plugin
            # cache would copy the 700 MB provider binary once more.
            "TF_CLI_CONFIG_FILE": str(tf.write_cli_config(work)),
            "CDKTF_DISABLE_PLUGIN_CACHE_ENV": "true",
            "CDKTF_HOME": str(work / "home"),
        }
    )
    return env


@pytest.fixture(scope="module")
def synthesized(cli_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cdktf-cli-out")
    proc = _cdktf(["synth", "--output", str(out)], cli_env)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return out


def test_cdktf_synth_writes_every_stack(synthesized: Path) -> None:
    stacks = {p.name for p in (synthesized / "stacks").iterdir()}
    assert stacks == {"dev", "staging", "prod", "bootstrap-dev", "bootstrap-staging", "bootstrap-prod"}
    dev = json.loads((synthesized / "stacks" / "dev" / "cdk.tf.json").read_text())
    assert dev["provider"]["aws"][0]["allowed_account_ids"] == ["111111111111"]
    manifest = json.loads((synthesized / "manifest.json").read_text())
    assert set(manifest["stacks"]) == stacks


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from scripts.localcloud import LocalCloud

    # IAM enforced, as every local cloud of the kit by default: the CLI's Terraform signs with
    # the cloud's admin keys (``_prepare_dev``), as the deploy runner's runs do.
    instance = LocalCloud(state_dir=tmp_path_factory.mktemp("cdktf-cli-cloud"))
    instance.start(reuse=False)
    try:
        yield instance
    finally:
        instance.stop()


def _prepare_dev(synthesized: Path, cli_env: dict[str, str], cloud: Any) -> tuple[Path, dict[str, str]]:
    """dev's synthesized stack made ready for the cdktf CLI against the emulator: the local
    override and the provider lock file. Idempotent, so each test stands on its own (under xdist
    another module's tests may run in between and the module fixtures be rebuilt)."""
    stack_dir = synthesized / "stacks" / "dev"
    stack = json.loads((stack_dir / targets.STACK_FILE).read_text())
    (stack_dir / targets.OVERRIDE_FILE).write_text(
        json.dumps(
            targets.local_override(
                stack,
                cloud.url,
                "us-east-1",
                cloud.env()["AWS_ACCESS_KEY_ID"],
                cloud.env()["AWS_SECRET_ACCESS_KEY"],
            )
        )
    )
    env = {**cli_env}
    for key, value in targets.local_environment(cloud.url, "us-east-1", cloud.env()).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    # Without a .terraform.lock.hcl, cdktf runs `terraform providers lock`, which asks the public
    # registry (it ignores the CLI configuration's mirror) and fails offline. `terraform init`
    # with the kit's CLI configuration writes the lock file from the mirror first.
    if not (stack_dir / ".terraform.lock.hcl").exists():
        init = tf.Terraform(
            stack_dir,
            log_dir=synthesized / "logs",
            label="dev",
            env={
                "TF_CLI_CONFIG_FILE": env["TF_CLI_CONFIG_FILE"],
                **targets.local_environment(cloud.url, "us-east-1", cloud.env()),
            },
        ).init()
        assert init.returncode == 0, init.log.read_text()
    assert (stack_dir / ".terraform.lock.hcl").exists()
    return stack_dir, env


def test_cdktf_diff_plans_an_environment_against_the_emulator(
    synthesized: Path, cli_env: dict[str, str], cloud: Any
) -> None:
    stack_dir, env = _prepare_dev(synthesized, cli_env, cloud)
    proc = _cdktf(["diff", "dev", "--skip-synth", "--output", str(synthesized), "--no-color"], env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    assert "Plan:" in output and "to add" in output, output[-3000:]
    # The emulator answered: the plan read the availability zones through the emulated EC2.
    assert "Error" not in output, output[-3000:]
    assert (stack_dir / ".terraform" / "providers").is_dir()


def test_cdktf_deploy_applies_an_environment_to_the_emulator(
    synthesized: Path, cli_env: dict[str, str], cloud: Any
) -> None:
    # dev alone, staging never applied: dev's key, bucket and group policies grant staging's
    # promotion role by aws:PrincipalArn, so that role need not exist (a policy naming it as its
    # principal would be refused, on the local cloud as on AWS).
    stack_dir, env = _prepare_dev(synthesized, cli_env, cloud)
    proc = _cdktf(
        ["deploy", "dev", "--skip-synth", "--auto-approve", "--output", str(synthesized), "--no-color"], env
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    state = json.loads((stack_dir / "terraform.dev.tfstate").read_text())
    types = {r["type"] for r in state["resources"]}
    assert {"aws_s3_bucket", "aws_kms_key", "aws_iam_role", "aws_ssm_parameter"} <= types
    # The resources exist in dev's account of the emulator, not in the default account.
    from tests.e2e.deployed import assume

    s3 = assume(cloud, "arn:aws:iam::111111111111:role/mlgov-deploy", "us-east-1").client(
        "s3", endpoint_url=cloud.url
    )
    assert "mlgov-dev-artifacts-111111111111" in {b["Name"] for b in s3.list_buckets()["Buckets"]}
