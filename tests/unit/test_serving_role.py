"""The model-deploy role and the execution role's serving policy, read from the synthesized stacks
(modules/serving.py): who may assume it, that it holds hosting on the kit's names only, passes the
execution role to SageMaker only, creates key grants through SageMaker only, never writes the
registry, and is published in SSM like the other roles."""

from __future__ import annotations

import fnmatch
import json

import pytest
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter

from environments import Names
from tests.conftest import NAMED_APPROVER
from tests.synthesized import allowed_actions, as_list, principals, statements

ENVS = ("dev", "staging", "prod")
HOSTING = {
    "sagemaker:CreateModel",
    "sagemaker:CreateEndpointConfig",
    "sagemaker:CreateEndpoint",
    "sagemaker:UpdateEndpoint",
    "sagemaker:DeleteEndpoint",
}


def _policy(synth, env: str) -> dict:
    return synth[env].policy(IamRolePolicy.TF_RESOURCE_TYPE, "serving/model-deploy-policy")


def _granting(policy: dict, action: str) -> list[dict]:
    return [s for s in statements(policy, effect="Allow") if action in as_list(s["Action"])]


def _allows(policy: dict, action: str, resource: str) -> bool:
    return any(
        fnmatch.fnmatchcase(resource, pattern)
        for s in _granting(policy, action)
        for pattern in as_list(s["Resource"])
    )


@pytest.mark.parametrize("env", ENVS)
def test_the_role_is_named_from_config_and_published_in_ssm(synth, env):
    n = Names.of(synth.platform, env)
    role = synth[env].resource(IamRole.TF_RESOURCE_TYPE, "serving/model-deploy")
    assert role["name"] == n.role_name("model_deploy") == f"mlgov-{env}-model-deploy"
    param = synth[env].resource(SsmParameter.TF_RESOURCE_TYPE, "ssm-role-model_deploy")
    assert param["name"] == n.ssm_role_arn("model_deploy")
    assert param["value"] == synth[env].ref(IamRole.TF_RESOURCE_TYPE, "serving/model-deploy", "arn")


@pytest.mark.parametrize("env", ENVS)
def test_trusted_by_the_deployers_only_as_people(synth, env):
    """The environment's deployers (here the approvers: no model_deployers configured), as every
    person-facing role: a permission set's pattern through aws:PrincipalArn, carrying the person
    in; never the deploy role."""
    cfg = synth.platform.env(env)
    assert cfg.deployers == cfg.approvers
    trust = json.loads(
        synth[env].resource(IamRole.TF_RESOURCE_TYPE, "serving/model-deploy")["assume_role_policy"]
    )
    (stmt,) = statements(trust)
    assert stmt["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity"]
    assert stmt["Principal"] == {"AWS": f"arn:aws:iam::{cfg.account_id}:root"}
    assert stmt["Condition"] == {"ArnLike": {"aws:PrincipalArn": list(cfg.approvers)}}
    assert cfg.deploy_role_arn not in json.dumps(trust)


def test_a_named_approver_is_trusted_and_the_root_is_not(named_approver_synth):
    trust = json.loads(
        named_approver_synth["staging"].resource(IamRole.TF_RESOURCE_TYPE, "serving/model-deploy")[
            "assume_role_policy"
        ]
    )
    assert [principals(s) for s in statements(trust)] == [[NAMED_APPROVER]]


@pytest.mark.parametrize("env", ENVS)
def test_hosting_only_on_the_use_cases_names(synth, env):
    n = Names.of(synth.platform, env)
    policy = _policy(synth, env)
    assert allowed_actions(policy) >= HOSTING
    arn = f"arn:aws:sagemaker:{n.env.region}:{n.env.account_id}"
    endpoint = n.endpoint_name("credit-risk")
    config = n.serving_name("credit-risk", 3)
    assert _allows(policy, "sagemaker:CreateModel", f"{arn}:model/{config}")
    assert _allows(policy, "sagemaker:CreateEndpointConfig", f"{arn}:endpoint-config/{config}")
    for action in ("sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"):
        # authorized against the endpoint and the endpoint config it deploys
        assert _allows(policy, action, f"{arn}:endpoint/{endpoint}")
        assert _allows(policy, action, f"{arn}:endpoint-config/{config}")
    assert _allows(policy, "sagemaker:DeleteEndpoint", f"{arn}:endpoint/{endpoint}")
    # another team's names, another account: nothing
    assert not _allows(policy, "sagemaker:CreateModel", f"{arn}:model/other-model")
    assert not _allows(policy, "sagemaker:CreateEndpoint", f"{arn}:endpoint/{endpoint}-shadow")
    assert not _allows(policy, "sagemaker:DeleteEndpoint", f"{arn}:endpoint/other")
    assert not _allows(
        policy, "sagemaker:CreateModel", f"arn:aws:sagemaker:{n.env.region}:999999999999:model/{config}"
    )
    for action in HOSTING:
        for stmt in _granting(policy, action):
            assert "*" not in as_list(stmt["Resource"])


@pytest.mark.parametrize("env", ENVS)
def test_no_registry_write_no_approval(synth, env):
    actions = allowed_actions(_policy(synth, env))
    assert (
        not {
            "sagemaker:UpdateModelPackage",
            "sagemaker:UpdateModelCard",
            "sagemaker:CreateModelPackage",
            "sagemaker:DeleteModelPackage",
            "iam:*",
            "sagemaker:*",
        }
        & actions
    )
    assert not [a for a in actions if a.endswith("*")]


@pytest.mark.parametrize("env", ENVS)
def test_pass_role_of_the_execution_role_to_sagemaker_only(synth, env):
    n = Names.of(synth.platform, env)
    (stmt,) = _granting(_policy(synth, env), "iam:PassRole")
    assert stmt["Action"] == ["iam:PassRole"]
    assert stmt["Resource"] == [n.role_arn("execution")]
    assert stmt["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


@pytest.mark.parametrize("env", ENVS)
def test_key_grants_through_sagemaker_for_aws_resources_only(synth, env):
    n = Names.of(synth.platform, env)
    (stmt,) = _granting(_policy(synth, env), "kms:CreateGrant")
    assert stmt["Condition"] == {
        "StringEquals": {"kms:ViaService": f"sagemaker.{n.env.region}.amazonaws.com"},
        "Bool": {"kms:GrantIsForAWSResource": "true"},
    }
    assert stmt["Resource"] == [synth[env].ref("aws_kms_key", "encryption/key", "arn")]


@pytest.mark.parametrize("env", ENVS)
def test_reads_the_versions_and_their_artifacts_and_writes_only_its_prefixes(synth, env):
    n = Names.of(synth.platform, env)
    policy = _policy(synth, env)
    assert _allows(
        policy, "sagemaker:DescribeModelPackage", f"{n.model_package_arn_pattern('credit-risk')[:-1]}4"
    )
    bucket = n.artifact_bucket_arn
    assert _allows(policy, "s3:GetObject", f"{bucket}/models/credit-risk/abc/model.tar.gz")
    writes = {p for s in _granting(policy, "s3:PutObject") for p in as_list(s["Resource"])}
    # ... and the bias-drift reports of its own endpoints, nothing else of monitoring/
    assert writes == {
        f"{bucket}/serving/*",
        f"{bucket}/audit/*",
        f"{bucket}/monitoring/{n.endpoint_name('credit-risk')}/bias-drift/*",
        f"{bucket}/batch/credit-risk/input/*",
    }
    assert not _allows(policy, "s3:PutObject", f"{bucket}/monitoring/other/bias-drift/x.json")


@pytest.mark.parametrize("env", ENVS)
def test_batch_transform_jobs_of_its_names_over_its_batch_prefixes_only(synth, env):
    """mlgov batch: the model-deploy role runs transform jobs of the use cases' names, stages and
    checks input under the batch input prefix, reads output under the batch output prefix; the
    job itself runs as the execution role, which reads only the input and writes only the output."""
    n = Names.of(synth.platform, env)
    policy = _policy(synth, env)
    job = f"arn:aws:sagemaker:{n.env.region}:{n.env.account_id}:transform-job"
    for action in ("CreateTransformJob", "DescribeTransformJob", "StopTransformJob"):
        assert _allows(policy, f"sagemaker:{action}", f"{job}/mlgov-credit-risk-v3-20260101120000")
        assert not _allows(policy, f"sagemaker:{action}", f"{job}/someone-elses-job")
    bucket = n.artifact_bucket_arn
    assert _allows(policy, "s3:PutObject", f"{bucket}/batch/credit-risk/input/job/rows.csv")
    assert _allows(policy, "s3:GetObject", f"{bucket}/batch/credit-risk/output/job/rows.csv.out")
    assert not _allows(policy, "s3:PutObject", f"{bucket}/batch/credit-risk/output/job/rows.csv.out")
    component = f"arn:aws:sagemaker:{n.env.region}:{n.env.account_id}:experiment-trial-component"
    assert _allows(
        policy, "sagemaker:AddAssociation", f"{component}/mlgov-credit-risk-v3-1-aws-transform-job"
    )
    assert not _allows(policy, "sagemaker:AddAssociation", f"{component}/other-aws-transform-job")

    execution = json.loads(
        synth[env].resource(IamRolePolicy.TF_RESOURCE_TYPE, "serving/execution-serving-policy")["policy"]
    )
    assert _allows(execution, "s3:GetObject", f"{bucket}/batch/credit-risk/input/job/rows.csv")
    assert _allows(execution, "s3:PutObject", f"{bucket}/batch/credit-risk/output/job/rows.csv.out")
    assert not _allows(execution, "s3:PutObject", f"{bucket}/batch/credit-risk/input/job/rows.csv")
    assert not _allows(execution, "s3:GetObject", f"{bucket}/batch/other-use-case/input/rows.csv")


@pytest.mark.parametrize("env", ENVS)
def test_the_execution_role_may_load_code_and_write_captured_data(synth, env):
    n = Names.of(synth.platform, env)
    stack = synth[env]
    config = stack.resource(IamRolePolicy.TF_RESOURCE_TYPE, "serving/execution-serving-policy")
    assert config["role"] == stack.ref(IamRole.TF_RESOURCE_TYPE, "iam/execution", "id")
    policy = json.loads(config["policy"])
    bucket = n.artifact_bucket_arn
    assert _allows(
        policy, "s3:PutObject", f"{bucket}/capture/mlgov-credit-risk/AllTraffic/2026/01/01/00/x.jsonl"
    )
    assert _allows(policy, "s3:GetObject", f"{bucket}/serving/code/abc/sourcedir.tar.gz")
    assert not _allows(policy, "s3:PutObject", f"{bucket}/models/credit-risk/x/model.tar.gz")
    assert not _allows(policy, "s3:PutObject", f"{bucket}/audit/x.json")


@pytest.mark.parametrize("env", ENVS)
def test_the_report_role_reads_the_monitors_violations_and_no_captured_data(synth, env):
    """The approver (the report's role) lists monitoring/ and reads its constraint_violations.json
    files: the served version's results on the report, nothing of the traffic itself."""
    n = Names.of(synth.platform, env)
    policy = synth[env].policy(IamRolePolicy.TF_RESOURCE_TYPE, "iam/approver-policy")
    bucket, endpoint = n.artifact_bucket_arn, n.endpoint_name("credit-risk")
    for key in (
        f"monitoring/{endpoint}/bias-drift/v1/20260101000000/constraint_violations.json",
        f"monitoring/{endpoint}/{endpoint}-v1-monitor-20260101000000/2026/01/01/00/constraint_violations.json",
    ):
        assert _allows(policy, "s3:GetObject", f"{bucket}/{key}"), key
    for key in (
        f"capture/{endpoint}/AllTraffic/2026/01/01/00/x.jsonl",
        f"monitoring/{endpoint}/bias-drift/v1/20260101000000/analysis.json",
        f"monitoring/{endpoint}/{endpoint}-v1-monitor-20260101000000/2026/01/01/00/statistics.json",
    ):
        assert not _allows(policy, "s3:GetObject", f"{bucket}/{key}"), key
    listing = [s for s in _granting(policy, "s3:ListBucket") if bucket in as_list(s["Resource"])]
    prefixes = {p for s in listing for p in as_list(s["Condition"]["StringLike"]["s3:prefix"])}
    assert "monitoring/*" in prefixes and "capture/*" not in prefixes
