"""Names computed from configuration: the single source of every cross-account reference.

Environments are wired to each other by these names (a role ARN in the upstream bucket policy,
say), never by reading another account's Terraform state. The stacks create resources with these
names and publish them as SSM parameters; the scripts find them through the same functions.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .schema import EnvironmentConfig, PlatformConfig

#: Roles the platform stack creates in every environment, by logical key -> name suffix.
ROLE_SUFFIXES = {
    "execution": "sagemaker-execution",
    "data_scientist": "data-scientist",
    "approver": "model-approver",
    "promotion": "promotion",
    "datazone": "datazone-execution",
    "model_deploy": "model-deploy",
    "pipeline": "pipeline-execution",
}
#: Roles of the data flow (modules/data.py), created only where training data lives (the
#: environments where versions are born): key -> name suffix.
DATA_ROLE_SUFFIXES = {
    "data_engineer": "data-engineer",
    "data_grant": "data-grant",
}
#: Roles the data-grant role puts subscribed-data read policies on: the SageMaker execution role
#: (training and processing jobs started by hand, Studio spaces) and the pipeline execution role
#: (the use cases' pipelines and their jobs, ``mlgov pipeline``).
DATA_GRANTEE_ROLES = ("execution", "pipeline")


def model_monitor_image(region: str) -> str:
    """Model Monitor's analyzer image in ``region``, from the SageMaker SDK's image table
    (``sagemaker.core``'s ``image_uri_config/model-monitor.json``, read from disk: importing the
    SDK takes seconds); ValueError for a region it does not list."""
    registries = _model_monitor_registries()
    if region not in registries:
        raise ValueError(f"no Model Monitor image is known for region {region} (the SageMaker SDK's table)")
    return f"{registries[region]}.dkr.ecr.{region}.amazonaws.com/sagemaker-model-monitor-analyzer"


@cache
def _model_monitor_registries() -> dict[str, str]:
    spec = importlib.util.find_spec("sagemaker")
    for location in list(spec.submodule_search_locations or []) if spec else []:
        table = Path(location, "core", "image_uri_config", "model-monitor.json")
        if table.is_file():
            return dict(json.loads(table.read_text(encoding="utf-8"))["versions"][""]["registries"])
    return {}


@dataclass(frozen=True)
class Names:
    """Every derived name for one environment."""

    prefix: str
    env: EnvironmentConfig

    @classmethod
    def of(cls, platform: PlatformConfig, env: EnvironmentConfig | str) -> Names:
        if isinstance(env, str):
            env = platform.env(env)
        return cls(platform.name_prefix, env)

    # -- resource names -------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"{self.prefix}-{self.env.name}"

    def role_name(self, key: str) -> str:
        return f"{self.base}-{ROLE_SUFFIXES.get(key) or DATA_ROLE_SUFFIXES[key]}"

    def role_arn(self, key: str) -> str:
        return f"arn:aws:iam::{self.env.account_id}:role/{self.role_name(key)}"

    @property
    def artifact_bucket(self) -> str:
        return f"{self.base}-artifacts-{self.env.account_id}"

    @property
    def access_log_bucket(self) -> str:
        return f"{self.base}-access-logs-{self.env.account_id}"

    @property
    def artifact_bucket_arn(self) -> str:
        return f"arn:aws:s3:::{self.artifact_bucket}"

    @property
    def kms_alias(self) -> str:
        return f"alias/{self.base}-platform"

    def model_package_group(self, use_case: str) -> str:
        # The same group name in every account: the account id tells them apart.
        return f"{self.prefix}-{use_case}"

    def model_package_group_arn(self, use_case: str) -> str:
        return (
            f"arn:aws:sagemaker:{self.env.region}:{self.env.account_id}:"
            f"model-package-group/{self.model_package_group(use_case)}"
        )

    def model_package_arn_pattern(self, use_case: str) -> str:
        """ARNs of every version in the group (resource of Describe/UpdateModelPackage)."""
        return (
            f"arn:aws:sagemaker:{self.env.region}:{self.env.account_id}:"
            f"model-package/{self.model_package_group(use_case)}/*"
        )

    # -- serving (modules/serving.py creates the role, scripts/serving the resources) ---------
    def endpoint_name(self, use_case: str) -> str:
        """The use case's real-time endpoint (one per account, like the group)."""
        return f"{self.prefix}-{use_case}"

    def serving_name(self, use_case: str, version: int) -> str:
        """The SageMaker model and endpoint config of one version of the use case."""
        return f"{self.endpoint_name(use_case)}-v{version}"

    @property
    def capture_prefix(self) -> str:
        """Key prefix of endpoint data capture in the artifact bucket (SageMaker appends
        ``<endpoint>/<variant>/<yyyy>/<mm>/<dd>/<hh>/``)."""
        return "capture/"

    @property
    def serving_code_prefix(self) -> str:
        """Key prefix of the inference code (``sourcedir.tar.gz``) the endpoints load."""
        return "serving/"

    @property
    def monitoring_prefix(self) -> str:
        """Key prefix of Model Monitor's reports (statistics, violations)."""
        return "monitoring/"

    def data_quality_monitor(self, use_case: str) -> str:
        """The data-quality job definition and monitoring schedule the stack creates for the use
        case's endpoint (``data_quality_schedule``); not ``<endpoint>-v*``, the names of the
        one-time monitors ``mlgov monitor`` creates and deletes (the model-deploy role may touch
        only those)."""
        return f"{self.endpoint_name(use_case)}-data-quality"

    def served_baseline_prefix(self, use_case: str) -> str:
        """Where ``mlgov serve`` puts the data-quality baseline (``statistics.json``,
        ``constraints.json``) of the version the use case's endpoint serves: what the scheduled
        monitor compares with."""
        return f"{self.serving_code_prefix}baseline/{self.endpoint_name(use_case)}/"

    @property
    def model_monitor_image(self) -> str:
        """Model Monitor's analyzer image in this environment's region."""
        return model_monitor_image(self.env.region)

    def batch_input_prefix(self, use_case: str) -> str:
        """Key prefix of the CSV files ``mlgov batch`` transforms for the use case: its batch
        transform jobs read only here."""
        return f"batch/{use_case}/input/"

    def batch_output_prefix(self, use_case: str) -> str:
        """Key prefix under which each batch transform job of the use case writes its output
        (``<job name>/<input file>.out``)."""
        return f"batch/{use_case}/output/"

    # -- SageMaker Pipelines (modules/pipelines.py; scripts/pipelines) -------------------------
    def pipeline_name(self, use_case: str) -> str:
        """The use case's SageMaker pipeline in this environment."""
        return f"{self.base}-{use_case}"

    def pipeline_arn(self, use_case: str) -> str:
        """SageMaker writes the pipeline's name lower case in its ARN."""
        return (
            f"arn:aws:sagemaker:{self.env.region}:{self.env.account_id}:"
            f"pipeline/{self.pipeline_name(use_case).lower()}"
        )

    def data_prefix(self, use_case: str) -> str:
        """Key prefix of the use case's datasets in the artifact bucket: what its pipeline reads."""
        return f"data/{use_case}/"

    def pipeline_prefix(self, use_case: str) -> str:
        """Key prefix of what the use case's pipeline uploads (step code, card sections) and what
        its executions write (``<execution id>/<step>/...``, ``models/``)."""
        return f"pipelines/{use_case}/"

    def pipeline_models_prefix(self, use_case: str) -> str:
        """Key prefix of what a version the use case's pipeline registers is made of: the model
        archive (``<training job>/output/model.tar.gz``, its data-quality baseline in
        ``baseline/`` beside it) and the evaluation's reports (``<execution id>/evaluate/...``).
        Under ``models/``, the one prefix a downstream promotion role may read."""
        return f"models/{use_case}/pipelines/"

    @property
    def studio_domain(self) -> str:
        return f"{self.base}-studio"

    @property
    def datazone_domain(self) -> str:
        return f"{self.prefix}-governance"

    @property
    def datazone_share(self) -> str:
        """The RAM share of the DataZone domain (the associated accounts accept it by this name)."""
        return f"{self.datazone_domain}-domain"

    def datazone_project(self, use_case: str) -> str:
        return f"{self.prefix}-{use_case}"

    @property
    def datazone_producer_project(self) -> str:
        """The shared project of the data engineers: it owns the published datasets."""
        return f"{self.prefix}-data-producers"

    @property
    def datasets_prefix(self) -> str:
        """Key prefix of training datasets in the artifact bucket (one sub-prefix per dataset)."""
        return "datasets/"

    @property
    def data_grant_policy_prefix(self) -> str:
        """Name prefix of the inline policies the data-grant role puts on the use-case roles:
        ``<prefix>-datazone-<subscription id>``, one per approved subscription."""
        return f"{self.prefix}-datazone-"

    @property
    def governance_log_group(self) -> str:
        return f"/{self.prefix}/{self.env.name}/governance-events"

    @property
    def flow_log_group(self) -> str:
        return f"/{self.prefix}/{self.env.name}/vpc-flow-logs"

    @property
    def flow_log_role(self) -> str:
        """IAM role the VPC flow log service assumes to write ``flow_log_group``."""
        return f"{self.base}-vpc-flow-logs"

    @property
    def audit_prefix(self) -> str:
        """Key prefix of audit records in the artifact bucket."""
        return "audit/"

    @property
    def audit_event_source(self) -> str:
        """EventBridge source of the kit's own governance audit events."""
        return f"{self.prefix}.governance"

    # -- Terraform state and CI identity (created by the bootstrap, modules/bootstrap.py) ---
    @property
    def state_bucket(self) -> str:
        """The account's Terraform state bucket: ``remote_state.bucket`` when configured."""
        if self.env.remote_state is not None:
            return self.env.remote_state.bucket
        return f"{self.prefix}-tfstate-{self.env.account_id}"

    @property
    def state_key(self) -> str:
        """The platform stack's state object, one per environment."""
        if self.env.remote_state is not None:
            return self.env.remote_state.key
        return f"platform/{self.env.name}.tfstate"

    @property
    def state_log_bucket(self) -> str:
        """Receives the server access logs of the state bucket."""
        return f"{self.prefix}-tfstate-logs-{self.env.account_id}"

    @property
    def state_kms_alias(self) -> str:
        return f"alias/{self.prefix}-tfstate"

    @property
    def plan_role_name(self) -> str:
        """Read-only role for pull-request plans and drift detection."""
        return f"{self.base}-ci-plan"

    @property
    def plan_role_arn(self) -> str:
        return f"arn:aws:iam::{self.env.account_id}:role/{self.plan_role_name}"

    @property
    def github_oidc_provider_arn(self) -> str:
        return f"arn:aws:iam::{self.env.account_id}:oidc-provider/token.actions.githubusercontent.com"

    # -- SSM parameters (published by the stack, read by the scripts) -----------------------
    @property
    def ssm_prefix(self) -> str:
        return f"/{self.prefix}/{self.env.name}"

    def ssm(self, *parts: str) -> str:
        return "/".join([self.ssm_prefix, *parts])

    @property
    def ssm_artifact_bucket(self) -> str:
        return self.ssm("artifacts", "bucket")

    @property
    def ssm_kms_key_arn(self) -> str:
        return self.ssm("kms", "key_arn")

    def ssm_role_arn(self, key: str) -> str:
        return self.ssm("roles", key, "arn")

    def ssm_group_name(self, use_case: str) -> str:
        return self.ssm("registry", use_case, "group_name")

    def ssm_group_arn(self, use_case: str) -> str:
        return self.ssm("registry", use_case, "group_arn")

    @property
    def ssm_lifecycle_stage(self) -> str:
        return self.ssm("registry", "lifecycle_stage")

    @property
    def ssm_studio_domain_id(self) -> str:
        return self.ssm("studio", "domain_id")

    @property
    def ssm_governance_log_group(self) -> str:
        return self.ssm("events", "log_group")

    @property
    def ssm_datazone_domain_id(self) -> str:
        """Published by the DataZone home environment only."""
        return self.ssm("datazone", "domain_id")

    def ssm_datazone_project_id(self, use_case: str) -> str:
        """Published by the DataZone home environment only."""
        return self.ssm("datazone", "projects", use_case, "id")

    @property
    def ssm_datazone_producer_project_id(self) -> str:
        """Published by the DataZone home environment only."""
        return self.ssm("datazone", "producers", "id")
