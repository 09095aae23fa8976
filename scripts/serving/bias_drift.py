"""The bias-drift check of ``mlgov monitor --check bias-drift``: the post-training bias of the
endpoint's captured traffic against the post-training bias its version's card records.

What it compares. The card's ``post-training-bias`` evaluation entry (written from Clarify's
``analysis.json`` at registration, :mod:`scripts.governance.evaluation`) names the protected
facet and its sensitive group (metric group ``post_training_bias - facet age_group=under_25``),
the positive label (``metadata.positive_label``) and the metrics measured on the holdout: DPPL,
DI and AD. Over the captured traffic of the analysis window (the captured requests' rows, the
endpoint's answers as the predicted labels) the check computes the same metrics with the same
library and definitions (smclarify: DPPL = q_a - q_d, DI = q_d / q_a, q the share of predicted
positives of the other group *a* and the sensitive group *d*). AD needs ground-truth labels,
which captured traffic does not carry (Model Monitor merges them from ``GroundTruthS3Input``):
it is reported as not computed, never as a pass.

The facet must be in the captured rows: a row named by column (JSON objects, or CSV with a
header line) carries it beside the model's features; :mod:`.inference` hands the model only its
features, ignoring the columns named in the container's ``MLGOV_FACET_COLUMNS``, which
``mlgov serve`` sets from the card's facets. Rows without names are read in the order of the
archive's ``features.json`` (the facet is then found only if it is a model feature).

The rule is Clarify's model bias monitor's: a metric violates when it is worse than the
baseline, worse meaning farther from parity (0 for DPPL, 1 for DI), here by more than a
tolerance (``--bias-tolerance``, default :data:`DEFAULT_TOLERANCE`; 0 is Clarify's own rule).
The result is written as Model Monitor's bias-drift job writes it, under
``monitoring/<endpoint>/bias-drift/v<version>/<yyyymmddHHMMSS>/``: ``analysis.json`` (Clarify's
format, the traffic's metrics) and ``constraint_violations.json``::

    {"version": "1.0", "violations": [{"facet": "age_group", "facet_value": "under_25",
      "metric_name": "DPPL", "constraint_check_type": "bias_drift_check",
      "description": "Value 0.41 does not meet the constraint requirement ..."}]}

Followed: "Bias drift violations", Amazon SageMaker Developer Guide
(https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-violations.html:
the schema above, ``bias_drift_check`` the only check type, a violation when the analysis value
is worse than the baseline constraint's), and "Parameters to Monitor Bias Drift"
(https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-config-json-monitor-bias-parameters.html:
the facet is a column of the captured data, ``name_or_index`` and ``value_or_threshold``).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import tarfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..governance.errors import GovernanceError
from ..governance.metadata import EVAL_POST_BIAS

#: Default tolerance: how much farther from parity than the card's value a metric of the traffic
#: may be before it is a violation (absolute, in the metric's own unit).
DEFAULT_TOLERANCE = 0.1
#: Value of each metric at parity: "farther from parity" is measured from it.
PARITY = {"DPPL": 0.0, "DI": 1.0}
#: Metrics of the card the traffic cannot give: they need ground-truth labels.
NEEDS_LABELS = ("AD",)
CHECK_TYPE = "bias_drift_check"
#: Container variable naming the request columns the model does not take (the card's facets).
FACET_COLUMNS_VAR = "MLGOV_FACET_COLUMNS"
GROUP_PREFIX = "post_training_bias - facet "


@dataclass(frozen=True)
class CardBias:
    """The card's post-training bias: facet, sensitive group, positive label, metric values."""

    facet: str
    facet_value: str
    positive_label: str
    metrics: dict[str, float]


def card_bias(card: Mapping[str, Any] | None) -> list[CardBias]:
    """Every facet group of the card's post-training bias entry (read as JSON)."""
    out: list[CardBias] = []
    for item in (card or {}).get("evaluation_details") or []:
        if item.get("name") != EVAL_POST_BIAS:
            continue
        positive = str((item.get("metadata") or {}).get("positive_label", ""))
        for group in item.get("metric_groups") or []:
            name = str(group.get("name", ""))
            if not name.startswith(GROUP_PREFIX) or "=" not in name:
                continue
            facet, value = name[len(GROUP_PREFIX) :].split("=", 1)
            metrics = {
                str(m["name"]): float(m["value"])
                for m in group.get("metric_data") or []
                if isinstance(m.get("value"), (int, float)) and not isinstance(m.get("value"), bool)
            }
            out.append(CardBias(facet, value, positive, metrics))
    return out


def card_json(desc: Mapping[str, Any]) -> dict[str, Any] | None:
    """The card content of a DescribeModelPackage answer as JSON (None when absent or not JSON)."""
    raw = (desc.get("ModelCard") or {}).get("ModelCardContent")
    try:
        content = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return None
    return content if isinstance(content, dict) else None


def facet_columns(card: Mapping[str, Any] | None) -> list[str]:
    """The facet columns of the card's post-training bias (what serve lets requests carry)."""
    return sorted({b.facet for b in card_bias(card)})


# -- captured traffic ------------------------------------------------------------------------------
@dataclass
class Traffic:
    """Captured rows (column -> value, as sent) and the endpoint's predicted labels, in order."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    predicted: list[Any] = field(default_factory=list)
    records: int = 0
    skipped: int = 0
    """Captured records that could not be paired (no input or output captured, widths differ)."""


def _text(part: Mapping[str, Any]) -> str:
    data = str(part.get("data", ""))
    return base64.b64decode(data).decode() if part.get("encoding") == "BASE64" else data


def _media(part: Mapping[str, Any]) -> str:
    return str(part.get("observedContentType") or "").split(";", 1)[0].strip().lower()


def _input_rows(part: Mapping[str, Any], features: Sequence[str] | None) -> list[dict[str, Any]] | None:
    """The request's rows by column name; None when unnamed rows meet no ``features``."""
    text = _text(part)
    if _media(part) == "text/csv":
        lines = [row for row in csv.reader(io.StringIO(text)) if row]
        if lines and _not_numbers(lines[0]):  # a header line, as the inference script reads it
            header = lines[0]
            return [dict(zip(header, row, strict=False)) for row in lines[1:]]
        if features is None:
            return None
        return [dict(zip(features, row, strict=False)) for row in lines]
    data = json.loads(text)
    if isinstance(data, dict):
        data = data.get("instances", data.get("inputs"))
    if not isinstance(data, list):
        return []
    if data and not isinstance(data[0], (list, dict)):
        data = [data]
    if data and isinstance(data[0], dict):
        return [dict(r) for r in data]
    if features is None:
        return None
    return [dict(zip(features, r, strict=False)) for r in data]


def _not_numbers(cells: Sequence[str]) -> bool:
    for cell in cells:
        try:
            float(cell)
        except ValueError:
            return True
    return False


def _output_labels(part: Mapping[str, Any]) -> list[Any]:
    text = _text(part)
    if _media(part) == "text/csv":
        return [row[0] for row in csv.reader(io.StringIO(text)) if row]
    return [p["predicted_label"] for p in json.loads(text)["predictions"]]


def read_traffic(
    lines: Iterator[str], *, start: datetime, end: datetime, features: Sequence[str] | None
) -> Traffic:
    """Rows and predictions of the capture lines (SageMaker's capture format) whose
    ``eventMetadata.inferenceTime`` is in ``[start, end)``."""
    traffic = Traffic()
    for line in lines:
        if not line.strip():
            continue
        record = json.loads(line)
        at = datetime.fromisoformat(str(record["eventMetadata"]["inferenceTime"]).replace("Z", "+00:00"))
        if not start <= at < end:
            continue
        traffic.records += 1
        data = record.get("captureData") or {}
        if "endpointInput" not in data or "endpointOutput" not in data:
            traffic.skipped += 1
            continue
        rows = _input_rows(data["endpointInput"], features)
        labels = _output_labels(data["endpointOutput"])
        if rows is None or len(rows) != len(labels):
            traffic.skipped += 1
            continue
        traffic.rows += rows
        traffic.predicted += labels
    return traffic


def archive_features(archive: bytes) -> list[str] | None:
    """``features.json`` of a model archive (the column order of unnamed rows), if it has one."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.name.lstrip("./") == "features.json":
                handle = tar.extractfile(member)
                return list(json.loads(handle.read())) if handle else None
    return None


# -- the metrics and the comparison ----------------------------------------------------------------
def traffic_metrics(traffic: Traffic, bias: CardBias) -> dict[str, float | None]:
    """DPPL and DI of the traffic for the card's facet group (None: undefined, e.g. a group
    absent from the traffic). Raises when the facet is not in the captured rows."""
    import pandas as pd
    from smclarify.bias.metrics import posttraining
    from smclarify.bias.metrics.common import DataType, series_datatype

    if not traffic.rows:
        return dict.fromkeys(PARITY)
    missing = sum(1 for r in traffic.rows if bias.facet not in r)
    if missing:
        seen = sorted({k for r in traffic.rows for k in r})
        raise GovernanceError(
            f"{missing} of {len(traffic.rows)} captured rows carry no column {bias.facet!r}, the facet of "
            f"the card's post-training bias (columns seen: {', '.join(seen)}): send each row named by "
            f"column (JSON objects or CSV with a header) with {bias.facet} beside the model's features; "
            f"the endpoint passes the card's facets to the model only as {FACET_COLUMNS_VAR} names it "
            "(mlgov serve sets it from the card)"
        )
    facet = pd.Series([r[bias.facet] for r in traffic.rows])
    numeric = pd.to_numeric(facet, errors="coerce")
    try:
        threshold = float(bias.facet_value)
    except ValueError:
        threshold = None
    if (
        threshold is not None
        and not numeric.isna().any()
        and series_datatype(numeric, [threshold]) == DataType.CONTINUOUS
    ):
        facet, sensitive = numeric, numeric > threshold  # Clarify bins a numeric facet by threshold
    else:
        facet = facet.astype(str)
        sensitive = facet == bias.facet_value
    positive = pd.Series([str(p) for p in traffic.predicted]) == bias.positive_label
    out: dict[str, float | None] = {}
    for name in PARITY:
        if not sensitive.any() or sensitive.all():
            out[name] = None
            continue
        value = float(getattr(posttraining, name)(facet, sensitive, positive))
        out[name] = value if value == value and abs(value) != float("inf") else None
    return out


def violations(
    bias: CardBias, measured: Mapping[str, float | None], tolerance: float
) -> list[dict[str, str]]:
    """Model Monitor bias-drift violations: each metric of the traffic farther from parity than
    the card's value by more than ``tolerance``."""
    out = []
    for name, parity in PARITY.items():
        value, card = measured.get(name), bias.metrics.get(name)
        if value is None or card is None:
            continue
        if abs(value - parity) > abs(card - parity) + tolerance:
            out.append(
                {
                    "facet": bias.facet,
                    "facet_value": bias.facet_value,
                    "metric_name": name,
                    "constraint_check_type": CHECK_TYPE,
                    "description": (
                        f"Value {value:.4f} does not meet the constraint requirement: the card's "
                        f"post-training {name} is {card:.4f}; the traffic's is farther from parity "
                        f"({parity:g}) by more than the tolerance {tolerance:g}"
                    ),
                }
            )
    return out


def analysis(measured: Sequence[tuple[CardBias, Mapping[str, float | None]]]) -> dict[str, Any]:
    """Clarify's ``analysis.json`` of the traffic (its post-training section), one entry per
    facet group of the card."""
    facets: dict[str, list[dict[str, Any]]] = {}
    for bias, values in measured:
        facets.setdefault(bias.facet, []).append(
            {
                "value_or_threshold": bias.facet_value,
                "metrics": [{"name": n, "value": v} for n, v in values.items()],
            }
        )
    return {
        "version": "1.0",
        "post_training_bias_metrics": {
            "label": "predicted_label",
            "label_value_or_threshold": measured[0][0].positive_label if measured else "",
            "facets": facets,
        },
    }
