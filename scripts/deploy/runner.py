"""The deploy engine: synthesize every stack once, then run Terraform per environment.

:func:`deploy` is the short way in (``mlgov deploy`` / ``python -m scripts.deploy`` is the
command line, :mod:`.cli`); :class:`Runner` does the work:

1. Synthesis (:mod:`.synthesis`): ``main.py`` runs once in a subprocess for every environment of
   the configuration folder (:func:`environments_dir`), unless nothing it reads changed since the
   output in ``cdktf.out`` was written ("synthesis skipped: inputs unchanged (key ...)");
   ``force_synth`` synthesizes anyway.
2. Each environment gets a Terraform working directory ``.terraform-work/<target>/<env>/``
   (root: ``work_root``, else ``$MLGOV_DEPLOY_WORK_DIR``) holding a copy of the synthesized
   ``cdk.tf.json`` (``cdktf.out`` stays free of ``.terraform`` directories and state), made right
   for the target by :mod:`.targets` (``local``: an override file pointing at the emulator;
   ``aws``: the stack unchanged).
3. ``init`` (only when providers, backend or CLI configuration changed), then the action.
   ``apply`` is ``plan -out`` (its exit code records whether anything changes), ``apply`` of
   that plan, then ``apply -refresh-only`` so that state holds what the provider reads back and a
   later ``drift`` reports only real out-of-band changes (``refresh_after_apply=False`` leaves
   that last step to a later ``refresh`` action, which the demo runs beside its workflow).

Order. By default (``parallel=True``) ``apply``, ``plan`` and ``drift`` run every environment at
once, so the provider's minute-long waits overlap. Nothing has to exist first: an upstream's
bucket, key and group policies grant the downstream promotion roles by ``aws:PrincipalArn`` with
the account as principal, never by naming a role as principal, which AWS would refuse until the
role exists (:mod:`.cross_stack` checks the synthesized stacks for that before applying).
``parallel=False`` runs one environment after another, ``apply`` downstream first
(``PlatformConfig.apply_order``). ``destroy`` always runs one environment at a time, upstream
first (``promotion_order``): a destroy stopped halfway leaves the environments that promote from
nothing, never an upstream without its downstream's reads.

Terraform's full output is kept per environment and step in
``.terraform-work/<target>/logs/<env>-<step>.log``; ``progress`` gets one line per step. Bad
input raises :class:`scripts.errors.UsageError` before anything runs; a failed step raises
:class:`DeployError` naming environment, step, resource and log file.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from environments import EnvironmentConfig, PlatformConfig, load_platform
from scripts.errors import KitError, UsageError

from . import cross_stack, synthesis
from . import terraform as tf
from .synthesis import ENVIRONMENTS_DIR_VAR, environments_dir
from .targets import (
    LOCAL_CLOUD_NOT_RUNNING,
    NEEDS_RUNNING_CLOUD,
    OVERRIDE_FILE,
    STACK_FILE,
    Target,
    make_target,
)

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
ACTIONS = ("apply", "plan", "destroy", "drift", "refresh", "synth")
#: Root of the Terraform working directories and logs when ``work_root`` is not given.
WORK_DIR_VAR = "MLGOV_DEPLOY_WORK_DIR"
#: Saved plan that ``apply`` applies (inside the environment's working directory).
PLAN_FILE = "tfplan"
DRIFT_PLAN_FILE = "drift.tfplan"
#: Resource types an environment's ``on_ready`` does not wait for: nothing else in a stack, and no
#: job of the kit, depends on them, and the provider's own confirmation takes about a minute. The
#: AWS provider (5.x, internal/service/s3/bucket_lifecycle_configuration.go,
#: ``waitLifecycleConfigEquals``) reads a lifecycle configuration back until it has seen it ten
#: times in a row, 5 s apart, after a 10 s delay: 55 s after the PUT, on AWS as on the local cloud.
#: The apply still waits for them; only ``on_ready`` fires before.
DEFERRED_TYPES = frozenset({"aws_s3_bucket_lifecycle_configuration"})

__all__ = [
    "ACTIONS",
    "ENVIRONMENTS_DIR_VAR",
    "DeployError",
    "Runner",
    "StepResult",
    "deploy",
    "environments_dir",
    "select_environments",
    "synth",
]


def default_work_root() -> Path:
    """``$MLGOV_DEPLOY_WORK_DIR``, else ``.terraform-work`` in the repository."""
    return Path(os.environ.get(WORK_DIR_VAR) or REPO_ROOT / ".terraform-work")


# -- results and errors ---------------------------------------------------------------------
@dataclass
class StepResult:
    """One Terraform (or synth) step for one environment."""

    env: str
    """Environment name (``*`` for the synth step, which covers all of them)."""
    step: str
    """``synth``, ``init``, ``plan``, ``apply``, ``refresh`` (after an apply, or the action of that name), ``destroy`` or ``drift``."""
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
    skipped: bool = False
    """Nothing to do (synthesis with unchanged inputs)."""
    note: str | None = None

    def line(self) -> str:
        status = "ok" if self.ok else "FAILED"
        if self.skipped:
            status = "skipped"
        elif self.ok and self.changes is not None:
            status = "changes" if self.changes else "no changes"
            if self.step == "drift":
                status = "DRIFT" if self.changes else "no drift"
        text = f"[{self.target}] {self.env:<10} {self.step:<10} {status:<10} {self.seconds:6.1f}s"
        return f"{text}  {self.note}" if self.note else text


class DeployError(KitError):
    """A step failed. Names the environment, the step, the resource and the log."""

    def __init__(
        self,
        env: str,
        step: str,
        resource: str | None,
        log: str | Path,
        detail: str | None = None,
        results: Sequence[StepResult] = (),
        *,
        others: Sequence[DeployError] = (),
    ) -> None:
        self.env, self.step, self.resource, self.log, self.detail = env, step, resource, str(log), detail
        self.results = list(results)
        self.others = list(others)
        where = f" at {resource}" if resource else ""
        why = f": {detail}" if detail else ""
        also = "".join(f"; {o.step} also failed in {o.env!r} (full output: {o.log})" for o in self.others)
        super().__init__(f"{step} failed in environment {env!r}{where}{why} (full output: {self.log}){also}")


def start_local_cloud(config_dir: Path) -> Any:
    """Start the local emulator with the accounts of ``config_dir``, or attach to the running one
    (it outlives the command so the deployed resources stay available to the governance jobs).
    The deploy runner's one door to ``scripts.localcloud`` (a local-cloud entry point)."""
    from scripts.localcloud import LocalCloud, LocalCloudError

    cloud = LocalCloud(environments_dir=config_dir)
    try:
        return cloud.start(reuse=True)
    except LocalCloudError as exc:
        raise DeployError("*", "emulator", None, cloud.log_file, str(exc)) from None


def policy_evaluator() -> Any:
    """The local cloud's IAM evaluator, for a decision on documents alone (the access matrix,
    :mod:`.access`): ``.evaluation`` (``scripts.localcloud.moto_ext.core.evaluation``, the
    functions that decide every request the local cloud authorizes) and ``.managed_document``
    (an AWS-managed policy's document, as the local cloud knows it). The deploy runner's one door
    to ``scripts.localcloud`` again: the access matrix is a local-cloud tool."""
    from types import SimpleNamespace

    from scripts.localcloud.moto_ext.core import evaluation, managed

    return SimpleNamespace(evaluation=evaluation, managed_document=managed.document)


def check_local_cloud(config_dir: Path, envs: Sequence[EnvironmentConfig], action: str) -> None:
    """Refuse before anything runs when the local cloud cannot serve ``action``: it is not running
    (nothing is deployed on it; ``apply`` starts one), or it runs without the account of a
    selected environment (its accounts come from the environment files when it starts)."""
    from scripts.localcloud import LocalCloud

    state = LocalCloud(environments_dir=config_dir).running_state()
    if state is None:
        if action in NEEDS_RUNNING_CLOUD:
            raise UsageError(LOCAL_CLOUD_NOT_RUNNING)
        return
    accounts = set((state.get("deploy_roles") or {}).values())
    missing = [e.name for e in envs if e.deploy_role_arn not in accounts]
    if missing:
        raise UsageError(
            f"the running local cloud has no account for {', '.join(missing)}: it gives each "
            "environment file an account when it starts, and was started before that file existed "
            "(or with another configuration folder); stop it (`mlgov cloud stop`) and deploy "
            "every environment into a new one (`mlgov deploy apply`)"
        )


# -- environment selection --------------------------------------------------------------------
#: Set to 0 to make ``apply`` run one environment at a time on the local cloud (see
#: :meth:`Runner._apply_at_once`); by default it applies every environment at once, as on AWS.
LOCAL_CONCURRENT_APPLY_VAR = "MLGOV_LOCAL_CONCURRENT_APPLY"


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
            # bootstrap-<env> is a stack main.py synthesizes, applied by its own command.
            account = unknown[0].removeprefix("bootstrap-")
            if account != unknown[0] and account in platform.environments:
                raise UsageError(
                    f"{unknown[0]!r} is the bootstrap stack of environment {account!r}, not an "
                    f"environment: apply it with `mlgov deploy bootstrap --env {account}`"
                )
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
    repo: Path | None = None,
    log_dir: Path | None = None,
    config_dir: str | Path | None = None,
) -> tuple[Path, float]:
    """:func:`.synthesis.synth` (always runs main.py; returns (outdir, seconds)), raising
    :class:`DeployError` for step ``synth`` when main.py fails."""
    try:
        return synthesis.synth(outdir, repo=repo, log_dir=log_dir, config_dir=config_dir)
    except synthesis.SynthFailed as exc:
        raise DeployError("*", "synth", None, exc.log, exc.detail) from None


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
    work_root: Path = field(default_factory=default_work_root)
    outdir: Path | None = None
    """Where ``main.py`` writes stacks (default ``cdktf.out``)."""
    synthesize: bool = True
    """Synthesize first (skipped when the inputs are unchanged); False reuses the stacks in ``outdir``."""
    force_synth: bool = False
    """Run ``main.py`` even when the inputs are unchanged since the last synthesis."""
    parallel: bool = True
    """Environments at once; False: one after another, ``apply``
    downstream first. ``destroy`` is always one at a time, upstream first."""
    progress: Callable[[str], None] | None = None
    config_dir: str | Path | None = None
    """The configuration folder ``platform`` was loaded from (default: :func:`environments_dir`);
    the synth step synthesizes the stacks of the same folder."""
    results: list[StepResult] = field(default_factory=list)
    migrate_state: bool = False
    """When ``init`` is due, run it with ``-migrate-state -force-copy``: a backend that changed
    (``remote_state`` set on a deployed environment) gets the existing state copied into it."""
    refresh_after_apply: bool = True
    """End each environment's ``apply`` with ``apply -refresh-only``. False leaves it to a later
    ``refresh`` action (the demo runs it beside its workflow); until then ``drift`` reports the
    provider's read-back normalisation as changes."""
    datazone_association: bool = True
    """After ``apply``, accept the DataZone domain's RAM share in every associated account
    (:meth:`_associate`). False only where nothing was really applied (a fake Terraform)."""
    on_ready: Callable[[str], None] | None = None
    """``apply``: called (from the environment's thread) with an environment's name as soon as its
    apply has completed every planned change but those of :data:`DEFERRED_TYPES`, or found
    nothing to change; never for an environment whose plan or apply failed before that. The
    action goes on (the deferred resources, the refresh, the association) and :meth:`run`
    returns or raises as without it."""

    def __post_init__(self) -> None:
        self.destination: Target = make_target(self.target, self.cloud)
        self.work_root = Path(self.work_root).resolve()
        self.base = self.work_root / self.target
        self.log_dir = self.base / "logs"
        self.cli_config = tf.write_cli_config(self.work_root)
        self._lock = threading.Lock()

    def _say(self, line: str) -> None:
        if self.progress:
            with self._lock:
                self.progress(line)

    def _emit(self, result: StepResult, sink: list[StepResult] | None = None) -> None:
        (self.results if sink is None else sink).append(result)
        self._say(result.line())

    def _fail(self, result: StepResult, sink: list[StepResult] | None = None) -> DeployError:
        done = self.results if sink is None else sink
        return DeployError(result.env, result.step, result.resource, result.log, result.error, done)

    def synth(self) -> Path:
        outdir = Path(self.outdir or REPO_ROOT / "cdktf.out").resolve()
        if not self.force_synth:
            key = synthesis.synth_key(self.config_dir)
            if synthesis.up_to_date(outdir, key):
                note = f"synthesis skipped: inputs unchanged (key {key})"
                log = str(outdir / synthesis.KEY_FILE)
                self._emit(StepResult("*", "synth", self.target, 0, 0.0, log, skipped=True, note=note))
                self.outdir = outdir
                return outdir
        try:
            outdir, seconds = synth(outdir, log_dir=self.log_dir, config_dir=self.config_dir)
        except DeployError as exc:
            self._emit(StepResult("*", "synth", self.target, 1, 0.0, exc.log, ok=False, error=exc.detail))
            exc.results = list(self.results)
            raise
        self._emit(
            StepResult("*", "synth", self.target, 0, round(seconds, 2), str(self.log_dir / "synth.log"))
        )
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

    def _init(self, env: EnvironmentConfig, runner: tf.Terraform, sink: list[StepResult]) -> None:
        if self._needs_init(env.name):
            if self.migrate_state:
                run = runner.run(
                    "init", ["init", "-input=false", "-no-color", "-migrate-state", "-force-copy"]
                )
            else:
                run = runner.init()
            try:
                self._step(env.name, "init", run, sink=sink)
            except DeployError as exc:
                if "Backend configuration changed" not in (exc.detail or ""):
                    raise
                hint = (
                    "remote_state was set or changed on a deployed environment; rerun with "
                    "--migrate-state to copy its existing state into the new backend"
                )
                raise DeployError(
                    exc.env,
                    exc.step,
                    exc.resource,
                    exc.log,
                    f"{exc.detail}: {hint}",
                    exc.results,
                ) from None
            self._mark_initialized(env.name)

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
        resource: str | None = None,
        note: str | None = None,
    ) -> StepResult:
        """Record one Terraform run; raise :class:`DeployError` if it failed. ``resource`` names
        what the step was working on when Terraform's output names no resource; ``note`` is shown
        after a step that succeeded."""
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
            resource=None if ok else (run.resource or resource),
            error=None if ok else run.error,
            note=note if ok else None,
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
        if action == "destroy" or not self.parallel:
            # The order of ``envs`` is the one that works one at a time (select_environments).
            for env in envs:
                self._run_env(action, env, self.results)
        elif action == "apply":
            self._apply_at_once(envs)
        else:
            # Environments are wired by names, never by each other's state: plans are independent.
            self._at_once(envs, lambda env, sink: self._run_env(action, env, sink))
        if action == "apply" and self.datazone_association:
            self._associate(envs)
        return self.results

    def _associate(self, envs: Sequence[EnvironmentConfig]) -> None:
        """After the applies: every account associated with the DataZone domain accepts the
        domain's RAM share, and the home account sees it ASSOCIATED (:mod:`.association`).
        One ``associate`` step per associated environment; its log is ``<env>-associate.log``."""
        # boto3 only here: the rest of the runner (and .ci, which imports it) needs no AWS SDK.
        from . import association

        self.log_dir.mkdir(parents=True, exist_ok=True)

        def ram(env: EnvironmentConfig) -> Any:
            return association.deploy_role_ram(env, self.destination.environment(env))

        home_applied = any(e.name == self.platform.datazone_home.name for e in envs)
        for env in association.associated_environments(self.platform, tuple(envs)):
            log = self.log_dir / f"{env.name}-associate.log"
            started = time.monotonic()
            try:
                done = association.settle_one(self.platform, env, ram, home_applied=home_applied)
            except association.AssociationError as exc:
                result = self._associate_result(env, log, started, f"{exc}", ok=False)
                result.resource, result.error = exc.share, str(exc)
                self._emit(result)
                raise self._fail(result) from exc
            text = f"{done.note()}\nshare {done.share_arn}\ndomain {done.domain_arn}"
            result = self._associate_result(env, log, started, text, ok=True)
            result.skipped, result.note = done.skipped, done.note()
            self._emit(result)

    def _associate_result(
        self, env: EnvironmentConfig, log: Path, started: float, text: str, *, ok: bool
    ) -> StepResult:
        """The ``associate`` step's result; its log ends as a Terraform step's does."""
        seconds = time.monotonic() - started
        code = 0 if ok else 1
        log.write_text(f"{text}\n\n# exit {code} after {seconds:.1f}s\n", encoding="utf-8")
        return StepResult(env.name, "associate", self.target, code, round(seconds, 2), str(log), ok=ok)

    def _apply_at_once(self, envs: Sequence[EnvironmentConfig]) -> None:
        """Every environment's apply at once (one at a time on the local cloud, on request)."""
        assert self.outdir is not None
        cross_stack.check_stacks(self.platform, envs, Path(self.outdir))
        if self.target == "local" and os.environ.get(LOCAL_CONCURRENT_APPLY_VAR) == "0":
            # One at a time on the local cloud, on request: to tell a problem of concurrent
            # applies from any other (docs/emulator-gaps.md, "Repeated calls").
            self._say(f"apply: {', '.join(e.name for e in envs)}, one at a time (local cloud)")
            for env in envs:
                self._run_env("apply", env, self.results)
            return
        self._say(f"apply: {', '.join(e.name for e in envs)}{' at once' if len(envs) > 1 else ''}")
        self._at_once(envs, lambda env, sink: self._run_env("apply", env, sink))

    def _plan(self, env: EnvironmentConfig, runner: tf.Terraform, sink: list[StepResult]) -> StepResult:
        # plan -out then apply that plan: the plan step records whether anything changes
        # (exit 2), and apply does not refresh and plan a second time.
        return self._step(env.name, "plan", runner.plan(out=PLAN_FILE), detailed=True, sink=sink)

    def _at_once(
        self,
        envs: Sequence[EnvironmentConfig],
        work: Callable[[EnvironmentConfig, list[StepResult]], None],
    ) -> None:
        """Run ``work`` for every environment concurrently; results are kept in environment
        order. A failure lets the others finish (a Terraform run cut short would leave its state
        locked), then raises the first failure in environment order, naming the others too."""
        per_env: dict[str, list[StepResult]] = {e.name: [] for e in envs}
        errors: dict[str, DeployError] = {}

        def one(env: EnvironmentConfig) -> None:
            try:
                work(env, per_env[env.name])
            except DeployError as exc:
                errors[env.name] = exc

        if len(envs) == 1:
            one(envs[0])
        else:
            with ThreadPoolExecutor(max_workers=len(envs), thread_name_prefix="deploy") as pool:
                # list(): re-raise anything but a DeployError (a bug) here, not lose it.
                list(pool.map(one, envs))
        for env in envs:
            self.results.extend(per_env[env.name])
        failed = [errors[e.name] for e in envs if e.name in errors]
        if failed:
            head = failed[0]
            raise DeployError(
                head.env,
                head.step,
                head.resource,
                head.log,
                head.detail,
                self.results,
                others=failed[1:],
            )

    def _run_env(self, action: str, env: EnvironmentConfig, sink: list[StepResult]) -> None:
        runner = self.prepare(env)
        self._init(env, runner, sink)
        if action == "apply":
            plan = self._plan(env, runner, sink)
            on_ready = self.on_ready

            def ready() -> None:
                if on_ready is not None:
                    on_ready(env.name)

            if plan.changes:
                planned = tf.planned_changes(Path(plan.log).read_text(encoding="utf-8", errors="replace"))
                # A plan whose changes could not be read from its output: ready once applied.
                progress = tf.ApplyProgress(planned, ready, DEFERRED_TYPES) if planned else None
                self._step(
                    env.name,
                    "apply",
                    runner.apply(PLAN_FILE, on_line=progress.on_line if progress else None),
                    sink=sink,
                )
                if progress is None:
                    ready()
                # Without this, the first drift check reports the provider's read-back
                # normalisation (e.g. tags null -> {}) as changes made outside Terraform.
                if self.refresh_after_apply:
                    self._step(env.name, "refresh", runner.refresh(), sink=sink)
            else:
                self._emit(
                    StepResult(env.name, "apply", self.target, 0, 0.0, plan.log, changes=False),
                    sink,
                )
                ready()
        elif action == "plan":
            self._step(env.name, "plan", runner.plan(), detailed=True, sink=sink)
        elif action == "drift":
            self._drift(env, runner, sink)
        elif action == "refresh":
            self._step(env.name, "refresh", runner.refresh(), sink=sink)
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
    force_synth: bool = False,
    parallel: bool = True,
    progress: Callable[[str], None] | None = None,
    config_dir: str | Path | None = None,
    migrate_state: bool = False,
    refresh_after_apply: bool = True,
    on_ready: Callable[[str], None] | None = None,
) -> list[StepResult]:
    """Run ``action`` over the chosen environments and return every step's result.

    ``cloud`` is a running :class:`scripts.localcloud.LocalCloud` for ``target="local"``.
    ``outdir`` is where ``main.py`` writes (default ``cdktf.out``); the synthesis is skipped when
    nothing it reads changed since that output was written, ``force_synth=True`` runs it anyway,
    ``synthesize=False`` never runs it and reuses the stacks already there (tests synthesize once
    per session). ``parallel=True`` (default) runs the environments at once; ``parallel=False``
    one after another, ``apply``
    downstream first; ``destroy`` always one at a time, upstream first. ``work_root`` defaults to
    ``$MLGOV_DEPLOY_WORK_DIR``, else ``.terraform-work``.
    ``config_dir`` is the configuration folder (default: :func:`environments_dir`); ``platform``,
    when given, must have been loaded from it, since the stacks are synthesized from it.
    Raises :class:`UsageError` for bad input (before anything runs) and :class:`DeployError`
    naming environment, step, resource and log file when a step fails.
    ``migrate_state=True`` copies existing state into a changed backend (``Runner.migrate_state``).
    ``refresh_after_apply=False`` ends ``apply`` without its ``apply -refresh-only`` step; run the
    ``refresh`` action later (``Runner.refresh_after_apply``). ``on_ready`` is called with each
    environment's name once its apply has made every change but the lifecycle rules'
    (``Runner.on_ready``).
    """
    config = environments_dir(config_dir)
    platform = platform or load_platform(config)
    envs = select_environments(platform, env_names, action)
    runner = Runner(
        platform,
        target=target,
        cloud=cloud,
        work_root=work_root or default_work_root(),
        outdir=outdir,
        synthesize=synthesize,
        force_synth=force_synth,
        parallel=parallel,
        progress=progress,
        config_dir=config,
        migrate_state=migrate_state,
        refresh_after_apply=refresh_after_apply,
        on_ready=on_ready,
    )
    return runner.run(action, envs)
