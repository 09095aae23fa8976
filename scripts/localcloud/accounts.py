"""Account provisioning: what the one-time bootstrap does in every real account, done in the emulator.

On AWS, each environment's account gets its deploy role (``EnvironmentConfig.deploy_role_name``)
from the bootstrap, trusted by the CI/management principal and allowed to apply the stack. The
emulator does the same inside the server process, directly on moto's account-scoped IAM backends
(before the server accepts requests, so these writes never count against
``INITIAL_NO_AUTH_ACTION_COUNT``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from environments import load_platform

log = logging.getLogger(__name__)

#: moto's default account: plain ``test`` credentials act here. It plays the management/CI account.
MANAGEMENT_ACCOUNT_ID = "123456789012"
#: IAM user in the management account whose keys sign requests when IAM is enforced.
ADMIN_USER = "localcloud-admin"

ADMIN_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def trust_policy(principal_account: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{principal_account}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


@dataclass(frozen=True)
class AdminCredentials:
    """Long-lived keys of the management account's admin user (used when IAM is enforced)."""

    access_key_id: str
    secret_access_key: str


#: The role AWS Organizations creates in every member account it creates, trusted by the
#: management account and holding AdministratorAccess: what `mlgov deploy bootstrap` acts
#: through before the bootstrap's own deploy role exists.
ORGANIZATION_ACCESS_ROLE = "OrganizationAccountAccessRole"


def _admin_role(account_id: str, name: str, description: str) -> str:
    """An administrator role in ``account_id`` trusted by the management account (idempotent)."""
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends

    iam = iam_backends[account_id]["global"]
    try:
        role = iam.get_role(name)
    except NotFoundException:
        role = iam.create_role(
            role_name=name,
            assume_role_policy_document=trust_policy(MANAGEMENT_ACCOUNT_ID),
            path="/",
            permissions_boundary=None,
            description=description,
            tags=[],
            max_session_duration="3600",
        )
    iam.put_role_policy(name, "administrator", ADMIN_POLICY)
    return str(role.arn)


def provision_deploy_roles(environments_dir: Path | None = None) -> dict[str, str]:
    """Create each environment's deploy role in its account (and the organization access role
    every member account has); returns env name -> deploy role ARN."""
    platform = load_platform(environments_dir)
    created: dict[str, str] = {}
    for env in platform.environments.values():
        _admin_role(env.account_id, ORGANIZATION_ACCESS_ROLE, "Created by AWS Organizations (local cloud)")
        created[env.name] = _admin_role(
            env.account_id,
            env.deploy_role_name,
            f"Deploy role of {env.name} (created by the local cloud's bootstrap)",
        )
        log.info("deploy role %s in account %s", created[env.name], env.account_id)
    return created


def provision_admin_user() -> AdminCredentials:
    """An admin IAM user in the management account with one access key."""
    from moto.iam.models import iam_backends

    iam = iam_backends[MANAGEMENT_ACCOUNT_ID]["global"]
    if ADMIN_USER not in iam.users:
        iam.create_user(region_name="us-east-1", user_name=ADMIN_USER)
        iam.put_user_policy(ADMIN_USER, "administrator", ADMIN_POLICY)
    key = iam.create_access_key(ADMIN_USER)
    return AdminCredentials(key.access_key_id, key.secret_access_key)
