"""The errors a governance job reports to a person.

Every one is a :class:`scripts.errors.KitError`, so the command edge (:mod:`scripts.command`) maps
it to its exit code (1 refused or failed, 2 bad usage) the same way for jobs and the deploy
runner. Bad input is :class:`scripts.errors.UsageError`, the one usage error of the kit; the AWS
errors (denied, credentials, any other failure) are :mod:`scripts.errors`' too, made from a
botocore error by :mod:`scripts.aws`. Both are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scripts.errors import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    AwsCallError,
    AwsError,
    CredentialsError,
    KitError,
    PermissionDeniedError,
    UsageError,
)

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "AwsCallError",
    "AwsError",
    "CardValidationError",
    "CredentialsError",
    "GateFailure",
    "GovernanceError",
    "KitError",
    "PermissionDeniedError",
    "RefusedError",
    "UnknownVersionError",
    "UsageError",
]


class GovernanceError(KitError):
    """A governance job could not do what was asked (exit 1); the message says what to do."""


class UnknownVersionError(UsageError):
    """The model version named on the command line does not exist in that environment."""


class CardValidationError(UsageError):
    """Model card content does not match the SageMaker model card schema."""


@dataclass(frozen=True)
class GateFailure:
    """One gate that refused a version: which, why (a sentence naming the value, the limit and the
    configuration field that set it), and the value read and the limit, for records and JSON."""

    gate: str
    """The gate's name: ``approval``, ``card_status``, ``card_sections``, ``metric:<name>``,
    ``bias:<metric>``, ``explainability``."""
    reason: str
    value: Any = None
    """What the gate read (a status, a metric's value, the missing sections); None when absent."""
    limit: Any = None
    """What the environment requires (a status, a floor, a range, the required sections)."""

    def to_dict(self) -> dict[str, Any]:
        return {"gate": self.gate, "reason": self.reason, "value": self.value, "limit": self.limit}


class RefusedError(GovernanceError):
    """A governance gate refused the request. ``failures`` names each failed gate, its value and
    its limit."""

    def __init__(self, message: str, failures: Sequence[GateFailure] = ()):
        super().__init__(message)
        self.failures = tuple(failures)
        self.audit_key: str | None = None
        """The audit record of the refusal, where one was written (a refused promotion)."""

    def to_dict(self) -> dict[str, Any]:
        out = {**super().to_dict(), "failures": [f.to_dict() for f in self.failures]}
        if self.audit_key is not None:
            out["audit_key"] = self.audit_key
        return out

    def details(self) -> list[str]:
        return [f"{f.gate}: {f.reason}" for f in self.failures]
