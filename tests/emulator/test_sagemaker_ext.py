"""The SageMaker extensions in-process (mock_aws): registry governance, lineage, Studio."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.core.utils import get_service_model

from scripts.localcloud.moto_ext.sagemaker.models import (
    CreateModelPackageRequest,
    UpdateModelPackageRequest,
    member_name,
)

CONFIG = Config(retries={"mode": "standard"})
SPEC = {
    "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/sk:1"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}


def card(status: str = "Draft", **content: object) -> dict[str, str]:
    body = content or {"model_overview": {"model_creator": "data-science"}}
    return {"ModelCardContent": json.dumps(body), "ModelCardStatus": status}


@pytest.fixture
def sm(mocked: None):
    client = boto3.client("sagemaker", config=CONFIG)
    client.create_model_package_group(ModelPackageGroupName="mlgov-credit-risk")
    return client


def register(sm, **extra):
    return sm.create_model_package(
        ModelPackageGroupName="mlgov-credit-risk", InferenceSpecification=SPEC, **extra
    )["ModelPackageArn"]


def test_card_lifecycle_security_config_round_trip(sm):
    key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    arn = register(
        sm,
        ModelCard=card(),
        ModelLifeCycle={"Stage": "Development", "StageStatus": "Registered", "StageDescription": "new"},
        SecurityConfig={"KmsKeyId": key},
    )
    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["ModelCard"]["ModelCardStatus"] == "Draft"
    assert json.loads(described["ModelCard"]["ModelCardContent"]) == {
        "model_overview": {"model_creator": "data-science"}
    }
    assert described["ModelLifeCycle"] == {
        "Stage": "Development",
        "StageStatus": "Registered",
        "StageDescription": "new",
    }
    assert described["SecurityConfig"]["KmsKeyId"] == key
    # A key that does not exist cannot encrypt anything: SageMaker refuses the registration.
    with pytest.raises(ClientError) as error:
        register(sm, SecurityConfig={"KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/abc"})
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert described["ModelApprovalStatus"] == "PendingManualApproval"


@pytest.mark.parametrize(
    "content",
    [
        {"model_overview": {"model_description": "not allowed on a package card"}},
        {"model_package_details": {"model_package_name": "x"}},
        {"intended_uses": {"risk_rating": "Extreme"}},
        {"evaluation_details": [{"metric_groups": []}]},
    ],
)
def test_card_content_outside_the_package_schema_is_rejected(sm, content):
    with pytest.raises(ClientError) as error:
        register(sm, ModelCard=card(**content))
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert sm.list_model_packages(ModelPackageGroupName="mlgov-credit-risk")["ModelPackageSummaryList"] == []


def test_card_content_that_is_not_json_is_rejected(sm):
    with pytest.raises(ClientError, match="not valid JSON"):
        register(sm, ModelCard={"ModelCardContent": "{nope", "ModelCardStatus": "Draft"})


def test_client_token_returns_the_same_version(sm):
    first = register(sm, ClientToken="promote-abc")
    second = register(sm, ClientToken="promote-abc")
    third = register(sm, ClientToken="promote-def")
    assert first == second != third
    versions = sm.list_model_packages(ModelPackageGroupName="mlgov-credit-risk")["ModelPackageSummaryList"]
    assert len(versions) == 2


def test_update_changes_only_what_is_named(sm):
    arn = register(sm, ModelCard=card(), CustomerMetadataProperties={"keep": "1", "drop": "2"})
    sm.update_model_package(
        ModelPackageArn=arn,
        ModelApprovalStatus="Approved",
        ApprovalDescription="ok by officer",
        CustomerMetadataProperties={"added": "3"},
        CustomerMetadataPropertiesToRemove=["drop"],
        ModelCard={"ModelCardStatus": "PendingReview"},
        ModelLifeCycle={"Stage": "Development", "StageStatus": "Deployed"},
    )
    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["ApprovalDescription"] == "ok by officer"
    assert described["CustomerMetadataProperties"] == {"keep": "1", "added": "3"}
    assert described["ModelCard"]["ModelCardStatus"] == "PendingReview"
    assert "model_creator" in described["ModelCard"]["ModelCardContent"]
    assert described["ModelLifeCycle"]["StageStatus"] == "Deployed"
    summary = sm.list_model_packages(ModelPackageGroupName="mlgov-credit-risk")["ModelPackageSummaryList"][0]
    assert summary["ModelLifeCycle"]["StageStatus"] == "Deployed"


def test_update_rejects_bad_card_status_and_bad_content(sm):
    arn = register(sm, ModelCard=card())
    with pytest.raises(ClientError):
        sm.update_model_package(
            ModelPackageArn=arn,
            ModelCard={"ModelCardContent": json.dumps({"model_overview": {"algorithm_type": "x"}})},
        )
    assert sm.describe_model_package(ModelPackageName=arn)["ModelCard"]["ModelCardStatus"] == "Draft"


def test_group_policy_put_get_delete(sm, monkeypatch):
    # The principal must exist, as AWS requires of a resource policy.
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "222222222222")
    boto3.client("iam", config=CONFIG).create_role(
        RoleName="mlgov-staging-promotion", AssumeRolePolicyDocument=json.dumps({"Statement": []})
    )
    monkeypatch.delenv("MOTO_ACCOUNT_ID")
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::222222222222:role/mlgov-staging-promotion"},
                    "Action": ["sagemaker:DescribeModelPackage"],
                    "Resource": "*",
                }
            ],
        }
    )
    group_arn = sm.put_model_package_group_policy(
        ModelPackageGroupName="mlgov-credit-risk", ResourcePolicy=policy
    )["ModelPackageGroupArn"]
    assert group_arn.endswith(":model-package-group/mlgov-credit-risk")
    assert (
        sm.get_model_package_group_policy(ModelPackageGroupName="mlgov-credit-risk")["ResourcePolicy"]
        == policy
    )
    sm.delete_model_package_group_policy(ModelPackageGroupName="mlgov-credit-risk")
    with pytest.raises(ClientError):
        sm.get_model_package_group_policy(ModelPackageGroupName="mlgov-credit-risk")


def test_delete_package_then_group_and_versions_are_not_reused(sm):
    first = register(sm)
    with pytest.raises(ClientError) as error:
        sm.delete_model_package_group(ModelPackageGroupName="mlgov-credit-risk")
    assert error.value.response["Error"]["Code"] == "ConflictException"
    sm.delete_model_package(ModelPackageName=first)
    second = register(sm)
    assert second.endswith("/2")
    sm.delete_model_package(ModelPackageName=second)
    sm.delete_model_package_group(ModelPackageGroupName="mlgov-credit-risk")
    assert sm.list_model_package_groups()["ModelPackageGroupSummaryList"] == []


def package_artifact(sm, package_arn: str) -> str:
    """The lineage artifact standing for a model package (its SourceUri is the package ARN)."""
    return sm.create_artifact(Source={"SourceUri": package_arn}, ArtifactType="ModelPackage")["ArtifactArn"]


def test_lineage_artifacts_and_associations(sm):
    package = register(sm)
    model_data = sm.create_artifact(
        ArtifactName="model-data", Source={"SourceUri": "s3://bucket/model.tar.gz"}, ArtifactType="Model"
    )["ArtifactArn"]
    assert sm.describe_artifact(ArtifactArn=model_data)["Source"]["SourceUri"] == "s3://bucket/model.tar.gz"
    found = sm.list_artifacts(SourceUri="s3://bucket/model.tar.gz")["ArtifactSummaries"]
    assert [a["ArtifactArn"] for a in found] == [model_data]
    assert sm.list_artifacts(SourceUri="s3://bucket/other")["ArtifactSummaries"] == []
    target = package_artifact(sm, package)
    upstream = package_artifact(
        sm, "arn:aws:sagemaker:us-east-1:111111111111:model-package/mlgov-credit-risk/1"
    )
    sm.add_association(SourceArn=model_data, DestinationArn=target, AssociationType="ContributedTo")
    sm.add_association(SourceArn=upstream, DestinationArn=target, AssociationType="DerivedFrom")
    into = sm.list_associations(DestinationArn=target)["AssociationSummaries"]
    assert {a["SourceArn"] for a in into} == {model_data, upstream}
    assert {a["SourceType"] for a in into} == {"Model", "ModelPackage"}
    derived = sm.list_associations(DestinationArn=target, AssociationType="DerivedFrom")[
        "AssociationSummaries"
    ]
    assert [a["SourceArn"] for a in derived] == [upstream]
    sm.delete_association(SourceArn=model_data, DestinationArn=target)
    assert len(sm.list_associations(DestinationArn=target)["AssociationSummaries"]) == 1
    with pytest.raises(ClientError) as error:
        sm.add_association(
            SourceArn="arn:aws:sagemaker:us-east-1:123456789012:artifact/missing", DestinationArn=target
        )
    assert error.value.response["Error"]["Code"] == "ResourceNotFound"


def test_only_lineage_entities_can_be_associated(sm):
    """As on AWS (AssociationEntityArn): a model package ARN is not a lineage entity."""
    package = register(sm)
    artifact = package_artifact(sm, package)
    with pytest.raises(ClientError) as error:
        sm.add_association(SourceArn=artifact, DestinationArn=package)
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert sm.list_associations(SourceArn=artifact)["AssociationSummaries"] == []


def test_list_associations_pages(sm):
    target = package_artifact(sm, register(sm))
    for i in range(5):
        source = package_artifact(
            sm, f"arn:aws:sagemaker:us-east-1:111111111111:model-package/mlgov-credit-risk/{i + 1}"
        )
        sm.add_association(SourceArn=source, DestinationArn=target)
    pages = sm.get_paginator("list_associations").paginate(
        DestinationArn=target, PaginationConfig={"PageSize": 2}
    )
    sizes = [len(page["AssociationSummaries"]) for page in pages]
    assert sizes == [2, 2, 1]


def test_domain_ids_follow_the_aws_format_and_user_profiles_work(sm, monkeypatch):
    import re

    # Provisioning time is tested on its own (test_sagemaker_search_cards.py).
    monkeypatch.setenv("MLGOV_LOCALCLOUD_SAGEMAKER_DELAY_S", "0")
    domain = sm.create_domain(
        DomainName="mlgov-dev-studio",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/exec"},
        SubnetIds=["subnet-1"],
        VpcId="vpc-1",
    )
    assert re.fullmatch(r"d-[a-z0-9]{12}", domain["DomainId"])
    assert domain["DomainArn"].endswith(f":domain/{domain['DomainId']}")
    domain_id = domain["DomainId"]
    arn = sm.create_user_profile(
        DomainId=domain_id, UserProfileName="data-scientist-1", Tags=[{"Key": "team", "Value": "a"}]
    )["UserProfileArn"]
    assert arn.endswith(f":user-profile/{domain_id}/data-scientist-1")
    with pytest.raises(ClientError) as error:
        sm.create_user_profile(DomainId=domain_id, UserProfileName="data-scientist-1")
    assert error.value.response["Error"]["Code"] == "ResourceInUse"
    sm.update_user_profile(
        DomainId=domain_id,
        UserProfileName="data-scientist-1",
        UserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/ds"},
    )
    profile = sm.describe_user_profile(DomainId=domain_id, UserProfileName="data-scientist-1")
    assert profile["UserSettings"]["ExecutionRole"].endswith("role/ds")
    assert profile["Status"] == "InService"
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "a"}]
    assert [
        p["UserProfileName"] for p in sm.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"]
    ] == ["data-scientist-1"]
    sm.delete_user_profile(DomainId=domain_id, UserProfileName="data-scientist-1")
    with pytest.raises(ClientError) as error:
        sm.describe_user_profile(DomainId=domain_id, UserProfileName="data-scientist-1")
    assert error.value.response["Error"]["Code"] == "ResourceNotFound"
    sm.delete_domain(DomainId=domain_id)
    with pytest.raises(ClientError) as error:
        sm.describe_domain(DomainId=domain_id)
    assert error.value.response["Error"]["Code"] == "ResourceNotFound"


def test_user_profile_needs_an_existing_domain(sm):
    with pytest.raises(ClientError) as error:
        sm.create_user_profile(DomainId="d-000000000000", UserProfileName="x")
    assert error.value.response["Error"]["Code"] == "ResourceNotFound"


GOVERNANCE_LOG = "arn:aws:logs:us-east-1:123456789012:log-group:/mlgov/dev/governance-events"


def _log_policy(resource: str, effect: str = "Allow") -> str:
    """The EventBridge User Guide's log group policy (CloudWatch Logs permissions)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "TrustEventsToStoreLogEvent",
                    "Effect": effect,
                    "Principal": {"Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]},
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": resource,
                }
            ],
        }
    )


def _governance_rule() -> Any:
    logs = boto3.client("logs", config=CONFIG)
    events = boto3.client("events", config=CONFIG)
    logs.create_log_group(logGroupName="/mlgov/dev/governance-events")
    events.put_rule(
        Name="model-package-state",
        EventPattern=json.dumps(
            {"source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Package State Change"]}
        ),
    )
    events.put_targets(Rule="model-package-state", Targets=[{"Id": "log", "Arn": GOVERNANCE_LOG}])
    return logs


@pytest.mark.parametrize(
    "policies",
    [
        pytest.param([], id="no-policy"),
        pytest.param(
            [_log_policy("arn:aws:logs:us-east-1:123456789012:log-group:/other:*")], id="other-group"
        ),
        pytest.param([_log_policy(f"{GOVERNANCE_LOG}:*"), _log_policy("*", "Deny")], id="denied"),
    ],
)
def test_no_event_lands_without_the_log_group_policy(sm, policies):
    """EventBridge writes into a log group only through its resource policies (EventBridge User
    Guide, CloudWatch Logs permissions); a refused delivery leaves nothing, as on AWS."""
    logs = _governance_rule()
    for n, policy in enumerate(policies):
        logs.put_resource_policy(policyName=f"p{n}", policyDocument=policy)
    register(sm)
    assert logs.describe_log_streams(logGroupName="/mlgov/dev/governance-events")["logStreams"] == []


def test_approval_change_reaches_an_eventbridge_rule_target(sm):
    logs = _governance_rule()
    logs.put_resource_policy(
        policyName="governance-events", policyDocument=_log_policy(f"{GOVERNANCE_LOG}:*")
    )
    arn = register(sm)
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    # Same status again: no new event, as on AWS only a change is published.
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    streams = logs.describe_log_streams(logGroupName="/mlgov/dev/governance-events")["logStreams"]
    messages = [
        json.loads(e["message"])
        for s in streams
        for e in logs.get_log_events(
            logGroupName="/mlgov/dev/governance-events", logStreamName=s["logStreamName"]
        )["events"]
    ]
    # moto writes each delivered event to its own stream, so stream order is not event order.
    statuses = sorted(m["detail"]["ModelApprovalStatus"] for m in messages)
    assert statuses == ["Approved", "PendingManualApproval"]
    assert all(m["source"] == "aws.sagemaker" for m in messages)
    # The whole event, as AWS delivers it to a target without an input transformer.
    assert all(m["account"] == "123456789012" and m["region"] == "us-east-1" for m in messages)
    assert list(messages[0]) == [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ]
    approved = next(m for m in messages if m["detail"]["ModelApprovalStatus"] == "Approved")
    assert approved["detail-type"] == "SageMaker Model Package State Change"
    assert approved["detail"]["ModelPackageArn"] == arn
    assert approved["detail"]["ModelPackageVersion"] == 1
    assert approved["detail"]["ModelPackageGroupName"] == "mlgov-credit-risk"


def test_calls_by_arn_are_served_from_the_account_in_the_arn(sm, monkeypatch):
    """A downstream promotion role reads and annotates the upstream version by its ARN."""
    upstream_arn = register(sm, ModelCard=card())
    group_arn = sm.describe_model_package_group(ModelPackageGroupName="mlgov-credit-risk")[
        "ModelPackageGroupArn"
    ]
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "222222222222")
    downstream = boto3.client("sagemaker", config=CONFIG)
    assert downstream.list_model_package_groups()["ModelPackageGroupSummaryList"] == []
    assert downstream.describe_model_package(ModelPackageName=upstream_arn)["ModelPackageArn"] == upstream_arn
    assert (
        downstream.describe_model_package_group(ModelPackageGroupName=group_arn)["ModelPackageGroupArn"]
        == group_arn
    )
    listed = downstream.list_model_packages(ModelPackageGroupName=group_arn)["ModelPackageSummaryList"]
    assert [p["ModelPackageArn"] for p in listed] == [upstream_arn]
    downstream.update_model_package(
        ModelPackageArn=upstream_arn,
        ModelLifeCycle={"Stage": "Development", "StageStatus": "PromotedToStaging"},
    )
    monkeypatch.delenv("MOTO_ACCOUNT_ID")
    assert sm.describe_model_package(ModelPackageName=upstream_arn)["ModelLifeCycle"]["StageStatus"] == (
        "PromotedToStaging"
    )


def test_input_constraints_are_checked_server_side_like_aws(sm):
    """botocore does not check patterns or maximum lengths; AWS does, so the emulator does."""
    with pytest.raises(ClientError) as error:
        sm.create_artifact(
            ArtifactName="not_allowed_underscore", Source={"SourceUri": "s3://b/k"}, ArtifactType="Model"
        )
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert "artifactName" in error.value.response["Error"]["Message"]
    assert "regular expression pattern" in error.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as error:
        register(sm, ModelLifeCycle={"Stage": "x" * 65, "StageStatus": "Registered"})
    assert "2 validation errors detected" in error.value.response["Error"]["Message"]
    assert "modelLifeCycle.stage" in error.value.response["Error"]["Message"]
    assert sm.list_artifacts()["ArtifactSummaries"] == []


@pytest.mark.parametrize(
    ("request_type", "operation"),
    [(CreateModelPackageRequest, "CreateModelPackage"), (UpdateModelPackageRequest, "UpdateModelPackage")],
)
def test_request_fields_are_members_of_the_operation(request_type, operation):
    """A field that names no botocore member would always read as absent from the request."""
    members = set(get_service_model("sagemaker").operation_model(operation).input_shape.members)
    assert {member_name(f.name) for f in fields(request_type)} - members == set()


def test_user_profiles_and_artifacts_page_with_next_token(sm):
    domain_id = sm.create_domain(
        DomainName="mlgov-dev-studio",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/exec"},
        SubnetIds=["subnet-1"],
        VpcId="vpc-1",
    )["DomainId"]
    for i in range(5):
        sm.create_user_profile(DomainId=domain_id, UserProfileName=f"user-{i}")
        sm.create_artifact(
            ArtifactName=f"artifact-{i}", Source={"SourceUri": f"s3://b/{i}"}, ArtifactType="Model"
        )
    profile_pages = [
        [p["UserProfileName"] for p in page["UserProfiles"]]
        for page in sm.get_paginator("list_user_profiles").paginate(
            SortBy="CreationTime", SortOrder="Ascending", PaginationConfig={"PageSize": 2}
        )
    ]
    assert profile_pages == [["user-0", "user-1"], ["user-2", "user-3"], ["user-4"]]
    artifact_pages = [
        len(page["ArtifactSummaries"])
        for page in sm.get_paginator("list_artifacts").paginate(PaginationConfig={"PageSize": 3})
    ]
    assert artifact_pages == [3, 2]
    first = sm.list_artifacts(MaxResults=3)
    with pytest.raises(ClientError) as error:
        sm.list_artifacts(MaxResults=3, NextToken=first["NextToken"], ArtifactType="Dataset")
    assert error.value.response["Error"]["Code"] == "InvalidToken"
