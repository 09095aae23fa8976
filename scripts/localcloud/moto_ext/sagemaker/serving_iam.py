"""IAM for hosting, batch transform and Model Monitor: the ARNs AWS authorizes these calls against,
and the second permissions a call needs besides its own action.

Resources (Service Authorization Reference, Amazon SageMaker: resource types ``model``,
``endpoint-config``, ``endpoint``, ``transform-job``, ``processing-job``,
``monitoring-schedule``, ``data-quality-job-definition``; SageMaker writes the name lower-cased
in each ARN): each operation is authorized against the ARN it names (CreateEndpoint and
UpdateEndpoint against the endpoint and the endpoint config they deploy; a list operation
against ``*``). ``sagemaker-runtime`` InvokeEndpoint is ``sagemaker:InvokeEndpoint`` (SigV4
service name ``sagemaker``) on ``endpoint/<name>``.

Second permissions, checked as the caller while IAM is enforced:

* ``iam:PassRole`` on the role a call hands to SageMaker (CreateModel ``ExecutionRoleArn``,
  CreateProcessingJob / CreateDataQualityJobDefinition ``RoleArn``), with
  ``iam:PassedToService`` = ``sagemaker.amazonaws.com`` in the condition context;
* ``kms:CreateGrant`` on the endpoint config's ``KmsKeyId`` for CreateEndpoint and
  UpdateEndpoint (the key policy and the caller's policies, as ``resource_policies`` evaluates
  KMS): SageMaker creates grants on the key as the caller ("The KMS key policy must grant
  permission to the IAM role that you specify in your CreateEndpoint, UpdateEndpoint requests",
  CreateEndpointConfig ``KmsKeyId``).

:func:`register` adds these resolvers in front of ``iam_resources``' SageMaker resolver (and one
for ``sagemaker-runtime``), so that module stays as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..utils import iam_enforced

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


def authorize_also(response: Any, action: str, resource: str, context: dict[str, str] | None = None) -> None:
    """Check the caller of ``response``'s request for a second action (``iam:PassRole``,
    ``kms:CreateGrant``) on ``resource``; AccessDeniedException as AWS answers, in JSON."""
    if not iam_enforced():
        return
    from moto.core.exceptions import AccessDeniedError
    from moto.iam.access_control import IAMRequest

    from ..auth_errors import JsonAuthError
    from ..authentication import _signed_path
    from ..iam_resources import _REQUEST_CONTEXT, request_context

    request = IAMRequest(
        account_id=response.current_account,
        method=response.method,
        path=_signed_path(response),
        data=response.data,
        body=response.raw_body,
        headers=response.headers,
        action=action.split(":", 1)[1],
    )
    request._action = action
    token = _REQUEST_CONTEXT.set({**request_context("sagemaker", {}), **(context or {})})
    try:
        request.check_action_permitted(resource)
    except AccessDeniedError as error:
        message = error.message
        if " on resource" not in message:
            # moto names neither the resource nor the missing policy; AWS names both.
            from ..resource_policies import caller_of

            message = (
                f"User: {caller_of(request).acting_arn} is not authorized to perform: {action} on resource: "
                f"{resource} because no identity-based policy allows the {action} action"
            )
        raise JsonAuthError("AccessDeniedException", message, error.code) from None
    finally:
        _REQUEST_CONTEXT.reset(token)


def authorize_pass_role(response: Any, role_arn: str | None) -> None:
    if role_arn:
        authorize_also(response, "iam:PassRole", role_arn, {"iam:passedtoservice": "sagemaker.amazonaws.com"})


def key_arn(account_id: str, region: str, key_id: str) -> str | None:
    """The ARN of a key named by id, ARN, alias or alias ARN (None if there is no such key)."""
    from moto.kms.exceptions import NotFoundException
    from moto.kms.models import kms_backends

    if key_id.startswith("arn:"):
        parts = key_id.split(":")
        account_id, region = parts[4], parts[3]
    backend = kms_backends[account_id][region]
    try:
        resolved = backend.any_id_to_key_id(key_id)
        return str(backend.describe_key(resolved).arn)
    except NotFoundException:
        return None


def register() -> None:
    """Put the resolvers in front of iam_resources' SageMaker resolver (idempotent)."""
    from .. import iam_resources

    current = iam_resources.RESOLVERS["sagemaker"]
    if getattr(current, "serving_chain", False):
        return

    def sagemaker(response: Any, action: str, body: dict[str, Any]) -> list[str]:
        found = serving_resources(response, action, body)
        return found if found is not None else current(response, action, body)

    chained: Callable[[Any, str, dict[str, Any]], list[str]] = sagemaker
    chained.serving_chain = True  # type: ignore[attr-defined]
    iam_resources.RESOLVERS["sagemaker"] = chained
    iam_resources.RESOLVERS["sagemaker-runtime"] = runtime_resources
