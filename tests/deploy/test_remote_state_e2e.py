"""On the emulator: bootstrap the accounts, apply a platform stack through the S3 backend, and show
that Terraform's S3 lock file keeps a second apply out while the first one runs.

The emulator is started by this module (its own instance, own state folder) and stopped at the
end. Terraform runs with the kit's CLI configuration (provider mirror) and the deploy runner's
local override (``scripts.deploy.local_override``), which points the provider *and* the S3
backend at the emulator; the synthesized JSON is the one that goes to AWS.

What stands in for the real world here, and why:

- The emulator pre-provisions every deploy role (so ``make demo`` needs no bootstrap). A fresh
  account has none, and the bootstrap creates it: each bootstrap test first removes the stand-in.
- On AWS the operator runs the bootstrap with administrator credentials of the account. Here the
  bootstrap provider assumes ``OrganizationAccountAccessRole`` of the account (the role AWS
  Organizations creates in member accounts); the emulator maps the session to that account.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from environments import EnvironmentConfig, PlatformConfig
from environments.naming import Names
from scripts.deploy import bootstrap as kit_bootstrap
from scripts.deploy import runner, targets
from scripts.deploy import terraform as tf
from tests.deploy.conftest import ENV_DIR, synth, write_remote_state_config

pytestmark = pytest.mark.e2e

ADMIN_ROLE = "OrganizationAccountAccessRole"
PROMPT_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def rs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rs-operator-environments")


@pytest.fixture(scope="module")
def rs_platform(rs_dir: Path) -> PlatformConfig:
    """The remote-state configuration with this machine's operator in ``ci.admin_principals``
    (step 1 of the operator guide): the bootstrap writes it into the deploy role's trust, and the
    platform stacks' Terraform runs assume that role as the operator, IAM enforced."""
    ci = yaml.safe_load((ENV_DIR / "platform.yaml").read_text())["ci"]
    ci["admin_principals"] = [kit_bootstrap.LOCAL_ADMIN_PRINCIPAL]
    return write_remote_state_config(rs_dir, ci=ci)


@pytest.fixture(scope="module")
def rs_out(rs_platform: PlatformConfig, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth(rs_platform, tmp_path_factory.mktemp("rs-operator-cdktf.out"))


@pytest.fixture(scope="module")
def cloud(
    rs_dir: Path, rs_platform: PlatformConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    from scripts.localcloud import LocalCloud

    # IAM enforced, as every local cloud of the kit by default: the Terraform runs configured by
    # hand below sign with the cloud's admin keys (``_prepare``), as the deploy runner's do.
    instance = LocalCloud(state_dir=tmp_path_factory.mktemp("localcloud"), environments_dir=rs_dir)
    instance.start(reuse=False)
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tf-work")
    tf.write_cli_config(root)  # once, before applies run in parallel
    return root


def _session(cloud: Any, env: EnvironmentConfig, role: str):
    import boto3
    from botocore.config import Config

    cfg = Config(retries={"mode": "standard"})
    # A session per call: the tests bootstrap accounts from several threads at once.
    sts = boto3.session.Session().client(
        "sts",
        endpoint_url=cloud.url,
        region_name=env.region,
        aws_access_key_id=cloud.env()["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=cloud.env()["AWS_SECRET_ACCESS_KEY"],
        config=cfg,
    )
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{env.account_id}:role/{role}", RoleSessionName="real-accounts-test"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=env.region,
    ), cfg


def _client(cloud: Any, env: EnvironmentConfig, service: str, role: str = ADMIN_ROLE):
    session, cfg = _session(cloud, env, role)
    return session.client(service, endpoint_url=cloud.url, config=cfg)


def _terraform(cloud: Any, env: EnvironmentConfig, workdir: Path, work: Path, label: str) -> tf.Terraform:
    extra: dict[str, str | None] = {"TF_CLI_CONFIG_FILE": str(tf.write_cli_config(work))}
    extra.update(targets.local_environment(cloud.url, env.region, cloud.env()))
    return tf.Terraform(workdir, log_dir=work / "logs", label=label, env=extra)


def _prepare(
    cloud: Any,
    rs_out: Path,
    stack_name: str,
    workdir: Path,
    env: EnvironmentConfig,
    *,
    assume_role: str | None = None,
) -> dict[str, Any]:
    runner.prepare_workdir(rs_out / "stacks" / stack_name, workdir)
    stack = json.loads((workdir / targets.STACK_FILE).read_text())
    keys = cloud.env()
    override = targets.local_override(
        stack, cloud.url, env.region, keys["AWS_ACCESS_KEY_ID"], keys["AWS_SECRET_ACCESS_KEY"]
    )
    if assume_role:
        for block in override["provider"]["aws"]:
            block["assume_role"] = [{"role_arn": assume_role, "session_name": "bootstrap"}]
    (workdir / targets.OVERRIDE_FILE).write_text(json.dumps(override, indent=2))
    return stack


def _log(run: tf.TfRun) -> str:
    return run.log.read_text(encoding="utf-8", errors="replace")


def _remove_stand_in_deploy_role(cloud: Any, env: EnvironmentConfig) -> None:
    iam = _client(cloud, env, "iam")
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=env.deploy_role_name):
        for name in page["PolicyNames"]:
            iam.delete_role_policy(RoleName=env.deploy_role_name, PolicyName=name)
    iam.delete_role(RoleName=env.deploy_role_name)


class Bootstrapper:
    """Bootstraps an account once per module (each bootstrap apply costs about a minute)."""

    def __init__(self, cloud: Any, platform: PlatformConfig, rs_out: Path, work: Path) -> None:
        self.cloud, self.platform, self.rs_out, self.work = cloud, platform, rs_out, work
        self.seconds: dict[str, float] = {}

    def __call__(self, env_name: str) -> float:
        if env_name in self.seconds:
            return self.seconds[env_name]
        env = self.platform.env(env_name)
        _remove_stand_in_deploy_role(self.cloud, env)
        workdir = self.work / f"bootstrap-{env.name}"
        _prepare(
            self.cloud,
            self.rs_out,
            f"bootstrap-{env.name}",
            workdir,
            env,
            assume_role=f"arn:aws:iam::{env.account_id}:role/{ADMIN_ROLE}",
        )
        terraform = _terraform(self.cloud, env, workdir, self.work, f"bootstrap-{env.name}")
        init = terraform.init()
        assert init.returncode == 0, _log(init)
        apply = terraform.apply()
        assert apply.returncode == 0, _log(apply)
        # The bootstrap keeps its own state locally (it creates the bucket remote state needs).
        assert (workdir / f"terraform.bootstrap-{env.name}.tfstate").exists()
        self.seconds[env.name] = round(init.seconds + apply.seconds, 1)
        return self.seconds[env.name]


@pytest.fixture(scope="module")
def bootstrap(cloud: Any, rs_platform: PlatformConfig, rs_out: Path, work: Path) -> Bootstrapper:
    return Bootstrapper(cloud, rs_platform, rs_out, work)


def test_bootstrap_creates_state_bucket_and_ci_roles_in_each_account(
    cloud: Any, rs_platform: PlatformConfig, bootstrap: Bootstrapper
) -> None:
    # One account each, independent: in parallel (most of an apply is the provider's polling).
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(bootstrap, [e.name for e in rs_platform.promotion_order()]))
    for env in rs_platform.promotion_order():
        names = Names.of(rs_platform, env)
        s3 = _client(cloud, env, "s3")
        assert s3.get_bucket_versioning(Bucket=names.state_bucket)["Status"] == "Enabled"
        (rule,) = s3.get_bucket_encryption(Bucket=names.state_bucket)["ServerSideEncryptionConfiguration"][
            "Rules"
        ]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        block = s3.get_public_access_block(Bucket=names.state_bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values()) and len(block) == 4
        policy = json.loads(s3.get_bucket_policy(Bucket=names.state_bucket)["Policy"])
        assert any(
            s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s) for s in policy["Statement"]
        )
        logging_ = s3.get_bucket_logging(Bucket=names.state_bucket)["LoggingEnabled"]
        assert logging_["TargetBucket"] == names.state_log_bucket

        iam = _client(cloud, env, "iam")
        trust = iam.get_role(RoleName=env.deploy_role_name)["Role"]["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        federated = [s for s in trust["Statement"] if "Federated" in s["Principal"]]
        assert federated[0]["Principal"]["Federated"] == names.github_oidc_provider_arn
        assert f"repo:example-org/mlgov-platform:environment:{env.name}" in json.dumps(federated)
        assert iam.get_role(RoleName=names.plan_role_name)["Role"]["Arn"] == names.plan_role_arn
        providers = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
        assert [p["Arn"] for p in providers] == [names.github_oidc_provider_arn]


def _state(cloud: Any, env: EnvironmentConfig, names: Names) -> tuple[dict[str, Any], dict[str, Any]]:
    s3 = _client(cloud, env, "s3")
    obj = s3.get_object(Bucket=names.state_bucket, Key=names.state_key)
    return json.loads(obj["Body"].read()), obj


def _lock_exists(cloud: Any, env: EnvironmentConfig, names: Names) -> bool:
    s3 = _client(cloud, env, "s3")
    listed = s3.list_objects_v2(Bucket=names.state_bucket, Prefix=names.state_key)
    return f"{names.state_key}.tflock" in {o["Key"] for o in listed.get("Contents", [])}


def test_platform_stack_state_lives_in_the_bucket_and_the_lock_refuses_a_second_apply(
    cloud: Any, rs_platform: PlatformConfig, rs_out: Path, work: Path, bootstrap: Bootstrapper
) -> None:
    bootstrap("dev")
    env = rs_platform.env("dev")
    names = Names.of(rs_platform, env)
    stack = _prepare(cloud, rs_out, env.name, work / env.name, env)
    assert stack["terraform"]["backend"]["s3"]["use_lockfile"] is True
    first = _terraform(cloud, env, work / env.name, work, env.name)
    init = first.init()
    assert init.returncode == 0, _log(init)
    assert not (work / env.name / "terraform.tfstate").exists()

    apply = first.apply()
    assert apply.returncode == 0, _log(apply)
    state, obj = _state(cloud, env, names)
    assert obj["ServerSideEncryption"] == "aws:kms"
    addresses = first.state_list()
    assert len(addresses) > 20 and len(state["resources"]) > 20
    assert not _lock_exists(cloud, env, names)  # released after the apply

    # A second working directory: another operator or CI job on the same state.
    _prepare(cloud, rs_out, env.name, work / f"{env.name}-second", env)
    second = _terraform(cloud, env, work / f"{env.name}-second", work, f"{env.name}-second")
    init2 = second.init()
    assert init2.returncode == 0, _log(init2)

    # The first apply takes the lock and waits at its approval prompt: deterministic, no race.
    ssm = next(a for a in addresses if a.startswith("aws_ssm_parameter."))
    holder_log = work / "logs" / "lock-holder.log"
    env_vars = {k: v for k, v in first.env.items() if k != "TF_INPUT"}
    with holder_log.open("w") as out:
        holder = subprocess.Popen(
            [first.binary, "apply", "-no-color", "-input=true", f"-replace={ssm}"],
            cwd=work / env.name,
            env=env_vars,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        deadline = time.monotonic() + PROMPT_TIMEOUT_S
        while "Enter a value:" not in holder_log.read_text():
            assert holder.poll() is None, holder_log.read_text()
            assert time.monotonic() < deadline, "the first apply never reached its approval prompt"
            time.sleep(0.5)
        assert _lock_exists(cloud, env, names)

        refused = second.run(
            "apply-while-locked", ["apply", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=0s"]
        )
        text = _log(refused)
        assert refused.returncode == 1, text
        assert "Error acquiring the state lock" in text, text
        during, _ = _state(cloud, env, names)
        assert during["serial"] == state["serial"]  # the refused apply wrote nothing

        holder.stdin.write("yes\n")  # type: ignore[union-attr]
        holder.stdin.flush()  # type: ignore[union-attr]
        assert holder.wait(timeout=PROMPT_TIMEOUT_S) == 0, holder_log.read_text()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()

    after, _ = _state(cloud, env, names)
    assert after["lineage"] == state["lineage"]
    assert after["serial"] > state["serial"]
    assert len(after["resources"]) == len(state["resources"])
    assert not _lock_exists(cloud, env, names)
    # Once the lock is free, the other working directory sees the same, complete state.
    assert second.state_list() == addresses
    plan = second.plan(step="plan-after")
    assert plan.returncode == tf.PLAN_CLEAN, _log(plan)


def test_other_platform_stacks_apply_through_their_own_buckets(
    cloud: Any, rs_platform: PlatformConfig, rs_out: Path, work: Path, bootstrap: Bootstrapper
) -> None:
    def apply(env: EnvironmentConfig) -> None:
        bootstrap(env.name)
        _prepare(cloud, rs_out, env.name, work / env.name, env)
        terraform = _terraform(cloud, env, work / env.name, work, env.name)
        for run in (terraform.init(), terraform.apply()):
            assert run.returncode == 0, _log(run)

    # Names wire the environments together, never state, and no policy names another
    # environment's role as its principal: staging and prod apply at once, each into its own
    # account through its own bucket, as the runner does.
    others = [e for e in rs_platform.promotion_order() if e.name != "dev"]
    with ThreadPoolExecutor(max_workers=len(others)) as pool:
        list(pool.map(apply, others))
    for env in others:
        names = Names.of(rs_platform, env)
        state, _ = _state(cloud, env, names)
        assert {r["type"] for r in state["resources"]} >= {"aws_s3_bucket", "aws_kms_key", "aws_iam_role"}
        assert not (work / env.name / "terraform.tfstate").exists()
        assert not _lock_exists(cloud, env, names)
