"""The deploy engine: synthesize every stack once, then run Terraform per environment.

:func:`deploy` is the short way in (``mlgov deploy`` / ``python -m scripts.deploy`` is the
command line, :mod:`.cli`); :class:`Runner` does the work:

1. :func:`synth` runs ``main.py`` once in a subprocess for every environment of the
   configuration folder (:func:`environments_dir`: the one the environments were selected from).
2. Each environment gets a Terraform working directory ``.terraform-work/<target>/<env>/``
   holding a copy of the synthesized ``cdk.tf.json`` (``cdktf.out`` stays free of
   ``.terraform`` directories and state), made right for the target by :mod:`.targets`
   (``local``: an override file pointing at the emulator; ``aws``: the stack unchanged).
3. ``init`` (only when providers, backend or CLI configuration changed), then the action.
   ``apply`` is ``plan -out`` (its exit code records whether anything changes), ``apply`` of
   that plan, then ``apply -refresh-only`` so that state holds what the provider reads back and a
   later ``drift`` reports only real out-of-band changes.

Environments run downstream first (prod, staging, dev: ``PlatformConfig.apply_order``), because
an environment's bucket, key and group policies name its downstream promotion role, which AWS
requires to exist; ``destroy`` runs upstream first; ``parallel=True`` runs them concurrently.
Terraform's full output is kept per environment and step in
``.terraform-work/<target>/logs/<env>-<step>.log``; ``progress`` gets one line per step.
Bad input raises :class:`scripts.errors.UsageError` before anything runs; a failed step raises
:class:`DeployError` naming environment, step, resource and log file.
"""

from __future__ import annotations

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from environments import DEFAULT_DIR, EnvironmentConfig, PlatformConfig, load_platform
from scripts.errors import KitError, UsageError

from . import terraform as tf
from .targets import OVERRIDE_FILE, STACK_FILE, Target, make_target

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
ACTIONS = ("apply", "plan", "destroy", "drift", "synth")
#: The variable main.py reads its configuration folder from (``main.ENVIRONMENTS_DIR_VAR``).
ENVIRONMENTS_DIR_VAR = "MLGOV_ENVIRONMENTS_DIR"
#: Saved plan that ``apply`` applies (inside the environment's working directory).
PLAN_FILE = "tfplan"
DRIFT_PLAN_FILE = "drift.tfplan"


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


class DeployError(KitError):
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


# -- environment selection --------------------------------------------------------------------
def environments_dir(directory: str | Path | None = None) -> Path:
    """The configuration folder: ``directory``, else ``$MLGOV_ENVIRONMENTS_DIR``, else the kit's
    ``environments/``: the rule main.py follows, made explicit so that the environments selected
    and the stacks synthesized come from the same files."""
    return Path(directory or os.environ.get(ENVIRONMENTS_DIR_VAR) or DEFAULT_DIR).resolve()


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
    outdir: Path | None = None,
    *,
    repo: Path = REPO_ROOT,
    log_dir: Path | None = None,
    config_dir: str | Path | None = None,
) -> tuple[Path, float]:
    """Synthesize every stack by running ``main.py`` in a subprocess; returns (outdir, seconds).

    ``config_dir`` is the configuration folder (default: :func:`environments_dir`), handed to
    main.py in ``MLGOV_ENVIRONMENTS_DIR``. The runner never imports cdktf (about 13 s of
    provider import per process): one subprocess synthesizes all environments at once.
    """
    outdir = Path(outdir or repo / "cdktf.out").resolve()
    env = dict(os.environ)
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    env["CDKTF_OUTDIR"] = str(outdir)
    env[ENVIRONMENTS_DIR_VAR] = str(environments_dir(config_dir))
    python = _python(repo)
    started = time.monotonic()
    proc = subprocess.run([python, "main.py"], cwd=repo, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        (log_dir / "synth.log").write_text(
            f"$ {ENVIRONMENTS_DIR_VAR}={env[ENVIRONMENTS_DIR_VAR]} {python} main.py\n"
            f"{proc.stdout}{proc.stderr}\n# exit {proc.returncode}\n"
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


# -- working directories ----------------------------------------------------------------------
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


# -- the runner -------------------------------------------------------------------------------
@dataclass
class Runner:
    """Runs one action over a set of environments. ``deploy()`` is the short way to use it."""

    platform: PlatformConfig
    target: str = "local"
    """``local`` or ``aws`` (:mod:`.targets`)."""
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
    config_dir: str | Path | None = None
    """The configuration folder ``platform`` was loaded from (default: :func:`environments_dir`);
    the synth step synthesizes the stacks of the same folder."""
    results: list[StepResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.destination: Target = make_target(self.target, self.cloud)
        self.work_root = Path(self.work_root).resolve()
        self.base = self.work_root / self.target
        self.log_dir = self.base / "logs"
        self.cli_config = tf.write_cli_config(self.work_root)
        self._lock = threading.Lock()

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
            outdir, seconds = synth(self.outdir, log_dir=self.log_dir, config_dir=self.config_dir)
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
        extra.update(self.destination.environment(env))
        return tf.Terraform(self.workdir(env.name), log_dir=self.log_dir, label=env.name, env=extra)

    def prepare(self, env: EnvironmentConfig) -> tf.Terraform:
        assert self.outdir is not None
        workdir = self.workdir(env.name)
        prepare_workdir(stack_dir(Path(self.outdir), env.name), workdir)
        self.destination.configure(workdir, env)
        return self.terraform(env)

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
            outdir = self.synth()
        elif self.outdir is None or not (Path(self.outdir) / "stacks").is_dir():
            raise UsageError(f"no synthesized stacks in {self.outdir}: synthesize first")
        else:
            outdir = Path(self.outdir)
        self.outdir = outdir.resolve()
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
    config_dir: str | Path | None = None,
) -> list[StepResult]:
    """Run ``action`` over the chosen environments and return every step's result.

    ``cloud`` is a running :class:`scripts.localcloud.LocalCloud` for ``target="local"``.
    ``outdir`` is where ``main.py`` writes (default ``cdktf.out``); ``synthesize=False`` reuses
    the stacks already there (tests synthesize once per session). ``parallel=True`` runs the
    environments concurrently (they share no state); results stay in environment order.
    ``config_dir`` is the configuration folder (default: :func:`environments_dir`); ``platform``,
    when given, must have been loaded from it, since the stacks are synthesized from it.
    Raises :class:`UsageError` for bad input (before anything runs) and :class:`DeployError`
    naming environment, step, resource and log file when a step fails.
    """
    config = environments_dir(config_dir)
    platform = platform or load_platform(config)
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
        config_dir=config,
    )
    return runner.run(action, envs)
