"""The kit's bootstrap path and state safety, without an emulator: ``mlgov deploy bootstrap``
(scripts/deploy/bootstrap.py) against a Terraform stand-in that records its calls, the runner's
``--migrate-state``, the message for ``--env bootstrap-<env>``, and ``make clean`` keeping state.

tests/deploy/test_bootstrap_e2e.py runs the same commands against the local cloud.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from environments import DEFAULT_DIR, load_platform
from scripts.deploy import bootstrap, cli, runner, targets
from scripts.deploy import terraform as tf
from scripts.errors import EXIT_USAGE, UsageError

REPO = Path(__file__).resolve().parents[2]

#: Records every call (working directory and arguments); plan reports changes; an init fails
#: with Terraform's own words when FAKE_TF_BACKEND_CHANGED is set and -migrate-state is absent.
FAKE_TERRAFORM = """\
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_TF_CALLS"], "a") as fh:
    fh.write(json.dumps({"cwd": os.getcwd(), "args": args}) + "\\n")
code = 0
if args[0] == "init":
    if os.environ.get("FAKE_TF_BACKEND_CHANGED") and "-migrate-state" not in args:
        print("Error: Backend configuration changed\\n\\nA change in the backend configuration has been detected")
        sys.exit(1)
    os.makedirs(".terraform", exist_ok=True)
    open(".terraform.lock.hcl", "w").close()
elif args[0] == "plan":
    code = 2
elif args[0] == "output":
    print(json.dumps({"bucket": "b", "key": "platform/x.tfstate", "use_lockfile": True}))
sys.exit(code)
"""


#: The deploy role's trust in a bootstrap stack without admin principals (modules/bootstrap.py).
ITSELF = {
    "Sid": "AssumeItself",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
    "Action": ["sts:AssumeRole", "sts:TagSession"],
}


def _bootstrap_stack(env: str, account: str, trust: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The parts of a synthesized bootstrap stack the runner reads."""
    deploy_trust = json.dumps({"Version": "2012-10-17", "Statement": trust or [ITSELF]})
    return {
        "provider": {"aws": [{"region": "us-east-1", "allowed_account_ids": [account]}]},
        "terraform": {"backend": {"local": {"path": f"terraform.bootstrap-{env}.tfstate"}}},
        "resource": {
            "aws_iam_role": {
                "ci_plan-role_AAAA": {"//": {"metadata": {"path": f"bootstrap-{env}/ci/plan-role"}}},
                "ci_deploy-role_BBBB": {
                    "//": {"metadata": {"path": f"bootstrap-{env}/ci/deploy-role"}},
                    "assume_role_policy": deploy_trust,
                },
            }
        },
    }


class _Cloud:
    url = "http://127.0.0.1:5999"


@pytest.fixture
def platform():
    return load_platform()


#: A workstation principal for the configurations bootstrapped on AWS.
OPERATOR = "arn:aws:iam::111111111111:role/PlatformAdmin"


def _config_with_admins(folder: Path, admins: list[str]) -> Path:
    """A copy of the kit's environments/ whose ci.admin_principals is ``admins``."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in DEFAULT_DIR.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    data = yaml.safe_load((folder / "platform.yaml").read_text())
    data["ci"]["admin_principals"] = admins
    (folder / "platform.yaml").write_text(yaml.safe_dump(data))
    return folder


@pytest.fixture
def operated(tmp_path):
    """The kit's configuration with an operator in ci.admin_principals, as the guide's step 1 says."""
    return load_platform(_config_with_admins(tmp_path / "operated", [OPERATOR]))


@pytest.fixture
def fake(tmp_path, monkeypatch, platform):
    binary = tmp_path / "terraform"
    binary.write_text(f"#!{sys.executable}\n{FAKE_TERRAFORM}")
    binary.chmod(0o755)
    calls = tmp_path / "calls.jsonl"
    monkeypatch.setenv(tf.TERRAFORM_ENV, str(binary))
    monkeypatch.setenv("FAKE_TF_CALLS", str(calls))
    outdir = tmp_path / "cdktf.out"
    for env in platform.environments.values():
        for name, doc in (
            (f"bootstrap-{env.name}", _bootstrap_stack(env.name, env.account_id)),
            (env.name, {"terraform": {"backend": {"local": {"path": f"terraform.{env.name}.tfstate"}}}}),
        ):
            (outdir / "stacks" / name).mkdir(parents=True)
            (outdir / "stacks" / name / targets.STACK_FILE).write_text(json.dumps(doc))

    def recorded() -> list[dict]:
        return [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []

    return outdir, recorded


def test_bootstrap_applies_each_account_in_its_own_working_directory_outside_cdktf_out(
    fake, tmp_path, operated
):
    platform = operated
    outdir, recorded = fake
    run = bootstrap.bootstrap(
        ["dev", "staging"],
        "aws",
        platform=platform,
        work_root=tmp_path / "work",
        outdir=outdir,
        synthesize=False,
    )
    calls = recorded()
    by_dir: dict[str, list[str]] = {}
    for c in calls:
        by_dir.setdefault(Path(c["cwd"]).name, []).append(c["args"][0])
    assert set(by_dir) == {"bootstrap-dev", "bootstrap-staging"}
    for steps in by_dir.values():
        assert steps == ["init", "plan", "apply", "apply"]  # plan -out, apply it, refresh-only
    for c in calls:
        # State is written where Terraform runs: the runner's work tree, never cdktf.out.
        assert Path(c["cwd"]).parent == (tmp_path / "work" / "aws").resolve()
        assert not Path(c["cwd"]).is_relative_to(outdir.resolve())
    init = next(c for c in calls if c["args"][0] == "init")
    assert "-migrate-state" not in init["args"]
    assert {(r.env, r.step) for r in run.results} >= {("dev", "apply"), ("staging", "refresh")}
    # On AWS: the caller's credentials as they are, and an existing role is never adopted.
    workdir = tmp_path / "work" / "aws" / "bootstrap-dev"
    assert not (workdir / bootstrap.ADMIN_OVERRIDE_FILE).exists()
    assert not (workdir / bootstrap.ADOPT_FILE).exists()
    assert not (workdir / bootstrap.LOCAL_ADMIN_TRUST_FILE).exists()
    assert run.remote_state(platform.env("dev")) == {
        "bucket": "b",
        "key": "platform/x.tfstate",
        "use_lockfile": True,
    }


def test_bootstrap_on_aws_assumes_the_admin_role_it_is_given(fake, tmp_path, operated):
    outdir, _ = fake
    bootstrap.bootstrap(
        ["prod"],
        "aws",
        admin_role="OrganizationAccountAccessRole",
        platform=operated,
        work_root=tmp_path / "work",
        outdir=outdir,
        synthesize=False,
    )
    override = json.loads(
        (tmp_path / "work" / "aws" / "bootstrap-prod" / bootstrap.ADMIN_OVERRIDE_FILE).read_text()
    )
    (block,) = override["provider"]["aws"]
    assert (
        block["assume_role"][0]["role_arn"] == "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"
    )


def test_bootstrap_on_the_local_cloud_assumes_the_account_admin_and_adopts_the_stand_in_deploy_role(
    fake, tmp_path, platform
):
    outdir, _ = fake
    bootstrap.bootstrap(
        ["dev"],
        "local",
        _Cloud(),
        platform=platform,
        work_root=tmp_path / "work",
        outdir=outdir,
        synthesize=False,
    )
    workdir = tmp_path / "work" / "local" / "bootstrap-dev"
    local = json.loads((workdir / targets.OVERRIDE_FILE).read_text())
    assert local["provider"]["aws"][0]["endpoints"][0]["iam"] == _Cloud.url
    admin = json.loads((workdir / bootstrap.ADMIN_OVERRIDE_FILE).read_text())
    assert admin["provider"]["aws"][0]["assume_role"][0]["role_arn"] == (
        f"arn:aws:iam::111111111111:role/{bootstrap.LOCAL_ADMIN_ROLE}"
    )
    # Terraform's override files must merge: both names end in _override.tf.json.
    assert bootstrap.ADMIN_OVERRIDE_FILE.endswith("_override.tf.json")
    adopt = json.loads((workdir / bootstrap.ADOPT_FILE).read_text())
    # The deploy role found by its construct path, not the plan role beside it.
    assert adopt == {"import": [{"to": "aws_iam_role.ci_deploy-role_BBBB", "id": "mlgov-deploy"}]}
    assert not bootstrap.ADOPT_FILE.endswith("_override.tf.json"), "an import block cannot be an override"


def test_deploy_role_address_is_read_from_the_synthesized_bootstrap_stack(synth):
    doc = synth["bootstrap-staging"].data
    address = bootstrap.deploy_role_address(doc)
    role = doc["resource"]["aws_iam_role"][address.split(".", 1)[1]]
    assert role["name"] == "mlgov-deploy"


def test_bootstrap_refuses_an_unknown_environment_and_accepts_the_stack_name(platform, tmp_path, capsys):
    assert [e.name for e in bootstrap.select_bootstrap_environments(platform, ["bootstrap-dev"])] == ["dev"]
    assert [e.name for e in bootstrap.select_bootstrap_environments(platform, None)] == [
        "dev",
        "staging",
        "prod",
    ]
    with pytest.raises(UsageError, match=r"unknown environment 'qa'.*environments/qa.yaml"):
        bootstrap.select_bootstrap_environments(platform, ["qa"])
    assert cli.main(["bootstrap", "--env", "qa", "--work-dir", str(tmp_path)]) == EXIT_USAGE
    assert "unknown environment 'qa'" in capsys.readouterr().err
    assert not any(tmp_path.iterdir()), "nothing may be written for bad input"


def test_deploy_of_a_bootstrap_stack_names_the_bootstrap_command(platform, tmp_path, capsys):
    with pytest.raises(
        UsageError, match=r"bootstrap stack of environment 'dev'.*mlgov deploy bootstrap --env dev"
    ):
        runner.select_environments(platform, ["bootstrap-dev"], "apply")
    assert cli.main(["apply", "--env", "bootstrap-dev", "--work-dir", str(tmp_path)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "mlgov deploy bootstrap --env dev" in err and "environments/bootstrap-dev.yaml" not in err
    # a name that only looks like one stays an unknown environment
    with pytest.raises(UsageError, match=r"environments/bootstrap-qa.yaml"):
        runner.select_environments(platform, ["bootstrap-qa"], "apply")


def test_empty_admin_principals_are_refused_on_aws_before_anything_runs(
    fake, tmp_path, platform, monkeypatch
):
    """The shipped platform.yaml lists no admin principal: on AWS the bootstrap would leave every
    deploy role trusting only GitHub jobs and itself. Refused with the fix, exit 2, nothing run."""
    outdir, recorded = fake
    with pytest.raises(UsageError) as refused:
        bootstrap.bootstrap(
            ["dev"], "aws", platform=platform, work_root=tmp_path / "work", outdir=outdir, synthesize=False
        )
    message = str(refused.value)
    assert message.startswith(f"ci.admin_principals in {DEFAULT_DIR / 'platform.yaml'} is empty")
    assert "aws sts get-caller-identity" in message and "arn:aws:iam::<account>:role/<name>" in message
    assert message.endswith("Nothing was applied")
    assert recorded() == [] and not (tmp_path / "work").exists()

    # The command line: exit 2 with the same message, before the runner (or a synth) exists.
    def no_runner(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("nothing may run for a refused bootstrap")

    monkeypatch.setattr(bootstrap, "BootstrapRunner", no_runner)
    assert cli.main(["bootstrap", "--target", "aws", "--work-dir", str(tmp_path / "cli")]) == EXIT_USAGE
    assert not (tmp_path / "cli").exists()


def test_on_the_local_cloud_the_local_admin_is_trusted_without_being_listed(fake, tmp_path, platform):
    """The local cloud's admin is the principal `mlgov deploy` runs as there: the local target adds
    it to the deploy role's trust (the synthesized statements kept), so the shipped configuration
    bootstraps locally as it is, and the configuration AWS is bootstrapped with never names it."""
    outdir, recorded = fake
    bootstrap.bootstrap(
        ["dev"],
        "local",
        _Cloud(),
        platform=platform,
        work_root=tmp_path / "work",
        outdir=outdir,
        synthesize=False,
    )
    assert recorded(), "not refused"
    workdir = tmp_path / "work" / "local" / "bootstrap-dev"
    assert bootstrap.LOCAL_ADMIN_TRUST_FILE.endswith("_override.tf.json")
    override = json.loads((workdir / bootstrap.LOCAL_ADMIN_TRUST_FILE).read_text())
    trust = json.loads(override["resource"]["aws_iam_role"]["ci_deploy-role_BBBB"]["assume_role_policy"])
    assert trust["Statement"] == [
        ITSELF,
        {
            "Sid": "LocalCloudAdmin",
            "Effect": "Allow",
            "Principal": {"AWS": bootstrap.LOCAL_ADMIN_PRINCIPAL},
            # the admin signs in carrying who it is (issue 20: SourceIdentity)
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
        },
    ]
    assert list(override["resource"]["aws_iam_role"]) == ["ci_deploy-role_BBBB"], "the plan role is untouched"


def test_a_trust_already_naming_the_local_admin_gets_no_override(tmp_path):
    listed = {
        "Sid": "BreakGlass",
        "Effect": "Allow",
        "Principal": {"AWS": [OPERATOR, bootstrap.LOCAL_ADMIN_PRINCIPAL]},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    }
    assert bootstrap.local_admin_trust(_bootstrap_stack("dev", "111111111111", [ITSELF, listed])) is None
    assert bootstrap.local_admin_trust(_bootstrap_stack("dev", "111111111111", [ITSELF])) is not None


def test_the_synthesized_deploy_role_trust_is_read_for_the_local_admin(synth):
    override = bootstrap.local_admin_trust(synth["bootstrap-dev"].data)
    assert override is not None
    ((logical_id, role),) = override["resource"]["aws_iam_role"].items()
    synthesized = synth["bootstrap-dev"].data["resource"]["aws_iam_role"][logical_id]
    assert synthesized["name"] == "mlgov-deploy"
    before = json.loads(synthesized["assume_role_policy"])["Statement"]
    after = json.loads(role["assume_role_policy"])["Statement"]
    assert after[:-1] == before and after[-1]["Principal"] == {"AWS": bootstrap.LOCAL_ADMIN_PRINCIPAL}
    assert {s["Sid"] for s in before} == {"GitHubActionsDeploy", "AssumeItself"}, "no admin listed"


# -- moving a deployed environment to remote state -------------------------------------------
def _platform_runner(platform, outdir: Path, work: Path, *, migrate: bool) -> runner.Runner:
    return runner.Runner(
        platform,
        target="aws",
        work_root=work,
        outdir=outdir,
        synthesize=False,
        migrate_state=migrate,
        datazone_association=False,  # a fake Terraform created no share to accept
    )


def test_a_changed_backend_names_migrate_state_and_migrate_state_copies_the_state(
    fake, tmp_path, platform, monkeypatch
):
    outdir, recorded = fake
    monkeypatch.setenv("FAKE_TF_BACKEND_CHANGED", "1")
    dev = [platform.env("dev")]
    with pytest.raises(runner.DeployError) as info:
        _platform_runner(platform, outdir, tmp_path / "work", migrate=False).run("plan", dev)
    assert info.value.step == "init" and "Backend configuration changed" in str(info.value)
    assert "--migrate-state" in str(info.value)

    _platform_runner(platform, outdir, tmp_path / "work", migrate=True).run("apply", dev)
    init = next(c for c in recorded() if c["args"][0] == "init" and "-migrate-state" in c["args"])
    assert "-force-copy" in init["args"], "without it Terraform asks yes/no on a terminal"
    assert cli.build_parser().parse_args(["apply", "--migrate-state"]).migrate_state is True
    assert cli.build_parser().parse_args(["apply"]).migrate_state is False


# -- make clean --------------------------------------------------------------------------------
@pytest.fixture
def repo_copy(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    files = {
        "cdktf.out/stacks/dev/cdk.tf.json": "{}",
        "cdktf.out/stacks/dev/.terraform/terraform.tfstate": "{}",  # backend settings, not state
        ".terraform-work/local/dev/terraform.dev.tfstate": "{}",
        ".terraform-work/aws/bootstrap-dev/terraform.bootstrap-dev.tfstate": "{}",
        ".terraform-work/aws/bootstrap-dev/terraform.bootstrap-dev.tfstate.backup": "{}",
        ".terraform-work/aws/bootstrap-dev/tfplan": "",
        ".terraform-work/aws/logs/bootstrap-dev-apply.log": "",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def _make_clean(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "clean"], cwd=root, capture_output=True, text=True, check=False)


def test_make_clean_removes_generated_files_and_keeps_every_state_file(repo_copy):
    proc = _make_clean(repo_copy)
    assert proc.returncode == 0, proc.stderr
    assert not (repo_copy / "cdktf.out").exists()
    assert not (repo_copy / ".terraform-work/aws/logs").exists()
    assert not (repo_copy / ".terraform-work/aws/bootstrap-dev/tfplan").exists()
    for kept in (
        ".terraform-work/local/dev/terraform.dev.tfstate",
        ".terraform-work/aws/bootstrap-dev/terraform.bootstrap-dev.tfstate",
        ".terraform-work/aws/bootstrap-dev/terraform.bootstrap-dev.tfstate.backup",
    ):
        assert (repo_copy / kept).exists(), kept


def test_make_clean_keeps_the_committed_bench_results(repo_copy):
    # bench-results/ is committed (the last run on the maintainers' machine, the baseline a run of
    # yours is compared with): it is not a generated file of this checkout.
    results = {"bench-results/bench.json": "{}", "bench-results/summary.md": "# bench\n"}
    for rel, text in results.items():
        (repo_copy / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo_copy / rel).write_text(text)
    proc = _make_clean(repo_copy)
    assert proc.returncode == 0, proc.stderr
    assert not (repo_copy / "cdktf.out").exists(), "generated files still go"
    for rel, text in results.items():
        assert (repo_copy / rel).read_text() == text, rel


def test_make_clean_refuses_while_cdktf_out_holds_state(repo_copy):
    state = repo_copy / "cdktf.out/stacks/bootstrap-dev/terraform.bootstrap-dev.tfstate"
    state.parent.mkdir(parents=True)
    state.write_text("{}")
    proc = _make_clean(repo_copy)
    assert proc.returncode != 0
    assert "cdktf.out/stacks/bootstrap-dev/terraform.bootstrap-dev.tfstate" in proc.stderr
    assert ".terraform-work/<target>/<stack>/" in proc.stderr
    assert state.exists() and (repo_copy / "cdktf.out/stacks/dev/cdk.tf.json").exists()


def test_on_the_local_cloud_the_s3_backend_works_inside_the_account_as_the_deploy_role():
    # The state bucket and key grant only their own account; the local cloud's caller is in its
    # management account, so the backend assumes the role the provider assumes.
    role = "arn:aws:iam::111111111111:role/mlgov-deploy"
    stack = {
        "provider": {"aws": [{"region": "us-east-1", "assume_role": [{"role_arn": role}]}]},
        "terraform": {
            "backend": {"s3": {"bucket": "b", "key": "platform/dev.tfstate", "region": "us-east-1"}}
        },
    }
    backend = targets.local_override(stack, "http://127.0.0.1:5999", "us-east-1")["terraform"]["backend"][
        "s3"
    ]
    assert backend["assume_role"]["role_arn"] == role
    assert (backend["bucket"], backend["key"]) == ("b", "platform/dev.tfstate")
    # a backend that names its own role keeps it
    stack["terraform"]["backend"]["s3"]["assume_role"] = {"role_arn": "arn:aws:iam::111111111111:role/other"}
    backend = targets.local_override(stack, "http://127.0.0.1:5999", "us-east-1")["terraform"]["backend"][
        "s3"
    ]
    assert backend["assume_role"]["role_arn"].endswith(":role/other")
