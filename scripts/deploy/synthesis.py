"""Synthesis for the deploy runner: run ``main.py`` once for every stack, and only when needed.

:func:`synth` runs ``main.py`` in a subprocess (the runner never imports cdktf: about 13 s of
provider import per process) for every environment of one configuration folder.

:func:`synth_key` is a digest of everything that synthesis reads: the configuration folder's
YAML files, the ``environments`` package's code (schema defaults and names), ``modules/``,
``main.py``, ``cdktf.json`` and the pinned versions (``pyproject.toml``, ``uv.lock``). After a
synthesis the key and a digest of every file written are stored beside the output in ``.synth-key``;
:func:`up_to_date` is true when the inputs still give that key and the output is still what
was written, so the runner can skip a synthesis whose result it already has.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from environments import DEFAULT_DIR
from scripts.errors import KitError

REPO_ROOT = Path(__file__).resolve().parents[2]
#: The variable main.py reads its configuration folder from (``main.ENVIRONMENTS_DIR_VAR``).
ENVIRONMENTS_DIR_VAR = "MLGOV_ENVIRONMENTS_DIR"
#: Beside the synthesized stacks: the key of the inputs and a digest of each file written.
KEY_FILE = ".synth-key"
#: Files of the repository that synthesis reads, besides the configuration folder.
REPO_INPUT_FILES = ("main.py", "cdktf.json", "pyproject.toml", "uv.lock")
#: Packages whose code synthesis runs (``environments``: its YAML files are configuration, read
#: from the configuration folder in use, which need not be this one).
REPO_INPUT_PACKAGES = ("environments", "modules")
CONFIG_SUFFIXES = (".yaml", ".yml")
_SKIP_PARTS = ("__pycache__", ".mypy_cache", ".ruff_cache")


class SynthFailed(KitError):
    """``main.py`` exited non-zero; ``log`` holds its whole output, ``detail`` the end of it."""

    def __init__(self, log: str, detail: str) -> None:
        self.log, self.detail = log, detail
        super().__init__(f"synth failed: {detail} (full output: {log})")


def environments_dir(directory: str | Path | None = None) -> Path:
    """The configuration folder: ``directory``, else ``$MLGOV_ENVIRONMENTS_DIR``, else the kit's
    ``environments/``: the rule main.py follows, made explicit so that the environments selected
    and the stacks synthesized come from the same files."""
    return Path(directory or os.environ.get(ENVIRONMENTS_DIR_VAR) or DEFAULT_DIR).resolve()


def _files(
    root: Path, *, suffixes: tuple[str, ...] | None = None, exclude: tuple[str, ...] = ()
) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or any(p in _SKIP_PARTS or p.startswith(".") for p in rel.parts):
            continue
        if path.suffix in (".pyc", ".pyo") or path.suffix in exclude:
            continue
        if suffixes is None or path.suffix in suffixes:
            yield path


def synth_inputs(config_dir: str | Path | None = None, *, repo: Path | None = None) -> list[tuple[str, Path]]:
    """Every file synthesis reads, as (name in the key, path); names are relative so the key
    does not depend on where the clone lives. ``repo`` defaults to this repository."""
    repo = repo or REPO_ROOT
    config = environments_dir(config_dir)
    found = [(f"config/{p.relative_to(config)}", p) for p in _files(config, suffixes=CONFIG_SUFFIXES)]
    for package in REPO_INPUT_PACKAGES:
        exclude = CONFIG_SUFFIXES if package == "environments" else ()
        found += [
            (f"{package}/{p.relative_to(repo / package)}", p) for p in _files(repo / package, exclude=exclude)
        ]
    found += [(name, repo / name) for name in REPO_INPUT_FILES if (repo / name).is_file()]
    return found


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def synth_key(config_dir: str | Path | None = None, *, repo: Path | None = None) -> str:
    """A digest of the name and content of every file :func:`synth_inputs` lists."""
    h = hashlib.sha256()
    for name, path in synth_inputs(config_dir, repo=repo):
        h.update(f"{name}\0{_digest(path)}\n".encode())
    return h.hexdigest()[:16]


def _outputs(outdir: Path) -> dict[str, str]:
    """Digest of every file synthesis wrote (``stacks/``, ``manifest.json``), by relative path."""
    return {
        str(p.relative_to(outdir)): _digest(p)
        for p in sorted(outdir.rglob("*"))
        if p.is_file() and p.name != KEY_FILE and ".terraform" not in p.relative_to(outdir).parts
    }


def up_to_date(outdir: Path, key: str) -> bool:
    """The output in ``outdir`` came from inputs with ``key`` and nobody changed it since."""
    try:
        stored = json.loads((outdir / KEY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(stored, dict)
        and stored.get("key") == key
        and bool(stored.get("outputs"))
        and stored.get("outputs") == _outputs(outdir)
    )


def record(outdir: Path, key: str) -> None:
    """Store ``key`` and the digests of what was written beside the output."""
    doc = {"key": key, "outputs": _outputs(outdir)}
    (outdir / KEY_FILE).write_text(json.dumps(doc, indent=1, sort_keys=True), encoding="utf-8")


def python(repo: Path | None = None) -> str:
    """The kit's virtual environment's interpreter, else this one."""
    venv = (repo or REPO_ROOT) / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def synth(
    outdir: Path | None = None,
    *,
    repo: Path | None = None,
    log_dir: Path | None = None,
    config_dir: str | Path | None = None,
) -> tuple[Path, float]:
    """Synthesize every stack by running ``main.py`` in a subprocess; returns (outdir, seconds).

    ``config_dir`` is the configuration folder (default: :func:`environments_dir`), handed to
    main.py in ``MLGOV_ENVIRONMENTS_DIR``. One subprocess synthesizes all environments at once.
    Records the inputs' key beside the output (:func:`record`). Raises :class:`SynthFailed`.
    """
    repo = repo or REPO_ROOT
    outdir = Path(outdir or repo / "cdktf.out").resolve()
    config = environments_dir(config_dir)
    # Computed before main.py runs: a file edited during the synth makes the next key differ.
    key = synth_key(config, repo=repo)
    outdir.parent.mkdir(parents=True, exist_ok=True)
    # An interrupted synth must not leave a key that vouches for a half-written output.
    (outdir / KEY_FILE).unlink(missing_ok=True)
    env = dict(os.environ)
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    env["CDKTF_OUTDIR"] = str(outdir)
    env[ENVIRONMENTS_DIR_VAR] = str(config)
    interpreter = python(repo)
    started = time.monotonic()
    proc = subprocess.run(
        [interpreter, "main.py"], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - started
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        (log_dir / "synth.log").write_text(
            f"$ {ENVIRONMENTS_DIR_VAR}={env[ENVIRONMENTS_DIR_VAR]} {interpreter} main.py\n"
            f"{proc.stdout}{proc.stderr}\n# exit {proc.returncode}\n"
        )
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        log = str(log_dir / "synth.log") if log_dir else "main.py output"
        raise SynthFailed(log, f"main.py exited {proc.returncode}:\n{tail}")
    if (outdir / "stacks").is_dir():
        record(outdir, key)
    return outdir, seconds
