"""``mlgov deploy principals``: find resource policies whose grants a recreated role has lost.

AWS stores an IAM role or user named in a resource policy by its unique id. When that principal is
deleted, reads of the policy show the id (``"AWS": "AROA..."``) instead of the ARN, and a role
recreated under the same name is not granted: the policy must be written again (IAM User Guide,
"AWS JSON policy elements: Principal", IAM role principals; "IAM identifiers", unique ID
prefixes). The kit's own grants to another environment's role are immune: they name the role's
account as principal and the role in an ``aws:PrincipalArn`` condition (modules/policy.py
``roles_by_arn``), which follows the role's name. A statement added by hand that names a role
does lose its grant this way.

For each environment this reads, in its account (through its deploy role), the KMS key policy of
the platform key, the bucket policies of the artifact and access-log buckets and the policy of
each model package group, and reports every principal shown as a unique id with the command that
writes the policy again (Terraform also shows the change in ``mlgov deploy drift``/``plan``, as
an id in place of the ARN it wrote): ``mlgov deploy apply --env <env>``, which writes it as
synthesized.

    mlgov deploy principals                  # every environment, local cloud
    mlgov deploy principals --target aws --env dev --json

Exit codes: 0 no policy names a unique id, 1 one does (or a policy could not be read), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError

from environments import EnvironmentConfig, PlatformConfig, load_platform
from environments.naming import Names
from scripts import command
from scripts.aws import assume_role, client, kit_errors, new_session
from scripts.errors import EXIT_FAILED, EXIT_OK, AwsCallError, UsageError

from .runner import DeployError, check_local_cloud, environments_dir, select_environments, start_local_cloud
from .targets import TARGETS

#: Unique ids of IAM roles (AROA) and users (AIDA), as a policy shows a principal it can no longer
#: map to an ARN (IAM User Guide, "IAM identifiers", unique ID prefixes).
UNIQUE_ID = re.compile(r"^A(ROA|IDA)[A-Z0-9]{12,}$")


@dataclass(frozen=True)
class Orphan:
    """A principal a policy shows by its unique id: the role or user it granted is gone."""

    env: str
    policy: str
    """What the policy is attached to (``KMS key alias/...``, ``bucket ...``, ``model package group ...``)."""
    unique_id: str
    reapply: str
    """The command that writes the policy again, as synthesized."""

    def __str__(self) -> str:
        text = (
            f"{self.env}: the {self.policy} policy names {self.unique_id}, a principal deleted or "
            "recreated since the policy was written"
        )
        return f"{text}; run `{self.reapply}`"


def unique_ids(document: dict[str, Any]) -> list[str]:
    """The principals of ``document`` (Principal / NotPrincipal ``AWS``) shown as unique ids."""
    found: list[str] = []
    statements = document.get("Statement")
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict):
            continue
        for element in ("Principal", "NotPrincipal"):
            principal = statement.get(element)
            if not isinstance(principal, dict):
                continue
            entries = principal.get("AWS")
            for entry in entries if isinstance(entries, list) else [entries]:
                if isinstance(entry, str) and UNIQUE_ID.match(entry) and entry not in found:
                    found.append(entry)
    return found


def _policies(session: boto3.Session, names: Names) -> Iterator[tuple[str, str | None]]:
    """(what the policy is attached to, the policy as read; None when there is none)."""
    region = names.env.region
    role = names.env.deploy_role_arn
    kms = client(session, "kms", region=region)
    with kit_errors(role):
        key_id = kms.describe_key(KeyId=names.kms_alias)["KeyMetadata"]["KeyId"]
        key_policy = kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
    yield f"KMS key {names.kms_alias}", key_policy
    s3 = client(session, "s3", region=region)
    for bucket in (names.artifact_bucket, names.access_log_bucket):
        policy: str | None = None
        with kit_errors(role, allow=("NoSuchBucketPolicy",)):
            policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
        yield f"bucket {bucket}", policy
    sagemaker = client(session, "sagemaker", region=region)
    for use_case in names.env.use_cases:
        group = names.model_package_group(use_case.name)
        policy = None
        # SageMaker answers ValidationException for a group without a policy.
        with kit_errors(role, allow=("ValidationException",)):
            policy = sagemaker.get_model_package_group_policy(ModelPackageGroupName=group)["ResourcePolicy"]
        yield f"model package group {group}", policy


def reapply_command(platform: PlatformConfig, env: EnvironmentConfig, target: str) -> str:
    """``mlgov deploy apply`` of ``env``: it writes the policy again as synthesized (a statement
    added by hand is gone after it)."""
    return f"mlgov deploy apply --env {env.name}" + (" --target aws" if target == "aws" else "")


def find_orphans(
    platform: PlatformConfig,
    envs: Sequence[EnvironmentConfig],
    session_for: Callable[[EnvironmentConfig], boto3.Session],
    target: str = "local",
) -> list[Orphan]:
    """Every principal shown as a unique id in the key, bucket and group policies of ``envs``."""
    orphans: list[Orphan] = []
    for env in envs:
        names = Names.of(platform, env)
        session = session_for(env)
        for attached_to, policy in _policies(session, names):
            if policy is None:
                continue
            for unique_id in unique_ids(json.loads(policy)):
                orphans.append(
                    Orphan(env.name, attached_to, unique_id, reapply_command(platform, env, target))
                )
    return orphans


def deploy_role_sessions(
    source: boto3.Session, endpoint_url: str | None = None
) -> Callable[[EnvironmentConfig], boto3.Session]:
    """Sessions acting as each environment's deploy role, assumed from ``source``
    (:func:`scripts.aws.assume_role`); their clients go to ``endpoint_url`` when given (the local
    cloud)."""

    def session_for(env: EnvironmentConfig) -> boto3.Session:
        return assume_role(
            env.deploy_role_arn,
            source=source,
            purpose="principals",
            region=env.region,
            endpoint_url=endpoint_url,
            where=f"to read the policies of environment {env.name!r}",
        )

    return session_for


def sessions_for_target(target: str, config_dir: Path) -> Callable[[EnvironmentConfig], boto3.Session]:
    """aws: the normal credential chain; local: the running local cloud's admin."""
    if target == "aws":
        return deploy_role_sessions(new_session())
    check_local_cloud(config_dir, [], "principals")  # an empty cloud has no policies to read
    try:
        cloud = start_local_cloud(config_dir)
    except DeployError as exc:
        raise UsageError(f"the local cloud is not available: {exc.detail}") from None
    env = cloud.env()
    admin = new_session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"]
    )
    return deploy_role_sessions(admin, cloud.url)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mlgov deploy principals",
        description="Report every principal the KMS key, bucket and model package group policies "
        "of each environment show as a unique id (AROA.../AIDA...): a role or user deleted or "
        "recreated since the policy was written, which the policy no longer grants. Each finding "
        "names the environment to apply again.",
        epilog="Exit codes: 0 none found, 1 found (or a policy could not be read), 2 bad usage.",
    )
    p.add_argument(
        "--env",
        action="append",
        dest="envs",
        metavar="NAME",
        help="environment whose policies to read (repeatable); default: every environment",
    )
    p.add_argument(
        "--config-dir",
        type=Path,
        default=None,
        help="directory of environment YAML files (default: $MLGOV_ENVIRONMENTS_DIR, else environments/)",
    )
    p.add_argument(
        "--target",
        choices=TARGETS,
        default="local",
        help="local: the running local cloud (default); aws: the normal AWS "
        "credential chain, entering each account through its deploy role",
    )
    p.add_argument("--json", action="store_true", help="print the findings as JSON on stdout")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    return command.main(build_parser(), argv, run, render=lambda _: None)


def run(args: argparse.Namespace) -> command.Outcome:
    """Every orphaned principal, printed one a line on stderr; exit 1 when there is one."""
    config_dir = environments_dir(args.config_dir)
    platform = load_platform(config_dir)
    envs = select_environments(platform, args.envs, "plan")
    try:
        orphans = find_orphans(platform, envs, sessions_for_target(args.target, config_dir), args.target)
    except BotoCoreError as exc:  # no endpoint or no credentials: the policies were not read
        raise AwsCallError(f"cannot read the policies: {exc}") from exc
    for orphan in orphans:
        print(orphan, file=sys.stderr)
    return command.Outcome(
        {"ok": not orphans, "orphans": [asdict(o) for o in orphans]}, EXIT_FAILED if orphans else EXIT_OK
    )
