"""Every operation of the emulated services the kit calls is authorized against the resource AWS
evaluates: the resolver's answer for a typical request, compared with the Service Authorization
Reference's resource types for that action (``data/service_authorization.json``, an excerpt of the
reference with its source noted). An action the reference gives a resource type must not be
authorized against ``*`` (a policy scoped to ARNs would deny it here although AWS allows it: the
lineage calls were, issue 20), and an action without one must be (``*``: a policy scoped to ARNs
does not allow it on AWS, so it must not here either)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from scripts.localcloud.moto_ext.datazone.responses import iam_resources as datazone_resources
from scripts.localcloud.moto_ext.iam_resources import RESOLVERS

REFERENCE = json.loads(Path(__file__).with_name("data").joinpath("service_authorization.json").read_text())
ACCOUNT, REGION = "111111111111", "us-east-1"
SM = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SHARE = f"arn:aws:ram:{REGION}:{ACCOUNT}:resource-share/3ab63985-99d9-1cd2-7d24-75e93EXAMPLE"
INVITATION = f"arn:aws:ram:{REGION}:{ACCOUNT}:resource-share-invitation/a93aa60a-7c2a-4d4a-9df4"
DOMAIN = "dzd_abc123"
GROUP = "credit-risk"
SPACE = {"DomainId": "d-abcdefghijkl", "SpaceName": "lab"}
APP = {**SPACE, "AppType": "JupyterLab", "AppName": "default"}
PIPELINE = "Credit-Risk"
EXECUTION = f"{SM}:pipeline/credit-risk/execution/0123abcd4567"

#: (service, action, request members): a typical request of each operation the kit makes.
CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("sagemaker", "CreateModelPackage", {"ModelPackageGroupName": GROUP}),
    ("sagemaker", "UpdateModelPackage", {"ModelPackageArn": f"{SM}:model-package/{GROUP}/1"}),
    ("sagemaker", "DescribeModelPackage", {"ModelPackageName": f"{SM}:model-package/{GROUP}/1"}),
    ("sagemaker", "DeleteModelPackage", {"ModelPackageName": f"{SM}:model-package/{GROUP}/1"}),
    ("sagemaker", "ListModelPackages", {"ModelPackageGroupName": GROUP}),
    ("sagemaker", "CreateModelPackageGroup", {"ModelPackageGroupName": GROUP}),
    ("sagemaker", "DescribeModelPackageGroup", {"ModelPackageGroupName": GROUP}),
    ("sagemaker", "DeleteModelPackageGroup", {"ModelPackageGroupName": GROUP}),
    ("sagemaker", "ListModelPackageGroups", {}),
    ("sagemaker", "PutModelPackageGroupPolicy", {"ModelPackageGroupName": GROUP}),
    ("sagemaker", "GetModelPackageGroupPolicy", {"ModelPackageGroupName": GROUP}),
    ("sagemaker", "DeleteModelPackageGroupPolicy", {"ModelPackageGroupName": GROUP}),
    ("sagemaker", "CreateArtifact", {"ArtifactName": "data", "Source": {"SourceUri": "s3://b/d"}}),
    ("sagemaker", "DescribeArtifact", {"ArtifactArn": f"{SM}:artifact/0123456789abcdef"}),
    ("sagemaker", "DescribeTrialComponent", {"TrialComponentName": "pipelines-abc-train-x-aws-training-job"}),
    ("sagemaker", "UpdateArtifact", {"ArtifactArn": f"{SM}:artifact/0123456789abcdef"}),
    ("sagemaker", "DeleteArtifact", {"ArtifactArn": f"{SM}:artifact/0123456789abcdef"}),
    ("sagemaker", "ListArtifacts", {"SourceUri": "s3://b/d"}),
    ("sagemaker", "CreateAction", {"ActionName": "Promotion-1", "Source": {"SourceUri": "x"}}),
    ("sagemaker", "DescribeAction", {"ActionName": "Promotion-1"}),
    ("sagemaker", "DescribeAction", {"ActionName": f"{SM}:action/promotion-1"}),
    ("sagemaker", "UpdateAction", {"ActionName": "promotion-1"}),
    ("sagemaker", "DeleteAction", {"ActionName": "promotion-1"}),
    ("sagemaker", "ListActions", {}),
    ("sagemaker", "CreateContext", {"ContextName": "endpoint", "Source": {"SourceUri": "x"}}),
    ("sagemaker", "DescribeContext", {"ContextName": "endpoint"}),
    ("sagemaker", "UpdateContext", {"ContextName": "endpoint"}),
    ("sagemaker", "DeleteContext", {"ContextName": "endpoint"}),
    ("sagemaker", "ListContexts", {}),
    (
        "sagemaker",
        "AddAssociation",
        {"SourceArn": f"{SM}:artifact/0123", "DestinationArn": f"{SM}:action/promotion-1"},
    ),
    (
        "sagemaker",
        "DeleteAssociation",
        {"SourceArn": f"{SM}:artifact/0123", "DestinationArn": f"{SM}:context/endpoint"},
    ),
    ("sagemaker", "ListAssociations", {"SourceArn": f"{SM}:artifact/0123"}),
    ("sagemaker", "QueryLineage", {"StartArns": [f"{SM}:artifact/0123"]}),
    ("sagemaker", "AddTags", {"ResourceArn": f"{SM}:artifact/0123"}),
    ("sagemaker", "ListTags", {"ResourceArn": f"{SM}:model-package-group/{GROUP}"}),
    ("sagemaker", "DeleteTags", {"ResourceArn": f"{SM}:space/d-abcdefghijkl/lab"}),
    ("sagemaker", "Search", {"Resource": "ModelPackage"}),
    ("sagemaker", "CreateModelCard", {"ModelCardName": "card"}),
    ("sagemaker", "DescribeModelCard", {"ModelCardName": "card"}),
    ("sagemaker", "UpdateModelCard", {"ModelCardName": "card"}),
    ("sagemaker", "DeleteModelCard", {"ModelCardName": "card"}),
    ("sagemaker", "ListModelCards", {}),
    ("sagemaker", "ListModelCardVersions", {"ModelCardName": "card"}),
    ("sagemaker", "CreateModelCardExportJob", {"ModelCardName": "card", "ModelCardExportJobName": "j"}),
    (
        "sagemaker",
        "DescribeModelCardExportJob",
        {"ModelCardExportJobArn": f"{SM}:model-card/card/export-job/j"},
    ),
    ("sagemaker", "ListModelCardExportJobs", {"ModelCardName": "card"}),
    ("sagemaker", "CreateModel", {"ModelName": "m"}),
    ("sagemaker", "DescribeModel", {"ModelName": "m"}),
    ("sagemaker", "DeleteModel", {"ModelName": "m"}),
    ("sagemaker", "CreateDomain", {"DomainName": "studio"}),
    ("sagemaker", "DescribeDomain", {"DomainId": "d-abcdefghijkl"}),
    ("sagemaker", "UpdateDomain", {"DomainId": "d-abcdefghijkl"}),
    ("sagemaker", "DeleteDomain", {"DomainId": "d-abcdefghijkl"}),
    ("sagemaker", "ListDomains", {}),
    ("sagemaker", "CreateUserProfile", {"DomainId": "d-abcdefghijkl", "UserProfileName": "ana"}),
    ("sagemaker", "DescribeUserProfile", {"DomainId": "d-abcdefghijkl", "UserProfileName": "ana"}),
    ("sagemaker", "UpdateUserProfile", {"DomainId": "d-abcdefghijkl", "UserProfileName": "ana"}),
    ("sagemaker", "DeleteUserProfile", {"DomainId": "d-abcdefghijkl", "UserProfileName": "ana"}),
    ("sagemaker", "ListUserProfiles", {"DomainIdEquals": "d-abcdefghijkl"}),
    ("sagemaker", "CreatePresignedDomainUrl", {"DomainId": "d-abcdefghijkl", "UserProfileName": "ana"}),
    ("sagemaker", "CreateSpace", SPACE),
    ("sagemaker", "DescribeSpace", SPACE),
    ("sagemaker", "UpdateSpace", SPACE),
    ("sagemaker", "DeleteSpace", SPACE),
    ("sagemaker", "ListSpaces", {"DomainIdEquals": "d-abcdefghijkl"}),
    ("sagemaker", "CreateApp", APP),
    ("sagemaker", "DescribeApp", APP),
    ("sagemaker", "DeleteApp", APP),
    ("sagemaker", "ListApps", {"DomainIdEquals": "d-abcdefghijkl"}),
    ("sagemaker", "CreatePipeline", {"PipelineName": PIPELINE}),
    ("sagemaker", "UpdatePipeline", {"PipelineName": PIPELINE}),
    ("sagemaker", "DescribePipeline", {"PipelineName": PIPELINE}),
    ("sagemaker", "DeletePipeline", {"PipelineName": PIPELINE}),
    ("sagemaker", "ListPipelines", {}),
    ("sagemaker", "StartPipelineExecution", {"PipelineName": PIPELINE}),
    ("sagemaker", "ListPipelineExecutions", {"PipelineName": PIPELINE}),
    ("sagemaker", "DescribePipelineExecution", {"PipelineExecutionArn": EXECUTION}),
    ("sagemaker", "ListPipelineExecutionSteps", {"PipelineExecutionArn": EXECUTION}),
    ("sagemaker", "DescribePipelineDefinitionForExecution", {"PipelineExecutionArn": EXECUTION}),
    ("sagemaker", "StopPipelineExecution", {"PipelineExecutionArn": EXECUTION}),
    ("sagemaker", "ListPipelineParametersForExecution", {"PipelineExecutionArn": EXECUTION}),
    ("sagemaker", "CreateProcessingJob", {"ProcessingJobName": "Evaluate-1"}),
    ("sagemaker", "DescribeProcessingJob", {"ProcessingJobName": "Evaluate-1"}),
    ("sagemaker", "StopProcessingJob", {"ProcessingJobName": "Evaluate-1"}),
    ("sagemaker", "ListProcessingJobs", {}),
    ("sagemaker", "CreateTrainingJob", {"TrainingJobName": "Train-1"}),
    ("sagemaker", "DescribeTrainingJob", {"TrainingJobName": "Train-1"}),
    ("sagemaker", "StopTrainingJob", {"TrainingJobName": "Train-1"}),
    ("sagemaker", "ListTrainingJobs", {}),
    ("sagemaker", "ListModels", {}),
    ("sagemaker", "CreateEndpointConfig", {"EndpointConfigName": "Credit-Risk-1"}),
    ("sagemaker", "DescribeEndpointConfig", {"EndpointConfigName": "Credit-Risk-1"}),
    ("sagemaker", "DeleteEndpointConfig", {"EndpointConfigName": "Credit-Risk-1"}),
    ("sagemaker", "ListEndpointConfigs", {}),
    ("sagemaker", "CreateEndpoint", {"EndpointName": "Credit-Risk", "EndpointConfigName": "Credit-Risk-1"}),
    ("sagemaker", "UpdateEndpoint", {"EndpointName": "Credit-Risk", "EndpointConfigName": "Credit-Risk-2"}),
    ("sagemaker", "DescribeEndpoint", {"EndpointName": "Credit-Risk"}),
    ("sagemaker", "DeleteEndpoint", {"EndpointName": "Credit-Risk"}),
    ("sagemaker", "ListEndpoints", {}),
    ("sagemaker", "CreateTransformJob", {"TransformJobName": "Score-1"}),
    ("sagemaker", "DescribeTransformJob", {"TransformJobName": "Score-1"}),
    ("sagemaker", "StopTransformJob", {"TransformJobName": "Score-1"}),
    ("sagemaker", "ListTransformJobs", {}),
    ("sagemaker", "CreateDataQualityJobDefinition", {"JobDefinitionName": "Quality"}),
    ("sagemaker", "DescribeDataQualityJobDefinition", {"JobDefinitionName": "Quality"}),
    ("sagemaker", "DeleteDataQualityJobDefinition", {"JobDefinitionName": "Quality"}),
    ("sagemaker", "ListDataQualityJobDefinitions", {}),
    ("sagemaker", "CreateMonitoringSchedule", {"MonitoringScheduleName": "Watch"}),
    ("sagemaker", "DescribeMonitoringSchedule", {"MonitoringScheduleName": "Watch"}),
    ("sagemaker", "UpdateMonitoringSchedule", {"MonitoringScheduleName": "Watch"}),
    ("sagemaker", "DeleteMonitoringSchedule", {"MonitoringScheduleName": "Watch"}),
    ("sagemaker", "StartMonitoringSchedule", {"MonitoringScheduleName": "Watch"}),
    ("sagemaker", "StopMonitoringSchedule", {"MonitoringScheduleName": "Watch"}),
    ("sagemaker", "ListMonitoringSchedules", {}),
    ("sagemaker", "ListMonitoringExecutions", {"MonitoringScheduleName": "Watch"}),
    ("sagemaker-runtime", "InvokeEndpoint", {"__path": "/endpoints/Credit-Risk/invocations"}),
    ("ram", "CreateResourceShare", {"name": "share"}),
    ("ram", "GetResourceShares", {"resourceOwner": "SELF"}),
    ("ram", "AssociateResourceShare", {"resourceShareArn": SHARE}),
    ("ram", "DisassociateResourceShare", {"resourceShareArn": SHARE}),
    ("ram", "DeleteResourceShare", {"resourceShareArn": SHARE}),
    ("ram", "ListResourceSharePermissions", {"resourceShareArn": SHARE}),
    ("ram", "TagResource", {"resourceShareArn": SHARE}),
    ("ram", "UntagResource", {"resourceShareArn": SHARE}),
    ("ram", "GetResourceShareInvitations", {}),
    ("ram", "AcceptResourceShareInvitation", {"resourceShareInvitationArn": INVITATION}),
    ("ram", "RejectResourceShareInvitation", {"resourceShareInvitationArn": INVITATION}),
    ("ram", "ListResources", {"resourceOwner": "OTHER-ACCOUNTS"}),
    ("ram", "GetResourceShareAssociations", {"associationType": "PRINCIPAL"}),
    ("ram", "ListPermissions", {}),
    ("ssm", "GetParameter", {"Name": "/mlgov/dev/bucket"}),
    ("ssm", "GetParameters", {"Names": ["/mlgov/dev/a", "/mlgov/dev/b"]}),
    ("ssm", "GetParametersByPath", {"Path": "/mlgov/dev/"}),
    ("ssm", "PutParameter", {"Name": "/mlgov/dev/bucket"}),
    ("ssm", "DeleteParameter", {"Name": "/mlgov/dev/bucket"}),
    ("ssm", "DescribeParameters", {}),
    ("ssm", "AddTagsToResource", {"ResourceType": "Parameter", "ResourceId": "/mlgov/dev/bucket"}),
    ("ssm", "ListTagsForResource", {"ResourceType": "Parameter", "ResourceId": "/mlgov/dev/bucket"}),
    ("kms", "CreateKey", {}),
    ("kms", "DescribeKey", {"KeyId": KEY}),
    ("kms", "GetKeyPolicy", {"KeyId": KEY}),
    ("kms", "PutKeyPolicy", {"KeyId": KEY}),
    ("kms", "CreateAlias", {"AliasName": "alias/mlgov-dev-platform", "TargetKeyId": KEY}),
    ("kms", "ListAliases", {}),
    ("kms", "Encrypt", {"KeyId": KEY}),
    ("kms", "Decrypt", {"KeyId": KEY}),
    ("kms", "GenerateDataKey", {"KeyId": KEY}),
    ("kms", "CreateGrant", {"KeyId": KEY}),
    ("kms", "ListGrants", {"KeyId": KEY}),
    ("kms", "RevokeGrant", {"KeyId": KEY}),
    ("kms", "TagResource", {"KeyId": KEY}),
    ("kms", "ListResourceTags", {"KeyId": KEY}),
    ("kms", "EnableKeyRotation", {"KeyId": KEY}),
    ("kms", "GetKeyRotationStatus", {"KeyId": KEY}),
    ("kms", "ScheduleKeyDeletion", {"KeyId": KEY}),
    ("logs", "CreateLogGroup", {"logGroupName": "/mlgov/dev/governance"}),
    ("logs", "PutRetentionPolicy", {"logGroupName": "/mlgov/dev/governance"}),
    ("logs", "DeleteLogGroup", {"logGroupName": "/mlgov/dev/governance"}),
    ("logs", "PutResourcePolicy", {"policyName": "events"}),
    ("logs", "DescribeResourcePolicies", {}),
    ("logs", "CreateLogStream", {"logGroupName": "/mlgov/dev/governance", "logStreamName": "s"}),
    ("logs", "PutLogEvents", {"logGroupName": "/mlgov/dev/governance", "logStreamName": "s"}),
    ("logs", "GetLogEvents", {"logGroupName": "/mlgov/dev/governance", "logStreamName": "s"}),
    ("logs", "FilterLogEvents", {"logGroupName": "/mlgov/dev/governance"}),
    (
        "logs",
        "ListTagsForResource",
        {"resourceArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/mlgov/dev/governance"},
    ),
    (
        "logs",
        "TagResource",
        {"resourceArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/mlgov/dev/governance"},
    ),
    ("logs", "ListTagsLogGroup", {"logGroupName": "/mlgov/dev/governance"}),
    ("events", "PutRule", {"Name": "state-change"}),
    ("events", "DescribeRule", {"Name": "state-change"}),
    ("events", "DeleteRule", {"Name": "state-change"}),
    ("events", "PutTargets", {"Rule": "state-change"}),
    ("events", "RemoveTargets", {"Rule": "state-change"}),
    ("events", "ListTargetsByRule", {"Rule": "state-change"}),
    ("events", "PutRule", {"Name": "state-change", "EventBusName": "governance"}),
    ("events", "TagResource", {"ResourceARN": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/state-change"}),
    (
        "events",
        "ListTagsForResource",
        {"ResourceARN": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/state-change"},
    ),
    ("events", "PutEvents", {"Entries": [{"Source": "mlgov"}]}),
    ("datazone", "CreateDomain", {"__path": "/v2/domains"}),
    ("datazone", "GetDomain", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "UpdateDomain", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "DeleteDomain", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "ListDomains", {"__path": "/v2/domains"}),
    ("datazone", "CreateProject", {"__path": f"/v2/domains/{DOMAIN}/projects"}),
    ("datazone", "GetProject", {"__path": f"/v2/domains/{DOMAIN}/projects/p1"}),
    ("datazone", "UpdateProject", {"__path": f"/v2/domains/{DOMAIN}/projects/p1"}),
    ("datazone", "DeleteProject", {"__path": f"/v2/domains/{DOMAIN}/projects/p1"}),
    ("datazone", "ListProjects", {"__path": "/v2/projects?domainIdentifier=dzd_abc123"}),
    ("datazone", "TagResource", {"__path": f"/tags/arn:aws:datazone:{REGION}:{ACCOUNT}:domain/{DOMAIN}"}),
    ("datazone", "UntagResource", {"__path": f"/tags/arn:aws:datazone:{REGION}:{ACCOUNT}:domain/{DOMAIN}"}),
    (
        "datazone",
        "ListTagsForResource",
        {"__path": f"/tags/arn:aws:datazone:{REGION}:{ACCOUNT}:domain/{DOMAIN}"},
    ),  # The catalog, membership and subscription calls: none takes a resource type.
    ("datazone", "CreateUserProfile", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "GetUserProfile", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "CreateProjectMembership", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "DeleteProjectMembership", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "ListProjectMemberships", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "CreateGlossary", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "GetGlossary", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "UpdateGlossary", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "DeleteGlossary", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "CreateGlossaryTerm", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "GetGlossaryTerm", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "UpdateGlossaryTerm", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "DeleteGlossaryTerm", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "CreateFormType", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "GetFormType", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "DeleteFormType", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "CreateAssetType", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "GetAssetType", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "DeleteAssetType", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "SearchTypes", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "CreateAsset", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "GetAsset", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "CreateAssetRevision", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "ListAssetRevisions", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "DeleteAsset", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "CreateListingChangeSet", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "GetListing", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "Search", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "SearchListings", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "ListEnvironmentBlueprints", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "PutEnvironmentBlueprintConfiguration", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "CreateEnvironment", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "GetEnvironment", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "ListEnvironments", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "AssociateEnvironmentRole", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "DeleteEnvironment", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "CreateSubscriptionTarget", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "GetSubscriptionTarget", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "ListSubscriptionTargets", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "DeleteSubscriptionTarget", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "CreateSubscriptionRequest", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "AcceptSubscriptionRequest", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "RejectSubscriptionRequest", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "GetSubscriptionRequestDetails", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "ListSubscriptionRequests", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "GetSubscription", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "ListSubscriptions", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "RevokeSubscription", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "CancelSubscription", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "CreateSubscriptionGrant", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "GetSubscriptionGrant", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "ListSubscriptionGrants", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "UpdateSubscriptionGrantStatus", {"__path": f"/v2/domains/{DOMAIN}"}),
    ("datazone", "DeleteSubscriptionGrant", {"__path": f"/v2/domains/{DOMAIN}"}),
]

#: Where the local cloud follows a service's own guide over the reference's table, and why.
DOCUMENTED_EXCEPTIONS = {
    # CloudWatch Logs User Guide, "CloudWatch Logs permissions reference": DescribeLogGroups
    # on arn:aws:logs:<region>:<account>:log-group:* (the reference lists no resource type).
    ("logs", "DescribeLogGroups"),
}


class Request:
    """What a resolver reads of a moto response: region, account, JSON body, query protocol
    parameters, the request line."""

    region = REGION
    current_account = ACCOUNT

    def __init__(self, members: dict[str, Any]) -> None:
        path = members.get("__path", "/")
        self.uri = f"https://service.{REGION}.amazonaws.com{path}"
        self.parsed_url = urlparse(self.uri)
        self.members = {k: v for k, v in members.items() if k != "__path"}
        self.body = json.dumps(self.members)
        self.querystring: dict[str, list[str]] = {}

    def _get_param(self, name: str, default: Any = None) -> Any:
        return self.members.get(name, default)


def _pattern(template: str) -> re.Pattern[str]:
    """A reference ARN template (``arn:${Partition}:sagemaker:${Region}:${Account}:artifact/${Id}``)
    as a regular expression."""
    fixed = {"Partition": "aws", "Region": "[a-z0-9-]*", "Account": r"\d{12}"}
    parts = re.split(r"\$\{([A-Za-z]+)\}", template)
    regex = "".join(
        re.escape(part) if index % 2 == 0 else fixed.get(part, ".+") for index, part in enumerate(parts)
    )
    return re.compile(regex)


#: Services whose actions the reference lists under another service prefix (SigV4 service name).
PREFIX = {"sagemaker-runtime": "sagemaker"}


def resource_types(service: str, arn: str) -> set[str]:
    templates = REFERENCE["services"][PREFIX.get(service, service)]["resource_types"]
    return {name for name, template in templates.items() if _pattern(template).fullmatch(arn)}


def resolve(service: str, action: str, members: dict[str, Any]) -> list[str]:
    request = Request(members)
    if service == "datazone":
        return datazone_resources(request, action, request.members)
    return RESOLVERS[service](request, action, request.members)


@pytest.mark.parametrize(
    ("service", "action", "members"), CALLS, ids=[f"{s}:{a}-{i}" for i, (s, a, _) in enumerate(CALLS)]
)
def test_each_operation_is_authorized_against_the_resource_aws_evaluates(
    service: str, action: str, members: dict[str, Any]
) -> None:
    reference = REFERENCE["services"][PREFIX.get(service, service)]["actions"][action]
    listed = {r.rstrip("*") for r in reference["resources"]}
    resolved = resolve(service, action, members)
    if (service, action) in DOCUMENTED_EXCEPTIONS:
        return
    if not listed:
        assert resolved == ["*"], f"{service}:{action} takes no resource type, resolved {resolved}"
        return
    assert "*" not in resolved, f"{service}:{action} names {sorted(listed)} but is authorized against *"
    for arn in resolved:
        found = resource_types(service, arn)
        assert found & listed, (
            f"{service}:{action}: {arn} is a {sorted(found)}, the reference lists {sorted(listed)}"
        )
    required = {r.rstrip("*") for r in reference["resources"] if r.endswith("*")}
    if len(required) > 1 and action in ("AddAssociation", "DeleteAssociation"):
        assert len(resolved) == 2, "both ends of an association are authorized"
    if action in ("CreateEndpoint", "UpdateEndpoint"):
        found_types = set().union(*(resource_types(service, arn) for arn in resolved))
        assert required <= found_types, f"{action} is authorized against {sorted(required)}, each"


def test_the_table_covers_every_added_operation_of_these_services() -> None:
    """An operation added to the emulator (OPERATIONS) without a row here fails."""
    from scripts.localcloud.moto_ext import OPERATIONS

    covered = {(s, a) for s, a, _ in CALLS}
    for service in ("sagemaker", "sagemaker-runtime", "datazone", "ram"):
        missing = [a for a in OPERATIONS[service] if (service, a) not in covered]
        assert not missing, f"{service} operations without an authorization row: {missing}"


#: Where SageMaker writes a resource's name lower case in its ARN (DescribePipeline's PipelineArn,
#: DescribeProcessingJob's ProcessingJobArn ... answer the name lower-cased), the resolver names
#: the resource as that ARN, so a policy scoped to the ARN AWS shows allows the call.
LOWER_CASED = [
    ("CreatePipeline", {"PipelineName": "Credit-Risk"}, f"{SM}:pipeline/credit-risk"),
    ("StartPipelineExecution", {"PipelineName": "Credit-Risk"}, f"{SM}:pipeline/credit-risk"),
    ("CreateProcessingJob", {"ProcessingJobName": "Evaluate-1"}, f"{SM}:processing-job/evaluate-1"),
    ("DescribeTrainingJob", {"TrainingJobName": "Train-1"}, f"{SM}:training-job/train-1"),
    ("CreateModel", {"ModelName": "Credit-Risk"}, f"{SM}:model/credit-risk"),
    ("DescribeEndpoint", {"EndpointName": "Credit-Risk"}, f"{SM}:endpoint/credit-risk"),
    ("CreateTransformJob", {"TransformJobName": "Score-1"}, f"{SM}:transform-job/score-1"),
    ("StartMonitoringSchedule", {"MonitoringScheduleName": "Watch"}, f"{SM}:monitoring-schedule/watch"),
]


@pytest.mark.parametrize(("action", "members", "arn"), LOWER_CASED, ids=[a for a, _, _ in LOWER_CASED])
def test_sagemaker_names_are_authorized_as_the_lower_cased_arn(
    action: str, members: dict[str, Any], arn: str
) -> None:
    assert resolve("sagemaker", action, members) == [arn]
