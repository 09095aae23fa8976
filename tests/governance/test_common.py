"""common: one session helper per environment role, SSM discovery, expired credentials."""

from __future__ import annotations

import botocore.client
import pytest
from botocore.exceptions import ClientError

from scripts.governance.common import (
    RETRY_CONFIG,
    CredentialsError,
    UsageError,
    env_context,
    resolve_use_case,
    table,
)

from .conftest import provision


def test_context_acts_in_the_environment_account_as_its_role(cloud, platform):
    ctx = env_context(platform, "staging", "approver", job="t")
    assert ctx.caller_arn().startswith(
        "arn:aws:sts::222222222222:assumed-role/mlgov-staging-model-approver/mlgov-t"
    )
    assert ctx.artifact_bucket == "mlgov-staging-artifacts-222222222222"
    assert ctx.kms_key_arn == cloud.kms_keys["staging"]
    assert ctx.group_name("credit-risk") == "mlgov-credit-risk"


def test_clients_use_standard_retries(cloud, platform):
    ctx = env_context(platform, "dev", "approver", job="t")
    raw = ctx.client("s3")._client
    assert raw.meta.config.retries["mode"] == "standard"
    assert RETRY_CONFIG.retries == {"mode": "standard"}


def test_unknown_environment_and_role(platform):
    with pytest.raises(
        UsageError, match="unknown environment 'qa': known environments are dev, prod, staging"
    ):
        env_context(platform, "qa", "approver", job="t")
    with pytest.raises(UsageError, match="unknown role 'admin'"):
        env_context(platform, "dev", "admin", job="t")


def test_unknown_use_case(platform):
    with pytest.raises(UsageError, match="unknown use case 'fraud'"):
        resolve_use_case(platform.env("dev"), "fraud")


def test_missing_ssm_parameter_names_it(mocked, platform):
    provision(platform, skip_params=(("dev", "/mlgov/dev/artifacts/bucket"),))
    ctx = env_context(platform, "dev", "approver", job="t")
    with pytest.raises(
        UsageError, match=r"/mlgov/dev/artifacts/bucket not found in account 111111111111 \(dev\)"
    ):
        ctx.artifact_bucket


def _expire(monkeypatch, times):
    real = botocore.client.BaseClient._make_api_call
    left = {"n": times}

    def flaky(self, op, params):
        if op == "GetCallerIdentity" and left["n"] > 0:
            left["n"] -= 1
            raise ClientError({"Error": {"Code": "ExpiredToken", "Message": "expired"}}, op)
        return real(self, op, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", flaky)


def test_expired_credentials_reassumed_once(cloud, platform, monkeypatch):
    ctx = env_context(platform, "dev", "approver", job="t")
    ctx.client("sts")
    first = ctx.session.get_credentials().access_key
    _expire(monkeypatch, 1)
    assert ":assumed-role/mlgov-dev-model-approver/" in ctx.caller_arn()
    assert ctx.session.get_credentials().access_key != first


def test_expired_again_is_a_clear_error(cloud, platform, monkeypatch):
    ctx = env_context(platform, "dev", "approver", job="t")
    _expire(monkeypatch, 2)
    with pytest.raises(CredentialsError, match="expired again right after being re-assumed"):
        ctx.caller_arn()


def test_table_aligns_columns():
    out = table([{"a": "x", "b": None}, {"a": "longer", "b": 2}], ["a", "b"])
    lines = out.splitlines()
    assert lines[0].startswith("A     ") and lines[2] == "x       -" and lines[3] == "longer  2"
