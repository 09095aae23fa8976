"""Checking a submission, with no AWS call: everything ``mlgov register`` is given, read and
checked into a :class:`Submission`, and the version key that makes registering it idempotent.

The use case is one of the environment's; the artifact is a gzip'd tar archive (an ``s3://``
artifact is checked later, by reading its first bytes, before anything is written); the metrics
file is a model-quality report in SageMaker's statistics layout; the card file is card content
(the SDK's shapes) with every section the environment requires; the reports are Clarify
``analysis.json``. A problem is a usage error (exit 2) naming the file and the field, and nothing
is registered.

The version key (:func:`version_key`) hashes everything that makes a version distinct: use case,
group, artifact SHA-256, image, metrics, card, reports and dataset.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import tarfile
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from environments import PlatformConfig

from .. import cards, lineage
from .. import evaluation as ev
from ..context import resolve_use_case
from ..errors import UsageError

#: Model-quality sections of SageMaker's statistics layout, one of which the metrics file holds.
QUALITY_SECTIONS = (
    "binary_classification_metrics",
    "multiclass_classification_metrics",
    "regression_metrics",
)
#: PutObject's limit: a larger archive is put in S3 first and registered by its ``s3://`` URI.
MAX_UPLOAD = 5 * 1024**3
#: Bytes of an ``s3://`` artifact read to check that it is a gzip'd tar before anything is written.
ARCHIVE_PROBE = 64 * 1024
#: ``ContainerImage`` and ``StringParameterValue`` limits of the SageMaker API.
IMAGE_MAX, METADATA_VALUE_MAX, SOURCE_URI_MAX = 255, 256, 2048
#: Where the dataset's content hash is not known to the kit.
UNKNOWN = lineage.UNKNOWN


@dataclass(frozen=True)
class Artifact:
    """The model archive: its bytes (a local file or a training run) or an ``s3://`` URI."""

    source: str
    """As given: a path, an ``s3://`` URI, or the training run that produced ``body``."""
    body: bytes | None = None

    @property
    def s3_location(self) -> tuple[str, str] | None:
        if self.body is not None:
            return None
        bucket, key = self.source[5:].split("/", 1)
        return bucket, key


@dataclass(frozen=True)
class Submission:
    """Everything one version is made of, read and checked; building one makes no AWS call."""

    use_case: str
    image: str
    artifact: Artifact
    metrics_report: bytes
    """The model-quality report as given (uploaded as ``evaluation.json``)."""
    metrics: dict[str, float]
    """Its metrics by name, for the card's quality entry and the gates."""
    sections: dict[str, Any]
    """Card sections the team supplies (validated card content)."""
    metrics_group: str = "binary_classification"
    bias_report: bytes | None = None
    explainability_report: bytes | None = None
    baseline_statistics: bytes | None = None
    baseline_constraints: bytes | None = None
    """The data-quality baseline (Model Monitor's ``statistics.json`` / ``constraints.json`` of
    the training data), uploaded under ``baseline/`` beside the archive; both or neither."""
    dataset_uri: str | None = None
    dataset_hash: str | None = None
    """SHA-256 of the dataset's content; None when the kit could not read it."""
    dataset_asset: dict[str, Any] | None = None
    """The DataZone asset the dataset is (``register --subscribed-dataset``: what
    :func:`scripts.datazone.datasets.subscribed` returns), for the card and lineage."""
    label: str | None = None
    description: str | None = None
    training: dict[str, Any] = field(default_factory=dict)
    """``algorithm``, ``hyperparameters``, ``metrics`` of the training run, for lineage."""
    quality_observation: str = "Model quality reported by the team (metrics file)."
    quality_metadata: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    """Further CustomerMetadataProperties (seed's run key)."""
    reason: str = "register"
    """Why, for the audit record."""


def _read(path: str, option: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise UsageError(f"{option} {path}: cannot read it: {err.strerror}") from None


def _json(raw: bytes, option: str, path: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise UsageError(f"{option} {path}: not JSON: {err}") from None


def check_archive(data: bytes, *, source: str, complete: bool = True) -> None:
    """Raise :class:`UsageError` unless ``data`` is a gzip'd tar archive holding a file (when not
    ``complete``, ``data`` is the archive's beginning and only its first member is checked)."""

    def refuse(why: str) -> UsageError:
        return UsageError(
            f"--artifact {source}: not a model archive ({why}); expected a gzip'd tar archive "
            "(model.tar.gz) of the model's files, as SageMaker loads it"
        )

    if not data.startswith(b"\x1f\x8b"):
        raise refuse("not gzip-compressed")
    if not complete:
        try:
            block = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)[: tarfile.BLOCKSIZE]
            tarfile.TarInfo.frombuf(block, tarfile.ENCODING, "surrogateescape")
        except (zlib.error, tarfile.TarError) as err:
            raise refuse(f"no tar header: {err}") from None
        return
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            files = [m.name for m in tar.getmembers() if m.isfile()]
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        raise refuse(str(err) or type(err).__name__) from None
    if not files:
        raise refuse("it holds no file")


def parse_metrics(raw: bytes, *, source: str) -> tuple[str, dict[str, float]]:
    """``(metric group, {name: value})`` of a model-quality report in SageMaker's statistics
    layout (Model Monitor's ``statistics.json``): ``{"binary_classification_metrics":
    {"accuracy": {"value": 0.9, ...}, ...}}``. Entries without a ``value`` (a confusion matrix)
    are not metrics of the card and are skipped."""
    data = _json(raw, "--metrics", source)
    present = [s for s in QUALITY_SECTIONS if isinstance(data, dict) and s in data]
    if not present:
        raise UsageError(
            f"--metrics {source}: no {' or '.join(QUALITY_SECTIONS)} object; expected a "
            'model-quality report in SageMaker\'s layout, e.g. {"binary_classification_metrics": '
            '{"accuracy": {"value": 0.91}}}'
        )
    section = present[0]
    body = data[section]
    if not isinstance(body, dict):
        raise UsageError(f"--metrics {source}: {section}: expected an object of metric -> {{value}}")
    metrics: dict[str, float] = {}
    for name, entry in body.items():
        if not isinstance(entry, dict) or "value" not in entry:
            continue
        value = entry["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise UsageError(f"--metrics {source}: {section}.{name}.value: expected a number, got {value!r}")
        metrics[str(name)] = float(value)
    if not metrics:
        raise UsageError(f"--metrics {source}: {section}: no metric with a numeric value")
    return section.removesuffix("_metrics"), metrics


def _report(path: str | None, option: str, validate: Any) -> bytes | None:
    if path is None:
        return None
    raw = _read(path, option)
    try:
        validate(_json(raw, option, path), source=f"{option} {path}")
    except ev.ReportError as err:
        raise UsageError(str(err)) from None
    return raw


def _artifact(value: str) -> Artifact:
    if value.startswith("s3://"):
        bucket, _, key = value[5:].partition("/")
        if not bucket or not key or key.endswith("/"):
            raise UsageError(f"--artifact {value}: expected s3://bucket/key of one object")
        return Artifact(value)
    path = Path(value)
    if path.is_file() and path.stat().st_size > MAX_UPLOAD:
        raise UsageError(
            f"--artifact {value}: larger than 5 GiB, the most one upload takes; put it in S3 and "
            "pass its s3:// URI (it is then copied inside S3)"
        )
    body = _read(value, "--artifact")
    check_archive(body, source=value)
    return Artifact(value, body)


def _dataset(value: str | None) -> tuple[str | None, str | None]:
    """Dataset URI and content hash for lineage. A local file is hashed; a URI is recorded as
    given with its hash ``unknown`` (the kit does not read other buckets, and a hash of the URI
    would claim a content it never saw)."""
    if value is None:
        return None, None
    if "://" in value:
        if len(value) > SOURCE_URI_MAX:
            raise UsageError(f"--dataset: URI longer than {SOURCE_URI_MAX} characters")
        return value, None
    path = Path(value)
    if not path.is_file():
        raise UsageError(
            f"--dataset {value}: no such file; give a local file (its content is hashed) or a URI "
            "such as s3://bucket/key (recorded with its hash unknown)"
        )
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return path.resolve().as_uri(), digest.hexdigest()


def _training_of(sections: Mapping[str, Any], metrics: Mapping[str, float]) -> dict[str, Any]:
    """What lineage records of a team's training run: the card's hyperparameters and the
    metrics. The algorithm is not a field of a package card, so it stays unknown."""
    job = (sections.get("training_details") or {}).get("training_job_details") or {}
    params = job.get("user_provided_hyper_parameters") or job.get("hyper_parameters") or []
    return {
        "algorithm": None,
        "hyperparameters": {p["name"]: p.get("value") for p in params},
        "metrics": dict(metrics),
    }


def load_submission(
    platform: PlatformConfig,
    env_name: str,
    *,
    use_case: str,
    artifact: str,
    image: str,
    metrics: str,
    card: str,
    dataset: str | None = None,
    bias_report: str | None = None,
    explainability_report: str | None = None,
    label: str | None = None,
) -> Submission:
    """Read and check everything ``mlgov register`` is given; no AWS call is made."""
    env = platform.env(env_name)
    use_case = resolve_use_case(env, use_case)
    if not image or len(image) > IMAGE_MAX or any(c.isspace() for c in image):
        raise UsageError(
            f"--image {image!r}: expected a container image URI of at most {IMAGE_MAX} characters "
            "without spaces, e.g. <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>"
        )
    if label is not None and not 0 < len(label) <= METADATA_VALUE_MAX:
        raise UsageError(f"--label: expected 1 to {METADATA_VALUE_MAX} characters")
    sections = cards.load_overrides(card)
    # The kit writes these sections itself; the rest must come from the team.
    missing = [
        s
        for s in env.governance.required_card_sections
        if s not in cards.present_sections(cards.validate_card(sections)) | set(cards.KIT_SECTIONS)
    ]
    if missing:
        raise UsageError(
            f"card file {card}: missing section(s) {', '.join(missing)}, required in environment "
            f"{env.name!r} (governance.required_card_sections in {env.source or env.name + '.yaml'})"
        )
    metrics_report = _read(metrics, "--metrics")
    group, values = parse_metrics(metrics_report, source=metrics)
    dataset_uri, dataset_hash = _dataset(dataset)
    return Submission(
        use_case=use_case,
        image=image,
        artifact=_artifact(artifact),
        metrics_report=metrics_report,
        metrics=values,
        metrics_group=group,
        sections=sections,
        bias_report=_report(bias_report, "--bias-report", ev.validate_bias_report),
        explainability_report=_report(
            explainability_report, "--explainability-report", ev.validate_explainability_report
        ),
        dataset_uri=dataset_uri,
        dataset_hash=dataset_hash,
        label=label,
        training=_training_of(sections, values),
        quality_observation=f"Model quality reported by the team ({Path(metrics).name}).",
        reason=f"register: {label or Path(artifact).name}",
    )


# -- the version key ---------------------------------------------------------------------------
def key_of(material: Mapping[str, Any]) -> str:
    """A UUID-shaped key of ``material`` (fits ``ClientToken``: 36 characters, [a-zA-Z0-9-])."""
    digest = hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()
    return str(uuid.UUID(digest[:32]))


def _sha256(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


def version_key(sub: Submission, group: str, artifact_sha256: str) -> str:
    """The key of the version ``sub`` makes in ``group``: everything that makes a version
    distinct. Two use cases, or two groups, never share one (the cause of a second use case's
    versions landing in the first one's group)."""
    return key_of(
        {
            "use_case": sub.use_case,
            "group": group,
            "artifact_sha256": artifact_sha256,
            "image": sub.image,
            "metrics_sha256": _sha256(sub.metrics_report),
            "card": sub.sections,
            "bias_sha256": _sha256(sub.bias_report),
            "explainability_sha256": _sha256(sub.explainability_report),
            "dataset": [sub.dataset_uri, sub.dataset_hash],
            **(
                {"dataset_asset": [sub.dataset_asset["asset_id"], sub.dataset_asset["revision"]]}
                if sub.dataset_asset is not None
                else {}
            ),
            # Only when given: the keys of versions registered without one stay what they were.
            **(
                {"baseline_sha256": [_sha256(sub.baseline_statistics), _sha256(sub.baseline_constraints)]}
                if sub.baseline_statistics is not None
                else {}
            ),
        }
    )
