"""Separation of duties on the emulator with IAM enforced, with the roles and policies the stacks
create: in staging and prod the data-scientist role is denied approving a version and moving its
card; the approver role succeeds. (IAM decides: the review job does not check roles itself.)

Runs on the session's deployed cloud (``deployed_cloud``, IAM enforced), after test_workflow.py:
the versions registered here and the audit records their approvals write would change the
version and audit counts that test checks in staging and prod.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from environments import Names, load_platform
from scripts.governance import review
from scripts.governance.errors import PermissionDeniedError
from tests.e2e.deployed import DeployedCloud, as_person, assume

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_after_workflow]

STRICT = ("staging", "prod")


@pytest.fixture(scope="module")
def enforced(deployed_cloud: DeployedCloud) -> Any:
    """The session's cloud with every stack applied; refuses to stand in unless IAM is enforced."""
    cloud = deployed_cloud.cloud
    assert cloud.status().get("enforce_iam") is True, "separation of duties needs IAM enforced"
    return cloud


def _promotion(cloud: Any, env_name: str) -> Any:
    """The environment's promotion role, taken by its promotion operator: in a strict tier the
    one principal that may register a version or write ``models/*`` (the deploy role may not)."""
    env = load_platform().env(env_name)
    names = Names.of(load_platform(), env)
    return as_person(cloud, env.promotion_operators, names.role_arn("promotion"), env.region, "omar")


def _register(cloud: Any, env_name: str) -> str:
    """A version in the environment's group with a passing gate record, registered by the
    promotion role directly (stands in for a promotion; this test is about who may approve it)."""
    platform = load_platform()
    env = platform.env(env_name)
    names = Names.of(platform, env)
    sm = _promotion(cloud, env_name).client("sagemaker", endpoint_url=cloud.url)
    card = json.dumps({"intended_uses": {"purpose_of_model": "separation of duties test"}})
    return sm.create_model_package(
        ModelPackageGroupName=names.model_package_group("credit-risk"),
        ModelApprovalStatus="PendingManualApproval",
        ModelCard={"ModelCardContent": card, "ModelCardStatus": "Draft"},
        ModelLifeCycle={"Stage": env.lifecycle_stage, "StageStatus": "Registered"},
        CustomerMetadataProperties={"mlgov-gates": "passed"},
    )["ModelPackageArn"]


@pytest.mark.parametrize("env_name", STRICT)
def test_data_scientist_denied_approver_allowed(enforced, env_name, monkeypatch, capsys):
    for key, value in enforced.env().items():
        monkeypatch.setenv(key, value)
    platform = load_platform()
    arn = _register(enforced, env_name)
    version = arn.rsplit("/", 1)[1]

    # Denied exactly at the change: reading the version (SSM, Describe) is allowed to the role.
    denied = f"UpdateModelPackage was denied as .*mlgov-{env_name}-data-scientist"
    with pytest.raises(PermissionDeniedError, match=denied):
        review.set_approval(platform, env_name, version, "self-approval", role="data_scientist")
    with pytest.raises(PermissionDeniedError, match=denied):
        review.set_card_status(
            platform, env_name, version, "PendingReview", "self-review", role="data_scientist"
        )
    assert (
        review.main(
            ["approve", "--env", env_name, "--version", version, "--reason", "x", "--role", "data_scientist"]
        )
        == 1
    )
    assert "UpdateModelPackage was denied" in capsys.readouterr().err

    approved = review.set_approval(platform, env_name, version, "four eyes", role="approver")
    assert approved["changed"] is True and approved["after"] == {"ModelApprovalStatus": "Approved"}
    card = review.set_card_status(platform, env_name, version, "PendingReview", "reviewed", role="approver")
    assert card["changed"] is True
    env = platform.env(env_name)
    sm = assume(enforced, env.deploy_role_arn, env.region).client("sagemaker", endpoint_url=enforced.url)
    desc = sm.describe_model_package(ModelPackageName=arn)
    assert desc["ModelApprovalStatus"] == "Approved"
    assert desc["ModelCard"]["ModelCardStatus"] == "PendingReview"


def test_promotion_into_prod_with_iam_enforced(enforced, monkeypatch):
    """The promotion role's real policies (prod) and the upstream resource policies (staging)
    suffice for every promotion step: cross-account read, server-side copy of the artifact and
    its reports under prod's key, registration, lineage and audit, with no write on the source
    version; a rerun returns the same target."""
    from scripts.governance import cards, promote, train
    from scripts.governance import evaluation as ev

    for key, value in enforced.env().items():
        monkeypatch.setenv(key, value)
    platform = load_platform()
    env = platform.env("staging")
    names = Names.of(platform, env)
    # staging's models/* and versions have one writer, the promotion role (write-once)
    session = _promotion(enforced, "staging")
    key_arn = session.client("ssm", endpoint_url=enforced.url).get_parameter(Name=names.ssm_kms_key_arn)[
        "Parameter"
    ]["Value"]
    result = train.train(train.DEFAULT_SPECS[0])
    s3 = session.client("s3", endpoint_url=enforced.url)
    prefix = f"s3://{names.artifact_bucket}/models/credit-risk/{result.idempotency_key}/"
    reports = {
        "model.tar.gz": result.model_tar_gz,
        "evaluation.json": result.evaluation_report,
        "bias.json": result.bias_report,
        "explainability.json": result.explainability_report,
    }
    for name, body in reports.items():
        s3.put_object(
            Bucket=names.artifact_bucket,
            Key=f"models/credit-risk/{result.idempotency_key}/{name}",
            Body=body,
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=key_arn,
            ChecksumAlgorithm="SHA256",
            IfNoneMatch="*",
        )
    card = cards.build_card(
        creator="e2e",
        artifact_uri=prefix + "model.tar.gz",
        use_case="credit-risk",
        use_case_description="PD",
        risk_rating="High",
        algorithm="logistic_regression",
        training_metrics=result.training_metrics,
        evaluation_metrics=result.evaluation_metrics,
        evaluation_report_uri=prefix + "evaluation.json",
        dataset=train.DATASET,
        hyperparameters=result.spec.hyperparameters,
        datazone_project_id="prj",
        evaluations=ev.card_evaluations(
            json.loads(result.bias_report),
            json.loads(result.explainability_report),
            bias_uri=prefix + "bias.json",
            explainability_uri=prefix + "explainability.json",
        ),
    )
    arn = session.client("sagemaker", endpoint_url=enforced.url).create_model_package(
        ModelPackageGroupName=names.model_package_group("credit-risk"),
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [
                {
                    "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/"
                    "sagemaker-scikit-learn:1.2-1-cpu-py3",
                    "ModelDataUrl": prefix + "model.tar.gz",
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelMetrics={
            "ModelQuality": {
                "Statistics": {"ContentType": "application/json", "S3Uri": prefix + "evaluation.json"}
            }
        },
        ModelCard={"ModelCardContent": cards.card_json(card), "ModelCardStatus": "PendingReview"},
        CustomerMetadataProperties={
            "mlgov-gates": "passed",
            "mlgov-model-sha256": hashlib.sha256(result.model_tar_gz).hexdigest(),
        },
    )["ModelPackageArn"]
    version = arn.rsplit("/", 1)[1]
    review.set_card_status(platform, "staging", version, "Approved", "reviewed")
    review.set_approval(platform, "staging", version, "four eyes")
    first = promote.promote(platform, "prod", version)
    assert first["created"] is True and ":333333333333:" in first["target_arn"]
    assert set(first["steps"].values()) == {"done"}
    again = promote.promote(platform, "prod", version)
    assert again["created"] is False and again["target_arn"] == first["target_arn"]


@pytest.mark.parametrize("env_name", STRICT)
def test_promotion_role_cannot_approve_in_its_own_environment(enforced, env_name, monkeypatch):
    """IAM cannot limit UpdateModelPackage to some parameters, so the promotion role holds none:
    it registers everything at CreateModelPackage and never approves what it registered."""
    for key, value in enforced.env().items():
        monkeypatch.setenv(key, value)
    platform = load_platform()
    version = _register(enforced, env_name).rsplit("/", 1)[1]
    denied = f"UpdateModelPackage was denied as .*mlgov-{env_name}-promotion"
    with pytest.raises(PermissionDeniedError, match=denied):
        review.set_approval(platform, env_name, version, "self-approval", role="promotion")
    with pytest.raises(PermissionDeniedError, match=denied):
        review.set_card_status(platform, env_name, version, "PendingReview", "self-review", role="promotion")


def test_downstream_promotion_role_cannot_change_an_upstream_version(enforced, monkeypatch):
    """prod's promotion role may read staging's versions (staging's group policy) but change
    nothing there: neither approval nor card status nor metadata."""
    from botocore.exceptions import ClientError

    from scripts.governance.context import env_context

    for key, value in enforced.env().items():
        monkeypatch.setenv(key, value)
    platform = load_platform()
    upstream_arn = _register(enforced, "staging")
    sm = env_context(platform, "prod", "promotion", job="sod-test").client("sagemaker")
    assert sm.describe_model_package(ModelPackageName=upstream_arn)["ModelPackageArn"] == upstream_arn
    for change in (
        {"ModelApprovalStatus": "Approved"},
        {"ModelCard": {"ModelCardStatus": "Approved"}},
        {"CustomerMetadataProperties": {"mlgov-promoted-to-prod": "x"}},
    ):
        with pytest.raises(ClientError) as denied:
            sm.update_model_package(ModelPackageArn=upstream_arn, **change)
        assert denied.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException"), change
