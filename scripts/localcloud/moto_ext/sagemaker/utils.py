"""Pagination of the list operations added here, in moto's ``paginate`` model."""

from __future__ import annotations

import random
import string
from typing import Any

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
