"""The DataZone home environment as the platform stack leaves it, in-process with IAM enforced:
the deploy role (administrator, entered from the local cloud's admin user, as ``mlgov`` does with
``MLGOV_ENTRY_ROLE=deploy``) creates the key, the artifact bucket, the roles with the policies
the stack gives them (modules/iam.py, modules/data.py), the SSM parameters, the domain and the
projects (so the deploy role is their owner, as after Terraform), and a model package group.

Differences from the stack, on purpose: the execution role trusts the account (the stack's
trusts SageMaker only) and the pipeline execution role trusts the account as well as SageMaker
(the stack's: SageMaker only), so a test can act as them; their permissions are the stack's. The
data scientist's policy is the stack's three (modules/iam.py, the catalog one of modules/data.py,
the pipeline one of modules/pipelines.py), the approver's the stack's two (modules/iam.py, the
lineage reader's of modules/pipelines.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from environments import Names, PlatformConfig, load_platform
from scripts.governance.context import ENTRY_ROLE_VAR
from scripts.localcloud.moto_ext import install

REGION = "us-east-1"


def _doc(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _trust(principal: str, *, sagemaker: bool = False) -> str:
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Principal": {"AWS": principal},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
        }
    ]
    if sagemaker:
        statements.append(
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        )
    return _doc(statements)


@dataclass
class DataPlatform:
    platform: PlatformConfig
    names: Names
    admin: boto3.Session
    deploy: boto3.Session
    domain: str
    producer: str
    projects: dict[str, str]

    def act_as(self, key: str) -> boto3.Session:
        """A session of the environment's role ``key`` (entered through the deploy role)."""
        creds = self.deploy.client("sts").assume_role(
            RoleArn=self.names.role_arn(key), RoleSessionName="test"
        )["Credentials"]
        return boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=REGION,
        )


def _roles(
    names: Names, key_arn: str, use_cases: tuple[str, ...]
) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    from modules.data import consumer_statements, data_engineer_statements, data_grant_statements
    from modules.pipelines import (
        data_scientist_pipeline_statements,
        lineage_reader_statements,
        pipeline_role_statements,
    )
    from modules.role_basics import EnvironmentArns
    from modules.roles import approver_role, data_scientist_role, execution_role

    arns = EnvironmentArns.of(names, use_cases, key_arn)
    root = f"arn:aws:iam::{names.env.account_id}:root"
    return {
        "execution": (root, execution_role(arns, strict=False).permissions),
        "data_scientist": (
            root,
            [
                *data_scientist_role(arns, strict=False, people=[root]).permissions,
                *consumer_statements(names, names),
                *data_scientist_pipeline_statements(names, use_cases),
            ],
        ),
        "pipeline": (root, pipeline_role_statements(names, use_cases, kms_key_arn=key_arn, strict=False)),
        "approver": (
            root,
            [
                *approver_role(arns, approvers=[root], strict=False).permissions,
                *lineage_reader_statements(names),
            ],
        ),
        "data_engineer": (root, data_engineer_statements(names, home=names, kms_key_arn=key_arn)),
        "data_grant": (names.role_arn("data_engineer"), data_grant_statements(names, key_arn)),
    }


def build(monkeypatch: pytest.MonkeyPatch) -> Iterator[DataPlatform]:
    from moto.core.authorization import enable_iam_authentication
    from moto.iam.models import iam_backends

    from scripts.localcloud.accounts import ADMIN_POLICY, MANAGEMENT_ACCOUNT_ID, provision_admin_user
    from scripts.localcloud.moto_ext.datazone.catalog_records import LISTING_READY_ENV
    from scripts.localcloud.moto_ext.datazone.models import READY_DELAY_ENV

    install()
    monkeypatch.setenv(READY_DELAY_ENV, "0")
    monkeypatch.setenv(LISTING_READY_ENV, "0")
    monkeypatch.setenv(ENTRY_ROLE_VAR, "deploy")
    platform = load_platform()
    env = platform.datazone_home
    names = Names.of(platform, env)
    keys = provision_admin_user()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys.secret_access_key)
    admin = boto3.Session(
        aws_access_key_id=keys.access_key_id, aws_secret_access_key=keys.secret_access_key, region_name=REGION
    )
    iam_backends[env.account_id]["global"].create_role(
        role_name=env.deploy_role_name,
        assume_role_policy_document=_trust(f"arn:aws:iam::{MANAGEMENT_ACCOUNT_ID}:root"),
        path="/",
        permissions_boundary=None,
        description="",
        tags=[],
        max_session_duration="3600",
    )
    iam_backends[env.account_id]["global"].put_role_policy(
        env.deploy_role_name, "administrator", ADMIN_POLICY
    )
    with enable_iam_authentication():
        creds = admin.client("sts").assume_role(RoleArn=env.deploy_role_arn, RoleSessionName="terraform")[
            "Credentials"
        ]
        deploy = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=REGION,
        )
        kms = deploy.client("kms")
        key_arn = kms.create_key(Description="platform")["KeyMetadata"]["Arn"]
        kms.create_alias(AliasName=names.kms_alias, TargetKeyId=key_arn)
        deploy.client("s3").create_bucket(Bucket=names.artifact_bucket)
        iam = deploy.client("iam")
        use_cases = tuple(u.name for u in env.use_cases)
        for key, (trusted, statements) in _roles(names, key_arn, use_cases).items():
            iam.create_role(
                RoleName=names.role_name(key),
                AssumeRolePolicyDocument=_trust(trusted, sagemaker=key == "pipeline"),
            )
            if statements:
                iam.put_role_policy(
                    RoleName=names.role_name(key), PolicyName="policy", PolicyDocument=_doc(statements)
                )
        dz = deploy.client("datazone")
        domain = dz.create_domain(name=names.datazone_domain, domainExecutionRole=names.role_arn("approver"))[
            "id"
        ]
        producer = dz.create_project(domainIdentifier=domain, name=names.datazone_producer_project)["id"]
        projects = {
            uc: dz.create_project(domainIdentifier=domain, name=names.datazone_project(uc))["id"]
            for uc in use_cases
        }
        sm = deploy.client("sagemaker")
        params = {
            names.ssm_artifact_bucket: names.artifact_bucket,
            names.ssm_kms_key_arn: key_arn,
            names.ssm_lifecycle_stage: env.lifecycle_stage,
            names.ssm_datazone_domain_id: domain,
            names.ssm_datazone_producer_project_id: producer,
            names.ssm_role_arn("pipeline"): names.role_arn("pipeline"),
        }
        for uc, project in projects.items():
            sm.create_model_package_group(ModelPackageGroupName=names.model_package_group(uc))
            params[names.ssm_group_name(uc)] = names.model_package_group(uc)
            params[names.ssm_datazone_project_id(uc)] = project
        ssm = deploy.client("ssm")
        for path, value in params.items():
            ssm.put_parameter(Name=path, Value=value, Type="String")
        yield DataPlatform(platform, names, admin, deploy, domain, producer, projects)
