"""Report: every use case, version and environment: approval, card status, lifecycle, where each
version came from and where it went, and its last audit entry.

Reads each environment as a read role (default: its approver role). Per environment and use case
the calls are: one paginated ListModelPackages (approval and lifecycle come with the summaries),
one DescribeModelPackage per version (card status and promotion metadata exist only there; run in
a thread pool) and one paginated listing of the audit prefix (audit keys carry time and action,
so no record is read). Chains are joined locally from the promotion metadata, among the environments reported.
The HTML page is the package template ``templates/report.html.j2`` (Jinja2, autoescaped).

    python -m scripts.governance.report                 # terminal table
    python -m scripts.governance.report --json
    python -m scripts.governance.report --html report.html
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import boto3
import jinja2

from environments import PlatformConfig

from . import audit
from .context import EnvContext, env_context, load_config, resolve_env
from .errors import UsageError
from .metadata import META_SOURCE_ARN, promoted_to
from .output import run_job, setup_logging, table
from .versions import describe_version, list_versions

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
    "last_audit",
)
DESCRIBE_WORKERS = 16


def _short(arn: str | None, account_env: dict[str, str]) -> str | None:
    """``staging v3`` for a model package ARN of a known account."""
    if not arn:
        return None
    parts = arn.split(":")
    env = account_env.get(parts[4], parts[4]) if len(parts) > 5 else "?"
    return f"{env} v{arn.rsplit('/', 1)[-1]}"


def _audit_time(when: str) -> str:
    # 20261128T203501123456Z -> 2026-11-28T20:35:01Z
    if len(when) >= 15:
        return f"{when[0:4]}-{when[4:6]}-{when[6:8]}T{when[9:11]}:{when[11:13]}:{when[13:15]}Z"
    return when


def collect_env(ctx: EnvContext, use_case: str, workers: int) -> list[dict[str, Any]]:
    group = ctx.group_name(use_case)
    summaries = list_versions(ctx, group)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        described = list(pool.map(lambda s: describe_version(ctx, s["ModelPackageArn"]), summaries))
    last = audit.last_entries(ctx, group)
    rows = []
    for summary, desc in zip(summaries, described, strict=True):
        life = summary.get("ModelLifeCycle") or desc.get("ModelLifeCycle") or {}
        meta = desc.get("CustomerMetadataProperties") or {}
        entry = last.get(summary["ModelPackageVersion"])
        rows.append(
            {
                "env": ctx.env.name,
                "account": ctx.env.account_id,
                "use_case": use_case,
                "version": summary["ModelPackageVersion"],
                "arn": summary["ModelPackageArn"],
                "approval": summary.get("ModelApprovalStatus"),
                "card": (desc.get("ModelCard") or {}).get("ModelCardStatus"),
                "stage": life.get("Stage"),
                "stage_status": life.get("StageStatus"),
                "source_arn": meta.get(META_SOURCE_ARN),
                "promoted_to": promoted_to(meta),
                "last_audit": (
                    {"when": _audit_time(entry.when), "action": entry.action, "key": entry.key}
                    if entry
                    else None
                ),
                "created": summary.get("CreationTime"),
            }
        )
    return rows


def collect(
    platform: PlatformConfig,
    *,
    role: str = "approver",
    envs: Sequence[str] | None = None,
    use_case: str | None = None,
    workers: int = DESCRIBE_WORKERS,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """Rows for every version in every environment (upstream first) and the chains they form."""
    started = time.perf_counter()
    chosen = [resolve_env(platform, e) for e in envs] if envs else platform.promotion_order()
    order = [e.name for e in platform.promotion_order() if e in chosen]
    rows: list[dict[str, Any]] = []
    for env in order:
        ctx = env_context(platform, env, role, job="report", source=source)
        names = [use_case] if use_case else [u.name for u in ctx.env.use_cases]
        for uc in names:
            if uc not in {u.name for u in ctx.env.use_cases}:
                raise UsageError(f"unknown use case {uc!r} in environment {env!r}")
            rows.extend(collect_env(ctx, uc, workers))
    account_env = {e.account_id: e.name for e in platform.environments.values()}
    by_arn = {r["arn"]: r for r in rows}
    for r in rows:
        r["came_from"] = _short(r["source_arn"], account_env)
        r["went_to"] = ", ".join(_short(a, account_env) or "" for a in r["promoted_to"].values()) or None
        r["last_audit_text"] = (
            f"{r['last_audit']['when']} {r['last_audit']['action']}" if r["last_audit"] else None
        )
    children: dict[str, list[str]] = {}
    for r in rows:
        if r["source_arn"] in by_arn:
            children.setdefault(r["source_arn"], []).append(r["arn"])
    chains: list[list[str]] = []

    def walk(path: list[str]) -> None:
        nexts = children.get(path[-1], [])
        if not nexts:
            if len(path) > 1:
                chains.append([_short(a, account_env) or a for a in path])
            return
        for n in nexts:
            walk([*path, n])

    for r in rows:
        if r["source_arn"] not in by_arn:  # a chain head
            walk([r["arn"]])
    return {
        "environments": order,
        "versions": rows,
        "chains": chains,
        "seconds": round(time.perf_counter() - started, 3),
    }


def render_table(data: dict[str, Any]) -> str:
    shown = [{**r, "last_audit": r["last_audit_text"]} for r in data["versions"]]
    out = [table(shown, COLUMNS)]
    if data["chains"]:
        out.append("")
        out.append("promotion chains:")
        out += ["  " + " -> ".join(c) for c in data["chains"]]
    return "\n".join(out)


_COLOR = {"Approved": "#2e7d32", "Rejected": "#c62828", "PendingManualApproval": "#f9a825"}
#: Lineage drawing: column width, row height, node box and top margin, in pixels.
COL_W, ROW_H, BOX_W, BOX_H, TOP = 260, 46, 200, 34, 40


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("scripts.governance", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("report.html.j2")


def _lineage(data: dict[str, Any]) -> dict[str, Any]:
    """Where the SVG draws each version (one column per environment) and each promotion edge."""
    envs = data["environments"]
    per_env: dict[str, list[dict[str, Any]]] = {e: [] for e in envs}
    for r in data["versions"]:
        per_env.setdefault(r["env"], []).append(r)
    pos: dict[str, tuple[int, int]] = {}
    for i, env in enumerate(envs):
        for j, r in enumerate(per_env[env]):
            pos[r["arn"]] = (20 + i * COL_W, TOP + j * ROW_H)
    edges = [
        {
            "x1": pos[r["source_arn"]][0] + BOX_W,
            "y1": pos[r["source_arn"]][1] + BOX_H // 2,
            "x2": pos[r["arn"]][0],
            "y2": pos[r["arn"]][1] + BOX_H // 2,
        }
        for r in data["versions"]
        if r["source_arn"] in pos
    ]
    nodes = [
        {
            "x": pos[r["arn"]][0],
            "y": pos[r["arn"]][1],
            "arn": r["arn"],
            "color": _COLOR.get(r["approval"] or "", "#757575"),
            "label": f"v{r['version']} {r['approval'] or '-'} / card {r['card'] or '-'}",
            "stage": f"{r['stage'] or '-'} / {r['stage_status'] or '-'}",
        }
        for r in data["versions"]
    ]
    return {
        "width": 40 + len(envs) * COL_W,
        "height": TOP + max([len(v) for v in per_env.values()] + [1]) * ROW_H + 20,
        "box_w": BOX_W,
        "box_h": BOX_H,
        "columns": [{"x": 20 + i * COL_W, "env": env} for i, env in enumerate(envs)],
        "edges": edges,
        "nodes": nodes,
    }


def render_html(data: dict[str, Any]) -> str:
    """One self-contained page: the lineage drawn as inline SVG, then the table. No scripts, no
    external resources."""
    rows = [
        [str({**r, "last_audit": r["last_audit_text"]}.get(c) or "-") for c in COLUMNS]
        for r in data["versions"]
    ]
    return _template().render(svg=_lineage(data), chains=data["chains"], columns=COLUMNS, rows=rows)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Report every model version in every environment: "
        "approval, card status, lifecycle, promotion chain, last audit entry."
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
        default=None,
        help="directory of environment YAML files (default: the kit's environments/)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--html",
        default=None,
        metavar="FILE",
        help="also write one self-contained HTML page (inline SVG lineage) to FILE",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=DESCRIBE_WORKERS,
        help="parallel DescribeModelPackage calls per environment (default: 16)",
    )
    p.add_argument("--verbose", action="store_true", help="debug logging on stderr")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)

    def job(a: argparse.Namespace) -> dict[str, Any]:
        data = collect(
            load_config(a.config_dir), role=a.role, envs=a.env, use_case=a.use_case, workers=a.workers
        )
        if a.html:
            with open(a.html, "w", encoding="utf-8") as fh:
                fh.write(render_html(data))
            data["html"] = a.html
        return data

    return run_job(job, args, render_table)


if __name__ == "__main__":
    sys.exit(main())
