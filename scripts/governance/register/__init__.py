"""Register: a model a team trained becomes a new version where versions are born, with its card,
its reports and its lineage.

    mlgov register --env dev --use-case credit-risk --artifact model.tar.gz \\
        --image 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3 \\
        --metrics evaluation.json --card card.json [--dataset s3://bucket/data.csv] \\
        [--bias-report bias.json] [--explainability-report explainability.json] [--label v7] \\
        [--dry-run] [--json]

1. **check**, with no AWS call (:func:`load_submission`, :mod:`.submission`): the use case is one of the environment's;
   the artifact is a gzip'd tar archive (an ``s3://`` artifact is checked by reading its first
   bytes before anything is written); the metrics file is a model-quality report in SageMaker's
   statistics layout; the card file is card content (the SDK's shapes) with every section the
   environment requires; the reports are Clarify ``analysis.json``. A problem is a usage error
   (exit 2) naming the file and the field, and nothing is registered.
2. **upload** (:mod:`.registration` from here on), as the environment's data-scientist role, under ``models/<use case>/<version key>/``
   of the artifact bucket, SSE-KMS under the environment's key: ``model.tar.gz`` (from a local
   path uploaded, from ``s3://`` copied inside S3), ``evaluation.json``, ``bias.json``,
   ``explainability.json``, and (seed's training runs) the data-quality baseline
   ``baseline/statistics.json`` and ``baseline/constraints.json`` (ModelMetrics'
   ``ModelDataQuality``, what ``mlgov monitor`` compares captured traffic with).
3. **register** in one CreateModelPackage: the card (Draft) assembled from the team's sections and
   what the kit registers (quality, bias and explainability entries pointing at the objects
   above; the use case's DataZone project), ModelMetrics, ModelLifeCycle at the environment's
   stage, PendingManualApproval.
4. **record** the lineage (dataset -> training run -> model -> package) and an audit record.

Idempotent: the version key (:func:`version_key`) hashes everything that makes a version distinct:
use case, group, artifact SHA-256, image, metrics, card, reports and dataset. It is the ClientToken
and is kept in the version's metadata, so a rerun returns the existing version (and completes its
lineage when a run stopped before that). A response naming a version of another group is an
error, never a registration. ``seed`` is one caller of this path: each sample training run becomes
a :class:`Submission`.
"""

from __future__ import annotations

from .job import build_parser, main, render
from .registration import (
    Target,
    check_group,
    ensure_group,
    prepare,
    record_lineage,
    register,
    register_submission,
    upload,
)
from .submission import (
    QUALITY_SECTIONS,
    Artifact,
    Submission,
    check_archive,
    key_of,
    load_submission,
    parse_metrics,
    version_key,
)

__all__ = [
    "QUALITY_SECTIONS",
    "Artifact",
    "Submission",
    "Target",
    "build_parser",
    "check_archive",
    "check_group",
    "ensure_group",
    "key_of",
    "load_submission",
    "main",
    "parse_metrics",
    "prepare",
    "record_lineage",
    "register",
    "register_submission",
    "render",
    "upload",
    "version_key",
]
