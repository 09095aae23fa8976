"""Report: every use case, version and environment: approval, card status, lifecycle, where each
version came from and where it went, and its last audit entry; with ``--html``, the page a model
risk reviewer reads.

Reads each environment as one role (default: its approver role). The calls grow with pages, not
versions: per environment one GetParameters, one paginated SageMaker ``Search``
(``Resource=ModelPackage``, filtered on the environment's model package groups, 100 whole records
a page: card, lifecycle, metadata, approval) and per group one paginated listing of the audit
prefix (audit keys carry time and action, so no record is read). Search is eventually consistent
on AWS: a version registered seconds ago may be missing from the report.

Where a version went is derived from the downstream versions' own ``mlgov-source-arn`` metadata
(promotion does not write on the source version, for separation of duties); environments
downstream of the ones asked for are searched for that too. Legacy ``mlgov-promoted-to-<env>`` keys
on a source version are still shown. Chains are joined locally among the environments reported.

``--html FILE`` also writes one self-contained page (template ``templates/report.html.j2``,
Jinja2, autoescaped; no scripts, no external resources): per version its card, the evaluation
(quality, pre- and post-training bias, explainability), the DataZone project, the approval and
card history from the audit records, and the lineage chain from the dataset to the deployment.
Those details cost calls per version (one GetObject per audit record, a lineage walk per chain,
in parallel), so only the page asks for them. The lineage is read through
:func:`lineage.walk_back` as the report's role in every account; where that role cannot read it,
the chain is drawn from the versions' records instead and the page says so.

    mlgov report                        # terminal table
    mlgov report --json
    mlgov report --html report.html     # the reviewer's page; prints the path it wrote
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import jinja2
from botocore.exceptions import ClientError

from environments import EnvironmentConfig, PlatformConfig

from . import audit, lineage
from .cards import DATAZONE_PROJECT_KEY
from .context import EnvContext, env_context, load_config, resolve_env
from .errors import KitError, UsageError, describe_client_error
from .evaluation import EVAL_EXPLAINABILITY, EVAL_POST_BIAS, EVAL_PRE_BIAS
from .metadata import META_SOURCE_ARN, promoted_to
from .output import run_job, setup_logging, table

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
#: Search returns at most 100 records a page (botocore ``Search.MaxResults``).
SEARCH_PAGE_SIZE = 100
#: SearchExpression takes at most 20 sub-expressions; more groups are searched in batches.
SEARCH_MAX_GROUPS = 20
#: Parallel reads of audit records and lineage walks for the HTML page.
DETAIL_WORKERS = 8
#: Features drawn in an explainability chart (the largest attributions).
TOP_FEATURES = 10


# -- reading ------------------------------------------------------------------------------------
def _expression(groups: Sequence[str]) -> dict[str, Any]:
    """Model packages of ``groups``: one filter, or an Or of one filter per group."""
    filters = [{"Name": "ModelPackageGroupName", "Operator": "Equals", "Value": g} for g in groups]
    if len(filters) == 1:
        return {"Filters": filters}
    return {"SubExpressions": [{"Filters": [f]} for f in filters], "Operator": "Or"}


def search_versions(ctx: EnvContext, groups: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Every model package record of ``groups`` (``SearchRecord.ModelPackage``), oldest first,
    100 a page."""
    sm = ctx.client("sagemaker")
    for start in range(0, len(groups), SEARCH_MAX_GROUPS):
        batch = groups[start : start + SEARCH_MAX_GROUPS]
        try:
            for page in sm.get_paginator("search").paginate(
                Resource="ModelPackage",
                SearchExpression=_expression(batch),
                SortBy="CreationTime",
                SortOrder="Ascending",
                PaginationConfig={"PageSize": SEARCH_PAGE_SIZE},
            ):
                for result in page.get("Results", []):
                    if "ModelPackage" in result:
                        yield result["ModelPackage"]
        except ClientError as err:
            raise describe_client_error(err, role_arn=ctx.role_arn) from err


def _short(arn: str | None, account_env: Mapping[str, str]) -> str | None:
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


def _card_content(record: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The card content of a record as a dict, or why it could not be read."""
    raw = (record.get("ModelCard") or {}).get("ModelCardContent")
    if not raw:
        return None, None
    try:
        content = json.loads(raw)
    except json.JSONDecodeError as err:
        return None, f"card content is not JSON: {err}"
    return (content, None) if isinstance(content, dict) else (None, "card content is not a JSON object")


def _downstream(platform: PlatformConfig, names: Sequence[str]) -> list[EnvironmentConfig]:
    """``names`` and every environment that promotes from them, directly or not, upstream first."""
    wanted = set(names)
    out = []
    for env in platform.promotion_order():
        if env.name in wanted or env.promotes_from in wanted:
            wanted.add(env.name)
            out.append(env)
    return out


@dataclass
class _EnvRead:
    """What the report read in one environment."""

    ctx: EnvContext
    use_cases: dict[str, str]
    """Group name -> use case."""
    records: list[dict[str, Any]] = field(default_factory=list)
    """SearchRecord.ModelPackage of every version, oldest first."""
    audit: dict[str, dict[int, list[audit.AuditKey]]] = field(default_factory=dict)
    """Group -> version -> audit keys (environments shown only)."""


def _read_env(ctx: EnvContext, use_cases: Sequence[str], *, shown: bool) -> _EnvRead:
    names = ctx.names
    wanted = [names.ssm_group_name(uc) for uc in use_cases]
    params = ctx.params([*wanted, names.ssm_artifact_bucket] if shown else wanted)
    read = _EnvRead(ctx, {params[names.ssm_group_name(uc)]: uc for uc in use_cases})
    groups = list(read.use_cases)
    if groups:
        read.records = list(search_versions(ctx, groups))
    if shown:
        read.audit = {group: audit.entries(ctx, group) for group in groups}
    return read


def collect(
    platform: PlatformConfig,
    *,
    role: str = "approver",
    envs: Sequence[str] | None = None,
    use_case: str | None = None,
    workers: int = DETAIL_WORKERS,
    source: boto3.Session | None = None,
    details: bool = False,
) -> dict[str, Any]:
    """Rows for every version in every environment (upstream first) and the chains they form.

    ``details`` adds, per version, its audit history (the records read) and its lineage chains:
    what the HTML page shows. Without it the calls grow with pages only."""
    started = time.perf_counter()
    chosen = [resolve_env(platform, e) for e in envs] if envs else platform.promotion_order()
    order = [e.name for e in platform.promotion_order() if e in chosen]
    if use_case is not None:
        for name in order:
            if use_case not in {u.name for u in platform.env(name).use_cases}:
                raise UsageError(f"unknown use case {use_case!r} in environment {name!r}")
    contexts: dict[str, EnvContext] = {}

    def context(name: str) -> EnvContext:
        if name not in contexts:
            contexts[name] = env_context(platform, name, role, job="report", source=source)
        return contexts[name]

    to_read = _downstream(platform, order)
    for env in to_read:
        context(env.name)
    # Accounts are independent: on AWS their pages are read concurrently, one thread each.
    with ThreadPoolExecutor(max_workers=max(1, len(to_read))) as pool:
        futures = {
            env.name: pool.submit(
                _read_env,
                contexts[env.name],
                [u.name for u in env.use_cases if use_case is None or u.name == use_case],
                shown=env.name in order,
            )
            for env in to_read
        }
        reads = {name: future.result() for name, future in futures.items()}

    account_env = {e.account_id: e.name for e in platform.environments.values()}
    # Where each version went: every version read that names it as its source.
    targets: dict[str, list[str]] = {}
    for read in reads.values():
        for rec in read.records:
            src = (rec.get("CustomerMetadataProperties") or {}).get(META_SOURCE_ARN)
            if src:
                targets.setdefault(src, []).append(rec["ModelPackageArn"])

    rows: list[dict[str, Any]] = []
    for name in order:
        read = reads[name]
        case_order = {uc: i for i, uc in enumerate(read.use_cases.values())}
        for rec in sorted(
            read.records,
            key=lambda r: (
                case_order.get(read.use_cases.get(r["ModelPackageGroupName"], ""), 0),
                r["ModelPackageVersion"],
            ),
        ):
            rows.append(_row(read, rec, targets, account_env))
    by_arn = {r["arn"]: r for r in rows}
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
    data: dict[str, Any] = {
        "environments": order,
        "versions": rows,
        "chains": chains,
        "details": details,
    }
    if details:
        _add_details(data, reads, targets, context, account_env, workers, role)
    data["generated"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    data["seconds"] = round(time.perf_counter() - started, 3)
    return data


def _row(
    read: _EnvRead, rec: dict[str, Any], targets: Mapping[str, list[str]], account_env: Mapping[str, str]
) -> dict[str, Any]:
    ctx = read.ctx
    arn = rec["ModelPackageArn"]
    group = rec["ModelPackageGroupName"]
    version = int(rec["ModelPackageVersion"])
    meta = rec.get("CustomerMetadataProperties") or {}
    life = rec.get("ModelLifeCycle") or {}
    keys = read.audit.get(group, {}).get(version, [])
    last = keys[-1] if keys else None
    went = sorted(set(targets.get(arn, [])) | set(promoted_to(meta).values()))
    card, card_error = _card_content(rec)
    return {
        "env": ctx.env.name,
        "account": ctx.env.account_id,
        "use_case": read.use_cases.get(group, group),
        "group": group,
        "version": version,
        "arn": arn,
        "approval": rec.get("ModelApprovalStatus"),
        "approval_description": rec.get("ApprovalDescription"),
        "card": (rec.get("ModelCard") or {}).get("ModelCardStatus"),
        "card_content": card,
        "card_error": card_error,
        "stage": life.get("Stage"),
        "stage_status": life.get("StageStatus"),
        "source_arn": meta.get(META_SOURCE_ARN),
        "promoted_to": went,
        "came_from": _short(meta.get(META_SOURCE_ARN), account_env),
        "went_to": ", ".join(_short(a, account_env) or a for a in went) or None,
        "last_audit": (
            {"when": _audit_time(last.when), "action": last.action, "key": last.key} if last else None
        ),
        "last_audit_text": f"{_audit_time(last.when)} {last.action}" if last else None,
        "created": rec.get("CreationTime"),
        "modified": rec.get("LastModifiedTime"),
    }


# -- details for the HTML page ------------------------------------------------------------------
def _changes(
    action: str, before: Mapping[str, Any], after: Mapping[str, Any], account_env: Mapping[str, str]
) -> list[str]:
    """What a record changed, one line each. A registration or promotion has no "before" of the
    version itself (promote records the source's state there), so it reads as what was registered."""
    if action in ("register", "promote") or not before:
        lines = []
        if before.get("source_arn"):
            lines.append(f"from {_short(str(before['source_arn']), account_env)}")
        state = [f"{k} {v}" for k, v in after.items() if k not in ("source_arn", "target_arn")]
        if state:
            lines.append("registered " + ", ".join(state))
        return lines
    return [
        f"{k}: {before.get(k, '-')} → {after.get(k, '-')}"
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    ]


def _history_entry(rec: Mapping[str, Any], account_env: Mapping[str, str]) -> dict[str, Any]:
    who = str(rec.get("who") or "")
    action = str((rec.get("what") or {}).get("action") or "")
    return {
        "when": str(rec.get("when") or "")[:19].replace("T", " "),
        "action": action,
        # arn:aws:sts::1111:assumed-role/mlgov-dev-approver/mlgov-review -> the role and session
        "who": who.split(":assumed-role/", 1)[-1] if ":assumed-role/" in who else who,
        "who_arn": who,
        "why": rec.get("why"),
        "changes": _changes(action, rec.get("before") or {}, rec.get("after") or {}, account_env),
    }


def _leaves(arn: str, children: Mapping[str, list[str]]) -> list[str]:
    """The most downstream versions reached from ``arn`` (itself when it went nowhere)."""
    nexts = children.get(arn, [])
    if not nexts:
        return [arn]
    return [leaf for n in nexts for leaf in _leaves(n, children)]


def _package_node(
    arn: str, record: Mapping[str, Any] | None, account_env: Mapping[str, str]
) -> dict[str, Any]:
    lines = [f"account {arn.split(':')[4]}"] if arn.count(":") >= 5 else []
    if record is not None:
        card = (record.get("ModelCard") or {}).get("ModelCardStatus")
        lines.insert(0, f"{record.get('ModelApprovalStatus') or '-'} / card {card or '-'}")
    return {"kind": lineage.PACKAGE, "title": _short(arn, account_env) or arn, "lines": lines, "package": arn}


def _node(
    n: lineage.Node, records: Mapping[str, Mapping[str, Any]], account_env: Mapping[str, str]
) -> dict[str, Any]:
    props = n.properties
    if n.kind == lineage.PACKAGE:
        return _package_node(n.source_uri, records.get(n.source_uri), account_env)
    if n.kind == lineage.DATASET:
        sha = props.get("sha256", "")
        return {
            "kind": n.kind,
            "title": "dataset",
            "lines": [n.source_uri] + ([f"sha256 {sha[:16]}"] if sha else []),
        }
    if n.kind == lineage.TRAINING:
        found = {k[len("metric.") :]: v for k, v in props.items() if k.startswith("metric.")}
        shown = [m for m in ("accuracy", "roc_auc") if m in found] or sorted(found)[:2]
        metrics = [f"{m} {found[m]}" for m in shown]
        return {"kind": n.kind, "title": "training run", "lines": [props.get("algorithm", "-"), *metrics]}
    if n.kind == lineage.MODEL:
        return {"kind": n.kind, "title": "model artifact", "lines": [n.source_uri]}
    if n.kind == lineage.DEPLOYMENT:
        env = props.get("environment") or account_env.get(n.account, n.account)
        when = props.get("deployed_at", "")[:19].replace("T", " ")
        return {"kind": n.kind, "title": "deployment", "lines": [env, when] if when else [env]}
    return {"kind": n.kind, "title": n.kind, "lines": [n.source_uri]}


def _chain_from_records(
    leaf: str, records: Mapping[str, Mapping[str, Any]], account_env: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The chain as the versions' own records tell it: packages linked by ``mlgov-source-arn``,
    the dataset and model named in the oldest known card, a deployment if the leaf says Deployed."""
    packages: list[str] = []
    current: str | None = leaf
    while current and current not in packages:
        packages.append(current)
        current = (records.get(current, {}).get("CustomerMetadataProperties") or {}).get(META_SOURCE_ARN)
    packages.reverse()
    nodes: list[dict[str, Any]] = []
    known = [records[a] for a in packages if a in records]
    card, _ = _card_content(known[0]) if known else (None, None)
    training = (card or {}).get("training_details") or {}
    datasets = (training.get("training_job_details") or {}).get("training_datasets") or []
    if datasets:
        nodes.append({"kind": lineage.DATASET, "title": "dataset", "lines": list(datasets)})
    if training.get("training_observations"):
        nodes.append(
            {"kind": lineage.TRAINING, "title": "training run", "lines": [training["training_observations"]]}
        )
    artifacts = ((card or {}).get("model_overview") or {}).get("model_artifact") or []
    if artifacts:
        nodes.append({"kind": lineage.MODEL, "title": "model artifact", "lines": list(artifacts)})
    nodes += [_package_node(a, records.get(a), account_env) for a in packages]
    life = records.get(leaf, {}).get("ModelLifeCycle") or {}
    if life.get("StageStatus") == "Deployed":
        nodes.append(
            {
                "kind": lineage.DEPLOYMENT,
                "title": "deployment",
                "lines": [account_env.get(leaf.split(":")[4], "?")],
            }
        )
    return nodes


def _lineage_of(
    leaf: str,
    reader: Callable[[str], Any],
    records: Mapping[str, Mapping[str, Any]],
    account_env: Mapping[str, str],
    role: str,
) -> dict[str, Any]:
    try:
        walked = lineage.walk_back(reader, leaf)
    except lineage.LineageError as err:
        note = f"lineage entities not found ({err}); drawn from the versions' records"
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        note = f"the {role} role cannot read the lineage ({code}); drawn from the versions' records"
    except KitError as err:  # e.g. the role of an upstream account cannot be assumed
        note = f"the lineage could not be read as the {role} role ({err}); drawn from the versions' records"
    else:
        return {
            "source": "lineage",
            "note": None,
            "nodes": [_node(n, records, account_env) for n in reversed(walked)],
        }
    return {"source": "records", "note": note, "nodes": _chain_from_records(leaf, records, account_env)}


def _add_details(
    data: dict[str, Any],
    reads: Mapping[str, _EnvRead],
    targets: Mapping[str, list[str]],
    context: Callable[[str], EnvContext],
    account_env: Mapping[str, str],
    workers: int,
    role: str,
) -> None:
    """Audit history and lineage chains of every version in ``data`` (calls per record/chain)."""
    rows = data["versions"]
    pool_size = max(1, workers)
    with ThreadPoolExecutor(max_workers=pool_size) as pool:
        histories = list(
            pool.map(
                lambda r: [
                    _history_entry(rec, account_env)
                    for rec in audit.history(
                        reads[r["env"]].ctx, reads[r["env"]].audit[r["group"]].get(r["version"], [])
                    )
                ],
                rows,
            )
        )
    for row, hist in zip(rows, histories, strict=True):
        row["history"] = hist

    records = {rec["ModelPackageArn"]: rec for read in reads.values() for rec in read.records}
    for name in account_env.values():  # created here, not racing in the walkers' threads
        context(name)

    def reader(account: str) -> Any:
        if account not in account_env:
            raise lineage.LineageError(f"account {account} is not an environment of this platform")
        return context(account_env[account]).client("sagemaker")

    children = {src: list(ts) for src, ts in targets.items()}
    for row in rows:
        row["lineage"] = _leaves(row["arn"], children)
    leaves = sorted({leaf for row in rows for leaf in row["lineage"]})
    with ThreadPoolExecutor(max_workers=pool_size) as pool:
        chains = list(pool.map(lambda leaf: _lineage_of(leaf, reader, records, account_env, role), leaves))
    data["lineage"] = dict(zip(leaves, chains, strict=True))


# -- rendering -----------------------------------------------------------------------------------
def render_table(data: dict[str, Any]) -> str:
    shown = [{**r, "last_audit": r["last_audit_text"]} for r in data["versions"]]
    out = [table(shown, COLUMNS)]
    if data["chains"]:
        out.append("")
        out.append("promotion chains:")
        out += ["  " + " -> ".join(c) for c in data["chains"]]
    if data.get("html"):
        out.append("")
        out.append(f"HTML report written to {data['html']}")
    return "\n".join(out)


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


def _anchor(row: Mapping[str, Any]) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", f"v-{row['use_case']}-{row['env']}-{row['version']}")


_LABELS = {
    "purpose_of_model": "Purpose",
    "intended_uses": "Intended uses",
    "factors_affecting_model_efficiency": "Factors affecting efficiency",
    "risk_rating": "Risk rating",
    "explanations_for_risk_rating": "Why this rating",
    "business_problem": "Business problem",
    "business_stakeholders": "Stakeholders",
    "line_of_business": "Line of business",
    "training_observations": "Observations",
    "caveats_and_recommendations": "Caveats and recommendations",
    "ethical_considerations": "Ethical considerations",
    "custom_details": "Custom details",
    "model_creator": "Creator",
    "model_artifact": "Artifact",
}


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return str(value)


def _fields(section: Mapping[str, Any] | None, skip: Sequence[str] = ()) -> list[tuple[str, str]]:
    """``(label, text)`` of a card section's plain fields, in the card's order."""
    return [
        (_LABELS.get(k, k.replace("_", " ").capitalize()), _text(v))
        for k, v in (section or {}).items()
        if k not in skip and v not in (None, "", [], {})
    ]


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _text(value)
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _evaluation(item: Mapping[str, Any]) -> dict[str, Any]:
    name = str(item.get("name", ""))
    kind = {
        EVAL_PRE_BIAS: "pre-bias",
        EVAL_POST_BIAS: "post-bias",
        EVAL_EXPLAINABILITY: "explainability",
    }.get(name, "quality")
    groups = []
    for group in item.get("metric_groups") or []:
        metrics = [
            {
                "name": m.get("name", ""),
                "value": _number(m.get("value")),
                "raw": m.get("value") if isinstance(m.get("value"), (int, float)) else None,
                "notes": m.get("notes"),
            }
            for m in group.get("metric_data") or []
        ]
        bars = []
        if kind == "explainability":
            ranked = sorted((m for m in metrics if m["raw"] is not None), key=lambda m: -abs(m["raw"]))
            top = ranked[:TOP_FEATURES]
            peak = max([abs(m["raw"]) for m in top] + [1e-12])
            bars = [{**m, "width": round(200 * abs(m["raw"]) / peak, 1)} for m in top]
        groups.append(
            {
                "name": group.get("name", ""),
                "metrics": metrics,
                "bars": bars,
                "more": max(0, len(metrics) - len(bars)) if bars else 0,
            }
        )
    meta = dict(item.get("metadata") or {})
    hyper = meta.pop("hyperparameters", None)
    if isinstance(hyper, str):
        with contextlib.suppress(json.JSONDecodeError):
            hyper = _text(json.loads(hyper))
    return {
        "name": name,
        "kind": kind,
        "title": {
            "quality": "Model quality",
            "pre-bias": "Pre-training bias",
            "post-bias": "Post-training bias",
            "explainability": "Explainability",
        }[kind],
        "observation": item.get("evaluation_observation"),
        "datasets": list(item.get("datasets") or []),
        # Lists stored as "a,b,c" (card metadata values are strings) read better spaced.
        "metadata": [(k.replace("_", " "), re.sub(r",(?=\S)", ", ", _text(v))) for k, v in meta.items()],
        "hyperparameters": hyper,
        "groups": groups,
    }


def _card_view(card: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if card is None:
        return None
    intended = dict(card.get("intended_uses") or {})
    training = dict(card.get("training_details") or {})
    job = dict(training.pop("training_job_details", None) or {})
    info = dict(card.get("additional_information") or {})
    custom = dict(info.pop("custom_details", None) or {})
    order = {"quality": 0, "pre-bias": 1, "post-bias": 2, "explainability": 3}
    evaluations = sorted(
        (_evaluation(i) for i in card.get("evaluation_details") or []), key=lambda e: order[e["kind"]]
    )
    return {
        "risk_rating": intended.get("risk_rating"),
        "datazone_project": custom.pop(DATAZONE_PROJECT_KEY, None),
        "overview": _fields(card.get("model_overview")),
        "intended_uses": _fields(intended, skip=("risk_rating",)),
        "business_details": _fields(card.get("business_details")),
        "training_details": _fields(training),
        "training_datasets": list(job.get("training_datasets") or []),
        "training_metrics": [
            (m.get("name", ""), _number(m.get("value")))
            for m in [
                *(job.get("training_metrics") or []),
                *(job.get("user_provided_training_metrics") or []),
            ]
        ],
        "hyperparameters": [
            (h.get("name", ""), _text(h.get("value")))
            for h in [
                *(job.get("hyper_parameters") or []),
                *(job.get("user_provided_hyper_parameters") or []),
            ]
        ],
        "evaluations": evaluations,
        "additional": _fields(info) + [(k.replace("_", " "), _text(v)) for k, v in custom.items()],
    }


def _key_metric(card: Mapping[str, Any] | None, name: str) -> str:
    for item in (card or {}).get("evaluation_details") or []:
        for group in item.get("metric_groups") or []:
            for m in group.get("metric_data") or []:
                if m.get("name") == name:
                    return _number(m.get("value"))
    return "-"


def render_html(data: dict[str, Any]) -> str:
    """One self-contained page: a summary table, the promotion chains, then one section per version
    (card, evaluation, history, lineage). No scripts, no external resources."""
    chains = data.get("lineage") or {}
    versions = []
    for r in data["versions"]:
        card = r.get("card_content")
        versions.append(
            {
                "row": r,
                "anchor": _anchor(r),
                "card": _card_view(card),
                "summary": {
                    "risk": ((card or {}).get("intended_uses") or {}).get("risk_rating") or "-",
                    **{m: _key_metric(card, m) for m in ("accuracy", "roc_auc", "DPPL", "DI")},
                },
                "history": r.get("history"),
                "chains": [chains[leaf] for leaf in r.get("lineage") or [] if leaf in chains],
            }
        )
    return _template().render(
        data=data,
        versions=versions,
        chains=data["chains"],
        details=bool(data.get("details")),
    )


def write_html(data: dict[str, Any], path: str) -> str:
    """Write the page to ``path``; returns its absolute path."""
    target = Path(path).resolve()
    target.write_text(render_html(data), encoding="utf-8")
    return str(target)


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
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)

    def job(a: argparse.Namespace) -> dict[str, Any]:
        data = collect(
            load_config(a.config_dir),
            role=a.role,
            envs=a.env,
            use_case=a.use_case,
            workers=a.workers,
            details=bool(a.html),
        )
        if a.html:
            data["html"] = write_html(data, a.html)
            if a.json:  # stdout carries the JSON document; the path goes to stderr
                print(f"HTML report written to {data['html']}", file=sys.stderr)
        return data

    return run_job(job, args, render_table)


if __name__ == "__main__":
    sys.exit(main())
