"""A model package state change really lands in dev's governance log group (IAM enforced).

The data-scientist role registers a version in dev and approves it (dev allows self-approval);
SageMaker's "SageMaker Model Package State Change" events go to the default event bus, the
stack's rule matches them and its target is the governance log group. The test reads the log
group back until both events are there.

The log group's resource policy is checked against the shape the EventBridge User Guide documents
for a CloudWatch Logs target ("Using resource-based policies for Amazon EventBridge", CloudWatch
Logs permissions: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-cloudwatchlogs-permissions):
principals ``events.amazonaws.com`` and ``delivery.logs.amazonaws.com``, actions
``logs:CreateLogStream`` and ``logs:PutLogEvents`` on the log group's streams (``<arn>:*``).
The local cloud delivers rule targets through moto's events backend, which writes into the log
group without reading that policy: delivery here does not prove the policy admits it, which is
why its shape is checked against the documentation separately.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from environments import Names
from scripts.governance.context import env_context
from tests.e2e.deployed import DeployedCloud

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_after_workflow]

DETAIL_TYPE = "SageMaker Model Package State Change"
#: How long delivery may take before the test gives up (the local cloud delivers at once; on AWS
#: EventBridge delivers within seconds).
WAIT_S = 30.0


def _events_in_log_group(logs: Any, log_group: str, package_arn: str) -> list[dict[str, Any]]:
    found = []
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName=log_group):
        for event in page["events"]:
            message = json.loads(event["message"])
            if message.get("detail", {}).get("ModelPackageArn") == package_arn:
                found.append(message)
    return found


def test_state_changes_of_a_dev_version_land_in_the_governance_log_group(
    deployed_cloud: DeployedCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in deployed_cloud.cloud.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    platform = deployed_cloud.platform
    names = Names.of(platform, "dev")
    group = names.model_package_group(names.env.use_cases[0].name)
    sm = env_context(platform, "dev", "data_scientist", job="events-e2e").client("sagemaker")
    arn = sm.create_model_package(
        ModelPackageGroupName=group,
        ModelApprovalStatus="PendingManualApproval",
        ModelCard={
            "ModelCardContent": json.dumps({"intended_uses": {"purpose_of_model": "event delivery test"}}),
            "ModelCardStatus": "Draft",
        },
    )["ModelPackageArn"]
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")

    logs = deployed_cloud.account("dev").client("logs")
    deadline = time.monotonic() + WAIT_S
    landed = _events_in_log_group(logs, names.governance_log_group, arn)
    while len(landed) < 2 and time.monotonic() < deadline:
        time.sleep(1)
        landed = _events_in_log_group(logs, names.governance_log_group, arn)
    statuses = sorted(e["detail"]["ModelApprovalStatus"] for e in landed)
    assert statuses == ["Approved", "PendingManualApproval"], (
        f"after {WAIT_S:.0f}s the log group {names.governance_log_group} holds {len(landed)} state "
        f"change(s) of {arn}: {landed}"
    )
    for event in landed:
        assert (event["source"], event["detail-type"]) == ("aws.sagemaker", DETAIL_TYPE)
        assert event["account"] == names.env.account_id
        assert event["detail"]["ModelPackageGroupName"] == group


def test_log_group_policy_is_the_documented_eventbridge_shape(deployed_cloud: DeployedCloud) -> None:
    for env in ("dev", "staging", "prod"):
        names = Names.of(deployed_cloud.platform, env)
        logs = deployed_cloud.account(env).client("logs")
        policies = {p["policyName"]: p for p in logs.describe_resource_policies()["resourcePolicies"]}
        policy = json.loads(policies[f"{names.base}-governance-events"]["policyDocument"])
        (stmt,) = policy["Statement"]
        assert stmt["Effect"] == "Allow"
        assert sorted(stmt["Principal"]["Service"]) == ["delivery.logs.amazonaws.com", "events.amazonaws.com"]
        assert sorted(stmt["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
        log_group_arn = (
            f"arn:aws:logs:{names.env.region}:{names.env.account_id}:log-group:{names.governance_log_group}"
        )
        assert stmt["Resource"] in ([f"{log_group_arn}:*"], f"{log_group_arn}:*")
        # The group the rules deliver to is the one the policy names, encrypted with the platform key.
        (group,) = logs.describe_log_groups(logGroupNamePrefix=names.governance_log_group)["logGroups"]
        key_arn = deployed_cloud.account(env).client("ssm").get_parameter(Name=names.ssm_kms_key_arn)
        assert group["kmsKeyId"] == key_arn["Parameter"]["Value"]
        events = deployed_cloud.account(env).client("events")
        rule = f"{names.base}-model-package-state"
        targets = events.list_targets_by_rule(Rule=rule)["Targets"]
        assert [t["Arn"].removesuffix(":*") for t in targets] == [log_group_arn]
        # EventBridge writes to a log group through its resource policy, never through a role.
        assert all("RoleArn" not in t for t in targets)
