"""Studio spaces and apps on the local cloud, as SageMaker behaves: what opening Studio and
starting a JupyterLab space calls (CreateSpace, DescribeSpace, ListSpaces, DeleteSpace, CreateApp,
DescribeApp, ListApps, DeleteApp). In-process for the rules and the statuses; on a local cloud
with IAM enforced for the authorization of each call against the space and app ARNs the Service
Authorization Reference names (``space/<domain>/<space>``,
``app/<domain>/<space or user profile>/<app type>/<app>``)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from environments import load_platform
from scripts.localcloud import LocalCloud

DELAY_ENV = "MLGOV_LOCALCLOUD_SAGEMAKER_DELAY_S"
CONFIG = Config(retries={"mode": "standard", "max_attempts": 2})
PRIVATE = {"SharingType": "Private"}
JUPYTERLAB = {"AppType": "JupyterLab"}


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def new_domain(sm: Any, name: str = "mlgov-dev-studio") -> str:
    return str(
        sm.create_domain(
            DomainName=name,
            AuthMode="IAM",
            DefaultUserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/exec"},
            SubnetIds=["subnet-1"],
            VpcId="vpc-1",
        )["DomainId"]
    )


def private_space(sm: Any, domain_id: str, name: str = "ds-1-lab", owner: str = "ds-1") -> str:
    return str(
        sm.create_space(
            DomainId=domain_id,
            SpaceName=name,
            SpaceSettings=JUPYTERLAB,
            OwnershipSettings={"OwnerUserProfileName": owner},
            SpaceSharingSettings=PRIVATE,
            SpaceDisplayName="My lab",
        )["SpaceArn"]
    )


def wait_for(read: Callable[[], str], wanted: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while (status := read()) != wanted:
        assert time.monotonic() < deadline, f"still {status}, wanted {wanted}"
        time.sleep(0.2)


@pytest.fixture
def sm(mocked: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(DELAY_ENV, "0")
    return boto3.client("sagemaker", config=CONFIG)


@pytest.fixture
def studio(sm: Any) -> str:
    """A domain with the user profile ``ds-1``."""
    domain_id = new_domain(sm)
    sm.create_user_profile(DomainId=domain_id, UserProfileName="ds-1")
    return domain_id


# -- spaces ------------------------------------------------------------------------------------
def test_private_space_round_trip(sm, studio):
    arn = private_space(sm, studio)
    assert arn.endswith(f":space/{studio}/ds-1-lab")
    described = sm.describe_space(DomainId=studio, SpaceName="ds-1-lab")
    assert described["SpaceArn"] == arn
    assert described["Status"] == "InService"
    assert described["OwnershipSettings"] == {"OwnerUserProfileName": "ds-1"}
    assert described["SpaceSharingSettings"] == PRIVATE
    assert described["SpaceSettings"] == JUPYTERLAB
    assert described["SpaceDisplayName"] == "My lab"
    [listed] = sm.list_spaces(DomainIdEquals=studio)["Spaces"]
    assert listed["OwnershipSettingsSummary"] == {"OwnerUserProfileName": "ds-1"}
    assert listed["SpaceSharingSettingsSummary"] == PRIVATE
    assert listed["SpaceSettingsSummary"] == JUPYTERLAB
    sm.delete_space(DomainId=studio, SpaceName="ds-1-lab")
    with pytest.raises(ClientError) as error:
        sm.describe_space(DomainId=studio, SpaceName="ds-1-lab")
    assert code(error) == "ResourceNotFound"
    assert sm.list_spaces(DomainIdEquals=studio)["Spaces"] == []


def test_a_space_needs_an_existing_domain_and_an_owner_of_that_domain(sm, studio):
    with pytest.raises(ClientError) as error:
        private_space(sm, "d-000000000000")
    assert code(error) == "ResourceNotFound"
    with pytest.raises(ClientError) as error:
        private_space(sm, studio, owner="nobody")
    assert code(error) == "ResourceNotFound"
    other = new_domain(sm, "other-studio")
    sm.create_user_profile(DomainId=other, UserProfileName="ds-2")
    with pytest.raises(ClientError) as error:
        private_space(sm, studio, owner="ds-2")  # a profile of another domain owns nothing here
    assert code(error) == "ResourceNotFound"
    # An owner without a sharing type (or the reverse) is neither a private nor a shared space.
    with pytest.raises(ClientError) as error:
        sm.create_space(DomainId=studio, SpaceName="x", OwnershipSettings={"OwnerUserProfileName": "ds-1"})
    assert code(error) == "ValidationException"
    with pytest.raises(ClientError) as error:
        sm.create_space(DomainId=studio, SpaceName="x", SpaceSharingSettings=PRIVATE)
    assert code(error) == "ValidationException"
    assert sm.list_spaces()["Spaces"] == []


def test_a_space_name_is_taken_once_per_domain(sm, studio):
    private_space(sm, studio)
    with pytest.raises(ClientError) as error:
        private_space(sm, studio)
    assert code(error) == "ResourceInUse"
    other = new_domain(sm, "other-studio")
    sm.create_user_profile(DomainId=other, UserProfileName="ds-1")
    private_space(sm, other)  # the same name in another domain is another space
    assert len(sm.list_spaces()["Spaces"]) == 2
    assert [s["DomainId"] for s in sm.list_spaces(DomainIdEquals=other)["Spaces"]] == [other]


def test_spaces_and_apps_are_tagged_at_creation_and_by_arn(sm, studio):
    space = private_space(sm, studio)
    sm.add_tags(ResourceArn=space, Tags=[{"Key": "owner", "Value": "ds-1"}])
    assert sm.list_tags(ResourceArn=space)["Tags"] == [{"Key": "owner", "Value": "ds-1"}]
    app = sm.create_app(
        DomainId=studio,
        SpaceName="ds-1-lab",
        AppType="JupyterLab",
        AppName="default",
        Tags=[{"Key": "k", "Value": "v"}],
    )["AppArn"]
    assert sm.list_tags(ResourceArn=app)["Tags"] == [{"Key": "k", "Value": "v"}]


# -- apps --------------------------------------------------------------------------------------
def test_jupyterlab_app_in_a_private_space(sm, studio):
    private_space(sm, studio)
    spec = {"InstanceType": "ml.t3.medium"}
    arn = sm.create_app(
        DomainId=studio, SpaceName="ds-1-lab", AppType="JupyterLab", AppName="default", ResourceSpec=spec
    )["AppArn"]
    assert arn.endswith(f":app/{studio}/ds-1-lab/JupyterLab/default")
    app = {"DomainId": studio, "SpaceName": "ds-1-lab", "AppType": "JupyterLab", "AppName": "default"}
    described = sm.describe_app(**app)
    assert (described["AppArn"], described["Status"], described["ResourceSpec"]) == (arn, "InService", spec)
    assert "UserProfileName" not in described
    [listed] = sm.list_apps(DomainIdEquals=studio, SpaceNameEquals="ds-1-lab")["Apps"]
    assert (listed["AppName"], listed["Status"]) == ("default", "InService")
    assert sm.list_apps(DomainIdEquals=studio, UserProfileNameEquals="ds-1")["Apps"] == []
    with pytest.raises(ClientError) as error:
        sm.create_app(**app)
    assert code(error) == "ResourceInUse"

    # The space keeps its app until the app is Deleted, and so does the space's owner.
    with pytest.raises(ClientError) as error:
        sm.delete_space(DomainId=studio, SpaceName="ds-1-lab")
    assert code(error) == "ResourceInUse"
    sm.delete_app(**app)
    assert sm.describe_app(**app)["Status"] == "Deleted"
    with pytest.raises(ClientError) as error:
        sm.delete_app(**app)
    assert code(error) == "ResourceNotFound"
    with pytest.raises(ClientError) as error:
        sm.delete_user_profile(DomainId=studio, UserProfileName="ds-1")
    assert code(error) == "ResourceInUse"  # it still owns the space
    with pytest.raises(ClientError) as error:
        sm.delete_domain(DomainId=studio)
    assert code(error) == "ResourceInUse"
    # A Deleted app's name can be taken again.
    assert sm.create_app(**app)["AppArn"] == arn
    assert sm.describe_app(**app)["Status"] == "InService"
    sm.delete_app(**app)
    sm.delete_space(DomainId=studio, SpaceName="ds-1-lab")
    sm.delete_user_profile(DomainId=studio, UserProfileName="ds-1")
    sm.delete_domain(DomainId=studio)


def test_an_app_belongs_to_exactly_one_existing_space_or_user_profile(sm, studio):
    base = {"DomainId": studio, "AppType": "JupyterLab", "AppName": "default"}
    with pytest.raises(ClientError) as error:
        sm.create_app(**base)
    assert code(error) == "ValidationException"
    private_space(sm, studio)
    with pytest.raises(ClientError) as error:
        sm.create_app(**base, SpaceName="ds-1-lab", UserProfileName="ds-1")
    assert code(error) == "ValidationException"
    with pytest.raises(ClientError) as error:
        sm.create_app(**base, SpaceName="no-such-space")
    assert code(error) == "ResourceNotFound"
    with pytest.raises(ClientError) as error:
        sm.create_app(**base, UserProfileName="nobody")
    assert code(error) == "ResourceNotFound"
    with pytest.raises(ClientError) as error:
        sm.create_app(**{**base, "DomainId": "d-000000000000"}, SpaceName="ds-1-lab")
    assert code(error) == "ResourceNotFound"
    # A JupyterLab space runs JupyterLab (SpaceSettings.AppType is the space's app type).
    with pytest.raises(ClientError) as error:
        sm.create_app(**{**base, "AppType": "CodeEditor"}, SpaceName="ds-1-lab")
    assert code(error) == "ValidationException"
    # A user profile's own app (Studio Classic's JupyterServer) is named after the profile.
    arn = sm.create_app(DomainId=studio, UserProfileName="ds-1", AppType="JupyterServer", AppName="default")[
        "AppArn"
    ]
    assert arn.endswith(f":app/{studio}/ds-1/JupyterServer/default")
    with pytest.raises(ClientError) as error:
        sm.describe_app(**base, SpaceName="other")
    assert code(error) == "ResourceNotFound"


def test_spaces_and_apps_are_pending_then_in_service_and_apps_deleting_then_deleted(
    sm, studio, monkeypatch, clock
):
    monkeypatch.setenv(DELAY_ENV, "60")
    private_space(sm, studio)
    app = {"DomainId": studio, "SpaceName": "ds-1-lab", "AppType": "JupyterLab", "AppName": "default"}
    sm.create_app(**app)
    assert sm.describe_space(DomainId=studio, SpaceName="ds-1-lab")["Status"] == "Pending"
    assert [s["Status"] for s in sm.list_spaces()["Spaces"]] == ["Pending"]
    assert sm.describe_app(**app)["Status"] == "Pending"
    clock.advance(61)
    assert sm.describe_space(DomainId=studio, SpaceName="ds-1-lab")["Status"] == "InService"
    assert sm.describe_app(**app)["Status"] == "InService"
    sm.delete_app(**app)
    assert sm.describe_app(**app)["Status"] == "Deleting"
    assert [a["Status"] for a in sm.list_apps()["Apps"]] == ["Deleting"]
    with pytest.raises(ClientError) as error:
        sm.delete_space(DomainId=studio, SpaceName="ds-1-lab")  # its app is still deleting
    assert code(error) == "ResourceInUse"
    clock.advance(61)
    assert sm.describe_app(**app)["Status"] == "Deleted"
    sm.delete_space(DomainId=studio, SpaceName="ds-1-lab")


def test_spaces_and_apps_page_with_next_token(sm, studio):
    for index in range(3):
        private_space(sm, studio, name=f"lab-{index}")
        sm.create_app(DomainId=studio, SpaceName=f"lab-{index}", AppType="JupyterLab", AppName="default")
    spaces = sm.get_paginator("list_spaces").paginate(
        DomainIdEquals=studio, SortOrder="Ascending", PaginationConfig={"PageSize": 2}
    )
    assert [[s["SpaceName"] for s in page["Spaces"]] for page in spaces] == [["lab-0", "lab-1"], ["lab-2"]]
    apps = sm.get_paginator("list_apps").paginate(PaginationConfig={"PageSize": 2})
    assert [len(page["Apps"]) for page in apps] == [2, 1]


# -- IAM enforced: each call is authorized against its space or app ARN ------------------------
DEV = load_platform().env("dev")


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with LocalCloud(state_dir=tmp_path_factory.mktemp("spaces")) as running:
        assert running.status()["enforce_iam"] is True
        yield running


def session_of(cloud: LocalCloud, role_arn: str, source: boto3.Session | None = None) -> boto3.Session:
    if source is None:
        env = cloud.env()
        source = boto3.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=DEV.region,
        )
    sts = source.client("sts", endpoint_url=cloud.url, config=CONFIG)
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="spaces")["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=DEV.region,
    )


def studio_policy(domain_id: str) -> str:
    """Spaces and apps of one domain, as the kit scopes its Studio execution role."""
    prefix = f"arn:aws:sagemaker:{DEV.region}:{DEV.account_id}"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "sagemaker:CreateApp",
                        "sagemaker:CreateSpace",
                        "sagemaker:DeleteApp",
                        "sagemaker:DeleteSpace",
                        "sagemaker:DescribeApp",
                        "sagemaker:DescribeSpace",
                    ],
                    "Resource": [f"{prefix}:space/{domain_id}/*", f"{prefix}:app/{domain_id}/*"],
                },
                {
                    "Effect": "Allow",
                    "Action": ["sagemaker:DescribeDomain"],
                    "Resource": [f"{prefix}:domain/{domain_id}"],
                },
                {
                    "Effect": "Allow",
                    "Action": ["sagemaker:ListApps", "sagemaker:ListSpaces"],
                    "Resource": "*",
                },
            ],
        }
    )


def test_space_and_app_calls_are_authorized_against_their_arns(cloud):
    deploy = session_of(cloud, DEV.deploy_role_arn)
    admin_sm = deploy.client("sagemaker", endpoint_url=cloud.url, config=CONFIG)
    mine, theirs = new_domain(admin_sm, "spaces-mine"), new_domain(admin_sm, "spaces-theirs")
    for domain_id in (mine, theirs):
        admin_sm.create_user_profile(DomainId=domain_id, UserProfileName="ds-1")
    private_space(admin_sm, theirs)
    iam = deploy.client("iam", endpoint_url=cloud.url, config=CONFIG)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{DEV.account_id}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(RoleName="spaces-studio", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName="spaces-studio", PolicyName="studio", PolicyDocument=studio_policy(mine))
    sm = session_of(cloud, role["Arn"], deploy).client("sagemaker", endpoint_url=cloud.url, config=CONFIG)

    assert sm.describe_domain(DomainId=mine)["DomainId"] == mine
    assert sm.list_spaces(DomainIdEquals=mine)["Spaces"] == []
    private_space(sm, mine)
    wait_for(lambda: sm.describe_space(DomainId=mine, SpaceName="ds-1-lab")["Status"], "InService")
    app = {"DomainId": mine, "SpaceName": "ds-1-lab", "AppType": "JupyterLab", "AppName": "default"}
    sm.create_app(**app)
    wait_for(lambda: sm.describe_app(**app)["Status"], "InService")
    assert [a["AppName"] for a in sm.list_apps(DomainIdEquals=mine)["Apps"]] == ["default"]
    sm.delete_app(**app)
    wait_for(lambda: sm.describe_app(**app)["Status"], "Deleted")
    sm.delete_space(DomainId=mine, SpaceName="ds-1-lab")

    # The same calls in another domain of the account: denied (the policy names only "mine").
    denied: list[tuple[Callable[[], Any], str]] = [
        (lambda: sm.describe_domain(DomainId=theirs), "DescribeDomain"),
        (lambda: private_space(sm, theirs, name="mine-too"), "CreateSpace"),
        (lambda: sm.describe_space(DomainId=theirs, SpaceName="ds-1-lab"), "DescribeSpace"),
        (lambda: sm.create_app(**{**app, "DomainId": theirs}), "CreateApp"),
        (lambda: sm.delete_space(DomainId=theirs, SpaceName="ds-1-lab"), "DeleteSpace"),
    ]
    for call, action in denied:
        with pytest.raises(ClientError) as error:
            call()
        assert code(error) == "AccessDeniedException"
        assert error.value.response["Error"]["Message"].endswith(f"to perform: sagemaker:{action}")
    assert admin_sm.describe_space(DomainId=theirs, SpaceName="ds-1-lab")["SpaceName"] == "ds-1-lab"
    assert [s["SpaceName"] for s in admin_sm.list_spaces(DomainIdEquals=theirs)["Spaces"]] == ["ds-1-lab"]
