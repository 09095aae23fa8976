"""The synthesized DataZone account association: share permission, key policy, IAM statement."""

from __future__ import annotations

import pytest
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.ram_resource_share import RamResourceShare

from environments.naming import Names
from modules.datazone import DATAZONE_DOMAIN_RAM_PERMISSION
from tests.synthesized import statements

ENVS = ("dev", "staging", "prod")


def _associated(synth) -> list[str]:
    home = synth.platform.datazone_home
    return sorted(e.account_id for e in synth.platform.environments.values() if e is not home)


def test_the_share_carries_the_datazone_permission_and_the_name_the_runner_looks_for(synth):
    home = synth.platform.datazone_home
    share = synth[home.name].resource(RamResourceShare.TF_RESOURCE_TYPE, "datazone/share")
    assert share["permission_arns"] == [DATAZONE_DOMAIN_RAM_PERMISSION]
    assert DATAZONE_DOMAIN_RAM_PERMISSION == (
        "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionAmazonDataZoneDomain"
    )
    assert share["name"] == Names.of(synth.platform, home).datazone_share


def test_the_home_key_lets_the_associated_accounts_use_it_through_datazone_only(synth):
    home = synth.platform.datazone_home
    policy = synth[home.name].policy(KmsKey.TF_RESOURCE_TYPE, "encryption/key")
    by_sid = {s["Sid"]: s for s in statements(policy)}
    roots = [f"arn:aws:iam::{account}:root" for account in _associated(synth)]
    use, grants = by_sid["DataZoneAssociatedAccountsUse"], by_sid["DataZoneAssociatedAccountsGrants"]
    for stmt in (use, grants):
        assert stmt["Effect"] == "Allow" and stmt["Principal"] == {"AWS": roots}
        assert stmt["Condition"]["StringEquals"]["kms:ViaService"] == f"datazone.{home.region}.amazonaws.com"
    assert set(use["Action"]) == {
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
    }
    assert set(grants["Action"]) == {"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


@pytest.mark.parametrize("env", [e for e in ENVS if e != "dev"])
def test_an_associated_account_s_key_names_no_datazone_account(synth, env):
    policy = synth[env].policy(KmsKey.TF_RESOURCE_TYPE, "encryption/key")
    assert not [s for s in statements(policy) if s["Sid"].startswith("DataZone")]


@pytest.mark.parametrize("env", ENVS)
def test_the_data_scientist_of_an_associated_account_may_create_projects_in_the_home_domain(synth, env):
    home = synth.platform.datazone_home
    stack = synth[env]
    policies = stack.resources(IamRolePolicy.TF_RESOURCE_TYPE)
    if env == home.name:
        assert "iam/data-scientist-datazone-policy" not in policies
        return
    config = stack.resource(IamRolePolicy.TF_RESOURCE_TYPE, "iam/data-scientist-datazone-policy")
    assert config["role"] == stack.ref(IamRole.TF_RESOURCE_TYPE, "iam/data-scientist", "id")
    found = statements(stack.policy(IamRolePolicy.TF_RESOURCE_TYPE, "iam/data-scientist-datazone-policy"))
    by_sid = {s["Sid"]: s for s in found}
    assert set(by_sid) == {"FindAssociatedDomain", "ProjectsInAssociatedDomain"}
    assert all(s["Effect"] == "Allow" for s in found)
    # GetDomain takes the domain resource; the project calls take none (Service Authorization
    # Reference), so a domain ARN there would never match and they take "*".
    assert by_sid["FindAssociatedDomain"]["Action"] in ("datazone:GetDomain", ["datazone:GetDomain"])
    assert by_sid["FindAssociatedDomain"]["Resource"] in (
        f"arn:aws:datazone:{home.region}:{home.account_id}:domain/*",
        [f"arn:aws:datazone:{home.region}:{home.account_id}:domain/*"],
    )
    assert set(by_sid["ProjectsInAssociatedDomain"]["Action"]) == {
        "datazone:CreateProject",
        "datazone:GetProject",
        "datazone:ListProjects",
    }
    assert by_sid["ProjectsInAssociatedDomain"]["Resource"] in ("*", ["*"])
