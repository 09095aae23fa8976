"""The SageMaker and SageMaker Runtime operations of hosting, batch transform and Model Monitor
the local cloud serves (``sagemaker/endpoints.py``, ``transform.py``, ``monitoring.py`` and
``sagemaker_runtime/``), listed apart so ``OPERATIONS`` takes them in one line each."""

SAGEMAKER_SERVING_OPERATIONS: tuple[str, ...] = (
    "CreateModel",
    "DescribeModel",
    "DeleteModel",
    "ListModels",
    "CreateEndpointConfig",
    "DescribeEndpointConfig",
    "DeleteEndpointConfig",
    "ListEndpointConfigs",
    "CreateEndpoint",
    "DescribeEndpoint",
    "UpdateEndpoint",
    "DeleteEndpoint",
    "ListEndpoints",
    "CreateTransformJob",
    "DescribeTransformJob",
    "StopTransformJob",
    "ListTransformJobs",
    # CreateProcessingJob / DescribeProcessingJob serve the Model Monitor analyzer here too, in
    # front of the jobs' handlers: listed once, with the jobs (WORKFLOW_OPERATIONS).
    "CreateDataQualityJobDefinition",
    "DescribeDataQualityJobDefinition",
    "DeleteDataQualityJobDefinition",
    "ListDataQualityJobDefinitions",
    "CreateMonitoringSchedule",
    "DescribeMonitoringSchedule",
    "UpdateMonitoringSchedule",
    "DeleteMonitoringSchedule",
    "StartMonitoringSchedule",
    "StopMonitoringSchedule",
    "ListMonitoringSchedules",
    "ListMonitoringExecutions",
)

RUNTIME_OPERATIONS: tuple[str, ...] = ("InvokeEndpoint",)
