"""S3 server access logging accepted with the bucket policy AWS documents.

moto's PutBucketLogging permission check compares a policy statement's ``Resource`` (and
``Principal.Service``) as single strings, so the documented policy written with lists
(``"Resource": ["arn:aws:s3:::logs/prefix/*"]``, as the stacks emit) is refused with
InvalidTargetBucketForLogging. This replaces that check with one that reads strings or lists and
matches the resource the way IAM does (wildcards), still requiring an Allow of s3:PutObject to
``logging.s3.amazonaws.com`` covering the target prefix when the target bucket has ACLs enabled.
A target with ACLs disabled (BucketOwnerEnforced, the default for new buckets) is accepted as
AWS does: nothing is checked at configuration time, delivery is governed by the bucket policy.

GetBucketNotificationConfiguration also returns ``EventBridgeConfiguration`` when EventBridge
delivery is on (moto stored it but left it out of the response, so Terraform's
``aws_s3_bucket_notification.eventbridge`` drifted to false on every plan).

Operations (botocore names): PutBucketLogging, GetBucketNotificationConfiguration.

:func:`register` replaces two methods on moto's classes, which a type checker refuses
(``type: ignore[method-assign]``).
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from moto.core.responses import ActionResult
from moto.s3.models import FakeBucket
from moto.s3.responses import S3Response

from .core.utils import as_list

LOGGING_SERVICE = "logging.s3.amazonaws.com"


def _acls_disabled(bucket: FakeBucket) -> bool:
    rule = bucket.ownership_rule
    if isinstance(rule, dict):
        rule = rule.get("ObjectOwnership")
    # New buckets default to BucketOwnerEnforced (ACLs disabled) on AWS since April 2023.
    return rule in (None, "BucketOwnerEnforced")


def log_delivery_allowed_by_policy(target_bucket: FakeBucket, target_prefix: str | None) -> bool:
    if _acls_disabled(target_bucket):
        # With ACLs disabled AWS checks no log-delivery grant when logging is configured: the
        # bucket policy is the only way to grant it and is evaluated at delivery time.
        return True
    if not target_bucket.policy:
        return False
    document = json.loads(
        target_bucket.policy.decode() if isinstance(target_bucket.policy, bytes) else target_bucket.policy
    )
    sample_key = f"arn:{target_bucket.partition}:s3:::{target_bucket.name}/{target_prefix or ''}log-object"
    for statement in as_list(document.get("Statement")):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal") or {}
        services = as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if LOGGING_SERVICE not in services:
            continue
        actions = as_list(statement.get("Action"))
        if not any(fnmatch.fnmatchcase("s3:PutObject", a) for a in actions):
            continue
        if any(fnmatch.fnmatchcase(sample_key, r) for r in as_list(statement.get("Resource"))):
            return True
    return False


_original_get_bucket_notification = S3Response.get_bucket_notification


def get_bucket_notification(self: S3Response) -> Any:
    """GetBucketNotificationConfiguration including EventBridgeConfiguration."""
    configuration = self.backend.get_bucket_notification_configuration(self.bucket_name)
    if configuration is None or configuration.event_bridge is None:
        return _original_get_bucket_notification(self)

    def build(item: Any, arn_key: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"Id": item.id, arn_key: item.arn, "Events": item.events}
        if item.filters:
            entry["Filter"] = {"Key": {"FilterRules": item.filters["S3Key"]["FilterRule"]}}
        return entry

    result = {
        "TopicConfigurations": [build(t, "TopicArn") for t in configuration.topic],
        "QueueConfigurations": [build(q, "QueueArn") for q in configuration.queue],
        "LambdaFunctionConfigurations": [build(f, "LambdaFunctionArn") for f in configuration.cloud_function],
        "EventBridgeConfiguration": {},
    }
    self.data["Action"] = "GetBucketNotificationConfiguration"
    return self.serialized(ActionResult(result))


def register() -> None:
    """Install the S3 fixes (idempotent)."""
    FakeBucket._log_permissions_enabled_policy = staticmethod(log_delivery_allowed_by_policy)  # type: ignore[method-assign]
    S3Response.get_bucket_notification = get_bucket_notification  # type: ignore[method-assign]
