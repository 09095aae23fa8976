"""Scheduled data-quality monitoring of the use cases' endpoints, for the use cases whose
environment file sets ``data_quality_schedule``.

Per such use case, SageMaker Model Monitor's two resources (API reference:
CreateDataQualityJobDefinition, CreateMonitoringSchedule), both named
``Names.data_quality_monitor`` (``<prefix>-<use case>-data-quality``):

* the data-quality job definition: Model Monitor's analyzer image of the region
  (``Names.model_monitor_image``, the image ``mlgov monitor`` runs) over the endpoint's captured
  data, against the baseline ``mlgov serve`` copies from the served version
  (``Names.served_baseline_prefix``: ``statistics.json``, ``constraints.json``); reports under
  ``s3://<artifact bucket>/monitoring/`` (Model Monitor appends ``<endpoint>/<schedule>/<yyyy>/
  <mm>/<dd>/<hh>``) encrypted with the platform key, which also encrypts the instance's volume;
  run as the SageMaker execution role, whose serving policy already reads the captured data and
  the baseline and writes the reports (modules/serving_policy.py); network isolation and
  inter-container traffic encryption on. No VPC configuration: the kit's endpoints and jobs run
  outside the VPC too, and a VPC job would need the execution role to manage network interfaces.
* the monitoring schedule (``MonitoringType`` DataQuality, the configured cron expression).

SageMaker refuses a monitoring schedule of an endpoint that does not exist, so the option is set
once ``mlgov serve`` has created the use case's endpoint; the scheduled runs then follow whatever
version the endpoint serves, each judged against that version's baseline (docs/GOVERNANCE.md).
Only Terraform changes these resources: the model-deploy role's monitoring grant covers ``mlgov
monitor``'s one-time monitors (``<endpoint>-v*``) and not these.
"""

from __future__ import annotations

from collections.abc import Mapping

from cdktf_cdktf_provider_aws.sagemaker_data_quality_job_definition import (
    SagemakerDataQualityJobDefinition,
    SagemakerDataQualityJobDefinitionDataQualityAppSpecification,
    SagemakerDataQualityJobDefinitionDataQualityBaselineConfig,
    SagemakerDataQualityJobDefinitionDataQualityJobInput,
    SagemakerDataQualityJobDefinitionDataQualityJobOutputConfig,
    SagemakerDataQualityJobDefinitionJobResources,
    SagemakerDataQualityJobDefinitionNetworkConfig,
    SagemakerDataQualityJobDefinitionStoppingCondition,
)
from cdktf_cdktf_provider_aws.sagemaker_monitoring_schedule import (
    SagemakerMonitoringSchedule,
    SagemakerMonitoringScheduleMonitoringScheduleConfig,
)
from constructs import Construct

from environments.naming import Names

#: Where the analyzer finds the captured data and writes its reports inside its container (the
#: paths the SageMaker SDK's DefaultModelMonitor uses, and ``mlgov monitor``).
ENDPOINT_INPUT_PATH = "/opt/ml/processing/input/endpoint"
RESULTS_PATH = "/opt/ml/processing/resultdata"
#: The analyzer's instance: Model Monitor's default.
INSTANCE_TYPE = "ml.m5.xlarge"
VOLUME_SIZE_GB = 20
#: An hour's traffic is analysed well within this (the default; the schedule's period bounds it).
MAX_RUNTIME_S = 3600


class DataQualityMonitoring(Construct):
    """A data-quality job definition and monitoring schedule per use case in ``schedules``
    (``self.job_definitions``, ``self.schedules``, by use case)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        names: Names,
        schedules: Mapping[str, str],
        kms_key_arn: str,
        execution_role_arn: str,
    ) -> None:
        """
        :param names: derived names of this environment.
        :param schedules: use case -> Model Monitor cron expression (``data_quality_schedule``).
        :param kms_key_arn: the platform key (reports and the analyzer's volume).
        :param execution_role_arn: the SageMaker execution role the analyzer runs as.
        """
        super().__init__(scope, id)
        self.job_definitions: dict[str, SagemakerDataQualityJobDefinition] = {}
        self.schedules: dict[str, SagemakerMonitoringSchedule] = {}
        bucket = names.artifact_bucket
        for use_case, expression in schedules.items():
            name = names.data_quality_monitor(use_case)
            baseline = f"s3://{bucket}/{names.served_baseline_prefix(use_case)}"
            definition = SagemakerDataQualityJobDefinition(
                self,
                f"{use_case}-job-definition",
                name=name,
                role_arn=execution_role_arn,
                data_quality_app_specification=SagemakerDataQualityJobDefinitionDataQualityAppSpecification(
                    image_uri=names.model_monitor_image
                ),
                data_quality_baseline_config=SagemakerDataQualityJobDefinitionDataQualityBaselineConfig(
                    constraints_resource={"s3_uri": f"{baseline}constraints.json"},
                    statistics_resource={"s3_uri": f"{baseline}statistics.json"},
                ),
                data_quality_job_input=SagemakerDataQualityJobDefinitionDataQualityJobInput(
                    endpoint_input={
                        "endpoint_name": names.endpoint_name(use_case),
                        "local_path": ENDPOINT_INPUT_PATH,
                    }
                ),
                data_quality_job_output_config=SagemakerDataQualityJobDefinitionDataQualityJobOutputConfig(
                    kms_key_id=kms_key_arn,
                    monitoring_outputs={
                        "s3_output": {
                            "s3_uri": f"s3://{bucket}/{names.monitoring_prefix.rstrip('/')}",
                            "local_path": RESULTS_PATH,
                            "s3_upload_mode": "EndOfJob",
                        }
                    },
                ),
                job_resources=SagemakerDataQualityJobDefinitionJobResources(
                    cluster_config={
                        "instance_count": 1,
                        "instance_type": INSTANCE_TYPE,
                        "volume_size_in_gb": VOLUME_SIZE_GB,
                        "volume_kms_key_id": kms_key_arn,
                    }
                ),
                network_config=SagemakerDataQualityJobDefinitionNetworkConfig(
                    enable_network_isolation=True, enable_inter_container_traffic_encryption=True
                ),
                stopping_condition=SagemakerDataQualityJobDefinitionStoppingCondition(
                    max_runtime_in_seconds=MAX_RUNTIME_S
                ),
            )
            self.job_definitions[use_case] = definition
            self.schedules[use_case] = SagemakerMonitoringSchedule(
                self,
                f"{use_case}-schedule",
                name=name,
                monitoring_schedule_config=SagemakerMonitoringScheduleMonitoringScheduleConfig(
                    monitoring_job_definition_name=definition.name,
                    monitoring_type="DataQuality",
                    schedule_config={"schedule_expression": expression},
                ),
            )
