"""Model card content, built from the SageMaker SDK's typed shapes and validated before any call.

A model version's card (``CreateModelPackage ModelCard.ModelCardContent``) is JSON in the model
card schema. The kit builds it only through :mod:`sagemaker.core.shapes.model_card_shapes`, so a
misspelled section or a wrong type fails here, locally, with a message naming the field, before a
single AWS call is made. For cards attached to a model package AWS accepts only
``model_creator`` and ``model_artifact`` in ``model_overview`` (the rest of the overview is taken
from the package itself); that rule is checked too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sagemaker.core.shapes.model_card_shapes import (
    AdditionalInformation,
    BusinessDetails,
    EvaluationDetailsItem,
    IntendedUses,
    MetricGroupsItem,
    ModelCardContent,
    ModelOverview,
    RiskRating,
    SimpleMetric,
    TrainingDetails,
    TrainingJobDetails,
    TrainingMetric,
)

from environments import CARD_SECTIONS

from .errors import CardValidationError

#: The only model_overview fields AWS accepts in a card attached to a model package.
MODEL_PACKAGE_OVERVIEW_FIELDS = frozenset({"model_creator", "model_artifact"})

#: custom_details key carrying the DataZone project of the use case.
DATAZONE_PROJECT_KEY = "datazone_project_id"

#: Card statuses of a model package card (botocore ``ModelPackageModelCard.ModelCardStatus``).
CARD_STATUSES = ("Draft", "PendingReview", "Approved", "Archived")


def build_card(
    *,
    creator: str,
    artifact_uri: str,
    use_case: str,
    use_case_description: str,
    risk_rating: str,
    algorithm: str,
    training_metrics: Mapping[str, float],
    evaluation_metrics: Mapping[str, float],
    evaluation_report_uri: str,
    dataset: str,
    hyperparameters: Mapping[str, Any],
    datazone_project_id: str,
    business_stakeholders: str = "Credit risk office; model risk management",
) -> ModelCardContent:
    """The full card of one trained version: every section a strict environment requires."""
    return ModelCardContent(
        model_overview=ModelOverview(model_creator=creator, model_artifact=[artifact_uri]),
        intended_uses=IntendedUses(
            purpose_of_model=use_case_description,
            intended_uses=f"Decision support for the {use_case} use case; a person reviews "
            "every adverse decision.",
            factors_affecting_model_efficiency="Distribution shift between the training sample "
            "and the scored population.",
            risk_rating=RiskRating(risk_rating),
            explanations_for_risk_rating="Outputs inform decisions about people.",
        ),
        business_details=BusinessDetails(
            business_problem=use_case_description,
            business_stakeholders=business_stakeholders,
            line_of_business="Retail lending",
        ),
        training_details=TrainingDetails(
            training_observations=f"{algorithm} trained on {dataset}.",
            training_job_details=TrainingJobDetails(
                training_datasets=[dataset],
                training_metrics=[
                    TrainingMetric(name=k, value=float(v)) for k, v in sorted(training_metrics.items())
                ],
                user_provided_hyper_parameters=None,
            ),
        ),
        evaluation_details=[
            EvaluationDetailsItem(
                name="holdout-evaluation",
                evaluation_observation="Stratified 25% holdout of the training dataset.",
                datasets=[evaluation_report_uri],
                metadata={"hyperparameters": json.dumps(dict(hyperparameters), sort_keys=True)},
                metric_groups=[
                    MetricGroupsItem(
                        name="binary_classification",
                        metric_data=[
                            SimpleMetric(name=k, type="number", value=float(v))
                            for k, v in sorted(evaluation_metrics.items())
                        ],
                    )
                ],
            )
        ],
        additional_information=AdditionalInformation(
            caveats_and_recommendations="Demonstration model of the governance kit.",
            custom_details={DATAZONE_PROJECT_KEY: datazone_project_id, "use_case": use_case},
        ),
    )


def validate_card(
    content: ModelCardContent | Mapping[str, Any] | str, *, for_model_package: bool = True
) -> ModelCardContent:
    """Parse and check card content; raise :class:`CardValidationError` naming each problem."""
    try:
        if isinstance(content, ModelCardContent):
            card = ModelCardContent.model_validate(content.model_dump())
        elif isinstance(content, str):
            card = ModelCardContent.model_validate_json(content)
        else:
            card = ModelCardContent.model_validate(dict(content))
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in err.errors()
        )
        raise CardValidationError(f"malformed model card content: {problems}") from None
    raw = content if isinstance(content, Mapping) else None
    if raw is not None:
        unknown = set(raw) - set(ModelCardContent.model_fields)
        if unknown:
            raise CardValidationError(
                f"malformed model card content: unknown section(s) {', '.join(sorted(unknown))}; "
                f"known sections are {', '.join(CARD_SECTIONS)}"
            )
    if for_model_package and card.model_overview is not None:
        extra = {
            k
            for k, v in card.model_overview.model_dump(exclude_none=True).items()
            if k not in MODEL_PACKAGE_OVERVIEW_FIELDS
        }
        if extra:
            raise CardValidationError(
                "malformed model card content: model_overview of a model package card may only "
                f"hold {', '.join(sorted(MODEL_PACKAGE_OVERVIEW_FIELDS))}, not "
                f"{', '.join(sorted(extra))} (AWS takes the rest from the package)"
            )
    return card


def load_overrides(path_or_data: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """Card sections a team supplies (``--card-file``), validated as card content before any
    AWS call: a file that is not JSON, an unknown section or a wrong type is rejected here."""
    if path_or_data is None:
        return {}
    if isinstance(path_or_data, Mapping):
        data = dict(path_or_data)
    else:
        try:
            with open(path_or_data, encoding="utf-8") as fh:
                data = json.load(fh)
        except OSError as err:
            raise CardValidationError(f"cannot read card file {path_or_data}: {err.strerror}") from None
        except json.JSONDecodeError as err:
            raise CardValidationError(f"card file {path_or_data} is not JSON: {err}") from None
    if not isinstance(data, dict):
        raise CardValidationError("card content must be a JSON object of card sections")
    validate_card(data)
    return data


def merge(card: ModelCardContent, overrides: Mapping[str, Any]) -> ModelCardContent:
    """``card`` with whole sections replaced by ``overrides`` (validated again)."""
    if not overrides:
        return card
    return validate_card({**card.model_dump(exclude_none=True), **dict(overrides)})


def card_json(card: ModelCardContent) -> str:
    """Serialized content for ``ModelCard.ModelCardContent`` (validated first)."""
    validated = validate_card(card)
    return validated.model_dump_json(exclude_none=True)


def parse_card(content: str | None) -> ModelCardContent | None:
    """Card content read back from DescribeModelPackage (lenient: returns None when absent)."""
    if not content:
        return None
    return validate_card(content, for_model_package=False)


def present_sections(card: ModelCardContent | None) -> set[str]:
    """Sections that carry content (an empty list or object does not count)."""
    if card is None:
        return set()
    present = set()
    for section in CARD_SECTIONS:
        value = getattr(card, section)
        if value is None:
            continue
        dumped = (
            [v.model_dump(exclude_none=True) for v in value]
            if isinstance(value, list)
            else value.model_dump(exclude_none=True)
        )
        if dumped and (not isinstance(dumped, list) or any(dumped)):
            present.add(section)
    return present


def evaluation_metrics(card: ModelCardContent | None) -> dict[str, float]:
    """Numeric evaluation metrics of the card, by name (first occurrence wins)."""
    out: dict[str, float] = {}
    if card is None:
        return out
    for item in card.evaluation_details or []:
        for group in item.metric_groups or []:
            for metric in group.metric_data:
                if isinstance(metric, SimpleMetric) and not isinstance(metric.value, (bool, str)):
                    out.setdefault(metric.name, float(metric.value))
    return out


def repoint(
    card: ModelCardContent, *, artifact_uri: str, report_uri: str, extra_details: Mapping[str, str]
) -> ModelCardContent:
    """A copy of ``card`` whose artifact and evaluation dataset point at the promoted copies."""
    data = card.model_dump(exclude_none=True)
    data.setdefault("model_overview", {})["model_artifact"] = [artifact_uri]
    for item in data.get("evaluation_details", []):
        item["datasets"] = [report_uri]
    info = data.setdefault("additional_information", {})
    info["custom_details"] = {**info.get("custom_details", {}), **dict(extra_details)}
    return validate_card(data)
