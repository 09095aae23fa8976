"""Pagination of DataZone's list operations, in moto's ``paginate`` model."""

from __future__ import annotations

from typing import Any

#: Backend method -> how ``moto.utilities.paginator.paginate`` pages it (DataZone's maxResults
#: defaults to 50 here). ``unique_attribute`` names what the nextToken points at.
PAGINATION_MODEL: dict[str, dict[str, Any]] = {
    "list_domains": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 50,
        "unique_attribute": "id",
    },
    "list_projects": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 50,
        "unique_attribute": "id",
    },
}
