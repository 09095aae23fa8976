"""Gates that would surface late, checked at registration: every downstream environment's gates on
the submission, and its metric names against the names the gates and SageMaker use.

Registering checks the registering environment's rules only; a missing ``business_details``
section, or a metric named ``auc`` where staging's floor reads ``roc_auc``, would otherwise be found
at staging's gate, after reviews and approvals. :func:`check_downstream` evaluates, with no AWS
call, the gates of every environment downstream of the one registering (those a submission can be
judged on before anyone reviews it: card sections, metric floors, bias limits, explainability; not
approval and card status) on the card the submission makes, and says which would refuse it and
why. ``mlgov register`` reports it; with ``--strict`` it refuses the registration instead.

:func:`metric_notes` checks each metric name of the quality report against the names SageMaker's
model quality reports use for its problem type (:data:`SAGEMAKER_QUALITY_METRICS`, from the
SageMaker Developer Guide, "Model quality metrics": Model Monitor's ``statistics.json``) and the
names the environments' metric floors read, with a "did you mean" for a near miss.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from environments import EnvironmentConfig, PlatformConfig

from ..promote import gates
from .submission import Submission

if TYPE_CHECKING:
    from sagemaker.core.shapes.model_card_shapes import ModelCardContent

#: Metric names of SageMaker's model quality reports by problem type (Model Monitor's
#: ``binary_classification_metrics``, ``multiclass_classification_metrics``, ``regression_metrics``;
#: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html).
SAGEMAKER_QUALITY_METRICS: Mapping[str, tuple[str, ...]] = {
    "binary_classification": (
        "recall",
        "precision",
        "accuracy",
        "recall_best_constant_classifier",
        "precision_best_constant_classifier",
        "accuracy_best_constant_classifier",
        "true_positive_rate",
        "true_negative_rate",
        "false_positive_rate",
        "false_negative_rate",
        "auc",
        "f0_5",
        "f1",
        "f2",
        "f0_5_best_constant_classifier",
        "f1_best_constant_classifier",
        "f2_best_constant_classifier",
    ),
    "multiclass_classification": (
        "accuracy",
        "weighted_recall",
        "weighted_precision",
        "weighted_f0_5",
        "weighted_f1",
        "weighted_f2",
        "accuracy_best_constant_classifier",
        "weighted_recall_best_constant_classifier",
        "weighted_precision_best_constant_classifier",
        "weighted_f0_5_best_constant_classifier",
        "weighted_f1_best_constant_classifier",
        "weighted_f2_best_constant_classifier",
    ),
    "regression": ("mae", "mse", "rmse", "r2"),
}
#: SageMaker's name of a metric -> the name the kit's gates and sample reports use for it.
KIT_NAMES = {"auc": "roc_auc"}


def gate_metric_names(platform: PlatformConfig) -> set[str]:
    """Every metric some environment's ``metric_minimums`` reads."""
    return {name for env in platform.environments.values() for name in env.governance.metric_minimums}


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate ``name`` most likely meant: SageMaker's name for a kit name or the other way
    round, else the closest spelling."""
    known = sorted(set(candidates) - {name})
    for sagemaker_name, kit_name in KIT_NAMES.items():
        if name == sagemaker_name and kit_name in known:
            return kit_name
        if name == kit_name and sagemaker_name in known:
            return sagemaker_name
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    return close[0] if close else None


def metric_notes(group: str, names: Sequence[str], gate_names: Iterable[str]) -> list[str]:
    """A note for each metric of a ``group`` report (``binary_classification``...) whose name
    neither SageMaker's model quality reports nor any gate uses, and for each name a gate reads
    that SageMaker calls otherwise (``auc``: the gates read ``roc_auc``)."""
    read = set(gate_names)
    sagemaker = set(SAGEMAKER_QUALITY_METRICS.get(group, ()))
    notes = []
    for name in names:
        if name in read:
            continue
        kit_name = KIT_NAMES.get(name)
        if kit_name is not None and kit_name in read and kit_name not in names:
            notes.append(
                f"metric {name!r} is SageMaker's name for what the gates read as {kit_name!r}: "
                f"name it {kit_name!r} in the metrics file, or no metric floor on {kit_name} will find it"
            )
        elif name not in sagemaker:
            guess = did_you_mean(name, read | sagemaker)
            hint = f" (did you mean {guess}?)" if guess else ""
            notes.append(
                f"metric {name!r} is neither a metric the gates read ({', '.join(sorted(read)) or 'none'}) "
                f"nor one of SageMaker's {group} model quality metrics{hint}"
            )
    return notes


def downstream(platform: PlatformConfig, env_name: str, use_case: str) -> list[EnvironmentConfig]:
    """Every environment a version of ``use_case`` registered in ``env_name`` can be promoted into,
    directly or not, upstream first."""
    reached = {env_name}
    out = []
    for env in platform.promotion_order():
        if env.promotes_from in reached:
            reached.add(env.name)
            if use_case in {u.name for u in env.use_cases}:
                out.append(env)
    return out


def preview_card(sub: Submission) -> ModelCardContent:
    """The card registration would assemble from ``sub``, with placeholder locations (the gates
    read its sections and evaluation, not where its reports lie)."""
    from .. import cards
    from .. import evaluation as ev

    where = "s3://registration-preview/"
    quality = cards.quality_evaluation(
        sub.metrics, report_uri=where + "evaluation.json", group=sub.metrics_group
    )
    evaluations = ev.card_evaluations(
        json.loads(sub.bias_report) if sub.bias_report is not None else None,
        json.loads(sub.explainability_report) if sub.explainability_report is not None else None,
    )
    return cards.assemble(
        sub.sections,
        creator="registration preview",
        artifact_uri=where + "model.tar.gz",
        evaluations=[quality, *evaluations],
        datazone_project_id="preview",
        use_case=sub.use_case,
    )


def check_downstream(platform: PlatformConfig, env_name: str, sub: Submission) -> list[dict[str, Any]]:
    """For each downstream environment: whether its gates would refuse ``sub`` and why (each
    failed gate with its value, limit and, for a missing metric, a "did you mean")."""
    card = preview_card(sub)
    out = []
    for env in downstream(platform, env_name, sub.use_case):
        failures = []
        for result in gates.preview(env, card, sub.metrics):
            if result.passed:
                continue
            entry = result.failure().to_dict()
            if result.gate.startswith("metric:") and result.value is None:
                guess = did_you_mean(result.gate.split(":", 1)[1], sub.metrics)
                if guess:
                    entry["hint"] = (
                        f"the metrics file has {guess!r}: did you mean {result.gate.split(':', 1)[1]}?"
                    )
            failures.append(entry)
        out.append({"env": env.name, "refused": bool(failures), "failures": failures})
    return out
