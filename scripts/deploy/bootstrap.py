"""``mlgov deploy bootstrap``: apply the ``bootstrap-<env>`` stacks, once per account, through the kit.

    mlgov deploy bootstrap --env dev                                   # the local cloud
    mlgov deploy bootstrap --env dev --plan                            # what it would create
    AWS_PROFILE=dev-admin mlgov deploy bootstrap --target aws --env dev
    mlgov deploy bootstrap --target aws --admin-role OrganizationAccountAccessRole   # every account

A bootstrap stack (``modules/bootstrap.py``) creates an account's Terraform state bucket, the
GitHub OIDC provider and the deploy and plan roles. It runs like a platform stack
(:class:`.runner.Runner`): one synthesis (skipped when nothing changed), the kit's Terraform CLI
configuration (the provider mirror, no registry call), ``plan -out``, ``apply``, ``apply
-refresh-only``, every selected account at once. Differences:

- Working directory and **state**: ``.terraform-work/<target>/bootstrap-<env>/``, holding
  ``terraform.bootstrap-<env>.tfstate``. State never lives in ``cdktf.out`` (which ``make clean``
  deletes and every synthesis rewrites); no clean target touches ``.terraform-work/*/*/``.
- **Who applies**: the deploy role does not exist yet, so the provider uses the caller's own
  credentials, an administrator of that account; ``--admin-role NAME`` makes it assume ``NAME``
  in each account first (``OrganizationAccountAccessRole`` is the role AWS Organizations creates
  in member accounts, trusted by the management account). On the local cloud that is the default
  (:data:`LOCAL_ADMIN_ROLE`): the local cloud's admin lives in its management account.
- **The local cloud's stand-in deploy role**: the local cloud creates every deploy role at start
  so that ``make demo`` needs no bootstrap. On the local target the bootstrap adopts it (a
  Terraform ``import`` block, :data:`ADOPT_FILE`) instead of failing with EntityAlreadyExists;
  from then on its trust and policies are the bootstrap's.

Afterwards the deploy role trusts only the GitHub jobs, itself and ``ci.admin_principals``: a
principal that applies platform stacks from a workstation must be in that list *before* the
bootstrap. On AWS an empty list is refused before anything runs (:func:`require_admin_principals`:
every ``mlgov deploy`` from a workstation would be denied afterwards). On the local cloud the
workstation principal is known, the local cloud's admin: the local target adds it to the deploy
role's trust (:func:`local_admin_trust`, an override file like the endpoints'), so the shipped
configuration bootstraps there as it is and never names a local principal that AWS would then
trust. The command prints each account's ``remote_state`` block, ready for
``environments/<env>.yaml``.

Exit codes: 0 done, 1 a step failed (environment, resource and log file named), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from environments import EnvironmentConfig, PlatformConfig, load_platform
from scripts import command
from scripts.errors import UsageError

from . import terraform as tf
from .runner import (
    DeployError,
    Runner,
    StepResult,
    default_work_root,
    environments_dir,
    prepare_workdir,
    start_local_cloud,
)
from .targets import STACK_FILE, TARGETS

logger = logging.getLogger(__name__)

#: Stack id (and working directory) prefix of the bootstrap stacks (``main.py``).
STACK_PREFIX = "bootstrap-"
#: The administrator role the bootstrap assumes in each account of the local cloud: the role
#: AWS Organizations creates in every member account, trusted by the management account.
LOCAL_ADMIN_ROLE = "OrganizationAccountAccessRole"
#: Override file that makes the bootstrap provider assume the administrator role.
ADMIN_OVERRIDE_FILE = "zz_admin_role_override.tf.json"
#: Local target only: adopts the deploy role the local cloud created at start.
ADOPT_FILE = "local_adopt_deploy_role.tf.json"
#: Construct path of the deploy role inside a bootstrap stack (``modules/bootstrap.py``).
DEPLOY_ROLE_PATH = "ci/deploy-role"
#: The local cloud's administrator (the management account's admin user, ``scripts.localcloud``).
LOCAL_ADMIN_PRINCIPAL = "arn:aws:iam::123456789012:user/localcloud-admin"
#: Local target only: the deploy role's trust with the local cloud's admin added.
LOCAL_ADMIN_TRUST_FILE = "zz_local_admin_trust_override.tf.json"


def stack_name(env: str) -> str:
    """``bootstrap-<env>``: the bootstrap stack of environment ``env``."""
    return f"{STACK_PREFIX}{env}"


def require_admin_principals(platform: PlatformConfig, target: str, config_dir: str | Path) -> None:
    """Refuse a bootstrap on AWS that would leave no workstation principal able to deploy.

    The bootstrap writes ``ci.admin_principals`` into each deploy role's trust; with none, only
    GitHub jobs (and the role itself) could assume it, and every ``mlgov deploy`` from a
    workstation, this one included, would be denied until the list names the operator and the
    bootstrap runs again. Without a ``ci`` section the role trusts its account's root (IAM
    policies there decide), and on the local target the local cloud's admin is added
    (:func:`local_admin_trust`): neither is refused.
    """
    ci = platform.ci
    if target != "aws" or ci is None or ci.admin_principals:
        return
    platform_file = Path(config_dir) / "platform.yaml"
    raise UsageError(
        f"ci.admin_principals in {platform_file} is empty: after the bootstrap each deploy role would "
        f"trust only GitHub jobs of {ci.github_repository} and itself, so every `mlgov deploy` from a "
        "workstation would be denied. List under ci.admin_principals there every principal that "
        "deploys from a workstation, yours included: the ARN `aws sts get-caller-identity` prints, "
        "or for an assumed role the role's ARN (arn:aws:iam::<account>:role/<name>), not the "
        "session's; then run the bootstrap again. Nothing was applied"
    )


def local_admin_trust(stack: dict[str, Any]) -> dict[str, Any] | None:
    """Override file content for the local target: the deploy role's trust as synthesized, plus
    a statement trusting the local cloud's admin, the principal ``mlgov deploy`` runs as there;
    None when the trust already names it (listed in ``ci.admin_principals``)."""
    address = deploy_role_address(stack)
    logical_id = address.split(".", 1)[1]
    trust = json.loads(stack["resource"]["aws_iam_role"][logical_id]["assume_role_policy"])
    statements = trust.get("Statement", [])
    named = [
        principal
        for statement in statements
        for entry in [(statement.get("Principal") or {}).get("AWS", [])]
        for principal in (entry if isinstance(entry, list) else [entry])
    ]
    if LOCAL_ADMIN_PRINCIPAL in named:
        return None
    local_admin = {
        "Sid": "LocalCloudAdmin",
        "Effect": "Allow",
        "Principal": {"AWS": LOCAL_ADMIN_PRINCIPAL},
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
    }
    trust["Statement"] = [*statements, local_admin]
    return {"resource": {"aws_iam_role": {logical_id: {"assume_role_policy": json.dumps(trust)}}}}


def admin_override(stack: dict[str, Any], account_id: str, role_name: str) -> dict[str, Any]:
    """Override file content: every AWS provider of ``stack`` assumes ``role_name`` in ``account_id``.

    Terraform merges an override provider block into the block of the same alias, and a nested
    block given here (``assume_role``) replaces the original's; the local override's
    ``endpoints`` merge in the same way, so the two files compose.
    """
    providers = stack.get("provider", {}).get("aws") or [{}]
    if isinstance(providers, dict):
        providers = [providers]
    role_arn = f"arn:aws:iam::{account_id}:role/{role_name}"
    blocks = []
    for p in providers:
        block: dict[str, Any] = {"assume_role": [{"role_arn": role_arn, "session_name": "mlgov-bootstrap"}]}
        if p.get("alias"):
            block["alias"] = p["alias"]
        blocks.append(block)
    return {"provider": {"aws": blocks}}


def deploy_role_address(stack: dict[str, Any]) -> str:
    """The Terraform address of the deploy role in a synthesized bootstrap stack, found by its
    construct path (never a hashed logical id)."""
    for logical_id, resource in stack.get("resource", {}).get("aws_iam_role", {}).items():
        path = resource.get("//", {}).get("metadata", {}).get("path", "")
        if path.endswith(f"/{DEPLOY_ROLE_PATH}"):
            return f"aws_iam_role.{logical_id}"
    raise UsageError(f"no deploy role (construct path .../{DEPLOY_ROLE_PATH}) in the bootstrap stack")


def adopt_deploy_role(stack: dict[str, Any], env: EnvironmentConfig) -> dict[str, Any]:
    """A configuration file with one ``import`` block: the existing deploy role becomes the
    stack's. Terraform skips the import once the role is in state."""
    return {"import": [{"to": deploy_role_address(stack), "id": env.deploy_role_name}]}


@dataclass
class BootstrapRunner(Runner):
    """:class:`.runner.Runner` over the ``bootstrap-<env>`` stacks instead of the platform stacks."""

    admin_role: str | None = None
    """Role to assume in each account (None: the caller's credentials). Target local: default
    :data:`LOCAL_ADMIN_ROLE`."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.target == "local" and self.admin_role is None:
            self.admin_role = LOCAL_ADMIN_ROLE

    def workdir(self, env: str) -> Path:
        return self.base / stack_name(env)

    def terraform(self, env: EnvironmentConfig) -> tf.Terraform:
        extra: dict[str, str | None] = {"TF_CLI_CONFIG_FILE": str(self.cli_config)}
        extra.update(self.destination.environment(env))
        return tf.Terraform(
            self.workdir(env.name), log_dir=self.log_dir, label=stack_name(env.name), env=extra
        )

    def prepare(self, env: EnvironmentConfig) -> tf.Terraform:
        assert self.outdir is not None
        workdir = self.workdir(env.name)
        prepare_workdir(Path(self.outdir) / "stacks" / stack_name(env.name), workdir)
        self.destination.configure(workdir, env)
        stack = json.loads((workdir / STACK_FILE).read_text())
        admin = workdir / ADMIN_OVERRIDE_FILE
        if self.admin_role:
            admin.write_text(json.dumps(admin_override(stack, env.account_id, self.admin_role), indent=2))
        else:
            admin.unlink(missing_ok=True)
        adopt = workdir / ADOPT_FILE
        trust = workdir / LOCAL_ADMIN_TRUST_FILE
        local_trust = local_admin_trust(stack) if self.target == "local" else None
        if self.target == "local":
            adopt.write_text(json.dumps(adopt_deploy_role(stack, env), indent=2))
        else:
            # On AWS an existing role of that name is the operator's to resolve, never adopted silently.
            adopt.unlink(missing_ok=True)
        if local_trust is not None:
            trust.write_text(json.dumps(local_trust, indent=2))
        else:
            trust.unlink(missing_ok=True)
        return self.terraform(env)

    def bootstrap(self, action: str, envs: Sequence[EnvironmentConfig]) -> list[StepResult]:
        """``apply`` (or ``plan``) the bootstrap stacks of ``envs``, every account at once."""
        if action not in ("apply", "plan"):
            raise UsageError(f"bootstrap action must be apply or plan, got {action!r}")
        if self.synthesize:
            self.outdir = self.synth()
        elif self.outdir is None:
            raise UsageError("no synthesized stacks: synthesize first")
        self.outdir = Path(self.outdir).resolve()
        missing = [e.name for e in envs if not (self.outdir / "stacks" / stack_name(e.name)).is_dir()]
        if missing:
            raise UsageError(
                f"no bootstrap stack for {', '.join(missing)} in {self.outdir}: synthesize first"
            )
        self._at_once(envs, lambda env, sink: self._run_env(action, env, sink))
        return self.results

    def remote_state(self, env: EnvironmentConfig) -> dict[str, Any] | None:
        """The applied stack's ``remote_state`` output (what ``environments/<env>.yaml`` takes)."""
        runner = self.terraform(env)
        proc = subprocess.run(
            [runner.binary, "output", "-json", "remote_state"],
            cwd=runner.workdir,
            env=runner.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            return None
        value = json.loads(proc.stdout)
        return value if isinstance(value, dict) else None


def bootstrap(
    env_names: Iterable[str] | None = None,
    target: str = "local",
    cloud: Any = None,
    *,
    action: str = "apply",
    admin_role: str | None = None,
    platform: PlatformConfig | None = None,
    config_dir: str | Path | None = None,
    work_root: Path | None = None,
    outdir: Path | None = None,
    synthesize: bool = True,
    force_synth: bool = False,
    progress: Callable[[str], None] | None = None,
) -> BootstrapRunner:
    """Apply (or plan) the bootstrap stacks of the chosen environments; returns the runner
    (``.results``, ``.remote_state(env)``). Raises :class:`UsageError` for bad input and
    :class:`.runner.DeployError` when a step fails."""
    config = environments_dir(config_dir)
    platform = platform or load_platform(config)
    envs = select_bootstrap_environments(platform, env_names)
    require_admin_principals(platform, target, config)
    runner = BootstrapRunner(
        platform,
        target=target,
        cloud=cloud,
        work_root=work_root or default_work_root(),
        outdir=outdir,
        synthesize=synthesize,
        force_synth=force_synth,
        progress=progress,
        config_dir=config,
        admin_role=admin_role,
    )
    runner.bootstrap(action, envs)
    return runner


def select_bootstrap_environments(
    platform: PlatformConfig, env_names: Iterable[str] | None
) -> list[EnvironmentConfig]:
    """The environments whose accounts to bootstrap (``bootstrap-dev`` is accepted for ``dev``)."""
    order = platform.promotion_order()
    if not env_names:
        return order
    wanted = [n.removeprefix(STACK_PREFIX) for n in dict.fromkeys(env_names)]
    unknown = [n for n in wanted if n not in platform.environments]
    if unknown:
        known = ", ".join(e.name for e in order)
        raise UsageError(
            f"unknown environment {unknown[0]!r}: known environments are {known} "
            f"(add environments/{unknown[0]}.yaml to create it)"
        )
    return [e for e in order if e.name in wanted]


# -- command line ---------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mlgov deploy bootstrap",
        description="Apply the bootstrap-<env> stacks (Terraform state bucket, GitHub OIDC provider, "
        "deploy and plan roles), once per account, every account at once. State stays in "
        ".terraform-work/<target>/bootstrap-<env>/, never in cdktf.out.",
        epilog="Exit codes: 0 done, 1 a step failed, 2 bad usage. "
        "Logs: .terraform-work/<target>/logs/bootstrap-<env>-<step>.log",
    )
    p.add_argument(
        "--env",
        action="append",
        dest="envs",
        metavar="NAME",
        help="environment whose account to bootstrap (repeatable); default: every environment",
    )
    p.add_argument(
        "--target",
        choices=TARGETS,
        default="local",
        help="local: the emulator (started if not running; default); aws: real accounts",
    )
    p.add_argument(
        "--admin-role",
        metavar="NAME",
        default=None,
        help="assume this role in each account to apply (e.g. OrganizationAccountAccessRole from the "
        "management account); default on aws: your credentials as they are, which must be an "
        f"administrator of the account; on local: {LOCAL_ADMIN_ROLE}",
    )
    p.add_argument("--plan", action="store_true", help="only plan: show what the bootstrap would create")
    p.add_argument(
        "--config-dir",
        type=Path,
        default=None,
        help="directory of environment YAML files (default: $MLGOV_ENVIRONMENTS_DIR, else environments/)",
    )
    p.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="root of the Terraform working directories, state and logs "
        "(default: $MLGOV_DEPLOY_WORK_DIR, else .terraform-work)",
    )
    p.add_argument(
        "--force-synth", action="store_true", help="run main.py even when nothing it reads changed"
    )
    p.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return p


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _remote_state_yaml(env: str, value: dict[str, Any]) -> str:
    lines = [f"# environments/{env}.yaml", "remote_state:"]
    lines += [f"  {k}: {json.dumps(v)}" for k, v in value.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    return command.main(build_parser(), argv, run, render=lambda _: None, log_level=logging.WARNING)


def run(args: argparse.Namespace) -> command.Outcome:
    """Apply (or plan) the bootstrap stacks; the outcome carries the summary (printed with
    ``--json``), each account's ``remote_state`` block and a failed step's error."""
    action = "plan" if args.plan else "apply"
    runner: BootstrapRunner | None = None
    results: list[StepResult] = []
    failure: DeployError | None = None
    config_dir = environments_dir(args.config_dir)
    platform = load_platform(config_dir)
    envs = select_bootstrap_environments(platform, args.envs)
    require_admin_principals(platform, args.target, config_dir)
    try:
        cloud = start_local_cloud(config_dir) if args.target == "local" else None
        runner = BootstrapRunner(
            platform,
            target=args.target,
            cloud=cloud,
            work_root=args.work_dir or default_work_root(),
            force_synth=args.force_synth,
            progress=_say,
            config_dir=config_dir,
            admin_role=args.admin_role,
        )
        results = runner.bootstrap(action, envs)
    except DeployError as exc:
        failure, results = exc, exc.results
    remote: dict[str, Any] = {}
    if failure is None and action == "apply" and runner is not None:
        for env in envs:
            value = runner.remote_state(env)
            if value is not None:
                remote[env.name] = value
                _say(_remote_state_yaml(env.name, value))
        if remote:
            _say(
                "To keep a deployed environment's state in its bucket: add the block above to its file, "
                "then `mlgov deploy apply --env <env> --migrate-state` (docs/OPERATOR_GUIDE.md)."
            )
    summary = {
        "action": f"bootstrap-{action}",
        "target": args.target,
        "ok": failure is None,
        "steps": [asdict(r) for r in results],
        "remote_state": remote,
        "error": None
        if failure is None
        else {
            "env": failure.env,
            "step": failure.step,
            "resource": failure.resource,
            "log": failure.log,
            "detail": failure.detail,
        },
    }
    return command.Outcome(summary, error=failure)


if __name__ == "__main__":
    sys.exit(main())
