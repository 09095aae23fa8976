"""The credit-risk use case's pipeline, built with the SageMaker Python SDK v3 and run by the local
cloud (in-process moto with the kit's extensions).

Needs the ``pipeline`` extra (sagemaker-mlops, sagemaker-train, which ``make install`` installs
with the ``dev`` extra): without it the module is skipped with that reason, and under ``CI=true``
fails instead (as the Node-tool tests do, ``tests/deploy/node_tools.py``): a green CI run must
have run these tests. The committed ``tests/emulator/fixtures/credit_risk_pipeline_definition.json``
is this build's definition (build-time names and hashes aside): set
``MLGOV_WRITE_PIPELINE_FIXTURE=1`` to write it again after changing the pipeline.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scripts.governance import credit_data
from scripts.localcloud.moto_ext import install
from scripts.localcloud.moto_ext.sagemaker import pipeline_definition, pipeline_schema
from scripts.pipelines.contract import PipelineContext, build
from tests.emulator.workflow_support import sagemaker_role, steps_of, wait_execution

# Found, not imported: importing the SDK needs an AWS region (its clients are made at import time).
if importlib.util.find_spec("sagemaker.mlops") is None or importlib.util.find_spec("sagemaker.train") is None:
    _MISSING = "the pipeline extra (sagemaker-mlops, sagemaker-train) is not installed"
    if os.environ.get("CI", "").strip().lower() in ("true", "1"):
        pytest.fail(
            f"{_MISSING}. CI=true: `make install` installs it (the dev extra brings it), so a CI run "
            "fails here instead of going green without these tests",
            pytrace=False,
        )
    pytest.skip(_MISSING, allow_module_level=True)

FIXTURE = Path(__file__).parents[1] / "emulator" / "fixtures" / "credit_risk_pipeline_definition.json"
BUCKET = "mlgov-dev-artifacts"
GROUP = "mlgov-dev-credit-risk"
DATA = f"s3://{BUCKET}/data/credit-risk/credit.csv"
#: Build-time parts of the definition: code upload prefixes (job name + time) and content hashes.
BUILD_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-\d{3}|\d{14}|/[0-9a-f]{64}/|/[0-9a-f]{16}/)")


@pytest.fixture
def local_cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # ModelTrainer checks its role with iam:SimulatePrincipalPolicy, which the local cloud does not
    # serve (moto answers NotImplemented); on AWS a caller without that permission skips the check too.
    monkeypatch.setenv("SAGEMAKER_VALIDATE_ROLE", "false")
    install()
    with mock_aws():
        iam, s3, sm = boto3.client("iam"), boto3.client("s3"), boto3.client("sagemaker")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(
            Bucket=BUCKET, Key="data/credit-risk/credit.csv", Body=credit_data.generate().to_csv().encode()
        )
        sm.create_model_package_group(ModelPackageGroupName=GROUP)
        role = sagemaker_role(iam, "mlgov-dev-pipeline")
        from sagemaker.core.workflow.pipeline_context import PipelineSession

        context = PipelineContext(
            use_case="credit-risk",
            pipeline_name="mlgov-dev-credit-risk",
            role_arn=role,
            bucket=BUCKET,
            output_uri=f"s3://{BUCKET}/pipelines/credit-risk",
            models_uri=f"s3://{BUCKET}/models/credit-risk/pipelines",
            input_data_uri=DATA,
            model_package_group=GROUP,
            region="us-east-1",
            lifecycle_stage="Development",
            session=PipelineSession(default_bucket=BUCKET, default_bucket_prefix="pipelines/credit-risk"),
        )
        yield {"context": context, "sm": sm, "s3": s3, "role": role}


def _normalized(definition: dict[str, Any]) -> str:
    return BUILD_TIME.sub("<build>", json.dumps(definition, indent=1, sort_keys=True))


def test_the_sdk_definition_validates_against_the_vendored_schema_and_is_the_fixture(local_cloud):
    definition = json.loads(build(local_cloud["context"]).definition())
    assert pipeline_schema.schema_errors(definition) == []
    parsed = pipeline_definition.parse(json.dumps(definition))
    assert list(parsed.steps) == [
        "Preprocess",
        "Train",
        "Evaluate",
        "CheckQuality",
        "Register",
        "QualityTooLow",
    ]
    if os.environ.get("MLGOV_WRITE_PIPELINE_FIXTURE"):
        FIXTURE.write_text(json.dumps(definition, indent=1) + "\n")
    assert _normalized(definition) == _normalized(json.loads(FIXTURE.read_text())), (
        "the pipeline's definition changed: write the fixture again with MLGOV_WRITE_PIPELINE_FIXTURE=1"
    )


def _json(s3: Any, uri: str) -> Any:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def _metrics(item: dict[str, Any]) -> dict[str, float]:
    return {m["name"]: m["value"] for group in item["metric_groups"] for m in group["metric_data"]}


def test_the_sample_pipeline_registers_a_version_whose_card_is_the_evaluation(local_cloud):
    sm, s3 = local_cloud["sm"], local_cloud["s3"]
    pipeline = build(local_cloud["context"])
    pipeline.upsert(role_arn=local_cloud["role"])
    started = time.monotonic()
    arn = pipeline.start(parameters={"DataZoneProjectId": "dzp-credit"}).arn
    described = wait_execution(sm, arn)
    steps = steps_of(sm, arn)
    timings = {n: round((s["EndTime"] - s["StartTime"]).total_seconds(), 1) for n, s in steps.items()}
    print(f"execution {round(time.monotonic() - started, 1)} s, steps {timings}")
    assert described["PipelineExecutionStatus"] == "Succeeded", {
        n: s.get("FailureReason") for n, s in steps.items()
    }
    assert set(steps) == {"Preprocess", "Train", "Evaluate", "CheckQuality", "Register"}
    evaluation_job = sm.describe_processing_job(
        ProcessingJobName=steps["Evaluate"]["Metadata"]["ProcessingJob"]["Arn"].rsplit("/", 1)[-1]
    )
    outputs = {
        o["OutputName"]: o["S3Output"]["S3Uri"] for o in evaluation_job["ProcessingOutputConfig"]["Outputs"]
    }
    report = _json(s3, f"{outputs['evaluation']}/evaluation.json")
    bias = _json(s3, f"{outputs['bias']}/analysis.json")
    explainability = _json(s3, f"{outputs['explainability']}/analysis.json")
    training = sm.describe_training_job(
        TrainingJobName=steps["Train"]["Metadata"]["TrainingJob"]["Arn"].rsplit("/", 1)[-1]
    )

    package = sm.describe_model_package(
        ModelPackageName=steps["Register"]["Metadata"]["RegisterModel"]["Arn"]
    )
    assert package["ModelPackageGroupName"] == GROUP
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["ModelCard"]["ModelCardStatus"] == "PendingReview"
    card = json.loads(package["ModelCard"]["ModelCardContent"])
    assert package["ModelCard"]["ModelCardContent"] == report["model_card_content"]
    assert card["model_overview"]["model_artifact"] == [training["ModelArtifacts"]["S3ModelArtifacts"]]
    assert (
        package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
        == training["ModelArtifacts"]["S3ModelArtifacts"]
    )
    assert card["intended_uses"]["risk_rating"] == "High" and card["business_details"]["line_of_business"]
    assert card["additional_information"]["custom_details"] == {
        "datazone_project_id": "dzp-credit",
        "use_case": "credit-risk",
    }
    assert card["training_details"]["training_job_details"]["training_arn"] == training["TrainingJobArn"]
    entries = {item["name"]: item for item in card["evaluation_details"]}
    assert _metrics(entries["holdout-evaluation"]) == report["metrics"]
    assert report["metrics"]["roc_auc"] >= 0.75
    for stage, name in (
        ("pre_training_bias_metrics", "pre-training-bias"),
        ("post_training_bias_metrics", "post-training-bias"),
    ):
        reported = {
            m["name"]: m["value"]
            for m in bias[stage]["facets"]["age_group"][0]["metrics"]
            if m["value"] is not None
        }
        assert _metrics(entries[name]) == reported and reported
    shap = explainability["explanations"]["kernel_shap"]["good_credit"]["global_shap_values"]
    assert _metrics(entries["explainability"]) == shap
    assert entries["pre-training-bias"]["datasets"] == [f"{outputs['bias']}/analysis.json"]
    quality = package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    assert quality == f"{outputs['evaluation']}/evaluation.json"
    # Lineage: from the version back through training and preprocessing to the credit table.
    [package_artifact] = sm.list_artifacts(SourceUri=package["ModelPackageArn"])["ArtifactSummaries"]
    seen: set[str] = set()
    frontier = [package_artifact["ArtifactArn"]]
    while frontier:
        arn_ = frontier.pop()
        for association in sm.list_associations(DestinationArn=arn_)["AssociationSummaries"]:
            if association["SourceArn"] not in seen:
                seen.add(association["SourceArn"])
                frontier.append(association["SourceArn"])
    uris = {sm.describe_artifact(ArtifactArn=a)["Source"]["SourceUri"] for a in seen if ":artifact/" in a}
    assert DATA in uris


def test_a_quality_floor_the_model_misses_stops_before_registration(local_cloud):
    sm = local_cloud["sm"]
    pipeline = build(local_cloud["context"])
    pipeline.upsert(role_arn=local_cloud["role"])
    arn = pipeline.start(parameters={"MinRocAuc": 0.99, "DataZoneProjectId": "dzp-credit"}).arn
    assert wait_execution(sm, arn)["PipelineExecutionStatus"] == "Failed"
    steps = steps_of(sm, arn)
    assert "Register" not in steps
    assert (
        steps["QualityTooLow"]["FailureReason"]
        == "ROC AUC on the held-out rows is below the floor MinRocAuc = 0.99"
    )
    assert sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"] == []
