"""The pipeline execution role and the data scientist's pipeline policy (modules/pipelines.py), read
from the synthesized stacks of the shipped configuration: least privilege as the statements say it.

Resources are found by construct path (``pipelines/role``, ``pipelines/role-policy``,
``pipelines/data-scientist-policy``); "may" below is a plain wildcard match of action and resource
against the Allow statements (conditions are checked by the tests that name them).
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

import pytest
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter

from environments import Names
from tests.synthesized import allowed_actions, as_list, denied_actions, statements

ENVS = ("dev", "staging", "prod")


def _allowing(policy: dict[str, Any], action: str, resource: str) -> list[dict[str, Any]]:
    """The Allow statements whose actions and resources match ``action`` on ``resource``."""
    return [
        s
        for s in statements(policy, effect="Allow")
        if any(fnmatchcase(action, a) for a in as_list(s["Action"]))
        and any(fnmatchcase(resource, r) for r in as_list(s["Resource"]))
    ]


def _may(policy: dict[str, Any], action: str, resource: str) -> bool:
    return bool(_allowing(policy, action, resource))


def _role_policy(synth: Any, env: str) -> dict[str, Any]:
    return synth[env].policy(IamRolePolicy.TF_RESOURCE_TYPE, "pipelines/role-policy")


def _scientist_policy(synth: Any, env: str) -> dict[str, Any]:
    return synth[env].policy(IamRolePolicy.TF_RESOURCE_TYPE, "pipelines/data-scientist-policy")


def _names(synth: Any, env: str) -> Names:
    return Names.of(synth.platform, env)


@pytest.mark.parametrize("env", ENVS)
def test_the_pipeline_role_is_trusted_by_sagemaker_of_its_account_only(synth, env):
    names = _names(synth, env)
    role = synth[env].resource(IamRole.TF_RESOURCE_TYPE, "pipelines/role")
    assert role["name"] == names.role_name("pipeline") == f"mlgov-{env}-pipeline-execution"
    [trust] = statements(json.loads(role["assume_role_policy"]))
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert as_list(trust["Action"]) == ["sts:AssumeRole"]
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": names.env.account_id}}


@pytest.mark.parametrize("env", ENVS)
def test_the_pipeline_role_passes_only_itself_and_only_to_sagemaker(synth, env):
    names = _names(synth, env)
    policy = _role_policy(synth, env)
    passing = [s for s in statements(policy, effect="Allow") if "iam:PassRole" in as_list(s["Action"])]
    assert len(passing) == 1
    assert passing[0]["Resource"] == [names.role_arn("pipeline")]
    assert passing[0]["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert not _may(policy, "iam:PassRole", names.role_arn("execution"))


@pytest.mark.parametrize("env", ENVS)
def test_the_pipeline_role_reaches_only_its_use_cases_prefixes(synth, env):
    names = _names(synth, env)
    policy = _role_policy(synth, env)
    bucket = names.artifact_bucket_arn
    for use_case in (u.name for u in names.env.use_cases):
        assert _may(policy, "s3:GetObject", f"{bucket}/data/{use_case}/credit.csv")
        assert not _may(policy, "s3:PutObject", f"{bucket}/data/{use_case}/credit.csv")
        assert _may(policy, "s3:GetObject", f"{bucket}/models/{use_case}/datasets/abc/credit.csv")
        assert _may(policy, "s3:PutObject", f"{bucket}/pipelines/{use_case}/run-1/train/train.csv")
        # what a version it registers is made of: under models/, where promotion reads
        model = f"{bucket}/models/{use_case}/pipelines/pipelines-x-Train-y/output/model.tar.gz"
        assert _may(policy, "s3:PutObject", model) and _may(policy, "s3:GetObject", model)
        assert not _may(policy, "s3:PutObject", f"{bucket}/models/{use_case}/v1/model.tar.gz")
        assert not _may(policy, "s3:PutObject", f"{bucket}/models/{use_case}/datasets/abc/credit.csv")
    for elsewhere in ("data/other-use-case/x.csv", "audit/record.json", "promotions/lock", "models/x.tar.gz"):
        assert not _may(policy, "s3:GetObject", f"{bucket}/{elsewhere}"), elsewhere
    [listing] = _allowing(policy, "s3:ListBucket", bucket)
    assert set(listing["Condition"]["StringLike"]["s3:prefix"]) == {
        f"{prefix}*"
        for u in names.env.use_cases
        for prefix in (
            f"data/{u.name}/",
            f"models/{u.name}/datasets/",
            f"pipelines/{u.name}/",
            f"models/{u.name}/pipelines/",
        )
    }
    for stmt in statements(policy, effect="Allow"):
        assert "*" not in as_list(stmt["Resource"]), stmt


@pytest.mark.parametrize("env", ENVS)
def test_the_pipeline_role_uses_the_key_only_through_s3_and_sagemaker(synth, env):
    """Reading and writing SSE-KMS objects is a use of the key through S3: the jobs need it. The
    local cloud does not check S3's use of the key (docs/emulator-gaps.md, KMS key policies), so
    this statement is where the S3 half is proven."""
    region = _names(synth, env).env.region
    key_statements = [
        s
        for s in statements(_role_policy(synth, env), effect="Allow")
        if any(a.startswith("kms:") for a in as_list(s["Action"]))
    ]
    assert key_statements
    for stmt in key_statements:
        via = set(as_list(stmt["Condition"]["StringEquals"]["kms:ViaService"]))
        assert via <= {f"s3.{region}.amazonaws.com", f"sagemaker.{region}.amazonaws.com"}
    [data_key] = [s for s in key_statements if "kms:Decrypt" in as_list(s["Action"])]
    assert set(as_list(data_key["Condition"]["StringEquals"]["kms:ViaService"])) == {
        f"s3.{region}.amazonaws.com",
        f"sagemaker.{region}.amazonaws.com",
    }


@pytest.mark.parametrize("env", ENVS)
def test_the_pipeline_role_runs_only_the_jobs_pipelines_name(synth, env):
    names = _names(synth, env)
    policy = _role_policy(synth, env)
    prefix = f"arn:aws:sagemaker:{names.env.region}:{names.env.account_id}"
    assert _may(
        policy, "sagemaker:CreateProcessingJob", f"{prefix}:processing-job/pipelines-abc-preprocess-x"
    )
    assert _may(policy, "sagemaker:CreateTrainingJob", f"{prefix}:training-job/pipelines-abc-train-x")
    assert not _may(policy, "sagemaker:CreateProcessingJob", f"{prefix}:processing-job/anything")
    assert not _may(policy, "sagemaker:CreateEndpoint", f"{prefix}:endpoint/x")
    assert _may(
        policy,
        "logs:PutLogEvents",
        f"arn:aws:logs:{names.env.region}:{names.env.account_id}:log-group:/aws/sagemaker/ProcessingJobs:log-stream:x",
    )


def test_the_pipeline_role_registers_into_the_dev_groups_only(synth):
    names = _names(synth, "dev")
    policy = _role_policy(synth, "dev")
    for use_case in (u.name for u in names.env.use_cases):
        assert _may(policy, "sagemaker:CreateModelPackage", names.model_package_group_arn(use_case))
    assert not _may(
        policy,
        "sagemaker:CreateModelPackage",
        names.model_package_group_arn("credit-risk").replace("credit-risk", "another-use-case"),
    )
    assert not allowed_actions(policy) & {"sagemaker:UpdateModelPackage", "sagemaker:UpdateModelCard"}


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_in_strict_tiers_the_pipeline_role_may_not_register(synth, env):
    policy = _role_policy(synth, env)
    assert "sagemaker:CreateModelPackage" not in allowed_actions(policy)
    assert "sagemaker:CreateModelPackage" in denied_actions(policy)


@pytest.mark.parametrize("env", ENVS)
def test_the_data_scientist_manages_only_the_pipelines_of_its_use_cases(synth, env):
    names = _names(synth, env)
    stack = synth[env]
    config = stack.resource(IamRolePolicy.TF_RESOURCE_TYPE, "pipelines/data-scientist-policy")
    assert config["role"] == stack.ref(IamRole.TF_RESOURCE_TYPE, "iam/data-scientist", "id")
    policy = _scientist_policy(synth, env)
    own = names.pipeline_arn("credit-risk")
    assert own.endswith(f":pipeline/mlgov-{env}-credit-risk")
    for action in ("CreatePipeline", "UpdatePipeline", "StartPipelineExecution", "DescribePipeline"):
        assert _may(policy, f"sagemaker:{action}", own)
        assert not _may(policy, f"sagemaker:{action}", own.replace("credit-risk", "fraud")), action
        assert not _may(policy, f"sagemaker:{action}", f"{own}-extra"), action
    assert _may(policy, "sagemaker:DescribePipelineExecution", f"{own}/execution/abc123")
    assert not _may(
        policy, "sagemaker:DescribePipelineExecution", own.replace("credit-risk", "fraud") + "/execution/a"
    )
    assert not _may(policy, "sagemaker:DeletePipeline", own)
    [passing] = _allowing(policy, "iam:PassRole", names.role_arn("pipeline"))
    assert passing["Resource"] == [names.role_arn("pipeline")]
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert _may(policy, "s3:PutObject", f"{names.artifact_bucket_arn}/pipelines/credit-risk/code/x.tar.gz")
    assert _may(policy, "s3:PutObject", f"{names.artifact_bucket_arn}/data/credit-risk/credit.csv")
    assert not _may(policy, "s3:PutObject", f"{names.artifact_bucket_arn}/data/fraud/credit.csv")


@pytest.mark.parametrize("env", ENVS)
def test_the_stack_publishes_the_pipeline_role_arn(synth, env):
    names = _names(synth, env)
    stack = synth[env]
    [param] = [
        p
        for p in stack.resources(SsmParameter.TF_RESOURCE_TYPE).values()
        if p["name"] == names.ssm_role_arn("pipeline")
    ]
    assert param["value"] == stack.ref(IamRole.TF_RESOURCE_TYPE, "pipelines/role", "arn")


@pytest.mark.parametrize("env", ENVS)
def test_the_approver_reads_the_lineage_of_pipeline_jobs_and_nothing_more(synth, env):
    names = _names(synth, env)
    stack = synth[env]
    config = stack.resource(IamRolePolicy.TF_RESOURCE_TYPE, "pipelines/approver-policy")
    assert config["role"] == stack.ref(IamRole.TF_RESOURCE_TYPE, "iam/approver", "id")
    policy = json.loads(config["policy"])
    prefix = f"arn:aws:sagemaker:{names.env.region}:{names.env.account_id}"
    assert allowed_actions(policy) == {"sagemaker:DescribeTrialComponent"}
    assert _may(
        policy, "sagemaker:DescribeTrialComponent", f"{prefix}:experiment-trial-component/j-aws-training-job"
    )
