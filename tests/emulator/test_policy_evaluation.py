"""IAM policy evaluation as AWS does it, in-process with IAM enforced: an explicit Deny wins in
every order and every policy kind, conditional Allows are evaluated, policy variables are
substituted, and the request context carries the keys the kit's policies use.

Followed: IAM User Guide, "Policy evaluation logic", "Cross-account policy evaluation logic",
"IAM JSON policy elements: Condition operators", "IAM policy elements: Variables and tags",
"AWS global condition context keys"."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from scripts.localcloud.moto_ext.core.conditions import condition_met, substitute
from tests.emulator.conftest import EnforcedCloud, policy_document, root, trusting

DEV, STAGING, PROD = "111111111111", "222222222222", "333333333333"


def allow(actions: str | list[str], resources: str | list[str] = "*", condition: dict | None = None) -> dict:
    statement: dict = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def deny(actions: str | list[str], resources: str | list[str] = "*") -> dict:
    return {"Effect": "Deny", "Action": actions, "Resource": resources}


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


# -- conditions (pure) ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("operator", "expected", "context", "met"),
    [
        ("StringEquals", "a", {}, False),
        ("StringNotEquals", "a", {}, True),  # a negated operator on an absent key is true
        ("StringNotLike", "a*", {}, True),
        ("ArnNotLike", "arn:aws:iam::*:role/x", {}, True),
        ("StringEqualsIfExists", "a", {}, True),
        ("ForAnyValue:StringEquals", "a", {}, False),
        ("ForAllValues:StringEquals", "a", {}, True),
        ("StringEquals", "a", {"k": "a"}, True),
        ("StringNotEquals", "a", {"k": "a"}, False),
        ("StringLike", "a?c*", {"k": "abcd"}, True),
        ("StringEqualsIgnoreCase", "ABC", {"k": "abc"}, True),
        ("ForAnyValue:StringEquals", ["x", "y"], {"k": ["y", "z"]}, True),
        ("ForAllValues:StringEquals", ["x", "y"], {"k": ["y", "z"]}, False),
        ("NumericLessThan", "10", {"k": "9"}, True),
        ("NumericGreaterThanEquals", "10", {"k": "9"}, False),
        ("DateGreaterThan", "2020-01-01T00:00:00Z", {"k": "2021-06-01T00:00:00Z"}, True),
        ("Bool", "true", {"k": "true"}, True),
        ("Bool", "false", {"k": "true"}, False),
        ("IpAddress", "10.0.0.0/8", {"k": "10.1.2.3"}, True),
        ("Null", "true", {}, True),
        ("Null", "false", {}, False),
        ("ArnLike", "arn:aws:iam::111111111111:role/*", {"k": "arn:aws:iam::111111111111:role/r"}, True),
        ("StringLike", "${aws:username}/*", {"k": "ana/x", "aws:username": "ana"}, True),
        ("StringLike", "${aws:username}/*", {"k": "bob/x", "aws:username": "ana"}, False),
        ("StringLike", "${aws:username}/*", {"k": "ana/x"}, False),  # unresolvable: no value matches
        ("StringEquals", "${aws:username, 'anyone'}", {"k": "anyone"}, True),  # a default value
    ],
)
def test_condition_operators(operator: str, expected: Any, context: dict, met: bool) -> None:
    assert condition_met(operator, "k", expected, context) is met


def test_policy_variables_and_their_escapes() -> None:
    context = {"aws:principaltag/team": "ml", "aws:sourceidentity": "ana"}
    assert substitute("arn:aws:s3:::b/${aws:PrincipalTag/team}/${aws:SourceIdentity}/*", context) == (
        "arn:aws:s3:::b/ml/ana/*"
    )
    assert substitute("literal-${*}-${?}-${$}", {}) == "literal-*-?-$"


# -- an explicit Deny wins, in every order, in every policy kind -------------------------------------
ORDERS = [pytest.param(False, id="allow-first"), pytest.param(True, id="deny-first")]


def ordered(allow_statement: dict, deny_statement: dict, deny_first: bool) -> str:
    pair = [deny_statement, allow_statement] if deny_first else [allow_statement, deny_statement]
    return policy_document(*pair)


@pytest.mark.parametrize("deny_first", ORDERS)
def test_identity_policy_deny_wins(enforced: EnforcedCloud, deny_first: bool) -> None:
    group = "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/denied"
    enforced.deploy[DEV].client("sagemaker").create_model_package_group(ModelPackageGroupName="denied")
    role = enforced.role(
        DEV,
        "identity-order",
        trusting(root(DEV)),
        ordered(allow("sagemaker:DescribeModelPackageGroup"), deny("sagemaker:Describe*", group), deny_first),
    )
    sm = enforced.assume(role, enforced.deploy[DEV]).client("sagemaker")
    with pytest.raises(ClientError) as error:
        sm.describe_model_package_group(ModelPackageGroupName="denied")
    assert code(error) == "AccessDeniedException"


def _group_with_policy(enforced: EnforcedCloud, name: str, *statements: dict) -> str:
    sm = enforced.deploy[DEV].client("sagemaker")
    arn = sm.create_model_package_group(ModelPackageGroupName=name)["ModelPackageGroupArn"]
    sm.put_model_package_group_policy(ModelPackageGroupName=name, ResourcePolicy=policy_document(*statements))
    return str(arn)


def _reader(enforced: EnforcedCloud, name: str) -> tuple[str, boto3.Session]:
    role = enforced.role(STAGING, name, trusting(root(STAGING)), policy_document(allow("sagemaker:*")))
    return role, enforced.assume(role, enforced.deploy[STAGING])


@pytest.mark.parametrize("deny_first", ORDERS)
def test_model_package_group_policy_deny_wins(enforced: EnforcedCloud, deny_first: bool) -> None:
    role, session = _reader(enforced, "group-reader")
    grant = {**allow("sagemaker:DescribeModelPackageGroup"), "Principal": {"AWS": role}}
    refusal = {**deny("sagemaker:DescribeModelPackageGroup"), "Principal": {"AWS": role}}
    pair = [refusal, grant] if deny_first else [grant, refusal]
    arn = _group_with_policy(enforced, "ordered", *pair)
    with pytest.raises(ClientError) as error:
        session.client("sagemaker").describe_model_package_group(ModelPackageGroupName=arn)
    assert code(error) == "AccessDeniedException"
    assert "with an explicit deny" in error.value.response["Error"]["Message"]


@pytest.mark.parametrize("deny_first", ORDERS)
def test_model_package_group_policy_deny_wins_in_its_own_account(
    enforced: EnforcedCloud, deny_first: bool
) -> None:
    """The strict tiers' group policies deny every principal of the group's own account but one
    (OnlyPromotionRegisters, OnlyApproverChangesVersions): an explicit Deny in a resource-based
    policy applies to every principal ("Policy evaluation logic"), even one whose identity policy
    allows, whatever the statements' order."""
    role = enforced.role(DEV, "own-account", trusting(root(DEV)), policy_document(allow("sagemaker:*")))
    grant = {**allow("sagemaker:DescribeModelPackageGroup"), "Principal": {"AWS": role}}
    refusal = {**deny("sagemaker:DescribeModelPackageGroup"), "Principal": {"AWS": "*"}}
    arn = _group_with_policy(enforced, "own-ordered", *([refusal, grant] if deny_first else [grant, refusal]))
    sm = enforced.assume(role, enforced.deploy[DEV]).client("sagemaker")
    with pytest.raises(ClientError) as error:
        sm.describe_model_package_group(ModelPackageGroupName=arn)
    assert code(error) == "AccessDeniedException"
    assert error.value.response["Error"]["Message"].endswith("with an explicit deny")
    # the same role is allowed where the group policy denies nothing
    other = _group_with_policy(enforced, "own-granted", grant)
    assert sm.describe_model_package_group(ModelPackageGroupName=other)["ModelPackageGroupArn"] == other


def test_model_package_group_policy_allows_across_accounts_only_when_it_names_the_caller(
    enforced: EnforcedCloud,
) -> None:
    role, session = _reader(enforced, "group-reader")
    arn = _group_with_policy(
        enforced,
        "granted",
        {**allow("sagemaker:DescribeModelPackageGroup"), "Principal": {"AWS": role}},
        # A conditional Allow applies only when its condition is met.
        {
            **allow("sagemaker:ListModelPackages"),
            "Principal": {"AWS": root(STAGING)},
            "Condition": {"StringEquals": {"aws:PrincipalAccount": PROD}},
        },
    )
    sm = session.client("sagemaker")
    assert sm.describe_model_package_group(ModelPackageGroupName=arn)["ModelPackageGroupArn"] == arn
    with pytest.raises(ClientError) as error:
        sm.list_model_packages(ModelPackageGroupName=arn)
    assert code(error) == "AccessDeniedException"
    assert (
        "because no resource-based policy allows the sagemaker:ListModelPackages action"
        in (error.value.response["Error"]["Message"])
    )


def _key(enforced: EnforcedCloud, *statements: dict) -> str:
    delegate = {"Effect": "Allow", "Principal": {"AWS": root(DEV)}, "Action": "kms:*", "Resource": "*"}
    kms = enforced.deploy[DEV].client("kms")
    return str(kms.create_key(Policy=policy_document(delegate, *statements))["KeyMetadata"]["Arn"])


@pytest.mark.parametrize("deny_first", ORDERS)
def test_key_policy_deny_wins(enforced: EnforcedCloud, deny_first: bool) -> None:
    role = enforced.role(STAGING, "key-user", trusting(root(STAGING)), policy_document(allow("kms:*")))
    grant = {**allow("kms:Encrypt"), "Principal": {"AWS": role}}
    refusal = {**deny("kms:Encrypt"), "Principal": {"AWS": role}}
    key = _key(enforced, *([refusal, grant] if deny_first else [grant, refusal]))
    kms = enforced.assume(role, enforced.deploy[STAGING]).client("kms")
    with pytest.raises(ClientError) as error:
        kms.encrypt(KeyId=key, Plaintext=b"x")
    assert code(error) == "AccessDeniedException"
    assert "explicit deny in a resource-based policy" in error.value.response["Error"]["Message"]


def test_key_policy_allows_across_accounts_with_the_identity_half(enforced: EnforcedCloud) -> None:
    role = enforced.role(STAGING, "key-user", trusting(root(STAGING)), policy_document(allow("kms:*")))
    key = _key(enforced, {**allow("kms:Encrypt"), "Principal": {"AWS": role}})
    kms = enforced.assume(role, enforced.deploy[STAGING]).client("kms")
    assert kms.encrypt(KeyId=key, Plaintext=b"x")["KeyId"] == key


@pytest.mark.parametrize("deny_first", ORDERS)
def test_trust_policy_deny_wins(enforced: EnforcedCloud, deny_first: bool) -> None:
    caller = enforced.role(DEV, "caller", trusting(root(DEV)), policy_document(allow("sts:AssumeRole")))
    grant = {"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "sts:AssumeRole"}
    refusal = {"Effect": "Deny", "Principal": {"AWS": caller}, "Action": "sts:AssumeRole"}
    target = enforced.role(
        DEV, "guarded", policy_document(*([refusal, grant] if deny_first else [grant, refusal]))
    )
    as_caller = enforced.assume(caller, enforced.deploy[DEV])
    with pytest.raises(ClientError) as error:
        enforced.assume(target, as_caller)
    assert code(error) == "AccessDenied"


def test_trust_policy_condition_on_the_principal_arn(enforced: EnforcedCloud) -> None:
    """The bootstrap's "AssumeItself": the account root, narrowed by aws:PrincipalArn."""
    caller = enforced.role(DEV, "named", trusting(root(DEV)), policy_document(allow("sts:AssumeRole")))
    other = enforced.role(DEV, "other", trusting(root(DEV)), policy_document(allow("sts:AssumeRole")))
    target = enforced.role(
        DEV, "narrowed", trusting(root(DEV), condition={"ArnEquals": {"aws:PrincipalArn": caller}})
    )
    enforced.assume(target, enforced.assume(caller, enforced.deploy[DEV]))
    with pytest.raises(ClientError) as error:
        enforced.assume(target, enforced.assume(other, enforced.deploy[DEV]))
    assert code(error) == "AccessDenied"


def _bucket(enforced: EnforcedCloud, name: str, *statements: dict) -> None:
    s3 = enforced.deploy[DEV].client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="models/m.tar.gz", Body=b"model")
    s3.put_bucket_policy(Bucket=name, Policy=policy_document(*statements))


@pytest.mark.parametrize("deny_first", ORDERS)
def test_cross_account_bucket_policy_deny_wins(enforced: EnforcedCloud, deny_first: bool) -> None:
    role = enforced.role(STAGING, "bucket-reader", trusting(root(STAGING)), policy_document(allow("s3:*")))
    objects = "arn:aws:s3:::ordered-bucket/*"
    grant = {**allow("s3:GetObject", objects), "Principal": {"AWS": role}}
    refusal = {**deny("s3:GetObject", objects), "Principal": {"AWS": role}}
    _bucket(enforced, "ordered-bucket", *([refusal, grant] if deny_first else [grant, refusal]))
    s3 = enforced.assume(role, enforced.deploy[STAGING]).client("s3")
    with pytest.raises(ClientError) as error:
        s3.get_object(Bucket="ordered-bucket", Key="models/m.tar.gz")
    assert code(error) == "AccessDenied"


def test_cross_account_bucket_policy_allows_with_both_halves(enforced: EnforcedCloud) -> None:
    role = enforced.role(STAGING, "bucket-reader", trusting(root(STAGING)), policy_document(allow("s3:*")))
    _bucket(
        enforced,
        "granted-bucket",
        {**allow("s3:GetObject", "arn:aws:s3:::granted-bucket/models/*"), "Principal": {"AWS": role}},
    )
    s3 = enforced.assume(role, enforced.deploy[STAGING]).client("s3")
    assert s3.get_object(Bucket="granted-bucket", Key="models/m.tar.gz")["Body"].read() == b"model"


# -- conditional Allow statements of identity policies -----------------------------------------------
def test_a_conditional_allow_allows_only_what_meets_its_condition(enforced: EnforcedCloud) -> None:
    """moto treated every condition of an Allow as met; AWS evaluates it against the request."""
    role = enforced.role(
        DEV,
        "tagged-creator",
        trusting(root(DEV)),
        policy_document(
            allow(
                ["sagemaker:CreateModelPackageGroup"],
                condition={"StringEquals": {"aws:RequestTag/team": "ml"}},
            )
        ),
    )
    sm = enforced.assume(role, enforced.deploy[DEV]).client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="tagged", Tags=[{"Key": "team", "Value": "ml"}])
    for tags in ([{"Key": "team", "Value": "finance"}], []):
        with pytest.raises(ClientError) as error:
            sm.create_model_package_group(ModelPackageGroupName="untagged", Tags=tags)
        assert code(error) == "AccessDeniedException"


def test_policy_variables_in_resources(enforced: EnforcedCloud) -> None:
    iam = enforced.deploy[DEV].client("iam")
    role = enforced.role(
        DEV,
        "team-reader",
        trusting(root(DEV)),
        policy_document(
            allow(
                "ssm:GetParameter", "arn:aws:ssm:us-east-1:111111111111:parameter/${aws:PrincipalTag/team}/*"
            )
        ),
    )
    iam.tag_role(RoleName="team-reader", Tags=[{"Key": "team", "Value": "ml"}])
    ssm_admin = enforced.deploy[DEV].client("ssm")
    for name in ("/ml/config", "/finance/config"):
        ssm_admin.put_parameter(Name=name, Value="v", Type="String")
    ssm = enforced.assume(role, enforced.deploy[DEV]).client("ssm")
    assert ssm.get_parameter(Name="/ml/config")["Parameter"]["Value"] == "v"
    with pytest.raises(ClientError) as error:
        ssm.get_parameter(Name="/finance/config")
    assert code(error) == "AccessDeniedException"


GLOBAL_KEYS = [
    ("aws:PrincipalArn", "arn:aws:iam::111111111111:role/context-probe"),
    ("aws:PrincipalAccount", DEV),
    ("aws:PrincipalType", "AssumedRole"),
    ("aws:PrincipalTag/team", "ml"),
    ("aws:SecureTransport", "true"),
    ("aws:RequestedRegion", "us-east-1"),
    ("aws:ViaAWSService", "false"),
    ("aws:ResourceAccount", DEV),
]


@pytest.mark.parametrize(("key", "value"), GLOBAL_KEYS, ids=[k for k, _ in GLOBAL_KEYS])
def test_global_context_keys(enforced: EnforcedCloud, key: str, value: str) -> None:
    """Each key is in the context with AWS's value: a condition on it allows, one on another
    value does not."""
    enforced.deploy[DEV].client("sagemaker").create_model_package_group(ModelPackageGroupName="probed")
    matching = allow("sagemaker:DescribeModelPackageGroup", condition={"StringEquals": {key: value}})
    mismatching = allow("sagemaker:ListModelPackages", condition={"StringEquals": {key: f"{value}-other"}})
    role = enforced.role(DEV, "context-probe", trusting(root(DEV)), policy_document(matching, mismatching))
    enforced.deploy[DEV].client("iam").tag_role(
        RoleName="context-probe", Tags=[{"Key": "team", "Value": "ml"}]
    )
    sm = enforced.assume(role, enforced.deploy[DEV]).client("sagemaker")
    sm.describe_model_package_group(ModelPackageGroupName="probed")
    with pytest.raises(ClientError):
        sm.list_model_packages(ModelPackageGroupName="probed")


def test_userid_and_username_of_users_and_sessions(enforced: EnforcedCloud) -> None:
    iam = enforced.deploy[DEV].client("iam")
    user = iam.create_user(UserName="ana")["User"]
    iam.put_user_policy(
        UserName="ana",
        PolicyName="own-prefix",
        PolicyDocument=policy_document(
            allow(
                "ssm:GetParameter",
                "arn:aws:ssm:us-east-1:111111111111:parameter/${aws:username}/*",
                condition={"StringEquals": {"aws:userid": user["UserId"]}},
            )
        ),
    )
    keys = iam.create_access_key(UserName="ana")["AccessKey"]
    enforced.deploy[DEV].client("ssm").put_parameter(Name="/ana/x", Value="v", Type="String")
    enforced.deploy[DEV].client("ssm").put_parameter(Name="/bob/x", Value="v", Type="String")
    ssm = boto3.Session(
        aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"],
        region_name="us-east-1",
    ).client("ssm")
    assert ssm.get_parameter(Name="/ana/x")["Parameter"]["Value"] == "v"
    with pytest.raises(ClientError):
        ssm.get_parameter(Name="/bob/x")

    role = enforced.role(
        DEV,
        "session-probe",
        trusting(root(DEV)),
        policy_document(
            allow("ssm:GetParameter", condition={"StringLike": {"aws:userid": "AROA*:test"}}),
            # A role session has no aws:username: the variable cannot be resolved.
            allow("ssm:GetParameters", "arn:aws:ssm:us-east-1:111111111111:parameter/${aws:username}/*"),
        ),
    )
    session = enforced.assume(role, enforced.deploy[DEV]).client("ssm")
    session.get_parameter(Name="/bob/x")
    with pytest.raises(ClientError):
        session.get_parameters(Names=["/bob/x"])


def test_lineage_calls_are_authorized_against_the_entity(enforced: EnforcedCloud) -> None:
    """Issue 20: the approver's policy grants DescribeAction / DescribeArtifact on ``action/*``
    and ``artifact/*`` (the Service Authorization Reference's resource types); the local cloud
    authorized them against ``*`` and denied every lineage read."""
    admin = enforced.deploy[DEV].client("sagemaker")
    artifact = admin.create_artifact(
        ArtifactName="dataset", ArtifactType="DataSet", Source={"SourceUri": "s3://b/d"}
    )["ArtifactArn"]
    admin.create_action(ActionName="Training-1", ActionType="ModelTraining", Source={"SourceUri": "x"})
    admin.create_context(ContextName="endpoint", ContextType="Endpoint", Source={"SourceUri": "e"})
    lineage = "arn:aws:sagemaker:us-east-1:111111111111:"
    role = enforced.role(
        DEV,
        "lineage-reader",
        trusting(root(DEV)),
        policy_document(
            allow(
                ["sagemaker:DescribeAction", "sagemaker:DescribeArtifact", "sagemaker:DescribeContext"],
                [f"{lineage}action/*", f"{lineage}artifact/*"],
            ),
            allow(["sagemaker:ListArtifacts", "sagemaker:ListAssociations", "sagemaker:QueryLineage"]),
        ),
    )
    sm = enforced.assume(role, enforced.deploy[DEV]).client("sagemaker")
    assert sm.describe_artifact(ArtifactArn=artifact)["ArtifactName"] == "dataset"
    assert sm.describe_action(ActionName="Training-1")["ActionType"] == "ModelTraining"
    assert sm.describe_action(ActionName=f"{lineage}action/training-1")["ActionName"] == "Training-1"
    sm.list_artifacts()
    sm.list_associations()
    sm.query_lineage(StartArns=[artifact], Direction="Descendants")
    with pytest.raises(ClientError) as error:  # context/* is not granted
        sm.describe_context(ContextName="endpoint")
    assert code(error) == "AccessDeniedException"


def test_kms_resource_aliases_and_caller_account(enforced: EnforcedCloud) -> None:
    """The promotion role's upstream decrypt: ``ForAnyValue:StringEquals kms:ResourceAliases``
    (the key's aliases; KMS Developer Guide, "kms:ResourceAliases")."""
    key = _key(enforced)
    enforced.deploy[DEV].client("kms").create_alias(AliasName="alias/mlgov-dev-platform", TargetKeyId=key)
    other = _key(enforced)
    role = enforced.role(
        DEV,
        "alias-reader",
        trusting(root(DEV)),
        policy_document(
            allow(
                ["kms:DescribeKey"],
                "arn:aws:kms:us-east-1:111111111111:key/*",
                {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/mlgov-dev-platform"}},
            ),
            allow(["kms:GetKeyRotationStatus"], condition={"StringEquals": {"kms:CallerAccount": DEV}}),
        ),
    )
    kms = enforced.assume(role, enforced.deploy[DEV]).client("kms")
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"] == key
    kms.get_key_rotation_status(KeyId=key)
    with pytest.raises(ClientError) as error:
        kms.describe_key(KeyId=other)
    assert code(error) == "AccessDeniedException"


def test_s3_prefix_of_listings(enforced: EnforcedCloud) -> None:
    """The approver's ListAuditRecords: ``StringLike s3:prefix audit/*`` (S3 condition keys)."""
    s3_admin = enforced.deploy[DEV].client("s3")
    s3_admin.create_bucket(Bucket="listed-bucket")
    role = enforced.role(
        DEV,
        "auditor",
        trusting(root(DEV)),
        policy_document(
            allow(["s3:ListBucket"], "arn:aws:s3:::listed-bucket", {"StringLike": {"s3:prefix": ["audit/*"]}})
        ),
    )
    s3 = enforced.assume(role, enforced.deploy[DEV]).client("s3")
    s3.list_objects_v2(Bucket="listed-bucket", Prefix="audit/v1/")
    for prefix in ("models/", ""):
        with pytest.raises(ClientError) as error:
            s3.list_objects_v2(Bucket="listed-bucket", Prefix=prefix)
        assert code(error) == "AccessDenied"
