"""Every in-repo link of the guides resolves: relative file links to a file or folder that exists,
and ``#anchors`` to a heading of the page they point into, with GitHub's anchor rules.

GitHub gives each Markdown heading the id of its rendered text lowercased, with every character
removed that is not a letter, a digit, a combining mark, ``-``, ``_`` or a space, and each space
made a ``-``; a repeated heading gets ``-1``, ``-2``, ... (github-slugger, the library GitHub's
renderer is emulated by). Links and headings inside fenced code blocks and inline code are text,
not Markdown, and are skipped.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = sorted(
    {
        REPO / "README.md",
        *(REPO / "docs").glob("*.md"),
        *(p for p in (REPO / "scripts").rglob("README.md") if "node_modules" not in p.parts),
    }
)
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")
#: ``[text](target)`` and ``![alt](target)``, with an optional "title" after the target.
_LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML_ID = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"")


def _prose(lines: list[str]) -> list[tuple[int, str]]:
    """The lines outside fenced code blocks, numbered from 1, with inline code blanked out
    (its text kept for headings by :func:`_heading_text`)."""
    out: list[tuple[int, str]] = []
    fence: str | None = None
    for number, line in enumerate(lines, 1):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        out.append((number, line))
    return out


def _heading_text(markdown: str) -> str:
    """A heading's rendered text: links become their text, code its content, emphasis goes."""
    text = _LINK.sub(lambda m: m.group(1), markdown)
    parts = re.split(r"(`+.+?`+)", text)
    plain = []
    for part in parts:
        code = _INLINE_CODE.fullmatch(part)
        plain.append(code.group(2) if code else re.sub(r"(\*{1,3}|(?<!\w)_{1,3}|_{1,3}(?!\w))", "", part))
    return "".join(plain)


def slug(text: str) -> str:
    """GitHub's anchor for a heading's rendered text (without the -1, -2 of repeats)."""
    kept = (
        ch
        for ch in text.lower()
        if ch in "-_ " or unicodedata.category(ch)[0] in "LM" or unicodedata.category(ch) in ("Nd", "Nl")
    )
    return "".join(kept).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every ``#anchor`` a link into ``page`` may use."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for _, line in _prose(page.read_text(encoding="utf-8").splitlines()):
        found.update(_HTML_ID.findall(line))
        heading = _HEADING.match(line)
        if not heading:
            continue
        base = slug(_heading_text(heading.group(2)))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> list[tuple[int, str]]:
    """``(line, target)`` of every link on ``page`` outside code."""
    out = []
    for number, line in _prose(page.read_text(encoding="utf-8").splitlines()):
        for match in _LINK.finditer(_INLINE_CODE.sub("", line)):
            out.append((number, match.group(2)))
    return out


def broken(page: Path, root: Path = REPO) -> list[str]:
    """What is wrong with each in-repo link of ``page`` (external links are not checked); paths
    are shown relative to ``root``."""
    problems = []
    for number, target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto:, ...
            continue
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / unquote(path_part)).resolve() if path_part else page
        shown = dest.relative_to(root) if dest.is_relative_to(root) else dest
        where = f"{page.relative_to(root)}:{number}: {target}"
        if not dest.exists():
            problems.append(f"{where}: no file {shown}")
        elif anchor and dest.suffix == ".md" and unquote(anchor) not in anchors(dest):
            problems.append(f"{where}: no heading with the anchor #{anchor} in {shown}")
    return problems


def test_the_pages_checked_are_the_guides():
    names = {str(p.relative_to(REPO)) for p in PAGES}
    assert {"README.md", "docs/OPERATOR_GUIDE.md", "docs/deploy-runner.md"} <= names
    assert "scripts/localcloud/moto_ext/README.md" in names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_in_repo_link_resolves(page: Path):
    assert broken(page) == []


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Fill in environments/*.yaml", "fill-in-environmentsyaml"),
        ("CI/CD (GitHub Actions)", "cicd-github-actions"),
        ("Order: every environment at once", "order-every-environment-at-once"),
        ("Bootstrap (once per account)", "bootstrap-once-per-account"),
        (
            "SageMaker Studio execution role (`modules/iam.py`, x)",
            "sagemaker-studio-execution-role-modulesiampy-x",
        ),
        ("Known behaviours (not bugs of the kit)", "known-behaviours-not-bugs-of-the-kit"),
        ("dev -> staging", "dev---staging"),
        ("Über [link](x.md) **bold** snake_case", "über-link-bold-snake_case"),
    ],
)
def test_anchors_follow_github_s_rules(heading: str, anchor: str):
    assert slug(_heading_text(heading)) == anchor


def test_a_dead_anchor_a_missing_file_and_a_repeated_heading_are_told_apart(tmp_path):
    (tmp_path / "docs").mkdir()
    guide = tmp_path / "docs" / "GUIDE.md"
    guide.write_text("# Guide\n## Steps\n## Steps\n```\n## Not a heading\n[in code](#nowhere)\n```\n")
    page = tmp_path / "README.md"
    page.write_text(
        "[ok](docs/GUIDE.md#steps) [repeat](docs/GUIDE.md#steps-1) [top](#readme)\n"
        "[dead](docs/GUIDE.md#add-an-environment) [gone](docs/MISSING.md) `[code](#x)`\n"
        "[coded](docs/GUIDE.md#not-a-heading) [web](https://example.com/#x)\n# README\n"
    )
    assert broken(guide, tmp_path) == []
    assert broken(page, tmp_path) == [
        "README.md:2: docs/GUIDE.md#add-an-environment: no heading with the anchor "
        "#add-an-environment in docs/GUIDE.md",
        "README.md:2: docs/MISSING.md: no file docs/MISSING.md",
        "README.md:3: docs/GUIDE.md#not-a-heading: no heading with the anchor #not-a-heading in docs/GUIDE.md",
    ]
