"""IAM enforcement errors in the protocol of the service that was called.

moto's authorizer (``ActionAuthenticatorMixin``) answers every denied or unauthenticated request
with a query/XML error body. That is right for IAM, STS, S3 and EC2, but for JSON-protocol
services (SageMaker, DataZone, KMS, CloudWatch Logs, EventBridge, SSM) AWS sends a JSON body with
``__type`` (``AccessDeniedException``, ``UnrecognizedClientException``, ...); botocore then
reports the code. Without this the SDK sees only "403", and a script cannot tell a denied call
from any other failure. :func:`register` replaces the method on moto's mixin, which a type checker
refuses (``type: ignore[method-assign]``). It wraps ``authentication.authenticate_and_authorize``
(moto's authenticator with the signed request fixed), so it supersedes that module's patch.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import DataNotFoundError
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import (
    AccessDeniedError,
    AuthFailureError,
    InvalidClientTokenIdError,
    JsonRESTError,
    SignatureDoesNotMatchError,
)

from .authentication import authenticate_and_authorize

#: moto's XML error code -> the code JSON-protocol services use.
JSON_CODES: dict[
    type[AccessDeniedError | AuthFailureError | InvalidClientTokenIdError | SignatureDoesNotMatchError], str
] = {
    AccessDeniedError: "AccessDeniedException",
    InvalidClientTokenIdError: "UnrecognizedClientException",
    SignatureDoesNotMatchError: "InvalidSignatureException",
    AuthFailureError: "UnrecognizedClientException",
}


class JsonAuthError(JsonRESTError):
    def __init__(self, error_type: str, message: str, status: int) -> None:
        super().__init__(error_type, message)
        self.code = status


def _is_json_protocol(response: Any) -> bool:
    from moto.core.utils import get_service_model

    try:
        return get_service_model(response.boto3_service_name).protocol in ("json", "rest-json")
    except DataNotFoundError:  # a service botocore has no model of: keep moto's behaviour
        return False


def _authenticate_and_authorize_action(self: Any, iam_request_cls: type, resource: str = "*") -> None:
    try:
        authenticate_and_authorize(self, iam_request_cls, resource)
    except tuple(JSON_CODES) as error:
        if not _is_json_protocol(self):
            raise
        code = next(json_code for cls, json_code in JSON_CODES.items() if isinstance(error, cls))
        raise JsonAuthError(code, error.message, error.code) from None


def register() -> None:
    """Answer authorization failures of JSON services in JSON (idempotent)."""
    ActionAuthenticatorMixin._authenticate_and_authorize_action = _authenticate_and_authorize_action  # type: ignore[method-assign]
