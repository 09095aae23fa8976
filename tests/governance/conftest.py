"""Fixtures of the governance-job tests: in-process moto (function scoped) with the kit's moto
extensions, and the minimal per-account resources the platform stack would have created, named
through ``environments.Names`` so the jobs find them exactly as they would on AWS."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from environments import Names, PlatformConfig, load_platform
from scripts.aws import new_session
from scripts.governance import seed as seed_module
from scripts.governance import train as train_module
from scripts.governance.context import ROLE_KEYS
from scripts.localcloud.moto_ext import install

install()

REGION = "us-east-1"
DATAZONE_PROJECT_ID = "prj4b7c2d9e1f"


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials so nothing can reach a real account."""
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def mocked(aws_credentials: None):
    with mock_aws():
        yield


@pytest.fixture(scope="session")
def platform() -> PlatformConfig:
    return load_platform()


@pytest.fixture(scope="session", autouse=True)
def _train_once() -> Any:
    """Training is deterministic: run each spec once per test session, not once per test."""
    cache: dict[str, Any] = {}
    original = train_module.train

    def cached(spec: train_module.TrainingSpec) -> train_module.TrainingResult:
        key = json.dumps([spec.label, spec.algorithm, spec.hyperparameters], sort_keys=True)
        if key not in cache:
            cache[key] = original(spec)
        return cache[key]

    mp = pytest.MonkeyPatch()
    mp.setattr(seed_module, "train", cached)
    yield
    mp.undo()


def account_session(account_id: str, name: str = "mlgov-deploy") -> boto3.Session:
    """Credentials in ``account_id`` (moto maps assumed-role credentials to the role's account)."""
    creds = (
        new_session()
        .client("sts", region_name=REGION)
        .assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{name}", RoleSessionName="fixture")[
            "Credentials"
        ]
    )
    return new_session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )


@dataclass
class Provisioned:
    platform: PlatformConfig
    kms_keys: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, boto3.Session] = field(default_factory=dict)

    def names(self, env: str) -> Names:
        return Names.of(self.platform, env)

    def client(self, env: str, service: str) -> Any:
        return self.sessions[env].client(service, region_name=REGION)

    def bucket(self, env: str) -> str:
        return self.names(env).artifact_bucket


def provision(platform: PlatformConfig, *, skip_params: tuple[tuple[str, str], ...] = ()) -> Provisioned:
    """What the stack creates in each account, minimally: roles, key, bucket, group, SSM params."""
    out = Provisioned(platform)
    for env in platform.environments.values():
        names = Names.of(platform, env)
        session = account_session(env.account_id, env.deploy_role_name)
        out.sessions[env.name] = session
        iam = session.client("iam")
        for key in ROLE_KEYS:
            iam.create_role(
                RoleName=names.role_name(key),
                AssumeRolePolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "sts:AssumeRole",
                                "Principal": {"AWS": f"arn:aws:iam::{env.account_id}:root"},
                            }
                        ],
                    }
                ),
            )
        kms = session.client("kms")
        key_arn = kms.create_key(Description=f"{names.base} platform")["KeyMetadata"]["Arn"]
        kms.create_alias(AliasName=names.kms_alias, TargetKeyId=key_arn)
        out.kms_keys[env.name] = key_arn
        session.client("s3").create_bucket(Bucket=names.artifact_bucket)
        sm = session.client("sagemaker")
        params = {
            names.ssm_artifact_bucket: names.artifact_bucket,
            names.ssm_kms_key_arn: key_arn,
            names.ssm_lifecycle_stage: env.lifecycle_stage,
            names.ssm_governance_log_group: names.governance_log_group,
        }
        for key in ROLE_KEYS:
            params[names.ssm_role_arn(key)] = names.role_arn(key)
        for uc in env.use_cases:
            sm.create_model_package_group(
                ModelPackageGroupName=names.model_package_group(uc.name),
                ModelPackageGroupDescription=uc.description,
            )
            params[names.ssm_group_name(uc.name)] = names.model_package_group(uc.name)
            params[names.ssm_group_arn(uc.name)] = names.model_package_group_arn(uc.name)
            if env.datazone_home:
                params[names.ssm_datazone_project_id(uc.name)] = DATAZONE_PROJECT_ID
        ssm = session.client("ssm")
        for path, value in params.items():
            if (env.name, path) in skip_params:
                continue
            ssm.put_parameter(Name=path, Value=value, Type="String")
    return out


@pytest.fixture
def cloud(mocked: None, platform: PlatformConfig) -> Provisioned:
    return provision(platform)


@pytest.fixture
def seeded(cloud: Provisioned, platform: PlatformConfig) -> dict[str, Any]:
    """dev seeded with the three sample versions (as the data-scientist role)."""
    return seed_module.seed(platform, "dev")


def audit_records(cloud: Provisioned, env: str) -> list[dict[str, Any]]:
    s3 = cloud.client(env, "s3")
    names = cloud.names(env)
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=names.artifact_bucket, Prefix=names.audit_prefix
    ):
        for obj in page.get("Contents", []):
            out.append(json.loads(s3.get_object(Bucket=names.artifact_bucket, Key=obj["Key"])["Body"].read()))
    return sorted(out, key=lambda r: r["when"])


def make_promotable(platform: PlatformConfig, env: str, version: str) -> None:
    """Card reviewed and approved, version approved, as the approver role. A seeded card starts
    at Draft, a promoted one at PendingReview."""
    from scripts.governance import review
    from scripts.governance.context import env_context
    from scripts.governance.versions import describe_version, resolve_version

    ctx = env_context(platform, env, "approver", job="test")
    current = describe_version(ctx, resolve_version(ctx, "credit-risk", version))["ModelCard"][
        "ModelCardStatus"
    ]
    steps = ["PendingReview", "Approved"] if current == "Draft" else ["Approved"]
    for status in steps:
        review.set_card_status(platform, env, version, status, f"review: {status}")
    review.set_approval(platform, env, version, "approved for promotion")
