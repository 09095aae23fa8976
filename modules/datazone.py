"""The DataZone domain of the platform (home environment only), its projects, and the RAM share
that associates the other environments' accounts with the domain.

Account association, the documented way (DataZone User Guide, "Request association with other AWS
accounts", https://docs.aws.amazon.com/datazone/latest/userguide/invite-account-to-associate.html):
the domain's account shares the domain through AWS RAM with the associated accounts as
principals and a DataZone RAM permission; each associated account then accepts the invitation
("Accept an account association request", accept-invitation-to-associate.html), which the kit's
deploy runner does right after the apply (scripts/deploy/association.py): an invitation nobody
accepts stays pending and expires after seven days. Environment blueprints are not enabled: the
association page lists them as a separate, optional step for environments (Glue, Redshift,
SageMaker resources in the associated account), and the kit creates no DataZone environment.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.datazone_domain import DatazoneDomain
from cdktf_cdktf_provider_aws.datazone_project import DatazoneProject
from cdktf_cdktf_provider_aws.ram_principal_association import RamPrincipalAssociation
from cdktf_cdktf_provider_aws.ram_resource_association import RamResourceAssociation
from cdktf_cdktf_provider_aws.ram_resource_share import RamResourceShare
from constructs import Construct

#: The RAM permission the share carries. The "Request association" page offers data-portal access
#: or APIs only; the kit's users work through the APIs (IAM principals, no SSO portal), so the
#: share carries the APIs-only permission. For a V1 (DataZone) domain that is the resource type's
#: default, ``AWSRAMDefaultPermissionAmazonDataZoneDomain`` (the four DataZone permissions are
#: listed in the AWS managed policy SageMakerStudioAdminIAMPermissiveExecutionPolicy; V2 unified
#: domains use ``AWSRAMPermissionsAmazonDatazoneDomainExtendedServiceAccess`` instead: DataZone
#: User Guide, "Upgrade Amazon DataZone domains to Amazon SageMaker unified domains").
DATAZONE_DOMAIN_RAM_PERMISSION = "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionAmazonDataZoneDomain"


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
        share_name: str,
        allow_external_principals: bool,
    ) -> None:
        """
        :param domain_name: ``Names.datazone_domain``.
        :param execution_role_arn: the DataZone domain execution role of this account.
        :param kms_key_arn: the platform key of this account.
        :param projects: ``(use case slug, project name, description)`` for every use case of
            every environment.
        :param share_with_accounts: accounts of the other environments (RAM principals): the
            accounts associated with the domain.
        :param share_name: ``Names.datazone_share``; the deploy runner finds the invitation by it.
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
                name=share_name,
                allow_external_principals=allow_external_principals,
                permission_arns=[DATAZONE_DOMAIN_RAM_PERMISSION],
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
