"""S3 bucket policies on object requests evaluated with their conditions, as AWS does.

moto 5.2.1 (``S3Response._key_response`` -> ``FakeBucket.get_permission``) evaluates a bucket
policy for every object request without any request context: a statement's conditions then count
as met, so the TLS-only statement every kit bucket carries,

    {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}

denies every PutObject, GetObject and HeadObject (403 Forbidden), which breaks the Terraform S3
backend, promotions and audit records on the emulator.

This replaces ``FakeBucket.get_permission`` with an evaluation that gives each statement the
request context the emulator knows: ``aws:SecureTransport`` is ``true`` (the emulator stands in
for AWS's HTTPS endpoints; its loopback HTTP is the emulator's own transport). As on AWS, a
condition on a key missing from the context is not met (``...IfExists`` operators and ``Null``
excepted), so such a statement does not apply (``conditions.py``). Statement matching (action, resource, wildcard
principal) is moto's own; only the condition step changes. :func:`register` replaces the method
on moto's class, which a type checker refuses (``type: ignore[method-assign]``).
"""

from __future__ import annotations

from typing import Any

from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult
from moto.s3.models import FakeBucket

from .core.bindings import present
from .core.conditions import conditions_met
from .core.utils import as_list

#: What every request to the emulator carries, as far as bucket policy conditions go.
REQUEST_CONTEXT = {"aws:securetransport": "true"}


def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
    """The bucket policy's verdict on ``action`` over ``resource`` for this emulator's requests."""
    if self.policy is None:
        return PermissionResult.NEUTRAL
    policy = present(self.policy)  # a recreated role no longer matches (principals.py)
    document = IAMPolicy(policy.decode() if isinstance(policy, bytes) else policy)._policy_json
    statements = as_list(document["Statement"])
    permitted = False
    for statement in statements:
        if not conditions_met(statement, REQUEST_CONTEXT):
            continue  # the statement does not apply to this request
        unconditional = {k: v for k, v in statement.items() if k != "Condition"}
        verdict = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
        if verdict == PermissionResult.DENIED:
            return verdict
        permitted = permitted or verdict == PermissionResult.PERMITTED
    return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL


def register() -> None:
    """Install the condition-aware bucket policy evaluation (idempotent)."""
    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
