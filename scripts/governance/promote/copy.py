"""Server-side copy of a version's artifacts into the target bucket, and its verification.

The copy is boto3's managed copy (s3transfer): one CopyObject below the multipart threshold,
UploadPartCopy parts above it (aborted on failure, so no parts are left behind). Either way S3
copies the bytes; none pass through this process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from scripts.aws import error_code, kit_errors

from ..context import EnvContext
from ..errors import AwsCallError
from .plan import Copied, Plan

#: From this size up an object is copied in parts (CopyObject's limit is 5 GB).
MULTIPART_THRESHOLD = 5 * 1024**3
#: Part size of a multipart copy (s3transfer raises it as needed to stay within 10,000 parts).
MULTIPART_PART_SIZE = 512 * 1024**2


def head(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    """HeadObject with the S3-computed checksum, or None when the object does not exist."""
    try:
        found: dict[str, Any] = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    except ClientError as err:
        if error_code(err) in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return found


def server_side_copy(
    s3: Any,
    *,
    source_bucket: str,
    source_key: str,
    bucket: str,
    key: str,
    kms_key_arn: str,
    source_head: Mapping[str, Any],
    threshold: int = MULTIPART_THRESHOLD,
    part_size: int = MULTIPART_PART_SIZE,
) -> dict[str, Any]:
    """Copy inside S3 under ``kms_key_arn``; the copy's metadata names its source object.

    Returns how it was copied: ``copy_object`` (one request) or ``upload_part_copy`` (parts of
    ``part_size``, raised by s3transfer as needed to stay within S3's 10,000 parts)."""
    size = int(source_head["ContentLength"])
    metadata = {
        **(source_head.get("Metadata") or {}),
        "source-etag": source_head["ETag"].strip('"'),
        "source-uri": f"s3://{source_bucket}/{source_key}",
    }
    extra: dict[str, Any] = {
        "MetadataDirective": "REPLACE",
        "Metadata": metadata,
        "ContentType": source_head.get("ContentType", "binary/octet-stream"),
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": kms_key_arn,
    }
    if size < threshold:
        # A one-part copy gets a full-object SHA-256 that verify compares with the source's; a
        # multipart one could only get a checksum of part checksums, comparable to nothing.
        extra["ChecksumAlgorithm"] = "SHA256"
        # Write-once: a strict tier's bucket policy refuses a models/* write without
        # If-None-Match: * (modules/artifacts.py); an existing key is never replaced.
        s3.copy_object(
            CopySource={"Bucket": source_bucket, "Key": source_key},
            Bucket=bucket,
            Key=key,
            IfNoneMatch="*",
            **extra,
        )
        return {"method": "copy_object"}
    s3.copy(
        CopySource={"Bucket": source_bucket, "Key": source_key},
        Bucket=bucket,
        Key=key,
        ExtraArgs=extra,
        # "classic": the CRT client would pick its own part sizes and thresholds.
        Config=TransferConfig(
            multipart_threshold=threshold,
            multipart_chunksize=part_size,
            preferred_transfer_client="classic",
        ),
    )
    return {"method": "copy_object" if size < threshold else "upload_part_copy"}


def verify_copy(
    source_head: Mapping[str, Any], target_head: Mapping[str, Any] | None, kms_key_arn: str
) -> list[str]:
    """Why the copy does not match its source (empty: it does)."""
    if target_head is None:
        return ["the copy does not exist"]
    problems = []
    if int(target_head["ContentLength"]) != int(source_head["ContentLength"]):
        problems.append(f"size {target_head['ContentLength']} != source {source_head['ContentLength']}")
    if target_head.get("SSEKMSKeyId") != kms_key_arn:
        problems.append(f"encrypted under {target_head.get('SSEKMSKeyId')}, not the target key {kms_key_arn}")
    meta = target_head.get("Metadata") or {}
    if meta.get("source-etag") != source_head["ETag"].strip('"'):
        problems.append("copied from a different source object (ETag recorded at copy differs)")
    src_sum, dst_sum = source_head.get("ChecksumSHA256"), target_head.get("ChecksumSHA256")
    # S3 computes both checksums itself; a multipart copy has a composite one ("...-N").
    if src_sum and dst_sum and "-" not in dst_sum and src_sum != dst_sum:
        problems.append(f"SHA-256 {dst_sum} != source {src_sum}")
    if not (src_sum and dst_sum) and (source_head.get("Metadata") or {}).get("sha256") != meta.get("sha256"):
        problems.append("recorded sha256 differs from the source's")
    return problems


def ensure_copies(ctx: EnvContext, plan: Plan, *, threshold: int, part_size: int) -> str:
    """Copy every artifact of the plan that is not already in the target, verified."""
    s3 = ctx.client("s3")
    did = "skipped"
    for copy in plan.copies:
        with kit_errors(ctx.role_arn):
            src = head(s3, copy.source_bucket, copy.source_key)
            if src is None:
                raise AwsCallError(
                    f"source artifact {copy.source_uri} is missing; the source version is broken"
                )
            existing = head(s3, plan.target_bucket, copy.key)
            if existing is not None and not verify_copy(src, existing, plan.target_key_arn):
                plan.copied[copy.key] = Copied("existing", src)
                continue
            done = server_side_copy(
                s3,
                source_bucket=copy.source_bucket,
                source_key=copy.source_key,
                bucket=plan.target_bucket,
                key=copy.key,
                kms_key_arn=plan.target_key_arn,
                source_head=src,
                threshold=threshold,
                part_size=part_size,
            )
            plan.copied[copy.key] = Copied(done["method"], src)
            did = "done"
    return did


def verify_copies(ctx: EnvContext, plan: Plan) -> str:
    """Every copy against its source; a mismatch stops the promotion before registration."""
    s3 = ctx.client("s3")
    problems = []
    for copy in plan.copies:
        with kit_errors(ctx.role_arn):
            target = head(s3, plan.target_bucket, copy.key)
        for p in verify_copy(plan.copied[copy.key].source_head, target, plan.target_key_arn):
            problems.append(f"{plan.target_uri(copy)}: {p}")
    if problems:
        raise AwsCallError("copied artifacts failed verification, nothing registered: " + "; ".join(problems))
    return "done"
