"""Synthesized remote state and bootstrap: S3 backend settings, state bucket, OIDC trust.

A failure here means a platform stack would write its state to the wrong place (or unlocked,
or unencrypted), or an account's deploy role would trust more than the configured repository.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA

from environments import PlatformConfig, load_platform
from environments.naming import Names
from environments.schema import CiConfig

from .conftest import by_path, stack

OIDC = "token.actions.githubusercontent.com"


def _ref(resource_type: str, resource: dict, attribute: str) -> str:
    """The Terraform expression another resource uses to point at ``resource``."""
    return f"${{{resource_type}.{resource['//']['metadata']['uniqueId']}.{attribute}}}"


# -- the platform stacks' S3 backend ---------------------------------------------------------
def test_every_environment_uses_its_own_state_object(rs_platform: PlatformConfig, rs_out: Path) -> None:
    keys = set()
    for env in rs_platform.environments.values():
        names = Names.of(rs_platform, env)
        doc = stack(rs_out, env.name)
        assert list(doc["terraform"]["backend"]) == ["s3"], env.name
        backend = doc["terraform"]["backend"]["s3"]
        assert backend["bucket"] == names.state_bucket == f"mlgov-tfstate-{env.account_id}"
        assert backend["key"] == f"platform/{env.name}.tfstate"
        assert backend["region"] == env.region
        assert backend["use_lockfile"] is True
        assert backend["encrypt"] is True
        assert backend["kms_key_id"] == f"arn:aws:kms:{env.region}:{env.account_id}:alias/mlgov-tfstate"
        assert "dynamodb_table" not in backend  # S3-native locking, no table
        keys.add((backend["bucket"], backend["key"]))
    assert len(keys) == len(rs_platform.environments)


def test_without_remote_state_the_stack_keeps_local_state(rs_out: Path, tmp_path: Path) -> None:
    # The kit's own YAMLs (no remote_state): the demo needs no bootstrap.
    from cdktf import Testing

    from modules.stack import PlatformStack

    platform = load_platform()
    assert all(e.remote_state is None for e in platform.environments.values())
    doc = json.loads(Testing.synth(PlatformStack(Testing.app(), platform, platform.env("dev"))))
    assert list(doc["terraform"]["backend"]) == ["local"]


def test_bootstrap_output_matches_the_remote_state_the_platform_stack_uses(
    rs_platform: PlatformConfig, rs_out: Path
) -> None:
    for env in rs_platform.environments.values():
        out = stack(rs_out, f"bootstrap-{env.name}")["output"]["remote_state"]["value"]
        backend = stack(rs_out, env.name)["terraform"]["backend"]["s3"]
        assert {k: backend[k] for k in out} == out


# -- the state bucket -------------------------------------------------------------------------
def test_state_bucket_is_versioned_encrypted_private_tls_only_and_logged(rs_out: Path) -> None:
    doc = stack(rs_out, "bootstrap-prod")
    p = "bootstrap-prod/state"
    bucket = by_path(doc, S3Bucket.TF_RESOURCE_TYPE, f"{p}/state/bucket")
    assert bucket["bucket"] == "mlgov-tfstate-333333333333"
    assert bucket["force_destroy"] is False
    ref = _ref(S3Bucket.TF_RESOURCE_TYPE, bucket, "id")

    versioning = by_path(doc, S3BucketVersioningA.TF_RESOURCE_TYPE, f"{p}/state/versioning")
    assert versioning["bucket"] == ref
    assert versioning["versioning_configuration"]["status"] == "Enabled"

    sse = by_path(doc, S3BucketServerSideEncryptionConfigurationA.TF_RESOURCE_TYPE, f"{p}/state/encryption")
    default = sse["rule"][0]["apply_server_side_encryption_by_default"]
    key = by_path(doc, KmsKey.TF_RESOURCE_TYPE, f"{p}/key")
    assert default["sse_algorithm"] == "aws:kms"
    assert default["kms_master_key_id"] == _ref(KmsKey.TF_RESOURCE_TYPE, key, "arn")
    assert key["enable_key_rotation"] is True
    alias = by_path(doc, KmsAlias.TF_RESOURCE_TYPE, f"{p}/alias")
    assert alias["name"] == "alias/mlgov-tfstate"

    pab = by_path(doc, S3BucketPublicAccessBlock.TF_RESOURCE_TYPE, f"{p}/state/public-access-block")
    assert pab["bucket"] == ref
    assert all(
        pab[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )

    policy = json.loads(by_path(doc, S3BucketPolicy.TF_RESOURCE_TYPE, f"{p}/policy")["policy"])
    deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert "arn:aws:s3:::mlgov-tfstate-333333333333/*" in deny[0]["Resource"]
    assert not [s for s in policy["Statement"] if s["Effect"] == "Allow"]

    logging_ = by_path(doc, S3BucketLoggingA.TF_RESOURCE_TYPE, f"{p}/logging")
    log_bucket = by_path(doc, S3Bucket.TF_RESOURCE_TYPE, f"{p}/access-logs/bucket")
    assert log_bucket["bucket"] == "mlgov-tfstate-logs-333333333333"
    assert logging_["target_bucket"] == _ref(S3Bucket.TF_RESOURCE_TYPE, log_bucket, "id")
    # S3 delivers no server access logs to an SSE-KMS target: the log bucket is SSE-S3, and the
    # state key grants log delivery nothing.
    log_sse = by_path(
        doc, S3BucketServerSideEncryptionConfigurationA.TF_RESOURCE_TYPE, f"{p}/access-logs/encryption"
    )
    assert log_sse["bucket"] == _ref(S3Bucket.TF_RESOURCE_TYPE, log_bucket, "id")
    assert log_sse["rule"] == [{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}]
    assert "logging.s3.amazonaws.com" not in key["policy"]


def test_bootstrap_provider_refuses_other_accounts_and_keeps_local_state(rs_out: Path) -> None:
    doc = stack(rs_out, "bootstrap-staging")
    (provider,) = doc["provider"]["aws"]
    assert provider["allowed_account_ids"] == ["222222222222"]
    # The deploy role does not exist before the bootstrap: it cannot be assumed here.
    assert "assume_role" not in provider
    assert list(doc["terraform"]["backend"]) == ["local"]


# -- the CI identity ----------------------------------------------------------------------------
def _trust(doc: dict, path: str) -> list[dict]:
    return json.loads(by_path(doc, IamRole.TF_RESOURCE_TYPE, path)["assume_role_policy"])["Statement"]


def _github(statements: list[dict]) -> dict:
    (stmt,) = [s for s in statements if s["Action"] == ["sts:AssumeRoleWithWebIdentity"]]
    return stmt


def test_dev_deploy_role_trusts_its_github_environment_and_main(rs_out: Path) -> None:
    doc = stack(rs_out, "bootstrap-dev")
    provider = by_path(doc, IamOpenidConnectProvider.TF_RESOURCE_TYPE, "bootstrap-dev/ci/github-oidc")
    assert provider["url"] == f"https://{OIDC}"
    assert provider["client_id_list"] == ["sts.amazonaws.com"]
    role = by_path(doc, IamRole.TF_RESOURCE_TYPE, "bootstrap-dev/ci/deploy-role")
    assert role["name"] == "mlgov-deploy"
    stmt = _github(_trust(doc, "bootstrap-dev/ci/deploy-role"))
    assert stmt["Principal"] == {
        "Federated": _ref(IamOpenidConnectProvider.TF_RESOURCE_TYPE, provider, "arn")
    }
    assert stmt["Condition"] == {
        "StringEquals": {
            f"{OIDC}:aud": "sts.amazonaws.com",
            f"{OIDC}:sub": [
                "repo:example-org/mlgov-platform:environment:dev",
                "repo:example-org/mlgov-platform:ref:refs/heads/main",
            ],
        }
    }


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_strict_deploy_roles_trust_only_their_protected_github_environment(rs_out: Path, env: str) -> None:
    doc = stack(rs_out, f"bootstrap-{env}")
    statements = _trust(doc, f"bootstrap-{env}/ci/deploy-role")
    assert _github(statements)["Condition"]["StringEquals"][f"{OIDC}:sub"] == [
        f"repo:example-org/mlgov-platform:environment:{env}"
    ]
    text = json.dumps(statements)
    assert "pull_request" not in text and "refs/heads" not in text and "*" not in text


def test_pull_requests_get_only_the_read_only_plan_role_and_never_in_prod(rs_out: Path) -> None:
    """A pull request's plan job runs the pull request's code with the plan role's credentials:
    it may plan dev and staging; prod's plan role never trusts a pull request."""
    for env, pull in (("staging", True), ("prod", False)):
        doc = stack(rs_out, f"bootstrap-{env}")
        plan = _github(_trust(doc, f"bootstrap-{env}/ci/plan-role"))
        assert plan["Condition"]["StringEquals"][f"{OIDC}:sub"] == [
            "repo:example-org/mlgov-platform:ref:refs/heads/main",
            *(["repo:example-org/mlgov-platform:pull_request"] if pull else []),
        ], env
        attach = by_path(doc, IamRolePolicyAttachment.TF_RESOURCE_TYPE, f"bootstrap-{env}/ci/plan-read-only")
        assert attach["policy_arn"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"
        lock = json.loads(
            by_path(doc, IamRolePolicy.TF_RESOURCE_TYPE, f"bootstrap-{env}/ci/plan-state-lock")["policy"]
        )
        (objects,) = [s for s in lock["Statement"] if s["Sid"] == "StateLockFiles"]
        assert objects["Resource"][0].endswith("/*.tflock")  # lock files only, never the state


def test_the_plan_role_reads_configurations_never_data(rs_out: Path) -> None:
    """ReadOnlyAccess minus the data: no object but the state's, no decryption but with the state
    key (SecureString values, SSE-KMS objects, registry content), no log events."""
    doc = stack(rs_out, "bootstrap-prod")
    bucket = by_path(doc, S3Bucket.TF_RESOURCE_TYPE, "bootstrap-prod/state/state/bucket")
    key = by_path(doc, KmsKey.TF_RESOURCE_TYPE, "bootstrap-prod/state/key")
    policy = json.loads(
        by_path(doc, IamRolePolicy.TF_RESOURCE_TYPE, "bootstrap-prod/ci/plan-state-lock")["policy"]
    )
    denies = {s["Sid"]: s for s in policy["Statement"] if s["Effect"] == "Deny"}
    assert denies["NoObjectReadsButTheState"]["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert denies["NoObjectReadsButTheState"]["NotResource"] == [
        f"{_ref(S3Bucket.TF_RESOURCE_TYPE, bucket, 'arn')}/*"
    ]
    assert denies["NoDecryptionButTheState"]["Action"] == ["kms:Decrypt"]
    assert denies["NoDecryptionButTheState"]["NotResource"] == [_ref(KmsKey.TF_RESOURCE_TYPE, key, "arn")]
    assert {"logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery"} <= set(
        denies["NoLogEvents"]["Action"]
    )
    assert denies["NoLogEvents"]["Resource"] == ["*"]


def test_deploy_role_is_not_administrator_and_cannot_touch_the_ci_roles(rs_out: Path) -> None:
    doc = stack(rs_out, "bootstrap-dev")
    # no AWS managed policy: PowerUserAccess was every service but IAM; now the stacks' services
    assert not [
        a
        for a in doc["resource"].get(IamRolePolicyAttachment.TF_RESOURCE_TYPE, {}).values()
        if a["role"].startswith("${aws_iam_role.ci_deploy-role")
    ]
    services = json.loads(
        by_path(doc, IamRolePolicy.TF_RESOURCE_TYPE, "bootstrap-dev/ci/deploy-services")["policy"]
    )
    granted = {a.split(":")[0] for s in services["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}
    assert granted == {
        "ec2",
        "kms",
        "s3",
        "logs",
        "events",
        "ssm",
        "sagemaker",
        "datazone",
        "ram",
        "sts",
        "iam",
    }
    policy = json.loads(by_path(doc, IamRolePolicy.TF_RESOURCE_TYPE, "bootstrap-dev/ci/deploy-iam")["policy"])
    (allow,) = [s for s in policy["Statement"] if s["Sid"] == "PlatformRoles"]
    assert allow["Resource"] == [
        "arn:aws:iam::111111111111:role/mlgov-dev-*",
        "arn:aws:iam::111111111111:policy/mlgov-dev-*",
    ]
    assert "iam:*" not in allow["Action"] and "iam:PassRole" in allow["Action"]
    (deny,) = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert set(deny["Resource"]) == {
        "arn:aws:iam::111111111111:role/mlgov-dev-ci-plan",
        "arn:aws:iam::111111111111:role/mlgov-deploy",
    }


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_the_deploy_role_deploys_and_makes_no_governance_change(rs_out: Path, env: str) -> None:
    """Explicit denies no other statement of the role lifts: no version or card written, no
    models/* object written, no data read, no platform role assumed (approver, promotion ...)."""
    doc = stack(rs_out, f"bootstrap-{env}")
    platform = load_platform()
    names = Names.of(platform, env)
    services = json.loads(
        by_path(doc, IamRolePolicy.TF_RESOURCE_TYPE, f"bootstrap-{env}/ci/deploy-services")["policy"]
    )
    denies = {s["Sid"]: s for s in services["Statement"] if s["Effect"] == "Deny"}
    assert set(denies["NoModelGovernanceWrites"]["Action"]) == {
        "sagemaker:CreateModelPackage",
        "sagemaker:UpdateModelPackage",
        "sagemaker:DeleteModelPackage",
        "sagemaker:CreateModelCard",
        "sagemaker:UpdateModelCard",
        "sagemaker:DeleteModelCard",
    }
    assert denies["NoModelGovernanceWrites"]["Resource"] == ["*"]
    assert denies["NoModelArtifactWrites"]["Resource"] == [f"{names.artifact_bucket_arn}/models/*"]
    roles = set(denies["NoPlatformRoles"]["Resource"])
    assert {names.role_arn("approver"), names.role_arn("promotion")} <= roles
    assert set(denies["NoPlatformRoles"]["Action"]) == {
        "sts:AssumeRole",
        "sts:SetSourceIdentity",
        "sts:TagSession",
    }
    assert f"{names.artifact_bucket_arn}/*" in denies["NoPlatformDataReads"]["Resource"]


def _bootstrap(platform: PlatformConfig, env: str, outdir: Path) -> dict:
    # A real App (Testing.synth drops the construct paths the lookups use).
    from cdktf import App

    from modules.bootstrap import BootstrapStack

    app = App(outdir=str(outdir))
    BootstrapStack(app, platform, platform.env(env))
    app.synth()
    return stack(outdir, f"bootstrap-{env}")


def test_break_glass_principals_are_trusted_when_configured(
    rs_platform: PlatformConfig, tmp_path: Path
) -> None:
    admin = "arn:aws:iam::444444444444:role/BreakGlass"
    assert rs_platform.ci is not None
    platform = dataclasses.replace(
        rs_platform, ci=dataclasses.replace(rs_platform.ci, admin_principals=(admin,))
    )
    statements = _trust(_bootstrap(platform, "prod", tmp_path / "a"), "bootstrap-prod/ci/deploy-role")
    (glass,) = [s for s in statements if s["Sid"] == "BreakGlass"]
    assert glass["Principal"] == {"AWS": [admin]}
    # ... and not by default
    assert "BreakGlass" not in json.dumps(
        _trust(_bootstrap(rs_platform, "prod", tmp_path / "b"), "bootstrap-prod/ci/deploy-role")
    )


def test_without_ci_section_no_oidc_provider_and_only_the_account_is_trusted(
    rs_platform: PlatformConfig, tmp_path: Path
) -> None:
    doc = _bootstrap(dataclasses.replace(rs_platform, ci=None), "dev", tmp_path)
    assert IamOpenidConnectProvider.TF_RESOURCE_TYPE not in doc.get("resource", {})
    statements = _trust(doc, "bootstrap-dev/ci/deploy-role")
    assert not [s for s in statements if "Federated" in s.get("Principal", {})]
    principals = {json.dumps(s["Principal"]) for s in statements}
    assert principals == {json.dumps({"AWS": "arn:aws:iam::111111111111:root"})}


def test_existing_oidc_provider_is_referenced_not_created(
    rs_platform: PlatformConfig, tmp_path: Path
) -> None:
    assert rs_platform.ci is not None
    platform = dataclasses.replace(
        rs_platform, ci=dataclasses.replace(rs_platform.ci, create_oidc_provider=False)
    )
    doc = _bootstrap(platform, "dev", tmp_path)
    assert IamOpenidConnectProvider.TF_RESOURCE_TYPE not in doc.get("resource", {})
    stmt = _github(_trust(doc, "bootstrap-dev/ci/deploy-role"))
    assert stmt["Principal"] == {"Federated": f"arn:aws:iam::111111111111:oidc-provider/{OIDC}"}


def test_ci_subjects_have_no_wildcards() -> None:
    ci = CiConfig(github_repository="acme/ml", branches=("main", "release/1.x"))
    platform = load_platform()
    assert ci.deploy_subjects(platform.env("dev")) == (
        "repo:acme/ml:environment:dev",
        "repo:acme/ml:ref:refs/heads/main",
        "repo:acme/ml:ref:refs/heads/release/1.x",
    )
    assert ci.deploy_subjects(platform.env("prod")) == ("repo:acme/ml:environment:prod",)
    assert CiConfig("acme/ml", plan_on_pull_request=False).plan_subjects(platform.env("dev")) == (
        "repo:acme/ml:ref:refs/heads/main",
    )
    assert ci.promotion_subjects(platform.env("prod")) == ("repo:acme/ml:environment:prod-promotion",)


# checkov over the bootstrap stacks: tests/policy/test_checkov.py scans every synthesized stack,
# bootstrap-<env> included, with zero failures allowed.
