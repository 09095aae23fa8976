"""``mlgov``: one entry whose argparse subcommands hand the rest of the line to each module's
``main(argv)``; ``python -m <module>`` keeps working beside it. Nothing here deploys or starts
the emulator (tests/governance/test_cli_and_demo.py runs the jobs through mlgov on moto)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from scripts import cli

REPO = Path(__file__).resolve().parents[2]
#: Every command a user runs (ARCHITECTURE.md: jobs, deploy, cloud, bench, demo).
EXPECTED = {
    "register",
    "seed",
    "review",
    "approve",
    "reject",
    "stage",
    "promote",
    "lineage",
    "report",
    "demo",
    "pipeline",
}
EXPECTED |= {"deploy", "cloud", "bench", "data"}
EXPECTED |= {"serve", "invoke", "monitor", "batch"}


def test_help_lists_every_command_with_its_one_line_description(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    # argparse wraps long descriptions: compare with whitespace collapsed
    out = " ".join(capsys.readouterr().out.split())
    assert set(cli.COMMANDS) == EXPECTED
    for name, command in cli.COMMANDS.items():
        assert f" {name} {command.help}" in out, name


def test_the_console_script_is_this_main() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["mlgov"] == "scripts.cli:main"


@pytest.mark.parametrize(
    ("command", "options"),
    [
        (
            "deploy",
            ["{apply,plan,destroy,drift,refresh,synth}", "--env", "--config-dir", "--target", "--parallel"],
        ),
        ("cloud", ["{start,stop,status,env}", "--state-dir", "--json"]),
        ("bench", ["--only", "--out", "--json"]),
        (
            "serve",
            ["usage: mlgov serve", "--version", "--reason", "--undeploy", "--rollback-alarm", "--dry-run"],
        ),
        ("invoke", ["usage: mlgov invoke", "--csv", "--json-rows", "--accept"]),
        ("monitor", ["usage: mlgov monitor", "--env", "--timeout"]),
        (
            "batch",
            [
                "usage: mlgov batch",
                "--version",
                "--reason",
                "--input",
                "--csv",
                "--accept",
                "--download",
                "--dry-run",
            ],
        ),
        ("pipeline", ["upsert", "start", "status", "wait", "list"]),
    ],
)
def test_help_of_a_command_is_its_module_s_own(
    command: str, options: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage:")
    for option in options:
        assert option in out, option


def test_the_rest_of_the_line_reaches_the_command_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, list[str]]] = []

    def entry(command: cli.Command):
        def main(argv: list[str]) -> int:
            seen.append((command.module, argv))
            return 7

        return main

    monkeypatch.setattr(cli, "_entry", entry)
    tail = ["--env", "dev", "--version", "1", "--reason", "-- odd --reason", "--", "-x"]
    assert cli.main(["approve", *tail]) == 7, "the command's exit code is mlgov's"
    assert cli.main(["deploy", "plan", "-v", "--env", "dev"]) == 7
    assert seen == [
        ("scripts.governance.review", ["approve", *tail]),
        ("scripts.deploy", ["plan", "-v", "--env", "dev"]),
    ]


@pytest.mark.parametrize(
    "argv",
    [["deploy-everything"], ["deploy-everything", "--help"], ["--bogus", "deploy", "plan"], []],
    ids=["unknown", "unknown-help", "option-before-command", "nothing"],
)
def test_bad_usage_exits_2_with_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("usage: mlgov") and captured.out == ""
    if argv and argv[0] == "deploy-everything":
        assert "unknown command 'deploy-everything'" in captured.err


def test_a_usage_error_of_the_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["deploy", "deploy-everything"]) == 2
    assert "invalid choice: 'deploy-everything'" in capsys.readouterr().err


@pytest.mark.parametrize("json_flag", [[], ["--json"]], ids=["text", "json"])
def test_cloud_status_without_a_cloud_is_python_m_scripts_localcloud_status(
    json_flag: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A state folder of its own: the emulator another process may run in .localcloud/ is not ours.
    args = ["--state-dir", str(tmp_path / "no-cloud"), *json_flag, "status"]
    code = cli.main(["cloud", *args])
    out = capsys.readouterr().out
    module = subprocess.run(
        [sys.executable, "-m", "scripts.localcloud", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (code, out) == (module.returncode, module.stdout)
    assert code == 1, "status exits 1 when no emulator runs"


@pytest.mark.parametrize(
    "module", ["scripts.cli", "scripts.deploy", "scripts.localcloud", "scripts.bench", "scripts.demo"]
)
def test_python_m_entries_keep_working(module: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage:")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "--env", "prod", "--reason", "r"], "--version is required (or --undeploy)"),
        (
            ["serve", "--env", "prod", "--reason", "r", "--undeploy", "--version", "1"],
            "--undeploy takes no --version",
        ),
        (["serve", "--env", "nowhere", "--reason", "r", "--version", "1"], "nowhere"),
        (["invoke", "--env", "prod", "--csv", "/nonexistent/rows.csv"], "cannot read /nonexistent/rows.csv"),
    ],
)
def test_serving_usage_errors_exit_2_before_any_call(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No endpoint and no credentials: a call made would fail with exit 1, not 2.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err
