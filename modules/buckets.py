"""Hardened S3 buckets: the one bucket shape of the kit (artifacts, Terraform state, access logs).

A :class:`HardenedBucket` is versioned, private (every public access blocked, owner-enforced),
default-encrypted (a KMS key, or SSE-S3 without one), expires old versions and abandoned uploads,
sends object events to EventBridge, denies every request that is not TLS, and with
``access_logs`` writes server access logs to an :class:`AccessLogBucket` (itself hardened, and
always SSE-S3: S3 does not deliver server access logs to a target whose default encryption is
SSE-KMS).

The bucket policy and the logging configuration are created in the *caller's* scope, under the
ids the caller names: they had those Terraform addresses before this construct existed, and a new
address makes Terraform replace the resource (for a state bucket's policy, a window without it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_notification import S3BucketNotification
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct

from .policy import Statement, document, statement

#: Days before an incomplete multipart upload is aborted (its parts are billed until then).
ABORT_MULTIPART_DAYS = 7


@dataclass(frozen=True)
class Lifecycle:
    """How long a bucket keeps what it no longer needs."""

    noncurrent_days: int
    """Days a replaced or deleted object version is kept (recovery window)."""
    expire_days: int | None = None
    """Days after which current objects expire; None keeps them."""


#: Retention of every access-log bucket (artifact and state buckets alike).
ACCESS_LOG_LIFECYCLE = Lifecycle(noncurrent_days=30, expire_days=400)


def deny_insecure_transport(bucket_arn: str) -> Statement:
    """The TLS-only statement every bucket policy of the kit starts with."""
    return statement(
        "DenyInsecureTransport",
        ["s3:*"],
        [bucket_arn, f"{bucket_arn}/*"],
        effect="Deny",
        principal={"AWS": "*"},
        condition={"Bool": {"aws:SecureTransport": "false"}},
    )


class HardenedBucket(Construct):
    """A private, versioned, encrypted bucket with a TLS-only policy and optional access logs.

    Children (``<id>/...``): ``bucket``, ``public-access-block``, ``ownership``, ``versioning``,
    ``encryption``, ``lifecycle``, ``notifications``. In the caller's scope: the bucket policy
    (``policy_id``) and, with ``access_logs``, the logging configuration (``logging_id``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        kms_key_arn: str | None,
        lifecycle: Lifecycle,
        force_destroy: bool,
        policy_id: str,
        policy_statements: Sequence[Statement] = (),
        access_logs: AccessLogBucket | None = None,
        logging_id: str = "logging",
    ) -> None:
        """
        :param name: the bucket name (a literal from ``environments.naming.Names``).
        :param kms_key_arn: default encryption with this key (SSE-KMS, bucket keys on); None
            for SSE-S3 (AES256).
        :param lifecycle: retention of replaced versions and, optionally, of current objects.
        :param force_destroy: let ``terraform destroy`` delete the bucket with its objects.
        :param policy_id: id of the bucket policy in ``scope``.
        :param policy_statements: statements after the TLS-only deny (grants to other accounts).
        :param access_logs: the bucket receiving this bucket's server access logs; it must have
            been created for this bucket (``AccessLogBucket(source_bucket_name=name)``).
        :param logging_id: id of the logging configuration in ``scope``.
        """
        super().__init__(scope, id)
        self.name = name
        self.arn = f"arn:aws:s3:::{name}"
        """The bucket ARN as a literal (valid in policies before the bucket exists)."""
        self.bucket = S3Bucket(self, "bucket", bucket=name, force_destroy=force_destroy)
        S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=self.bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        S3BucketVersioningA(
            self,
            "versioning",
            bucket=self.bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        self._encrypt(kms_key_arn)
        self._expire(lifecycle)
        # Object events go to EventBridge, where a governance rule or an audit tool can pick them
        # up without the bucket knowing its consumers.
        S3BucketNotification(self, "notifications", bucket=self.bucket.id, eventbridge=True)

        self.policy = S3BucketPolicy(
            scope,
            policy_id,
            bucket=self.bucket.id,
            policy=document(deny_insecure_transport(self.arn), *policy_statements),
        )
        self.logging: S3BucketLoggingA | None = None
        if access_logs is not None:
            self.logging = S3BucketLoggingA(
                scope,
                logging_id,
                bucket=self.bucket.id,
                target_bucket=access_logs.bucket.id,
                target_prefix=f"{name}/",
                # S3 checks at PutBucketLogging that the target grants log delivery; without this
                # edge Terraform may create the logging config before the policy that grants it.
                depends_on=[access_logs.policy],
            )

    def _encrypt(self, kms_key_arn: str | None) -> None:
        if kms_key_arn is None:
            rule = S3BucketServerSideEncryptionConfigurationRuleA(
                apply_server_side_encryption_by_default=(
                    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="AES256"
                    )
                ),
            )
        else:
            rule = S3BucketServerSideEncryptionConfigurationRuleA(
                apply_server_side_encryption_by_default=(
                    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
                    )
                ),
                # Bucket keys cut the KMS requests (and cost) of every object write.
                bucket_key_enabled=True,
            )
        S3BucketServerSideEncryptionConfigurationA(self, "encryption", bucket=self.bucket.id, rule=[rule])

    def _expire(self, lifecycle: Lifecycle) -> None:
        expiration = (
            [S3BucketLifecycleConfigurationRuleExpiration(days=lifecycle.expire_days)]
            if lifecycle.expire_days
            else None
        )
        rule = S3BucketLifecycleConfigurationRule(
            id="noncurrent-and-multipart",
            status="Enabled",
            filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
            noncurrent_version_expiration=[
                S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                    noncurrent_days=lifecycle.noncurrent_days
                )
            ],
            abort_incomplete_multipart_upload=[
                S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                    days_after_initiation=ABORT_MULTIPART_DAYS
                )
            ],
            expiration=expiration,
        )
        S3BucketLifecycleConfiguration(self, "lifecycle", bucket=self.bucket.id, rule=[rule])


class AccessLogBucket(HardenedBucket):
    """The hardened bucket receiving one source bucket's server access logs.

    Default encryption is SSE-S3 (AES256), never a KMS key: "Default server-side encryption with
    AWS KMS keys (SSE-KMS) is not supported for server access logging destination buckets"
    (Amazon S3 User Guide, troubleshooting server access logging; docs/aws-references.md). With
    SSE-KMS the logging configuration applies and no log is ever delivered.

    Its policy (``<id>-policy`` in the caller's scope) adds to the TLS-only deny one grant: S3 log
    delivery may write under ``<source bucket>/``, for that bucket only, from this account only.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        source_bucket_name: str,
        account_id: str,
        force_destroy: bool,
    ) -> None:
        """
        :param name: the log bucket name.
        :param source_bucket_name: the one bucket whose logs this bucket receives.
        :param account_id: the account of the source bucket (confused-deputy condition).
        :param force_destroy: let ``terraform destroy`` delete the bucket with its logs.
        """
        log_arn = f"arn:aws:s3:::{name}"
        super().__init__(
            scope,
            id,
            name=name,
            kms_key_arn=None,
            lifecycle=ACCESS_LOG_LIFECYCLE,
            force_destroy=force_destroy,
            policy_id=f"{id}-policy",
            policy_statements=[
                statement(
                    "S3ServerAccessLogDelivery",
                    ["s3:PutObject"],
                    [f"{log_arn}/{source_bucket_name}/*"],
                    principal={"Service": "logging.s3.amazonaws.com"},
                    condition={
                        "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{source_bucket_name}"},
                        "StringEquals": {"aws:SourceAccount": account_id},
                    },
                )
            ],
        )
