"""IAM enforcement against the resources a request names, not against ``"*"``.

moto authorizes a request against the resource its response class reports
(``_determine_resource``), and only IAM, SQS and STS report one; every SSM, SageMaker,
EventBridge, KMS and CloudWatch Logs call is checked against ``"*"``. A policy scoped to real ARNs, as every role policy of
the platform's stacks is (``ssm:GetParameters`` on ``parameter/mlgov/staging/*``), then never
matches and the call is denied although AWS would allow it. Here each such request is authorized
against the ARNs AWS evaluates (all of them: GetParameters with three names needs all three).
IAM calls naming a role or policy are authorized against its ARN even before it exists
(``CreateRole``; moto reported ``"*"`` until the role existed). KMS calls are authorized against the key ARN (``kms.key_arns``: the alias is resolved, a key of
another account included), which is also where ``resource_policies`` brings in the key policy;
CloudWatch Logs calls against ``log-group:<name>:*``, the log stream ARN for stream calls, and
``log-group:<name>`` for the tagging calls, as the CloudWatch Logs User Guide lists them.

Conditional Deny statements of identity policies. moto treats every condition of an identity
policy as met, so a Deny with a condition denies every request; AWS applies it only when the
request's context matches. For the calls authorized here (IAM, SSM, SageMaker, EventBridge, KMS, Logs)
a Deny's condition is evaluated (``conditions.py``) against what the request carries: the
service's condition keys the kit's policies use (``sagemaker:ModelApprovalStatus`` on
Create/UpdateModelPackage) and ``aws:SecureTransport``. A conditional *Allow* keeps moto's
reading (a documented gap: it allows). Elsewhere (S3, STS) moto's behaviour is unchanged.

Applied only while IAM is enforced; otherwise moto's behaviour is unchanged. :func:`register`
replaces methods on moto's classes, which a type checker refuses (``type: ignore[method-assign]``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam.access_control import IAMPolicyStatement, PermissionResult

from .conditions import Context, conditions_met
from .utils import iam_enforced

#: The request context of the call being authorized (set only around our resolvers' checks).
_REQUEST_CONTEXT: ContextVar[Context | None] = ContextVar("mlgov_request_context", default=None)

#: Request members that become condition keys, per service (the Service Authorization
#: Reference's condition keys of the actions the kit's policies condition on).
_CONTEXT_KEYS: dict[str, dict[str, str]] = {
    "sagemaker": {"ModelApprovalStatus": "sagemaker:modelapprovalstatus"},
}


def request_context(service: str, body: dict[str, Any]) -> dict[str, str | list[str]]:
    """Condition keys (lower-case) of one request: AWS's global keys the local cloud knows and
    the service keys read from the request body."""
    context: dict[str, str | list[str]] = {"aws:securetransport": "true"}
    for member, key in _CONTEXT_KEYS.get(service, {}).items():
        if isinstance(body.get(member), str):
            context[key] = body[member]
    return context


def _body(response: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(response.body or "{}")
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _ssm_parameter_arn(response: Any, name: str) -> str:
    if name.startswith("arn:"):
        return name
    name = name.split(":")[0]  # "name:3" / "name:label" select a version of the same parameter
    path = name if name.startswith("/") else f"/{name}"
    return f"arn:aws:ssm:{response.region}:{response.current_account}:parameter{path}"


def ssm_resources(response: Any, action: str, body: dict[str, Any]) -> list[str]:
    if action in ("GetParameters", "DeleteParameters"):
        return [_ssm_parameter_arn(response, n) for n in body.get("Names") or []] or ["*"]
    if action == "GetParametersByPath" and body.get("Path"):
        # AWS evaluates the path itself (no trailing slash) for GetParametersByPath.
        return [_ssm_parameter_arn(response, body["Path"].rstrip("/") or "/")]
    if body.get("Name"):
        return [_ssm_parameter_arn(response, body["Name"])]
    return ["*"]


def _sagemaker_arn(response: Any, kind: str, name: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:aws:sagemaker:{response.region}:{response.current_account}:{kind}/{name.lower() if kind == 'model-package' else name}"


LINEAGE_CREATES = {
    "CreateArtifact": ("artifact", "ArtifactName"),
    "CreateAction": ("action", "ActionName"),
    "CreateContext": ("context", "ContextName"),
}


def sagemaker_resources(response: Any, action: str, body: dict[str, Any]) -> list[str]:
    from .sagemaker.workflow_responses import workflow_resources

    if (workflow := workflow_resources(response, action, body)) is not None:
        return workflow
    if action in ("DescribeModelPackage", "DeleteModelPackage") and body.get("ModelPackageName"):
        return [_sagemaker_arn(response, "model-package", body["ModelPackageName"])]
    if action == "UpdateModelPackage" and body.get("ModelPackageArn"):
        return [body["ModelPackageArn"]]
    if body.get("ModelPackageGroupName") and action != "ListModelPackageGroups":
        return [_sagemaker_arn(response, "model-package-group", body["ModelPackageGroupName"])]
    if action in LINEAGE_CREATES:
        kind, member = LINEAGE_CREATES[action]
        return [_sagemaker_arn(response, kind, body.get(member) or "*")]
    if action in ("AddAssociation", "DeleteAssociation"):
        return [arn for arn in (body.get("SourceArn"), body.get("DestinationArn")) if arn] or ["*"]
    if action in ("AddTags", "DeleteTags", "ListTags") and body.get("ResourceArn"):
        return [body["ResourceArn"]]
    if action.endswith("UserProfile") and body.get("DomainId") and body.get("UserProfileName"):
        return [_sagemaker_arn(response, "user-profile", f"{body['DomainId']}/{body['UserProfileName']}")]
    # Studio resources as the Service Authorization Reference names them: domain/<id>,
    # space/<id>/<name>, app/<id>/<space or user profile>/<app type>/<name>.
    domain_id = body.get("DomainId")
    if action in ("DescribeDomain", "UpdateDomain", "DeleteDomain") and domain_id:
        return [_sagemaker_arn(response, "domain", domain_id)]
    if action.endswith("Space") and domain_id and body.get("SpaceName"):
        return [_sagemaker_arn(response, "space", f"{domain_id}/{body['SpaceName']}")]
    owner = body.get("SpaceName") or body.get("UserProfileName")
    if action.endswith("App") and domain_id and owner and body.get("AppType") and body.get("AppName"):
        name = f"{domain_id}/{owner}/{body['AppType']}/{body['AppName']}"
        return [_sagemaker_arn(response, "app", name)]
    return ["*"]


def events_resources(response: Any, action: str, body: dict[str, Any]) -> list[str]:
    if action != "PutEvents":
        return ["*"]
    arns = set()
    for entry in body.get("Entries") or []:
        bus = entry.get("EventBusName") or "default"
        arns.add(
            bus
            if bus.startswith("arn:")
            else f"arn:aws:events:{response.region}:{response.current_account}:event-bus/{bus}"
        )
    return sorted(arns) or ["*"]


#: CloudWatch Logs actions authorized against the log group ARN without the trailing ``:*``
#: (CloudWatch Logs User Guide, "CloudWatch Logs resources and operations").
LOGS_UNSUFFIXED = ("TagResource", "UntagResource", "ListTagsForResource")


def logs_resources(response: Any, action: str, body: dict[str, Any]) -> list[str]:
    prefix = f"arn:aws:logs:{response.region}:{response.current_account}:log-group:"
    if action in LOGS_UNSUFFIXED and body.get("resourceArn"):
        return [str(body["resourceArn"]).removesuffix(":*")]
    group = body.get("logGroupName") or body.get("logGroupIdentifier")
    if isinstance(group, str) and group.startswith("arn:"):
        group = group.split(":log-group:", 1)[-1].removesuffix(":*")
    if not group:
        return [f"{prefix}*"] if action == "DescribeLogGroups" else ["*"]
    if body.get("logStreamName"):
        return [f"{prefix}{group}:log-stream:{body['logStreamName']}"]
    if action in ("TagLogGroup", "UntagLogGroup", "ListTagsLogGroup"):
        return [f"{prefix}{group}"]
    return [f"{prefix}{group}:*"]


def kms_resources(response: Any, action: str, body: dict[str, Any]) -> list[str]:
    from .kms import key_arns

    return key_arns(response, action, body)


def iam_resources(response: Any, action: str, body: dict[str, Any]) -> list[str]:
    """The role or policy an IAM call names, existing or not. moto reports a role's ARN only once
    the role exists, so ``CreateRole`` (and any call on a missing role) was checked against
    ``"*"``, which a policy scoped to ``role/<prefix>-*`` never matches: the bootstrap's deploy
    role could not create the platform's roles here although AWS lets it. AWS authorizes them
    against ``arn:aws:iam::<account>:role<path><name>`` and ``policy<path><name>`` (Service
    Authorization Reference, IAM: resource types ``role`` and ``policy``). Query protocol: the
    parameters are read from the form, not ``body``."""
    account = response.current_account
    role = response._get_param("RoleName")
    if role:
        return [f"arn:aws:iam::{account}:role{response._get_param('Path') or '/'}{role}"]
    policy_arn = response._get_param("PolicyArn")
    if policy_arn:
        return [policy_arn]
    if action == "CreatePolicy" and response._get_param("PolicyName"):
        return [
            f"arn:aws:iam::{account}:policy{response._get_param('Path') or '/'}{response._get_param('PolicyName')}"
        ]
    return ["*"]


RESOLVERS: dict[str, Callable[[Any, str, dict[str, Any]], list[str]]] = {
    "iam": iam_resources,
    "ssm": ssm_resources,
    "sagemaker": sagemaker_resources,
    "events": events_resources,
    "kms": kms_resources,
    "logs": logs_resources,
}

_original = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action


def _authenticate_and_authorize_normal_action(self: Any, resource: str = "*") -> None:
    resolver = RESOLVERS.get(getattr(self, "service_name", "") or "")
    if resource != "*" or resolver is None or not iam_enforced():
        _original(self, resource)
        return
    body = _body(self)
    token = _REQUEST_CONTEXT.set(request_context(self.service_name, body))
    try:
        for arn in resolver(self, self._get_action(), body):
            _original(self, arn)
    finally:
        _REQUEST_CONTEXT.reset(token)


_original_statement_check = IAMPolicyStatement.is_action_permitted


def _statement_permitted(
    self: IAMPolicyStatement,
    action: str,
    resource: str = "*",
    principal: str | None = None,
    incoming_condition_values: dict[str, str] | None = None,
) -> PermissionResult:
    statement = self._statement
    context = _REQUEST_CONTEXT.get()
    if context is None or statement.get("Effect") != "Deny" or not statement.get("Condition"):
        return _original_statement_check(self, action, resource, principal, incoming_condition_values)
    if not conditions_met(statement, context):
        return PermissionResult.NEUTRAL
    unconditioned = IAMPolicyStatement({k: v for k, v in statement.items() if k != "Condition"})
    return _original_statement_check(unconditioned, action, resource, principal, incoming_condition_values)


def register() -> None:
    """Authorize SSM, SageMaker, EventBridge, KMS and Logs calls against their resources
    (idempotent)."""
    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = (  # type: ignore[method-assign]
        _authenticate_and_authorize_normal_action
    )
    IAMPolicyStatement.is_action_permitted = _statement_permitted  # type: ignore[method-assign]
