"""The report job: :func:`collect` (the rows, then the page's details when asked), the terminal
table and the command line (``mlgov report``)."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Sequence

import boto3

from environments import PlatformConfig, load_platform
from scripts import command

from ..output import CONFIG_DIR_VAR, table
from .chains import add_details
from .collection import DETAIL_WORKERS, Report, collect_reads
from .page import write_html

COLUMNS = (
    "env",
    "use_case",
    "version",
    "approval",
    "card",
    "stage",
    "stage_status",
    "came_from",
    "went_to",
    "catalog",
    "refused",
    "last_audit",
)


def collect(
    platform: PlatformConfig,
    *,
    role: str = "approver",
    envs: Sequence[str] | None = None,
    use_case: str | None = None,
    workers: int = DETAIL_WORKERS,
    source: boto3.Session | None = None,
    details: bool = False,
) -> Report:
    """Rows for every version in every environment (upstream first) and the chains they form.

    ``details`` adds, per version, its audit history (the records read) and its lineage chains:
    what the HTML page shows. Without it the calls grow with pages only."""
    started = time.perf_counter()
    collected = collect_reads(platform, role=role, envs=envs, use_case=use_case, source=source)
    report = add_details(collected, workers=workers, role=role) if details else collected.report
    return dataclasses.replace(report, seconds=round(time.perf_counter() - started, 3))


def render_table(report: Report) -> str:
    shown = [
        {**r.to_dict(), "last_audit": r.last_audit_text, "refused": r.refused_text, "catalog": r.catalog_text}
        for r in report.versions
    ]
    out = [table(shown, COLUMNS)]
    if report.chains:
        out.append("")
        out.append("promotion chains:")
        out += ["  " + " -> ".join(c) for c in report.chains]
    if report.html:
        out.append("")
        out.append(f"HTML report written to {report.html}")
    return "\n".join(out)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mlgov report",
        description="Report every model version in every environment: "
        "approval, card status, lifecycle, promotion chain, the DataZone catalog asset that lists it "
        "(as its card records it), last audit entry.",
    )
    p.add_argument(
        "--env",
        action="append",
        default=None,
        help="only this environment (repeatable; default: every environment)",
    )
    p.add_argument("--use-case", default=None, help="only this use case (default: all)")
    p.add_argument(
        "--role",
        default="approver",
        choices=["approver", "data_scientist", "promotion", "execution"],
        help="role to read each environment as (default: approver)",
    )
    p.add_argument(
        "--config-dir",
        default=os.environ.get(CONFIG_DIR_VAR) or None,
        help=f"directory of environment YAML files (default: ${CONFIG_DIR_VAR}, as for `mlgov deploy`, "
        "else the kit's environments/)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--html",
        default=None,
        metavar="FILE",
        help="also write the reviewer's page to FILE (one self-contained HTML file: each version's "
        "card, evaluation, audit history and lineage) and print its absolute path",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=DETAIL_WORKERS,
        help=f"parallel reads of audit records and lineage for --html (default: {DETAIL_WORKERS})",
    )
    p.add_argument("--verbose", action="store_true", help="debug logging on stderr")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    def job(a: argparse.Namespace) -> Report:
        report = collect(
            load_platform(a.config_dir),
            role=a.role,
            envs=a.env,
            use_case=a.use_case,
            workers=a.workers,
            details=bool(a.html),
        )
        if a.html:
            report = dataclasses.replace(report, html=write_html(report, a.html))
            if a.json:  # stdout carries the JSON document; the path goes to stderr
                print(f"HTML report written to {report.html}", file=sys.stderr)
        return report

    return command.main(build_parser(), argv, job, render=render_table)
