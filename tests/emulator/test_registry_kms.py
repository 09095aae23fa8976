"""SageMaker uses a registry's customer key as the caller (kms:ViaService = SageMaker): registering
a version or a card under a key, changing it, and reading its content (AllData) need the KMS
actions AmazonSageMakerModelRegistryFullAccess grants for exactly this, from the identity policy
AND the key policy; MetadataOnly reads need none (DescribeModelPackage / DescribeModelCard API
references). IAM enforced, in-process."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.emulator.conftest import EnforcedCloud, policy_document, root, trusting

DEV = "111111111111"
VIA_SAGEMAKER = {"StringEquals": {"kms:ViaService": "sagemaker.us-east-1.amazonaws.com"}}
REGISTRY_KEY_ACTIONS = ["kms:CreateGrant", "kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"]
SPEC = {
    "Containers": [{"Image": "111111111111.dkr.ecr.us-east-1.amazonaws.com/x:1"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}
CARD = json.dumps({"intended_uses": {"risk_rating": "Low", "purpose_of_model": "credit"}})


def sagemaker_statement() -> dict:
    return {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}


def key_statement(actions: list[str], condition: dict | None = VIA_SAGEMAKER) -> dict:
    statement: dict = {"Effect": "Allow", "Action": actions, "Resource": "arn:aws:kms:*:*:key/*"}
    if condition:
        statement["Condition"] = condition
    return statement


@pytest.fixture
def key(enforced: EnforcedCloud) -> str:
    enforced.deploy[DEV].client("sagemaker").create_model_package_group(ModelPackageGroupName="encrypted")
    delegate = {"Effect": "Allow", "Principal": {"AWS": root(DEV)}, "Action": "kms:*", "Resource": "*"}
    kms = enforced.deploy[DEV].client("kms")
    return str(kms.create_key(Policy=policy_document(delegate))["KeyMetadata"]["Arn"])


def client(enforced: EnforcedCloud, name: str, *statements: dict):
    role = enforced.role(DEV, name, trusting(root(DEV)), policy_document(*statements))
    return enforced.assume(role, enforced.deploy[DEV]).client("sagemaker")


def denied(call, action: str) -> None:
    with pytest.raises(ClientError) as error:
        call()
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    assert (
        f"is not authorized to perform: {action} on resource: arn:aws:kms:"
        in (error.value.response["Error"]["Message"])
    )


def test_registering_under_a_key_needs_sagemakers_use_of_it(enforced: EnforcedCloud, key: str):
    allowed = client(enforced, "registrar", sagemaker_statement(), key_statement(REGISTRY_KEY_ACTIONS))
    arn = allowed.create_model_package(
        ModelPackageGroupName="encrypted", InferenceSpecification=SPEC, SecurityConfig={"KmsKeyId": key}
    )["ModelPackageArn"]
    assert allowed.describe_model_package(ModelPackageName=arn)["SecurityConfig"]["KmsKeyId"] == key
    allowed.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")

    no_grant = client(
        enforced,
        "no-grant",
        sagemaker_statement(),
        key_statement(["kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"]),
    )
    denied(
        lambda: no_grant.create_model_package(
            ModelPackageGroupName="encrypted", InferenceSpecification=SPEC, SecurityConfig={"KmsKeyId": key}
        ),
        "kms:CreateGrant",
    )
    denied(
        lambda: no_grant.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected"),
        "kms:CreateGrant",
    )
    versions = enforced.deploy[DEV].client("sagemaker").list_model_packages(ModelPackageGroupName="encrypted")
    assert [v["ModelPackageArn"] for v in versions["ModelPackageSummaryList"]] == [arn]
    assert (
        enforced.deploy[DEV]
        .client("sagemaker")
        .describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"]
        == "Approved"
    )

    # Allowed only through another service: SageMaker's use does not match.
    elsewhere = client(
        enforced,
        "via-elsewhere",
        sagemaker_statement(),
        key_statement(
            REGISTRY_KEY_ACTIONS, {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
        ),
    )
    denied(
        lambda: elsewhere.create_model_package(
            ModelPackageGroupName="encrypted", InferenceSpecification=SPEC, SecurityConfig={"KmsKeyId": key}
        ),
        "kms:DescribeKey",
    )


def test_reading_encrypted_content_needs_decrypt_unless_metadata_only(enforced: EnforcedCloud, key: str):
    registrar = client(enforced, "registrar", sagemaker_statement(), key_statement(REGISTRY_KEY_ACTIONS))
    arn = registrar.create_model_package(
        ModelPackageGroupName="encrypted",
        InferenceSpecification=SPEC,
        SecurityConfig={"KmsKeyId": key},
        ModelCard={"ModelCardContent": CARD, "ModelCardStatus": "Draft"},
    )["ModelPackageArn"]
    reader = client(enforced, "reader", sagemaker_statement())
    denied(lambda: reader.describe_model_package(ModelPackageName=arn), "kms:Decrypt")
    trimmed = reader.describe_model_package(ModelPackageName=arn, IncludedData="MetadataOnly")
    assert json.loads(trimmed["ModelCard"]["ModelCardContent"]) == {"intended_uses": {"risk_rating": "Low"}}


def test_the_key_policy_must_allow_too(enforced: EnforcedCloud):
    enforced.deploy[DEV].client("sagemaker").create_model_package_group(ModelPackageGroupName="encrypted")
    admin_role = f"arn:aws:iam::{DEV}:role/deploy"
    only_admin = {"Effect": "Allow", "Principal": {"AWS": admin_role}, "Action": "kms:*", "Resource": "*"}
    key = (
        enforced.deploy[DEV]
        .client("kms")
        .create_key(Policy=policy_document(only_admin))["KeyMetadata"]["Arn"]
    )
    registrar = client(enforced, "registrar", sagemaker_statement(), key_statement(REGISTRY_KEY_ACTIONS))
    with pytest.raises(ClientError) as error:
        registrar.create_model_package(
            ModelPackageGroupName="encrypted", InferenceSpecification=SPEC, SecurityConfig={"KmsKeyId": key}
        )
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    assert (
        "because no resource-based policy allows the kms:DescribeKey action"
        in (error.value.response["Error"]["Message"])
    )


def test_model_cards_under_a_key(enforced: EnforcedCloud, key: str):
    allowed = client(enforced, "card-writer", sagemaker_statement(), key_statement(REGISTRY_KEY_ACTIONS))
    allowed.create_model_card(
        ModelCardName="secret", Content=CARD, ModelCardStatus="Draft", SecurityConfig={"KmsKeyId": key}
    )
    assert json.loads(allowed.describe_model_card(ModelCardName="secret")["Content"])["intended_uses"]
    allowed.update_model_card(ModelCardName="secret", ModelCardStatus="PendingReview")

    without = client(enforced, "card-reader", sagemaker_statement())
    denied(
        lambda: without.create_model_card(
            ModelCardName="other", Content=CARD, ModelCardStatus="Draft", SecurityConfig={"KmsKeyId": key}
        ),
        "kms:DescribeKey",
    )
    denied(lambda: without.describe_model_card(ModelCardName="secret"), "kms:Decrypt")
    assert json.loads(
        without.describe_model_card(ModelCardName="secret", IncludedData="MetadataOnly")["Content"]
    ) == {"intended_uses": {"risk_rating": "Low"}}
    denied(
        lambda: without.update_model_card(ModelCardName="secret", ModelCardStatus="Approved"), "kms:Decrypt"
    )
    names = [
        c["ModelCardName"]
        for c in enforced.deploy[DEV].client("sagemaker").list_model_cards()["ModelCardSummaries"]
    ]
    assert names == ["secret"]


def test_grants_sagemaker_makes_are_for_an_aws_resource(enforced: EnforcedCloud, key: str):
    """kms:GrantIsForAWSResource is true when an integrated service creates the grant for the
    caller, false on a direct CreateGrant (KMS Developer Guide, condition keys)."""
    statements = (
        sagemaker_statement(),
        key_statement(["kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"]),
        key_statement(["kms:CreateGrant"], {"Bool": {"kms:GrantIsForAWSResource": "true"}}),
    )
    role = enforced.role(DEV, "grants-for-aws", trusting(root(DEV)), policy_document(*statements))
    session = enforced.assume(role, enforced.deploy[DEV])
    session.client("sagemaker").create_model_package(
        ModelPackageGroupName="encrypted", InferenceSpecification=SPEC, SecurityConfig={"KmsKeyId": key}
    )
    with pytest.raises(ClientError) as error:
        session.client("kms").create_grant(KeyId=key, GranteePrincipal=role, Operations=["Decrypt"])
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
