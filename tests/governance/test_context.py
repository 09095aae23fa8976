"""context: one session helper per environment role, SSM discovery, credentials renewed before
they expire, pagination; output: the table."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import botocore.client
import pytest
from botocore.exceptions import ClientError

from environments import ConfigError, EnvironmentConfig, UseCase
from scripts.aws import RETRY_CONFIG
from scripts.errors import EXIT_USAGE
from scripts.governance.context import env_context, paginate, resolve_use_case
from scripts.governance.errors import CredentialsError, UsageError
from scripts.governance.output import table

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
    assert ctx.client("s3").meta.config.retries["mode"] == "standard"
    assert RETRY_CONFIG.retries == {"mode": "standard"}


def test_unknown_environment_and_role(platform):
    with pytest.raises(
        ConfigError, match="unknown environment 'qa': known environments are dev, prod, staging"
    ):
        env_context(platform, "qa", "approver", job="t")
    with pytest.raises(UsageError, match="unknown role 'admin'"):
        env_context(platform, "dev", "admin", job="t")


def test_unknown_use_case(platform):
    with pytest.raises(UsageError, match="unknown use case 'fraud'"):
        resolve_use_case(platform.env("dev"), "fraud")


def _with_use_cases(env: EnvironmentConfig, *names: str) -> EnvironmentConfig:
    return dataclasses.replace(env, use_cases=tuple(UseCase(name=n, description=n) for n in names))


def test_an_environment_with_several_use_cases_asks_which_one(platform):
    dev = _with_use_cases(platform.env("dev"), "credit-risk", "fraud")
    with pytest.raises(UsageError) as refused:
        resolve_use_case(dev, None)
    assert str(refused.value) == (
        "environment 'dev' has several use cases: credit-risk, fraud; name one with --use-case "
        "(e.g. --use-case credit-risk)"
    )
    assert refused.value.exit_code == EXIT_USAGE
    assert resolve_use_case(dev, "fraud") == "fraud"


def test_the_only_use_case_is_the_default(platform):
    assert resolve_use_case(platform.env("dev"), None) == "credit-risk"
    assert resolve_use_case(_with_use_cases(platform.env("prod"), "fraud"), None) == "fraud"


def test_promote_without_use_case_in_an_environment_with_several_exits_2(platform, monkeypatch, capsys):
    from scripts.governance.promote import job

    envs = {name: _with_use_cases(e, "credit-risk", "fraud") for name, e in platform.environments.items()}
    several = dataclasses.replace(platform, environments=envs)
    staging = several.env("staging")
    monkeypatch.setattr(job, "load_platform", lambda *_: several)
    # The promotion role's context, without AWS: the use case is settled before any call.
    monkeypatch.setattr(job, "env_context", lambda *args, **kwargs: SimpleNamespace(env=staging))
    assert job.main(["--env", "staging", "--version", "1"]) == EXIT_USAGE
    assert "several use cases: credit-risk, fraud; name one with --use-case" in capsys.readouterr().err


def test_missing_ssm_parameter_names_it(mocked, platform):
    provision(platform, skip_params=(("dev", "/mlgov/dev/artifacts/bucket"),))
    ctx = env_context(platform, "dev", "approver", job="t")
    with pytest.raises(
        UsageError, match=r"/mlgov/dev/artifacts/bucket not found in account 111111111111 \(dev\)"
    ):
        _ = ctx.artifact_bucket


def _assume_role_expiring(monkeypatch, expirations):
    """AssumeRole answers with these expiry times in turn (then as moto does); returns the access
    key ids it handed out."""
    real = botocore.client.BaseClient._make_api_call
    issued = []

    def patched(self, op, params):
        resp = real(self, op, params)
        if op == "AssumeRole":
            if expirations:
                resp["Credentials"]["Expiration"] = expirations.pop(0)
            issued.append(resp["Credentials"]["AccessKeyId"])
        return resp

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", patched)
    return issued


def test_credentials_renewed_before_they_expire(cloud, platform, monkeypatch):
    """Credentials a few minutes from expiry are renewed by assuming the role again before the
    next call, which then runs with the new ones, as the same role."""
    issued = _assume_role_expiring(monkeypatch, [datetime.now(UTC) + timedelta(minutes=5)])
    ctx = env_context(platform, "dev", "approver", job="t")
    assert ":assumed-role/mlgov-dev-model-approver/" in ctx.caller_arn()
    assert len(issued) == 2 and issued[0] != issued[1]
    assert ctx.session.get_credentials().get_frozen_credentials().access_key == issued[1]
    ctx.client("s3").list_objects_v2(Bucket=ctx.artifact_bucket)
    assert len(issued) == 2  # the renewed credentials last an hour: no further assume


def test_expired_again_is_a_clear_error(cloud, platform, monkeypatch):
    now = datetime.now(UTC)
    _assume_role_expiring(monkeypatch, [now + timedelta(minutes=5), now - timedelta(minutes=1)])
    ctx = env_context(platform, "dev", "approver", job="t")
    with pytest.raises(CredentialsError, match=r"already expired when assumed.*check the clock"):
        ctx.caller_arn()


def test_expired_on_first_assume_is_a_clear_error(cloud, platform, monkeypatch):
    _assume_role_expiring(monkeypatch, [datetime.now(UTC) - timedelta(minutes=1)])
    ctx = env_context(platform, "dev", "approver", job="t")
    with pytest.raises(CredentialsError, match="mlgov-dev-model-approver were already expired"):
        ctx.client("s3")


def test_untrusted_role_is_a_clear_error(cloud, platform, monkeypatch):
    """A role the caller may not assume: the error names the role and what to check."""
    real = botocore.client.BaseClient._make_api_call

    def deny(self, op, params):
        if op == "AssumeRole":
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not trusted"}}, op)
        return real(self, op, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", deny)
    ctx = env_context(platform, "dev", "approver", job="t")
    with pytest.raises(CredentialsError, match=r"cannot assume .*mlgov-dev-model-approver.*trust policy"):
        ctx.caller_arn()


def test_paginate_follows_every_page(cloud, platform):
    ctx = env_context(platform, "dev", "approver", job="t")
    s3 = ctx.client("s3")
    for i in range(7):
        s3.put_object(Bucket=ctx.artifact_bucket, Key=f"p/{i}", Body=b"")
    keys = [
        o["Key"]
        for o in paginate(
            s3,
            "list_objects_v2",
            "Contents",
            Bucket=ctx.artifact_bucket,
            Prefix="p/",
            PaginationConfig={"PageSize": 3},
        )
    ]
    assert keys == [f"p/{i}" for i in range(7)]
    assert list(paginate(s3, "list_objects_v2", "Contents", Bucket=ctx.artifact_bucket, Prefix="none/")) == []


def test_table_aligns_columns():
    out = table([{"a": "x", "b": None}, {"a": "longer", "b": 2}], ["a", "b"])
    lines = out.splitlines()
    assert lines[0].startswith("A     ") and lines[2] == "x       -" and lines[3] == "longer  2"


def test_entry_role_from_the_environment(platform, monkeypatch):
    from environments import Names
    from scripts.governance.context import ENTRY_ROLE_VAR, entry_role_arn

    names = Names.of(platform, platform.env("staging"))
    monkeypatch.delenv(ENTRY_ROLE_VAR, raising=False)
    assert entry_role_arn(names) is None
    monkeypatch.setenv(ENTRY_ROLE_VAR, "deploy")
    assert entry_role_arn(names) == names.env.deploy_role_arn
    monkeypatch.setenv(ENTRY_ROLE_VAR, "AWSReservedSSO_Admin")
    assert entry_role_arn(names) == f"arn:aws:iam::{names.env.account_id}:role/AWSReservedSSO_Admin"
    monkeypatch.setenv(ENTRY_ROLE_VAR, "not a role!")
    with pytest.raises(UsageError, match="MLGOV_ENTRY_ROLE='not a role!'"):
        entry_role_arn(names)


def test_jobs_enter_the_account_through_the_entry_role(cloud, platform, monkeypatch):
    """With MLGOV_ENTRY_ROLE=deploy the job's role is assumed from inside the account, by the
    deploy role's session (role chaining), not from the caller's own account."""
    from scripts.governance.context import ENTRY_ROLE_VAR

    calls: list[tuple[str, str]] = []

    def observe(client):
        def record(params, context, **_):
            calls.append((client.meta.service_model.service_name, params.get("RoleArn", "")))

        client.meta.events.register("provide-client-params.sts.AssumeRole", record)

    from scripts.aws import add_client_observer, remove_client_observer

    monkeypatch.setenv(ENTRY_ROLE_VAR, "deploy")
    add_client_observer(observe)
    try:
        ctx = env_context(platform, "staging", "approver", job="test")
        assert ctx.caller_arn().startswith(
            "arn:aws:sts::222222222222:assumed-role/mlgov-staging-model-approver/"
        )
    finally:
        remove_client_observer(observe)
    env = platform.env("staging")
    assert [arn for _, arn in calls] == [env.deploy_role_arn, ctx.role_arn]


# -- the person every assumed session carries (issue 20) ----------------------------------------
def _assume_requests(monkeypatch):
    """Every AssumeRole request the kit sends, as (RoleArn, SourceIdentity)."""
    from scripts.aws import add_client_observer, remove_client_observer

    calls: list[tuple[str, str | None]] = []

    def observe(client):
        def record(params, context, **_):
            calls.append((params.get("RoleArn", ""), params.get("SourceIdentity")))

        client.meta.events.register("provide-client-params.sts.AssumeRole", record)

    add_client_observer(observe)
    return calls, lambda: remove_client_observer(observe)


def test_every_assumed_session_carries_the_callers_name(cloud, platform, monkeypatch):
    """From an IAM user's keys the person is the user's name (moto's default caller is the user
    ``moto``); it is the source identity of the role session and of the audit record."""
    from scripts.aws import PERSON_VAR
    from scripts.governance.context import ENTRY_ROLE_VAR

    monkeypatch.delenv(PERSON_VAR, raising=False)
    monkeypatch.delenv(ENTRY_ROLE_VAR, raising=False)
    calls, stop = _assume_requests(monkeypatch)
    try:
        ctx = env_context(platform, "staging", "approver", job="test")
        assert ctx.person() == "moto"
    finally:
        stop()
    assert calls == [(ctx.role_arn, "moto")]


def test_a_chain_carries_one_person_and_mlgov_person_names_it(cloud, platform, monkeypatch):
    """Through the entry role and on into the job's role the same source identity (STS refuses a
    change along a chain); MLGOV_PERSON names the person instead of the caller's name."""
    from scripts.aws import PERSON_VAR
    from scripts.governance.context import ENTRY_ROLE_VAR

    monkeypatch.setenv(ENTRY_ROLE_VAR, "deploy")
    monkeypatch.setenv(PERSON_VAR, "ada@example.com")
    calls, stop = _assume_requests(monkeypatch)
    try:
        ctx = env_context(platform, "prod", "approver", job="test")
        assert ctx.person() == "ada@example.com"
    finally:
        stop()
    assert calls == [
        (platform.env("prod").deploy_role_arn, "ada@example.com"),
        (ctx.role_arn, "ada@example.com"),
    ]


def test_a_person_sts_would_refuse_is_a_clear_error(cloud, platform, monkeypatch):
    from scripts.aws import PERSON_VAR, person_of

    monkeypatch.setenv(PERSON_VAR, "ada lovelace")  # a space: not a source identity
    with pytest.raises(CredentialsError, match="MLGOV_PERSON 'ada lovelace' cannot be a source identity"):
        env_context(platform, "dev", "approver", job="t").person()
    monkeypatch.setenv(PERSON_VAR, "aws:admin")
    with pytest.raises(CredentialsError, match="not starting with aws:"):
        env_context(platform, "dev", "approver", job="t").person()
    assert person_of("arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_X_0a1b/ada@example.com") == (
        "ada@example.com"
    )
    assert person_of("arn:aws:iam::111111111111:user/ops/bob") == "bob"
    with pytest.raises(CredentialsError, match="names no person"):
        person_of("arn:aws:iam::111111111111:root")


def test_a_person_signs_in_to_the_role_the_people_file_names(cloud, platform, monkeypatch, tmp_path):
    """MLGOV_PEOPLE: the job enters the account through the role the person signs in to (the local
    cloud's stand-in for an Identity Center permission set), carrying the person, then assumes
    the job's role; the same person rides the whole chain."""
    import json as _json

    import boto3

    from scripts.aws import PERSON_VAR
    from scripts.governance.context import ENTRY_ROLE_VAR, PEOPLE_VAR

    env = platform.env("prod")
    iam = boto3.client("iam", region_name="us-east-1")
    sign_in = iam.create_role(
        RoleName="AWSReservedSSO_MLGovApprover_local",
        Path="/aws-reserved/sso.amazonaws.com/",
        AssumeRolePolicyDocument=_json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    people = tmp_path / "people.json"
    people.write_text(
        _json.dumps({"accounts": {env.account_id: {"approver": {"role_arn": sign_in, "person": "avery"}}}})
    )
    monkeypatch.setenv(PEOPLE_VAR, str(people))
    monkeypatch.setenv(ENTRY_ROLE_VAR, "deploy")  # the people file comes first
    monkeypatch.delenv(PERSON_VAR, raising=False)
    calls, stop = _assume_requests(monkeypatch)
    try:
        ctx = env_context(platform, "prod", "approver", job="test")
        assert ctx.person() == "avery"
    finally:
        stop()
    assert calls == [(sign_in, "avery"), (ctx.role_arn, "avery")]
    people.write_text("{not json")
    with pytest.raises(UsageError, match=r"MLGOV_PEOPLE=.*expected a readable JSON file"):
        env_context(platform, "prod", "approver", job="test2").person()


def test_a_ci_job_already_in_the_role_keeps_its_session(cloud, platform, monkeypatch):
    """promote.yml assumes the promotion role with its OIDC token: the job acts in that session
    (no second AssumeRole), for the person its session name records (the GitHub actor)."""
    import boto3

    from scripts.aws import PERSON_VAR, new_session
    from scripts.governance.context import ENTRY_ROLE_VAR

    monkeypatch.delenv(ENTRY_ROLE_VAR, raising=False)
    monkeypatch.delenv(PERSON_VAR, raising=False)
    env = platform.env("prod")
    from environments import Names

    role = Names.of(platform, env).role_arn("promotion")
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=role, RoleSessionName="octocat@github"
    )["Credentials"]
    job_session = new_session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )
    calls, stop = _assume_requests(monkeypatch)
    try:
        ctx = env_context(platform, "prod", "promotion", job="promote", source=job_session)
        assert ctx.person() == "octocat@github"
        assert ctx.caller_arn().endswith(":assumed-role/mlgov-prod-promotion/octocat@github")
    finally:
        stop()
    assert calls == []
