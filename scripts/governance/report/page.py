"""The page's view model: what the reviewer's HTML page shows of a :class:`.collection.Report`
(per version its card, the evaluation with charts, the audit history and the lineage chains), and
the page itself (:func:`render_html`, template ``templates/report.html.j2``: Jinja2, autoescaped;
no scripts, no external resources)."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from ..metadata import (
    DATASET_ASSET_KEY,
    DATASET_REVISION_KEY,
    DATAZONE_PROJECT_KEY,
    EVAL_EXPLAINABILITY,
    EVAL_POST_BIAS,
    EVAL_PRE_BIAS,
    MODEL_ASSET_KEY,
    MODEL_ASSET_REVISION_KEY,
)
from .collection import Report, VersionRow

#: Features drawn in an explainability chart (the largest attributions).
TOP_FEATURES = 10


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("scripts.governance", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("report.html.j2")


def _anchor(row: VersionRow) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", f"v-{row.use_case}-{row.env}-{row.version}")


_LABELS = {
    "purpose_of_model": "Purpose",
    "intended_uses": "Intended uses",
    "factors_affecting_model_efficiency": "Factors affecting efficiency",
    "risk_rating": "Risk rating",
    "explanations_for_risk_rating": "Why this rating",
    "business_problem": "Business problem",
    "business_stakeholders": "Stakeholders",
    "line_of_business": "Line of business",
    "training_observations": "Observations",
    "caveats_and_recommendations": "Caveats and recommendations",
    "ethical_considerations": "Ethical considerations",
    "custom_details": "Custom details",
    "model_creator": "Creator",
    "model_artifact": "Artifact",
}


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return str(value)


def _fields(section: Mapping[str, Any] | None, skip: Sequence[str] = ()) -> list[tuple[str, str]]:
    """``(label, text)`` of a card section's plain fields, in the card's order."""
    return [
        (_LABELS.get(k, k.replace("_", " ").capitalize()), _text(v))
        for k, v in (section or {}).items()
        if k not in skip and v not in (None, "", [], {})
    ]


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _text(value)
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _evaluation(item: Mapping[str, Any]) -> dict[str, Any]:
    name = str(item.get("name", ""))
    kind = {
        EVAL_PRE_BIAS: "pre-bias",
        EVAL_POST_BIAS: "post-bias",
        EVAL_EXPLAINABILITY: "explainability",
    }.get(name, "quality")
    groups = []
    for group in item.get("metric_groups") or []:
        metrics = [
            {
                "name": m.get("name", ""),
                "value": _number(m.get("value")),
                "raw": m.get("value") if isinstance(m.get("value"), (int, float)) else None,
                "notes": m.get("notes"),
            }
            for m in group.get("metric_data") or []
        ]
        bars = []
        if kind == "explainability":
            ranked = sorted((m for m in metrics if m["raw"] is not None), key=lambda m: -abs(m["raw"]))
            top = ranked[:TOP_FEATURES]
            peak = max([abs(m["raw"]) for m in top] + [1e-12])
            bars = [{**m, "width": round(200 * abs(m["raw"]) / peak, 1)} for m in top]
        groups.append(
            {
                "name": group.get("name", ""),
                "metrics": metrics,
                "bars": bars,
                "more": max(0, len(metrics) - len(bars)) if bars else 0,
            }
        )
    meta = dict(item.get("metadata") or {})
    hyper = meta.pop("hyperparameters", None)
    if isinstance(hyper, str):
        with contextlib.suppress(json.JSONDecodeError):
            hyper = _text(json.loads(hyper))
    return {
        "name": name,
        "kind": kind,
        "title": {
            "quality": "Model quality",
            "pre-bias": "Pre-training bias",
            "post-bias": "Post-training bias",
            "explainability": "Explainability",
        }[kind],
        "observation": item.get("evaluation_observation"),
        "datasets": list(item.get("datasets") or []),
        # Lists stored as "a,b,c" (card metadata values are strings) read better spaced.
        "metadata": [(k.replace("_", " "), re.sub(r",(?=\S)", ", ", _text(v))) for k, v in meta.items()],
        "hyperparameters": hyper,
        "groups": groups,
    }


def _card_view(card: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if card is None:
        return None
    intended = dict(card.get("intended_uses") or {})
    training = dict(card.get("training_details") or {})
    job = dict(training.pop("training_job_details", None) or {})
    info = dict(card.get("additional_information") or {})
    custom = dict(info.pop("custom_details", None) or {})
    # shown among the version's facts (the row's model_asset and dataset_asset), not repeated
    for key in (MODEL_ASSET_KEY, MODEL_ASSET_REVISION_KEY, DATASET_ASSET_KEY, DATASET_REVISION_KEY):
        custom.pop(key, None)
    order = {"quality": 0, "pre-bias": 1, "post-bias": 2, "explainability": 3}
    evaluations = sorted(
        (_evaluation(i) for i in card.get("evaluation_details") or []), key=lambda e: order[e["kind"]]
    )
    return {
        "risk_rating": intended.get("risk_rating"),
        "datazone_project": custom.pop(DATAZONE_PROJECT_KEY, None),
        "overview": _fields(card.get("model_overview")),
        "intended_uses": _fields(intended, skip=("risk_rating",)),
        "business_details": _fields(card.get("business_details")),
        "training_details": _fields(training),
        "training_datasets": list(job.get("training_datasets") or []),
        "training_metrics": [
            (m.get("name", ""), _number(m.get("value")))
            for m in [
                *(job.get("training_metrics") or []),
                *(job.get("user_provided_training_metrics") or []),
            ]
        ],
        "hyperparameters": [
            (h.get("name", ""), _text(h.get("value")))
            for h in [
                *(job.get("hyper_parameters") or []),
                *(job.get("user_provided_hyper_parameters") or []),
            ]
        ],
        "evaluations": evaluations,
        "additional": _fields(info) + [(k.replace("_", " "), _text(v)) for k, v in custom.items()],
    }


def _key_metric(card: Mapping[str, Any] | None, name: str) -> str:
    for item in (card or {}).get("evaluation_details") or []:
        for group in item.get("metric_groups") or []:
            for m in group.get("metric_data") or []:
                if m.get("name") == name:
                    return _number(m.get("value"))
    return "-"


def version_view(row: VersionRow, chains: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """One version's section of the page."""
    card = row.card_content
    return {
        "row": row,
        "anchor": _anchor(row),
        "card": _card_view(card),
        "summary": {
            "risk": ((card or {}).get("intended_uses") or {}).get("risk_rating") or "-",
            **{m: _key_metric(card, m) for m in ("accuracy", "roc_auc", "DPPL", "DI")},
        },
        "history": row.history,
        "chains": [chains[leaf] for leaf in row.lineage or () if leaf in chains],
        "gates": [{**g.to_dict(), "rule": _RULES.get(g.relation, "")} for g in row.gates],
        "refusals": [
            {
                "env": r.env,
                "when": r.when,
                "who": r.who.split(":assumed-role/", 1)[-1] if ":assumed-role/" in r.who else r.who,
                "who_arn": r.who,
                "attempts": r.attempts,
                "failures": [
                    {
                        "gate": f.get("gate"),
                        "value": _number(f.get("value")),
                        "limit": _number(f.get("limit")),
                        "reason": f.get("reason"),
                    }
                    for f in r.failures
                ],
            }
            for r in row.refusals
        ],
    }


#: How a recorded gate's limit reads (``mlgov-gate-results``: :func:`..promote.gates.gate_record`).
_RULES = {
    "min": "at least",
    "maxabs": "|value| at most",
    "in": "within (inclusive)",
    "of": "required sections present, of",
    "is": "must be",
}


def render_html(report: Report) -> str:
    """One self-contained page: a summary table, the promotion chains, then one section per version
    (card, evaluation, history, lineage). No scripts, no external resources."""
    chains = report.lineage or {}
    return _template().render(
        data=report,
        versions=[version_view(r, chains) for r in report.versions],
        chains=report.chains,
        details=report.details,
    )


def write_html(report: Report, path: str) -> str:
    """Write the page to ``path``; returns its absolute path."""
    target = Path(path).resolve()
    target.write_text(render_html(report), encoding="utf-8")
    return str(target)
