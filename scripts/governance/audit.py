"""Audit records: who changed what, when and why, with the state before and after.

Every governance change writes one JSON record into the environment's artifact bucket under
``Names.audit_prefix`` (SSE-KMS under the environment's key) and puts one EventBridge event on
the default bus with ``Source = Names.audit_event_source``; the stack's rule delivers it to the
governance log group. ``who`` is the role session that made the change, ``person`` the person it
acted for (the session's ``sts:SourceIdentity``, issue 20: a role is not a reviewer).

Keys sort by time within a version and carry the action, so the report finds the last entry of
every version from one paginated listing, without reading a record per version (it reads the
records of a version only for the HTML page's history, :func:`history`)::

    audit/<group>/v000003/20261128T203501123456Z_approve_1f2e3d4c.json

What a promotion records about a version of the UPSTREAM environment (a refused promotion, a
promotion lock released or taken over) is written in the target environment, where the promotion
role acts, beside that version's own number (:func:`upstream_prefix`)::

    audit/<group>/upstream/<source env>/v000002/20261128T203501123456Z_promote-refused_1f2e3d4c.json
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scripts.aws import kit_errors

from .context import EnvContext, paginate

logger = logging.getLogger(__name__)

DETAIL_TYPE = "Model Governance Change"


def version_prefix(ctx: EnvContext, group: str, version: int) -> str:
    return f"{ctx.names.audit_prefix}{group}/v{version:06d}/"


#: The folder of a group's audit prefix holding records about versions of upstream environments.
UPSTREAM = "upstream"


def upstream_prefix(ctx: EnvContext, group: str, source_env: str, version: int) -> str:
    """Where this environment records what happened to ``version`` of ``source_env`` (upstream)
    when promoted into it: a refusal, a lock released (the version itself lives upstream)."""
    return f"{ctx.names.audit_prefix}{group}/{UPSTREAM}/{source_env}/v{version:06d}/"


@dataclass(frozen=True)
class AuditKey:
    """What a record's key says without reading it."""

    key: str
    group: str
    version: int
    when: str
    action: str

    source_env: str | None = None
    """For a record about an upstream version (:func:`upstream_prefix`): that environment."""

    @classmethod
    def parse(cls, audit_prefix: str, key: str) -> AuditKey | None:
        rest = key[len(audit_prefix) :] if key.startswith(audit_prefix) else None
        if rest is None:
            return None
        parts = rest.split("/")
        source_env = None
        if len(parts) == 5 and parts[1] == UPSTREAM:
            source_env = parts[2]
            parts = [parts[0], parts[3], parts[4]]
        if len(parts) != 3 or not parts[1].startswith("v"):
            return None
        stem = parts[2].rsplit(".", 1)[0].split("_")
        if len(stem) < 3:
            return None
        try:
            version = int(parts[1][1:])
        except ValueError:
            return None
        return cls(key, parts[0], version, stem[0], "_".join(stem[1:-1]), source_env)


def record(
    ctx: EnvContext,
    *,
    action: str,
    model_package_arn: str,
    group: str,
    version: int,
    reason: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
    token: str | None = None,
    when: datetime | None = None,
    prefix: str | None = None,
) -> dict[str, Any]:
    """Write the audit record and its event; returns the record (with its ``key``).

    ``token`` (and ``when``) make the key deterministic per change: promotion uses them so a
    resumed or concurrent run finds, or overwrites, the one record of that promotion. ``prefix``
    replaces the version's own folder (:func:`upstream_prefix`)."""
    now = when.astimezone(UTC) if when is not None else datetime.now(UTC)
    rid = (token or uuid.uuid4().hex)[:8]
    folder = prefix if prefix is not None else version_prefix(ctx, group, version)
    key = f"{folder}{now.strftime('%Y%m%dT%H%M%S%fZ')}_{action}_{rid}.json"
    rec = {
        "who": ctx.caller_arn(),
        "person": ctx.person(),
        "when": now.isoformat(),
        "recorded": datetime.now(UTC).isoformat(),
        "what": {"action": action, "model_package_arn": model_package_arn},
        "why": reason,
        "before": dict(before),
        "after": dict(after),
        "environment": ctx.env.name,
        "account": ctx.env.account_id,
        "role": ctx.role_arn,
        **({"details": dict(extra)} if extra else {}),
        "key": key,
    }
    body = json.dumps(rec, sort_keys=True, default=str).encode()
    with kit_errors(ctx.role_arn):
        ctx.client("s3").put_object(
            Bucket=ctx.artifact_bucket,
            Key=key,
            Body=body,
            ContentType="application/json",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=ctx.kms_key_arn,
        )
        ctx.client("events").put_events(
            Entries=[
                {
                    "Source": ctx.names.audit_event_source,
                    "DetailType": DETAIL_TYPE,
                    "Detail": json.dumps(rec, sort_keys=True, default=str),
                    "Resources": [model_package_arn],
                }
            ]
        )
    logger.info("audit: %s %s by %s as %s (%s)", action, model_package_arn, rec["person"], rec["who"], key)
    return rec


def list_keys(ctx: EnvContext, prefix: str) -> list[str]:
    """Every key under ``prefix``."""
    with kit_errors(ctx.role_arn):
        return [
            o["Key"]
            for o in paginate(
                ctx.client("s3"), "list_objects_v2", "Contents", Bucket=ctx.artifact_bucket, Prefix=prefix
            )
        ]


def read(ctx: EnvContext, key: str) -> dict[str, Any]:
    with kit_errors(ctx.role_arn):
        body = ctx.client("s3").get_object(Bucket=ctx.artifact_bucket, Key=key)["Body"].read()
    return json.loads(body)


def entries(ctx: EnvContext, group: str) -> dict[int, list[AuditKey]]:
    """Every audit entry of every version of ``group``, oldest first, from one paginated listing
    (keys only: no record is read). Records about upstream versions are :func:`upstream_entries`'."""
    return by_version(k for k in all_entries(ctx, group) if k.source_env is None)


def all_entries(ctx: EnvContext, group: str, *, upstream_only: bool = False) -> list[AuditKey]:
    """Every audit key of ``group`` (with ``upstream_only``, those about upstream versions), from
    one paginated listing; keys only."""
    prefix = f"{ctx.names.audit_prefix}{group}/{UPSTREAM + '/' if upstream_only else ''}"
    parsed = (AuditKey.parse(ctx.names.audit_prefix, key) for key in list_keys(ctx, prefix))
    return [k for k in parsed if k is not None]


def upstream_entries(keys: Iterable[AuditKey]) -> dict[tuple[str, int], list[AuditKey]]:
    """``(source env, version)`` -> the records about that upstream version, oldest first."""
    found: dict[tuple[str, int], list[AuditKey]] = {}
    for k in keys:
        if k.source_env is not None:
            found.setdefault((k.source_env, k.version), []).append(k)
    for listed in found.values():
        listed.sort(key=lambda k: (k.when, k.key))
    return found


def by_version(keys: Iterable[AuditKey]) -> dict[int, list[AuditKey]]:
    """Version -> its own records' keys, oldest first (records about upstream versions left out)."""
    found: dict[int, list[AuditKey]] = {}
    for k in keys:
        if k.source_env is None:
            found.setdefault(k.version, []).append(k)
    for listed in found.values():
        listed.sort(key=lambda k: (k.when, k.key))
    return found


def history(ctx: EnvContext, keys: Sequence[AuditKey]) -> list[dict[str, Any]]:
    """The records behind ``keys`` (one GetObject each), newest last: a version's approval, card
    and stage history as the audit trail recorded it."""
    return [read(ctx, k.key) for k in sorted(keys, key=lambda k: (k.when, k.key))]
