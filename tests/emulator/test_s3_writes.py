"""Write-once artifacts on S3 as AWS enforces them: conditional writes (If-None-Match / If-Match on
PutObject, CompleteMultipartUpload and CopyObject), the conditional-write condition keys in
bucket and identity policies, the copy source read as the caller, and Object Lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.emulator.conftest import EnforcedCloud, policy_document, root, trusting

CONFIG = Config(retries={"mode": "standard", "max_attempts": 1})
DEV, STAGING = "111111111111", "222222222222"


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


@pytest.fixture
def s3(mocked: None):
    client = boto3.client("s3", config=CONFIG)
    client.create_bucket(Bucket="artifacts-bucket")
    client.put_object(Bucket="artifacts-bucket", Key="models/v1/model.tar.gz", Body=b"approved")
    client.put_object(Bucket="artifacts-bucket", Key="incoming/model.tar.gz", Body=b"candidate")
    return client


def test_put_and_multipart_writes_are_conditional(s3):
    """moto 5.2.1's own behaviour, pinned (S3 User Guide, "Conditional writes")."""
    with pytest.raises(ClientError) as error:
        s3.put_object(Bucket="artifacts-bucket", Key="models/v1/model.tar.gz", Body=b"x", IfNoneMatch="*")
    assert code(error) == "PreconditionFailed"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    etag = s3.head_object(Bucket="artifacts-bucket", Key="incoming/model.tar.gz")["ETag"]
    with pytest.raises(ClientError) as error:
        s3.put_object(Bucket="artifacts-bucket", Key="incoming/model.tar.gz", Body=b"x", IfMatch='"0000"')
    assert code(error) == "PreconditionFailed"
    s3.put_object(Bucket="artifacts-bucket", Key="incoming/model.tar.gz", Body=b"y", IfMatch=etag)
    upload = s3.create_multipart_upload(Bucket="artifacts-bucket", Key="models/v1/model.tar.gz")["UploadId"]
    part = s3.upload_part(
        Bucket="artifacts-bucket", Key="models/v1/model.tar.gz", UploadId=upload, PartNumber=1, Body=b"z"
    )
    with pytest.raises(ClientError) as error:
        s3.complete_multipart_upload(
            Bucket="artifacts-bucket",
            Key="models/v1/model.tar.gz",
            UploadId=upload,
            MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
            IfNoneMatch="*",
        )
    assert code(error) == "PreconditionFailed"
    assert (
        s3.get_object(Bucket="artifacts-bucket", Key="models/v1/model.tar.gz")["Body"].read() == b"approved"
    )


def test_copy_object_is_conditional_on_the_destination(s3):
    """CopyObject API reference, If-None-Match / If-Match (moto ignored both and overwrote)."""
    source = {"Bucket": "artifacts-bucket", "Key": "incoming/model.tar.gz"}
    with pytest.raises(ClientError) as error:
        s3.copy_object(
            Bucket="artifacts-bucket", Key="models/v1/model.tar.gz", CopySource=source, IfNoneMatch="*"
        )
    assert code(error) == "PreconditionFailed"
    with pytest.raises(ClientError) as error:
        s3.copy_object(
            Bucket="artifacts-bucket", Key="models/v1/model.tar.gz", CopySource=source, IfMatch='"0"'
        )
    assert code(error) == "PreconditionFailed"
    assert (
        s3.get_object(Bucket="artifacts-bucket", Key="models/v1/model.tar.gz")["Body"].read() == b"approved"
    )
    s3.copy_object(
        Bucket="artifacts-bucket", Key="models/v2/model.tar.gz", CopySource=source, IfNoneMatch="*"
    )
    assert (
        s3.get_object(Bucket="artifacts-bucket", Key="models/v2/model.tar.gz")["Body"].read() == b"candidate"
    )


def test_object_lock_keeps_versions_and_versioning(s3):
    """Object Lock (S3 User Guide): a locked version cannot be deleted before its retain-until
    date (COMPLIANCE: not even with the governance bypass); a new PUT adds a version on top; the
    bucket's versioning cannot be suspended."""
    s3.create_bucket(Bucket="locked-bucket", ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(
        Bucket="locked-bucket",
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}},
        },
    )
    version = s3.put_object(Bucket="locked-bucket", Key="models/m", Body=b"approved")["VersionId"]
    head = s3.head_object(Bucket="locked-bucket", Key="models/m")
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(tz=UTC) + timedelta(hours=23)
    for bypass in (False, True):
        with pytest.raises(ClientError) as error:
            s3.delete_object(
                Bucket="locked-bucket", Key="models/m", VersionId=version, BypassGovernanceRetention=bypass
            )
        assert code(error) == "AccessDenied"
    s3.put_object(Bucket="locked-bucket", Key="models/m", Body=b"other")
    first = s3.get_object(Bucket="locked-bucket", Key="models/m", VersionId=version)["Body"].read()
    assert first == b"approved"
    with pytest.raises(ClientError) as error:
        s3.put_bucket_versioning(Bucket="locked-bucket", VersioningConfiguration={"Status": "Suspended"})
    assert code(error) == "InvalidBucketState"
    assert s3.get_bucket_versioning(Bucket="locked-bucket")["Status"] == "Enabled"


ENFORCE_CONDITIONAL_WRITES = {
    # S3 User Guide, "Enforce conditional writes on Amazon S3 buckets": deny a PutObject that
    # does not carry If-None-Match.
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:PutObject",
    "Resource": "arn:aws:s3:::write-once-bucket/models/*",
    "Condition": {"Null": {"s3:if-none-match": "true"}},
}


def test_a_bucket_policy_can_require_conditional_writes(enforced: EnforcedCloud):
    s3_admin = enforced.deploy[DEV].client("s3")
    s3_admin.create_bucket(Bucket="write-once-bucket")
    s3_admin.put_bucket_policy(Bucket="write-once-bucket", Policy=policy_document(ENFORCE_CONDITIONAL_WRITES))
    s3_admin.put_object(Bucket="write-once-bucket", Key="models/a", Body=b"1", IfNoneMatch="*")
    with pytest.raises(ClientError) as error:
        s3_admin.put_object(Bucket="write-once-bucket", Key="models/b", Body=b"1")
    assert code(error) == "AccessDenied"
    with pytest.raises(ClientError) as error:  # the condition holds; the object exists
        s3_admin.put_object(Bucket="write-once-bucket", Key="models/a", Body=b"2", IfNoneMatch="*")
    assert code(error) == "PreconditionFailed"
    s3_admin.put_object(Bucket="write-once-bucket", Key="audit/x", Body=b"1")  # outside models/*


#: The kit's strict-tier statement (modules/artifacts.py, write_once_models): the S3 User Guide's
#: enforcement with the multipart steps exempt by s3:ObjectCreationOperation.
KIT_WRITE_ONCE = {
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "s3:PutObject",
    "Resource": "arn:aws:s3:::write-once-kit/models/*",
    "Condition": {
        "StringNotEquals": {"s3:if-none-match": "*"},
        "Bool": {"s3:ObjectCreationOperation": "true"},
    },
}


def test_object_creation_operation_exempts_only_the_steps_of_a_multipart_upload(enforced: EnforcedCloud):
    """s3:ObjectCreationOperation is true for PutObject, CopyObject and CompleteMultipartUpload and
    false for CreateMultipartUpload, UploadPart and UploadPartCopy (S3 User Guide, "Enforce
    conditional writes on Amazon S3 buckets"): with the kit's deny, a multipart upload runs and
    only its completion needs If-None-Match; a plain write or a copy without it is refused."""
    s3 = enforced.deploy[DEV].client("s3")
    s3.create_bucket(Bucket="write-once-kit")
    s3.put_object(Bucket="write-once-kit", Key="incoming/src", Body=b"candidate")
    s3.put_bucket_policy(Bucket="write-once-kit", Policy=policy_document(KIT_WRITE_ONCE))
    for attempt in (
        lambda: s3.put_object(Bucket="write-once-kit", Key="models/a", Body=b"1"),
        lambda: s3.put_object(Bucket="write-once-kit", Key="models/a", Body=b"1", IfMatch='"0"'),
        lambda: s3.copy_object(
            Bucket="write-once-kit",
            Key="models/a",
            CopySource={"Bucket": "write-once-kit", "Key": "incoming/src"},
        ),
    ):
        with pytest.raises(ClientError) as error:
            attempt()
        assert code(error) == "AccessDenied"
    s3.copy_object(
        Bucket="write-once-kit",
        Key="models/copied",
        CopySource={"Bucket": "write-once-kit", "Key": "incoming/src"},
        IfNoneMatch="*",
    )
    upload = s3.create_multipart_upload(Bucket="write-once-kit", Key="models/big")["UploadId"]
    first = b"z" * (5 * 1024 * 1024)  # every part but the last is at least 5 MiB
    part = s3.upload_part(
        Bucket="write-once-kit", Key="models/big", UploadId=upload, PartNumber=1, Body=first
    )
    copied = s3.upload_part_copy(
        Bucket="write-once-kit",
        Key="models/big",
        UploadId=upload,
        PartNumber=2,
        CopySource={"Bucket": "write-once-kit", "Key": "incoming/src"},
    )
    parts = [
        {"ETag": part["ETag"], "PartNumber": 1},
        {"ETag": copied["CopyPartResult"]["ETag"], "PartNumber": 2},
    ]
    with pytest.raises(ClientError) as error:
        s3.complete_multipart_upload(
            Bucket="write-once-kit", Key="models/big", UploadId=upload, MultipartUpload={"Parts": parts}
        )
    assert code(error) == "AccessDenied"
    s3.complete_multipart_upload(
        Bucket="write-once-kit",
        Key="models/big",
        UploadId=upload,
        MultipartUpload={"Parts": parts},
        IfNoneMatch="*",
    )
    assert s3.get_object(Bucket="write-once-kit", Key="models/big")["Body"].read() == first + b"candidate"


def test_a_bucket_deny_on_who_calls_decides_for_the_signed_caller(enforced: EnforcedCloud):
    """The kit's one-writer statement (modules/artifacts.py, ModelsOnlyByPromotion: every principal
    but the writer denied by ArnNotEquals on aws:PrincipalArn) beside the write-once one: the
    writer's conditional write and copy succeed, anyone else's is refused. The bucket's
    "deny regardless of who calls" check saw no aws:PrincipalArn and refused the writer too (the
    demo's promotion failed with AccessDenied on the deployed cloud)."""
    writer = enforced.role(DEV, "writer", trusting(root(DEV)), policy_document(allow_s3()))
    other = enforced.role(DEV, "other", trusting(root(DEV)), policy_document(allow_s3()))
    admin = enforced.deploy[DEV].client("s3")
    admin.create_bucket(Bucket="one-writer")
    admin.put_object(Bucket="one-writer", Key="incoming/src", Body=b"candidate")
    only_writer = {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::one-writer/models/*",
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": writer}},
    }
    write_once = {**KIT_WRITE_ONCE, "Resource": "arn:aws:s3:::one-writer/models/*"}
    admin.put_bucket_policy(Bucket="one-writer", Policy=policy_document(only_writer, write_once))
    as_writer = enforced.assume(writer, enforced.deploy[DEV]).client("s3", config=CONFIG)
    as_writer.put_object(Bucket="one-writer", Key="models/a", Body=b"1", IfNoneMatch="*")
    as_writer.copy_object(
        Bucket="one-writer",
        Key="models/b",
        CopySource={"Bucket": "one-writer", "Key": "incoming/src"},
        IfNoneMatch="*",
    )
    as_other = enforced.assume(other, enforced.deploy[DEV]).client("s3", config=CONFIG)
    with pytest.raises(ClientError) as error:
        as_other.put_object(Bucket="one-writer", Key="models/c", Body=b"1", IfNoneMatch="*")
    assert code(error) == "AccessDenied"
    with pytest.raises(ClientError) as error:
        as_writer.put_object(Bucket="one-writer", Key="models/c", Body=b"1")
    assert code(error) == "AccessDenied"


def allow_s3() -> dict:
    return {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}


def test_an_identity_policy_can_require_conditional_writes(enforced: EnforcedCloud):
    enforced.deploy[DEV].client("s3").create_bucket(Bucket="identity-bucket")
    role = enforced.role(
        DEV,
        "writer",
        trusting(root(DEV)),
        policy_document(
            {
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::identity-bucket/*",
                "Condition": {"StringEquals": {"s3:if-none-match": "*"}},
            }
        ),
    )
    s3 = enforced.assume(role, enforced.deploy[DEV]).client("s3")
    s3.put_object(Bucket="identity-bucket", Key="models/a", Body=b"1", IfNoneMatch="*")
    with pytest.raises(ClientError) as error:
        s3.put_object(Bucket="identity-bucket", Key="models/b", Body=b"1")
    assert code(error) == "AccessDenied"


def test_copy_reads_the_source_as_the_caller(enforced: EnforcedCloud):
    """CopyObject needs s3:GetObject on the source (another account's: its bucket policy too)."""
    dev_s3 = enforced.deploy[DEV].client("s3")
    dev_s3.create_bucket(Bucket="upstream-bucket")
    dev_s3.put_object(Bucket="upstream-bucket", Key="models/m", Body=b"approved")
    dev_s3.put_object(Bucket="upstream-bucket", Key="audit/a", Body=b"record")
    enforced.deploy[STAGING].client("s3").create_bucket(Bucket="downstream-bucket")
    role = enforced.role(
        STAGING,
        "promoter",
        trusting(root(STAGING)),
        policy_document(
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::downstream-bucket/*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::upstream-bucket/*"},
        ),
    )
    dev_s3.put_bucket_policy(
        Bucket="upstream-bucket",
        Policy=policy_document(
            {
                "Effect": "Allow",
                "Principal": {"AWS": role},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::upstream-bucket/models/*",
            }
        ),
    )
    s3 = enforced.assume(role, enforced.deploy[STAGING]).client("s3")
    s3.copy_object(
        Bucket="downstream-bucket",
        Key="models/m",
        CopySource={"Bucket": "upstream-bucket", "Key": "models/m"},
    )
    with pytest.raises(ClientError) as error:  # the upstream bucket policy grants models/* only
        s3.copy_object(
            Bucket="downstream-bucket",
            Key="audit/a",
            CopySource={"Bucket": "upstream-bucket", "Key": "audit/a"},
        )
    assert code(error) == "AccessDenied"
    listed = enforced.deploy[STAGING].client("s3").list_objects_v2(Bucket="downstream-bucket")
    assert [o["Key"] for o in listed["Contents"]] == ["models/m"]


def test_bypassing_governance_retention_is_a_permission(enforced: EnforcedCloud):
    s3_admin = enforced.deploy[DEV].client("s3")
    s3_admin.create_bucket(Bucket="governed-bucket", ObjectLockEnabledForBucket=True)
    s3_admin.put_object_lock_configuration(
        Bucket="governed-bucket",
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
        },
    )
    first = s3_admin.put_object(Bucket="governed-bucket", Key="models/m", Body=b"1")["VersionId"]
    second = s3_admin.put_object(Bucket="governed-bucket", Key="models/m", Body=b"2")["VersionId"]
    deleter = enforced.role(
        DEV,
        "deleter",
        trusting(root(DEV)),
        policy_document(
            {"Effect": "Allow", "Action": "s3:DeleteObjectVersion", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "*"},
        ),
    )
    s3 = enforced.assume(deleter, enforced.deploy[DEV]).client("s3")
    with pytest.raises(ClientError) as error:
        s3.delete_object(
            Bucket="governed-bucket", Key="models/m", VersionId=first, BypassGovernanceRetention=True
        )
    assert code(error) == "AccessDenied"
    # The administrator (s3:* includes s3:BypassGovernanceRetention) may.
    s3_admin.delete_object(
        Bucket="governed-bucket", Key="models/m", VersionId=second, BypassGovernanceRetention=True
    )
    versions = s3_admin.list_object_versions(Bucket="governed-bucket")["Versions"]
    assert [v["VersionId"] for v in versions] == [first]
