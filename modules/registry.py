"""The model registry: one SageMaker model package group per use case."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.sagemaker_model_package_group import SagemakerModelPackageGroup
from cdktf_cdktf_provider_aws.sagemaker_model_package_group_policy import (
    SagemakerModelPackageGroupPolicy,
)
from constructs import Construct

from environments.naming import Names

from .policy import Statement, document, org_condition, roles_by_arn, statement
from .role_basics import GATE_RECORD_KEY, GATES_PASSED

#: Exactly what a downstream promotion role may do on an upstream group: read versions. Never
#: UpdateModelPackage: IAM cannot limit it to some parameters, so a downstream role holding it
#: could set an upstream version's approval and card status, then promote it through gates it
#: satisfied itself. Where a version went is recorded downstream (lineage, the target's metadata).
CROSS_ACCOUNT_ACTIONS = (
    "sagemaker:DescribeModelPackage",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:ListModelPackages",
)


class ModelRegistry(Construct):
    """Model package groups, one per use case, each with a resource policy when it has one:

    - when the environment has downstreams, its promotion roles may read versions
      (``CROSS_ACCOUNT_ACTIONS``);
    - in a strict tier (``writers``), every principal but the promotion role is denied
      registering a version, every principal but the approver role changing one, anyone approving
      a version without a passing gate record, and anyone deleting a version
      (:func:`one_writer_statements`). The same denies sit in the roles' own policies
      (``modules/iam.py``); here they also hold for principals the kit does not create (an
      administrator's role, a role added by hand).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        names: Names,
        use_cases: Sequence[tuple[str, str]],
        downstream_reader_arns: tuple[str, ...],
        organization_id: str | None,
        writers: Writers | None = None,
    ) -> None:
        """
        :param names: derived names of this environment (group names and ARNs).
        :param use_cases: ``(slug, description)`` per use case; one group each.
        :param downstream_reader_arns: promotion role ARNs of the environments promoting from
            this one.
        :param organization_id: when set, the grant also requires aws:PrincipalOrgID.
        :param writers: the strict tier's one writer per change (None: dev, no denies).
        """
        super().__init__(scope, id)
        self.groups: dict[str, SagemakerModelPackageGroup] = {}
        self.policies: dict[str, SagemakerModelPackageGroupPolicy] = {}
        for slug, description in use_cases:
            group = SagemakerModelPackageGroup(
                self,
                f"group-{slug}",
                model_package_group_name=names.model_package_group(slug),
                model_package_group_description=description[:1024],
            )
            self.groups[slug] = group
            versions = [names.model_package_group_arn(slug), names.model_package_arn_pattern(slug)]
            statements = []
            if downstream_reader_arns:
                principal, readers = roles_by_arn(downstream_reader_arns)
                statements.append(
                    statement(
                        "DownstreamPromotion",
                        CROSS_ACCOUNT_ACTIONS,
                        versions,
                        principal=principal,
                        condition={**org_condition(organization_id), **readers},
                    )
                )
            if writers is not None:
                statements += one_writer_statements(versions, writers)
            if not statements:
                continue
            self.policies[slug] = SagemakerModelPackageGroupPolicy(
                self,
                f"group-{slug}-policy",
                model_package_group_name=group.model_package_group_name,
                resource_policy=document(*statements),
            )


@dataclass(frozen=True)
class Writers:
    """The one role of a strict tier that makes each change to a version."""

    promotion: str
    """Registers versions (CreateModelPackage), after the gates."""
    approver: str
    """Changes them (UpdateModelPackage: approval, card, stage)."""


def one_writer_statements(versions: list[str], writers: Writers) -> list[Statement]:
    """The strict tier's group policy denies (see :class:`ModelRegistry`).

    ``aws:PrincipalArn`` is the role's ARN for every session of it. The gate record condition is
    the approver role's own (``modules/role_basics.py``: ``sagemaker:CurrentCustomerMetadataProperties``).
    A deny in a resource policy applies to the group's own account as to any other (IAM User
    Guide, "Policy evaluation logic": an explicit deny in any policy wins).
    """
    everyone = {"AWS": "*"}
    return [
        statement(
            "OnlyPromotionRegisters",
            ["sagemaker:CreateModelPackage"],
            versions,
            effect="Deny",
            principal=everyone,
            condition={"ArnNotEquals": {"aws:PrincipalArn": writers.promotion}},
        ),
        statement(
            "OnlyApproverChangesVersions",
            ["sagemaker:UpdateModelPackage"],
            versions,
            effect="Deny",
            principal=everyone,
            condition={"ArnNotEquals": {"aws:PrincipalArn": writers.approver}},
        ),
        statement(
            "ApprovalNeedsGateRecord",
            ["sagemaker:UpdateModelPackage"],
            versions,
            effect="Deny",
            principal=everyone,
            condition={
                "StringEquals": {"sagemaker:ModelApprovalStatus": "Approved"},
                "StringNotEquals": {
                    f"sagemaker:CurrentCustomerMetadataProperties/{GATE_RECORD_KEY}": GATES_PASSED
                },
            },
        ),
        statement(
            "VersionsAreKept", ["sagemaker:DeleteModelPackage"], versions, effect="Deny", principal=everyone
        ),
    ]
