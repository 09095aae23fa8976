"""docs/BRING_YOUR_OWN_MODEL.md, run as written: every shell block marked ``<!-- test: run -->`` is
pasted, in order, into one bash on a local cloud whose accounts hold the example's use case (as
the page's prerequisite, adding it to the environment files and deploying, leaves them). The page's
``mlgov register`` line carries every option the command requires, as does GOVERNANCE.md's; its
Clarify snippet calls only what the installed SDK defines."""

from __future__ import annotations

import ast
import inspect
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.governance.register import build_parser

from .fixtures import team_model
from .served import REPO, Served, served_cloud, shell

DOC = REPO / "docs" / "BRING_YOUR_OWN_MODEL.md"
MARK = "<!-- test: run -->"
USE_CASE = "disease-progression"


def marked_blocks(text: str) -> list[str]:
    """The shell blocks that follow a ``<!-- test: run -->`` line, in page order."""
    lines = text.splitlines()
    blocks = []
    for i, line in enumerate(lines):
        if line.strip() != MARK:
            continue
        fence = lines[i + 1].strip()
        assert fence in ("```bash", "```sh"), (
            f"line {i + 2}: a marked block must be a bash block, got {fence!r}"
        )
        end = lines.index("```", i + 2)
        blocks.append("\n".join(lines[i + 2 : end]))
    return blocks


def fenced(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.S | re.M)


def register_lines(text: str) -> list[str]:
    """Every ``mlgov register`` command of a page, continuation lines joined."""
    joined = text.replace("\\\n", " ")
    return [m.group(0) for m in re.finditer(r"mlgov register [^\n`]*", joined)]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("byom")
    platform = team_model.platform_with_use_case(root / "environments", USE_CASE)
    for running in served_cloud(root / "cloud", platform):
        # The page's prerequisite: the use case in the environment files the commands read.
        running.env["MLGOV_ENVIRONMENTS_DIR"] = str(root / "environments")
        yield running


def test_the_pages_commands_run_as_written(served: Served, tmp_path: Path) -> None:
    blocks = marked_blocks(DOC.read_text())
    assert len(blocks) >= 5, "the worked example's blocks are marked for this test"
    done = shell(served, "\n".join(blocks), cwd=tmp_path, timeout=900)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    out = done.stdout
    # The dry run looked ahead and found nothing staging or prod would refuse; then it registered,
    # was reviewed, approved and promoted into staging, where it carries the gates it passed.
    assert "  staging: would pass\n  prod: would pass" in out
    assert re.search(r"knn-progression-v1\s+1\s+created\s+arn:aws:sagemaker:us-east-1:111111111111:", out)
    assert (
        "promoted: arn:aws:sagemaker:us-east-1:111111111111:model-package/mlgov-disease-progression/1" in out
    )
    work = tmp_path / "byom"
    assert (
        json.loads((work / "metrics.json").read_text())["binary_classification_metrics"]["roc_auc"]["value"]
        > 0.78
    )
    staging = served.provisioned.client("staging", "sagemaker").describe_model_package(
        ModelPackageName="arn:aws:sagemaker:us-east-1:222222222222:model-package/mlgov-disease-progression/1"
    )
    meta = staging["CustomerMetadataProperties"]
    assert meta["mlgov-gates"] == "passed" and "metric:roc_auc=0.8236@min:0.78" in meta["mlgov-gate-results"]
    # What the page says the script prints is what it printed.
    assert (
        '"accuracy": 0.8018, "roc_auc": 0.8236' in out
        and "accuracy 0.8018, roc_auc 0.8236" in DOC.read_text()
    )


@pytest.mark.parametrize("page", ["BRING_YOUR_OWN_MODEL.md", "GOVERNANCE.md"])
def test_every_register_line_carries_the_required_options(page: str) -> None:
    required = [a.option_strings[0] for a in build_parser()._actions if a.required and a.option_strings]
    assert "--image" in required
    lines = register_lines((REPO / "docs" / page).read_text())
    assert lines, f"{page} shows no mlgov register line"
    for line in lines:
        missing = [o for o in required if o not in line.split()]
        assert not missing, f"{page}: `{line}` lacks {missing}"


def test_the_clarify_snippet_calls_what_the_sdk_defines() -> None:
    from sagemaker.core import clarify

    [snippet] = [b for b in fenced(DOC.read_text(), "python") if "clarify" in b]
    tree = ast.parse(snippet)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    checked = 0
    for call in calls:
        owner, name = call.func.value, call.func.attr
        if isinstance(owner, ast.Name) and owner.id == "clarify":
            target = getattr(clarify, name)
        elif isinstance(owner, ast.Name) and owner.id == "processor":
            target = getattr(clarify.SageMakerClarifyProcessor, name)
        else:
            continue
        params = inspect.signature(target).parameters
        unknown = [k.arg for k in call.keywords if k.arg not in params]
        assert not unknown, f"{name}() takes no {unknown}"
        checked += 1
    assert checked >= 8
