"""Model card content, built from the SageMaker SDK's typed shapes and validated before any call.

A model version's card (``CreateModelPackage ModelCard.ModelCardContent``) is JSON in the model
card schema. The kit builds it only through :mod:`sagemaker.core.shapes.model_card_shapes`, so a
misspelled section or a wrong type fails here, locally, with a message naming the field, before a
single AWS call is made. For cards attached to a model package AWS accepts only
``model_creator`` and ``model_artifact`` in ``model_overview`` (the rest of the overview is taken
from the package itself); that rule is checked too.

Every registered card is put together by :func:`assemble`, for the sample versions and for a
team's own model alike: the sections a team writes (intended uses, business and training details,
caveats: a card file, or :func:`sample_sections` for the sample) plus what the kit registers
(the archive, the quality entry of the metrics, the bias and explainability entries of the
reports, the use case's DataZone project).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from sagemaker.core.shapes.model_card_shapes import (
    AdditionalInformation,
    BusinessDetails,
    EvaluationDetailsItem,
    IntendedUses,
    MetricGroupsItem,
    ModelCardContent,
    RiskRating,
    SimpleMetric,
    TrainingDetails,
    TrainingHyperParameter,
    TrainingJobDetails,
    TrainingMetric,
)

from environments import CARD_SECTIONS

from .errors import CardValidationError
from .metadata import (
    DATASET_ASSET_KEY,
    DATASET_REVISION_KEY,
    DATAZONE_PROJECT_KEY,
    EVAL_EXPLAINABILITY,
    EVAL_POST_BIAS,
    EVAL_PRE_BIAS,
    MODEL_ASSET_KEY,
    MODEL_ASSET_REVISION_KEY,
)

#: The only model_overview fields AWS accepts in a card attached to a model package.
MODEL_PACKAGE_OVERVIEW_FIELDS = frozenset({"model_creator", "model_artifact"})


#: Name of the card's model-quality evaluation entry (the bias and explainability entries are
#: named in :mod:`.evaluation`).
EVAL_QUALITY = "holdout-evaluation"
#: The evaluation entries built from a bias or explainability report (:mod:`.evaluation`).
REPORT_EVALUATIONS = frozenset({EVAL_PRE_BIAS, EVAL_POST_BIAS, EVAL_EXPLAINABILITY})

#: Sections the kit writes itself in every card it registers; a team's card file supplies the
#: others (and may add to these: see :func:`assemble`).
KIT_SECTIONS = ("model_overview", "evaluation_details", "additional_information")
#: Evaluation entries the kit builds, and the custom_details keys it writes.
KIT_EVALUATIONS = frozenset({EVAL_QUALITY, *REPORT_EVALUATIONS})
#: The version's own catalog asset (written after an approval published it): never promoted.
MODEL_ASSET_DETAILS = (MODEL_ASSET_KEY, MODEL_ASSET_REVISION_KEY)
KIT_CUSTOM_DETAILS = (
    DATAZONE_PROJECT_KEY,
    "use_case",
    DATASET_ASSET_KEY,
    DATASET_REVISION_KEY,
    *MODEL_ASSET_DETAILS,
)


def sample_sections(
    *,
    use_case: str,
    use_case_description: str,
    risk_rating: str,
    algorithm: str,
    training_metrics: Mapping[str, float],
    dataset: str,
    hyperparameters: Mapping[str, Any],
    business_stakeholders: str = "Credit risk office; model risk management",
) -> dict[str, Any]:
    """The sections a team writes about its model, as the kit writes them for its own sample
    versions (intended uses, business and training details, caveats)."""
    card = ModelCardContent(
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
                user_provided_hyper_parameters=[
                    TrainingHyperParameter(name=str(k), value=json.dumps(v))
                    for k, v in sorted(hyperparameters.items())
                ],
            ),
        ),
        additional_information=AdditionalInformation(
            caveats_and_recommendations="Demonstration model of the governance kit.",
        ),
    )
    return card.model_dump(exclude_none=True)


def quality_evaluation(
    metrics: Mapping[str, float],
    *,
    report_uri: str,
    observation: str = "Stratified 25% holdout of the training dataset.",
    group: str = "binary_classification",
    metadata: Mapping[str, str] | None = None,
) -> EvaluationDetailsItem:
    """The card's model-quality entry: the metrics of the quality report at ``report_uri``."""
    return EvaluationDetailsItem(
        name=EVAL_QUALITY,
        evaluation_observation=observation,
        datasets=[report_uri],
        metadata=dict(metadata) if metadata else None,
        metric_groups=[
            MetricGroupsItem(
                name=group,
                metric_data=[
                    SimpleMetric(name=k, type="number", value=float(v)) for k, v in sorted(metrics.items())
                ],
            )
        ],
    )


def kit_owned(sections: Mapping[str, Any]) -> list[str]:
    """The fields of card ``sections`` (validated content) that the kit writes itself, which a
    team's card must leave out: the overview's artifact, the evaluation entries the kit builds
    from the metrics and reports, the use case and DataZone project of ``custom_details``."""
    found = []
    if "model_artifact" in (sections.get("model_overview") or {}):
        found.append("model_overview.model_artifact (the archive registered)")
    for i, item in enumerate(sections.get("evaluation_details") or []):
        if item.get("name") in KIT_EVALUATIONS:
            found.append(
                f"evaluation_details[{i}].name {item['name']!r} (built from the metrics and reports)"
            )
    details = (sections.get("additional_information") or {}).get("custom_details") or {}
    for key in KIT_CUSTOM_DETAILS:
        if key in details:
            found.append(f"additional_information.custom_details.{key} (from the use case)")
    return found


def assemble(
    sections: Mapping[str, Any],
    *,
    creator: str,
    artifact_uri: str,
    evaluations: Sequence[EvaluationDetailsItem],
    datazone_project_id: str,
    use_case: str,
    dataset_asset: tuple[str, str] | None = None,
) -> ModelCardContent:
    """The card of a version: the ``sections`` a team supplies (card content without the
    :func:`kit_owned` fields) plus what the kit registers and measured:

    * ``model_overview``: the archive the version registers (the team may name the creator);
    * ``evaluation_details``: ``evaluations`` (quality, bias, explainability) first, then the
      team's own entries;
    * ``additional_information.custom_details``: the use case and its DataZone project, and
      ``dataset_asset`` (the training dataset's DataZone asset id and revision) when given, beside
      the team's own details.
    """
    owned = kit_owned(sections)
    if owned:
        raise CardValidationError(f"card content sets what the kit writes: {'; '.join(owned)}")
    data = validate_card(dict(sections)).model_dump(exclude_none=True)
    data["model_overview"] = {
        "model_creator": (data.get("model_overview") or {}).get("model_creator") or creator,
        "model_artifact": [artifact_uri],
    }
    data["evaluation_details"] = [item.model_dump(exclude_none=True) for item in evaluations] + (
        data.get("evaluation_details") or []
    )
    info = data.setdefault("additional_information", {})
    info["custom_details"] = {
        **(info.get("custom_details") or {}),
        DATAZONE_PROJECT_KEY: datazone_project_id,
        "use_case": use_case,
    }
    if dataset_asset is not None:
        info["custom_details"][DATASET_ASSET_KEY], info["custom_details"][DATASET_REVISION_KEY] = (
            dataset_asset
        )
    return validate_card(data)


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
    evaluations: Sequence[EvaluationDetailsItem] = (),
) -> ModelCardContent:
    """The full card of one sample version: every section a strict environment requires
    (:func:`sample_sections` assembled with the quality entry, then ``evaluations``)."""
    sections = sample_sections(
        use_case=use_case,
        use_case_description=use_case_description,
        risk_rating=risk_rating,
        algorithm=algorithm,
        training_metrics=training_metrics,
        dataset=dataset,
        hyperparameters=hyperparameters,
        business_stakeholders=business_stakeholders,
    )
    quality = quality_evaluation(
        evaluation_metrics,
        report_uri=evaluation_report_uri,
        metadata={"hyperparameters": json.dumps(dict(hyperparameters), sort_keys=True)},
    )
    return assemble(
        sections,
        creator=creator,
        artifact_uri=artifact_uri,
        evaluations=[quality, *evaluations],
        datazone_project_id=datazone_project_id,
        use_case=use_case,
    )


def validate_card(
    content: ModelCardContent | Mapping[str, Any] | str, *, for_model_package: bool = True
) -> ModelCardContent:
    """Parse and check card content; raise :class:`CardValidationError` naming each problem."""
    undefined = undefined_metrics(_raw(content))
    if undefined:
        raise CardValidationError(
            f"malformed model card content: {'; '.join(undefined)}: a metric's value must be a "
            "finite number (a gate reading it could not compare it with its limit); compute it, or "
            "leave the metric out (a gate that requires it then refuses the version, naming it)"
        )
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
    if for_model_package and card.training_details and card.training_details.objective_function:
        # The SDK's shape is {function, facet, condition}; the schema AWS validates a card
        # against nests them: {function: {function, facet, condition}, notes}. Either way one
        # side refuses it, and AWS would only say so after the artifacts were uploaded.
        raise CardValidationError(
            "malformed model card content: training_details.objective_function: the SageMaker "
            "SDK's shape of it differs from the model card schema CreateModelPackage checks; leave "
            "it out and describe the objective in training_details.training_observations"
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


def _raw(content: ModelCardContent | Mapping[str, Any] | str) -> Any:
    if isinstance(content, ModelCardContent):
        return content.model_dump(exclude_none=True)
    if isinstance(content, str):
        try:
            return json.loads(content)
        except ValueError:
            return None  # not JSON: pydantic names it
    return content


def _undefined(value: Any) -> bool:
    if isinstance(value, list):
        return any(_undefined(v) for v in value)
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def undefined_metrics(content: Any) -> list[str]:
    """The metrics of card ``content`` (raw JSON data) whose value is null, NaN or infinite,
    each as ``evaluation_details[i] '<entry>': metric '<name>' is <value>``. JSON written by
    Python's ``json.dump`` carries a NaN metric as ``NaN``, which the SDK's shapes accept as a
    float; AWS's card schema does not (it is not JSON), and the gates could not compare it."""
    found: list[str] = []
    details = content.get("evaluation_details") if isinstance(content, Mapping) else None
    for i, item in enumerate(details if isinstance(details, list) else []):
        groups = item.get("metric_groups") if isinstance(item, Mapping) else None
        for group in groups if isinstance(groups, list) else []:
            data = group.get("metric_data") if isinstance(group, Mapping) else None
            for metric in data if isinstance(data, list) else []:
                if isinstance(metric, Mapping) and "value" in metric and _undefined(metric["value"]):
                    value = metric["value"]
                    shown = "null" if value is None else "a list holding null, NaN or infinity"
                    if isinstance(value, float):
                        shown = str(value)
                    found.append(
                        f"evaluation_details[{i}] {item.get('name')!r}: metric {metric.get('name')!r} is {shown}"
                    )
    return found


def load_overrides(path_or_data: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """Card sections a team supplies (``--card-file``, ``--card``), validated as card content
    before any AWS call: a file that is not JSON, an unknown section or a wrong type is rejected
    here, the message naming the file and the field."""
    if path_or_data is None:
        return {}
    source = "card content"
    if isinstance(path_or_data, Mapping):
        data = dict(path_or_data)
    else:
        source = f"card file {path_or_data}"
        try:
            with open(path_or_data, encoding="utf-8") as fh:
                data = json.load(fh)
        except OSError as err:
            raise CardValidationError(f"cannot read {source}: {err.strerror}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise CardValidationError(f"{source} is not JSON: {err}") from None
    if not isinstance(data, dict):
        raise CardValidationError(f"{source}: expected a JSON object of card sections")
    try:
        validate_card(data)
    except CardValidationError as err:
        raise CardValidationError(f"{source}: {err}") from None
    owned = kit_owned(data)
    if owned:
        raise CardValidationError(
            f"{source}: sets what the kit writes from what it registers, remove: {'; '.join(owned)}"
        )
    return data


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
    """Numeric model-quality metrics of the card, by name (first occurrence wins). The bias and
    explainability entries are not read: their metrics are read by :mod:`.evaluation`, and an
    attribution is named after a feature, which could be called ``accuracy``."""
    out: dict[str, float] = {}
    if card is None:
        return out
    for item in card.evaluation_details or []:
        if item.name in REPORT_EVALUATIONS:
            continue
        for group in item.metric_groups or []:
            for metric in group.metric_data:
                if isinstance(metric, SimpleMetric) and not isinstance(metric.value, (bool, str)):
                    out.setdefault(metric.name, float(metric.value))
    return out


def repoint(
    card: ModelCardContent, *, artifact_uri: str, report_uri: str, extra_details: Mapping[str, str]
) -> ModelCardContent:
    """A copy of ``card`` whose artifact and model-quality entries point at the promoted copies
    (``artifact_uri``, ``report_uri``). The bias and explainability entries keep their own
    datasets: each names its own report, which the caller re-points to that report's copy. The
    source's catalog asset (:data:`MODEL_ASSET_DETAILS`) is left out: it names the source
    environment's asset, and the copy is published as its own environment's when approved there."""
    data = card.model_dump(exclude_none=True)
    data.setdefault("model_overview", {})["model_artifact"] = [artifact_uri]
    for item in data.get("evaluation_details", []):
        if item["name"] not in REPORT_EVALUATIONS:
            item["datasets"] = [report_uri]
    info = data.setdefault("additional_information", {})
    kept = {k: v for k, v in info.get("custom_details", {}).items() if k not in MODEL_ASSET_DETAILS}
    info["custom_details"] = {**kept, **dict(extra_details)}
    return validate_card(data)


def with_custom_details(card: ModelCardContent, details: Mapping[str, str]) -> ModelCardContent:
    """A copy of ``card`` whose ``additional_information.custom_details`` also hold ``details``
    (each key set to its value; every other section and detail as it was), validated."""
    info = card.additional_information or AdditionalInformation()
    merged = {**(info.custom_details or {}), **dict(details)}
    return validate_card(
        card.model_copy(update={"additional_information": info.model_copy(update={"custom_details": merged})})
    )
