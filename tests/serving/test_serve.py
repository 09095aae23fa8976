"""``mlgov serve`` / ``invoke`` / ``monitor`` on the local cloud with IAM enforced, as the
model-deploy role with the policy the stack synthesizes (tests/serving/conftest.py).

prod: deploy an approved version -> InService -> the model's own predictions, captured in S3;
the stage, the audit record and the endpoint's lineage; a second version replaces it by
blue/green; a version that cannot load is rolled back while the served one keeps answering;
undeploy. staging: every gate refuses, naming itself, and nothing is created. dev: monitor says
what it needs when the version has no baseline.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pytest

from scripts.governance import review
from scripts.governance.errors import GovernanceError, PermissionDeniedError, RefusedError
from scripts.serving import deploy, runtime
from tests.emulator.serving_kit import csv_body, expected
from tests.serving.conftest import ServingWorld, rows

pytestmark = pytest.mark.xdist_group("serving-jobs")


def _predictions(result: dict[str, Any]) -> list[tuple[int, float]]:
    return [(p["predicted_label"], p["probability"]) for p in result["predictions"]]


def _version(world: ServingWorld, env: str, arn: str) -> dict[str, Any]:
    return world.accounts[env].client("sagemaker").describe_model_package(ModelPackageName=arn)


def _audit(world: ServingWorld, env: str, action: str) -> list[dict[str, Any]]:
    account = world.accounts[env]
    s3, bucket = account.client("s3"), account.names.artifact_bucket
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="audit/").get("Contents", [])]
    records = [json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in keys]
    return [r for r in records if r["what"]["action"] == action]


def _wait_captured(world: ServingWorld, env: str, endpoint: str, count: int) -> list[dict[str, Any]]:
    account = world.accounts[env]
    s3, bucket = account.client("s3"), account.names.artifact_bucket
    deadline = time.monotonic() + 60
    while True:
        lines: list[dict[str, Any]] = []
        for item in s3.list_objects_v2(Bucket=bucket, Prefix=f"capture/{endpoint}/").get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            lines += [json.loads(line) for line in body.splitlines()]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.3)


def test_an_approved_version_is_served_replaced_blue_green_rolled_back_and_undeployed(world):
    platform, prod = world.platform, world.accounts["prod"]
    v1 = prod.register("v1", world.archives["logistic"])
    v2 = prod.register("v2", world.archives["forest"])
    broken = b"not a model archive"
    v3 = prod.register("v3", broken)
    sample = rows(5, start=100)

    first = deploy.serve(platform, "prod", "1", "go-live")
    assert first["action"] == "create" and first["status"] == "InService"
    endpoint = first["endpoint"]
    assert endpoint == "mlgov-credit-risk"
    answer = runtime.invoke(platform, "prod", csv_body(sample))
    assert _predictions(answer) == expected(world.models["logistic"], sample)
    captured = _wait_captured(world, "prod", endpoint, 1)
    assert captured and captured[0]["captureData"]["endpointInput"]["data"] == csv_body(sample)
    # records: stage, audit, lineage
    assert _version(world, "prod", v1)["ModelLifeCycle"]["StageStatus"] == "Deployed"
    (record,) = _audit(world, "prod", "deploy")
    assert record["what"]["model_package_arn"] == v1 and record["after"]["Endpoint"] == endpoint
    assert record["role"] == prod.names.role_arn("model_deploy") and record["who"]
    sm = prod.client("sagemaker")
    lineage = first["lineage"]
    context = sm.describe_context(ContextName=lineage["Endpoint"].split("/")[-1])
    assert context["ContextType"] == "Endpoint" and context["Source"]["SourceUri"] == first["endpoint_arn"]
    into_endpoint = sm.list_associations(DestinationArn=lineage["Endpoint"])["AssociationSummaries"]
    assert [a["SourceArn"] for a in into_endpoint] == [lineage["ModelDeployment"]]
    into_action = sm.list_associations(DestinationArn=lineage["ModelDeployment"])["AssociationSummaries"]
    package = sm.describe_artifact(ArtifactArn=into_action[0]["SourceArn"])
    assert package["Source"]["SourceUri"] == v1 and package["ArtifactType"] == "ModelPackage"
    # running it again changes nothing
    again = deploy.serve(platform, "prod", "1", "go-live")
    assert again["action"] == "unchanged" and len(_audit(world, "prod", "deploy")) == 1

    second = deploy.serve(platform, "prod", "2", "better recall")
    assert second["action"] == "update" and second["previous"] == v1
    assert _predictions(runtime.invoke(platform, "prod", csv_body(sample))) == expected(
        world.models["forest"], sample
    )
    assert _version(world, "prod", v1)["ModelLifeCycle"]["StageStatus"] == "Retired"
    assert _version(world, "prod", v2)["ModelLifeCycle"]["StageStatus"] == "Deployed"

    # a version whose archive cannot load: green fails its health checks, blue keeps serving
    with pytest.raises(GovernanceError, match="rolled back"):
        deploy.serve(platform, "prod", "3", "try it")
    assert sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"] == second["endpoint_config"]
    assert _predictions(runtime.invoke(platform, "prod", csv_body(sample))) == expected(
        world.models["forest"], sample
    )
    assert _version(world, "prod", v3)["ModelLifeCycle"]["StageStatus"] == "RolledBack"
    assert _version(world, "prod", v2)["ModelLifeCycle"]["StageStatus"] == "Deployed"

    gone = deploy.undeploy(platform, "prod", "decommissioned")
    assert gone["changed"] and gone["previous"] == v2
    assert gone["deleted"]["endpoint"] == [endpoint]
    assert sm.list_endpoints(NameContains=endpoint)["Endpoints"] == []
    assert sm.list_models(NameContains=endpoint)["Models"] == []
    assert sm.list_endpoint_configs(NameContains=endpoint)["EndpointConfigs"] == []
    assert _version(world, "prod", v2)["ModelLifeCycle"]["StageStatus"] == "Retired"
    assert _audit(world, "prod", "undeploy")[0]["what"]["model_package_arn"] == v2
    assert deploy.undeploy(platform, "prod", "again")["changed"] is False


@pytest.mark.parametrize(
    ("label", "state", "gate"),
    [
        ("pending", {"approval": "PendingManualApproval"}, "approval"),
        ("draft-card", {"card": "PendingReview"}, "card_status"),
        ("other-stage", {"stage": "Development"}, "stage"),
        ("tampered", {"recorded_sha256": hashlib.sha256(b"what was approved").hexdigest()}, "checksum"),
    ],
)
def test_a_version_failing_a_gate_is_refused_naming_it_and_nothing_is_created(world, label, state, gate):
    staging = world.accounts["staging"]
    arn = staging.register(label, world.archives["logistic"], **state)
    with pytest.raises(RefusedError) as refused:
        deploy.serve(world.platform, "staging", arn, "try")
    assert [f.gate for f in refused.value.failures] == [gate]
    assert "refused to deploy" in str(refused.value)
    sm = staging.client("sagemaker")
    name = staging.names.endpoint_name("credit-risk")
    assert sm.list_models(NameContains=name)["Models"] == []
    assert sm.list_endpoints(NameContains=name)["Endpoints"] == []
    assert _version(world, "staging", arn)["ModelLifeCycle"]["StageStatus"] == "Registered"


def test_the_model_deploy_role_cannot_approve_a_version(world):
    # dev: no gate record needed to approve there, so the refusal is IAM's (in staging and prod
    # approval refuses a version without one before any call: tests/governance/test_review.py)
    dev = world.accounts["dev"]
    arn = dev.register("approve-me", world.archives["logistic"], approval="PendingManualApproval")
    with pytest.raises(PermissionDeniedError, match="UpdateModelPackage"):
        review.set_approval(world.platform, "dev", arn, "self-approval", role="model_deploy")
    assert _version(world, "dev", arn)["ModelApprovalStatus"] == "PendingManualApproval"


def test_monitor_without_a_baseline_says_what_it_needs_and_runs_nothing(world):
    dev = world.accounts["dev"]
    # not test_drift.py's v1, which gets a baseline: whichever runs first, this one serves a
    # version without one
    arn = dev.register("no-baseline", world.archives["logistic"])
    deploy.serve(world.platform, "dev", arn, "watch it")
    with pytest.raises(
        GovernanceError, match=r"no data-quality baseline.*statistics.json and constraints.json"
    ):
        runtime.monitor(world.platform, "dev")
    assert dev.client("sagemaker").list_monitoring_schedules()["MonitoringScheduleSummaries"] == []
