"""Processing and training jobs that run: CreateProcessingJob / CreateTrainingJob start the job's
command under SageMaker's container contract (``scripts/localcloud/containers``), as its role,
and Describe/List/Stop report and end it as SageMaker does.

:class:`JobsBackend` holds the jobs (moto's ``processing_jobs`` / ``training_jobs`` dicts, with
the job classes of ``job_records.py``: moto's jobs were records that said ``Completed`` at once) and is a
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

from collections.abc import Callable
from datetime import datetime
from typing import Any

from moto.sagemaker.exceptions import ResourceInUseException, ValidationError
from moto.sagemaker.models import SageMakerModelBackend
from moto.utilities.paginator import paginate

from ..state_lock import STATE_LOCK
from .job_records import ProcessingJob, TrainingJob, WorkflowJob
from .service_role import assume_for_sagemaker
from .utils import sort_by_order

PROCESSING_ROOT = "/opt/ml/processing/"

JOB_PAGINATION_MODEL: dict[str, dict[str, Any]] = {
    "list_workflow_jobs": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": "arn",
    },
}


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
