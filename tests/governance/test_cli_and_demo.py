"""mlgov console entry (dispatch, help true to the code) and the demo workflow on moto."""

from __future__ import annotations

import pytest

from scripts import cli, demo


def test_workflow_runs_the_whole_chain(cloud, platform):
    lines = []
    out = demo.run_workflow(platform, say=lines.append)
    assert out["chain"] == ["dev", "staging", "prod"]
    assert [p["created"] for p in out["promotions"]] == [True, True]
    assert {f["gate"] for f in out["refused"]["failures"]} == {"approval", "card_status"}
    rows = {(r["env"], r["version"]): r for r in out["report"]["versions"]}
    assert rows[("prod", 1)]["stage_status"] == "Deployed"
    assert rows[("prod", 1)]["approval"] == "Approved" and rows[("prod", 1)]["card"] == "Approved"
    assert out["report"]["chains"] == [["dev v1", "staging v1", "prod v1"]]
    assert any("REFUSED (as expected)" in line for line in lines)
    # Run again: nothing registered or promoted twice, still refused.
    again = demo.run_workflow(platform, say=lambda _: None)
    assert [p["created"] for p in again["promotions"]] == [False, False]
    assert len(again["report"]["versions"]) == 5


def test_cli_dispatches_to_each_job(cloud, capsys):
    assert cli.main(["seed", "--env", "dev", "--json"]) == 0
    assert (
        cli.main(["review", "--env", "dev", "--version", "1", "--status", "PendingReview", "--reason", "r"])
        == 0
    )
    assert (
        cli.main(["review", "--env", "dev", "--version", "1", "--status", "Approved", "--reason", "r"]) == 0
    )
    assert cli.main(["approve", "--env", "dev", "--version", "1", "--reason", "r"]) == 0
    assert cli.main(["promote", "--env", "staging", "--version", "1"]) == 0
    assert cli.main(["promote", "--env", "staging", "--version", "2"]) == 1
    assert cli.main(["reject", "--env", "dev", "--version", "2", "--reason", "r"]) == 0
    assert (
        cli.main(["stage", "--env", "staging", "--version", "1", "--status", "Deployed", "--reason", "r"])
        == 0
    )
    assert cli.main(["report"]) == 0
    assert "dev v1 -> staging v1" in capsys.readouterr().out


@pytest.mark.parametrize("command", list(cli.COMMANDS))
def test_help_of_every_command(command, capsys):
    assert cli.main([command, "--help"]) == 0
    assert "usage:" in capsys.readouterr().out


def test_help_lists_real_options(capsys):
    cli.main(["promote", "--help"])
    text = capsys.readouterr().out
    for option in ("--env", "--version", "--use-case", "--dry-run", "--json", "--lock-wait", "--config-dir"):
        assert option in text


def test_unknown_command_and_bad_usage(capsys):
    assert cli.main(["deploy-everything"]) == 2
    assert "unknown command 'deploy-everything'" in capsys.readouterr().err
    assert cli.main(["approve", "--env", "dev"]) == 2  # --version and --reason missing
    assert cli.main([]) == 2
