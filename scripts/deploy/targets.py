"""Deploy targets: where Terraform sends a synthesized stack, and with which credentials.

``local`` (:class:`LocalTarget`)
    The local multi-account emulator (``scripts.localcloud``). Beside the stack goes
    ``zz_local_override.tf.json``: a Terraform override file that points every AWS service
    endpoint (and an S3 state backend, if the stack has one) at the emulator with its
    credentials. The stack JSON itself is the one that goes to AWS; the provider still assumes
    the environment's deploy role, which the emulator maps to that environment's account.
``aws`` (:class:`AwsTarget`)
    The synthesized JSON unchanged: the normal AWS credential chain, and the deploy role the
    stack's provider assumes in each account.

A target prepares a Terraform working directory that already holds a copy of the stack
(:meth:`Target.configure`) and names the process environment Terraform runs with
(:meth:`Target.environment`); the runner (:mod:`.runner`) does the rest the same way for both.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Protocol

from environments import EnvironmentConfig
from scripts.errors import UsageError

TARGETS = ("local", "aws")
#: Name of the override file; Terraform merges ``*_override.tf.json`` after the main files.
OVERRIDE_FILE = "zz_local_override.tf.json"
STACK_FILE = "cdk.tf.json"
#: Every AWS service the stacks (or the provider while reading them) call. The emulator serves
#: all of them on one endpoint. A service missing here would be sent to real AWS by the
#: provider, so keep it complete when a construct starts using a new service.
LOCAL_ENDPOINT_SERVICES = (
    "sts",
    "iam",
    "s3",
    "kms",
    "ec2",
    "logs",
    "ssm",
    "sagemaker",
    "datazone",
    "ram",
    "events",
    "cloudwatch",
    "sns",
    "sqs",
    "lambda",
    "organizations",
    "cloudtrail",
    "secretsmanager",
    "resourcegroupstaggingapi",
    "servicecatalog",
    "glue",
    "lakeformation",
    "dynamodb",
)
#: Actions that act on what is deployed. The local cloud's resources (and the local state that
#: describes them) last only while it runs, so against a stopped cloud these refuse with
#: :data:`LOCAL_CLOUD_NOT_RUNNING` rather than start an empty one; ``apply`` starts one.
NEEDS_RUNNING_CLOUD = ("plan", "drift", "refresh", "destroy", "principals")
LOCAL_CLOUD_NOT_RUNNING = (
    "the local cloud is not running, so nothing is deployed on it (what was deployed went with it): "
    "start it and deploy with `mlgov cloud start` then `mlgov deploy apply`, or run "
    "`mlgov demo --keep-running` (deploys every environment and leaves the local cloud up)"
)
LOCAL_ACCESS_KEY = "test"
LOCAL_SECRET_KEY = "test"
#: Environment variables that would make a local run read a real profile or real endpoints.
_AWS_ENV_TO_CLEAR = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
)


# -- the local emulator's override ------------------------------------------------------------
def local_override(
    stack: dict[str, Any],
    endpoint: str,
    region: str,
    access_key: str = LOCAL_ACCESS_KEY,
    secret_key: str = LOCAL_SECRET_KEY,
) -> dict[str, Any]:
    """The override file that sends one stack to the emulator: endpoints and test credentials.

    Terraform merges an override provider block into the block with the same name and alias;
    nested blocks given here (``endpoints``) replace the original ones, everything else
    (``assume_role`` into the deploy role, ``default_tags``, ``region``) is kept.
    """
    providers = stack.get("provider", {}).get("aws") or [{}]
    if isinstance(providers, dict):
        providers = [providers]
    endpoints = dict.fromkeys(LOCAL_ENDPOINT_SERVICES, endpoint)
    out_providers = []
    for p in providers:
        block: dict[str, Any] = {
            "access_key": access_key,
            "secret_key": secret_key,
            "skip_credentials_validation": True,
            "skip_metadata_api_check": True,
            # The account id comes from sts:GetCallerIdentity of the assumed deploy role, which
            # the emulator answers with that environment's account.
            "skip_requesting_account_id": False,
            "skip_region_validation": True,
            "s3_use_path_style": True,
            "endpoints": [endpoints],
        }
        if p.get("alias"):
            block["alias"] = p["alias"]
        out_providers.append(block)
    override: dict[str, Any] = {"provider": {"aws": out_providers}}
    backend = stack.get("terraform", {}).get("backend", {})
    if "s3" in backend:
        s3 = dict(backend["s3"])
        role = next((p["assume_role"][0].get("role_arn") for p in providers if p.get("assume_role")), None)
        if role and "assume_role" not in s3:
            # The local cloud's caller lives in its management account, and the state bucket and
            # key grant only their own account; on AWS the backend runs with credentials inside
            # the account (CI's deploy role session). The provider's deploy role stands in for them.
            s3["assume_role"] = {"role_arn": role, "session_name": "mlgov-state"}
        override["terraform"] = {
            "backend": {"s3": local_s3_backend(s3, endpoint, region, access_key, secret_key)}
        }
    return override


def local_s3_backend(
    original: dict[str, Any],
    endpoint: str,
    region: str,
    access_key: str = LOCAL_ACCESS_KEY,
    secret_key: str = LOCAL_SECRET_KEY,
) -> dict[str, Any]:
    """An S3 backend block pointed at the emulator.

    An override backend block replaces the original entirely, so the bucket, key and
    assume_role of the original are carried over; only endpoints and credentials change.
    """
    keep = {
        k: v for k, v in original.items() if k not in ("endpoints", "profile", "shared_credentials_files")
    }
    keep.setdefault("region", region)
    keep.update(
        {
            "endpoints": {"s3": endpoint, "sts": endpoint, "iam": endpoint, "dynamodb": endpoint},
            "access_key": access_key,
            "secret_key": secret_key,
            "use_path_style": True,
            "skip_credentials_validation": True,
            "skip_metadata_api_check": True,
            "skip_region_validation": True,
            "skip_requesting_account_id": True,
        }
    )
    return keep


def local_environment(
    endpoint: str, region: str, cloud_env: dict[str, str] | None = None
) -> dict[str, str | None]:
    """Process environment for Terraform against the emulator: the emulator's credentials (test
    keys, or the admin user's when IAM is enforced), no profiles. ``None`` removes a variable."""
    env: dict[str, str | None] = dict.fromkeys(_AWS_ENV_TO_CLEAR)
    cloud_env = cloud_env or {}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": cloud_env.get("AWS_ACCESS_KEY_ID", LOCAL_ACCESS_KEY),
            "AWS_SECRET_ACCESS_KEY": cloud_env.get("AWS_SECRET_ACCESS_KEY", LOCAL_SECRET_KEY),
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            # Safety net: a service not in the override's endpoint list still goes to the emulator.
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"])),
        }
    )
    return env


# -- the targets -------------------------------------------------------------------------------
class Target(Protocol):
    name: str

    def configure(self, workdir: Path, env: EnvironmentConfig) -> None:
        """Make the working directory (holding a fresh copy of the stack) right for this target."""

    def environment(self, env: EnvironmentConfig) -> dict[str, str | None]:
        """Variables to set (``None``: remove) in Terraform's process environment."""


class LocalTarget:
    """The running emulator: ``cloud`` is a ``scripts.localcloud.LocalCloud`` (anything with
    ``.url``; ``.env()`` and ``.status()`` are used when present)."""

    name = "local"

    def __init__(self, cloud: Any) -> None:
        if cloud is None:
            raise UsageError("target local needs a running emulator (cloud=LocalCloud)")
        self.cloud = cloud

    @property
    def endpoint(self) -> str:
        return str(self.cloud.url).rstrip("/")

    @property
    def cloud_env(self) -> dict[str, str]:
        """The emulator's client environment (``LocalCloud.env()``), when it offers one."""
        env = getattr(self.cloud, "env", None)
        return dict(env()) if callable(env) else {}

    def identity(self) -> str:
        """Identifies one emulator run (its process id and URL): state from another run is stale."""
        status = getattr(self.cloud, "status", None)
        pid = status().get("pid") if callable(status) else None
        return f"{self.endpoint} pid={pid}"

    def configure(self, workdir: Path, env: EnvironmentConfig) -> None:
        stack = json.loads((workdir / STACK_FILE).read_text())
        keys = self.cloud_env
        override = local_override(
            stack,
            self.endpoint,
            env.region,
            keys.get("AWS_ACCESS_KEY_ID", LOCAL_ACCESS_KEY),
            keys.get("AWS_SECRET_ACCESS_KEY", LOCAL_SECRET_KEY),
        )
        (workdir / OVERRIDE_FILE).write_text(json.dumps(override, indent=2))
        self._reset_state_if_new_emulator(workdir)

    def environment(self, env: EnvironmentConfig) -> dict[str, str | None]:
        return local_environment(self.endpoint, env.region, self.cloud_env)

    def _reset_state_if_new_emulator(self, workdir: Path) -> None:
        """Local state belongs to one emulator run: a fresh emulator starts empty, so state
        left from an earlier run would only describe resources that no longer exist."""
        marker = workdir / ".emulator"
        identity = self.identity()
        if marker.exists() and marker.read_text() == identity:
            return
        for name in ("terraform.tfstate", "terraform.tfstate.backup"):
            (workdir / name).unlink(missing_ok=True)
        for state in workdir.glob("terraform.*.tfstate*"):
            state.unlink()
        marker.write_text(identity)


class AwsTarget:
    """Real accounts: the stack unchanged, the caller's credential chain."""

    name = "aws"

    def configure(self, workdir: Path, env: EnvironmentConfig) -> None:
        # An override left from a local run would send this run to the emulator.
        (workdir / OVERRIDE_FILE).unlink(missing_ok=True)

    def environment(self, env: EnvironmentConfig) -> dict[str, str | None]:
        # A shell that once ran `mlgov cloud env` still points every SDK at the emulator;
        # --target aws means the real endpoints.
        return {"AWS_ENDPOINT_URL": None}


def make_target(name: str, cloud: Any = None) -> Target:
    """The target called ``name``; ``cloud`` is the running emulator for ``local``."""
    if name == "local":
        return LocalTarget(cloud)
    if name == "aws":
        return AwsTarget()
    raise UsageError(f"unknown target {name!r}: expected one of {', '.join(TARGETS)}")
