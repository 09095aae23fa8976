"""The local cloud refuses what AWS refuses, with AWS's error codes: principals must exist, trust
and key policies are evaluated with IAM enforced (the default), and calls are authorized against
the ARNs they name. Each test names the AWS behaviour it pins."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from environments import load_platform
from scripts.localcloud import LocalCloud

CONFIG = Config(retries={"mode": "standard", "max_attempts": 2})
PLATFORM = load_platform()
DEV, STAGING = PLATFORM.env("dev"), PLATFORM.env("staging")


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions: list[str], resources: list[str] | str = "*") -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def trust(*principals: str) -> str:
    return document({"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"})


def root(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


def code_of(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def message_of(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Message"])


# -- principals must exist (no enforcement needed: AWS checks them when the policy is written) ----
@pytest.fixture
def iam(mocked: None):
    return boto3.client("iam", config=CONFIG)


MISSING = "arn:aws:iam::123456789012:role/does-not-exist"


def test_key_policy_naming_a_missing_role_is_refused(iam):
    existing = iam.create_role(RoleName="present", AssumeRolePolicyDocument=trust(root("123456789012")))
    kms = boto3.client("kms", config=CONFIG)
    good = document(
        {"Effect": "Allow", "Principal": {"AWS": root("123456789012")}, "Action": "kms:*", "Resource": "*"},
        {
            "Effect": "Allow",
            "Principal": {"AWS": existing["Role"]["Arn"], "Service": "logs.amazonaws.com"},
            "Action": "kms:Decrypt",
            "Resource": "*",
        },
    )
    key_id = kms.create_key(Policy=good)["KeyMetadata"]["KeyId"]
    bad = good.replace(existing["Role"]["Arn"], MISSING)
    for call in (
        lambda: kms.create_key(Policy=bad),
        lambda: kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=bad),
    ):
        with pytest.raises(ClientError) as error:
            call()
        assert code_of(error) == "MalformedPolicyDocumentException"
        assert message_of(error) == "Policy contains a statement with one or more invalid principals."
    assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]) == json.loads(good)


def test_bucket_policy_naming_a_missing_role_is_refused(iam):
    existing = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=trust(root("123456789012")))
    s3 = boto3.client("s3", config=CONFIG)
    s3.create_bucket(Bucket="strict")

    def policy(principal: str) -> str:
        return document(
            {
                "Effect": "Allow",
                "Principal": {"AWS": [root("222222222222"), principal]},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::strict/*",
            }
        )

    with pytest.raises(ClientError) as error:
        s3.put_bucket_policy(Bucket="strict", Policy=policy(MISSING))
    assert code_of(error) == "MalformedPolicy"
    assert message_of(error) == "Invalid principal in policy"
    s3.put_bucket_policy(Bucket="strict", Policy=policy(existing["Role"]["Arn"]))


def test_group_policy_and_trust_policy_naming_a_missing_role_are_refused(iam):
    sm = boto3.client("sagemaker", config=CONFIG)
    sm.create_model_package_group(ModelPackageGroupName="strict")
    grant = document(
        {
            "Effect": "Allow",
            "Principal": {"AWS": MISSING},
            "Action": "sagemaker:DescribeModelPackage",
            "Resource": "*",
        }
    )
    with pytest.raises(ClientError) as error:
        sm.put_model_package_group_policy(ModelPackageGroupName="strict", ResourcePolicy=grant)
    assert code_of(error) == "ValidationException"
    assert MISSING in message_of(error)

    with pytest.raises(ClientError) as error:
        iam.create_role(RoleName="trusting", AssumeRolePolicyDocument=trust(MISSING))
    assert code_of(error) == "MalformedPolicyDocument"
    assert message_of(error) == f'Invalid principal in policy: "AWS":"{MISSING}"'

    # The kit's own order: the grantee first, then the grant.
    iam.create_role(RoleName="does-not-exist", AssumeRolePolicyDocument=trust(root("123456789012")))
    sm.put_model_package_group_policy(ModelPackageGroupName="strict", ResourcePolicy=grant)
    iam.create_role(RoleName="trusting", AssumeRolePolicyDocument=trust(MISSING))


# -- AWS-managed policies without MOTO_IAM_LOAD_MANAGED_POLICIES ---------------------------------
def test_aws_managed_policies_appear_when_named(monkeypatch, aws_env):
    from moto import mock_aws

    from scripts.localcloud.moto_ext import install

    monkeypatch.delenv("MOTO_IAM_LOAD_MANAGED_POLICIES", raising=False)
    install()
    with mock_aws():
        iam = boto3.client("iam", config=CONFIG)
        iam.create_role(RoleName="dz", AssumeRolePolicyDocument=trust(root("123456789012")))
        datazone = "arn:aws:iam::aws:policy/service-role/AmazonDataZoneDomainExecutionRolePolicy"
        iam.attach_role_policy(RoleName="dz", PolicyArn=datazone)
        iam.attach_role_policy(RoleName="dz", PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess")
        attached = iam.list_attached_role_policies(RoleName="dz")["AttachedPolicies"]
        assert {p["PolicyArn"] for p in attached} == {datazone, "arn:aws:iam::aws:policy/PowerUserAccess"}
        policy = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")["Policy"]
        assert policy["PolicyName"] == "ReadOnlyAccess" and policy["Path"] == "/"
        version = iam.get_policy_version(
            PolicyArn=datazone, VersionId=iam.get_policy(PolicyArn=datazone)["Policy"]["DefaultVersionId"]
        )
        assert "datazone:" in json.dumps(version["PolicyVersion"]["Document"])
        with pytest.raises(ClientError) as error:
            iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/NoSuchManagedPolicy")
        assert code_of(error) == "NoSuchEntity"
        names = {
            p["PolicyName"]
            for page in iam.get_paginator("list_policies").paginate(Scope="AWS")
            for p in page["Policies"]
        }
        assert {"ViewOnlyAccess", "AmazonDataZoneFullAccess"} <= names


# -- IAM enforced (the default): one local cloud for the rest of this module ---------------------
@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with LocalCloud(state_dir=tmp_path_factory.mktemp("strict")) as running:
        assert running.status()["enforce_iam"] is True
        yield running


def admin(cloud: LocalCloud) -> boto3.Session:
    env = cloud.env()
    return boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )


def assume(cloud: LocalCloud, role_arn: str, source: boto3.Session) -> boto3.Session:
    sts = source.client("sts", endpoint_url=cloud.url, config=CONFIG)
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="strict")["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


@pytest.fixture(scope="module")
def deploy(cloud: LocalCloud) -> dict[str, boto3.Session]:
    """The deploy role session of each environment (assumed from the management account)."""
    return {env.name: assume(cloud, env.deploy_role_arn, admin(cloud)) for env in (DEV, STAGING)}


def make_role(
    cloud: LocalCloud, session: boto3.Session, name: str, trust_policy: str, policy: str | None
) -> str:
    iam = session.client("iam", endpoint_url=cloud.url, config=CONFIG)
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy)["Role"]["Arn"]
    if policy:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=policy)
    return str(arn)


def test_assume_role_is_decided_by_the_trust_policy_too(cloud, deploy):
    """IAM User Guide, policy evaluation: a role is assumed only if its trust policy allows the
    caller; through the account root, the caller's own policies must allow it as well."""
    staging = deploy["staging"]
    may_assume = document(allow(["sts:AssumeRole"]))
    caller = make_role(cloud, staging, "strict-caller", trust(root(STAGING.account_id)), may_assume)
    bare = make_role(cloud, staging, "strict-bare", trust(root(STAGING.account_id)), None)
    by_account = make_role(cloud, staging, "strict-by-account", trust(root(STAGING.account_id)), None)
    by_name = make_role(cloud, staging, "strict-by-name", trust(bare), None)
    untrusting = make_role(cloud, staging, "strict-untrusting", trust(by_account), None)

    as_caller = assume(cloud, caller, staging)
    assume(cloud, by_account, as_caller)  # trusted through the account, allowed by its own policy
    with pytest.raises(ClientError) as error:
        assume(cloud, untrusting, as_caller)  # its own policy allows, the trust policy does not
    assert code_of(error) == "AccessDenied"
    assert message_of(error) == (
        f"User: arn:aws:sts::{STAGING.account_id}:assumed-role/strict-caller/strict is not "
        f"authorized to perform: sts:AssumeRole on resource: {untrusting}"
    )

    as_bare = assume(cloud, bare, staging)
    assume(cloud, by_name, as_bare)  # same account, named in the trust policy: no own policy needed
    with pytest.raises(ClientError) as error:
        assume(cloud, by_account, as_bare)  # trusted through the account only: its policy must allow
    assert code_of(error) == "AccessDenied"

    # Another account: the management account's admin may not assume a role trusting only staging.
    with pytest.raises(ClientError) as error:
        assume(cloud, by_account, admin(cloud))
    assert code_of(error) == "AccessDenied"
    with pytest.raises(ClientError) as error:
        assume(cloud, f"arn:aws:iam::{STAGING.account_id}:role/strict-nobody", staging)
    assert code_of(error) == "AccessDenied"


KEY_USE = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "kms:DescribeKey",
    "kms:ReEncrypt*",
    "kms:CreateGrant",
]


def test_cross_account_key_use_needs_the_key_policy_and_the_identity_policy(cloud, deploy):
    """KMS Developer Guide, "Allowing users in other accounts to use a KMS key": the key policy
    must allow the external account (or its principal) AND the principal's IAM policy must allow."""
    staging = deploy["staging"]
    dev_kms = deploy["dev"].client("kms", endpoint_url=cloud.url, config=CONFIG)
    with_identity = make_role(
        cloud, staging, "strict-key-user", trust(root(STAGING.account_id)), document(allow(KEY_USE))
    )
    without_identity = make_role(cloud, staging, "strict-key-nopolicy", trust(root(STAGING.account_id)), None)
    ungranted = make_role(
        cloud, staging, "strict-key-ungranted", trust(root(STAGING.account_id)), document(allow(KEY_USE))
    )
    key_policy = document(
        {"Effect": "Allow", "Principal": {"AWS": root(DEV.account_id)}, "Action": "kms:*", "Resource": "*"},
        {
            "Effect": "Allow",
            "Principal": {"AWS": [with_identity, without_identity]},
            "Action": KEY_USE,
            "Resource": "*",
        },
    )
    key_arn = dev_kms.create_key(Policy=key_policy)["KeyMetadata"]["Arn"]

    user = assume(cloud, with_identity, staging).client("kms", endpoint_url=cloud.url, config=CONFIG)
    assert user.describe_key(KeyId=key_arn)["KeyMetadata"]["Arn"] == key_arn
    blob = user.encrypt(KeyId=key_arn, Plaintext=b"model")["CiphertextBlob"]
    assert user.decrypt(CiphertextBlob=blob)["Plaintext"] == b"model"
    assert user.decrypt(CiphertextBlob=blob, KeyId=key_arn)["KeyId"] == key_arn
    assert len(user.generate_data_key(KeyId=key_arn, KeySpec="AES_256")["Plaintext"]) == 32
    user.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key_arn)
    user.create_grant(KeyId=key_arn, GranteePrincipal=with_identity, Operations=["Decrypt"])

    half = assume(cloud, without_identity, staging).client("kms", endpoint_url=cloud.url, config=CONFIG)
    with pytest.raises(ClientError) as error:
        half.decrypt(CiphertextBlob=blob)
    assert code_of(error) == "AccessDeniedException"
    assert message_of(error) == (
        f"User: arn:aws:sts::{STAGING.account_id}:assumed-role/strict-key-nopolicy/strict is not "
        f"authorized to perform: kms:Decrypt on resource: {key_arn} because no identity-based "
        "policy allows the kms:Decrypt action"
    )
    other_half = assume(cloud, ungranted, staging).client("kms", endpoint_url=cloud.url, config=CONFIG)
    for call in (
        lambda: other_half.generate_data_key(KeyId=key_arn, KeySpec="AES_256"),
        lambda: other_half.describe_key(KeyId=key_arn),
    ):
        with pytest.raises(ClientError) as error:
            call()
        assert code_of(error) == "AccessDeniedException"
        assert "because no resource-based policy allows" in message_of(error)


def test_same_account_key_use_follows_the_key_policy(cloud, deploy):
    """KMS Developer Guide, "Default key policy": a key policy allowing the account root lets IAM
    policies grant use; a key policy naming a role grants it without an IAM policy."""
    dev = deploy["dev"]
    named = make_role(cloud, dev, "strict-named", trust(root(DEV.account_id)), None)
    by_iam = make_role(
        cloud, dev, "strict-by-iam", trust(root(DEV.account_id)), document(allow(["kms:Encrypt"]))
    )
    no_iam = make_role(cloud, dev, "strict-no-iam", trust(root(DEV.account_id)), None)
    kms = dev.client("kms", endpoint_url=cloud.url, config=CONFIG)
    key_arn = kms.create_key(
        Policy=document(
            {
                "Effect": "Allow",
                "Principal": {"AWS": root(DEV.account_id)},
                "Action": "kms:*",
                "Resource": "*",
            },
            {"Effect": "Allow", "Principal": {"AWS": named}, "Action": "kms:Encrypt", "Resource": "*"},
        )
    )["KeyMetadata"]["Arn"]
    alias = "alias/strict-same-account"
    kms.create_alias(AliasName=alias, TargetKeyId=key_arn)
    for role in (named, by_iam):
        client = assume(cloud, role, dev).client("kms", endpoint_url=cloud.url, config=CONFIG)
        client.encrypt(KeyId=alias, Plaintext=b"x")
    client = assume(cloud, no_iam, dev).client("kms", endpoint_url=cloud.url, config=CONFIG)
    with pytest.raises(ClientError) as error:
        client.encrypt(KeyId=alias, Plaintext=b"x")
    assert code_of(error) == "AccessDeniedException"
    assert key_arn in message_of(error)


def test_kms_and_logs_calls_are_authorized_against_their_arns(cloud, deploy):
    """Service Authorization Reference: KMS actions act on the key ARN, CloudWatch Logs actions on
    ``log-group:<name>:*`` and the log stream ARN; a policy scoped to one does not cover another."""
    dev = deploy["dev"]
    account = DEV.account_id
    kms = dev.client("kms", endpoint_url=cloud.url, config=CONFIG)
    delegate = document(
        {"Effect": "Allow", "Principal": {"AWS": root(account)}, "Action": "kms:*", "Resource": "*"}
    )
    mine = kms.create_key(Policy=delegate)["KeyMetadata"]["Arn"]
    other = kms.create_key(Policy=delegate)["KeyMetadata"]["Arn"]
    logs = dev.client("logs", endpoint_url=cloud.url, config=CONFIG)
    for group in ("/strict/mine", "/strict/other"):
        logs.create_log_group(logGroupName=group)
    scoped = make_role(
        cloud,
        dev,
        "strict-scoped",
        trust(root(account)),
        document(
            allow(["kms:Encrypt"], [mine]),
            allow(
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                [f"arn:aws:logs:us-east-1:{account}:log-group:/strict/mine:*"],
            ),
        ),
    )
    session = assume(cloud, scoped, dev)
    scoped_kms = session.client("kms", endpoint_url=cloud.url, config=CONFIG)
    scoped_kms.encrypt(KeyId=mine, Plaintext=b"x")
    with pytest.raises(ClientError) as error:
        scoped_kms.encrypt(KeyId=other, Plaintext=b"x")
    assert code_of(error) == "AccessDeniedException"
    scoped_logs = session.client("logs", endpoint_url=cloud.url, config=CONFIG)
    scoped_logs.create_log_stream(logGroupName="/strict/mine", logStreamName="s")
    event = {"timestamp": int(time.time() * 1000), "message": "hello"}
    scoped_logs.put_log_events(logGroupName="/strict/mine", logStreamName="s", logEvents=[event])
    with pytest.raises(ClientError) as error:
        scoped_logs.create_log_stream(logGroupName="/strict/other", logStreamName="s")
    assert code_of(error) == "AccessDeniedException"


def test_iam_calls_are_authorized_against_the_role_they_name_before_it_exists(cloud, deploy):
    """Service Authorization Reference, IAM: CreateRole acts on ``role/<path><name>``, the role to
    be created. The bootstrap's deploy role may create ``<prefix>-<env>-*`` roles only, and the
    platform stack's apply creates them through it."""
    dev = deploy["dev"]
    account = DEV.account_id
    creator = make_role(
        cloud,
        dev,
        "strict-role-creator",
        trust(root(account)),
        document(
            allow(["iam:CreateRole", "iam:GetRole"], [f"arn:aws:iam::{account}:role/strict-made-*"]),
            {
                "Effect": "Deny",
                "Action": ["iam:CreateRole"],
                "Resource": [f"arn:aws:iam::{account}:role/strict-made-protected"],
            },
        ),
    )
    iam = assume(cloud, creator, dev).client("iam", endpoint_url=cloud.url, config=CONFIG)
    made = iam.create_role(RoleName="strict-made-1", AssumeRolePolicyDocument=trust(root(account)))
    assert made["Role"]["Arn"] == f"arn:aws:iam::{account}:role/strict-made-1"
    for name in ("strict-other", "strict-made-protected"):
        with pytest.raises(ClientError) as error:
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(root(account)))
        assert code_of(error) == "AccessDenied"
        assert "is not authorized to perform: iam:CreateRole" in message_of(error)


def test_datazone_works_with_iam_enforced_and_domains_take_time(cloud, deploy):
    """Every DataZone call signs (GET without body, ARN in the path, query string); a new domain
    is CREATING until its provisioning delay has passed (the provider waits for AVAILABLE)."""
    dz = deploy["dev"].client("datazone", endpoint_url=cloud.url, config=CONFIG)
    role = f"arn:aws:iam::{DEV.account_id}:role/{DEV.deploy_role_name}"
    domain = dz.create_domain(name="strict", domainExecutionRole=role)
    assert domain["status"] == "CREATING"
    assert dz.get_domain(identifier=domain["id"])["status"] == "CREATING"
    assert domain["id"] in [d["id"] for d in dz.list_domains(maxResults=5)["items"]]
    dz.tag_resource(resourceArn=domain["arn"], tags={"team": "platform"})
    assert dz.list_tags_for_resource(resourceArn=domain["arn"])["tags"] == {"team": "platform"}
    deadline = time.monotonic() + 15
    while dz.get_domain(identifier=domain["id"])["status"] != "AVAILABLE":
        assert time.monotonic() < deadline, "the domain never became AVAILABLE"
        time.sleep(0.2)


def test_enforcement_can_be_turned_off_for_debugging(tmp_path):
    with LocalCloud(state_dir=tmp_path, enforce_iam=False) as lenient:
        assert lenient.env()["AWS_ACCESS_KEY_ID"] == "test"
        anyone = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1")
        assert anyone.client("sts", endpoint_url=lenient.url, config=CONFIG).get_caller_identity()["Account"]
        with pytest.raises(Exception, match="already runs"):
            LocalCloud(state_dir=tmp_path, enforce_iam=True).start(reuse=True)
        assert LocalCloud(state_dir=tmp_path).start(reuse=True).url == lenient.url


def test_a_conditional_deny_applies_only_to_requests_that_match_it(cloud, deploy):
    """IAM policy evaluation: a Deny with a Condition denies only when the request's context
    satisfies the condition. The strict tiers deny their promotion role CreateModelPackage with
    ``sagemaker:ModelApprovalStatus = Approved`` (registering an approved version would bypass
    the approver); registering PendingManualApproval stays allowed."""
    dev = deploy["dev"]
    account = DEV.account_id
    sm_admin = dev.client("sagemaker", endpoint_url=cloud.url, config=CONFIG)
    sm_admin.create_model_package_group(ModelPackageGroupName="strict-conditional")
    role = make_role(
        cloud,
        dev,
        "strict-conditional",
        trust(root(account)),
        document(
            allow(["sagemaker:CreateModelPackage"]),
            {
                "Effect": "Deny",
                "Action": "sagemaker:CreateModelPackage",
                "Resource": "*",
                "Condition": {"StringEquals": {"sagemaker:ModelApprovalStatus": "Approved"}},
            },
        ),
    )
    sm = assume(cloud, role, dev).client("sagemaker", endpoint_url=cloud.url, config=CONFIG)
    spec = {
        "ModelPackageGroupName": "strict-conditional",
        "InferenceSpecification": {
            "Containers": [{"Image": "111111111111.dkr.ecr.us-east-1.amazonaws.com/x:1"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    }
    sm.create_model_package(ModelApprovalStatus="PendingManualApproval", **spec)
    with pytest.raises(ClientError) as denied:
        sm.create_model_package(ModelApprovalStatus="Approved", **spec)
    assert code_of(denied) == "AccessDeniedException"
    assert "sagemaker:CreateModelPackage" in message_of(denied)
