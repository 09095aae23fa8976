"""The local cloud serves SageMaker endpoints as SageMaker does, with IAM enforced (server mode).

Each test names the AWS behaviour it pins: InvokeEndpoint answers with the model's own
predictions under the scikit-learn container's contract, a blue/green update whose new variant
cannot load rolls back while the old variant keeps answering, data capture writes what was sent
in SageMaker's capture format under the config's KMS key, batch transform writes the model's
predictions, the SageMaker runtime is authorized against the endpoint's ARN, and CreateModel
needs ``iam:PassRole``. Statuses are polled with generous deadlines, never slept through.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from environments import load_platform
from scripts.localcloud import LocalCloud
from tests.emulator.serving_kit import (
    ANALYZER,
    FEATURES,
    IMAGE,
    World,
    build_world,
    csv_body,
    expected,
    load_from_archive,
    parse_csv_answer,
    rows,
    settled,
    wait_for,
)

ACCOUNT = "111111111111"
#: The admin user the tests start from lives in the management account.
MANAGEMENT = "123456789012"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLGOV_LOCALCLOUD_ENDPOINT_DELAY_S", "0.5")
        patch.setenv("MLGOV_LOCALCLOUD_CAPTURE_FLUSH_S", "0.3")
        with LocalCloud(state_dir=tmp_path_factory.mktemp("serving"), enforce_iam=True) as running:
            yield running


def assume(cloud: LocalCloud, role_arn: str, name: str = "serving-tests") -> boto3.Session:
    env = cloud.env()
    base = boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"],
    )
    creds = base.client("sts", endpoint_url=cloud.url).assume_role(RoleArn=role_arn, RoleSessionName=name)[
        "Credentials"
    ]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=env["AWS_DEFAULT_REGION"],
    )


@pytest.fixture(scope="module")
def world(cloud: LocalCloud) -> World:
    admin = assume(cloud, load_platform().env("dev").deploy_role_arn)
    return build_world(admin, cloud.url, "mlgov-serving-tests")


@pytest.fixture(scope="module")
def endpoint(world: World) -> str:
    """An endpoint of the logistic model, capturing to s3://<bucket>/capture under the key."""
    world.create_model("serving-logistic")
    world.create_config("serving-main", "serving-logistic", capture=f"s3://{world.bucket}/capture")
    world.client("sagemaker").create_endpoint(EndpointName="serving-main", EndpointConfigName="serving-main")
    described = settled(world.client("sagemaker"), "serving-main")
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")
    return "serving-main"


def test_invoke_answers_the_models_own_predictions_in_csv_and_json(world, endpoint):
    runtime = world.client("sagemaker-runtime")
    model = load_from_archive(world.model_bytes)
    matrix = rows(40, start=100)

    answer = runtime.invoke_endpoint(
        EndpointName=endpoint, Body=csv_body(matrix), ContentType="text/csv", Accept="text/csv"
    )
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    assert answer["ContentType"] == "text/csv; charset=utf-8"  # Flask's, as the container sends it
    assert parse_csv_answer(answer["Body"].read().decode()) == expected(model, matrix)

    payload = json.dumps({"instances": matrix.tolist()})
    answer = runtime.invoke_endpoint(EndpointName=endpoint, Body=payload, ContentType="application/json")
    assert answer["ContentType"] == "application/json"  # no Accept: the container's default
    records = json.loads(answer["Body"].read())["predictions"]
    assert [(r["predicted_label"], r["probability"]) for r in records] == expected(model, matrix)

    named = [dict(zip(FEATURES, map(float, row), strict=True)) for row in matrix[:3]]
    answer = runtime.invoke_endpoint(
        EndpointName=endpoint, Body=json.dumps(named), ContentType="application/json"
    )
    records = json.loads(answer["Body"].read())["predictions"]
    assert [(r["predicted_label"], r["probability"]) for r in records] == expected(model, matrix[:3])


def test_a_model_error_is_modelerror_with_the_containers_status_and_log_stream(world, endpoint):
    runtime = world.client("sagemaker-runtime")
    with pytest.raises(ClientError) as error:
        runtime.invoke_endpoint(EndpointName=endpoint, Body=b"1,2", ContentType="text/plain")
    response = error.value.response
    assert response["Error"]["Code"] == "ModelError"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 424
    # The scikit-learn container wraps every user-function error, so an unsupported content
    # type is a 500 with Flask's page, not a 415 (sagemaker-containers _transformer.py).
    assert response["OriginalStatusCode"] == 500
    assert "500 Internal Server Error" in response["OriginalMessage"]
    assert response["Error"]["Message"].startswith('Received server error (500) from primary with message "')
    assert f"group=/aws/sagemaker/Endpoints/{endpoint} in account {ACCOUNT}" in response["Error"]["Message"]
    stream_arn = response["LogStreamArn"]
    assert stream_arn.startswith(
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/sagemaker/Endpoints/{endpoint}:log-stream:AllTraffic/i-"
    )
    logs = world.client("logs")
    stream = stream_arn.split(":log-stream:")[1]
    events = logs.get_log_events(logGroupName=f"/aws/sagemaker/Endpoints/{endpoint}", logStreamName=stream)[
        "events"
    ]
    assert any("is not supported" in e["message"] for e in events)


def test_an_endpoint_that_is_not_there_is_a_validation_error(world):
    with pytest.raises(ClientError) as error:
        world.client("sagemaker-runtime").invoke_endpoint(
            EndpointName="nowhere", Body=b"1", ContentType="text/csv"
        )
    assert error.value.response["Error"]["Code"] == "ValidationError"
    assert error.value.response["Error"]["Message"] == f"Endpoint nowhere of account {ACCOUNT} not found."


def test_a_blue_green_update_to_a_model_that_cannot_load_rolls_back_and_the_old_one_keeps_answering(world):
    sm, runtime = world.client("sagemaker"), world.client("sagemaker-runtime")
    world.create_model("bg-old")
    world.create_model("bg-broken", model_uri=world.broken_uri)
    world.create_config("bg-old", "bg-old")
    world.create_config("bg-broken", "bg-broken")
    sm.create_endpoint(EndpointName="bluegreen", EndpointConfigName="bg-old")
    assert settled(sm, "bluegreen")["EndpointStatus"] == "InService"
    old_model = load_from_archive(world.model_bytes)
    matrix = rows(5)
    answers: list[Any] = []
    stop = threading.Event()

    def keep_invoking() -> None:
        client = world.client("sagemaker-runtime")
        while not stop.is_set():
            try:
                answer = client.invoke_endpoint(
                    EndpointName="bluegreen", Body=csv_body(matrix), ContentType="text/csv", Accept="text/csv"
                )
                answers.append(parse_csv_answer(answer["Body"].read().decode()))
            except ClientError as error:  # recorded: the test fails on any
                answers.append(error.response["Error"])

    deployment = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
            "TerminationWaitInSeconds": 0,
            "MaximumExecutionTimeoutInSeconds": 600,
        },
        "AutoRollbackConfiguration": {},
    }
    invoker = threading.Thread(target=keep_invoking)
    invoker.start()
    try:
        sm.update_endpoint(
            EndpointName="bluegreen", EndpointConfigName="bg-broken", DeploymentConfig=deployment
        )
        assert sm.describe_endpoint(EndpointName="bluegreen")["EndpointStatus"] == "Updating"
        described = settled(sm, "bluegreen")
    finally:
        stop.set()
        invoker.join()
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == "bg-old"
    assert (
        "The primary container for production variant AllTraffic did not pass the ping health check"
        in described["FailureReason"]
    )
    assert described["LastDeploymentConfig"] == deployment
    assert "PendingDeploymentSummary" not in described
    assert answers, "no request was sent during the update"
    assert all(a == expected(old_model, matrix) for a in answers), [
        a for a in answers if a != expected(old_model, matrix)
    ][:3]
    # Still the old model afterwards.
    answer = runtime.invoke_endpoint(
        EndpointName="bluegreen", Body=csv_body(matrix), ContentType="text/csv", Accept="text/csv"
    )
    assert parse_csv_answer(answer["Body"].read().decode()) == expected(old_model, matrix)


def test_a_blue_green_update_to_a_working_model_serves_the_new_model(world):
    sm, runtime = world.client("sagemaker"), world.client("sagemaker-runtime")
    world.create_model("bg-forest", model_uri=world.forest_uri)
    world.create_model("bg-first")
    world.create_config("bg-first", "bg-first")
    world.create_config("bg-forest", "bg-forest")
    sm.create_endpoint(EndpointName="bluegreen-ok", EndpointConfigName="bg-first")
    settled(sm, "bluegreen-ok")
    sm.update_endpoint(EndpointName="bluegreen-ok", EndpointConfigName="bg-forest")
    described = settled(sm, "bluegreen-ok")
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == "bg-forest"
    assert "FailureReason" not in described
    matrix = rows(8, start=50)
    answer = runtime.invoke_endpoint(
        EndpointName="bluegreen-ok", Body=csv_body(matrix), ContentType="text/csv", Accept="text/csv"
    )
    assert parse_csv_answer(answer["Body"].read().decode()) == expected(
        load_from_archive(world.forest_bytes), matrix
    )


def test_a_first_deployment_that_cannot_load_ends_failed(world):
    sm = world.client("sagemaker")
    world.create_model("broken-first", model_uri=world.broken_uri)
    world.create_config("broken-first", "broken-first")
    sm.create_endpoint(EndpointName="broken-first", EndpointConfigName="broken-first")
    described = settled(sm, "broken-first")
    assert described["EndpointStatus"] == "Failed"
    assert described["EndpointConfigName"] == "broken-first"
    assert described["FailureReason"].startswith(
        "The primary container for production variant AllTraffic did not pass the ping health check."
    )
    with pytest.raises(ClientError) as error:
        world.client("sagemaker-runtime").invoke_endpoint(
            EndpointName="broken-first", Body=b"1", ContentType="text/csv"
        )
    assert error.value.response["Error"]["Code"] == "ValidationError"


def test_the_model_archive_is_read_as_the_execution_role(world):
    """SageMaker downloads ModelDataUrl as the model's role: a role without s3:GetObject fails
    the deployment with the reason AWS gives."""
    iam, sm = world.client("iam"), world.client("sagemaker")
    from tests.emulator.serving_kit import SAGEMAKER_TRUST

    blind = iam.create_role(RoleName="serving-blind", AssumeRolePolicyDocument=SAGEMAKER_TRUST)["Role"]["Arn"]
    world.create_model("blind", role_arn=blind)
    world.create_config("blind", "blind")
    sm.create_endpoint(EndpointName="blind", EndpointConfigName="blind")
    described = settled(sm, "blind")
    assert described["EndpointStatus"] == "Failed"
    assert described["FailureReason"] == (
        f'Failed to download model data for container "container_1" from URL: "{world.model_uri}". Please '
        "ensure that there is an object located at the URL and that the role passed to CreateModel has "
        "permissions to download the object."
    )


def test_captured_records_are_what_was_sent_in_sagemakers_format(world, endpoint):
    runtime, s3 = world.client("sagemaker-runtime"), world.client("s3")
    sent = []
    for start in range(300, 306):
        body = csv_body(rows(2, start=start))
        answer = runtime.invoke_endpoint(
            EndpointName=endpoint,
            Body=body,
            ContentType="text/csv",
            Accept="text/csv",
            InferenceId=f"inference-{start}",
        )
        sent.append((body, answer["Body"].read().decode(), f"inference-{start}"))

    def captured() -> list[dict[str, Any]]:
        records = []
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=world.bucket, Prefix=f"capture/{endpoint}/"
        ):
            for item in page.get("Contents", []):
                lines = (
                    s3.get_object(Bucket=world.bucket, Key=item["Key"])["Body"].read().decode().splitlines()
                )
                records += [json.loads(line) | {"_key": item["Key"]} for line in lines]
        ours = [r for r in records if r["eventMetadata"].get("inferenceId", "").startswith("inference-3")]
        return ours if len(ours) >= len(sent) else []

    records = wait_for(captured, timeout=60, what="the captured records")
    by_id = {r["eventMetadata"]["inferenceId"]: r for r in records}
    for body, response, inference_id in sent:
        record = by_id[inference_id]
        assert record["eventVersion"] == "0"
        assert record["captureData"]["endpointInput"] == {
            "observedContentType": "text/csv",
            "mode": "INPUT",
            "data": body,
            "encoding": "CSV",
        }
        assert record["captureData"]["endpointOutput"] == {
            "observedContentType": "text/csv; charset=utf-8",
            "mode": "OUTPUT",
            "data": response,
            "encoding": "CSV",
        }
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["eventMetadata"]["inferenceTime"])
        assert re.fullmatch(
            rf"capture/{endpoint}/AllTraffic/\d{{4}}/\d\d/\d\d/\d\d/\d\d-\d\d-\d{{3}}-[0-9a-f-]{{36}}\.jsonl",
            record["_key"],
        )
        head = s3.head_object(Bucket=world.bucket, Key=record["_key"])
        assert head["ServerSideEncryption"] == "aws:kms"
        assert head["SSEKMSKeyId"] == world.key_arn


def test_invoke_is_authorized_against_the_endpoint_arn(cloud, world, endpoint):
    iam = world.client("iam")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )

    def caller(name: str, resource: str) -> Any:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint", "Resource": resource}],
        }
        iam.put_role_policy(RoleName=name, PolicyName="invoke", PolicyDocument=json.dumps(policy))
        session = assume(cloud, arn, name)
        return session.client("sagemaker-runtime", endpoint_url=cloud.url)

    elsewhere = caller(
        "invoker-elsewhere", f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/some-other-endpoint"
    )
    with pytest.raises(ClientError) as error:
        elsewhere.invoke_endpoint(EndpointName=endpoint, Body=csv_body(rows(1)), ContentType="text/csv")
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "sagemaker:InvokeEndpoint" in error.value.response["Error"]["Message"]

    allowed = caller("invoker-here", f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/{endpoint}")
    answer = allowed.invoke_endpoint(
        EndpointName=endpoint, Body=csv_body(rows(1)), ContentType="text/csv", Accept="text/csv"
    )
    assert parse_csv_answer(answer["Body"].read().decode()) == expected(
        load_from_archive(world.model_bytes), rows(1)
    )


def test_create_model_needs_pass_role_and_a_role_sagemaker_can_assume(cloud, world):
    iam = world.client("iam")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    arn = iam.create_role(RoleName="modeller", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="modeller",
        PolicyName="models",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sagemaker:CreateModel", "Resource": "*"}],
            }
        ),
    )
    sm = assume(cloud, arn, "modeller").client("sagemaker", endpoint_url=cloud.url)
    container = {"Image": IMAGE, "ModelDataUrl": world.model_uri}
    with pytest.raises(ClientError) as error:
        sm.create_model(ModelName="no-pass-role", ExecutionRoleArn=world.role_arn, PrimaryContainer=container)
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"iam:PassRole on resource: {world.role_arn}" in error.value.response["Error"]["Message"]

    iam.put_role_policy(
        RoleName="modeller",
        PolicyName="pass",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "iam:PassRole",
                        "Resource": world.role_arn,
                        "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                    }
                ],
            }
        ),
    )
    sm.create_model(ModelName="with-pass-role", ExecutionRoleArn=world.role_arn, PrimaryContainer=container)

    # A role that does not trust SageMaker is refused whoever passes it.
    with pytest.raises(ClientError) as error:
        world.client("sagemaker").create_model(
            ModelName="untrusted", ExecutionRoleArn=arn, PrimaryContainer=container
        )
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert error.value.response["Error"]["Message"] == (
        f"Could not assume role {arn}. Please ensure that the role exists and allows principal "
        "'sagemaker.amazonaws.com' to assume the role."
    )


def test_batch_transform_writes_the_models_predictions_per_input_file(world):
    sm, s3 = world.client("sagemaker"), world.client("s3")
    world.create_model("transform-logistic")
    first, second = rows(25, start=700), rows(7, start=900)
    s3.put_object(Bucket=world.bucket, Key="batch/in/first.csv", Body=csv_body(first) + "\n")
    s3.put_object(Bucket=world.bucket, Key="batch/in/more/second.csv", Body=csv_body(second) + "\n")
    sm.create_transform_job(
        TransformJobName="batch-logistic",
        ModelName="transform-logistic",
        BatchStrategy="MultiRecord",
        MaxPayloadInMB=1,
        TransformInput={
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{world.bucket}/batch/in/"}
            },
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        TransformOutput={
            "S3OutputPath": f"s3://{world.bucket}/batch/out",
            "Accept": "text/csv",
            "AssembleWith": "Line",
        },
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
    )

    def finished() -> dict[str, Any] | None:
        job = sm.describe_transform_job(TransformJobName="batch-logistic")
        return job if job["TransformJobStatus"] not in ("InProgress", "Stopping") else None

    job = wait_for(finished, timeout=120, what="the transform job")
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    model = load_from_archive(world.model_bytes)
    for key, matrix in (("batch/out/first.csv.out", first), ("batch/out/more/second.csv.out", second)):
        text = s3.get_object(Bucket=world.bucket, Key=key)["Body"].read().decode()
        assert parse_csv_answer(text) == expected(model, matrix)


def _run_transform(world: World, job: str, model: str, prefix: str) -> dict[str, Any]:
    """A CSV transform job over s3://<bucket>/<prefix>in/ into <prefix>out, once it has ended."""
    sm = world.client("sagemaker")
    sm.create_transform_job(
        TransformJobName=job,
        ModelName=model,
        TransformInput={
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{world.bucket}/{prefix}in/"}
            },
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        TransformOutput={
            "S3OutputPath": f"s3://{world.bucket}/{prefix}out",
            "Accept": "text/csv",
            "AssembleWith": "Line",
            "KmsKeyId": world.key_arn,
        },
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
    )

    def finished() -> dict[str, Any] | None:
        described = sm.describe_transform_job(TransformJobName=job)
        return described if described["TransformJobStatus"] not in ("InProgress", "Stopping") else None

    return dict(wait_for(finished, timeout=120, what=f"transform job {job}"))


def test_a_transform_job_is_recorded_in_lineage_as_sagemaker_records_one(world):
    """SageMaker-created tracking entities of a transform job (Developer Guide): its trial
    component <job>-aws-transform-job, its input --ContributedTo--> it --Produced--> its output."""
    s3, sm = world.client("s3"), world.client("sagemaker")
    world.create_model("lineage-logistic")
    s3.put_object(Bucket=world.bucket, Key="lineage-batch/in/rows.csv", Body=csv_body(rows(4)) + "\n")
    job = _run_transform(world, "lineage-batch", "lineage-logistic", "lineage-batch/")
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    component = sm.describe_trial_component(TrialComponentName="lineage-batch-aws-transform-job")
    assert component["Source"] == {"SourceArn": job["TransformJobArn"], "SourceType": "SageMakerTransformJob"}
    assert component["Status"]["PrimaryStatus"] == "Completed"
    assert component["InputArtifacts"]["SageMaker.TransformInput"] == {
        "MediaType": "text/csv",
        "Value": f"s3://{world.bucket}/lineage-batch/in/",
    }
    assert component["OutputArtifacts"] == {
        "SageMaker.TransformOutput": {"Value": f"s3://{world.bucket}/lineage-batch/out"}
    }
    assert component["Parameters"]["SageMaker.ModelName"] == {"StringValue": "lineage-logistic"}
    arn = component["TrialComponentArn"]
    into = sm.list_associations(DestinationArn=arn)["AssociationSummaries"]
    out_of = sm.list_associations(SourceArn=arn)["AssociationSummaries"]
    assert [(a["SourceType"], a["AssociationType"]) for a in into] == [("DataSet", "ContributedTo")]
    assert [(a["DestinationType"], a["AssociationType"]) for a in out_of] == [("DataSet", "Produced")]
    source = sm.describe_artifact(ArtifactArn=into[0]["SourceArn"])["Source"]["SourceUri"]
    produced = sm.describe_artifact(ArtifactArn=out_of[0]["DestinationArn"])["Source"]["SourceUri"]
    assert (source, produced) == (
        f"s3://{world.bucket}/lineage-batch/in/",
        f"s3://{world.bucket}/lineage-batch/out",
    )


def _partial_role(world: World, name: str, actions: dict[str, list[str]]) -> str:
    """A SageMaker execution role allowed ``actions`` (action -> key patterns of the bucket),
    the key, and the model archives."""
    from tests.emulator.serving_kit import SAGEMAKER_TRUST

    iam = world.client("iam")
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=SAGEMAKER_TRUST)["Role"]["Arn"])
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{world.bucket}/models/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{world.bucket}"},
        {"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": world.key_arn},
    ]
    statements += [
        {"Effect": "Allow", "Action": action, "Resource": [f"arn:aws:s3:::{world.bucket}/{k}" for k in keys]}
        for action, keys in actions.items()
    ]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="partial",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    return arn


@pytest.mark.parametrize(
    ("label", "allowed", "refused"),
    [
        (
            "no-read",
            {"s3:PutObject": ["role-batch/no-read/out/*"]},
            "read s3://{bucket}/role-batch/no-read/in/rows.csv",
        ),
        (
            "no-write",
            {"s3:GetObject": ["role-batch/no-write/in/*"]},
            "write s3://{bucket}/role-batch/no-write/out/rows.csv.out",
        ),
    ],
)
def test_a_transform_job_reads_its_input_and_writes_its_output_as_the_models_role(
    world, label, allowed, refused
):
    """The job runs as its model's execution role: input it may not read, or output it may not
    write, fails the job naming the object and the role; nothing is written."""
    s3 = world.client("s3")
    role = _partial_role(world, f"batch-{label}", allowed)
    world.create_model(f"batch-{label}", role_arn=role)
    prefix = f"role-batch/{label}/"
    s3.put_object(Bucket=world.bucket, Key=f"{prefix}in/rows.csv", Body=csv_body(rows(3)) + "\n")
    job = _run_transform(world, f"batch-{label}", f"batch-{label}", prefix)
    assert job["TransformJobStatus"] == "Failed"
    reason = job["FailureReason"]
    assert refused.format(bucket=world.bucket) in reason and role in reason and "AccessDenied" in reason
    assert "Contents" not in s3.list_objects_v2(Bucket=world.bucket, Prefix=f"{prefix}out")


def test_a_transform_job_of_another_image_or_a_failing_model_ends_failed_with_the_reason(world):
    s3, sm = world.client("s3"), world.client("sagemaker")
    s3.put_object(Bucket=world.bucket, Key="odd-batch/in/rows.csv", Body=csv_body(rows(3)) + "\n")
    xgboost = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    sm.create_model(
        ModelName="batch-xgboost",
        ExecutionRoleArn=world.role_arn,
        PrimaryContainer={"Image": xgboost, "ModelDataUrl": world.model_uri},
    )
    job = _run_transform(world, "batch-xgboost", "batch-xgboost", "odd-batch/")
    assert job["TransformJobStatus"] == "Failed"
    assert job["FailureReason"] == (
        f"The local cloud runs only the SageMaker scikit-learn serving image (repository "
        f"sagemaker-scikit-learn); image {xgboost} of model batch-xgboost is not emulated, so the "
        "transform job cannot run."
    )
    # three values a row where the model takes six: the container answers 500, the job fails
    s3.put_object(Bucket=world.bucket, Key="narrow-batch/in/rows.csv", Body="1.0,2.0,3.0\n")
    world.create_model("batch-narrow")
    job = _run_transform(world, "batch-narrow", "batch-narrow", "narrow-batch/")
    assert job["TransformJobStatus"] == "Failed"
    assert job["FailureReason"].startswith(
        f"ClientError: the model container answered 500 for a request of s3://{world.bucket}/narrow-batch/in/rows.csv"
    )
    component = sm.describe_trial_component(TrialComponentName="batch-narrow-aws-transform-job")
    assert component["Status"]["PrimaryStatus"] == "Failed"
    assert "OutputArtifacts" not in component or not component["OutputArtifacts"]


def _finished_execution(sm: Any, schedule: str) -> dict[str, Any] | None:
    found = sm.list_monitoring_executions(MonitoringScheduleName=schedule)["MonitoringExecutionSummaries"]
    if found and found[0]["MonitoringExecutionStatus"] not in ("Pending", "InProgress"):
        return found[0]
    return None


def test_model_monitor_finds_drift_in_drifted_traffic_and_none_in_baseline_like_traffic(world):
    """Baseline with a processing job of the Model Monitor image, then one-time (NOW) schedules over
    two endpoints' captured traffic: statistics, constraints and violations in Model Monitor's
    formats, CompletedWithViolations only where the traffic drifted."""
    sm, s3, runtime = world.client("sagemaker"), world.client("s3"), world.client("sagemaker-runtime")
    bucket = world.bucket
    model = load_from_archive(world.model_bytes)
    baseline = rows(2000)
    header = ",".join(["predicted_label", "probability", *FEATURES])
    lines = [header] + [
        f"{label},{probability!r}," + ",".join(repr(float(v)) for v in row)
        for (label, probability), row in zip(expected(model, baseline), baseline, strict=True)
    ]
    s3.put_object(Bucket=bucket, Key="monitor/baseline/dataset.csv", Body="\n".join(lines) + "\n")
    sm.create_processing_job(
        ProcessingJobName="baseline-logistic",
        RoleArn=world.role_arn,
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
                    "S3Uri": f"s3://{bucket}/monitor/baseline/dataset.csv",
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
                        "S3Uri": f"s3://{bucket}/monitor/baseline/out",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
    )

    def job_done() -> dict[str, Any] | None:
        job = sm.describe_processing_job(ProcessingJobName="baseline-logistic")
        return job if job["ProcessingJobStatus"] != "InProgress" else None

    job = wait_for(job_done, timeout=120, what="the baselining job")
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["ExitMessage"] == "Completed: Job completed successfully with no violations."
    statistics = json.loads(
        s3.get_object(Bucket=bucket, Key="monitor/baseline/out/statistics.json")["Body"].read()
    )
    constraints = json.loads(
        s3.get_object(Bucket=bucket, Key="monitor/baseline/out/constraints.json")["Body"].read()
    )
    assert statistics["dataset"]["item_count"] == 2000
    assert [f["name"] for f in statistics["features"]] == header.split(",")
    assert statistics["features"][0]["inferred_type"] == "Integral"
    assert statistics["features"][1]["numerical_statistics"]["common"] == {
        "num_present": 2000,
        "num_missing": 0,
    }
    assert [f["name"] for f in constraints["features"]] == header.split(",")
    assert constraints["monitoring_config"]["distribution_constraints"]["comparison_threshold"] == 0.1

    world.create_model("monitored")
    world.create_config("monitored", "monitored", capture=f"s3://{bucket}/monitor/capture")
    for name in ("calm", "drifted"):
        sm.create_endpoint(EndpointName=name, EndpointConfigName="monitored")
    for name in ("calm", "drifted"):
        assert settled(sm, name)["EndpointStatus"] == "InService"
    calm = rows(600, start=2000)
    drifted = rows(600, start=2000).copy()
    drifted[:, FEATURES.index("income_k")] *= 3
    drifted[:, FEATURES.index("debt_to_income")] += 0.4
    for name, matrix in (("calm", calm), ("drifted", drifted)):
        for start in range(0, len(matrix), 50):
            runtime.invoke_endpoint(
                EndpointName=name,
                Body=csv_body(matrix[start : start + 50]),
                ContentType="text/csv",
                Accept="text/csv",
            )

    latest: list[str] = []

    def all_captured(name: str) -> bool:
        lines = []
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"monitor/capture/{name}/"
        ):
            for item in page.get("Contents", []):
                lines += s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().splitlines()
        latest.extend(json.loads(line)["eventMetadata"]["inferenceTime"] for line in lines)
        return len(lines) == 12

    for name in ("calm", "drifted"):
        wait_for(lambda name=name: all_captured(name), timeout=60, what=f"{name}'s captured traffic")
    # A NOW schedule analyses [its time - 1 h, its time), to the second (inferenceTime's unit): the
    # schedules start once the clock is past the second of the last captured record, else the
    # records of that second fall outside the window (the run was flaky, 350 of 600 rows).
    last = max(latest)
    wait_for(
        lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") > last, timeout=30, what="the next second"
    )
    for name in ("calm", "drifted"):
        sm.create_data_quality_job_definition(
            JobDefinitionName=f"quality-{name}",
            DataQualityBaselineConfig={
                "ConstraintsResource": {"S3Uri": f"s3://{bucket}/monitor/baseline/out/constraints.json"},
                "StatisticsResource": {"S3Uri": f"s3://{bucket}/monitor/baseline/out/statistics.json"},
            },
            DataQualityAppSpecification={"ImageUri": ANALYZER},
            DataQualityJobInput={
                "EndpointInput": {"EndpointName": name, "LocalPath": "/opt/ml/processing/input/endpoint"}
            },
            DataQualityJobOutputConfig={
                "MonitoringOutputs": [
                    {
                        "S3Output": {
                            "S3Uri": f"s3://{bucket}/monitor/reports",
                            "LocalPath": "/opt/ml/processing/resultdata",
                        }
                    }
                ]
            },
            JobResources={
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
            },
            RoleArn=world.role_arn,
        )
        sm.create_monitoring_schedule(
            MonitoringScheduleName=f"watch-{name}",
            MonitoringScheduleConfig={
                "ScheduleConfig": {
                    "ScheduleExpression": "NOW",
                    "DataAnalysisStartTime": "-PT1H",
                    "DataAnalysisEndTime": "-PT0H",
                },
                "MonitoringJobDefinitionName": f"quality-{name}",
                "MonitoringType": "DataQuality",
            },
        )
    outcomes = {}
    for name in ("calm", "drifted"):
        execution = wait_for(
            lambda name=name: _finished_execution(sm, f"watch-{name}"),
            timeout=120,
            what=f"the {name} execution",
        )
        job = sm.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].split("/")[-1])
        assert re.fullmatch(r"model-monitoring-\d{12}-[0-9a-f]{24}", job["ProcessingJobName"])
        assert job["MonitoringScheduleArn"].endswith(f":monitoring-schedule/watch-{name}")
        report = job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
        assert re.fullmatch(
            rf"s3://{bucket}/monitor/reports/{name}/watch-{name}/\d{{4}}/\d\d/\d\d/\d\d", report
        )
        _, _, prefix = report.removeprefix("s3://").partition("/")
        violations = json.loads(
            s3.get_object(Bucket=bucket, Key=f"{prefix}/constraint_violations.json")["Body"].read()
        )
        current = json.loads(s3.get_object(Bucket=bucket, Key=f"{prefix}/statistics.json")["Body"].read())
        assert current["dataset"]["item_count"] == 600
        outcomes[name] = (execution, job, violations["violations"])
        described = sm.describe_monitoring_schedule(MonitoringScheduleName=f"watch-{name}")
        assert described["MonitoringScheduleStatus"] == "Scheduled"
        assert described["EndpointName"] == name
        assert (
            described["LastMonitoringExecutionSummary"]["MonitoringExecutionStatus"]
            == execution["MonitoringExecutionStatus"]
        )

    execution, job, found = outcomes["calm"]
    assert execution["MonitoringExecutionStatus"] == "Completed", (execution, found)
    assert found == []
    assert job["ExitMessage"] == "Completed: Job completed successfully with no violations."

    execution, job, found = outcomes["drifted"]
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations"
    assert (
        job["ExitMessage"]
        == f"CompletedWithViolations: Job completed successfully with {len(found)} violations."
    )
    drift = {v["feature_name"] for v in found if v["constraint_check_type"] == "baseline_drift_check"}
    assert {"income_k", "debt_to_income"} <= drift
    assert "loan_amount_k" not in drift and "late_payments_2y" not in drift
    for violation in found:
        assert set(violation) == {"feature_name", "constraint_check_type", "description"}


def test_create_endpoint_with_a_key_needs_kms_create_grant_on_it(cloud, world):
    """SageMaker creates grants on the endpoint config's key as the caller of CreateEndpoint."""
    iam = world.client("iam")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    arn = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="deployer",
        PolicyName="deploy",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sagemaker:CreateEndpoint", "Resource": "*"}],
            }
        ),
    )
    world.create_model("keyed")
    world.create_config("keyed", "keyed", KmsKeyId=world.key_arn)
    sm = assume(cloud, arn, "deployer").client("sagemaker", endpoint_url=cloud.url)
    with pytest.raises(ClientError) as error:
        sm.create_endpoint(EndpointName="keyed", EndpointConfigName="keyed")
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"kms:CreateGrant on resource: {world.key_arn}" in error.value.response["Error"]["Message"]
    with pytest.raises(ClientError):
        world.client("sagemaker").describe_endpoint(EndpointName="keyed")  # nothing was created

    iam.put_role_policy(
        RoleName="deployer",
        PolicyName="grant",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "kms:CreateGrant", "Resource": world.key_arn}],
            }
        ),
    )
    sm.create_endpoint(EndpointName="keyed", EndpointConfigName="keyed")
    assert settled(world.client("sagemaker"), "keyed")["EndpointStatus"] == "InService"


def test_a_cron_monitoring_schedule_needs_its_endpoint_and_an_expression_model_monitor_accepts(
    world, endpoint
):
    """What the stack's scheduled monitor asks of SageMaker (modules/monitoring.py): a schedule of
    an endpoint that does not exist is refused (the job definition is not), so is a cron
    expression Model Monitor does not accept; a schedule of an existing endpoint is Pending, then
    Scheduled, which is what Terraform's provider waits for."""
    sm = world.client("sagemaker")

    def definition(name: str, watched: str) -> None:
        sm.create_data_quality_job_definition(
            JobDefinitionName=name,
            DataQualityBaselineConfig={
                "ConstraintsResource": {"S3Uri": f"s3://{world.bucket}/served/constraints.json"},
                "StatisticsResource": {"S3Uri": f"s3://{world.bucket}/served/statistics.json"},
            },
            DataQualityAppSpecification={"ImageUri": ANALYZER},
            DataQualityJobInput={
                "EndpointInput": {"EndpointName": watched, "LocalPath": "/opt/ml/processing/input/endpoint"}
            },
            DataQualityJobOutputConfig={
                "MonitoringOutputs": [
                    {
                        "S3Output": {
                            "S3Uri": f"s3://{world.bucket}/monitoring",
                            "LocalPath": "/opt/ml/processing/resultdata",
                        }
                    }
                ],
                "KmsKeyId": world.key_arn,
            },
            JobResources={
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
            },
            NetworkConfig={"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True},
            RoleArn=world.role_arn,
        )

    def schedule(name: str, definition_name: str, expression: str) -> None:
        sm.create_monitoring_schedule(
            MonitoringScheduleName=name,
            MonitoringScheduleConfig={
                "ScheduleConfig": {"ScheduleExpression": expression},
                "MonitoringJobDefinitionName": definition_name,
                "MonitoringType": "DataQuality",
            },
        )

    definition("watch-nothing", "no-such-endpoint")
    with pytest.raises(ClientError) as refused:
        schedule("watch-nothing", "watch-nothing", "cron(0 * ? * * *)")
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "no-such-endpoint" in refused.value.response["Error"]["Message"]
    assert sm.list_monitoring_schedules(NameContains="watch-nothing")["MonitoringScheduleSummaries"] == []

    definition("watch-main", endpoint)
    for odd in ("cron(30 * ? * * *)", "cron(0 * * * * *)", "rate(1 hour)"):
        with pytest.raises(ClientError) as refused:
            schedule("watch-main", "watch-main", odd)
        assert refused.value.response["Error"]["Code"] == "ValidationException", odd
    schedule("watch-main", "watch-main", "cron(0 0/6 ? * * *)")
    assert sm.describe_monitoring_schedule(MonitoringScheduleName="watch-main")[
        "MonitoringScheduleStatus"
    ] in (
        "Pending",
        "Scheduled",
    )
    described = wait_for(
        lambda: (
            d
            if (d := sm.describe_monitoring_schedule(MonitoringScheduleName="watch-main"))[
                "MonitoringScheduleStatus"
            ]
            == "Scheduled"
            else None
        ),
        what="the schedule to be Scheduled",
    )
    assert described["EndpointName"] == endpoint
    assert described["MonitoringScheduleConfig"]["ScheduleConfig"] == {
        "ScheduleExpression": "cron(0 0/6 ? * * *)"
    }
    sm.delete_monitoring_schedule(MonitoringScheduleName="watch-main")
    sm.delete_data_quality_job_definition(JobDefinitionName="watch-main")
