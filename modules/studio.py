"""SageMaker Studio domain, reachable only through the VPC, and its user profiles."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.sagemaker_domain import (
    SagemakerDomain,
    SagemakerDomainDefaultUserSettings,
    SagemakerDomainDomainSettings,
    SagemakerDomainRetentionPolicy,
)
from cdktf_cdktf_provider_aws.sagemaker_user_profile import (
    SagemakerUserProfile,
    SagemakerUserProfileUserSettings,
)
from constructs import Construct


class Studio(Construct):
    """A ``VpcOnly`` Studio domain encrypted with the platform key, IAM auth, one user profile
    per configured name.

    Every user profile shares the execution role; the domain tells them apart in it:
    ``ExecutionRoleIdentityConfig = USER_PROFILE_NAME`` makes SageMaker set the user profile's name
    as the ``sts:SourceIdentity`` of the execution role's session (SageMaker API reference,
    DomainSettings; Developer Guide, "Monitoring user resource access ... with sourceIdentity"),
    which the role's Studio policy matches with ``${aws:SourceIdentity}`` so that a user manages
    only their own spaces and apps (``modules/roles.py``, ``studio_statements``), and which
    CloudTrail records per call. The role's trust allows ``sts:SetSourceIdentity`` for it.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        domain_name: str,
        vpc_id: str,
        subnet_ids: Sequence[str],
        security_group_id: str,
        kms_key_arn: str,
        execution_role_arn: str,
        user_profiles: Sequence[str],
        retain_home_efs: bool,
    ) -> None:
        """
        :param domain_name: ``Names.studio_domain``.
        :param vpc_id: VPC of the domain; apps get no internet path (``VpcOnly``).
        :param subnet_ids: private subnets of the apps.
        :param security_group_id: the Studio security group (NFS/TCP within the group).
        :param kms_key_arn: customer-managed key of the home EFS and app volumes.
        :param execution_role_arn: default execution role of users and spaces.
        :param user_profiles: user profile names from the environment file.
        :param retain_home_efs: keep the home EFS when the domain is destroyed (prod).
        """
        super().__init__(scope, id)
        self.domain = SagemakerDomain(
            self,
            "domain",
            domain_name=domain_name,
            auth_mode="IAM",
            app_network_access_type="VpcOnly",
            vpc_id=vpc_id,
            subnet_ids=list(subnet_ids),
            kms_key_id=kms_key_arn,
            default_user_settings=SagemakerDomainDefaultUserSettings(
                execution_role=execution_role_arn,
                security_groups=[security_group_id],
            ),
            domain_settings=SagemakerDomainDomainSettings(execution_role_identity_config="USER_PROFILE_NAME"),
            retention_policy=SagemakerDomainRetentionPolicy(
                home_efs_file_system="Retain" if retain_home_efs else "Delete"
            ),
        )
        self.user_profiles: dict[str, SagemakerUserProfile] = {}
        for profile in user_profiles:
            self.user_profiles[profile] = SagemakerUserProfile(
                self,
                f"user-{profile}",
                domain_id=self.domain.id,
                user_profile_name=profile,
                user_settings=SagemakerUserProfileUserSettings(
                    execution_role=execution_role_arn,
                    security_groups=[security_group_id],
                ),
            )
