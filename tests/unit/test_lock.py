"""The locks the README's commands install from: ``uv.lock`` (the kit, every extra) and
``tools/checkov/uv.lock`` (checkov's own venv). Every package comes from PyPI with the hash of each
file, nothing points at this machine's disk, each lock matches its ``pyproject.toml`` (an edited
pin without ``make lock`` fails), and uv is the version ``tools/requirements-uv.txt`` pins with
hashes. (``make lint`` runs the same ``uv lock --check``.)"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".venv-uv" / "bin" / "uv"
PROJECTS = {"kit": ROOT, "checkov": ROOT / "tools" / "checkov"}
PYPI = "https://pypi.org/simple"
FILES = "https://files.pythonhosted.org/"
SHA256 = re.compile(r"^sha256:[0-9a-f]{64}$")


def lock_problems(lock: dict[str, Any]) -> list[str]:
    """What keeps a parsed uv.lock from reinstalling the same files anywhere: a package from
    elsewhere than PyPI (a local index, a path, a git URL), a file without its sha256, none at all."""
    problems = []
    for package in lock["package"]:
        name, source = package["name"], package.get("source", {})
        if source in ({"editable": "."}, {"virtual": "."}):
            continue  # the project itself
        if source != {"registry": PYPI}:
            problems.append(f"{name}: source {source}, not {PYPI}")
            continue
        files = [package["sdist"]] if "sdist" in package else []
        files += package.get("wheels", [])
        if not files:
            problems.append(f"{name}: no file listed")
        for file in files:
            if not str(file.get("url", "")).startswith(FILES):
                problems.append(f"{name}: file {file.get('url')} not on PyPI")
            if not SHA256.match(str(file.get("hash", ""))):
                problems.append(f"{name}: {file.get('url')} without a sha256")
    for constraint in lock.get("manifest", {}).get("build-constraints", []):
        if not constraint.get("hashes"):
            problems.append(f"build constraint {constraint['name']} without hashes")
    return problems


def _uv(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert UV.exists(), f"{UV} is missing: make installs it (make .venv-uv/.installed)"
    return subprocess.run(
        [str(UV), *map(str, args), "--python", sys.executable],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "UV_PYTHON_DOWNLOADS": "never"},
    )


@pytest.mark.parametrize("project", PROJECTS)
def test_every_locked_file_is_on_pypi_with_its_hash(project: str) -> None:
    lock = tomllib.loads((PROJECTS[project] / "uv.lock").read_text())
    assert lock_problems(lock) == []
    assert len(lock["package"]) > 50  # the whole tree, not the direct pins only


def test_a_lock_naming_a_local_index_or_a_file_without_hash_is_refused() -> None:
    wheel = {"url": f"{FILES}p/pkg-1-py3-none-any.whl", "hash": "sha256:" + "0" * 64}
    lock = {
        "package": [
            {"name": "ok", "source": {"registry": PYPI}, "wheels": [wheel]},
            {"name": "local", "source": {"registry": "file:///opt/pypi/simple"}, "wheels": [wheel]},
            {"name": "nohash", "source": {"registry": PYPI}, "wheels": [{"url": wheel["url"]}]},
            {"name": "nofile", "source": {"registry": PYPI}},
        ],
        "manifest": {"build-constraints": [{"name": "setuptools", "specifier": "==84.2.1"}]},
    }
    problems = lock_problems(lock)
    assert [p.split(":")[0] for p in problems] == [
        "local",
        "nohash",
        "nofile",
        "build constraint setuptools without hashes",
    ]


@pytest.mark.parametrize("project", PROJECTS)
def test_each_lock_matches_its_pyproject(project: str) -> None:
    result = _uv("lock", "--check", "--offline", "--project", PROJECTS[project])
    assert result.returncode == 0, f"{project}: uv.lock is stale, run make lock\n{result.stderr}"


def test_a_pin_edited_without_make_lock_fails_the_check(tmp_path: Path) -> None:
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    assert _uv("lock", "--check", "--offline", "--project", tmp_path).returncode == 0
    pyproject = tmp_path / "pyproject.toml"
    text = pyproject.read_text()
    assert '"Jinja2==3.1.6"' in text
    pyproject.write_text(text.replace('"Jinja2==3.1.6"', '"Jinja2==3.1.5"'))
    assert _uv("lock", "--check", "--offline", "--project", tmp_path).returncode != 0


def test_uv_is_the_version_its_requirements_file_pins_with_hashes() -> None:
    text = (ROOT / "tools" / "requirements-uv.txt").read_text()
    (pin,) = re.findall(r"^uv==(\S+)", text, re.MULTILINE)
    assert len(re.findall(r"--hash=sha256:[0-9a-f]{64}", text)) >= 2  # a wheel per platform
    assert _uv("--version").stdout.split()[:2] == ["uv", pin]


def test_the_pipeline_extra_is_installed_at_its_pins() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert "pipeline" in re.search(r"\[(.*)\]", extras["dev"][0]).group(1).split(",")  # type: ignore[union-attr]
    for requirement in extras["pipeline"]:
        name, version = requirement.split("==")
        assert importlib.metadata.version(name) == version
