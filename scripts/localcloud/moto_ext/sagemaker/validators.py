"""The checks SageMaker makes on model package input that moto does not make.

A model package's ModelCard is held to the *model package* model card schema
(``model_card_schema.json`` beside this file: the model card schema without
``model_package_details``, ``model_overview`` holding only ``model_creator`` and
``model_artifact``), as AWS does; anything else is a ValidationException naming the path.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from moto.sagemaker.exceptions import ValidationError

MODEL_CARD_STATUSES = ("Draft", "PendingReview", "Approved", "Archived")
APPROVAL_STATUSES = ("Approved", "Rejected", "PendingManualApproval")
_SCHEMA_PATH = Path(__file__).with_name("model_card_schema.json")
_CONTENT_SCHEMA_PATH = Path(__file__).with_name("model_card_content_schema.json")
ARCHIVED_MESSAGE = "Model Card is in Archived state."


@lru_cache(maxsize=1)
def model_card_validator() -> jsonschema.Draft7Validator:
    schema = json.loads(_SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


@lru_cache(maxsize=1)
def model_card_content_validator() -> jsonschema.Draft7Validator:
    schema = json.loads(_CONTENT_SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def _check_content(content: str, validator: jsonschema.Draft7Validator, member: str, schema: str) -> None:
    try:
        document = json.loads(content)
    except ValueError as error:
        raise ValidationError(f"{member} is not valid JSON: {error}") from None
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "(root)"
        raise ValidationError(
            f"{member} does not conform to the {schema} schema at '{where}': {first.message}"
        )


def validate_model_card_content(content: str | None) -> None:
    """A standalone card's Content (CreateModelCard, UpdateModelCard) against the model card JSON
    schema (``model_card_content_schema.json``): ValidationException naming the path."""
    if content is not None:
        _check_content(content, model_card_content_validator(), "Content", "model card")


def validate_status_change(current: str | None, requested: str | None) -> None:
    """An Archived card stays Archived: "No more updates should be made to the model card, but it
    can still be exported" (ModelCardStatus, UpdateModelCard API reference); moving it back to
    Draft would open its content to edits again. Refused with the message SageMaker gives for an
    archived card's content (ModelPackageModelCard API reference)."""
    if current == "Archived" and requested is not None and requested != "Archived":
        raise ValidationError(ARCHIVED_MESSAGE)


def validate_model_package_card(card: dict[str, Any] | None) -> None:
    """Reject a ModelCard whose status or content AWS would reject (ValidationException)."""
    if card is None:
        return
    status = card.get("ModelCardStatus")
    if status is not None and status not in MODEL_CARD_STATUSES:
        raise ValidationError(
            f"Value '{status}' at 'modelCard.modelCardStatus' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(MODEL_CARD_STATUSES)}]"
        )
    content = card.get("ModelCardContent")
    if content is not None:
        _check_content(content, model_card_validator(), "ModelCardContent", "model package model card")


def validate_life_cycle(life_cycle: dict[str, Any] | None) -> None:
    if life_cycle is None:
        return
    for member in ("Stage", "StageStatus"):
        if not life_cycle.get(member):
            raise ValidationError(f"ModelLifeCycle.{member} is required.")


def validate_approval_status(status: str | None) -> None:
    if status is not None and status not in APPROVAL_STATUSES:
        raise ValidationError(
            f"Value '{status}' at 'modelApprovalStatus' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(APPROVAL_STATUSES)}]"
        )


def validate_not_archived(current: dict[str, Any] | None, requested: dict[str, Any] | None) -> None:
    """An Archived model package card's content cannot change (API reference of
    ModelPackageModelCard: "If you try to update the model card content, you will receive the
    message Model Card is in Archived state."), nor its status (``validate_status_change``)."""
    if current is None or requested is None:
        return
    if current.get("ModelCardStatus") == "Archived" and requested.get("ModelCardContent") is not None:
        raise ValidationError(ARCHIVED_MESSAGE)
    validate_status_change(current.get("ModelCardStatus"), requested.get("ModelCardStatus"))
