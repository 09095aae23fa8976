"""Search (the inventory), SearchListings (the catalog) and SearchTypes: text, filters and sort.

What the local cloud matches, as far as the DataZone API reference and User Guide describe it
("Search for data", the Search / SearchListings / FilterClause / SearchInItem / SearchSort API
types); DataZone's ranking is not documented and is not reproduced:

- ``searchText``: every word of it must occur (case-insensitive, as a substring) in what is
  searched: the name, the description, the names and short descriptions of the glossary terms
  attached, and the form members marked ``@amazon.datazone#searchable``. ``searchIn`` narrows it to
  some of those attributes: ``name``, ``description``, ``glossaryTerms`` or ``<form name>.<member>``.
- ``filters`` (``filter``, ``and``, ``or``): ``owningProjectId``, ``typeName``, ``name``,
  ``description``, ``glossaryTerms`` (a term id), ``amazonmetadata.sourceCategory`` (``asset``),
  ``createdAt`` / ``updatedAt`` (epoch seconds with ``intValue``) and ``<form name>.<member>``
  (any form member); ``EQ`` (``value`` or ``intValue``), ``TEXT_SEARCH`` (a substring),
  ``LT`` / ``LE`` / ``GT`` / ``GE`` (``intValue``).
- ``sort``: ``name``, ``createdAt`` or ``updatedAt``; without it, oldest first.

An attribute outside those is refused with a ValidationException naming it, so a search the local
cloud accepts is one it evaluates (AWS may accept more attributes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .exceptions import ValidationException

TEXT_ATTRIBUTES = ("name", "description", "glossaryTerms")
FILTER_ATTRIBUTES = (
    "owningProjectId",
    "typeName",
    "name",
    "description",
    "glossaryTerms",
    "amazonmetadata.sourceCategory",
    "createdAt",
    "updatedAt",
)
SORT_ATTRIBUTES = ("name", "createdAt", "updatedAt")
_FORM_ATTRIBUTE = re.compile(r"[A-Za-z_]\w*\.[A-Za-z_]\w*")


@dataclass
class Document:
    """One thing search can find: its result item, what its text is, and what filters see."""

    item: dict[str, Any]
    text: dict[str, str]
    fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    key: str
    extra: dict[str, Any] = field(default_factory=dict)


def _form_attribute(attribute: str) -> bool:
    return bool(_FORM_ATTRIBUTE.fullmatch(attribute)) and not attribute.startswith("amazonmetadata.")


def _check_search_in(search_in: list[dict[str, Any]] | None) -> list[str] | None:
    if not search_in:
        return None
    attributes = [str(entry.get("attribute")) for entry in search_in]
    for attribute in attributes:
        if attribute not in TEXT_ATTRIBUTES and not _form_attribute(attribute):
            raise ValidationException(
                f"searchIn attribute {attribute} is not searchable here; use one of "
                f"{', '.join(TEXT_ATTRIBUTES)} or <form name>.<member>."
            )
    return attributes


def _words(text: str) -> list[str]:
    return [w for w in (part.strip("\"'.,;:!?()[]{}").lower() for part in text.split()) if w]


def matches_text(document: Document, search_text: str | None, search_in: list[str] | None) -> bool:
    words = _words(search_text or "")
    if not words:
        return True
    if search_in is None:
        haystack = " ".join(document.text.values())
    else:
        haystack = " ".join(document.text.get(a, "") for a in search_in)
    haystack = haystack.lower()
    return all(word in haystack for word in words)


def check_filters(clause: dict[str, Any] | None) -> None:
    """Refuse a filter the local cloud would not evaluate (before anything is matched)."""
    if not clause:
        return
    for key in ("and", "or"):
        for child in clause.get(key) or []:
            check_filters(child)
    leaf = clause.get("filter")
    if leaf is None:
        return
    attribute = str(leaf.get("attribute"))
    if attribute not in FILTER_ATTRIBUTES and not _form_attribute(attribute):
        raise ValidationException(
            f"Filter attribute {attribute} is not supported; use one of {', '.join(FILTER_ATTRIBUTES)} "
            "or <form name>.<member>."
        )
    operator = leaf.get("operator") or "EQ"
    if leaf.get("value") is None and leaf.get("intValue") is None:
        raise ValidationException(f"Filter on {attribute} needs a value or an intValue.")
    if operator in ("LT", "LE", "GT", "GE") and leaf.get("intValue") is None:
        raise ValidationException(f"Filter operator {operator} on {attribute} compares an intValue.")


def matches_filter(document: Document, clause: dict[str, Any] | None) -> bool:
    if not clause:
        return True
    if clause.get("and"):
        return all(matches_filter(document, child) for child in clause["and"])
    if clause.get("or"):
        return any(matches_filter(document, child) for child in clause["or"])
    leaf = clause.get("filter") or {}
    actual = document.fields.get(str(leaf.get("attribute")))
    operator = leaf.get("operator") or "EQ"
    if actual is None:
        return False
    values = actual if isinstance(actual, list) else [actual]
    if leaf.get("intValue") is not None:
        wanted = leaf["intValue"]
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        compare = {
            "EQ": lambda v: v == wanted,
            "LT": lambda v: v < wanted,
            "LE": lambda v: v <= wanted,
            "GT": lambda v: v > wanted,
            "GE": lambda v: v >= wanted,
        }.get(operator)
        return compare is not None and any(compare(v) for v in numbers)
    wanted_text = str(leaf.get("value"))
    strings = [v if isinstance(v, str) else str(v) for v in values]
    if operator == "TEXT_SEARCH":
        return any(wanted_text.lower() in v.lower() for v in strings)
    if operator == "EQ":
        return wanted_text in strings
    return False


def run(
    documents: list[Document],
    search_text: str | None,
    search_in: list[dict[str, Any]] | None,
    filters: dict[str, Any] | None,
    sort: dict[str, Any] | None,
) -> list[Document]:
    """The documents a search finds, in its order."""
    attributes = _check_search_in(search_in)
    check_filters(filters)
    found = [d for d in documents if matches_text(d, search_text, attributes) and matches_filter(d, filters)]
    if sort:
        attribute = sort.get("attribute")
        if attribute not in SORT_ATTRIBUTES:
            raise ValidationException(
                f"Sort attribute {attribute} is not supported; use one of {', '.join(SORT_ATTRIBUTES)}."
            )
        keys = {
            "name": lambda d: str(d.text.get("name", "")).lower(),
            "createdAt": lambda d: d.created_at,
            "updatedAt": lambda d: d.updated_at,
        }
        found.sort(key=keys[str(attribute)], reverse=sort.get("order") == "DESCENDING")
    else:
        found.sort(key=lambda d: d.created_at)
    return found
