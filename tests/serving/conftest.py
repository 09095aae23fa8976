"""The serving jobs' world: the local cloud's server with IAM enforced, and in each environment's
account what the platform stack creates for serving, built through boto3 as the deploy role:

* the model-deploy role with its real trust and policy (modules/serving.py's functions, the
  documents the stack synthesizes), so every call ``mlgov serve`` makes is authorized as on AWS;
* the SageMaker execution role trusting SageMaker, reading ``models/*`` and carrying the stack's
  serving statements (code, captured data);
* the approver role (the stage status writer; its own policy is not under test here: full
  SageMaker, S3, KMS, SSM, EventBridge), the key, the bucket, the group and the SSM parameters;
* model versions registered straight with CreateModelPackage, in exactly the state a test needs
  (approval, card, stage, recorded SHA-256), with archives of the kit's sample model as training
  writes them (``model.joblib`` and ``features.json``, no code: serve adds it).

The jobs run as the kit runs them against the local cloud: admin keys of the management account,
``MLGOV_ENTRY_ROLE=deploy``, ``AWS_ENDPOINT_URL`` the server.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import joblib
import pytest

from environments import Names, PlatformConfig, load_platform
from modules.policy import PEOPLE_TRUST_ACTIONS, document, statement
from modules.serving import (
    ServingArns,
    execution_serving_statements,
    model_deploy_permissions,
)
from scripts.governance import credit_data
from scripts.governance.train import tar_gz
from scripts.localcloud import LocalCloud
from tests.emulator.serving_kit import FEATURES, IMAGE, SAGEMAKER_TRUST, fit

ADMIN = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["sagemaker:*", "s3:*", "kms:*", "ssm:*", "events:*", "sts:GetCallerIdentity"],
                "Resource": "*",
            }
        ],
    }
)


def model_archive(model: Any) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return tar_gz({"model.joblib": buffer.getvalue(), "features.json": json.dumps(list(FEATURES)).encode()})


@dataclass
class Account:
    """One environment's account, seen as its deploy role (an administrator)."""

    platform: PlatformConfig
    env: str
    session: boto3.Session
    url: str
    key_arn: str = ""
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> Names:
        return Names.of(self.platform, self.env)

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.url)

    def register(
        self,
        label: str,
        archive: bytes,
        *,
        approval: str = "Approved",
        card: str = "Approved",
        stage: str | None = None,
        recorded_sha256: str | None = None,
        card_content: dict[str, Any] | None = None,
    ) -> str:
        """A version of credit-risk in the given state; its ARN (also ``versions[label]``). A label
        registered before returns its version (tests sharing an environment share it)."""
        if label in self.versions:
            return self.versions[label]
        names = self.names
        key = f"models/credit-risk/{label}/model.tar.gz"
        self.client("s3").put_object(
            Bucket=names.artifact_bucket,
            Key=key,
            Body=archive,
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=self.key_arn,
        )
        arn = self.client("sagemaker").create_model_package(
            ModelPackageGroupName=names.model_package_group("credit-risk"),
            InferenceSpecification={
                "Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://{names.artifact_bucket}/{key}"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            ModelApprovalStatus=approval,
            ModelCard={
                "ModelCardContent": json.dumps(
                    {"intended_uses": {"purpose_of_model": label}, **(card_content or {})}
                ),
                "ModelCardStatus": card,
            },
            ModelLifeCycle={"Stage": stage or names.env.lifecycle_stage, "StageStatus": "Registered"},
            CustomerMetadataProperties={
                "mlgov-model-sha256": recorded_sha256 or hashlib.sha256(archive).hexdigest(),
                "mlgov-version-label": label,
            },
        )["ModelPackageArn"]
        self.versions[label] = str(arn)
        return str(arn)


def provision(platform: PlatformConfig, env: str, admin: boto3.Session, url: str) -> Account:
    names = Names.of(platform, env)
    cfg = names.env
    creds = admin.client("sts", endpoint_url=url).assume_role(
        RoleArn=cfg.deploy_role_arn, RoleSessionName="fixture"
    )["Credentials"]
    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=cfg.region,
    )
    account = Account(platform, env, session, url)
    iam, kms, s3, sm, ssm = (account.client(s) for s in ("iam", "kms", "s3", "sagemaker", "ssm"))
    account.key_arn = kms.create_key(Description=f"{names.base} platform")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=names.kms_alias, TargetKeyId=account.key_arn)
    s3.create_bucket(Bucket=names.artifact_bucket)
    arns = ServingArns(names, ("credit-risk",), account.key_arn)
    bucket = names.artifact_bucket_arn
    execution = document(
        # what modules/iam.py gives the execution role on the bucket (ReadWriteModelArtifacts,
        # ListArtifactBucket), reads only
        statement("ReadModels", ["s3:GetObject"], [f"{bucket}/models/*"]),
        statement("ListArtifactBucket", ["s3:ListBucket"], [bucket]),
        statement("UseKey", ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"], [account.key_arn]),
        *execution_serving_statements(arns),
    )
    roles = {
        "execution": (SAGEMAKER_TRUST, execution),
        "approver": (
            document(
                statement(
                    "Root", PEOPLE_TRUST_ACTIONS, principal={"AWS": f"arn:aws:iam::{cfg.account_id}:root"}
                )
            ),
            ADMIN,
        ),
        "model_deploy": (
            # entered through the account here (as the approver above); who may take it on AWS is
            # model_deploy_trust's (tests/unit/test_serving_role.py, tests/e2e/test_serve_deployed.py)
            document(
                statement(
                    "Root", PEOPLE_TRUST_ACTIONS, principal={"AWS": f"arn:aws:iam::{cfg.account_id}:root"}
                )
            ),
            document(*model_deploy_permissions(arns, execution_role_arn=names.role_arn("execution"))),
        ),
    }
    params = {
        names.ssm_artifact_bucket: names.artifact_bucket,
        names.ssm_kms_key_arn: account.key_arn,
        names.ssm_lifecycle_stage: cfg.lifecycle_stage,
        names.ssm_group_name("credit-risk"): names.model_package_group("credit-risk"),
        names.ssm_group_arn("credit-risk"): names.model_package_group_arn("credit-risk"),
    }
    for key, (trust, policy) in roles.items():
        iam.create_role(RoleName=names.role_name(key), AssumeRolePolicyDocument=trust)
        iam.put_role_policy(RoleName=names.role_name(key), PolicyName="policy", PolicyDocument=policy)
        params[names.ssm_role_arn(key)] = names.role_arn(key)
    sm.create_model_package_group(ModelPackageGroupName=names.model_package_group("credit-risk"))
    for path, value in params.items():
        ssm.put_parameter(Name=path, Value=value, Type="String")
    return account


@dataclass
class ServingWorld:
    cloud: LocalCloud
    platform: PlatformConfig
    accounts: dict[str, Account]
    models: dict[str, Any]
    archives: dict[str, bytes]


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServingWorld]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLGOV_LOCALCLOUD_ENDPOINT_DELAY_S", "0.2")
        patch.setenv("MLGOV_LOCALCLOUD_CAPTURE_FLUSH_S", "0.3")
        with LocalCloud(state_dir=tmp_path_factory.mktemp("serving-jobs"), enforce_iam=True) as cloud:
            for name, value in cloud.env().items():
                patch.setenv(name, value)
            for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
                patch.delenv(name, raising=False)
            platform = load_platform()
            env = cloud.env()
            admin = boto3.Session(
                aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                region_name=env["AWS_DEFAULT_REGION"],
            )
            accounts = {e: provision(platform, e, admin, cloud.url) for e in platform.environments}
            models = {"logistic": fit("logistic"), "forest": fit("forest")}
            archives = {k: model_archive(m) for k, m in models.items()}
            yield ServingWorld(cloud, platform, accounts, models, archives)


def rows(count: int, start: int = 0) -> Any:
    return credit_data.generate().features(FEATURES)[start : start + count]
