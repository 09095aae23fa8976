"""The import picture of the product code (``scripts/``, ``environments/``, ``modules/``), read
from the source with ``ast``: no cycle, and the boundaries docs/ARCHITECTURE.md states.

Every import counts, the ones inside functions too (a lazy import is still a dependency, and two
modules that lazily import each other are the cycle the deploy runner once had between
``deploy/cli.py`` and ``deploy/bootstrap.py``); only ``if TYPE_CHECKING:`` imports are left out.
An edge goes to the module named (``from .promote.copy import head``: ``...promote.copy``), not
to the packages above it.

Also: the modules ``mlgov report``, ``promote``, ``approve`` and ``--help`` load import none of the
training and evaluation libraries (scikit-learn, SHAP, pandas, smclarify, numpy) nor the SageMaker
SDK that pulls pandas in (checked in a fresh interpreter)."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ROOTS = ("scripts", "environments", "modules")
#: The local cloud's own code, and the product modules that are its entry points (they start it).
LOCALCLOUD = "scripts.localcloud"
LOCALCLOUD_ENTRIES = frozenset(
    {
        "scripts.deploy.runner",
        "scripts.demo",
        "scripts.bench.core",
        "scripts.bench.governance",
        "scripts.bench.serving",
        "scripts.bench.usecases",
    }
)


def _modules() -> dict[str, Path]:
    out = {}
    for root in ROOTS:
        for path in sorted((REPO / root).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            yield from (n for child in node.orelse for n in _imports_in(child))
            continue
        yield from _imports_in(node)


def _imports_in(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node
        return
    if isinstance(node, ast.If) and _is_type_checking(node):
        yield from (n for child in node.orelse for n in _imports_in(child))
        return
    for child in ast.iter_child_nodes(node):
        yield from _imports_in(child)


def imports_of(name: str) -> set[str]:
    """Every module ``name`` imports (absolute names; third-party ones included)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _imports(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        if node.level:
            base = package.split(".")
            base = base[: len(base) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        for alias in node.names:
            sub = f"{target}.{alias.name}"
            found.add(sub if sub in MODULES else target)
    return found


GRAPH = {name: {m for m in imports_of(name) if m in MODULES} for name in MODULES}


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(GRAPH):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_graph_is_read() -> None:
    """The reader sees what it must see (so that the checks below cannot pass on an empty graph)."""
    assert "scripts.governance.promote.copy" in GRAPH["scripts.governance.register.registration"]
    assert "scripts.aws" in GRAPH["scripts.governance.context"]
    assert "scripts.deploy.runner" in GRAPH["scripts.deploy.bootstrap"]
    # lazy and relative imports both count
    assert "scripts.deploy.bootstrap" in GRAPH["scripts.deploy.cli"]
    assert "scripts.localcloud" in GRAPH["scripts.deploy.runner"]


def test_no_import_cycle() -> None:
    assert _cycle() is None, " -> ".join(_cycle() or [])


def test_a_planted_cycle_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check works: the runner importing the deploy command line back is a cycle."""
    monkeypatch.setitem(
        GRAPH, "scripts.deploy.runner", GRAPH["scripts.deploy.runner"] | {"scripts.deploy.cli"}
    )
    assert _cycle() is not None


def test_modules_never_import_scripts_and_scripts_never_import_modules_or_cdktf() -> None:
    for name in MODULES:
        used = imports_of(name)
        if name.startswith("modules"):
            assert not {m for m in used if m.split(".")[0] == "scripts"}, name
        if name.startswith("scripts"):
            assert not {
                m for m in used if m.split(".")[0] in ("modules", "cdktf", "cdktf_cdktf_provider_aws")
            }, name
        if name.startswith("environments"):
            assert not {m for m in used if m.split(".")[0] in ("scripts", "modules", "cdktf")}, name


def test_only_the_local_cloud_entries_import_the_local_cloud() -> None:
    reaching = {
        name
        for name in MODULES
        if not name.startswith(LOCALCLOUD) and any(m.startswith(LOCALCLOUD) for m in imports_of(name))
    }
    assert reaching == LOCALCLOUD_ENTRIES


HEAVY = ("sklearn", "shap", "pandas", "smclarify", "numpy", "scipy", "sagemaker")


@pytest.mark.parametrize(
    "modules",
    [
        ["scripts.cli"],
        ["scripts.governance.report"],
        ["scripts.governance.promote"],
        ["scripts.governance.review"],
        ["scripts.governance.lineage"],
    ],
    ids=lambda m: m[0],
)
def test_read_only_commands_do_not_load_the_heavy_libraries(modules: list[str]) -> None:
    """``mlgov --help``, ``report``, ``promote`` (until a promotion parses a card) and ``approve``
    load none of them: they cost seconds of start-up (docs/ARCHITECTURE.md, start-up figures)."""
    code = (
        f"import sys; import {', '.join(modules)}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    )
    assert proc.stdout.strip() == "", f"{modules[0]} imports {proc.stdout.strip()}"


def test_the_heavy_check_sees_a_heavy_import() -> None:
    """The check above can fail: the register job does load the card shapes (and pandas)."""
    code = (
        f"import sys, scripts.governance.register; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    )
    assert "sagemaker" in proc.stdout and "pandas" in proc.stdout
