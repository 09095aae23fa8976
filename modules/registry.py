"""The model registry: one SageMaker model package group per use case."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.sagemaker_model_package_group import SagemakerModelPackageGroup
from cdktf_cdktf_provider_aws.sagemaker_model_package_group_policy import (
    SagemakerModelPackageGroupPolicy,
)
from constructs import Construct

from environments.naming import Names

from .policy import document, org_condition, statement

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
    """Model package groups; when the environment has downstreams, a resource policy on each
    group grants their promotion roles exactly ``CROSS_ACCOUNT_ACTIONS``."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        names: Names,
        use_cases: Sequence[tuple[str, str]],
        downstream_reader_arns: tuple[str, ...],
        organization_id: str | None,
    ) -> None:
        """
        :param names: derived names of this environment (group names and ARNs).
        :param use_cases: ``(slug, description)`` per use case; one group each.
        :param downstream_reader_arns: promotion role ARNs of the environments promoting from
            this one.
        :param organization_id: when set, the grant also requires aws:PrincipalOrgID.
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
            if not downstream_reader_arns:
                continue
            self.policies[slug] = SagemakerModelPackageGroupPolicy(
                self,
                f"group-{slug}-policy",
                model_package_group_name=group.model_package_group_name,
                resource_policy=document(
                    statement(
                        "DownstreamPromotion",
                        CROSS_ACCOUNT_ACTIONS,
                        [
                            names.model_package_group_arn(slug),
                            names.model_package_arn_pattern(slug),
                        ],
                        principal={"AWS": list(downstream_reader_arns)},
                        condition=org_condition(organization_id) or None,
                    )
                ),
            )
