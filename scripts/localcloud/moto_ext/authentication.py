"""SigV4 checked over the request as the client signed it.

moto's authenticator (``ActionAuthenticatorMixin._authenticate_and_authorize_action``) rebuilds
the request it verifies from two things that are not what the client signed, so with IAM
enforced every restJson call without a body or with an encoded path label answered
``InvalidSignatureException`` (DataZone GetDomain, ListDomains, TagResource; the provider polls
GetDomain after CreateDomain, so the dev stack could not apply):

- the payload: moto signs ``body or data``. When a request has neither body nor query string,
  moto fills ``data`` with the request's headers, so a GET is verified as if its headers had
  been sent as a form body. Only a form-encoded request, whose body the web framework has
  already parsed into ``data``, is signed from ``data``; anything else from its raw bytes, empty
  included (``IAMRequestBase._create_aws_request`` replaced).
- the path and query: in server mode moto passes ``request.url``, which werkzeug has
  percent-decoded (``/tags/arn%3Aaws%3A...%2Fdzd_x`` becomes ``/tags/arn:aws:.../dzd_x``, and
  ``?resourceShareArn=arn%3Aaws...`` likewise), while SigV4 signs them as sent. The request line
  as received (werkzeug's ``RAW_URI``, kept by a wrapped ``BaseResponse.setup_class``) is used.

Everything else (who is authenticated, which policies are evaluated) is moto's. ``auth_errors``
installs :func:`authenticate_and_authorize` in place of moto's method (wrapped to answer JSON
services in JSON); :func:`register` replaces the request builder on moto's class and wraps
``BaseResponse.setup_class``, which a type checker refuses (``type: ignore[method-assign]``).
"""

from __future__ import annotations

import weakref
from typing import Any

from botocore.awsrequest import AWSRequest
from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.responses import BaseResponse
from moto.iam.access_control import IAMRequestBase

from .resource_policies import CURRENT


def _signed_path(response: Any) -> str:
    raw = _request_uris.get(response)
    if raw:
        return raw
    path, query = response.parsed_url.path, response.parsed_url.query
    return f"{path}?{query}" if query else path


_original_setup_class = BaseResponse.setup_class
#: Response object -> the request line as the client sent it (werkzeug only; in-process the URL
#: is never decoded). Weak keys: an entry lives as long as its request.
_request_uris: weakref.WeakKeyDictionary[BaseResponse, str] = weakref.WeakKeyDictionary()


def _setup_class(
    self: BaseResponse, request: Any, full_url: str, headers: Any, use_raw_body: bool = False
) -> None:
    _original_setup_class(self, request, full_url, headers, use_raw_body)
    environ = getattr(request, "environ", None)
    raw = environ.get("RAW_URI") if isinstance(environ, dict) else None
    if raw:
        _request_uris[self] = str(raw)


def authenticate_and_authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
    """moto's ``_authenticate_and_authorize_action`` with the signed path and payload fixed."""
    if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
        ActionAuthenticatorMixin.request_count += 1
        return
    if self.headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
        return
    if _unsigned_web_identity(self):
        from .sts import authorize_web_identity

        authorize_web_identity(self)
        return
    iam_request = iam_request_cls(
        account_id=self.current_account,
        method=self.method,
        path=_signed_path(self),
        data=self.data,
        body=self.raw_body,
        headers=self.headers,
        action=self._get_action(),
    )
    iam_request.check_signature()
    token = CURRENT.set(self)
    try:
        iam_request.check_action_permitted(resource)
    finally:
        CURRENT.reset(token)


def _unsigned_web_identity(response: Any) -> bool:
    """AssumeRoleWithWebIdentity is called without AWS credentials (moto failed with a KeyError
    on the missing Authorization header, HTTP 500); ``sts.authorize_web_identity`` decides it."""
    return (
        getattr(response, "service_name", "") == "sts"
        and response._get_action() == "AssumeRoleWithWebIdentity"
        and "Authorization" not in response.headers
    )


def _create_aws_request(self: IAMRequestBase) -> AWSRequest:
    """moto's request builder, with the payload the client really sent (see the module doc)."""
    signed_headers = self._get_string_between("SignedHeaders=", ",", self._headers["Authorization"]).split(
        ";"
    )
    headers = self._create_headers_for_aws_request(signed_headers, self._headers)
    content_type = next((v for k, v in self._headers.items() if k.lower() == "content-type"), "")
    form = "application/x-www-form-urlencoded" in content_type
    request = AWSRequest(
        method=self._method, url=self._path, data=self._body or (self._data if form else b""), headers=headers
    )
    request.context["timestamp"] = headers["X-Amz-Date"]
    return request


def register() -> None:
    """Sign-check the payload as sent (idempotent)."""
    IAMRequestBase._create_aws_request = _create_aws_request  # type: ignore[method-assign]
    if BaseResponse.setup_class is not _setup_class:
        BaseResponse.setup_class = _setup_class  # type: ignore[method-assign]
