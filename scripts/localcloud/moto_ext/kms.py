"""KMS calls that name a key of another account are served from that account, as on AWS.

A downstream account uses the upstream platform key by its ARN (``Decrypt``,
``GenerateDataKey``, ``DescribeKey``, ``CreateGrant``, ...). moto serves every KMS call from the
caller's own account, so such a call answered NotFoundException. Here the request goes to the
backend of the account (and region) its key ARN or alias ARN names; a ciphertext given without
``KeyId`` goes to the account holding the key it was encrypted under (key ids are unique).
Whether the caller may use the key is decided before that, by IAM with the key policy
(``resource_policies.py``).

:func:`key_arns` is also what ``iam_resources`` authorizes a KMS request against: the key ARN
(every key of ReEncrypt, the alias and the key of CreateAlias). :func:`register` replaces a
property of moto's response class, which a type checker refuses (``type: ignore[method-assign]``).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from moto.kms.models import KmsBackend, kms_backends
from moto.kms.responses import KmsResponse

#: Request members that name a key, by operation (every other operation uses ``KeyId``).
KEY_MEMBERS: dict[str, tuple[str, ...]] = {
    "ReEncrypt": ("SourceKeyId", "DestinationKeyId"),
    "CreateAlias": ("TargetKeyId",),
    "UpdateAlias": ("TargetKeyId",),
}
#: Operations whose ciphertext names the key when no KeyId is given.
CIPHERTEXT_OPERATIONS = ("Decrypt", "ReEncrypt")


def _body(response: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(response.body or "{}")
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _ciphertext_key_id(blob: str | None) -> str | None:
    if not blob:
        return None
    from moto.kms.utils import KEY_ID_LEN

    try:
        raw = base64.b64decode(blob)
    except (TypeError, ValueError):
        return None
    return raw[:KEY_ID_LEN].decode("ascii", errors="replace") if len(raw) > KEY_ID_LEN else None


def _owner_of_key_id(region: str, key_id: str, default_account: str) -> str:
    if key_id in kms_backends[default_account][region].keys:
        return default_account
    # dict's own methods: moto's __getitem__ would create a backend for every account it visits.
    for account, regions in list(dict.items(kms_backends)):
        backend = dict.get(regions, region)
        if backend is not None and key_id in backend.keys:
            return str(account)
    return default_account


def _resolve(response: Any, identifier: str) -> tuple[str, str, str | None]:
    """(account, region, key id or None) of a KeyId as KMS reads it: key ARN, alias ARN, key id
    or alias name (the last two in the caller's account and region)."""
    account, region = response.current_account, response.region
    if identifier.startswith("arn:"):
        parts = identifier.split(":", 5)
        account, region, resource = parts[4], parts[3], parts[5]
    else:
        resource = identifier if identifier.startswith("alias/") else f"key/{identifier}"
    if resource.startswith("key/"):
        return account, region, resource.removeprefix("key/")
    backend = kms_backends[account][region]
    return account, region, backend.get_key_id_from_alias(resource)


def _target(response: Any) -> tuple[str, str]:
    """The account and region whose backend serves this request."""
    body = _body(response)
    action = response._get_action()
    for member in (*KEY_MEMBERS.get(action, ()), "KeyId"):
        if body.get(member):
            account, region, _ = _resolve(response, str(body[member]))
            return account, region
    if action in CIPHERTEXT_OPERATIONS:
        key_id = _ciphertext_key_id(body.get("CiphertextBlob"))
        if key_id:
            return _owner_of_key_id(response.region, key_id, response.current_account), response.region
    return response.current_account, response.region


def key_arns(response: Any, action: str, body: dict[str, Any]) -> list[str]:
    """The ARNs IAM authorizes this KMS request against ("*" for CreateKey, List*, ...)."""
    arns: list[str] = []
    members = [*KEY_MEMBERS.get(action, ()), "KeyId"]
    if action in ("CreateAlias", "UpdateAlias", "DeleteAlias") and body.get("AliasName"):
        alias = str(body["AliasName"])
        arns.append(f"arn:aws:kms:{response.region}:{response.current_account}:{alias}")
    for member in members:
        if not body.get(member):
            continue
        account, region, key_id = _resolve(response, str(body[member]))
        if key_id:
            arns.append(f"arn:aws:kms:{region}:{account}:key/{key_id}")
    if not arns and action in CIPHERTEXT_OPERATIONS:
        key_id = _ciphertext_key_id(body.get("CiphertextBlob"))
        if key_id:
            account = _owner_of_key_id(response.region, key_id, response.current_account)
            arns.append(f"arn:aws:kms:{response.region}:{account}:key/{key_id}")
    return arns or ["*"]


def _kms_backend(self: KmsResponse) -> KmsBackend:
    account, region = _target(self)
    return kms_backends[account][region]


def register() -> None:
    """Serve KMS calls from the account their key belongs to (idempotent)."""
    KmsResponse.kms_backend = property(_kms_backend)  # type: ignore[method-assign,assignment]


def existing_key_arn(response: Any, identifier: str) -> str | None:
    """The ARN of the key a KeyId names (key id, key ARN, alias name or alias ARN; a name in the
    caller's account and region), or None when there is no such key."""
    account, region, key_id = _resolve(response, identifier)
    backend = dict.get(kms_backends.get(account, {}), region)
    if backend is None or not key_id or key_id not in backend.keys:
        return None
    return f"arn:aws:kms:{region}:{account}:key/{key_id}"
