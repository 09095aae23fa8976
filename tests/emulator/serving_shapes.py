"""The shape scenario of hosting, batch transform and Model Monitor (every operation of
``moto_ext.serving_operations``), driven by ``test_shapes.py``'s recorder: each call's raw answer
is checked against botocore's output shape, in each state a client sees (Creating, InService,
Updating; InProgress, Completed; Pending, Scheduled)."""

from __future__ import annotations

import json
from typing import Any

from tests.emulator.serving_kit import (
    ANALYZER,
    IMAGE,
    build_world,
    csv_body,
    rows,
    settled,
    wait_for,
)


def serving_scenario(rec: Any, session: Any, url: str) -> None:
    world = build_world(session, url, "mlgov-shapes-serving", role_name="shapes-exec")
    sm = rec.client(session, "sagemaker", url)
    runtime = rec.client(session, "sagemaker-runtime", url)
    bucket = world.bucket
    container = {
        "Image": IMAGE,
        "ModelDataUrl": world.model_uri,
        "Environment": {
            "SAGEMAKER_PROGRAM": "inference.py",
            "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
        },
    }

    rec.call(
        sm,
        "CreateModel",
        ModelName="shape-model",
        ExecutionRoleArn=world.role_arn,
        PrimaryContainer=container,
    )
    rec.call(sm, "DescribeModel", ModelName="shape-model")
    rec.call(sm, "DescribeModel", expect_error="ValidationException", ModelName="shape-missing")
    rec.call(sm, "ListModels", NameContains="shape")
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": "shape-model",
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1,
    }
    capture = {
        "EnableCapture": True,
        "InitialSamplingPercentage": 100,
        "DestinationS3Uri": f"s3://{bucket}/capture",
        "KmsKeyId": world.key_arn,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
    }
    for name in ("shape-config", "shape-config-2"):
        rec.call(
            sm,
            "CreateEndpointConfig",
            EndpointConfigName=name,
            ProductionVariants=[variant],
            DataCaptureConfig=capture,
        )
    rec.call(sm, "DescribeEndpointConfig", EndpointConfigName="shape-config")
    rec.call(sm, "ListEndpointConfigs", SortBy="Name", SortOrder="Ascending")
    rec.call(sm, "CreateEndpoint", EndpointName="shape-endpoint", EndpointConfigName="shape-config")
    rec.call(sm, "DescribeEndpoint", EndpointName="shape-endpoint")  # Creating, with PendingDeploymentSummary
    settled(sm, "shape-endpoint")
    rec.call(sm, "DescribeEndpoint", EndpointName="shape-endpoint")  # InService
    rec.call(sm, "ListEndpoints", StatusEquals="InService", MaxResults=10)
    rec.call(
        runtime,
        "InvokeEndpoint",
        EndpointName="shape-endpoint",
        Body=csv_body(rows(2)),
        ContentType="text/csv",
        Accept="text/csv",
    )
    rec.call(
        runtime,
        "InvokeEndpoint",
        expect_error="ModelError",
        EndpointName="shape-endpoint",
        Body=b"x",
        ContentType="text/plain",
    )
    rec.call(
        runtime,
        "InvokeEndpoint",
        expect_error="ValidationError",
        EndpointName="shape-nowhere",
        Body=b"x",
        ContentType="text/csv",
    )
    rec.call(
        sm,
        "UpdateEndpoint",
        EndpointName="shape-endpoint",
        EndpointConfigName="shape-config-2",
        DeploymentConfig={
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
                "MaximumExecutionTimeoutInSeconds": 600,
            }
        },
    )
    rec.call(sm, "DescribeEndpoint", EndpointName="shape-endpoint")  # Updating
    settled(sm, "shape-endpoint")
    rec.call(sm, "DescribeEndpoint", EndpointName="shape-endpoint")  # with LastDeploymentConfig

    session.client("s3", endpoint_url=url).put_object(
        Bucket=bucket, Key="shape-batch/in.csv", Body=csv_body(rows(4)) + "\n"
    )
    transform = {
        "ModelName": "shape-model",
        "TransformInput": {
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/shape-batch/in.csv"}
            },
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        "TransformOutput": {
            "S3OutputPath": f"s3://{bucket}/shape-batch/out",
            "AssembleWith": "Line",
            "Accept": "text/csv",
        },
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }
    rec.call(sm, "CreateTransformJob", TransformJobName="shape-transform", **transform)
    rec.call(sm, "DescribeTransformJob", TransformJobName="shape-transform")
    wait_for(
        lambda: (
            sm.describe_transform_job(TransformJobName="shape-transform")["TransformJobStatus"]
            != "InProgress"
        ),
        what="the transform job",
    )
    rec.call(sm, "DescribeTransformJob", TransformJobName="shape-transform")
    rec.call(sm, "DescribeTransformJob", expect_error="ResourceNotFound", TransformJobName="shape-missing")
    rec.call(sm, "ListTransformJobs", StatusEquals="Completed")
    rec.call(sm, "StopTransformJob", TransformJobName="shape-transform")

    dataset = "a,b\n" + "\n".join(f"{i},{i % 3}" for i in range(50)) + "\n"
    session.client("s3", endpoint_url=url).put_object(
        Bucket=bucket, Key="shape-monitor/data.csv", Body=dataset
    )
    rec.call(
        sm,
        "CreateProcessingJob",
        ProcessingJobName="shape-baseline",
        RoleArn=world.role_arn,
        AppSpecification={"ImageUri": ANALYZER},
        ProcessingResources={
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
        },
        Environment={
            "dataset_format": json.dumps({"csv": {"header": True}}),
            "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
            "output_path": "/opt/ml/processing/output",
        },
        ProcessingInputs=[
            {
                "InputName": "baseline_dataset_input",
                "S3Input": {
                    "S3Uri": f"s3://{bucket}/shape-monitor/data.csv",
                    "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "monitoring_output",
                    "S3Output": {
                        "S3Uri": f"s3://{bucket}/shape-monitor/baseline",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
    )
    rec.call(sm, "DescribeProcessingJob", ProcessingJobName="shape-baseline")
    wait_for(
        lambda: (
            sm.describe_processing_job(ProcessingJobName="shape-baseline")["ProcessingJobStatus"]
            != "InProgress"
        ),
        what="the baselining job",
    )
    rec.call(sm, "DescribeProcessingJob", ProcessingJobName="shape-baseline")

    definition = {
        "DataQualityBaselineConfig": {
            "ConstraintsResource": {"S3Uri": f"s3://{bucket}/shape-monitor/baseline/constraints.json"},
            "StatisticsResource": {"S3Uri": f"s3://{bucket}/shape-monitor/baseline/statistics.json"},
        },
        "DataQualityAppSpecification": {"ImageUri": ANALYZER},
        "DataQualityJobInput": {
            "EndpointInput": {
                "EndpointName": "shape-endpoint",
                "LocalPath": "/opt/ml/processing/input/endpoint",
            }
        },
        "DataQualityJobOutputConfig": {
            "MonitoringOutputs": [
                {
                    "S3Output": {
                        "S3Uri": f"s3://{bucket}/shape-monitor/reports",
                        "LocalPath": "/opt/ml/processing/resultdata",
                    }
                }
            ]
        },
        "JobResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
        },
        "RoleArn": world.role_arn,
    }
    rec.call(sm, "CreateDataQualityJobDefinition", JobDefinitionName="shape-quality", **definition)
    rec.call(sm, "DescribeDataQualityJobDefinition", JobDefinitionName="shape-quality")
    rec.call(
        sm,
        "DescribeDataQualityJobDefinition",
        expect_error="ResourceNotFound",
        JobDefinitionName="shape-missing",
    )
    rec.call(sm, "ListDataQualityJobDefinitions", EndpointName="shape-endpoint")
    config = {
        "ScheduleConfig": {
            "ScheduleExpression": "NOW",
            "DataAnalysisStartTime": "-PT1H",
            "DataAnalysisEndTime": "-PT0H",
        },
        "MonitoringJobDefinitionName": "shape-quality",
        "MonitoringType": "DataQuality",
    }
    rec.call(
        sm,
        "CreateMonitoringSchedule",
        MonitoringScheduleName="shape-schedule",
        MonitoringScheduleConfig=config,
    )
    rec.call(
        sm,
        "CreateMonitoringSchedule",
        expect_error="ResourceInUse",
        MonitoringScheduleName="shape-schedule",
        MonitoringScheduleConfig=config,
    )
    rec.call(sm, "DescribeMonitoringSchedule", MonitoringScheduleName="shape-schedule")  # Pending
    rec.call(
        sm,
        "DescribeMonitoringSchedule",
        expect_error="ResourceNotFound",
        MonitoringScheduleName="shape-missing",
    )
    rec.call(sm, "ListMonitoringSchedules", EndpointName="shape-endpoint")

    def executed() -> bool:
        found = sm.list_monitoring_executions(MonitoringScheduleName="shape-schedule")[
            "MonitoringExecutionSummaries"
        ]
        return bool(found) and found[0]["MonitoringExecutionStatus"] not in ("Pending", "InProgress")

    wait_for(executed, what="the monitoring execution")
    rec.call(
        sm,
        "ListMonitoringExecutions",
        MonitoringScheduleName="shape-schedule",
        SortBy="ScheduledTime",
        SortOrder="Descending",
    )
    rec.call(
        sm, "DescribeMonitoringSchedule", MonitoringScheduleName="shape-schedule"
    )  # LastMonitoringExecutionSummary
    hourly = {**config, "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}}
    rec.call(
        sm,
        "UpdateMonitoringSchedule",
        MonitoringScheduleName="shape-schedule",
        MonitoringScheduleConfig=hourly,
    )
    rec.call(
        sm,
        "UpdateMonitoringSchedule",
        expect_error="ValidationException",
        MonitoringScheduleName="shape-schedule",
        MonitoringScheduleConfig={**config, "ScheduleConfig": {"ScheduleExpression": "cron(30 * ? * * *)"}},
    )
    # What the stack's scheduled monitor is made of (modules/monitoring.py): a definition of an
    # endpoint that does not exist is accepted; a schedule of it is refused as SageMaker does.
    nowhere = {
        **definition,
        "DataQualityJobInput": {
            "EndpointInput": {
                "EndpointName": "shape-nowhere",
                "LocalPath": "/opt/ml/processing/input/endpoint",
            }
        },
        "NetworkConfig": {"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }
    rec.call(sm, "CreateDataQualityJobDefinition", JobDefinitionName="shape-nowhere", **nowhere)
    rec.call(sm, "DescribeDataQualityJobDefinition", JobDefinitionName="shape-nowhere")
    rec.call(
        sm,
        "CreateMonitoringSchedule",
        expect_error="ValidationException",
        MonitoringScheduleName="shape-nowhere",
        MonitoringScheduleConfig={
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
            "MonitoringJobDefinitionName": "shape-nowhere",
            "MonitoringType": "DataQuality",
        },
    )
    rec.call(sm, "DeleteDataQualityJobDefinition", JobDefinitionName="shape-nowhere")
    rec.call(sm, "StopMonitoringSchedule", MonitoringScheduleName="shape-schedule")
    rec.call(sm, "StartMonitoringSchedule", MonitoringScheduleName="shape-schedule")
    rec.call(sm, "DeleteMonitoringSchedule", MonitoringScheduleName="shape-schedule")
    rec.call(sm, "DeleteDataQualityJobDefinition", JobDefinitionName="shape-quality")

    rec.call(sm, "DeleteEndpoint", EndpointName="shape-endpoint")
    rec.call(sm, "DeleteEndpointConfig", EndpointConfigName="shape-config")
    rec.call(sm, "DeleteModel", ModelName="shape-model")
