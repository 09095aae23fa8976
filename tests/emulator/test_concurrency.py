"""Several accounts called at once from threads, as parallel Terraform applies do.

On a fresh clone ``make test`` once failed with ``RevokeSecurityGroupEgress ...
InvalidPermission.NotFound`` while staging and prod applied in parallel into their accounts: the
provider revokes the default egress rule of every security group it creates, and that rule was
missing. Each worker here does what that apply does (assume its account's deploy role, create a
VPC and a security group, revoke the default egress rule) plus registry writes, in every
environment's account at once, and then checks that every resource landed in its own account and
nowhere else. Bounded: 3 accounts x 2 threads x 3 rounds on loopback, two minutes at most.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.config import Config

from environments import load_platform
from scripts.localcloud import LocalCloud

CONFIG = Config(retries={"mode": "standard", "max_attempts": 1})
THREADS_PER_ACCOUNT = 2
ROUNDS = 3
TIMEOUT_S = 120
DEFAULT_EGRESS = [{"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory):
    with LocalCloud(state_dir=tmp_path_factory.mktemp("concurrency")) as running:
        yield running


def deploy_session(cloud: LocalCloud, role_arn: str, name: str) -> boto3.Session:
    env = cloud.env()
    base = boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"],
    )
    sts = base.client("sts", endpoint_url=cloud.url, config=CONFIG)
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=name)["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=env["AWS_DEFAULT_REGION"],
    )


def worker(cloud: LocalCloud, env_name: str, role_arn: str, thread: int) -> dict[str, Any]:
    made: dict[str, Any] = {"vpcs": [], "groups": []}
    for round_ in range(ROUNDS):
        session = deploy_session(cloud, role_arn, f"stress-{thread}-{round_}")
        account = session.client("sts", endpoint_url=cloud.url, config=CONFIG).get_caller_identity()[
            "Account"
        ]
        ec2 = session.client("ec2", endpoint_url=cloud.url, config=CONFIG)
        tag = f"{env_name}-{thread}-{round_}"
        vpc = ec2.create_vpc(
            CidrBlock="10.20.0.0/16",
            TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "stress", "Value": tag}]}],
        )["Vpc"]["VpcId"]
        group = ec2.create_security_group(GroupName=f"sg-{tag}", Description="stress", VpcId=vpc)["GroupId"]
        ec2.revoke_security_group_egress(GroupId=group, IpPermissions=DEFAULT_EGRESS)
        sm = session.client("sagemaker", endpoint_url=cloud.url, config=CONFIG)
        name = f"stress-{tag}"
        sm.create_model_package_group(ModelPackageGroupName=name)
        for _ in range(2):
            sm.create_model_package(ModelPackageGroupName=name, ClientToken=f"token-{tag}")
        made["account"] = account
        made["vpcs"].append(vpc)
        made["groups"].append(name)
    return made


def test_parallel_calls_into_several_accounts_stay_in_their_accounts(cloud):
    platform = load_platform()
    envs = list(platform.environments.values())
    jobs = [(e.name, e.deploy_role_arn, t) for e in envs for t in range(THREADS_PER_ACCOUNT)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(worker, cloud, name, role, t) for name, role, t in jobs]
        results = [f.result(timeout=TIMEOUT_S) for f in futures]

    for env in envs:
        mine = [r for (name, _, _), r in zip(jobs, results, strict=True) if name == env.name]
        assert {r["account"] for r in mine} == {env.account_id}
        session = deploy_session(cloud, env.deploy_role_arn, "stress-check")
        ec2 = session.client("ec2", endpoint_url=cloud.url, config=CONFIG)
        stress = ec2.describe_vpcs(Filters=[{"Name": "tag-key", "Values": ["stress"]}])["Vpcs"]
        # Every VPC made for this account is here, and none made for another account.
        assert sorted(v["VpcId"] for v in stress) == sorted(v for r in mine for v in r["vpcs"])
        groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["sg-*"]}])
        for group in groups["SecurityGroups"]:
            assert group["OwnerId"] == env.account_id
            assert group["IpPermissionsEgress"] == [], json.dumps(group, default=str)
        sm = session.client("sagemaker", endpoint_url=cloud.url, config=CONFIG)
        listed = {
            g["ModelPackageGroupName"]
            for page in sm.get_paginator("list_model_package_groups").paginate(NameContains="stress-")
            for g in page["ModelPackageGroupSummaryList"]
        }
        assert listed == {g for r in mine for g in r["groups"]}
        for name in (g for r in mine for g in r["groups"]):
            versions = sm.list_model_packages(ModelPackageGroupName=name)["ModelPackageSummaryList"]
            assert len(versions) == 1, f"{env.name}/{name}: one ClientToken, {len(versions)} versions"
