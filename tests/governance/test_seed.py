"""seed: versions from real training runs, cards, SSE-KMS artifacts, idempotent second run."""

from __future__ import annotations

import json

import pytest

from scripts.governance import seed as seed_job
from scripts.governance.cards import DATAZONE_PROJECT_KEY, evaluation_metrics, parse_card, present_sections
from scripts.governance.errors import UsageError

from .conftest import DATAZONE_PROJECT_ID


def test_seed_registers_three_versions_with_cards(cloud, platform):
    result = seed_job.seed(platform, "dev")
    assert [v["status"] for v in result["versions"]] == ["created"] * 3
    sm = cloud.client("dev", "sagemaker")
    s3 = cloud.client("dev", "s3")
    for v in result["versions"]:
        desc = sm.describe_model_package(ModelPackageName=v["arn"])
        assert desc["ModelApprovalStatus"] == "PendingManualApproval"
        assert desc["ModelCard"]["ModelCardStatus"] == "Draft"
        assert desc["ModelLifeCycle"]["Stage"] == "Development"
        assert desc["SecurityConfig"]["KmsKeyId"] == cloud.kms_keys["dev"]
        card = parse_card(desc["ModelCard"]["ModelCardContent"])
        assert present_sections(card) >= set(platform.env("prod").governance.required_card_sections)
        assert card.additional_information.custom_details[DATAZONE_PROJECT_KEY] == DATAZONE_PROJECT_ID
        report_uri = desc["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
        bucket, key = report_uri[5:].split("/", 1)
        assert bucket == cloud.bucket("dev")
        head = s3.head_object(Bucket=bucket, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms"
        assert head["SSEKMSKeyId"] == cloud.kms_keys["dev"]
        report = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        # The card's metrics are the report's metrics: both come from the same training run.
        assert evaluation_metrics(card) == pytest.approx(report["metrics"])
        model_uri = desc["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
        assert (
            s3.head_object(Bucket=bucket, Key=model_uri.split("/", 3)[3])["SSEKMSKeyId"]
            == cloud.kms_keys["dev"]
        )
    # Different hyperparameters give different models.
    metrics = {json.dumps(v["metrics"], sort_keys=True) for v in result["versions"]}
    assert len(metrics) == 3


def test_second_seed_registers_nothing(cloud, platform):
    first = seed_job.seed(platform, "dev")
    second = seed_job.seed(platform, "dev")
    assert [v["status"] for v in second["versions"]] == ["exists"] * 3
    assert [v["arn"] for v in second["versions"]] == [v["arn"] for v in first["versions"]]
    listed = cloud.client("dev", "sagemaker").list_model_packages(ModelPackageGroupName="mlgov-credit-risk")
    assert len(listed["ModelPackageSummaryList"]) == 3


def test_seed_creates_group_only_when_missing(cloud, platform):
    sm = cloud.client("dev", "sagemaker")
    sm.delete_model_package_group(ModelPackageGroupName="mlgov-credit-risk")
    result = seed_job.seed(platform, "dev")
    assert result["group_created"] is True
    assert seed_job.seed(platform, "dev")["group_created"] is False


def test_seed_dry_run_writes_nothing(cloud, platform):
    result = seed_job.seed(platform, "dev", dry_run=True)
    assert [v["status"] for v in result["versions"]] == ["would-create"] * 3
    sm = cloud.client("dev", "sagemaker")
    assert sm.list_model_packages(ModelPackageGroupName="mlgov-credit-risk")["ModelPackageSummaryList"] == []
    assert "Contents" not in cloud.client("dev", "s3").list_objects_v2(Bucket=cloud.bucket("dev"))


def test_seed_refuses_downstream_environment(cloud, platform):
    with pytest.raises(UsageError, match="promotes from 'dev'"):
        seed_job.seed(platform, "staging")


def test_seed_cli_unknown_environment_exits_2(cloud, capsys):
    assert seed_job.main(["--env", "qa"]) == 2
    assert "unknown environment 'qa'" in capsys.readouterr().err


def test_seed_cli_json(cloud, capsys):
    """--json prints what was registered: each version in dev's group, created, then existing."""
    group_arn = "arn:aws:sagemaker:us-east-1:111111111111:model-package/mlgov-credit-risk"
    assert seed_job.main(["--env", "dev", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["environment"], out["group"], out["use_case"]) == ("dev", "mlgov-credit-risk", "credit-risk")
    assert (out["dry_run"], out["group_created"], out["datazone_project_id"]) == (
        False,
        False,
        DATAZONE_PROJECT_ID,
    )
    assert [(v["label"], v["version"], v["status"], v["arn"]) for v in out["versions"]] == [
        ("v1-logreg", 1, "created", f"{group_arn}/1"),
        ("v2-forest", 2, "created", f"{group_arn}/2"),
        ("v3-stump", 3, "created", f"{group_arn}/3"),
    ]
    listed = cloud.client("dev", "sagemaker").list_model_packages(ModelPackageGroupName="mlgov-credit-risk")
    assert sorted(v["ModelPackageArn"] for v in listed["ModelPackageSummaryList"]) == [
        v["arn"] for v in out["versions"]
    ]
    assert seed_job.main(["--env", "dev", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert [(v["version"], v["status"], v["arn"]) for v in again["versions"]] == [
        (v["version"], "exists", v["arn"]) for v in out["versions"]
    ]
