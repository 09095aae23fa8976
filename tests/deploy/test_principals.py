"""``mlgov deploy principals`` (scripts/deploy/principals.py): after the downstream promotion role is
destroyed and recreated, the upstream key, bucket and group policies show its old unique id; the
check reports each one and names the environment to apply again."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from environments import load_platform
from environments.naming import Names
from scripts.deploy import cli
from scripts.deploy.principals import deploy_role_sessions, find_orphans, unique_ids
from scripts.errors import EXIT_USAGE
from scripts.localcloud.moto_ext import install

PLATFORM = load_platform()
DEV, STAGING = PLATFORM.env("dev"), PLATFORM.env("staging")


@pytest.fixture
def accounts(monkeypatch: pytest.MonkeyPatch):
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    install()
    with mock_aws():
        yield deploy_role_sessions(boto3.Session())


def _grant(principal: str, action: str, resource: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action, "Resource": resource}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_a_recreated_promotion_role_is_reported_with_the_environment_to_apply(accounts):
    dev, staging = accounts(DEV), accounts(STAGING)
    names, promotion = Names.of(PLATFORM, DEV), Names.of(PLATFORM, STAGING)
    role_name, role_arn = promotion.role_name("promotion"), promotion.role_arn("promotion")
    trust = _grant(f"arn:aws:iam::{STAGING.account_id}:root", "sts:AssumeRole", "*")
    iam = staging.client("iam")
    iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)

    kms, s3, sagemaker = dev.client("kms"), dev.client("s3"), dev.client("sagemaker")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=names.kms_alias, TargetKeyId=key_id)
    s3.create_bucket(Bucket=names.artifact_bucket)
    s3.create_bucket(Bucket=names.access_log_bucket)  # without a policy: nothing to report
    groups = [names.model_package_group(uc.name) for uc in DEV.use_cases]
    for group in groups:
        sagemaker.create_model_package_group(ModelPackageGroupName=group)

    def write_policies() -> None:
        kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=_grant(role_arn, "kms:Decrypt", "*"))
        s3.put_bucket_policy(
            Bucket=names.artifact_bucket,
            Policy=_grant(role_arn, "s3:GetObject", f"{names.artifact_bucket_arn}/*"),
        )
        for group in groups:
            sagemaker.put_model_package_group_policy(
                ModelPackageGroupName=group,
                ResourcePolicy=_grant(
                    role_arn, "sagemaker:DescribeModelPackage", names.model_package_arn_pattern("x")
                ),
            )

    write_policies()
    assert find_orphans(PLATFORM, [DEV], accounts) == []

    old_id = iam.get_role(RoleName=role_name)["Role"]["RoleId"]
    iam.delete_role(RoleName=role_name)
    iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)

    orphans = find_orphans(PLATFORM, [DEV], accounts, target="aws")
    assert [o.policy for o in orphans] == [
        f"KMS key {names.kms_alias}",
        f"bucket {names.artifact_bucket}",
        *[f"model package group {g}" for g in groups],
    ]
    assert {(o.env, o.unique_id, o.reapply) for o in orphans} == {
        ("dev", old_id, "mlgov deploy apply --env dev --target aws")
    }
    assert str(orphans[0]).endswith(
        "since the policy was written; run `mlgov deploy apply --env dev --target aws`"
    )

    write_policies()  # what the re-apply does
    assert find_orphans(PLATFORM, [DEV], accounts) == []


def test_unique_ids_reads_principal_and_not_principal_only():
    document = {
        "Statement": [
            {"Principal": {"AWS": ["AROAEXAMPLEID1234567", "arn:aws:iam::111122223333:root"]}},
            {"NotPrincipal": {"AWS": "AIDAEXAMPLEID1234567"}},
            {"Principal": {"Service": "AROANOTANAWSPRINCIPAL"}},
            {"Principal": "*", "Condition": {"StringEquals": {"aws:userid": "AROAEXAMPLEID7654321"}}},
        ]
    }
    assert unique_ids(document) == ["AROAEXAMPLEID1234567", "AIDAEXAMPLEID1234567"]


def test_principals_refuses_an_unknown_environment(capsys):
    assert cli.main(["principals", "--env", "qa"]) == EXIT_USAGE
    assert "qa" in capsys.readouterr().err
