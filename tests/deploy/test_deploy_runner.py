"""The deploy runner's pure parts: environment order, the local override, CLI config, error parsing.

No Terraform run and no emulator here (tests/e2e/test_deploy.py applies the real stacks).
"""

from __future__ import annotations

import json
import re

import pytest

from environments import load_platform
from scripts.deploy import runner as deploy
from scripts.deploy import terraform as tf

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
    assert [e.name for e in deploy.select_environments(platform, None, "apply")] == ["prod", "staging", "dev"]
    assert [e.name for e in deploy.select_environments(platform, None, "destroy")] == [
        "dev",
        "staging",
        "prod",
    ]
    # --env picks, but the order stays the apply order whatever order they were given in
    assert [e.name for e in deploy.select_environments(platform, ["dev", "prod"], "plan")] == ["prod", "dev"]


def test_unknown_environment_is_a_usage_error_naming_the_known_ones(platform):
    with pytest.raises(
        deploy.UsageError, match=r"unknown environment 'qa'.*dev, staging, prod.*environments/qa.yaml"
    ):
        deploy.select_environments(platform, ["dev", "qa"], "apply")


def test_cli_unknown_environment_exits_2_before_anything_runs(tmp_path, capsys):
    assert deploy.main(["apply", "--env", "qa", "--work-dir", str(tmp_path)]) == 2
    assert "unknown environment 'qa'" in capsys.readouterr().err
    assert not any(tmp_path.iterdir()), "nothing may be written for bad input"


def test_cli_bad_action_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        deploy.main(["deploy-everything"])
    assert info.value.code == 2


def test_failed_resource_is_the_first_error_s_resource():
    assert tf.failed_resource(TF_ERROR) == "aws_s3_bucket_logging.artifacts_logging_31F2CE22"
    assert tf.first_error(TF_ERROR).startswith("creating S3 Bucket (b) Logging")
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
    override = deploy.local_override(_stack(), "http://127.0.0.1:5000", "us-east-1", "AK", "SK")
    providers = override["provider"]["aws"]
    assert [p.get("alias") for p in providers] == [None, "home"]
    for p in providers:
        assert set(p["endpoints"][0]) == set(deploy.LOCAL_ENDPOINT_SERVICES)
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
        assert svc in deploy.LOCAL_ENDPOINT_SERVICES
    assert "terraform" not in override, "a local backend needs no override"


def test_override_file_name_is_one_terraform_treats_as_an_override():
    assert re.fullmatch(r".+_override\.tf\.json", deploy.OVERRIDE_FILE)


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
    s3 = deploy.local_override(stack, "http://127.0.0.1:5000", "us-east-1")["terraform"]["backend"]["s3"]
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
    env = deploy.local_environment(
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
    deploy.prepare_workdir(src, work)
    assert json.loads((work / "cdk.tf.json").read_text()) == _stack()
    assert (work / "assets" / "a.zip").read_text() == "zip"
    assert (work / "terraform.dev.tfstate").read_text() == "{}"
    assert not (src / ".terraform").exists()
    with pytest.raises(deploy.UsageError, match="did not synthesize"):
        deploy.prepare_workdir(tmp_path / "out" / "stacks" / "qa", tmp_path / "work" / "qa")


def test_aws_target_uses_the_stack_unchanged_and_the_caller_s_credentials(platform, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "platform-ci")
    src = tmp_path / "out" / "stacks" / "dev"
    src.mkdir(parents=True)
    (src / "cdk.tf.json").write_text(json.dumps(_stack()))
    work = tmp_path / "work"
    (work / "aws" / "dev").mkdir(parents=True)
    (work / "aws" / "dev" / deploy.OVERRIDE_FILE).write_text("{}")  # left over from somewhere
    runner = deploy.Runner(platform, target="aws", work_root=work, outdir=tmp_path / "out", synthesize=False)
    terraform = runner.prepare(platform.env("dev"))
    assert not (work / "aws" / "dev" / deploy.OVERRIDE_FILE).exists()
    assert json.loads((work / "aws" / "dev" / "cdk.tf.json").read_text()) == _stack()
    assert terraform.env["AWS_PROFILE"] == "platform-ci" and "AWS_ENDPOINT_URL" not in terraform.env
    assert terraform.env["TF_CLI_CONFIG_FILE"] == str(work / "terraformrc")


def test_local_target_without_an_emulator_is_a_usage_error(platform, tmp_path):
    with pytest.raises(deploy.UsageError, match="running emulator"):
        deploy.Runner(platform, target="local", cloud=None, work_root=tmp_path)
