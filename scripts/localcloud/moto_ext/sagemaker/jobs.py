"""Processing and training jobs that run: CreateProcessingJob / CreateTrainingJob start the job's
command under SageMaker's container contract (``scripts/localcloud/containers``), as its role,
and Describe/List/Stop report and end it as SageMaker does.

:class:`JobsBackend` holds the jobs (moto's ``processing_jobs`` / ``training_jobs`` dicts, with
this module's job classes: moto's jobs were records that said ``Completed`` at once) and is a
part of :class:`~.models.GovernanceSageMakerBackend` (through ``pipelines.PipelineBackend``).
``job_runs.py`` runs a job on a thread of its own.

What a create checks before it answers (AWS's answers, API reference of each operation): the
image is one the local cloud runs (``containers.images``; a ValidationException naming the image
and what runs: the local cloud's own refusal, since it cannot run other images), every
processing ``LocalPath`` is under ``/opt/ml/processing/``, the name is free (ResourceInUse), and
SageMaker can assume the job's role (ValidationException "Could not assume role ..."). The
caller's ``iam:PassRole`` is checked by the handler (``service_role.check_pass_role``).

Statuses move in time: a processing job is ``InProgress`` until its command ends, then
``Completed`` or ``Failed`` (``Stopping`` -> ``Stopped`` on StopProcessingJob); a training job
passes through the secondary statuses ``Starting``, ``Downloading``, ``Training``, ``Uploading``
to ``Completed`` (or ``Failed``, ``Stopped``, ``MaxRuntimeExceeded``), each transition recorded in
``SecondaryStatusTransitions``.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ResourceInUseException, ValidationError
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.utils import arn_formatter
from moto.utilities.paginator import paginate

from ..state_lock import STATE_LOCK
from .service_role import assume_for_sagemaker
from .utils import sort_by_order, without_none

#: A job's time limit when its request names none (StoppingCondition's default, API reference).
DEFAULT_MAX_RUNTIME_S = 86400
PROCESSING_ROOT = "/opt/ml/processing/"

JOB_PAGINATION_MODEL: dict[str, dict[str, Any]] = {
    "list_workflow_jobs": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": "arn",
    },
}


class WorkflowJob(BaseModel):
    """A processing or training job: its request as given (botocore members), its state, and what
    its thread needs (the local cloud's endpoint, the stop request, the end)."""

    KIND: ClassVar[str]
    ARN_TYPE: ClassVar[str]
    SOURCE_TYPE: ClassVar[str]
    LOG_GROUP: ClassVar[str]

    def __init__(
        self, request: dict[str, Any], *, account_id: str, region_name: str, endpoint_url: str | None
    ) -> None:
        self.request = copy.deepcopy(request)
        self.name: str = request[f"{self.KIND}Name"]
        # Resource ARNs carry the name in lower case, as SageMaker writes them.
        self.arn = arn_formatter(self.ARN_TYPE, self.name.lower(), account_id, region_name)
        self.account_id = account_id
        self.region_name = region_name
        self.role_arn: str = request["RoleArn"]
        self.endpoint_url = endpoint_url
        self.tags = list(request.get("Tags") or [])
        self.status = "InProgress"
        self.failure_reason: str | None = None
        self.exit_message: str | None = None
        self.creation_time = utcnow()
        self.last_modified_time = self.creation_time
        self.start_time: datetime | None = None
        self.end_time: datetime | None = None
        self.stop_requested = threading.Event()
        self.done = threading.Event()
        self.log_stream: str | None = None

    @property
    def trial_component_name(self) -> str:
        """The trial component SageMaker creates for the job (``<job>-aws-<kind>-job``)."""
        return f"{self.name.lower()}-aws-{self.ARN_TYPE}"

    @property
    def max_runtime_s(self) -> float:
        return float(
            (self.request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds") or DEFAULT_MAX_RUNTIME_S
        )

    @property
    def image(self) -> str:
        raise NotImplementedError

    @property
    def finished(self) -> bool:
        return self.status in ("Completed", "Failed", "Stopped")

    def touch(self) -> None:
        self.last_modified_time = utcnow()

    def gen_response_object(self) -> dict[str, Any]:
        """moto's Search builds its records with this."""
        return self.describe()

    def describe(self) -> dict[str, Any]:
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        raise NotImplementedError


class ProcessingJob(WorkflowJob):
    KIND = "ProcessingJob"
    ARN_TYPE = "processing-job"
    SOURCE_TYPE = "SageMakerProcessingJob"
    LOG_GROUP = "/aws/sagemaker/ProcessingJobs"

    def __init__(self, request: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        for item in self.request.get("ProcessingInputs") or []:
            s3 = item.get("S3Input")
            if s3 is not None:
                s3.setdefault("S3InputMode", "File")
                s3.setdefault("S3DataDistributionType", "FullyReplicated")
                s3.setdefault("S3CompressionType", "None")
        for item in (self.request.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
            if item.get("S3Output") is not None:
                item["S3Output"].setdefault("S3UploadMode", "EndOfJob")

    @property
    def image(self) -> str:
        return str((self.request.get("AppSpecification") or {}).get("ImageUri", ""))

    def describe(self) -> dict[str, Any]:
        members = (
            "ProcessingInputs",
            "ProcessingOutputConfig",
            "ProcessingJobName",
            "ProcessingResources",
            "StoppingCondition",
            "AppSpecification",
            "Environment",
            "NetworkConfig",
            "RoleArn",
            "ExperimentConfig",
        )
        body = {member: self.request.get(member) for member in members}
        body.update(
            {
                "ProcessingJobArn": self.arn,
                "ProcessingJobStatus": self.status,
                "ExitMessage": self.exit_message,
                "FailureReason": self.failure_reason,
                "ProcessingStartTime": self.start_time,
                "ProcessingEndTime": self.end_time,
                "LastModifiedTime": self.last_modified_time,
                "CreationTime": self.creation_time,
            }
        )
        return without_none(body)

    def summary(self) -> dict[str, Any]:
        return without_none(
            {
                "ProcessingJobName": self.name,
                "ProcessingJobArn": self.arn,
                "CreationTime": self.creation_time,
                "ProcessingEndTime": self.end_time,
                "LastModifiedTime": self.last_modified_time,
                "ProcessingJobStatus": self.status,
                "FailureReason": self.failure_reason,
                "ExitMessage": self.exit_message,
            }
        )


class TrainingJob(WorkflowJob):
    KIND = "TrainingJob"
    ARN_TYPE = "training-job"
    SOURCE_TYPE = "SageMakerTrainingJob"
    LOG_GROUP = "/aws/sagemaker/TrainingJobs"

    def __init__(self, request: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        self.request.setdefault("StoppingCondition", {"MaxRuntimeInSeconds": DEFAULT_MAX_RUNTIME_S})
        self.request.setdefault("HyperParameters", {})
        self.request["OutputDataConfig"].setdefault("CompressionType", "GZIP")
        self.request.setdefault("EnableNetworkIsolation", False)
        self.request.setdefault("EnableInterContainerTrafficEncryption", False)
        self.request.setdefault("EnableManagedSpotTraining", False)
        algorithm = self.request.setdefault("AlgorithmSpecification", {})
        algorithm.setdefault("TrainingInputMode", "File")
        for channel in self.request.get("InputDataConfig") or []:
            source = (channel.get("DataSource") or {}).get("S3DataSource")
            if source is not None:
                source.setdefault("S3DataDistributionType", "FullyReplicated")
        self.secondary_status = "Starting"
        self.transitions: list[dict[str, Any]] = [
            {
                "Status": "Starting",
                "StartTime": self.creation_time,
                "StatusMessage": "Launching requested ML instances",
            }
        ]

    @property
    def image(self) -> str:
        return str((self.request.get("AlgorithmSpecification") or {}).get("TrainingImage", ""))

    @property
    def model_artifacts(self) -> str:
        """``<S3OutputPath>/<job>/output/model.tar.gz`` (or the ``model/`` prefix uncompressed)."""
        base = f"{self.request['OutputDataConfig']['S3OutputPath'].rstrip('/')}/{self.name}/output"
        uncompressed = self.request["OutputDataConfig"].get("CompressionType") == "NONE"
        return f"{base}/model/" if uncompressed else f"{base}/model.tar.gz"

    def advance(self, secondary: str, message: str) -> None:
        """Enter a secondary status (the previous one ends now)."""
        now = utcnow()
        if self.transitions:
            self.transitions[-1]["EndTime"] = now
        self.transitions.append({"Status": secondary, "StartTime": now, "StatusMessage": message})
        self.secondary_status = secondary
        self.last_modified_time = now

    def describe(self) -> dict[str, Any]:
        members = (
            "HyperParameters",
            "AlgorithmSpecification",
            "RoleArn",
            "InputDataConfig",
            "OutputDataConfig",
            "ResourceConfig",
            "VpcConfig",
            "StoppingCondition",
            "EnableNetworkIsolation",
            "EnableInterContainerTrafficEncryption",
            "EnableManagedSpotTraining",
            "CheckpointConfig",
            "ExperimentConfig",
            "Environment",
            "RetryStrategy",
        )
        body = {member: self.request.get(member) for member in members}
        seconds = None
        if self.start_time and self.end_time:
            seconds = max(1, int((self.end_time - self.start_time).total_seconds()))
        body.update(
            {
                "TrainingJobName": self.name,
                "TrainingJobArn": self.arn,
                "ModelArtifacts": {"S3ModelArtifacts": self.model_artifacts},
                "TrainingJobStatus": self.status,
                "SecondaryStatus": self.secondary_status,
                "FailureReason": self.failure_reason,
                "CreationTime": self.creation_time,
                "TrainingStartTime": self.start_time,
                "TrainingEndTime": self.end_time,
                "LastModifiedTime": self.last_modified_time,
                "SecondaryStatusTransitions": [dict(t) for t in self.transitions],
                "TrainingTimeInSeconds": seconds,
                "BillableTimeInSeconds": seconds,
            }
        )
        return without_none(body)

    def summary(self) -> dict[str, Any]:
        return without_none(
            {
                "TrainingJobName": self.name,
                "TrainingJobArn": self.arn,
                "CreationTime": self.creation_time,
                "TrainingEndTime": self.end_time,
                "LastModifiedTime": self.last_modified_time,
                "TrainingJobStatus": self.status,
                "SecondaryStatus": self.secondary_status,
            }
        )


def _check_processing_paths(request: dict[str, Any]) -> None:
    inputs = [
        (i.get("InputName"), (i.get("S3Input") or {}).get("LocalPath"))
        for i in request.get("ProcessingInputs") or []
    ]
    outputs = [
        (o.get("OutputName"), (o.get("S3Output") or {}).get("LocalPath"))
        for o in (request.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    ]
    for kind, items in (("ProcessingInput", inputs), ("ProcessingOutput", outputs)):
        names = [name for name, _ in items]
        if len(set(names)) != len(names):
            raise ValidationError(f"{kind} names must be unique within a processing job: {names}.")
        for name, path in items:
            if path is not None and not str(path).startswith(PROCESSING_ROOT):
                raise ValidationError(
                    f"{kind} '{name}': LocalPath {path} must be an absolute path under {PROCESSING_ROOT}."
                )


class JobsBackend(SageMakerModelBackend):
    """The processing and training job operations of the governance backend (state set by
    :meth:`init_job_state`)."""

    def init_job_state(self) -> None:
        self.processing_jobs: dict[str, Any] = {}
        self.training_jobs: dict[str, Any] = {}

    def _jobs(self, kind: type[WorkflowJob]) -> dict[str, Any]:
        return self.processing_jobs if kind is ProcessingJob else self.training_jobs

    def _named(self, kind: type[WorkflowJob], name: str) -> WorkflowJob | None:
        """The job of that name (names are unique whatever their case, and ARNs carry them in
        lower case, so a name read back from an ARN finds its job)."""
        jobs = self._jobs(kind)
        job = jobs.get(name)
        if job is None:
            job = next((j for j in list(jobs.values()) if j.name.lower() == name.lower()), None)
        return job if isinstance(job, WorkflowJob) else None

    def _create_job(
        self, kind: type[WorkflowJob], request: dict[str, Any], endpoint_url: str | None
    ) -> WorkflowJob:
        from scripts.localcloud.containers import image_problem

        jobs = self._jobs(kind)
        name = request[f"{kind.KIND}Name"]
        noun = "Processing" if kind is ProcessingJob else "Training"
        taken = self._named(kind, name)
        if taken is not None:
            raise ResourceInUseException(
                f"{noun} job names must be unique within an AWS account and region, and a "
                f"{noun.lower()} job with this name already exists ({taken.arn})"
            )
        job = kind(
            request, account_id=self.account_id, region_name=self.region_name, endpoint_url=endpoint_url
        )
        problem = image_problem(job.image, self.region_name)
        if problem is not None:
            raise ValidationError(problem)
        if kind is ProcessingJob:
            _check_processing_paths(request)
        # SageMaker assumes the role when it accepts the job: a role it cannot assume is refused now.
        assume_for_sagemaker(
            job.role_arn,
            account_id=self.account_id,
            region=self.region_name,
            source_arn=job.arn,
            endpoint_url=None,
        )
        with STATE_LOCK:
            jobs[name] = job
        from . import job_runs

        job_runs.start(self, job)
        return job

    def create_processing_job(self, request: dict[str, Any], endpoint_url: str | None) -> ProcessingJob:  # type: ignore[override]
        job = self._create_job(ProcessingJob, request, endpoint_url)
        assert isinstance(job, ProcessingJob)
        return job

    def create_training_job(self, request: dict[str, Any], endpoint_url: str | None) -> TrainingJob:  # type: ignore[override]
        job = self._create_job(TrainingJob, request, endpoint_url)
        assert isinstance(job, TrainingJob)
        return job

    def processing_job(self, name: str) -> ProcessingJob:
        job = self._named(ProcessingJob, name)
        if not isinstance(job, ProcessingJob):
            raise ValidationError(f"Could not find requested job with name {name}")
        return job

    def training_job(self, name: str) -> TrainingJob:
        job = self._named(TrainingJob, name)
        if not isinstance(job, TrainingJob):
            raise ValidationError("Requested resource not found.")
        return job

    def stop_job(self, job: WorkflowJob) -> None:
        """StopProcessingJob / StopTrainingJob: a job in progress is stopped (``Stopping`` until
        its command has ended, then ``Stopped``)."""
        if job.status != "InProgress":
            raise ValidationError(
                f"The request was rejected because the {job.KIND[:-3].lower()} job is in status {job.status}."
            )
        with STATE_LOCK:
            job.status = "Stopping"
            if isinstance(job, TrainingJob):
                job.advance("Stopping", "Stopping the training job")
            job.touch()
        job.stop_requested.set()

    @paginate(pagination_model=JOB_PAGINATION_MODEL)
    def list_workflow_jobs(
        self,
        kind: str,
        creation_time_after: datetime | None,
        creation_time_before: datetime | None,
        last_modified_time_after: datetime | None,
        last_modified_time_before: datetime | None,
        name_contains: str | None,
        status_equals: str | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[WorkflowJob]:
        """ListProcessingJobs / ListTrainingJobs (``kind`` says which) with their filters."""
        jobs = self.processing_jobs if kind == ProcessingJob.KIND else self.training_jobs
        found = [
            job
            for job in list(jobs.values())
            if isinstance(job, WorkflowJob)
            and (creation_time_after is None or job.creation_time > creation_time_after)
            and (creation_time_before is None or job.creation_time < creation_time_before)
            and (last_modified_time_after is None or job.last_modified_time > last_modified_time_after)
            and (last_modified_time_before is None or job.last_modified_time < last_modified_time_before)
            and (name_contains is None or name_contains in job.name)
            and (status_equals is None or job.status == status_equals)
        ]
        keys: dict[str, Callable[[WorkflowJob], Any]] = {
            "Name": lambda job: job.name,
            "Status": lambda job: job.status,
        }
        return sort_by_order(found, keys.get(sort_by or "", lambda job: job.creation_time), sort_order)

    def _get_resource_from_arn(self, arn: str) -> Any:
        """A job an ARN names (tag operations); others are the next class's to find."""
        resource_type, _, name = arn.split(":", 5)[-1].partition("/")
        for kind in (ProcessingJob, TrainingJob):
            if resource_type == kind.ARN_TYPE:
                for job in list(self._jobs(kind).values()):
                    if isinstance(job, WorkflowJob) and job.arn == arn:
                        return job
                raise ValidationError(f"Could not find {resource_type} {name}")
        return super()._get_resource_from_arn(arn)
