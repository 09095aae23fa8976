"""Account provisioning: what the one-time bootstrap does in every real account, done in the emulator.

On AWS, each environment's account gets its deploy role (``EnvironmentConfig.deploy_role_name``)
from the bootstrap, trusted by the CI/management principal and allowed to apply the stack. The
emulator does the same inside the server process, directly on moto's account-scoped IAM backends
(before the server accepts requests, so these writes never count against
``INITIAL_NO_AUTH_ACTION_COUNT``).

It also creates **the people** the configuration names (:func:`provision_people`): every
principal of ``data_scientists``, ``approvers``, ``promotion_operators``, ``data_engineers`` and
the model deployers (``model_deployers``, else ``approvers``) per environment, and
``ci.admin_principals``, in the account its ARN names, so the trust policies that name them hold
and the demo and the tests act as a person. A role pattern (an IAM Identity Center permission
set's role) becomes one role matching it (each ``*`` the word ``local``). The people sign in from
the management account (the local cloud's identity provider): each role trusts it and may assume
roles carrying a source identity, as a permission set that lets its users into the platform's roles
would; the trust policy of the role they assume decides. One named person per duty acts in every
account (:data:`PEOPLE`); the file :data:`PEOPLE_FILE` tells the jobs which role each signs in to
(``MLGOV_PEOPLE``, ``scripts/governance/context.py``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from environments import load_platform
from environments.fields import concrete_principal

log = logging.getLogger(__name__)

#: moto's default account: plain ``test`` credentials act here. It plays the management/CI account.
MANAGEMENT_ACCOUNT_ID = "123456789012"
#: IAM user in the management account whose keys sign requests when IAM is enforced.
ADMIN_USER = "localcloud-admin"

ADMIN_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def trust_policy(principal_account: str) -> str:
    """The management account may assume the role, carrying a source identity (every session the
    kit assumes carries the person: ``scripts.aws.assume_role``)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{principal_account}:root"},
                    "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
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


#: The people of the local cloud, by the job role they take: who they are (their source identity).
PEOPLE = {
    "data_scientist": "dana@example.com",
    "approver": "avery@example.com",
    "promotion": "omar@example.com",
    "model_deploy": "mona@example.com",
    "data_engineer": "edgar@example.com",
}
#: The configuration field naming who may take each job role.
PEOPLE_FIELDS = {
    "data_scientist": "data_scientists",
    "approver": "approvers",
    "promotion": "promotion_operators",
    "model_deploy": "deployers",
    "data_engineer": "data_engineers",
}
#: A platform engineer named in ``ci.admin_principals`` (break glass into the deploy role).
PLATFORM_ENGINEER = "pat@example.com"
#: The file (in the local cloud's state directory) naming, per account and job role, the role each
#: person signs in to; ``LocalCloud.env()`` points ``MLGOV_PEOPLE`` at it.
PEOPLE_FILE = "people.json"

#: What a person's sign-in role may do itself: assume roles, carrying who they are. Which roles is
#: for those roles' trust policies to say (the kit's name exact principals or patterns).
SIGN_IN_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
                "Resource": "arn:aws:iam::*:role/*",
            }
        ],
    }
)


def stand_in(principal: str) -> str:
    """The concrete principal the local cloud creates for ``principal`` (itself, or a pattern
    made concrete: ``environments.fields.concrete_principal``)."""
    return concrete_principal(principal)


def _create_principal(arn: str) -> None:
    """The IAM role or user ``arn`` in its account (idempotent), signing in from the management
    account with :data:`SIGN_IN_POLICY`."""
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends

    account, resource = arn.split(":")[4], arn.split(":", 5)[5]
    kind, _, path_name = resource.partition("/")
    path, _, name = path_name.rpartition("/")
    path = f"/{path}/" if path else "/"
    iam = iam_backends[account]["global"]
    if kind == "user":
        if name not in iam.users:
            iam.create_user(region_name="us-east-1", user_name=name, path=path)
        iam.put_user_policy(name, "sign-in", SIGN_IN_POLICY)
        return
    try:
        iam.get_role(name)
    except NotFoundException:
        iam.create_role(
            role_name=name,
            assume_role_policy_document=trust_policy(MANAGEMENT_ACCOUNT_ID),
            path=path,
            permissions_boundary=None,
            description="A person's sign-in role (created by the local cloud)",
            tags=[],
            max_session_duration="3600",
        )
    iam.put_role_policy(name, "sign-in", SIGN_IN_POLICY)


def provision_people(environments_dir: Path | None = None) -> dict[str, Any]:
    """Create every principal the configuration names (module docstring) and return the people
    file's content: ``{"accounts": {<account>: {<job role>: {"role_arn", "person"}}}}``, the
    first configured role principal of each job role (an IAM user principal is created but has no
    entry: the jobs enter through roles)."""
    platform = load_platform(environments_dir)
    accounts: dict[str, dict[str, dict[str, str]]] = {}
    for env in platform.environments.values():
        entries = accounts.setdefault(env.account_id, {})
        for role_key, field in PEOPLE_FIELDS.items():
            for principal in getattr(env, field):
                arn = stand_in(principal)
                _create_principal(arn)
                if role_key not in entries and ":role/" in arn:
                    entries[role_key] = {"role_arn": arn, "person": PEOPLE[role_key]}
                    log.info("%s signs in to %s as %s", PEOPLE[role_key], arn, role_key)
    for principal in platform.ci.admin_principals if platform.ci is not None else ():
        _create_principal(stand_in(principal))
    return {"accounts": accounts}
