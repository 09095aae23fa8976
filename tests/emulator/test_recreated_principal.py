"""A role deleted and recreated under the same name loses the grants of resource policies written
before, as on AWS (moto_ext/principals.py): IAM User Guide, "AWS JSON policy elements: Principal"
(IAM role principals): a policy stores the role's unique id; once the role is deleted the policy
shows that id, and a recreated role (another id) is not granted until the policy is written again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from scripts.localcloud import LocalCloud

from .test_strict_iam import (
    CONFIG,
    DEV,
    STAGING,
    allow,
    assume,
    code_of,
    document,
    make_role,
    message_of,
    root,
    trust,
)

ACCOUNT = "123456789012"


def _trust_of(role_arn: str) -> str:
    return document({"Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": "sts:AssumeRole"})


def _grant(principal: str, actions: list[str], resources: list[str] | str = "*") -> dict:
    return {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions, "Resource": resources}


def _recreate(iam: Any, name: str, trust_policy: str, policy: str | None = None) -> str:
    """Delete the role ``name`` and create it again; returns the new RoleId."""
    for inline in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=inline)
    iam.delete_role(RoleName=name)
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy)["Role"]
    if policy:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=policy)
    return str(role["RoleId"])


# -- reads: the unique id shows once the role is gone or recreated (no enforcement needed) -------
def test_policies_show_the_unique_id_of_a_deleted_or_recreated_role(mocked):
    iam, kms, s3, sm = (boto3.client(s, config=CONFIG) for s in ("iam", "kms", "s3", "sagemaker"))
    role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=trust(root(ACCOUNT)))["Role"]
    arn, old_id = role["Arn"], role["RoleId"]
    assert old_id.startswith("AROA")

    key_policy = document(_grant(root(ACCOUNT), ["kms:*"]), _grant(arn, ["kms:Decrypt"]))
    key_id = kms.create_key(Policy=key_policy)["KeyMetadata"]["KeyId"]
    s3.create_bucket(Bucket="recreated")
    bucket_policy = document(_grant(arn, ["s3:GetObject"], "arn:aws:s3:::recreated/*"))
    s3.put_bucket_policy(Bucket="recreated", Policy=bucket_policy)
    sm.create_model_package_group(ModelPackageGroupName="recreated")
    group_policy = document(
        _grant(
            arn,
            ["sagemaker:DescribeModelPackage"],
            f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/recreated/*",
        )
    )
    sm.put_model_package_group_policy(ModelPackageGroupName="recreated", ResourcePolicy=group_policy)
    iam.create_role(RoleName="trusting", AssumeRolePolicyDocument=_trust_of(arn))

    def reads() -> dict[str, dict]:
        return {
            "key": json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]),
            "bucket": json.loads(s3.get_bucket_policy(Bucket="recreated")["Policy"]),
            "group": json.loads(
                sm.get_model_package_group_policy(ModelPackageGroupName="recreated")["ResourcePolicy"]
            ),
            "trust": iam.get_role(RoleName="trusting")["Role"]["AssumeRolePolicyDocument"],
        }

    written = {
        "key": json.loads(key_policy),
        "bucket": json.loads(bucket_policy),
        "group": json.loads(group_policy),
        "trust": json.loads(_trust_of(arn)),
    }
    assert reads() == written  # the principal lives: the ARN, the document as written

    def with_id(doc: dict, unique_id: str) -> dict:
        return json.loads(json.dumps(doc).replace(json.dumps(arn), json.dumps(unique_id)))

    iam.delete_role(RoleName="reader")
    assert reads() == {name: with_id(doc, old_id) for name, doc in written.items()}

    new_id = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=trust(root(ACCOUNT)))["Role"][
        "RoleId"
    ]
    assert new_id != old_id
    assert reads() == {name: with_id(doc, old_id) for name, doc in written.items()}  # still the old id

    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=key_policy)
    s3.put_bucket_policy(Bucket="recreated", Policy=bucket_policy)
    sm.put_model_package_group_policy(ModelPackageGroupName="recreated", ResourcePolicy=group_policy)
    iam.update_assume_role_policy(RoleName="trusting", PolicyDocument=_trust_of(arn))
    assert reads() == written  # written again: bound to the new role


# -- authorization, IAM enforced: the recreated role is not granted until the policy is rewritten --
@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with LocalCloud(state_dir=tmp_path_factory.mktemp("recreated")) as running:
        assert running.status()["enforce_iam"] is True
        yield running


def _admin(cloud: LocalCloud) -> boto3.Session:
    env = cloud.env()
    return boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )


def test_a_recreated_downstream_role_loses_the_upstream_grants_until_they_are_rewritten(cloud):
    dev = assume(cloud, DEV.deploy_role_arn, _admin(cloud))
    staging = assume(cloud, STAGING.deploy_role_arn, _admin(cloud))
    staging_iam = staging.client("iam", endpoint_url=cloud.url, config=CONFIG)
    bucket, group = f"recreated-{DEV.account_id}", "recreated-group"
    identity = document(
        allow(["kms:Decrypt", "kms:Encrypt", "sagemaker:DescribeModelPackageGroup", "sts:AssumeRole"]),
        allow(["s3:GetObject"], f"arn:aws:s3:::{bucket}/*"),
    )
    name = "recreated-promotion"
    promotion = make_role(cloud, staging, name, trust(root(STAGING.account_id)), identity)
    trusting = make_role(cloud, staging, "recreated-trusting", _trust_of(promotion), None)

    dev_kms = dev.client("kms", endpoint_url=cloud.url, config=CONFIG)
    key_policy = document(
        _grant(root(DEV.account_id), ["kms:*"]), _grant(promotion, ["kms:Decrypt", "kms:Encrypt"])
    )
    key_arn = dev_kms.create_key(Policy=key_policy)["KeyMetadata"]["Arn"]
    dev_s3 = dev.client("s3", endpoint_url=cloud.url, config=CONFIG)
    dev_s3.create_bucket(Bucket=bucket)
    dev_s3.put_object(Bucket=bucket, Key="model.tar.gz", Body=b"weights")
    bucket_policy = document(_grant(promotion, ["s3:GetObject"], f"arn:aws:s3:::{bucket}/*"))
    dev_s3.put_bucket_policy(Bucket=bucket, Policy=bucket_policy)
    dev_sm = dev.client("sagemaker", endpoint_url=cloud.url, config=CONFIG)
    group_arn = dev_sm.create_model_package_group(ModelPackageGroupName=group)["ModelPackageGroupArn"]
    group_policy = document(_grant(promotion, ["sagemaker:DescribeModelPackageGroup"], group_arn))
    dev_sm.put_model_package_group_policy(ModelPackageGroupName=group, ResourcePolicy=group_policy)

    def uses() -> None:
        """Every grant, as the promotion role: key, bucket, group and the trust policy naming it."""
        session = assume(cloud, promotion, staging)
        kms = session.client("kms", endpoint_url=cloud.url, config=CONFIG)
        kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=key_arn, Plaintext=b"x")["CiphertextBlob"])
        s3 = session.client("s3", endpoint_url=cloud.url, config=CONFIG)
        assert s3.get_object(Bucket=bucket, Key="model.tar.gz")["Body"].read() == b"weights"
        session.client("sagemaker", endpoint_url=cloud.url, config=CONFIG).describe_model_package_group(
            ModelPackageGroupName=group_arn
        )
        assume(cloud, trusting, session)

    uses()
    _recreate(staging_iam, name, trust(root(STAGING.account_id)), identity)
    session = assume(cloud, promotion, staging)  # its own trust policy names the account: still fine
    acting = f"arn:aws:sts::{STAGING.account_id}:assumed-role/{name}/strict"

    kms = session.client("kms", endpoint_url=cloud.url, config=CONFIG)
    with pytest.raises(ClientError) as error:
        kms.encrypt(KeyId=key_arn, Plaintext=b"x")
    assert code_of(error) == "AccessDeniedException"
    assert message_of(error) == (
        f"User: {acting} is not authorized to perform: kms:Encrypt on resource: {key_arn} "
        "because no resource-based policy allows the kms:Encrypt action"
    )
    with pytest.raises(ClientError) as error:
        session.client("s3", endpoint_url=cloud.url, config=CONFIG).get_object(
            Bucket=bucket, Key="model.tar.gz"
        )
    assert code_of(error) == "AccessDenied"
    with pytest.raises(ClientError) as error:
        session.client("sagemaker", endpoint_url=cloud.url, config=CONFIG).describe_model_package_group(
            ModelPackageGroupName=group_arn
        )
    assert code_of(error) == "AccessDeniedException"
    assert (
        "because no resource-based policy allows the sagemaker:DescribeModelPackageGroup action"
        in message_of(error)
    )
    with pytest.raises(ClientError) as error:
        assume(cloud, trusting, session)
    assert code_of(error) == "AccessDenied"

    # Re-applying the upstream policies (and the trust policy) binds them to the new role.
    dev_kms.put_key_policy(KeyId=key_arn, PolicyName="default", Policy=key_policy)
    dev_s3.put_bucket_policy(Bucket=bucket, Policy=bucket_policy)
    dev_sm.put_model_package_group_policy(ModelPackageGroupName=group, ResourcePolicy=group_policy)
    staging_iam.update_assume_role_policy(RoleName="recreated-trusting", PolicyDocument=_trust_of(promotion))
    uses()


def test_a_cross_account_object_read_needs_the_bucket_policy(cloud):
    """IAM User Guide, "Cross-account policy evaluation logic": a principal of another account is
    allowed only when the bucket policy grants it AND its own identity policy allows."""
    dev = assume(cloud, DEV.deploy_role_arn, _admin(cloud))
    staging = assume(cloud, STAGING.deploy_role_arn, _admin(cloud))
    bucket = f"cross-{DEV.account_id}"
    reader = make_role(
        cloud, staging, "cross-reader", trust(root(STAGING.account_id)), document(allow(["s3:GetObject"]))
    )
    dev_s3 = dev.client("s3", endpoint_url=cloud.url, config=CONFIG)
    dev_s3.create_bucket(Bucket=bucket)
    dev_s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    s3 = assume(cloud, reader, staging).client("s3", endpoint_url=cloud.url, config=CONFIG)
    with pytest.raises(ClientError) as error:
        s3.get_object(Bucket=bucket, Key="k")  # identity half only
    assert code_of(error) == "AccessDenied"
    dev_s3.put_bucket_policy(
        Bucket=bucket, Policy=document(_grant(reader, ["s3:GetObject"], f"arn:aws:s3:::{bucket}/*"))
    )
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
