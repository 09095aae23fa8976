"""Request handlers for pipelines and the jobs they run (one per botocore operation), mixed into
:class:`~.responses.GovernanceSageMakerResponse`.

A request that hands SageMaker a role (CreatePipeline, UpdatePipeline, StartPipelineExecution with
``RoleArn``, CreateProcessingJob, CreateTrainingJob) is authorized for ``iam:PassRole`` on it with
IAM enforced (``service_role.check_pass_role``). The local cloud's URL the request came to is kept
with the job or execution (``service_role.endpoint_of``): its thread calls back in as the role.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker.exceptions import ValidationError

from . import pipeline_definition
from .job_records import ProcessingJob, TrainingJob
from .service_role import check_pass_role, endpoint_of


class WorkflowResponses:
    """Handlers for :class:`~.pipelines.PipelineBackend` and :class:`~.jobs.JobsBackend`."""

    # Provided by moto's BaseResponse / GovernanceSageMakerResponse.
    params: Any
    sagemaker_backend: Any
    _get_param: Any
    _user_context: Any

    def _request(self) -> dict[str, Any]:
        return dict(self.params or {})

    # -- processing and training jobs -------------------------------------------------------
    def create_processing_job(self) -> ActionResult:
        request = self._request()
        check_pass_role(self, request.get("RoleArn"))
        job = self.sagemaker_backend.create_processing_job(request, endpoint_of(self))
        return ActionResult({"ProcessingJobArn": job.arn})

    def describe_processing_job(self) -> ActionResult:
        return ActionResult(
            self.sagemaker_backend.processing_job(self._get_param("ProcessingJobName")).describe()
        )

    def stop_processing_job(self) -> ActionResult:
        backend = self.sagemaker_backend
        backend.stop_job(backend.processing_job(self._get_param("ProcessingJobName")))
        return EmptyResult()

    def list_processing_jobs(self) -> ActionResult:
        jobs, token = self._list_jobs(ProcessingJob.KIND)
        return ActionResult({"ProcessingJobSummaries": [j.summary() for j in jobs], "NextToken": token})

    def create_training_job(self) -> ActionResult:
        request = self._request()
        check_pass_role(self, request.get("RoleArn"))
        job = self.sagemaker_backend.create_training_job(request, endpoint_of(self))
        return ActionResult({"TrainingJobArn": job.arn})

    def describe_training_job(self) -> ActionResult:
        return ActionResult(
            self.sagemaker_backend.training_job(self._get_param("TrainingJobName")).describe()
        )

    def stop_training_job(self) -> ActionResult:
        backend = self.sagemaker_backend
        backend.stop_job(backend.training_job(self._get_param("TrainingJobName")))
        return EmptyResult()

    def list_training_jobs(self) -> ActionResult:
        jobs, token = self._list_jobs(TrainingJob.KIND)
        return ActionResult({"TrainingJobSummaries": [j.summary() for j in jobs], "NextToken": token})

    def _list_jobs(self, kind: str) -> tuple[list[Any], str | None]:
        jobs, token = self.sagemaker_backend.list_workflow_jobs(
            kind=kind,
            creation_time_after=self._get_param("CreationTimeAfter"),
            creation_time_before=self._get_param("CreationTimeBefore"),
            last_modified_time_after=self._get_param("LastModifiedTimeAfter"),
            last_modified_time_before=self._get_param("LastModifiedTimeBefore"),
            name_contains=self._get_param("NameContains"),
            status_equals=self._get_param("StatusEquals"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return list(jobs), token

    # -- pipelines ------------------------------------------------------------------------------
    def _definition(self, required: bool) -> Any:
        """The request's definition (inline or from S3), checked; None when an update names none."""
        inline = self._get_param("PipelineDefinition")
        location = self._get_param("PipelineDefinitionS3Location")
        if inline and location:
            raise ValidationError(
                "Both Pipeline Definition and Pipeline Definition S3 Location shouldn't be present"
            )
        if not inline and not location:
            if required:
                raise ValidationError(
                    "Either Pipeline Definition or Pipeline Definition S3 location should be provided"
                )
            return None
        text = inline if inline else self._definition_from_s3(location)
        return pipeline_definition.parse(text)

    def _definition_from_s3(self, location: dict[str, str]) -> str:
        """The definition object, read with the caller's ``s3:GetObject`` permission (SageMaker
        reads it for the caller: identity and bucket policy decide, ``aws:ViaAWSService`` true)."""
        from moto.s3.models import s3_backends

        from ..resource_policies import authorize_on_behalf

        bucket, key, version = location["Bucket"], location["ObjectKey"], location.get("VersionId")
        authorize_on_behalf(
            self, "s3:GetObject", f"arn:aws:s3:::{bucket}/{key}", {"aws:viaawsservice": "true"}
        )
        owner = s3_backends.bucket_accounts.get(bucket)
        stored = None
        if owner is not None:
            partition, account = owner
            stored = s3_backends[account][partition].get_object(bucket, key, version_id=version)
        if stored is None:
            raise ValidationError(
                f"Failed to read the pipeline definition from s3://{bucket}/{key}: no such object."
            )
        return bytes(stored.value).decode("utf-8")

    def create_pipeline(self) -> ActionResult:
        role = self._get_param("RoleArn")
        check_pass_role(self, role)
        definition = self._definition(required=True)
        pipeline = self.sagemaker_backend.create_pipeline(
            name=self._get_param("PipelineName"),
            definition=definition,
            role_arn=role,
            display_name=self._get_param("PipelineDisplayName"),
            description=self._get_param("PipelineDescription"),
            parallelism=self._get_param("ParallelismConfiguration"),
            tags=self._get_param("Tags"),
            client_token=self._get_param("ClientRequestToken"),
            user=self._user_context(),
        )
        return ActionResult({"PipelineArn": pipeline.arn})

    def update_pipeline(self) -> ActionResult:
        role = self._get_param("RoleArn")
        check_pass_role(self, role)
        pipeline = self.sagemaker_backend.update_pipeline(
            name=self._get_param("PipelineName"),
            definition=self._definition(required=False),
            role_arn=role,
            display_name=self._get_param("PipelineDisplayName"),
            description=self._get_param("PipelineDescription"),
            parallelism=self._get_param("ParallelismConfiguration"),
            user=self._user_context(),
        )
        return ActionResult({"PipelineArn": pipeline.arn, "PipelineVersionId": pipeline.latest.version_id})

    def describe_pipeline(self) -> ActionResult:
        return ActionResult(
            self.sagemaker_backend.describe_pipeline(
                self._get_param("PipelineName"), self._get_param("PipelineVersionId")
            )
        )

    def delete_pipeline(self) -> ActionResult:
        arn = self.sagemaker_backend.delete_pipeline(
            self._get_param("PipelineName"), self._get_param("ClientRequestToken")
        )
        return ActionResult({"PipelineArn": arn})

    def list_pipelines(self) -> ActionResult:
        pipelines, token = self.sagemaker_backend.list_pipeline_records(
            prefix=self._get_param("PipelineNamePrefix"),
            created_after=self._get_param("CreatedAfter"),
            created_before=self._get_param("CreatedBefore"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult({"PipelineSummaries": [p.summary() for p in pipelines], "NextToken": token})

    def start_pipeline_execution(self) -> ActionResult:
        role = self._get_param("RoleArn")
        check_pass_role(self, role)
        execution = self.sagemaker_backend.start_pipeline_execution(
            name=self._get_param("PipelineName"),
            parameters=self._get_param("PipelineParameters"),
            display_name=self._get_param("PipelineExecutionDisplayName"),
            description=self._get_param("PipelineExecutionDescription"),
            parallelism=self._get_param("ParallelismConfiguration"),
            client_token=self._get_param("ClientRequestToken"),
            version_id=self._get_param("PipelineVersionId"),
            role_arn=role,
            selective=self._get_param("SelectiveExecutionConfig"),
            user=self._user_context(),
            endpoint_url=endpoint_of(self),
        )
        return ActionResult({"PipelineExecutionArn": execution.arn})

    def describe_pipeline_execution(self) -> ActionResult:
        return ActionResult(
            self.sagemaker_backend.execution(self._get_param("PipelineExecutionArn")).describe()
        )

    def list_pipeline_executions(self) -> ActionResult:
        executions, token = self.sagemaker_backend.list_execution_records(
            pipeline_name=self._get_param("PipelineName"),
            created_after=self._get_param("CreatedAfter"),
            created_before=self._get_param("CreatedBefore"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult(
            {"PipelineExecutionSummaries": [e.summary() for e in executions], "NextToken": token}
        )

    def list_pipeline_execution_steps(self) -> ActionResult:
        arn = self._get_param("PipelineExecutionArn")
        if not arn:
            raise ValidationError("PipelineExecutionArn is required to list an execution's steps.")
        steps, token = self.sagemaker_backend.list_execution_steps(
            arn=arn,
            sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult({"PipelineExecutionSteps": [s.summary() for s in steps], "NextToken": token})

    def describe_pipeline_definition_for_execution(self) -> ActionResult:
        execution = self.sagemaker_backend.execution(self._get_param("PipelineExecutionArn"))
        return ActionResult(
            {"PipelineDefinition": execution.definition.text, "CreationTime": execution.creation_time}
        )

    def stop_pipeline_execution(self) -> ActionResult:
        execution = self.sagemaker_backend.stop_pipeline_execution(
            self._get_param("PipelineExecutionArn"), self._get_param("ClientRequestToken")
        )
        return ActionResult({"PipelineExecutionArn": execution.arn})

    def list_pipeline_parameters_for_execution(self) -> ActionResult:
        parameters, token = self.sagemaker_backend.list_execution_parameters(
            arn=self._get_param("PipelineExecutionArn"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult(
            {
                "PipelineParameters": [{"Name": p.name, "Value": p.value} for p in parameters],
                "NextToken": token,
            }
        )


#: Operations on one pipeline, authorized against ``pipeline/<name>``.
_PIPELINE_ACTIONS = frozenset(
    {
        "CreatePipeline",
        "UpdatePipeline",
        "DescribePipeline",
        "DeletePipeline",
        "StartPipelineExecution",
        "ListPipelineExecutions",
    }
)
#: Operations on one execution, authorized against its ARN (``pipeline/<name>/execution/<id>``).
_EXECUTION_ACTIONS = frozenset(
    {
        "DescribePipelineExecution",
        "ListPipelineExecutionSteps",
        "DescribePipelineDefinitionForExecution",
        "StopPipelineExecution",
        "ListPipelineParametersForExecution",
    }
)
_JOB_ACTIONS = {
    "ProcessingJobName": (
        "processing-job",
        ("CreateProcessingJob", "DescribeProcessingJob", "StopProcessingJob"),
    ),
    "TrainingJobName": ("training-job", ("CreateTrainingJob", "DescribeTrainingJob", "StopTrainingJob")),
}


def workflow_resources(response: Any, action: str, body: dict[str, Any]) -> list[str] | None:
    """The ARNs AWS authorizes a pipeline or job request against (Service Authorization Reference,
    SageMaker: resource types ``pipeline``, ``pipeline-execution``, ``processing-job``,
    ``training-job``; SageMaker writes names lower case in ARNs); None for other requests. The
    List operations over an account (ListPipelines, ListProcessingJobs, ListTrainingJobs) are
    authorized against ``*``, as on AWS."""
    prefix = f"arn:aws:sagemaker:{response.region}:{response.current_account}"
    if action in _PIPELINE_ACTIONS and body.get("PipelineName"):
        name = str(body["PipelineName"])
        return [name if name.startswith("arn:") else f"{prefix}:pipeline/{name.lower()}"]
    if action in _EXECUTION_ACTIONS and body.get("PipelineExecutionArn"):
        return [str(body["PipelineExecutionArn"])]
    for member, (kind, actions) in _JOB_ACTIONS.items():
        if action in actions and body.get(member):
            return [f"{prefix}:{kind}/{str(body[member]).lower()}"]
    return None
