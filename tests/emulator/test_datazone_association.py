"""DataZone account association on the local cloud, as AWS does it (in-process, mock_aws).

RAM API reference (CreateResourceShare, ListResourceSharePermissions,
GetResourceShareAssociations) and the provider's ``aws_ram_principal_association`` ("AWS
Account ID principals need to be accepted to become ASSOCIATED"); DataZone User Guide,
"Associated accounts in Amazon DataZone".
"""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

CONFIG = Config(retries={"mode": "standard"})
OWNER, RECEIVER = "111111111111", "222222222222"
PERMISSION = "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionAmazonDataZoneDomain"


def _client(monkeypatch: pytest.MonkeyPatch, service: str, account: str):
    monkeypatch.setenv("MOTO_ACCOUNT_ID", account)
    return boto3.client(service, config=CONFIG)


def _share(monkeypatch: pytest.MonkeyPatch, permissions: list[str]) -> tuple[str, str, str]:
    """(share ARN, domain id, domain ARN): OWNER's domain shared with RECEIVER, invitation pending."""
    domain = _client(monkeypatch, "datazone", OWNER).create_domain(
        name="mlgov-governance", domainExecutionRole=f"arn:aws:iam::{OWNER}:role/r"
    )
    ram = _client(monkeypatch, "ram", OWNER)
    share = ram.create_resource_share(
        name="mlgov-governance-domain", allowExternalPrincipals=True, permissionArns=permissions
    )["resourceShare"]["resourceShareArn"]
    ram.associate_resource_share(resourceShareArn=share, resourceArns=[domain["arn"]], principals=[RECEIVER])
    return share, domain["id"], domain["arn"]


def _principal_status(monkeypatch: pytest.MonkeyPatch, share: str) -> str:
    ram = _client(monkeypatch, "ram", OWNER)
    [association] = ram.get_resource_share_associations(
        associationType="PRINCIPAL", resourceShareArns=[share], principal=RECEIVER
    )["resourceShareAssociations"]
    return str(association["status"])


def test_the_share_carries_the_datazone_permission_it_was_created_with(mocked, monkeypatch):
    share, _, _ = _share(monkeypatch, [PERMISSION])
    ram = _client(monkeypatch, "ram", OWNER)
    [permission] = ram.list_resource_share_permissions(resourceShareArn=share)["permissions"]
    assert (permission["arn"], permission["resourceType"], permission["status"]) == (
        PERMISSION,
        "datazone:Domain",
        "ASSOCIATED",
    )
    published = ram.list_permissions(resourceType="datazone:Domain")["permissions"]
    assert PERMISSION in {p["arn"] for p in published}
    # Without permissionArns nothing is listed (the type's default applies implicitly).
    bare = ram.create_resource_share(name="bare")["resourceShare"]["resourceShareArn"]
    assert ram.list_resource_share_permissions(resourceShareArn=bare)["permissions"] == []


def test_a_permission_ram_does_not_publish_is_refused(mocked, monkeypatch):
    ram = _client(monkeypatch, "ram", OWNER)
    with pytest.raises(ClientError) as error:
        ram.create_resource_share(
            name="typo", permissionArns=["arn:aws:ram::aws:permission/AWSRAMPermissionDataZoneDefault"]
        )
    assert error.value.response["Error"]["Code"] == "UnknownResourceException"
    assert ram.get_resource_shares(resourceOwner="SELF", name="typo")["resourceShares"] == []


def test_a_permission_of_another_resource_type_is_refused(mocked, monkeypatch):
    domain = _client(monkeypatch, "datazone", OWNER).create_domain(
        name="d", domainExecutionRole=f"arn:aws:iam::{OWNER}:role/r"
    )
    ram = _client(monkeypatch, "ram", OWNER)
    with pytest.raises(ClientError) as error:
        ram.create_resource_share(
            name="wrong-type",
            resourceArns=[domain["arn"]],
            permissionArns=["arn:aws:ram::aws:permission/AWSRAMDefaultPermissionRDSCluster"],
        )
    assert error.value.response["Error"]["Code"] == "InvalidParameterException"


def test_an_account_principal_is_associating_until_it_accepts(mocked, monkeypatch):
    share, _, _ = _share(monkeypatch, [PERMISSION])
    assert _principal_status(monkeypatch, share) == "ASSOCIATING"
    ram = _client(monkeypatch, "ram", OWNER)
    pending = ram.get_resource_share_associations(
        associationType="PRINCIPAL", resourceShareArns=[share], associationStatus="ASSOCIATED"
    )["resourceShareAssociations"]
    assert pending == []
    receiver = _client(monkeypatch, "ram", RECEIVER)
    [invitation] = receiver.get_resource_share_invitations(resourceShareArns=[share])[
        "resourceShareInvitations"
    ]
    receiver.accept_resource_share_invitation(
        resourceShareInvitationArn=invitation["resourceShareInvitationArn"]
    )
    assert _principal_status(monkeypatch, share) == "ASSOCIATED"
    [association] = _client(monkeypatch, "ram", OWNER).get_resource_share_associations(
        associationType="PRINCIPAL", resourceShareArns=[share], associationStatus="ASSOCIATED"
    )["resourceShareAssociations"]
    assert association["external"] is True


def test_a_rejected_invitation_leaves_the_principal_association_failed(mocked, monkeypatch):
    share, _, _ = _share(monkeypatch, [PERMISSION])
    receiver = _client(monkeypatch, "ram", RECEIVER)
    [invitation] = receiver.get_resource_share_invitations()["resourceShareInvitations"]
    receiver.reject_resource_share_invitation(
        resourceShareInvitationArn=invitation["resourceShareInvitationArn"]
    )
    assert _principal_status(monkeypatch, share) == "FAILED"


def test_an_associated_account_reaches_the_domain_only_once_it_accepted(mocked, monkeypatch):
    _, domain_id, domain_arn = _share(monkeypatch, [PERMISSION])
    datazone = _client(monkeypatch, "datazone", RECEIVER)
    with pytest.raises(ClientError) as error:
        datazone.get_domain(identifier=domain_id)
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError):
        datazone.create_project(domainIdentifier=domain_id, name="from-staging")

    receiver = _client(monkeypatch, "ram", RECEIVER)
    [invitation] = receiver.get_resource_share_invitations()["resourceShareInvitations"]
    receiver.accept_resource_share_invitation(
        resourceShareInvitationArn=invitation["resourceShareInvitationArn"]
    )

    datazone = _client(monkeypatch, "datazone", RECEIVER)
    assert datazone.get_domain(identifier=domain_id)["arn"] == domain_arn
    project = datazone.create_project(domainIdentifier=domain_id, name="from-staging")
    # The project lives in the domain, in the domain's account.
    owner = _client(monkeypatch, "datazone", OWNER)
    listed = owner.list_projects(domainIdentifier=domain_id)["items"]
    assert [p["id"] for p in listed] == [project["id"]]
    # Association gives no administration of the domain itself.
    datazone = _client(monkeypatch, "datazone", RECEIVER)
    with pytest.raises(ClientError) as error:
        datazone.delete_domain(identifier=domain_id, skipDeletionCheck=True)
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
