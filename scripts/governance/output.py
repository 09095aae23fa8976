"""What every job shares at its edges: options, logging, printing a result, and exit codes.

:func:`run_job` is the one place a job's result or error becomes output and an exit code
(0 done, 1 refused or failed, 2 bad usage or input; see :mod:`scripts.errors`).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import IO, Any

from botocore.exceptions import ClientError

from .errors import EXIT_OK, KitError, RefusedError, describe_client_error


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, default=_json_default)


def emit(data: Any, *, as_json: bool, text: str | None = None, stream: IO[str] | None = None) -> None:
    """Print a result: JSON when asked, otherwise the human text (or the JSON if none)."""
    out = stream or sys.stdout
    print(dumps(data) if as_json or text is None else text, file=out)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A plain-text table with aligned columns."""
    cells = [["-" if r.get(c) is None else str(r[c]) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    line = "  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))
    out = [line.rstrip(), "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(out)


def setup_logging(verbose: bool = False) -> None:
    level = logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    # botocore is chatty at DEBUG; the jobs' own progress is what a person wants to see.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    # The evaluation libraries log every column's type and every explained row's SHAP values at
    # INFO; the reports they produce are what matters.
    logging.getLogger("shap").setLevel(logging.WARNING)
    logging.getLogger("smclarify").setLevel(logging.WARNING)


def common_parser(
    description: str, *, writes: bool = True, env_required: bool = True
) -> argparse.ArgumentParser:
    """Options every job shares: --env, --config-dir, --json, --verbose and --dry-run."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--env",
        required=env_required,
        help="environment name (a file in environments/, e.g. dev, staging, prod)",
    )
    p.add_argument(
        "--config-dir",
        default=None,
        help="directory of environment YAML files (default: the kit's environments/)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--verbose", action="store_true", help="debug logging on stderr")
    if writes:
        p.add_argument(
            "--dry-run",
            action="store_true",
            help="show what would change and change nothing (read calls still run)",
        )
    return p


def run_job(
    fn: Callable[[argparse.Namespace], Any],
    args: argparse.Namespace,
    render: Callable[[Any], str] | None = None,
) -> int:
    """Run a job's function, print its result, map errors to exit codes (0/1/2)."""
    setup_logging(getattr(args, "verbose", False))
    as_json = getattr(args, "json", False)
    try:
        result = fn(args)
    except KitError as err:
        if as_json:
            print(dumps(err.to_dict()))
        print(f"error: {err}", file=sys.stderr)
        if isinstance(err, RefusedError):
            for f in err.failures:
                print(f"  - {f['gate']}: {f['reason']}", file=sys.stderr)
        return err.exit_code
    except ClientError as err:
        typed = describe_client_error(err)
        if as_json:
            print(dumps(typed.to_dict()))
        print(f"error: {typed}", file=sys.stderr)
        return typed.exit_code
    emit(result, as_json=as_json, text=render(result) if render else None)
    return EXIT_OK
