"""Small helpers every extension of this package shares."""

from __future__ import annotations

from typing import Any


def as_list(value: Any) -> list[Any]:
    """A policy element as a list: IAM lets ``Action``, ``Resource``, ``Principal.AWS`` and
    ``Statement`` be one value or a list of them."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def iam_enforced() -> bool:
    """True once moto authorizes requests (its ``INITIAL_NO_AUTH_ACTION_COUNT`` is used up)."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    return ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT
