"""The platform roles of one environment and their least-privilege policies.

Separation of duties: in a strict tier (staging, prod) only the approver role may change a model
version's ModelApprovalStatus or its model card; the data-scientist role is denied both
explicitly, so no later grant can reopen the path.
"""

from __future__ import annotations

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
        env = names.env
        account, region = env.account_id, env.region
        self._names = names
        same_account = {"StringEquals": {"aws:SourceAccount": account}}
        account_root = {"AWS": f"arn:aws:iam::{account}:root"}

        bucket = names.artifact_bucket_arn
        groups = [names.model_package_group_arn(u) for u in use_cases]
        packages = [names.model_package_arn_pattern(u) for u in use_cases]
        cards = [f"arn:aws:sagemaker:{region}:{account}:model-card/*"]
        ssm_params = [f"arn:aws:ssm:{region}:{account}:parameter{names.ssm_prefix}/*"]
        event_bus = [f"arn:aws:events:{region}:{account}:event-bus/default"]

        def common(*, key_use: tuple[str, ...]) -> list[Statement]:
            """What every human/job role needs: discover ids, write audit records and events."""
            return [
                statement(
                    "ReadPlatformParameters",
                    ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                    ssm_params,
                ),
                statement("WriteAuditRecords", ["s3:PutObject"], [f"{bucket}/{names.audit_prefix}*"]),
                statement("PublishAuditEvents", ["events:PutEvents"], event_bus),
                statement("UsePlatformKey", key_use, [kms_key_arn]),
                statement("ListGroups", ["sagemaker:ListModelPackageGroups"], ["*"]),
            ]

        def role(key: str, trust: list[Statement], statements: list[Statement]) -> IamRole:
            r = IamRole(
                self,
                key.replace("_", "-"),
                name=names.role_name(key),
                description=f"{names.base}: {key.replace('_', ' ')} role",
                assume_role_policy=document(*trust),
                max_session_duration=3600,
            )
            IamRolePolicy(
                self,
                f"{key.replace('_', '-')}-policy",
                name=f"{names.role_name(key)}-policy",
                role=r.id,
                policy=document(*statements),
            )
            return r

        key_rw = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")
        self.roles: dict[str, IamRole] = {}

        # SageMaker execution role: Studio apps and jobs of this account only.
        self.roles["execution"] = role(
            "execution",
            [
                statement(
                    "SageMakerOfThisAccount",
                    ["sts:AssumeRole"],
                    principal={"Service": "sagemaker.amazonaws.com"},
                    condition=same_account,
                )
            ],
            [
                *common(key_use=key_rw),
                statement(
                    "ReadWriteModelArtifacts",
                    ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                    [f"{bucket}/models/*"],
                ),
                statement("ListArtifactBucket", ["s3:ListBucket"], [bucket]),
                statement(
                    "RegisterModelVersions",
                    ["sagemaker:CreateModelPackage", *_REGISTRY_READ],
                    groups + packages,
                ),
                statement(
                    "JobLogs",
                    ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    [f"arn:aws:logs:{region}:{account}:log-group:/aws/sagemaker/*"],
                ),
            ],
        )

        # Data scientist: register versions and edit Draft cards; approve only in dev.
        scientist: list[Statement] = [
            *common(key_use=key_rw),
            statement(
                "ReadWriteModelArtifacts",
                ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                [f"{bucket}/models/*"],
            ),
            statement("ListArtifactBucket", ["s3:ListBucket"], [bucket]),
            statement(
                "RegisterModelVersions",
                ["sagemaker:CreateModelPackage", *_REGISTRY_READ],
                groups + packages,
            ),
            statement("ReadModelCards", _CARD_READ, cards),
            statement(
                "OpenStudio",
                ["sagemaker:CreatePresignedDomainUrl", "sagemaker:DescribeUserProfile"],
                [f"arn:aws:sagemaker:{region}:{account}:user-profile/*/*"],
            ),
        ]
        if strict:
            scientist.append(
                statement("SeparationOfDutiesNoApproval", APPROVAL_ACTIONS, ["*"], effect="Deny")
            )
        else:
            scientist.append(statement("DevSelfApproval", APPROVAL_ACTIONS, packages + cards))
        self.roles["data_scientist"] = role(
            "data_scientist",
            [statement("PeopleOfThisAccount", ["sts:AssumeRole"], principal=account_root)],
            scientist,
        )

        # Model approver: the only role that sets approval and card status in strict tiers.
        self.roles["approver"] = role(
            "approver",
            [
                statement(
                    "GovernanceOfficers",
                    ["sts:AssumeRole"],
                    principal={"AWS": sorted(approvers)},
                )
            ],
            [
                *common(key_use=key_rw),
                statement(
                    "ApproveModelVersions",
                    [*APPROVAL_ACTIONS, *_REGISTRY_READ, *_CARD_READ],
                    groups + packages + cards,
                ),
                statement("ReadAuditRecords", ["s3:GetObject"], [f"{bucket}/{names.audit_prefix}*"]),
                # The report finds each version's last audit entry by listing the audit prefix.
                statement(
                    "ListAuditRecords",
                    ["s3:ListBucket"],
                    [bucket],
                    condition={"StringLike": {"s3:prefix": [f"{names.audit_prefix}*"]}},
                ),
            ],
        )

        # Promotion role: pull approved versions from upstream, write them here.
        promotion: list[Statement] = [
            *common(key_use=key_rw),
            statement(
                "WriteOwnArtifacts",
                ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                [f"{bucket}/models/*"],
            ),
            statement("ListOwnArtifacts", ["s3:ListBucket"], [bucket]),
            # Promotion lock and record (scripts/promote.py): resumable, one target per source.
            statement(
                "PromotionState",
                ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                [f"{bucket}/promotions/*"],
            ),
            statement("AbortOwnMultipartCopies", ["s3:AbortMultipartUpload"], [f"{bucket}/models/*"]),
            statement(
                "RegisterPromotedVersions",
                [
                    "sagemaker:CreateModelPackage",
                    "sagemaker:UpdateModelPackage",
                    *_REGISTRY_READ,
                    *_CARD_READ,
                ],
                groups + packages + cards,
            ),
            statement(
                "RecordLineage",
                ["sagemaker:AddAssociation", "sagemaker:CreateAction", "sagemaker:CreateArtifact"],
                [
                    f"arn:aws:sagemaker:{region}:{account}:action/*",
                    f"arn:aws:sagemaker:{region}:{account}:artifact/*",
                    *packages,
                ],
            ),
            # List calls of the lineage API support no resource-level permissions.
            statement(
                "ListLineage",
                ["sagemaker:ListActions", "sagemaker:ListArtifacts", "sagemaker:ListAssociations"],
                ["*"],
            ),
        ]
        if upstream is not None:
            up = upstream.env
            promotion += [
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
        self.roles["promotion"] = role(
            "promotion",
            [statement("PromoteJobsOfThisAccount", ["sts:AssumeRole"], principal=account_root)],
            promotion,
        )

        # DataZone domain execution role: the service, acting for this account only.
        self.roles["datazone"] = role(
            "datazone",
            [
                statement(
                    "DataZoneOfThisAccount",
                    ["sts:AssumeRole", "sts:TagSession"],
                    principal={"Service": "datazone.amazonaws.com"},
                    condition={
                        "StringEquals": {"aws:SourceAccount": account},
                        "ForAllValues:StringLike": {"aws:TagKeys": ["datazone*"]},
                    },
                )
            ],
            [
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
                    [f"arn:aws:datazone:{region}:{account}:domain/*"],
                ),
                statement("UsePlatformKey", key_rw, [kms_key_arn]),
            ],
        )

    def arn(self, key: str) -> str:
        """ARN of the role by key (a literal computed from names, valid before apply)."""
        return self._names.role_arn(key)
