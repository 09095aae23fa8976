"""SageMaker ``Search``: the SearchExpression grammar evaluated over search records.

A search record is the resource as the ``SearchRecord`` member of the model shapes it (for example
``Results[].ModelPackage``: the whole model package, card, life cycle, metadata and tags). Filters
name record properties by dotted path (``ModelCard.ModelCardStatus``, ``Tags.team``,
``CustomerMetadataProperties.source``); a path whose first part the resource's shape does not
define is refused with "Unknown property name", as SageMaker refuses it.

Followed: the API reference of Search, SearchExpression, Filter and NestedFilters
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Search.html,
.../API_SearchExpression.html, .../API_Filter.html, .../API_NestedFilters.html): a Value without
an Operator means Equals; GreaterThan/LessThan(OrEqualTo) only on numbers and timestamps; Contains
and In only on text; timestamps given as ISO 8601; at most 50 SubExpressions, NestedFilters and
Filters in all; an empty expression is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from moto.core.utils import get_service_model
from moto.sagemaker.exceptions import ValidationError

#: Search's Resource value -> the SearchRecord member that carries it.
RECORD_MEMBERS = {
    "ModelPackage": "ModelPackage",
    "ModelPackageGroup": "ModelPackageGroup",
    "ModelCard": "ModelCard",
}
MAX_EXPRESSION_ELEMENTS = 50
_TEXT_ONLY = ("Contains", "In")
_ORDERED = ("GreaterThan", "GreaterThanOrEqualTo", "LessThan", "LessThanOrEqualTo")


@cache
def record_members(resource: str) -> frozenset[str]:
    """The top-level properties botocore's model defines for a resource's search record."""
    shape = get_service_model("sagemaker").shape_for("SearchRecord").members[RECORD_MEMBERS[resource]]
    return frozenset(shape.members)


def _count(expression: dict[str, Any]) -> int:
    total = len(expression.get("Filters") or []) + len(expression.get("NestedFilters") or [])
    for sub in expression.get("SubExpressions") or []:
        total += 1 + _count(sub)
    return total


def check_expression(resource: str, expression: dict[str, Any] | None) -> None:
    """ValidationException for an expression SageMaker refuses before looking at any resource."""
    if expression is None:
        return
    if not any(expression.get(k) for k in ("Filters", "NestedFilters", "SubExpressions")):
        raise ValidationError(
            "SearchExpression must contain at least one of Filters, NestedFilters or SubExpressions."
        )
    if _count(expression) > MAX_EXPRESSION_ELEMENTS:
        raise ValidationError(
            f"The SearchExpression may contain at most {MAX_EXPRESSION_ELEMENTS} SubExpressions, "
            "NestedFilters and Filters in all."
        )
    _check_names(resource, expression)


def _check_names(resource: str, expression: dict[str, Any]) -> None:
    names = [f["Name"] for f in expression.get("Filters") or []]
    names += [n["NestedPropertyName"] for n in expression.get("NestedFilters") or []]
    for name in names:
        check_property(resource, name)
    for sub in expression.get("SubExpressions") or []:
        _check_names(resource, sub)


def check_property(resource: str, name: str) -> None:
    if name.split(".", 1)[0] not in record_members(resource):
        raise ValidationError(f"Unknown property name: {name}")


def lookup(record: Any, path: str) -> Any:
    """The value at a dotted path of a record (``None`` when absent). ``Tags.<key>`` reads the
    tag list the way Search does: the value of the tag with that key."""
    value = record
    parts = path.split(".")
    for index, part in enumerate(parts):
        if isinstance(value, list) and parts[index - 1] == "Tags":
            value = next((t.get("Value") for t in value if t.get("Key") == part), None)
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
        if value is None:
            return None
    return value


def _timestamp(value: str) -> datetime | None:
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _as_comparable(actual: Any, expected: str, name: str) -> tuple[Any, Any]:
    """The record's value and the filter's value as one comparable type."""
    if isinstance(actual, datetime):
        moment = _timestamp(expected)
        if moment is None:
            raise ValidationError(
                f"Value '{expected}' of property {name} is not a timestamp: use ISO 8601 "
                "(YYYY-mm-dd'T'HH:MM:SS)."
            )
        return _aware(actual), moment
    if isinstance(actual, bool):
        return str(actual).lower(), expected.lower()
    if isinstance(actual, (int, float)):
        try:
            return actual, float(expected)
        except ValueError:
            raise ValidationError(f"Value '{expected}' of property {name} is not a number.") from None
    return actual, expected


def filter_matches(record: dict[str, Any], flt: dict[str, Any]) -> bool:
    name = flt["Name"]
    value = flt.get("Value")
    operator = flt.get("Operator") or "Equals"
    actual = lookup(record, name)
    if operator == "Exists":
        return actual is not None
    if operator == "NotExists":
        return actual is None
    if value is None:
        raise ValidationError(f"Filter on {name} with operator {operator} needs a Value.")
    if actual is None:
        # An absent property equals nothing and differs from every value.
        return operator == "NotEquals"
    is_text = isinstance(actual, str)
    if operator in _TEXT_ONLY and not is_text:
        raise ValidationError(f"Operator {operator} is only supported for text properties ({name}).")
    if operator in _ORDERED and is_text:
        raise ValidationError(f"Operator {operator} is not supported for text properties ({name}).")
    if operator == "Contains":
        return value in actual
    if operator == "In":
        return actual in [v.strip() for v in value.split(",")]
    left, right = _as_comparable(actual, value, name)
    comparisons = {
        "Equals": lambda: left == right,
        "NotEquals": lambda: left != right,
        "GreaterThan": lambda: left > right,
        "GreaterThanOrEqualTo": lambda: left >= right,
        "LessThan": lambda: left < right,
        "LessThanOrEqualTo": lambda: left <= right,
    }
    return bool(comparisons[operator]())


def _nested_matches(record: dict[str, Any], nested: dict[str, Any]) -> bool:
    """NestedFilters: some element of the named list satisfies every filter (filter names are
    full paths starting with the nested property's name)."""
    prefix = nested["NestedPropertyName"]
    elements = lookup(record, prefix)
    if not isinstance(elements, list):
        elements = [elements] if elements is not None else []
    relative = [{**f, "Name": f["Name"].removeprefix(f"{prefix}.")} for f in nested["Filters"]]
    return any(all(filter_matches(e, f) for f in relative) for e in elements if isinstance(e, dict))


def matches(record: dict[str, Any], expression: dict[str, Any] | None) -> bool:
    """Whether a record satisfies a SearchExpression (And unless Operator says Or)."""
    if expression is None:
        return True
    results = [filter_matches(record, f) for f in expression.get("Filters") or []]
    results += [_nested_matches(record, n) for n in expression.get("NestedFilters") or []]
    results += [matches(record, sub) for sub in expression.get("SubExpressions") or []]
    return any(results) if expression.get("Operator") == "Or" else all(results)


def sort_key(record: dict[str, Any], sort_by: str) -> tuple[int, Any]:
    """A key that orders records by a property; records without it sort last ascending."""
    value = lookup(record, sort_by)
    if value is None:
        return (0, "")
    if isinstance(value, datetime):
        return (1, _aware(value).timestamp())
    if isinstance(value, (dict, list)):
        return (1, str(value))
    return (1, value)
