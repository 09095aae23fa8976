"""Request handlers for hosting, batch transform and Model Monitor (botocore operation names),
mixed into :class:`~.responses.GovernanceSageMakerResponse`.

Each handler that hands a role to SageMaker checks the caller's ``iam:PassRole`` on it, and
CreateEndpoint / UpdateEndpoint check ``kms:CreateGrant`` on the endpoint config's key
(``service_role.check_pass_role`` / ``use_key``), both before anything changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker import models as sm_models
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.responses import SageMakerResponse

from .monitoring_records import is_analyzer
from .service_role import check_pass_role, use_key

if TYPE_CHECKING:
    from .serving import ServingBackend


class ServingResponse(SageMakerResponse):
    """Handlers of :class:`~.serving.ServingBackend`'s operations."""

    def _serving_backend(self) -> ServingBackend:
        backend = cast("ServingBackend", sm_models.sagemaker_backends[self.current_account][self.region])
        host = self.headers.get("Host") or ""
        if host and not host.endswith(".amazonaws.com"):
            # Server mode: SageMaker's calls as a role come back to this server.
            backend.serving.service_url = f"http://{host}"
        return backend

    # -- models -----------------------------------------------------------------------------
    def create_model(self) -> ActionResult:
        role = self._get_param("ExecutionRoleArn")
        check_pass_role(self, role)
        model = self._serving_backend().create_model(
            model_name=self._get_param("ModelName"),
            execution_role_arn=role,
            primary_container=self._get_param("PrimaryContainer"),
            containers=self._get_param("Containers"),
            inference_execution_config=self._get_param("InferenceExecutionConfig"),
            vpc_config=self._get_param("VpcConfig"),
            enable_network_isolation=self._get_param("EnableNetworkIsolation"),
            tags=self._get_param("Tags"),
        )
        return ActionResult({"ModelArn": model.arn})

    def describe_model(self) -> ActionResult:
        return ActionResult(self._serving_backend().serving_model(self._get_param("ModelName")).describe())

    def delete_model(self) -> ActionResult:
        self._serving_backend().delete_model(self._get_param("ModelName"))
        return EmptyResult()

    def list_models(self) -> ActionResult:
        models, token = self._serving_backend().list_serving_models(
            name_contains=self._get_param("NameContains"),
            creation_time_before=self._get_param("CreationTimeBefore"),
            creation_time_after=self._get_param("CreationTimeAfter"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult({"Models": [m.summary() for m in models], "NextToken": token})

    # -- endpoint configs ---------------------------------------------------------------------
    def create_endpoint_config(self) -> ActionResult:
        unsupported = [
            member
            for member in ("ShadowProductionVariants", "ExplainerConfig", "AsyncInferenceConfig")
            if self._get_param(member)
        ]
        if unsupported:
            raise ValidationError(
                f"The local cloud does not serve {', '.join(unsupported)} (real-time variants only)."
            )
        config = self._serving_backend().create_endpoint_config(
            endpoint_config_name=self._get_param("EndpointConfigName"),
            production_variants=self._get_param("ProductionVariants"),
            data_capture_config=self._get_param("DataCaptureConfig"),
            async_inference_config=None,
            tags=self._get_param("Tags"),
            kms_key_id=self._get_param("KmsKeyId"),
        )
        return ActionResult({"EndpointConfigArn": config.arn})

    def describe_endpoint_config(self) -> ActionResult:
        return ActionResult(
            self._serving_backend().describe_endpoint_config(self._get_param("EndpointConfigName"))
        )

    def delete_endpoint_config(self) -> ActionResult:
        self._serving_backend().delete_endpoint_config(self._get_param("EndpointConfigName"))
        return EmptyResult()

    def list_endpoint_configs(self) -> ActionResult:
        configs, token = self._serving_backend().list_serving_endpoint_configs(
            name_contains=self._get_param("NameContains"),
            creation_time_before=self._get_param("CreationTimeBefore"),
            creation_time_after=self._get_param("CreationTimeAfter"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult({"EndpointConfigs": [c.summary() for c in configs], "NextToken": token})

    # -- endpoints ----------------------------------------------------------------------------
    def _authorize_key_grant(self, backend: ServingBackend, config_name: str) -> None:
        config = backend.serving_endpoint_config(config_name)
        use_key(self, config.kms_key_id, ("kms:CreateGrant",))

    def create_endpoint(self) -> ActionResult:
        backend = self._serving_backend()
        config_name = self._get_param("EndpointConfigName")
        self._authorize_key_grant(backend, config_name)
        endpoint = backend.create_endpoint(
            endpoint_name=self._get_param("EndpointName"),
            endpoint_config_name=config_name,
            tags=self._get_param("Tags"),
        )
        return ActionResult({"EndpointArn": endpoint.arn})

    def update_endpoint(self) -> ActionResult:
        backend = self._serving_backend()
        config_name = self._get_param("EndpointConfigName")
        self._authorize_key_grant(backend, config_name)
        endpoint = backend.update_endpoint(
            endpoint_name=self._get_param("EndpointName"),
            endpoint_config_name=config_name,
            deployment_config=self._get_param("DeploymentConfig"),
            retain_all_variant_properties=bool(self._get_param("RetainAllVariantProperties")),
            exclude_retained_variant_properties=self._get_param("ExcludeRetainedVariantProperties"),
            retain_deployment_config=bool(self._get_param("RetainDeploymentConfig")),
        )
        return ActionResult({"EndpointArn": endpoint.arn})

    def describe_endpoint(self) -> ActionResult:
        return ActionResult(self._serving_backend().describe_endpoint(self._get_param("EndpointName")))

    def delete_endpoint(self) -> ActionResult:
        self._serving_backend().delete_endpoint(self._get_param("EndpointName"))
        return EmptyResult()

    def list_endpoints(self) -> ActionResult:
        endpoints, token = self._serving_backend().list_serving_endpoints(
            name_contains=self._get_param("NameContains"),
            creation_time_before=self._get_param("CreationTimeBefore"),
            creation_time_after=self._get_param("CreationTimeAfter"),
            last_modified_time_before=self._get_param("LastModifiedTimeBefore"),
            last_modified_time_after=self._get_param("LastModifiedTimeAfter"),
            status_equals=self._get_param("StatusEquals"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult({"Endpoints": [e.summary() for e in endpoints], "NextToken": token})

    # -- batch transform ---------------------------------------------------------------------
    TRANSFORM_MEMBERS = (
        "TransformJobName",
        "ModelName",
        "MaxConcurrentTransforms",
        "ModelClientConfig",
        "MaxPayloadInMB",
        "BatchStrategy",
        "Environment",
        "TransformInput",
        "TransformOutput",
        "DataCaptureConfig",
        "TransformResources",
        "DataProcessing",
        "Tags",
        "ExperimentConfig",
    )

    def _members(self, names: tuple[str, ...]) -> dict[str, Any]:
        return {name: value for name in names if (value := self._get_param(name)) is not None}

    def create_transform_job(self) -> ActionResult:
        job = self._serving_backend().create_transform_job(self._members(self.TRANSFORM_MEMBERS))
        return ActionResult({"TransformJobArn": job.arn})

    def describe_transform_job(self) -> ActionResult:
        return ActionResult(
            self._serving_backend().describe_transform_job(self._get_param("TransformJobName"))
        )

    def stop_transform_job(self) -> ActionResult:
        self._serving_backend().stop_transform_job(self._get_param("TransformJobName"))
        return EmptyResult()

    def list_transform_jobs(self) -> ActionResult:
        jobs, token = self._serving_backend().list_serving_transform_jobs(
            name_contains=self._get_param("NameContains"),
            creation_time_before=self._get_param("CreationTimeBefore"),
            creation_time_after=self._get_param("CreationTimeAfter"),
            status_equals=self._get_param("StatusEquals"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult({"TransformJobSummaries": [j.summary() for j in jobs], "NextToken": token})

    # -- processing jobs that run the Model Monitor analyzer --------------------------------
    PROCESSING_MEMBERS = (
        "ProcessingInputs",
        "ProcessingOutputConfig",
        "ProcessingJobName",
        "ProcessingResources",
        "StoppingCondition",
        "AppSpecification",
        "Environment",
        "NetworkConfig",
        "RoleArn",
        "Tags",
        "ExperimentConfig",
    )

    def create_processing_job(self) -> ActionResult:
        """Analyzer jobs here; any other image is the next handler's."""
        image = (self._get_param("AppSpecification") or {}).get("ImageUri")
        if not is_analyzer(image):
            return super().create_processing_job()
        check_pass_role(self, self._get_param("RoleArn"))
        job = self._serving_backend().create_analyzer_job(self._members(self.PROCESSING_MEMBERS))
        return ActionResult({"ProcessingJobArn": job.arn})

    def describe_processing_job(self) -> ActionResult:
        job = self._serving_backend().analyzer_job(self._get_param("ProcessingJobName"))
        if job is None:
            return super().describe_processing_job()
        return ActionResult(job.describe())

    # -- Model Monitor ----------------------------------------------------------------------
    JOB_DEFINITION_MEMBERS = (
        "JobDefinitionName",
        "DataQualityBaselineConfig",
        "DataQualityAppSpecification",
        "DataQualityJobInput",
        "DataQualityJobOutputConfig",
        "JobResources",
        "NetworkConfig",
        "RoleArn",
        "StoppingCondition",
        "Tags",
    )

    def create_data_quality_job_definition(self) -> ActionResult:
        check_pass_role(self, self._get_param("RoleArn"))
        definition = self._serving_backend().create_data_quality_job_definition(
            self._members(self.JOB_DEFINITION_MEMBERS)
        )
        return ActionResult({"JobDefinitionArn": definition.arn})

    def describe_data_quality_job_definition(self) -> ActionResult:
        name = self._get_param("JobDefinitionName")
        return ActionResult(self._serving_backend().data_quality_job_definition(name).describe())

    def delete_data_quality_job_definition(self) -> ActionResult:
        self._serving_backend().delete_data_quality_job_definition(self._get_param("JobDefinitionName"))
        return EmptyResult()

    def list_data_quality_job_definitions(self) -> ActionResult:
        found, token = self._serving_backend().list_serving_data_quality_job_definitions(
            endpoint_name=self._get_param("EndpointName"),
            name_contains=self._get_param("NameContains"),
            creation_time_before=self._get_param("CreationTimeBefore"),
            creation_time_after=self._get_param("CreationTimeAfter"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult({"JobDefinitionSummaries": [d.summary() for d in found], "NextToken": token})

    def _schedule_config(self) -> dict[str, Any]:
        config = dict(self._get_param("MonitoringScheduleConfig") or {})
        inline = config.get("MonitoringJobDefinition")
        if inline:
            check_pass_role(self, inline.get("RoleArn"))
        return config

    def create_monitoring_schedule(self) -> ActionResult:
        schedule = self._serving_backend().create_monitoring_schedule(
            self._get_param("MonitoringScheduleName"), self._schedule_config(), self._get_param("Tags")
        )
        return ActionResult({"MonitoringScheduleArn": schedule.arn})

    def describe_monitoring_schedule(self) -> ActionResult:
        return ActionResult(
            self._serving_backend().describe_monitoring_schedule(self._get_param("MonitoringScheduleName"))
        )

    def update_monitoring_schedule(self) -> ActionResult:
        schedule = self._serving_backend().update_monitoring_schedule(
            self._get_param("MonitoringScheduleName"), self._schedule_config()
        )
        return ActionResult({"MonitoringScheduleArn": schedule.arn})

    def delete_monitoring_schedule(self) -> ActionResult:
        self._serving_backend().delete_monitoring_schedule(self._get_param("MonitoringScheduleName"))
        return EmptyResult()

    def start_monitoring_schedule(self) -> ActionResult:
        self._serving_backend().set_monitoring_schedule_running(
            self._get_param("MonitoringScheduleName"), True
        )
        return EmptyResult()

    def stop_monitoring_schedule(self) -> ActionResult:
        self._serving_backend().set_monitoring_schedule_running(
            self._get_param("MonitoringScheduleName"), False
        )
        return EmptyResult()

    def list_monitoring_schedules(self) -> ActionResult:
        from moto.core.utils import utcnow

        found, token = self._serving_backend().list_serving_monitoring_schedules(
            endpoint_name=self._get_param("EndpointName"),
            name_contains=self._get_param("NameContains"),
            creation_time_before=self._get_param("CreationTimeBefore"),
            creation_time_after=self._get_param("CreationTimeAfter"),
            status_equals=self._get_param("StatusEquals"),
            monitoring_job_definition_name=self._get_param("MonitoringJobDefinitionName"),
            monitoring_type_equals=self._get_param("MonitoringTypeEquals"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        now = utcnow()
        return ActionResult(
            {"MonitoringScheduleSummaries": [s.summary(now) for s in found], "NextToken": token}
        )

    def list_monitoring_executions(self) -> ActionResult:
        found, token = self._serving_backend().list_serving_monitoring_executions(
            monitoring_schedule_name=self._get_param("MonitoringScheduleName"),
            endpoint_name=self._get_param("EndpointName"),
            scheduled_time_before=self._get_param("ScheduledTimeBefore"),
            scheduled_time_after=self._get_param("ScheduledTimeAfter"),
            creation_time_before=self._get_param("CreationTimeBefore"),
            creation_time_after=self._get_param("CreationTimeAfter"),
            status_equals=self._get_param("StatusEquals"),
            monitoring_job_definition_name=self._get_param("MonitoringJobDefinitionName"),
            monitoring_type_equals=self._get_param("MonitoringTypeEquals"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult(
            {"MonitoringExecutionSummaries": [e.summary() for e in found], "NextToken": token}
        )


__all__ = ["ServingResponse"]
