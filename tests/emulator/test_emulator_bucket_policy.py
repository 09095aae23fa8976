"""The emulator evaluates bucket policy conditions on object requests (moto_ext/s3_policy.py).

Without it, moto 5.2.1 treats the TLS-only Deny every kit bucket carries as unconditional and
refuses every object request: the S3 state backend, promotions and audit records then fail with
403 on the emulator although they work on AWS.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from scripts.localcloud.moto_ext import install

BUCKET = "mlgov-tfstate-111111111111"
TLS_ONLY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": ["s3:*"],
    "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch):
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    install()
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1", config=Config(retries={"mode": "standard"}))
        client.create_bucket(Bucket=BUCKET)
        yield client


def _policy(client, *statements: dict) -> None:
    client.put_bucket_policy(
        Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    )


def test_tls_only_bucket_serves_object_requests(s3) -> None:
    _policy(s3, TLS_ONLY)
    s3.put_object(Bucket=BUCKET, Key="platform/dev.tfstate", Body=b"{}")
    assert s3.head_object(Bucket=BUCKET, Key="platform/dev.tfstate")["ContentLength"] == 2
    # The S3 lock file: a conditional create that must fail while the lock exists.
    s3.put_object(Bucket=BUCKET, Key="platform/dev.tfstate.tflock", Body=b"{}", IfNoneMatch="*")
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=BUCKET, Key="platform/dev.tfstate.tflock", Body=b"{}", IfNoneMatch="*")
    assert err.value.response["Error"]["Code"] == "PreconditionFailed"


def test_unconditional_deny_still_denies(s3) -> None:
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"x")
    _policy(
        s3,
        TLS_ONLY,
        {
            "Sid": "NoReads",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
        },
    )
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=BUCKET, Key="k")
    assert err.value.response["Error"]["Code"] in ("403", "AccessDenied")


def test_deny_on_a_key_the_emulator_does_not_know_does_not_apply(s3) -> None:
    # As on AWS: a condition on a key absent from the request is not met, so this Deny
    # (only from outside an organization that the request names nothing about) does not apply.
    _policy(
        s3,
        {
            "Sid": "OrgOnly",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:*",
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-x"}},
        },
    )
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"x")
    assert s3.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"x"
