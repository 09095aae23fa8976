"""The records of Model Monitor: analyzer processing jobs, data quality job definitions, monitoring
schedules and their executions as Describe and List show them, the analyzer's image and the
processing layout's root, and the analysis window's durations; :mod:`.monitoring` holds the backend
that checks and serves them (its docstring says what SageMaker does), :mod:`.monitoring_runs` what
runs on threads.
"""

from __future__ import annotations

import re
import secrets
import threading
from datetime import datetime, timedelta
from typing import Any

from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ValidationError

from .endpoint_records import deployment_delay, sagemaker_arn
from .utils import without_none

ANALYZER_IMAGE = re.compile(
    r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/sagemaker-model-monitor-analyzer(:[\w.-]+)?$"
)
PROCESSING_ROOT = "/opt/ml/processing/"


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
