"""The promotion lock: one S3 object per promotion, with an owner and a heartbeat, so concurrent
runs of the same promotion serialize and a run that died does not block the next one.

The protocol (``promotions/<token>.lock`` in the target bucket):

- **take**: PutObject with ``If-None-Match: *``; the body names the owner: a run id, who (the
  caller's ARN), the host, the process id and when it started. S3's conditional write is atomic;
  the lock is read back after a moment anyway, for stores that check and write in two moves.
- **heartbeat**: while the run holds the lock, a thread rewrites it every
  :data:`LOCK_HEARTBEAT_SECONDS` with ``If-Match: <its ETag>``, so the object's LastModified
  (S3's clock, not the writers') says when its owner last showed life. A heartbeat answered 412
  means another run took the lock over (this run was presumed dead); the run stops before its
  next step.
- **liveness** (:func:`liveness`): the owner is dead when it ran on this host and its process is
  gone, or when the lock's last heartbeat is older than :data:`LOCK_TTL`; otherwise it is alive.
- **take over**: a run that finds the lock held by a dead owner deletes it with ``If-Match:
  <that lock's ETag>`` (so two waiting runs cannot delete each other's new lock), records it in the
  audit trail and takes the lock; a live owner is waited for, up to ``--lock-wait``.
- **release**: the owner stops its heartbeat and deletes the lock with ``If-Match`` (a lock taken
  over is no longer its to delete). ``mlgov promote --release-lock`` releases a dead owner's lock
  without promoting, audited, and refuses while the owner is alive.

A run killed on this machine is taken over (or released) at once: its process is gone. A run
killed elsewhere is taken over once its heartbeat is :data:`LOCK_TTL` old.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from scripts.aws import error_code, kit_errors

from .. import audit
from ..context import EnvContext
from ..errors import GovernanceError
from ..versions import version_number
from .plan import STATE_PREFIX, Plan

logger = logging.getLogger(__name__)

#: How often the owner of a lock shows it is alive.
LOCK_HEARTBEAT_SECONDS = 5.0
#: A lock whose last heartbeat is older than this belongs to a run that died.
LOCK_TTL = timedelta(seconds=30)
#: Pause between creating the lock and reading it back.
LOCK_SETTLE_SECONDS = 0.05
#: How long a run waits for a live concurrent run of the same promotion before giving up.
LOCK_WAIT_SECONDS = 300.0
#: Pause between two attempts to take a held lock.
LOCK_POLL_SECONDS = 0.25
#: What S3 answers a conditional request whose condition fails, or that races another one.
CONDITION_FAILED = ("PreconditionFailed", "412", "ConditionalRequestConflict")
#: A key that is not there (a lock released meanwhile).
MISSING = ("NoSuchKey", "404", "NotFound")


class PromotionConflict(GovernanceError):
    """Another run of the same promotion holds the lock, or took it over from this run."""


def lock_key(token: str) -> str:
    return f"{STATE_PREFIX}{token}.lock"


def _now() -> datetime:
    return datetime.now(UTC)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host is running (a zombie, killed but not reaped, is not)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user's process
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): kill(0) is all there is
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


@dataclass(frozen=True)
class Holder:
    """The lock as it is: who holds it, from where, and when it last showed life."""

    owner: str
    who: str
    host: str
    pid: int
    started: str
    last_heartbeat: datetime
    """The lock object's LastModified: S3's time of the owner's last write."""
    etag: str

    @classmethod
    def of(cls, body: dict[str, Any], last_modified: datetime, etag: str) -> Holder:
        try:
            pid = int(body.get("pid") or 0)
        except (TypeError, ValueError):
            pid = 0
        return cls(
            owner=str(body.get("owner") or ""),
            who=str(body.get("who") or "unknown"),
            host=str(body.get("host") or ""),
            pid=pid,
            started=str(body.get("started") or ""),
            last_heartbeat=last_modified,
            etag=etag,
        )

    def describe(self, now: datetime) -> str:
        age = max(0.0, (now - self.last_heartbeat).total_seconds())
        return (
            f"held by {self.who} on host {self.host or '?'} (pid {self.pid or '?'}) since "
            f"{self.started or '?'}, last heartbeat {age:.0f} s ago"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "who": self.who,
            "host": self.host,
            "pid": self.pid,
            "started": self.started,
            "last_heartbeat": self.last_heartbeat.isoformat(),
        }


def liveness(
    holder: Holder,
    now: datetime,
    *,
    host: str,
    alive: Callable[[int], bool] = process_alive,
    ttl: timedelta = LOCK_TTL,
) -> tuple[bool, str]:
    """Whether ``holder`` is alive, and why the kit thinks so. Dead: it ran on ``host`` (this
    machine) and its process is gone, or its last heartbeat is older than ``ttl``."""
    age = now - holder.last_heartbeat
    if holder.host == host and holder.pid > 0 and not alive(holder.pid):
        return False, f"its process {holder.pid} on this host ({host}) is gone"
    if age > ttl:
        return False, f"no heartbeat for {age.total_seconds():.0f} s (more than {ttl.total_seconds():.0f} s)"
    if holder.host == host:
        return True, f"its process {holder.pid} on this host is running"
    return (
        True,
        f"its last heartbeat is {max(0.0, age.total_seconds()):.0f} s old, within {ttl.total_seconds():.0f} s",
    )


def read_holder(ctx: EnvContext, plan: Plan) -> Holder | None:
    """The lock of ``plan``'s promotion, or None when nobody holds it."""
    with kit_errors(ctx.role_arn, allow=MISSING):
        resp = ctx.client("s3").get_object(Bucket=plan.target_bucket, Key=lock_key(plan.token))
        try:
            body = json.loads(resp["Body"].read())
        except ValueError:
            body = {}
        return Holder.of(body if isinstance(body, dict) else {}, resp["LastModified"], resp["ETag"])
    return None


def _delete(ctx: EnvContext, plan: Plan, etag: str) -> bool:
    """Delete the lock if it is still the object ``etag`` names; False when it is not."""
    with kit_errors(ctx.role_arn, allow=(*CONDITION_FAILED, *MISSING)):
        ctx.client("s3").delete_object(Bucket=plan.target_bucket, Key=lock_key(plan.token), IfMatch=etag)
        return True
    return False


def _audit(ctx: EnvContext, plan: Plan, action: str, held: Holder, why: str) -> dict[str, Any]:
    """An audit record of a released or taken-over lock, beside the source version's refusals."""
    version = version_number(plan.source_arn)
    return audit.record(
        ctx,
        action=action,
        model_package_arn=plan.source_arn,
        group=plan.target_group,
        version=version,
        reason=f"promotion lock of {plan.source_arn} into {plan.target_env}: its owner is dead ({why})",
        before={"lock": held.to_dict()},
        after={"lock": None},
        extra={"token": plan.token, "key": f"s3://{plan.target_bucket}/{lock_key(plan.token)}"},
        prefix=audit.upstream_prefix(ctx, plan.target_group, plan.source_env, version),
    )


class Lease:
    """A lock this run holds: its heartbeat thread, and whether another run took it over."""

    def __init__(self, ctx: EnvContext, plan: Plan, owner: str, body: dict[str, Any], etag: str) -> None:
        self.ctx, self.plan, self.owner = ctx, plan, owner
        self._body, self._etag = body, etag
        self._stop = threading.Event()
        self.lost = False
        self._thread = threading.Thread(target=self._beat, name=f"promotion-lock-{owner[:8]}", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        s3 = self.ctx.client("s3")
        while not self._stop.wait(LOCK_HEARTBEAT_SECONDS):
            body = {**self._body, "heartbeat": _now().isoformat()}
            try:
                resp = s3.put_object(
                    Bucket=self.plan.target_bucket,
                    Key=lock_key(self.plan.token),
                    Body=json.dumps(body).encode(),
                    IfMatch=self._etag,
                    ServerSideEncryption="aws:kms",
                    SSEKMSKeyId=self.plan.target_key_arn,
                )
            except ClientError as err:
                if error_code(err) in (*CONDITION_FAILED, *MISSING):
                    logger.warning(
                        "the promotion lock of %s was taken over by another run", self.plan.source_arn
                    )
                    self.lost = True
                    return
                logger.warning("heartbeat of the promotion lock failed (%s); trying again", error_code(err))
                continue
            except BotoCoreError as err:  # a network error: the next beat tries again
                logger.warning("heartbeat of the promotion lock failed (%s); trying again", err)
                continue
            self._etag = resp["ETag"]

    def check(self) -> None:
        """Raise :class:`PromotionConflict` when another run took the lock over."""
        if self.lost:
            raise PromotionConflict(
                f"the promotion lock s3://{self.plan.target_bucket}/{lock_key(self.plan.token)} was taken "
                f"over by another run (no heartbeat from this one for {LOCK_TTL.total_seconds():.0f} s); "
                "this run stopped before its next step: rerun to resume"
            )

    def release(self) -> None:
        """Stop the heartbeat and delete the lock if it is still ours."""
        self._stop.set()
        self._thread.join()
        if not self.lost:
            _delete(self.ctx, self.plan, self._etag)


def acquire_lock(ctx: EnvContext, plan: Plan, wait_seconds: float) -> Lease:
    """Take the lock and start its heartbeat. While a live run holds it, wait (the steps after it
    then find that run's work done); a dead owner's lock is taken over, audited."""
    s3 = ctx.client("s3")
    key = lock_key(plan.token)
    owner = uuid.uuid4().hex
    host = socket.gethostname()
    deadline = time.monotonic() + wait_seconds
    body = {
        "owner": owner,
        "who": ctx.caller_arn(),
        "host": host,
        "pid": os.getpid(),
        "started": _now().isoformat(),
        "source": plan.source_arn,
        "heartbeat_seconds": LOCK_HEARTBEAT_SECONDS,
        "ttl_seconds": LOCK_TTL.total_seconds(),
    }
    waited = False
    while True:
        with kit_errors(ctx.role_arn, allow=CONDITION_FAILED):
            s3.put_object(
                Bucket=plan.target_bucket,
                Key=key,
                Body=json.dumps(body).encode(),
                IfNoneMatch="*",
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=plan.target_key_arn,
            )
            # Confirm after a moment: S3's conditional put is atomic, but a store that checks
            # and writes in two moves (some emulators) can let two writers through; the read
            # back tells the later writer's run it lost.
            time.sleep(LOCK_SETTLE_SECONDS)
            held = read_holder(ctx, plan)
            if held is not None and held.owner == owner:
                return Lease(ctx, plan, owner, body, held.etag)
            logger.info("lost the promotion lock of %s to a concurrent run", plan.source_arn)
        held = read_holder(ctx, plan)
        if held is not None and held.owner != owner:
            alive, why = liveness(held, _now(), host=host)
            if not alive:
                logger.warning(
                    "promotion lock of %s: its owner is dead (%s); taking it over", plan.token, why
                )
                if _delete(ctx, plan, held.etag):
                    _audit(ctx, plan, "take-over-lock", held, why)
                continue
            if not waited:
                logger.info(
                    "another run is promoting %s (%s); waiting for it", plan.source_arn, held.describe(_now())
                )
                waited = True
            if time.monotonic() > deadline:
                raise PromotionConflict(
                    f"the promotion lock s3://{plan.target_bucket}/{key} is {held.describe(_now())}: "
                    f"that run is alive ({why}); waited {wait_seconds:.0f} s. Wait for it, or stop it: "
                    f"a stopped run's lock is taken over by the next run (at once on the same host, "
                    f"else once its heartbeat is {LOCK_TTL.total_seconds():.0f} s old)"
                )
        time.sleep(LOCK_POLL_SECONDS)


def release_dead_lock(ctx: EnvContext, plan: Plan) -> dict[str, Any]:
    """``mlgov promote --release-lock``: delete the promotion's lock if its owner is dead
    (audited), refuse while it is alive; nothing to do when there is no lock."""
    held = read_holder(ctx, plan)
    result: dict[str, Any] = {
        "release_lock": True,
        "source_arn": plan.source_arn,
        "target_env": plan.target_env,
        "lock": f"s3://{plan.target_bucket}/{lock_key(plan.token)}",
    }
    if held is None:
        return {**result, "released": False, "holder": None, "why": "no run holds the lock"}
    now = _now()
    alive, why = liveness(held, now, host=socket.gethostname())
    if alive:
        raise PromotionConflict(
            f"the promotion lock {result['lock']} is {held.describe(now)}: its owner is alive ({why}), "
            "so it is not released. Wait for that run to finish, or stop it and run this again (a run "
            f"stopped elsewhere counts as dead once its heartbeat is {LOCK_TTL.total_seconds():.0f} s old)"
        )
    if not _delete(ctx, plan, held.etag):
        return {
            **result,
            "released": False,
            "holder": held.to_dict(),
            "why": "the lock changed meanwhile: look again",
        }
    rec = _audit(ctx, plan, "release-lock", held, why)
    return {**result, "released": True, "holder": held.to_dict(), "why": why, "audit_key": rec["key"]}
