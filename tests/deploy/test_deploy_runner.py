"""The deploy runner's pure parts: environment order, the configuration folder, the local
override, CLI config, error parsing.

No Terraform run and no emulator here (tests/e2e/test_deploy.py applies the real stacks).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import main as synth_app
from environments import DEFAULT_DIR, load_platform
from scripts.deploy import cli, runner, targets
from scripts.deploy import terraform as tf
from scripts.errors import EXIT_USAGE, UsageError

TF_ERROR = """\
aws_s3_bucket.artifacts_bucket_66500758: Creation complete after 1s [id=b]

Error: creating S3 Bucket (b) Logging: operation error S3: PutBucketLogging, StatusCode: 400

  with aws_s3_bucket_logging.artifacts_logging_31F2CE22,
  on cdk.tf.json line 546, in resource.aws_s3_bucket_logging.artifacts_logging_31F2CE22:
 546:       }

Error: second problem

  with aws_ram_resource_share.share,
"""


@pytest.fixture(scope="module")
def platform():
    return load_platform()


def test_environments_apply_downstream_first_and_destroy_upstream_first(platform):
    # dev's resource policies name staging's promotion role, which AWS requires to exist
    assert [e.name for e in runner.select_environments(platform, None, "apply")] == ["prod", "staging", "dev"]
    assert [e.name for e in runner.select_environments(platform, None, "destroy")] == [
        "dev",
        "staging",
        "prod",
    ]
    # --env picks, but the order stays the apply order whatever order they were given in
    assert [e.name for e in runner.select_environments(platform, ["dev", "prod"], "plan")] == ["prod", "dev"]


def test_unknown_environment_is_a_usage_error_naming_the_known_ones(platform):
    with pytest.raises(
        UsageError, match=r"unknown environment 'qa'.*dev, staging, prod.*environments/qa.yaml"
    ):
        runner.select_environments(platform, ["dev", "qa"], "apply")


def test_cli_unknown_environment_exits_2_before_anything_runs(tmp_path, capsys):
    assert cli.main(["apply", "--env", "qa", "--work-dir", str(tmp_path)]) == EXIT_USAGE
    assert "unknown environment 'qa'" in capsys.readouterr().err
    assert not any(tmp_path.iterdir()), "nothing may be written for bad input"


def test_cli_bad_action_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["deploy-everything"])
    assert info.value.code == 2


def test_failed_resource_is_the_first_error_s_resource():
    assert tf.failed_resource(TF_ERROR) == "aws_s3_bucket_logging.artifacts_logging_31F2CE22"
    assert (tf.first_error(TF_ERROR) or "").startswith("creating S3 Bucket (b) Logging")
    boxed = "│ Error: boom\n│ \n│   with module.net.aws_vpc.this[0],\n│   on main.tf line 3\n"
    assert tf.failed_resource(boxed) == "module.net.aws_vpc.this[0]"
    assert tf.failed_resource("Error: Invalid provider configuration\n\nno resource here\n") is None


def test_failed_resource_of_a_destroy_error_without_a_with_line():
    out = (
        "aws_s3_bucket.logs_1A: Destroying... [id=mlgov-prod-access-logs-333333333333]\n"
        "aws_s3_bucket.data_2B: Destroying... [id=mlgov-prod-artifacts-333333333333]\n\n"
        "Error: deleting S3 Bucket (mlgov-prod-artifacts-333333333333): api error BucketNotEmpty\n\n"
        "Error: deleting S3 Bucket (mlgov-prod-access-logs-333333333333): api error BucketNotEmpty\n"
    )
    assert tf.failed_resource(out) == "aws_s3_bucket.data_2B"


def _stack(**extra):
    doc = {
        "provider": {
            "aws": [
                {
                    "region": "us-east-1",
                    "assume_role": [{"role_arn": "arn:aws:iam::111111111111:role/mlgov-deploy"}],
                },
                {"alias": "home", "region": "us-east-1"},
            ]
        },
        "terraform": {"backend": {"local": {"path": "terraform.dev.tfstate"}}},
    }
    doc.update(extra)
    return doc


def test_local_override_points_every_provider_at_the_emulator_and_keeps_assume_role():
    override = targets.local_override(_stack(), "http://127.0.0.1:5000", "us-east-1", "AK", "SK")
    providers = override["provider"]["aws"]
    assert [p.get("alias") for p in providers] == [None, "home"]
    for p in providers:
        assert set(p["endpoints"][0]) == set(targets.LOCAL_ENDPOINT_SERVICES)
        assert set(p["endpoints"][0].values()) == {"http://127.0.0.1:5000"}
        assert (p["access_key"], p["secret_key"], p["s3_use_path_style"]) == ("AK", "SK", True)
        # the override must not carry assume_role: Terraform keeps the stack's own (deploy role)
        assert "assume_role" not in p and "region" not in p
    for svc in (
        "sts",
        "iam",
        "s3",
        "kms",
        "ec2",
        "logs",
        "ssm",
        "sagemaker",
        "datazone",
        "ram",
        "events",
        "cloudwatch",
    ):
        assert svc in targets.LOCAL_ENDPOINT_SERVICES
    assert "terraform" not in override, "a local backend needs no override"


def test_override_file_name_is_one_terraform_treats_as_an_override():
    assert re.fullmatch(r".+_override\.tf\.json", targets.OVERRIDE_FILE)


def test_s3_backend_is_pointed_at_the_emulator_keeping_bucket_key_and_role():
    backend = {
        "bucket": "state",
        "key": "platform/dev.tfstate",
        "region": "us-east-1",
        "use_lockfile": True,
        "assume_role": {"role_arn": "arn:aws:iam::111111111111:role/mlgov-deploy"},
        "profile": "x",
    }
    stack = _stack(terraform={"backend": {"s3": backend}})
    s3 = targets.local_override(stack, "http://127.0.0.1:5000", "us-east-1")["terraform"]["backend"]["s3"]
    assert (s3["bucket"], s3["key"], s3["use_lockfile"], s3["assume_role"]) == (
        "state",
        "platform/dev.tfstate",
        True,
        backend["assume_role"],
    )
    assert s3["endpoints"]["s3"] == s3["endpoints"]["sts"] == "http://127.0.0.1:5000"
    assert s3["use_path_style"] is True and "profile" not in s3


def test_local_environment_clears_profiles_and_sets_emulator_credentials(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "prod-admin")
    env = targets.local_environment(
        "http://127.0.0.1:5000", "us-east-1", {"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"}
    )
    assert env["AWS_PROFILE"] is None and env["AWS_SESSION_TOKEN"] is None
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("AK", "SK")
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000"


def test_cli_config_uses_the_mirror_only_when_it_exists(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    monkeypatch.setenv(tf.MIRROR_ENV, str(mirror))
    text = tf.write_cli_config(tmp_path / "w1").read_text()
    assert f'path    = "{mirror}"' in text and 'include = ["registry.terraform.io/hashicorp/aws"]' in text
    assert 'exclude = ["registry.terraform.io/hashicorp/aws"]' in text
    monkeypatch.setenv(tf.MIRROR_ENV, str(tmp_path / "absent"))
    text = tf.write_cli_config(tmp_path / "w2").read_text()
    assert "provider_installation" not in text, "online users install from the registry"
    assert "plugin_cache_dir" in text, "one provider copy shared by every working directory"


def test_prepare_workdir_copies_the_stack_and_keeps_terraform_files(tmp_path):
    src = tmp_path / "out" / "stacks" / "dev"
    (src / "assets").mkdir(parents=True)
    (src / "cdk.tf.json").write_text(json.dumps(_stack()))
    (src / "assets" / "a.zip").write_text("zip")
    work = tmp_path / "work" / "dev"
    (work / ".terraform").mkdir(parents=True)
    (work / "terraform.dev.tfstate").write_text("{}")
    runner.prepare_workdir(src, work)
    assert json.loads((work / "cdk.tf.json").read_text()) == _stack()
    assert (work / "assets" / "a.zip").read_text() == "zip"
    assert (work / "terraform.dev.tfstate").read_text() == "{}"
    assert not (src / ".terraform").exists()
    with pytest.raises(UsageError, match="did not synthesize"):
        runner.prepare_workdir(tmp_path / "out" / "stacks" / "qa", tmp_path / "work" / "qa")


def test_aws_target_uses_the_stack_unchanged_and_the_caller_s_credentials(platform, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "platform-ci")
    src = tmp_path / "out" / "stacks" / "dev"
    src.mkdir(parents=True)
    (src / "cdk.tf.json").write_text(json.dumps(_stack()))
    work = tmp_path / "work"
    (work / "aws" / "dev").mkdir(parents=True)
    (work / "aws" / "dev" / targets.OVERRIDE_FILE).write_text("{}")  # left over from somewhere
    aws = runner.Runner(platform, target="aws", work_root=work, outdir=tmp_path / "out", synthesize=False)
    terraform = aws.prepare(platform.env("dev"))
    assert not (work / "aws" / "dev" / targets.OVERRIDE_FILE).exists()
    assert json.loads((work / "aws" / "dev" / "cdk.tf.json").read_text()) == _stack()
    assert terraform.env["AWS_PROFILE"] == "platform-ci" and "AWS_ENDPOINT_URL" not in terraform.env
    assert terraform.env["TF_CLI_CONFIG_FILE"] == str(work / "terraformrc")


def test_local_target_without_an_emulator_is_a_usage_error(platform, tmp_path):
    with pytest.raises(UsageError, match="running emulator"):
        runner.Runner(platform, target="local", cloud=None, work_root=tmp_path)


def test_unknown_target_is_a_usage_error(platform, tmp_path):
    with pytest.raises(UsageError, match=r"unknown target 'gcp': expected one of local, aws"):
        runner.Runner(platform, target="gcp", work_root=tmp_path)


class _FakeCloud:
    def __init__(self, pid: int) -> None:
        self.url, self.pid = "http://127.0.0.1:5000/", pid

    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"}

    def status(self) -> dict[str, int]:
        return {"pid": self.pid}


def test_local_target_writes_the_override_and_drops_state_of_another_emulator_run(platform, tmp_path):
    work = tmp_path / "dev"
    work.mkdir()
    (work / targets.STACK_FILE).write_text(json.dumps(_stack()))
    dev = platform.env("dev")
    first = targets.LocalTarget(_FakeCloud(pid=1))
    first.configure(work, dev)
    override = json.loads((work / targets.OVERRIDE_FILE).read_text())
    assert override == targets.local_override(_stack(), "http://127.0.0.1:5000", dev.region, "AK", "SK")
    (work / "terraform.dev.tfstate").write_text("{}")
    first.configure(work, dev)
    assert (work / "terraform.dev.tfstate").exists(), "state of the same emulator run is kept"
    targets.LocalTarget(_FakeCloud(pid=2)).configure(work, dev)
    assert not (work / "terraform.dev.tfstate").exists(), "a new emulator starts empty"


# -- the configuration folder: the environments selected are the stacks synthesized -----------
def test_the_runner_and_main_py_read_the_same_variable():
    assert runner.ENVIRONMENTS_DIR_VAR == synth_app.ENVIRONMENTS_DIR_VAR


def test_environments_dir_is_the_option_else_the_variable_else_the_kit_s(tmp_path, monkeypatch):
    monkeypatch.delenv(runner.ENVIRONMENTS_DIR_VAR, raising=False)
    assert runner.environments_dir() == DEFAULT_DIR.resolve()
    monkeypatch.setenv(runner.ENVIRONMENTS_DIR_VAR, str(tmp_path / "from-env"))
    assert runner.environments_dir() == tmp_path / "from-env"
    assert runner.environments_dir(tmp_path / "given") == tmp_path / "given"


@pytest.fixture
def two_envs(tmp_path):
    """A configuration folder without prod: dev and staging only."""
    folder = tmp_path / "two-envs"
    folder.mkdir()
    for path in DEFAULT_DIR.glob("*.yaml"):
        if path.name != "prod.yaml":
            shutil.copy(path, folder / path.name)
    return folder


@pytest.mark.parametrize("how", ["variable", "option"])
def test_environments_selected_are_the_ones_synthesized(how, two_envs, tmp_path, monkeypatch):
    synthesized: list[str] = []
    selected: list[str] = []

    def main_py(cmd, *, cwd, env, **_):
        # What main.py does with its environment: load the folder it names (default: the kit's).
        synthesized.extend(load_platform(env.get(synth_app.ENVIRONMENTS_DIR_VAR) or None).environments)
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(runner.subprocess, "run", main_py)
    monkeypatch.setattr(runner.Runner, "_run_env", lambda self, action, env, sink: selected.append(env.name))
    argv = ["plan", "--target", "aws", "--work-dir", str(tmp_path / "work")]
    if how == "variable":
        monkeypatch.setenv(runner.ENVIRONMENTS_DIR_VAR, str(two_envs))
    else:
        # the option wins over the variable, for the selection and the synth alike
        monkeypatch.setenv(runner.ENVIRONMENTS_DIR_VAR, str(DEFAULT_DIR))
        argv += ["--config-dir", str(two_envs)]
    assert cli.main(argv) == 0
    assert selected == ["staging", "dev"]
    assert sorted(synthesized) == sorted(selected)


def test_an_environment_outside_the_configuration_folder_is_unknown(two_envs, tmp_path, capsys):
    argv = ["plan", "--env", "prod", "--config-dir", str(two_envs), "--work-dir", str(tmp_path / "w")]
    assert cli.main(argv) == EXIT_USAGE
    assert "unknown environment 'prod': known environments are dev, staging" in capsys.readouterr().err


def test_synth_names_the_configuration_folder_in_its_log(two_envs, tmp_path, monkeypatch):
    seen = {}

    def main_py(cmd, *, cwd, env, **_):
        seen.update(env)
        return subprocess.CompletedProcess(cmd, 0, "synthesized\n", "")

    monkeypatch.setattr(runner.subprocess, "run", main_py)
    outdir, _ = runner.synth(tmp_path / "out", log_dir=tmp_path / "logs", config_dir=two_envs)
    assert outdir == tmp_path / "out"
    assert seen[runner.ENVIRONMENTS_DIR_VAR] == str(two_envs) and seen["CDKTF_OUTDIR"] == str(outdir)
    assert f"{runner.ENVIRONMENTS_DIR_VAR}={two_envs}" in Path(tmp_path / "logs" / "synth.log").read_text()
