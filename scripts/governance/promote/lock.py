"""The promotion lock: one S3 object per promotion, created with ``If-None-Match: *``, so concurrent
runs of the same promotion serialize; a lock older than :data:`LOCK_TTL` belongs to a dead run."""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

from scripts.aws import kit_errors

from ..context import EnvContext
from ..errors import GovernanceError
from .plan import STATE_PREFIX, Plan, delete_object, read_json

logger = logging.getLogger(__name__)

#: A lock older than this is taken to belong to a run that died.
LOCK_TTL = timedelta(minutes=15)
#: Pause between creating the lock and reading it back.
LOCK_SETTLE_SECONDS = 0.05
#: How long a run waits for a concurrent run of the same promotion before giving up.
LOCK_WAIT_SECONDS = 300.0
#: Pause between two attempts to take a held lock.
LOCK_POLL_SECONDS = 0.2


class PromotionConflict(GovernanceError):
    """Another run of the same promotion holds the lock longer than we are willing to wait."""


def lock_key(token: str) -> str:
    return f"{STATE_PREFIX}{token}.lock"


def acquire_lock(ctx: EnvContext, plan: Plan, wait_seconds: float) -> str:
    """Create the lock object and return its owner id. While another run holds it, wait (the
    steps after it then find that run's work done); take over a lock older than LOCK_TTL."""
    s3 = ctx.client("s3")
    key = lock_key(plan.token)
    owner = uuid.uuid4().hex
    deadline = time.monotonic() + wait_seconds
    body = json.dumps({"owner": owner, "started": datetime.now(UTC).isoformat(), "source": plan.source_arn})
    waited = False
    while True:
        with kit_errors(ctx.role_arn, allow=("PreconditionFailed", "ConditionalRequestConflict")):
            s3.put_object(
                Bucket=plan.target_bucket,
                Key=key,
                Body=body.encode(),
                IfNoneMatch="*",
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=plan.target_key_arn,
            )
            # Confirm after a moment: S3's conditional put is atomic, but a store that checks
            # and writes in two moves (some emulators) can let two writers through; the read
            # back tells the later writer's run it lost.
            time.sleep(LOCK_SETTLE_SECONDS)
            held = read_json(ctx, plan.target_bucket, key)
            if held is not None and held.get("owner") == owner:
                return owner
            logger.info("lost the promotion lock of %s to a concurrent run", plan.source_arn)
        held = read_json(ctx, plan.target_bucket, key)
        if held is not None and held.get("owner") != owner:
            try:
                age = datetime.now(UTC) - datetime.fromisoformat(held.get("started", ""))
            except ValueError:
                age = LOCK_TTL * 2
            if age > LOCK_TTL:
                logger.warning("lock of promotion %s is stale (%s old); taking it over", plan.token, age)
                delete_object(ctx, plan.target_bucket, key)
                continue
        if not waited:
            logger.info("another run is promoting %s; waiting for it", plan.source_arn)
            waited = True
        if time.monotonic() > deadline:
            raise PromotionConflict(
                f"another run has held the promotion lock s3://{plan.target_bucket}/{key} for more "
                f"than {wait_seconds:.0f}s; rerun later (a lock older than {LOCK_TTL} is taken over)"
            )
        time.sleep(LOCK_POLL_SECONDS)


def release_lock(ctx: EnvContext, plan: Plan, owner: str) -> None:
    """Delete the lock if it is still ours (a run that took it over as stale owns it now)."""
    held = read_json(ctx, plan.target_bucket, lock_key(plan.token))
    if held is not None and held.get("owner") == owner:
        delete_object(ctx, plan.target_bucket, lock_key(plan.token))
