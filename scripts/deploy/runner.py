"""Deploy runner: synthesize every stack once, then run Terraform per environment.

    python -m scripts.deploy apply                       # every environment, local emulator
    python -m scripts.deploy plan --env dev --json       # one environment, JSON summary
    python -m scripts.deploy destroy                     # upstream first
    python -m scripts.deploy drift --target aws          # plan -refresh-only -detailed-exitcode
    python -m scripts.deploy synth                       # only write cdktf.out/

Environments run downstream first (prod, staging, dev: ``PlatformConfig.apply_order``), because
an environment's bucket, key and group policies name its downstream promotion role, which AWS
requires to exist; ``destroy`` runs upstream first; ``--parallel`` runs them concurrently.
``apply`` is ``plan -out`` (its exit code records whether anything changes), ``apply`` of that
plan, then ``apply -refresh-only`` so that state holds what the provider reads back and a later
``drift`` reports only real out-of-band changes. Each environment gets a Terraform working
directory ``.terraform-work/<target>/<env>/``
holding a copy of the synthesized ``cdk.tf.json`` (``cdktf.out`` stays free of ``.terraform``
directories and state). Terraform's full output is kept per environment and step in
``.terraform-work/<target>/logs/<env>-<step>.log``; stderr gets one progress line per step.

Targets
-------
``local`` (default)
    Starts the local multi-account emulator (``scripts.localcloud``) or reuses the running one,
    and writes ``zz_local_override.tf.json`` beside the stack: a Terraform override file that
    points every AWS service endpoint (and an S3 state backend, if the stack has one) at the
    emulator with test credentials. The stack JSON itself is the one that goes to AWS; the
    provider still assumes the environment's deploy role, which the emulator maps to that
    environment's account.
``aws``
    The synthesized JSON unchanged: the normal AWS credential chain, and the deploy role the
    stack's provider assumes in each account.

Exit codes: 0 done (``drift``: no drift), 1 a step failed (the message names environment,
resource and log file) or ``drift`` found drift, 2 bad usage (unknown environment, ...).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from environments import ConfigError, EnvironmentConfig, PlatformConfig, load_platform

from . import terraform as tf

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
ACTIONS = ("apply", "plan", "destroy", "drift", "synth")
TARGETS = ("local", "aws")
#: Name of the override file; Terraform merges ``*_override.tf.json`` after the main files.
OVERRIDE_FILE = "zz_local_override.tf.json"
STACK_FILE = "cdk.tf.json"
#: Saved plan that ``apply`` applies (inside the environment's working directory).
PLAN_FILE = "tfplan"
DRIFT_PLAN_FILE = "drift.tfplan"
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


# -- results and errors ---------------------------------------------------------------------
@dataclass
class StepResult:
    """One Terraform (or synth) step for one environment."""

    env: str
    """Environment name (``*`` for the synth step, which covers all of them)."""
    step: str
    """``synth``, ``init``, ``plan``, ``apply``, ``refresh`` (after an apply), ``destroy`` or ``drift``."""
    target: str
    returncode: int
    seconds: float
    log: str
    changes: bool | None = None
    """``plan``/``drift``: whether Terraform reported changes (exit 2 of -detailed-exitcode)."""
    ok: bool = True
    resource: str | None = None
    """On failure: the resource address Terraform's error names, if any."""
    error: str | None = None
    drifted: list[str] | None = None
    """``drift``: addresses Terraform reports as changed outside Terraform."""

    def line(self) -> str:
        status = "ok" if self.ok else "FAILED"
        if self.ok and self.changes is not None:
            status = "changes" if self.changes else "no changes"
            if self.step == "drift":
                status = "DRIFT" if self.changes else "no drift"
        return f"[{self.target}] {self.env:<10} {self.step:<8} {status:<10} {self.seconds:6.1f}s"


class DeployError(RuntimeError):
    """A step failed. Names the environment, the step, the resource and the log to read."""

    def __init__(
        self,
        env: str,
        step: str,
        resource: str | None,
        log: str | Path,
        detail: str | None = None,
        results: Sequence[StepResult] = (),
    ) -> None:
        self.env, self.step, self.resource, self.log, self.detail = env, step, resource, str(log), detail
        self.results = list(results)
        where = f" at {resource}" if resource else ""
        why = f": {detail}" if detail else ""
        super().__init__(f"{step} failed in environment {env!r}{where}{why} (full output: {self.log})")


class UsageError(ValueError):
    """Bad input to the runner (unknown environment or target). Exit code 2."""


# -- environment selection --------------------------------------------------------------------
def select_environments(
    platform: PlatformConfig, env_names: Iterable[str] | None, action: str
) -> list[EnvironmentConfig]:
    """The environments to act on, downstream first (``PlatformConfig.apply_order``: resource
    policies name the downstream promotion role, which must exist); ``destroy``: upstream first."""
    order = platform.promotion_order() if action == "destroy" else platform.apply_order()
    if env_names:
        wanted = list(dict.fromkeys(env_names))
        unknown = [n for n in wanted if n not in platform.environments]
        if unknown:
            known = ", ".join(e.name for e in platform.promotion_order())
            raise UsageError(
                f"unknown environment {unknown[0]!r}: known environments are {known} "
                f"(add environments/{unknown[0]}.yaml to create it)"
            )
        order = [e for e in order if e.name in wanted]
    return order


# -- synthesis --------------------------------------------------------------------------------
def synth(
    outdir: Path | None = None, *, repo: Path = REPO_ROOT, log_dir: Path | None = None
) -> tuple[Path, float]:
    """Synthesize every stack by running ``main.py`` in a subprocess; returns (outdir, seconds).

    The runner never imports cdktf (a 20 s provider import per process): one subprocess
    synthesizes all environments at once.
    """
    outdir = Path(outdir or repo / "cdktf.out").resolve()
    env = dict(os.environ)
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    env["CDKTF_OUTDIR"] = str(outdir)
    python = _python(repo)
    started = time.monotonic()
    proc = subprocess.run([python, "main.py"], cwd=repo, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        (log_dir / "synth.log").write_text(
            f"$ {python} main.py\n{proc.stdout}{proc.stderr}\n# exit {proc.returncode}\n"
        )
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        log = (log_dir / "synth.log") if log_dir else "main.py output"
        raise DeployError("*", "synth", None, log, f"main.py exited {proc.returncode}:\n{tail}")
    return outdir, seconds


def _python(repo: Path) -> str:
    venv = repo / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def stack_dir(outdir: Path, env: str) -> Path:
    return outdir / "stacks" / env


# -- working directories and the local override -----------------------------------------------
def prepare_workdir(src: Path, workdir: Path) -> None:
    """Copy the synthesized stack (JSON and any assets) into the Terraform working directory.

    Copies rather than links so a later synth cannot change files under a running Terraform;
    ``.terraform/``, state and the override file in ``workdir`` are left alone.
    """
    if not (src / STACK_FILE).exists():
        raise UsageError(f"{src / STACK_FILE} does not exist: main.py did not synthesize this environment")
    workdir.mkdir(parents=True, exist_ok=True)
    for path in src.rglob("*"):
        rel = path.relative_to(src)
        if rel.parts[0] in (".terraform",) or path.name.endswith((".tfstate", ".tfstate.backup")):
            continue
        target = workdir / rel
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            shutil.copy2(path, target)


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
        override["terraform"] = {
            "backend": {"s3": local_s3_backend(backend["s3"], endpoint, region, access_key, secret_key)}
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
    keys, or the admin user's when IAM is enforced), no profiles."""
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


# -- the runner -------------------------------------------------------------------------------
@dataclass
class Runner:
    """Runs one action over a set of environments. ``deploy()`` is the short way to use it."""

    platform: PlatformConfig
    target: str = "local"
    cloud: Any = None
    """A running ``scripts.localcloud.LocalCloud`` (anything with ``.url``) for target local."""
    work_root: Path = field(default_factory=lambda: REPO_ROOT / ".terraform-work")
    outdir: Path | None = None
    """Where ``main.py`` writes stacks (default ``cdktf.out``)."""
    synthesize: bool = True
    """Run ``main.py`` first; False reuses the stacks already in ``outdir``."""
    parallel: bool = False
    """Run the environments concurrently instead of one after another in apply order."""
    progress: Callable[[str], None] | None = None
    results: list[StepResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise UsageError(f"unknown target {self.target!r}: expected one of {', '.join(TARGETS)}")
        if self.target == "local" and self.cloud is None:
            raise UsageError("target local needs a running emulator (cloud=LocalCloud)")
        self.work_root = Path(self.work_root).resolve()
        self.base = self.work_root / self.target
        self.log_dir = self.base / "logs"
        self.cli_config = tf.write_cli_config(self.work_root)
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return str(self.cloud.url).rstrip("/")

    @property
    def cloud_env(self) -> dict[str, str]:
        """The emulator's client environment (``LocalCloud.env()``), when it offers one."""
        env = getattr(self.cloud, "env", None)
        return dict(env()) if callable(env) else {}

    def _cloud_identity(self) -> str:
        """Identifies one emulator run (its process id and URL): state from another run is stale."""
        status = getattr(self.cloud, "status", None)
        pid = status().get("pid") if callable(status) else None
        return f"{self.endpoint} pid={pid}"

    def _emit(self, result: StepResult, sink: list[StepResult] | None = None) -> None:
        (self.results if sink is None else sink).append(result)
        if self.progress:
            with self._lock:
                self.progress(result.line())

    def _fail(self, result: StepResult, sink: list[StepResult] | None = None) -> DeployError:
        done = self.results if sink is None else sink
        return DeployError(result.env, result.step, result.resource, result.log, result.error, done)

    def synth(self) -> Path:
        try:
            outdir, seconds = synth(self.outdir, log_dir=self.log_dir)
        except DeployError as exc:
            self._emit(StepResult("*", "synth", self.target, 1, 0.0, exc.log, ok=False, error=exc.detail))
            exc.results = list(self.results)
            raise
        self._emit(StepResult("*", "synth", self.target, 0, seconds, str(self.log_dir / "synth.log")))
        self.outdir = outdir
        return outdir

    def workdir(self, env: str) -> Path:
        return self.base / env

    def terraform(self, env: EnvironmentConfig) -> tf.Terraform:
        extra: dict[str, str | None] = {"TF_CLI_CONFIG_FILE": str(self.cli_config)}
        if self.target == "local":
            extra.update(local_environment(self.endpoint, env.region, self.cloud_env))
        else:
            # A shell that once ran `python -m scripts.localcloud env` still points every SDK at
            # the emulator; --target aws means the real endpoints.
            extra["AWS_ENDPOINT_URL"] = None
        return tf.Terraform(self.workdir(env.name), log_dir=self.log_dir, label=env.name, env=extra)

    def prepare(self, env: EnvironmentConfig) -> tf.Terraform:
        assert self.outdir is not None
        workdir = self.workdir(env.name)
        prepare_workdir(stack_dir(self.outdir, env.name), workdir)
        override = workdir / OVERRIDE_FILE
        if self.target == "local":
            stack = json.loads((workdir / STACK_FILE).read_text())
            keys = self.cloud_env
            override.write_text(
                json.dumps(
                    local_override(
                        stack,
                        self.endpoint,
                        env.region,
                        keys.get("AWS_ACCESS_KEY_ID", LOCAL_ACCESS_KEY),
                        keys.get("AWS_SECRET_ACCESS_KEY", LOCAL_SECRET_KEY),
                    ),
                    indent=2,
                )
            )
            self._reset_state_if_new_emulator(workdir)
        elif override.exists():
            override.unlink()
        return self.terraform(env)

    def _reset_state_if_new_emulator(self, workdir: Path) -> None:
        """Local state belongs to one emulator run: a fresh emulator starts empty, so state
        left from an earlier run would only describe resources that no longer exist."""
        marker = workdir / ".emulator"
        identity = self._cloud_identity()
        if marker.exists() and marker.read_text() == identity:
            return
        for name in ("terraform.tfstate", "terraform.tfstate.backup"):
            (workdir / name).unlink(missing_ok=True)
        for state in workdir.glob("terraform.*.tfstate*"):
            state.unlink()
        marker.write_text(identity)

    def _init_key(self, env: str) -> str:
        """What ``terraform init`` depends on: the terraform block (providers, backend) of the
        stack and of the override, and the CLI configuration."""
        workdir = self.workdir(env)
        parts = [json.loads((workdir / STACK_FILE).read_text()).get("terraform", {})]
        if (workdir / OVERRIDE_FILE).exists():
            parts.append(json.loads((workdir / OVERRIDE_FILE).read_text()).get("terraform", {}))
        parts.append(self.cli_config.read_text())
        return json.dumps(parts, sort_keys=True)

    def _needs_init(self, env: str) -> bool:
        # init costs several seconds per environment (it starts the provider); it is repeated
        # only when providers, backend or CLI configuration changed since the last one.
        workdir = self.workdir(env)
        marker = workdir / ".terraform" / "mlgov-init.json"
        return not (
            marker.exists()
            and (workdir / ".terraform.lock.hcl").exists()
            and marker.read_text() == self._init_key(env)
        )

    def _mark_initialized(self, env: str) -> None:
        (self.workdir(env) / ".terraform" / "mlgov-init.json").write_text(self._init_key(env))

    def _drift(self, env: EnvironmentConfig, runner: tf.Terraform, sink: list[StepResult]) -> None:
        """``plan -refresh-only -detailed-exitcode``, confirmed from the saved plan.

        Terraform 1.11 can exit 2 from a refresh-only plan that prints "No changes" (state
        differences it does not report: hashicorp/terraform#36403), so exit 2 counts as drift
        only when the plan lists drifted resources or changed outputs; those are recorded.
        """
        run = runner.plan(refresh_only=True, out=DRIFT_PLAN_FILE)
        if run.returncode != tf.PLAN_CHANGES:
            self._step(env.name, "drift", run, detailed=True, sink=sink)
            return
        plan = runner.show_json(DRIFT_PLAN_FILE)
        drifted = [r["address"] for r in plan.get("resource_drift", [])]
        drifted += [
            f"output.{name}"
            for name, c in (plan.get("output_changes") or {}).items()
            if c.get("actions") not in (["no-op"], None)
        ]
        result = StepResult(
            env=env.name,
            step="drift",
            target=self.target,
            returncode=run.returncode,
            seconds=round(run.seconds, 2),
            log=str(run.log),
            changes=bool(drifted),
            drifted=drifted,
        )
        self._emit(result, sink)

    def _step(
        self,
        env: str,
        step: str,
        run: tf.TfRun,
        *,
        detailed: bool = False,
        sink: list[StepResult] | None = None,
    ) -> StepResult:
        ok = run.returncode in ((tf.PLAN_CLEAN, tf.PLAN_CHANGES) if detailed else (0,))
        result = StepResult(
            env=env,
            step=step,
            target=self.target,
            returncode=run.returncode,
            seconds=round(run.seconds, 2),
            log=str(run.log),
            changes=(run.returncode == tf.PLAN_CHANGES) if detailed and ok else None,
            ok=ok,
            resource=None if ok else run.resource,
            error=None if ok else run.error,
        )
        self._emit(result, sink)
        if not ok:
            raise self._fail(result, sink)
        return result

    def run(self, action: str, envs: Sequence[EnvironmentConfig]) -> list[StepResult]:
        if action not in ACTIONS:
            raise UsageError(f"unknown action {action!r}: expected one of {', '.join(ACTIONS)}")
        if self.synthesize or action == "synth":
            self.synth()
        elif self.outdir is None or not (Path(self.outdir) / "stacks").is_dir():
            raise UsageError(f"no synthesized stacks in {self.outdir}: synthesize first")
        self.outdir = Path(self.outdir).resolve()
        if action == "synth":
            return self.results
        if not self.parallel or len(envs) < 2:
            for env in envs:
                self._run_env(action, env, self.results)
            return self.results
        # Environments are wired by names, never by each other's state, so their Terraform runs
        # are independent; run together, the provider's long waits (S3 lifecycle propagation,
        # about a minute per stack) overlap. Results are reported in environment order.
        per_env: dict[str, list[StepResult]] = {e.name: [] for e in envs}
        errors: dict[str, DeployError] = {}
        with ThreadPoolExecutor(max_workers=len(envs), thread_name_prefix="deploy") as pool:
            futures = {pool.submit(self._run_env, action, e, per_env[e.name]): e.name for e in envs}
            for future in as_completed(futures):
                exc = future.exception()
                if isinstance(exc, DeployError):
                    errors[futures[future]] = exc
                elif exc is not None:
                    raise exc
        for env in envs:
            self.results.extend(per_env[env.name])
        if errors:
            first = errors[next(e.name for e in envs if e.name in errors)]
            first.results = list(self.results)
            raise first
        return self.results

    def _run_env(self, action: str, env: EnvironmentConfig, sink: list[StepResult]) -> None:
        runner = self.prepare(env)
        if self._needs_init(env.name):
            self._step(env.name, "init", runner.init(), sink=sink)
            self._mark_initialized(env.name)
        if action == "apply":
            # plan -out then apply that plan: the plan step records whether anything changes
            # (exit 2), and apply does not refresh and plan a second time.
            plan = self._step(env.name, "plan", runner.plan(out=PLAN_FILE), detailed=True, sink=sink)
            if plan.changes:
                self._step(env.name, "apply", runner.apply(PLAN_FILE), sink=sink)
                # Without this, the first drift check reports the provider's read-back
                # normalisation (e.g. tags null -> {}) as changes made outside Terraform.
                self._step(env.name, "refresh", runner.refresh(), sink=sink)
            else:
                self._emit(StepResult(env.name, "apply", self.target, 0, 0.0, plan.log, changes=False), sink)
        elif action == "plan":
            self._step(env.name, "plan", runner.plan(), detailed=True, sink=sink)
        elif action == "drift":
            self._drift(env, runner, sink)
        elif action == "destroy":
            self._step(env.name, "destroy", runner.destroy(), sink=sink)


def deploy(
    action: str,
    env_names: Iterable[str] | None = None,
    target: str = "local",
    cloud: Any = None,
    *,
    platform: PlatformConfig | None = None,
    work_root: Path | None = None,
    outdir: Path | None = None,
    synthesize: bool = True,
    parallel: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[StepResult]:
    """Run ``action`` over the chosen environments and return every step's result.

    ``cloud`` is a running :class:`scripts.localcloud.LocalCloud` for ``target="local"``.
    ``outdir`` is where ``main.py`` writes (default ``cdktf.out``); ``synthesize=False`` reuses
    the stacks already there (tests synthesize once per session). ``parallel=True`` runs the
    environments concurrently (they share no state); results stay in environment order.
    Raises :class:`UsageError` for bad input (before anything runs) and :class:`DeployError`
    naming environment, step, resource and log file when a step fails.
    """
    platform = platform or load_platform()
    envs = select_environments(platform, env_names, action)
    runner = Runner(
        platform,
        target=target,
        cloud=cloud,
        work_root=work_root or REPO_ROOT / ".terraform-work",
        outdir=outdir,
        synthesize=synthesize,
        parallel=parallel,
        progress=progress,
    )
    return runner.run(action, envs)


# -- command line -----------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m scripts.deploy",
        description="Synthesize every stack once and run Terraform per environment, downstream first "
        "(destroy: upstream first), against the local multi-account emulator or AWS.",
        epilog="Exit codes: 0 done (drift: none found), 1 a step failed or drift was found, 2 bad usage. "
        "Logs: .terraform-work/<target>/logs/<env>-<step>.log",
    )
    p.add_argument(
        "action",
        choices=ACTIONS,
        help="apply: create/update; plan: show changes (reports whether there are any); "
        "destroy: remove every resource; drift: plan -refresh-only -detailed-exitcode; "
        "synth: only run main.py",
    )
    p.add_argument(
        "--env",
        action="append",
        dest="envs",
        metavar="NAME",
        help="environment to act on (repeatable); default: every environment in environments/",
    )
    p.add_argument(
        "--target",
        choices=TARGETS,
        default="local",
        help="local: the emulator on loopback, started if not running (default); "
        "aws: the normal AWS credential chain and each environment's deploy role",
    )
    p.add_argument(
        "--json", action="store_true", help="print a machine-readable summary of every step on stdout"
    )
    p.add_argument(
        "--parallel",
        action="store_true",
        help="run the environments concurrently (they are wired by names, not by each other's "
        "state); default: one after another, downstream first",
    )
    p.add_argument(
        "--work-dir",
        type=Path,
        default=REPO_ROOT / ".terraform-work",
        help="root of the Terraform working directories and logs (default: .terraform-work)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return p


def _local_cloud() -> Any:
    """Start the local emulator or attach to the running one (it outlives this command so the
    deployed resources stay available to the governance scripts)."""
    from scripts.localcloud import LocalCloud, LocalCloudError

    cloud = LocalCloud()
    try:
        return cloud.start(reuse=True)
    except LocalCloudError as exc:
        raise DeployError("*", "emulator", None, cloud.log_file, str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    progress = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    results: list[StepResult] = []
    status, failure = 0, None
    try:
        platform = load_platform()
        envs = select_environments(platform, args.envs, args.action)
        cloud = _local_cloud() if args.target == "local" and args.action != "synth" else None
        runner = Runner(
            platform,
            target=args.target,
            cloud=cloud if cloud is not None else _NoCloud(),
            work_root=args.work_dir,
            parallel=args.parallel,
            progress=progress,
        )
        results = runner.run(args.action, envs)
        if args.action == "drift" and any(r.changes for r in results):
            status = 1
            for r in results:
                if r.step == "drift" and r.changes:
                    print(
                        f"drift in {r.env}: {', '.join(r.drifted or [])} (details: {r.log})", file=sys.stderr
                    )
    except (UsageError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except tf.TerraformNotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DeployError as exc:
        results = exc.results
        failure = exc
        print(f"error: {exc}", file=sys.stderr)
        status = 1
    if args.json:
        summary = {
            "action": args.action,
            "target": args.target,
            "ok": status == 0,
            "steps": [asdict(r) for r in results],
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
        print(json.dumps(summary, indent=2))
    return status


class _NoCloud:
    """Placeholder for actions that never talk to the emulator (synth)."""

    url = "http://127.0.0.1:0"


if __name__ == "__main__":
    sys.exit(main())
