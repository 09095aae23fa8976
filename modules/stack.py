"""The one stack class of the platform: every environment is this stack with different data."""

from __future__ import annotations

from cdktf import Fn, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_availability_zones import DataAwsAvailabilityZones
from cdktf_cdktf_provider_aws.provider import AwsProviderAssumeRole
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from environments.naming import Names
from environments.schema import EnvironmentConfig, PlatformConfig

from .artifacts import ArtifactStore
from .data import GRANTEE_ROLES, DataFlow
from .datazone import DataZoneHome
from .encryption import PlatformKey
from .events import GovernanceEvents
from .iam import PlatformRoles
from .monitoring import DataQualityMonitoring
from .network import Network
from .pipelines import PipelineAccess
from .providers import aws_provider, state_backend
from .registry import ModelRegistry, Writers
from .serving import ModelServing
from .studio import Studio


class PlatformStack(TerraformStack):
    """All platform resources of one environment (one AWS account).

    The stack owns the provider (assume-role into the environment's deploy role, default tags)
    and the backend; constructs get only data and references. Every id the scripts need is
    published as an SSM parameter at the path ``environments.naming.Names`` defines.

    Cross-account grants (key, bucket and group policies) admit exactly the downstream
    environments' promotion roles, by ``aws:PrincipalArn`` with their accounts as principals
    (``policy.roles_by_arn``): AWS checks that a principal named in a resource policy exists (and
    so does the local cloud), and this form names none, so every environment can be applied at
    once, in any order (scripts/deploy/cross_stack.py checks the synthesized stacks for it).
    """

    def __init__(self, scope: Construct, platform: PlatformConfig, env: EnvironmentConfig) -> None:
        super().__init__(scope, env.name)
        self.platform = platform
        self.env = env
        self.names = Names.of(platform, env)
        #: Promotion roles of the environments promoting from this one: the key, bucket and group
        #: policies grant them read access.
        self.downstream_promotion = tuple(
            Names.of(platform, d).role_arn("promotion") for d in platform.downstream_of(env.name)
        )

        self._provider_and_backend()
        self.key = self._encryption()
        self.network = self._network()
        self.artifacts = self._storage()
        self.roles = self._identities()
        self.serving = ModelServing(
            self,
            "serving",
            names=self.names,
            use_cases=self._use_cases,
            deployers=env.deployers,
            kms_key_arn=self.key.key_arn,
            execution_role=self.roles.roles["execution"],
        )
        self.monitoring = self._monitoring()
        self.pipelines = PipelineAccess(
            self,
            "pipelines",
            names=self.names,
            use_cases=self._use_cases,
            kms_key_arn=self.key.key_arn,
            strict=env.tier.strict,
            data_scientist_role=self.roles.roles["data_scientist"],
            approver_role=self.roles.roles["approver"],
        )
        # The pipeline role registers versions too (its Register step): the same guards hold.
        self.roles.guard("pipeline", self.pipelines.role)
        self.studio = self._studio()
        self.registry = self._registry()
        self.events = self._events()
        self.datazone = self._datazone() if env.datazone_home else None
        if not env.datazone_home:
            self._datazone_association()
        self.data = self._data_flow()
        self.parameters = self._publish()

    def _monitoring(self) -> DataQualityMonitoring | None:
        """The scheduled data-quality monitors of the use cases that ask for one
        (``data_quality_schedule``); none at all, not even the construct, when none does."""
        schedules = {
            uc.name: uc.data_quality_schedule for uc in self.env.use_cases if uc.data_quality_schedule
        }
        if not schedules:
            return None
        return DataQualityMonitoring(
            self,
            "monitoring",
            names=self.names,
            schedules=schedules,
            kms_key_arn=self.key.key_arn,
            execution_role_arn=self.roles.roles["execution"].arn,
        )

    def _provider_and_backend(self) -> None:
        """Terraform works as the environment's deploy role; state is local unless configured."""
        env = self.env
        aws_provider(
            self,
            self.platform,
            env,
            assume_role=AwsProviderAssumeRole(
                role_arn=env.deploy_role_arn, session_name=f"{self.names.base}-terraform"
            ),
        )
        state_backend(self, remote_state=env.remote_state, local_path=f"terraform.{env.name}.tfstate")

    def _encryption(self) -> PlatformKey:
        env = self.env
        return PlatformKey(
            self,
            "encryption",
            account_id=env.account_id,
            region=env.region,
            alias=self.names.kms_alias,
            downstream_reader_arns=self.downstream_promotion,
            organization_id=self.platform.organization_id,
            deletion_window_days=env.retention.kms_deletion_window_days,
            datazone_associated_accounts=self._datazone_associated_accounts,
        )

    def _network(self) -> Network:
        env, names = self.env, self.names
        azs = DataAwsAvailabilityZones(self, "azs", state="available")
        return Network(
            self,
            "network",
            name=names.base,
            account_id=env.account_id,
            organization_id=self.platform.organization_id,
            region=env.region,
            cidr=env.network.cidr,
            availability_zones=[Fn.element(azs.names, i) for i in range(env.network.az_count)],
            kms_key_arn=self.key.key_arn,
            flow_log_group_name=names.flow_log_group,
            flow_log_role_name=names.flow_log_role,
            log_retention_days=env.retention.flow_log_retention_days,
        )

    def _storage(self) -> ArtifactStore:
        env, names = self.env, self.names
        return ArtifactStore(
            self,
            "artifacts",
            account_id=env.account_id,
            bucket_name=names.artifact_bucket,
            access_log_bucket_name=names.access_log_bucket,
            kms_key_arn=self.key.key_arn,
            downstream_reader_arns=self.downstream_promotion,
            organization_id=self.platform.organization_id,
            noncurrent_version_days=env.retention.noncurrent_version_days,
            force_destroy=env.retention.force_destroy_buckets,
            models_writer=names.role_arn("promotion") if env.tier.strict else None,
        )

    def _identities(self) -> PlatformRoles:
        env = self.env
        upstream = Names.of(self.platform, env.promotes_from) if env.promotes_from else None
        ci = self.platform.ci
        return PlatformRoles(
            self,
            "iam",
            names=self.names,
            upstream=upstream,
            use_cases=self._use_cases,
            data_scientists=env.data_scientists,
            approvers=env.approvers,
            promotion_operators=env.promotion_operators,
            strict=env.tier.strict,
            kms_key_arn=self.key.key_arn,
            environments=tuple(sorted(self.platform.environments)),
            promotion_ci_subjects=ci.promotion_subjects(env) if ci is not None else (),
        )

    def _studio(self) -> Studio:
        """The Studio domain, then the execution role's permissions on it (IAM-auth Studio calls
        SageMaker as the user profile's execution role)."""
        studio = Studio(
            self,
            "studio",
            domain_name=self.names.studio_domain,
            vpc_id=self.network.vpc.id,
            subnet_ids=self.network.subnet_ids,
            security_group_id=self.network.studio_security_group.id,
            kms_key_arn=self.key.key_arn,
            execution_role_arn=self.roles.roles["execution"].arn,
            user_profiles=self.env.studio.user_profiles,
            retain_home_efs=self.env.retention.retain_studio_home_efs,
        )
        self.roles.grant_studio(domain_id=studio.domain.id)
        return studio

    def _registry(self) -> ModelRegistry:
        return ModelRegistry(
            self,
            "registry",
            names=self.names,
            use_cases=[(u.name, u.description) for u in self.env.use_cases],
            downstream_reader_arns=self.downstream_promotion,
            organization_id=self.platform.organization_id,
            writers=(
                Writers(promotion=self.names.role_arn("promotion"), approver=self.names.role_arn("approver"))
                if self.env.tier.strict
                else None
            ),
        )

    def _events(self) -> GovernanceEvents:
        env, names = self.env, self.names
        return GovernanceEvents(
            self,
            "governance-events",
            name=names.base,
            account_id=env.account_id,
            region=env.region,
            log_group_name=names.governance_log_group,
            # Literal names (not references) keep the event pattern readable in the JSON.
            group_names=[names.model_package_group(u) for u in self._use_cases],
            audit_event_source=names.audit_event_source,
            kms_key_arn=self.key.key_arn,
            retention_days=env.retention.governance_log_retention_days,
        )

    def _datazone(self) -> DataZoneHome:
        """The one DataZone domain of the platform: a project per use case of any environment,
        shared with every other environment's account."""
        environments = self.platform.environments.values()
        projects: dict[str, tuple[str, str, str]] = {}
        for other in environments:
            for uc in other.use_cases:
                projects.setdefault(uc.name, (uc.name, self.names.datazone_project(uc.name), uc.description))
        return DataZoneHome(
            self,
            "datazone",
            domain_name=self.names.datazone_domain,
            execution_role_arn=self.roles.roles["datazone"].arn,
            kms_key_arn=self.key.key_arn,
            projects=sorted(projects.values()),
            share_with_accounts=list(self._datazone_associated_accounts),
            share_name=self.names.datazone_share,
            allow_external_principals=self.platform.organization_id is None,
        )

    @property
    def _datazone_associated_accounts(self) -> tuple[str, ...]:
        """Home environment: the other environments' accounts, associated with its domain (their
        principals in the RAM share and the key policy). Elsewhere: none."""
        if not self.env.datazone_home:
            return ()
        accounts = {e.account_id for e in self.platform.environments.values()}
        return tuple(sorted(accounts - {self.env.account_id}))

    def _datazone_association(self) -> None:
        """An account associated with the home environment's domain: its data scientists may
        create projects there (the association itself is accepted by the deploy runner)."""
        home = self.platform.datazone_home
        if home.account_id != self.env.account_id:
            self.roles.grant_datazone_projects(domain_account=home.account_id, region=home.region)

    def _data_flow(self) -> DataFlow:
        """Data lives where versions are born (modules/data.py)."""
        return DataFlow(
            self,
            "data",
            names=self.names,
            home=Names.of(self.platform, self.platform.datazone_home),
            kms_key_arn=self.key.key_arn,
            data_lives_here=self.env.promotes_from is None,
            domain_id=self.datazone.domain.id if self.datazone is not None else None,
            data_scientist=self.roles.roles["data_scientist"],
            depends_on_roles=[
                {**self.roles.roles, "pipeline": self.pipelines.role}[key] for key in GRANTEE_ROLES
            ],
        )

    def _publish(self) -> dict[str, SsmParameter]:
        """SSM parameters: the contract between this stack and the scripts."""
        names = self.names
        params: dict[str, tuple[str, str]] = {
            "artifact-bucket": (names.ssm_artifact_bucket, self.artifacts.bucket.bucket),
            "kms-key-arn": (names.ssm_kms_key_arn, self.key.key_arn),
            "lifecycle-stage": (names.ssm_lifecycle_stage, self.env.lifecycle_stage),
            "studio-domain-id": (names.ssm_studio_domain_id, self.studio.domain.id),
            "governance-log-group": (names.ssm_governance_log_group, self.events.log_group.name),
        }
        for key, role in {**self.roles.roles, "model_deploy": self.serving.role}.items():
            params[f"role-{key}"] = (names.ssm_role_arn(key), role.arn)
        params["role-pipeline"] = (names.ssm_role_arn("pipeline"), self.pipelines.role.arn)
        for key, role in self.data.roles.items():
            params[f"role-{key}"] = (names.ssm_role_arn(key), role.arn)
        if self.data.producer_project is not None:
            params["datazone-producers-id"] = (
                names.ssm_datazone_producer_project_id,
                self.data.producer_project.id,
            )
        for slug, group in self.registry.groups.items():
            params[f"group-{slug}-name"] = (names.ssm_group_name(slug), group.model_package_group_name)
            params[f"group-{slug}-arn"] = (names.ssm_group_arn(slug), group.arn)
        if self.datazone is not None:
            params["datazone-domain-id"] = (names.ssm_datazone_domain_id, self.datazone.domain.id)
            for slug, project in self.datazone.projects.items():
                params[f"datazone-project-{slug}-id"] = (names.ssm_datazone_project_id(slug), project.id)
        return {
            key: SsmParameter(self, f"ssm-{key}", name=path, type="String", value=value)
            for key, (path, value) in params.items()
        }

    @property
    def _use_cases(self) -> tuple[str, ...]:
        return tuple(u.name for u in self.env.use_cases)
