"""The artifact bucket (model artifacts, audit records) and the bucket receiving its access logs."""

from __future__ import annotations

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

from .policy import document, org_condition, statement


def _tls_only(bucket_arn: str) -> dict:
    return statement(
        "DenyInsecureTransport",
        ["s3:*"],
        [bucket_arn, f"{bucket_arn}/*"],
        effect="Deny",
        principal={"AWS": "*"},
        condition={"Bool": {"aws:SecureTransport": "false"}},
    )


def _log_delivery_policy(
    scope: Construct, *, log_bucket: S3Bucket, log_bucket_name: str, source_bucket_name: str, account_id: str
) -> S3BucketPolicy:
    """The access-log bucket's policy: TLS only, and S3 log delivery may write the source bucket's
    logs under ``<source bucket>/`` (only for that bucket, only from this account)."""
    log_arn = f"arn:aws:s3:::{log_bucket_name}"
    return S3BucketPolicy(
        scope,
        "access-logs-policy",
        bucket=log_bucket.id,
        policy=document(
            _tls_only(log_arn),
            statement(
                "S3ServerAccessLogDelivery",
                ["s3:PutObject"],
                [f"{log_arn}/{source_bucket_name}/*"],
                principal={"Service": "logging.s3.amazonaws.com"},
                condition={
                    "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{source_bucket_name}"},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            ),
        ),
    )


def _log_to(
    scope: Construct, *, bucket: S3Bucket, bucket_name: str, log_bucket: S3Bucket, log_policy: S3BucketPolicy
) -> None:
    """Server access logging of ``bucket`` into ``log_bucket`` under ``<bucket name>/``."""
    S3BucketLoggingA(
        scope,
        "logging",
        bucket=bucket.id,
        target_bucket=log_bucket.id,
        target_prefix=f"{bucket_name}/",
        # S3 checks at PutBucketLogging that the target grants log delivery; without this edge
        # Terraform may create the logging config before the policy that grants it.
        depends_on=[log_policy],
    )


class _HardenedBucket(Construct):
    """Versioned, private, owner-enforced bucket with default encryption and lifecycle rules."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        kms_key_arn: str,
        noncurrent_days: int,
        expire_days: int | None,
        force_destroy: bool,
    ) -> None:
        super().__init__(scope, id)
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
        default = S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
            sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
        )
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=self.bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=default,
                    # Bucket keys cut the KMS requests (and cost) of every object write.
                    bucket_key_enabled=True,
                )
            ],
        )
        rules = [
            S3BucketLifecycleConfigurationRule(
                id="noncurrent-and-multipart",
                status="Enabled",
                filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                noncurrent_version_expiration=[
                    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                        noncurrent_days=noncurrent_days
                    )
                ],
                abort_incomplete_multipart_upload=[
                    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
                ],
                expiration=(
                    [S3BucketLifecycleConfigurationRuleExpiration(days=expire_days)] if expire_days else None
                ),
            )
        ]
        S3BucketLifecycleConfiguration(self, "lifecycle", bucket=self.bucket.id, rule=rules)
        # Object events go to EventBridge, where a governance rule or an audit tool can pick them
        # up without the bucket knowing its consumers.
        S3BucketNotification(self, "notifications", bucket=self.bucket.id, eventbridge=True)


class ArtifactStore(Construct):
    """Artifact bucket encrypted with the platform key, logged to a hardened access-log bucket.

    Bucket policy: TLS only; each downstream environment's promotion role may read objects and
    list the bucket (it copies approved artifacts into its own account). This environment's own
    roles write through their IAM policies.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        account_id: str,
        bucket_name: str,
        access_log_bucket_name: str,
        kms_key_arn: str,
        downstream_reader_arns: tuple[str, ...],
        organization_id: str | None,
        noncurrent_version_days: int,
        force_destroy: bool,
    ) -> None:
        """
        :param account_id: the environment's account (scopes the log delivery permission).
        :param bucket_name: artifact bucket name, ``Names.artifact_bucket``.
        :param access_log_bucket_name: server access log bucket, ``Names.access_log_bucket``.
        :param kms_key_arn: the platform key; default encryption of the artifact bucket.
        :param downstream_reader_arns: promotion role ARNs granted read access.
        :param organization_id: when set, cross-account grants also require aws:PrincipalOrgID.
        :param noncurrent_version_days: days a replaced object version is kept.
        :param force_destroy: let ``terraform destroy`` delete a non-empty bucket (non-prod only).
        """
        super().__init__(scope, id)
        bucket_arn = f"arn:aws:s3:::{bucket_name}"

        # Log delivery may write SSE-KMS objects: the key policy grants logging.s3.amazonaws.com
        # GenerateDataKey for this account's buckets.
        logs = _HardenedBucket(
            self,
            "access-logs",
            name=access_log_bucket_name,
            kms_key_arn=kms_key_arn,
            noncurrent_days=30,
            expire_days=400,
            force_destroy=force_destroy,
        )
        self.access_log_bucket = logs.bucket
        self.access_log_bucket_policy = _log_delivery_policy(
            self,
            log_bucket=logs.bucket,
            log_bucket_name=access_log_bucket_name,
            source_bucket_name=bucket_name,
            account_id=account_id,
        )

        store = _HardenedBucket(
            self,
            "artifacts",
            name=bucket_name,
            kms_key_arn=kms_key_arn,
            noncurrent_days=noncurrent_version_days,
            expire_days=None,
            force_destroy=force_destroy,
        )
        self.bucket = store.bucket
        _log_to(
            self,
            bucket=self.bucket,
            bucket_name=bucket_name,
            log_bucket=logs.bucket,
            log_policy=self.access_log_bucket_policy,
        )
        statements = [_tls_only(bucket_arn)]
        if downstream_reader_arns:
            org = org_condition(organization_id) or None
            statements += [
                statement(
                    "DownstreamPromotionReadObjects",
                    ["s3:GetObject", "s3:GetObjectVersion"],
                    [f"{bucket_arn}/*"],
                    principal={"AWS": list(downstream_reader_arns)},
                    condition=org,
                ),
                statement(
                    "DownstreamPromotionList",
                    ["s3:ListBucket"],
                    [bucket_arn],
                    principal={"AWS": list(downstream_reader_arns)},
                    condition=org,
                ),
            ]
        self.bucket_policy = S3BucketPolicy(
            self, "policy", bucket=self.bucket.id, policy=document(*statements)
        )
