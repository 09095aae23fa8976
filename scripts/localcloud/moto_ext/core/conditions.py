"""IAM policy conditions and policy variables, evaluated against a request context.

One evaluator for every policy the local cloud evaluates (identity, trust, key, bucket, model
package group and log resource policies), written from the IAM User Guide's "IAM JSON policy
elements: Condition operators", "Condition operators: single-valued vs multivalued context keys"
and "IAM policy elements: Variables and tags":

- Condition keys compare case-insensitively; values case-sensitively (``...IgnoreCase`` aside).
- A key absent from the request context does not match, so the condition is false, except:
  ``...IfExists`` is true; ``Null`` tests presence itself; a negated operator
  (``StringNotEquals``, ``StringNotLike``, ``ArnNotLike``, ``NumericNotEquals``, ...) on an absent
  key is true ("If the policy condition requires that the key is not matched, such as
  StringNotLike or ArnNotLike, and the right key is not present, the condition is true");
  ``ForAllValues`` over an absent key is true, ``ForAnyValue`` false.
- Several values for one key are ORed; several keys and operators are ANDed.
- Policy variables (``${aws:username}``, ``${aws:PrincipalTag/team}``, ``${aws:SourceIdentity}``,
  with an optional default ``${aws:username, 'anonymous'}``, and the escapes ``${*}``, ``${?}``,
  ``${$}``) are replaced in the values of string and ARN operators and, by the evaluator, in
  ``Resource``; only in policies of version ``2012-10-17``. A variable whose key the request does
  not carry (and that has no default) cannot be resolved: "this might cause the entire statement
  to be invalid", so the statement does not apply (:class:`UnresolvedVariable`).
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

#: The request context: lower-cased condition key -> value(s).
Context = Mapping[str, str | list[str]]

#: The policy language version that has policy variables.
VARIABLES_VERSION = "2012-10-17"

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


class UnresolvedVariable(Exception):
    """A policy variable names a key the request context does not carry (and has no default)."""


def substitute(text: str, context: Context) -> str:
    """``text`` with its policy variables replaced from ``context`` (see the module docstring);
    :class:`UnresolvedVariable` if one cannot be resolved."""

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        if inner in _ESCAPES:
            return _ESCAPES[inner]
        key, _, default = inner.partition(",")
        value = context.get(key.strip().lower())
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else None
        if value is not None:
            return value
        default = default.strip()
        if len(default) >= 2 and default[0] == default[-1] == "'":
            return default[1:-1]
        raise UnresolvedVariable(key.strip())

    return _VARIABLE.sub(replace, text)


def glob_match(pattern: str, value: str, *, case: bool = True) -> bool:
    """IAM's wildcard matching: ``*`` any run of characters, ``?`` one character, nothing else
    special (fnmatch's ``[...]`` classes are not IAM syntax)."""
    if "*" not in pattern and "?" not in pattern:
        return pattern == value if case else pattern.lower() == value.lower()
    return _glob_regex(pattern, case).fullmatch(value) is not None


@functools.lru_cache(maxsize=16384)
def _glob_regex(pattern: str, case: bool) -> re.Pattern[str]:
    """A wildcard pattern compiled once: AWS-managed policies list thousands of actions, more
    than ``re``'s own cache of 512 holds."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, flags=0 if case else re.IGNORECASE)


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in items]


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> datetime | None:
    """An ISO 8601 date or an epoch-seconds number, as IAM's Date operators read both."""
    number = _number(text)
    if number is not None:
        return datetime.fromtimestamp(number, tz=UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _compare(ordering: str, actual: Any, wanted: Any) -> bool:
    if actual is None or wanted is None:
        return False
    return {
        "Equals": actual == wanted,
        "NotEquals": actual != wanted,
        "LessThan": actual < wanted,
        "LessThanEquals": actual <= wanted,
        "GreaterThan": actual > wanted,
        "GreaterThanEquals": actual >= wanted,
    }[ordering]


def _ip_in(actual: str, network: str) -> bool:
    try:
        return ipaddress.ip_address(actual) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def _matches(base: str, actual: str, wanted: str) -> bool:
    """The positive form of ``base`` (``StringNotLike`` is tested as ``StringLike``)."""
    if base in ("StringEquals", "StringNotEquals"):
        return actual == wanted
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return actual.lower() == wanted.lower()
    if base in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals"):
        return glob_match(wanted, actual)
    if base == "Bool":
        return actual.lower() == wanted.lower()
    if base == "BinaryEquals":
        try:
            return base64.b64decode(actual) == base64.b64decode(wanted)
        except ValueError:
            return False
    if base in ("IpAddress", "NotIpAddress"):
        return _ip_in(actual, wanted)
    for family, parse in (("Numeric", _number), ("Date", _date)):
        if base.startswith(family):
            ordering = base.removeprefix(family)
            if ordering == "NotEquals":
                ordering = "Equals"
            return _compare(ordering, parse(actual), parse(wanted))
    raise ValueError(f"unknown condition operator {base!r}")


def _negated(base: str) -> bool:
    return base in (
        "StringNotEquals",
        "StringNotEqualsIgnoreCase",
        "StringNotLike",
        "ArnNotEquals",
        "ArnNotLike",
        "NumericNotEquals",
        "DateNotEquals",
        "NotIpAddress",
    )


def _substituted(base: str, wanted: list[str], context: Context, version: str | None) -> list[str]:
    """The policy's values with their variables replaced (string and ARN operators only); a
    value whose variable cannot be resolved is left out."""
    if version != VARIABLES_VERSION or not base.startswith(("String", "Arn")):
        return wanted
    resolved = []
    for value in wanted:
        try:
            resolved.append(substitute(value, context))
        except UnresolvedVariable:
            continue
    return resolved


def condition_met(
    operator: str, key: str, expected: Any, context: Context, *, version: str | None = VARIABLES_VERSION
) -> bool:
    """One ``operator: {key: expected}`` pair of a Condition block."""
    present = context.get(key.lower())
    actual = _values(present) if present is not None else None
    set_operator, _, rest = operator.partition(":") if ":" in operator else ("", "", operator)
    if_exists = rest.endswith("IfExists")
    base = rest.removesuffix("IfExists")
    if base == "Null":
        return (actual is None) == (_values(expected)[0].lower() == "true")
    if actual is None or actual == []:
        if set_operator == "ForAllValues":
            return True
        if set_operator == "ForAnyValue":
            return False
        return if_exists or _negated(base)
    wanted = _substituted(base, _values(expected), context, version)
    negated = _negated(base)

    def one(value: str) -> bool:
        hit = any(_matches(base, value, w) for w in wanted)
        return not hit if negated else hit

    if set_operator == "ForAllValues":
        return all(one(value) for value in actual)
    if set_operator == "ForAnyValue":
        return any(one(value) for value in actual)
    # A single-valued key: its one value. (A multivalued key without a set operator is read as
    # ForAnyValue for positive operators and, negated, as "none of the values match".)
    return all(one(value) for value in actual) if negated else any(one(value) for value in actual)


def conditions_met(statement: Mapping[str, Any], context: Context, *, version: str | None = None) -> bool:
    """Every condition of ``statement`` (all operators, all keys: a logical AND)."""
    version = VARIABLES_VERSION if version is None else version
    for operator, pairs in (statement.get("Condition") or {}).items():
        for key, expected in pairs.items():
            if not condition_met(operator, key, expected, context, version=version):
                return False
    return True
