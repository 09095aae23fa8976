"""SageMaker Pipelines that run: pipelines, their versions and executions, and the steps of each
execution (:class:`PipelineBackend`, a part of :class:`~.models.GovernanceSageMakerBackend`; it is
also where the jobs' state lives, through :class:`~.jobs.JobsBackend`).

moto 5.2.1 stored a pipeline and recorded an execution that never ran. Here:

* CreatePipeline / UpdatePipeline take ``PipelineDefinition`` or ``PipelineDefinitionS3Location``
  (read from S3 with the caller's permission, ``s3:GetObject``), check it
  (``pipeline_definition.parse``) and keep every version (``PipelineVersionId`` 1, 2, ...);
  a name taken is refused as SageMaker refuses it ("Pipeline names must be unique within an AWS
  account and region..."), and a repeated ``ClientRequestToken`` returns the same pipeline;
  DeletePipeline is refused (ConflictException) while an execution is in progress.
* StartPipelineExecution checks its parameters against the definition (a name it does not define,
  or a value that is not of the parameter's type, is a ValidationException) and answers at once;
  the execution then runs on a thread (``pipeline_executor``): ``Executing`` until it is
  ``Succeeded``, ``Failed`` (with ``FailureReason``) or ``Stopped`` (StopPipelineExecution).
* Describe/List answer with the state of the moment: the execution, its steps (Starting,
  Executing, Succeeded, Failed, Stopping, Stopped, with FailureReason and Metadata), the
  definition and the parameters it ran with.

Step caching is off: a step with ``CacheConfig.Enabled`` runs every time and reports no cache hit.
RetryPolicies are kept in the definition and not applied. Selective execution is refused.
"""

from __future__ import annotations

import random
import string
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ConflictException, ResourceNotFound, ValidationError
from moto.sagemaker.utils import arn_formatter
from moto.utilities.paginator import paginate

from ..state_lock import STATE_LOCK
from . import pipeline_expressions
from .jobs import JobsBackend
from .utils import sort_by_order, without_none

if TYPE_CHECKING:
    from .pipeline_definition import Definition

PIPELINE_PAGINATION_MODEL: dict[str, dict[str, Any]] = {
    name: {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": key,
    }
    for name, key in (
        ("list_pipeline_records", "arn"),
        ("list_execution_records", "arn"),
        ("list_execution_steps", "key"),
        ("list_execution_parameters", "name"),
    )
}
FINISHED = ("Succeeded", "Failed", "Stopped")


def _execution_id() -> str:
    return "".join(random.choices(string.ascii_lowercase + string.digits, k=12))


@dataclass
class PipelineVersion:
    version_id: int
    definition: Definition
    created: datetime
    display_name: str | None = None
    description: str | None = None


class Pipeline(BaseModel):
    def __init__(
        self,
        name: str,
        *,
        account_id: str,
        region_name: str,
        definition: Definition,
        role_arn: str,
        display_name: str | None,
        description: str | None,
        parallelism: dict[str, int] | None,
        tags: list[dict[str, str]] | None,
        client_token: str | None,
        user: dict[str, Any],
    ) -> None:
        self.name = name
        self.arn = arn_formatter("pipeline", name.lower(), account_id, region_name)
        self.display_name = display_name or name
        self.description = description
        self.role_arn = role_arn
        self.parallelism = parallelism
        self.tags = list(tags or [])
        self.client_token = client_token
        self.creation_time = utcnow()
        self.last_modified_time = self.creation_time
        self.last_run_time: datetime | None = None
        self.created_by = user
        self.last_modified_by = user
        self.versions = [PipelineVersion(1, definition, self.creation_time)]

    @property
    def latest(self) -> PipelineVersion:
        return self.versions[-1]

    def version(self, version_id: int | None) -> PipelineVersion:
        if version_id is None:
            return self.latest
        for version in self.versions:
            if version.version_id == version_id:
                return version
        raise ResourceNotFound(f"Pipeline version {version_id} of pipeline '{self.arn}' does not exist.")

    def describe(self, version_id: int | None = None) -> dict[str, Any]:
        version = self.version(version_id)
        return without_none(
            {
                "PipelineArn": self.arn,
                "PipelineName": self.name,
                "PipelineDisplayName": self.display_name,
                "PipelineDefinition": version.definition.text,
                "PipelineDescription": self.description,
                "RoleArn": self.role_arn,
                "PipelineStatus": "Active",
                "CreationTime": self.creation_time,
                "LastModifiedTime": self.last_modified_time,
                "LastRunTime": self.last_run_time,
                "CreatedBy": self.created_by,
                "LastModifiedBy": self.last_modified_by,
                "ParallelismConfiguration": self.parallelism,
                "PipelineVersionDisplayName": version.display_name,
                "PipelineVersionDescription": version.description,
            }
        )

    def summary(self) -> dict[str, Any]:
        return without_none(
            {
                "PipelineArn": self.arn,
                "PipelineName": self.name,
                "PipelineDisplayName": self.display_name,
                "PipelineDescription": self.description,
                "RoleArn": self.role_arn,
                "CreationTime": self.creation_time,
                "LastModifiedTime": self.last_modified_time,
                "LastExecutionTime": self.last_run_time,
            }
        )


@dataclass
class ExecutionStep:
    """One step of an execution as ListPipelineExecutionSteps reports it."""

    name: str
    display_name: str | None
    description: str | None
    start_time: datetime
    status: str = "Starting"
    end_time: datetime | None = None
    failure_reason: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] | None = None
    attempt: int = 1

    @property
    def key(self) -> str:
        return self.name

    def summary(self) -> dict[str, Any]:
        return without_none(
            {
                "StepName": self.name,
                "StepDisplayName": self.display_name,
                "StepDescription": self.description,
                "StartTime": self.start_time,
                "EndTime": self.end_time,
                "StepStatus": self.status,
                "FailureReason": self.failure_reason,
                "Metadata": self.metadata or None,
                "AttemptCount": self.attempt,
            }
        )


@dataclass(frozen=True)
class ExecutionParameter:
    name: str
    value: str


class PipelineExecution(BaseModel):
    def __init__(
        self,
        pipeline: Pipeline,
        version: PipelineVersion,
        *,
        parameters: dict[str, Any],
        display_name: str | None,
        description: str | None,
        parallelism: dict[str, int] | None,
        role_arn: str,
        client_token: str | None,
        user: dict[str, Any],
        endpoint_url: str | None,
    ) -> None:
        self.execution_id = _execution_id()
        self.pipeline = pipeline
        self.version = version
        self.definition = version.definition
        self.arn = f"{pipeline.arn}/execution/{self.execution_id}"
        self.parameters = parameters
        self.display_name = display_name or f"execution-{int(utcnow().timestamp() * 1000)}"
        self.description = description
        self.parallelism = parallelism or pipeline.parallelism
        self.role_arn = role_arn
        self.client_token = client_token
        self.created_by = user
        self.endpoint_url = endpoint_url
        self.status = "Executing"
        self.failure_reason: str | None = None
        self.creation_time = utcnow()
        self.last_modified_time = self.creation_time
        self.steps: dict[str, ExecutionStep] = {}
        self.stop_requested = threading.Event()
        self.done = threading.Event()
        self.experiment = self._experiment()

    def start_step(self, name: str, display_name: str | None, description: str | None) -> ExecutionStep:
        """A step of this execution starting now, listed from now on (the caller holds the lock)."""
        step = ExecutionStep(
            name=name, display_name=display_name, description=description, start_time=utcnow()
        )
        self.steps[name] = step
        self.touch()
        return step

    def _experiment(self) -> dict[str, str] | None:
        """The execution's PipelineExperimentConfig, resolved (ExperimentName, TrialName)."""
        config = self.definition.raw.get("PipelineExperimentConfig")
        if not config:
            return None
        variables = self.variables()
        resolved = {}
        for key, value in config.items():
            if isinstance(value, dict) and isinstance(value.get("Get"), str):
                head, _, rest = value["Get"].partition(".")
                value = variables.get(rest) if head == "Execution" else self.parameters.get(rest)
            resolved[key] = pipeline_expressions.text_of(value)
        return resolved

    def variables(self) -> dict[str, Any]:
        return {
            "PipelineName": self.pipeline.name,
            "PipelineArn": self.pipeline.arn,
            "PipelineExecutionId": self.execution_id,
            "PipelineExecutionArn": self.arn,
            "StartDateTime": self.creation_time,
        }

    def touch(self) -> None:
        self.last_modified_time = utcnow()

    def describe(self) -> dict[str, Any]:
        return without_none(
            {
                "PipelineArn": self.pipeline.arn,
                "PipelineExecutionArn": self.arn,
                "PipelineExecutionDisplayName": self.display_name,
                "PipelineExecutionStatus": self.status,
                "PipelineExecutionDescription": self.description,
                "PipelineExperimentConfig": self.experiment,
                "FailureReason": self.failure_reason,
                "CreationTime": self.creation_time,
                "LastModifiedTime": self.last_modified_time,
                "CreatedBy": self.created_by,
                "LastModifiedBy": self.created_by,
                "ParallelismConfiguration": self.parallelism,
                "PipelineVersionId": self.version.version_id,
                "RoleArn": self.role_arn,
            }
        )

    def summary(self) -> dict[str, Any]:
        return without_none(
            {
                "PipelineExecutionArn": self.arn,
                "StartTime": self.creation_time,
                "PipelineExecutionStatus": self.status,
                "PipelineExecutionDescription": self.description,
                "PipelineExecutionDisplayName": self.display_name,
                "PipelineExecutionFailureReason": self.failure_reason,
            }
        )

    def parameter_list(self) -> list[ExecutionParameter]:
        return [
            ExecutionParameter(name, pipeline_expressions.text_of(value))
            for name, value in self.parameters.items()
        ]


class PipelineBackend(JobsBackend):
    """The pipeline operations of the governance backend (state set by :meth:`init_pipeline_state`)."""

    def init_pipeline_state(self) -> None:
        self.init_job_state()
        self.pipelines: dict[str, Any] = {}
        self.workflow_executions: dict[str, PipelineExecution] = {}

    # -- pipelines -------------------------------------------------------------------------------
    def _pipeline(self, name_or_arn: str) -> Pipeline:
        name = name_or_arn.split("/")[-1] if name_or_arn.startswith("arn:") else name_or_arn
        for pipeline in list(self.pipelines.values()):
            if isinstance(pipeline, Pipeline) and (pipeline.name == name or pipeline.arn == name_or_arn):
                return pipeline
        arn = arn_formatter("pipeline", name.lower(), self.account_id, self.region_name)
        raise ResourceNotFound(f"Pipeline '{arn}' does not exist.")

    def create_pipeline(  # type: ignore[override]
        self,
        *,
        name: str,
        definition: Definition,
        role_arn: str,
        display_name: str | None,
        description: str | None,
        parallelism: dict[str, int] | None,
        tags: list[dict[str, str]] | None,
        client_token: str | None,
        user: dict[str, Any],
    ) -> Pipeline:
        with STATE_LOCK:
            existing = self.pipelines.get(name)
            if isinstance(existing, Pipeline):
                if client_token and existing.client_token == client_token:
                    return existing
                raise ValidationError(
                    "Pipeline names must be unique within an AWS account and region. Pipeline with name "
                    f"({name}) already exists."
                )
            pipeline = Pipeline(
                name,
                account_id=self.account_id,
                region_name=self.region_name,
                definition=definition,
                role_arn=role_arn,
                display_name=display_name,
                description=description,
                parallelism=parallelism,
                tags=tags,
                client_token=client_token,
                user=user,
            )
            self.pipelines[name] = pipeline
            return pipeline

    def update_pipeline(  # type: ignore[override]
        self,
        *,
        name: str,
        definition: Definition | None,
        role_arn: str | None,
        display_name: str | None,
        description: str | None,
        parallelism: dict[str, int] | None,
        user: dict[str, Any],
    ) -> Pipeline:
        with STATE_LOCK:
            pipeline = self._pipeline(name)
            if definition is not None:
                number = pipeline.latest.version_id + 1
                pipeline.versions.append(PipelineVersion(number, definition, utcnow()))
            if role_arn is not None:
                pipeline.role_arn = role_arn
            if display_name is not None:
                pipeline.display_name = display_name
            if description is not None:
                pipeline.description = description
            if parallelism is not None:
                pipeline.parallelism = parallelism
            pipeline.last_modified_time = utcnow()
            pipeline.last_modified_by = user
            return pipeline

    def describe_pipeline(self, name: str, version_id: int | None = None) -> dict[str, Any]:
        return self._pipeline(name).describe(version_id)

    def delete_pipeline(self, name: str, client_token: str | None = None) -> str:
        with STATE_LOCK:
            pipeline = self._pipeline(name)
            running = [
                e
                for e in self.workflow_executions.values()
                if e.pipeline is pipeline and e.status not in FINISHED
            ]
            if running:
                raise ConflictException(
                    f"Pipeline '{pipeline.arn}' has {len(running)} execution(s) in progress; stop them "
                    "(StopPipelineExecution) before deleting it."
                )
            del self.pipelines[pipeline.name]
            return pipeline.arn

    @paginate(pagination_model=PIPELINE_PAGINATION_MODEL)
    def list_pipeline_records(
        self,
        prefix: str | None,
        created_after: datetime | None,
        created_before: datetime | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[Pipeline]:
        found = [
            p
            for p in list(self.pipelines.values())
            if isinstance(p, Pipeline)
            and (prefix is None or p.name.startswith(prefix))
            and (created_after is None or p.creation_time > created_after)
            and (created_before is None or p.creation_time < created_before)
        ]
        key = (lambda p: p.name) if sort_by == "Name" else (lambda p: p.creation_time)
        return sort_by_order(found, key, sort_order)

    # -- executions ------------------------------------------------------------------------------
    def start_pipeline_execution(  # type: ignore[override]
        self,
        *,
        name: str,
        parameters: list[dict[str, str]] | None,
        display_name: str | None,
        description: str | None,
        parallelism: dict[str, int] | None,
        client_token: str | None,
        version_id: int | None,
        role_arn: str | None,
        selective: dict[str, Any] | None,
        user: dict[str, Any],
        endpoint_url: str | None,
    ) -> PipelineExecution:
        if selective:
            raise ValidationError("SelectiveExecutionConfig is not supported by the local cloud.")
        with STATE_LOCK:
            pipeline = self._pipeline(name)
            if client_token:
                for execution in self.workflow_executions.values():
                    if execution.pipeline is pipeline and execution.client_token == client_token:
                        return execution
            version = pipeline.version(version_id)
            execution = PipelineExecution(
                pipeline,
                version,
                parameters=self._parameter_values(version.definition, parameters or []),
                display_name=display_name,
                description=description,
                parallelism=parallelism,
                role_arn=role_arn or pipeline.role_arn,
                client_token=client_token,
                user=user,
                endpoint_url=endpoint_url,
            )
            self.workflow_executions[execution.arn] = execution
            pipeline.last_run_time = execution.creation_time
        from . import pipeline_executor

        pipeline_executor.start(self, execution)  # type: ignore[arg-type]
        return execution

    @staticmethod
    def _parameter_values(definition: Definition, given: list[dict[str, str]]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for item in given:
            name = item.get("Name", "")
            parameter = definition.parameters.get(name)
            if parameter is None:
                defined = ", ".join(definition.parameters) or "none"
                raise ValidationError(
                    f"Pipeline parameter '{name}' is not defined in the pipeline definition (defined: {defined})."
                )
            values[name] = pipeline_expressions.typed_value(parameter, item.get("Value"))
        for name, parameter in definition.parameters.items():
            if name in values:
                continue
            if parameter.default is None:
                raise ValidationError(
                    f"Pipeline parameter '{name}' has no default value and was not given one."
                )
            values[name] = pipeline_expressions.typed_value(parameter, parameter.default)
        return values

    def execution(self, arn: str) -> PipelineExecution:
        execution = self.workflow_executions.get(arn)
        if execution is None:
            raise ResourceNotFound(f"Pipeline execution '{arn}' does not exist.")
        return execution

    def stop_pipeline_execution(self, arn: str, client_token: str | None = None) -> PipelineExecution:
        with STATE_LOCK:
            execution = self.execution(arn)
            if execution.status in FINISHED or execution.status == "Stopping":
                raise ConflictException(
                    f"Pipeline execution '{arn}' is in status {execution.status} and cannot be stopped."
                )
            execution.status = "Stopping"
            execution.touch()
        execution.stop_requested.set()
        return execution

    @paginate(pagination_model=PIPELINE_PAGINATION_MODEL)
    def list_execution_records(
        self,
        pipeline_name: str,
        created_after: datetime | None,
        created_before: datetime | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[PipelineExecution]:
        pipeline = self._pipeline(pipeline_name)
        found = [
            e
            for e in list(self.workflow_executions.values())
            if e.pipeline is pipeline
            and (created_after is None or e.creation_time > created_after)
            and (created_before is None or e.creation_time < created_before)
        ]
        key = (lambda e: e.arn) if sort_by == "PipelineExecutionArn" else (lambda e: e.creation_time)
        return sort_by_order(found, key, sort_order)

    @paginate(pagination_model=PIPELINE_PAGINATION_MODEL)
    def list_execution_steps(self, arn: str, sort_order: str | None) -> list[ExecutionStep]:
        steps = list(self.execution(arn).steps.values())
        return sort_by_order(steps, lambda s: s.start_time, sort_order)

    @paginate(pagination_model=PIPELINE_PAGINATION_MODEL)
    def list_execution_parameters(self, arn: str) -> list[ExecutionParameter]:
        return self.execution(arn).parameter_list()

    def _get_resource_from_arn(self, arn: str) -> Any:
        """A pipeline an ARN names (tag operations); others are the next class's to find."""
        resource = arn.split(":", 5)[-1]
        if resource.startswith("pipeline/") and "/execution/" not in resource:
            for pipeline in list(self.pipelines.values()):
                if isinstance(pipeline, Pipeline) and pipeline.arn == arn:
                    return pipeline
            raise ResourceNotFound(f"Pipeline '{arn}' does not exist.")
        return super()._get_resource_from_arn(arn)
