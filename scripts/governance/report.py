"""Report: every use case, version and environment: approval, card status, lifecycle, where each
version came from and where it went, and its last audit entry.

Reads each environment as a read role (default: its approver role). Per environment and use case
the calls are: one paginated ListModelPackages (approval and lifecycle come with the summaries),
one DescribeModelPackage per version (card status and promotion metadata exist only there; run in
a thread pool) and one paginated listing of the audit prefix (audit keys carry time and action,
so no record is read). Chains are joined locally from the promotion metadata.

    python -m scripts.governance.report                 # terminal table
    python -m scripts.governance.report --json
    python -m scripts.governance.report --html report.html
"""

from __future__ import annotations

import argparse
import html
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3

from environments import PlatformConfig

from . import audit
from .common import (
    EnvContext,
    UsageError,
    describe_version,
    env_context,
    list_versions,
    load_config,
    resolve_env,
    run_job,
    setup_logging,
    table,
)
from .promote import META_PROMOTED_TO, META_SOURCE_ARN

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
    for summary, desc in zip(summaries, described):
        life = summary.get("ModelLifeCycle") or desc.get("ModelLifeCycle") or {}
        meta = desc.get("CustomerMetadataProperties") or {}
        went = {
            k[len(META_PROMOTED_TO.format(env="")) :]: v
            for k, v in sorted(meta.items())
            if k.startswith(META_PROMOTED_TO.format(env=""))
        }
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
                "promoted_to": went,
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
            walk(path + [n])

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


def render_html(data: dict[str, Any]) -> str:
    """One self-contained page: the lineage drawn as inline SVG, then the table. No scripts, no
    external resources."""
    envs = data["environments"]
    rows = data["versions"]
    col_w, row_h, box_w, box_h, top = 260, 46, 200, 34, 40
    per_env: dict[str, list[dict[str, Any]]] = {e: [] for e in envs}
    for r in rows:
        per_env.setdefault(r["env"], []).append(r)
    pos: dict[str, tuple[int, int]] = {}
    for i, env in enumerate(envs):
        for j, r in enumerate(per_env[env]):
            pos[r["arn"]] = (20 + i * col_w, top + j * row_h)
    height = top + max([len(v) for v in per_env.values()] + [1]) * row_h + 20
    width = 40 + len(envs) * col_w
    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="model version lineage">',
        '<defs><marker id="arrow" markerWidth="10" markerHeight="8" refX="10" refY="4" '
        'orient="auto"><path d="M0,0 L10,4 L0,8 z" fill="#555"/></marker></defs>',
    ]
    for i, env in enumerate(envs):
        svg.append(f'<text x="{20 + i * col_w}" y="22" font-weight="bold">{html.escape(env)}</text>')
    for r in rows:
        if r["source_arn"] in pos and r["arn"] in pos:
            (x1, y1), (x2, y2) = pos[r["source_arn"]], pos[r["arn"]]
            svg.append(
                f'<line class="edge" x1="{x1 + box_w}" y1="{y1 + box_h // 2}" x2="{x2}" '
                f'y2="{y2 + box_h // 2}" stroke="#555" marker-end="url(#arrow)"/>'
            )
    for r in rows:
        x, y = pos[r["arn"]]
        color = _COLOR.get(r["approval"] or "", "#757575")
        label = f"v{r['version']} {r['approval'] or '-'} / card {r['card'] or '-'}"
        svg.append(
            f'<g class="node"><title>{html.escape(r["arn"])}</title>'
            f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="6" fill="white" '
            f'stroke="{color}" stroke-width="2"/>'
            f'<text x="{x + 8}" y="{y + 14}" font-size="11">{html.escape(label)}</text>'
            f'<text x="{x + 8}" y="{y + 28}" font-size="10" fill="#555">'
            f"{html.escape((r['stage'] or '-') + ' / ' + (r['stage_status'] or '-'))}</text></g>"
        )
    svg.append("</svg>")
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    body = []
    for r in rows:
        cells = {**r, "last_audit": r["last_audit_text"]}
        body.append(
            "<tr>" + "".join(f"<td>{html.escape(str(cells.get(c) or '-'))}</td>" for c in COLUMNS) + "</tr>"
        )
    chains = "".join(f"<li>{html.escape(' -> '.join(c))}</li>" for c in data["chains"])
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Model governance report</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}th{background:#f3f3f3}"
        "</style></head><body><h1>Model governance report</h1>"
        f"<h2>Lineage</h2>{''.join(svg)}"
        f"<h2>Promotion chains</h2><ul>{chains or '<li>none</li>'}</ul>"
        f"<h2>Versions</h2><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        "</body></html>\n"
    )


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
