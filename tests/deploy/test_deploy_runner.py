"""The deploy runner's pure parts: environment order, the configuration folder, the local
override, CLI config, error parsing.

No Terraform run and no emulator here (tests/e2e/test_deploy.py applies the real stacks).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import pytest

import main as synth_app
from environments import DEFAULT_DIR, load_platform
from environments.naming import ROLE_SUFFIXES, Names
from scripts.deploy import cli, cross_stack, runner, synthesis, targets
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


@pytest.mark.parametrize(
    "argv", [["plan"], ["drift", "--env", "dev"], ["refresh"], ["destroy", "--env", "prod"], ["principals"]]
)
def test_against_a_stopped_local_cloud_the_command_says_how_to_start_it(argv, tmp_path, monkeypatch, capsys):
    """What is deployed on the local cloud lives only while it runs: a plan (or drift, refresh,
    destroy, principals) against a stopped one says so, exit 2, before any Terraform or AWS call,
    instead of starting an empty cloud (whose new run drops the working directories' state) and
    failing with "Cannot assume IAM Role" or planning everything anew."""
    from scripts.localcloud import LocalCloud

    monkeypatch.setenv("MLGOV_LOCALCLOUD_DIR", str(tmp_path / "localcloud"))  # nothing runs there

    def no_start(self: LocalCloud, reuse: bool = True) -> LocalCloud:
        raise AssertionError("a stopped local cloud must not be replaced by an empty one")

    monkeypatch.setattr(LocalCloud, "start", no_start)
    monkeypatch.setenv(tf.TERRAFORM_ENV, "/nonexistent/terraform-must-not-run")
    assert cli.main([*argv, "--work-dir", str(tmp_path / "work")] if argv[0] != "principals" else argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the local cloud is not running"), err
    assert "`mlgov cloud start`" in err and "`mlgov demo --keep-running`" in err
    assert not (tmp_path / "work").exists()


@pytest.mark.parametrize("action", ["plan", "apply"])
def test_a_local_cloud_started_before_an_environment_existed_is_named(action, tmp_path, monkeypatch, capsys):
    """A local cloud gives each environment file an account when it starts: one started before
    prod.yaml existed has no prod account, and Terraform would only say "Cannot assume IAM Role"."""
    from scripts.localcloud import LocalCloud

    platform = load_platform()
    running = {
        "url": "http://127.0.0.1:5999",
        "pid": 1,
        "deploy_roles": {
            e.name: e.deploy_role_arn for e in platform.environments.values() if e.name != "prod"
        },
    }
    monkeypatch.setattr(LocalCloud, "running_state", lambda self: running)

    def no_start(self: LocalCloud, reuse: bool = True) -> LocalCloud:
        raise AssertionError("nothing may run")

    monkeypatch.setattr(LocalCloud, "start", no_start)
    assert cli.main([action, "--work-dir", str(tmp_path / "work")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the running local cloud has no account for prod"), err
    assert "`mlgov cloud stop`" in err and "`mlgov deploy apply`" in err
    assert not (tmp_path / "work").exists()


def test_apply_starts_the_local_cloud_when_none_runs(tmp_path, monkeypatch):
    """Deploying into a fresh local cloud is what apply is for: it starts one (or reuses it)."""
    from scripts.localcloud import LocalCloud

    monkeypatch.setenv("MLGOV_LOCALCLOUD_DIR", str(tmp_path / "localcloud"))
    started = []

    class Started(Exception):
        pass

    def start(self: LocalCloud, reuse: bool = True) -> LocalCloud:
        started.append(reuse)
        raise Started

    monkeypatch.setattr(LocalCloud, "start", start)
    with pytest.raises(Started):
        cli.main(["apply", "--env", "dev", "--work-dir", str(tmp_path / "work")])
    assert started == [True]


def test_cli_bad_action_exits_2(capsys):
    assert cli.main(["deploy-everything"]) == 2
    assert (
        "mlgov deploy: error: argument action: invalid choice: 'deploy-everything'" in capsys.readouterr().err
    )


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

    monkeypatch.setattr(synthesis.subprocess, "run", main_py)
    monkeypatch.setattr(runner, "REPO_ROOT", tmp_path)  # cdktf.out of this test, not the clone's
    monkeypatch.setattr(runner.Runner, "_run_env", lambda self, action, env, sink: selected.append(env.name))
    argv = ["plan", "--target", "aws", "--work-dir", str(tmp_path / "work"), "--sequential"]
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

    monkeypatch.setattr(synthesis.subprocess, "run", main_py)
    outdir, _ = runner.synth(tmp_path / "out", log_dir=tmp_path / "logs", config_dir=two_envs)
    assert outdir == tmp_path / "out"
    assert seen[runner.ENVIRONMENTS_DIR_VAR] == str(two_envs) and seen["CDKTF_OUTDIR"] == str(outdir)
    assert f"{runner.ENVIRONMENTS_DIR_VAR}={two_envs}" in Path(tmp_path / "logs" / "synth.log").read_text()


# -- every environment at once: no stack names another stack's role as a principal -----------
def test_the_shipped_stacks_grant_other_environments_roles_by_condition_only(platform, synth):
    stacks = {e: synth[e].data for e in ("dev", "staging", "prod")}
    assert cross_stack.cross_stack_principals(platform, stacks) == []
    # and they do grant them: dev's bucket policy admits staging's promotion role by its ARN
    promotion = Names.of(platform, "staging").role_arn("promotion")
    policy = synth["dev"].policy("aws_s3_bucket_policy", "artifacts/policy")
    (read,) = [s for s in policy["Statement"] if s["Sid"] == "DownstreamPromotionReadModels"]
    assert read["Principal"] == {"AWS": [f"arn:aws:iam::{platform.env('staging').account_id}:root"]}
    assert read["Condition"]["ArnEquals"] == {"aws:PrincipalArn": [promotion]}


def _role(name: str, path: str) -> dict:
    return {"name": name, "assume_role_policy": "{}", "//": {"metadata": {"path": path}}}


def _platform_stacks(platform, **principal: str) -> dict[str, dict]:
    """Small stand-ins for the three synthesized stacks: every role of the environment, and in
    each upstream a bucket policy granting the downstream promotion roles by ``aws:PrincipalArn``
    (as modules/ does); ``principal`` adds, per environment, a role ARN named as a principal."""
    stacks = {}
    for env in platform.environments.values():
        names = Names.of(platform, env)
        roles = {
            f"iam_{key}_{i:08X}": _role(names.role_name(key), f"{env.name}/iam/{key}")
            for i, key in enumerate(ROLE_SUFFIXES)
        }
        readers = [Names.of(platform, d).role_arn("promotion") for d in platform.downstream_of(env.name)]
        grant = {
            "Principal": {"AWS": sorted({f"arn:aws:iam::{r.split(':')[4]}:root" for r in readers})},
            "Condition": {"ArnEquals": {"aws:PrincipalArn": readers}},
        }
        named = {"Principal": {"AWS": [principal[env.name]]}} if env.name in principal else None
        policy = json.dumps({"Statement": [grant, *([named] if named else [])]})
        stacks[env.name] = {
            **_stack(),
            "resource": {"aws_iam_role": roles, "aws_s3_bucket_policy": {"bp": {"policy": policy}}},
        }
    return stacks


def test_a_policy_naming_another_environment_s_role_as_principal_is_refused_before_applying(
    platform, tmp_path
):
    # A grant added to a module that names another environment's role as its principal (here:
    # dev's bucket policy naming staging's approver role) would need that role to exist first; the
    # runner refuses it before anything is applied, and says how to grant it instead.
    approver = Names.of(platform, "staging").role_arn("approver")
    stacks = _platform_stacks(platform, dev=approver)
    for env, doc in stacks.items():
        (tmp_path / "stacks" / env).mkdir(parents=True)
        (tmp_path / "stacks" / env / "cdk.tf.json").write_text(json.dumps(doc))
    with pytest.raises(
        UsageError,
        match=r"dev's aws_s3_bucket_policy.bp names the role 'mlgov-staging-model-approver' that "
        r"staging's stack creates as its Principal.*roles_by_arn",
    ):
        cross_stack.check_stacks(platform, platform.apply_order(), tmp_path)
    # its own environment's role, or a role no selected stack creates, is no ordering problem
    own = _platform_stacks(platform, dev=Names.of(platform, "dev").role_arn("approver"))
    assert cross_stack.cross_stack_principals(platform, own) == []
    only_dev = {"dev": stacks["dev"]}
    assert cross_stack.cross_stack_principals(platform, only_dev) == []
    # the shipped shape (the downstream roles by condition) passes
    for env, doc in _platform_stacks(platform).items():
        (tmp_path / "stacks" / env / "cdk.tf.json").write_text(json.dumps(doc))
    cross_stack.check_stacks(platform, platform.apply_order(), tmp_path)


# -- the apply against a fake Terraform that records calls and times --------------------------
FAKE_TERRAFORM = """\
import json, os, sys, time
started = time.time()
args = sys.argv[1:]
env = os.path.basename(os.getcwd())
state = "fake-state.json"
have = json.load(open(state)) if os.path.exists(state) else []
code = 0
if args[0] == "init":
    os.makedirs(".terraform", exist_ok=True)
    open(".terraform.lock.hcl", "w").close()
elif args[0] == "state":
    print("\\n".join(have))
    code = 0 if have else 1
elif args[0] == "plan":
    code = 2
    if os.environ.get("FAKE_TF_PROGRESS"):  # what plan -no-color lists
        print("  # aws_s3_bucket.b will be created")
        print("  # aws_s3_bucket_lifecycle_configuration.l will be created")
if os.environ.get("FAKE_TF_PROGRESS") and args[0] == "apply" and "-refresh-only" not in args:
    # the bucket at once; its lifecycle rules after the provider's read-back (here 1 s)
    print("aws_s3_bucket.b: Creation complete after 0s [id=b]", flush=True)
    time.sleep(1)
    print("aws_s3_bucket_lifecycle_configuration.l: Creation complete after 1s [id=b]", flush=True)
# Calls the runner must make at once meet: each waits (up to 30 s) until as many calls of its
# kind have started in this work root as FAKE_TF_MEET says, so calls made at once overlap in time
# whatever the machine's load, and calls made one after another do not (the first waits out the
# deadline and ends before the next starts).
kind = None
if args[0] == "apply":
    kind = "refresh" if "-refresh-only" in args else "apply"
elif args[0] == "plan":
    kind = "plan"
expected = dict(pair.split("=") for pair in os.environ.get("FAKE_TF_MEET", "").split(",") if pair)
if kind in expected:
    meet = os.path.join(os.environ["FAKE_TF_MEET_DIR"], os.path.dirname(os.getcwd()).replace(os.sep, "_"))
    os.makedirs(meet, exist_ok=True)
    open(os.path.join(meet, kind + "." + env), "w").close()
    deadline = time.time() + 30
    while time.time() < deadline and sum(n.startswith(kind + ".") for n in os.listdir(meet)) < int(expected[kind]):
        time.sleep(0.02)
fails = [f.split(":", 1) for f in os.environ.get("FAKE_TF_FAIL", "").split(",") if f]
if any(where == env and needle in " ".join(args) for where, needle in fails):
    print("Error: creating S3 Bucket (b): AccessDenied\\n\\n  with aws_s3_bucket.b,")
    code = 1
with open(os.environ["FAKE_TF_CALLS"], "a") as fh:
    fh.write(json.dumps({"env": env, "args": args, "start": started, "end": time.time()}) + "\\n")
sys.exit(code)
"""


@pytest.fixture
def fake_terraform(tmp_path, monkeypatch, platform):
    """A Runner (target aws) over hand-made stacks of the shipped environments, with
    ``terraform`` replaced by a script that records every call with its start and end."""
    binary = tmp_path / "terraform"
    binary.write_text(f"#!{sys.executable}\n{FAKE_TERRAFORM}")
    binary.chmod(0o755)
    calls = tmp_path / "calls.jsonl"
    monkeypatch.setenv(tf.TERRAFORM_ENV, str(binary))
    monkeypatch.setenv("FAKE_TF_CALLS", str(calls))
    monkeypatch.setenv("FAKE_TF_MEET_DIR", str(tmp_path / "meet"))
    monkeypatch.delenv("FAKE_TF_FAIL", raising=False)
    outdir = tmp_path / "out"
    for env, doc in _platform_stacks(platform).items():
        (outdir / "stacks" / env).mkdir(parents=True)
        (outdir / "stacks" / env / "cdk.tf.json").write_text(json.dumps(doc))

    def run(
        action: str, *, parallel: bool = True, work: str = "work", **options: object
    ) -> tuple[list, list[dict]]:
        calls.unlink(missing_ok=True)
        # The shipped environments: plan, apply and refresh in all three at once.
        meet = "plan=3,apply=3,refresh=3" if parallel else ""
        monkeypatch.setenv("FAKE_TF_MEET", meet)
        r = runner.Runner(
            platform,
            target="aws",
            work_root=tmp_path / work,
            outdir=outdir,
            synthesize=False,
            parallel=parallel,
            datazone_association=False,  # a fake Terraform created no share to accept
            **options,  # type: ignore[arg-type]
        )
        try:
            results = r.run(action, runner.select_environments(platform, None, action))
        finally:
            recorded = [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []
        return results, sorted(recorded, key=lambda c: c["start"])

    return run


def _of(calls: list[dict], first_arg: str) -> list[dict]:
    return [c for c in calls if c["args"][0] == first_arg and "-refresh-only" not in c["args"]]


def test_apply_plans_and_applies_every_environment_at_once(fake_terraform):
    results, calls = fake_terraform("apply")
    assert not [c for c in calls if any(a.startswith("-target") for a in c["args"])], "never targeted"
    plans, applies = _of(calls, "plan"), _of(calls, "apply")
    for step in (plans, applies):
        assert sorted(c["env"] for c in step) == ["dev", "prod", "staging"]
        assert max(c["start"] for c in step) < min(c["end"] for c in step), "at once"
    # each environment applies the plan it made
    for env in ("dev", "staging", "prod"):
        (plan,) = [c for c in plans if c["env"] == env]
        (apply,) = [c for c in applies if c["env"] == env]
        assert plan["end"] <= apply["start"] and apply["args"][-1] == runner.PLAN_FILE
    assert [r.step for r in results if r.env == "dev"] == ["init", "plan", "apply", "refresh"]
    assert all(Path(r.log).name == f"{r.env}-{r.step}.log" for r in results)


def test_apply_refuses_stacks_that_name_another_s_role_as_principal_before_running_terraform(
    fake_terraform, platform, tmp_path
):
    stacks = _platform_stacks(platform, prod=Names.of(platform, "dev").role_arn("approver"))
    (tmp_path / "out" / "stacks" / "prod" / "cdk.tf.json").write_text(json.dumps(stacks["prod"]))
    with pytest.raises(UsageError, match=r"prod's aws_s3_bucket_policy.bp names the role"):
        fake_terraform("apply")
    assert not Path(os.environ["FAKE_TF_CALLS"]).exists(), "nothing ran"
    # one after another, downstream first, the order makes the principal exist: no refusal
    _, calls = fake_terraform("apply", parallel=False)
    assert list(dict.fromkeys(c["env"] for c in calls)) == ["prod", "staging", "dev"]


def _refreshes(calls: list[dict]) -> list[dict]:
    return [c for c in calls if c["args"][0] == "apply" and "-refresh-only" in c["args"]]


def test_apply_ends_with_a_refresh_unless_it_is_left_to_the_refresh_action(fake_terraform, monkeypatch):
    results, calls = fake_terraform("apply")
    assert sorted(c["env"] for c in _refreshes(calls)) == ["dev", "prod", "staging"]
    for env in ("dev", "staging", "prod"):
        mine = [c for c in calls if c["env"] == env]
        assert mine[-1] in _refreshes(calls), f"{env}: the refresh is its apply's last step"
    # refresh_after_apply=False: the applies end without it (the demo runs it beside its
    # workflow), and the refresh action then refreshes every environment at once.
    results, calls = fake_terraform("apply", work="deferred", refresh_after_apply=False)
    assert _refreshes(calls) == [] and "refresh" not in {r.step for r in results}
    assert sorted(c["env"] for c in _of(calls, "apply")) == ["dev", "prod", "staging"]
    results, calls = fake_terraform("refresh", work="deferred")
    assert [c["args"][0] for c in calls] == ["apply"] * 3 and len(_refreshes(calls)) == 3
    assert max(c["start"] for c in calls) < min(c["end"] for c in calls), "at once"
    assert [(r.env, r.step, r.ok) for r in results] == [
        ("prod", "refresh", True),
        ("staging", "refresh", True),
        ("dev", "refresh", True),
    ]


def test_sequential_apply_is_one_environment_at_a_time_downstream_first(fake_terraform):
    _, calls = fake_terraform("apply", parallel=False)
    envs = [c["env"] for c in calls]
    assert list(dict.fromkeys(envs)) == ["prod", "staging", "dev"]
    assert all(a["end"] <= b["start"] for a, b in pairwise(calls)), "no overlap"


def test_destroy_is_sequential_upstream_first_even_when_parallel(fake_terraform):
    _, calls = fake_terraform("destroy", parallel=True)
    destroys = _of(calls, "destroy")
    assert [c["env"] for c in destroys] == ["dev", "staging", "prod"]
    assert all(a["end"] <= b["start"] for a, b in pairwise(destroys))


def test_an_apply_failure_names_the_first_and_the_other_failed_environments(fake_terraform, monkeypatch):
    monkeypatch.setenv("FAKE_TF_FAIL", "dev:-no-color tfplan,prod:-no-color tfplan")
    with pytest.raises(runner.DeployError) as info:
        fake_terraform("apply")
    err = info.value
    # the first in environment order, then the others
    assert (err.env, err.step, err.resource) == ("prod", "apply", "aws_s3_bucket.b")
    assert Path(err.log).name == "prod-apply.log" and err.log in str(err)
    assert [(o.env, o.step) for o in err.others] == [("dev", "apply")]
    assert "apply also failed in 'dev'" in str(err) and str(Path(err.others[0].log)) in str(err)
    # staging's apply was not cut short
    assert ("staging", "refresh") in {(r.env, r.step) for r in err.results if r.ok}


def test_cli_order_options(tmp_path):
    parser = cli.build_parser()
    assert parser.parse_args(["apply"]).parallel is True
    assert parser.parse_args(["apply", "--parallel"]).parallel is True
    assert parser.parse_args(["apply", "--sequential"]).parallel is False
    with pytest.raises(SystemExit):
        parser.parse_args(["apply", "--parallel", "--sequential"])
    assert parser.parse_args(["synth", "--force-synth"]).force_synth is True


# -- no synthesis when nothing it reads has changed --------------------------------------------
@pytest.fixture
def fake_repo(tmp_path):
    """What synthesis reads, in miniature: main.py, cdktf.json, pyproject.toml, uv.lock, modules/,
    environments/ (code) and a configuration folder, plus files it does not read."""
    repo = tmp_path / "repo"
    for rel, text in {
        "main.py": "app",
        "cdktf.json": "{}",
        "pyproject.toml": 'dependencies = ["cdktf==0.20.12"]',
        "uv.lock": "version = 1",
        "modules/stack.py": "stack = 1",
        "modules/__pycache__/stack.cpython-311.pyc": "bytecode",
        "environments/schema.py": "defaults = 1",
        "environments/dev.yaml": "name: dev  # the kit's own file, not the configuration in use",
        "config/dev.yaml": "name: dev",
        "config/platform.yaml": "name_prefix: mlgov",
        "README.md": "readme",
        "scripts/governance/report.py": "report = 1",
        "tests/test_x.py": "x = 1",
    }.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    return repo


@pytest.mark.parametrize(
    ("rel", "changes_key"),
    [
        ("modules/stack.py", True),
        ("modules/new_construct.py", True),
        ("environments/schema.py", True),
        ("config/dev.yaml", True),
        ("config/qa.yaml", True),
        ("pyproject.toml", True),
        ("uv.lock", True),
        ("main.py", True),
        ("cdktf.json", True),
        ("README.md", False),
        ("scripts/governance/report.py", False),
        ("tests/test_x.py", False),
        ("modules/__pycache__/stack.cpython-311.pyc", False),
        ("environments/dev.yaml", False),
        ("config/notes.txt", False),
    ],
)
def test_synth_key_changes_exactly_when_an_input_changes(fake_repo, rel, changes_key):
    before = synthesis.synth_key(fake_repo / "config", repo=fake_repo)
    assert synthesis.synth_key(fake_repo / "config", repo=fake_repo) == before, "the key is stable"
    (fake_repo / rel).parent.mkdir(parents=True, exist_ok=True)
    (fake_repo / rel).write_text("changed")
    assert (synthesis.synth_key(fake_repo / "config", repo=fake_repo) != before) is changes_key


def test_synthesis_is_skipped_when_inputs_and_output_are_unchanged(
    fake_repo, tmp_path, monkeypatch, platform
):
    runs: list[str] = []

    def main_py(cmd, *, cwd, env, **_):
        out = Path(env["CDKTF_OUTDIR"])
        for name in ("dev", "staging", "prod"):
            (out / "stacks" / name).mkdir(parents=True, exist_ok=True)
            (out / "stacks" / name / "cdk.tf.json").write_text(json.dumps(_stack()))
        runs.append(env[runner.ENVIRONMENTS_DIR_VAR])
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(synthesis.subprocess, "run", main_py)
    monkeypatch.setattr(synthesis, "REPO_ROOT", fake_repo)
    lines: list[str] = []

    def synth_once(**kw) -> runner.StepResult:
        r = runner.Runner(
            platform,
            target="aws",
            work_root=tmp_path / "work",
            outdir=tmp_path / "cdktf.out",
            config_dir=fake_repo / "config",
            progress=lines.append,
            **kw,
        )
        (result,) = r.run("synth", [])
        return result

    assert not synth_once().skipped and len(runs) == 1
    key = synthesis.synth_key(fake_repo / "config")
    second = synth_once()
    assert second.skipped and len(runs) == 1
    assert f"synthesis skipped: inputs unchanged (key {key})" in lines[-1]
    assert not synth_once(force_synth=True).skipped and len(runs) == 2, "--force-synth overrides"
    (fake_repo / "modules" / "stack.py").write_text("stack = 2")
    assert not synth_once().skipped and len(runs) == 3, "a changed module is synthesized"
    assert synth_once().skipped
    # an output edited (or deleted) by hand is not vouched for by the key
    (tmp_path / "cdktf.out" / "stacks" / "dev" / "cdk.tf.json").write_text("{}")
    assert not synth_once().skipped and len(runs) == 4
    (tmp_path / "cdktf.out" / "stacks" / "dev" / "cdk.tf.json").unlink()
    assert not synth_once().skipped and len(runs) == 5


def test_deploy_takes_force_synth():
    import inspect

    params = inspect.signature(runner.deploy).parameters
    assert params["force_synth"].default is False and params["parallel"].default is True


def test_each_environment_is_ready_once_all_but_its_lifecycle_rules_are_applied(fake_terraform, monkeypatch):
    """``on_ready`` fires per environment as soon as the apply's output shows every planned change
    complete but the deferred lifecycle rules: before that apply ends (the fake's lifecycle line
    comes a second later), once, and the apply still runs to its end."""
    monkeypatch.setenv("FAKE_TF_PROGRESS", "1")
    ready: dict[str, float] = {}

    def on_ready(env: str) -> None:
        assert env not in ready, f"{env} ready twice"
        ready[env] = time.time()

    results, calls = fake_terraform("apply", on_ready=on_ready)
    applies = {c["env"]: c for c in _of(calls, "apply")}
    assert sorted(ready) == sorted(applies) == ["dev", "prod", "staging"]
    for env, at in ready.items():
        assert at < applies[env]["end"] - 0.5, env  # the lifecycle line came 1 s after the bucket's
    assert all(r.ok for r in results)


@pytest.mark.parametrize("step", ["-out=tfplan", "-no-color tfplan"], ids=["plan", "apply"])
def test_an_environment_whose_plan_or_apply_fails_is_never_ready(step, fake_terraform, monkeypatch):
    """Here the plan lists nothing the runner can read: ready would come only after the apply."""
    monkeypatch.setenv("FAKE_TF_FAIL", f"prod:{step}")
    ready: list[str] = []
    with pytest.raises(runner.DeployError):
        fake_terraform("apply", on_ready=ready.append)
    assert sorted(ready) == ["dev", "staging"]
