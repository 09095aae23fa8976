"""``make bench``: the kit's speed measurements, printed and written to ``bench-results/``.

    mlgov bench                     # every section (or: python -m scripts.bench)
    mlgov bench --only synth        # one section (repeatable)
    mlgov bench --json              # the JSON document on stdout as well

Results go to ``bench-results/bench.json`` and a table, ``bench-results/summary.md``, that puts
each figure beside its goal (:data:`FIGURES`) and beside the previous run's figure (read from the
``bench.json`` being replaced). A run of some sections (``--only``) replaces those sections'
results and keeps every other section's from the file it replaces, with the date each was
measured (:func:`merge_results`), so it blanks no figure. ``summary.md`` keeps what follows the
table under a ``## `` heading (notes written by hand, :func:`with_notes`). With ``--out`` naming
another file than ``bench.json``, the table goes beside it as ``<name>-summary.md``.

Sections register themselves with :func:`section`; this module brings

- ``synth``: all stacks vs. a bare import of the prebuilt provider (a ratio), and a second
  synthesis with unchanged inputs, which must be skipped;
- ``apply``: the three environments into empty emulated accounts, one at a time downstream
  first and then all at once (the deploy runner's default) on a second fresh emulator, as a
  ratio; then a second apply with no changes;
- ``demo``: the README's main command (``python -m scripts.demo``) end to end in a subprocess
  with a cold synthesis, its own emulator and working directories, and the share of its wall
  time spent starting, synthesizing, applying and running the workflow, read from the time
  each line of its output arrives.

Other modules add theirs the same way and are listed in :data:`SECTION_MODULES` (imported when
present)::

    from scripts.bench import BenchContext, section

    @section("promotion", order=50)
    def promotion(ctx: BenchContext) -> dict:
        cloud = ctx.deployed()          # the emulator with every environment applied
        ...
        return {"seconds": ...}

Speed targets live only here, never in timed unit tests.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import logging
import os
import platform as _platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from environments import EnvironmentConfig, load_platform
from scripts import command
from scripts.aws import client
from scripts.deploy import runner, synthesis
from scripts.errors import EXIT_FAILED, EXIT_OK, UsageError

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "bench-results" / "bench.json"
SUMMARY_FILE = "summary.md"
#: Modules that contribute sections (imported if they exist; each calls ``section`` at import).
SECTION_MODULES = (
    "scripts.bench.startup",
    "scripts.bench.governance",
    "scripts.bench.pipeline",
    "scripts.bench.usecases",
    "scripts.bench.install",
)

SectionFn = Callable[["BenchContext"], dict[str, Any]]


@dataclass(frozen=True)
class Section:
    name: str
    fn: SectionFn
    order: int
    description: str


SECTIONS: dict[str, Section] = {}


def section(name: str, *, order: int = 100) -> Callable[[SectionFn], SectionFn]:
    """Register a benchmark section: ``fn(ctx) -> dict`` of measurements (seconds, ratios)."""

    def register(fn: SectionFn) -> SectionFn:
        SECTIONS[name] = Section(
            name, fn, order, (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        )
        return fn

    return register


def load_section_modules() -> None:
    for module in SECTION_MODULES:
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)


@dataclass
class BenchContext:
    """Shared state of one bench run: a scratch dir, the synthesized stacks, the emulator."""

    scratch: Path
    progress: Callable[[str], None]
    platform: Any = field(default_factory=lambda: load_platform(runner.environments_dir()))
    """The configuration the synth section synthesizes (``$MLGOV_ENVIRONMENTS_DIR`` or the kit's)."""
    outdir: Path | None = None
    """Synthesized stacks (set by the synth section, or by :meth:`synthesized`)."""
    cloud: Any = None
    applied: bool = False
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def work_root(self) -> Path:
        return self.scratch / "terraform-work"

    def synthesized(self) -> Path:
        """The stacks of every environment (synthesizes once if no section did yet)."""
        if self.outdir is None:
            self.outdir, _ = runner.synth(self.scratch / "cdktf.out", log_dir=self.scratch / "logs")
        return self.outdir

    def local_cloud(self) -> Any:
        """A fresh emulator for this run (stopped when the run ends)."""
        if self.cloud is None:
            from scripts.localcloud import LocalCloud

            self.cloud = LocalCloud(state_dir=self.scratch / "localcloud").start(reuse=False)
        return self.cloud

    def deploy(
        self,
        action: str,
        env_names: Sequence[str] | None = None,
        *,
        cloud: Any = None,
        work_root: Path | None = None,
        parallel: bool = True,
    ) -> list[runner.StepResult]:
        """The deploy runner on this run's emulator (or ``cloud``), every environment at once unless not ``parallel``."""
        return runner.deploy(
            action,
            env_names,
            target="local",
            cloud=cloud or self.local_cloud(),
            platform=self.platform,
            work_root=work_root or self.work_root,
            outdir=self.synthesized(),
            synthesize=False,
            parallel=parallel,
            progress=self.progress,
        )

    def deployed(self) -> Any:
        """The emulator with every environment applied (applies once if no section did yet)."""
        if not self.applied:
            self.deploy("apply")
            self.applied = True
        return self.local_cloud()

    def close(self) -> None:
        if self.cloud is not None:
            self.cloud.stop()
            self.cloud = None


def deploy_session(cloud: Any, env: EnvironmentConfig) -> Any:
    """A boto3 session in ``env``'s account on the local ``cloud``: its deploy role, assumed by the
    local cloud's admin user (clients need ``endpoint_url=cloud.url``)."""
    import boto3

    keys = cloud.env()
    admin = boto3.Session(
        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        region_name=env.region,
    )
    sts = client(admin, "sts", endpoint_url=cloud.url, region=env.region)
    creds = sts.assume_role(RoleArn=env.deploy_role_arn, RoleSessionName="mlgov-bench")["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=env.region,
    )


def _timed_python(code_or_args: Sequence[str], cwd: Path) -> float:
    env = dict(os.environ)
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    started = time.monotonic()
    proc = subprocess.run(
        [synthesis.python(cwd), *code_or_args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(code_or_args)} failed: {proc.stderr.strip()[-2000:]}")
    return seconds


@section("synth", order=10)
def bench_synth(ctx: BenchContext) -> dict[str, Any]:
    """Synthesis of every environment vs. a bare import of the prebuilt AWS provider."""
    # The bare import is the floor: a synth can never be faster than loading the bindings.
    bare = _timed_python(
        ["-c", "import cdktf; from cdktf_cdktf_provider_aws.provider import AwsProvider"], REPO_ROOT
    )
    ctx.progress(f"[bench] bare provider import {bare:.1f}s")
    outdir, synth_s = runner.synth(ctx.scratch / "cdktf.out", log_dir=ctx.scratch / "logs")
    ctx.outdir = outdir
    stacks = sorted(p.name for p in (outdir / "stacks").iterdir())
    ctx.progress(f"[bench] synth of {len(stacks)} stacks {synth_s:.1f}s")
    # What a second `make demo` does: the inputs are unchanged, so the runner must skip main.py.
    again = runner.Runner(
        ctx.platform, target="aws", work_root=ctx.work_root, outdir=outdir, progress=ctx.progress
    )
    started = time.monotonic()
    (second,) = again.run("synth", [])
    second_s = time.monotonic() - started
    return {
        "bare_provider_import_s": round(bare, 2),
        "synth_all_s": round(synth_s, 2),
        "synth_over_import_ratio": round(synth_s / bare, 2),
        "second_synth_skipped": second.skipped,
        "second_synth_s": round(second_s, 3),
        "stacks": stacks,
    }


def _apply_summary(results: Sequence[runner.StepResult], wall: float) -> dict[str, Any]:
    per_env: dict[str, dict[str, float]] = {}
    for r in results:
        if r.env != "*":
            per_env.setdefault(r.env, {})[f"{r.step}_s"] = r.seconds
    return {
        "wall_s": round(wall, 2),
        "apply_steps_s": round(sum(r.seconds for r in results if r.step == "apply"), 2),
        "per_environment": per_env,
    }


@section("apply", order=20)
def bench_apply(ctx: BenchContext) -> dict[str, Any]:
    """Three environments into empty accounts: sequential vs. at once, then a no-change apply."""
    from scripts.localcloud import LocalCloud

    ctx.synthesized()
    # Sequential on an emulator of its own (stopped after), so both first applies meet empty
    # accounts; the one at once runs on the run's emulator, which later sections reuse.
    started = time.monotonic()
    scratch_cloud = LocalCloud(state_dir=ctx.scratch / "localcloud-sequential").start(reuse=False)
    emulator_start = time.monotonic() - started
    try:
        started = time.monotonic()
        sequential = ctx.deploy(
            "apply", cloud=scratch_cloud, work_root=ctx.scratch / "terraform-work-sequential", parallel=False
        )
        sequential_wall = time.monotonic() - started
    finally:
        scratch_cloud.stop()
    ctx.local_cloud()
    started = time.monotonic()
    first = ctx.deploy("apply")
    first_wall = time.monotonic() - started
    ctx.applied = True
    started = time.monotonic()
    second = ctx.deploy("apply")
    second_wall = time.monotonic() - started
    # The second run's plan must find nothing to do; any environment listed here is not idempotent.
    changed = [r.env for r in second if r.step == "plan" and r.changes]
    out: dict[str, Any] = {
        "environments": [r.env for r in first if r.step == "apply"],
        "emulator_start_s": round(emulator_start, 2),
        "sequential": _apply_summary(sequential, sequential_wall),
        "at_once": _apply_summary(first, first_wall),
        "at_once_over_sequential_ratio": round(first_wall / sequential_wall, 2),
        "second_no_changes": _apply_summary(second, second_wall),
        "second_over_first_ratio": round(second_wall / first_wall, 2),
        "second_apply_changed_something_in": changed,
    }
    ctx.progress(
        f"[bench] apply of {len(out['environments'])} environments: sequential {sequential_wall:.1f}s, "
        f"at once {first_wall:.1f}s (ratio {out['at_once_over_sequential_ratio']}); "
        f"second apply {second_wall:.1f}s (ratio {out['second_over_first_ratio']})"
    )
    return out


#: Lines of the demo's output that end a stretch of its run (time of arrival is measured).
_CLOUD_UP = re.compile(r"^local cloud at ")
_SYNTH_DONE = re.compile(r"^\s*\[local\]\s+\*\s+synth\s")
_DEPLOY_LINE = re.compile(r"^\s*\[local\]\s")
_WORKFLOW_STEP = re.compile(r"^1\. ")


def demo_shares(lines: Sequence[tuple[float, str]], wall: float) -> dict[str, Any] | None:
    """Where the demo's wall time went, from the arrival time of its output lines.

    The emulator starts while the stacks synthesize, so ``setup`` ends with whichever of "local
    cloud at" and the synth step's line comes last; ``apply`` runs from there to the workflow's
    first step (the workflow starts in an environment once its apply has made every change but
    the lifecycle rules), ``workflow`` is the rest, with the applies' last stretch beside it:
    ``applies_end`` is when the last deploy line arrived. None when the demo did not print
    those lines."""
    cloud = next((t for t, line in lines if _CLOUD_UP.search(line)), None)
    synth = next((t for t, line in lines if _SYNTH_DONE.search(line)), None)
    deploy = [t for t, line in lines if _DEPLOY_LINE.search(line)]
    first_step = next((t for t, line in lines if _WORKFLOW_STEP.search(line)), None)
    if cloud is None or synth is None or not deploy or first_step is None:
        return None
    setup = max(cloud, synth)
    if not setup <= first_step <= wall or deploy[-1] > wall:
        return None
    parts = {"setup": setup, "apply": first_step - setup, "workflow": wall - first_step}
    return {
        "seconds": {k: round(v, 2) for k, v in parts.items()},
        "share": {k: round(v / wall, 3) for k, v in parts.items()},
        "applies_end_s": round(deploy[-1], 2),
        "source": "arrival time of the demo's own output lines",
    }


@section("demo", order=30)
def bench_demo(ctx: BenchContext) -> dict[str, Any]:
    """The README's main command end to end after install: cold synth, fresh emulator."""
    # A run of its own: an emulator in the scratch folder (not one the user has running),
    # working directories in the scratch folder, and no synthesis key, so that main.py runs as
    # after a fresh clone. cdktf.out is the clone's own, as for `make demo`.
    (REPO_ROOT / "cdktf.out" / synthesis.KEY_FILE).unlink(missing_ok=True)
    env = dict(os.environ)
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "MLGOV_LOCALCLOUD_DIR": str(ctx.scratch / "localcloud-demo"),
            runner.WORK_DIR_VAR: str(ctx.scratch / "terraform-work-demo"),
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        }
    )
    lines: list[tuple[float, str]] = []
    started = time.monotonic()
    proc = subprocess.Popen(
        [synthesis.python(REPO_ROOT), "-m", "scripts.demo"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append((time.monotonic() - started, line.rstrip("\n")))
    code = proc.wait()
    wall = time.monotonic() - started
    if code != 0:
        tail = "\n".join(line for _, line in lines[-20:])
        raise RuntimeError(f"python -m scripts.demo exited {code} after {wall:.1f}s:\n{tail}")
    shares = demo_shares(lines, wall)
    if shares is None:
        # The demo did not say when synth and apply ended: time them through the runner.
        synth_s = ctx.results.get("synth", {}).get("synth_all_s") or _timed_synth(ctx)
        apply_s = ctx.results.get("apply", {}).get("at_once", {}).get("wall_s")
        if apply_s is None:
            started = time.monotonic()
            ctx.deployed()
            apply_s = time.monotonic() - started
        parts = {"setup": synth_s, "apply": apply_s, "workflow": max(wall - synth_s - apply_s, 0.0)}
        shares = {
            "seconds": {k: round(v, 2) for k, v in parts.items()},
            "share": {k: round(v / wall, 3) for k, v in parts.items()},
            "source": "synth and apply timed separately through the runner; workflow = the rest",
        }
    ctx.progress(
        f"[bench] demo {wall:.1f}s: "
        + ", ".join(f"{k} {v:.1f}s ({shares['share'][k]:.0%})" for k, v in shares["seconds"].items())
    )
    return {
        "wall_s": round(wall, 2),
        "goal_s": DEMO_GOAL_S,
        "over_goal_ratio": round(wall / DEMO_GOAL_S, 2),
        **shares,
    }


def _timed_synth(ctx: BenchContext) -> float:
    _, seconds = runner.synth(ctx.scratch / "cdktf.out-demo", log_dir=ctx.scratch / "logs")
    return seconds


# -- the summary table -------------------------------------------------------------------------
DEMO_GOAL_S = 120.0
#: The steps of the sample pipeline (use_cases/credit-risk/pipeline.py) the summary shows.
PIPELINE_STEPS = ("Preprocess", "Train", "Evaluate", "CheckQuality", "Register")
#: The numbers of use cases the ``use-cases`` section measures (scripts/bench/usecases.py).
USE_CASE_SIZES = (1, 10, 30)
#: IAM's quota on the inline policies of one role, together: 10,240 characters, white space not
#: counted (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html, "Role
#: policy size"). AWS refuses a PutRolePolicy beyond it with LimitExceeded; the local cloud does
#: not check it (moto does not), so the ``use-cases`` section reads what the apply left.
ROLE_POLICY_QUOTA = 10_240
#: The same installs with pip, before uv.lock: about 80 s on this 2-core machine when idle (issue
#: 19). Side by side under the same load, pip against uv: bench-results/summary.md, "Installs".
PIP_INSTALL_S = 80.0
#: Issue 19: a fresh clone's installs in a fraction of pip's time.
INSTALL_GOAL_FRACTION = 0.5


@dataclass(frozen=True)
class Figure:
    """One row of the summary: where the figure is in bench.json, and its goal."""

    label: str
    path: tuple[str, ...]
    """Keys below ``sections``."""
    goal: str = ""
    met: Callable[[Any], bool] | None = None
    unit: str = ""


def _report_growth(report: Any) -> Any:
    """API calls added by 900 more versions (3 accounts): 27 more pages of 100 at most."""
    try:
        return report["1000"]["api_calls"] - report["100"]["api_calls"]
    except (KeyError, TypeError):
        return None


FIGURES: tuple[Figure, ...] = (
    Figure(
        "demo: `python -m scripts.demo` end to end",
        ("demo", "wall_s"),
        "≤ 120 s",
        lambda v: v <= DEMO_GOAL_S,
        "s",
    ),
    Figure("demo: emulator start and synth, at once", ("demo", "seconds", "setup"), unit="s"),
    Figure("demo: apply until the workflow starts (3 environments)", ("demo", "seconds", "apply"), unit="s"),
    Figure(
        "demo: workflow (the applies' lifecycle rules finish beside it)",
        ("demo", "seconds", "workflow"),
        unit="s",
    ),
    Figure("demo: the last apply ended at", ("demo", "applies_end_s"), unit="s"),
    Figure("synth: every stack", ("synth", "synth_all_s"), unit="s"),
    Figure(
        "synth: second synth, inputs unchanged",
        ("synth", "second_synth_skipped"),
        "skipped",
        lambda v: v is True,
    ),
    Figure("apply: 3 environments, sequential", ("apply", "sequential", "wall_s"), unit="s"),
    Figure("apply: 3 environments, at once", ("apply", "at_once", "wall_s"), unit="s"),
    Figure(
        "apply: at once / sequential",
        ("apply", "at_once_over_sequential_ratio"),
        "< 1 (the waits overlap)",
        lambda v: v < 1,
    ),
    Figure("apply: second apply, no changes", ("apply", "second_no_changes", "wall_s"), unit="s"),
    Figure(
        "report: 1,000 versions x 3 accounts",
        ("report", "1000", "seconds"),
        "≤ 5 s",
        lambda v: v <= 5,
        "s",
    ),
    Figure("report: API calls, 1,000 versions", ("report", "1000", "api_calls")),
    Figure(
        "report: API calls added by 900 versions",
        ("report", "@growth"),
        "≤ 27 (3 accounts x 9 pages)",
        lambda v: v <= 27,
    ),
    Figure("promotion: API calls", ("promotion", "api_calls")),
    Figure(
        "start-up: `mlgov --help` (min of 7)",
        ("startup", "mlgov --help", "min_s"),
        "≤ 0.5 s",
        lambda v: v <= 0.5,
        "s",
    ),
    Figure(
        "start-up: `mlgov report --help` (min of 7)",
        ("startup", "mlgov report --help", "min_s"),
        "≤ 1 s (no SageMaker SDK, pandas, numpy)",
        lambda v: v <= 1,
        "s",
    ),
    Figure(
        "start-up: `mlgov promote --help` (min of 7)", ("startup", "mlgov promote --help", "min_s"), unit="s"
    ),
    Figure(
        "promotion: artifact bytes through the client",
        ("promotion", "artifact_bytes_through_client"),
        "0",
        lambda v: v == 0,
    ),
    Figure(
        "install: fresh clone, empty caches (both venvs, from the locks)",
        ("install", "cold_s"),
        f"≤ {INSTALL_GOAL_FRACTION * PIP_INSTALL_S:.0f} s ({INSTALL_GOAL_FRACTION:g} x pip's {PIP_INSTALL_S:.0f} s)",
        lambda v: v <= INSTALL_GOAL_FRACTION * PIP_INSTALL_S,
        "s",
    ),
    Figure("install: fresh clone, warm caches", ("install", "warm_s"), unit="s"),
    Figure("install: warnings printed", ("install", "warnings"), "0", lambda v: v == 0),
    Figure("pipeline extra: packages it adds", ("install", "pipeline_extra", "packages")),
    Figure("pipeline extra: MB it adds", ("install", "pipeline_extra", "mb"), unit="MB"),
    Figure(
        "pipeline extra: seconds to add it, empty cache",
        ("install", "pipeline_extra", "add_cold_s"),
        unit="s",
    ),
    Figure("pipeline extra: import of its Pipeline class", ("install", "pipeline_import_s"), unit="s"),
    Figure("pipeline: `mlgov pipeline upsert` (creates it)", ("pipeline", "upsert_s"), unit="s"),
    Figure("pipeline: `mlgov pipeline upsert` again (updates it)", ("pipeline", "upsert_again_s"), unit="s"),
    Figure("pipeline: `mlgov pipeline start --wait`", ("pipeline", "start_wait_s"), unit="s"),
    Figure("pipeline: the execution, created to ended", ("pipeline", "execution_s"), unit="s"),
    *(
        Figure(f"pipeline: step {step}", ("pipeline", "seconds_by_step", step), unit="s")
        for step in PIPELINE_STEPS
    ),
    Figure("pipeline: no step running", ("pipeline", "between_steps_s"), unit="s"),
    *(
        figure
        for n in USE_CASE_SIZES
        for figure in (
            Figure(f"use cases: {n}, synth of every stack", ("use-cases", str(n), "synth_s"), unit="s"),
            Figure(f"use cases: {n}, synth, CPU seconds", ("use-cases", str(n), "synth_cpu_s"), unit="s"),
            Figure(
                f"use cases: {n}, no-change plan (3 environments at once)",
                ("use-cases", str(n), "plan_s"),
                unit="s",
            ),
            Figure(
                f"use cases: {n}, no-change plan, CPU seconds (Terraform, providers, local cloud)",
                ("use-cases", str(n), "plan_cpu_s"),
                unit="s",
            ),
            Figure(f"use cases: {n}, resources per stack", ("use-cases", str(n), "resources_by_environment")),
            Figure(
                f"use cases: {n}, largest role's inline policies (characters)",
                ("use-cases", str(n), "largest_role_policy_chars"),
                f"≤ {ROLE_POLICY_QUOTA:,} (AWS's quota per role)",
                lambda v: v <= ROLE_POLICY_QUOTA,
            ),
        )
    ),
)


def figure_value(doc: dict[str, Any] | None, figure: Figure) -> Any:
    """The figure's value in a bench.json document, or None when that run did not measure it."""
    node: Any = (doc or {}).get("sections", {})
    for key in figure.path:
        if key == "@growth":
            return _report_growth(node)
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _cell(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_cell(v, unit)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:.2f}{' ' + unit if unit else ''}"
    return f"{value}{' ' + unit if unit else ''}"


def measured_at(doc: dict[str, Any], name: str) -> str | None:
    """When section ``name`` of ``doc`` was measured: its ``measured_at`` entry (a merged
    document), else the document's own run."""
    if name not in doc.get("sections", {}):
        return None
    at = doc.get("measured_at") or {}
    return str(at.get(name) or doc.get("started_at") or "") or None


def merge_results(doc: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """``doc`` (a run of some sections) over ``previous`` (the results it replaces): the sections
    ``doc`` ran are its own, every other section of ``previous`` is kept as it was; ``measured_at``
    says when each section was measured. ``ok`` stays this run's."""
    kept = {n: r for n, r in (previous or {}).get("sections", {}).items() if n not in doc["sections"]}
    when = {n: measured_at(previous or {}, n) for n in kept}
    when.update(dict.fromkeys(doc["sections"], doc["started_at"]))
    return {**doc, "sections": {**kept, **doc["sections"]}, "measured_at": when}


def summary_table(doc: dict[str, Any], previous: dict[str, Any] | None) -> str:
    """Markdown: each figure, when it was measured, its goal, whether it is met, and the previous
    run's figure (only for the sections this run measured: a kept figure has no newer one)."""
    this_run = doc.get("started_at", "?")
    at = doc.get("measured_at") or {}
    kept = sorted(n for n in doc.get("sections", {}) if n in at and at[n] != this_run)
    rows = [
        "# Bench summary",
        "",
        f"This run: {this_run} on {doc.get('machine', {}).get('cpus', '?')} CPUs; "
        f"previous run: {(previous or {}).get('started_at', 'none')}.",
    ]
    loads = [
        f"{name} {sec['load_average']['start'][0]:.1f} → {sec['load_average']['end'][0]:.1f}"
        for name, sec in doc.get("sections", {}).items()
        if isinstance(sec.get("load_average"), dict)
    ]
    if loads:
        rows += ["", f"Load average (1 minute) when each section started → ended: {'; '.join(loads)}."]
    if kept:
        rows += [
            "",
            f"This run measured {', '.join(sorted(set(doc['sections']) - set(kept))) or 'nothing'}; the "
            f"figures of {', '.join(kept)} are kept from the runs that measured them (column measured).",
        ]
    rows += [
        "",
        "| figure | this run | measured | goal | met | previous run |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for figure in FIGURES:
        value, before = figure_value(doc, figure), figure_value(previous, figure)
        section_name = figure.path[0]
        when = measured_at(doc, section_name) if value is not None else None
        if section_name in kept:
            before = None
        met = "" if figure.met is None or value is None else ("yes" if figure.met(value) else "**no**")
        rows.append(
            f"| {figure.label} | {_cell(value, figure.unit)} | {(when or '—')[:10]} | {figure.goal or '—'} | "
            f"{met} | {_cell(before, figure.unit)} |"
        )
    failed = {name: sec["error"] for name, sec in doc.get("sections", {}).items() if "error" in sec}
    if failed:
        rows += ["", "Sections that failed:", ""]
        rows += [f"- `{name}`: {error.splitlines()[0]}" for name, error in failed.items()]
    rows += [
        "",
        "CI (`.ci/run` on a clean clone, goal ≤ 12 min) is timed by the CI run itself, not here.",
        "",
    ]
    return "\n".join(rows)


def with_notes(table: str, existing: str | None) -> str:
    """``table`` followed by the notes of the ``summary.md`` it replaces: everything from its
    first line that starts with ``## `` (the generated table has none)."""
    lines = (existing or "").splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("## ")), None)
    if start is None:
        return table
    return table.rstrip("\n") + "\n\n" + "\n".join(lines[start:]).rstrip("\n") + "\n"


def summary_path(out: Path) -> Path:
    """Where the table of the results in ``out`` goes: ``summary.md`` beside ``bench.json``,
    ``<name>-summary.md`` beside any other file (so a run written elsewhere in ``bench-results/``
    does not replace the main table)."""
    return out.with_name(SUMMARY_FILE if out.name == DEFAULT_OUT.name else f"{out.stem}-summary.md")


def read_previous(path: Path) -> dict[str, Any] | None:
    """The bench.json a new run is about to replace, if there is a readable one."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def run(names: Sequence[str] | None, progress: Callable[[str], None]) -> dict[str, Any]:
    load_section_modules()
    chosen = sorted(SECTIONS.values(), key=lambda s: (s.order, s.name))
    if names:
        unknown = sorted(set(names) - set(SECTIONS))
        if unknown:
            raise UsageError(
                f"unknown bench section {unknown[0]!r}: known sections are {', '.join(s.name for s in chosen)}"
            )
        chosen = [s for s in chosen if s.name in names]
    doc: dict[str, Any] = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": _platform.python_version(),
            "system": _platform.platform(),
        },
        "sections": {},
    }
    with tempfile.TemporaryDirectory(prefix="mlgov-bench-") as scratch:
        ctx = BenchContext(Path(scratch), progress)
        try:
            for sec in chosen:
                started, load = time.monotonic(), os.getloadavg()
                try:
                    result = sec.fn(ctx)
                    result.setdefault("section_s", round(time.monotonic() - started, 2))
                    ctx.results[sec.name] = result
                except (runner.DeployError, RuntimeError) as exc:
                    result = {"error": str(exc)}
                    progress(f"[bench] {sec.name} failed: {exc}")
                # Other work on the machine slows every figure: say how busy it was.
                result["load_average"] = {"start": _load(load), "end": _load(os.getloadavg())}
                doc["sections"][sec.name] = result
        finally:
            ctx.close()
    doc["ok"] = all("error" not in v for v in doc["sections"].values())
    return doc


def _load(averages: tuple[float, float, float]) -> list[float]:
    """The 1, 5 and 15 minute load averages, rounded."""
    return [round(a, 2) for a in averages]


def build_parser() -> argparse.ArgumentParser:
    load_section_modules()
    p = argparse.ArgumentParser(prog="mlgov bench", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--only",
        action="append",
        metavar="SECTION",
        help=f"run only this section (repeatable); sections: {', '.join(sorted(SECTIONS))}",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="where the JSON results are written (default: bench-results/bench.json); with --only, "
        "the other sections' results already in it are kept",
    )
    p.add_argument("--json", action="store_true", help="also print the JSON results on stdout")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    return command.main(build_parser(), argv, bench, log_level=logging.WARNING, render=_summary_text)


def bench(args: argparse.Namespace) -> command.Outcome:
    """Run the sections, write bench.json and summary.md; exit 1 when a section failed. With
    ``--only``, the other sections' results already in ``--out`` are kept (:func:`merge_results`)."""
    doc = run(args.only, _progress)
    previous = read_previous(args.out)
    written = merge_results(doc, previous) if args.only else doc
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(written, indent=2))
    summary = summary_path(args.out)
    try:
        notes: str | None = summary.read_text(encoding="utf-8")
    except OSError:
        notes = None
    summary.write_text(with_notes(summary_table(written, previous), notes), encoding="utf-8")
    print(f"results written to {args.out} and {summary}", file=sys.stderr)
    return command.Outcome(doc, EXIT_OK if doc["ok"] else EXIT_FAILED)


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _summary_text(doc: dict[str, Any]) -> str:
    lines = []
    for name, result in doc["sections"].items():
        lines.append(f"== {name}")
        for key, value in result.items():
            lines.append(f"  {key}: {json.dumps(value)}" if isinstance(value, dict) else f"  {key}: {value}")
    return "\n".join(lines)
