"""Policy document helpers shared by the kit's custom checks (not a check itself)."""

from __future__ import annotations

import json
from typing import Any


def policy_dict(value: Any) -> dict[str, Any] | None:
    """A policy attribute as checkov hands it over (list-wrapped JSON string or dict)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    stmts = policy.get("Statement", [])
    if isinstance(stmts, dict):
        stmts = [stmts]
    return [s for s in stmts if isinstance(s, dict)]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
