"""The deployed local cloud as the e2e tests see it: accounts reached by their deploy roles and
the deploy runner bound to the session's synthesized stacks (used by conftest.py and the tests)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from environments import EnvironmentConfig, PlatformConfig
from environments.fields import concrete_principal
from scripts.aws import RETRY_CONFIG as RETRY
from scripts.deploy import DeployError, StepResult, deploy


@dataclass
class Account:
    """Clients inside one emulated account, reached by assuming that environment's deploy role."""

    env: EnvironmentConfig
    session: boto3.Session
    endpoint: str

    def client(self, service: str) -> Any:
        return self.session.client(
            service, endpoint_url=self.endpoint, region_name=self.env.region, config=RETRY
        )


@dataclass
class DeployedCloud:
    """The running local cloud with every environment applied by the deploy runner."""

    cloud: Any
    """The ``scripts.localcloud.LocalCloud`` (``.url``, ``.env()``)."""
    platform: PlatformConfig
    outdir: Path
    """Synthesized stacks (``outdir/stacks/<env>/cdk.tf.json``)."""
    work_root: Path
    """The deploy runner's working directories and logs (``work_root/local/logs``)."""
    plan_before_apply: list[StepResult]
    apply: list[StepResult]
    destroyed: bool = False
    _accounts: dict[str, Account] = field(default_factory=dict)

    def account(self, env: str | EnvironmentConfig) -> Account:
        """Clients in ``env``'s account (deploy role; the emulator maps it to that account)."""
        env = self.platform.env(env) if isinstance(env, str) else env
        if env.name not in self._accounts:
            self._accounts[env.name] = Account(
                env, assume(self.cloud, env.deploy_role_arn, env.region), self.cloud.url
            )
        return self._accounts[env.name]

    def run(
        self, action: str, env_names: list[str] | None = None, *, parallel: bool = False
    ) -> list[StepResult]:
        """Run the deploy runner against this cloud with the session's synthesized stacks."""
        return run_deploy(action, self, env_names, parallel=parallel)


def assume(
    cloud: Any,
    role_arn: str,
    region: str,
    *,
    source: boto3.Session | None = None,
    person: str | None = None,
) -> boto3.Session:
    """A session of ``role_arn``, assumed by the local admin (or by ``source``), carrying
    ``person`` as its source identity when given."""
    if source is None:
        env = cloud.env()
        source = boto3.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"]
        )
    sts = source.client("sts", endpoint_url=cloud.url, region_name=region, config=RETRY)
    extra = {"SourceIdentity": person} if person else {}
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="mlgov-e2e", **extra)["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )


def as_person(
    cloud: Any, principals: Sequence[str], role_arn: str, region: str, person: str
) -> boto3.Session:
    """``person`` signs in to the first of ``principals`` (the configuration's data_scientists,
    approvers or promotion_operators: the local cloud creates it, a pattern made concrete) and
    takes ``role_arn``, carrying who they are, as a person does on AWS."""
    signed_in = assume(cloud, concrete_principal(principals[0]), region, person=person)
    return assume(cloud, role_arn, region, source=signed_in, person=person)


def _explain(exc: DeployError) -> str:
    """The runner's message plus the end of the failing step's Terraform log."""
    try:
        tail = "\n".join(Path(exc.log).read_text(errors="replace").splitlines()[-60:])
    except OSError:
        tail = "(log not readable)"
    return f"{exc}\n--- last lines of {exc.log} ---\n{tail}"


def run_deploy(
    action: str, target: Any, env_names: list[str] | None = None, **kwargs: Any
) -> list[StepResult]:
    try:
        return deploy(
            action,
            env_names,
            target="local",
            cloud=target.cloud,
            platform=target.platform,
            work_root=target.work_root,
            outdir=target.outdir,
            synthesize=False,
            **kwargs,
        )
    except DeployError as exc:
        pytest.fail(_explain(exc), pytrace=False)
