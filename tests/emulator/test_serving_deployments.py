"""Endpoint deployments over time, in-process with the local cloud's clock moved by the test:
``Creating`` until the provisioning delay has passed, blue/green traffic shifting (canary, then
all, baking, blue's termination wait), rollback on an alarm and on the execution timeout, and the
server-side rules of CreateModel / CreateEndpointConfig / UpdateEndpoint. The model servers are
real (one process per variant); nothing sleeps past a clock: the test waits for the fleet's
provisioning on an event and moves the clock for everything the clock decides."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.sagemaker.models import sagemaker_backends

from scripts.localcloud.moto_ext.sagemaker.deployments import (
    ServingEndpoint,
    traffic_plan,
    validate_deployment_config,
)
from tests.emulator.serving_kit import (
    IMAGE,
    World,
    build_world,
    csv_body,
    expected,
    load_from_archive,
    parse_csv_answer,
    rows,
)

#: Long enough that real time never gets there during a test; the tests move the clock past it.
DELAY = 3600.0


@pytest.fixture
def world(mocked: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("MLGOV_LOCALCLOUD_ENDPOINT_DELAY_S", str(DELAY))
    built = build_world(boto3.Session(region_name="us-east-1"), None, "mlgov-deployments")
    yield built
    for endpoint in list(_backend().serving.endpoints):
        built.client("sagemaker").delete_endpoint(EndpointName=endpoint)


def _backend() -> Any:
    return sagemaker_backends["123456789012"]["us-east-1"]


def _endpoint(name: str) -> ServingEndpoint:
    return _backend().serving.endpoints[name]


def _provisioned(name: str) -> None:
    """Wait for the deployment in progress to have started (or failed) its model servers."""
    deployment = _endpoint(name).deployment
    assert deployment is not None
    assert deployment.fleet.provisioned.wait(120), "the fleet was not provisioned within 120 s"


def _answers(world: World, name: str, count: int = 30) -> list[list[tuple[int, float]]]:
    runtime = world.client("sagemaker-runtime")
    out = []
    for _ in range(count):
        answer = runtime.invoke_endpoint(
            EndpointName=name, Body=csv_body(rows(3)), ContentType="text/csv", Accept="text/csv"
        )
        out.append(parse_csv_answer(answer["Body"].read().decode()))
    return out


def _in_service(world: World, clock: Any, name: str, model: str, config: str) -> None:
    world.create_model(model)
    world.create_config(config, model)
    world.client("sagemaker").create_endpoint(EndpointName=name, EndpointConfigName=config)
    _provisioned(name)
    clock.advance(DELAY + 1)
    assert world.client("sagemaker").describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"


def test_an_endpoint_is_creating_until_its_fleet_is_up_and_the_delay_has_passed(world, clock):
    sm = world.client("sagemaker")
    world.create_model("slow")
    world.create_config("slow", "slow")
    sm.create_endpoint(EndpointName="slow", EndpointConfigName="slow")
    _provisioned("slow")
    described = sm.describe_endpoint(EndpointName="slow")
    assert described["EndpointStatus"] == "Creating"
    assert (
        described["PendingDeploymentSummary"]["ProductionVariants"][0]["VariantStatus"][0]["Status"]
        == "Creating"
    )
    assert "ProductionVariants" not in described
    with pytest.raises(ClientError) as error:
        world.client("sagemaker-runtime").invoke_endpoint(
            EndpointName="slow", Body=csv_body(rows(1)), ContentType="text/csv"
        )
    assert error.value.response["Error"]["Code"] == "ValidationError"
    clock.advance(DELAY - 600)  # ten minutes of real time to spare
    assert sm.describe_endpoint(EndpointName="slow")["EndpointStatus"] == "Creating"
    clock.advance(601)
    described = sm.describe_endpoint(EndpointName="slow")
    assert described["EndpointStatus"] == "InService"
    assert described["ProductionVariants"][0]["CurrentInstanceCount"] == 1
    assert "PendingDeploymentSummary" not in described
    assert sm.list_endpoints(StatusEquals="InService")["Endpoints"][0]["EndpointName"] == "slow"


def test_a_canary_update_shifts_a_share_then_all_then_stops_blue_after_baking(world, clock):
    sm = world.client("sagemaker")
    _in_service(world, clock, "canary", "canary-blue", "canary-blue")
    world.create_model("canary-green", model_uri=world.forest_uri)
    world.create_config("canary-green", "canary-green", instances=2)
    blue, green = load_from_archive(world.model_bytes), load_from_archive(world.forest_bytes)
    assert expected(blue, rows(3)) != expected(green, rows(3))
    sm.update_endpoint(
        EndpointName="canary",
        EndpointConfigName="canary-green",
        DeploymentConfig={
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {
                    "Type": "CANARY",
                    "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
                    "WaitIntervalInSeconds": 300,
                },
                "TerminationWaitInSeconds": 60,
                "MaximumExecutionTimeoutInSeconds": 28800,
            }
        },
    )
    _provisioned("canary")
    # Provisioned, but the delay has not passed: all traffic still on blue.
    assert all(a == expected(blue, rows(3)) for a in _answers(world, "canary"))
    clock.advance(DELAY + 1)
    described = sm.describe_endpoint(EndpointName="canary")
    assert described["EndpointStatus"] == "Updating"
    pending = described["PendingDeploymentSummary"]
    assert pending["EndpointConfigName"] == "canary-green"
    assert pending["ProductionVariants"][0]["VariantStatus"][0]["Status"] == "ActivatingTraffic"
    assert pending["ProductionVariants"][0]["CurrentWeight"] == 0.5
    answers = _answers(world, "canary", 60)
    assert {tuple(a) for a in answers} == {tuple(expected(blue, rows(3))), tuple(expected(green, rows(3)))}
    clock.advance(301)
    assert all(a == expected(green, rows(3)) for a in _answers(world, "canary"))
    described = sm.describe_endpoint(EndpointName="canary")
    assert described["EndpointStatus"] == "Updating"
    assert (
        described["PendingDeploymentSummary"]["ProductionVariants"][0]["VariantStatus"][0]["Status"]
        == "Baking"
    )
    assert described["EndpointConfigName"] == "canary-blue"
    clock.advance(300)  # baking over; blue waits TerminationWaitInSeconds more
    assert sm.describe_endpoint(EndpointName="canary")["EndpointStatus"] == "Updating"
    clock.advance(61)
    described = sm.describe_endpoint(EndpointName="canary")
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == "canary-green"
    assert described["ProductionVariants"][0]["DesiredInstanceCount"] == 2
    assert "FailureReason" not in described


def test_an_alarm_in_alarm_during_the_shift_rolls_back_to_blue(world, clock):
    sm, cloudwatch = world.client("sagemaker"), world.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="serving-errors",
        MetricName="Invocation5XXErrors",
        Namespace="AWS/SageMaker",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    _in_service(world, clock, "alarmed", "alarmed-blue", "alarmed-blue")
    world.create_model("alarmed-green", model_uri=world.forest_uri)
    world.create_config("alarmed-green", "alarmed-green")
    deployment = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 600},
            "MaximumExecutionTimeoutInSeconds": 28800,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "serving-errors"}]},
    }
    sm.update_endpoint(
        EndpointName="alarmed", EndpointConfigName="alarmed-green", DeploymentConfig=deployment
    )
    _provisioned("alarmed")
    clock.advance(DELAY + 1)
    green = load_from_archive(world.forest_bytes)
    assert all(a == expected(green, rows(3)) for a in _answers(world, "alarmed", 5))
    cloudwatch.set_alarm_state(AlarmName="serving-errors", StateValue="ALARM", StateReason="test")
    described = sm.describe_endpoint(EndpointName="alarmed")
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == "alarmed-blue"
    assert "serving-errors" in described["FailureReason"]
    assert described["LastDeploymentConfig"] == deployment
    assert all(
        a == expected(load_from_archive(world.model_bytes), rows(3)) for a in _answers(world, "alarmed", 5)
    )


def test_a_deployment_past_its_maximum_execution_time_rolls_back(world, clock):
    sm = world.client("sagemaker")
    _in_service(world, clock, "slowshift", "slowshift-blue", "slowshift-blue")
    world.create_model("slowshift-green", model_uri=world.forest_uri)
    world.create_config("slowshift-green", "slowshift-green", instances=10)
    sm.update_endpoint(
        EndpointName="slowshift",
        EndpointConfigName="slowshift-green",
        DeploymentConfig={
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {
                    "Type": "LINEAR",
                    "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 10},
                    "WaitIntervalInSeconds": 100,
                },
                "MaximumExecutionTimeoutInSeconds": 3900,  # the delay and 300 s of shifting
            }
        },
    )
    _provisioned("slowshift")
    clock.advance(DELAY + 1)
    assert sm.describe_endpoint(EndpointName="slowshift")["PendingDeploymentSummary"]["ProductionVariants"][
        0
    ]["CurrentWeight"] == pytest.approx(0.1)
    clock.advance(300)
    described = sm.describe_endpoint(EndpointName="slowshift")
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == "slowshift-blue"
    assert "MaximumExecutionTimeoutInSeconds (3900)" in described["FailureReason"]


def test_an_image_the_local_cloud_does_not_run_fails_the_deployment_with_that_reason(world, clock):
    sm = world.client("sagemaker")
    sm.create_model(
        ModelName="xgboost",
        ExecutionRoleArn=world.role_arn,
        PrimaryContainer={
            "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
            "ModelDataUrl": world.model_uri,
        },
    )
    world.create_config("xgboost", "xgboost")
    sm.create_endpoint(EndpointName="xgboost", EndpointConfigName="xgboost")
    _provisioned("xgboost")
    clock.advance(DELAY + 1)
    described = sm.describe_endpoint(EndpointName="xgboost")
    assert described["EndpointStatus"] == "Failed"
    assert "sagemaker-xgboost:1.7-1" in described["FailureReason"]
    assert "is not emulated" in described["FailureReason"]


def test_a_model_from_a_model_package_serves_the_packages_artifact(world, clock):
    sm = world.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="credit")
    package = sm.create_model_package(
        ModelPackageGroupName="credit",
        InferenceSpecification={
            "Containers": [
                {
                    "Image": IMAGE,
                    "ModelDataUrl": world.forest_uri,
                    "Environment": {
                        "SAGEMAKER_PROGRAM": "inference.py",
                        "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                    },
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelApprovalStatus="Approved",
    )["ModelPackageArn"]
    sm.create_model(
        ModelName="from-package", ExecutionRoleArn=world.role_arn, Containers=[{"ModelPackageName": package}]
    )
    assert sm.describe_model(ModelName="from-package")["Containers"] == [{"ModelPackageName": package}]
    world.create_config("from-package", "from-package")
    sm.create_endpoint(EndpointName="from-package", EndpointConfigName="from-package")
    _provisioned("from-package")
    clock.advance(DELAY + 1)
    assert sm.describe_endpoint(EndpointName="from-package")["EndpointStatus"] == "InService"
    assert _answers(world, "from-package", 1)[0] == expected(load_from_archive(world.forest_bytes), rows(3))


# -- the rules SageMaker applies when the request is made ----------------------------------------
def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def _message(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Message"])


def test_requests_sagemaker_refuses(world, clock):
    sm = world.client("sagemaker")
    world.create_model("rules")
    with pytest.raises(ClientError) as error:
        world.create_model("rules")
    assert _code(error) == "ValidationException"
    assert (
        _message(error)
        == 'Cannot create already existing model "arn:aws:sagemaker:us-east-1:123456789012:model/rules".'
    )
    with pytest.raises(ClientError) as error:
        world.create_config("orphan", "no-such-model")
    assert (
        _message(error)
        == 'Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/no-such-model".'
    )
    with pytest.raises(ClientError) as error:
        sm.describe_endpoint(EndpointName="Nowhere")
    assert (
        _message(error)
        == 'Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/nowhere".'
    )
    with pytest.raises(ClientError) as error:
        sm.create_endpoint(EndpointName="no-config", EndpointConfigName="no-such-config")
    assert _message(error) == (
        'Could not find endpoint configuration "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/no-such-config".'
    )
    world.create_config("rules", "rules")
    sm.create_endpoint(EndpointName="rules", EndpointConfigName="rules")
    with pytest.raises(ClientError) as error:
        sm.update_endpoint(EndpointName="rules", EndpointConfigName="rules")
    assert (
        _message(error)
        == 'Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/rules".'
    )
    with pytest.raises(ClientError) as error:
        sm.create_endpoint(EndpointName="rules", EndpointConfigName="rules")
    assert (
        _message(error)
        == 'Cannot create already existing endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/rules".'
    )
    with pytest.raises(ClientError) as error:
        sm.create_model(
            ModelName="two-ways",
            ExecutionRoleArn=world.role_arn,
            PrimaryContainer={"Image": IMAGE},
            Containers=[{"Image": IMAGE}],
        )
    assert _code(error) == "ValidationException"
    _provisioned("rules")
    sm.delete_endpoint(EndpointName="rules")
    with pytest.raises(ClientError):
        sm.describe_endpoint(EndpointName="rules")


def test_deployment_configs_sagemaker_refuses():
    canary = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
                "WaitIntervalInSeconds": 60,
            }
        }
    }
    with pytest.raises(Exception, match="50%"):
        validate_deployment_config(canary, instances=1)
    validate_deployment_config(canary, instances=2)
    linear = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "LINEAR",
                "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 60},
                "WaitIntervalInSeconds": 60,
            }
        }
    }
    with pytest.raises(Exception, match="10-50%"):
        validate_deployment_config(linear, instances=4)
    timeout = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 600},
            "TerminationWaitInSeconds": 60,
            "MaximumExecutionTimeoutInSeconds": 600,
        }
    }
    with pytest.raises(Exception, match="larger than the total waiting time"):
        validate_deployment_config(timeout, instances=1)


def test_traffic_plans_of_the_three_routing_types():
    assert traffic_plan(None, 1) == ([(0.0, 1.0)], 0.0, None)

    def policy(routing: dict[str, Any], termination: int = 30) -> dict[str, Any]:
        return {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": routing,
                "TerminationWaitInSeconds": termination,
            }
        }

    assert traffic_plan(policy({"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 120}), 1) == (
        [(0.0, 1.0)],
        150.0,
        None,
    )
    canary = {
        "Type": "CANARY",
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 25},
        "WaitIntervalInSeconds": 60,
    }
    assert traffic_plan(policy(canary), 4) == ([(0.0, 0.25), (60.0, 1.0)], 150.0, None)
    linear = {
        "Type": "LINEAR",
        "LinearStepSize": {"Type": "INSTANCE_COUNT", "Value": 2},
        "WaitIntervalInSeconds": 10,
    }
    steps, total, _ = traffic_plan(policy(linear, 0), 5)
    assert steps == [(0.0, 0.4), (10.0, 0.8), (20.0, 1.0)]
    assert total == 30.0


def test_describe_model_says_what_was_set_and_nothing_more(world):
    described = world.client("sagemaker")
    world.create_model("plain")
    model = described.describe_model(ModelName="plain")
    assert "VpcConfig" not in model
    assert model["PrimaryContainer"]["Environment"] == {
        "SAGEMAKER_PROGRAM": "inference.py",
        "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
    }
    assert (
        json.loads(json.dumps(model, default=str))["ModelArn"]
        == "arn:aws:sagemaker:us-east-1:123456789012:model/plain"
    )
