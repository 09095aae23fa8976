"""SageMaker Pipelines of one environment: the pipeline execution role, and what the data scientist
may do with the pipelines of this environment's use cases.

The S3 layout of a use case in the artifact bucket (``environments.Names``):

    data/<use case>/                 its datasets: the data scientist writes, the pipeline reads
    pipelines/<use case>/            the SDK uploads the steps' code and the card sections here at
                                     upsert; every execution writes its working data under
                                     <execution id>/<step>/
    models/<use case>/pipelines/     what a version the pipeline registers is made of: the model
                                     archive with its baseline, the evaluation's reports (under
                                     models/, which a downstream promotion role may read)
    models/<use case>/datasets/      datasets registered by ``mlgov seed``/``register`` (read too)

**The pipeline execution role** (``<prefix>-<env>-pipeline-execution``) is what SageMaker runs
every pipeline and every pipeline job as (``scripts/pipelines``; one role for the environment's
use cases, each pipeline limited to the prefixes above of the use cases configured here). It is
trusted by SageMaker acting for this account only, passes only itself and only to SageMaker
(``iam:PassedToService``: its jobs run as it), creates and reads only the jobs SageMaker Pipelines
names (``pipelines-<execution id>-<step>-...``), uses the platform key only through S3 and
SageMaker (``kms:ViaService``), writes the jobs' logs, and registers versions with
``CreateModelPackage`` in this environment's groups only outside strict tiers: in staging and prod
only the promotion role writes versions (docs/ARCHITECTURE.md, "Who can change what"), so there
the role is denied registering outright.

**The data scientist** gets a second inline policy on the data-scientist role
(``<role>-pipelines``): create, update, start, stop and read the pipelines named after this
environment's use cases (``<prefix>-<env>-<use case>``, no other name), list pipelines, pass the
pipeline execution role to SageMaker, and read and write the use cases' ``data/`` and
``pipelines/`` prefixes (the SDK uploads code there when it builds the pipeline).

**The approver**, who reads lineage (``mlgov lineage``), may also describe the trial components
SageMaker records for the pipeline's jobs (``<role>-pipelines``).
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from environments.naming import Names

from .policy import Statement, document, statement

_OBJECT_READ = ("s3:GetObject", "s3:GetObjectVersion")
_KEY_USE = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")
#: The pipeline's own calls (Service Authorization Reference, SageMaker: ``pipeline`` and
#: ``pipeline-execution`` resource types).
PIPELINE_ACTIONS = (
    "sagemaker:CreatePipeline",
    "sagemaker:DescribePipeline",
    "sagemaker:ListPipelineExecutions",
    "sagemaker:StartPipelineExecution",
    "sagemaker:UpdatePipeline",
)
EXECUTION_ACTIONS = (
    "sagemaker:DescribePipelineDefinitionForExecution",
    "sagemaker:DescribePipelineExecution",
    "sagemaker:ListPipelineExecutionSteps",
    "sagemaker:ListPipelineParametersForExecution",
    "sagemaker:StopPipelineExecution",
)
#: Jobs SageMaker Pipelines starts: it names them ``pipelines-<execution id>-<step>-<suffix>``.
JOB_ACTIONS = (
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateTrainingJob",
    "sagemaker:DescribeProcessingJob",
    "sagemaker:DescribeTrainingJob",
    "sagemaker:StopProcessingJob",
    "sagemaker:StopTrainingJob",
)


def _sagemaker(names: Names, resource: str) -> str:
    return f"arn:aws:sagemaker:{names.env.region}:{names.env.account_id}:{resource}"


def _objects(names: Names, prefixes: list[str]) -> list[str]:
    return [f"{names.artifact_bucket_arn}/{p}*" for p in prefixes]


def _pass_to_sagemaker(sid: str, role_arn: str) -> Statement:
    return statement(
        sid,
        ["iam:PassRole"],
        [role_arn],
        condition={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
    )


def pipeline_trust(names: Names) -> list[Statement]:
    """SageMaker, acting for this account only (confused deputy)."""
    return [
        statement(
            "SageMakerOfThisAccount",
            ["sts:AssumeRole"],
            principal={"Service": "sagemaker.amazonaws.com"},
            condition={"StringEquals": {"aws:SourceAccount": names.env.account_id}},
        )
    ]


def pipeline_role_statements(
    names: Names, use_cases: tuple[str, ...], *, kms_key_arn: str, strict: bool
) -> list[Statement]:
    """The pipeline execution role's permissions (see the module's docstring)."""
    env = names.env
    data = [names.data_prefix(u) for u in use_cases]
    datasets = [f"models/{u}/datasets/" for u in use_cases]
    workspace = [p for u in use_cases for p in (names.pipeline_prefix(u), names.pipeline_models_prefix(u))]
    groups = [names.model_package_group_arn(u) for u in use_cases]
    packages = [names.model_package_arn_pattern(u) for u in use_cases]
    through = [f"{service}.{env.region}.amazonaws.com" for service in ("s3", "sagemaker")]
    statements = [
        statement("ReadUseCaseData", _OBJECT_READ, _objects(names, data + datasets)),
        statement("ReadWritePipelineWorkspace", [*_OBJECT_READ, "s3:PutObject"], _objects(names, workspace)),
        # Processing inputs of type S3Prefix list their prefix before downloading it.
        statement(
            "ListUseCasePrefixes",
            ["s3:ListBucket"],
            [names.artifact_bucket_arn],
            condition={"StringLike": {"s3:prefix": [f"{p}*" for p in data + datasets + workspace]}},
        ),
        statement(
            "RunPipelineJobs",
            JOB_ACTIONS,
            [
                _sagemaker(names, "processing-job/pipelines-*"),
                _sagemaker(names, "training-job/pipelines-*"),
            ],
        ),
        _pass_to_sagemaker("PassItselfToItsJobs", names.role_arn("pipeline")),
        statement(
            "PlatformKeyThroughS3AndSageMaker",
            _KEY_USE,
            [kms_key_arn],
            condition={"StringEquals": {"kms:ViaService": through}},
        ),
        # Jobs encrypting their volumes and outputs with the key: SageMaker creates grants on it.
        statement(
            "JobKeyGrantsThroughSageMaker",
            ["kms:CreateGrant"],
            [kms_key_arn],
            condition={
                "StringEquals": {"kms:ViaService": f"sagemaker.{env.region}.amazonaws.com"},
                "Bool": {"kms:GrantIsForAWSResource": "true"},
            },
        ),
        statement(
            "JobLogs",
            ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            [f"arn:aws:logs:{env.region}:{env.account_id}:log-group:/aws/sagemaker/*"],
        ),
    ]
    if strict:
        statements.append(
            statement("OnlyPromotionRegistersHere", ["sagemaker:CreateModelPackage"], ["*"], effect="Deny")
        )
    else:
        statements.append(
            statement(
                "RegisterIntoUseCaseGroups",
                ["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage"],
                [*groups, *packages],
            )
        )
    return statements


def data_scientist_pipeline_statements(names: Names, use_cases: tuple[str, ...]) -> list[Statement]:
    """What the data scientist needs to upsert, start and follow the use cases' pipelines."""
    pipelines = [names.pipeline_arn(u) for u in use_cases]
    prefixes = [p for u in use_cases for p in (names.data_prefix(u), names.pipeline_prefix(u))]
    return [
        statement("OwnUseCasePipelines", PIPELINE_ACTIONS, pipelines),
        statement("OwnUseCasePipelineExecutions", EXECUTION_ACTIONS, [f"{p}/execution/*" for p in pipelines]),
        # ListPipelines supports no resource-level permissions (Service Authorization Reference).
        statement("ListPipelines", ["sagemaker:ListPipelines"], ["*"]),
        # `mlgov pipeline status` and `mlgov lineage` read the pipeline's jobs.
        statement(
            "ReadPipelineJobs",
            ["sagemaker:DescribeProcessingJob", "sagemaker:DescribeTrainingJob"],
            [
                _sagemaker(names, "processing-job/pipelines-*"),
                _sagemaker(names, "training-job/pipelines-*"),
            ],
        ),
        _pass_to_sagemaker("PassThePipelineRole", names.role_arn("pipeline")),
        statement("UseCaseDataAndPipelineCode", [*_OBJECT_READ, "s3:PutObject"], _objects(names, prefixes)),
    ]


def lineage_reader_statements(names: Names) -> list[Statement]:
    """What ``mlgov lineage`` needs to walk a pipeline-built version back through its jobs: the
    trial components SageMaker records for them (the approver reads lineage)."""
    return [
        statement(
            "ReadPipelineJobLineage",
            ["sagemaker:DescribeTrialComponent"],
            [_sagemaker(names, "experiment-trial-component/*")],
        )
    ]


class PipelineAccess(Construct):
    """The pipeline execution role (``self.role``), the data scientist's pipeline policy
    (``self.data_scientist_policy``) and the approver's read of the pipeline jobs' lineage
    (``self.approver_policy``) of one environment."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        names: Names,
        use_cases: tuple[str, ...],
        kms_key_arn: str,
        strict: bool,
        data_scientist_role: IamRole,
        approver_role: IamRole,
    ) -> None:
        """
        :param names: derived names of this environment (role names, bucket, groups, pipelines).
        :param use_cases: use case slugs; each has a pipeline, a group and its prefixes.
        :param kms_key_arn: this environment's platform key.
        :param strict: staging/prod tier: the pipeline role may not register versions.
        :param data_scientist_role: the data-scientist role that receives the pipeline policy.
        :param approver_role: the model-approver role, which reads lineage (``mlgov lineage``).
        """
        super().__init__(scope, id)
        self.role = IamRole(
            self,
            "role",
            name=names.role_name("pipeline"),
            description=f"{names.base}: SageMaker pipeline execution role",
            assume_role_policy=document(*pipeline_trust(names)),
            max_session_duration=3600,
        )
        IamRolePolicy(
            self,
            "role-policy",
            name=f"{names.role_name('pipeline')}-policy",
            role=self.role.id,
            policy=document(
                *pipeline_role_statements(names, use_cases, kms_key_arn=kms_key_arn, strict=strict)
            ),
        )
        self.data_scientist_policy = IamRolePolicy(
            self,
            "data-scientist-policy",
            name=f"{names.role_name('data_scientist')}-pipelines",
            role=data_scientist_role.id,
            policy=document(*data_scientist_pipeline_statements(names, use_cases)),
        )
        self.approver_policy = IamRolePolicy(
            self,
            "approver-policy",
            name=f"{names.role_name('approver')}-pipelines",
            role=approver_role.id,
            policy=document(*lineage_reader_statements(names)),
        )
