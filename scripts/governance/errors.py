"""The errors a governance job reports to a person, and how an AWS error becomes one of them.

Every one is a :class:`scripts.errors.KitError`, so the CLI maps it to its exit code (1 refused or
failed, 2 bad usage) the same way for jobs and the deploy runner. Bad input is
:class:`scripts.errors.UsageError`, the one usage error of the kit, re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from scripts.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, KitError, UsageError

__all__ = [
    "DENIED_CODES",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "EXPIRED_CODES",
    "AwsCallError",
    "CardValidationError",
    "CredentialsError",
    "GovernanceError",
    "KitError",
    "PermissionDeniedError",
    "RefusedError",
    "UnknownVersionError",
    "UsageError",
    "describe_client_error",
    "error_code",
]

#: Error codes AWS returns when the credentials of an assumed role have run out.
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
)


class GovernanceError(KitError):
    """A governance job could not do what was asked (exit 1); the message says what to do."""


class UnknownVersionError(UsageError):
    """The model version named on the command line does not exist in that environment."""


class CardValidationError(UsageError):
    """Model card content does not match the SageMaker model card schema."""


class RefusedError(GovernanceError):
    """A governance gate refused the request. ``failures`` names each failed gate and why."""

    def __init__(self, message: str, failures: Sequence[Mapping[str, str]] = ()):
        super().__init__(message)
        self.failures = [dict(f) for f in failures]

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "failures": self.failures}


class PermissionDeniedError(GovernanceError):
    """AWS denied a call; the message names the role, the action and the resource."""


class CredentialsError(GovernanceError):
    """A role could not be assumed, or it handed out credentials that were already expired."""


class AwsCallError(GovernanceError):
    """Any other AWS error, with the operation that failed."""


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def describe_client_error(err: ClientError, *, role_arn: str | None = None) -> GovernanceError:
    """Turn a botocore error into the typed error a person can act on."""
    code = error_code(err) or "Unknown"
    message = err.response.get("Error", {}).get("Message", str(err))
    op = getattr(err, "operation_name", "call")
    who = f" as {role_arn}" if role_arn else ""
    if code in DENIED_CODES:
        return PermissionDeniedError(
            f"{op} was denied{who}: {message}. Run the job with the role allowed to do this, or "
            "check that role's policy and the resource policy of the target."
        )
    if code in EXPIRED_CODES:
        return CredentialsError(f"{op}{who}: credentials expired ({message})")
    return AwsCallError(f"{op}{who} failed: {code}: {message}")
