"""The DataZone domain of the platform (home environment only), its projects, and the RAM share
that makes the domain visible to the other environments' accounts."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.datazone_domain import DatazoneDomain
from cdktf_cdktf_provider_aws.datazone_project import DatazoneProject
from cdktf_cdktf_provider_aws.ram_principal_association import RamPrincipalAssociation
from cdktf_cdktf_provider_aws.ram_resource_association import RamResourceAssociation
from cdktf_cdktf_provider_aws.ram_resource_share import RamResourceShare
from constructs import Construct


class DataZoneHome(Construct):
    """DataZone domain encrypted with the platform key, one project per use case, shared by RAM."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        domain_name: str,
        execution_role_arn: str,
        kms_key_arn: str,
        projects: Sequence[tuple[str, str, str]],
        share_with_accounts: Sequence[str],
        allow_external_principals: bool,
    ) -> None:
        """
        :param domain_name: ``Names.datazone_domain``.
        :param execution_role_arn: the DataZone domain execution role of this account.
        :param kms_key_arn: the platform key of this account.
        :param projects: ``(use case slug, project name, description)`` for every use case of
            every environment.
        :param share_with_accounts: accounts of the other environments (RAM principals).
        :param allow_external_principals: accounts outside an AWS Organization (no org id set).
        """
        super().__init__(scope, id)
        self.domain = DatazoneDomain(
            self,
            "domain",
            name=domain_name,
            description="ML governance: model use cases and their projects",
            domain_execution_role=execution_role_arn,
            kms_key_identifier=kms_key_arn,
        )
        self.projects: dict[str, DatazoneProject] = {}
        for slug, name, description in projects:
            self.projects[slug] = DatazoneProject(
                self,
                f"project-{slug}",
                domain_identifier=self.domain.id,
                name=name,
                description=description[:2048],
                skip_deletion_check=True,
            )
        self.share: RamResourceShare | None = None
        if share_with_accounts:
            self.share = RamResourceShare(
                self,
                "share",
                name=f"{domain_name}-domain",
                allow_external_principals=allow_external_principals,
            )
            RamResourceAssociation(
                self, "share-domain", resource_share_arn=self.share.arn, resource_arn=self.domain.arn
            )
            for account in share_with_accounts:
                RamPrincipalAssociation(
                    self,
                    f"share-{account}",
                    resource_share_arn=self.share.arn,
                    principal=account,
                )
