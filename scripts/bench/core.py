"""``make bench``: the kit's speed measurements, printed and written to ``bench-results/bench.json``.

    python -m scripts.bench                     # every section
    python -m scripts.bench --only synth        # one section (repeatable)
    python -m scripts.bench --json              # the JSON document on stdout as well

Sections register themselves with :func:`section`; this module brings ``synth`` (all stacks vs. a
bare import of the prebuilt provider, as a ratio) and ``apply`` (the three environments on the
emulator, then a second apply with no changes, as a ratio). Other modules add theirs the same
way and are listed in :data:`SECTION_MODULES` (imported when present)::

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
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from environments import load_platform
from scripts.deploy import runner
from scripts.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "bench-results" / "bench.json"
#: Modules that contribute sections (imported if they exist; each calls ``section`` at import).
SECTION_MODULES = ("scripts.bench.governance",)

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

    def deploy(self, action: str, env_names: Sequence[str] | None = None) -> list[runner.StepResult]:
        return runner.deploy(
            action,
            env_names,
            target="local",
            cloud=self.local_cloud(),
            platform=self.platform,
            work_root=self.work_root,
            outdir=self.synthesized(),
            synthesize=False,
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


def _timed_python(code_or_args: Sequence[str], cwd: Path) -> float:
    env = dict(os.environ)
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    started = time.monotonic()
    proc = subprocess.run(
        [runner._python(cwd), *code_or_args], cwd=cwd, env=env, capture_output=True, text=True, check=False
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
    return {
        "bare_provider_import_s": round(bare, 2),
        "synth_all_s": round(synth_s, 2),
        "synth_over_import_ratio": round(synth_s / bare, 2),
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
    """Apply of every environment on the emulator, then a second apply with no changes."""
    ctx.synthesized()
    started = time.monotonic()
    ctx.local_cloud()
    emulator_start = time.monotonic() - started
    started = time.monotonic()
    first = ctx.deploy("apply")
    first_wall = time.monotonic() - started
    ctx.applied = True
    started = time.monotonic()
    second = ctx.deploy("apply")
    second_wall = time.monotonic() - started
    # The second run's plan must find nothing to do; any environment listed here is not idempotent.
    changed = [r.env for r in second if r.step == "plan" and r.changes]
    out = {
        "environments": [r.env for r in first if r.step == "apply"],
        "emulator_start_s": round(emulator_start, 2),
        "first": _apply_summary(first, first_wall),
        "second_no_changes": _apply_summary(second, second_wall),
        "second_over_first_ratio": round(second_wall / first_wall, 2),
        "second_apply_changed_something_in": changed,
    }
    ctx.progress(
        f"[bench] apply {first_wall:.1f}s, second apply {second_wall:.1f}s "
        f"(ratio {out['second_over_first_ratio']})"
    )
    return out


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
                started = time.monotonic()
                try:
                    result = sec.fn(ctx)
                    result.setdefault("section_s", round(time.monotonic() - started, 2))
                    doc["sections"][sec.name] = result
                except (runner.DeployError, RuntimeError) as exc:
                    doc["sections"][sec.name] = {"error": str(exc)}
                    progress(f"[bench] {sec.name} failed: {exc}")
        finally:
            ctx.close()
    doc["ok"] = all("error" not in v for v in doc["sections"].values())
    return doc


def main(argv: Sequence[str] | None = None) -> int:
    load_section_modules()
    p = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__.split("\n\n")[0])
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
        help="where the JSON results are written (default: bench-results/bench.json)",
    )
    p.add_argument("--json", action="store_true", help="also print the JSON results on stdout")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        doc = run(args.only, _progress)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2))
    print(f"results written to {args.out}", file=sys.stderr)
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        _print_summary(doc)
    return EXIT_OK if doc["ok"] else EXIT_FAILED


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _print_summary(doc: dict[str, Any]) -> None:
    for name, result in doc["sections"].items():
        print(f"== {name}")
        for key, value in result.items():
            if isinstance(value, dict):
                print(f"  {key}: {json.dumps(value)}")
            else:
                print(f"  {key}: {value}")
