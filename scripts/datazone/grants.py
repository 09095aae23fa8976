"""The kit's grant for an approved subscription: DataZone manages no access for S3 assets, so on
approval the data-grant role puts an inline policy ``<prefix>-datazone-<subscription id>`` on each
grantee role (``environments.naming.DATA_GRANTEE_ROLES``: the SageMaker execution role, for jobs
and Studio, and the pipeline execution role, which runs the use cases' pipelines) allowing read
of exactly the dataset's prefix; on revocation it deletes the policy. Both are audited like every governance change: one JSON record in the artifact
bucket under ``audit/datazone/subscriptions/<subscription id>/`` and one event on the default bus
(source ``Names.audit_event_source``), written by the data-grant role itself.

Triggered by ``mlgov data approve-subscription`` and ``mlgov data revoke`` (the data owner's
decision, then the grant in the same command; a rerun completes a grant that failed halfway).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from environments.naming import DATA_GRANTEE_ROLES
from scripts.aws import assume_role, kit_errors
from scripts.governance.context import EnvContext

from .catalog import role_context

logger = logging.getLogger(__name__)

DETAIL_TYPE = "Data Access Change"


def policy_name(ctx: EnvContext, subscription_id: str) -> str:
    return f"{ctx.names.data_grant_policy_prefix}{subscription_id}"


def read_policy(bucket: str, prefix: str) -> dict[str, Any]:
    """Read of exactly ``prefix`` (ends with ``/``) of ``bucket``: its objects and its listing."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadSubscribedDataset",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": [f"arn:aws:s3:::{bucket}/{prefix}*"],
            },
            {
                "Sid": "ListSubscribedDataset",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}"],
                "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}},
            },
        ],
    }


def granter(engineer: EnvContext) -> EnvContext:
    """The data-grant role, assumed from the data engineer's session (its only trusted
    principal)."""
    ctx = role_context(engineer.platform, engineer.env, "data_grant", job=engineer.job, source=None)
    ctx.session = assume_role(
        ctx.role_arn,
        source=engineer._session(),
        purpose=engineer.job,
        region=engineer.env.region,
        where=f"for the data grant in environment {engineer.env.name!r}",
    )
    return ctx


def grant(ctx: EnvContext, *, subscription_id: str, bucket: str, prefix: str) -> list[str]:
    """Put the read policy on every grantee role (idempotent: PutRolePolicy replaces)."""
    name, document = policy_name(ctx, subscription_id), json.dumps(read_policy(bucket, prefix))
    granted = []
    iam = ctx.client("iam")
    with kit_errors(ctx.role_arn):
        for key in DATA_GRANTEE_ROLES:
            role = ctx.names.role_name(key)
            iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=document)
            granted.append(role)
    logger.info("granted %s%s to %s (%s)", bucket, f"/{prefix}", ", ".join(granted), name)
    return granted


def revoke(ctx: EnvContext, *, subscription_id: str) -> list[str]:
    """Delete the policy from every grantee role; a role without it is skipped (idempotent)."""
    name = policy_name(ctx, subscription_id)
    removed = []
    iam = ctx.client("iam")
    for key in DATA_GRANTEE_ROLES:
        role = ctx.names.role_name(key)
        with kit_errors(ctx.role_arn, allow=("NoSuchEntity",)):
            iam.delete_role_policy(RoleName=role, PolicyName=name)
            removed.append(role)
    return removed


def granted_roles(ctx: EnvContext, subscription_id: str) -> list[str]:
    """The grantee roles that carry the subscription's policy now."""
    name = policy_name(ctx, subscription_id)
    iam = ctx.client("iam")
    found = []
    with kit_errors(ctx.role_arn):
        for key in DATA_GRANTEE_ROLES:
            role = ctx.names.role_name(key)
            names = [
                n
                for page in iam.get_paginator("list_role_policies").paginate(RoleName=role)
                for n in page["PolicyNames"]
            ]
            if name in names:
                found.append(role)
    return found


def record(
    ctx: EnvContext,
    *,
    action: str,
    subscription_id: str,
    reason: str,
    details: Mapping[str, Any],
) -> dict[str, Any]:
    """The audit record of a data-access change and its event (the shape of
    :func:`scripts.governance.audit.record`, keyed by subscription)."""
    now = datetime.now(UTC)
    key = (
        f"{ctx.names.audit_prefix}datazone/subscriptions/{subscription_id}/"
        f"{now.strftime('%Y%m%dT%H%M%S%fZ')}_{action}_{uuid.uuid4().hex[:8]}.json"
    )
    rec = {
        "who": ctx.caller_arn(),
        "when": now.isoformat(),
        "what": {"action": action, "subscription_id": subscription_id},
        "why": reason,
        "details": dict(details),
        "environment": ctx.env.name,
        "account": ctx.env.account_id,
        "role": ctx.role_arn,
        "key": key,
    }
    body = json.dumps(rec, sort_keys=True, default=str)
    with kit_errors(ctx.role_arn):
        ctx.client("s3").put_object(
            Bucket=ctx.artifact_bucket,
            Key=key,
            Body=body.encode(),
            ContentType="application/json",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=ctx.kms_key_arn,
        )
        ctx.client("events").put_events(
            Entries=[{"Source": ctx.names.audit_event_source, "DetailType": DETAIL_TYPE, "Detail": body}]
        )
    logger.info("audit: %s subscription %s by %s (%s)", action, subscription_id, rec["who"], key)
    return rec
