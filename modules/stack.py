"""The one stack class of the platform: every environment is this stack with different data."""

from __future__ import annotations

from cdktf import Fn, LocalBackend, S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_availability_zones import DataAwsAvailabilityZones
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderAssumeRole, AwsProviderDefaultTags
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from environments.naming import Names
from environments.schema import EnvironmentConfig, PlatformConfig, Tier

from .artifacts import ArtifactStore
from .datazone import DataZoneHome
from .encryption import PlatformKey
from .events import GovernanceEvents
from .iam import PlatformRoles
from .network import Network
from .registry import ModelRegistry
from .studio import Studio

#: The prebuilt bindings are generated for provider 5.99.1 and pin exactly that; the kit runs
#: with any 5.x from 5.99 on (the mirror carries 5.100.0).
AWS_PROVIDER_CONSTRAINT = "~> 5.99"
MANAGED_BY = "mlgov-platform-kit"


class PlatformStack(TerraformStack):
    """All platform resources of one environment (one AWS account).

    The stack owns the provider (assume-role into the environment's deploy role, default tags)
    and the backend; constructs get only data and references. Every id the scripts need is
    published as an SSM parameter at the path ``environments.naming.Names`` defines.

    Cross-account grants (key, bucket and group policies) name the downstream environments'
    promotion roles exactly. AWS checks that a principal named in a resource policy exists, so
    the deploy runner and the CI apply workflow apply downstream first
    (``PlatformConfig.apply_order``: prod, staging, dev). The emulator does not check principals.
    """

    def __init__(self, scope: Construct, platform: PlatformConfig, env: EnvironmentConfig) -> None:
        super().__init__(scope, env.name)
        names = Names.of(platform, env)
        upstream = Names.of(platform, env.promotes_from) if env.promotes_from else None
        downstream_promotion = tuple(
            Names.of(platform, d).role_arn("promotion") for d in platform.downstream_of(env.name)
        )
        prod = env.tier is Tier.PROD
        self.names = names

        AwsProvider(
            self,
            "aws",
            region=env.region,
            allowed_account_ids=[env.account_id],
            assume_role=[
                AwsProviderAssumeRole(role_arn=env.deploy_role_arn, session_name=f"{names.base}-terraform")
            ],
            default_tags=[
                AwsProviderDefaultTags(
                    tags={
                        **dict(env.tags),
                        "environment": env.name,
                        "platform": platform.name_prefix,
                        "managed-by": MANAGED_BY,
                    }
                )
            ],
        )
        self.add_override("terraform.required_providers.aws.source", "hashicorp/aws")
        self.add_override("terraform.required_providers.aws.version", AWS_PROVIDER_CONSTRAINT)
        if env.remote_state is not None:
            rs = env.remote_state
            S3Backend(
                self,
                bucket=rs.bucket,
                key=rs.key,
                region=rs.region,
                encrypt=True,
                kms_key_id=rs.kms_key_id,
            )
            # cdktf 0.20 predates S3-native locking; Terraform >= 1.10 reads this setting.
            self.add_override("terraform.backend.s3.use_lockfile", rs.use_lockfile)
        else:
            LocalBackend(self, path=f"terraform.{env.name}.tfstate")

        azs = DataAwsAvailabilityZones(self, "azs", state="available")
        zones = [Fn.element(azs.names, i) for i in range(env.network.az_count)]

        self.key = PlatformKey(
            self,
            "encryption",
            account_id=env.account_id,
            region=env.region,
            alias=names.kms_alias,
            downstream_reader_arns=downstream_promotion,
            organization_id=platform.organization_id,
            deletion_window_days=30 if prod else 7,
        )
        key_arn = self.key.key_arn
        self.artifacts = ArtifactStore(
            self,
            "artifacts",
            account_id=env.account_id,
            bucket_name=names.artifact_bucket,
            access_log_bucket_name=names.access_log_bucket,
            kms_key_arn=key_arn,
            downstream_reader_arns=downstream_promotion,
            organization_id=platform.organization_id,
            noncurrent_version_days=365 if prod else 90,
            force_destroy=not prod,
        )
        self.network = Network(
            self,
            "network",
            name=names.base,
            account_id=env.account_id,
            region=env.region,
            cidr=env.network.cidr,
            availability_zones=zones,
            kms_key_arn=key_arn,
            flow_log_group_name=names.flow_log_group,
            flow_log_role_name=names.flow_log_role,
            log_retention_days=365,
        )
        use_cases = tuple(u.name for u in env.use_cases)
        self.roles = PlatformRoles(
            self,
            "iam",
            names=names,
            upstream=upstream,
            use_cases=use_cases,
            approvers=env.approvers,
            strict=env.tier.strict,
            kms_key_arn=key_arn,
        )
        self.studio = Studio(
            self,
            "studio",
            domain_name=names.studio_domain,
            vpc_id=self.network.vpc.id,
            subnet_ids=self.network.subnet_ids,
            security_group_id=self.network.studio_security_group.id,
            kms_key_arn=key_arn,
            execution_role_arn=self.roles.roles["execution"].arn,
            user_profiles=env.studio.user_profiles,
            retain_home_efs=prod,
        )
        self.registry = ModelRegistry(
            self,
            "registry",
            names=names,
            use_cases=[(u.name, u.description) for u in env.use_cases],
            downstream_reader_arns=downstream_promotion,
            organization_id=platform.organization_id,
        )
        self.events = GovernanceEvents(
            self,
            "governance-events",
            name=names.base,
            account_id=env.account_id,
            region=env.region,
            log_group_name=names.governance_log_group,
            # Literal names (not references) keep the event pattern readable in the JSON.
            group_names=[names.model_package_group(u) for u in use_cases],
            audit_event_source=names.audit_event_source,
            kms_key_arn=key_arn,
            retention_days=2557 if prod else 365,
        )
        self.datazone: DataZoneHome | None = None
        if env.datazone_home:
            projects: dict[str, tuple[str, str, str]] = {}
            for other in platform.environments.values():
                for uc in other.use_cases:
                    projects.setdefault(uc.name, (uc.name, names.datazone_project(uc.name), uc.description))
            self.datazone = DataZoneHome(
                self,
                "datazone",
                domain_name=names.datazone_domain,
                execution_role_arn=self.roles.roles["datazone"].arn,
                kms_key_arn=key_arn,
                projects=sorted(projects.values()),
                share_with_accounts=sorted(
                    {e.account_id for e in platform.environments.values()} - {env.account_id}
                ),
                allow_external_principals=platform.organization_id is None,
            )

        self._publish(names)

    def _publish(self, names: Names) -> None:
        """SSM parameters: the contract between this stack and the scripts."""
        params: dict[str, tuple[str, str]] = {
            "artifact-bucket": (names.ssm_artifact_bucket, self.artifacts.bucket.bucket),
            "kms-key-arn": (names.ssm_kms_key_arn, self.key.key_arn),
            "lifecycle-stage": (names.ssm_lifecycle_stage, names.env.lifecycle_stage),
            "studio-domain-id": (names.ssm_studio_domain_id, self.studio.domain.id),
            "governance-log-group": (names.ssm_governance_log_group, self.events.log_group.name),
        }
        for key, role in self.roles.roles.items():
            params[f"role-{key}"] = (names.ssm_role_arn(key), role.arn)
        for slug, group in self.registry.groups.items():
            params[f"group-{slug}-name"] = (names.ssm_group_name(slug), group.model_package_group_name)
            params[f"group-{slug}-arn"] = (names.ssm_group_arn(slug), group.arn)
        if self.datazone is not None:
            params["datazone-domain-id"] = (names.ssm_datazone_domain_id, self.datazone.domain.id)
            for slug, project in self.datazone.projects.items():
                params[f"datazone-project-{slug}-id"] = (
                    names.ssm_datazone_project_id(slug),
                    project.id,
                )
        self.parameters: dict[str, SsmParameter] = {}
        for key, (path, value) in params.items():
            self.parameters[key] = SsmParameter(self, f"ssm-{key}", name=path, type="String", value=value)
