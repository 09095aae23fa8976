"""DataZone account association, accepted inside the deploy: the last step of ``apply``.

The home environment's stack shares its DataZone domain through AWS RAM with every other
environment's account (modules/datazone.py). Outside an AWS Organization with RAM sharing
enabled, each of those accounts receives an invitation that stays ``PENDING`` until the account
itself accepts it, and expires after seven days (DataZone User Guide, "Accept an account
association request", https://docs.aws.amazon.com/datazone/latest/userguide/accept-invitation-to-associate.html;
RAM User Guide, "Accepting and rejecting invitations"). So after the environments are applied,
for every associated environment, acting as that environment's deploy role:

1. find the invitations of the kit's share (``Names.datazone_share``) sent by the home account
   (GetResourceShareInvitations, paginated) and accept each ``PENDING`` one;
2. check, from the associated account, that the share is active and the domain is among its
   resources (GetResourceShares / ListResources with ``resourceOwner=OTHER-ACCOUNTS``), waiting
   a little for RAM to propagate;
3. where the home account can be entered too (the runner holds every deploy role), check the
   owner's side: the principal association is ``ASSOCIATED`` (GetResourceShareAssociations).
   An environment applied while the home environment was never deployed (no share yet) is
   skipped: the home's first apply invites it, and that apply's step accepts.

Why a step after the applies and not ``aws_ram_resource_share_accepter`` in the associated
stacks: the accepter needs the share's ARN, which RAM generates when the home stack creates the
share. The runner applies every environment at once, so on a first deploy into empty accounts the share does not exist yet while the
associated stacks apply, and stacks never read another account's state (docs/ARCHITECTURE.md).

Idempotent: a second run finds nothing pending and checks the association again. A failure
raises :class:`AssociationError` naming the environment, its account and the share, with what to
do (an expired or rejected invitation, no invitation at all, or an accept RAM refused).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from environments import EnvironmentConfig, PlatformConfig
from environments.naming import Names
from scripts.errors import KitError

logger = logging.getLogger(__name__)

#: How long to wait for an accepted share to show its resources (RAM propagates in seconds).
DEFAULT_TIMEOUT_S = 120.0
DEFAULT_POLL_S = 5.0

#: Makes a RAM client acting as an environment's deploy role.
RamClientFactory = Callable[[EnvironmentConfig], Any]


class AssociationError(KitError):
    """An associated account could not accept or does not have the domain's share."""

    def __init__(self, env: EnvironmentConfig, share: str, detail: str) -> None:
        self.env, self.share, self.detail = env.name, share, detail
        super().__init__(
            f"DataZone association of environment {env.name!r} (account {env.account_id}) with "
            f"the share {share!r}: {detail}"
        )


@dataclass
class Association:
    """The outcome for one associated environment."""

    env: str
    account_id: str
    share_name: str
    share_arn: str = ""
    domain_arn: str = ""
    accepted: list[str] = field(default_factory=list)
    """Invitation ARNs accepted by this run (empty: nothing was pending)."""
    owner_status: str | None = None
    """The principal association's status seen from the home account, when it was checked."""
    skipped: bool = False
    """Nothing to settle yet: the home environment, not applied in this run, has no share."""

    def note(self) -> str:
        if self.skipped:
            return f"skipped: no {self.share_name} in the home account yet (its apply invites this account)"
        done = f"accepted {len(self.accepted)} invitation(s)" if self.accepted else "nothing to accept"
        status = self.owner_status or "ASSOCIATED (seen from the associated account)"
        return f"{done}; {self.share_name} {status}"


def associated_environments(
    platform: PlatformConfig, applied: list[EnvironmentConfig] | tuple[EnvironmentConfig, ...]
) -> list[EnvironmentConfig]:
    """The environments whose association this run must settle: with the home environment
    applied, every other environment (its share may be new to them all); otherwise the applied
    ones other than the home (their invitation may be waiting from an earlier home apply)."""
    home = platform.datazone_home
    names = {e.name for e in applied}
    others = [e for e in platform.apply_order() if e.account_id != home.account_id]
    if home.name in names:
        return others
    return [e for e in others if e.name in names]


def _pages(client: Any, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key, [])


def _explain(err: Exception) -> str:
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}"
    return str(err)


def accept(
    platform: PlatformConfig,
    env: EnvironmentConfig,
    ram: Any,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    poll_s: float = DEFAULT_POLL_S,
    sleep: Callable[[float], None] = time.sleep,
) -> Association:
    """Accept the pending invitations of the home domain's share in ``env``'s account (``ram``:
    a RAM client acting in that account) and check the account has the share and the domain."""
    home = platform.datazone_home
    share_name = Names.of(platform, home).datazone_share
    result = Association(env.name, env.account_id, share_name)
    try:
        invitations = [
            i
            for i in _pages(ram, "get_resource_share_invitations", "resourceShareInvitations")
            if i.get("senderAccountId") == home.account_id and i.get("resourceShareName") == share_name
        ]
        for invitation in invitations:
            if invitation.get("status") != "PENDING":
                continue
            arn = invitation["resourceShareInvitationArn"]
            ram.accept_resource_share_invitation(resourceShareInvitationArn=arn)
            result.accepted.append(arn)
            logger.info("%s: accepted %s (%s)", env.name, arn, share_name)
        # Only a share accepted now may need RAM a few seconds to show its resources.
        deadline = time.monotonic() + (timeout_s if result.accepted else 0.0)
        while True:
            found = _shared_domain(ram, home, share_name)
            if found is not None:
                result.share_arn, result.domain_arn = found
                return result
            if time.monotonic() >= deadline:
                break
            sleep(poll_s)
    except (ClientError, BotoCoreError) as err:
        raise AssociationError(
            env, share_name, f"RAM refused the call as {env.deploy_role_arn}: {_explain(err)}"
        ) from err
    seen = ", ".join(f"{i['resourceShareInvitationArn']} {i.get('status')}" for i in invitations)
    if not invitations:
        why = (
            f"no invitation from the home account {home.account_id} ({home.name}) and no access: "
            f"apply {home.name!r} first (it creates the share and invites this account)"
        )
    elif result.accepted:
        why = f"accepted ({seen}) but the domain did not appear in the share within {timeout_s:.0f}s"
    else:
        why = (
            f"no pending invitation to accept ({seen}): an invitation that expired or was "
            f"rejected is not sent again; in {home.name!r} replace the principal association "
            f"(terraform apply -replace on its aws_ram_principal_association for {env.account_id}) "
            "and run the apply again"
        )
    raise AssociationError(env, share_name, why)


def _shared_domain(ram: Any, home: EnvironmentConfig, share_name: str) -> tuple[str, str] | None:
    """(share ARN, domain ARN) when the home account's share is active for this account and holds
    a DataZone domain; None otherwise."""
    shares = [
        s["resourceShareArn"]
        for s in _pages(
            ram,
            "get_resource_shares",
            "resourceShares",
            resourceOwner="OTHER-ACCOUNTS",
            name=share_name,
            resourceShareStatus="ACTIVE",
        )
        if s.get("owningAccountId") == home.account_id
    ]
    if not shares:
        return None
    for resource in _pages(
        ram, "list_resources", "resources", resourceOwner="OTHER-ACCOUNTS", resourceShareArns=shares
    ):
        if resource.get("type", "").lower() == "datazone:domain":
            return resource["resourceShareArn"], resource["arn"]
    return None


def _owns_share(home_ram: Any, env: EnvironmentConfig, share_name: str) -> bool:
    """Whether the home account holds the active share (read with the home deploy role)."""
    try:
        return any(
            _pages(
                home_ram,
                "get_resource_shares",
                "resourceShares",
                resourceOwner="SELF",
                name=share_name,
                resourceShareStatus="ACTIVE",
            )
        )
    except (ClientError, BotoCoreError) as err:
        raise AssociationError(
            env, share_name, f"cannot read the home account's shares: {_explain(err)}"
        ) from err


def owner_status(home_ram: Any, share_arn: str, account_id: str) -> str | None:
    """The principal association's status of ``account_id`` in the share, read by its owner."""
    for association in _pages(
        home_ram,
        "get_resource_share_associations",
        "resourceShareAssociations",
        associationType="PRINCIPAL",
        resourceShareArns=[share_arn],
        principal=account_id,
    ):
        return str(association.get("status"))
    return None


def settle_one(
    platform: PlatformConfig,
    env: EnvironmentConfig,
    ram_client: RamClientFactory,
    *,
    home_applied: bool,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    poll_s: float = DEFAULT_POLL_S,
    sleep: Callable[[float], None] = time.sleep,
) -> Association:
    """The association of ``env``, seen from both sides. First the share in the home account:
    none while the home environment was not applied in this run means it was never deployed,
    and ``env`` is skipped (its invitation comes with the home's first apply); none after the
    home's apply is an error. Then :func:`accept` in ``env``'s account, and the principal
    association read in the home account must become ``ASSOCIATED``. Raises
    :class:`AssociationError`."""
    home = platform.datazone_home
    share_name = Names.of(platform, home).datazone_share
    home_ram = ram_client(home)
    if not _owns_share(home_ram, env, share_name):
        if home_applied:
            raise AssociationError(
                env, share_name, f"{home.name!r} was applied but its account holds no such share"
            )
        return Association(env.name, env.account_id, share_name, skipped=True)
    result = accept(platform, env, ram_client(env), timeout_s=timeout_s, poll_s=poll_s, sleep=sleep)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            status = owner_status(home_ram, result.share_arn, env.account_id)
        except (ClientError, BotoCoreError) as err:
            raise AssociationError(
                env, share_name, f"cannot read the share in {home.name!r}: {_explain(err)}"
            ) from err
        if status == "ASSOCIATED" or time.monotonic() >= deadline:
            break
        sleep(poll_s)
    result.owner_status = status
    if status != "ASSOCIATED":
        raise AssociationError(
            env,
            share_name,
            f"accepted, but {home.name!r} sees the principal association as {status} "
            f"(expected ASSOCIATED) in {result.share_arn}",
        )
    return result


def deploy_role_ram(env: EnvironmentConfig, environ: dict[str, str | None]) -> Any:
    """A RAM client acting as ``env``'s deploy role, from the process environment Terraform gets
    for that environment (``Target.environment``: the emulator's endpoint and keys on the local
    target; the normal credential chain on AWS, as the provider's ``assume_role``)."""
    from scripts.aws import assume_role, client, new_session

    endpoint = environ.get("AWS_ENDPOINT_URL") or None
    # The target removes AWS_ENDPOINT_URL for real accounts (a shell left pointing at the
    # emulator); boto3 would read it from this process's environment otherwise.
    config = Config(ignore_configured_endpoint_urls=endpoint is None)
    keys: dict[str, Any] = {}
    if environ.get("AWS_ACCESS_KEY_ID"):
        keys = {
            "aws_access_key_id": environ.get("AWS_ACCESS_KEY_ID"),
            "aws_secret_access_key": environ.get("AWS_SECRET_ACCESS_KEY"),
        }
    source = new_session(region_name=env.region, **keys)
    try:
        session = assume_role(
            env.deploy_role_arn,
            source=source,
            purpose="datazone-association",
            region=env.region,
            endpoint_url=endpoint,
            config=config,
        )
    except (KitError, BotoCoreError) as err:  # CredentialsError: names the role and what to check
        raise AssociationError(env, "(not read)", str(err)) from err
    return client(session, "ram", region=env.region, endpoint_url=endpoint, config=config)
