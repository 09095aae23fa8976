"""The artifact bucket (model artifacts, audit records) and the bucket receiving its access logs."""

from __future__ import annotations

from constructs import Construct

from .buckets import AccessLogBucket, HardenedBucket, Lifecycle
from .policy import Statement, org_condition, roles_by_arn, statement


class ArtifactStore(Construct):
    """Artifact bucket encrypted with the platform key, logged to a hardened access-log bucket
    (SSE-S3, the only default encryption S3 delivers server access logs to).

    Bucket policy: TLS only; each downstream environment's promotion role may read ``models/*``
    and list it (it copies approved artifacts into its own account), nothing else of the bucket
    (audit records, promotion state). This environment's own roles write through their IAM
    policies. With ``models_writer`` (strict tiers) ``models/*`` is write-once and has one
    writer, whatever any identity policy says (:func:`write_once_models`).
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
        models_writer: str | None = None,
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
        :param models_writer: the one principal that may write ``models/*`` (the strict tier's
            promotion role); None leaves ``models/*`` to the identity policies (dev).
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
            policy_statements=[
                *_downstream_reads(f"arn:aws:s3:::{bucket_name}", downstream_reader_arns, organization_id),
                *(write_once_models(f"arn:aws:s3:::{bucket_name}", models_writer) if models_writer else []),
            ],
            access_logs=logs,
        )
        self.bucket = store.bucket
        self.bucket_policy = store.policy


def _downstream_reads(
    bucket_arn: str, reader_arns: tuple[str, ...], organization_id: str | None
) -> list[Statement]:
    """Read and list ``models/*`` for the downstream promotion roles; nothing when there is no
    downstream."""
    if not reader_arns:
        return []
    org = org_condition(organization_id)
    principal, readers = roles_by_arn(reader_arns)
    return [
        statement(
            "DownstreamPromotionReadModels",
            ["s3:GetObject", "s3:GetObjectVersion"],
            [f"{bucket_arn}/models/*"],
            principal=principal,
            condition={**org, **readers},
        ),
        statement(
            "DownstreamPromotionListModels",
            ["s3:ListBucket"],
            [bucket_arn],
            principal=principal,
            condition={**org, **readers, "StringLike": {"s3:prefix": ["models/*"]}},
        ),
    ]


def write_once_models(bucket_arn: str, writer_arn: str) -> list[Statement]:
    """``models/*`` of a strict tier: one writer, write-once, never deleted.

    - Only ``writer_arn`` (the promotion role) may write there: ``aws:PrincipalArn`` is the role's
      ARN for every session of it; a principal without one (a service) is denied too.
    - Every object creation must carry ``If-None-Match: *`` (S3 conditional writes: the object
      must not exist yet), so an approved artifact is never replaced. ``StringNotEquals`` on an
      absent key is true, so a write without the header is denied, and so is ``If-Match`` (an
      overwrite of a known ETag). ``s3:ObjectCreationOperation`` is false for the parts of a
      multipart upload (CreateMultipartUpload, UploadPart, UploadPartCopy), which take no
      conditional header: only their CompleteMultipartUpload is held to it. Followed: S3 User
      Guide, "Enforce conditional writes on Amazon S3 buckets".
    - No object or object version there is deleted (a delete marker would make the key readable
      as missing, a version delete would erase the bytes).
    """
    models = f"{bucket_arn}/models/*"
    return [
        statement(
            "ModelsOnlyByPromotion",
            ["s3:PutObject", "s3:ReplicateObject"],
            [models],
            effect="Deny",
            principal={"AWS": "*"},
            condition={"ArnNotEquals": {"aws:PrincipalArn": writer_arn}},
        ),
        statement(
            "ModelsWriteOnce",
            ["s3:PutObject"],
            [models],
            effect="Deny",
            principal={"AWS": "*"},
            condition={
                "StringNotEquals": {"s3:if-none-match": "*"},
                "Bool": {"s3:ObjectCreationOperation": "true"},
            },
        ),
        statement(
            "ModelsNeverDeleted",
            ["s3:DeleteObject", "s3:DeleteObjectVersion"],
            [models],
            effect="Deny",
            principal={"AWS": "*"},
        ),
    ]
