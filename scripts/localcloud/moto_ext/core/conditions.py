"""IAM policy conditions evaluated against the request context the local cloud knows.

One evaluator for every policy the extensions evaluate themselves (bucket policies on object
requests, role trust policies, KMS key policies). As on AWS, a condition on a key missing from
the context is not met (``...IfExists`` operators and ``Null`` excepted), so a statement whose
condition names a key the local cloud never has (``aws:SourceVpce``, ``aws:PrincipalOrgID``)
does not apply. Keys compare case-insensitively, as AWS's do.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

#: The request context: lower-cased condition key -> value(s).
Context = Mapping[str, str | list[str]]


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in items]


def _one_met(base: str, actual: str, wanted: list[str]) -> bool:
    if base == "Bool":
        return actual.lower() in [w.lower() for w in wanted]
    if base in ("StringEquals", "ArnEquals"):
        return actual in wanted
    if base == "StringEqualsIgnoreCase":
        return actual.lower() in [w.lower() for w in wanted]
    if base in ("StringLike", "ArnLike"):
        return any(fnmatch.fnmatchcase(actual, w) for w in wanted)
    if base in ("StringNotEquals", "ArnNotEquals"):
        return actual not in wanted
    if base == "StringNotEqualsIgnoreCase":
        return actual.lower() not in [w.lower() for w in wanted]
    if base in ("StringNotLike", "ArnNotLike"):
        return not any(fnmatch.fnmatchcase(actual, w) for w in wanted)
    # Operators on values the local cloud never has (numbers, dates, IP addresses) are not met.
    return False


def condition_met(operator: str, key: str, expected: Any, context: Context) -> bool:
    """One ``operator: {key: expected}`` pair of a Condition block."""
    present = context.get(key.lower())
    actual = _values(present) if present is not None else None
    set_operator = operator.split(":", 1)[0] if ":" in operator else ""
    base = operator.removeprefix("ForAnyValue:").removeprefix("ForAllValues:")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    if base == "Null":
        return (actual is None) == (_values(expected)[0].lower() == "true")
    if actual is None:
        # ForAllValues over an absent key is vacuously true; everything else needs the key.
        return if_exists or set_operator == "ForAllValues"
    wanted = _values(expected)
    if set_operator == "ForAllValues":
        return all(_one_met(base, value, wanted) for value in actual)
    negated = "Not" in base
    checks = [_one_met(base, value, wanted) for value in actual]
    # A negated operator on a multi-valued key needs every value to pass; otherwise any may.
    return all(checks) if negated else any(checks)


def conditions_met(statement: Mapping[str, Any], context: Context) -> bool:
    """Every condition of ``statement`` (all operators, all keys: a logical AND)."""
    for operator, pairs in (statement.get("Condition") or {}).items():
        for key, expected in pairs.items():
            if not condition_met(operator, key, expected, context):
                return False
    return True
