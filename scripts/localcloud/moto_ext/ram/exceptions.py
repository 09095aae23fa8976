"""RAM's invitation errors, as the botocore error shapes name them."""

from __future__ import annotations

from moto.core.exceptions import JsonRESTError


class InvitationError(JsonRESTError):
    """RAM's invitation errors (their codes are the botocore error shape names)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
