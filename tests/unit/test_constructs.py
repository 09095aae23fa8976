"""Security properties of the synthesized stacks (shipped configuration, one shared synth; a
variant with a named approver role, synthesized in the same process).

Assertions go through cdktf's ``Testing`` matchers and JSON lookups by construct path. Resource
types come from the provider bindings (``IamRole.TF_RESOURCE_TYPE``), the classes the stacks use.
"""

from __future__ import annotations

import ipaddress
import json

import cdktf
import pytest
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.cloudwatch_log_resource_policy import CloudwatchLogResourcePolicy
from cdktf_cdktf_provider_aws.data_aws_availability_zones import DataAwsAvailabilityZones
from cdktf_cdktf_provider_aws.datazone_domain import DatazoneDomain
from cdktf_cdktf_provider_aws.datazone_project import DatazoneProject
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.ram_principal_association import RamPrincipalAssociation
from cdktf_cdktf_provider_aws.ram_resource_association import RamResourceAssociation
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import S3BucketLifecycleConfiguration
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA
from cdktf_cdktf_provider_aws.sagemaker_domain import SagemakerDomain
from cdktf_cdktf_provider_aws.sagemaker_model_package_group import SagemakerModelPackageGroup
from cdktf_cdktf_provider_aws.sagemaker_model_package_group_policy import SagemakerModelPackageGroupPolicy
from cdktf_cdktf_provider_aws.sagemaker_user_profile import SagemakerUserProfile
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint

from environments import Names, Tier
from tests.synthesized import (
    allowed_actions,
    as_list,
    denied_actions,
    principals,
    statements,
)

ENVS = ("dev", "staging", "prod")
#: What a downstream promotion role may do on an upstream group: read, never UpdateModelPackage.
GROUP_ACTIONS = {
    "sagemaker:DescribeModelPackage",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:ListModelPackages",
}
APPROVAL = {"sagemaker:UpdateModelPackage", "sagemaker:UpdateModelCard"}
#: Everything the promotion role may do, in every tier (the promote job is checked against it):
#: platform basics, its own artifacts and promotion records, registration, lineage, and, where
#: the environment has an upstream, reads of the upstream registry, bucket and key.
PROMOTION_ACTIONS = {
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "s3:PutObject",
    "events:PutEvents",
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:CreateGrant",
    "sagemaker:ListModelPackageGroups",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListBucket",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "sagemaker:CreateModelPackage",
    "sagemaker:DescribeModelPackage",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:ListModelPackages",
    "sagemaker:DescribeModelCard",
    "sagemaker:ListModelCardVersions",
    "sagemaker:AddAssociation",
    "sagemaker:CreateAction",
    "sagemaker:CreateArtifact",
    "sagemaker:ListActions",
    "sagemaker:ListArtifacts",
    "sagemaker:ListAssociations",
}


def names(synth, env: str) -> Names:
    return Names.of(synth.platform, env)


def downstream_promotion(synth, env: str) -> list[str]:
    return sorted(names(synth, d.name).role_arn("promotion") for d in synth.platform.downstream_of(env))


def granted_roles(stmt: dict) -> list[str]:
    """The roles a cross-account grant admits: its principals are only their accounts (a role
    named as principal would have to exist before the policy is written), and its ``ArnEquals``
    on ``aws:PrincipalArn`` names exactly those roles."""
    arns = sorted(as_list(stmt["Condition"]["ArnEquals"]["aws:PrincipalArn"]))
    assert sorted(principals(stmt)) == sorted({f"arn:aws:iam::{a.split(':')[4]}:root" for a in arns})
    return arns


# -- app, provider, backend ---------------------------------------------------------------------
def test_one_platform_stack_per_environment(synth):
    platform_stacks = {name for name in synth.stacks if not name.startswith("bootstrap-")}
    assert platform_stacks == set(synth.platform.environments) == set(ENVS)


@pytest.mark.parametrize("env", ENVS)
def test_provider_assumes_the_deploy_role_of_its_account(synth, env):
    cfg = synth.platform.env(env)
    (provider,) = synth[env].data["provider"]["aws"]
    assert provider["assume_role"][0]["role_arn"] == cfg.deploy_role_arn
    assert provider["allowed_account_ids"] == [cfg.account_id]
    assert provider["region"] == cfg.region
    tags = provider["default_tags"][0]["tags"]
    assert tags["environment"] == env and tags["managed-by"] == "mlgov-platform-kit"
    assert {k: tags[k] for k in cfg.tags} == dict(cfg.tags)


@pytest.mark.parametrize("env", ENVS)
def test_provider_constraint_admits_the_mirrored_provider(synth, env):
    aws = synth[env].data["terraform"]["required_providers"]["aws"]
    assert aws == {"source": "hashicorp/aws", "version": "~> 5.99"}  # admits 5.99.1 and 5.100.0


@pytest.mark.parametrize("env", ENVS)
def test_local_backend_when_no_remote_state(synth, env):
    assert synth.platform.env(env).remote_state is None
    assert synth[env].data["terraform"]["backend"] == {"local": {"path": f"terraform.{env}.tfstate"}}


# -- retention ------------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_retention_follows_the_environment_config(synth, env):
    """Deletion windows, version and log retention, force_destroy and the Studio home EFS come
    from ``retention`` (tier defaults plus the file's overrides), not from the tier in code."""
    stack = synth[env]
    retention = synth.platform.env(env).retention
    key = stack.resource(KmsKey.TF_RESOURCE_TYPE, "encryption/key")
    assert key["deletion_window_in_days"] == retention.kms_deletion_window_days
    lifecycle = stack.resource(
        S3BucketLifecycleConfiguration.TF_RESOURCE_TYPE, "artifacts/artifacts/lifecycle"
    )
    (rule,) = lifecycle["rule"]
    assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] == retention.noncurrent_version_days
    for path in ("artifacts/artifacts/bucket", "artifacts/access-logs/bucket"):
        bucket = stack.resource(S3Bucket.TF_RESOURCE_TYPE, path)
        assert bucket["force_destroy"] is retention.force_destroy_buckets, path
    groups = stack.resources(CloudwatchLogGroup.TF_RESOURCE_TYPE)
    assert groups["network/flow-log-group"]["retention_in_days"] == retention.flow_log_retention_days
    governance = groups["governance-events/log-group"]["retention_in_days"]
    assert governance == retention.governance_log_retention_days
    domain = stack.resource(SagemakerDomain.TF_RESOURCE_TYPE, "studio/domain")
    expected = "Retain" if retention.retain_studio_home_efs else "Delete"
    assert domain["retention_policy"]["home_efs_file_system"] == expected


# -- Studio ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_studio_domain_is_vpc_only_and_uses_the_platform_key(synth, env):
    stack = synth[env]
    key_arn = stack.ref(KmsKey.TF_RESOURCE_TYPE, "encryption/key", "arn")
    assert cdktf.Testing.to_have_resource_with_properties(
        stack.text,
        SagemakerDomain.TF_RESOURCE_TYPE,
        {
            "domain_name": names(synth, env).studio_domain,
            "app_network_access_type": "VpcOnly",
            "auth_mode": "IAM",
            "kms_key_id": key_arn,
            "vpc_id": stack.ref(Vpc.TF_RESOURCE_TYPE, "network/vpc", "id"),
        },
    )
    domain = stack.resource(SagemakerDomain.TF_RESOURCE_TYPE, "studio/domain")
    assert domain["default_user_settings"]["security_groups"] == [
        stack.ref(SecurityGroup.TF_RESOURCE_TYPE, "network/studio-sg", "id")
    ]
    assert domain["default_user_settings"]["execution_role"] == stack.ref(
        IamRole.TF_RESOURCE_TYPE, "iam/execution", "arn"
    )
    expected = "Retain" if synth.platform.env(env).tier is Tier.PROD else "Delete"
    assert domain["retention_policy"]["home_efs_file_system"] == expected


def test_studio_domain_matcher_rejects_public_internet(synth):
    """The matcher above can fail: the same stack does not match a public-internet domain."""
    assert not cdktf.Testing.to_have_resource_with_properties(
        synth["dev"].text, SagemakerDomain.TF_RESOURCE_TYPE, {"app_network_access_type": "PublicInternetOnly"}
    )


@pytest.mark.parametrize("env", ENVS)
def test_execution_role_can_open_studio_and_run_a_space_in_this_domain(synth, env):
    """IAM-auth Studio calls SageMaker as the user profile's execution role: it must describe the
    domain and profile, list/create/describe/delete spaces and apps of THIS domain (ARNs built
    from the domain id), pass itself to SageMaker only, and let SageMaker create grants on the
    domain key for AWS resources only. No presigned URLs: that is the person's call."""
    stack = synth[env]
    n = names(synth, env)
    cfg = synth.platform.env(env)
    domain_id = stack.ref(SagemakerDomain.TF_RESOURCE_TYPE, "studio/domain", "id")
    prefix = f"arn:aws:sagemaker:{cfg.region}:{cfg.account_id}"
    config = stack.resource(IamRolePolicy.TF_RESOURCE_TYPE, "iam/execution-studio-policy")
    assert config["role"] == stack.ref(IamRole.TF_RESOURCE_TYPE, "iam/execution", "id")
    by_sid = {s["Sid"]: s for s in statements(json.loads(config["policy"]))}
    granted = {
        (a, r)
        for s in by_sid.values()
        if s["Effect"] == "Allow"
        for a in as_list(s["Action"])
        for r in as_list(s["Resource"])
    }
    assert ("sagemaker:DescribeDomain", f"{prefix}:domain/{domain_id}") in granted
    assert ("sagemaker:DescribeUserProfile", f"{prefix}:user-profile/{domain_id}/*") in granted
    for action in ("CreateSpace", "DescribeSpace", "UpdateSpace", "DeleteSpace"):
        assert (f"sagemaker:{action}", f"{prefix}:space/{domain_id}/*") in granted, action
    for action in ("CreateApp", "DescribeApp", "DeleteApp"):
        assert (f"sagemaker:{action}", f"{prefix}:app/{domain_id}/*") in granted, action
    # List calls take no resource ARN (Service Authorization Reference): "*" or they are denied.
    # The Studio UI lists domains, user profiles, spaces and apps (Developer Guide, "Give your
    # users access to spaces").
    lists = ("ListApps", "ListDomains", "ListSpaces", "ListUserProfiles")
    assert {(f"sagemaker:{action}", "*") for action in lists} <= granted
    assert not {a for a, _ in granted} & {"sagemaker:CreatePresignedDomainUrl", *APPROVAL}
    sagemaker_resources = {r for a, r in granted if a.startswith("sagemaker:") and r != "*"}
    assert all(domain_id in r for r in sagemaker_resources), sagemaker_resources
    pass_role = by_sid["PassItselfToSageMaker"]
    assert pass_role["Action"] == ["iam:PassRole"] and pass_role["Resource"] == [n.role_arn("execution")]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    grant = by_sid["GrantDomainKeyToSageMaker"]
    assert grant["Action"] == ["kms:CreateGrant"]
    assert grant["Resource"] == [stack.ref(KmsKey.TF_RESOURCE_TYPE, "encryption/key", "arn")]
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


@pytest.mark.parametrize("env", ENVS)
def test_user_profiles_from_config(synth, env):
    profiles = synth[env].resources(SagemakerUserProfile.TF_RESOURCE_TYPE)
    got = sorted(p["user_profile_name"] for p in profiles.values())
    assert got == sorted(synth.platform.env(env).studio.user_profiles)


# -- network --------------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_private_subnets_derived_from_config(synth, env):
    cfg = synth.platform.env(env)
    stack = synth[env]
    subnets = stack.resources(Subnet.TF_RESOURCE_TYPE)
    assert len(subnets) == cfg.network.az_count
    zones_type = DataAwsAvailabilityZones.TF_RESOURCE_TYPE
    azs = f"data.{zones_type}." + next(iter(stack.data["data"][zones_type]))
    for index in range(cfg.network.az_count):
        subnet = subnets[f"network/private-{index}"]
        assert subnet["cidr_block"].startswith(f'${{cidrsubnet("{cfg.network.cidr}", ')
        assert subnet["cidr_block"].endswith(f", {index})}}")
        assert subnet["availability_zone"] == f"${{element({azs}.names, {index})}}"
        assert subnet["map_public_ip_on_launch"] is False
    # no route to the internet: no gateways at all
    for rtype in (InternetGateway.TF_RESOURCE_TYPE, NatGateway.TF_RESOURCE_TYPE, Route.TF_RESOURCE_TYPE):
        assert not stack.resources(rtype)


@pytest.mark.parametrize("env", ENVS)
def test_security_groups_stay_inside_the_vpc(synth, env):
    stack = synth[env]
    cidr = ipaddress.ip_network(synth.platform.env(env).network.cidr)
    studio = stack.resource(SecurityGroup.TF_RESOURCE_TYPE, "network/studio-sg")
    # ingress only from the group itself, NFS included
    assert all(r["self"] is True and not r.get("cidr_blocks") for r in studio["ingress"])
    assert any(r["from_port"] == 2049 and r["to_port"] == 2049 for r in studio["ingress"])
    for sg in stack.resources(SecurityGroup.TF_RESOURCE_TYPE).values():
        for rule in sg["ingress"] + sg["egress"]:
            assert rule["description"]
            for block in rule.get("cidr_blocks") or []:
                assert ipaddress.ip_network(block).subnet_of(cidr), (sg["name"], block)
    default = stack.resource(DefaultSecurityGroup.TF_RESOURCE_TYPE, "network/default-sg")
    assert default["ingress"] == [] and default["egress"] == []


#: Interface endpoints a VpcOnly Studio and the kit's jobs call (besides S3 and the Studio one).
INTERFACE_SERVICES = (
    "sagemaker.api",
    "sagemaker.runtime",
    "sts",
    "ssm",
    "logs",
    "kms",
    "ecr.api",
    "ecr.dkr",
    "events",
)


@pytest.mark.parametrize("env", ENVS)
def test_every_endpoint_policy_is_limited_to_this_account(synth, env):
    """Each interface endpoint admits its own service's actions by principals of this account
    only; the S3 gateway adds the AWS-owned ECR layer bucket (presigned URLs signed by AWS); the
    Studio endpoint admits the documented Studio calls on this account's resources."""
    stack = synth[env]
    cfg = synth.platform.env(env)
    by_service = {
        e["service_name"]: json.loads(e["policy"])
        for e in stack.resources(VpcEndpoint.TF_RESOURCE_TYPE).values()
    }
    account_only = {"StringEquals": {"aws:PrincipalAccount": cfg.account_id}}
    for service in INTERFACE_SERVICES:
        (stmt,) = statements(by_service[f"com.amazonaws.{cfg.region}.{service}"])
        prefix = "sagemaker" if service.startswith("sagemaker") else service.split(".")[0]
        assert stmt["Action"] == [f"{prefix}:*"] and stmt["Condition"] == account_only, service
    s3 = {s["Sid"]: s for s in statements(by_service[f"com.amazonaws.{cfg.region}.s3"])}
    assert s3["PrincipalsOfThisPlatform"]["Condition"] == account_only
    assert s3["EcrImageLayers"] == {
        "Sid": "EcrImageLayers",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": ["s3:GetObject"],
        "Resource": [f"arn:aws:s3:::prod-{cfg.region}-starport-layer-bucket/*"],
    }
    (studio,) = statements(by_service[f"aws.sagemaker.{cfg.region}.studio"])
    assert set(studio["Action"]) == {"sagemaker:CreateApp", "sagemaker:CreatePresignedDomainUrl"}
    assert all(r.startswith(f"arn:aws:sagemaker:{cfg.region}:{cfg.account_id}:") for r in studio["Resource"])


@pytest.mark.parametrize("env", ENVS)
def test_vpc_endpoints_and_flow_logs(synth, env):
    stack = synth[env]
    region = synth.platform.env(env).region
    endpoints = {e["service_name"]: e for e in stack.resources(VpcEndpoint.TF_RESOURCE_TYPE).values()}
    interface = [f"com.amazonaws.{region}.{service}" for service in INTERFACE_SERVICES]
    for name in [*interface, f"aws.sagemaker.{region}.studio"]:
        ep = endpoints[name]
        assert ep["vpc_endpoint_type"] == "Interface" and ep["private_dns_enabled"] is True
        assert ep["security_group_ids"] == [
            stack.ref(SecurityGroup.TF_RESOURCE_TYPE, "network/endpoint-sg", "id")
        ]
    assert endpoints[f"com.amazonaws.{region}.s3"]["vpc_endpoint_type"] == "Gateway"
    assert len(endpoints) == len(interface) + 2
    flow = stack.resource(FlowLog.TF_RESOURCE_TYPE, "network/flow-log")
    assert flow["traffic_type"] == "ALL"
    assert flow["log_destination"] == stack.ref(
        CloudwatchLogGroup.TF_RESOURCE_TYPE, "network/flow-log-group", "arn"
    )
    group = stack.resource(CloudwatchLogGroup.TF_RESOURCE_TYPE, "network/flow-log-group")
    assert group["kms_key_id"] == stack.ref(KmsKey.TF_RESOURCE_TYPE, "encryption/key", "arn")
    assert group["retention_in_days"] >= 365


# -- encryption and artifacts --------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_kms_key_rotates_and_grants_downstream_decrypt_only(synth, env):
    stack = synth[env]
    key = stack.resource(KmsKey.TF_RESOURCE_TYPE, "encryption/key")
    assert key["enable_key_rotation"] is True
    policy = stack.policy(KmsKey.TF_RESOURCE_TYPE, "encryption/key")
    cross = [s for s in statements(policy) if s["Sid"] == "DownstreamPromotionRead"]
    expected = downstream_promotion(synth, env)
    if not expected:
        assert cross == []
        return
    (stmt,) = cross
    assert granted_roles(stmt) == expected
    assert set(as_list(stmt["Action"])) == {"kms:Decrypt", "kms:DescribeKey"}
    assert (
        stack.resource(KmsAlias.TF_RESOURCE_TYPE, "encryption/alias")["name"] == names(synth, env).kms_alias
    )


@pytest.mark.parametrize("env", ENVS)
def test_artifact_bucket_hardening(synth, env):
    stack = synth[env]
    n = names(synth, env)
    key_arn = stack.ref(KmsKey.TF_RESOURCE_TYPE, "encryption/key", "arn")
    bucket = stack.resource(S3Bucket.TF_RESOURCE_TYPE, "artifacts/artifacts/bucket")
    assert bucket["bucket"] == n.artifact_bucket
    bucket_id = stack.ref(S3Bucket.TF_RESOURCE_TYPE, "artifacts/artifacts/bucket", "id")
    assert cdktf.Testing.to_have_resource_with_properties(
        stack.text,
        S3BucketServerSideEncryptionConfigurationA.TF_RESOURCE_TYPE,
        {
            "bucket": bucket_id,
            "rule": [
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": key_arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
        },
    )
    assert cdktf.Testing.to_have_resource_with_properties(
        stack.text,
        S3BucketPublicAccessBlock.TF_RESOURCE_TYPE,
        {
            "bucket": bucket_id,
            "block_public_acls": True,
            "block_public_policy": True,
            "ignore_public_acls": True,
            "restrict_public_buckets": True,
        },
    )
    assert cdktf.Testing.to_have_resource_with_properties(
        stack.text,
        S3BucketVersioningA.TF_RESOURCE_TYPE,
        {"bucket": bucket_id, "versioning_configuration": {"status": "Enabled"}},
    )
    logging_ = stack.resource(S3BucketLoggingA.TF_RESOURCE_TYPE, "artifacts/logging")
    assert logging_["bucket"] == bucket_id
    assert logging_["target_bucket"] == stack.ref(
        S3Bucket.TF_RESOURCE_TYPE, "artifacts/access-logs/bucket", "id"
    )
    assert (
        stack.resource(S3Bucket.TF_RESOURCE_TYPE, "artifacts/access-logs/bucket")["bucket"]
        == n.access_log_bucket
    )
    lifecycle = stack.resource(
        S3BucketLifecycleConfiguration.TF_RESOURCE_TYPE, "artifacts/artifacts/lifecycle"
    )
    (rule,) = lifecycle["rule"]
    assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] > 0
    assert rule["abort_incomplete_multipart_upload"][0]["days_after_initiation"] > 0


@pytest.mark.parametrize("env", ENVS)
def test_access_log_bucket_is_sse_s3_and_the_key_serves_no_log_delivery(synth, env):
    """S3 delivers no server access logs to a target whose default encryption is SSE-KMS (S3 User
    Guide, troubleshooting server access logging): the log bucket is SSE-S3 while the artifact
    bucket keeps the platform key, and the key policy no longer grants S3 log delivery."""
    stack = synth[env]
    log_bucket = stack.ref(S3Bucket.TF_RESOURCE_TYPE, "artifacts/access-logs/bucket", "id")
    sse = stack.resource(
        S3BucketServerSideEncryptionConfigurationA.TF_RESOURCE_TYPE, "artifacts/access-logs/encryption"
    )
    assert sse["bucket"] == log_bucket
    assert sse["rule"] == [{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}]
    data = stack.resource(
        S3BucketServerSideEncryptionConfigurationA.TF_RESOURCE_TYPE, "artifacts/artifacts/encryption"
    )
    assert data["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    key_policy = stack.policy(KmsKey.TF_RESOURCE_TYPE, "encryption/key")
    assert "logging.s3.amazonaws.com" not in json.dumps(key_policy)


@pytest.mark.parametrize("env", ENVS)
def test_bucket_policies_deny_plain_http(synth, env):
    stack = synth[env]
    for path in ("artifacts/policy", "artifacts/access-logs-policy"):
        policy = stack.policy(S3BucketPolicy.TF_RESOURCE_TYPE, path)
        deny = [s for s in statements(policy, effect="Deny") if s["Sid"] == "DenyInsecureTransport"]
        assert len(deny) == 1, path
        assert deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert deny[0]["Action"] == ["s3:*"]


def test_hardened_bucket_without_a_key_uses_sse_s3():
    """The shared bucket shape with no KMS key: SSE-S3 (no key id, no bucket key), still TLS only
    and private."""
    from modules.buckets import HardenedBucket, Lifecycle

    stack = cdktf.TerraformStack(cdktf.Testing.app(), "buckets")
    HardenedBucket(
        stack,
        "plain",
        name="example-plain-bucket",
        kms_key_arn=None,
        lifecycle=Lifecycle(noncurrent_days=30),
        force_destroy=False,
        policy_id="plain-policy",
    )
    data = json.loads(cdktf.Testing.synth(stack))["resource"]
    (sse,) = data[S3BucketServerSideEncryptionConfigurationA.TF_RESOURCE_TYPE].values()
    assert sse["rule"] == [{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}]
    (policy,) = data[S3BucketPolicy.TF_RESOURCE_TYPE].values()
    (deny,) = statements(json.loads(policy["policy"]), effect="Deny")
    assert deny["Sid"] == "DenyInsecureTransport"
    assert deny["Resource"] == ["arn:aws:s3:::example-plain-bucket", "arn:aws:s3:::example-plain-bucket/*"]
    (block,) = data[S3BucketPublicAccessBlock.TF_RESOURCE_TYPE].values()
    assert block["block_public_policy"] is True and block["restrict_public_buckets"] is True


@pytest.mark.parametrize("env", ENVS)
def test_artifact_bucket_grants_exactly_the_downstream_promotion_role_read(synth, env):
    policy = synth[env].policy(S3BucketPolicy.TF_RESOURCE_TYPE, "artifacts/policy")
    allows = statements(policy, effect="Allow")
    expected = downstream_promotion(synth, env)
    if not expected:
        assert allows == []
        return
    bucket = names(synth, env).artifact_bucket_arn
    granted = {(a, r) for s in allows for a in as_list(s["Action"]) for r in as_list(s["Resource"])}
    # models/* only: not the audit records, not the promotion state (issue 16)
    assert granted == {
        ("s3:GetObject", f"{bucket}/models/*"),
        ("s3:GetObjectVersion", f"{bucket}/models/*"),
        ("s3:ListBucket", bucket),
    }
    for stmt in allows:
        assert granted_roles(stmt) == expected
    (listing,) = [s for s in allows if s["Action"] == ["s3:ListBucket"]]
    # no organization configured in the shipped files: besides the grantee, the listing's prefix
    # is the one condition
    grantee = {"ArnEquals": {"aws:PrincipalArn": expected}}
    assert listing["Condition"] == {**grantee, "StringLike": {"s3:prefix": ["models/*"]}}
    assert all(s["Condition"] == grantee for s in allows if s is not listing)


@pytest.mark.parametrize("env", ENVS)
def test_strict_tiers_models_have_one_writer_write_once_and_no_delete(synth, env):
    """In staging and prod the bucket policy denies every principal but the promotion role a
    write to models/*, every write without If-None-Match: * (multipart parts exempt: they take
    no conditional header; S3 User Guide, "Enforce conditional writes"), and every delete."""
    policy = synth[env].policy(S3BucketPolicy.TF_RESOURCE_TYPE, "artifacts/policy")
    denies = {s["Sid"]: s for s in statements(policy, effect="Deny") if s["Sid"] != "DenyInsecureTransport"}
    if not synth.platform.env(env).tier.strict:
        assert denies == {}
        return
    models = f"{names(synth, env).artifact_bucket_arn}/models/*"
    assert set(denies) == {"ModelsOnlyByPromotion", "ModelsWriteOnce", "ModelsNeverDeleted"}
    for stmt in denies.values():
        assert stmt["Principal"] == {"AWS": "*"} and stmt["Resource"] == [models]
    only = denies["ModelsOnlyByPromotion"]
    assert set(only["Action"]) == {"s3:PutObject", "s3:ReplicateObject"}
    assert only["Condition"] == {
        "ArnNotEquals": {"aws:PrincipalArn": names(synth, env).role_arn("promotion")}
    }
    once = denies["ModelsWriteOnce"]
    assert once["Action"] == ["s3:PutObject"]
    assert once["Condition"] == {
        "StringNotEquals": {"s3:if-none-match": "*"},
        "Bool": {"s3:ObjectCreationOperation": "true"},
    }
    assert set(denies["ModelsNeverDeleted"]["Action"]) == {"s3:DeleteObject", "s3:DeleteObjectVersion"}
    assert "Condition" not in denies["ModelsNeverDeleted"]


# -- registry -------------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_group_policy_grants_downstream_promotion_reads_only(synth, env):
    """The upstream group policy lets the downstream promotion role read, and nothing that could
    change a version: with UpdateModelPackage, staging's promotion role could approve a dev
    version and its card, then promote it through gates it satisfied itself."""
    stack = synth[env]
    n = names(synth, env)
    expected = downstream_promotion(synth, env)
    policies = stack.resources(SagemakerModelPackageGroupPolicy.TF_RESOURCE_TYPE)
    if not expected:
        # prod: no downstream, so no grant; the strict tier's denies alone (next test)
        for path in policies:
            assert (
                statements(
                    stack.policy(SagemakerModelPackageGroupPolicy.TF_RESOURCE_TYPE, path), effect="Allow"
                )
                == []
            )
        return
    for uc in synth.platform.env(env).use_cases:
        path = f"registry/group-{uc.name}-policy"
        config = stack.resource(SagemakerModelPackageGroupPolicy.TF_RESOURCE_TYPE, path)
        assert config["model_package_group_name"] == stack.ref(
            SagemakerModelPackageGroup.TF_RESOURCE_TYPE,
            f"registry/group-{uc.name}",
            "model_package_group_name",
        )
        (stmt,) = statements(
            stack.policy(SagemakerModelPackageGroupPolicy.TF_RESOURCE_TYPE, path), effect="Allow"
        )
        assert set(stmt["Action"]) == GROUP_ACTIONS and len(stmt["Action"]) == 3
        assert not APPROVAL & set(stmt["Action"])
        assert granted_roles(stmt) == expected
        assert stmt["Resource"] == [n.model_package_group_arn(uc.name), n.model_package_arn_pattern(uc.name)]


@pytest.mark.parametrize("env", ENVS)
def test_strict_tier_group_policies_name_one_writer_per_change(synth, env):
    """Staging and prod: whatever identity policies say, only the promotion role registers a
    version, only the approver role changes one, nobody approves a version without a passing gate
    record, and nobody deletes one."""
    stack, n = synth[env], names(synth, env)
    strict = synth.platform.env(env).tier.strict
    for uc in synth.platform.env(env).use_cases:
        path = f"registry/group-{uc.name}-policy"
        found = stack.resources(SagemakerModelPackageGroupPolicy.TF_RESOURCE_TYPE)
        denies = (
            {
                s["Sid"]: s
                for s in statements(
                    stack.policy(SagemakerModelPackageGroupPolicy.TF_RESOURCE_TYPE, path), effect="Deny"
                )
            }
            if path in found
            else {}
        )
        if not strict:
            assert denies == {}
            continue
        versions = [n.model_package_group_arn(uc.name), n.model_package_arn_pattern(uc.name)]
        assert set(denies) == {
            "OnlyPromotionRegisters",
            "OnlyApproverChangesVersions",
            "ApprovalNeedsGateRecord",
            "VersionsAreKept",
        }
        for stmt in denies.values():
            assert stmt["Principal"] == {"AWS": "*"} and stmt["Resource"] == versions
        assert denies["OnlyPromotionRegisters"]["Condition"] == {
            "ArnNotEquals": {"aws:PrincipalArn": n.role_arn("promotion")}
        }
        assert denies["OnlyApproverChangesVersions"]["Condition"] == {
            "ArnNotEquals": {"aws:PrincipalArn": n.role_arn("approver")}
        }
        assert denies["ApprovalNeedsGateRecord"]["Condition"] == {
            "StringEquals": {"sagemaker:ModelApprovalStatus": "Approved"},
            "StringNotEquals": {"sagemaker:CurrentCustomerMetadataProperties/mlgov-gates": "passed"},
        }


@pytest.mark.parametrize("env", ENVS)
def test_one_group_per_use_case(synth, env):
    groups = synth[env].resources(SagemakerModelPackageGroup.TF_RESOURCE_TYPE)
    n = names(synth, env)
    assert sorted(g["model_package_group_name"] for g in groups.values()) == sorted(
        n.model_package_group(u.name) for u in synth.platform.env(env).use_cases
    )


# -- IAM ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_roles_named_by_names(synth, env):
    roles = synth[env].resources(IamRole.TF_RESOURCE_TYPE)
    n = names(synth, env)
    for key in ("execution", "data_scientist", "approver", "promotion", "datazone"):
        assert roles[f"iam/{key.replace('_', '-')}"]["name"] == n.role_name(key)


@pytest.mark.parametrize("env", ("staging", "prod"))
def test_strict_tiers_deny_the_data_scientist_approval(synth, env):
    stack = synth[env]
    policy = stack.policy(IamRolePolicy.TF_RESOURCE_TYPE, "iam/data-scientist-policy")
    assert not (allowed_actions(policy) & APPROVAL)
    assert denied_actions(policy) >= APPROVAL
    approver = stack.policy(IamRolePolicy.TF_RESOURCE_TYPE, "iam/approver-policy")
    assert allowed_actions(approver) >= APPROVAL


@pytest.mark.parametrize("env", ("staging", "prod"))
def test_strict_tiers_deny_approval_on_every_resource(synth, env):
    """The separation-of-duties Deny covers every model package and card ("*"), with no
    condition: a Deny narrowed to today's ARNs would let a later Allow reach any other one."""
    policy = synth[env].policy(IamRolePolicy.TF_RESOURCE_TYPE, "iam/data-scientist-policy")
    denies = [s for s in statements(policy, effect="Deny") if APPROVAL & set(as_list(s["Action"]))]
    assert {a for s in denies for a in as_list(s["Action"])} >= APPROVAL
    for stmt in denies:
        assert as_list(stmt["Resource"]) == ["*"], stmt["Sid"]
        assert "Condition" not in stmt and "NotResource" not in stmt, stmt["Sid"]


def test_dev_lets_the_data_scientist_approve(synth):
    policy = synth["dev"].policy(IamRolePolicy.TF_RESOURCE_TYPE, "iam/data-scientist-policy")
    assert allowed_actions(policy) >= APPROVAL
    assert not denied_actions(policy)


@pytest.mark.parametrize("env", ENVS)
def test_only_the_approver_may_change_approval(synth, env):
    """No role but the approver may call the approval actions (in dev, also the data scientist).
    The promotion role holds neither, in any tier: IAM cannot limit UpdateModelPackage to some
    parameters, so holding it on its own versions would let it approve what it just registered."""
    stack = synth[env]
    strict = synth.platform.env(env).tier.strict
    for path in stack.resources(IamRolePolicy.TF_RESOURCE_TYPE):
        granted = allowed_actions(stack.policy(IamRolePolicy.TF_RESOURCE_TYPE, path)) & APPROVAL
        approves = path == "iam/approver-policy" or (path == "iam/data-scientist-policy" and not strict)
        assert granted == (APPROVAL if approves else set()), path


@pytest.mark.parametrize("env", ("staging", "prod"))
@pytest.mark.parametrize("role", ("execution", "data-scientist", "promotion"))
def test_strict_tiers_deny_approval_to_every_registering_role(synth, env, role):
    """Every role of a strict tier but the approver is denied, on every resource, the approval
    actions. The execution and data-scientist roles are denied registering at all and writing
    models/* (the promotion role is the one writer); the promotion role registering a version
    already Approved (CreateModelPackage takes ModelApprovalStatus; IAM exposes it as
    sagemaker:ModelApprovalStatus). The execution role is included: in IAM-auth Studio, whatever
    a data scientist runs in a space runs as it."""
    policy = synth[env].policy(IamRolePolicy.TF_RESOURCE_TYPE, f"iam/{role}-policy")
    denies = {s["Sid"]: s for s in statements(policy, effect="Deny")}
    approval = denies["SeparationOfDutiesNoApproval"]
    assert set(as_list(approval["Action"])) == APPROVAL and approval["Resource"] == ["*"]
    assert "Condition" not in approval
    if role == "promotion":
        registration = denies["SeparationOfDutiesNoApprovedRegistration"]
        assert registration["Action"] == ["sagemaker:CreateModelPackage"] and registration["Resource"] == [
            "*"
        ]
        assert registration["Condition"] == {"StringEquals": {"sagemaker:ModelApprovalStatus": "Approved"}}
        return
    registration = denies["StrictTierOnlyPromotionRegisters"]
    assert registration["Action"] == ["sagemaker:CreateModelPackage"] and registration["Resource"] == ["*"]
    assert "Condition" not in registration
    writes = denies["StrictTierNoArtifactWrites"]
    assert writes["Action"] == ["s3:PutObject"]
    assert writes["Resource"] == [f"{names(synth, env).artifact_bucket_arn}/models/*"]
    assert "sagemaker:CreateModelPackage" not in allowed_actions(policy)
    assert "s3:PutObject" not in {
        a
        for st in statements(policy, effect="Allow")
        if "models/*" in json.dumps(st)
        for a in as_list(st["Action"])
    }


@pytest.mark.parametrize("env", ENVS)
def test_promotion_role_holds_exactly_the_promotion_actions(synth, env):
    """The promotion role's whole grant, per tier: the same actions everywhere (dev has no
    upstream, so no upstream reads; nothing promotes into dev, and not being able to approve costs
    nothing there), plus the strict tiers' explicit denies."""
    policy = synth[env].policy(IamRolePolicy.TF_RESOURCE_TYPE, "iam/promotion-policy")
    assert allowed_actions(policy) == PROMOTION_ACTIONS
    strict = synth.platform.env(env).tier.strict
    assert denied_actions(policy) == ({*APPROVAL, "sagemaker:CreateModelPackage"} if strict else set())


@pytest.mark.parametrize("env", ENVS)
def test_trust_policies(synth, env):
    stack = synth[env]
    cfg = synth.platform.env(env)
    root = f"arn:aws:iam::{cfg.account_id}:root"
    people = {
        "iam/data-scientist": cfg.data_scientists,
        "iam/approver": cfg.approvers,
        "iam/promotion": cfg.promotion_operators,
        "serving/model-deploy": cfg.deployers,
        **({"data/data-engineer": cfg.data_engineers} if cfg.promotes_from is None else {}),
    }
    for path, role in stack.resources(IamRole.TF_RESOURCE_TYPE).items():
        for stmt in statements(json.loads(role["assume_role_policy"])):
            service = stmt["Principal"].get("Service")
            aws = stmt["Principal"].get("AWS")
            if service:
                # confused deputy: every service principal is tied to this account
                assert stmt["Condition"]["StringEquals"]["aws:SourceAccount"] == cfg.account_id, path
            if aws and path == "data/data-grant":  # the data engineer only (test_data_flow.py)
                assert as_list(aws) == [f"arn:aws:iam::{cfg.account_id}:role/mlgov-{env}-data-engineer"]
            elif aws == root:
                # the account is a principal only to match a configured pattern, never alone
                assert stmt["Condition"] == {
                    "ArnLike": {"aws:PrincipalArn": [p for p in people[path] if "*" in p]}
                }, path
            if aws:
                assert set(stmt["Action"]) == {"sts:AssumeRole", "sts:SetSourceIdentity"}, path
    for path, configured in people.items():
        trust = json.loads(stack.resource(IamRole.TF_RESOURCE_TYPE, path)["assume_role_policy"])
        named = {p for st in statements(trust) for p in as_list(st["Principal"].get("AWS", []))} - {root}
        patterns = {
            p
            for st in statements(trust)
            for p in as_list(st.get("Condition", {}).get("ArnLike", {}).get("aws:PrincipalArn", []))
        }
        assert named | patterns == set(configured), path
    datazone = json.loads(stack.resource(IamRole.TF_RESOURCE_TYPE, "iam/datazone")["assume_role_policy"])
    (stmt,) = statements(datazone)
    assert stmt["Principal"] == {"Service": "datazone.amazonaws.com"}
    assert set(stmt["Action"]) == {"sts:AssumeRole", "sts:TagSession"}
    assert stmt["Condition"]["ForAllValues:StringLike"] == {"aws:TagKeys": ["datazone*"]}


@pytest.mark.parametrize("env", ENVS)
def test_datazone_execution_role_carries_the_documented_managed_policy(synth, env):
    """The DataZone guide's domain execution role has AmazonDataZoneDomainExecutionRolePolicy
    attached (every API the portal calls: projects, memberships, subscriptions); the kit's inline
    policy adds only the platform key, which the managed policy does not grant."""
    stack = synth[env]
    attachments = {
        k: v for k, v in stack.resources(IamRolePolicyAttachment.TF_RESOURCE_TYPE).items() if "guard" not in k
    }
    assert attachments == {
        "iam/datazone-AmazonDataZoneDomainExecutionRolePolicy": {
            "//": attachments["iam/datazone-AmazonDataZoneDomainExecutionRolePolicy"]["//"],
            "policy_arn": "arn:aws:iam::aws:policy/service-role/AmazonDataZoneDomainExecutionRolePolicy",
            "role": stack.ref(IamRole.TF_RESOURCE_TYPE, "iam/datazone", "name"),
        }
    }
    (inline,) = statements(stack.policy(IamRolePolicy.TF_RESOURCE_TYPE, "iam/datazone-policy"))
    assert {a.split(":")[0] for a in inline["Action"]} == {"kms"}
    assert inline["Resource"] == [stack.ref(KmsKey.TF_RESOURCE_TYPE, "encryption/key", "arn")]


def test_approver_trust_names_exactly_the_configured_principal(named_approver_synth):
    """With a named approver role configured, the approver role trusts that role and nothing
    else: not the account root, which would let any principal of the account that IAM allows
    assume it."""
    cfg = named_approver_synth.platform.env("staging")
    (approver,) = cfg.approvers
    assert ":role/" in approver and "*" not in approver  # the variant's point: an exact name
    trust = named_approver_synth["staging"].policy(IamRole.TF_RESOURCE_TYPE, "iam/approver")
    (stmt,) = statements(trust)
    assert stmt["Effect"] == "Allow" and stmt["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity"]
    assert stmt["Principal"] == {"AWS": [approver]}
    assert "Condition" not in stmt
    assert f"arn:aws:iam::{cfg.account_id}:root" not in json.dumps(trust)


def test_a_permission_set_pattern_is_matched_on_the_principal_arn(synth):
    """The shipped files name IAM Identity Center permission set roles by pattern: the trust
    names the account only together with ArnLike on aws:PrincipalArn, so no other principal of
    the account matches."""
    cfg = synth.platform.env("prod")
    trust = synth["prod"].policy(IamRole.TF_RESOURCE_TYPE, "iam/approver")
    (stmt,) = statements(trust)
    assert stmt["Sid"] == "GovernanceOfficersByPattern"
    assert stmt["Principal"] == {"AWS": f"arn:aws:iam::{cfg.account_id}:root"}
    assert stmt["Condition"] == {"ArnLike": {"aws:PrincipalArn": list(cfg.approvers)}}
    assert all("AWSReservedSSO_MLGovApprover_*" in p for p in cfg.approvers)


@pytest.mark.parametrize("env", ENVS)
def test_promotion_role_trusts_the_ci_promote_job_and_the_operators_only(synth, env):
    cfg = synth.platform.env(env)
    ci = synth.platform.ci
    assert ci is not None
    trust = synth[env].policy(IamRole.TF_RESOURCE_TYPE, "iam/promotion")
    by_sid = {s["Sid"]: s for s in statements(trust)}
    job = by_sid.pop("CiPromoteJob")
    assert job["Principal"] == {"Federated": names(synth, env).github_oidc_provider_arn}
    assert job["Action"] == ["sts:AssumeRoleWithWebIdentity"]
    assert job["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": [
                f"repo:{ci.github_repository}:environment:{env}-promotion"
            ],
        }
    }
    patterns = [
        p
        for s in by_sid.values()
        for p in s.get("Condition", {}).get("ArnLike", {}).get("aws:PrincipalArn", [])
    ]
    assert sorted(patterns) == sorted(cfg.promotion_operators)


@pytest.mark.parametrize("env", ("staging", "prod"))
def test_promotion_role_reads_exactly_its_upstream(synth, env):
    stack = synth[env]
    up = names(synth, synth.platform.env(env).promotes_from)
    policy = stack.policy(IamRolePolicy.TF_RESOURCE_TYPE, "iam/promotion-policy")
    by_sid = {s["Sid"]: s for s in statements(policy)}
    registry = by_sid["ReadUpstreamRegistry"]
    assert set(registry["Action"]) == GROUP_ACTIONS  # read only: nothing downstream changes upstream
    ucs = [u.name for u in synth.platform.env(env).use_cases]
    assert sorted(registry["Resource"]) == sorted(
        [up.model_package_group_arn(u) for u in ucs] + [up.model_package_arn_pattern(u) for u in ucs]
    )
    # the approved artifacts only: not the upstream audit records or promotion state
    assert by_sid["ReadUpstreamArtifacts"]["Resource"] == [f"{up.artifact_bucket_arn}/models/*"]
    assert by_sid["ListUpstreamArtifacts"]["Condition"] == {"StringLike": {"s3:prefix": ["models/*"]}}
    decrypt = by_sid["DecryptUpstreamArtifacts"]
    assert decrypt["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": up.kms_alias},
        "StringEquals": {
            "kms:ViaService": ["s3.us-east-1.amazonaws.com", "sagemaker.us-east-1.amazonaws.com"]
        },
    }
    assert decrypt["Resource"] == [f"arn:aws:kms:{up.env.region}:{up.env.account_id}:key/*"]


def test_dev_promotion_role_reads_no_other_account(synth):
    policy = synth["dev"].policy(IamRolePolicy.TF_RESOURCE_TYPE, "iam/promotion-policy")
    text = json.dumps(policy)
    for other in ("staging", "prod"):
        assert synth.platform.env(other).account_id not in text


# -- every policy ---------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_no_allow_to_star_principal_and_no_star_action(synth, env):
    """No policy allows "*" as principal, except VPC endpoint policies (whose principal is always
    "*"), and each of those is limited by the principal's account or by resources of this
    account."""
    account = synth.platform.env(env).account_id
    count = 0
    for rtype, path, policy in synth[env].policies():
        count += 1
        for stmt in statements(policy, effect="Allow"):
            assert "NotPrincipal" not in stmt and "NotAction" not in stmt
            assert "*" not in as_list(stmt["Action"]), (rtype, path)
            if "*" not in principals(stmt):
                continue
            assert rtype == VpcEndpoint.TF_RESOURCE_TYPE, (rtype, path)
            scoped = stmt.get("Condition", {}).get("StringEquals", {}).get("aws:PrincipalAccount")
            in_account = all(
                f":{account}:" in r or "starport-layer-bucket" in r for r in as_list(stmt["Resource"])
            )
            assert scoped == account or in_account, (path, stmt["Sid"])
    assert count >= 25  # roles, role policies, key, buckets, groups, log policy, endpoints


#: Condition keys that tie a service principal to this account (confused-deputy protection).
DEPUTY_KEYS = {"aws:SourceAccount", "aws:SourceArn", "kms:EncryptionContext:aws:logs:arn"}


@pytest.mark.parametrize("env", ENVS)
def test_every_service_principal_is_tied_to_this_account(synth, env):
    account = synth.platform.env(env).account_id
    seen = 0
    for rtype, path, policy in synth[env].policies():
        for stmt in statements(policy, effect="Allow"):
            if not isinstance(stmt.get("Principal"), dict) or "Service" not in stmt["Principal"]:
                continue
            seen += 1
            if rtype == CloudwatchLogResourcePolicy.TF_RESOURCE_TYPE:
                # The documented EventBridge-to-Logs policy carries no condition (EventBridge sends
                # no aws:SourceArn with CreateLogStream); its resource is this account's log group.
                assert all(f":{account}:log-group:" in r for r in as_list(stmt["Resource"]))
                continue
            keys = {k: v for block in stmt.get("Condition", {}).values() for k, v in block.items()}
            tied = DEPUTY_KEYS & set(keys)
            assert tied, (rtype, path, stmt["Sid"])
            assert all(account in json.dumps(keys[k]) for k in tied), (rtype, path, stmt["Sid"])
    assert seen >= 6  # sagemaker, datazone, flow logs, logs (key), S3 log delivery (bucket), events


# -- DataZone ---------------------------------------------------------------------------------
def test_datazone_only_in_the_home_environment(synth):
    homes = [e for e in ENVS if synth[e].resources(DatazoneDomain.TF_RESOURCE_TYPE)]
    assert homes == [synth.platform.datazone_home.name]


def test_datazone_domain_projects_and_share(synth):
    home = synth.platform.datazone_home
    stack = synth[home.name]
    n = names(synth, home.name)
    assert cdktf.Testing.to_have_resource_with_properties(
        stack.text,
        DatazoneDomain.TF_RESOURCE_TYPE,
        {
            "name": n.datazone_domain,
            "kms_key_identifier": stack.ref(KmsKey.TF_RESOURCE_TYPE, "encryption/key", "arn"),
            "domain_execution_role": stack.ref(IamRole.TF_RESOURCE_TYPE, "iam/datazone", "arn"),
        },
    )
    projects = stack.resources(DatazoneProject.TF_RESOURCE_TYPE)
    use_cases = {u.name for e in synth.platform.environments.values() for u in e.use_cases}
    assert sorted(p["name"] for p in projects.values()) == sorted(
        [*(n.datazone_project(u) for u in use_cases), n.datazone_producer_project]
    )
    shared = sorted(
        p["principal"] for p in stack.resources(RamPrincipalAssociation.TF_RESOURCE_TYPE).values()
    )
    others = sorted(e.account_id for e in synth.platform.environments.values() if e is not home)
    assert shared == others
    (assoc,) = stack.resources(RamResourceAssociation.TF_RESOURCE_TYPE).values()
    assert assoc["resource_arn"] == stack.ref(DatazoneDomain.TF_RESOURCE_TYPE, "datazone/domain", "arn")


# -- governance events ----------------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_governance_events_to_encrypted_log_group(synth, env):
    stack = synth[env]
    n = names(synth, env)
    cfg = synth.platform.env(env)
    rule = stack.resource(CloudwatchEventRule.TF_RESOURCE_TYPE, "governance-events/model-package-state")
    pattern = json.loads(rule["event_pattern"])
    assert pattern["detail-type"] == ["SageMaker Model Package State Change"]
    assert pattern["detail"]["ModelPackageGroupName"] == sorted(
        n.model_package_group(u.name) for u in cfg.use_cases
    )
    audit = stack.resource(CloudwatchEventRule.TF_RESOURCE_TYPE, "governance-events/governance-audit")
    assert json.loads(audit["event_pattern"]) == {"source": [n.audit_event_source]}
    group = stack.resource(CloudwatchLogGroup.TF_RESOURCE_TYPE, "governance-events/log-group")
    assert group["name"] == n.governance_log_group
    assert group["kms_key_id"] == stack.ref(KmsKey.TF_RESOURCE_TYPE, "encryption/key", "arn")
    assert group["retention_in_days"] >= 365
    for target in stack.resources(CloudwatchEventTarget.TF_RESOURCE_TYPE).values():
        assert target["arn"] == stack.ref(
            CloudwatchLogGroup.TF_RESOURCE_TYPE, "governance-events/log-group", "arn"
        )
        assert "role_arn" not in target  # Logs targets are authorised by the resource policy only


@pytest.mark.parametrize("env", ENVS)
def test_governance_log_policy_is_the_documented_eventbridge_shape(synth, env):
    """EventBridge User Guide, CloudWatch Logs permissions: both service principals, CreateLogStream
    and PutLogEvents on the log group's streams (``<log group ARN>:*``), no condition. An
    aws:SourceArn condition (the kit's earlier shape) stops delivery: EventBridge does not send it
    with CreateLogStream."""
    cfg = synth.platform.env(env)
    policy = synth[env].policy(CloudwatchLogResourcePolicy.TF_RESOURCE_TYPE, "governance-events/log-policy")
    (stmt,) = statements(policy)
    log_group = (
        f"arn:aws:logs:{cfg.region}:{cfg.account_id}:log-group:{names(synth, env).governance_log_group}"
    )
    assert stmt == {
        "Sid": "TrustEventsToStoreLogEvent",
        "Effect": "Allow",
        "Principal": {"Service": ["delivery.logs.amazonaws.com", "events.amazonaws.com"]},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [f"{log_group}:*"],
    }


# -- SSM contract ---------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_every_published_id_is_an_ssm_parameter_under_the_prefix(synth, env):
    stack = synth[env]
    n = names(synth, env)
    cfg = synth.platform.env(env)
    params = {p["name"]: p for p in stack.resources(SsmParameter.TF_RESOURCE_TYPE).values()}
    expected = {
        n.ssm_artifact_bucket,
        n.ssm_kms_key_arn,
        n.ssm_lifecycle_stage,
        n.ssm_studio_domain_id,
        n.ssm_governance_log_group,
        *(
            n.ssm_role_arn(k)
            for k in (
                "execution",
                "data_scientist",
                "approver",
                "promotion",
                "datazone",
                "model_deploy",
                "pipeline",
            )
        ),
        *(n.ssm_group_name(u.name) for u in cfg.use_cases),
        *(n.ssm_group_arn(u.name) for u in cfg.use_cases),
    }
    if cfg.datazone_home:
        expected |= {n.ssm_datazone_domain_id, n.ssm_datazone_producer_project_id}
        expected |= {n.ssm_datazone_project_id(u.name) for u in cfg.use_cases}
    if cfg.promotes_from is None:  # where data lives (modules/data.py)
        expected |= {n.ssm_role_arn("data_engineer"), n.ssm_role_arn("data_grant")}
    assert set(params) == expected
    assert all(p["type"] == "String" and p["name"].startswith(n.ssm_prefix + "/") for p in params.values())
    assert params[n.ssm_lifecycle_stage]["value"] == cfg.lifecycle_stage
    assert params[n.ssm_kms_key_arn]["value"] == stack.ref(KmsKey.TF_RESOURCE_TYPE, "encryption/key", "arn")
    assert params[n.ssm_studio_domain_id]["value"] == stack.ref(
        SagemakerDomain.TF_RESOURCE_TYPE, "studio/domain", "id"
    )


# -- behaviour follows the tier, not the name -------------------------------------------------------
def test_a_dev_named_environment_with_a_strict_tier_denies_approval(synth):
    """A stack synthesized from dev's file with ``tier: staging`` gets the strict controls."""
    import dataclasses

    from environments import PlatformConfig
    from modules.stack import PlatformStack

    strict_dev = dataclasses.replace(synth.platform.env("dev"), tier=Tier.STAGING)
    platform = PlatformConfig(
        synth.platform.name_prefix,
        synth.platform.organization_id,
        {**synth.platform.environments, "dev": strict_dev},
    )
    stack = PlatformStack(cdktf.Testing.app(), platform, strict_dev)
    data = json.loads(cdktf.Testing.synth(stack))
    # cdktf.Testing.synth carries no construct metadata: find the policy by its (computed) name.
    wanted = f"{Names.of(platform, strict_dev).role_name('data_scientist')}-policy"
    (policy,) = [
        json.loads(p["policy"])
        for p in data["resource"][IamRolePolicy.TF_RESOURCE_TYPE].values()
        if p["name"] == wanted
    ]
    assert denied_actions(policy) >= APPROVAL and not (allowed_actions(policy) & APPROVAL)


# -- the governance metadata guards and the gate record ---------------------------------------------
def test_the_guards_know_every_mlgov_key_the_jobs_write():
    """modules/ may not import scripts/: the guard spells the keys again, and this keeps the two
    lists equal (a key added to the jobs and not to the guard could be forged by an update)."""
    from modules.role_basics import GOVERNANCE_METADATA_KEYS, PROMOTED_TO_PREFIX, PROMOTION_METADATA_KEYS
    from scripts.governance import metadata

    written = {
        value
        for name, value in vars(metadata).items()
        if name.startswith("META_") and not name.endswith("_PREFIX") and isinstance(value, str)
    }
    assert set(GOVERNANCE_METADATA_KEYS) == written
    assert PROMOTED_TO_PREFIX == metadata.META_PROMOTED_TO_PREFIX
    assert set(PROMOTION_METADATA_KEYS) == {
        metadata.META_SOURCE_ARN,
        metadata.META_SOURCE_ACCOUNT,
        metadata.META_SOURCE_ENV,
        metadata.META_SOURCE_VERSION,
        metadata.META_TOKEN,
        metadata.META_GATES,
        metadata.META_GATE_RESULTS,
    }


@pytest.mark.parametrize("env", ENVS)
def test_every_registering_or_approving_role_carries_both_guards(synth, env):
    from modules.role_basics import GOVERNANCE_METADATA_KEYS, PROMOTION_METADATA_KEYS

    stack, n = synth[env], names(synth, env)
    policies = stack.resources("aws_iam_policy")
    guard = json.loads(policies["iam/governance-metadata-guard"]["policy"])
    keys = [
        *GOVERNANCE_METADATA_KEYS,
        *(f"mlgov-promoted-to-{e}" for e in sorted(synth.platform.environments)),
    ]
    by_key = {
        next(iter(s["Condition"]["Null"])).split("/", 1)[1]: s
        for s in guard["Statement"]
        if "Null" in s["Condition"]
    }
    assert sorted(by_key) == sorted(keys)
    for key, stmt in by_key.items():
        assert stmt["Effect"] == "Deny" and stmt["Action"] == ["sagemaker:UpdateModelPackage"]
        assert stmt["Resource"] == ["*"] and stmt["Condition"] == {
            "Null": {f"sagemaker:CustomerMetadataProperties/{key}": "false"}
        }
    (remove,) = [s for s in guard["Statement"] if "Null" not in s["Condition"]]
    assert remove["Condition"] == {
        "ForAnyValue:StringLike": {"sagemaker:CustomerMetadataPropertiesToRemove": ["mlgov-*"]}
    }
    registration = json.loads(policies["iam/registration-guard"]["policy"])
    assert sorted(
        next(iter(s["Condition"]["Null"])).split("/", 1)[1] for s in registration["Statement"]
    ) == sorted(PROMOTION_METADATA_KEYS)
    for stmt in registration["Statement"]:
        assert stmt["Action"] == ["sagemaker:CreateModelPackage"]
        assert stmt["Condition"]["ArnNotEquals"] == {"aws:PrincipalArn": n.role_arn("promotion")}
    attached = {
        (a["role"], a["policy_arn"])
        for a in stack.resources(IamRolePolicyAttachment.TF_RESOURCE_TYPE).values()
    }
    for role in ("execution", "data-scientist", "approver", "promotion"):
        for guard_path in ("iam/governance-metadata-guard", "iam/registration-guard"):
            ref = (
                stack.ref(IamRole.TF_RESOURCE_TYPE, f"iam/{role}", "name"),
                stack.ref("aws_iam_policy", guard_path, "arn"),
            )
            assert ref in attached, (role, guard_path)


@pytest.mark.parametrize("env", ENVS)
def test_strict_approval_needs_a_passing_gate_record(synth, env):
    policy = synth[env].policy(IamRolePolicy.TF_RESOURCE_TYPE, "iam/approver-policy")
    denies = {s["Sid"]: s for s in statements(policy, effect="Deny")}
    if not synth.platform.env(env).tier.strict:
        assert denies == {}
        return
    gate = denies["StrictTierApprovalNeedsGateRecord"]
    assert gate["Action"] == ["sagemaker:UpdateModelPackage"] and gate["Resource"] == ["*"]
    assert gate["Condition"] == {
        "StringEquals": {"sagemaker:ModelApprovalStatus": "Approved"},
        "StringNotEquals": {"sagemaker:CurrentCustomerMetadataProperties/mlgov-gates": "passed"},
    }
    assert denies["StrictTierOnlyPromotionRegisters"]["Action"] == ["sagemaker:CreateModelPackage"]


# -- keys: through the services, never directly ------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_the_registry_roles_use_the_key_only_through_s3_and_sagemaker(synth, env):
    """As AmazonSageMakerModelRegistryFullAccess grants it: CreateGrant, GenerateDataKey, Decrypt
    and DescribeKey through SageMaker (and S3, for the SSE-KMS objects); no role calls KMS."""
    stack = synth[env]
    key = stack.ref(KmsKey.TF_RESOURCE_TYPE, "encryption/key", "arn")
    for role in ("execution", "data-scientist", "approver", "promotion"):
        by_sid = {
            s["Sid"]: s
            for s in statements(stack.policy(IamRolePolicy.TF_RESOURCE_TYPE, f"iam/{role}-policy"))
        }
        use = by_sid["UsePlatformKeyThroughS3AndSageMaker"]
        assert set(use["Action"]) == {"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"}
        assert use["Resource"] == [key]
        assert use["Condition"] == {
            "StringEquals": {
                "kms:ViaService": ["s3.us-east-1.amazonaws.com", "sagemaker.us-east-1.amazonaws.com"]
            }
        }
        grants = by_sid["RegistryKeyGrantsThroughSageMaker"]
        assert grants["Condition"] == {
            "StringEquals": {"kms:ViaService": "sagemaker.us-east-1.amazonaws.com"},
            "Bool": {"kms:GrantIsForAWSResource": "true"},
        }
    if downstream_promotion(synth, env):
        (read,) = [
            s
            for s in statements(stack.policy(KmsKey.TF_RESOURCE_TYPE, "encryption/key"))
            if s["Sid"] == "DownstreamPromotionRead"
        ]
        assert read["Condition"] == {
            "StringEquals": {
                "kms:ViaService": ["s3.us-east-1.amazonaws.com", "sagemaker.us-east-1.amazonaws.com"]
            },
            "ArnEquals": {"aws:PrincipalArn": downstream_promotion(synth, env)},
        }


# -- Studio: a user's own spaces --------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_studio_names_the_user_in_the_execution_role_session(synth, env):
    """ExecutionRoleIdentityConfig USER_PROFILE_NAME: SageMaker sets the user profile's name as the
    execution role session's source identity, which the trust must allow (sts:SetSourceIdentity)
    and which the Studio policy matches with ${aws:SourceIdentity}."""
    stack = synth[env]
    domain = stack.resource("aws_sagemaker_domain", "studio/domain")
    assert domain["domain_settings"] == {"execution_role_identity_config": "USER_PROFILE_NAME"}
    trust = stack.policy(IamRole.TF_RESOURCE_TYPE, "iam/execution")
    (stmt,) = statements(trust)
    assert set(stmt["Action"]) == {"sts:AssumeRole", "sts:SetSourceIdentity"}
    policy = {
        s["Sid"]: s
        for s in statements(stack.policy(IamRolePolicy.TF_RESOURCE_TYPE, "iam/execution-studio-policy"))
    }
    domain_id = stack.ref("aws_sagemaker_domain", "studio/domain", "id")
    own = f"arn:aws:sagemaker:us-east-1:{synth.platform.env(env).account_id}:user-profile/{domain_id}/$${{aws:SourceIdentity}}"
    assert policy["ManageOwnSpaces"]["Condition"] == {"ArnEquals": {"sagemaker:OwnerUserProfileArn": own}}
    assert set(policy["ManageOwnSpaces"]["Action"]) == {
        "sagemaker:CreateSpace",
        "sagemaker:DeleteSpace",
        "sagemaker:UpdateSpace",
    }
    assert policy["AppsInOwnSpaces"]["Condition"] == {"ArnEquals": {"sagemaker:OwnerUserProfileArn": own}}
    assert policy["AppsInSharedSpaces"]["Condition"] == {
        "StringEquals": {"sagemaker:SpaceSharingType": "Shared"}
    }
    # nothing grants a space or app action without one of those conditions
    space_actions = {
        "sagemaker:CreateSpace",
        "sagemaker:DeleteSpace",
        "sagemaker:UpdateSpace",
        "sagemaker:CreateApp",
        "sagemaker:DeleteApp",
    }
    for sid, stmt in policy.items():
        if space_actions & set(as_list(stmt["Action"])):
            assert "Condition" in stmt, sid
