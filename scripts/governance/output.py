"""What every job shares at its edges: its common options and the plain-text table.

A job's ``main(argv)`` hands its parser and its work to :func:`scripts.command.main`, the one
place where a result or an error becomes output and an exit code (0 done, 1 refused or failed,
2 bad usage or input, 130 interrupted; see :mod:`scripts.command`).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from typing import Any


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A plain-text table with aligned columns."""
    cells = [["-" if r.get(c) is None else str(r[c]) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    line = "  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))
    out = [line.rstrip(), "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(out)


#: Names the folder of environment files when --config-dir does not (``mlgov deploy`` reads it too).
CONFIG_DIR_VAR = "MLGOV_ENVIRONMENTS_DIR"


def common_parser(
    description: str, *, prog: str | None = None, writes: bool = True, env_required: bool = True
) -> argparse.ArgumentParser:
    """Options every job shares: --env, --config-dir, --json, --verbose and --dry-run. ``prog``
    is the command as a user types it (``mlgov promote``)."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument(
        "--env",
        required=env_required,
        help="environment name (a file in environments/, e.g. dev, staging, prod)",
    )
    p.add_argument(
        "--config-dir",
        default=os.environ.get(CONFIG_DIR_VAR) or None,
        help=f"directory of environment YAML files (default: ${CONFIG_DIR_VAR}, as for `mlgov deploy`, "
        "else the kit's environments/)",
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
