"""Helpers of the pipeline and job tests: roles SageMaker may assume, step scripts on S3, and
waiting for a job or an execution to end (polling with a generous deadline, never a fixed sleep)."""

from __future__ import annotations

import json
import time
from typing import Any

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
BUCKET = "mlgov-test-pipelines"
DEADLINE_S = 180.0

TRUST_SAGEMAKER = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def sagemaker_role(iam: Any, name: str, statements: list[dict[str, Any]] | None = None) -> str:
    """A role trusting SageMaker, with ``statements`` as its inline policy (everything when None)."""
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_SAGEMAKER)["Role"]["Arn"]
    policy = statements if statements is not None else [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="inline",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": policy}),
    )
    return str(arn)


def put_script(s3: Any, key: str, body: str) -> str:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())
    return f"s3://{BUCKET}/{key}"


def wait_for(describe: Any, status_key: str, running: tuple[str, ...]) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        described: dict[str, Any] = describe()
        if described[status_key] not in running:
            return described
        assert time.monotonic() < deadline, f"still {described[status_key]} after {DEADLINE_S} s: {described}"
        time.sleep(0.2)


def wait_processing(sm: Any, name: str) -> dict[str, Any]:
    return wait_for(
        lambda: sm.describe_processing_job(ProcessingJobName=name),
        "ProcessingJobStatus",
        ("InProgress", "Stopping"),
    )


def wait_training(sm: Any, name: str) -> dict[str, Any]:
    return wait_for(
        lambda: sm.describe_training_job(TrainingJobName=name),
        "TrainingJobStatus",
        ("InProgress", "Stopping"),
    )


def wait_execution(sm: Any, arn: str) -> dict[str, Any]:
    return wait_for(
        lambda: sm.describe_pipeline_execution(PipelineExecutionArn=arn),
        "PipelineExecutionStatus",
        ("Executing", "Stopping"),
    )


def steps_of(sm: Any, arn: str) -> dict[str, dict[str, Any]]:
    return {
        s["StepName"]: s
        for s in sm.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    }


def processing_request(name: str, role: str, script_uri: str, **overrides: Any) -> dict[str, Any]:
    """A processing job running ``script_uri`` (a Python file on S3) as its code input."""
    request: dict[str, Any] = {
        "ProcessingJobName": name,
        "RoleArn": role,
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30}
        },
        "AppSpecification": {
            "ImageUri": IMAGE,
            "ContainerEntrypoint": [
                "python3",
                f"/opt/ml/processing/input/code/{script_uri.rsplit('/', 1)[-1]}",
            ],
        },
        "ProcessingInputs": [
            {
                "InputName": "code",
                "S3Input": {
                    "S3Uri": script_uri,
                    "LocalPath": "/opt/ml/processing/input/code",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
    }
    request.update(overrides)
    return request


def training_request(name: str, role: str, script_uri: str, **overrides: Any) -> dict[str, Any]:
    """A training job running ``script_uri`` (a Python file on S3, channel ``code``)."""
    request: dict[str, Any] = {
        "TrainingJobName": name,
        "RoleArn": role,
        "AlgorithmSpecification": {
            "TrainingImage": IMAGE,
            "TrainingInputMode": "File",
            "ContainerEntrypoint": ["python3", f"/opt/ml/input/data/code/{script_uri.rsplit('/', 1)[-1]}"],
        },
        "InputDataConfig": [
            {
                "ChannelName": "code",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": script_uri}},
            }
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }
    request.update(overrides)
    return request
