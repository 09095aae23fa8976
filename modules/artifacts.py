"""The artifact bucket (model artifacts, audit records) and the bucket receiving its access logs."""

from __future__ import annotations

from constructs import Construct

from .buckets import AccessLogBucket, HardenedBucket, Lifecycle
from .policy import Statement, org_condition, statement


class ArtifactStore(Construct):
    """Artifact bucket encrypted with the platform key, logged to a hardened access-log bucket
    (SSE-S3, the only default encryption S3 delivers server access logs to).

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
        logs = AccessLogBucket(
            self,
            "access-logs",
            name=access_log_bucket_name,
            source_bucket_name=bucket_name,
            account_id=account_id,
            force_destroy=force_destroy,
        )
        self.access_log_bucket = logs.bucket
        self.access_log_bucket_policy = logs.policy

        store = HardenedBucket(
            self,
            "artifacts",
            name=bucket_name,
            kms_key_arn=kms_key_arn,
            lifecycle=Lifecycle(noncurrent_days=noncurrent_version_days),
            force_destroy=force_destroy,
            policy_id="policy",
            policy_statements=_downstream_reads(
                f"arn:aws:s3:::{bucket_name}", downstream_reader_arns, organization_id
            ),
            access_logs=logs,
        )
        self.bucket = store.bucket
        self.bucket_policy = store.policy


def _downstream_reads(
    bucket_arn: str, reader_arns: tuple[str, ...], organization_id: str | None
) -> list[Statement]:
    """Read and list for the downstream promotion roles; nothing when there is no downstream."""
    if not reader_arns:
        return []
    org = org_condition(organization_id) or None
    return [
        statement(
            "DownstreamPromotionReadObjects",
            ["s3:GetObject", "s3:GetObjectVersion"],
            [f"{bucket_arn}/*"],
            principal={"AWS": list(reader_arns)},
            condition=org,
        ),
        statement(
            "DownstreamPromotionList",
            ["s3:ListBucket"],
            [bucket_arn],
            principal={"AWS": list(reader_arns)},
            condition=org,
        ),
    ]
