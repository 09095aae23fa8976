"""The platform roles of one environment and their least-privilege policies.

Separation of duties (docs/THREAT_MODEL.md): in a strict tier (staging, prod) each governance
asset has one writer.

- Only the **promotion** role registers versions (CreateModelPackage) and writes ``models/*``;
  every other role is denied both explicitly (and the group and bucket policies deny every other
  principal, ``modules/registry.py``, ``modules/artifacts.py``).
- Only the **approver** role changes a version's ModelApprovalStatus or its card, and it may
  approve only a version whose gate record (``mlgov-gates``, written at creation by the promotion
  role) says ``passed``.
- No role changes a version's ``mlgov-*`` metadata after creation (the governance metadata guard,
  :func:`governance_metadata_guard`), and only the promotion role may write the keys promotion
  writes at creation.
- Each person-facing role trusts exactly the principals the environment file names
  (``data_scientists``, ``approvers``, ``promotion_operators``; the promotion role also the CI
  promote job's GitHub environment), never the account root, and lets them carry their
  ``sts:SourceIdentity`` in (issue 20: the audit trail names the person).

In dev, versions are born: the data scientist and execution roles register and write artifacts,
and the data scientist approves. No role of a downstream environment may change an upstream
version at all.

Each role is one function below returning its trust and permissions (:class:`RoleDocuments`) from
the environment's resource ARNs (:class:`EnvironmentArns`); :class:`PlatformRoles` creates them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from environments.naming import Names

from .policy import PEOPLE_TRUST_ACTIONS, Statement, document, people_trust, statement, variable

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
_OBJECT_READ = ("s3:GetObject", "s3:GetObjectVersion")
_OBJECT_READ_WRITE = (*_OBJECT_READ, "s3:PutObject")

#: The ``mlgov-*`` metadata keys a version carries (scripts/governance/metadata.py spells them for
#: the jobs; tests/unit/test_constructs.py keeps the two lists equal). Registration and promotion
#: write them at CreateModelPackage; no role changes them afterwards.
GOVERNANCE_METADATA_KEYS = (
    "mlgov-idempotency-key",
    "mlgov-run-key",
    "mlgov-version-label",
    "mlgov-data-sha256",
    "mlgov-model-sha256",
    "mlgov-report-sha256",
    "mlgov-source-arn",
    "mlgov-source-account",
    "mlgov-source-env",
    "mlgov-source-version",
    "mlgov-promotion-token",
    "mlgov-gates",
    "mlgov-gate-results",
)
#: Written by promotion only, on the version it creates: where the version came from and the gate
#: record. Nobody else may set them, at creation or later.
PROMOTION_METADATA_KEYS = (
    "mlgov-source-arn",
    "mlgov-source-account",
    "mlgov-source-env",
    "mlgov-source-version",
    "mlgov-promotion-token",
    "mlgov-gates",
    "mlgov-gate-results",
)
#: Prefix of the per-environment keys earlier releases wrote on the source version.
PROMOTED_TO_PREFIX = "mlgov-promoted-to-"
#: The gate record a strict tier's approval requires: ``mlgov-gates`` = ``passed``.
GATE_RECORD_KEY = "mlgov-gates"
GATES_PASSED = "passed"


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
    promotion_role: str
    """This environment's promotion role: in a strict tier the one writer of versions and
    ``models/*``."""
    approver_role: str
    """This environment's approver role."""
    monitoring_prefix: str = "monitoring/"
    """Key prefix of the monitor reports (Model Monitor's and the bias-drift check's)."""

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
            promotion_role=names.role_arn("promotion"),
            approver_role=names.role_arn("approver"),
            monitoring_prefix=names.monitoring_prefix,
        )

    def via(self, *services: str) -> dict[str, Any]:
        """``kms:ViaService`` of ``services`` in this region (a KMS use those services make for
        the caller, never a direct call)."""
        return {"StringEquals": {"kms:ViaService": [f"{s}.{self.region}.amazonaws.com" for s in services]}}

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


def _use_platform_key(arns: EnvironmentArns) -> Statement:
    """The platform key, only as S3 (SSE-KMS objects: artifacts, reports, audit records) and
    SageMaker (registry and card content) use it for the caller: no role calls KMS itself."""
    return statement(
        "UsePlatformKeyThroughS3AndSageMaker", _KEY_USE, [arns.kms_key], condition=arns.via("s3", "sagemaker")
    )


def _registry_key_grants(arns: EnvironmentArns) -> Statement:
    """SageMaker creates grants on the platform key as the caller when a model package or card
    is written under it (``SecurityConfig.KmsKeyId``); AWS's ``AmazonSageMakerModelRegistryFullAccess``
    grants ``kms:CreateGrant`` (with DescribeKey, GenerateDataKey, Decrypt: ``UsePlatformKey...``)
    for exactly this, through SageMaker only (docs/aws-references.md)."""
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


def _separation_of_duties(arns: EnvironmentArns, *, strict: bool) -> list[Statement]:
    """In strict tiers, for every role but the approver and the promotion role: no approval, no
    registration, no artifact write.

    Resource "*": a deny narrowed to today's ARNs would leave every other card and package open to
    a later Allow (an AWS managed policy attached by hand, say). The group and bucket policies deny
    the same to every principal but the one writer (``modules/registry.py``,
    ``modules/artifacts.py``); these statements hold even where a resource policy is removed.
    """
    if not strict:
        return []
    return [
        statement("SeparationOfDutiesNoApproval", APPROVAL_ACTIONS, ["*"], effect="Deny"),
        _strict_no_registration(),
        statement("StrictTierNoArtifactWrites", ["s3:PutObject"], [arns.models], effect="Deny"),
    ]


def _strict_no_registration() -> Statement:
    """Strict tiers: versions enter only by promotion (the promotion role's CreateModelPackage,
    gates checked first); nobody else registers one, pending or approved."""
    return statement(
        "StrictTierOnlyPromotionRegisters", ["sagemaker:CreateModelPackage"], ["*"], effect="Deny"
    )


def _approval_needs_gate_record() -> Statement:
    """Strict tiers: a version may be approved only when its gate record (``mlgov-gates``, written
    at CreateModelPackage by the promotion role, which passed every gate of this environment
    first) says ``passed``. ``sagemaker:CurrentCustomerMetadataProperties/<key>`` is the version's
    current value (Service Authorization Reference, UpdateModelPackage); absent, ``StringNotEquals``
    is true, so a version without a record cannot be approved."""
    return statement(
        "StrictTierApprovalNeedsGateRecord",
        ["sagemaker:UpdateModelPackage"],
        ["*"],
        effect="Deny",
        condition={
            "StringEquals": {"sagemaker:ModelApprovalStatus": "Approved"},
            "StringNotEquals": {
                f"sagemaker:CurrentCustomerMetadataProperties/{GATE_RECORD_KEY}": GATES_PASSED
            },
        },
    )


def _sid(key: str) -> str:
    """``mlgov-model-sha256`` -> ``MlgovModelSha256`` (a statement id)."""
    return "".join(part.capitalize() for part in key.split("-"))


def governance_metadata_guard(arns: EnvironmentArns, *, environments: Sequence[str]) -> list[Statement]:
    """The ``mlgov-*`` metadata of a version cannot be changed after creation: UpdateModelPackage
    may neither set nor remove an ``mlgov-*`` key. One statement per key on
    ``sagemaker:CustomerMetadataProperties/<key>`` (IAM has no wildcard in a condition key's
    name) and one on the list ``sagemaker:CustomerMetadataPropertiesToRemove`` (both condition
    keys of UpdateModelPackage in the Service Authorization Reference). So the checksum written at
    registration, and the gate record and source written by the promotion role, stay as written.
    A managed policy of its own (a role's inline policies share 10,240 characters), attached to
    every role that can register or update versions (``PlatformRoles``).

    :param environments: every environment of the platform (the ``mlgov-promoted-to-<env>`` keys
        of earlier releases, which the report still reads).
    """
    keys = [*GOVERNANCE_METADATA_KEYS, *(f"{PROMOTED_TO_PREFIX}{e}" for e in sorted(environments))]
    update = [
        statement(
            f"Keep{_sid(key)}",
            ["sagemaker:UpdateModelPackage"],
            ["*"],
            effect="Deny",
            condition={"Null": {f"sagemaker:CustomerMetadataProperties/{key}": "false"}},
        )
        for key in keys
    ]
    remove = statement(
        "KeepEveryMlgovKey",
        ["sagemaker:UpdateModelPackage"],
        ["*"],
        effect="Deny",
        condition={"ForAnyValue:StringLike": {"sagemaker:CustomerMetadataPropertiesToRemove": ["mlgov-*"]}},
    )
    return [*update, remove]


def registration_guard(arns: EnvironmentArns) -> list[Statement]:
    """CreateModelPackage may carry the keys only promotion writes (source, token, gate record)
    only as the promotion role: nobody registers a version that claims to come from upstream or
    to have passed the gates. Attached like :func:`governance_metadata_guard`."""
    return [
        statement(
            f"OnlyPromotionWrites{_sid(key)}",
            ["sagemaker:CreateModelPackage"],
            ["*"],
            effect="Deny",
            condition={
                "Null": {f"sagemaker:CustomerMetadataProperties/{key}": "false"},
                "ArnNotEquals": {"aws:PrincipalArn": arns.promotion_role},
            },
        )
        for key in PROMOTION_METADATA_KEYS
    ]


def _model_development(arns: EnvironmentArns, *, strict: bool) -> list[Statement]:
    """Dev: read and write model artifacts, register versions in this environment's groups.
    Strict tiers: read them (validation, serving) and the registry; the writer is promotion."""
    if strict:
        return [
            statement("ReadModelArtifacts", _OBJECT_READ, [arns.models]),
            statement("ListArtifactBucket", ["s3:ListBucket"], [arns.bucket]),
            statement("ReadModelVersions", _REGISTRY_READ, [*arns.groups, *arns.packages]),
        ]
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
    is also the identity of the Studio web UI (``studio_statements``); the domain passes the user
    profile's name as the session's source identity (``ExecutionRoleIdentityConfig``,
    ``modules/studio.py``), so its trust lets SageMaker set one."""
    return RoleDocuments(
        trust=[
            _service_trust(
                "SageMakerOfThisAccount",
                "sagemaker.amazonaws.com",
                arns.account,
                actions=PEOPLE_TRUST_ACTIONS,
            )
        ],
        permissions=[
            *_platform_basics(arns),
            *_model_development(arns, strict=strict),
            statement(
                "JobLogs",
                ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                [f"arn:aws:logs:{arns.region}:{arns.account}:log-group:/aws/sagemaker/*"],
            ),
            *_separation_of_duties(arns, strict=strict),
        ],
    )


def studio_statements(arns: EnvironmentArns, *, domain_id: str, role_arn: str) -> list[Statement]:
    """What the execution role needs for a user to open this Studio domain and run a JupyterLab
    space in it (IAM auth: the Studio UI calls SageMaker with the execution role's credentials),
    and no more: a user manages only their own spaces and apps (``${aws:SourceIdentity}``, the
    user profile name the domain sets), runs apps in shared spaces, and sees the others'.

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

    user = variable("aws:SourceIdentity")
    own_profile = f"{this_domain('user-profile')}/{user}"

    return [
        statement(
            "OpenStudioDomain",
            ["sagemaker:DescribeDomain", "sagemaker:DescribeUserProfile"],
            [this_domain("domain"), f"{this_domain('user-profile')}/*"],
        ),
        # Spaces: a user manages their own spaces (private or shared) and nobody else's. The
        # domain makes the user profile's name the session's source identity
        # (ExecutionRoleIdentityConfig USER_PROFILE_NAME), so ${aws:SourceIdentity} is the
        # user; a session without one (not opened from this domain's Studio) matches nothing.
        # The conditions are the Developer Guide's "Give your users access to spaces", with the
        # source identity in place of a per-user role.
        statement(
            "ManageOwnSpaces",
            ["sagemaker:CreateSpace", "sagemaker:DeleteSpace", "sagemaker:UpdateSpace"],
            [f"{this_domain('space')}/*"],
            condition={"ArnEquals": {"sagemaker:OwnerUserProfileArn": own_profile}},
        ),
        statement(
            "AppsInOwnSpaces",
            ["sagemaker:CreateApp", "sagemaker:DeleteApp"],
            [f"{this_domain('app')}/*"],
            condition={"ArnEquals": {"sagemaker:OwnerUserProfileArn": own_profile}},
        ),
        # A shared space is for every user of the domain: anyone may run its apps (not delete
        # or change the space: only its owner, above).
        statement(
            "AppsInSharedSpaces",
            ["sagemaker:CreateApp", "sagemaker:DeleteApp"],
            [f"{this_domain('app')}/*"],
            condition={"StringEquals": {"sagemaker:SpaceSharingType": "Shared"}},
        ),
        statement(
            "SeeSpacesAndApps",
            ["sagemaker:DescribeApp", "sagemaker:DescribeSpace"],
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


def data_scientist_role(arns: EnvironmentArns, *, strict: bool, people: Sequence[str]) -> RoleDocuments:
    """Data scientist: in dev, register versions, edit Draft cards and approve; in strict tiers,
    read (validation). Assumed by exactly ``people`` (``data_scientists`` of the environment)."""
    if strict:
        approval = _separation_of_duties(arns, strict=True)
    else:
        approval = [statement("DevSelfApproval", APPROVAL_ACTIONS, [*arns.packages, *arns.cards])]
    lineage = (
        []
        if strict
        else [
            # Registration (seed, register) records dataset -> training -> model -> package
            # lineage (scripts/governance/lineage.py); the List calls take no resource ARN.
            # `mlgov pipeline start` marks the input's dataset artifact with its DataZone asset
            # (UpdateArtifact).
            statement(
                "RecordRegistrationLineage",
                [
                    "sagemaker:AddAssociation",
                    "sagemaker:CreateAction",
                    "sagemaker:CreateArtifact",
                    "sagemaker:UpdateArtifact",
                ],
                [arns.sagemaker("action/*"), arns.sagemaker("artifact/*")],
            )
        ]
    )
    return RoleDocuments(
        trust=people_trust("NamedDataScientists", people),
        permissions=[
            *_platform_basics(arns),
            *_model_development(arns, strict=strict),
            statement("ReadModelCards", _CARD_READ, arns.cards),
            *lineage,
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


def approver_role(arns: EnvironmentArns, *, approvers: Sequence[str], strict: bool) -> RoleDocuments:
    """Model approver: the only role that sets approval and card status in strict tiers; assumed
    by exactly the configured principals. In strict tiers it approves only versions whose gate
    record says passed, and never registers one."""
    strict_denies = [_approval_needs_gate_record(), _strict_no_registration()] if strict else []
    return RoleDocuments(
        trust=people_trust("GovernanceOfficers", approvers),
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
            # The report shows a served version's monitor results: it lists the monitoring prefix
            # and reads the violation files only (not the captured data, not the statistics).
            statement(
                "ReadMonitorViolations",
                ["s3:GetObject"],
                [f"{arns.bucket}/{arns.monitoring_prefix}*/constraint_violations.json"],
            ),
            statement(
                "ListMonitorReports",
                ["s3:ListBucket"],
                [arns.bucket],
                condition={"StringLike": {"s3:prefix": [f"{arns.monitoring_prefix}*"]}},
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
            *strict_denies,
        ],
    )


def promotion_role(
    arns: EnvironmentArns,
    *,
    upstream: Names | None,
    use_cases: Sequence[str],
    strict: bool,
    operators: Sequence[str],
    ci_subjects: Sequence[str] = (),
    oidc_provider_arn: str | None = None,
) -> RoleDocuments:
    """Promotion role: pull approved versions from upstream, register them here; in strict tiers
    the one writer of versions and of ``models/*`` (write-once: the bucket policy requires
    ``If-None-Match: *``).

    Assumed by the CI promote job (GitHub OIDC, ``ci_subjects``: the ``<env>-promotion`` GitHub
    environment, whose reviewers approve each run) and by ``operators`` (``promotion_operators``),
    nobody else. It never holds UpdateModelPackage, in any tier: IAM cannot limit that action to
    some of its parameters, so holding it means being able to approve. Registration carries
    everything the target version needs at CreateModelPackage (card, lifecycle, metadata, the
    gate record, lineage source); the upstream version is only read. In strict tiers it is also
    denied approval explicitly, and registering a version already approved.
    """
    permissions = [
        *_platform_basics(arns),
        statement("WriteOwnArtifacts", _OBJECT_READ_WRITE, [arns.models]),
        statement("ListOwnArtifacts", ["s3:ListBucket"], [arns.bucket]),
        # Promotion lock and record (scripts/governance/promote/): resumable, one target per source.
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
    if strict:
        permissions += [
            statement("SeparationOfDutiesNoApproval", APPROVAL_ACTIONS, ["*"], effect="Deny"),
            statement(
                "SeparationOfDutiesNoApprovedRegistration",
                ["sagemaker:CreateModelPackage"],
                ["*"],
                effect="Deny",
                condition={"StringEquals": {"sagemaker:ModelApprovalStatus": "Approved"}},
            ),
        ]
    trust = people_trust("PromotionOperators", operators)
    if ci_subjects and oidc_provider_arn:
        trust.insert(0, github_trust("CiPromoteJob", oidc_provider_arn, ci_subjects))
    return RoleDocuments(trust=trust, permissions=permissions)


#: GitHub Actions' OIDC issuer host and the audience its tokens carry for AWS.
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"


def github_trust(sid: str, oidc_provider_arn: str, subjects: Sequence[str]) -> Statement:
    """GitHub Actions jobs whose OIDC token's ``sub`` is exactly one of ``subjects`` (and whose
    audience is STS), through the account's GitHub OIDC provider (``oidc_provider_arn``: an ARN or
    a Terraform reference to the provider)."""
    return statement(
        sid,
        ["sts:AssumeRoleWithWebIdentity"],
        principal={"Federated": oidc_provider_arn},
        condition={
            "StringEquals": {
                f"{GITHUB_OIDC_HOST}:aud": GITHUB_OIDC_AUDIENCE,
                f"{GITHUB_OIDC_HOST}:sub": list(subjects),
            }
        },
    )


def _upstream_reads(upstream: Names, use_cases: Sequence[str]) -> list[Statement]:
    """Read the upstream registry, its approved artifacts (``models/*`` only: not its audit
    records nor its promotion state) and its key; their resource policies grant the same."""
    up = upstream.env
    models = f"{upstream.artifact_bucket_arn}/models/*"
    return [
        statement(
            "ReadUpstreamRegistry",
            _REGISTRY_READ,
            [upstream.model_package_group_arn(u) for u in use_cases]
            + [upstream.model_package_arn_pattern(u) for u in use_cases],
        ),
        statement("ReadUpstreamArtifacts", _OBJECT_READ, [models]),
        statement(
            "ListUpstreamArtifacts",
            ["s3:ListBucket"],
            [upstream.artifact_bucket_arn],
            condition={"StringLike": {"s3:prefix": ["models/*"]}},
        ),
        # The upstream key id is random; its alias is a computed name. Only as S3 (the copy's
        # source objects) and SageMaker (the upstream version's card) use it for the caller.
        statement(
            "DecryptUpstreamArtifacts",
            ["kms:Decrypt", "kms:DescribeKey"],
            [f"arn:aws:kms:{up.region}:{up.account_id}:key/*"],
            condition={
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": upstream.kms_alias},
                "StringEquals": {
                    "kms:ViaService": [f"{s}.{up.region}.amazonaws.com" for s in ("s3", "sagemaker")]
                },
            },
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
        # DataZone encrypts the domain with the key as this role: how it calls KMS is not
        # documented per operation, so no kms:ViaService condition here.
        permissions=[statement("UsePlatformKey", _KEY_USE, [arns.kms_key])],
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
    execution roles, named by ``Names.role_name``; ``self.roles[key]`` holds each. The two guards
    (:func:`governance_metadata_guard`, :func:`registration_guard`) are managed policies,
    ``<base>-governance-metadata-guard`` and ``<base>-registration-guard`` (``self.guards``),
    attached to every role that registers or updates versions."""

    #: Roles the guards are attached to.
    GUARDED = ("execution", "data_scientist", "approver", "promotion")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        names: Names,
        upstream: Names | None,
        use_cases: tuple[str, ...],
        data_scientists: tuple[str, ...],
        approvers: tuple[str, ...],
        promotion_operators: tuple[str, ...],
        strict: bool,
        kms_key_arn: str,
        environments: tuple[str, ...],
        promotion_ci_subjects: tuple[str, ...] = (),
    ) -> None:
        """
        :param names: derived names of this environment (role names, bucket, groups, SSM prefix).
        :param upstream: names of the environment this one promotes from, if any; its registry,
            bucket and key are what the promotion role reads.
        :param use_cases: use case slugs; each has a model package group.
        :param data_scientists: principals allowed to assume the data-scientist role.
        :param approvers: principals allowed to assume the model-approver role.
        :param promotion_operators: principals allowed to assume the promotion role besides CI.
        :param strict: staging/prod tier: one writer per governance asset (module docstring).
        :param kms_key_arn: this environment's platform key.
        :param environments: every environment of the platform (the guard's legacy keys).
        :param promotion_ci_subjects: GitHub OIDC subjects of the CI promote job (none: no CI).
        """
        super().__init__(scope, id)
        self._names = names
        self._arns = EnvironmentArns.of(names, use_cases, kms_key_arn)
        arns = self._arns
        documents = {
            "execution": execution_role(arns, strict=strict),
            "data_scientist": data_scientist_role(arns, strict=strict, people=data_scientists),
            "approver": approver_role(arns, approvers=approvers, strict=strict),
            "promotion": promotion_role(
                arns,
                upstream=upstream,
                use_cases=use_cases,
                strict=strict,
                operators=promotion_operators,
                ci_subjects=promotion_ci_subjects,
                oidc_provider_arn=names.github_oidc_provider_arn,
            ),
            "datazone": datazone_role(arns),
        }
        self.roles: dict[str, IamRole] = {key: self._role(key, docs) for key, docs in documents.items()}
        self.guards = {
            "governance-metadata-guard": IamPolicy(
                self,
                "governance-metadata-guard",
                name=f"{names.base}-governance-metadata-guard",
                description=f"{names.base}: no role changes a version's mlgov-* metadata",
                policy=document(*governance_metadata_guard(arns, environments=environments)),
            ),
            "registration-guard": IamPolicy(
                self,
                "registration-guard",
                name=f"{names.base}-registration-guard",
                description=f"{names.base}: only promotion registers a version with promotion's metadata",
                policy=document(*registration_guard(arns)),
            ),
        }
        for key in self.GUARDED:
            for guard_id, guard in self.guards.items():
                IamRolePolicyAttachment(
                    self,
                    f"{key.replace('_', '-')}-{guard_id}",
                    role=self.roles[key].name,
                    policy_arn=guard.arn,
                )
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
