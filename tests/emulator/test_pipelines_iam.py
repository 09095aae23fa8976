"""Jobs and pipelines on the served local cloud with IAM enforced: the job's role reads and
writes its data, the pipeline's role makes its steps' calls, the caller passes roles with
iam:PassRole, and every call is authorized against the pipeline and job ARNs AWS evaluates.

One local cloud for the module (server mode: the jobs call back into it over HTTP as their role).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from environments import load_platform
from scripts.localcloud import LocalCloud

from .workflow_support import (
    BUCKET,
    TRUST_SAGEMAKER,
    processing_request,
    steps_of,
    wait_execution,
    wait_processing,
)

CONFIG = Config(retries={"mode": "standard", "max_attempts": 2})
DEV = load_platform().env("dev")
ACCOUNT = DEV.account_id


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with LocalCloud(state_dir=tmp_path_factory.mktemp("pipelines-iam")) as running:
        assert running.status()["enforce_iam"] is True
        yield running


def _session(creds: dict[str, str]) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


@pytest.fixture(scope="module")
def dev(cloud: LocalCloud) -> boto3.Session:
    env = cloud.env()
    admin = boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )
    sts = admin.client("sts", endpoint_url=cloud.url, config=CONFIG)
    return _session(sts.assume_role(RoleArn=DEV.deploy_role_arn, RoleSessionName="setup")["Credentials"])


def client(cloud: LocalCloud, session: boto3.Session, service: str) -> Any:
    return session.client(service, endpoint_url=cloud.url, config=CONFIG)


def role(
    cloud: LocalCloud,
    dev: boto3.Session,
    name: str,
    statements: list[dict[str, Any]],
    trust: str = TRUST_SAGEMAKER,
) -> str:
    iam = client(cloud, dev, "iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="inline",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    return str(arn)


def caller(
    cloud: LocalCloud, dev: boto3.Session, name: str, statements: list[dict[str, Any]]
) -> boto3.Session:
    """A session of a new role of the dev account with ``statements`` as its policy."""
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    arn = role(cloud, dev, name, statements, trust)
    sts = client(cloud, dev, "sts")
    return _session(sts.assume_role(RoleArn=arn, RoleSessionName=name)["Credentials"])


def allow(actions: list[str] | str, resources: list[str] | str = "*", **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


LOGS = allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"])
CODE_AND_OUTPUT = [
    allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/code/*"),
    allow("s3:ListBucket", f"arn:aws:s3:::{BUCKET}"),
    allow("s3:PutObject", f"arn:aws:s3:::{BUCKET}/out/*"),
    LOGS,
]
WHO_AM_I = """
import json, pathlib, boto3
identity = boto3.client('sts').get_caller_identity()
data = sorted(p.name for p in pathlib.Path('/opt/ml/processing/input/data').iterdir())
out = pathlib.Path('/opt/ml/processing/output/who')
out.mkdir(parents=True, exist_ok=True)
(out / 'who.json').write_text(json.dumps({'arn': identity['Arn'], 'data': data}))
"""


@pytest.fixture(scope="module")
def world(cloud: LocalCloud, dev: boto3.Session) -> dict[str, Any]:
    s3 = client(cloud, dev, "s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="data/raw.csv", Body=b"x\n1\n")
    s3.put_object(Bucket=BUCKET, Key="code/who.py", Body=WHO_AM_I.encode())
    return {
        "reader": role(
            cloud,
            dev,
            "job-reader",
            [*CODE_AND_OUTPUT, allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/data/*")],
        ),
        "blind": role(cloud, dev, "job-blind", CODE_AND_OUTPUT),
    }


def who_request(name: str, role_arn: str) -> dict[str, Any]:
    request = processing_request(name, role_arn, f"s3://{BUCKET}/code/who.py")
    request["ProcessingInputs"].append(
        {
            "InputName": "data",
            "S3Input": {
                "S3Uri": f"s3://{BUCKET}/data/raw.csv",
                "LocalPath": "/opt/ml/processing/input/data",
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
            },
        }
    )
    request["ProcessingOutputConfig"] = {
        "Outputs": [
            {
                "OutputName": "who",
                "S3Output": {
                    "S3Uri": f"s3://{BUCKET}/out/{name}",
                    "LocalPath": "/opt/ml/processing/output/who",
                    "S3UploadMode": "EndOfJob",
                },
            }
        ]
    }
    return request


def test_a_job_reads_writes_and_calls_aws_as_its_role(cloud, dev, world):
    sm, s3 = client(cloud, dev, "sagemaker"), client(cloud, dev, "s3")
    sm.create_processing_job(**who_request("as-reader", world["reader"]))
    described = wait_processing(sm, "as-reader")
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    seen = json.loads(s3.get_object(Bucket=BUCKET, Key="out/as-reader/who.json")["Body"].read())
    assert seen == {"arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/job-reader/SageMaker", "data": ["raw.csv"]}


def test_a_job_whose_role_may_not_read_its_input_fails_with_the_reason(cloud, dev, world):
    sm = client(cloud, dev, "sagemaker")
    sm.create_processing_job(**who_request("as-blind", world["blind"]))
    described = wait_processing(sm, "as-blind")
    assert described["ProcessingJobStatus"] == "Failed"
    assert described["FailureReason"].startswith("ClientError: Failed to download data. AccessDenied (403)")
    assert f"s3://{BUCKET}/data/raw.csv" in described["FailureReason"]


def test_a_role_that_does_not_trust_sagemaker_is_refused(cloud, dev, world):
    lambda_trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    arn = role(cloud, dev, "lambda-only", CODE_AND_OUTPUT, lambda_trust)
    with pytest.raises(ClientError) as error:
        client(cloud, dev, "sagemaker").create_processing_job(**who_request("no-trust", arn))
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert error.value.response["Error"]["Message"].startswith(f"Could not assume role {arn}.")


def test_passing_a_role_needs_iam_pass_role_to_sagemaker(cloud, dev, world):
    reader = world["reader"]
    jobs = allow(["sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob"])
    cases = {
        "no-pass-role": [jobs],
        "pass-to-lambda": [
            jobs,
            allow("iam:PassRole", reader, StringEquals={"iam:PassedToService": "lambda.amazonaws.com"}),
        ],
    }
    for name, statements in cases.items():
        sm = client(cloud, caller(cloud, dev, name, statements), "sagemaker")
        with pytest.raises(ClientError) as error:
            sm.create_processing_job(**who_request(f"job-{name}", reader))
        assert error.value.response["Error"]["Code"] == "AccessDeniedException"
        # AWS's wording (IAM User Guide, "Access denied error messages"), as SageMaker answers it.
        assert error.value.response["Error"]["Message"] == (
            f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{name}/{name} is not authorized to perform: iam:PassRole "
            f"on resource: {reader} because no identity-based policy allows the iam:PassRole action"
        )
    passing = [
        jobs,
        allow("iam:PassRole", reader, StringEquals={"iam:PassedToService": "sagemaker.amazonaws.com"}),
    ]
    sm = client(cloud, caller(cloud, dev, "pass-to-sagemaker", passing), "sagemaker")
    sm.create_processing_job(**who_request("job-passed", reader))
    assert wait_processing(sm, "job-passed")["ProcessingJobStatus"] == "Completed"


def _pipeline(job_role: str) -> str:
    request = who_request("unused", job_role)
    arguments = {k: v for k, v in request.items() if k != "ProcessingJobName"}
    arguments["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] = {
        "Std:Join": {"On": "/", "Values": [f"s3://{BUCKET}/out", {"Get": "Execution.PipelineExecutionId"}]}
    }
    return json.dumps(
        {
            "Version": "2020-12-01",
            "Parameters": [],
            "Steps": [{"Name": "Who", "Type": "Processing", "Arguments": arguments}],
        }
    )


def test_a_pipeline_makes_its_steps_calls_as_its_role(cloud, dev, world):
    """The pipeline role starts the job (it needs CreateProcessingJob and PassRole of the job's
    role); without CreateProcessingJob its step fails with the refusal."""
    reader = world["reader"]
    step_calls = [
        allow(
            [
                "sagemaker:CreateProcessingJob",
                "sagemaker:DescribeProcessingJob",
                "sagemaker:StopProcessingJob",
            ]
        ),
        allow("iam:PassRole", reader, StringEquals={"iam:PassedToService": "sagemaker.amazonaws.com"}),
    ]
    able = role(cloud, dev, "pipeline-able", step_calls)
    unable = role(cloud, dev, "pipeline-unable", step_calls[1:])
    sm = client(cloud, dev, "sagemaker")
    results = {}
    for name, pipeline_role in (("able", able), ("unable", unable)):
        sm.create_pipeline(
            PipelineName=f"who-{name}", RoleArn=pipeline_role, PipelineDefinition=_pipeline(reader)
        )
        arn = sm.start_pipeline_execution(PipelineName=f"who-{name}")["PipelineExecutionArn"]
        results[name] = (wait_execution(sm, arn), steps_of(sm, arn)["Who"])
    described, step = results["able"]
    assert described["PipelineExecutionStatus"] == "Succeeded", step.get("FailureReason")
    execution_id = described["PipelineExecutionArn"].rsplit("/", 1)[-1]
    seen = json.loads(
        client(cloud, dev, "s3").get_object(Bucket=BUCKET, Key=f"out/{execution_id}/who.json")["Body"].read()
    )
    assert seen["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/job-reader/SageMaker"
    described, step = results["unable"]
    assert described["PipelineExecutionStatus"] == "Failed"
    assert step["FailureReason"].startswith("AccessDeniedException: User: ")
    assert (
        "assumed-role/pipeline-unable/SageMaker is not authorized to perform: sagemaker:CreateProcessingJob"
        in step["FailureReason"]
    )


def test_pipeline_and_job_calls_are_authorized_against_their_arns(cloud, dev, world):
    sm = client(cloud, dev, "sagemaker")
    for job in ("as-scoped", "other-scoped"):
        sm.create_processing_job(**who_request(job, world["reader"]))
    sm.create_pipeline(
        PipelineName="scoped-a", RoleArn=world["reader"], PipelineDefinition=_pipeline(world["reader"])
    )
    sm.create_pipeline(
        PipelineName="scoped-b", RoleArn=world["reader"], PipelineDefinition=_pipeline(world["reader"])
    )
    prefix = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}"
    scoped = client(
        cloud,
        caller(
            cloud,
            dev,
            "scoped",
            [
                allow(
                    ["sagemaker:DescribePipeline", "sagemaker:ListPipelineExecutions"],
                    f"{prefix}:pipeline/scoped-a",
                ),
                allow("sagemaker:DescribeProcessingJob", f"{prefix}:processing-job/as-*"),
            ],
        ),
        "sagemaker",
    )
    assert scoped.describe_pipeline(PipelineName="scoped-a")["PipelineName"] == "scoped-a"
    scoped.list_pipeline_executions(PipelineName="scoped-a")
    for call in (
        lambda: scoped.describe_pipeline(PipelineName="scoped-b"),
        lambda: scoped.list_pipelines(),
        lambda: scoped.describe_processing_job(ProcessingJobName="other-scoped"),
    ):
        with pytest.raises(ClientError) as error:
            call()
        assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    scoped.describe_processing_job(ProcessingJobName="as-scoped")
    for job in ("as-scoped", "other-scoped"):
        wait_processing(sm, job)
