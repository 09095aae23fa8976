"""The request context IAM evaluates policy conditions against, computed from the request as AWS
computes it.

Three layers, for one request and one resource it is authorized against (IAM User Guide, "AWS
global condition context keys"; Service Authorization Reference, each service's condition keys):

- **the principal** (:func:`principal_keys`): ``aws:PrincipalArn``, ``aws:PrincipalAccount``,
  ``aws:PrincipalType``, ``aws:userid``, ``aws:username`` (IAM users only), ``aws:PrincipalTag/*``
  (the role's or user's tags), ``aws:SourceIdentity`` (an assumed-role session that carries one,
  ``sts.py``), and what every request here has: ``aws:SecureTransport`` (``true``: the local cloud
  stands in for AWS's HTTPS endpoints), ``aws:RequestedRegion``, ``aws:CurrentTime``,
  ``aws:EpochTime``, ``aws:ViaAWSService`` (``false`` for a direct call),
  ``aws:PrincipalIsAWSService`` (``false``);
- **the request** (:func:`request_keys`): the service's keys read from the request's own members
  (SageMaker ``sagemaker:ModelApprovalStatus`` ..., S3 ``s3:prefix`` and the conditional-write
  keys, KMS ``kms:CallerAccount`` and the grant keys, STS ``sts:ExternalId`` ..., tags on
  create as ``aws:RequestTag/*`` and ``aws:TagKeys``);
- **the resource** (:func:`resource_keys`): ``aws:ResourceAccount`` and what the named resource
  carries: its tags (``aws:ResourceTag/*``, and ``sagemaker:ResourceTag/*`` / ``iam:ResourceTag/*``),
  a key's aliases (``kms:ResourceAliases``), a model package's current life cycle and metadata,
  a Studio space's owner and sharing type (for the space and its apps).

A call a service makes on the caller's behalf (SageMaker using a KMS key, passing a role) adds
``kms:ViaService`` / ``aws:ViaAWSService`` / ``kms:GrantIsForAWSResource`` / ``iam:PassedToService``
through :data:`ON_BEHALF`. Keys are lower-cased (IAM compares them case-insensitively). A key the
request does not carry is absent, and a condition on it is not met (``core/conditions.py``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

from .core.utils import as_list
from .sts import effective_source_identity, query_list, session_of

#: Extra keys of a request a service makes on the caller's behalf (set around that check only).
ON_BEHALF: ContextVar[dict[str, str | list[str]] | None] = ContextVar("mlgov_on_behalf", default=None)

Keys = dict[str, str | list[str]]


def _tags(keys: Keys, prefixes: tuple[str, ...], tags: Any) -> None:
    """``<prefix>/<key>`` for every tag, from ``[{"Key":..,"Value":..}]`` or ``{key: value}``."""
    if isinstance(tags, dict):
        pairs = list(tags.items())
    else:
        pairs = [(t.get("Key", t.get("key")), t.get("Value", t.get("value", ""))) for t in as_list(tags)]
    for key, value in pairs:
        if key is None:
            continue
        for prefix in prefixes:
            keys[f"{prefix}/{key}".lower()] = str(value)


def request_tag_keys(tags: Any) -> Keys:
    """``aws:RequestTag/*`` and ``aws:TagKeys`` of tags given in a request."""
    keys: Keys = {}
    _request_tags(keys, tags)
    return keys


def _request_tags(keys: Keys, tags: Any) -> None:
    """``aws:RequestTag/*`` and ``aws:TagKeys`` of tags given in a request."""
    if not tags:
        return
    _tags(keys, ("aws:requesttag",), tags)
    names = list(tags) if isinstance(tags, dict) else [t.get("Key", t.get("key")) for t in as_list(tags)]
    keys["aws:tagkeys"] = [str(n) for n in names if n is not None]


# -- the principal -------------------------------------------------------------------------------
def principal_keys(access_key: Any, region: str) -> Keys:
    """Global keys of the principal that signed the request (moto's access key object)."""
    from moto.iam.access_control import AssumedRoleAccessKey
    from moto.iam.models import iam_backends

    now = datetime.now(tz=UTC)
    keys: Keys = {
        "aws:principalaccount": access_key.account_id,
        "aws:securetransport": "true",
        "aws:requestedregion": region,
        "aws:currenttime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:epochtime": str(int(time.time())),
        "aws:viaawsservice": "false",
        "aws:principalisawsservice": "false",
    }
    backend = iam_backends[access_key.account_id]["aws"]
    if isinstance(access_key, AssumedRoleAccessKey):
        role = next((r for r in backend.roles.values() if r.name == access_key._owner_role_name), None)
        keys["aws:principaltype"] = "AssumedRole"
        keys["aws:principalarn"] = (
            role.arn if role else f"arn:aws:iam::{access_key.account_id}:role/{access_key._owner_role_name}"
        )
        if role is not None:
            keys["aws:userid"] = f"{role.id}:{access_key._session_name}"
            _tags(keys, ("aws:principaltag",), role.tags)
        session = session_of(access_key.account_id, access_key._access_key_id)
        if session is not None:
            _tags(keys, ("aws:principaltag",), getattr(session, "session_tags", None))
            source_identity = getattr(session, "source_identity", None)
            if source_identity:
                keys["aws:sourceidentity"] = source_identity
        return keys
    user = backend.users.get(access_key._owner_user_name)
    keys["aws:principaltype"] = "User"
    keys["aws:principalarn"] = access_key.arn
    keys["aws:username"] = access_key._owner_user_name
    if user is not None:
        keys["aws:userid"] = user.id
        _tags(keys, ("aws:principaltag",), user.tags)
    return keys


# -- the request ---------------------------------------------------------------------------------
def _json_body(response: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(response.body or "{}")
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _header(response: Any, name: str) -> str | None:
    headers = getattr(response, "headers", None) or {}
    for key, value in headers.items():
        if key.lower() == name:
            return str(value)
    return None


def _query(response: Any) -> dict[str, list[str]]:
    uri = str(getattr(response, "uri", "") or "")
    return parse_qs(urlparse(uri).query, keep_blank_values=True)


def _sagemaker_keys(response: Any, action: str) -> Keys:
    body = _json_body(response)
    keys: Keys = {}
    if action in ("CreateModelPackage", "UpdateModelPackage"):
        if isinstance(body.get("ModelApprovalStatus"), str):
            keys["sagemaker:modelapprovalstatus"] = body["ModelApprovalStatus"]
        for name, value in (body.get("CustomerMetadataProperties") or {}).items():
            keys[f"sagemaker:customermetadataproperties/{name}".lower()] = str(value)
        if body.get("CustomerMetadataPropertiesToRemove"):
            keys["sagemaker:customermetadatapropertiestoremove"] = list(
                body["CustomerMetadataPropertiesToRemove"]
            )
        life_cycle = body.get("ModelLifeCycle") or {}
        if life_cycle.get("Stage"):
            keys["sagemaker:modellifecycle:stage"] = life_cycle["Stage"]
        if life_cycle.get("StageStatus"):
            keys["sagemaker:modellifecycle:stagestatus"] = life_cycle["StageStatus"]
    if action == "CreateSpace":
        owner = (body.get("OwnershipSettings") or {}).get("OwnerUserProfileName")
        if owner and body.get("DomainId"):
            keys["sagemaker:owneruserprofilearn"] = (
                f"arn:aws:sagemaker:{response.region}:{response.current_account}:"
                f"user-profile/{body['DomainId']}/{owner}"
            )
        sharing = (body.get("SpaceSharingSettings") or {}).get("SharingType")
        if sharing:
            keys["sagemaker:spacesharingtype"] = sharing
    instance = (body.get("ResourceSpec") or {}).get("InstanceType")
    if action in ("CreateApp",) and instance:
        keys["sagemaker:instancetypes"] = [instance]
    if action in ("CreateDomain", "UpdateDomain"):
        if body.get("AppNetworkAccessType"):
            keys["sagemaker:appnetworkaccesstype"] = body["AppNetworkAccessType"]
        if body.get("SubnetIds"):
            keys["sagemaker:vpcsubnets"] = list(body["SubnetIds"])
        if body.get("KmsKeyId"):
            keys["sagemaker:volumekmskey"] = body["KmsKeyId"]
    if action.startswith("Create") or action == "AddTags":
        _request_tags(keys, body.get("Tags"))
    if action == "DeleteTags" and body.get("TagKeys"):
        keys["aws:tagkeys"] = list(body["TagKeys"])
    return keys


def _s3_keys(response: Any, action: str) -> Keys:
    """S3's request keys (Service Authorization Reference, Amazon S3): ``s3:prefix``,
    ``s3:delimiter``, ``s3:max-keys`` on listings; on writes the encryption headers and the
    conditional-write headers as ``s3:if-none-match`` / ``s3:if-match`` (S3 User Guide, "Enforce
    conditional writes on Amazon S3 buckets"), present only when the request carries them."""
    keys: Keys = {}
    query = _query(response)
    if action in ("ListBucket", "ListBucketVersions", "ListObjectsV2"):
        for name in ("prefix", "delimiter", "max-keys"):
            if name in query:
                keys[f"s3:{name}"] = query[name][0]
        if "s3:prefix" not in keys and action in ("ListBucket", "ListObjectsV2"):
            # S3 sets s3:prefix to "" for a listing without a prefix (the condition keys page's
            # example "StringEquals s3:prefix ''" matches a listing of the bucket root).
            keys["s3:prefix"] = ""
    if action == "PutObject":
        creation = _object_creation_operation(response, query)
        if creation is not None:
            keys["s3:objectcreationoperation"] = creation
    for header, key in (
        ("if-none-match", "s3:if-none-match"),
        ("if-match", "s3:if-match"),
        ("x-amz-server-side-encryption", "s3:x-amz-server-side-encryption"),
        ("x-amz-server-side-encryption-aws-kms-key-id", "s3:x-amz-server-side-encryption-aws-kms-key-id"),
        ("x-amz-acl", "s3:x-amz-acl"),
        ("x-amz-object-lock-mode", "s3:object-lock-mode"),
        ("x-amz-object-lock-retain-until-date", "s3:object-lock-retain-until-date"),
        ("x-amz-object-lock-legal-hold", "s3:object-lock-legal-hold"),
    ):
        value = _header(response, header)
        if value is not None and action in ("PutObject", "CompleteMultipartUpload", "CreateMultipartUpload"):
            keys[key] = value
    return keys


def _object_creation_operation(response: Any, query: dict[str, list[str]]) -> str | None:
    """``s3:ObjectCreationOperation`` of a request authorized as ``s3:PutObject``: ``true`` for the
    requests that create an object (PutObject, CopyObject, CompleteMultipartUpload), ``false`` for
    the steps of a multipart upload (CreateMultipartUpload, UploadPart, UploadPartCopy), which take
    no conditional header. The S3 User Guide ("Enforce conditional writes on Amazon S3 buckets")
    exempts those steps from an If-None-Match requirement with it. Read from the request's method
    and query as S3 routes them (``?uploads``, ``?partNumber&uploadId``, ``?uploadId``)."""
    method = str(getattr(response, "method", "") or "").upper()
    if method == "POST" and "uploads" in query:
        return "false"  # CreateMultipartUpload
    if method == "PUT" and "partNumber" in query and "uploadId" in query:
        return "false"  # UploadPart, UploadPartCopy
    if method == "POST" and "uploadId" in query:
        return "true"  # CompleteMultipartUpload
    if method == "PUT":
        return "true"  # PutObject, CopyObject
    return None


def _kms_keys(response: Any, action: str) -> Keys:
    body = _json_body(response)
    keys: Keys = {}
    if action == "CreateGrant":
        keys["kms:grantisforawsresource"] = "false"
        if body.get("GranteePrincipal"):
            keys["kms:granteeprincipal"] = body["GranteePrincipal"]
        if body.get("RetiringPrincipal"):
            keys["kms:retiringprincipal"] = body["RetiringPrincipal"]
        if body.get("Operations"):
            keys["kms:grantoperations"] = list(body["Operations"])
    context = body.get("EncryptionContext") or (body.get("Constraints") or {}).get("EncryptionContextSubset")
    if isinstance(context, dict) and context:
        for name, value in context.items():
            keys[f"kms:encryptioncontext:{name}".lower()] = str(value)
        keys["kms:encryptioncontextkeys"] = list(context)
    key_id = body.get("KeyId")
    if isinstance(key_id, str) and "alias/" in key_id:
        keys["kms:requestalias"] = "alias/" + key_id.split("alias/", 1)[1]
    if action == "CreateKey":
        _request_tags(keys, body.get("Tags"))
    return keys


def _sts_keys(response: Any, action: str) -> Keys:
    keys: Keys = {}
    for member, key in (("ExternalId", "sts:externalid"), ("RoleSessionName", "sts:rolesessionname")):
        value = response._get_param(member)
        if value:
            keys[key] = str(value)
    assuming = action in ("AssumeRole", "SetSourceIdentity", "TagSession")
    source_identity = effective_source_identity(response) if assuming else None
    if source_identity:
        # The value the new session will carry: the request's, or the caller's in a chain.
        keys["sts:sourceidentity"] = source_identity
    tags = query_list(response, "Tags") if assuming else []
    _request_tags(keys, tags)
    return keys


def _iam_keys(response: Any, action: str) -> Keys:
    keys: Keys = {}
    if action in ("AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy"):
        arn = response._get_param("PolicyArn")
        if arn:
            keys["iam:policyarn"] = arn
    if action in ("CreateRole", "TagRole", "CreateUser", "TagUser", "CreatePolicy", "TagPolicy"):
        _request_tags(keys, query_list(response, "Tags"))
    return keys


#: Request keys per service (the credential scope's service name).
REQUEST_KEYS: dict[str, Callable[[Any, str], Keys]] = {
    "sagemaker": _sagemaker_keys,
    "s3": _s3_keys,
    "kms": _kms_keys,
    "sts": _sts_keys,
    "iam": _iam_keys,
}


def request_keys(response: Any, service: str, action: str) -> Keys:
    builder = REQUEST_KEYS.get(service)
    if builder is None or response is None:
        return {}
    try:
        return builder(response, action)
    except (AttributeError, KeyError, TypeError, ValueError):
        # A request the builder cannot read carries no service keys (conditions on them fail).
        return {}


# -- the resource --------------------------------------------------------------------------------
def _sagemaker_resource_keys(arn: str, keys: Keys) -> None:
    from moto.sagemaker.models import sagemaker_backends

    parts = arn.split(":", 5)
    region, account, resource = parts[3], parts[4], parts[5]
    backend = dict.get(sagemaker_backends.get(account, {}), region)  # never create a backend
    if backend is None:
        return
    try:
        found = backend._get_resource_from_arn(arn)
    except Exception:  # noqa: BLE001 - any lookup failure: a resource not (yet) there has no keys
        found = None
    if found is not None:
        _tags(keys, ("aws:resourcetag", "sagemaker:resourcetag"), getattr(found, "tags", None))
        life_cycle = getattr(found, "model_life_cycle", None) or {}
        if life_cycle.get("Stage"):
            keys["sagemaker:currentmodellifecyclestage"] = life_cycle["Stage"]
        if life_cycle.get("StageStatus"):
            keys["sagemaker:currentmodellifecyclestagestatus"] = life_cycle["StageStatus"]
        for name, value in (getattr(found, "customer_metadata_properties", None) or {}).items():
            keys[f"sagemaker:currentcustomermetadataproperties/{name}".lower()] = str(value)
    kind, _, path = resource.partition("/")
    if kind in ("space", "app"):
        domain_id, _, rest = path.partition("/")
        space_name = rest.split("/")[0]
        space = getattr(backend, "spaces", {}).get((domain_id, space_name)) if kind == "space" else None
        if space is None:
            space = next(
                (
                    s
                    for s in getattr(backend, "spaces", {}).values()
                    if getattr(s, "domain_id", None) == domain_id and getattr(s, "name", None) == space_name
                ),
                None,
            )
        if space is not None:
            owner = (getattr(space, "ownership_settings", None) or {}).get("OwnerUserProfileName")
            if owner:
                keys["sagemaker:owneruserprofilearn"] = (
                    f"arn:aws:sagemaker:{region}:{account}:user-profile/{domain_id}/{owner}"
                )
            sharing = (getattr(space, "space_sharing_settings", None) or {}).get("SharingType")
            if sharing:
                keys["sagemaker:spacesharingtype"] = sharing


def _kms_resource_keys(arn: str, keys: Keys) -> None:
    from moto.kms.models import kms_backends

    parts = arn.split(":", 5)
    region, account, resource = parts[3], parts[4], parts[5]
    if not resource.startswith("key/"):
        return
    backend = dict.get(kms_backends.get(account, {}), region)
    key = backend.keys.get(resource.removeprefix("key/")) if backend is not None else None
    if backend is None or key is None:
        return
    keys["kms:resourcealiases"] = sorted(getattr(key, "aliases", {}) or {})
    keys["kms:keyspec"] = str(getattr(key, "key_spec", "SYMMETRIC_DEFAULT"))
    keys["kms:keyusage"] = str(getattr(key, "key_usage", "ENCRYPT_DECRYPT"))
    keys["kms:keyorigin"] = str(getattr(key, "origin", "AWS_KMS"))
    _tags(keys, ("aws:resourcetag",), backend.list_resource_tags(key.id).get("Tags"))


def _iam_resource_keys(arn: str, keys: Keys) -> None:
    from moto.iam.models import iam_backends

    account = arn.split(":")[4]
    backend = iam_backends[account]["aws"]
    role = next((r for r in backend.roles.values() if r.arn == arn), None)
    if role is not None:
        _tags(keys, ("aws:resourcetag", "iam:resourcetag"), role.tags)


RESOURCE_KEYS: dict[str, Callable[[str, Keys], None]] = {
    "sagemaker": _sagemaker_resource_keys,
    "kms": _kms_resource_keys,
    "iam": _iam_resource_keys,
}


def resource_keys(resource: str) -> Keys:
    """The keys the resource ``resource`` (an ARN) carries; none for ``*``."""
    keys: Keys = {}
    parts = resource.split(":", 5)
    if len(parts) < 6 or not resource.startswith("arn:"):
        return keys
    if parts[4]:
        keys["aws:resourceaccount"] = parts[4]
    builder = RESOURCE_KEYS.get(parts[2])
    if builder is not None:
        builder(resource, keys)
    return keys


def build(response: Any, access_key: Any, service: str, action: str, resource: str) -> Keys:
    """The whole request context of ``service:action`` on ``resource``."""
    region = getattr(response, "region", None) or "us-east-1"
    context = principal_keys(access_key, region)
    extra = ON_BEHALF.get()
    if extra is None:
        context.update(request_keys(response, service, action))
    context.update(resource_keys(resource))
    if service == "kms":
        context["kms:calleraccount"] = access_key.account_id
    if extra:
        # A service calling for the caller: its own keys replace those of the caller's request.
        context.update(extra)
    return context
