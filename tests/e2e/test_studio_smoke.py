"""Studio smoke: with IAM enforced on the applied dev stack, the SageMaker calls the Studio UI makes
when a data scientist opens Studio and starts a private JupyterLab space succeed as the domain's
execution role, and the same calls against another domain are denied.

In IAM-auth Studio the UI calls SageMaker with the user profile's execution role. The call list
follows the Developer Guide's "Give your users access to spaces"
(https://docs.aws.amazon.com/sagemaker/latest/dg/studio-updated-jl-admin-guide-permissions.html):
DescribeDomain, DescribeUserProfile, ListDomains, ListUserProfiles, ListSpaces, CreateSpace,
DescribeSpace, CreateApp, DescribeApp, ListApps, DeleteApp, DeleteSpace.

The execution role trusts only ``sagemaker.amazonaws.com`` (for this account). The test stands in
for SageMaker assuming the role: for the duration of the module it adds the dev deploy role (the
test's caller) to the role's trust policy, and restores the trust policy Terraform wrote after;
the session carries the user profile's name as its source identity, as the domain sets it.

Not shown here, and why: ``kms:CreateGrant`` on the domain key is granted only with
``kms:GrantIsForAWSResource``, which AWS sets when a service (SageMaker, for the space's volume)
creates the grant; the local cloud has no service calling KMS on the role's behalf and does not
evaluate conditions of an Allow (docs/emulator-gaps.md), so a direct CreateGrant here would prove
nothing. ``iam:PassRole`` is not checked by the local cloud on SageMaker calls. Both statements
are pinned by the construct test (tests/unit/test_constructs.py,
test_execution_role_can_open_studio_and_run_a_space_in_this_domain).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from environments import Names
from tests.e2e.deployed import RETRY, DeployedCloud

pytestmark = pytest.mark.e2e

SPACE = "studio-smoke-lab"
APP_TYPE, APP_NAME = "JupyterLab", "default"
#: A well-formed domain id of no domain of this kit (the negative calls never reach existence).
OTHER_DOMAIN = "d-000000000000"


@dataclass
class Studio:
    """The dev Studio domain as its execution role sees it."""

    domain_id: str
    profile: str
    sm: Any
    """SageMaker client as the execution role."""


def _wait(read: Callable[[], str], wanted: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while (status := read()) != wanted:
        assert time.monotonic() < deadline, f"still {status} after {timeout}s, wanted {wanted}"
        time.sleep(0.5)


def _cleanup(sm: Any, domain_id: str) -> None:
    """Remove what a failed run left behind (as the deploy role), so the stacks can be destroyed."""
    app = {"DomainId": domain_id, "SpaceName": SPACE, "AppType": APP_TYPE, "AppName": APP_NAME}
    try:
        if sm.describe_app(**app)["Status"] in ("Pending", "InService"):
            sm.delete_app(**app)
        _wait(lambda: sm.describe_app(**app)["Status"], "Deleted")
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFound":
            raise
    try:
        sm.delete_space(DomainId=domain_id, SpaceName=SPACE)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFound":
            raise


@pytest.fixture(scope="module")
def studio(deployed_cloud: DeployedCloud) -> Iterator[Studio]:
    dev = deployed_cloud.platform.env("dev")
    names = Names.of(deployed_cloud.platform, dev)
    account = deployed_cloud.account(dev)
    iam, deploy_sm = account.client("iam"), account.client("sagemaker")
    domain_id = account.client("ssm").get_parameter(Name=names.ssm_studio_domain_id)["Parameter"]["Value"]
    role_name = names.role_name("execution")
    written = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    stand_in = {
        "Sid": "StudioSmokeStandsInForSageMaker",
        "Effect": "Allow",
        "Principal": {"AWS": dev.deploy_role_arn},
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
    }
    iam.update_assume_role_policy(
        RoleName=role_name,
        PolicyDocument=json.dumps({**written, "Statement": [*written["Statement"], stand_in]}),
    )
    try:
        # As the domain does (ExecutionRoleIdentityConfig USER_PROFILE_NAME): the user profile's
        # name is the session's source identity, which the role's space statements match.
        creds = account.client("sts").assume_role(
            RoleArn=names.role_arn("execution"),
            RoleSessionName="studio-smoke",
            SourceIdentity=dev.studio.user_profiles[0],
        )["Credentials"]
        session = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=dev.region,
        )
        sm = session.client("sagemaker", endpoint_url=deployed_cloud.cloud.url, config=RETRY)
        yield Studio(domain_id=domain_id, profile=dev.studio.user_profiles[0], sm=sm)
    finally:
        try:
            _cleanup(deploy_sm, domain_id)
        finally:
            iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=json.dumps(written))


def test_execution_role_opens_studio_and_runs_a_private_jupyterlab_space(studio: Studio):
    sm, domain_id, profile = studio.sm, studio.domain_id, studio.profile

    # Opening Studio: the domain, the user's profile, what exists in the domain.
    domain = sm.describe_domain(DomainId=domain_id)
    assert (domain["DomainId"], domain["AuthMode"], domain["Status"]) == (domain_id, "IAM", "InService")
    assert sm.describe_user_profile(DomainId=domain_id, UserProfileName=profile)["Status"] == "InService"
    assert domain_id in [d["DomainId"] for d in sm.list_domains()["Domains"]]
    listed_profiles = sm.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"]
    assert profile in [p["UserProfileName"] for p in listed_profiles]
    assert SPACE not in [s["SpaceName"] for s in sm.list_spaces(DomainIdEquals=domain_id)["Spaces"]]

    # Creating a private JupyterLab space owned by the user, and starting its app.
    space_arn = sm.create_space(
        DomainId=domain_id,
        SpaceName=SPACE,
        SpaceSettings={"AppType": APP_TYPE},
        OwnershipSettings={"OwnerUserProfileName": profile},
        SpaceSharingSettings={"SharingType": "Private"},
    )["SpaceArn"]
    assert space_arn.endswith(f":space/{domain_id}/{SPACE}")
    _wait(lambda: sm.describe_space(DomainId=domain_id, SpaceName=SPACE)["Status"], "InService")
    described = sm.describe_space(DomainId=domain_id, SpaceName=SPACE)
    assert described["OwnershipSettings"] == {"OwnerUserProfileName": profile}
    assert described["SpaceSharingSettings"] == {"SharingType": "Private"}
    app = {"DomainId": domain_id, "SpaceName": SPACE, "AppType": APP_TYPE, "AppName": APP_NAME}
    app_arn = sm.create_app(**app, ResourceSpec={"InstanceType": "ml.t3.medium"})["AppArn"]
    assert app_arn.endswith(f":app/{domain_id}/{SPACE}/{APP_TYPE}/{APP_NAME}")
    _wait(lambda: sm.describe_app(**app)["Status"], "InService")
    apps = sm.list_apps(DomainIdEquals=domain_id, SpaceNameEquals=SPACE)["Apps"]
    assert [(a["AppName"], a["Status"]) for a in apps] == [(APP_NAME, "InService")]

    # Stopping the app and deleting the space.
    sm.delete_app(**app)
    _wait(lambda: sm.describe_app(**app)["Status"], "Deleted")
    sm.delete_space(DomainId=domain_id, SpaceName=SPACE)
    with pytest.raises(ClientError) as error:
        sm.describe_space(DomainId=domain_id, SpaceName=SPACE)
    assert error.value.response["Error"]["Code"] == "ResourceNotFound"


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda sm, profile: sm.describe_domain(DomainId=OTHER_DOMAIN), id="DescribeDomain"),
        pytest.param(
            lambda sm, profile: sm.describe_user_profile(DomainId=OTHER_DOMAIN, UserProfileName=profile),
            id="DescribeUserProfile",
        ),
        pytest.param(
            lambda sm, profile: sm.create_space(
                DomainId=OTHER_DOMAIN,
                SpaceName=SPACE,
                OwnershipSettings={"OwnerUserProfileName": profile},
                SpaceSharingSettings={"SharingType": "Private"},
            ),
            id="CreateSpace",
        ),
        pytest.param(
            lambda sm, profile: sm.create_app(
                DomainId=OTHER_DOMAIN, SpaceName=SPACE, AppType=APP_TYPE, AppName=APP_NAME
            ),
            id="CreateApp",
        ),
    ],
)
def test_execution_role_is_denied_outside_its_domain(
    studio: Studio, call: Callable[[Any, str], Any], request
):
    """The role's Studio statements name this domain's ARNs only: another domain id is denied
    before SageMaker looks for the domain (allowed, the answer would be ResourceNotFound)."""
    with pytest.raises(ClientError) as error:
        call(studio.sm, studio.profile)
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    action = request.node.callspec.id
    assert error.value.response["Error"]["Message"].endswith(
        f"is not authorized to perform: sagemaker:{action}"
    )
