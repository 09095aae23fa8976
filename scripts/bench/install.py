"""Bench section ``install`` (registered into ``scripts.bench``): the installs of the README's two
commands, from the locks, on a fresh clone.

* ``cold_s``: ``make -j3 .venv/.installed .venv-checkov/.installed``, the installs ``make test``
  runs at once (``make demo`` needs the first): uv from ``tools/requirements-uv.txt``, then
  ``.venv`` from ``uv.lock`` and ``.venv-checkov`` from ``tools/checkov/uv.lock``, bytecode
  compiled. In a fresh
  ``git clone`` of this repository with empty uv and pip caches, so every file comes from PyPI.
* ``warm_s``: the same in a second fresh clone with the caches the first run filled (a new clone
  on a machine that installed the kit before).
* ``warnings``: the lines of both runs' output that say "warning" (the goal is none).
* ``pipeline_extra``: what the ``pipeline`` extra adds to the kit with its other extras: packages,
  MB on disk, the seconds uv takes to add them with an empty cache (bytecode not compiled), and
  the Python files among them; ``pipeline_import_s``: ``from sagemaker.mlops.workflow.pipeline
  import Pipeline`` in the installed ``.venv`` (best of 3), beside ``base_import_s`` for boto3,
  pandas and scikit-learn, which every kit process that trains already imports. The SDK builds a
  boto3 client while it is imported, so the import needs a region (``AWS_DEFAULT_REGION``, set to
  us-east-1 here when unset); it makes no AWS call.

The clones are of HEAD: commit a change to the locks or the Makefile before measuring it. The Node
tools (``npm ci`` of package-lock.json) are left out: their install did not change.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .core import REPO_ROOT, BenchContext, section

MAKE_TARGETS = (".venv/.installed", ".venv-checkov/.installed")
PIPELINE_IMPORT = "from sagemaker.mlops.workflow.pipeline import Pipeline"
BASE_IMPORT = "import boto3, pandas, sklearn"
#: Variables that would send uv or pip somewhere other than the clone's own environments.
_REDIRECTS = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_CACHE_DIR", "PIP_CACHE_DIR")


def install_env(caches: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of an install run: the caller's, with uv's and pip's caches under ``caches``."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in _REDIRECTS}
    env["UV_CACHE_DIR"] = str(caches / "uv")
    env["PIP_CACHE_DIR"] = str(caches / "pip")
    return env


def warning_lines(output: str) -> list[str]:
    """The lines of an install's output that warn (pip's ``WARNING:``, uv's ``warning:``,
    setuptools' ``...Warning``)."""
    return [line.strip() for line in output.splitlines() if "warning" in line.lower()]


def venv_footprint(venv: Path) -> dict[str, Any]:
    """Packages (``*.dist-info`` folders), MB of files and Python files in a venv's site-packages."""
    (site,) = venv.glob("lib/python3*/site-packages")
    packages = sum(1 for p in site.iterdir() if p.name.endswith(".dist-info"))
    size = py_files = 0
    for path in site.rglob("*"):
        if path.is_file() and not path.is_symlink():
            size += path.stat().st_size
            py_files += path.suffix == ".py"
    return {"packages": packages, "mb": round(size / 1e6, 1), "py_files": py_files}


def _run(args: Sequence[str | Path], cwd: Path, env: Mapping[str, str]) -> tuple[float, str]:
    started = time.monotonic()
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - started
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed ({proc.returncode}): {output.strip()[-2000:]}")
    return seconds, output


def _best_of(runs: int, python: Path, code: str, env: Mapping[str, str]) -> float:
    return min(_run([python, "-c", code], REPO_ROOT, env)[0] for _ in range(runs))


@section("install", order=90)
def bench_install(ctx: BenchContext) -> dict[str, Any]:
    """A fresh clone's installs from the locks: empty caches, then warm; the pipeline extra's cost."""
    root = ctx.scratch / "install"
    env = install_env(root / "caches")
    make = ["make", "--no-print-directory", "-j3", *MAKE_TARGETS]
    warnings: list[str] = []
    seconds: dict[str, float] = {}
    clones: dict[str, Path] = {}
    for run in ("cold", "warm"):
        clone = clones[run] = root / f"clone-{run}"
        _run(["git", "clone", "--quiet", REPO_ROOT, clone], REPO_ROOT, env)
        seconds[run], output = _run(make, clone, env)
        warnings += warning_lines(output)
        ctx.progress(f"[bench] install, {run} caches: {seconds[run]:.1f}s")
    clone = clones["warm"]
    kit, checkov = venv_footprint(clone / ".venv"), venv_footprint(clone / ".venv-checkov")

    # The pipeline extra: the kit with its other extras, then pipeline added from an empty cache.
    uv = clone / ".venv-uv" / "bin" / "uv"
    venv = root / "venv-extra"
    extra_env = {**env, "UV_PROJECT_ENVIRONMENT": str(venv)}
    sync: list[str | Path] = [
        uv,
        "sync",
        "--quiet",
        "--locked",
        "--project",
        clone,
        "--extra",
        "cdktf",
        "--extra",
        "local",
    ]
    _run(sync, clone, extra_env)
    without = venv_footprint(venv)
    extra_env["UV_CACHE_DIR"] = str(root / "caches" / "uv-extra")
    added_s, _ = _run([*sync, "--extra", "pipeline"], clone, extra_env)
    with_extra = venv_footprint(venv)
    extra = {
        "packages": with_extra["packages"] - without["packages"],
        "mb": round(with_extra["mb"] - without["mb"], 1),
        "py_files": with_extra["py_files"] - without["py_files"],
        "add_cold_s": round(added_s, 2),
    }
    import_env = {**env, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    python = clone / ".venv" / "bin" / "python"
    pipeline_import = _best_of(3, python, PIPELINE_IMPORT, import_env)
    base_import = _best_of(3, python, BASE_IMPORT, import_env)
    ctx.progress(f"[bench] pipeline extra: {extra}; import {pipeline_import:.1f}s")
    return {
        "cold_s": round(seconds["cold"], 2),
        "warm_s": round(seconds["warm"], 2),
        "warnings": len(warnings),
        "warning_lines": warnings[:10],
        "kit_venv": kit,
        "checkov_venv": checkov,
        "pipeline_extra": extra,
        "pipeline_import_s": round(pipeline_import, 2),
        "base_import_s": round(base_import, 2),
    }
