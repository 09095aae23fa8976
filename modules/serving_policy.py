"""The model-deploy role's trust and permissions and the execution role's serving statements, as
data (no cdktf import: the serving tests put these very documents on the local cloud's roles).
modules/serving.py creates the roles with them; its docstring says what each grants and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from environments.naming import Names

from .policy import Statement, people_trust, statement

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

    def per_use_case(self, kind: str, *, exact: bool = False, tail: str = "-*") -> list[str]:
        """``kind/<prefix>-<use case>`` (the endpoint) or ``kind/<prefix>-<use case><tail>``
        (``-*``: every name that starts with the endpoint's)."""
        tail = "" if exact else tail
        return [self.sagemaker(f"{kind}/{self.names.endpoint_name(u)}{tail}") for u in self.use_cases]

    def objects(self, prefix: str) -> str:
        return f"{self.names.artifact_bucket_arn}/{prefix}*"


def model_deploy_trust(deployers: Sequence[str]) -> list[Statement]:
    """The environment's ``deployers`` (``model_deployers``, else ``approvers``), as every
    person-facing role is trusted (:func:`modules.policy.people_trust`: named principals, or a
    permission set's pattern through ``aws:PrincipalArn``, carrying the person in)."""
    return people_trust("DeployersOfThisEnvironment", deployers)


def model_deploy_permissions(arns: ServingArns, *, execution_role_arn: str) -> list[Statement]:
    """What ``mlgov serve``, ``mlgov invoke``, ``mlgov monitor`` and ``mlgov batch`` call, and
    nothing more."""
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
        # Without s3:ListBucket S3 answers a missing key with 403 AccessDenied, not 404: serve and
        # monitor tell a version without a baseline (baseline/ beside its archive) by its 404.
        statement(
            "ListModelArtifacts",
            ["s3:ListBucket"],
            [bucket],
            condition={"StringLike": {"s3:prefix": ["models/*"]}},
        ),
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
        # `mlgov monitor --check bias-drift` computes the check itself and writes its reports
        # (analysis.json, constraint_violations.json) under its endpoint's bias-drift prefix only.
        statement(
            "WriteBiasDriftReports",
            ["s3:PutObject"],
            [
                f"{names.artifact_bucket_arn}/{names.monitoring_prefix}{names.endpoint_name(u)}/bias-drift/*"
                for u in arns.use_cases
            ],
        ),
        # `mlgov serve` replaces the served version's baseline there (the scheduled monitor's),
        # and removes it when the version has none or the endpoint is undeployed.
        statement(
            "ReplaceServedBaseline",
            ["s3:DeleteObject"],
            [arns.objects(names.served_baseline_prefix(u)) for u in arns.use_cases],
        ),
        statement("WriteAuditRecords", ["s3:PutObject"], [arns.objects(names.audit_prefix)]),
        statement(
            "PublishAuditEvents",
            ["events:PutEvents"],
            [f"arn:aws:events:{env.region}:{env.account_id}:event-bus/default"],
        ),
        # The key only as S3 (archives, code, audit records) and SageMaker (the versions, the
        # endpoint config's KmsKeyId) use it for the caller: no direct KMS call.
        statement(
            "UsePlatformKeyThroughS3AndSageMaker",
            _KEY_USE,
            [arns.kms_key],
            condition={
                "StringEquals": {
                    "kms:ViaService": [f"{x}.{env.region}.amazonaws.com" for x in ("s3", "sagemaker")]
                }
            },
        ),
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
            # `mlgov monitor`'s names, <endpoint>-v<n>-...: not the stack's scheduled monitor
            # (Names.data_quality_monitor), which only Terraform changes.
            [
                *arns.per_use_case("monitoring-schedule", tail="-v*"),
                *arns.per_use_case("data-quality-job-definition", tail="-v*"),
            ],
        ),
        # `mlgov batch`: transform jobs of the use cases' names, over CSV files it may stage under
        # their batch input prefix, their output read back from the batch output prefix.
        statement(
            "BatchTransformJobs",
            [
                "sagemaker:CreateTransformJob",
                "sagemaker:DescribeTransformJob",
                "sagemaker:StopTransformJob",
            ],
            arns.per_use_case("transform-job"),
        ),
        # Its first bytes are read to refuse a header line the job would send as a row.
        statement(
            "StageAndCheckBatchInput",
            ["s3:GetObject", "s3:PutObject"],
            [arns.objects(names.batch_input_prefix(u)) for u in arns.use_cases],
        ),
        statement(
            "ReadBatchOutput",
            ["s3:GetObject"],
            [arns.objects(names.batch_output_prefix(u)) for u in arns.use_cases],
        ),
        statement(
            "ListBatchData",
            ["s3:ListBucket"],
            [bucket],
            condition={
                "StringLike": {
                    "s3:prefix": [
                        f"{prefix}*"
                        for u in arns.use_cases
                        for prefix in (names.batch_input_prefix(u), names.batch_output_prefix(u))
                    ]
                }
            },
        ),
        # The version --ContributedTo--> the trial component SageMaker records for a transform job
        # (``<job>-aws-transform-job``; AddAssociation is authorized against both ends).
        statement(
            "LinkBatchJobsToVersions",
            ["sagemaker:AddAssociation", "sagemaker:DescribeTrialComponent"],
            arns.per_use_case("experiment-trial-component"),
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
    """What SageMaker does as the execution role for the kit's endpoints, monitors and batch
    transform jobs: load the inference code, write captured requests (SageMaker writes capture as
    the variant's model role), as Model Monitor's processing job read them and write its reports,
    and as a transform job (which runs as its model's role) read the use case's batch input and
    write its batch output."""
    names = arns.names
    return [
        statement(
            "BatchTransformInput",
            ["s3:GetObject"],
            [arns.objects(names.batch_input_prefix(u)) for u in arns.use_cases],
        ),
        statement(
            "BatchTransformOutput",
            ["s3:PutObject"],
            [arns.objects(names.batch_output_prefix(u)) for u in arns.use_cases],
        ),
        statement(
            "ListBatchTransformInput",
            ["s3:ListBucket"],
            [names.artifact_bucket_arn],
            condition={
                "StringLike": {"s3:prefix": [f"{names.batch_input_prefix(u)}*" for u in arns.use_cases]}
            },
        ),
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
