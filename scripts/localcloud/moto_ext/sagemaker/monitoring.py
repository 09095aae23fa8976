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
  does not start executions on a clock: a documented gap (docs/emulator-gaps.md). An expression
  Model Monitor does not accept is refused (ValidationException), and so is a schedule of an
  endpoint that does not exist (SageMaker checks it: aws/sagemaker-python-sdk#4873, whose
  workaround for a cross-account endpoint is a stand-in endpoint in the schedule's account).

The records are ``monitoring_records.py``'s; an execution and an analyzer job run on threads in
``monitoring_runs.py``.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime
from typing import Any

from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.utilities.paginator import paginate

from . import monitoring_runs
from .endpoint_records import deployment_delay, sagemaker_arn
from .endpoints import _listed
from .monitoring_records import (
    PROCESSING_ROOT,
    AnalyzerJob,
    DataQualityJobDefinition,
    MonitoringExecution,
    MonitoringSchedule,
    offset,
)
from .transform import TransformBackend
from .utils import PAGINATION_MODEL, sort_by_order

#: The cron expressions Model Monitor accepts (Developer Guide, "The cron expression for monitoring
#: schedule"): at minute 0, every hour, daily at hour H, or every N hours from hour H.
MONITOR_CRON = re.compile(r"cron\(0 (\*|(?:[01]?[0-9]|2[0-3])(?:/(?:0?[1-9]|1[0-9]|2[0-4]))?) \? \* \* \*\)")


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
        if endpoint and endpoint not in self.serving.endpoints:
            # SageMaker checks that the endpoint a schedule watches exists in the account
            # (aws/sagemaker-python-sdk#4873); the wording is the local cloud's.
            raise ValidationError(
                f"Endpoint {endpoint} of account {self.account_id} does not exist: a monitoring schedule "
                "watches an existing endpoint (create the endpoint first)."
            )
        schedule = config.get("ScheduleConfig") or {}
        expression = schedule.get("ScheduleExpression")
        if expression and expression != "NOW" and not MONITOR_CRON.fullmatch(expression):
            raise ValidationError(
                f"Invalid ScheduleExpression {expression}: Model Monitor accepts cron(0 * ? * * *), "
                "cron(0 H ? * * *), cron(0 H/N ? * * *) (H 0-23, N 1-24) or NOW."
            )
        if expression == "NOW":
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
            target=monitoring_runs.run_now,
            args=(self, schedule, definition, self.serving.service_url),
            name=f"monitoring-{schedule.name}",
            daemon=True,
        ).start()

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
            target=monitoring_runs.run_analyzer,
            args=(self, job, self.serving.service_url),
            name=f"processing-{name}",
            daemon=True,
        ).start()
        return job

    def analyzer_job(self, name: str) -> AnalyzerJob | None:
        return self.monitoring.processing_jobs.get(name)
