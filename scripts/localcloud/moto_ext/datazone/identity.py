"""Which IAM principal a SigV4 request comes from, as DataZone identifies its users.

DataZone keeps one user profile per IAM principal in a domain (GetUserProfile / CreateUserProfile,
``userType`` ``IAM_ROLE`` or ``IAM_USER``; the profile's ``details.iam.arn`` is the principal's
ARN). A caller with temporary credentials of an assumed role is that role's user, whatever its
session name (DataZone User Guide, "Manage users in the Amazon DataZone data portal": IAM roles
and IAM users are the IAM identities of a domain; ``IAM_ROLE_SESSION`` profiles are an IAM
Identity Center / SageMaker Unified Studio feature the local cloud does not serve). Requests with
keys the local cloud does not know (IAM not enforced, the plain ``test`` keys) come from the
account root.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Caller:
    """The IAM principal behind one request."""

    account: str
    arn: str
    """The role ARN for an assumed-role session, the user ARN, or ``arn:aws:iam::<account>:root``."""
    principal_id: str
    """The role's or user's unique id (``AROA...`` / ``AIDA...``), the account for the root."""
    user_type: str
    """``IAM_ROLE`` or ``IAM_USER`` (the root is reported as an IAM user)."""


def caller_of(response: Any) -> Caller:
    """The principal of the request ``response`` (a moto ``BaseResponse``) is handling."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    account = response.current_account
    for partition_backend in sts_backends[account].values():
        assumed = partition_backend.get_assumed_role_from_access_key(response.access_key)
        if assumed is not None:
            role_id = assumed.user_id.split(":", 1)[0]
            return Caller(
                assumed.account_id, role_arn(assumed.account_id, assumed.role_arn), role_id, "IAM_ROLE"
            )
    for iam in iam_backends[account].values():
        key = iam.access_keys.get(response.access_key)
        if key is not None and key.user_name is not None:
            user = iam.get_user(key.user_name)
            return Caller(account, user.arn, user.id, "IAM_USER")
    return Caller(account, f"arn:aws:iam::{account}:root", account, "IAM_USER")


def role_arn(account: str, arn: str) -> str:
    """The role's ARN with its path, as IAM reports it (AssumeRole may name a role without it)."""
    from moto.iam.models import iam_backends

    name = arn.rsplit("/", 1)[-1]
    for iam in iam_backends[account].values():
        role = next((r for r in iam.roles.values() if r.name == name), None)
        if role is not None:
            return str(role.arn)
    return arn


def principal_of(arn: str) -> tuple[str, str, str] | None:
    """``(account, unique id, user type)`` of the IAM role or user ``arn`` if it exists."""
    from moto.iam.models import iam_backends

    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam":
        return None
    account, resource = parts[4], parts[5]
    kind, _, rest = resource.partition("/")
    name = rest.rsplit("/", 1)[-1]
    for iam in iam_backends[account].values():
        if kind == "role":
            role = next((r for r in iam.roles.values() if r.name == name), None)
            if role is not None:
                return account, str(role.id), "IAM_ROLE"
        if kind == "user" and name in iam.users:
            return account, str(iam.users[name].id), "IAM_USER"
    return None
