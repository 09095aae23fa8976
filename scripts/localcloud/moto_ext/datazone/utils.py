"""Pagination of DataZone's list and search operations, in moto's ``paginate`` model, and the clock
the provisioning delays are measured on."""

from __future__ import annotations

import time
from typing import Any


def clock() -> float:
    """Seconds on a monotonic clock: what the provisioning delays (domains, listings) are measured
    on (one name, so a test can move it instead of sleeping)."""
    return time.monotonic()


def _page(unique: str | list[str]) -> dict[str, Any]:
    # DataZone's maxResults is at most 50 and defaults to 50 here.
    return {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 50,
        "unique_attribute": unique,
    }


#: Backend method -> how ``moto.utilities.paginator.paginate`` pages it. ``unique_attribute``
#: names what the nextToken points at.
PAGINATION_MODEL: dict[str, dict[str, Any]] = {
    "list_domains": _page("id"),
    "list_projects": _page("id"),
    "list_project_memberships": _page("key"),
    "list_asset_revisions": _page("revision"),
    "page_documents": _page("key"),
    "list_environment_blueprints": _page("id"),
    "list_environments": _page("id"),
    "list_subscription_targets": _page("id"),
    "list_subscription_requests": _page("id"),
    "list_subscriptions": _page("id"),
    "list_subscription_grants": _page("id"),
}
