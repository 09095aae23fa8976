"""AWS-managed IAM policy documents as the local cloud knows them (moto's copy of what AWS
publishes), for an evaluation on documents alone (the access matrix): the same documents
``iam_managed_policies.py`` creates in an account when a call names one."""

from __future__ import annotations

import functools
import json
from typing import Any


@functools.cache
def _catalogue() -> dict[str, dict[str, Any]]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    parsed: dict[str, dict[str, Any]] = json.loads(aws_managed_policies_data)
    return {f"arn:aws:iam::aws:policy{data.get('Path') or '/'}{name}": data for name, data in parsed.items()}


def document(policy_arn: str) -> dict[str, Any] | None:
    """The default version's document of the AWS-managed policy ``policy_arn``; None if moto's
    copy has no such policy."""
    data = _catalogue().get(policy_arn)
    if data is None:
        return None
    body = data.get("Document")
    return json.loads(body) if isinstance(body, str) else body
