"""report: every version of every environment with approval, card, lifecycle, chain, last audit;
table, JSON and one self-contained HTML page."""

from __future__ import annotations

import json
import re

from scripts.governance import promote as promote_job
from scripts.governance import report, review

from .conftest import make_promotable


def _promoted(platform):
    make_promotable(platform, "dev", "1")
    promote_job.promote(platform, "staging", "1")
    make_promotable(platform, "staging", "1")
    promote_job.promote(platform, "prod", "1")
    review.set_stage_status(platform, "prod", "1", "Deployed", "go live")


def test_collect_rows_and_chain(seeded, platform, cloud):
    _promoted(platform)
    data = report.collect(platform)
    assert data["environments"] == ["dev", "staging", "prod"]
    rows = {(r["env"], r["version"]): r for r in data["versions"]}
    assert set(rows) == {("dev", 1), ("dev", 2), ("dev", 3), ("staging", 1), ("prod", 1)}
    assert rows[("dev", 1)]["approval"] == "Approved" and rows[("dev", 1)]["card"] == "Approved"
    assert rows[("dev", 1)]["went_to"] == "staging v1"
    assert rows[("dev", 2)]["card"] == "Draft" and rows[("dev", 2)]["went_to"] is None
    assert rows[("staging", 1)]["came_from"] == "dev v1" and rows[("staging", 1)]["went_to"] == "prod v1"
    prod = rows[("prod", 1)]
    assert (prod["stage"], prod["stage_status"], prod["approval"], prod["card"]) == (
        "Production",
        "Deployed",
        "PendingManualApproval",
        "PendingReview",
    )
    assert prod["last_audit"]["action"] == "stage-status"
    assert rows[("dev", 2)]["last_audit"]["action"] == "register"
    assert data["chains"] == [["dev v1", "staging v1", "prod v1"]]


def test_cli_table_json_html(seeded, platform, cloud, tmp_path, capsys):
    _promoted(platform)
    assert report.main([]) == 0
    text = capsys.readouterr().out
    assert "dev v1 -> staging v1 -> prod v1" in text
    assert re.search(
        r"prod\s+credit-risk\s+1\s+PendingManualApproval\s+PendingReview\s+Production\s+Deployed", text
    )
    assert report.main(["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["versions"]) == 5
    page = tmp_path / "r.html"
    assert report.main(["--html", str(page)]) == 0
    doc = page.read_text()
    assert doc.startswith("<!DOCTYPE html>") and "<svg" in doc
    assert doc.count('class="edge"') == 2 and doc.count('class="node"') == 5
    assert "<li>dev v1 -&gt; staging v1 -&gt; prod v1</li>" in doc
    # Self-contained: nothing loaded from elsewhere.
    assert not re.search(r"(src|href)=\"(https?:)?//", doc) and "<script" not in doc


def test_chains_among_the_environments_reported(seeded, platform, cloud):
    """A report of staging and prod alone still joins staging v1 -> prod v1, and says where
    staging's version came from."""
    _promoted(platform)
    data = report.collect(platform, envs=["prod", "staging"])
    assert data["environments"] == ["staging", "prod"]
    assert data["chains"] == [["staging v1", "prod v1"]]
    rows = {(r["env"], r["version"]): r for r in data["versions"]}
    assert set(rows) == {("staging", 1), ("prod", 1)}
    assert rows[("staging", 1)]["came_from"] == "dev v1"
    assert "staging v1 -> prod v1" in report.render_table(data)


def test_one_environment_only(seeded, platform, cloud):
    data = report.collect(platform, envs=["dev"])
    assert {r["env"] for r in data["versions"]} == {"dev"}


def test_html_escapes_what_it_shows():
    """Values come from AWS and from people (stage statuses, ARNs): the page escapes them."""
    row = {
        "env": "dev",
        "use_case": "<b>uc</b>",
        "version": 1,
        "arn": "arn:x/1",
        "approval": "Approved",
        "card": "Draft",
        "stage": "<script>alert(1)</script>",
        "stage_status": "x&y",
        "came_from": None,
        "went_to": None,
        "source_arn": None,
        "last_audit_text": None,
    }
    doc = report.render_html({"environments": ["dev"], "versions": [row], "chains": []})
    assert "<script" not in doc and "<b>" not in doc
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in doc and "x&amp;y" in doc
    assert "<li>none</li>" in doc


def test_unknown_environment_exit_2(cloud, capsys):
    assert report.main(["--env", "qa"]) == 2
    assert "unknown environment 'qa'" in capsys.readouterr().err


def test_paginates_past_one_page(cloud, platform):
    """More versions than one ListModelPackages page (100) are all reported."""
    sm = cloud.client("staging", "sagemaker")
    for _ in range(130):
        sm.create_model_package(
            ModelPackageGroupName="mlgov-credit-risk", ModelApprovalStatus="PendingManualApproval"
        )
    data = report.collect(platform, envs=["staging"])
    assert len(data["versions"]) == 130
    assert [r["version"] for r in data["versions"]] == list(range(1, 131))
