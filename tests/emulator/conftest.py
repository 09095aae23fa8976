"""Fixtures for the emulator's own tests: moto in-process with the kit's extensions installed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scripts.localcloud.moto_ext import install


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials so nothing can reach a real account."""
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def mocked(aws_env: None):
    """moto in-process with the extensions, fresh state per test."""
    install()
    with mock_aws():
        yield


class Clock:
    """The local cloud's provisioning clocks, moved by a test instead of slept through: a delay
    long enough never to pass by itself on a loaded machine, then :meth:`advance` past it."""

    def __init__(self) -> None:
        self.offset = 0.0

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from datetime import timedelta

    from moto.core.utils import utcnow

    from scripts.localcloud.moto_ext.datazone import utils as datazone_utils
    from scripts.localcloud.moto_ext.sagemaker import (
        deployment_runs,
        deployments,
        endpoint_records,
        endpoints,
        monitoring,
        monitoring_records,
        monitoring_runs,
        provisioning,
        studio,
        transform,
    )

    moved = Clock()
    monotonic = datazone_utils.clock
    monkeypatch.setattr(datazone_utils, "clock", lambda: monotonic() + moved.offset)
    for module in (
        provisioning,
        studio,
        endpoint_records,
        deployments,
        deployment_runs,
        endpoints,
        monitoring_records,
        monitoring_runs,
        monitoring,
        transform,
    ):
        monkeypatch.setattr(module, "utcnow", lambda: utcnow() + timedelta(seconds=moved.offset))
    return moved


# -- IAM enforced, in-process -------------------------------------------------------------------
def policy_document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trusting(
    *principals: str, actions: tuple[str, ...] = ("sts:AssumeRole",), condition: dict | None = None
) -> str:
    statement: dict = {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": list(actions)}
    if condition:
        statement["Condition"] = condition
    return policy_document(statement)


def root(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


class EnforcedCloud:
    """moto in-process with the extensions and IAM enforced: an admin user in the management
    account and an administrator deploy role in each environment's account (as the local cloud's
    server provisions them), and helpers to make roles and assume them."""

    def __init__(self, admin: boto3.Session, deploy: dict[str, boto3.Session]) -> None:
        self.admin = admin
        self.deploy = deploy

    def role(self, account: str, name: str, trust: str, *policies: str) -> str:
        iam = self.deploy[account].client("iam")
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        for index, policy in enumerate(policies):
            iam.put_role_policy(RoleName=name, PolicyName=f"p{index}", PolicyDocument=policy)
        return str(arn)

    @staticmethod
    def assume(role_arn: str, source: boto3.Session, **kwargs: Any) -> boto3.Session:
        creds = source.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="test", **kwargs)[
            "Credentials"
        ]
        return boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name="us-east-1",
        )


ACCOUNTS = ("111111111111", "222222222222", "333333333333")


@pytest.fixture
def enforced(mocked: None) -> Iterator[EnforcedCloud]:
    from moto.core.authorization import enable_iam_authentication
    from moto.iam.models import iam_backends

    from scripts.localcloud.accounts import ADMIN_POLICY, MANAGEMENT_ACCOUNT_ID, provision_admin_user

    keys = provision_admin_user()
    admin = boto3.Session(
        aws_access_key_id=keys.access_key_id,
        aws_secret_access_key=keys.secret_access_key,
        region_name="us-east-1",
    )
    for account in ACCOUNTS:
        iam = iam_backends[account]["global"]
        iam.create_role(
            role_name="deploy",
            assume_role_policy_document=trusting(root(MANAGEMENT_ACCOUNT_ID)),
            path="/",
            permissions_boundary=None,
            description="",
            tags=[],
            max_session_duration="3600",
        )
        iam.put_role_policy("deploy", "administrator", ADMIN_POLICY)
    with enable_iam_authentication():
        deploy = {a: EnforcedCloud.assume(f"arn:aws:iam::{a}:role/deploy", admin) for a in ACCOUNTS}
        yield EnforcedCloud(admin, deploy)
