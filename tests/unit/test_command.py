"""The command edge (scripts/command.py): every entry point, given a bad argument, an AWS error
from inside, or Ctrl-C, exits with the kit's code and says so in one line, never a traceback.

Each entry point runs as a user runs it (``mlgov <command> ...``, or ``python -m
scripts.deploy.ci``); the AWS error is a botocore ``ClientError`` raised by the first function
the command calls after parsing its arguments (nothing reaches AWS)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from environments import ConfigError
from scripts import cli, command
from scripts.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, KitError, UsageError


def _ci(argv: list[str]) -> int:
    from scripts.deploy import ci

    return ci.main(argv)


def _mlgov(name: str) -> Callable[[list[str]], int]:
    return lambda argv: cli.main([*name.split()[1:], *argv])


#: (what a user types, how it runs, a valid command line, the function it calls first after parsing)
ENTRIES: list[tuple[str, Callable[[list[str]], int], list[str], str]] = [
    ("mlgov seed", _mlgov("mlgov seed"), ["--env", "dev"], "scripts.governance.seed.seed"),
    (
        "mlgov register",
        _mlgov("mlgov register"),
        [
            *("--env", "dev", "--use-case", "credit-risk", "--artifact", "m.tar.gz"),
            *("--image", "i", "--metrics", "e.json", "--card", "c.json"),
        ],
        "scripts.governance.register.job.load_submission",
    ),
    (
        "mlgov review",
        _mlgov("mlgov review"),
        ["--env", "dev", "--version", "1", "--status", "PendingReview", "--reason", "r"],
        "scripts.governance.review.set_card_status",
    ),
    (
        "mlgov approve",
        _mlgov("mlgov approve"),
        ["--env", "dev", "--version", "1", "--reason", "r"],
        "scripts.governance.review.set_approval",
    ),
    (
        "mlgov reject",
        _mlgov("mlgov reject"),
        ["--env", "dev", "--version", "1", "--reason", "r"],
        "scripts.governance.review.set_approval",
    ),
    (
        "mlgov stage",
        _mlgov("mlgov stage"),
        ["--env", "prod", "--version", "1", "--status", "Deployed", "--reason", "r"],
        "scripts.governance.review.set_stage_status",
    ),
    (
        "mlgov promote",
        _mlgov("mlgov promote"),
        ["--env", "staging", "--version", "1"],
        "scripts.governance.promote.job.promote",
    ),
    ("mlgov report", _mlgov("mlgov report"), [], "scripts.governance.report.job.collect"),
    (
        "mlgov lineage",
        _mlgov("mlgov lineage"),
        ["--env", "prod", "--version", "1"],
        "scripts.governance.lineage.lineage_of",
    ),
    ("mlgov deploy", _mlgov("mlgov deploy"), ["plan"], "scripts.deploy.cli.select_environments"),
    (
        "mlgov deploy bootstrap",
        _mlgov("mlgov deploy bootstrap"),
        [],
        "scripts.deploy.bootstrap.select_bootstrap_environments",
    ),
    (
        "mlgov deploy principals",
        _mlgov("mlgov deploy principals"),
        ["--target", "aws"],
        "scripts.deploy.principals.find_orphans",
    ),
    ("python -m scripts.deploy.ci", _ci, ["matrix"], "scripts.deploy.ci.matrix"),
    ("mlgov cloud", _mlgov("mlgov cloud"), ["status"], "scripts.localcloud.__main__.LocalCloud"),
    ("mlgov demo", _mlgov("mlgov demo"), [], "scripts.demo.load_platform"),
    ("mlgov bench", _mlgov("mlgov bench"), ["--only", "synth"], "scripts.bench.core.run"),
]
IDS = [e[0] for e in ENTRIES]


def _raising(error: BaseException) -> Callable[..., Any]:
    def fail(*_: Any, **__: Any) -> Any:
        raise error

    return fail


def _inject(monkeypatch: pytest.MonkeyPatch, target: str, error: BaseException) -> None:
    module, _, name = target.rpartition(".")
    monkeypatch.setattr(f"{module}.{name}", _raising(error))


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.fixture(autouse=True)
def _no_logging_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    # The edge sets up logging on stderr; pytest's capture owns the handlers here.
    monkeypatch.setattr(logging, "basicConfig", lambda **_: None)


@pytest.mark.parametrize(("typed", "run", "argv", "first"), ENTRIES, ids=IDS)
def test_a_bad_argument_exits_2_with_usage_and_one_error_line(
    typed: str,
    run: Callable[[list[str]], int],
    argv: list[str],
    first: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run([*argv, "--no-such-option"]) == EXIT_USAGE
    err = capsys.readouterr().err
    lines = _lines(err)
    assert lines[0].startswith(f"usage: {typed}"), err
    assert lines[-1] == f"{typed}: error: unrecognized arguments: --no-such-option", err
    assert "Traceback" not in err


@pytest.mark.parametrize(("typed", "run", "argv", "first"), ENTRIES, ids=IDS)
def test_an_aws_error_from_inside_is_one_line_and_exit_1(
    typed: str,
    run: Callable[[list[str]], int],
    argv: list[str],
    first: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "injected"}}, "GetParameters")
    _inject(monkeypatch, first, denied)
    assert run(argv) == EXIT_FAILED
    captured = capsys.readouterr()
    assert _lines(captured.err) == [
        "error: GetParameters was denied: injected. Run the job with the role allowed to do this, or "
        "check that role's policy and the resource policy of the target."
    ]
    assert captured.out == ""


@pytest.mark.parametrize(("typed", "run", "argv", "first"), ENTRIES, ids=IDS)
def test_ctrl_c_is_one_line_and_exit_130(
    typed: str,
    run: Callable[[list[str]], int],
    argv: list[str],
    first: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _inject(monkeypatch, first, KeyboardInterrupt())
    assert run(argv) == EXIT_INTERRUPTED
    assert _lines(capsys.readouterr().err) == [f"interrupted: {typed}; rerun to resume"]


@pytest.mark.parametrize(("typed", "run", "argv", "first"), ENTRIES, ids=IDS)
def test_a_bad_configuration_is_a_usage_error(
    typed: str,
    run: Callable[[list[str]], int],
    argv: list[str],
    first: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """environments.ConfigError becomes exit 2 in one place, the edge."""
    _inject(monkeypatch, first, ConfigError("environments/qa.yaml: network.cidr: expected a block"))
    assert run(argv) == EXIT_USAGE
    assert _lines(capsys.readouterr().err) == ["error: environments/qa.yaml: network.cidr: expected a block"]


def test_an_unknown_environment_is_exit_2_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    """Not injected: the real lookup (a ConfigError from the configuration) through the edge."""
    assert cli.main(["approve", "--env", "qa", "--version", "1", "--reason", "r"]) == EXIT_USAGE
    [line] = _lines(capsys.readouterr().err)
    assert re.fullmatch(r"error: unknown environment 'qa': known environments are dev, prod, staging.*", line)


# -- the edge on its own --------------------------------------------------------------------------
def test_a_result_is_printed_as_text_or_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert command.run(lambda: {"b": 1, "a": [2]}, name="mlgov x", render=lambda r: f"b={r['b']}") == EXIT_OK
    assert capsys.readouterr().out == "b=1\n"
    assert command.run(lambda: {"b": 1, "a": (2,)}, name="mlgov x", as_json=True, render=str) == EXIT_OK
    assert json.loads(capsys.readouterr().out) == {"a": [2], "b": 1}


def test_a_kit_error_is_its_exit_code_and_json_on_stdout_with_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert command.run(_raising(UsageError("bad --version")), name="mlgov x", as_json=True) == EXIT_USAGE
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"error": "UsageError", "message": "bad --version"}
    assert captured.err == "error: bad --version\n"


def test_a_refusal_lists_its_gates_under_the_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    from scripts.governance.errors import GateFailure, RefusedError

    refusal = RefusedError("refused", [GateFailure("approval", "not approved", "Pending", "Approved")])
    assert command.run(_raising(refusal), name="mlgov promote", as_json=True) == EXIT_FAILED
    captured = capsys.readouterr()
    assert captured.err == "error: refused\n  - approval: not approved\n"
    assert json.loads(captured.out)["failures"] == [
        {"gate": "approval", "reason": "not approved", "value": "Pending", "limit": "Approved"}
    ]


def test_an_outcome_carries_its_code_and_its_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert command.run(lambda: command.Outcome({"drift": True}, EXIT_FAILED), name="x", as_json=True) == 1
    assert json.loads(capsys.readouterr().out) == {"drift": True}
    failed = command.Outcome({"ok": False}, error=KitError("apply failed in 'dev'"))
    assert command.run(lambda: failed, name="x", render=lambda _: None) == EXIT_FAILED
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "error: apply failed in 'dev'\n")


def test_no_connection_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    down = EndpointConnectionError(endpoint_url="http://127.0.0.1:1/")
    assert command.run(_raising(down), name="x") == EXIT_FAILED
    assert _lines(capsys.readouterr().err) == [
        'error: Could not connect to the endpoint URL: "http://127.0.0.1:1/"'
    ]


def test_a_bug_keeps_its_traceback() -> None:
    with pytest.raises(ZeroDivisionError):
        command.run(lambda: 1 / 0, name="x")


def test_an_expected_failure_is_one_line_with_its_type(capsys: pytest.CaptureFixture[str]) -> None:
    assert command.run(_raising(AssertionError("v1 not refused")), name="x", expected=(AssertionError,)) == 1
    assert capsys.readouterr().err == "error: AssertionError: v1 not refused\n"


# -- --help names the command as typed ------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_help_starts_with_usage_mlgov_command(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([name, "--help"]) == EXIT_OK
    assert capsys.readouterr().out.startswith(f"usage: mlgov {name}")


@pytest.mark.parametrize("sub", ["bootstrap", "principals"])
def test_help_of_deploy_subcommands_names_them(sub: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["deploy", sub, "--help"]) == EXIT_OK
    assert capsys.readouterr().out.startswith(f"usage: mlgov deploy {sub}")
