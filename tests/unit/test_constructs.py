"""Security properties of the synthesized stacks (shipped configuration, one shared synth).

Assertions go through cdktf's ``Testing`` matchers and JSON lookups by construct path.
"""

from __future__ import annotations

import ipaddress
import json

import cdktf
import pytest

from environments import Names, Tier
from tests.synthesized import (
    allowed_actions,
    as_list,
    denied_actions,
    principals,
    statements,
)

ENVS = ("dev", "staging", "prod")
GROUP_ACTIONS = {
    "sagemaker:DescribeModelPackage",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:ListModelPackages",
    "sagemaker:UpdateModelPackage",
}
APPROVAL = {"sagemaker:UpdateModelPackage", "sagemaker:UpdateModelCard"}


def names(synth, env: str) -> Names:
    return Names.of(synth.platform, env)


def downstream_promotion(synth, env: str) -> list[str]:
    return sorted(names(synth, d.name).role_arn("promotion") for d in synth.platform.downstream_of(env))


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


# -- Studio ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_studio_domain_is_vpc_only_and_uses_the_platform_key(synth, env):
    stack = synth[env]
    key_arn = stack.ref("aws_kms_key", "encryption/key", "arn")
    assert cdktf.Testing.to_have_resource_with_properties(
        stack.text,
        "aws_sagemaker_domain",
        {
            "domain_name": names(synth, env).studio_domain,
            "app_network_access_type": "VpcOnly",
            "auth_mode": "IAM",
            "kms_key_id": key_arn,
            "vpc_id": stack.ref("aws_vpc", "network/vpc", "id"),
        },
    )
    domain = stack.resource("aws_sagemaker_domain", "studio/domain")
    assert domain["default_user_settings"]["security_groups"] == [
        stack.ref("aws_security_group", "network/studio-sg", "id")
    ]
    assert domain["default_user_settings"]["execution_role"] == stack.ref(
        "aws_iam_role", "iam/execution", "arn"
    )
    expected = "Retain" if synth.platform.env(env).tier is Tier.PROD else "Delete"
    assert domain["retention_policy"]["home_efs_file_system"] == expected


def test_studio_domain_matcher_rejects_public_internet(synth):
    """The matcher above can fail: the same stack does not match a public-internet domain."""
    assert not cdktf.Testing.to_have_resource_with_properties(
        synth["dev"].text, "aws_sagemaker_domain", {"app_network_access_type": "PublicInternetOnly"}
    )


@pytest.mark.parametrize("env", ENVS)
def test_user_profiles_from_config(synth, env):
    profiles = synth[env].resources("aws_sagemaker_user_profile")
    got = sorted(p["user_profile_name"] for p in profiles.values())
    assert got == sorted(synth.platform.env(env).studio.user_profiles)


# -- network --------------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_private_subnets_derived_from_config(synth, env):
    cfg = synth.platform.env(env)
    stack = synth[env]
    subnets = stack.resources("aws_subnet")
    assert len(subnets) == cfg.network.az_count
    azs = "data.aws_availability_zones." + next(iter(stack.data["data"]["aws_availability_zones"]))
    for index in range(cfg.network.az_count):
        subnet = subnets[f"network/private-{index}"]
        assert subnet["cidr_block"].startswith(f'${{cidrsubnet("{cfg.network.cidr}", ')
        assert subnet["cidr_block"].endswith(f", {index})}}")
        assert subnet["availability_zone"] == f"${{element({azs}.names, {index})}}"
        assert subnet["map_public_ip_on_launch"] is False
    # no route to the internet: no gateways at all
    for rtype in ("aws_internet_gateway", "aws_nat_gateway", "aws_route"):
        assert not stack.resources(rtype)


@pytest.mark.parametrize("env", ENVS)
def test_security_groups_stay_inside_the_vpc(synth, env):
    stack = synth[env]
    cidr = ipaddress.ip_network(synth.platform.env(env).network.cidr)
    studio = stack.resource("aws_security_group", "network/studio-sg")
    # ingress only from the group itself, NFS included
    assert all(r["self"] is True and not r.get("cidr_blocks") for r in studio["ingress"])
    assert any(r["from_port"] == 2049 and r["to_port"] == 2049 for r in studio["ingress"])
    for sg in stack.resources("aws_security_group").values():
        for rule in sg["ingress"] + sg["egress"]:
            assert rule["description"]
            for block in rule.get("cidr_blocks") or []:
                assert ipaddress.ip_network(block).subnet_of(cidr), (sg["name"], block)
    default = stack.resource("aws_default_security_group", "network/default-sg")
    assert default["ingress"] == [] and default["egress"] == []


@pytest.mark.parametrize("env", ENVS)
def test_vpc_endpoints_and_flow_logs(synth, env):
    stack = synth[env]
    region = synth.platform.env(env).region
    endpoints = {e["service_name"]: e for e in stack.resources("aws_vpc_endpoint").values()}
    for service in ("sagemaker.api", "sagemaker.runtime", "sts", "ssm", "logs"):
        ep = endpoints[f"com.amazonaws.{region}.{service}"]
        assert ep["vpc_endpoint_type"] == "Interface" and ep["private_dns_enabled"] is True
    assert endpoints[f"com.amazonaws.{region}.s3"]["vpc_endpoint_type"] == "Gateway"
    flow = stack.resource("aws_flow_log", "network/flow-log")
    assert flow["traffic_type"] == "ALL"
    assert flow["log_destination"] == stack.ref("aws_cloudwatch_log_group", "network/flow-log-group", "arn")
    group = stack.resource("aws_cloudwatch_log_group", "network/flow-log-group")
    assert group["kms_key_id"] == stack.ref("aws_kms_key", "encryption/key", "arn")
    assert group["retention_in_days"] >= 365


# -- encryption and artifacts --------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_kms_key_rotates_and_grants_downstream_decrypt_only(synth, env):
    stack = synth[env]
    key = stack.resource("aws_kms_key", "encryption/key")
    assert key["enable_key_rotation"] is True
    policy = stack.policy("aws_kms_key", "encryption/key")
    cross = [s for s in statements(policy) if s["Sid"] == "DownstreamPromotionRead"]
    expected = downstream_promotion(synth, env)
    if not expected:
        assert cross == []
        return
    (stmt,) = cross
    assert sorted(principals(stmt)) == expected
    assert set(as_list(stmt["Action"])) == {"kms:Decrypt", "kms:DescribeKey"}
    assert stack.resource("aws_kms_alias", "encryption/alias")["name"] == names(synth, env).kms_alias


@pytest.mark.parametrize("env", ENVS)
def test_artifact_bucket_hardening(synth, env):
    stack = synth[env]
    n = names(synth, env)
    key_arn = stack.ref("aws_kms_key", "encryption/key", "arn")
    bucket = stack.resource("aws_s3_bucket", "artifacts/artifacts/bucket")
    assert bucket["bucket"] == n.artifact_bucket
    bucket_id = stack.ref("aws_s3_bucket", "artifacts/artifacts/bucket", "id")
    assert cdktf.Testing.to_have_resource_with_properties(
        stack.text,
        "aws_s3_bucket_server_side_encryption_configuration",
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
        "aws_s3_bucket_public_access_block",
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
        "aws_s3_bucket_versioning",
        {"bucket": bucket_id, "versioning_configuration": {"status": "Enabled"}},
    )
    logging_ = stack.resource("aws_s3_bucket_logging", "artifacts/logging")
    assert logging_["bucket"] == bucket_id
    assert logging_["target_bucket"] == stack.ref("aws_s3_bucket", "artifacts/access-logs/bucket", "id")
    assert stack.resource("aws_s3_bucket", "artifacts/access-logs/bucket")["bucket"] == n.access_log_bucket
    lifecycle = stack.resource("aws_s3_bucket_lifecycle_configuration", "artifacts/artifacts/lifecycle")
    (rule,) = lifecycle["rule"]
    assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] > 0
    assert rule["abort_incomplete_multipart_upload"][0]["days_after_initiation"] > 0


@pytest.mark.parametrize("env", ENVS)
def test_bucket_policies_deny_plain_http(synth, env):
    stack = synth[env]
    for path in ("artifacts/policy", "artifacts/access-logs-policy"):
        policy = stack.policy("aws_s3_bucket_policy", path)
        deny = [s for s in statements(policy, effect="Deny") if s["Sid"] == "DenyInsecureTransport"]
        assert len(deny) == 1, path
        assert deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert deny[0]["Action"] == ["s3:*"]


@pytest.mark.parametrize("env", ENVS)
def test_artifact_bucket_grants_exactly_the_downstream_promotion_role_read(synth, env):
    policy = synth[env].policy("aws_s3_bucket_policy", "artifacts/policy")
    allows = statements(policy, effect="Allow")
    expected = downstream_promotion(synth, env)
    if not expected:
        assert allows == []
        return
    bucket = names(synth, env).artifact_bucket_arn
    granted = {(a, r) for s in allows for a in as_list(s["Action"]) for r in as_list(s["Resource"])}
    assert granted == {
        ("s3:GetObject", f"{bucket}/*"),
        ("s3:GetObjectVersion", f"{bucket}/*"),
        ("s3:ListBucket", bucket),
    }
    for stmt in allows:
        assert sorted(principals(stmt)) == expected
        assert "Condition" not in stmt  # no organization configured in the shipped files


# -- registry -------------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_group_policy_grants_exactly_four_actions_to_downstream_promotion(synth, env):
    stack = synth[env]
    n = names(synth, env)
    expected = downstream_promotion(synth, env)
    policies = stack.resources("aws_sagemaker_model_package_group_policy")
    if not expected:
        assert policies == {}
        return
    for uc in synth.platform.env(env).use_cases:
        path = f"registry/group-{uc.name}-policy"
        config = stack.resource("aws_sagemaker_model_package_group_policy", path)
        assert config["model_package_group_name"] == stack.ref(
            "aws_sagemaker_model_package_group", f"registry/group-{uc.name}", "model_package_group_name"
        )
        (stmt,) = statements(stack.policy("aws_sagemaker_model_package_group_policy", path))
        assert stmt["Effect"] == "Allow"
        assert set(stmt["Action"]) == GROUP_ACTIONS and len(stmt["Action"]) == 4
        assert sorted(principals(stmt)) == expected
        assert stmt["Resource"] == [n.model_package_group_arn(uc.name), n.model_package_arn_pattern(uc.name)]


@pytest.mark.parametrize("env", ENVS)
def test_one_group_per_use_case(synth, env):
    groups = synth[env].resources("aws_sagemaker_model_package_group")
    n = names(synth, env)
    assert sorted(g["model_package_group_name"] for g in groups.values()) == sorted(
        n.model_package_group(u.name) for u in synth.platform.env(env).use_cases
    )


# -- IAM ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_roles_named_by_names(synth, env):
    roles = synth[env].resources("aws_iam_role")
    n = names(synth, env)
    for key in ("execution", "data_scientist", "approver", "promotion", "datazone"):
        assert roles[f"iam/{key.replace('_', '-')}"]["name"] == n.role_name(key)


@pytest.mark.parametrize("env", ("staging", "prod"))
def test_strict_tiers_deny_the_data_scientist_approval(synth, env):
    stack = synth[env]
    policy = stack.policy("aws_iam_role_policy", "iam/data-scientist-policy")
    assert not (allowed_actions(policy) & APPROVAL)
    assert denied_actions(policy) >= APPROVAL
    approver = stack.policy("aws_iam_role_policy", "iam/approver-policy")
    assert allowed_actions(approver) >= APPROVAL


def test_dev_lets_the_data_scientist_approve(synth):
    policy = synth["dev"].policy("aws_iam_role_policy", "iam/data-scientist-policy")
    assert allowed_actions(policy) >= APPROVAL
    assert not denied_actions(policy)


@pytest.mark.parametrize("env", ENVS)
def test_only_approver_and_promotion_may_change_approval(synth, env):
    """Outside dev, no role but the approver and the promotion role (which registers the
    promoted version and writes the lifecycle back-reference) may call the approval actions."""
    stack = synth[env]
    strict = synth.platform.env(env).tier.strict
    for path in stack.resources("aws_iam_role_policy"):
        granted = allowed_actions(stack.policy("aws_iam_role_policy", path)) & APPROVAL
        if path in ("iam/approver-policy",):
            assert granted == APPROVAL
        elif path == "iam/promotion-policy":
            assert granted == {"sagemaker:UpdateModelPackage"}
        elif path == "iam/data-scientist-policy" and not strict:
            assert granted == APPROVAL
        else:
            assert granted == set(), path


@pytest.mark.parametrize("env", ENVS)
def test_trust_policies(synth, env):
    stack = synth[env]
    cfg = synth.platform.env(env)
    root = f"arn:aws:iam::{cfg.account_id}:root"
    for path, role in stack.resources("aws_iam_role").items():
        for stmt in statements(json.loads(role["assume_role_policy"])):
            service = stmt["Principal"].get("Service")
            aws = stmt["Principal"].get("AWS")
            if service:
                # confused deputy: every service principal is tied to this account
                assert stmt["Condition"]["StringEquals"]["aws:SourceAccount"] == cfg.account_id, path
            if aws and path != "iam/approver":
                assert as_list(aws) == [root], path  # never another account
    approver = json.loads(stack.resource("aws_iam_role", "iam/approver")["assume_role_policy"])
    assert sorted(principals(statements(approver)[0])) == sorted(cfg.approvers)
    datazone = json.loads(stack.resource("aws_iam_role", "iam/datazone")["assume_role_policy"])
    (stmt,) = statements(datazone)
    assert stmt["Principal"] == {"Service": "datazone.amazonaws.com"}
    assert set(stmt["Action"]) == {"sts:AssumeRole", "sts:TagSession"}


@pytest.mark.parametrize("env", ("staging", "prod"))
def test_promotion_role_reads_exactly_its_upstream(synth, env):
    stack = synth[env]
    up = names(synth, synth.platform.env(env).promotes_from)
    policy = stack.policy("aws_iam_role_policy", "iam/promotion-policy")
    by_sid = {s["Sid"]: s for s in statements(policy)}
    registry = by_sid["ReadUpstreamRegistry"]
    ucs = [u.name for u in synth.platform.env(env).use_cases]
    assert sorted(registry["Resource"]) == sorted(
        [up.model_package_group_arn(u) for u in ucs] + [up.model_package_arn_pattern(u) for u in ucs]
    )
    assert by_sid["ReadUpstreamArtifacts"]["Resource"] == [f"{up.artifact_bucket_arn}/*"]
    decrypt = by_sid["DecryptUpstreamArtifacts"]
    assert decrypt["Condition"] == {"ForAnyValue:StringEquals": {"kms:ResourceAliases": up.kms_alias}}
    assert decrypt["Resource"] == [f"arn:aws:kms:{up.env.region}:{up.env.account_id}:key/*"]


def test_dev_promotion_role_reads_no_other_account(synth):
    policy = synth["dev"].policy("aws_iam_role_policy", "iam/promotion-policy")
    text = json.dumps(policy)
    for other in ("staging", "prod"):
        assert synth.platform.env(other).account_id not in text


# -- every policy ---------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_no_allow_to_star_principal_and_no_star_action(synth, env):
    count = 0
    for rtype, path, policy in synth[env].policies():
        count += 1
        for stmt in statements(policy, effect="Allow"):
            assert "*" not in principals(stmt), (rtype, path)
            assert "NotPrincipal" not in stmt and "NotAction" not in stmt
            assert "*" not in as_list(stmt["Action"]), (rtype, path)
    assert count >= 15  # roles, role policies, key, buckets, groups, log resource policy


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
            keys = {k: v for block in stmt.get("Condition", {}).values() for k, v in block.items()}
            tied = DEPUTY_KEYS & set(keys)
            assert tied, (rtype, path, stmt["Sid"])
            assert all(account in json.dumps(keys[k]) for k in tied), (rtype, path, stmt["Sid"])
    assert seen >= 6  # sagemaker, datazone, flow logs, logs (key), S3 log delivery (key, bucket), events


# -- DataZone ---------------------------------------------------------------------------------
def test_datazone_only_in_the_home_environment(synth):
    homes = [e for e in ENVS if synth[e].resources("aws_datazone_domain")]
    assert homes == [synth.platform.datazone_home.name]


def test_datazone_domain_projects_and_share(synth):
    home = synth.platform.datazone_home
    stack = synth[home.name]
    n = names(synth, home.name)
    assert cdktf.Testing.to_have_resource_with_properties(
        stack.text,
        "aws_datazone_domain",
        {
            "name": n.datazone_domain,
            "kms_key_identifier": stack.ref("aws_kms_key", "encryption/key", "arn"),
            "domain_execution_role": stack.ref("aws_iam_role", "iam/datazone", "arn"),
        },
    )
    projects = stack.resources("aws_datazone_project")
    use_cases = {u.name for e in synth.platform.environments.values() for u in e.use_cases}
    assert sorted(p["name"] for p in projects.values()) == sorted(n.datazone_project(u) for u in use_cases)
    shared = sorted(p["principal"] for p in stack.resources("aws_ram_principal_association").values())
    others = sorted(e.account_id for e in synth.platform.environments.values() if e is not home)
    assert shared == others
    (assoc,) = stack.resources("aws_ram_resource_association").values()
    assert assoc["resource_arn"] == stack.ref("aws_datazone_domain", "datazone/domain", "arn")


# -- governance events ----------------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_governance_events_to_encrypted_log_group(synth, env):
    stack = synth[env]
    n = names(synth, env)
    cfg = synth.platform.env(env)
    rule = stack.resource("aws_cloudwatch_event_rule", "governance-events/model-package-state")
    pattern = json.loads(rule["event_pattern"])
    assert pattern["detail-type"] == ["SageMaker Model Package State Change"]
    assert pattern["detail"]["ModelPackageGroupName"] == sorted(
        n.model_package_group(u.name) for u in cfg.use_cases
    )
    audit = stack.resource("aws_cloudwatch_event_rule", "governance-events/governance-audit")
    assert json.loads(audit["event_pattern"]) == {"source": [n.audit_event_source]}
    group = stack.resource("aws_cloudwatch_log_group", "governance-events/log-group")
    assert group["name"] == n.governance_log_group
    assert group["kms_key_id"] == stack.ref("aws_kms_key", "encryption/key", "arn")
    assert group["retention_in_days"] >= 365
    (stmt,) = statements(stack.policy("aws_cloudwatch_log_resource_policy", "governance-events/log-policy"))
    assert stmt["Condition"]["StringEquals"] == {"aws:SourceAccount": cfg.account_id}
    assert sorted(stmt["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(
        f"arn:aws:events:{cfg.region}:{cfg.account_id}:rule/{r['name']}"
        for r in stack.resources("aws_cloudwatch_event_rule").values()
    )


# -- SSM contract ---------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_every_published_id_is_an_ssm_parameter_under_the_prefix(synth, env):
    stack = synth[env]
    n = names(synth, env)
    cfg = synth.platform.env(env)
    params = {p["name"]: p for p in stack.resources("aws_ssm_parameter").values()}
    expected = {
        n.ssm_artifact_bucket,
        n.ssm_kms_key_arn,
        n.ssm_lifecycle_stage,
        n.ssm_studio_domain_id,
        n.ssm_governance_log_group,
        *(n.ssm_role_arn(k) for k in ("execution", "data_scientist", "approver", "promotion", "datazone")),
        *(n.ssm_group_name(u.name) for u in cfg.use_cases),
        *(n.ssm_group_arn(u.name) for u in cfg.use_cases),
    }
    if cfg.datazone_home:
        expected |= {n.ssm_datazone_domain_id}
        expected |= {n.ssm_datazone_project_id(u.name) for u in cfg.use_cases}
    assert set(params) == expected
    assert all(p["type"] == "String" and p["name"].startswith(n.ssm_prefix + "/") for p in params.values())
    assert params[n.ssm_lifecycle_stage]["value"] == cfg.lifecycle_stage
    assert params[n.ssm_kms_key_arn]["value"] == stack.ref("aws_kms_key", "encryption/key", "arn")
    assert params[n.ssm_studio_domain_id]["value"] == stack.ref("aws_sagemaker_domain", "studio/domain", "id")


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
        for p in data["resource"]["aws_iam_role_policy"].values()
        if p["name"] == wanted
    ]
    assert denied_actions(policy) >= APPROVAL and not (allowed_actions(policy) & APPROVAL)
