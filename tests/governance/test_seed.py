"""seed: versions from real training runs on the credit data, cards with the whole evaluation,
SSE-KMS artifacts, lineage, idempotent reruns, and each use case in its own group."""

from __future__ import annotations

import json
from typing import Any

import botocore.client
import pytest

from scripts.governance import credit_data, lineage
from scripts.governance import evaluation as ev
from scripts.governance import seed as seed_job
from scripts.governance.cards import (
    DATAZONE_PROJECT_KEY,
    EVAL_QUALITY,
    evaluation_metrics,
    parse_card,
    present_sections,
)
from scripts.governance.errors import GovernanceError, UsageError
from scripts.governance.metadata import META_DATA_HASH, META_KEY, META_RUN_KEY

from .conftest import DATAZONE_PROJECT_ID, Provisioned, audit_records, provision
from .fixtures.team_model import platform_with_use_case


def card_features(desc: dict[str, Any]) -> list[str]:
    """The model's input columns, as its registration recorded them (seed's description)."""
    return desc["ModelPackageDescription"].split(" on ", 1)[1].split(" {", 1)[0].split(", ")


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
        # The data-quality baseline mlgov monitor reads: beside the archive, named in ModelMetrics.
        beside = model_uri.rsplit("/", 1)[0] + "/baseline/"
        quality = desc["ModelMetrics"]["ModelDataQuality"]
        assert quality["Statistics"]["S3Uri"] == beside + "statistics.json"
        assert quality["Constraints"]["S3Uri"] == beside + "constraints.json"
        key = quality["Constraints"]["S3Uri"].split("/", 3)[3]
        assert s3.head_object(Bucket=bucket, Key=key)["SSEKMSKeyId"] == cloud.kms_keys["dev"]
        names = [
            f["name"] for f in json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())["features"]
        ]
        assert names == ["predicted_label", "probability", *card_features(desc)]
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


def test_seeded_versions_carry_bias_explainability_and_lineage(cloud, platform):
    """Each version's card has the quality, pre- and post-training bias and explainability
    entries, each pointing at its own report beside the model; lineage reaches the dataset."""
    result = seed_job.seed(platform, "dev")
    sm, s3 = cloud.client("dev", "sagemaker"), cloud.client("dev", "s3")
    bucket = cloud.bucket("dev")
    dataset_hash = credit_data.generate().content_hash()
    for v in result["versions"]:
        desc = sm.describe_model_package(ModelPackageName=v["arn"])
        prefix = f"s3://{bucket}/models/credit-risk/{desc['CustomerMetadataProperties'][META_KEY]}/"
        card = parse_card(desc["ModelCard"]["ModelCardContent"])
        assert {item.name: item.datasets for item in card.evaluation_details} == {
            EVAL_QUALITY: [prefix + "evaluation.json"],
            ev.EVAL_PRE_BIAS: [prefix + "bias.json"],
            ev.EVAL_POST_BIAS: [prefix + "bias.json"],
            ev.EVAL_EXPLAINABILITY: [prefix + "explainability.json"],
        }
        assert desc["ModelMetrics"]["Bias"]["Report"]["S3Uri"] == prefix + "bias.json"
        assert desc["ModelMetrics"]["Explainability"]["Report"]["S3Uri"] == prefix + "explainability.json"
        bias = json.loads(
            s3.get_object(Bucket=bucket, Key=(prefix + "bias.json")[len(f"s3://{bucket}/") :])["Body"].read()
        )
        (post,) = bias[ev.POST_TRAINING]["facets"][credit_data.FACET]
        assert ev.bias_metrics(card)["DPPL"] == pytest.approx(
            next(m["value"] for m in post["metrics"] if m["name"] == "DPPL")
        )
        assert ev.has_explainability(card)
        assert desc["CustomerMetadataProperties"][META_DATA_HASH] == dataset_hash

        chain = lineage.walk_back(lambda _account: sm, v["arn"])
        assert [n.kind for n in chain] == [lineage.PACKAGE, lineage.MODEL, lineage.TRAINING, lineage.DATASET]
        assert chain[1].source_uri == desc["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
        assert chain[3].properties["sha256"] == dataset_hash
    # The dataset in the chain is the credit data itself, in dev's bucket under dev's key.
    uri = chain[3].source_uri
    key = uri[len(f"s3://{bucket}/") :]
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == credit_data.generate().to_csv().encode()
    assert s3.head_object(Bucket=bucket, Key=key)["SSEKMSKeyId"] == cloud.kms_keys["dev"]
    # The sample versions differ in what the gates check: v2 learnt the age bias back.
    post_bias = {
        v["label"]: ev.bias_metrics(
            parse_card(sm.describe_model_package(ModelPackageName=v["arn"])["ModelCard"]["ModelCardContent"])
        )
        for v in result["versions"]
    }
    assert post_bias["v1-logreg"]["DPPL"] < 0.1 < post_bias["v2-forest"]["DPPL"]


def test_rerun_completes_a_lineage_left_short_without_a_new_version(cloud, platform, monkeypatch):
    """A run stopped between CreateModelPackage and the lineage: the next run finds the version
    by its key, records the lineage, and registers nothing twice."""
    real = lineage.record_registration

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(lineage, "record_registration", interrupted)
    with pytest.raises(KeyboardInterrupt):
        seed_job.seed(platform, "dev", specs=seed_job.DEFAULT_SPECS[:1])
    monkeypatch.setattr(lineage, "record_registration", real)
    sm = cloud.client("dev", "sagemaker")
    (summary,) = sm.list_model_packages(ModelPackageGroupName="mlgov-credit-risk")["ModelPackageSummaryList"]
    assert not lineage.is_recorded(sm, summary["ModelPackageArn"])

    again = seed_job.seed(platform, "dev", specs=seed_job.DEFAULT_SPECS[:1])
    assert [(v["arn"], v["status"]) for v in again["versions"]] == [(summary["ModelPackageArn"], "exists")]
    assert lineage.is_recorded(sm, summary["ModelPackageArn"])
    assert (
        len(sm.list_model_packages(ModelPackageGroupName="mlgov-credit-risk")["ModelPackageSummaryList"]) == 1
    )


@pytest.fixture
def two_use_cases(mocked, tmp_path) -> Provisioned:
    """dev, staging and prod with a second use case, ``fraud``, added to every environment file
    (the README's Extend step), and deployed."""
    return provision(platform_with_use_case(tmp_path / "environments", "fraud", "Card fraud scoring."))


def test_two_use_cases_seeded_land_in_their_own_groups(two_use_cases):
    """Issue 12: the same training runs seeded for two use cases are two sets of versions, each
    in its use case's group, and each rerun finds its own."""
    platform = two_use_cases.platform
    credit = seed_job.seed(platform, "dev", use_case="credit-risk")
    fraud = seed_job.seed(platform, "dev", use_case="fraud")
    arn = "arn:aws:sagemaker:us-east-1:111111111111:model-package/"
    assert fraud["group"] == "mlgov-fraud"
    assert [(v["status"], v["arn"]) for v in fraud["versions"]] == [
        ("created", f"{arn}mlgov-fraud/{n}") for n in (1, 2, 3)
    ]
    assert [v["arn"] for v in credit["versions"]] == [f"{arn}mlgov-credit-risk/{n}" for n in (1, 2, 3)]
    for use_case, first in (("credit-risk", credit), ("fraud", fraud)):
        again = seed_job.seed(platform, "dev", use_case=use_case)
        assert [(v["status"], v["arn"]) for v in again["versions"]] == [
            ("exists", v["arn"]) for v in first["versions"]
        ]
    sm = two_use_cases.client("dev", "sagemaker")
    keys = set()
    for group in ("mlgov-credit-risk", "mlgov-fraud"):
        listed = sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
        assert len(listed) == 3
        for summary in listed:
            meta = sm.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
            keys.add(meta["CustomerMetadataProperties"][META_KEY])
            keys.add(meta["CustomerMetadataProperties"][META_RUN_KEY])
    assert len(keys) == 12  # no version shares a key with another, across the two use cases


def test_a_response_naming_another_group_is_refused(two_use_cases, tmp_path, monkeypatch, capsys):
    """CreateModelPackage answering with a version of another group (what a ClientToken reused
    across groups gets) is an error naming both groups and the fix; nothing is recorded for it."""
    real = botocore.client.BaseClient._make_api_call
    forged = "arn:aws:sagemaker:us-east-1:111111111111:model-package/mlgov-credit-risk/1"

    def answer(self: Any, op: str, params: Any) -> Any:
        if op == "CreateModelPackage" and params["ModelPackageGroupName"] == "mlgov-fraud":
            return {"ModelPackageArn": forged}
        return real(self, op, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", answer)
    with pytest.raises(GovernanceError) as info:
        seed_job.seed(two_use_cases.platform, "dev", use_case="fraud", specs=seed_job.DEFAULT_SPECS[:1])
    message = str(info.value)
    assert "into group mlgov-fraud" in message and "a version of group mlgov-credit-risk" in message
    assert "Fix: make every key name the use case and the group" in message
    args = ["--env", "dev", "--use-case", "fraud", "--config-dir", str(tmp_path / "environments")]
    assert seed_job.main(args) == 1
    assert "a version of group mlgov-credit-risk" in capsys.readouterr().err
    assert audit_records(two_use_cases, "dev") == []
    assert not lineage.is_recorded(two_use_cases.client("dev", "sagemaker"), forged)


def test_seed_and_the_workflow_train_through_seed_s_train_looked_up_when_they_run(
    cloud, platform, monkeypatch
):
    """seed's default trainer is its module's ``train`` at call time, and the workflow passes no
    trainer of its own: so the session's training cache (conftest) serves every test. A default
    bound when the module is imported trained again in every test (about a minute of CI)."""
    import inspect

    from scripts.governance import workflow

    calls: list[str] = []
    cached = seed_job.train
    monkeypatch.setattr(seed_job, "train", lambda spec: calls.append(spec.label) or cached(spec))
    seed_job.seed(platform, "dev")
    assert calls == ["v1-logreg", "v2-forest", "v3-stump"]
    assert inspect.signature(workflow.run_workflow).parameters["trainer"].default is None
