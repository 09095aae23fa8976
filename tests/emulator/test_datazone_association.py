"""DataZone account association on the local cloud, as AWS does it (in-process, mock_aws).

RAM API reference (CreateResourceShare, ListResourceSharePermissions,
GetResourceShareAssociations) and the provider's ``aws_ram_principal_association`` ("AWS
Account ID principals need to be accepted to become ASSOCIATED"); DataZone User Guide,
"Associated accounts in Amazon DataZone".
"""

from __future__ import annotations

import json

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


def _accept(monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = _client(monkeypatch, "ram", RECEIVER)
    [invitation] = receiver.get_resource_share_invitations()["resourceShareInvitations"]
    receiver.accept_resource_share_invitation(
        resourceShareInvitationArn=invitation["resourceShareInvitationArn"]
    )


def test_an_associated_account_reaches_the_catalog_and_subscribes_only_once_it_accepted(mocked, monkeypatch):
    """A principal of an associated account is a user of the domain once the association is
    accepted: it creates its project, searches the catalog and requests a subscription, which the
    owning project in the domain's account decides. Before that the domain is not found."""
    from scripts.localcloud.moto_ext.datazone.catalog_records import LISTING_READY_ENV
    from scripts.localcloud.moto_ext.datazone.models import READY_DELAY_ENV

    monkeypatch.setenv(READY_DELAY_ENV, "0")
    monkeypatch.setenv(LISTING_READY_ENV, "0")
    _, domain_id, _ = _share(monkeypatch, [PERMISSION])
    owner = _client(monkeypatch, "datazone", OWNER)
    producer = owner.create_project(domainIdentifier=domain_id, name="producers")["id"]
    asset = owner.create_asset(
        domainIdentifier=domain_id,
        name="credit applications",
        owningProjectIdentifier=producer,
        typeIdentifier="amazon.datazone.S3ObjectCollectionAssetType",
        formsInput=[{"formName": "S3ObjectCollectionForm", "content": '{"bucketArn": "arn:aws:s3:::data"}'}],
    )
    listing = owner.create_listing_change_set(
        domainIdentifier=domain_id, entityIdentifier=asset["id"], entityType="ASSET", action="PUBLISH"
    )["listingId"]
    iam = _client(monkeypatch, "iam", RECEIVER)
    scientist = iam.create_role(
        RoleName="scientist", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )["Role"]["Arn"]
    owner = _client(monkeypatch, "datazone", OWNER)
    with pytest.raises(ClientError) as unassociated:
        owner.create_user_profile(domainIdentifier=domain_id, userIdentifier=scientist)
    assert unassociated.value.response["Error"]["Code"] == "ValidationException"
    receiver = _client(monkeypatch, "datazone", RECEIVER)
    for call in (
        lambda: receiver.search_listings(domainIdentifier=domain_id, searchText="credit"),
        lambda: receiver.get_listing(domainIdentifier=domain_id, identifier=listing),
    ):
        with pytest.raises(ClientError) as before:
            call()
        assert before.value.response["Error"]["Code"] == "ResourceNotFoundException"

    _accept(monkeypatch)
    receiver = _client(monkeypatch, "datazone", RECEIVER)
    found = receiver.search_listings(domainIdentifier=domain_id, searchText="credit")["items"]
    assert [i["assetListing"]["listingId"] for i in found] == [listing]
    consumer = receiver.create_project(domainIdentifier=domain_id, name="credit-risk-staging")["id"]
    asked = receiver.create_subscription_request(
        domainIdentifier=domain_id,
        subscribedPrincipals=[{"project": {"identifier": consumer}}],
        subscribedListings=[{"identifier": listing}],
        requestReason="validate in staging",
    )
    with pytest.raises(ClientError) as not_theirs:
        receiver.accept_subscription_request(domainIdentifier=domain_id, identifier=asked["id"])
    assert not_theirs.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(ClientError) as registering:
        receiver.create_user_profile(domainIdentifier=domain_id, userIdentifier=scientist)
    assert registering.value.response["Error"]["Code"] == "AccessDeniedException"
    owner = _client(monkeypatch, "datazone", OWNER)
    owner.accept_subscription_request(
        domainIdentifier=domain_id, identifier=asked["id"], decisionComment="ok"
    )
    profile = owner.create_user_profile(
        domainIdentifier=domain_id, userIdentifier=scientist, userType="IAM_ROLE"
    )
    assert profile["details"]["iam"]["arn"] == scientist
    receiver = _client(monkeypatch, "datazone", RECEIVER)
    [subscription] = receiver.list_subscriptions(domainIdentifier=domain_id, owningProjectId=consumer)[
        "items"
    ]
    assert subscription["status"] == "APPROVED"
    root = receiver.get_user_profile(
        domainIdentifier=domain_id, userIdentifier=f"arn:aws:iam::{RECEIVER}:root"
    )
    assert root["details"]["iam"]["arn"] == f"arn:aws:iam::{RECEIVER}:root"
