"""The platform roles of one environment and their least-privilege policies.

Separation of duties: in a strict tier (staging, prod) only the approver role may change a model
version's ModelApprovalStatus or its model card; the data-scientist role is denied both
explicitly, so no later grant can reopen the path.

Each role is one function below returning its trust and permissions (:class:`RoleDocuments`) from
the environment's resource ARNs (:class:`EnvironmentArns`); :class:`PlatformRoles` creates them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from environments.naming import Names

from .policy import Statement, document, statement

#: Actions that change approval or card status: only the approver role in strict tiers.
APPROVAL_ACTIONS = ("sagemaker:UpdateModelPackage", "sagemaker:UpdateModelCard")

_REGISTRY_READ = (
    "sagemaker:DescribeModelPackage",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:ListModelPackages",
)
_CARD_READ = (
    "sagemaker:DescribeModelCard",
    "sagemaker:ListModelCardVersions",
)
_KEY_USE = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")
_OBJECT_READ_WRITE = ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject")


@dataclass(frozen=True)
class EnvironmentArns:
    """The resources of one environment that the role policies name (literal ARNs and patterns)."""

    account: str
    region: str
    bucket: str
    """The artifact bucket."""
    audit_prefix: str
    """Key prefix of the audit records in the artifact bucket."""
    ssm_prefix: str
    """Path under which the stack publishes its SSM parameters."""
    groups: tuple[str, ...]
    """One model package group per use case."""
    packages: tuple[str, ...]
    """The model package (version) pattern of each group."""
    kms_key: str
    """The platform key (a Terraform reference)."""

    @classmethod
    def of(cls, names: Names, use_cases: Sequence[str], kms_key_arn: str) -> EnvironmentArns:
        env = names.env
        return cls(
            account=env.account_id,
            region=env.region,
            bucket=names.artifact_bucket_arn,
            audit_prefix=names.audit_prefix,
            ssm_prefix=names.ssm_prefix,
            groups=tuple(names.model_package_group_arn(u) for u in use_cases),
            packages=tuple(names.model_package_arn_pattern(u) for u in use_cases),
            kms_key=kms_key_arn,
        )

    def sagemaker(self, resource: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account}:{resource}"

    @property
    def root(self) -> str:
        return f"arn:aws:iam::{self.account}:root"

    @property
    def cards(self) -> list[str]:
        return [self.sagemaker("model-card/*")]

    @property
    def models(self) -> str:
        """Model artifacts in the artifact bucket."""
        return f"{self.bucket}/models/*"

    @property
    def audit_records(self) -> str:
        return f"{self.bucket}/{self.audit_prefix}*"


@dataclass(frozen=True)
class RoleDocuments:
    """What one role is: who may assume it, and what it may do."""

    trust: list[Statement]
    permissions: list[Statement]


# -- statements and trusts several roles share ---------------------------------------------------
def _service_trust(
    sid: str,
    service: str,
    account: str,
    *,
    actions: Sequence[str] = ("sts:AssumeRole",),
    conditions: dict[str, Any] | None = None,
) -> Statement:
    """An AWS service may assume the role, acting for this account only (confused deputy)."""
    return statement(
        sid,
        actions,
        principal={"Service": service},
        condition={"StringEquals": {"aws:SourceAccount": account}, **(conditions or {})},
    )


def _account_trust(sid: str, arns: EnvironmentArns) -> Statement:
    """The account's root: IAM policies of this account decide who may assume the role."""
    return statement(sid, ["sts:AssumeRole"], principal={"AWS": arns.root})


def _use_platform_key(arns: EnvironmentArns) -> Statement:
    return statement("UsePlatformKey", _KEY_USE, [arns.kms_key])


def _platform_basics(arns: EnvironmentArns) -> list[Statement]:
    """What every human/job role needs: discover ids, write audit records and events."""
    return [
        statement(
            "ReadPlatformParameters",
            ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
            [f"arn:aws:ssm:{arns.region}:{arns.account}:parameter{arns.ssm_prefix}/*"],
        ),
        statement("WriteAuditRecords", ["s3:PutObject"], [arns.audit_records]),
        statement(
            "PublishAuditEvents",
            ["events:PutEvents"],
            [f"arn:aws:events:{arns.region}:{arns.account}:event-bus/default"],
        ),
        _use_platform_key(arns),
        statement("ListGroups", ["sagemaker:ListModelPackageGroups"], ["*"]),
    ]


def _model_development(arns: EnvironmentArns) -> list[Statement]:
    """Read and write model artifacts, register versions in this environment's groups."""
    return [
        statement("ReadWriteModelArtifacts", _OBJECT_READ_WRITE, [arns.models]),
        statement("ListArtifactBucket", ["s3:ListBucket"], [arns.bucket]),
        statement(
            "RegisterModelVersions",
            ["sagemaker:CreateModelPackage", *_REGISTRY_READ],
            [*arns.groups, *arns.packages],
        ),
    ]


# -- one function per role ------------------------------------------------------------------------
def execution_role(arns: EnvironmentArns) -> RoleDocuments:
    """SageMaker execution role: Studio apps and jobs of this account only."""
    return RoleDocuments(
        trust=[_service_trust("SageMakerOfThisAccount", "sagemaker.amazonaws.com", arns.account)],
        permissions=[
            *_platform_basics(arns),
            *_model_development(arns),
            statement(
                "JobLogs",
                ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                [f"arn:aws:logs:{arns.region}:{arns.account}:log-group:/aws/sagemaker/*"],
            ),
        ],
    )


def data_scientist_role(arns: EnvironmentArns, *, strict: bool) -> RoleDocuments:
    """Data scientist: register versions and edit Draft cards; approve only outside strict tiers."""
    if strict:
        # Resource "*": a deny narrowed to today's ARNs would leave every other card and package
        # open to a later Allow.
        approval = statement("SeparationOfDutiesNoApproval", APPROVAL_ACTIONS, ["*"], effect="Deny")
    else:
        approval = statement("DevSelfApproval", APPROVAL_ACTIONS, [*arns.packages, *arns.cards])
    return RoleDocuments(
        trust=[_account_trust("PeopleOfThisAccount", arns)],
        permissions=[
            *_platform_basics(arns),
            *_model_development(arns),
            statement("ReadModelCards", _CARD_READ, arns.cards),
            statement(
                "OpenStudio",
                ["sagemaker:CreatePresignedDomainUrl", "sagemaker:DescribeUserProfile"],
                [arns.sagemaker("user-profile/*/*")],
            ),
            approval,
        ],
    )


def approver_role(arns: EnvironmentArns, *, approvers: Sequence[str]) -> RoleDocuments:
    """Model approver: the only role that sets approval and card status in strict tiers; assumed
    by exactly the configured principals."""
    return RoleDocuments(
        trust=[statement("GovernanceOfficers", ["sts:AssumeRole"], principal={"AWS": sorted(approvers)})],
        permissions=[
            *_platform_basics(arns),
            statement(
                "ApproveModelVersions",
                [*APPROVAL_ACTIONS, *_REGISTRY_READ, *_CARD_READ],
                [*arns.groups, *arns.packages, *arns.cards],
            ),
            statement("ReadAuditRecords", ["s3:GetObject"], [arns.audit_records]),
            # The report finds each version's last audit entry by listing the audit prefix.
            statement(
                "ListAuditRecords",
                ["s3:ListBucket"],
                [arns.bucket],
                condition={"StringLike": {"s3:prefix": [f"{arns.audit_prefix}*"]}},
            ),
        ],
    )


def promotion_role(
    arns: EnvironmentArns, *, upstream: Names | None, use_cases: Sequence[str]
) -> RoleDocuments:
    """Promotion role: pull approved versions from upstream, write them here."""
    permissions = [
        *_platform_basics(arns),
        statement("WriteOwnArtifacts", _OBJECT_READ_WRITE, [arns.models]),
        statement("ListOwnArtifacts", ["s3:ListBucket"], [arns.bucket]),
        # Promotion lock and record (scripts/promote.py): resumable, one target per source.
        statement(
            "PromotionState",
            ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            [f"{arns.bucket}/promotions/*"],
        ),
        statement("AbortOwnMultipartCopies", ["s3:AbortMultipartUpload"], [arns.models]),
        statement(
            "RegisterPromotedVersions",
            ["sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage", *_REGISTRY_READ, *_CARD_READ],
            [*arns.groups, *arns.packages, *arns.cards],
        ),
        statement(
            "RecordLineage",
            ["sagemaker:AddAssociation", "sagemaker:CreateAction", "sagemaker:CreateArtifact"],
            [arns.sagemaker("action/*"), arns.sagemaker("artifact/*"), *arns.packages],
        ),
        # List calls of the lineage API support no resource-level permissions.
        statement(
            "ListLineage",
            ["sagemaker:ListActions", "sagemaker:ListArtifacts", "sagemaker:ListAssociations"],
            ["*"],
        ),
    ]
    if upstream is not None:
        permissions += _upstream_reads(upstream, use_cases)
    return RoleDocuments(trust=[_account_trust("PromoteJobsOfThisAccount", arns)], permissions=permissions)


def _upstream_reads(upstream: Names, use_cases: Sequence[str]) -> list[Statement]:
    """Read the upstream registry, bucket and key (their resource policies grant the same)."""
    up = upstream.env
    return [
        statement(
            "ReadUpstreamRegistry",
            [*_REGISTRY_READ, "sagemaker:UpdateModelPackage"],
            [upstream.model_package_group_arn(u) for u in use_cases]
            + [upstream.model_package_arn_pattern(u) for u in use_cases],
        ),
        statement(
            "ReadUpstreamArtifacts",
            ["s3:GetObject", "s3:GetObjectVersion"],
            [f"{upstream.artifact_bucket_arn}/*"],
        ),
        statement("ListUpstreamArtifacts", ["s3:ListBucket"], [upstream.artifact_bucket_arn]),
        # The upstream key id is random; its alias is a computed name.
        statement(
            "DecryptUpstreamArtifacts",
            ["kms:Decrypt", "kms:DescribeKey"],
            [f"arn:aws:kms:{up.region}:{up.account_id}:key/*"],
            condition={"ForAnyValue:StringEquals": {"kms:ResourceAliases": upstream.kms_alias}},
        ),
    ]


def datazone_role(arns: EnvironmentArns) -> RoleDocuments:
    """DataZone domain execution role: the service, acting for this account only."""
    return RoleDocuments(
        trust=[
            _service_trust(
                "DataZoneOfThisAccount",
                "datazone.amazonaws.com",
                arns.account,
                actions=("sts:AssumeRole", "sts:TagSession"),
                conditions={"ForAllValues:StringLike": {"aws:TagKeys": ["datazone*"]}},
            )
        ],
        permissions=[
            statement(
                "OperateDomainsOfThisAccount",
                [
                    "datazone:Get*",
                    "datazone:List*",
                    "datazone:Search*",
                    "datazone:CreateAsset",
                    "datazone:CreateListingChangeSet",
                    "datazone:StartDataSourceRun",
                ],
                [f"arn:aws:datazone:{arns.region}:{arns.account}:domain/*"],
            ),
            _use_platform_key(arns),
        ],
    )


class PlatformRoles(Construct):
    """SageMaker execution, data-scientist, model-approver, promotion and DataZone domain
    execution roles, named by ``Names.role_name``; ``self.roles[key]`` holds each."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        names: Names,
        upstream: Names | None,
        use_cases: tuple[str, ...],
        approvers: tuple[str, ...],
        strict: bool,
        kms_key_arn: str,
    ) -> None:
        """
        :param names: derived names of this environment (role names, bucket, groups, SSM prefix).
        :param upstream: names of the environment this one promotes from, if any; its registry,
            bucket and key are what the promotion role reads.
        :param use_cases: use case slugs; each has a model package group.
        :param approvers: principals (ARNs) allowed to assume the model-approver role.
        :param strict: staging/prod tier: the data scientist may not approve or edit cards.
        :param kms_key_arn: this environment's platform key.
        """
        super().__init__(scope, id)
        self._names = names
        arns = EnvironmentArns.of(names, use_cases, kms_key_arn)
        documents = {
            "execution": execution_role(arns),
            "data_scientist": data_scientist_role(arns, strict=strict),
            "approver": approver_role(arns, approvers=approvers),
            "promotion": promotion_role(arns, upstream=upstream, use_cases=use_cases),
            "datazone": datazone_role(arns),
        }
        self.roles: dict[str, IamRole] = {key: self._role(key, docs) for key, docs in documents.items()}

    def _role(self, key: str, documents: RoleDocuments) -> IamRole:
        """The role ``Names.role_name(key)`` and its inline policy (construct ids ``<key>`` and
        ``<key>-policy`` with dashes)."""
        names, slug = self._names, key.replace("_", "-")
        role = IamRole(
            self,
            slug,
            name=names.role_name(key),
            description=f"{names.base}: {key.replace('_', ' ')} role",
            assume_role_policy=document(*documents.trust),
            max_session_duration=3600,
        )
        IamRolePolicy(
            self,
            f"{slug}-policy",
            name=f"{names.role_name(key)}-policy",
            role=role.id,
            policy=document(*documents.permissions),
        )
        return role
