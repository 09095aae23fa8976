"""Server-side copy of a version's artifacts into the target bucket, write-once, and its
verification against the SHA-256 the version recorded.

The copy is one CopyObject below the multipart threshold, UploadPartCopy parts above it (aborted
on failure, so no parts are left behind). Either way S3 copies the bytes; none pass through this
process. A promotion's copies are write-once: each write carries ``If-None-Match: *`` (CopyObject,
and CompleteMultipartUpload of a multipart copy; S3 User Guide, "Add preconditions to S3
operations with conditional requests"), so an approved artifact in the target bucket is never
replaced, and strict tiers' bucket policies refuse any ``models/*`` write without it. A copy that
is already there (a rerun, or S3 answering ``412 PreconditionFailed``) counts as done when it
verifies; one that differs is a refusal naming its key, never an overwrite.

Verification (:func:`verify_copy`): size, KMS key, the source ETag recorded at copy, the
S3-computed SHA-256 of the copy against its source's, and, for the model archive and the
evaluation report, against the SHA-256 the version recorded at registration
(``mlgov-model-sha256``, ``mlgov-report-sha256``): the bytes promoted are the bytes registered and
approved. S3 computes a full-object SHA-256 for a one-part write only; a multipart copy's is a
checksum of its parts, so the copy of an archive from 5 GiB up is read once to hash it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError
from s3transfer.utils import ChunksizeAdjuster  # type: ignore[import-untyped]

from scripts.aws import error_code, kit_errors

from ..context import EnvContext
from ..errors import AwsCallError, GateFailure, RefusedError
from ..metadata import META_MODEL_SHA256, META_REPORT_SHA256
from .plan import Copied, Plan, PlannedCopy

#: From this size up an object is copied in parts (CopyObject's limit is 5 GB).
MULTIPART_THRESHOLD = 5 * 1024**3
#: Part size of a multipart copy (raised as needed to stay within S3's 10,000 parts).
MULTIPART_PART_SIZE = 512 * 1024**2
#: Parts of one multipart copy copied at once.
PART_WORKERS = 8
#: What S3 answers a conditional write whose condition fails (``If-None-Match: *`` on a key that
#: exists: 412), or that races another conditional write of the same key (409).
CONDITION_FAILED = ("PreconditionFailed", "412", "ConditionalRequestConflict")
#: The SHA-256 the version recorded at registration, by the role of the copy.
RECORDED_SHA256 = {"model": META_MODEL_SHA256, "report": META_REPORT_SHA256}


class AlreadyWritten(Exception):
    """The target key exists: the write-once copy was refused by its condition."""


def head(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    """HeadObject with the S3-computed checksum, or None when the object does not exist."""
    try:
        found: dict[str, Any] = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    except ClientError as err:
        if error_code(err) in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return found


def full_object_sha256(found: Mapping[str, Any]) -> str | None:
    """The hex SHA-256 of the whole object from its HeadObject (S3's own checksum), or None when
    S3 holds none for the whole object (no checksum, or a multipart one: ``<base64>-<parts>``)."""
    checksum = found.get("ChecksumSHA256")
    if not checksum or "-" in checksum or found.get("ChecksumType", "FULL_OBJECT") != "FULL_OBJECT":
        return None
    return base64.b64decode(checksum).hex()


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
    write_once: bool = False,
) -> dict[str, Any]:
    """Copy inside S3 under ``kms_key_arn``; the copy's metadata names its source object.

    Returns how it was copied: ``copy_object`` (one request) or ``upload_part_copy`` (parts of
    ``part_size``, raised as needed to stay within S3's 10,000 parts). With ``write_once`` the
    write carries ``If-None-Match: *``; when the key exists, :class:`AlreadyWritten` is raised
    and nothing is written (a multipart copy's upload is aborted)."""
    size = int(source_head["ContentLength"])
    metadata = {
        **(source_head.get("Metadata") or {}),
        "source-etag": source_head["ETag"].strip('"'),
        "source-uri": f"s3://{source_bucket}/{source_key}",
    }
    attributes: dict[str, Any] = {
        "Metadata": metadata,
        "ContentType": source_head.get("ContentType", "binary/octet-stream"),
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": kms_key_arn,
    }
    condition = {"IfNoneMatch": "*"} if write_once else {}
    source = {"Bucket": source_bucket, "Key": source_key}
    try:
        if size < threshold:
            # A one-part copy gets a full-object SHA-256 that verify compares with the source's;
            # a multipart one could only get a checksum of part checksums, comparable to nothing.
            s3.copy_object(
                CopySource=source,
                Bucket=bucket,
                Key=key,
                MetadataDirective="REPLACE",
                ChecksumAlgorithm="SHA256",
                **attributes,
                **condition,
            )
            return {"method": "copy_object"}
        _multipart_copy(s3, source, bucket, key, size, part_size, attributes, condition)
    except ClientError as err:
        if write_once and error_code(err) in CONDITION_FAILED:
            raise AlreadyWritten(f"s3://{bucket}/{key}") from err
        raise
    return {"method": "upload_part_copy"}


def _multipart_copy(
    s3: Any,
    source: dict[str, str],
    bucket: str,
    key: str,
    size: int,
    part_size: int,
    attributes: dict[str, Any],
    condition: dict[str, str],
) -> None:
    """CreateMultipartUpload, UploadPartCopy per range (in parallel), CompleteMultipartUpload
    with ``condition``; any failure aborts the upload."""
    part_size = ChunksizeAdjuster().adjust_chunksize(part_size, size)
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, **attributes)["UploadId"]
    ranges = [
        (n, first, min(first + part_size, size) - 1) for n, first in enumerate(range(0, size, part_size), 1)
    ]

    def copy_part(part: tuple[int, int, int]) -> dict[str, Any]:
        number, first, last = part
        resp = s3.upload_part_copy(
            Bucket=bucket,
            Key=key,
            UploadId=upload,
            PartNumber=number,
            CopySource=source,
            CopySourceRange=f"bytes={first}-{last}",
        )
        return {"PartNumber": number, "ETag": resp["CopyPartResult"]["ETag"]}

    try:
        with ThreadPoolExecutor(max_workers=min(PART_WORKERS, len(ranges))) as pool:
            parts = list(pool.map(copy_part, ranges))
        s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}, **condition
        )
    except BaseException:
        with contextlib.suppress(ClientError):
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)
        raise


def verify_copy(
    source_head: Mapping[str, Any],
    target_head: Mapping[str, Any] | None,
    kms_key_arn: str,
    *,
    recorded_sha256: str | None = None,
    copy_sha256: str | None = None,
) -> list[str]:
    """Why the copy does not match its source, or the SHA-256 its version recorded (empty: it
    does). ``copy_sha256`` is the copy's hex SHA-256 where S3 holds none for the whole object
    (a multipart copy, hashed by reading it)."""
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
    if recorded_sha256 is not None:
        actual = full_object_sha256(target_head) or copy_sha256
        if actual is None:
            problems.append("S3 holds no SHA-256 of the whole copy to compare with the version's")
        elif actual != recorded_sha256.lower():
            problems.append(f"SHA-256 {actual} != {recorded_sha256} recorded on the version")
    return problems


def recorded_sha256(plan: Plan, copy: PlannedCopy) -> str | None:
    """The SHA-256 the source version recorded for ``copy`` (the model archive, the evaluation
    report), or None for a copy it records none for."""
    meta_key = RECORDED_SHA256.get(copy.role)
    if meta_key is None:
        return None
    return (plan.source.get("CustomerMetadataProperties") or {}).get(meta_key)


def _read_sha256(s3: Any, bucket: str, key: str) -> str:
    digest = hashlib.sha256()
    for chunk in s3.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def _problems(ctx: EnvContext, plan: Plan, copy: PlannedCopy, src: Mapping[str, Any]) -> list[str]:
    """Why the target's copy does not verify (empty: it does); reads it to hash it only when S3
    holds no full-object SHA-256 of it and the version recorded one."""
    s3 = ctx.client("s3")
    target = head(s3, plan.target_bucket, copy.key)
    recorded = recorded_sha256(plan, copy)
    hashed = None
    if target is not None and recorded is not None and full_object_sha256(target) is None:
        hashed = _read_sha256(s3, plan.target_bucket, copy.key)
    return verify_copy(src, target, plan.target_key_arn, recorded_sha256=recorded, copy_sha256=hashed)


def _refuse(plan: Plan, copy: PlannedCopy, problems: list[str], *, existing: bool) -> RefusedError:
    where = plan.target_uri(copy)
    if existing:
        message = (
            f"{where} already exists and does not match {copy.source_uri} ({'; '.join(problems)}): "
            "artifacts under models/ are write-once, so the promotion cannot replace it; nothing "
            f"registered. Find out who wrote {where} (the audit trail, CloudTrail), then promote "
            "again once it is explained"
        )
    else:
        message = (
            f"the copy {where} of {copy.source_uri} failed verification, nothing registered: "
            + "; ".join(problems)
        )
    return RefusedError(
        message,
        [
            GateFailure(
                "artifact_sha256", f"{where}: {'; '.join(problems)}", where, recorded_sha256(plan, copy)
            )
        ],
    )


def check_sources(ctx: EnvContext, plan: Plan) -> dict[str, dict[str, Any]]:
    """HeadObject of every source artifact; a source whose S3 SHA-256 differs from the one its
    version recorded is refused before anything is written (the bytes approved upstream are not
    the bytes registered)."""
    s3 = ctx.client("s3")
    heads: dict[str, dict[str, Any]] = {}
    for copy in plan.copies:
        with kit_errors(ctx.role_arn):
            src = head(s3, copy.source_bucket, copy.source_key)
        if src is None:
            raise AwsCallError(f"source artifact {copy.source_uri} is missing; the source version is broken")
        recorded, actual = recorded_sha256(plan, copy), full_object_sha256(src)
        if copy.role == "model" and recorded is None:
            raise RefusedError(
                f"the source version {plan.source_arn} records no {META_MODEL_SHA256}: the SHA-256 "
                "of its model archive, which promotion verifies the copy against. Versions "
                "registered by `mlgov register`, `mlgov seed` or the use case's pipeline (its "
                "evaluation step hashes the archive) carry it; register this model that way. "
                "Nothing copied, nothing registered",
                [
                    GateFailure(
                        "artifact_sha256", f"no {META_MODEL_SHA256} on the source version", None, "recorded"
                    )
                ],
            )
        if recorded is not None and actual is not None and actual != recorded.lower():
            raise RefusedError(
                f"source artifact {copy.source_uri} has SHA-256 {actual}, not the {recorded} its version "
                "recorded at registration: it was replaced after registration; nothing copied, nothing "
                "registered",
                [
                    GateFailure(
                        "artifact_sha256", f"{copy.source_uri} changed since registration", actual, recorded
                    )
                ],
            )
        heads[copy.key] = src
    return heads


def ensure_copies(ctx: EnvContext, plan: Plan, *, threshold: int, part_size: int) -> str:
    """Copy every artifact of the plan that is not already in the target, write-once; a copy
    already there counts when it verifies, and is refused naming its key when it does not."""
    s3 = ctx.client("s3")
    did = "skipped"
    sources = check_sources(ctx, plan)
    for copy in plan.copies:
        src = sources[copy.key]
        with kit_errors(ctx.role_arn):
            if head(s3, plan.target_bucket, copy.key) is not None:
                problems = _problems(ctx, plan, copy, src)
                if problems:
                    raise _refuse(plan, copy, problems, existing=True)
                plan.copied[copy.key] = Copied("existing", src)
                continue
            try:
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
                    write_once=True,
                )
            except AlreadyWritten:
                # Another run copied it between our look and our write: the same rule applies.
                problems = _problems(ctx, plan, copy, src)
                if problems:
                    raise _refuse(plan, copy, problems, existing=True) from None
                plan.copied[copy.key] = Copied("existing", src)
                continue
            plan.copied[copy.key] = Copied(done["method"], src)
            did = "done"
    return did


def verify_copies(ctx: EnvContext, plan: Plan) -> str:
    """Every copy against its source and the SHA-256 its version recorded; a mismatch stops the
    promotion before registration."""
    for copy in plan.copies:
        with kit_errors(ctx.role_arn):
            problems = _problems(ctx, plan, copy, plan.copied[copy.key].source_head)
        if problems:
            raise _refuse(plan, copy, problems, existing=False)
    return "done"
