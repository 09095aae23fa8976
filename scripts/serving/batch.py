"""Batch inference for an approved version: ``mlgov batch`` runs a SageMaker batch transform job
over CSV files in the artifact bucket, as the environment's model-deploy role, for teams that do
not serve online.

1. Gates: the very ones ``mlgov serve`` checks (:func:`.deploy.approved_version`): the version
   Approved, its card Approved, its lifecycle stage the environment's, its archive hashing to the
   SHA-256 recorded at registration. A failed gate is named and nothing is written.
2. Input: CSV files under ``s3://<artifact bucket>/batch/<use case>/input/`` (``--input``: one
   file or a prefix there), or a local file staged there first (``--csv FILE``: uploaded to
   ``batch/<use case>/input/<job>/<file name>`` under the platform key). One row per line, no
   header, the model's feature columns in the order of its ``features.json`` (the contract of
   scripts/serving/inference.py): SageMaker splits the files into records by line and sends them
   in mini-batches, so a header line would reach only the first one; a file whose first line is
   not numbers is refused, naming it.
3. The model: the SageMaker model ``<prefix>-<use case>-v<n>`` that ``mlgov serve`` creates
   (:func:`.deploy.publish_code`, :func:`.deploy.ensure_model`: the package's image and archive,
   the kit's inference code, run as the execution role), reused when it exists.
4. The job ``<prefix>-<use case>-v<n>-<yyyymmddHHMMSS>``: ``SplitType`` Line, ``ContentType``
   text/csv, ``BatchStrategy`` MultiRecord (``--batch-strategy SingleRecord``: one row a request),
   ``AssembleWith`` Line, ``Accept`` text/csv (``--accept application/json``); its output under
   ``s3://<artifact bucket>/batch/<use case>/output/<job>/`` encrypted with the platform key
   (``TransformOutput.KmsKeyId``, and the instances' volumes: ``VolumeKmsKeyId``). SageMaker
   writes one ``<input file>.out`` per input file (its key relative to the input prefix), one
   ``predicted_label,probability`` line per row with the default Accept. The job runs as its
   model's role: the execution role reads only the batch input prefix and writes only the batch
   output prefix (modules/serving_policy.py).
5. Records: an audit record (action ``batch-transform``: who, when, the version, the job, its
   input and output) when the job starts; once it has ended, lineage: SageMaker records the job as
   a trial component with its input and output as artifacts, and the kit adds ``version
   --ContributedTo--> the job`` (:func:`..governance.lineage.record_transform_job`), so ``mlgov
   lineage`` lists the version's batch jobs. The version's stage status is not changed: a batch
   job serves nothing that stays up.

The command waits for the job (``--timeout``; a job still running then is stopped, and the
command fails saying so). A job that fails is a failure naming SageMaker's reason. Each run is a
new job; re-running after an interruption starts another one.

    mlgov batch --env prod --version 1 --csv applicants.csv --reason "monthly scoring" [--download DIR]
    mlgov batch --env prod --version 1 --input s3://<bucket>/batch/credit-risk/input/2026-11/ --reason "..."
"""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from environments import PlatformConfig
from scripts.aws import kit_errors

from ..governance import audit, lineage
from ..governance.context import paginate
from ..governance.errors import GovernanceError, UsageError
from ..governance.versions import version_number
from . import bias_drift
from .deploy import (
    DEFAULT_INSTANCE_TYPE,
    Target,
    approved_version,
    ensure_model,
    publish_code,
    require_reason,
    split_s3,
    target,
)

logger = logging.getLogger(__name__)

CSV, JSON = "text/csv", "application/json"
STRATEGIES = ("MultiRecord", "SingleRecord")
DEFAULT_TIMEOUT_S = 3600.0
#: DescribeTransformJob statuses of a job that has not ended.
RUNNING = ("InProgress", "Stopping")
#: TransformJobName: at most 63 characters (API reference, CreateTransformJob).
MAX_JOB_NAME = 63
#: How many bytes of an input file are read to check its first line.
_HEAD_BYTES = 4096
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def job_name(t: Target, version: int, when: datetime) -> str:
    name = f"{t.resource_name(version)}-{when.strftime('%Y%m%d%H%M%S')}"
    if len(name) > MAX_JOB_NAME:
        raise UsageError(
            f"the transform job name {name} is longer than SageMaker's {MAX_JOB_NAME} characters: "
            "shorten the use case's name or the platform's name_prefix"
        )
    return name


def header_problem(first_line: str) -> str | None:
    """Why a file starting with ``first_line`` is no batch input (None when every value is a
    number): a header, or text the model cannot take."""
    if not first_line.strip():
        return "its first line is empty"
    if all(_NUMBER.match(v) for v in first_line.strip().split(",")):
        return None
    shown = first_line.strip()[:80]
    return (
        f"its first line is not numbers ({shown!r}): batch input has no header line, one row per line "
        "with the model's feature columns in the order of its features.json"
    )


def _first_line(data: bytes) -> str:
    return data.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")


def input_location(t: Target, uri: str) -> tuple[str, str]:
    """(bucket, key prefix) of ``--input``; a usage error unless it is under the use case's batch
    input prefix of the artifact bucket (the only input the job's role may read)."""
    bucket, key = split_s3(uri)
    allowed = t.ctx.names.batch_input_prefix(t.use_case)
    if key.rstrip("/") == allowed.rstrip("/") and bucket == t.ctx.artifact_bucket:
        raise UsageError(
            f"--input {uri} is the whole batch input prefix, which holds every earlier job's input: "
            f"name a file or a folder under it (s3://{bucket}/{allowed}<folder>/)"
        )
    if not uri.startswith("s3://") or bucket != t.ctx.artifact_bucket or not key.startswith(allowed):
        raise UsageError(
            f"--input {uri} is not under s3://{t.ctx.artifact_bucket}/{allowed}: batch input of use case "
            f"{t.use_case!r} in {t.ctx.env.name!r} lives there (a file, or a prefix of files); or give "
            "--csv FILE to upload one"
        )
    return bucket, key


def input_objects(t: Target, bucket: str, key: str) -> list[str]:
    """The keys the job will transform (SageMaker's S3Prefix: every object whose key starts
    with ``key``), each checked for a header line; a usage error when there is none, or when one
    starts with a line that is not numbers."""
    s3 = t.ctx.client("s3")
    with kit_errors(t.ctx.role_arn):
        keys = [
            o["Key"]
            for o in paginate(s3, "list_objects_v2", "Contents", Bucket=bucket, Prefix=key)
            if not o["Key"].endswith("/")
        ]
        if not keys:
            raise UsageError(f"no files under s3://{bucket}/{key}: upload the CSV there, or give --csv FILE")
        for found in keys:
            head = s3.get_object(Bucket=bucket, Key=found, Range=f"bytes=0-{_HEAD_BYTES - 1}")["Body"].read()
            problem = header_problem(_first_line(head))
            if problem:
                raise UsageError(f"s3://{bucket}/{found}: {problem}")
    return keys


def read_local_csv(path: str) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror}") from None
    if not data.strip():
        raise UsageError(f"{path} is empty: give one row per line to predict")
    problem = header_problem(_first_line(data))
    if problem:
        raise UsageError(f"{path}: {problem}")
    return data


def transform(
    platform: PlatformConfig,
    env: str,
    version: str,
    reason: str,
    *,
    input_uri: str | None = None,
    csv_path: str | None = None,
    use_case: str | None = None,
    accept: str = CSV,
    batch_strategy: str = "MultiRecord",
    instance_type: str = DEFAULT_INSTANCE_TYPE,
    instance_count: int = 1,
    timeout: float = DEFAULT_TIMEOUT_S,
    download: str | None = None,
    dry_run: bool = False,
    source: boto3.Session | None = None,
    poll: float = 2.0,
) -> dict[str, Any]:
    """Run a batch transform job of ``version`` of the use case in ``env`` (see the module
    docstring); the job, its input, output files and status."""
    reason = require_reason(reason)
    if (input_uri is None) == (csv_path is None):
        raise UsageError("give the rows to predict: --input s3://... or --csv FILE (one of them)")
    if accept not in (CSV, JSON):
        raise UsageError(f"--accept must be {CSV} or {JSON}, got {accept!r}")
    if batch_strategy not in STRATEGIES:
        raise UsageError(f"--batch-strategy must be {' or '.join(STRATEGIES)}, got {batch_strategy!r}")
    if instance_count < 1:
        raise UsageError(f"--instance-count must be at least 1, got {instance_count}")
    local = read_local_csv(csv_path) if csv_path else None
    t = target(platform, env, use_case, job="batch", source=source)
    ctx = t.ctx
    names = ctx.names
    arn, desc = approved_version(
        t, version, refusal=f"refused to run a batch transform of {{arn}} in {ctx.env.name}"
    )
    n = version_number(arn)
    name = job_name(t, n, datetime.now(UTC))
    bucket = ctx.artifact_bucket
    if local is not None:
        input_key = f"{names.batch_input_prefix(t.use_case)}{name}/{Path(str(csv_path)).name}"
        keys = [input_key]
    else:
        bucket, input_key = input_location(t, str(input_uri))
        keys = input_objects(t, bucket, input_key)
    output_prefix = f"{names.batch_output_prefix(t.use_case)}{name}/"
    result: dict[str, Any] = {
        "environment": ctx.env.name,
        "use_case": t.use_case,
        "model_package_arn": arn,
        "version": n,
        "transform_job": name,
        "input_uri": f"s3://{bucket}/{input_key}",
        "inputs": [f"s3://{bucket}/{k}" for k in keys],
        "output_uri": f"s3://{bucket}/{output_prefix}",
        "dry_run": dry_run,
    }
    if dry_run:
        return {**result, "changed": False, "would_change": True}

    started = time.monotonic()
    key_arn = ctx.kms_key_arn
    s3 = ctx.client("s3")
    if local is not None:
        with kit_errors(ctx.role_arn):
            s3.put_object(
                Bucket=bucket,
                Key=input_key,
                Body=local,
                ContentType=CSV,
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=key_arn,
            )
    code = publish_code(t)
    model = ensure_model(t, arn, code, bias_drift.facet_columns(bias_drift.card_json(desc)))
    with kit_errors(ctx.role_arn):
        job_arn = t.sm.create_transform_job(
            TransformJobName=name,
            ModelName=model,
            BatchStrategy=batch_strategy,
            TransformInput={
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": result["input_uri"]}},
                "ContentType": CSV,
                "SplitType": "Line",
                "CompressionType": "None",
            },
            TransformOutput={
                "S3OutputPath": result["output_uri"].rstrip("/"),
                "Accept": accept,
                "AssembleWith": "Line",
                "KmsKeyId": key_arn,
            },
            TransformResources={
                "InstanceType": instance_type,
                "InstanceCount": instance_count,
                "VolumeKmsKeyId": key_arn,
            },
        )["TransformJobArn"]
    result.update(transform_job_arn=job_arn, model=model, code_uri=code)
    rec = audit.record(
        ctx,
        action="batch-transform",
        model_package_arn=arn,
        group=desc["ModelPackageGroupName"],
        version=n,
        reason=reason,
        before={},
        after={"TransformJobName": name, "Input": result["input_uri"], "Output": result["output_uri"]},
        extra={"transform_job_arn": job_arn, "model": model, "code_uri": code, "accept": accept},
    )
    result.update(audit_key=rec["key"], who=rec["who"])
    described = wait_ended(t, name, timeout, poll=poll)
    result.update(status=described["TransformJobStatus"], seconds=round(time.monotonic() - started, 2))
    try:
        with kit_errors(ctx.role_arn):
            result["lineage"] = lineage.record_transform_job(
                t.sm, package_arn=arn, env=ctx.env.name, job_name=name
            )
    except GovernanceError as err:
        # The job ran and its records are written; say what is missing rather than hide it.
        logger.warning("lineage of %s not recorded: %s", name, err)
        result["lineage"] = {"error": str(err)}
    if described["TransformJobStatus"] != "Completed":
        raise GovernanceError(
            f"batch transform job {name} of {arn} ended {described['TransformJobStatus']}: "
            f"{described.get('FailureReason') or 'no reason given'} (audit record {rec['key']})"
        )
    result["outputs"] = outputs(t, bucket, output_prefix, download)
    result["changed"] = True
    return result


def wait_ended(t: Target, name: str, timeout: float, *, poll: float = 2.0) -> dict[str, Any]:
    """DescribeTransformJob once the job has ended; past ``timeout`` the job is stopped and the
    command fails saying so."""
    deadline = time.monotonic() + timeout
    while True:
        with kit_errors(t.ctx.role_arn):
            described: dict[str, Any] = t.sm.describe_transform_job(TransformJobName=name)
        if described["TransformJobStatus"] not in RUNNING:
            return described
        if time.monotonic() > deadline:
            with kit_errors(t.ctx.role_arn):
                t.sm.stop_transform_job(TransformJobName=name)
            raise GovernanceError(
                f"batch transform job {name} was still {described['TransformJobStatus']} after {timeout:.0f} s "
                "and has been stopped; run again with a longer --timeout"
            )
        time.sleep(poll)


def outputs(t: Target, bucket: str, prefix: str, download: str | None) -> list[dict[str, Any]]:
    """The job's ``.out`` files; with ``download``, each written to that directory (its key
    under the job's output prefix) and its rows counted."""
    s3 = t.ctx.client("s3")
    found: list[dict[str, Any]] = []
    with kit_errors(t.ctx.role_arn):
        for item in paginate(s3, "list_objects_v2", "Contents", Bucket=bucket, Prefix=prefix):
            entry: dict[str, Any] = {"uri": f"s3://{bucket}/{item['Key']}", "bytes": item["Size"]}
            if download is not None:
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                path = Path(download, item["Key"][len(prefix) :])
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(body)
                entry.update(path=str(path), rows=len(body.splitlines()))
            found.append(entry)
    return found


def render(result: dict[str, Any]) -> str:
    if result.get("dry_run"):
        return (
            f"{result['transform_job']} ({result['environment']}): would transform {len(result['inputs'])} "
            f"file(s) under {result['input_uri']} with {result['model_package_arn']} into {result['output_uri']}"
        )
    lines = [
        f"{result['transform_job']} ({result['environment']}): {result['status']}, "
        f"{result['model_package_arn']} over {len(result['inputs'])} file(s) ({result['seconds']} s)",
        f"  input: {result['input_uri']}",
        f"  output: {result['output_uri']}",
    ]
    for out in result.get("outputs") or []:
        shown = f"    {out['uri']}"
        if "path" in out:
            shown += f" -> {out['path']} ({out['rows']} rows)"
        lines.append(shown)
    linked = result.get("lineage") or {}
    if "error" in linked:
        lines.append(f"  lineage: not recorded: {linked['error']}")
    lines.append(f"  audit: {result['audit_key']}")
    return "\n".join(lines)
