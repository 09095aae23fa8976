"""Lineage chains and audit histories: the details the HTML page shows per version
(:func:`add_details`). They cost calls per version (one GetObject per audit record, a lineage
walk per chain, in parallel), so only the page asks for them.

A chain is read through :func:`..lineage.walk_back` as the report's role in every account it
crosses; where that role cannot read it, the chain is drawn from the versions' own records
(packages linked by ``mlgov-source-arn``, the dataset and model named in the oldest card) and the
page says so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from scripts.aws import error_code

from .. import audit, lineage
from ..context import EnvContext
from ..errors import KitError
from ..metadata import META_SOURCE_ARN
from .collection import Collected, EnvRead, HistoryEntry, Report, VersionRow, card_content, short


def _changes(
    action: str, before: Mapping[str, Any], after: Mapping[str, Any], account_env: Mapping[str, str]
) -> tuple[str, ...]:
    """What a record changed, one line each. A registration or promotion has no "before" of the
    version itself (promote records the source's state there), so it reads as what was registered."""
    if action in ("register", "promote") or not before:
        lines = []
        if before.get("source_arn"):
            lines.append(f"from {short(str(before['source_arn']), account_env)}")
        state = [f"{k} {v}" for k, v in after.items() if k not in ("source_arn", "target_arn")]
        if state:
            lines.append("registered " + ", ".join(state))
        return tuple(lines)
    return tuple(
        f"{k}: {before.get(k, '-')} → {after.get(k, '-')}"
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    )


def _upstream_changes(action: str, rec: Mapping[str, Any]) -> tuple[str, ...] | None:
    """What a record about this version written by a downstream environment says: each gate of a
    refused promotion with its value and limit, or whose promotion lock was released."""
    env = rec.get("environment") or "?"
    details = rec.get("details") or {}
    if action == "promote-refused":
        return (
            f"refused by {env}",
            *(f"{f.get('gate')}: {f.get('reason')}" for f in details.get("failures") or ()),
        )
    if action in ("release-lock", "take-over-lock"):
        lock = (rec.get("before") or {}).get("lock") or {}
        verb = "released" if action == "release-lock" else "taken over"
        return (
            f"promotion lock in {env} {verb}: held by {lock.get('who', '?')} on {lock.get('host', '?')} "
            f"(pid {lock.get('pid', '?')}) since {lock.get('started', '?')}",
        )
    return None


def history_entry(rec: Mapping[str, Any], account_env: Mapping[str, str]) -> HistoryEntry:
    who = str(rec.get("who") or "")
    action = str((rec.get("what") or {}).get("action") or "")
    changes = _upstream_changes(action, rec)
    return HistoryEntry(
        when=str(rec.get("when") or "")[:19].replace("T", " "),
        action=action,
        # arn:aws:sts::1111:assumed-role/mlgov-dev-approver/mlgov-review -> the role and session
        who=who.split(":assumed-role/", 1)[-1] if ":assumed-role/" in who else who,
        who_arn=who,
        why=rec.get("why"),
        changes=changes
        if changes is not None
        else _changes(action, rec.get("before") or {}, rec.get("after") or {}, account_env),
    )


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
    return {"kind": lineage.PACKAGE, "title": short(arn, account_env) or arn, "lines": lines, "package": arn}


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
    if n.kind == lineage.TRANSFORM:
        env = account_env.get(n.account, n.account)
        return {"kind": n.kind, "title": "batch transform", "lines": [env, n.source_uri.rsplit("/", 1)[-1]]}
    return {"kind": n.kind, "title": n.kind, "lines": [n.source_uri]}


def chain_from_records(
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
    card, _ = card_content(known[0]) if known else (None, None)
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


def lineage_chain(
    leaf: str,
    reader: Callable[[str], Any],
    records: Mapping[str, Mapping[str, Any]],
    account_env: Mapping[str, str],
    role: str,
) -> dict[str, Any]:
    """The chain ending at ``leaf`` for the page: ``{"source": "lineage" | "records", "note",
    "nodes"}``, from the lineage API, else from the records with a note saying why."""
    try:
        walked = lineage.walk_back(reader, leaf)
    except lineage.LineageError as err:
        note = f"lineage entities not found ({err}); drawn from the versions' records"
    except ClientError as err:
        note = (
            f"the {role} role cannot read the lineage ({error_code(err)}); drawn from the versions' records"
        )
    except KitError as err:  # e.g. the role of an upstream account cannot be assumed
        note = f"the lineage could not be read as the {role} role ({err}); drawn from the versions' records"
    else:
        return {
            "source": "lineage",
            "note": None,
            "nodes": [_node(n, records, account_env) for n in reversed(walked)],
        }
    return {"source": "records", "note": note, "nodes": chain_from_records(leaf, records, account_env)}


def _histories(
    rows: Sequence[VersionRow], reads: Mapping[str, EnvRead], account_env: Mapping[str, str], workers: int
) -> list[tuple[HistoryEntry, ...]]:
    def history(row: VersionRow) -> tuple[HistoryEntry, ...]:
        """Its own records, and those downstream environments hold about it (refusals, locks)."""
        read = reads[row.env]
        found = [(k, read.ctx) for k in read.audit[row.group].get(row.version, [])]
        for other in reads.values():
            found += [(k, other.ctx) for k in other.upstream.get((row.use_case, row.env, row.version), [])]
        found.sort(key=lambda pair: (pair[0].when, pair[0].key))
        return tuple(history_entry(audit.read(ctx, k.key), account_env) for k, ctx in found)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(history, rows))


def add_details(collected: Collected, *, workers: int, role: str) -> Report:
    """The report with every row's audit history and lineage chains (calls per record and chain)."""
    report, account_env = collected.report, collected.account_env
    pool_size = max(1, workers)
    histories = _histories(report.versions, collected.reads, account_env, pool_size)

    records = {rec["ModelPackageArn"]: rec for read in collected.reads.values() for rec in read.records}
    for name in account_env.values():  # created here, not racing in the walkers' threads
        collected.context(name)

    def reader(account: str) -> Any:
        if account not in account_env:
            raise lineage.LineageError(f"account {account} is not an environment of this platform")
        context: EnvContext = collected.context(account_env[account])
        return context.client("sagemaker")

    children = {src: list(ts) for src, ts in collected.targets.items()}
    rows = [
        dataclasses.replace(row, history=hist, lineage=tuple(_leaves(row.arn, children)))
        for row, hist in zip(report.versions, histories, strict=True)
    ]
    leaves = sorted({leaf for row in rows for leaf in row.lineage or ()})
    with ThreadPoolExecutor(max_workers=pool_size) as pool:
        chains = list(pool.map(lambda leaf: lineage_chain(leaf, reader, records, account_env, role), leaves))
    return dataclasses.replace(
        report, versions=tuple(rows), details=True, lineage=dict(zip(leaves, chains, strict=True))
    )
