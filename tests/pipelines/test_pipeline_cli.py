"""``mlgov pipeline`` on the local cloud (in-process moto with the kit's extensions, one world for
the module): upsert builds the credit-risk pipeline from its module as the data-scientist role,
start checks parameters, wait prints a line per step and fails naming the failed step, list shows
the latest execution; the version it registers goes on through review, approval and promotion.

The world is what the stack creates (tests/governance/conftest.py ``provision``: roles, key,
bucket, groups, SSM parameters), plus the pipeline execution role and the use case's data under
``data/credit-risk/``. Needs the ``pipeline`` extra, as test_credit_risk_pipeline.py does.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from environments import Names, load_platform
from scripts import cli
from scripts.governance import credit_data
from scripts.governance.metadata import META_MODEL_SHA256, META_REPORT_SHA256
from scripts.localcloud.moto_ext import install
from tests.emulator.workflow_support import TRUST_SAGEMAKER
from tests.governance.conftest import DATAZONE_PROJECT_ID, make_promotable, provision

if importlib.util.find_spec("sagemaker.mlops") is None or importlib.util.find_spec("sagemaker.train") is None:
    _MISSING = "the pipeline extra (sagemaker-mlops, sagemaker-train) is not installed"
    if os.environ.get("CI", "").strip().lower() in ("true", "1"):
        pytest.fail(f"{_MISSING}. CI=true: `make install` installs it", pytrace=False)
    pytest.skip(_MISSING, allow_module_level=True)

# One world for the module: the tests share its upserted pipeline, so they share a worker.
pytestmark = pytest.mark.xdist_group("pipeline-cli")

PIPELINE = "mlgov-dev-credit-risk"


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    mp = pytest.MonkeyPatch()
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "MLGOV_ENTRY_ROLE"):
        mp.delenv(key, raising=False)
    mp.setenv("AWS_ACCESS_KEY_ID", "testing")
    mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
    mp.setenv("SAGEMAKER_VALIDATE_ROLE", "false")
    install()
    try:
        with mock_aws():
            platform = load_platform()
            cloud = provision(platform)
            names = Names.of(platform, "dev")
            iam, ssm = (cloud.client("dev", s) for s in ("iam", "ssm"))
            iam.create_role(RoleName=names.role_name("pipeline"), AssumeRolePolicyDocument=TRUST_SAGEMAKER)
            ssm.put_parameter(
                Name=names.ssm_role_arn("pipeline"), Value=names.role_arn("pipeline"), Type="String"
            )
            yield {
                "platform": platform,
                "cloud": cloud,
                "names": names,
                "sm": cloud.client("dev", "sagemaker"),
            }
    finally:
        mp.undo()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    """``mlgov pipeline <argv> --json``: exit code, the JSON on stdout (None if empty), stderr."""
    capsys.readouterr()
    code = cli.main(["pipeline", *argv, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else None, captured.err


@pytest.fixture(scope="module")
def credit_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's credit table as a data scientist has it: a local file (``--data``)."""
    path = tmp_path_factory.mktemp("data") / "credit.csv"
    path.write_text(credit_data.generate().to_csv())
    return path


@pytest.fixture(scope="module")
def upserted(world: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    code = cli.main(["pipeline", "upsert", "--env", "dev", "--json"])
    world["upsert_seconds"] = round(time.monotonic() - started, 1)
    assert code == 0
    return world


def test_upsert_dry_run_builds_nothing_and_upsert_creates_then_updates(world, capsys):
    code, result, _ = run(capsys, "upsert", "--env", "dev", "--dry-run")
    if code == 0 and result["action"] == "would create":
        assert world["sm"].list_pipelines()["PipelineSummaries"] == []
    code, result, _ = run(capsys, "upsert", "--env", "dev")
    assert code == 0, result
    assert result["pipeline"] == PIPELINE and result["action"] in ("created", "updated")
    assert result["steps"] == ["Preprocess", "Train", "Evaluate", "CheckQuality", "Register", "QualityTooLow"]
    names = world["names"]
    assert result["role"] == names.role_arn("pipeline")
    assert result["parameters"]["DataZoneProjectId"] == DATAZONE_PROJECT_ID
    assert result["parameters"]["InputData"] == f"s3://{names.artifact_bucket}/data/credit-risk/"
    described = world["sm"].describe_pipeline(PipelineName=PIPELINE)
    assert described["RoleArn"] == names.role_arn("pipeline")
    code, again, _ = run(capsys, "upsert", "--env", "dev")
    assert code == 0 and again["action"] == "updated"
    code, dry, _ = run(capsys, "upsert", "--env", "dev", "--dry-run")
    assert code == 0 and dry["action"] == "would update" and dry["dry_run"] is True


def test_a_run_registers_a_version_that_goes_through_review_approval_and_promotion(
    upserted, capsys, credit_csv
):
    sm, platform = upserted["sm"], upserted["platform"]
    started = time.monotonic()
    code, result, err = run(
        capsys, "start", "--env", "dev", "--data", str(credit_csv), "--wait", "--interval", "0.5"
    )
    with capsys.disabled():
        print(f"\nupsert {upserted['upsert_seconds']} s, start --wait {time.monotonic() - started:.1f} s")
    assert code == 0, err
    assert result["status"] == "Succeeded"
    assert [s["step"] for s in result["steps"]] == [
        "Preprocess",
        "Train",
        "Evaluate",
        "CheckQuality",
        "Register",
    ]
    for step in ("Preprocess", "Train", "Evaluate", "CheckQuality", "Register"):
        assert f" {step} " in err and "Succeeded" in err, err
    assert "execution Succeeded" in err
    package = sm.describe_model_package(ModelPackageName=result["model_package"])
    assert package["ModelPackageGroupName"] == "mlgov-credit-risk"
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["ModelCard"]["ModelCardStatus"] == "PendingReview"
    card = json.loads(package["ModelCard"]["ModelCardContent"])
    assert card["additional_information"]["custom_details"]["datazone_project_id"] == DATAZONE_PROJECT_ID
    # Evaluate hashed the archive it read and the report it wrote; Register recorded both.
    s3 = upserted["cloud"].client("dev", "s3")

    def sha256_of(uri: str) -> str:
        bucket, key = uri[len("s3://") :].split("/", 1)
        return hashlib.sha256(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest()

    recorded = package["CustomerMetadataProperties"]
    [container] = package["InferenceSpecification"]["Containers"]
    assert recorded[META_MODEL_SHA256] == sha256_of(container["ModelDataUrl"])
    report = package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    assert recorded[META_REPORT_SHA256] == sha256_of(report)
    # --data went under the use case's data/ prefix, encrypted, and became InputData.
    names = upserted["names"]
    digest = hashlib.sha256(credit_csv.read_bytes()).hexdigest()[:16]
    key = f"data/credit-risk/{digest}/credit.csv"
    head = upserted["cloud"].client("dev", "s3").head_object(Bucket=names.artifact_bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"
    used = sm.list_pipeline_parameters_for_execution(PipelineExecutionArn=result["execution"])
    assert {"Name": "InputData", "Value": f"s3://{names.artifact_bucket}/{key}"} in used["PipelineParameters"]

    steps = {r["step"]: r["resource"] for r in result["steps"]}
    code, status, _ = run(capsys, "status", "--env", "dev", "--execution", result["execution"])
    assert (
        code == 0 and status["status"] == "Succeeded" and status["model_package"] == result["model_package"]
    )
    code, listed, err = run(capsys, "list", "--env", "dev")
    assert code == 0, err
    [row] = listed["pipelines"]
    assert code == 0 and row["exists"] and row["latest_status"] in ("Succeeded", "Failed", "Executing")

    # The existing flow, unchanged: review and approve in dev, promote to staging.
    from scripts.governance.promote.job import promote

    version = package["ModelPackageArn"].rsplit("/", 1)[-1]
    make_promotable(platform, "dev", version)
    promoted = promote(platform, "staging", version)
    target = (
        upserted["cloud"]
        .client("staging", "sagemaker")
        .describe_model_package(ModelPackageName=promoted["target_arn"])
    )
    assert json.loads(target["ModelCard"]["ModelCardContent"])["model_overview"]

    # mlgov lineage from the staging copy walks back through the pipeline's jobs to its input.
    capsys.readouterr()
    staged = promoted["target_arn"].rsplit("/", 1)[-1]
    assert cli.main(["lineage", "--env", "staging", "--version", staged, "--json"]) == 0
    walked = json.loads(capsys.readouterr().out)
    assert walked["reaches_dataset"] is True
    assert walked["chain"][-1]["source_uri"] == f"s3://{names.artifact_bucket}/{key}"
    kinds = [n["kind"] for n in walked["chain"]]
    assert kinds[:2] == ["ModelPackage", "ModelPackage"] and kinds[-1] == "DataSet"
    assert kinds[-5:] == ["Model", "TrainingJob", "DataSet", "ProcessingJob", "DataSet"]
    assert walked["chain"][-2]["source_uri"] == steps["Preprocess"]


def test_a_failing_execution_exits_1_naming_the_failed_step(upserted, capsys, credit_csv):
    code, result, err = run(
        capsys,
        "start",
        "--env",
        "dev",
        "--data",
        str(credit_csv),
        "--parameter",
        "MinRocAuc=0.99",
        "--wait",
        "--interval",
        "0.5",
    )
    assert code == 1
    assert result["status"] == "Failed"
    assert "QualityTooLow" in err and "below the floor MinRocAuc = 0.99" in err, err
    assert "Register" not in [s["step"] for s in result["steps"]]
    code, status, err = run(capsys, "status", "--env", "dev", "--execution", result["execution"])
    assert code == 1 and status["status"] == "Failed" and "(failed: QualityTooLow)" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["start", "--env", "dev", "--use-case", "fraud"], "unknown use case 'fraud'"),
        (["upsert", "--env", "dev", "--use-case", "fraud"], "unknown use case 'fraud'"),
        (["start", "--env", "dev", "--parameter", "MinAuc=0.8"], "has no parameter 'MinAuc'"),
        (["start", "--env", "dev", "--parameter", "MinRocAuc=high"], "MinRocAuc is a Float parameter"),
        (["start", "--env", "dev", "--parameter", "MinRocAuc"], "expected Name=Value"),
        (["start", "--env", "staging"], "no pipeline 'mlgov-staging-credit-risk'"),
        (
            [
                "status",
                "--env",
                "dev",
                "--execution",
                "arn:aws:sagemaker:us-east-1:1:pipeline/other/execution/x",
            ],
            "is not an execution of pipeline",
        ),
        (["status", "--env", "staging"], "no pipeline"),
        (["start", "--env", "dev", "--data", "/nonexistent/credit.csv"], "no such file"),
        (["start", "--env", "dev", "--data", __file__, "--parameter", "InputData=s3://b/k"], "give one"),
    ],
)
def test_bad_input_is_refused_with_exit_2_and_nothing_started(upserted, capsys, argv, message):
    before = upserted["sm"].list_pipeline_executions(PipelineName=PIPELINE)["PipelineExecutionSummaries"]
    code, _, err = run(capsys, *argv)
    assert code == 2, err
    assert message in err
    after = upserted["sm"].list_pipeline_executions(PipelineName=PIPELINE)["PipelineExecutionSummaries"]
    assert after == before
