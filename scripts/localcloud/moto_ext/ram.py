"""RAM operations the Terraform resources call and moto 5.2.1 does not serve.

``aws_ram_resource_share`` reads ListResourceSharePermissions after every create/refresh;
``aws_ram_resource_association`` and ``aws_ram_principal_association`` call
AssociateResourceShare / DisassociateResourceShare. DataZone domains (``datazone:Domain``, ARN
resource type ``domain``) are shareable, as on AWS; moto's list of shareable types lacks them.

Operations (botocore names): AssociateResourceShare, DisassociateResourceShare,
ListResourceSharePermissions, TagResource, UntagResource; CreateResourceShare and
GetResourceShares keep and return tags (the provider's default_tags otherwise drift forever) and
GetResourceShares honours its resourceShareArns/name/status filters.
"""

from __future__ import annotations

import json
from typing import Any, cast

from moto.core.utils import unix_time
from moto.ram import models as ram_models
from moto.ram.exceptions import UnknownResourceException
from moto.ram.models import ResourceAccessManagerBackend, ResourceShare
from moto.ram.responses import ResourceAccessManagerResponse

#: ARN resource types RAM shares that moto's list lacks.
EXTRA_SHAREABLE = ("domain",)


class GovernanceRamBackend(ResourceAccessManagerBackend):
    """moto's RAM backend plus associations after creation, share permissions and tags."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.init_governance_state()

    def init_governance_state(self) -> None:
        # Tags by share ARN: moto's ResourceShare keeps none.
        self.share_tags: dict[str, dict[str, str]] = {}

    @property
    def _url_module(self) -> Any:
        from moto.ram import urls

        return urls

    def create_resource_share(self, **kwargs: Any) -> dict[str, Any]:
        """CreateResourceShare, keeping the tags moto dropped."""
        result = super().create_resource_share(**kwargs)
        share = self._share(result["resourceShare"]["resourceShareArn"])
        self.share_tags[share.arn] = {t["key"]: t.get("value", "") for t in kwargs.get("tags") or []}
        result["resourceShare"]["tags"] = self._tag_list(share.arn)
        return result

    def get_resource_shares(self, resource_owner: str | None, **filters: Any) -> dict[str, Any]:
        """GetResourceShares with the filters the Terraform provider sends, and tags."""
        result = super().get_resource_shares(resource_owner)
        arns = filters.get("resourceShareArns") or []
        name = filters.get("name")
        status = filters.get("resourceShareStatus")
        shares = []
        for described in result["resourceShares"]:
            if arns and described["resourceShareArn"] not in arns:
                continue
            if name and described["name"] != name:
                continue
            if status and described["status"] != status:
                continue
            described["tags"] = self._tag_list(described["resourceShareArn"])
            shares.append(described)
        return {"resourceShares": shares}

    def tag_resource(self, arn: str, tags: list[dict[str, str]]) -> None:
        share = self._share(arn)
        current = self.share_tags.setdefault(share.arn, {})
        current.update({t["key"]: t.get("value", "") for t in tags})

    def untag_resource(self, arn: str, tag_keys: list[str]) -> None:
        share = self._share(arn)
        current = self.share_tags.get(share.arn, {})
        self.share_tags[share.arn] = {k: v for k, v in current.items() if k not in tag_keys}

    def _tag_list(self, arn: str) -> list[dict[str, str]]:
        return [{"key": k, "value": v} for k, v in self.share_tags.get(arn, {}).items()]

    def _share(self, arn: str) -> ResourceShare:
        for share in self.resource_shares:
            if share.arn == arn and share.status != "DELETED":
                return share
        raise UnknownResourceException(f"ResourceShare {arn} could not be found.")

    def _associations(
        self, share: ResourceShare, resources: list[str], principals: list[str], status: str
    ) -> list[dict[str, Any]]:
        entries = [(r, "RESOURCE") for r in resources] + [(p, "PRINCIPAL") for p in principals]
        return [
            {
                "resourceShareArn": share.arn,
                "resourceShareName": share.name,
                "associatedEntity": entity,
                "associationType": kind,
                "status": status,
                "creationTime": unix_time(share.creation_time),
                "lastUpdatedTime": unix_time(share.last_updated_time),
                "external": kind == "PRINCIPAL" and entity.isdigit() and entity != self.account_id,
            }
            for entity, kind in entries
        ]

    def associate_resource_share(
        self, arn: str, resource_arns: list[str], principals: list[str]
    ) -> list[dict[str, Any]]:
        """AssociateResourceShare (an entity already associated is not added twice)."""
        share = self._share(arn)
        share.add_resources([r for r in resource_arns if r not in share.resource_arns])
        share.add_principals([p for p in principals if p not in share.principals])
        return self._associations(share, resource_arns, principals, "ASSOCIATED")

    def disassociate_resource_share(
        self, arn: str, resource_arns: list[str], principals: list[str]
    ) -> list[dict[str, Any]]:
        share = self._share(arn)
        share.resource_arns = [r for r in share.resource_arns if r not in resource_arns]
        share.principals = [p for p in share.principals if p not in principals]
        return self._associations(share, resource_arns, principals, "DISASSOCIATED")

    def list_resource_share_permissions(self, arn: str) -> list[dict[str, Any]]:
        """ListResourceSharePermissions: none attached explicitly (the share's resources use
        their type's default permission, which AWS does not list until a resource is added)."""
        self._share(arn)
        return []


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

    def associate_resource_share(self) -> str:
        arn, resources, principals = self._entities()
        associations = self.ram_backend.associate_resource_share(arn, resources, principals)
        return json.dumps(_with_token({"resourceShareAssociations": associations}, self.request_params))

    def disassociate_resource_share(self) -> str:
        arn, resources, principals = self._entities()
        associations = self.ram_backend.disassociate_resource_share(arn, resources, principals)
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


def register() -> None:
    """Swap the extended RAM backend and response into moto (idempotent)."""
    from moto.ram import urls

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
    for path in list(urls.url_paths):
        urls.url_paths[path] = GovernanceRamResponse.dispatch
    for operation in (
        "associateresourceshare",
        "disassociateresourceshare",
        "listresourcesharepermissions",
        "tagresource",
        "untagresource",
    ):
        urls.url_paths[f"{{0}}/{operation}$"] = GovernanceRamResponse.dispatch
