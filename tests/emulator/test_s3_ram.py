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
