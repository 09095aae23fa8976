"""S3 writes as AWS checks them: conditional copies, the copy source's read permission, and a
locked bucket's versioning.

moto 5.2.1 already answers PutObject and CompleteMultipartUpload with ``If-None-Match: *`` or
``If-Match: <etag>`` as AWS does (``412 PreconditionFailed``; ``If-Match`` on a missing key
``404 NoSuchKey``). What it does not do, and this module does:

- **CopyObject with If-None-Match / If-Match** (S3 API reference, CopyObject: "Copies the object
  only if the object key name at the destination does not already exist ... Otherwise, Amazon S3
  returns a 412 Precondition Failed error"; If-Match likewise against the destination's ETag).
  moto ignored both and overwrote the destination.
- **The copy source is read as the caller**: CopyObject needs ``s3:GetObject`` (or
  ``s3:GetObjectVersion`` for a version) on the source as well as ``s3:PutObject`` on the
  destination (S3 API reference, CopyObject, "Permissions"), evaluated with the source bucket's
  policy (across accounts both halves); moto authorized the destination only. With IAM enforced.
- **The governance-mode bypass is a permission**: DeleteObject with
  ``x-amz-bypass-governance-retention: true`` needs ``s3:BypassGovernanceRetention`` on the object
  (S3 User Guide, "Bypassing governance mode"); moto honoured the header for anyone. With IAM
  enforced.
- **Versioning of an Object Lock bucket stays Enabled** (S3 User Guide, "Object Lock
  considerations": "you can't disable Object Lock or suspend versioning for the bucket"):
  ``InvalidBucketState``. moto let it be suspended.
- **A bucket policy's Deny answers AccessDenied** in S3's XML error body (moto sent a bare 403
  that SDKs read as code "403").
- **Bucket policy conditions see the request**: the conditional-write keys ``s3:if-none-match``
  / ``s3:if-match`` (S3 User Guide, "Enforce conditional writes on Amazon S3 buckets") and the
  other request keys of ``request_context`` are in the context moto's object-request bucket
  policy check evaluates (``s3_policy.py``), for the object request being served.

:func:`register` replaces methods on moto's classes, which a type checker refuses
(``type: ignore[method-assign]``).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from moto.s3.exceptions import BucketAccessDeniedError, InvalidBucketState, MissingKey, PreconditionFailed
from moto.s3.models import S3Backend
from moto.s3.responses import S3Response

from .core.utils import iam_enforced

#: The object request being served (what ``s3_policy.get_permission`` reads the request from).
SERVING: ContextVar[Any] = ContextVar("mlgov_s3_request", default=None)

_moto_copy_object = S3Response.copy_object
_moto_delete_object = S3Response.delete_object
_moto_key_response = S3Response._key_response
_moto_put_bucket_versioning = S3Backend.put_bucket_versioning


def _copy_source(response: S3Response) -> tuple[str, str, str | None]:
    source = response.headers.get("x-amz-copy-source")
    if isinstance(source, bytes):
        source = source.decode("utf-8")
    parsed = urlparse(str(source))
    bucket, key = unquote(parsed.path).lstrip("/").split("/", 1)
    return bucket, key, parse_qs(parsed.query).get("versionId", [None])[0]


def _authorize_source(response: S3Response, bucket: str, key: str, version: str | None) -> None:
    _authorize_as_caller(response, "s3:GetObjectVersion" if version else "s3:GetObject", f"{bucket}/{key}")


def _authorize_as_caller(response: S3Response, action: str, path: str) -> None:
    """``action`` on ``arn:aws:s3:::<path>`` decided for the caller of ``response`` (S3's
    ``AccessDenied`` when refused)."""
    from moto.iam.access_control import S3IAMRequest

    from .resource_policies import CURRENT, authorize

    request = S3IAMRequest(
        account_id=response.current_account,
        method="GET",
        path="/",
        data=response.data,
        body=b"",
        headers=response.headers,
        action=action.split(":", 1)[1],
    )
    request._action = action
    token = CURRENT.set(response)
    try:
        authorize(request, action, f"arn:aws:s3:::{path}")
    finally:
        CURRENT.reset(token)


def copy_object(self: S3Response) -> Any:
    """CopyObject with the destination's conditional headers and the source read as the caller."""
    key_name = self.parse_key_name()
    if_match = self.headers.get("If-Match")
    if_none_match = self.headers.get("If-None-Match")
    existing = self.backend.get_object(self.bucket_name, key_name)
    if if_match:
        if existing is None:
            raise MissingKey(key=key_name)
        if if_match.replace('"', "") != existing.etag.replace('"', ""):
            raise PreconditionFailed("If-Match")
    if if_none_match == "*" and existing is not None:
        raise PreconditionFailed("If-None-Match")
    if iam_enforced():
        _authorize_source(self, *_copy_source(self))
    return _moto_copy_object(self)


def delete_object(self: S3Response) -> Any:
    """DeleteObject with ``x-amz-bypass-governance-retention`` needs s3:BypassGovernanceRetention
    on the object too (S3 User Guide, "Bypassing governance mode"); moto honoured the header
    whatever the caller's permissions."""
    bypass = str(self.headers.get("x-amz-bypass-governance-retention", "")).lower() == "true"
    if bypass and iam_enforced():
        _authorize_as_caller(
            self, "s3:BypassGovernanceRetention", f"{self.bucket_name}/{self.parse_key_name()}"
        )
    return _moto_delete_object(self)


def _key_response(self: S3Response, request: Any, full_url: str) -> Any:
    token = SERVING.set(self)
    try:
        result = _moto_key_response(self, request, full_url)
    finally:
        SERVING.reset(token)
    if isinstance(result, tuple) and result[:3] == (403, {}, "") and self.method != "HEAD":
        # moto's answer to a bucket policy's explicit Deny is a bare 403; S3's is AccessDenied
        # in its XML error body (HEAD answers carry no body on AWS either).
        raise BucketAccessDeniedError(self.bucket_name)
    return result


def put_bucket_versioning(self: S3Backend, bucket_name: str, status: str) -> None:
    if self.get_bucket(bucket_name).object_lock_enabled and status != "Enabled":
        raise InvalidBucketState(
            "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed."
        )
    _moto_put_bucket_versioning(self, bucket_name, status)


def register() -> None:
    """Install the checks above (idempotent)."""
    S3Response.copy_object = copy_object  # type: ignore[method-assign]
    S3Response.delete_object = delete_object  # type: ignore[method-assign]
    S3Response._key_response = _key_response  # type: ignore[method-assign]
    S3Backend.put_bucket_versioning = put_bucket_versioning  # type: ignore[method-assign]
