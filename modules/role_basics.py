"""The building blocks of the platform roles' policies (``modules/iam.py`` has the design).

The actions and ``mlgov-*`` metadata keys the policies name, the environment's resource ARNs
(:class:`EnvironmentArns`), what a role is (:class:`RoleDocuments`), the statements several roles
share, and the two guards attached as managed policies (:func:`governance_metadata_guard`,
:func:`registration_guard`). Each role's own documents are in ``modules/roles.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from environments.naming import Names

from .policy import Statement, statement

#: Actions that change approval or card status: only the approver role in strict tiers.
APPROVAL_ACTIONS = ("sagemaker:UpdateModelPackage", "sagemaker:UpdateModelCard")
#: The AWS managed policy the DataZone documentation attaches to the domain execution role
#: (docs/aws-references.md); it carries every DataZone API the data portal calls.
DATAZONE_EXECUTION_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonDataZoneDomainExecutionRolePolicy"

REGISTRY_READ = (
    "sagemaker:DescribeModelPackage",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:ListModelPackages",
)
CARD_READ = (
    "sagemaker:DescribeModelCard",
    "sagemaker:ListModelCardVersions",
)
KEY_USE = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")
OBJECT_READ = ("s3:GetObject", "s3:GetObjectVersion")
OBJECT_READ_WRITE = (*OBJECT_READ, "s3:PutObject")

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
def service_trust(
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


def use_platform_key(arns: EnvironmentArns) -> Statement:
    """The platform key, only as S3 (SSE-KMS objects: artifacts, reports, audit records) and
    SageMaker (registry and card content) use it for the caller: no role calls KMS itself."""
    return statement(
        "UsePlatformKeyThroughS3AndSageMaker", KEY_USE, [arns.kms_key], condition=arns.via("s3", "sagemaker")
    )


def registry_key_grants(arns: EnvironmentArns) -> Statement:
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


def platform_basics(arns: EnvironmentArns) -> list[Statement]:
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
        use_platform_key(arns),
        registry_key_grants(arns),
        statement("ListGroups", ["sagemaker:ListModelPackageGroups"], ["*"]),
    ]


def separation_of_duties(arns: EnvironmentArns, *, strict: bool) -> list[Statement]:
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
        strict_no_registration(),
        statement("StrictTierNoArtifactWrites", ["s3:PutObject"], [arns.models], effect="Deny"),
    ]


def strict_no_registration() -> Statement:
    """Strict tiers: versions enter only by promotion (the promotion role's CreateModelPackage,
    gates checked first); nobody else registers one, pending or approved."""
    return statement(
        "StrictTierOnlyPromotionRegisters", ["sagemaker:CreateModelPackage"], ["*"], effect="Deny"
    )


def approval_needs_gate_record() -> Statement:
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


def model_development(arns: EnvironmentArns, *, strict: bool) -> list[Statement]:
    """Dev: read and write model artifacts, register versions in this environment's groups.
    Strict tiers: read them (validation, serving) and the registry; the writer is promotion."""
    if strict:
        return [
            statement("ReadModelArtifacts", OBJECT_READ, [arns.models]),
            statement("ListArtifactBucket", ["s3:ListBucket"], [arns.bucket]),
            statement("ReadModelVersions", REGISTRY_READ, [*arns.groups, *arns.packages]),
        ]
    return [
        statement("ReadWriteModelArtifacts", OBJECT_READ_WRITE, [arns.models]),
        statement("ListArtifactBucket", ["s3:ListBucket"], [arns.bucket]),
        statement(
            "RegisterModelVersions",
            ["sagemaker:CreateModelPackage", *REGISTRY_READ],
            [*arns.groups, *arns.packages],
        ),
    ]
