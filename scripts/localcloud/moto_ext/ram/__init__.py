"""RAM operations the Terraform resources call and moto 5.2.1 does not serve.

``aws_ram_resource_share`` reads ListResourceSharePermissions after every create/refresh;
``aws_ram_resource_association`` and ``aws_ram_principal_association`` call
AssociateResourceShare / DisassociateResourceShare; ``aws_ram_resource_share_accepter`` (run in
the receiving account) calls GetResourceShareInvitations, AcceptResourceShareInvitation,
GetResourceShares and ListResources with ``resourceOwner=OTHER-ACCOUNTS``, and leaves the share
with DisassociateResourceShare. DataZone domains (``datazone:Domain``, ARN resource type
``domain``) are shareable, as on AWS; moto's list of shareable types lacks them.

Invitations as AWS sends them (RAM User Guide, "Sharing your AWS resources" and "Accepting and
rejecting invitations", https://docs.aws.amazon.com/ram/latest/userguide/working-with-sharing.html):
associating another account with a share sends that account an invitation that stays ``PENDING``
until the account accepts or rejects it; until then the account does not see the share or its
resources. The exception: an account in the owner's AWS Organization, once the organization's
management account has called EnableSharingWithAwsOrganization, gets access without an
invitation.

Operations (botocore names): AssociateResourceShare, DisassociateResourceShare,
ListResourceSharePermissions, TagResource, UntagResource, GetResourceShareInvitations,
AcceptResourceShareInvitation, RejectResourceShareInvitation, ListResources,
EnableSharingWithAwsOrganization; CreateResourceShare and GetResourceShares keep and return tags
(the provider's default_tags otherwise drift forever), GetResourceShares honours its
resourceShareArns/name/status filters and answers ``OTHER-ACCOUNTS`` (moto raised).

Managed permissions (RAM User Guide, "Managed permissions",
https://docs.aws.amazon.com/ram/latest/userguide/security-ram-permissions.html, and the
CreateResourceShare API reference): ``permissionArns`` given at creation are attached to the
share and ListResourceSharePermissions returns them (``aws_ram_resource_share`` reads them back
into ``permission_arns``, a ForceNew attribute: an empty answer would replace the share on every
plan); a permission ARN RAM does not publish is refused with ``UnknownResourceException``, one
for another resource type with ``InvalidParameterException``. moto's list of AWS managed
permissions lacks DataZone's; :data:`DATAZONE_DOMAIN_PERMISSIONS` adds the four the AWS managed
policy SageMakerStudioAdminIAMPermissiveExecutionPolicy names for ``datazone:Domain``.

Principal association status (GetResourceShareAssociations, RAM API reference; the provider's
``aws_ram_principal_association`` says "AWS Account ID principals need to be accepted to become
ASSOCIATED" and does not wait for them): an account invited outside an organization is
``ASSOCIATING`` while its invitation is pending, ``ASSOCIATED`` once accepted (or at once, inside
an organization with sharing enabled), ``FAILED`` when it rejected or let the invitation expire.
"""

from __future__ import annotations

from typing import cast

from moto.ram import models as ram_models
from moto.ram.models import ManagedPermission, ResourceShare

from . import urls
from .models import EXTRA_SHAREABLE, GovernanceRamBackend, describe_permission, shared_with
from .responses import GovernanceRamResponse


def register() -> None:
    """Swap the extended RAM backend (whose url module is this package's ``urls``) into moto
    (idempotent)."""
    # moto's backends find their url module through the ``_url_module`` property (a lazy
    # import of moto.ram.urls); ours is set here, so the package's modules import no cycle.
    GovernanceRamBackend._url_module = urls  # type: ignore[assignment]
    ManagedPermission.describe = describe_permission  # type: ignore[method-assign]
    for resource_type in EXTRA_SHAREABLE:
        if resource_type not in ResourceShare.SHAREABLE_RESOURCES:
            ResourceShare.SHAREABLE_RESOURCES.append(resource_type)
    backends = ram_models.ram_backends
    backends.backend = GovernanceRamBackend
    for account_backends in backends.values():
        account_backends.backend = GovernanceRamBackend
        for backend in account_backends.values():
            if not isinstance(backend, GovernanceRamBackend):
                backend.__class__ = GovernanceRamBackend
                # The class was swapped at run time, which a type checker cannot follow.
                cast(GovernanceRamBackend, backend).init_governance_state()


__all__ = ["GovernanceRamBackend", "GovernanceRamResponse", "register", "shared_with"]
