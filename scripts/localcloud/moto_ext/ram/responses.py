"""RAM request handlers for the governance backend (restJson, one per botocore operation)."""

from __future__ import annotations

import json
from typing import Any

from moto.ram import models as ram_models
from moto.ram.responses import ResourceAccessManagerResponse

from .models import GovernanceRamBackend


def _with_token(body: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    # The idempotency token is echoed only when the caller sent one.
    if params.get("clientToken"):
        body["clientToken"] = params["clientToken"]
    return body


class GovernanceRamResponse(ResourceAccessManagerResponse):
    @property
    def ram_backend(self) -> GovernanceRamBackend:
        backend = ram_models.ram_backends[self.current_account][self.region]
        if not isinstance(backend, GovernanceRamBackend):
            raise TypeError("moto_ext.install() has not swapped the RAM backend in")
        return backend

    def _entities(self) -> tuple[str, list[str], list[str]]:
        params = self.request_params
        return (
            params.get("resourceShareArn", ""),
            params.get("resourceArns", []),
            params.get("principals", []),
        )

    def _share_owner_backend(self, arn: str, principals: list[str]) -> GovernanceRamBackend:
        """The caller's backend, or the owner's when the caller leaves a share it was given
        (DisassociateResourceShare naming only itself, as ``aws_ram_resource_share_accepter``
        does on destroy)."""
        owner = self.ram_backend._owner_backend(arn)
        if (
            owner is not None
            and owner.account_id != self.current_account
            and principals == [self.current_account]
        ):
            return owner
        return self.ram_backend

    def associate_resource_share(self) -> str:
        arn, resources, principals = self._entities()
        associations = self.ram_backend.associate_resource_share(arn, resources, principals)
        return json.dumps(_with_token({"resourceShareAssociations": associations}, self.request_params))

    def disassociate_resource_share(self) -> str:
        arn, resources, principals = self._entities()
        backend = self._share_owner_backend(arn, principals) if not resources else self.ram_backend
        associations = backend.disassociate_resource_share(arn, resources, principals)
        return json.dumps(_with_token({"resourceShareAssociations": associations}, self.request_params))

    def get_resource_shares(self) -> str:
        params = self.request_params
        return json.dumps(
            self.ram_backend.get_resource_shares(
                params.get("resourceOwner"),
                resourceShareArns=params.get("resourceShareArns"),
                name=params.get("name"),
                resourceShareStatus=params.get("resourceShareStatus"),
            )
        )

    def tag_resource(self) -> str:
        params = self.request_params
        self.ram_backend.tag_resource(params.get("resourceShareArn", ""), params.get("tags", []))
        return json.dumps({})

    def untag_resource(self) -> str:
        params = self.request_params
        self.ram_backend.untag_resource(params.get("resourceShareArn", ""), params.get("tagKeys", []))
        return json.dumps({})

    def list_resource_share_permissions(self) -> str:
        permissions = self.ram_backend.list_resource_share_permissions(
            self.request_params.get("resourceShareArn", "")
        )
        return json.dumps({"permissions": permissions})

    def get_resource_share_invitations(self) -> str:
        params = self.request_params
        invitations = self.ram_backend.get_resource_share_invitations(
            params.get("resourceShareInvitationArns"), params.get("resourceShareArns")
        )
        return json.dumps({"resourceShareInvitations": invitations})

    def accept_resource_share_invitation(self) -> str:
        params = self.request_params
        invitation = self.ram_backend.respond_to_invitation(
            params.get("resourceShareInvitationArn", ""), True
        )
        return json.dumps(_with_token({"resourceShareInvitation": invitation}, params))

    def reject_resource_share_invitation(self) -> str:
        params = self.request_params
        invitation = self.ram_backend.respond_to_invitation(
            params.get("resourceShareInvitationArn", ""), False
        )
        return json.dumps(_with_token({"resourceShareInvitation": invitation}, params))

    def list_resources(self) -> str:
        params = self.request_params
        resources = self.ram_backend.list_resources(
            params.get("resourceOwner", ""), params.get("resourceShareArns"), params.get("resourceArns")
        )
        return json.dumps({"resources": resources})
