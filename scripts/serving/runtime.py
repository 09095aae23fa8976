"""Use a served version: send it requests (``mlgov invoke``) and check its captured traffic against
the version's data-quality baseline and its card's post-training bias (``mlgov monitor``), as the
environment's model-deploy role.

``mlgov invoke`` sends a CSV (one applicant per line, the columns of the model's
``features.json``) or JSON payload (``{"instances": [[...], ...]}``) to the use case's endpoint
and prints the predictions (``predicted_label``, ``probability``), under the contract of
scripts/serving/inference.py.

``mlgov monitor`` runs Model Monitor once (a ``NOW`` schedule over the last hour of captured
data) against the baseline of the version the endpoint serves: ``statistics.json`` and
``constraints.json`` in Model Monitor's format, under ``baseline/`` beside the version's
``model.tar.gz`` (registration writes them: :mod:`scripts.governance.baseline`; a promotion
copies them with the archive). It prints the violations and exits 1 when there are any. Without a baseline it
says so and what is needed, and runs nothing. The schedule and its job definition are deleted
once the execution has ended; the reports stay under ``monitoring/`` (the schedule is named
with the version, ``<endpoint>-v<n>-monitor-<stamp>``, so the report can tell whose they are).
``--check bias-drift`` compares the traffic's post-training bias with the card's instead, or as
well (:mod:`.bias_drift` says what it compares and where it writes).

    mlgov invoke  --env prod --csv rows.csv [--use-case credit-risk]
    mlgov monitor --env prod [--use-case credit-risk] [--check data-quality] [--check bias-drift]
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from environments import PlatformConfig
from environments.naming import model_monitor_image
from scripts.aws import error_code, kit_errors

from ..governance.errors import GovernanceError, UsageError
from ..governance.versions import describe_version, version_number
from . import bias_drift
from .deploy import MOVING, Target, baseline_of, model_data_url, served_version, split_s3, target

CSV, JSON = "text/csv", "application/json"
#: Statuses of a monitoring execution that has not ended.
RUNNING = ("Pending", "InProgress", "Stopping")


def _serving(t: Target) -> dict[str, Any]:
    """DescribeEndpoint of the use case's endpoint; a usage error when there is none."""
    try:
        described: dict[str, Any] = t.sm.describe_endpoint(EndpointName=t.endpoint)
    except ClientError as err:
        if error_code(err) == "ValidationException" and "could not find" in str(err).lower():
            raise UsageError(
                f"no endpoint {t.endpoint} in environment {t.ctx.env.name!r}: deploy a version first "
                f"(mlgov serve --env {t.ctx.env.name} --version N --reason ...)"
            ) from None
        raise
    return described


# -- invoke ----------------------------------------------------------------------------------------
def parse_predictions(body: str, accept: str) -> list[dict[str, Any]]:
    if accept == JSON:
        return list(json.loads(body)["predictions"])
    out = []
    for line in body.strip().splitlines():
        label, probability = line.split(",")
        out.append({"predicted_label": int(label), "probability": float(probability)})
    return out


def invoke(
    platform: PlatformConfig,
    env: str,
    body: str,
    *,
    content_type: str = CSV,
    accept: str = JSON,
    use_case: str | None = None,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """One InvokeEndpoint request; the endpoint's predictions, parsed."""
    if content_type not in (CSV, JSON) or accept not in (CSV, JSON):
        raise UsageError(f"content type and accept must be {CSV} or {JSON}")
    if not body.strip():
        raise UsageError("the payload is empty: give rows to predict (--csv FILE or --json-rows FILE)")
    t = target(platform, env, use_case, job="invoke", source=source)
    runtime = t.ctx.client("sagemaker-runtime")
    started = time.perf_counter()
    with kit_errors(t.ctx.role_arn):
        answer = runtime.invoke_endpoint(
            EndpointName=t.endpoint, Body=body.encode(), ContentType=content_type, Accept=accept
        )
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    text = answer["Body"].read().decode()
    return {
        "environment": t.ctx.env.name,
        "endpoint": t.endpoint,
        "variant": answer.get("InvokedProductionVariant"),
        "predictions": parse_predictions(text, accept),
        "latency_ms": elapsed_ms,
    }


def render_invoke(result: dict[str, Any]) -> str:
    lines = [
        f"{result['endpoint']} ({result['environment']}, {result['variant']}, {result['latency_ms']} ms):"
    ]
    lines += [f"  {p['predicted_label']}  {p['probability']:.4f}" for p in result["predictions"]]
    return "\n".join(lines)


def read_payload(csv_path: str | None, json_path: str | None) -> tuple[str, str]:
    """(body, content type) from the file given; a usage error names a missing file."""
    path, content_type = (csv_path, CSV) if csv_path else (json_path, JSON)
    if path is None:
        raise UsageError("give the rows to predict: --csv FILE or --json-rows FILE")
    try:
        return Path(path).read_text(encoding="utf-8"), content_type
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror}") from None


# -- monitor ---------------------------------------------------------------------------------------
def analyzer_image(region: str) -> str:
    """Model Monitor's analyzer image of the region (:func:`environments.naming.model_monitor_image`,
    the image the stack's scheduled monitor runs too)."""
    try:
        return model_monitor_image(region)
    except ValueError as err:
        raise GovernanceError(str(err)) from None


def _exists(t: Target, uri: str) -> bool:
    bucket, key = split_s3(uri)
    try:
        t.ctx.client("s3").head_object(Bucket=bucket, Key=key)
    except ClientError as err:
        if error_code(err) in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


DATA_QUALITY, BIAS_DRIFT = "data-quality", "bias-drift"
CHECKS = (DATA_QUALITY, BIAS_DRIFT)


def monitor(
    platform: PlatformConfig,
    env: str,
    *,
    use_case: str | None = None,
    timeout: float = 900.0,
    checks: Sequence[str] = (DATA_QUALITY,),
    bias_tolerance: float = bias_drift.DEFAULT_TOLERANCE,
    window_s: float = 3600.0,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """One run of the ``checks`` over the endpoint's captured data of the last hour.

    The result: the endpoint and the version it serves, ``checks``, ``violations`` (every
    violation found, each as its monitor writes it); for the data-quality check also
    ``status``, ``baseline``, ``exit_message``, ``report_uri`` (Model Monitor's execution); for the
    bias-drift check ``bias_drift`` (:func:`check_bias_drift`)."""
    unknown = [c for c in checks if c not in CHECKS]
    if unknown or not checks:
        raise UsageError(f"unknown check {unknown[0] if unknown else None!r}: expected {' or '.join(CHECKS)}")
    if bias_tolerance < 0:
        raise UsageError(f"--bias-tolerance must be 0 or more, got {bias_tolerance:g}")
    t = target(platform, env, use_case, job="monitor", source=source)
    endpoint = _serving(t)
    if endpoint["EndpointStatus"] in MOVING or endpoint["EndpointStatus"] == "Failed":
        raise GovernanceError(
            f"endpoint {t.endpoint} is {endpoint['EndpointStatus']}: monitor it once InService"
        )
    arn = served_version(t, endpoint)
    if arn is None:
        raise GovernanceError(f"endpoint {t.endpoint} does not serve a model version of the kit")
    desc = describe_version(t.ctx, arn)
    result: dict[str, Any] = {
        "environment": t.ctx.env.name,
        "endpoint": t.endpoint,
        "model_package_arn": arn,
        "checks": list(checks),
        "violations": [],
    }
    # The bias check first: it needs no job, and it refuses (nothing run) when the card or the
    # traffic cannot give its metrics.
    if BIAS_DRIFT in checks:
        drift = check_bias_drift(t, arn, desc, tolerance=bias_tolerance, window_s=window_s)
        result["bias_drift"] = drift
    if DATA_QUALITY in checks:
        quality = _data_quality(t, arn, desc, timeout)
        result.update(quality)
        result["violations"] = list(quality["violations"])
    if BIAS_DRIFT in checks:
        result["violations"] += result["bias_drift"]["violations"]
    return result


def check_bias_drift(
    t: Target, arn: str, desc: dict[str, Any], *, tolerance: float, window_s: float = 3600.0
) -> dict[str, Any]:
    """The bias-drift check (:mod:`.bias_drift`): the post-training bias of the captured traffic
    of the last ``window_s`` seconds against the card's, written as Model Monitor's bias-drift
    job writes it under ``monitoring/<endpoint>/bias-drift/v<version>/<stamp>/``."""
    ctx = t.ctx
    baselines = bias_drift.card_bias(bias_drift.card_json(desc))
    if not baselines:
        raise GovernanceError(
            f"{arn} has no post-training bias in its card (evaluation entry "
            f"{bias_drift.EVAL_POST_BIAS!r}, Clarify's metrics per facet): the bias-drift check compares "
            "the traffic with it; register the version with a bias report (mlgov register --bias-report); "
            "nothing was run"
        )
    end = datetime.now(UTC)
    start = end - timedelta(seconds=window_s)
    s3 = ctx.client("s3")
    bucket = ctx.artifact_bucket
    prefix = f"{ctx.names.capture_prefix}{t.endpoint}/"

    def lines() -> Iterator[str]:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents") or []:
                if item["Key"].endswith(".jsonl"):
                    body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode()
                    yield from body.splitlines()

    features: list[str] | None = None
    model = model_data_url(desc)
    with kit_errors(ctx.role_arn):
        if model:
            archive_bucket, archive_key = split_s3(model)
            archive = s3.get_object(Bucket=archive_bucket, Key=archive_key)["Body"].read()
            features = bias_drift.archive_features(archive)
        traffic = bias_drift.read_traffic(lines(), start=start, end=end, features=features)
    if not traffic.rows:
        raise GovernanceError(
            f"no captured traffic of {t.endpoint} in the last {window_s / 60:.0f} minutes "
            f"(s3://{bucket}/{prefix}): the bias-drift check needs requests to compare; nothing was run"
        )
    facets, violations, measured_all = [], [], []
    for baseline in baselines:
        measured = bias_drift.traffic_metrics(traffic, baseline)
        measured_all.append((baseline, measured))
        violations += bias_drift.violations(baseline, measured, tolerance)
        facets.append(
            {
                "facet": baseline.facet,
                "facet_value": baseline.facet_value,
                "card": {n: baseline.metrics.get(n) for n in bias_drift.PARITY},
                "traffic": measured,
                "not_computed": {
                    n: "needs ground-truth labels, which captured traffic does not carry"
                    for n in bias_drift.NEEDS_LABELS
                    if n in baseline.metrics
                },
            }
        )
    stamp = end.strftime("%Y%m%d%H%M%S")
    report = f"{ctx.names.monitoring_prefix}{t.endpoint}/bias-drift/v{version_number(arn)}/{stamp}"
    documents = {
        "analysis.json": bias_drift.analysis(measured_all),
        "constraint_violations.json": {"version": "1.0", "violations": violations},
    }
    with kit_errors(ctx.role_arn):
        for name, document in documents.items():
            s3.put_object(
                Bucket=bucket,
                Key=f"{report}/{name}",
                Body=json.dumps(document, indent=2).encode(),
                ContentType="application/json",
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=ctx.kms_key_arn,
            )
    return {
        "compared": "post-training bias (Clarify's DPPL, DI) of the captured requests' facet groups, "
        "the endpoint's answers as predicted labels, against the card's post-training bias",
        "window": {"start": start.isoformat(), "end": end.isoformat()},
        "rows": len(traffic.rows),
        "records": traffic.records,
        "skipped_records": traffic.skipped,
        "tolerance": tolerance,
        "facets": facets,
        "report_uri": f"s3://{bucket}/{report}",
        "violations": violations,
    }


def _data_quality(t: Target, arn: str, desc: dict[str, Any], timeout: float) -> dict[str, Any]:
    """One data-quality monitoring execution over the endpoint's captured data."""
    ctx, sm = t.ctx, t.sm
    base = baseline_of(desc)
    statistics, constraints = f"{base}statistics.json", f"{base}constraints.json"
    with kit_errors(ctx.role_arn):
        missing = [uri for uri in (statistics, constraints) if not base or not _exists(t, uri)]
    if missing:
        raise GovernanceError(
            f"{arn} has no data-quality baseline ({', '.join(missing) or 'no model artifact'} not found): "
            "Model Monitor compares captured traffic with the statistics.json and constraints.json "
            "of the training data (Model Monitor's format, written by a baselining job of the "
            "sagemaker-model-monitor-analyzer image over the evaluation dataset with its predictions), "
            f"which must be under {base or '<model dir>/baseline/'}; nothing was run"
        )
    # A NOW schedule analyses up to its own time, to the second: start in the next second so the
    # requests of this one are in the window.
    time.sleep(1.0 - (time.time() % 1.0) + 0.01)
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    # The version in the schedule's name, so its reports (monitoring/<endpoint>/<schedule>/...)
    # say which version they checked (the report shows them for the version served).
    n = version_number(arn)
    definition, schedule = f"{t.endpoint}-v{n}-dq-{stamp}", f"{t.endpoint}-v{n}-monitor-{stamp}"
    reports = f"s3://{ctx.artifact_bucket}/{ctx.names.monitoring_prefix.rstrip('/')}"
    with kit_errors(ctx.role_arn):
        sm.create_data_quality_job_definition(
            JobDefinitionName=definition,
            DataQualityBaselineConfig={
                "ConstraintsResource": {"S3Uri": constraints},
                "StatisticsResource": {"S3Uri": statistics},
            },
            DataQualityAppSpecification={"ImageUri": analyzer_image(ctx.env.region)},
            DataQualityJobInput={
                "EndpointInput": {
                    "EndpointName": t.endpoint,
                    "LocalPath": "/opt/ml/processing/input/endpoint",
                }
            },
            DataQualityJobOutputConfig={
                "MonitoringOutputs": [
                    {"S3Output": {"S3Uri": reports, "LocalPath": "/opt/ml/processing/resultdata"}}
                ],
                "KmsKeyId": ctx.kms_key_arn,
            },
            JobResources={
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
            },
            RoleArn=ctx.param(ctx.names.ssm_role_arn("execution")),
        )
        try:
            sm.create_monitoring_schedule(
                MonitoringScheduleName=schedule,
                MonitoringScheduleConfig={
                    "ScheduleConfig": {
                        "ScheduleExpression": "NOW",
                        "DataAnalysisStartTime": "-PT1H",
                        "DataAnalysisEndTime": "-PT0H",
                    },
                    "MonitoringJobDefinitionName": definition,
                    "MonitoringType": "DataQuality",
                },
            )
            execution = _wait_execution(t, schedule, timeout)
        finally:
            _cleanup(t, schedule, definition)
        job = sm.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].split("/")[-1])
    report = job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"].rstrip("/")
    violations: list[dict[str, Any]] = []
    if execution["MonitoringExecutionStatus"] in ("Completed", "CompletedWithViolations"):
        bucket, key = split_s3(f"{report}/constraint_violations.json")
        with kit_errors(ctx.role_arn, allow=("NoSuchKey",)):
            body = ctx.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
            violations = list(json.loads(body).get("violations", []))
    return {
        "baseline": base,
        "status": execution["MonitoringExecutionStatus"],
        "exit_message": job.get("ExitMessage") or execution.get("FailureReason"),
        "report_uri": report,
        "violations": violations,
    }


def _wait_execution(t: Target, schedule: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = t.sm.list_monitoring_executions(MonitoringScheduleName=schedule)[
            "MonitoringExecutionSummaries"
        ]
        if found and found[0]["MonitoringExecutionStatus"] not in RUNNING:
            return dict(found[0])
        if time.monotonic() > deadline:
            raise GovernanceError(
                f"the monitoring execution of {schedule} did not end within {timeout:.0f} s"
            )
        time.sleep(1.0)


def _cleanup(t: Target, schedule: str, definition: str) -> None:
    for call, kwargs in (
        (t.sm.delete_monitoring_schedule, {"MonitoringScheduleName": schedule}),
        (t.sm.delete_data_quality_job_definition, {"JobDefinitionName": definition}),
    ):
        try:
            call(**kwargs)
        except ClientError as err:  # already gone, or never created: nothing to clean
            if error_code(err) not in ("ResourceNotFound", "ValidationException"):
                raise


def render_monitor(result: dict[str, Any]) -> str:
    lines = [f"{result['endpoint']} ({result['environment']}) serving {result['model_package_arn']}:"]
    if "status" in result:
        lines.append(f"  data quality: {result['status']} against the version's baseline")
        lines.append(f"    report: {result['report_uri']}")
        quality = [v for v in result["violations"] if "feature_name" in v]
        if not quality:
            lines.append("    no violations")
        for v in quality:
            lines.append(f"    {v['feature_name']}: {v['constraint_check_type']}: {v['description']}")
    drift = result.get("bias_drift")
    if drift:
        lines.append(
            f"  bias drift: {drift['rows']} captured rows vs the card's post-training bias "
            f"(tolerance {drift['tolerance']:g})"
        )
        lines.append(f"    report: {drift['report_uri']}")
        for f in drift["facets"]:
            shown = ", ".join(
                f"{n} {_num(f['traffic'].get(n))} (card {_num(f['card'].get(n))})" for n in f["card"]
            )
            lines.append(f"    {f['facet']}={f['facet_value']}: {shown}")
            for n, why in f["not_computed"].items():
                lines.append(f"    {n} not computed: {why}")
        if not drift["violations"]:
            lines.append("    no violations")
        for v in drift["violations"]:
            lines.append(
                f"    {v['facet']}={v['facet_value']} {v['metric_name']}: {v['constraint_check_type']}: "
                f"{v['description']}"
            )
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.4f}"
