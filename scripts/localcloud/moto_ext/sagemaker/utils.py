"""Pagination of the list operations added here, in moto's ``paginate`` model, and the small
helpers the backend's modules share."""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

#: Backend method -> how ``moto.utilities.paginator.paginate`` pages it (SageMaker's MaxResults
#: defaults to 100). ``unique_attribute`` names what the NextToken points at.
PAGINATION_MODEL: dict[str, dict[str, Any]] = {
    "list_user_profiles": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": ["domain_id", "name"],
    },
    "list_spaces": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": "arn",
    },
    "list_apps": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": "arn",
    },
    "list_lineage_entities": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": "arn",
    },
    "search_records": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": "arn",
    },
    "list_model_card_export_jobs": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": "arn",
    },
    "list_serving_models": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": "arn",
    },
    "list_serving_endpoint_configs": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": "arn",
    },
    "list_serving_endpoints": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": "arn",
    },
    "list_serving_transform_jobs": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": "arn",
    },
    "list_serving_data_quality_job_definitions": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": "arn",
    },
    "list_serving_monitoring_schedules": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": "arn",
    },
    "list_serving_monitoring_executions": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": "arn",
    },
    "query_lineage": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 10,
        "unique_attribute": "arn",
    },
    "list_associations": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": ["source_arn", "destination_arn"],
    },
}


def short_id(length: int = 12) -> str:
    """Lowercase alphanumerics, as in AWS's Studio domain ids (``d-`` + 12)."""
    alphabet = string.ascii_lowercase + string.digits
    return "".join(random.choice(alphabet) for _ in range(length))


def sort_by_order(items: list[T], key: Callable[[T], Any], sort_order: str | None) -> list[T]:
    """A list operation's items in its SortOrder (``Descending`` unless named, as SageMaker)."""
    return sorted(items, key=key, reverse=(sort_order or "Descending") == "Descending")


def without_none(members: dict[str, Any]) -> dict[str, Any]:
    """A response's members less the absent ones (AWS leaves them out rather than send null)."""
    return {k: v for k, v in members.items() if v is not None}
