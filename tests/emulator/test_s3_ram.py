"""The S3 and RAM fixes in-process (mock_aws)."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

CONFIG = Config(retries={"mode": "standard"})


def test_bucket_logging_to_an_owner_enforced_bucket_needs_no_grant_at_configuration(mocked):
    s3 = boto3.client("s3", config=CONFIG)
    s3.create_bucket(Bucket="mlgov-access-logs")
    s3.create_bucket(Bucket="mlgov-artifacts")
    s3.put_bucket_logging(
        Bucket="mlgov-artifacts",
        BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": "mlgov-access-logs", "TargetPrefix": "mlgov-artifacts/"}
        },
    )
    assert (
        s3.get_bucket_logging(Bucket="mlgov-artifacts")["LoggingEnabled"]["TargetBucket"]
        == "mlgov-access-logs"
    )


def test_bucket_logging_to_an_acl_bucket_needs_the_policy_grant(mocked):
    import json

    s3 = boto3.client("s3", config=CONFIG)
    s3.create_bucket(Bucket="mlgov-access-logs")
    s3.create_bucket(Bucket="mlgov-artifacts")
    s3.put_bucket_ownership_controls(
        Bucket="mlgov-access-logs", OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    status = {"LoggingEnabled": {"TargetBucket": "mlgov-access-logs", "TargetPrefix": "mlgov-artifacts/"}}
    with pytest.raises(ClientError) as error:
        s3.put_bucket_logging(Bucket="mlgov-artifacts", BucketLoggingStatus=status)
    assert error.value.response["Error"]["Code"] == "InvalidTargetBucketForLogging"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["logging.s3.amazonaws.com"]},
                "Action": ["s3:PutObject"],
                "Resource": ["arn:aws:s3:::mlgov-access-logs/mlgov-artifacts/*"],
            }
        ],
    }
    s3.put_bucket_policy(Bucket="mlgov-access-logs", Policy=json.dumps(policy))
    s3.put_bucket_logging(Bucket="mlgov-artifacts", BucketLoggingStatus=status)


def test_ram_shares_a_datazone_domain_with_other_accounts(mocked):
    dz = boto3.client("datazone", config=CONFIG)
    domain = dz.create_domain(name="mlgov-governance", domainExecutionRole="arn:aws:iam::123456789012:role/r")
    ram = boto3.client("ram", config=CONFIG)
    share = ram.create_resource_share(name="mlgov-governance-domain", tags=[{"key": "k", "value": "v"}])
    arn = share["resourceShare"]["resourceShareArn"]
    ram.associate_resource_share(
        resourceShareArn=arn, resourceArns=[domain["arn"]], principals=["222222222222"]
    )
    resources = ram.get_resource_share_associations(associationType="RESOURCE", resourceShareArns=[arn])
    assert [a["associatedEntity"] for a in resources["resourceShareAssociations"]] == [domain["arn"]]
    assert ram.list_resource_share_permissions(resourceShareArn=arn)["permissions"] == []
    other = ram.create_resource_share(name="other")["resourceShare"]["resourceShareArn"]
    only = ram.get_resource_shares(resourceOwner="SELF", resourceShareArns=[arn])["resourceShares"]
    assert [s["resourceShareArn"] for s in only] == [arn] and other != arn
    assert only[0]["tags"] == [{"key": "k", "value": "v"}]
    ram.disassociate_resource_share(resourceShareArn=arn, principals=["222222222222"])
    principals = ram.get_resource_share_associations(associationType="PRINCIPAL", resourceShareArns=[arn])
    assert principals["resourceShareAssociations"] == []


OWNER, RECEIVER = "111111111111", "222222222222"


def _as(monkeypatch: pytest.MonkeyPatch, account: str):
    monkeypatch.setenv("MOTO_ACCOUNT_ID", account)
    return boto3.client("ram", config=CONFIG)


def _shared_domain(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", OWNER)
    domain = boto3.client("datazone", config=CONFIG).create_domain(
        name="mlgov-governance", domainExecutionRole=f"arn:aws:iam::{OWNER}:role/r"
    )["arn"]
    ram = _as(monkeypatch, OWNER)
    share = ram.create_resource_share(name="mlgov-governance-domain", allowExternalPrincipals=True)
    arn = share["resourceShare"]["resourceShareArn"]
    ram.associate_resource_share(resourceShareArn=arn, resourceArns=[domain], principals=[RECEIVER])
    return arn, domain


def test_ram_invitation_stays_pending_until_the_receiver_accepts(mocked, monkeypatch):
    from scripts.localcloud.moto_ext.ram import shared_with

    share, domain = _shared_domain(monkeypatch)
    receiver = _as(monkeypatch, RECEIVER)
    [invitation] = receiver.get_resource_share_invitations(resourceShareArns=[share])[
        "resourceShareInvitations"
    ]
    assert (invitation["status"], invitation["senderAccountId"], invitation["receiverAccountId"]) == (
        "PENDING",
        OWNER,
        RECEIVER,
    )
    # Pending: the receiver sees neither the share nor its resources, and has no access.
    assert receiver.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"] == []
    assert receiver.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"] == []
    assert not shared_with(RECEIVER, "us-east-1", domain)
    # Only the receiver can accept; the owner does not see the invitation as received.
    owner = _as(monkeypatch, OWNER)
    assert owner.get_resource_share_invitations()["resourceShareInvitations"] == []
    with pytest.raises(ClientError) as error:
        owner.accept_resource_share_invitation(
            resourceShareInvitationArn=invitation["resourceShareInvitationArn"]
        )
    assert error.value.response["Error"]["Code"] == "ResourceShareInvitationArnNotFoundException"

    receiver = _as(monkeypatch, RECEIVER)
    accepted = receiver.accept_resource_share_invitation(
        resourceShareInvitationArn=invitation["resourceShareInvitationArn"]
    )["resourceShareInvitation"]
    assert accepted["status"] == "ACCEPTED"
    with pytest.raises(ClientError) as error:
        receiver.accept_resource_share_invitation(
            resourceShareInvitationArn=invitation["resourceShareInvitationArn"]
        )
    assert error.value.response["Error"]["Code"] == "ResourceShareInvitationAlreadyAcceptedException"
    shares = receiver.get_resource_shares(resourceOwner="OTHER-ACCOUNTS", resourceShareArns=[share])
    assert [s["owningAccountId"] for s in shares["resourceShares"]] == [OWNER]
    resources = receiver.list_resources(resourceOwner="OTHER-ACCOUNTS", resourceShareArns=[share])[
        "resources"
    ]
    assert [(r["arn"], r["type"]) for r in resources] == [(domain, "datazone:Domain")]
    assert shared_with(RECEIVER, "us-east-1", domain)

    # Leaving the share (the accepter's destroy) removes the access and the invitation.
    receiver.disassociate_resource_share(resourceShareArn=share, principals=[RECEIVER])
    assert not shared_with(RECEIVER, "us-east-1", domain)
    assert receiver.get_resource_share_invitations()["resourceShareInvitations"] == []


def test_a_rejected_invitation_gives_no_access(mocked, monkeypatch):
    share, _ = _shared_domain(monkeypatch)
    receiver = _as(monkeypatch, RECEIVER)
    [invitation] = receiver.get_resource_share_invitations()["resourceShareInvitations"]
    receiver.reject_resource_share_invitation(
        resourceShareInvitationArn=invitation["resourceShareInvitationArn"]
    )
    with pytest.raises(ClientError) as error:
        receiver.accept_resource_share_invitation(
            resourceShareInvitationArn=invitation["resourceShareInvitationArn"]
        )
    assert error.value.response["Error"]["Code"] == "ResourceShareInvitationAlreadyRejectedException"
    assert (
        receiver.list_resources(resourceOwner="OTHER-ACCOUNTS", resourceShareArns=[share])["resources"] == []
    )


def test_an_organization_with_sharing_enabled_needs_no_invitation(mocked, monkeypatch):
    """The exception the RAM User Guide documents: inside one organization, once its management
    account enabled sharing with AWS Organizations, access is immediate."""
    from scripts.localcloud.moto_ext.ram import shared_with

    monkeypatch.setenv("MOTO_ACCOUNT_ID", OWNER)
    org = boto3.client("organizations", config=CONFIG)
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="staging", Email="staging@example.com")["CreateAccountStatus"]
    receiver_id = member["AccountId"]
    ram = _as(monkeypatch, OWNER)
    arn = ram.create_resource_share(name="before-enabling", principals=[receiver_id])["resourceShare"][
        "resourceShareArn"
    ]
    assert _as(monkeypatch, receiver_id).get_resource_share_invitations()["resourceShareInvitations"]

    _as(monkeypatch, OWNER).enable_sharing_with_aws_organization()
    monkeypatch.setenv("MOTO_ACCOUNT_ID", OWNER)
    domain = boto3.client("datazone", config=CONFIG).create_domain(
        name="org-shared", domainExecutionRole=f"arn:aws:iam::{OWNER}:role/r"
    )["arn"]
    ram = _as(monkeypatch, OWNER)
    shared = ram.create_resource_share(name="after-enabling", resourceArns=[domain], principals=[receiver_id])
    receiver = _as(monkeypatch, receiver_id)
    invitations = receiver.get_resource_share_invitations()["resourceShareInvitations"]
    assert [i["resourceShareArn"] for i in invitations] == [arn]
    assert shared_with(receiver_id, "us-east-1", domain)
    names = [
        s["name"] for s in receiver.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]
    ]
    assert names == [shared["resourceShare"]["name"]]
