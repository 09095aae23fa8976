"""Serving of approved model versions: the environment's model-deploy role, and what the SageMaker
execution role needs for the endpoints it runs.

``mlgov serve`` (scripts/serving/deploy.py) acts as the model-deploy role: it reads the version
it is asked to deploy, checks its artifact, and creates the SageMaker model, endpoint config and
endpoint of the use case, all named ``<prefix>-<use case>...`` (``Names.endpoint_name``,
``Names.serving_name``). The role holds nothing else: no registry write (approval, cards and
stage status stay with the approver role), no other name, and the execution role passed to
SageMaker only (``iam:PassedToService``). Resources follow the Service Authorization Reference
(Amazon SageMaker: ``model``, ``endpoint-config``, ``endpoint``, ``monitoring-schedule``,
``data-quality-job-definition``, ``processing-job``; CreateEndpoint and UpdateEndpoint are
authorized against the endpoint and the endpoint config; SageMaker writes names lower-cased in
ARNs, and the kit's names are lower case). The List calls of lineage and hosting take no
resource type, hence ``*``.

Trust: the principals of the environment file's ``approvers`` (the people who decide what runs
in this environment) and the environment's deploy role (what CI and the local cloud enter the
account through; it already administers the account, so trusting it grants nothing new).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from environments.naming import Names

from .policy import Statement, document, statement

ROLE_KEY = "model_deploy"
_SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"
_KEY_USE = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")


@dataclass(frozen=True)
class ServingArns:
    """The names the serving policies grant on, from the environment's derived names."""

    names: Names
    use_cases: tuple[str, ...]
    kms_key: str
    """The platform key (a Terraform reference)."""

    def sagemaker(self, resource: str) -> str:
        env = self.names.env
        return f"arn:aws:sagemaker:{env.region}:{env.account_id}:{resource}"

    def per_use_case(self, kind: str, *, exact: bool = False) -> list[str]:
        """``kind/<prefix>-<use case>`` (the endpoint) or ``kind/<prefix>-<use case>-*``."""
        tail = "" if exact else "-*"
        return [self.sagemaker(f"{kind}/{self.names.endpoint_name(u)}{tail}") for u in self.use_cases]

    def objects(self, prefix: str) -> str:
        return f"{self.names.artifact_bucket_arn}/{prefix}*"


def model_deploy_trust(names: Names, approvers: Sequence[str]) -> list[Statement]:
    principals = sorted({*approvers, names.env.deploy_role_arn})
    return [statement("DeployersOfThisEnvironment", ["sts:AssumeRole"], principal={"AWS": principals})]


def model_deploy_permissions(arns: ServingArns, *, execution_role_arn: str) -> list[Statement]:
    """What ``mlgov serve``, ``mlgov invoke`` and ``mlgov monitor`` call, and nothing more."""
    names, env = arns.names, arns.names.env
    bucket = names.artifact_bucket_arn
    return [
        statement(
            "ReadPlatformParameters",
            ["ssm:GetParameter", "ssm:GetParameters"],
            [f"arn:aws:ssm:{env.region}:{env.account_id}:parameter{names.ssm_prefix}/*"],
        ),
        statement(
            "ReadVersionsToDeploy",
            [
                "sagemaker:DescribeModelPackage",
                "sagemaker:DescribeModelPackageGroup",
                "sagemaker:ListModelPackages",
            ],
            [
                *(names.model_package_group_arn(u) for u in arns.use_cases),
                *(names.model_package_arn_pattern(u) for u in arns.use_cases),
            ],
        ),
        # The archive is read to check its SHA-256 against the one recorded at registration.
        statement("VerifyModelArtifacts", ["s3:GetObject", "s3:GetObjectVersion"], [arns.objects("models/")]),
        statement(
            "PublishServingCode", ["s3:GetObject", "s3:PutObject"], [arns.objects(names.serving_code_prefix)]
        ),
        statement(
            "ReadCaptureAndMonitoring",
            ["s3:GetObject"],
            [arns.objects(names.capture_prefix), arns.objects(names.monitoring_prefix)],
        ),
        statement(
            "ListCaptureAndMonitoring",
            ["s3:ListBucket"],
            [bucket],
            condition={
                "StringLike": {"s3:prefix": [f"{names.capture_prefix}*", f"{names.monitoring_prefix}*"]}
            },
        ),
        statement("WriteAuditRecords", ["s3:PutObject"], [arns.objects(names.audit_prefix)]),
        statement(
            "PublishAuditEvents",
            ["events:PutEvents"],
            [f"arn:aws:events:{env.region}:{env.account_id}:event-bus/default"],
        ),
        statement("UsePlatformKey", _KEY_USE, [arns.kms_key]),
        # CreateEndpoint / UpdateEndpoint with a KmsKeyId: SageMaker creates grants on the key as
        # the caller (CreateEndpointConfig KmsKeyId, API reference).
        statement(
            "KeyGrantsThroughSageMaker",
            ["kms:CreateGrant"],
            [arns.kms_key],
            condition={
                "StringEquals": {"kms:ViaService": f"sagemaker.{env.region}.amazonaws.com"},
                "Bool": {"kms:GrantIsForAWSResource": "true"},
            },
        ),
        statement(
            "ModelsOfApprovedVersions",
            ["sagemaker:CreateModel", "sagemaker:DeleteModel", "sagemaker:DescribeModel"],
            arns.per_use_case("model"),
        ),
        statement(
            "EndpointConfigs",
            [
                "sagemaker:CreateEndpoint",
                "sagemaker:CreateEndpointConfig",
                "sagemaker:DeleteEndpointConfig",
                "sagemaker:DescribeEndpointConfig",
                "sagemaker:UpdateEndpoint",
            ],
            arns.per_use_case("endpoint-config"),
        ),
        statement(
            "Endpoints",
            [
                "sagemaker:CreateEndpoint",
                "sagemaker:DeleteEndpoint",
                "sagemaker:DescribeEndpoint",
                "sagemaker:InvokeEndpoint",
                "sagemaker:UpdateEndpoint",
            ],
            arns.per_use_case("endpoint", exact=True),
        ),
        statement(
            "OneTimeDataQualityMonitoring",
            [
                "sagemaker:CreateDataQualityJobDefinition",
                "sagemaker:CreateMonitoringSchedule",
                "sagemaker:DeleteDataQualityJobDefinition",
                "sagemaker:DeleteMonitoringSchedule",
                "sagemaker:DescribeDataQualityJobDefinition",
                "sagemaker:DescribeMonitoringSchedule",
            ],
            [*arns.per_use_case("monitoring-schedule"), *arns.per_use_case("data-quality-job-definition")],
        ),
        # A monitoring execution is a processing job SageMaker names (model-monitoring-...).
        statement(
            "ReadMonitoringJobs",
            ["sagemaker:DescribeProcessingJob"],
            [arns.sagemaker("processing-job/model-monitoring-*")],
        ),
        statement(
            "PassExecutionRoleToSageMaker",
            ["iam:PassRole"],
            [execution_role_arn],
            condition={"StringEquals": {"iam:PassedToService": _SAGEMAKER_SERVICE}},
        ),
        statement(
            "RecordDeploymentLineage",
            [
                "sagemaker:AddAssociation",
                "sagemaker:CreateAction",
                "sagemaker:CreateArtifact",
                "sagemaker:CreateContext",
                "sagemaker:UpdateContext",
            ],
            [arns.sagemaker("action/*"), arns.sagemaker("artifact/*"), arns.sagemaker("context/*")],
        ),
        statement(
            "FindLineageAndHosting",
            [
                "sagemaker:ListActions",
                "sagemaker:ListArtifacts",
                "sagemaker:ListAssociations",
                "sagemaker:ListContexts",
                "sagemaker:ListEndpointConfigs",
                "sagemaker:ListEndpoints",
                "sagemaker:ListModels",
                "sagemaker:ListMonitoringExecutions",
            ],
            ["*"],
        ),
    ]


def execution_serving_statements(arns: ServingArns) -> list[Statement]:
    """What SageMaker does as the execution role for the kit's endpoints and monitors: load the
    inference code, write captured requests (SageMaker writes capture as the variant's model
    role), and as Model Monitor's processing job read them and write its reports."""
    names = arns.names
    return [
        statement("LoadServingCode", ["s3:GetObject"], [arns.objects(names.serving_code_prefix)]),
        statement(
            "CaptureAndMonitor",
            ["s3:GetObject", "s3:PutObject"],
            [arns.objects(names.capture_prefix), arns.objects(names.monitoring_prefix)],
        ),
        statement(
            "ListCapturedData",
            ["s3:ListBucket"],
            [names.artifact_bucket_arn],
            condition={
                "StringLike": {"s3:prefix": [f"{names.capture_prefix}*", f"{names.monitoring_prefix}*"]}
            },
        ),
    ]


class ModelServing(Construct):
    """The model-deploy role (``Names.role_name("model_deploy")``, construct ``model-deploy``)
    and the execution role's serving policy (``execution-serving-policy``)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        names: Names,
        use_cases: Sequence[str],
        approvers: Sequence[str],
        kms_key_arn: str,
        execution_role: IamRole,
    ) -> None:
        """
        :param names: derived names of this environment.
        :param use_cases: use case slugs; each has one endpoint name and its versions' names.
        :param approvers: principals (ARNs) of the environment file's ``approvers``; with the
            environment's deploy role, the only principals that may assume the role.
        :param kms_key_arn: the platform key (endpoint volumes, captured data, audit records).
        :param execution_role: the SageMaker execution role the endpoints and monitors run as.
        """
        super().__init__(scope, id)
        arns = ServingArns(names, tuple(use_cases), kms_key_arn)
        role_name = names.role_name(ROLE_KEY)
        self.role = IamRole(
            self,
            "model-deploy",
            name=role_name,
            description=f"{names.base}: model deploy role (endpoints of approved versions)",
            assume_role_policy=document(*model_deploy_trust(names, approvers)),
            max_session_duration=3600,
        )
        self.policy = IamRolePolicy(
            self,
            "model-deploy-policy",
            name=f"{role_name}-policy",
            role=self.role.id,
            policy=document(*model_deploy_permissions(arns, execution_role_arn=names.role_arn("execution"))),
        )
        self.execution_policy = IamRolePolicy(
            self,
            "execution-serving-policy",
            name=f"{names.role_name('execution')}-serving",
            role=execution_role.id,
            policy=document(*execution_serving_statements(arns)),
        )
