"""IAM enforcement against the resources a request names, not against ``"*"``.

moto authorizes a request against the resource its response class reports
(``_determine_resource``), and only IAM, SQS and STS report one; every other service's call is
checked against ``"*"``, which a policy scoped to real ARNs never matches. Here each request of
the services below is authorized against the ARNs AWS evaluates, as the Service Authorization
Reference lists them per action ("Actions defined by ...", the *Resource types* column; an action
without a resource type, such as every List and Search, takes ``*``), all of them when there are
several (GetParameters with three names needs all three; AddAssociation both ends):

- SageMaker (:func:`sagemaker_resources`): model packages (``model-package/<group>/<version>``,
  the version to be created for CreateModelPackage), groups, model cards and their export jobs,
  models, lineage artifacts/actions/contexts (by ARN or name), Studio domains, user profiles,
  spaces and apps, and tagged resources;
- SSM parameters, EventBridge buses and rules, KMS keys and aliases (``kms.key_arns``), CloudWatch
  Logs groups and streams, RAM resource shares and invitations, IAM roles and policies (even
  before they exist: ``CreateRole`` is checked against the role to be created), DataZone domains
  (``datazone/responses.py``).

``resolved_resources`` is the table the tests compare with the Service Authorization Reference.
The decision itself (identity and resource-based policies, conditions) is
``resource_policies.py``'s. Applied only while IAM is enforced; otherwise moto's behaviour is
unchanged. :func:`register` replaces a method on moto's mixin, which a type checker refuses
(``type: ignore[method-assign]``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.core.authorization import ActionAuthenticatorMixin

from .core.utils import iam_enforced


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
    tagging = action in ("AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource")
    if tagging and body.get("ResourceType") == "Parameter" and body.get("ResourceId"):
        return [_ssm_parameter_arn(response, body["ResourceId"])]
    return ["*"]


# -- SageMaker ----------------------------------------------------------------------------------------
def _arn(response: Any, kind: str, name: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:aws:sagemaker:{response.region}:{response.current_account}:{kind}/{name}"


def _group_parts(response: Any, name_or_arn: str) -> tuple[str, str, str]:
    """(region, account, group name) of a group named or given by ARN."""
    if name_or_arn.startswith("arn:"):
        parts = name_or_arn.split(":", 5)
        return parts[3], parts[4], parts[5].split("/", 1)[1]
    return response.region, response.current_account, name_or_arn


def _new_package_arn(response: Any, body: dict[str, Any]) -> str:
    """The ARN CreateModelPackage will give: the group's next version (the group's account when
    given by ARN), or an unversioned package's name."""
    from moto.sagemaker.models import sagemaker_backends

    if not body.get("ModelPackageGroupName"):
        return _arn(response, "model-package", str(body.get("ModelPackageName") or "*"))
    region, account, group = _group_parts(response, str(body["ModelPackageGroupName"]))
    backend = dict.get(sagemaker_backends.get(account, {}), region)
    counters = getattr(backend, "model_package_version_counters", {}) if backend is not None else {}
    version = counters.get(group, 0) + 1
    return f"arn:aws:sagemaker:{region}:{account}:model-package/{group}/{version}"


#: SageMaker actions on one resource named by a request member: action -> (resource type, member).
_NAMED: dict[str, tuple[str, str]] = {
    **dict.fromkeys(("DescribeModelPackage", "DeleteModelPackage"), ("model-package", "ModelPackageName")),
    "UpdateModelPackage": ("model-package", "ModelPackageArn"),
    **dict.fromkeys(
        (
            "CreateModelPackageGroup",
            "DescribeModelPackageGroup",
            "DeleteModelPackageGroup",
            "PutModelPackageGroupPolicy",
            "GetModelPackageGroupPolicy",
            "DeleteModelPackageGroupPolicy",
        ),
        ("model-package-group", "ModelPackageGroupName"),
    ),
    **dict.fromkeys(
        (
            "CreateModelCard",
            "DescribeModelCard",
            "UpdateModelCard",
            "DeleteModelCard",
            "ListModelCardVersions",
            "CreateModelCardExportJob",
            "ListModelCardExportJobs",
        ),
        ("model-card", "ModelCardName"),
    ),
    "DescribeModelCardExportJob": ("model-card-export-job", "ModelCardExportJobArn"),
    **dict.fromkeys(("CreateModel", "DescribeModel", "DeleteModel"), ("model", "ModelName")),
    **dict.fromkeys(("DescribeArtifact", "UpdateArtifact"), ("artifact", "ArtifactArn")),
    **dict.fromkeys(
        ("CreateAction", "DescribeAction", "UpdateAction", "DeleteAction"), ("action", "ActionName")
    ),
    **dict.fromkeys(
        ("CreateContext", "DescribeContext", "UpdateContext", "DeleteContext"), ("context", "ContextName")
    ),
    **dict.fromkeys(("DescribeDomain", "UpdateDomain", "DeleteDomain"), ("domain", "DomainId")),
    # The trial components SageMaker records for jobs (`mlgov lineage` walks pipeline jobs).
    "DescribeTrialComponent": ("experiment-trial-component", "TrialComponentName"),
}

#: Lineage entity ids are the lower-cased name (the emulator's ARN, ``lineage.py``).
_LOWERED = ("artifact", "action", "context")


def sagemaker_resources(response: Any, action: str, body: dict[str, Any]) -> list[str]:
    from .sagemaker.serving_iam import serving_resources
    from .sagemaker.workflow_responses import workflow_resources

    # Hosting, batch transform and Model Monitor first: their CreateProcessingJob (the analyzer)
    # and CreateModel name the same lower-cased ARNs the others would.
    for resolved in (serving_resources(response, action, body), workflow_resources(response, action, body)):
        if resolved is not None:
            return resolved
    if action == "CreateModelPackage":
        return [_new_package_arn(response, body)]
    if action == "ListModelPackages" and body.get("ModelPackageGroupName"):
        # The versions of one group (Service Authorization Reference: model-package).
        region, account, group = _group_parts(response, str(body["ModelPackageGroupName"]))
        return [f"arn:aws:sagemaker:{region}:{account}:model-package/{group}/*"]
    if action in _NAMED:
        kind, member = _NAMED[action]
        name = body.get(member)
        if not name:
            return ["*"]
        name = str(name)
        if kind in _LOWERED and not name.startswith("arn:"):
            name = name.lower()
        return [_arn(response, kind, name)]
    if action == "CreateArtifact":
        # Its ARN is known only once created; a named artifact's is its lower-cased name.
        name = body.get("ArtifactName")
        return [_arn(response, "artifact", str(name).lower() if name else "*")]
    if action == "DeleteArtifact":
        if body.get("ArtifactArn"):
            return [str(body["ArtifactArn"])]
        return [_artifact_by_source(response, (body.get("Source") or {}).get("SourceUri"))]
    if action in ("AddAssociation", "DeleteAssociation"):
        return [arn for arn in (body.get("SourceArn"), body.get("DestinationArn")) if arn] or ["*"]
    if action in ("AddTags", "DeleteTags", "ListTags") and body.get("ResourceArn"):
        return [str(body["ResourceArn"])]
    domain_id = body.get("DomainId")
    if action.endswith("UserProfile") and domain_id and body.get("UserProfileName"):
        return [_arn(response, "user-profile", f"{domain_id}/{body['UserProfileName']}")]
    if action == "CreatePresignedDomainUrl" and domain_id and body.get("UserProfileName"):
        return [_arn(response, "user-profile", f"{domain_id}/{body['UserProfileName']}")]
    # Studio resources as the Service Authorization Reference names them: domain/<id>,
    # space/<id>/<name>, app/<id>/<space or user profile>/<app type>/<name>.
    if action.endswith("Space") and domain_id and body.get("SpaceName"):
        return [_arn(response, "space", f"{domain_id}/{body['SpaceName']}")]
    owner = body.get("SpaceName") or body.get("UserProfileName")
    if action.endswith("App") and domain_id and owner and body.get("AppType") and body.get("AppName"):
        return [_arn(response, "app", f"{domain_id}/{owner}/{body['AppType']}/{body['AppName']}")]
    if action == "CreateDomain" and body.get("DomainName"):
        # The domain's id is generated: any domain of this account.
        return [_arn(response, "domain", "*")]
    return ["*"]


def _artifact_by_source(response: Any, source_uri: str | None) -> str:
    from moto.sagemaker.models import sagemaker_backends

    backend = dict.get(sagemaker_backends.get(response.current_account, {}), response.region)
    for entity in list(getattr(backend, "lineage", {}).values()):
        if entity.kind == "Artifact" and entity.source.get("SourceUri") == source_uri:
            return str(entity.arn)
    return _arn(response, "artifact", "*")


# -- EventBridge, Logs, KMS, RAM, IAM --------------------------------------------------------------
def _bus_arn(response: Any, bus: str) -> str:
    if bus.startswith("arn:"):
        return bus
    return f"arn:aws:events:{response.region}:{response.current_account}:event-bus/{bus}"


def events_resources(response: Any, action: str, body: dict[str, Any]) -> list[str]:
    if action == "PutEvents":
        arns = {
            _bus_arn(response, entry.get("EventBusName") or "default") for entry in body.get("Entries") or []
        }
        return sorted(arns) or ["*"]
    rule = body.get("Name") or body.get("Rule")
    if rule and action in (
        "PutRule",
        "DescribeRule",
        "DeleteRule",
        "EnableRule",
        "DisableRule",
        "PutTargets",
        "RemoveTargets",
        "ListTargetsByRule",
    ):
        bus = body.get("EventBusName") or "default"
        if str(bus).startswith("arn:"):
            bus = str(bus).rsplit("/", 1)[-1]
        path = rule if bus == "default" else f"{bus}/{rule}"
        return [f"arn:aws:events:{response.region}:{response.current_account}:rule/{path}"]
    if action in ("TagResource", "UntagResource", "ListTagsForResource") and body.get("ResourceARN"):
        return [str(body["ResourceARN"])]
    if action in ("DescribeEventBus", "CreateEventBus", "DeleteEventBus") and body.get("Name"):
        return [_bus_arn(response, str(body["Name"]))]
    return ["*"]


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


def ram_resources(response: Any, action: str, body: dict[str, Any]) -> list[str]:
    """RAM (restJson: members in the body or the query): the resource share an action names, or
    the invitation AcceptResourceShareInvitation / RejectResourceShareInvitation answer."""
    params = dict(body)
    params.update({k: v[0] for k, v in (getattr(response, "querystring", None) or {}).items() if v})
    if action in (
        "AssociateResourceShare",
        "DisassociateResourceShare",
        "DeleteResourceShare",
        "UpdateResourceShare",
        "ListResourceSharePermissions",
        "TagResource",
        "UntagResource",
        "AssociateResourceSharePermission",
    ) and params.get("resourceShareArn"):
        return [str(params["resourceShareArn"])]
    if action in ("AcceptResourceShareInvitation", "RejectResourceShareInvitation") and params.get(
        "resourceShareInvitationArn"
    ):
        return [str(params["resourceShareInvitationArn"])]
    return ["*"]


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


Resolver = Callable[[Any, str, dict[str, Any]], list[str]]


def runtime_resources(response: Any, action: str, body: dict[str, Any]) -> list[str]:
    """SageMaker Runtime InvokeEndpoint: ``sagemaker:InvokeEndpoint`` on the endpoint it names."""
    from .sagemaker.serving_iam import runtime_resources as invoked

    return invoked(response, action, body)


RESOLVERS: dict[str, Resolver] = {
    "iam": iam_resources,
    "ssm": ssm_resources,
    "sagemaker": sagemaker_resources,
    "events": events_resources,
    "kms": kms_resources,
    "logs": logs_resources,
    "ram": ram_resources,
    "sagemaker-runtime": runtime_resources,
}


def resolved_resources(response: Any, service: str, action: str) -> list[str]:
    """The ARNs a request of ``service`` is authorized against (what the tests check)."""
    resolver = RESOLVERS.get(service)
    return resolver(response, action, _body(response)) if resolver else ["*"]


_original = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action


def _authenticate_and_authorize_normal_action(self: Any, resource: str = "*") -> None:
    resolver = RESOLVERS.get(getattr(self, "service_name", "") or "")
    if resource != "*" or resolver is None or not iam_enforced():
        _original(self, resource)
        return
    for arn in resolver(self, self._get_action(), _body(self)):
        _original(self, arn)


def register() -> None:
    """Authorize the services above against their resources (idempotent)."""
    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = (  # type: ignore[method-assign]
        _authenticate_and_authorize_normal_action
    )
