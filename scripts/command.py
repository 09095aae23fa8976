"""The command edge: how every entry point turns its work into output and an exit code.

As pip's base command does for pip's commands, :func:`main` is the one place where a command's
arguments are parsed, logging is set up, the work runs, and its result or its failure is printed
and becomes the exit code. Every entry point's ``main(argv)`` hands it its parser and its work:
the governance jobs (their common options: :func:`scripts.governance.output.common_parser`), the
deploy runner and its ``bootstrap``, ``principals`` and ``ci`` command lines, the local cloud's
command line, the demo and the benchmarks; ``mlgov`` (:mod:`scripts.cli`) dispatches to them.

What happened, what is printed, the exit code:

- done: the result on stdout, its text (``render``) or JSON with ``--json``; 0, or the code an
  :class:`Outcome` carries (drift found: 1);
- a bad argument: argparse's usage line and ``<prog>: error: ...`` on stderr; 2;
- :class:`environments.ConfigError` (a bad configuration file, an unknown environment):
  ``error: <file>: <field>: <expected>``; 2. Here only: nothing else converts it;
- :class:`scripts.errors.KitError`: ``error: <message>`` (a refusal adds one line per failed
  gate), and with ``--json`` also ``{"error", "message", ...}`` on stdout; its code (1; 2 for a
  :class:`scripts.errors.UsageError`);
- a botocore ``ClientError`` no job has typed: the kit's AWS error
  (:func:`scripts.aws.describe_client_error`), ``error: <Operation> failed: <Code>: ...``; 1;
- no endpoint, no credentials, no region: ``error: <what botocore says>``; 1;
- Ctrl-C: ``interrupted: <command>; rerun to resume`` (every job is idempotent); 130;
- anything else: the traceback, a bug to report; 1.

Errors go to stderr as one line, so stdout carries only the result.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from botocore.exceptions import ClientError, HTTPClientError, NoCredentialsError, NoRegionError
from botocore.exceptions import ConnectionError as AwsConnectionError

from environments import ConfigError
from scripts.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, KitError

#: botocore errors that are the environment's, not a bug: no endpoint, no credentials, no region.
AWS_UNREACHABLE = (AwsConnectionError, HTTPClientError, NoCredentialsError, NoRegionError)

Render = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class Outcome:
    """What a command's work returns when the exit code is not simply 0, or when a failure comes
    with a result to show (the deploy runner's summary of the steps that did run)."""

    result: Any = None
    code: int = EXIT_OK
    error: KitError | None = None
    """Printed as the error line; the exit code is then its code."""


# -- output ------------------------------------------------------------------------------------
def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    return str(value)


def dumps(data: Any) -> str:
    """JSON as every command prints it: indented, keys sorted, dates ISO 8601, records by their
    ``to_dict()``."""
    return json.dumps(data, indent=2, sort_keys=True, default=_json_default)


def emit(data: Any, *, as_json: bool, text: str | None = None, stream: IO[str] | None = None) -> None:
    """Print a result: JSON when asked, otherwise the human text (or the JSON if none)."""
    out = stream or sys.stdout
    print(dumps(data) if as_json or text is None else text, file=out)


def setup_logging(verbose: bool = False, level: int = logging.INFO) -> None:
    """Log lines on stderr at ``level`` (DEBUG with ``verbose``); the libraries' chatter off."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else level,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # botocore is chatty at DEBUG; the jobs' own progress is what a person wants to see.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    # The evaluation libraries log every column's type and every explained row's SHAP values at
    # INFO; the reports they produce are what matters.
    logging.getLogger("shap").setLevel(logging.WARNING)
    logging.getLogger("smclarify").setLevel(logging.WARNING)


def _error(err: KitError, *, as_json: bool) -> int:
    if as_json:
        print(dumps(err.to_dict()))
    print(f"error: {err}", file=sys.stderr)
    for line in err.details():
        print(f"  - {line}", file=sys.stderr)
    return err.exit_code


# -- the edge ----------------------------------------------------------------------------------
def run(
    work: Callable[[], Any],
    *,
    name: str,
    as_json: bool = False,
    render: Render | None = None,
    expected: tuple[type[BaseException], ...] = (),
) -> int:
    """Run ``work()``, print its result, and return the exit code (see the module's table).

    ``name`` is the command as a user types it (``mlgov promote``), said when it is interrupted.
    ``render`` turns the result into the text printed without ``--json`` (None: print nothing;
    no ``render``: the JSON). ``expected`` are further exceptions a command reports as one line
    ``error: <type>: <message>`` with exit 1 instead of a traceback (the demo's failed checks).
    A result of None prints nothing."""
    try:
        outcome = work()
    except KitError as err:
        return _error(err, as_json=as_json)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except ClientError as err:
        from scripts.aws import describe_client_error  # boto3 is imported by the work, not here

        return _error(describe_client_error(err), as_json=as_json)
    except AWS_UNREACHABLE as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"\ninterrupted: {name}; rerun to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    except expected as err:
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return EXIT_FAILED
    if not isinstance(outcome, Outcome):
        outcome = Outcome(outcome)
    code = outcome.code
    if outcome.error is not None:
        print(f"error: {outcome.error}", file=sys.stderr)
        code = outcome.error.exit_code
    if outcome.result is not None:
        text = render(outcome.result) if render is not None and not as_json else None
        if as_json or render is None or text is not None:
            emit(outcome.result, as_json=as_json, text=text)
    return code


def main(
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None,
    work: Callable[[argparse.Namespace], Any],
    *,
    render: Render | None = None,
    log_level: int = logging.INFO,
    expected: tuple[type[BaseException], ...] = (),
) -> int:
    """Parse ``argv`` with ``parser`` (``--help``: exit 0; a bad argument: argparse's usage and
    ``<prog>: error: ...``, exit 2), set
    up logging (``--verbose``: DEBUG), then :func:`run` ``work(args)`` with ``--json`` read from
    the arguments. The command's name is ``args.prog`` when a subcommand sets one
    (``set_defaults(prog=...)``), else the parser's ``prog``."""
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help (0), or a bad argument (2) argparse has reported
        return exit_.code if isinstance(exit_.code, int) else EXIT_OK if exit_.code is None else EXIT_USAGE
    setup_logging(bool(getattr(args, "verbose", False)), log_level)
    return run(
        lambda: work(args),
        name=str(getattr(args, "prog", None) or parser.prog),
        as_json=bool(getattr(args, "json", False)),
        render=render,
        expected=expected,
    )
