"""Model package group resource policies, as SageMaker evaluates them for cross-account calls.

A downstream promotion role reads and annotates the upstream account's model versions by ARN;
AWS serves those calls from the resource's account and allows them only when the model package
group's resource policy (PutModelPackageGroupPolicy) grants the caller. With IAM enforced, the
emulator does the same: an explicit Deny wins, else an Allow naming the caller (its role ARN, its
account, the account root, or ``*``), the action and the resource is needed.

Ours rather than moto's ``IAMPolicyStatement``: moto compares no account principals and lets a
statement without ``Resource`` allow everything (it is written for trust and identity policies).
A statement with a ``Condition`` does not apply: the emulator has no request context for it, and
AWS treats a condition on an absent key as not met.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from ..core.bindings import present
from ..core.errors import JsonAuthError
from ..core.utils import as_list


def _principal_matches(principal: Any, caller: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    caller_account = caller.split(":")[4]
    return any(
        entry in ("*", caller, caller_account, f"arn:aws:iam::{caller_account}:root")
        for entry in as_list(principal.get("AWS"))
    )


def resource_policy_allows(document: dict[str, Any], caller: str, action: str, resource: str) -> bool:
    """IAM evaluation of a resource policy for one request: an explicit Deny wins, else an Allow
    is needed. Statements with a Condition are skipped (see the module docstring)."""
    allowed = False
    for statement in as_list(document.get("Statement")):
        if statement.get("Condition"):
            continue
        if not _principal_matches(statement.get("Principal"), caller):
            continue
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in as_list(statement.get("Action"))):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in as_list(statement.get("Resource"))):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def group_name(arn: str) -> str:
    """The model package group an ARN belongs to (``model-package/<group>/<version>`` or
    ``model-package-group/<group>``); empty for any other resource."""
    resource = arn.split(":", 5)[5]
    return resource.split("/")[1] if "/" in resource else ""


def authorize_cross_account(policy: str | None, caller: str, operation: str, arn: str) -> None:
    """AccessDeniedException unless the group's resource policy ``policy`` allows ``caller``."""
    action = f"sagemaker:{operation}"
    # As SageMaker evaluates it: a role recreated since the policy was written is not matched.
    if policy is None or not resource_policy_allows(json.loads(present(policy)), caller, action, arn):
        raise JsonAuthError(
            "AccessDeniedException",
            f"User: {caller} is not authorized to perform: {action} on resource: {arn} "
            "because no resource-based policy allows the action",
            400,
        )
