"""The platform roles of one environment and their least-privilege policies.

Separation of duties: in a strict tier (staging, prod) only the approver role may change a model
version's ModelApprovalStatus or its model card. Every other role that can register versions (the
execution role, which runs whatever a Studio user runs; the data scientist; the promotion role) is
denied both explicitly, and denied registering a version already ``Approved``, so no later grant
can reopen the path. No role of a downstream environment may change an upstream version at all.

Each role is one function below returning its trust and permissions (:class:`RoleDocuments`) from
the environment's resource ARNs (:class:`EnvironmentArns`); :class:`PlatformRoles` creates them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from environments.naming import Names

from .policy import Statement, document, statement

#: Actions that change approval or card status: only the approver role in strict tiers.
APPROVAL_ACTIONS = ("sagemaker:UpdateModelPackage", "sagemaker:UpdateModelCard")
#: The AWS managed policy the DataZone documentation attaches to the domain execution role
#: (docs/aws-references.md); it carries every DataZone API the data portal calls.
DATAZONE_EXECUTION_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonDataZoneDomainExecutionRolePolicy"

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
    managed_policies: tuple[str, ...] = ()
    """AWS managed policies attached beside the inline policy."""


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


def _registry_key_grants(arns: EnvironmentArns) -> Statement:
    """SageMaker creates grants on the platform key as the caller when a model package or card
    is written under it (``SecurityConfig.KmsKeyId``); AWS's ``AmazonSageMakerModelRegistryFullAccess``
    grants ``kms:CreateGrant`` for exactly this, through SageMaker only."""
    return statement(
        "RegistryKeyGrantsThroughSageMaker",
        ["kms:CreateGrant"],
        [arns.kms_key],
        condition={
            "StringEquals": {"kms:ViaService": f"sagemaker.{arns.region}.amazonaws.com"},
            "Bool": {"kms:GrantIsForAWSResource": "true"},
        },
    )


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
        _registry_key_grants(arns),
        statement("ListGroups", ["sagemaker:ListModelPackageGroups"], ["*"]),
    ]


def _separation_of_duties(*, strict: bool) -> list[Statement]:
    """In strict tiers: no approval by this role, not by update and not at registration.

    Resource "*": a deny narrowed to today's ARNs would leave every other card and package open to
    a later Allow. CreateModelPackage may set ``ModelApprovalStatus`` itself; IAM exposes it as
    ``sagemaker:ModelApprovalStatus``, so registering an already approved version is denied while
    registering a pending one (the default when the key is absent) stays allowed. The card status
    at registration has no condition key: ``promote`` registers cards PendingReview.
    """
    if not strict:
        return []
    return [
        statement("SeparationOfDutiesNoApproval", APPROVAL_ACTIONS, ["*"], effect="Deny"),
        statement(
            "SeparationOfDutiesNoApprovedRegistration",
            ["sagemaker:CreateModelPackage"],
            ["*"],
            effect="Deny",
            condition={"StringEquals": {"sagemaker:ModelApprovalStatus": "Approved"}},
        ),
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
def execution_role(arns: EnvironmentArns, *, strict: bool) -> RoleDocuments:
    """SageMaker execution role: Studio apps and jobs of this account only. In IAM-auth Studio it
    is also the identity of the Studio web UI (``studio_statements``)."""
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
            *_separation_of_duties(strict=strict),
        ],
    )


def studio_statements(arns: EnvironmentArns, *, domain_id: str, role_arn: str) -> list[Statement]:
    """What the execution role needs for a user to open this Studio domain and run a JupyterLab
    space in it (IAM auth: the Studio UI calls SageMaker with the execution role's credentials).

    Scoped to this domain's ARNs (Service Authorization Reference: ``domain/<id>``,
    ``user-profile/<id>/<name>``, ``space/<id>/<name>``, ``app/<id>/<owner>/<type>/<name>``).
    CreatePresignedDomainUrl is not granted: it is the human's call (data-scientist role), and
    granted to the execution role it would let code in any space mint a login URL for any other
    user profile of the domain.

    :param domain_id: the Studio domain id (a Terraform reference).
    :param role_arn: the execution role itself (PassRole when Studio creates a space or app).
    """

    def this_domain(resource: str) -> str:
        return arns.sagemaker(f"{resource}/{domain_id}")

    return [
        statement(
            "OpenStudioDomain",
            ["sagemaker:DescribeDomain", "sagemaker:DescribeUserProfile"],
            [this_domain("domain"), f"{this_domain('user-profile')}/*"],
        ),
        statement(
            "ManageSpacesAndApps",
            [
                "sagemaker:CreateApp",
                "sagemaker:CreateSpace",
                "sagemaker:DeleteApp",
                "sagemaker:DeleteSpace",
                "sagemaker:DescribeApp",
                "sagemaker:DescribeSpace",
                "sagemaker:UpdateSpace",
            ],
            [f"{this_domain('space')}/*", f"{this_domain('app')}/*"],
        ),
        # The Studio UI tags a space when it creates it (AmazonSageMakerFullAccess grants the
        # same AddTags, limited to sagemaker:TaggingAction CreateSpace).
        statement(
            "TagNewSpaces",
            ["sagemaker:AddTags"],
            [f"{this_domain('space')}/*"],
            condition={"StringEquals": {"sagemaker:TaggingAction": "CreateSpace"}},
        ),
        # The Studio UI lists the domain's user profiles, spaces and apps (the list calls of the
        # Developer Guide's "Give your users access to spaces",
        # https://docs.aws.amazon.com/sagemaker/latest/dg/studio-updated-jl-admin-guide-permissions.html).
        # List calls support no resource-level permissions (Service Authorization Reference): a
        # resource ARN here would deny them.
        statement(
            "ListStudioResources",
            [
                "sagemaker:ListApps",
                "sagemaker:ListDomains",
                "sagemaker:ListSpaces",
                "sagemaker:ListUserProfiles",
            ],
            ["*"],
        ),
        statement(
            "PassItselfToSageMaker",
            ["iam:PassRole"],
            [role_arn],
            condition={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ),
        # The domain's volumes are encrypted with the platform key: SageMaker creates grants on
        # it for each app, as the caller.
        statement(
            "GrantDomainKeyToSageMaker",
            ["kms:CreateGrant"],
            [arns.kms_key],
            condition={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
    ]


def data_scientist_role(arns: EnvironmentArns, *, strict: bool) -> RoleDocuments:
    """Data scientist: register versions and edit Draft cards; approve only outside strict tiers."""
    if strict:
        approval = _separation_of_duties(strict=True)
    else:
        approval = [statement("DevSelfApproval", APPROVAL_ACTIONS, [*arns.packages, *arns.cards])]
    return RoleDocuments(
        trust=[_account_trust("PeopleOfThisAccount", arns)],
        permissions=[
            *_platform_basics(arns),
            *_model_development(arns),
            statement("ReadModelCards", _CARD_READ, arns.cards),
            # Registration (seed, register) records dataset -> training -> model -> package
            # lineage (scripts/governance/lineage.py); the List calls take no resource ARN.
            statement(
                "RecordRegistrationLineage",
                ["sagemaker:AddAssociation", "sagemaker:CreateAction", "sagemaker:CreateArtifact"],
                [arns.sagemaker("action/*"), arns.sagemaker("artifact/*")],
            ),
            statement(
                "FindLineage",
                ["sagemaker:ListActions", "sagemaker:ListArtifacts", "sagemaker:ListAssociations"],
                ["*"],
            ),
            statement(
                "OpenStudio",
                ["sagemaker:CreatePresignedDomainUrl", "sagemaker:DescribeUserProfile"],
                [arns.sagemaker("user-profile/*/*")],
            ),
            *approval,
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
            # The report reads whole versions 100 at a time (Search) and walks their lineage;
            # Search and the lineage List calls support no resource-level permissions.
            statement(
                "ReportSearchAndLineage",
                ["sagemaker:Search", "sagemaker:ListArtifacts", "sagemaker:ListAssociations"],
                ["*"],
            ),
            statement(
                "ReportDescribeLineage",
                ["sagemaker:DescribeAction", "sagemaker:DescribeArtifact"],
                [arns.sagemaker("action/*"), arns.sagemaker("artifact/*")],
            ),
            # `mlgov stage --status Deployed` records a ModelDeployment action fed by the
            # version's package artifact (scripts/governance/review.py, lineage.record_deployment).
            statement(
                "RecordDeployments",
                ["sagemaker:AddAssociation", "sagemaker:CreateAction", "sagemaker:CreateArtifact"],
                [arns.sagemaker("action/*"), arns.sagemaker("artifact/*")],
            ),
            statement("FindDeployments", ["sagemaker:ListActions"], ["*"]),
        ],
    )


def promotion_role(
    arns: EnvironmentArns, *, upstream: Names | None, use_cases: Sequence[str], strict: bool
) -> RoleDocuments:
    """Promotion role: pull approved versions from upstream, register them here.

    It never holds UpdateModelPackage, in any tier: IAM cannot limit that action to some of its
    parameters, so holding it means being able to approve. Registration carries everything the
    target version needs at CreateModelPackage (card, lifecycle, metadata, lineage source); the
    upstream version is only read. In strict tiers it is also denied approval explicitly.
    """
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
            ["sagemaker:CreateModelPackage", *_REGISTRY_READ, *_CARD_READ],
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
    permissions += _separation_of_duties(strict=strict)
    return RoleDocuments(trust=[_account_trust("PromoteJobsOfThisAccount", arns)], permissions=permissions)


def _upstream_reads(upstream: Names, use_cases: Sequence[str]) -> list[Statement]:
    """Read the upstream registry, bucket and key (their resource policies grant the same)."""
    up = upstream.env
    return [
        statement(
            "ReadUpstreamRegistry",
            _REGISTRY_READ,
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
    """DataZone domain execution role as the DataZone documentation defines it: the service, acting
    for this account only (``aws:SourceAccount``, session tags ``datazone*``), with the AWS managed
    ``AmazonDataZoneDomainExecutionRolePolicy``. The managed policy grants no KMS use; the domain is
    encrypted with the platform key, so the inline policy adds exactly that."""
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
        permissions=[_use_platform_key(arns)],
        managed_policies=(DATAZONE_EXECUTION_POLICY_ARN,),
    )


def datazone_project_statements(*, domain_account: str, region: str) -> list[Statement]:
    """The data scientist of an account associated with the DataZone domain of ``domain_account``:
    find the domain and create and read projects in it.

    Cross-account DataZone calls need both halves: the RAM share's permission (what the domain's
    account lets associated accounts do, modules/datazone.py) and the caller's own IAM policy
    (DataZone User Guide, "Associated accounts in Amazon DataZone"; Service Authorization
    Reference, "Actions defined by Amazon DataZone": GetDomain takes the ``domain`` resource, whose
    id is generated, so the statement names the domain account's domains; CreateProject,
    GetProject and ListProjects take no resource type, hence ``*``).
    """
    return [
        statement(
            "FindAssociatedDomain",
            ["datazone:GetDomain"],
            [f"arn:aws:datazone:{region}:{domain_account}:domain/*"],
        ),
        # The Service Authorization Reference lists no resource type for these actions: a
        # resource ARN would never match, so they take "*" (the domain's RAM share and DataZone's
        # own project membership are what limit them).
        statement(
            "ProjectsInAssociatedDomain",
            ["datazone:CreateProject", "datazone:GetProject", "datazone:ListProjects"],
            ["*"],
        ),
    ]


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
        :param strict: staging/prod tier: only the approver may approve or edit cards; the
            execution, data-scientist and promotion roles are denied it.
        :param kms_key_arn: this environment's platform key.
        """
        super().__init__(scope, id)
        self._names = names
        self._arns = EnvironmentArns.of(names, use_cases, kms_key_arn)
        arns = self._arns
        documents = {
            "execution": execution_role(arns, strict=strict),
            "data_scientist": data_scientist_role(arns, strict=strict),
            "approver": approver_role(arns, approvers=approvers),
            "promotion": promotion_role(arns, upstream=upstream, use_cases=use_cases, strict=strict),
            "datazone": datazone_role(arns),
        }
        self.roles: dict[str, IamRole] = {key: self._role(key, docs) for key, docs in documents.items()}
        self.studio_policy: IamRolePolicy | None = None
        self.datazone_policy: IamRolePolicy | None = None

    def grant_studio(self, *, domain_id: str) -> IamRolePolicy:
        """The execution role's Studio permissions (``studio_statements``) for the domain
        ``domain_id``, as a second inline policy ``execution-studio-policy``: the domain is created
        after the role (it names the role as its default execution role), so the policy that names
        the domain comes after both."""
        names = self._names
        self.studio_policy = IamRolePolicy(
            self,
            "execution-studio-policy",
            name=f"{names.role_name('execution')}-studio",
            role=self.roles["execution"].id,
            policy=document(
                *studio_statements(self._arns, domain_id=domain_id, role_arn=names.role_arn("execution"))
            ),
        )
        return self.studio_policy

    def grant_datazone_projects(self, *, domain_account: str, region: str) -> IamRolePolicy:
        """The data-scientist role's use of the DataZone domain this account is associated with
        (``datazone_project_statements``), as a second inline policy ``data-scientist-datazone``
        so the role's own policy, and its address, stay as they are."""
        names = self._names
        self.datazone_policy = IamRolePolicy(
            self,
            "data-scientist-datazone-policy",
            name=f"{names.role_name('data_scientist')}-datazone",
            role=self.roles["data_scientist"].id,
            policy=document(*datazone_project_statements(domain_account=domain_account, region=region)),
        )
        return self.datazone_policy

    def _role(self, key: str, documents: RoleDocuments) -> IamRole:
        """The role ``Names.role_name(key)``, its inline policy and its managed policies (construct
        ids ``<key>``, ``<key>-policy`` and ``<key>-<managed policy name>``, key with dashes)."""
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
        for arn in documents.managed_policies:
            IamRolePolicyAttachment(self, f"{slug}-{arn.rsplit('/', 1)[-1]}", role=role.name, policy_arn=arn)
        return role
