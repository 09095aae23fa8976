"""mlgov console entry (dispatch, help true to the code) and the demo workflow on moto."""

from __future__ import annotations

import pytest

from scripts import cli
from scripts.governance import workflow


def test_workflow_runs_the_whole_chain(cloud, platform):
    """Without serving (moto in process runs no endpoint: the deployed-cloud e2e test and the demo
    serve, invoke and monitor); the version is marked Deployed instead."""
    lines = []
    out = workflow.run_workflow(platform, say=lines.append, serving=False, pipeline=False)
    assert out["chain"] == ["dev", "staging", "prod"]
    assert [p["created"] for p in out["promotions"]] == [True, True]
    rows = {(r["env"], r["version"]): r for r in out["report"]["versions"]}
    assert rows[("prod", 1)]["stage_status"] == "Deployed"
    assert rows[("prod", 1)]["approval"] == "Approved" and rows[("prod", 1)]["card"] == "Approved"
    assert ["dev v1", "staging v1", "prod v1"] in out["report"]["chains"]
    # The deployed version's evaluation, printed section by section.
    sections = out["evaluation"]
    assert {"accuracy", "roc_auc"} <= set(sections["quality"])
    assert {"CI", "DPL"} <= set(sections["pre_training_bias"])
    assert {"DPPL", "DI"} <= set(sections["post_training_bias"])
    assert len(sections["top_features"]) == workflow.TOP_FEATURES
    assert "serving" not in out and any("mark prod v1 Deployed" in line for line in lines)
    for label in ("quality:", "pre-training bias:", "post-training bias:", "explainability (mean |SHAP|"):
        assert any(line.strip().startswith(label) for line in lines), label
    # v2 passes staging and is refused by prod's bias gate, naming DPPL and DI with the limit.
    bias = {f["gate"]: f["reason"] for f in out["refused_bias"]["failures"]}
    assert set(bias) == {"bias:DPPL", "bias:DI"}
    assert "(prod governance.bias_limits.max_abs_dppl)" in bias["bias:DPPL"]
    assert any("- bias:DI: post-training bias DI " in line for line in lines)
    # v3, approved in dev, is refused by staging's quality floors.
    quality = {f["gate"] for f in out["refused_quality"]["failures"]}
    assert {"metric:accuracy", "metric:roc_auc"} <= quality and "approval" not in quality
    # The data scientist's attempt in staging happened and is reported as it went: moto in process
    # does not enforce IAM, so it is not denied here, and the demo says so instead of claiming it.
    duty = out["separation_of_duties"]
    assert (duty["env"], duty["decision"], duty["denied"]) == ("staging", "Approved", False)
    assert any("NOT DENIED" in line and "does not enforce IAM" in line for line in lines)
    # Run again: nothing registered or promoted twice, still refused, a real attempt again.
    again = workflow.run_workflow(platform, say=lambda _: None, serving=False, pipeline=False)
    assert [p["created"] for p in again["promotions"]] == [False, False]
    assert again["separation_of_duties"]["decision"] == "Rejected"
    assert {f["gate"] for f in again["refused_bias"]["failures"]} == {"bias:DPPL", "bias:DI"}
    versions = {(r["env"], r["version"]) for r in again["report"]["versions"]}
    assert versions == {("dev", 1), ("dev", 2), ("dev", 3), ("staging", 1), ("staging", 2), ("prod", 1)}
    assert again["report"]["versions"] and rows[("staging", 1)]["approval"] == "Approved"


def test_the_served_columns_are_the_pipeline_s_features():
    """The demo serves the version the pipeline built: its traffic is in the pipeline's columns."""
    import importlib.util

    from scripts.pipelines import contract

    spec = importlib.util.spec_from_file_location(
        "credit_risk_train", contract.USE_CASES_DIR / "credit-risk" / "steps" / "train.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert workflow.served_features() == tuple(module.FINANCIAL_FEATURES)


def test_demo_traffic_is_in_the_model_s_columns_and_only_the_drifted_rows_drift():
    features = workflow.DEFAULT_SPECS[0].features
    shown, drifted = workflow.traffic(features)
    assert shown.shape == (workflow.SHOWN_ROWS, len(features))
    assert drifted.shape == (workflow.DRIFTED_ROWS, len(features))
    income = features.index("income_k")
    assert drifted[:, income].mean() > 2 * shown[:, income].mean()


def test_separation_of_duties_denial_is_reported_as_denied(cloud, platform, monkeypatch):
    """Where IAM denies the data scientist (AWS, the enforcing local cloud), the demo says DENIED
    and nothing changes. The denial is what AWS returns for an explicit Deny."""
    import boto3
    import botocore.client
    from botocore.exceptions import ClientError

    real = botocore.client.BaseClient._make_api_call

    def caller(client):
        frozen = client._request_signer._credentials.get_frozen_credentials()
        sts = boto3.client(
            "sts",
            region_name="us-east-1",
            aws_access_key_id=frozen.access_key,
            aws_secret_access_key=frozen.secret_key,
            aws_session_token=frozen.token,
        )
        return sts.get_caller_identity()["Arn"]

    def deny_data_scientist(self, op, params):
        if op == "UpdateModelPackage" and "-data-scientist/" in caller(self):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "explicit deny"}}, op)
        return real(self, op, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", deny_data_scientist)
    lines = []
    out = workflow.run_workflow(platform, say=lines.append, serving=False, pipeline=False)
    duty = out["separation_of_duties"]
    assert duty["denied"] is True and "mlgov-staging-data-scientist" in duty["error"]
    assert any(line.strip().startswith("DENIED (as expected)") for line in lines)


def test_cli_dispatches_to_each_job(cloud, capsys):
    assert cli.main(["seed", "--env", "dev", "--json"]) == 0
    assert (
        cli.main(["review", "--env", "dev", "--version", "1", "--status", "PendingReview", "--reason", "r"])
        == 0
    )
    assert (
        cli.main(["review", "--env", "dev", "--version", "1", "--status", "Approved", "--reason", "r"]) == 0
    )
    assert cli.main(["approve", "--env", "dev", "--version", "1", "--reason", "r"]) == 0
    assert cli.main(["promote", "--env", "staging", "--version", "1"]) == 0
    assert cli.main(["promote", "--env", "staging", "--version", "2"]) == 1  # not approved
    assert cli.main(["reject", "--env", "dev", "--version", "2", "--reason", "r"]) == 0
    assert (
        cli.main(["stage", "--env", "staging", "--version", "1", "--status", "Deployed", "--reason", "r"])
        == 0
    )
    assert (
        cli.main(["stage", "--env", "staging", "--version", "1", "--status", "Deployd", "--reason", "r"]) == 2
    )
    assert cli.main(["report"]) == 0
    assert "dev v1 -> staging v1" in capsys.readouterr().out


@pytest.mark.parametrize("command", list(cli.COMMANDS))
def test_help_of_every_command(command, capsys):
    assert cli.main([command, "--help"]) == 0
    assert "usage:" in capsys.readouterr().out


def test_help_lists_real_options(capsys):
    cli.main(["promote", "--help"])
    text = capsys.readouterr().out
    for option in ("--env", "--version", "--use-case", "--dry-run", "--json", "--lock-wait", "--config-dir"):
        assert option in text


CONFIG_READERS = {
    "seed": ["--env", "dev", "--dry-run"],
    "register": [
        "--env",
        "dev",
        "--use-case",
        "u",
        "--artifact",
        "a",
        "--image",
        "i",
        "--metrics",
        "m",
        "--card",
        "c",
    ],
    "review": ["--env", "dev", "--version", "1", "--status", "Approved", "--reason", "r"],
    "approve": ["--env", "dev", "--version", "1", "--reason", "r"],
    "stage": ["--env", "dev", "--version", "1", "--status", "Deployed", "--reason", "r"],
    "promote": ["--env", "staging", "--version", "1"],
    "report": [],
    "lineage": ["--env", "dev", "--version", "1"],
    "batch": ["--env", "dev", "--version", "1", "--reason", "r", "--csv", "rows.csv"],
}


@pytest.mark.parametrize("command", list(CONFIG_READERS))
def test_every_job_reads_the_configuration_folder_deploy_reads(command, tmp_path, monkeypatch, capsys):
    """$MLGOV_ENVIRONMENTS_DIR names the folder for `mlgov deploy`; the jobs read the same one (a
    use case added there and deployed is one they know), unless --config-dir says otherwise."""
    monkeypatch.setenv("MLGOV_ENVIRONMENTS_DIR", str(tmp_path))
    assert cli.main([command, *CONFIG_READERS[command]]) == 2
    assert f"error: {tmp_path}: no environment files" in capsys.readouterr().err
    assert cli.main([command, *CONFIG_READERS[command], "--config-dir", str(tmp_path / "other")]) == 2
    assert f"error: {tmp_path / 'other'}: not a directory of environment files" in capsys.readouterr().err


def test_the_demo_reads_the_configuration_folder_it_deploys(tmp_path, monkeypatch):
    from scripts import demo

    monkeypatch.setenv("MLGOV_ENVIRONMENTS_DIR", str(tmp_path))
    assert demo.build_parser().parse_args([]).config_dir == str(tmp_path)
    monkeypatch.delenv("MLGOV_ENVIRONMENTS_DIR")
    assert demo.build_parser().parse_args([]).config_dir is None


def test_unknown_command_and_bad_usage(capsys):
    assert cli.main(["deploy-everything"]) == 2
    assert "unknown command 'deploy-everything'" in capsys.readouterr().err
    assert cli.main(["approve", "--env", "dev"]) == 2  # --version and --reason missing
    assert cli.main([]) == 2
