"""STS SourceIdentity as AWS keeps it (IAM User Guide, "Monitor and control actions taken with
assumed roles"; STS API reference, AssumeRole): the trust policy must allow
sts:SetSourceIdentity, the value is validated, it persists through role chaining and cannot be
changed there, it is the condition key / policy variable aws:SourceIdentity, SageMaker records it
in IamIdentity.SourceIdentity, and GetCallerIdentity does not return it. IAM enforced."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.emulator.conftest import EnforcedCloud, policy_document, root, trusting

DEV = "111111111111"
#: Through the account root, the caller's own policies must allow both (as for sts:AssumeRole).
CAN_ASSUME = policy_document(
    {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"], "Resource": "*"}
)


def with_source_identity(*principals: str) -> str:
    return trusting(*principals, actions=("sts:AssumeRole", "sts:SetSourceIdentity"))


def assume(enforced: EnforcedCloud, role: str, source, **kwargs):
    return source.client("sts").assume_role(RoleArn=role, RoleSessionName="session", **kwargs)


def test_setting_it_needs_the_trust_policy_and_a_valid_value(enforced: EnforcedCloud):
    plain = enforced.role(DEV, "plain", trusting(root(DEV)))
    allowing = enforced.role(DEV, "allowing", with_source_identity(root(DEV)))
    deploy = enforced.deploy[DEV]
    with pytest.raises(ClientError) as error:
        assume(enforced, plain, deploy, SourceIdentity="ana")
    assert error.value.response["Error"]["Code"] == "AccessDenied"
    assert "sts:SetSourceIdentity" in error.value.response["Error"]["Message"]
    answer = assume(enforced, allowing, deploy, SourceIdentity="ana@example.com")
    assert answer["SourceIdentity"] == "ana@example.com"
    assert "SourceIdentity" not in assume(enforced, plain, deploy)
    for bad in ("has space", "x" * 65, "aws:reserved"):
        with pytest.raises(ClientError) as error:
            assume(enforced, allowing, deploy, SourceIdentity=bad)
        assert error.value.response["Error"]["Code"] == "ValidationError"


def test_it_persists_through_role_chaining_and_cannot_change(enforced: EnforcedCloud):
    first = enforced.role(DEV, "first", with_source_identity(root(DEV)), CAN_ASSUME)
    second = enforced.role(DEV, "second", with_source_identity(root(DEV)), CAN_ASSUME)
    closed = enforced.role(DEV, "closed", trusting(root(DEV)))
    as_first = enforced.assume(first, enforced.deploy[DEV], SourceIdentity="ana")
    # A chained AssumeRole without SourceIdentity keeps the caller's.
    chained = assume(enforced, second, as_first)
    assert chained["SourceIdentity"] == "ana"
    assert "SourceIdentity" not in as_first.client("sts").get_caller_identity()  # AWS's has none either
    assert assume(enforced, second, as_first, SourceIdentity="ana")["SourceIdentity"] == "ana"
    with pytest.raises(ClientError) as error:
        assume(enforced, second, as_first, SourceIdentity="bob")
    assert error.value.response["Error"]["Code"] == "AccessDenied"
    assert "cannot be changed" in error.value.response["Error"]["Message"]
    # The next role's trust policy must allow it too, even when inherited.
    with pytest.raises(ClientError) as error:
        assume(enforced, closed, as_first)
    assert error.value.response["Error"]["Code"] == "AccessDenied"


def test_it_is_a_condition_key_and_a_policy_variable(enforced: EnforcedCloud):
    ssm_admin = enforced.deploy[DEV].client("ssm")
    for name in ("/people/ana/x", "/people/bob/x"):
        ssm_admin.put_parameter(Name=name, Value="v", Type="String")
    role = enforced.role(
        DEV,
        "personal",
        with_source_identity(root(DEV)),
        policy_document(
            {
                "Effect": "Allow",
                "Action": "ssm:GetParameter",
                "Resource": "arn:aws:ssm:us-east-1:111111111111:parameter/people/${aws:SourceIdentity}/*",
            },
            {
                "Effect": "Allow",
                "Action": "ssm:DescribeParameters",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceIdentity": "ana"}},
            },
        ),
    )
    ana = enforced.assume(role, enforced.deploy[DEV], SourceIdentity="ana").client("ssm")
    assert ana.get_parameter(Name="/people/ana/x")["Parameter"]["Value"] == "v"
    ana.describe_parameters()
    with pytest.raises(ClientError):
        ana.get_parameter(Name="/people/bob/x")
    anonymous = enforced.assume(role, enforced.deploy[DEV]).client("ssm")
    for call in (lambda: anonymous.get_parameter(Name="/people/ana/x"), anonymous.describe_parameters):
        with pytest.raises(ClientError):
            call()


def test_a_trust_policy_may_require_a_source_identity(enforced: EnforcedCloud):
    """sts:SourceIdentity in the trust policy's condition (the value being set or kept)."""
    required = enforced.role(
        DEV,
        "required",
        trusting(
            root(DEV),
            actions=("sts:AssumeRole", "sts:SetSourceIdentity"),
            condition={"StringLike": {"sts:SourceIdentity": "*@example.com"}},
        ),
    )
    deploy = enforced.deploy[DEV]
    assume(enforced, required, deploy, SourceIdentity="ana@example.com")
    for kwargs in ({}, {"SourceIdentity": "ana"}):
        with pytest.raises(ClientError) as error:
            assume(enforced, required, deploy, **kwargs)
        assert error.value.response["Error"]["Code"] == "AccessDenied"


def test_sagemaker_records_it_on_model_packages_and_groups(enforced: EnforcedCloud):
    role = enforced.role(
        DEV,
        "registrar",
        with_source_identity(root(DEV)),
        policy_document({"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}),
    )
    sm = enforced.assume(role, enforced.deploy[DEV], SourceIdentity="ana").client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="recorded")
    arn = sm.create_model_package(
        ModelPackageGroupName="recorded",
        InferenceSpecification={
            "Containers": [{"Image": "111111111111.dkr.ecr.us-east-1.amazonaws.com/x:1"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    created = sm.describe_model_package(ModelPackageName=arn)["CreatedBy"]["IamIdentity"]
    assert created["SourceIdentity"] == "ana"
    assert created["Arn"] == f"arn:aws:sts::{DEV}:assumed-role/registrar/test"
    group = sm.describe_model_package_group(ModelPackageGroupName="recorded")
    assert group["CreatedBy"]["IamIdentity"]["SourceIdentity"] == "ana"
    other = enforced.assume(role, enforced.deploy[DEV], SourceIdentity="bob").client("sagemaker")
    other.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    modified = sm.describe_model_package(ModelPackageName=arn)["LastModifiedBy"]["IamIdentity"]
    assert modified["SourceIdentity"] == "bob"
