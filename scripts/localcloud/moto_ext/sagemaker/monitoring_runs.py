"""What Model Monitor runs on threads of its own (what SageMaker does is :mod:`.monitoring`'s
docstring):

* :func:`run_now`: the execution of a ``NOW`` schedule once it is scheduled; its processing job's
  request is built from the job definition (the endpoint's captured hours in the analysis
  window, the baseline, the contract's environment, the output under
  ``<endpoint>/<schedule>/<yyyy>/<mm>/<dd>/<hh>``), then run as an analyzer job;
* :func:`run_analyzer`: an analyzer processing job: its inputs downloaded as the job's role under
  ``/opt/ml/processing``, the analyzer stand-in (``containers/model_monitor.py``) run in its own
  ``/opt/ml`` mounts within ``MaxRuntimeInSeconds``, its outputs uploaded, and the job ended
  ``Completed`` or ``Failed``.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ValidationError

from ...containers.container import Container, ContainerError, Mount
from .fleet import ContainerLogs, client, role_session, split_s3_uri
from .monitoring_records import (
    PROCESSING_ROOT,
    AnalyzerJob,
    MonitoringExecution,
    MonitoringSchedule,
    offset,
)
from .utils import without_none

if TYPE_CHECKING:
    from .monitoring import MonitoringBackend

log = logging.getLogger(__name__)

ANALYZER_MODULE = "scripts.localcloud.containers.model_monitor"
DEFAULT_MAX_RUNTIME_S = 3600


def _iso(at: datetime) -> str:
    """ISO 8601 in UTC (moto's clock is naive UTC)."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def run_now(
    backend: MonitoringBackend,
    schedule: MonitoringSchedule,
    definition: dict[str, Any],
    service_url: str | None,
) -> None:
    """Start the schedule's execution once it is scheduled, and run its analyzer job."""
    while utcnow() < schedule.ready_at:
        if schedule.deleted:
            return
        time.sleep(0.1)
    with backend.serving.lock:
        if schedule.deleted or schedule.stored_status != "Scheduled":
            return
        execution = MonitoringExecution(schedule, schedule.ready_at, definition)
        schedule.executions.append(execution)
    try:
        request = _execution_job(backend, schedule, execution, service_url)
    except ValidationError as error:
        with backend.serving.lock:
            execution.failure_reason = error.message
            execution.last_modified_time = utcnow()
        return
    job = AnalyzerJob(
        name=request["ProcessingJobName"],
        account_id=backend.account_id,
        region_name=backend.region_name,
        request=request,
        schedule_arn=schedule.arn,
    )
    with backend.serving.lock:
        backend.monitoring.processing_jobs[job.name] = job
        execution.job = job
    run_analyzer(backend, job, service_url)


def _execution_job(
    backend: MonitoringBackend,
    schedule: MonitoringSchedule,
    execution: MonitoringExecution,
    service_url: str | None,
) -> dict[str, Any]:
    """The processing job request of one execution (inputs, outputs, environment)."""
    definition = execution.definition
    window = schedule.config.get("ScheduleConfig") or {}
    at = execution.scheduled_time
    if window.get("ScheduleExpression") == "NOW":
        start, end = (
            at + offset(window["DataAnalysisStartTime"]),
            at + offset(window["DataAnalysisEndTime"]),
        )
    else:
        end = at.replace(minute=0, second=0, microsecond=0)
        start = end - timedelta(hours=1)
    endpoint_name = schedule.endpoint_name or ""
    endpoint = backend.serving.endpoints.get(endpoint_name)
    capture = endpoint.fleet.config.data_capture_config if endpoint and endpoint.fleet else None
    if endpoint is None or not capture:
        raise ValidationError(f"Endpoint {endpoint_name} does not exist or does not capture data.")
    endpoint_input = definition["MonitoringInputs"][0]["EndpointInput"]
    local_input = endpoint_input.get("LocalPath") or "/opt/ml/processing/input/endpoint"
    baseline = definition.get("BaselineConfig") or {}
    app = definition["MonitoringAppSpecification"]
    environment = {
        **(definition.get("Environment") or {}),
        "dataset_format": '{"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}',
        "dataset_source": local_input,
        "output_path": "/opt/ml/processing/resultdata",
        "publish_cloudwatch_metrics": (definition.get("Environment") or {}).get(
            "publish_cloudwatch_metrics", "Enabled"
        ),
        "sagemaker_endpoint_name": endpoint_name,
        "sagemaker_monitoring_schedule_name": schedule.name,
        "start_time": _iso(start),
        "end_time": _iso(end),
        "metric_time": _iso(end),
    }
    inputs: list[dict[str, Any]] = []
    destination = str(capture["DestinationS3Uri"]).rstrip("/")
    for index, hour in enumerate(
        _capture_hours(backend, destination, endpoint_name, start, end, service_url, definition["RoleArn"])
    ):
        inputs.append(
            {
                "InputName": f"endpoint_input_{index + 1}",
                "AppManaged": False,
                "S3Input": {
                    "S3Uri": hour,
                    "LocalPath": f"{local_input.rstrip('/')}/{hour[len(destination) + 1 :]}",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                    "S3DataDistributionType": "FullyReplicated",
                    "S3CompressionType": "None",
                },
            }
        )
    for kind, local, variable, filename in (
        (
            "ConstraintsResource",
            "/opt/ml/processing/baseline/constraints",
            "baseline_constraints",
            "constraints.json",
        ),
        (
            "StatisticsResource",
            "/opt/ml/processing/baseline/stats",
            "baseline_statistics",
            "statistics.json",
        ),
    ):
        uri = (baseline.get(kind) or {}).get("S3Uri")
        if uri:
            inputs.append(
                {
                    "InputName": variable,
                    "AppManaged": False,
                    "S3Input": {
                        "S3Uri": uri,
                        "LocalPath": local,
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                        "S3DataDistributionType": "FullyReplicated",
                        "S3CompressionType": "None",
                    },
                }
            )
            environment[variable] = f"{local}/{uri.rsplit('/', 1)[-1] or filename}"
    output_config = definition["MonitoringOutputConfig"]
    output = output_config["MonitoringOutputs"][0]["S3Output"]
    result = f"{str(output['S3Uri']).rstrip('/')}/{endpoint_name}/{schedule.name}/{end:%Y/%m/%d/%H}"
    return without_none(
        {
            "ProcessingJobName": f"model-monitoring-{at:%Y%m%d%H%M}-{secrets.token_hex(12)}",
            "ProcessingInputs": inputs,
            "ProcessingOutputConfig": without_none(
                {
                    "Outputs": [
                        {
                            "OutputName": "result",
                            "S3Output": {
                                "S3Uri": result,
                                "LocalPath": output.get("LocalPath") or "/opt/ml/processing/resultdata",
                                "S3UploadMode": output.get("S3UploadMode") or "EndOfJob",
                            },
                            "AppManaged": False,
                        }
                    ],
                    "KmsKeyId": output_config.get("KmsKeyId"),
                }
            ),
            "ProcessingResources": definition["MonitoringResources"],
            "StoppingCondition": definition.get("StoppingCondition")
            or {"MaxRuntimeInSeconds": DEFAULT_MAX_RUNTIME_S},
            "AppSpecification": without_none(
                {
                    "ImageUri": app["ImageUri"],
                    "ContainerEntrypoint": app.get("ContainerEntrypoint"),
                    "ContainerArguments": app.get("ContainerArguments"),
                }
            ),
            "Environment": environment,
            "NetworkConfig": definition.get("NetworkConfig"),
            "RoleArn": definition["RoleArn"],
        }
    )


def _capture_hours(
    backend: MonitoringBackend,
    destination: str,
    endpoint: str,
    start: datetime,
    end: datetime,
    service_url: str | None,
    role: str,
) -> list[str]:
    """The S3 prefixes (``.../<endpoint>/<variant>/yyyy/mm/dd/hh``) of the window's hours that
    hold captured data, listed as the job's role."""
    bucket, prefix = split_s3_uri(destination)
    s3 = client(role_session(backend.account_id, backend.region_name, role), "s3", service_url)
    base = "/".join(p for p in (prefix, endpoint) if p) + "/"
    hours = set()
    first = start.replace(minute=0, second=0, microsecond=0)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base):
        for item in page.get("Contents") or []:
            parts = item["Key"][len(base) :].split("/")
            if len(parts) < 6:
                continue
            try:
                hour = datetime(
                    int(parts[1]), int(parts[2]), int(parts[3]), int(parts[4]), tzinfo=first.tzinfo
                )
            except ValueError:
                continue
            if first <= hour < end:
                hours.add(f"s3://{bucket}/{base}{'/'.join(parts[:5])}")
    return sorted(hours)


def run_analyzer(backend: MonitoringBackend, job: AnalyzerJob, service_url: str | None) -> None:
    """Run the analyzer job to its end: inputs down, the stand-in run, outputs up."""
    root = Path(tempfile.mkdtemp(prefix="mlgov-processing-"))
    (root / "processing").mkdir()
    (root / "output").mkdir()
    status, exit_message, failure = "Failed", None, None
    try:
        with backend.serving.lock:
            job.start_time = job.last_modified_time = utcnow()
        session = role_session(backend.account_id, backend.region_name, job.request["RoleArn"])
        s3 = client(session, "s3", service_url)
        _download_inputs(s3, job, root)
        container = Container(
            job.name,
            ANALYZER_MODULE,
            env=dict(job.request.get("Environment") or {}),
            mounts=[Mount(root / "processing", "processing"), Mount(root / "output", "output")],
            log_sink=ContainerLogs(
                backend.account_id, backend.region_name, "/aws/sagemaker/ProcessingJobs", job.name
            ),
        )
        container.start()
        limit = float(
            (job.request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds") or DEFAULT_MAX_RUNTIME_S
        )
        try:
            code = container.wait(timeout=limit)
        except Exception:
            container.stop()
            raise
        message_file, failure_file = root / "output" / "message", root / "output" / "failure"
        exit_message = message_file.read_text(encoding="utf-8")[:1024] if message_file.exists() else None
        if code == 0:
            _upload_outputs(s3, job, root)
            status = "Completed"
        else:
            detail = (
                failure_file.read_text(encoding="utf-8") if failure_file.exists() else container.output(3)
            )
            failure = f"AlgorithmError: {detail}"[:1024]
            exit_message = exit_message or detail[:1024]
    except ContainerError as error:
        failure = f"AlgorithmError: {error}"
    except Exception as error:  # an emulator fault must still end the job
        log.exception("processing job %s failed", job.name)
        failure = f"InternalServerError: the local cloud could not run the job: {error}"
    finally:
        shutil.rmtree(root, ignore_errors=True)
    with backend.serving.lock:
        job.status, job.exit_message, job.failure_reason = status, exit_message, failure
        job.end_time = job.last_modified_time = utcnow()
    job.done.set()


def _download_inputs(s3: Any, job: AnalyzerJob, root: Path) -> None:
    for item in job.request.get("ProcessingInputs") or []:
        source = item.get("S3Input")
        if not source:
            continue
        bucket, prefix = split_s3_uri(source["S3Uri"])
        target = root / "processing" / source["LocalPath"][len(PROCESSING_ROOT) :]
        target.mkdir(parents=True, exist_ok=True)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for entry in page.get("Contents") or []:
                key = entry["Key"]
                relative = key[len(prefix) :].lstrip("/") or key.rsplit("/", 1)[-1]
                destination = target / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def _upload_outputs(s3: Any, job: AnalyzerJob, root: Path) -> None:
    config = job.request.get("ProcessingOutputConfig") or {}
    extra = (
        {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": config["KmsKeyId"]}
        if config.get("KmsKeyId")
        else {}
    )
    for item in config.get("Outputs") or []:
        target = item.get("S3Output")
        if not target:
            continue
        bucket, prefix = split_s3_uri(target["S3Uri"])
        local = root / "processing" / target["LocalPath"][len(PROCESSING_ROOT) :]
        for path in sorted(p for p in local.rglob("*") if p.is_file()) if local.exists() else []:
            key = "/".join(x for x in (prefix.rstrip("/"), str(path.relative_to(local))) if x)
            s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), **extra)
