"""DataZone with IAM enforced (server mode, the default): every call is first authorized by IAM as
``datazone:<Action>`` on the domain's ARN (Service Authorization Reference, "Actions defined by
Amazon DataZone": the domain-scoped actions take the ``domain`` resource), then by DataZone's
own rules (project membership). Both refusals are AccessDeniedException; the messages tell them
apart."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from environments import load_platform
from scripts.localcloud import LocalCloud

CONFIG = Config(retries={"mode": "standard", "max_attempts": 2})
DEV = load_platform().env("dev")


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with LocalCloud(state_dir=tmp_path_factory.mktemp("datazone-iam")) as running:
        assert running.status()["enforce_iam"] is True
        yield running


def session_of(cloud: LocalCloud, role_arn: str, source: boto3.Session) -> boto3.Session:
    creds = source.client("sts", endpoint_url=cloud.url, config=CONFIG).assume_role(
        RoleArn=role_arn, RoleSessionName="datazone-iam"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


@pytest.fixture(scope="module")
def deploy(cloud: LocalCloud) -> boto3.Session:
    env = cloud.env()
    admin = boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )
    return session_of(cloud, DEV.deploy_role_arn, admin)


def test_iam_and_project_membership_both_decide(cloud, deploy):
    dz = deploy.client("datazone", endpoint_url=cloud.url, config=CONFIG)
    iam = deploy.client("iam", endpoint_url=cloud.url, config=CONFIG)
    domain = dz.create_domain(name="iam-catalog", domainExecutionRole=DEV.deploy_role_arn)
    producer = dz.create_project(domainIdentifier=domain["id"], name="producers")["id"]
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": DEV.deploy_role_arn}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    # CreateAsset takes no resource type (Service Authorization Reference, "Actions defined by
    # Amazon DataZone"): only a statement on "*" allows it; one scoped to the domain's ARN does not.
    people = {
        "dz-member": ("*", True),
        "dz-member-without-iam": (None, True),
        "dz-member-scoped-to-the-domain": (domain["arn"], True),
        "dz-stranger": ("*", False),
    }
    clients = {}
    for name, (resource, member) in people.items():
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        actions = ["datazone:*"] if resource else ["datazone:GetDomain"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource or domain["arn"]}],
        }
        iam.put_role_policy(RoleName=name, PolicyName="datazone", PolicyDocument=json.dumps(policy))
        if member:
            profile = dz.create_user_profile(
                domainIdentifier=domain["id"], userIdentifier=arn, userType="IAM_ROLE"
            )
            dz.create_project_membership(
                domainIdentifier=domain["id"],
                projectIdentifier=producer,
                member={"userIdentifier": profile["id"]},
                designation="PROJECT_CONTRIBUTOR",
            )
        clients[name] = session_of(cloud, arn, deploy).client(
            "datazone", endpoint_url=cloud.url, config=CONFIG
        )

    def create_asset(name: str) -> dict:
        return dict(
            clients[name].create_asset(
                domainIdentifier=domain["id"],
                name="credit applications",
                owningProjectIdentifier=producer,
                typeIdentifier="amazon.datazone.S3ObjectCollectionAssetType",
                formsInput=[
                    {"formName": "S3ObjectCollectionForm", "content": '{"bucketArn":"arn:aws:s3:::data"}'}
                ],
            )
        )

    assert create_asset("dz-member")["owningProjectId"] == producer
    for name in ("dz-member-without-iam", "dz-member-scoped-to-the-domain"):
        with pytest.raises(ClientError) as by_iam:
            create_asset(name)
        assert by_iam.value.response["Error"]["Code"] == "AccessDeniedException"
        assert (
            "is not authorized to perform: datazone:CreateAsset" in by_iam.value.response["Error"]["Message"]
        )
    with pytest.raises(ClientError) as by_datazone:
        create_asset("dz-stranger")
    assert by_datazone.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"is not a member of project {producer}" in by_datazone.value.response["Error"]["Message"]
