"""The condition keys of Studio calls, evaluated as AWS does (Service Authorization Reference,
SageMaker: CreateSpace, DeleteSpace, CreateApp, DeleteApp take sagemaker:OwnerUserProfileArn and
sagemaker:SpaceSharingType; AddTags sagemaker:TaggingAction), and iam:PassRole with
iam:PassedToService on calls that hand SageMaker a role. IAM enforced, in-process."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.emulator.conftest import EnforcedCloud, policy_document, root, trusting

DEV = "111111111111"


def allow(actions: list[str], resources: str = "*", condition: dict | None = None) -> dict:
    statement: dict = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


@pytest.fixture
def domain(enforced: EnforcedCloud) -> str:
    sm = enforced.deploy[DEV].client("sagemaker")
    execution = enforced.role(DEV, "execution", trusting(root(DEV)))
    domain_id = sm.create_domain(
        DomainName="studio",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": execution},
        SubnetIds=["subnet-0123456789abcdef0"],
        VpcId="vpc-0123456789abcdef0",
    )["DomainId"]
    for profile in ("ana", "bob"):
        sm.create_user_profile(DomainId=domain_id, UserProfileName=profile)
    for owner in ("ana", "bob"):
        sm.create_space(
            DomainId=domain_id,
            SpaceName=f"{owner}-lab",
            OwnershipSettings={"OwnerUserProfileName": owner},
            SpaceSharingSettings={"SharingType": "Private"},
            SpaceSettings={"AppType": "JupyterLab"},
        )
    return str(domain_id)


def profile_arn(domain_id: str, name: str) -> str:
    return f"arn:aws:sagemaker:us-east-1:{DEV}:user-profile/{domain_id}/{name}"


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_a_user_manages_only_spaces_and_apps_it_owns(enforced: EnforcedCloud, domain: str):
    own = {
        "StringEquals": {
            "sagemaker:OwnerUserProfileArn": profile_arn(domain, "ana"),
            "sagemaker:SpaceSharingType": "Private",
        }
    }
    role = enforced.role(
        DEV,
        "ana-studio",
        trusting(root(DEV)),
        policy_document(
            allow(["sagemaker:CreateSpace", "sagemaker:DeleteSpace", "sagemaker:CreateApp"], condition=own),
            allow(["sagemaker:DescribeSpace", "sagemaker:DescribeApp"]),
        ),
    )
    sm = enforced.assume(role, enforced.deploy[DEV]).client("sagemaker")
    private = {"SpaceSharingSettings": {"SharingType": "Private"}, "SpaceSettings": {"AppType": "JupyterLab"}}
    sm.create_space(
        DomainId=domain, SpaceName="ana-2", OwnershipSettings={"OwnerUserProfileName": "ana"}, **private
    )
    for owner, sharing in (("bob", "Private"), ("ana", "Shared")):
        with pytest.raises(ClientError) as error:
            sm.create_space(
                DomainId=domain,
                SpaceName=f"{owner}-{sharing}".lower(),
                OwnershipSettings={"OwnerUserProfileName": owner},
                SpaceSharingSettings={"SharingType": sharing},
            )
        assert code(error) == "AccessDeniedException"
    app = {"AppType": "JupyterLab", "AppName": "default"}
    sm.create_app(DomainId=domain, SpaceName="ana-lab", **app)
    with pytest.raises(ClientError) as error:
        sm.create_app(DomainId=domain, SpaceName="bob-lab", **app)
    assert code(error) == "AccessDeniedException"
    with pytest.raises(ClientError) as error:
        sm.delete_space(DomainId=domain, SpaceName="bob-lab")
    assert code(error) == "AccessDeniedException"
    sm.delete_space(DomainId=domain, SpaceName="ana-2")


def test_tags_on_create_need_add_tags_for_that_creation(enforced: EnforcedCloud, domain: str):
    space_arns = f"arn:aws:sagemaker:us-east-1:{DEV}:space/{domain}/*"
    tagging = allow(
        ["sagemaker:AddTags"], space_arns, {"StringEquals": {"sagemaker:TaggingAction": "CreateSpace"}}
    )
    create = allow(["sagemaker:CreateSpace"], space_arns)
    tagger = enforced.assume(
        enforced.role(DEV, "tagger", trusting(root(DEV)), policy_document(create, tagging)),
        enforced.deploy[DEV],
    ).client("sagemaker")
    owned = {
        "OwnershipSettings": {"OwnerUserProfileName": "ana"},
        "SpaceSharingSettings": {"SharingType": "Private"},
    }
    tags = [{"Key": "team", "Value": "ml"}]
    tagger.create_space(DomainId=domain, SpaceName="tagged", Tags=tags, **owned)
    with pytest.raises(ClientError) as error:  # a plain AddTags is no creation
        tagger.add_tags(ResourceArn=f"arn:aws:sagemaker:us-east-1:{DEV}:space/{domain}/tagged", Tags=tags)
    assert code(error) == "AccessDeniedException"
    plain = enforced.assume(
        enforced.role(DEV, "untagger", trusting(root(DEV)), policy_document(create)), enforced.deploy[DEV]
    ).client("sagemaker")
    with pytest.raises(ClientError) as error:
        plain.create_space(DomainId=domain, SpaceName="untagged", Tags=tags, **owned)
    assert code(error) == "AccessDeniedException"
    assert "sagemaker:AddTags" in error.value.response["Error"]["Message"]
    plain.create_space(DomainId=domain, SpaceName="untagged", **owned)


def test_passing_a_role_to_sagemaker_needs_pass_role_for_sagemaker(enforced: EnforcedCloud, domain: str):
    execution = f"arn:aws:iam::{DEV}:role/execution"

    def profile_manager(name: str, service: str):
        role = enforced.role(
            DEV,
            name,
            trusting(root(DEV)),
            policy_document(
                allow(["sagemaker:CreateUserProfile"]),
                allow(["iam:PassRole"], execution, {"StringEquals": {"iam:PassedToService": service}}),
            ),
        )
        return enforced.assume(role, enforced.deploy[DEV]).client("sagemaker")

    settings = {"ExecutionRole": execution}
    profile_manager("passes-to-sagemaker", "sagemaker.amazonaws.com").create_user_profile(
        DomainId=domain, UserProfileName="carla", UserSettings=settings
    )
    with pytest.raises(ClientError) as error:
        profile_manager("passes-elsewhere", "datazone.amazonaws.com").create_user_profile(
            DomainId=domain, UserProfileName="dan", UserSettings=settings
        )
    assert code(error) == "AccessDeniedException"
    assert f"iam:PassRole on resource: {execution}" in error.value.response["Error"]["Message"]
