"""``mlgov monitor`` with a baseline: dev v1 served, a data-quality baseline of its training rows
(written by Model Monitor's baselining job, in its format, under ``baseline/`` beside the
version's archive), drifted traffic sent through ``mlgov invoke``; the one-time monitoring run,
as the model-deploy role, reports the drifted features and only them, and leaves no schedule."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from scripts.serving import deploy, runtime
from tests.emulator.serving_kit import ANALYZER, FEATURES, csv_body, expected
from tests.serving.conftest import ServingWorld, rows

pytestmark = pytest.mark.xdist_group("serving-jobs")


def _baseline(world: ServingWorld, model_uri: str) -> None:
    """Statistics and constraints of 2,000 training rows with the model's predictions, by a
    processing job of the analyzer image (as the execution role), copied beside the archive."""
    dev = world.accounts["dev"]
    s3, sm, bucket = dev.client("s3"), dev.client("sagemaker"), dev.names.artifact_bucket
    matrix = rows(2000)
    header = ",".join(["predicted_label", "probability", *FEATURES])
    lines = [header] + [
        f"{label},{probability!r}," + ",".join(repr(float(v)) for v in row)
        for (label, probability), row in zip(expected(world.models["logistic"], matrix), matrix, strict=True)
    ]
    s3.put_object(Bucket=bucket, Key="monitoring/baselining/dataset.csv", Body="\n".join(lines) + "\n")
    sm.create_processing_job(
        ProcessingJobName="baseline-dev-v1",
        RoleArn=dev.names.role_arn("execution"),
        AppSpecification={"ImageUri": ANALYZER},
        ProcessingResources={
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
        },
        Environment={
            "dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
            "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
            "output_path": "/opt/ml/processing/output",
            "publish_cloudwatch_metrics": "Disabled",
        },
        ProcessingInputs=[
            {
                "InputName": "baseline_dataset_input",
                "S3Input": {
                    "S3Uri": f"s3://{bucket}/monitoring/baselining/dataset.csv",
                    "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "monitoring_output",
                    "S3Output": {
                        "S3Uri": f"s3://{bucket}/monitoring/baselining/out",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
    )
    deadline = time.monotonic() + 180
    while (job := sm.describe_processing_job(ProcessingJobName="baseline-dev-v1"))["ProcessingJobStatus"] in (
        "InProgress",
        "Stopping",
    ):
        assert time.monotonic() < deadline, "the baselining job did not end within 180 s"
        time.sleep(0.5)
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    prefix = model_uri.removeprefix(f"s3://{bucket}/").rsplit("/", 1)[0]
    for name in ("statistics.json", "constraints.json"):
        body = s3.get_object(Bucket=bucket, Key=f"monitoring/baselining/out/{name}")["Body"].read()
        s3.put_object(Bucket=bucket, Key=f"{prefix}/baseline/{name}", Body=body)


def test_monitor_reports_the_drifted_features_against_the_versions_baseline(world: ServingWorld) -> None:
    platform, dev = world.platform, world.accounts["dev"]
    arn = dev.register("v1", world.archives["logistic"])
    deploy.serve(platform, "dev", arn, "watch it")
    model_uri = dev.client("sagemaker").describe_model_package(ModelPackageName=arn)[
        "InferenceSpecification"
    ]["Containers"][0]["ModelDataUrl"]
    _baseline(world, model_uri)
    drifted = rows(600, start=2000).copy()
    drifted[:, FEATURES.index("income_k")] *= 3
    drifted[:, FEATURES.index("debt_to_income")] += 0.4
    for start in range(0, len(drifted), 50):
        runtime.invoke(platform, "dev", csv_body(drifted[start : start + 50]))

    result: dict[str, Any] = {}
    deadline = time.monotonic() + 60
    # Captured records reach S3 within the capture flush (0.3 s here); a run that saw only part
    # of them is repeated, never slept through.
    while time.monotonic() < deadline:
        result = runtime.monitor(platform, "dev")
        if result["status"] == "CompletedWithViolations":
            break
    assert result["status"] == "CompletedWithViolations", (result["status"], result["exit_message"])
    drift = {
        v["feature_name"]
        for v in result["violations"]
        if v["constraint_check_type"] == "baseline_drift_check"
    }
    assert {"income_k", "debt_to_income"} <= drift
    assert "loan_amount_k" not in drift and "late_payments_2y" not in drift
    assert result["report_uri"].startswith(f"s3://{dev.names.artifact_bucket}/monitoring/")
    assert dev.client("sagemaker").list_monitoring_schedules()["MonitoringScheduleSummaries"] == []
    assert runtime.render_monitor(result).count("baseline_drift_check") == len(drift)


def _served_baseline(world: ServingWorld) -> dict[str, bytes]:
    dev = world.accounts["dev"]
    s3, bucket = dev.client("s3"), dev.names.artifact_bucket
    prefix = dev.names.served_baseline_prefix("credit-risk")
    found = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"][len(prefix) :]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in found}


def test_serve_publishes_the_served_versions_baseline_for_the_scheduled_monitor(world: ServingWorld) -> None:
    """The stack's scheduled monitor (modules/monitoring.py) reads the baseline at
    Names.served_baseline_prefix: serve puts the served version's there, a version without one
    and undeploy take it away. Its job definition, run once as the execution role over the
    drifted traffic above, finds the drift."""
    platform, dev = world.platform, world.accounts["dev"]
    names = dev.names
    arn = dev.register("v1", world.archives["logistic"])  # the previous test's, baseline and all
    served = deploy.serve(platform, "dev", arn, "watch it on a schedule")
    served_prefix = names.served_baseline_prefix("credit-risk")
    assert served["monitoring_baseline"] == f"s3://{names.artifact_bucket}/{served_prefix}"
    s3, sm = dev.client("s3"), dev.client("sagemaker")
    model_uri = sm.describe_model_package(ModelPackageName=arn)["InferenceSpecification"]["Containers"][0][
        "ModelDataUrl"
    ]
    version_prefix = model_uri.removeprefix(f"s3://{names.artifact_bucket}/").rsplit("/", 1)[0]
    version_baseline = {
        name: s3.get_object(Bucket=names.artifact_bucket, Key=f"{version_prefix}/baseline/{name}")[
            "Body"
        ].read()
        for name in ("statistics.json", "constraints.json")
    }
    assert _served_baseline(world) == version_baseline

    # the scheduled monitor's job definition as the stack writes it, run once (NOW)
    from modules.monitoring import ENDPOINT_INPUT_PATH, RESULTS_PATH

    name = names.data_quality_monitor("credit-risk")
    baseline = f"s3://{names.artifact_bucket}/{served_prefix}"
    sm.create_data_quality_job_definition(
        JobDefinitionName=name,
        DataQualityBaselineConfig={
            "ConstraintsResource": {"S3Uri": f"{baseline}constraints.json"},
            "StatisticsResource": {"S3Uri": f"{baseline}statistics.json"},
        },
        DataQualityAppSpecification={"ImageUri": names.model_monitor_image},
        DataQualityJobInput={
            "EndpointInput": {
                "EndpointName": names.endpoint_name("credit-risk"),
                "LocalPath": ENDPOINT_INPUT_PATH,
            }
        },
        DataQualityJobOutputConfig={
            "MonitoringOutputs": [
                {"S3Output": {"S3Uri": f"s3://{names.artifact_bucket}/monitoring", "LocalPath": RESULTS_PATH}}
            ],
            "KmsKeyId": dev.key_arn,
        },
        JobResources={
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.xlarge",
                "VolumeSizeInGB": 20,
                "VolumeKmsKeyId": dev.key_arn,
            }
        },
        NetworkConfig={"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True},
        RoleArn=names.role_arn("execution"),
    )
    sm.create_monitoring_schedule(
        MonitoringScheduleName=name,
        MonitoringScheduleConfig={
            "ScheduleConfig": {
                "ScheduleExpression": "NOW",
                "DataAnalysisStartTime": "-PT1H",
                "DataAnalysisEndTime": "-PT0H",
            },
            "MonitoringJobDefinitionName": name,
            "MonitoringType": "DataQuality",
        },
    )
    deadline = time.monotonic() + 180
    while True:
        found = sm.list_monitoring_executions(MonitoringScheduleName=name)["MonitoringExecutionSummaries"]
        if found and found[0]["MonitoringExecutionStatus"] not in ("Pending", "InProgress"):
            break
        assert time.monotonic() < deadline, "the scheduled monitor's run did not end within 180 s"
        time.sleep(0.5)
    assert found[0]["MonitoringExecutionStatus"] == "CompletedWithViolations", found[0].get("FailureReason")
    sm.delete_monitoring_schedule(MonitoringScheduleName=name)
    sm.delete_data_quality_job_definition(JobDefinitionName=name)

    # a version without a baseline takes the old one away; so does undeploy
    bare = dev.register("v1-no-baseline", world.archives["forest"])
    assert deploy.serve(platform, "dev", bare, "no baseline")["monitoring_baseline"] is None
    assert _served_baseline(world) == {}
    deploy.serve(platform, "dev", arn, "back to v1")
    assert _served_baseline(world) == version_baseline
    deploy.undeploy(platform, "dev", "done")
    assert _served_baseline(world) == {}
