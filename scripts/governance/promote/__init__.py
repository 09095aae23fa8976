"""Promote: pull an approved model version from the upstream environment into this one.

Runs as the TARGET environment's promotion role, which the upstream group policy, bucket policy
and key policy grant read access only: it never updates the upstream version, nor (separation of
duties) any version of its own after creating it.

1. **gates** on the source version: :data:`.gates.GATES`, the version and its card approved and
   one gate per field of the target's ``governance:`` section (the table in docs/GOVERNANCE.md
   is generated from it). A refusal names every failed gate with the value and the limit,
   writes nothing and exits 1.
2. **lock**: an S3 object (``promotions/<token>.lock``) created with ``If-None-Match: *``, so
   concurrent runs for one version serialize; the others wait and then find the work done.
3. **copy**: model artifact, evaluation report, bias and explainability reports copied server
   side (boto3's managed copy: CopyObject, multipart UploadPartCopy from 5 GiB) into the target
   bucket under the target KMS key. No artifact byte passes through this process.
4. **verify**: size, KMS key and S3-computed SHA-256 of every copy against its source.
5. **register**: everything the target needs in one CreateModelPackage (card re-pointed at the
   copies, each evaluation entry at its own report, metrics at the copied reports, the target's
   lifecycle stage, PendingManualApproval and a PendingReview card, metadata naming source ARN,
   account, environment and version) with a ClientToken derived from source ARN + target.
6. **lineage**: lineage artifacts for source and target model packages, associated source ->
   target. Where a version went is read from here and from the target's ``mlgov-source-arn``.
7. **audit**: the promotion's audit record and event in the target environment.

Every step is "ensure": it checks whether its result already exists first. A promotion record
(``promotions/<token>.json`` in the target bucket) notes the registration before and after it
happens, so a run stopped after any step finishes on the next run with no duplicate and no
orphan, and a second run returns the existing target.

    mlgov promote --env staging --version 1 [--dry-run] [--json]

The steps live in ``gates``, ``lock``, ``copy`` and ``register`` (what they act on and the state
objects in ``plan``); ``job`` runs them in order.
"""

from __future__ import annotations

from .copy import MULTIPART_PART_SIZE, MULTIPART_THRESHOLD, server_side_copy, verify_copy
from .gates import check_gates
from .job import STEPS, build_parser, main, promote, render
from .lock import LOCK_TTL, LOCK_WAIT_SECONDS, PromotionConflict
from .plan import Plan, promotion_token

__all__ = [
    "LOCK_TTL",
    "LOCK_WAIT_SECONDS",
    "MULTIPART_PART_SIZE",
    "MULTIPART_THRESHOLD",
    "STEPS",
    "Plan",
    "PromotionConflict",
    "build_parser",
    "check_gates",
    "main",
    "promote",
    "promotion_token",
    "render",
    "server_side_copy",
    "verify_copy",
]
