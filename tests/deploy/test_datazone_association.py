"""The deploy runner's DataZone association step against the local cloud, IAM enforced.

No Terraform: dev's deploy role creates what dev's stack creates for the association (the domain
and the RAM share with its permission and principals), then the runner's step runs as it does at
the end of ``mlgov deploy apply``: every associated account accepts, the home account sees each
principal ASSOCIATED, a second run has nothing to accept, and a missing share fails naming the
environment, the account and the share.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from environments import EnvironmentConfig, PlatformConfig, load_platform
from environments.naming import Names
from scripts.deploy import association, ci, runner
from scripts.localcloud import LocalCloud

CONFIG = Config(retries={"mode": "standard"})
PERMISSION = "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionAmazonDataZoneDomain"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with LocalCloud(state_dir=tmp_path_factory.mktemp("association")) as running:
        assert running.status()["enforce_iam"] is True
        yield running


@pytest.fixture(scope="module")
def platform() -> PlatformConfig:
    return load_platform(Path(__file__).resolve().parents[2] / "environments")


def _session(cloud: LocalCloud, env: EnvironmentConfig) -> boto3.Session:
    keys = cloud.env()
    admin = boto3.Session(
        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        region_name=env.region,
    )
    creds = admin.client("sts", endpoint_url=cloud.url, config=CONFIG).assume_role(
        RoleArn=env.deploy_role_arn, RoleSessionName="test"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=env.region,
    )


def _runner(platform: PlatformConfig, cloud: LocalCloud, tmp_path: Path) -> runner.Runner:
    return runner.Runner(platform, target="local", cloud=cloud, work_root=tmp_path, synthesize=False)


def test_without_the_home_share_the_step_fails_naming_environment_account_and_share(
    cloud, platform, tmp_path
):
    home = platform.datazone_home
    share = Names.of(platform, home).datazone_share
    first = platform.apply_order()[0]
    r = _runner(platform, cloud, tmp_path)
    with pytest.raises(runner.DeployError) as info:
        r._associate([home])  # the home was "applied" yet holds no share
    error = info.value
    assert (error.env, error.step, error.resource) == (first.name, "associate", share)
    assert first.account_id in str(error) and f"{home.name!r} was applied" in str(error)
    assert Path(error.log).name == f"{first.name}-associate.log" and Path(error.log).is_file()
    # The receiver side alone (the CI job): no invitation and no access is an error too.
    staging = platform.env("staging")
    ram = association.deploy_role_ram(staging, r.destination.environment(staging))
    with pytest.raises(association.AssociationError, match="apply 'dev' first") as refused:
        association.accept(platform, staging, ram)
    assert staging.account_id in str(refused.value) and share in str(refused.value)


def test_an_environment_applied_before_the_home_was_ever_deployed_is_skipped(cloud, platform, tmp_path):
    r = _runner(platform, cloud, tmp_path)
    r._associate([platform.env("staging")])
    [step] = r.results
    assert (step.env, step.step, step.ok, step.skipped) == ("staging", "associate", True, True)
    assert "its apply invites this account" in (step.note or "")


def test_apply_ends_with_every_associated_account_associated_and_a_second_run_accepts_nothing(
    cloud, platform, tmp_path, monkeypatch, capsys
):
    home = platform.datazone_home
    names = Names.of(platform, home)
    dev = _session(cloud, home)
    domain = dev.client("datazone", endpoint_url=cloud.url, config=CONFIG).create_domain(
        name=names.datazone_domain, domainExecutionRole=names.role_arn("datazone")
    )
    ram = dev.client("ram", endpoint_url=cloud.url, config=CONFIG)
    share = ram.create_resource_share(
        name=names.datazone_share, allowExternalPrincipals=True, permissionArns=[PERMISSION]
    )["resourceShare"]["resourceShareArn"]
    others = [e for e in platform.apply_order() if e.name != home.name]
    ram.associate_resource_share(resourceShareArn=share, resourceArns=[domain["arn"]])
    for env in others:
        ram.associate_resource_share(resourceShareArn=share, principals=[env.account_id])

    def statuses() -> dict[str, str]:
        found = ram.get_resource_share_associations(associationType="PRINCIPAL", resourceShareArns=[share])
        return {a["associatedEntity"]: a["status"] for a in found["resourceShareAssociations"]}

    assert set(statuses().values()) == {"ASSOCIATING"}, "pending until each account accepts"

    # The data scientist of an associated account cannot reach the domain before acceptance.
    staging = platform.env("staging")
    scientist = _data_scientist(cloud, platform, staging)
    with pytest.raises(ClientError) as error:
        scientist.get_domain(identifier=domain["id"])
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"

    r = _runner(platform, cloud, tmp_path)
    r._associate([home])
    steps = [(s.env, s.step, s.ok) for s in r.results]
    assert steps == [(e.name, "associate", True) for e in others]
    assert all("accepted 1 invitation(s)" in (s.note or "") for s in r.results)
    assert statuses() == dict.fromkeys((e.account_id for e in others), "ASSOCIATED")

    # Associated: the data scientist finds the domain and creates a project in it.
    assert scientist.get_domain(identifier=domain["id"])["arn"] == domain["arn"]
    project = scientist.create_project(domainIdentifier=domain["id"], name="staging-exploration")
    listed = dev.client("datazone", endpoint_url=cloud.url, config=CONFIG).list_projects(
        domainIdentifier=domain["id"]
    )["items"]
    assert project["id"] in {p["id"] for p in listed}

    again = _runner(platform, cloud, tmp_path)
    again._associate([home])
    assert [s.note for s in again.results] == [f"nothing to accept; {names.datazone_share} ASSOCIATED"] * len(
        others
    )

    # The CI job's command: the same check with the job's (staging deploy role's) credentials.
    creds = _session(cloud, staging).get_credentials()
    monkeypatch.setenv("AWS_ENDPOINT_URL", cloud.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds.token)
    assert ci.main(["associate", "--env", "staging", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["share_arn"], out["domain_arn"], out["accepted"]) == (share, domain["arn"], [])
    assert ci.main(["associate", "--env", home.name]) == 2, "the home account has nothing to accept"


def _data_scientist(cloud: LocalCloud, platform: PlatformConfig, env: EnvironmentConfig):
    """A DataZone client acting as a role of ``env`` holding exactly the kit's data-scientist
    DataZone policy (modules/iam.py), created here because no stack was applied."""
    from modules.roles import datazone_project_statements

    home = platform.datazone_home
    deploy = _session(cloud, env)
    iam = deploy.client("iam", endpoint_url=cloud.url, config=CONFIG)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{env.account_id}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(RoleName="association-scientist", AssumeRolePolicyDocument=json.dumps(trust))
    statements = datazone_project_statements(domain_account=home.account_id, region=home.region)
    iam.put_role_policy(
        RoleName="association-scientist",
        PolicyName="datazone",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    creds = deploy.client("sts", endpoint_url=cloud.url, config=CONFIG).assume_role(
        RoleArn=role["Role"]["Arn"], RoleSessionName="scientist"
    )["Credentials"]
    return boto3.client(
        "datazone",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=env.region,
        endpoint_url=cloud.url,
        config=CONFIG,
    )


def test_only_the_accounts_the_run_touches_are_settled(platform):
    home = platform.datazone_home
    everyone = [e.name for e in association.associated_environments(platform, [home])]
    assert home.name not in everyone and sorted(everyone) == ["prod", "staging"]
    staging = platform.env("staging")
    assert [e.name for e in association.associated_environments(platform, [staging])] == ["staging"]


def test_the_apply_workflow_accepts_in_every_associated_account_after_every_apply(platform):
    import yaml

    doc = yaml.safe_load((Path(__file__).resolve().parents[2] / ".github/workflows/apply.yml").read_text())
    job = doc["jobs"]["associate"]
    assert set(job["needs"]) == {"environments", "apply"}
    assert job["strategy"]["matrix"] == "${{ fromJSON(needs.environments.outputs.associated) }}"
    assert job["environment"] == "${{ matrix.env }}"
    creds = next(s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", ""))
    assert creds["with"]["role-to-assume"] == "${{ matrix.deploy_role_arn }}"
    assert 'scripts.deploy.ci associate --env "$ENV_NAME"' in "\n".join(
        s.get("run", "") for s in job["steps"]
    )
    listed = ci.matrix(platform, require_remote_state=False, datazone_associated=True)["include"]
    assert sorted(e["env"] for e in listed) == ["prod", "staging"]
