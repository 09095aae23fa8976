"""IAM enforcement errors in the protocol of the service that was called.

moto's authorizer (``ActionAuthenticatorMixin``) answers every denied or unauthenticated request
with one XML body, ``<ErrorResponse><Errors><Error>...``. That envelope is EC2's (the Go SDK's
``ec2query`` decoder reads ``Errors>Error>Code``) and botocore reads it for every service, but AWS
answers each protocol in its own:

- JSON-protocol services (SageMaker, DataZone, KMS, CloudWatch Logs, EventBridge, SSM): a JSON
  body with ``__type`` (``AccessDeniedException``, ``UnrecognizedClientException``, ...);
- query-protocol services (STS, IAM): ``<ErrorResponse><Error><Type/><Code/><Message/></Error>
  <RequestId/></ErrorResponse>``, one ``Error`` directly under the root. The Go SDK (Terraform's
  provider) reads ``Error>Code`` there (aws-sdk-go-v2 ``aws/protocol/xml/error_utils.go``,
  ``wrappedErrorResponse``), so in moto's envelope it found no code: Terraform reported a refused
  ``sts:AssumeRole`` or an unknown access key as a bare "403 UnknownError". Followed: [Query API
  error responses](https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html) and
  the STS sample error in the [IAM query API
  guide](https://docs.aws.amazon.com/IAM/latest/UserGuide/programming.html).

Without this an SDK sees only "403", and a script cannot tell a denied call from any other
failure. :func:`register` replaces the method on moto's mixin, which a type checker refuses
(``type: ignore[method-assign]``). It wraps ``authentication.authenticate_and_authorize`` (moto's
authenticator with the signed request fixed), so it supersedes that module's patch.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import DataNotFoundError
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import (
    AccessDeniedError,
    AuthFailureError,
    InvalidClientTokenIdError,
    SignatureDoesNotMatchError,
)

from .authentication import authenticate_and_authorize
from .core.errors import JsonAuthError, QueryAuthError

#: moto's XML error code -> the code JSON-protocol services use.
JSON_CODES: dict[
    type[AccessDeniedError | AuthFailureError | InvalidClientTokenIdError | SignatureDoesNotMatchError], str
] = {
    AccessDeniedError: "AccessDeniedException",
    InvalidClientTokenIdError: "UnrecognizedClientException",
    SignatureDoesNotMatchError: "InvalidSignatureException",
    AuthFailureError: "UnrecognizedClientException",
}


def _protocol(response: Any) -> str:
    from moto.core.utils import get_service_model

    try:
        return str(get_service_model(response.boto3_service_name).protocol)
    except DataNotFoundError:  # a service botocore has no model of: keep moto's behaviour
        return ""


def _authenticate_and_authorize_action(self: Any, iam_request_cls: type, resource: str = "*") -> None:
    try:
        authenticate_and_authorize(self, iam_request_cls, resource)
    except tuple(JSON_CODES) as error:
        protocol = _protocol(self)
        if protocol in ("json", "rest-json"):
            code = next(json_code for cls, json_code in JSON_CODES.items() if isinstance(error, cls))
            raise JsonAuthError(code, error.message, error.code) from None
        if protocol == "query":
            raise QueryAuthError(error.error_type, error.message, error.code) from None
        raise


def register() -> None:
    """Answer authorization failures of JSON services in JSON (idempotent)."""
    ActionAuthenticatorMixin._authenticate_and_authorize_action = _authenticate_and_authorize_action  # type: ignore[method-assign]
