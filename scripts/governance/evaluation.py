"""Bias and explainability reports in SageMaker Clarify's output format, and their place in the
model card.

A version's card carries the whole evaluation a model risk reviewer expects: model quality, pre-
and post-training bias, and explainability. The numbers come from maintained libraries, not from
code of ours:

* bias: ``smclarify``, the open-source library behind SageMaker Clarify's bias metrics (the same
  metric definitions: CI, DPL, KL for the data; DPPL, DI, AD for the predictions);
* explainability: ``shap``'s Kernel SHAP, the method Clarify's explainability runs, reduced to
  the global attribution Clarify reports (mean absolute SHAP value per feature).

Each report is written as Clarify's ``analysis.json`` (keys ``pre_training_bias_metrics``,
``post_training_bias_metrics`` and ``explanations.kernel_shap``), so a team that runs real Clarify
jobs can hand their own ``analysis.json`` to ``mlgov register`` instead. :func:`card_evaluations`
loads them into ``evaluation_details`` metric groups with the SageMaker SDK's card shapes, naming
groups the way the SageMaker Python SDK's Clarify parsers do (shortened to the card's 63-character
limit). :func:`bias_metrics` and :func:`has_explainability` read them back for the gates.

References: SageMaker Clarify analysis results
(https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-analysis-results.html),
bias metric definitions (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-measure-post-training-bias.html),
the SDK's ``sagemaker/model_card/evaluation_metric_parsers.py`` (ClarifyBiasParser,
ClarifyExplainabilityParser).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sagemaker.core.shapes.model_card_shapes import (
    EvaluationDetailsItem,
    MetricGroupsItem,
    ModelCardContent,
    SimpleMetric,
)

if __package__:
    from .metadata import EVAL_EXPLAINABILITY, EVAL_POST_BIAS, EVAL_PRE_BIAS
else:  # shipped with metadata.py beside a processing job's script (use_cases/*/pipeline.py)
    from metadata import EVAL_EXPLAINABILITY, EVAL_POST_BIAS, EVAL_PRE_BIAS  # type: ignore[import-not-found,no-redef]

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)

PRE_TRAINING = "pre_training_bias_metrics"
POST_TRAINING = "post_training_bias_metrics"
PRE_TRAINING_METRICS = ("CI", "DPL", "KL")
POST_TRAINING_METRICS = ("DPPL", "DI", "AD")

# Names of the card's evaluation_details entries this module writes and the gates read
# (spelled in :mod:`.metadata`).


class ReportError(ValueError):
    """A bias or explainability report is not in Clarify's format; the message names the field."""


# -- computing the reports ---------------------------------------------------------------------
def bias_report(
    frame: Any,
    *,
    label: str,
    positive_label: Any,
    facet: str,
    facet_values_or_threshold: Any,
    predicted: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """Clarify bias ``analysis.json`` for ``frame`` (a pandas DataFrame holding the label and the
    facet column). Pre-training metrics always; post-training ones when ``predicted`` (the
    model's predicted labels for the same rows) is given.

    ``facet_values_or_threshold`` is Clarify's (``BiasConfig.facet_values_or_threshold``): for a
    categorical facet the value, or list of values, of the sensitive group; for a numeric facet
    one threshold, the sensitive group being the rows whose facet is greater than it (Clarify
    bins a numeric facet that way; whether a column is numeric is smclarify's own rule: floats,
    and integers with more than 5% distinct values). A column of numeric codes is read as
    categories once cast (``frame[facet].astype(str)``). A sensitive group that is empty, or that
    is every row, leaves every metric undefined: refused here (:class:`ReportError`) naming the
    facet, its values and the fix, instead of a report of nulls."""
    import pandas as pd
    from smclarify.bias import report as clarify
    from smclarify.bias.report import FacetColumn, LabelColumn, StageType

    df = frame.reset_index(drop=True).copy()
    # smclarify infers the facet's type with numpy, which cannot read pandas' string dtype.
    if not pd.api.types.is_numeric_dtype(df[facet]):
        df[facet] = df[facet].astype(object)
    values = (
        list(facet_values_or_threshold)
        if isinstance(facet_values_or_threshold, (list, tuple))
        else [facet_values_or_threshold]
    )
    check_facet_group(df[facet], values, facet=facet)
    facet_col = FacetColumn(facet, values)
    label_col = LabelColumn(label, df[label], [positive_label])

    def section(results: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "label": label,
            "label_value_or_threshold": str(positive_label),
            "facets": {facet: [_finite(r) for r in results]},
        }

    out: dict[str, Any] = {"version": "1.0"}
    pre = clarify.bias_report(
        df, facet_col, label_col, StageType.PRE_TRAINING, metrics=list(PRE_TRAINING_METRICS)
    )
    out[PRE_TRAINING] = section(pre)
    if predicted is not None:
        predicted_col = LabelColumn("predicted_label", pd.Series(list(predicted)), [positive_label])
        post = clarify.bias_report(
            df,
            facet_col,
            label_col,
            StageType.POST_TRAINING,
            predicted_label_column=predicted_col,
            metrics=list(POST_TRAINING_METRICS),
        )
        out[POST_TRAINING] = section(post)
    return out


def check_facet_group(series: Any, values: list[Any], *, facet: str) -> None:
    """Raise :class:`ReportError` unless the sensitive group ``values`` select in ``series`` (a
    threshold for a numeric facet, as Clarify reads it) holds some rows, and not all of them."""
    from smclarify.bias.metrics.common import DataType, series_datatype

    rows = int(series.count())
    if series_datatype(series, list(values)) == DataType.CONTINUOUS:
        if len(values) != 1 or isinstance(values[0], bool) or not isinstance(values[0], (int, float)):
            raise ReportError(
                f"facet {facet!r} is numeric ({series.dtype}): Clarify reads facet_values_or_threshold as "
                f"one numeric threshold (the sensitive group is {facet} > threshold), got {values!r}; "
                f"give one number, or cast the column to categories to name values"
            )
        threshold = values[0]
        selected = int((series > threshold).sum())
        group = f"{facet} > {threshold:g}"
        seen = f"values from {series.min():g} to {series.max():g}"
        fix = (
            f"give a threshold between {series.min():g} and {series.max():g}, or, if {facet} is a code "
            f"(e.g. 1/2), cast the column to categories (frame[{facet!r}].astype(str)) and name the "
            "sensitive value"
        )
    else:
        present = list(series.dropna().unique())
        selected = int(series.isin(values).sum())
        group = f"{facet} in {values!r}"
        seen = f"values {sorted(map(str, present))[:10]!r}"
        fix = f"name values {facet} takes"
    if selected == 0 or selected == rows:
        which = "no row" if selected == 0 else f"all {rows} rows"
        raise ReportError(
            f"facet {facet!r}: the sensitive group ({group}) is {which} of {rows} ({seen}); every "
            f"bias metric would be undefined (null). {fix[0].upper()}{fix[1:]}"
        )


def _finite(result: dict[str, Any]) -> dict[str, Any]:
    """smclarify reports an undefined metric as inf/NaN; JSON and the card need a number or
    nothing, so such a metric keeps its name and description and carries ``value: None``."""
    metrics = []
    for m in result["metrics"]:
        value = m.get("value")
        ok = isinstance(value, (int, float)) and math.isfinite(value)
        metrics.append(
            {"name": m["name"], "description": m["description"], "value": float(value) if ok else None}
        )
    return {"value_or_threshold": str(result["value_or_threshold"]), "metrics": metrics}


def explainability_report(
    predict_proba: Callable[[np.ndarray], np.ndarray],
    *,
    background: np.ndarray,
    sample: np.ndarray,
    feature_names: Sequence[str],
    label: str,
    seed: int = 0,
) -> dict[str, Any]:
    """Clarify explainability ``analysis.json``: Kernel SHAP over ``sample`` against a k-means
    summary of ``background``, for the positive class's probability; the global value of a
    feature is the mean absolute SHAP value, as Clarify reports it."""
    # numpy and shap are loaded here, by the training run that computes the report, not by the
    # jobs that only read reports (register, promote, report).
    import numpy as np
    import shap

    rng = np.random.default_rng(seed)
    baseline = shap.kmeans(background, min(10, len(background)))

    def positive(x: np.ndarray) -> np.ndarray:
        return np.asarray(predict_proba(x))[:, 1]

    np.random.seed(int(rng.integers(0, 2**31 - 1)))  # Kernel SHAP samples coalitions from numpy's global RNG
    explainer = shap.KernelExplainer(positive, baseline)
    values = np.asarray(explainer.shap_values(sample, silent=True))
    global_values = {
        name: round(float(v), 6) for name, v in zip(feature_names, np.abs(values).mean(axis=0), strict=True)
    }
    return {
        "version": "1.0",
        "explanations": {
            "kernel_shap": {
                label: {
                    "global_shap_values": dict(sorted(global_values.items(), key=lambda kv: -kv[1])),
                    "expected_value": round(float(np.ravel(explainer.expected_value)[0]), 6),
                }
            }
        },
    }


# -- validating reports a team supplies --------------------------------------------------------
def validate_bias_report(report: Mapping[str, Any], *, source: str = "bias report") -> None:
    """Raise :class:`ReportError` naming the field unless ``report`` is a Clarify bias report
    with pre- and post-training sections."""
    if not isinstance(report, Mapping):
        raise ReportError(f"{source}: expected a JSON object (Clarify analysis.json)")
    for stage in (PRE_TRAINING, POST_TRAINING):
        section = report.get(stage)
        if not isinstance(section, Mapping):
            raise ReportError(f"{source}: {stage}: missing; expected Clarify's {stage} object")
        for key in ("label", "facets"):
            if key not in section:
                raise ReportError(f"{source}: {stage}.{key}: missing")
        facets = section["facets"]
        if not isinstance(facets, Mapping) or not facets:
            raise ReportError(f"{source}: {stage}.facets: expected a mapping facet -> list of results")
        for facet, results in facets.items():
            if not isinstance(results, list) or not results:
                raise ReportError(f"{source}: {stage}.facets.{facet}: expected a non-empty list")
            for i, result in enumerate(results):
                metrics = result.get("metrics") if isinstance(result, Mapping) else None
                if not isinstance(metrics, list):
                    raise ReportError(f"{source}: {stage}.facets.{facet}[{i}].metrics: expected a list")
                nulls = []
                for m in metrics:
                    if not isinstance(m, Mapping) or not isinstance(m.get("name"), str):
                        raise ReportError(f"{source}: {stage}.facets.{facet}[{i}].metrics: each needs a name")
                    value = m.get("value")
                    if value is None:
                        nulls.append(m["name"])
                    elif (
                        isinstance(value, bool)
                        or not isinstance(value, (int, float))
                        or not math.isfinite(value)
                    ):
                        raise ReportError(
                            f"{source}: {stage}.facets.{facet}[{i}].metrics.{m['name']}: expected a number, got {value!r}"
                        )
                if metrics and len(nulls) == len(metrics):
                    # One undefined metric is left out of the card (the gate that needs it then
                    # refuses by name); all of them undefined is a sensitive group that matched
                    # nothing: a report of nothing, refused.
                    group = result.get("value_or_threshold")
                    raise ReportError(
                        f"{source}: {stage}.facets.{facet}[{i}] (value_or_threshold {group!r}): every "
                        f"metric is null ({', '.join(nulls)}): the sensitive group matched no row, or "
                        "every row. A numeric facet is binned by a threshold, as Clarify does (the "
                        "sensitive group is the rows above it): give facet_values_or_threshold a "
                        "threshold inside the facet's range, or cast a coded facet to categories and "
                        "name its value"
                    )


def validate_explainability_report(
    report: Mapping[str, Any], *, source: str = "explainability report"
) -> None:
    """Raise :class:`ReportError` unless ``report`` holds Clarify's global SHAP values."""
    shap_section = report.get("explanations", {}).get("kernel_shap") if isinstance(report, Mapping) else None
    if not isinstance(shap_section, Mapping) or not shap_section:
        raise ReportError(
            f"{source}: explanations.kernel_shap: missing; expected Clarify's explainability output"
        )
    for label, body in shap_section.items():
        values = body.get("global_shap_values") if isinstance(body, Mapping) else None
        if not isinstance(values, Mapping) or not values:
            raise ReportError(
                f"{source}: explanations.kernel_shap.{label}.global_shap_values: missing or empty"
            )
        for feature, value in values.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ReportError(
                    f"{source}: explanations.kernel_shap.{label}.global_shap_values.{feature}: expected a "
                    f"finite number, got {value!r}"
                )


# -- into the card, and back -------------------------------------------------------------------
def _group_name(stage: str, facet: str, value: str) -> str:
    short = {PRE_TRAINING: "pre_training_bias", POST_TRAINING: "post_training_bias"}[stage]
    return f"{short} - facet {facet}={value}"[:63]


def card_evaluations(
    bias: Mapping[str, Any] | None,
    explainability: Mapping[str, Any] | None,
    *,
    bias_uri: str | None = None,
    explainability_uri: str | None = None,
) -> list[EvaluationDetailsItem]:
    """The card's bias and explainability ``evaluation_details`` entries, built from the reports
    with the SDK's typed shapes; each entry's ``datasets`` names where its report lies."""
    items: list[EvaluationDetailsItem] = []
    if bias is not None:
        validate_bias_report(bias)
        for stage, name, observation in (
            (PRE_TRAINING, EVAL_PRE_BIAS, "Bias in the training labels (SageMaker Clarify metrics)."),
            (
                POST_TRAINING,
                EVAL_POST_BIAS,
                "Bias in the model's predictions on the holdout (Clarify metrics).",
            ),
        ):
            section = bias[stage]
            groups = [
                MetricGroupsItem(
                    name=_group_name(stage, facet, str(result.get("value_or_threshold"))),
                    metric_data=[
                        SimpleMetric(
                            name=m["name"], type="number", value=float(m["value"]), notes=m.get("description")
                        )
                        for m in result["metrics"]
                        if m.get("value") is not None
                    ],
                )
                for facet, results in section["facets"].items()
                for result in results
            ]
            items.append(
                EvaluationDetailsItem(
                    name=name,
                    evaluation_observation=observation,
                    datasets=[bias_uri] if bias_uri else None,
                    metadata={
                        "label": str(section["label"]),
                        "positive_label": str(section.get("label_value_or_threshold", "")),
                        "facets": ",".join(section["facets"]),
                    },
                    metric_groups=groups,
                )
            )
    if explainability is not None:
        validate_explainability_report(explainability)
        groups = [
            MetricGroupsItem(
                name=f"explanations - global_shap_values, label={label}"[:63],
                metric_data=[
                    SimpleMetric(name=feature, type="number", value=float(value))
                    for feature, value in body["global_shap_values"].items()
                ],
            )
            for label, body in explainability["explanations"]["kernel_shap"].items()
        ]
        items.append(
            EvaluationDetailsItem(
                name=EVAL_EXPLAINABILITY,
                evaluation_observation="Global feature attributions: mean |SHAP| (Kernel SHAP, as Clarify).",
                datasets=[explainability_uri] if explainability_uri else None,
                metric_groups=groups,
            )
        )
    return items


def bias_metrics(card: ModelCardContent | None) -> dict[str, float]:
    """Bias metrics of the card by Clarify name (``CI``, ``DPL``, ``KL``, ``DPPL``, ``DI``, ``AD``),
    read only from the card's bias entries; the first facet reported wins."""
    out: dict[str, float] = {}
    if card is None:
        return out
    for item in card.evaluation_details or []:
        if item.name not in (EVAL_PRE_BIAS, EVAL_POST_BIAS):
            continue
        for group in item.metric_groups or []:
            for metric in group.metric_data:
                if isinstance(metric, SimpleMetric) and isinstance(metric.value, (int, float)):
                    out.setdefault(metric.name, float(metric.value))
    return out


def has_explainability(card: ModelCardContent | None) -> bool:
    """True when the card carries at least one global feature attribution."""
    if card is None:
        return False
    return any(
        item.name == EVAL_EXPLAINABILITY and any(group.metric_data for group in item.metric_groups or [])
        for item in card.evaluation_details or []
    )
