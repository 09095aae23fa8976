"""``mlgov pipeline`` on the deployed local cloud with IAM enforced: the stacks' own roles
(modules/pipelines.py) are all the credit-risk pipeline gets.

The data-scientist role upserts and starts the pipeline; SageMaker runs it and its jobs as the
pipeline execution role, whose policy the dev stack applied: the run registers a version in dev
(PendingManualApproval, card PendingReview) whose card carries the evaluation step's metrics and
whose lineage (read as the approver) reaches the uploaded dataset; a quality floor the model misses stops before registration; the data scientist may not create a
pipeline named for a use case the environment does not have. Registers versions in dev, so it
runs after test_workflow.py (``e2e_after_workflow``).
"""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from environments import Names
from scripts import cli
from scripts.governance import credit_data
from scripts.governance.context import env_context
from tests.e2e.deployed import DeployedCloud

if importlib.util.find_spec("sagemaker.mlops") is None:
    pytest.skip(
        "the pipeline extra (sagemaker-mlops, sagemaker-train) is not installed", allow_module_level=True
    )

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_after_workflow]


@pytest.fixture
def as_user(deployed_cloud: DeployedCloud, monkeypatch: pytest.MonkeyPatch, tmp_path) -> dict[str, Any]:
    for key, value in deployed_cloud.cloud.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("SAGEMAKER_VALIDATE_ROLE", "false")
    data = tmp_path / "credit.csv"
    data.write_text(credit_data.generate().to_csv())
    return {"data": str(data), "platform": deployed_cloud.platform}


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    capsys.readouterr()
    code = cli.main(["pipeline", *argv, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else None, captured.err


def test_the_pipeline_runs_as_the_platform_roles_with_iam_enforced(as_user, deployed_cloud, capsys):
    code, upserted, err = _run(capsys, "upsert", "--env", "dev")
    assert code == 0, err
    assert upserted["role"] == Names.of(as_user["platform"], "dev").role_arn("pipeline")

    code, run, err = _run(
        capsys, "start", "--env", "dev", "--data", as_user["data"], "--wait", "--interval", "1"
    )
    assert code == 0, err
    assert run["status"] == "Succeeded"
    sm = deployed_cloud.account("dev").client("sagemaker")
    package = sm.describe_model_package(ModelPackageName=run["model_package"])
    assert (package["ModelApprovalStatus"], package["ModelCard"]["ModelCardStatus"]) == (
        "PendingManualApproval",
        "PendingReview",
    )
    card = json.loads(package["ModelCard"]["ModelCardContent"])
    report_uri = package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    bucket, key = report_uri.removeprefix("s3://").split("/", 1)
    report = json.loads(
        deployed_cloud.account("dev").client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    )
    entries = {e["name"]: e for e in card["evaluation_details"]}
    metrics = {
        m["name"]: m["value"]
        for g in entries["holdout-evaluation"]["metric_groups"]
        for m in g["metric_data"]
    }
    assert metrics == report["metrics"]

    # mlgov lineage (the approver role) walks back through the pipeline's jobs to the uploaded file.
    capsys.readouterr()
    version = run["model_package"].rsplit("/", 1)[-1]
    assert cli.main(["lineage", "--env", "dev", "--version", version, "--json"]) == 0
    walked = json.loads(capsys.readouterr().out)
    assert walked["reaches_dataset"] is True
    assert walked["chain"][-1]["source_uri"].endswith("/credit.csv")
    assert "/data/credit-risk/" in walked["chain"][-1]["source_uri"]
    assert {"TrainingJob", "ProcessingJob"} <= {n["kind"] for n in walked["chain"]}

    code, failed, err = _run(
        capsys,
        "start",
        "--env",
        "dev",
        "--data",
        as_user["data"],
        "--parameter",
        "MinRocAuc=0.99",
        "--wait",
        "--interval",
        "1",
    )
    assert code == 1 and failed["status"] == "Failed"
    assert "QualityTooLow" in err
    assert "Register" not in [s["step"] for s in failed["steps"]]


def test_the_data_scientist_may_not_create_a_pipeline_of_another_use_case(as_user):
    platform = as_user["platform"]
    names = Names.of(platform, "dev")
    sm = env_context(platform, "dev", "data_scientist", job="test").client("sagemaker")
    definition = json.dumps({"Version": "2020-12-01", "Parameters": [], "Steps": []})
    with pytest.raises(ClientError) as denied:
        sm.create_pipeline(
            PipelineName=names.pipeline_name("fraud"),
            RoleArn=names.role_arn("pipeline"),
            PipelineDefinition=definition,
            ClientRequestToken="another-use-case-000000000000000",
        )
    assert denied.value.response["Error"]["Code"] in ("AccessDeniedException", "AccessDenied")
    assert "sagemaker:CreatePipeline" in denied.value.response["Error"]["Message"]
