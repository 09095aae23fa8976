"""After the kit's own deploy, every other account is associated with dev's DataZone domain
(IAM enforced): the share carries the DataZone RAM permission, each associated account accepted
it inside ``mlgov deploy apply`` (its ``associate`` step), the home account sees every principal
ASSOCIATED, and the domain key's policy names the associated accounts. Not run by the session
that wrote it (e2e belongs to the coordinator's runs)."""

from __future__ import annotations

import json

import pytest

from environments import Names
from tests.e2e.deployed import DeployedCloud

# after_workflow: its second apply rewrites the runner's step logs, which test_deploy.py reads.
pytestmark = [pytest.mark.e2e, pytest.mark.e2e_after_workflow]

PERMISSION = "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionAmazonDataZoneDomain"


def test_a_first_deploy_ends_with_every_associated_account_associated(deployed_cloud: DeployedCloud):
    platform = deployed_cloud.platform
    home = platform.datazone_home
    names = Names.of(platform, home)
    others = [e for e in platform.environments.values() if e.account_id != home.account_id]
    steps = {r.env: r for r in deployed_cloud.apply if r.step == "associate"}
    assert sorted(steps) == sorted(e.name for e in others)
    assert all(
        r.ok and not r.skipped and "accepted 1 invitation(s)" in (r.note or "") for r in steps.values()
    )

    ram = deployed_cloud.account(home).client("ram")
    [share] = ram.get_resource_shares(resourceOwner="SELF", name=names.datazone_share)["resourceShares"]
    arn = share["resourceShareArn"]
    permissions = ram.list_resource_share_permissions(resourceShareArn=arn)["permissions"]
    assert [p["arn"] for p in permissions] == [PERMISSION]
    principals = ram.get_resource_share_associations(associationType="PRINCIPAL", resourceShareArns=[arn])
    assert {a["associatedEntity"]: a["status"] for a in principals["resourceShareAssociations"]} == {
        e.account_id: "ASSOCIATED" for e in others
    }

    domain_id = (
        deployed_cloud.account(home)
        .client("ssm")
        .get_parameter(Name=names.ssm_datazone_domain_id)["Parameter"]["Value"]
    )
    for env in others:
        # Seen from the associated account: the domain is reachable by id.
        domain = deployed_cloud.account(env).client("datazone").get_domain(identifier=domain_id)
        assert domain["id"] == domain_id

    key_arn = (
        deployed_cloud.account(home)
        .client("ssm")
        .get_parameter(Name=names.ssm_kms_key_arn)["Parameter"]["Value"]
    )
    policy = json.loads(
        deployed_cloud.account(home)
        .client("kms")
        .get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"]
    )
    [use] = [s for s in policy["Statement"] if s["Sid"] == "DataZoneAssociatedAccountsUse"]
    assert sorted(use["Principal"]["AWS"]) == sorted(f"arn:aws:iam::{e.account_id}:root" for e in others)


def test_a_second_apply_has_nothing_to_accept_and_stays_associated(deployed_cloud: DeployedCloud):
    again = [r for r in deployed_cloud.run("apply", parallel=True) if r.step == "associate"]
    assert again and all(r.ok and (r.note or "").startswith("nothing to accept") for r in again)
