"""SageMaker Search, model cards and provisioning time in-process (mock_aws), as AWS behaves.

Search over model packages is what the report pages through (issue 10): whole records, 100 a
page, filtered and sorted by the server. Model cards follow the API reference of
ModelPackageModelCard, DescribeModelPackage/DescribeModelCard (``IncludedData``) and
UpdateModelCard.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

CONFIG = Config(retries={"mode": "standard", "max_attempts": 1})
GROUP = "mlgov-credit-risk"
CONTENT = {
    "model_overview": {"model_creator": "data-science"},
    "intended_uses": {"purpose_of_model": "credit risk", "risk_rating": "Medium"},
}


@pytest.fixture
def sm(mocked: None):
    client = boto3.client("sagemaker", config=CONFIG)
    client.create_model_package_group(ModelPackageGroupName=GROUP, Tags=[{"Key": "team", "Value": "risk"}])
    return client


def register(sm, group: str = GROUP, status: str = "Draft", **extra) -> str:
    return sm.create_model_package(
        ModelPackageGroupName=group,
        ModelCard={"ModelCardContent": json.dumps(CONTENT), "ModelCardStatus": status},
        **extra,
    )["ModelPackageArn"]


def in_group(group: str = GROUP) -> dict:
    return {"Filters": [{"Name": "ModelPackageGroupName", "Operator": "Equals", "Value": group}]}


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return error.value.response["Error"]["Code"]


# -- Search: model packages ---------------------------------------------------------------
def test_search_returns_whole_model_package_records(sm):
    arn = register(
        sm,
        ModelLifeCycle={"Stage": "Development", "StageStatus": "Registered"},
        CustomerMetadataProperties={"source": "seed"},
        Tags=[{"Key": "use-case", "Value": "credit"}],
    )
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    [result] = sm.search(Resource="ModelPackage", SearchExpression=in_group())["Results"]
    record = result["ModelPackage"]
    assert record["ModelPackageArn"] == arn
    assert record["ModelApprovalStatus"] == "Approved"
    assert json.loads(record["ModelCard"]["ModelCardContent"]) == CONTENT
    assert record["ModelCard"]["ModelCardStatus"] == "Draft"
    assert record["ModelLifeCycle"] == {"Stage": "Development", "StageStatus": "Registered"}
    assert record["CustomerMetadataProperties"] == {"source": "seed"}
    assert record["Tags"] == [{"Key": "use-case", "Value": "credit"}]
    # The record is what DescribeModelPackage says, so a report needs no per-version call.
    described = sm.describe_model_package(ModelPackageName=arn)
    assert {k: described[k] for k in record if k != "Tags"} == {
        k: v for k, v in record.items() if k != "Tags"
    }


def test_search_pages_100_at_a_time_with_next_token(sm):
    for _ in range(230):
        register(sm)
    sm.create_model_package_group(ModelPackageGroupName="other")
    register(sm, group="other")
    pages = list(
        sm.get_paginator("search").paginate(
            Resource="ModelPackage", SearchExpression=in_group(), SortBy="CreationTime", SortOrder="Ascending"
        )
    )
    assert [len(p["Results"]) for p in pages] == [100, 100, 30]
    versions = [r["ModelPackage"]["ModelPackageVersion"] for p in pages for r in p["Results"]]
    assert versions == list(range(1, 231))
    small = sm.search(Resource="ModelPackage", SearchExpression=in_group(), MaxResults=7)
    assert len(small["Results"]) == 7 and small["NextToken"]
    # botocore checks the range client-side; the server refuses it too, as AWS's does.
    unchecked = boto3.client(
        "sagemaker", config=Config(parameter_validation=False, retries={"max_attempts": 1})
    )
    for bad in (0, 101):
        with pytest.raises(ClientError) as error:
            unchecked.search(Resource="ModelPackage", MaxResults=bad)
        assert code(error) == "ValidationException"
    with pytest.raises(ClientError) as error:
        # A token belongs to the query it came from.
        sm.search(Resource="ModelPackage", SearchExpression=in_group("other"), NextToken=small["NextToken"])
    assert code(error) in ("ValidationException", "InvalidToken")


def test_search_filters_by_approval_and_creation_time_and_sorts(sm):
    first, second, third = register(sm), register(sm), register(sm)
    sm.update_model_package(ModelPackageArn=second, ModelApprovalStatus="Approved")
    sm.update_model_package(ModelPackageArn=third, ModelApprovalStatus="Rejected")

    def arns(**kwargs) -> list[str]:
        return [
            r["ModelPackage"]["ModelPackageArn"]
            for r in sm.search(Resource="ModelPackage", **kwargs)["Results"]
        ]

    approved = {"Filters": [{"Name": "ModelApprovalStatus", "Operator": "Equals", "Value": "Approved"}]}
    assert arns(SearchExpression=approved) == [second]
    not_rejected = {
        "Filters": [{"Name": "ModelApprovalStatus", "Operator": "NotEquals", "Value": "Rejected"}]
    }
    assert sorted(arns(SearchExpression=not_rejected)) == sorted([first, second])
    one_of = {"Filters": [{"Name": "ModelApprovalStatus", "Operator": "In", "Value": "Approved,Rejected"}]}
    assert sorted(arns(SearchExpression=one_of)) == sorted([second, third])
    past = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    future = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    after = {"Filters": [{"Name": "CreationTime", "Operator": "GreaterThan", "Value": past}]}
    assert len(arns(SearchExpression=after)) == 3
    before = {"Filters": [{"Name": "CreationTime", "Operator": "GreaterThanOrEqualTo", "Value": future}]}
    assert arns(SearchExpression=before) == []
    by_version = arns(SearchExpression=in_group(), SortBy="ModelPackageVersion", SortOrder="Descending")
    assert by_version == [third, second, first]
    card_and_either = {
        "Filters": [{"Name": "ModelCard.ModelCardStatus", "Value": "Draft"}],
        "SubExpressions": [
            {
                "Operator": "Or",
                "Filters": [
                    {"Name": "ModelApprovalStatus", "Value": "Approved"},
                    {"Name": "ModelApprovalStatus", "Value": "Rejected"},
                ],
            }
        ],
    }
    assert sorted(arns(SearchExpression=card_and_either)) == sorted([second, third])


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ({"Filters": [{"Name": "NoSuchProperty", "Value": "x"}]}, "Unknown property name"),
        ({"Filters": [{"Name": "ModelApprovalStatus", "Operator": "GreaterThan", "Value": "A"}]}, "text"),
        ({"Filters": [{"Name": "CreationTime", "Operator": "Equals", "Value": "yesterday"}]}, "timestamp"),
        ({"Filters": [{"Name": "ModelPackageVersion", "Operator": "Contains", "Value": "1"}]}, "text"),
        ({}, "at least one"),
    ],
)
def test_search_refuses_what_sagemaker_refuses(sm, expression, message):
    register(sm)
    with pytest.raises(ClientError) as error:
        sm.search(Resource="ModelPackage", SearchExpression=expression)
    assert code(error) == "ValidationException"
    assert message in error.value.response["Error"]["Message"]


def test_search_sees_only_the_callers_account(sm, monkeypatch):
    register(sm)
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "222222222222")
    other = boto3.client("sagemaker", config=CONFIG)
    assert other.search(Resource="ModelPackage")["Results"] == []
    assert other.search(Resource="ModelPackage", CrossAccountFilterOption="CrossAccount")["Results"] == []


def test_search_model_package_groups(sm):
    sm.create_model_package_group(ModelPackageGroupName="mlgov-churn")
    results = sm.search(
        Resource="ModelPackageGroup",
        SearchExpression={"Filters": [{"Name": "Tags.team", "Value": "risk"}]},
    )["Results"]
    assert [r["ModelPackageGroup"]["ModelPackageGroupName"] for r in results] == [GROUP]
    assert results[0]["ModelPackageGroup"]["Tags"] == [{"Key": "team", "Value": "risk"}]


# -- model package cards ------------------------------------------------------------------
def test_an_archived_card_content_cannot_change(sm):
    arn = register(sm, status="Archived")
    changed = json.dumps({**CONTENT, "intended_uses": {"purpose_of_model": "changed"}})
    with pytest.raises(ClientError) as error:
        sm.update_model_package(ModelPackageArn=arn, ModelCard={"ModelCardContent": changed})
    assert code(error) == "ValidationException"
    assert error.value.response["Error"]["Message"] == "Model Card is in Archived state."
    assert (
        json.loads(sm.describe_model_package(ModelPackageName=arn)["ModelCard"]["ModelCardContent"])
        == CONTENT
    )
    # Nor may it move back to Draft (or any other status), after which its content could change.
    for status in ("Draft", "PendingReview", "Approved"):
        with pytest.raises(ClientError) as error:
            sm.update_model_package(ModelPackageArn=arn, ModelCard={"ModelCardStatus": status})
        assert code(error) == "ValidationException"
        assert error.value.response["Error"]["Message"] == "Model Card is in Archived state."
    assert sm.describe_model_package(ModelPackageName=arn)["ModelCard"]["ModelCardStatus"] == "Archived"
    sm.update_model_package(ModelPackageArn=arn, ModelCard={"ModelCardStatus": "Archived"})  # no change


def test_content_and_status_change_in_one_update_model_package_call(sm):
    """UpdateModelPackage's reference states no restriction (unlike UpdateModelCard's)."""
    arn = register(sm)
    changed = {**CONTENT, "business_details": {"business_problem": "defaults"}}
    sm.update_model_package(
        ModelPackageArn=arn,
        ModelCard={"ModelCardContent": json.dumps(changed), "ModelCardStatus": "PendingReview"},
    )
    card = sm.describe_model_package(ModelPackageName=arn)["ModelCard"]
    assert card["ModelCardStatus"] == "PendingReview" and json.loads(card["ModelCardContent"]) == changed


def test_metadata_only_trims_the_package_card(sm):
    arn = register(
        sm, ModelMetrics={"ModelQuality": {"Statistics": {"ContentType": "j", "S3Uri": "s3://b/e"}}}
    )
    trimmed = sm.describe_model_package(ModelPackageName=arn, IncludedData="MetadataOnly")
    assert json.loads(trimmed["ModelCard"]["ModelCardContent"]) == {
        "intended_uses": {"risk_rating": "Medium"}
    }
    assert trimmed["ModelCard"]["ModelCardStatus"] == "Draft"
    assert trimmed["ModelMetrics"] == sm.describe_model_package(ModelPackageName=arn)["ModelMetrics"]
    full = sm.describe_model_package(ModelPackageName=arn, IncludedData="AllData")
    assert json.loads(full["ModelCard"]["ModelCardContent"]) == CONTENT


# -- standalone model cards -------------------------------------------------------------
CARD = {
    "model_overview": {"model_id": "m-1", "model_name": "credit", "model_description": "secret"},
    "intended_uses": {"risk_rating": "High", "purpose_of_model": "credit risk"},
}


@pytest.fixture
def model_card(sm) -> str:
    sm.create_model_card(ModelCardName="credit-card", Content=json.dumps(CARD), ModelCardStatus="Draft")
    return "credit-card"


def test_search_finds_model_cards(sm, model_card):
    [result] = sm.search(
        Resource="ModelCard", SearchExpression={"Filters": [{"Name": "RiskRating", "Value": "High"}]}
    )["Results"]
    record = result["ModelCard"]
    assert (record["ModelCardName"], record["ModelId"], record["ModelCardStatus"]) == (
        model_card,
        "m-1",
        "Draft",
    )
    assert json.loads(record["Content"]) == CARD


def test_describe_model_card_metadata_only(sm, model_card):
    trimmed = sm.describe_model_card(ModelCardName=model_card, IncludedData="MetadataOnly")
    assert json.loads(trimmed["Content"]) == {
        "model_overview": {"model_id": "m-1", "model_name": "credit"},
        "intended_uses": {"risk_rating": "High"},
    }


def test_update_model_card_changes_content_or_status_not_both(sm, model_card):
    with pytest.raises(ClientError) as error:
        sm.update_model_card(ModelCardName=model_card, Content="{}", ModelCardStatus="Approved")
    assert code(error) == "ValidationException"
    sm.update_model_card(ModelCardName=model_card, ModelCardStatus="PendingReview")
    latest = sm.describe_model_card(ModelCardName=model_card)
    assert latest["ModelCardStatus"] == "PendingReview" and json.loads(latest["Content"]) == CARD
    versions = sm.list_model_card_versions(ModelCardName=model_card)["ModelCardVersionSummaryList"]
    assert sorted(v["ModelCardVersion"] for v in versions) == [1, 2]


def test_export_job_writes_the_document_to_the_output_path(sm, model_card):
    s3 = boto3.client("s3", config=CONFIG)
    s3.create_bucket(Bucket="mlgov-exports")
    arn = sm.create_model_card_export_job(
        ModelCardName=model_card,
        ModelCardExportJobName="export-1",
        OutputConfig={"S3OutputPath": "s3://mlgov-exports/cards"},
    )["ModelCardExportJobArn"]
    job = sm.describe_model_card_export_job(ModelCardExportJobArn=arn)
    assert (job["Status"], job["ModelCardVersion"]) == ("Completed", 1)
    uri = job["ExportArtifacts"]["S3ExportArtifacts"]
    assert uri == "s3://mlgov-exports/cards/credit-card/export-1.pdf"
    body = s3.get_object(Bucket="mlgov-exports", Key="cards/credit-card/export-1.pdf")["Body"].read()
    assert body.startswith(b"%PDF-1.4") and body.rstrip().endswith(b"%%EOF") and b"credit-card" in body
    with pytest.raises(ClientError) as error:
        sm.create_model_card_export_job(
            ModelCardName=model_card,
            ModelCardExportJobName="export-1",
            OutputConfig={"S3OutputPath": "s3://mlgov-exports/cards"},
        )
    assert code(error) == "ConflictException"
    failed = sm.create_model_card_export_job(
        ModelCardName=model_card,
        ModelCardExportJobName="export-2",
        OutputConfig={"S3OutputPath": "s3://no-such-bucket/cards"},
    )["ModelCardExportJobArn"]
    failure = sm.describe_model_card_export_job(ModelCardExportJobArn=failed)
    assert failure["Status"] == "Failed" and "no-such-bucket" in failure["FailureReason"]
    summaries = sm.list_model_card_export_jobs(ModelCardName=model_card, SortBy="Name", SortOrder="Ascending")
    assert [s["ModelCardExportJobName"] for s in summaries["ModelCardExportJobSummaries"]] == [
        "export-1",
        "export-2",
    ]
    with pytest.raises(ClientError) as error:
        sm.create_model_card_export_job(
            ModelCardName="no-such-card",
            ModelCardExportJobName="export-3",
            OutputConfig={"S3OutputPath": "s3://mlgov-exports/cards"},
        )
    assert code(error) == "ResourceNotFound"
    with pytest.raises(ClientError) as error:
        sm.describe_model_card_export_job(ModelCardExportJobArn=arn.replace("export-1", "export-9"))
    assert code(error) == "ResourceNotFound"


# -- things take time -----------------------------------------------------------------------
def test_domains_and_user_profiles_are_pending_before_in_service(sm, monkeypatch, clock):
    monkeypatch.setenv("MLGOV_LOCALCLOUD_SAGEMAKER_DELAY_S", "60")
    domain = sm.create_domain(
        DomainName="mlgov-dev-studio",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/exec"},
        SubnetIds=["subnet-1"],
        VpcId="vpc-1",
    )["DomainId"]
    sm.create_user_profile(DomainId=domain, UserProfileName="ds-1")
    assert sm.describe_domain(DomainId=domain)["Status"] == "Pending"
    assert sm.describe_user_profile(DomainId=domain, UserProfileName="ds-1")["Status"] == "Pending"
    assert [p["Status"] for p in sm.list_user_profiles(DomainIdEquals=domain)["UserProfiles"]] == ["Pending"]
    clock.advance(61)
    assert sm.describe_domain(DomainId=domain)["Status"] == "InService"
    assert sm.describe_user_profile(DomainId=domain, UserProfileName="ds-1")["Status"] == "InService"
