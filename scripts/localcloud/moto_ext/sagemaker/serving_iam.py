"""IAM for hosting, batch transform and Model Monitor: the ARNs AWS authorizes these calls against,
and the second permissions a call needs besides its own action.

Resources (Service Authorization Reference, Amazon SageMaker: resource types ``model``,
``endpoint-config``, ``endpoint``, ``transform-job``, ``processing-job``,
``monitoring-schedule``, ``data-quality-job-definition``; SageMaker writes the name lower-cased
in each ARN): each operation is authorized against the ARN it names (CreateEndpoint and
UpdateEndpoint against the endpoint and the endpoint config they deploy; a list operation
against ``*``). ``sagemaker-runtime`` InvokeEndpoint is ``sagemaker:InvokeEndpoint`` (SigV4
service name ``sagemaker``) on ``endpoint/<name>``.

Second permissions, checked as the caller while IAM is enforced, by the evaluator every request
goes through (``service_role.check_pass_role`` and ``service_role.use_key``, both
``resource_policies.authorize_on_behalf``):

* ``iam:PassRole`` on the role a call hands to SageMaker (CreateModel ``ExecutionRoleArn``,
  CreateProcessingJob / CreateDataQualityJobDefinition ``RoleArn``), with
  ``iam:PassedToService`` = ``sagemaker.amazonaws.com`` in the condition context;
* ``kms:CreateGrant`` on the endpoint config's ``KmsKeyId`` for CreateEndpoint and
  UpdateEndpoint (the key policy and the caller's policies, with ``kms:ViaService`` and
  ``kms:GrantIsForAWSResource``): SageMaker creates grants on the key as the caller ("The KMS key
  policy must grant permission to the IAM role that you specify in your CreateEndpoint,
  UpdateEndpoint requests", CreateEndpointConfig ``KmsKeyId``).

``iam_resources`` asks :func:`serving_resources` first for SageMaker requests and
:func:`runtime_resources` for SageMaker Runtime ones.
"""

from __future__ import annotations

import re
from typing import Any

#: Operation -> (resource type, request member naming it).
NAMED: dict[str, tuple[str, str]] = {
    "CreateModel": ("model", "ModelName"),
    "DescribeModel": ("model", "ModelName"),
    "DeleteModel": ("model", "ModelName"),
    "CreateEndpointConfig": ("endpoint-config", "EndpointConfigName"),
    "DescribeEndpointConfig": ("endpoint-config", "EndpointConfigName"),
    "DeleteEndpointConfig": ("endpoint-config", "EndpointConfigName"),
    "DescribeEndpoint": ("endpoint", "EndpointName"),
    "DeleteEndpoint": ("endpoint", "EndpointName"),
    "CreateTransformJob": ("transform-job", "TransformJobName"),
    "DescribeTransformJob": ("transform-job", "TransformJobName"),
    "StopTransformJob": ("transform-job", "TransformJobName"),
    "CreateProcessingJob": ("processing-job", "ProcessingJobName"),
    "DescribeProcessingJob": ("processing-job", "ProcessingJobName"),
    "CreateMonitoringSchedule": ("monitoring-schedule", "MonitoringScheduleName"),
    "DescribeMonitoringSchedule": ("monitoring-schedule", "MonitoringScheduleName"),
    "UpdateMonitoringSchedule": ("monitoring-schedule", "MonitoringScheduleName"),
    "DeleteMonitoringSchedule": ("monitoring-schedule", "MonitoringScheduleName"),
    "StartMonitoringSchedule": ("monitoring-schedule", "MonitoringScheduleName"),
    "StopMonitoringSchedule": ("monitoring-schedule", "MonitoringScheduleName"),
    "CreateDataQualityJobDefinition": ("data-quality-job-definition", "JobDefinitionName"),
    "DescribeDataQualityJobDefinition": ("data-quality-job-definition", "JobDefinitionName"),
    "DeleteDataQualityJobDefinition": ("data-quality-job-definition", "JobDefinitionName"),
}
LISTS = (
    "ListModels",
    "ListEndpointConfigs",
    "ListEndpoints",
    "ListTransformJobs",
    "ListMonitoringSchedules",
    "ListMonitoringExecutions",
    "ListDataQualityJobDefinitions",
)


def arn(response: Any, kind: str, name: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:aws:sagemaker:{response.region}:{response.current_account}:{kind}/{name.lower()}"


def serving_resources(response: Any, action: str, body: dict[str, Any]) -> list[str] | None:
    """The ARNs of a hosting, transform or monitoring call; None for other operations."""
    if action in NAMED:
        kind, member = NAMED[action]
        return [arn(response, kind, str(body.get(member) or "*"))]
    if action in ("CreateEndpoint", "UpdateEndpoint"):
        return [
            arn(response, "endpoint", str(body.get("EndpointName") or "*")),
            arn(response, "endpoint-config", str(body.get("EndpointConfigName") or "*")),
        ]
    if action in LISTS:
        return ["*"]
    return None


_INVOCATION_PATH = re.compile(r"^/endpoints/([^/]+)/(?:async-)?invocations")


def runtime_resources(response: Any, action: str, body: dict[str, Any]) -> list[str]:
    """InvokeEndpoint: the endpoint of the request's path."""
    from urllib.parse import unquote

    match = _INVOCATION_PATH.match(response.parsed_url.path)
    if not match:
        return ["*"]
    return [arn(response, "endpoint", unquote(match.group(1)))]
