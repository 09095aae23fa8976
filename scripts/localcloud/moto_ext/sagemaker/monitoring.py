"""Model Monitor on the governance backend: data quality job definitions, monitoring schedules,
their executions, and the processing jobs that run the Model Monitor analyzer.

:class:`MonitoringBackend` serves what Model Monitor is made of on AWS (API reference:
CreateDataQualityJobDefinition, CreateMonitoringSchedule, ListMonitoringExecutions,
CreateProcessingJob; Developer Guide: "Data quality", "Schedule monitoring jobs", "Container
Contract Inputs/Outputs"):

* **A processing job with the Model Monitor image** (``<registry>/sagemaker-model-monitor-analyzer``,
  the image the SageMaker SDK's ``DefaultModelMonitor`` runs): its ``ProcessingInputs`` are
  downloaded as the job's role to their ``LocalPath`` under ``/opt/ml/processing``, the analyzer
  stand-in (``containers/model_monitor.py``) runs with the job's ``Environment`` in its own
  ``/opt/ml`` mounts, and each output ``LocalPath`` is uploaded to its ``S3Output.S3Uri`` (under
  ``ProcessingOutputConfig.KmsKeyId`` when given). ``InProgress``, then ``Completed`` with the
  analyzer's ``ExitMessage`` ("CompletedWithViolations: Job completed successfully with N
  violations.") or ``Failed`` with ``AlgorithmError: ...``. This is what a baselining job
  (``suggest_baseline``) and an on-demand monitoring run are; processing jobs of other images
  are the pipelines part's (``super()``).
* **Monitoring schedules** (``DataQuality``, from a job definition or inline) are ``Pending``
  for ``MLGOV_LOCALCLOUD_ENDPOINT_DELAY_S``, then ``Scheduled``. A schedule whose
  ``ScheduleExpression`` is ``NOW`` (AWS's one-time schedule) starts one execution as soon as it
  is scheduled, over ``[scheduled time + DataAnalysisStartTime, scheduled time +
  DataAnalysisEndTime)``; it is what ``mlgov monitor`` starts. An execution is a processing job
  named ``model-monitoring-<yyyymmddHHMM>-<24 hex>`` whose inputs are the endpoint's captured data
  for the hours of the window (``/opt/ml/processing/input/endpoint``) and the baseline statistics
  and constraints, whose output is ``<MonitoringOutputs S3Uri>/<endpoint>/<schedule>/<yyyy>/<mm>/<dd>/<hh>``
  and whose environment is the contract's (``dataset_format`` sagemakerCaptureJson,
  ``dataset_source``, ``output_path``, ``baseline_constraints``, ``baseline_statistics``,
  ``start_time``, ``end_time``, ``sagemaker_endpoint_name``, ``sagemaker_monitoring_schedule_name``,
  ``publish_cloudwatch_metrics``); its status is ``Pending``, ``InProgress``, then ``Completed``,
  ``CompletedWithViolations`` (from the exit message) or ``Failed``.
* **Cron schedules** (``cron(0 * ? * * *)`` ...) are stored and ``Scheduled`` but the local cloud
  does not start executions on a clock: a documented gap (docs/emulator-gaps.md).
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.utilities.paginator import paginate

from ...containers.container import Container, ContainerError, Mount
from .endpoint_records import deployment_delay, sagemaker_arn
from .endpoints import _listed
from .fleet import ContainerLogs, client, role_session, split_s3_uri
from .transform import TransformBackend
from .utils import PAGINATION_MODEL, sort_by_order, without_none

log = logging.getLogger(__name__)

ANALYZER_IMAGE = re.compile(
    r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/sagemaker-model-monitor-analyzer(:[\w.-]+)?$"
)
ANALYZER_MODULE = "scripts.localcloud.containers.model_monitor"
PROCESSING_ROOT = "/opt/ml/processing/"
DEFAULT_MAX_RUNTIME_S = 3600


def is_analyzer(image: str | None) -> bool:
    return bool(image and ANALYZER_IMAGE.match(image))


_DURATION = re.compile(r"^(-)?PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")


def offset(text: str) -> timedelta:
    """An ISO 8601 duration of DataAnalysisStartTime / EndTime (``-PT1H``, ``PT0H``)."""
    match = _DURATION.match(text or "")
    if not match or not any(match.group(i) for i in (2, 3, 4)):
        raise ValidationError(f"'{text}' is not an ISO 8601 duration such as -PT1H.")
    sign = -1 if match.group(1) else 1
    hours, minutes, seconds = (int(match.group(i) or 0) for i in (2, 3, 4))
    return sign * timedelta(hours=hours, minutes=minutes, seconds=seconds)


def _iso(at: datetime) -> str:
    """ISO 8601 in UTC (moto's clock is naive UTC)."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- processing jobs run with the analyzer -------------------------------------------------------
class AnalyzerJob(BaseModel):
    """A processing job whose image is the Model Monitor analyzer."""

    def __init__(
        self,
        *,
        name: str,
        account_id: str,
        region_name: str,
        request: dict[str, Any],
        schedule_arn: str | None = None,
    ) -> None:
        self.name = name
        self.arn = sagemaker_arn("processing-job", name, account_id, region_name)
        self.request = request
        self.status = "InProgress"
        self.exit_message: str | None = None
        self.failure_reason: str | None = None
        self.creation_time = self.last_modified_time = utcnow()
        self.start_time: datetime | None = None
        self.end_time: datetime | None = None
        self.schedule_arn = schedule_arn
        self.tags = list(request.get("Tags") or [])
        self.done = threading.Event()

    def describe(self) -> dict[str, Any]:
        request = self.request
        return without_none(
            {
                "ProcessingInputs": request.get("ProcessingInputs"),
                "ProcessingOutputConfig": request.get("ProcessingOutputConfig"),
                "ProcessingJobName": self.name,
                "ProcessingResources": request["ProcessingResources"],
                "StoppingCondition": request.get("StoppingCondition"),
                "AppSpecification": request["AppSpecification"],
                "Environment": request.get("Environment"),
                "NetworkConfig": request.get("NetworkConfig"),
                "RoleArn": request["RoleArn"],
                "ExperimentConfig": request.get("ExperimentConfig"),
                "ProcessingJobArn": self.arn,
                "ProcessingJobStatus": self.status,
                "ExitMessage": self.exit_message,
                "FailureReason": self.failure_reason,
                "ProcessingEndTime": self.end_time,
                "ProcessingStartTime": self.start_time,
                "LastModifiedTime": self.last_modified_time,
                "CreationTime": self.creation_time,
                "MonitoringScheduleArn": self.schedule_arn,
            }
        )


# -- job definitions, schedules and executions -----------------------------------------------
class DataQualityJobDefinition(BaseModel):
    def __init__(self, *, name: str, account_id: str, region_name: str, request: dict[str, Any]) -> None:
        self.name = name
        self.arn = sagemaker_arn("data-quality-job-definition", name, account_id, region_name)
        self.request = request
        self.tags = list(request.get("Tags") or [])
        self.creation_time = utcnow()

    @property
    def endpoint_name(self) -> str | None:
        endpoint_input = (self.request.get("DataQualityJobInput") or {}).get("EndpointInput") or {}
        return endpoint_input.get("EndpointName")

    def describe(self) -> dict[str, Any]:
        members = (
            "DataQualityBaselineConfig",
            "DataQualityAppSpecification",
            "DataQualityJobInput",
            "DataQualityJobOutputConfig",
            "JobResources",
            "NetworkConfig",
            "RoleArn",
            "StoppingCondition",
        )
        return without_none(
            {
                "JobDefinitionArn": self.arn,
                "JobDefinitionName": self.name,
                "CreationTime": self.creation_time,
                **{m: self.request.get(m) for m in members},
            }
        )

    def summary(self) -> dict[str, Any]:
        return without_none(
            {
                "MonitoringJobDefinitionName": self.name,
                "MonitoringJobDefinitionArn": self.arn,
                "CreationTime": self.creation_time,
                "EndpointName": self.endpoint_name,
            }
        )

    def as_monitoring_job_definition(self) -> dict[str, Any]:
        """The job definition in MonitoringJobDefinition's shape."""
        request = self.request
        app = request["DataQualityAppSpecification"]
        job_input = request["DataQualityJobInput"]
        baseline = request.get("DataQualityBaselineConfig") or {}
        return without_none(
            {
                "BaselineConfig": without_none(
                    {
                        "BaseliningJobName": baseline.get("BaseliningJobName"),
                        "ConstraintsResource": baseline.get("ConstraintsResource"),
                        "StatisticsResource": baseline.get("StatisticsResource"),
                    }
                )
                or None,
                "MonitoringInputs": [without_none({"EndpointInput": job_input.get("EndpointInput")})],
                "MonitoringOutputConfig": request["DataQualityJobOutputConfig"],
                "MonitoringResources": request["JobResources"],
                "MonitoringAppSpecification": without_none(
                    {
                        "ImageUri": app["ImageUri"],
                        "ContainerEntrypoint": app.get("ContainerEntrypoint"),
                        "ContainerArguments": app.get("ContainerArguments"),
                        "RecordPreprocessorSourceUri": app.get("RecordPreprocessorSourceUri"),
                        "PostAnalyticsProcessorSourceUri": app.get("PostAnalyticsProcessorSourceUri"),
                    }
                ),
                "StoppingCondition": request.get("StoppingCondition"),
                "Environment": app.get("Environment"),
                "NetworkConfig": request.get("NetworkConfig"),
                "RoleArn": request["RoleArn"],
            }
        )


class MonitoringExecution:
    def __init__(
        self, schedule: MonitoringSchedule, scheduled_time: datetime, definition: dict[str, Any]
    ) -> None:
        self.schedule = schedule
        self.scheduled_time = scheduled_time
        self.definition = definition
        self.creation_time = self.last_modified_time = utcnow()
        self.job: AnalyzerJob | None = None
        self.failure_reason: str | None = None
        self.arn = f"{schedule.arn}/execution/{secrets.token_hex(8)}"

    @property
    def status(self) -> str:
        job = self.job
        if job is None:
            return "Failed" if self.failure_reason else "Pending"
        if job.status == "Completed":
            return (
                "CompletedWithViolations"
                if (job.exit_message or "").startswith("CompletedWithViolations")
                else "Completed"
            )
        return job.status

    def summary(self) -> dict[str, Any]:
        job = self.job
        failure = self.failure_reason or (job.failure_reason if job else None)
        return without_none(
            {
                "MonitoringScheduleName": self.schedule.name,
                "ScheduledTime": self.scheduled_time,
                "CreationTime": self.creation_time,
                "LastModifiedTime": job.last_modified_time if job else self.last_modified_time,
                "MonitoringExecutionStatus": self.status,
                "ProcessingJobArn": job.arn if job else None,
                "EndpointName": self.schedule.endpoint_name,
                "FailureReason": failure,
                "MonitoringJobDefinitionName": self.schedule.config.get("MonitoringJobDefinitionName"),
                "MonitoringType": self.schedule.monitoring_type,
            }
        )


class MonitoringSchedule(BaseModel):
    def __init__(
        self,
        *,
        name: str,
        account_id: str,
        region_name: str,
        config: dict[str, Any],
        tags: list[dict[str, str]] | None,
    ) -> None:
        self.name = name
        self.arn = sagemaker_arn("monitoring-schedule", name, account_id, region_name)
        self.config = config
        self.tags = list(tags or [])
        self.creation_time = self.last_modified_time = utcnow()
        self.ready_at = self.creation_time + deployment_delay()
        self.stored_status = "Scheduled"
        self.failure_reason: str | None = None
        self.endpoint_name: str | None = None
        self.executions: list[MonitoringExecution] = []
        self.deleted = False

    @property
    def monitoring_type(self) -> str:
        return str(self.config.get("MonitoringType") or "DataQuality")

    @property
    def schedule_expression(self) -> str:
        return str((self.config.get("ScheduleConfig") or {}).get("ScheduleExpression") or "")

    def status(self, now: datetime) -> str:
        if self.stored_status == "Scheduled" and now < self.ready_at:
            return "Pending"
        return self.stored_status

    def describe(self, now: datetime) -> dict[str, Any]:
        last = self.executions[-1].summary() if self.executions else None
        return without_none(
            {
                "MonitoringScheduleArn": self.arn,
                "MonitoringScheduleName": self.name,
                "MonitoringScheduleStatus": self.status(now),
                "MonitoringType": self.monitoring_type,
                "FailureReason": self.failure_reason,
                "CreationTime": self.creation_time,
                "LastModifiedTime": self.last_modified_time,
                "MonitoringScheduleConfig": self.config,
                "EndpointName": self.endpoint_name,
                "LastMonitoringExecutionSummary": last,
            }
        )

    def summary(self, now: datetime) -> dict[str, Any]:
        return without_none(
            {
                "MonitoringScheduleName": self.name,
                "MonitoringScheduleArn": self.arn,
                "CreationTime": self.creation_time,
                "LastModifiedTime": self.last_modified_time,
                "MonitoringScheduleStatus": self.status(now),
                "EndpointName": self.endpoint_name,
                "MonitoringJobDefinitionName": self.config.get("MonitoringJobDefinitionName"),
                "MonitoringType": self.monitoring_type,
            }
        )


class MonitoringState:
    def __init__(self) -> None:
        self.job_definitions: dict[str, DataQualityJobDefinition] = {}
        self.schedules: dict[str, MonitoringSchedule] = {}
        self.processing_jobs: dict[str, AnalyzerJob] = {}


class MonitoringBackend(TransformBackend):
    """Model Monitor (part of GovernanceSageMakerBackend)."""

    @property
    def monitoring(self) -> MonitoringState:
        state = self.__dict__.get("_monitoring_state")
        if state is None:
            state = self.__dict__.setdefault("_monitoring_state", MonitoringState())
        return state

    def _get_resource_from_arn(self, arn: str) -> Any:
        """Schedules, job definitions and analyzer jobs by ARN (tag operations)."""
        resource_type = arn.split(":", 5)[-1].partition("/")[0]
        collections: dict[str, Any] = {
            "monitoring-schedule": self.monitoring.schedules,
            "data-quality-job-definition": self.monitoring.job_definitions,
            "processing-job": self.monitoring.processing_jobs,
        }
        if resource_type in collections:
            found = next((r for r in collections[resource_type].values() if r.arn == arn.lower()), None)
            if found is not None:
                return found
            if resource_type != "processing-job":
                raise ResourceNotFound(f"Could not find {resource_type} {arn}.")
        return super()._get_resource_from_arn(arn)

    # -- job definitions -------------------------------------------------------------------
    def create_data_quality_job_definition(self, request: dict[str, Any]) -> DataQualityJobDefinition:  # type: ignore[override]
        name = request["JobDefinitionName"]
        with self.serving.lock:
            if name in self.monitoring.job_definitions:
                raise ResourceInUseException(f"Job definition with name {name} already exists.")
            self._check_sagemaker_can_assume(request["RoleArn"])
            definition = DataQualityJobDefinition(
                name=name, account_id=self.account_id, region_name=self.region_name, request=request
            )
            self.monitoring.job_definitions[name] = definition
            return definition

    def data_quality_job_definition(self, name: str) -> DataQualityJobDefinition:
        definition = self.monitoring.job_definitions.get(name)
        if definition is None:
            raise ResourceNotFound(f"Could not find job definition {name}.")
        return definition

    def delete_data_quality_job_definition(self, job_definition_name: str) -> None:
        with self.serving.lock:
            self.data_quality_job_definition(job_definition_name)
            in_use = [
                s.name
                for s in self.monitoring.schedules.values()
                if s.config.get("MonitoringJobDefinitionName") == job_definition_name
            ]
            if in_use:
                raise ResourceInUseException(
                    f"Job definition {job_definition_name} is used by monitoring schedule {in_use[0]}."
                )
            del self.monitoring.job_definitions[job_definition_name]

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_serving_data_quality_job_definitions(
        self,
        endpoint_name: str | None,
        name_contains: str | None,
        creation_time_before: datetime | None,
        creation_time_after: datetime | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[DataQualityJobDefinition]:
        found = [
            d for d in self.monitoring.job_definitions.values() if endpoint_name in (None, d.endpoint_name)
        ]
        return _listed(found, name_contains, creation_time_before, creation_time_after, sort_by, sort_order)

    # -- schedules ------------------------------------------------------------------------
    def _resolve_schedule(self, config: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """The job definition a schedule config runs, and the endpoint it watches."""
        monitoring_type = config.get("MonitoringType") or "DataQuality"
        if monitoring_type != "DataQuality":
            raise ValidationError(f"The local cloud runs DataQuality monitoring only, not {monitoring_type}.")
        if config.get("MonitoringJobDefinition"):
            definition = config["MonitoringJobDefinition"]
            self._check_sagemaker_can_assume(definition["RoleArn"])
        elif config.get("MonitoringJobDefinitionName"):
            definition = self.data_quality_job_definition(
                config["MonitoringJobDefinitionName"]
            ).as_monitoring_job_definition()
        else:
            raise ValidationError(
                "MonitoringScheduleConfig needs MonitoringJobDefinition or MonitoringJobDefinitionName."
            )
        inputs = definition.get("MonitoringInputs") or [{}]
        endpoint = (inputs[0].get("EndpointInput") or {}).get("EndpointName")
        schedule = config.get("ScheduleConfig") or {}
        if schedule.get("ScheduleExpression") == "NOW":
            if not schedule.get("DataAnalysisStartTime") or not schedule.get("DataAnalysisEndTime"):
                raise ValidationError(
                    "A ScheduleExpression of NOW needs DataAnalysisStartTime and DataAnalysisEndTime (such as -PT1H and -PT0H)."
                )
            offset(schedule["DataAnalysisStartTime"])
            offset(schedule["DataAnalysisEndTime"])
        return definition, endpoint

    def create_monitoring_schedule(
        self, name: str, config: dict[str, Any], tags: list[dict[str, str]] | None
    ) -> MonitoringSchedule:
        with self.serving.lock:
            if name in self.monitoring.schedules:
                raise ResourceInUseException(f"Monitoring Schedule with name {name} already exists.")
            definition, endpoint = self._resolve_schedule(config)
            schedule = MonitoringSchedule(
                name=name, account_id=self.account_id, region_name=self.region_name, config=config, tags=tags
            )
            schedule.endpoint_name = endpoint
            self.monitoring.schedules[name] = schedule
        self._start_if_now(schedule, definition)
        return schedule

    def monitoring_schedule(self, name: str) -> MonitoringSchedule:
        schedule = self.monitoring.schedules.get(name)
        if schedule is None:
            raise ResourceNotFound(f"Monitoring Schedule {name} does not exist.")
        return schedule

    def describe_monitoring_schedule(self, name: str) -> dict[str, Any]:
        with self.serving.lock:
            return self.monitoring_schedule(name).describe(utcnow())

    def update_monitoring_schedule(self, name: str, config: dict[str, Any]) -> MonitoringSchedule:
        with self.serving.lock:
            schedule = self.monitoring_schedule(name)
            definition, endpoint = self._resolve_schedule(config)
            schedule.config = config
            schedule.endpoint_name = endpoint
            schedule.last_modified_time = utcnow()
            schedule.ready_at = schedule.last_modified_time + deployment_delay()
            schedule.stored_status = "Scheduled"
        self._start_if_now(schedule, definition)
        return schedule

    def delete_monitoring_schedule(self, name: str) -> None:
        with self.serving.lock:
            schedule = self.monitoring_schedule(name)
            schedule.deleted = True
            del self.monitoring.schedules[name]

    def set_monitoring_schedule_running(self, name: str, running: bool) -> None:
        with self.serving.lock:
            schedule = self.monitoring_schedule(name)
            schedule.stored_status = "Scheduled" if running else "Stopped"
            schedule.last_modified_time = utcnow()

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_serving_monitoring_schedules(
        self,
        endpoint_name: str | None,
        name_contains: str | None,
        creation_time_before: datetime | None,
        creation_time_after: datetime | None,
        status_equals: str | None,
        monitoring_job_definition_name: str | None,
        monitoring_type_equals: str | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[MonitoringSchedule]:
        now = utcnow()
        found = [
            s
            for s in self.monitoring.schedules.values()
            if endpoint_name in (None, s.endpoint_name)
            and status_equals in (None, s.status(now))
            and monitoring_job_definition_name in (None, s.config.get("MonitoringJobDefinitionName"))
            and monitoring_type_equals in (None, s.monitoring_type)
        ]
        if sort_by == "Status":
            return sort_by_order(found, lambda s: s.status(now), sort_order)
        return _listed(found, name_contains, creation_time_before, creation_time_after, sort_by, sort_order)

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_serving_monitoring_executions(
        self,
        monitoring_schedule_name: str | None,
        endpoint_name: str | None,
        scheduled_time_before: datetime | None,
        scheduled_time_after: datetime | None,
        creation_time_before: datetime | None,
        creation_time_after: datetime | None,
        status_equals: str | None,
        monitoring_job_definition_name: str | None,
        monitoring_type_equals: str | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[MonitoringExecution]:
        executions = [
            e
            for s in self.monitoring.schedules.values()
            for e in s.executions
            if monitoring_schedule_name in (None, s.name)
            and endpoint_name in (None, s.endpoint_name)
            and monitoring_job_definition_name in (None, s.config.get("MonitoringJobDefinitionName"))
            and monitoring_type_equals in (None, s.monitoring_type)
            and status_equals in (None, e.status)
            and (scheduled_time_before is None or e.scheduled_time < scheduled_time_before)
            and (scheduled_time_after is None or e.scheduled_time > scheduled_time_after)
            and (creation_time_before is None or e.creation_time < creation_time_before)
            and (creation_time_after is None or e.creation_time > creation_time_after)
        ]
        keys = {
            "ScheduledTime": lambda e: e.scheduled_time,
            "Status": lambda e: e.status,
            "CreationTime": lambda e: e.creation_time,
        }
        return sort_by_order(
            executions, keys.get(sort_by or "ScheduledTime", keys["ScheduledTime"]), sort_order
        )

    # -- executions -----------------------------------------------------------------------------
    def _start_if_now(self, schedule: MonitoringSchedule, definition: dict[str, Any]) -> None:
        if schedule.schedule_expression != "NOW":
            return
        threading.Thread(
            target=self._run_now,
            args=(schedule, definition, self.serving.service_url),
            name=f"monitoring-{schedule.name}",
            daemon=True,
        ).start()

    def _run_now(
        self, schedule: MonitoringSchedule, definition: dict[str, Any], service_url: str | None
    ) -> None:
        while utcnow() < schedule.ready_at:
            if schedule.deleted:
                return
            time.sleep(0.1)
        with self.serving.lock:
            if schedule.deleted or schedule.stored_status != "Scheduled":
                return
            execution = MonitoringExecution(schedule, schedule.ready_at, definition)
            schedule.executions.append(execution)
        try:
            request = self._execution_job(schedule, execution, service_url)
        except ValidationError as error:
            with self.serving.lock:
                execution.failure_reason = error.message
                execution.last_modified_time = utcnow()
            return
        job = AnalyzerJob(
            name=request["ProcessingJobName"],
            account_id=self.account_id,
            region_name=self.region_name,
            request=request,
            schedule_arn=schedule.arn,
        )
        with self.serving.lock:
            self.monitoring.processing_jobs[job.name] = job
            execution.job = job
        self._run_analyzer(job, service_url)

    def _execution_job(
        self, schedule: MonitoringSchedule, execution: MonitoringExecution, service_url: str | None
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
        endpoint = self.serving.endpoints.get(endpoint_name)
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
            self._capture_hours(destination, endpoint_name, start, end, service_url, definition["RoleArn"])
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
        self,
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
        s3 = client(role_session(self.account_id, self.region_name, role), "s3", service_url)
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

    # -- processing jobs with the analyzer ------------------------------------------------------
    def create_analyzer_job(self, request: dict[str, Any]) -> AnalyzerJob:
        name = request["ProcessingJobName"]
        with self.serving.lock:
            arn = sagemaker_arn("processing-job", name, self.account_id, self.region_name)
            if name in self.monitoring.processing_jobs:
                raise ResourceInUseException(
                    f"Job name must be unique within an AWS account and region, and a job with this name already exists ({arn})"
                )
            for item in request.get("ProcessingInputs") or []:
                local = (item.get("S3Input") or {}).get("LocalPath", "")
                if item.get("S3Input") and not local.startswith(PROCESSING_ROOT):
                    raise ValidationError(
                        f"LocalPath {local} of input {item.get('InputName')} must be under {PROCESSING_ROOT}."
                    )
            for item in (request.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
                local = (item.get("S3Output") or {}).get("LocalPath", "")
                if item.get("S3Output") and not local.startswith(PROCESSING_ROOT):
                    raise ValidationError(
                        f"LocalPath {local} of output {item.get('OutputName')} must be under {PROCESSING_ROOT}."
                    )
            self._check_sagemaker_can_assume(request["RoleArn"])
            job = AnalyzerJob(
                name=name, account_id=self.account_id, region_name=self.region_name, request=request
            )
            self.monitoring.processing_jobs[name] = job
        threading.Thread(
            target=self._run_analyzer,
            args=(job, self.serving.service_url),
            name=f"processing-{name}",
            daemon=True,
        ).start()
        return job

    def analyzer_job(self, name: str) -> AnalyzerJob | None:
        return self.monitoring.processing_jobs.get(name)

    def _run_analyzer(self, job: AnalyzerJob, service_url: str | None) -> None:
        root = Path(tempfile.mkdtemp(prefix="mlgov-processing-"))
        (root / "processing").mkdir()
        (root / "output").mkdir()
        status, exit_message, failure = "Failed", None, None
        try:
            with self.serving.lock:
                job.start_time = job.last_modified_time = utcnow()
            session = role_session(self.account_id, self.region_name, job.request["RoleArn"])
            s3 = client(session, "s3", service_url)
            self._download_inputs(s3, job, root)
            container = Container(
                job.name,
                ANALYZER_MODULE,
                env=dict(job.request.get("Environment") or {}),
                mounts=[Mount(root / "processing", "processing"), Mount(root / "output", "output")],
                log_sink=ContainerLogs(
                    self.account_id, self.region_name, "/aws/sagemaker/ProcessingJobs", job.name
                ),
            )
            container.start()
            limit = float(
                (job.request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
                or DEFAULT_MAX_RUNTIME_S
            )
            try:
                code = container.wait(timeout=limit)
            except Exception:
                container.stop()
                raise
            message_file, failure_file = root / "output" / "message", root / "output" / "failure"
            exit_message = message_file.read_text(encoding="utf-8")[:1024] if message_file.exists() else None
            if code == 0:
                self._upload_outputs(s3, job, root)
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
        with self.serving.lock:
            job.status, job.exit_message, job.failure_reason = status, exit_message, failure
            job.end_time = job.last_modified_time = utcnow()
        job.done.set()

    @staticmethod
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

    @staticmethod
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
