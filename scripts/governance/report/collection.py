"""Collection: every version of every environment read in pages, one :class:`VersionRow` each,
and the promotion chains the rows form (:func:`collect`).

Per environment one GetParameters, one paginated SageMaker ``Search`` (``Resource=ModelPackage``,
filtered on the environment's model package groups, at most :data:`SEARCH_MAX_GROUPS` groups a
search, 100 whole records a page) and per group one paginated listing of the audit prefix (audit
keys carry time and action, so no record is read; in an environment read only for where versions
went, the listing of the records it holds about upstream versions). A refused promotion is
recorded in the environment that refused it, beside the upstream version
(:func:`..audit.upstream_prefix`): the row of that version shows the last refusal by each
environment, one GetObject each.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3

from environments import EnvironmentConfig, PlatformConfig
from scripts.aws import kit_errors

from .. import audit
from ..audit import AuditKey
from ..context import EnvContext, env_context
from ..errors import UsageError
from ..metadata import (
    DATASET_ASSET_KEY,
    DATASET_REVISION_KEY,
    META_GATE_RESULTS,
    META_GATES,
    META_SOURCE_ARN,
    MODEL_ASSET_KEY,
    MODEL_ASSET_REVISION_KEY,
    STAGE_DEPLOYED,
    promoted_to,
)
from ..promote.gates import RecordedGate, parse_gate_record
from .monitoring import monitor_results

#: Search returns at most 100 records a page (botocore ``Search.MaxResults``).
SEARCH_PAGE_SIZE = 100
#: SearchExpression takes at most 20 sub-expressions; more groups are searched in batches.
SEARCH_MAX_GROUPS = 20
#: Parallel reads of audit records and lineage walks for the HTML page.
DETAIL_WORKERS = 8


@dataclass(frozen=True)
class AuditMark:
    """The last audit entry of a version, from its key (no record read)."""

    when: str
    """ISO 8601, seconds, UTC (``2026-11-28T20:35:01Z``)."""
    action: str
    key: str

    def to_dict(self) -> dict[str, str]:
        return {"when": self.when, "action": self.action, "key": self.key}


@dataclass(frozen=True)
class HistoryEntry:
    """One audit record of a version, as the page's history table shows it."""

    when: str
    action: str
    who: str
    """The role and session (``mlgov-dev-approver/mlgov-review``) of an assumed role, else the ARN."""
    who_arn: str
    why: str | None
    changes: tuple[str, ...]
    """What the record changed, one line each."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "when": self.when,
            "action": self.action,
            "who": self.who,
            "who_arn": self.who_arn,
            "why": self.why,
            "changes": list(self.changes),
        }


#: The audit action of a refused promotion (:func:`..promote.job.record_refusal`).
REFUSED = "promote-refused"


@dataclass(frozen=True)
class Refusal:
    """The last refused promotion of a version into one environment, from its audit record."""

    env: str
    """The environment whose gates refused it."""
    when: str
    who: str
    failures: tuple[dict[str, Any], ...]
    """Each failed gate: ``gate``, ``reason``, ``value``, ``limit``."""
    attempts: int
    """Refused promotions of this version into ``env`` recorded so far."""
    key: str

    @property
    def gates(self) -> str:
        return ", ".join(str(f.get("gate")) for f in self.failures)

    def to_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "when": self.when,
            "who": self.who,
            "failures": [dict(f) for f in self.failures],
            "attempts": self.attempts,
            "key": self.key,
        }


@dataclass(frozen=True)
class VersionRow:
    """One model version in one environment, as the report shows it."""

    env: str
    account: str
    use_case: str
    group: str
    version: int
    arn: str
    approval: str | None
    approval_description: str | None
    card: str | None
    """The card's status."""
    card_content: dict[str, Any] | None
    """The card's content as JSON (None when absent or unreadable: see ``card_error``)."""
    card_error: str | None
    stage: str | None
    stage_status: str | None
    source_arn: str | None
    """The version it was promoted from (its ``mlgov-source-arn``)."""
    promoted_to: tuple[str, ...]
    """The versions promoted from it, in every environment read."""
    came_from: str | None
    """``dev v1``: ``source_arn`` shortened."""
    went_to: str | None
    """``staging v1, qa v2``: ``promoted_to`` shortened."""
    last_audit: AuditMark | None
    created: Any = None
    modified: Any = None
    gates_status: str | None = None
    """``mlgov-gates`` of a promoted version: ``passed``."""
    gates: tuple[RecordedGate, ...] = ()
    """The gates it passed at promotion, each value and limit (``mlgov-gate-results``)."""
    gates_more: int = 0
    """Gates that did not fit the metadata value (in the promotion's audit record)."""
    refusals: tuple[Refusal, ...] = ()
    """Its refused promotions, the last one per environment that refused it."""
    history: tuple[HistoryEntry, ...] | None = None
    """Its audit records, oldest first (only with details: the HTML page)."""
    lineage: tuple[str, ...] | None = None
    """The leaves of its lineage chains, keys of :attr:`Report.lineage` (only with details)."""
    monitoring: dict[str, Any] | None = None
    """The newest monitor results of a version its endpoint serves (stage status Deployed):
    ``data_quality`` and ``bias_drift``, each ``{run, uri, violations}`` or None
    (:mod:`.monitoring`)."""

    @property
    def last_audit_text(self) -> str | None:
        return f"{self.last_audit.when} {self.last_audit.action}" if self.last_audit else None

    @property
    def custom_details(self) -> dict[str, Any]:
        """The card's ``additional_information.custom_details`` ({} without a card)."""
        info = (self.card_content or {}).get("additional_information") or {}
        details = info.get("custom_details") if isinstance(info, dict) else None
        return dict(details) if isinstance(details, dict) else {}

    @property
    def model_asset(self) -> tuple[str, str | None] | None:
        """The version's DataZone catalog asset and the revision listing it, as its card records
        them once an approval published it (None: not published from this environment)."""
        details = self.custom_details
        asset = details.get(MODEL_ASSET_KEY)
        return (str(asset), details.get(MODEL_ASSET_REVISION_KEY)) if asset else None

    @property
    def dataset_asset(self) -> tuple[str, str | None] | None:
        """The training dataset's DataZone asset and revision, as the card records them."""
        details = self.custom_details
        asset = details.get(DATASET_ASSET_KEY)
        return (str(asset), details.get(DATASET_REVISION_KEY)) if asset else None

    @property
    def catalog_text(self) -> str | None:
        """``<asset id> r<revision>``: the model asset of the catalog that lists this version."""
        if self.model_asset is None:
            return None
        asset, revision = self.model_asset
        return f"{asset} r{revision}" if revision else asset

    @property
    def refused_text(self) -> str | None:
        """``prod (bias:DPPL, bias:DI)``: where and by which gates it was refused."""
        return "; ".join(f"{r.env} ({r.gates})" for r in self.refusals) or None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "env": self.env,
            "account": self.account,
            "use_case": self.use_case,
            "group": self.group,
            "version": self.version,
            "arn": self.arn,
            "approval": self.approval,
            "approval_description": self.approval_description,
            "card": self.card,
            "card_content": self.card_content,
            "card_error": self.card_error,
            "stage": self.stage,
            "stage_status": self.stage_status,
            "source_arn": self.source_arn,
            "promoted_to": list(self.promoted_to),
            "came_from": self.came_from,
            "went_to": self.went_to,
            "last_audit": self.last_audit.to_dict() if self.last_audit else None,
            "last_audit_text": self.last_audit_text,
            "created": self.created,
            "modified": self.modified,
            "gates_status": self.gates_status,
            "gates": [g.to_dict() for g in self.gates],
            "gates_more": self.gates_more,
            "refusals": [r.to_dict() for r in self.refusals],
            "refused": self.refused_text,
            "model_asset_id": self.model_asset[0] if self.model_asset else None,
            "model_asset_revision": self.model_asset[1] if self.model_asset else None,
            "catalog": self.catalog_text,
        }
        if self.history is not None:
            out["history"] = [h.to_dict() for h in self.history]
        if self.lineage is not None:
            out["lineage"] = list(self.lineage)
        if self.monitoring is not None:
            out["monitoring"] = self.monitoring
        return out


@dataclass(frozen=True)
class Report:
    """Every version of every environment reported, upstream first, and the chains they form."""

    environments: tuple[str, ...]
    versions: tuple[VersionRow, ...]
    chains: tuple[tuple[str, ...], ...]
    """Promotion chains among the environments reported, ``("dev v1", "staging v1", ...)``."""
    details: bool
    """Whether each row carries its history and lineage (what the HTML page shows)."""
    generated: str
    seconds: float
    lineage: dict[str, dict[str, Any]] | None = None
    """Leaf ARN -> its chain for the page (:mod:`.chains`): only with details."""
    html: str | None = None
    """Where the HTML page was written, if it was."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "environments": list(self.environments),
            "versions": [v.to_dict() for v in self.versions],
            "chains": [list(c) for c in self.chains],
            "details": self.details,
            "generated": self.generated,
            "seconds": self.seconds,
        }
        if self.lineage is not None:
            out["lineage"] = self.lineage
        if self.html is not None:
            out["html"] = self.html
        return out


# -- reading ------------------------------------------------------------------------------------
def _expression(groups: Sequence[str]) -> dict[str, Any]:
    """Model packages of ``groups``: one filter, or an Or of one filter per group."""
    filters = [{"Name": "ModelPackageGroupName", "Operator": "Equals", "Value": g} for g in groups]
    if len(filters) == 1:
        return {"Filters": filters}
    return {"SubExpressions": [{"Filters": [f]} for f in filters], "Operator": "Or"}


def search_versions(ctx: EnvContext, groups: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Every model package record of ``groups`` (``SearchRecord.ModelPackage``), oldest first
    within each batch of :data:`SEARCH_MAX_GROUPS` groups, 100 a page."""
    sm = ctx.client("sagemaker")
    for start in range(0, len(groups), SEARCH_MAX_GROUPS):
        batch = groups[start : start + SEARCH_MAX_GROUPS]
        with kit_errors(ctx.role_arn):
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


def short(arn: str | None, account_env: Mapping[str, str]) -> str | None:
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


def card_content(record: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
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
class EnvRead:
    """What the report read in one environment."""

    ctx: EnvContext
    use_cases: dict[str, str]
    """Group name -> use case."""
    records: list[dict[str, Any]] = field(default_factory=list)
    """SearchRecord.ModelPackage of every version, oldest first."""
    audit: dict[str, dict[int, list[AuditKey]]] = field(default_factory=dict)
    """Group -> version -> audit keys (environments shown only)."""
    upstream: dict[tuple[str, str, int], list[AuditKey]] = field(default_factory=dict)
    """(use case, upstream environment, version) -> the keys of the records this environment
    holds about that upstream version (refused promotions, promotion locks released)."""


def _read_env(ctx: EnvContext, use_cases: Sequence[str], *, shown: bool) -> EnvRead:
    names = ctx.names
    wanted = [names.ssm_group_name(uc) for uc in use_cases]
    params = ctx.params([*wanted, names.ssm_artifact_bucket])
    read = EnvRead(ctx, {params[names.ssm_group_name(uc)]: uc for uc in use_cases})
    groups = list(read.use_cases)
    if groups:
        read.records = list(search_versions(ctx, groups))
    for group in groups:
        keys = audit.all_entries(ctx, group, upstream_only=not shown)
        if shown:
            read.audit[group] = audit.by_version(keys)
        for (source_env, version), found in audit.upstream_entries(keys).items():
            read.upstream[(read.use_cases[group], source_env, version)] = found
    return read


def _refusals(
    reads: Mapping[str, EnvRead], workers: int = DETAIL_WORKERS
) -> dict[tuple[str, str, int], list[Refusal]]:
    """(use case, environment, version) -> its last refused promotion into each environment that
    refused it (one GetObject per refusal shown), in promotion order."""
    wanted: list[tuple[tuple[str, str, int], EnvRead, list[AuditKey]]] = []
    for read in reads.values():
        for (use_case, source_env, version), keys in read.upstream.items():
            refused = [k for k in keys if k.action == REFUSED]
            if refused:
                wanted.append(((use_case, source_env, version), read, refused))

    def refusal(item: tuple[tuple[str, str, int], EnvRead, list[AuditKey]]) -> Refusal:
        _, read, refused = item
        rec = audit.read(read.ctx, refused[-1].key)
        return Refusal(
            env=read.ctx.env.name,
            when=str(rec.get("when") or "")[:19].replace("T", " "),
            who=str(rec.get("who") or ""),
            failures=tuple((rec.get("details") or {}).get("failures") or ()),
            attempts=len(refused),
            key=refused[-1].key,
        )

    out: dict[tuple[str, str, int], list[Refusal]] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(wanted)))) as pool:
        for (row_key, _, _), found in zip(wanted, pool.map(refusal, wanted), strict=True):
            out.setdefault(row_key, []).append(found)
    return out


@dataclass(frozen=True)
class Collected:
    """A report and what was read to make it (the page's details read further from here)."""

    report: Report
    reads: dict[str, EnvRead]
    targets: dict[str, list[str]]
    """Source ARN -> the versions promoted from it."""
    context: Callable[[str], EnvContext]
    """The report's role in an environment (one context each, made once)."""
    account_env: dict[str, str]


def collect_reads(
    platform: PlatformConfig,
    *,
    role: str = "approver",
    envs: Sequence[str] | None = None,
    use_case: str | None = None,
    source: boto3.Session | None = None,
) -> Collected:
    """Rows for every version in every environment (upstream first) and the chains they form,
    with what was read (for :mod:`.chains`)."""
    started = time.perf_counter()
    chosen = [platform.env(e) for e in envs] if envs else platform.promotion_order()
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

    refusals = _refusals(reads)
    rows: list[VersionRow] = []
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
            rows.append(_row(read, rec, targets, account_env, refusals))
    # The served versions' monitor results (one listing each; few versions are served at once).
    rows = [
        dataclasses.replace(r, monitoring=monitor_results(reads[r.env].ctx, r.use_case, r.version))
        if r.stage_status == STAGE_DEPLOYED
        else r
        for r in rows
    ]
    report = Report(
        environments=tuple(order),
        versions=tuple(rows),
        chains=_chains(rows, account_env),
        details=False,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
        seconds=round(time.perf_counter() - started, 3),
    )
    return Collected(report, reads, targets, context, account_env)


def _chains(rows: Sequence[VersionRow], account_env: Mapping[str, str]) -> tuple[tuple[str, ...], ...]:
    """Every promotion chain among ``rows``, from a version registered (or promoted from outside
    the rows) to each version at the end of a path."""
    by_arn = {r.arn: r for r in rows}
    children: dict[str, list[str]] = {}
    for r in rows:
        if r.source_arn in by_arn:
            children.setdefault(r.source_arn, []).append(r.arn)
    chains: list[tuple[str, ...]] = []

    def walk(path: list[str]) -> None:
        nexts = children.get(path[-1], [])
        if not nexts:
            if len(path) > 1:
                chains.append(tuple(short(a, account_env) or a for a in path))
            return
        for n in nexts:
            walk([*path, n])

    for r in rows:
        if r.source_arn not in by_arn:  # a chain head
            walk([r.arn])
    return tuple(chains)


def _row(
    read: EnvRead,
    rec: dict[str, Any],
    targets: Mapping[str, list[str]],
    account_env: Mapping[str, str],
    refusals: Mapping[tuple[str, str, int], list[Refusal]],
) -> VersionRow:
    ctx = read.ctx
    arn = rec["ModelPackageArn"]
    group = rec["ModelPackageGroupName"]
    version = int(rec["ModelPackageVersion"])
    meta = rec.get("CustomerMetadataProperties") or {}
    life = rec.get("ModelLifeCycle") or {}
    keys = read.audit.get(group, {}).get(version, [])
    last = keys[-1] if keys else None
    went = sorted(set(targets.get(arn, [])) | set(promoted_to(meta).values()))
    card, card_error = card_content(rec)
    use_case = read.use_cases.get(group, group)
    gates, more = parse_gate_record(meta.get(META_GATE_RESULTS))
    return VersionRow(
        env=ctx.env.name,
        account=ctx.env.account_id,
        use_case=use_case,
        group=group,
        version=version,
        arn=arn,
        approval=rec.get("ModelApprovalStatus"),
        approval_description=rec.get("ApprovalDescription"),
        card=(rec.get("ModelCard") or {}).get("ModelCardStatus"),
        card_content=card,
        card_error=card_error,
        stage=life.get("Stage"),
        stage_status=life.get("StageStatus"),
        source_arn=meta.get(META_SOURCE_ARN),
        promoted_to=tuple(went),
        came_from=short(meta.get(META_SOURCE_ARN), account_env),
        went_to=", ".join(short(a, account_env) or a for a in went) or None,
        last_audit=AuditMark(_audit_time(last.when), last.action, last.key) if last else None,
        created=rec.get("CreationTime"),
        modified=rec.get("LastModifiedTime"),
        gates_status=meta.get(META_GATES),
        gates=gates,
        gates_more=more,
        refusals=tuple(refusals.get((use_case, ctx.env.name, version), ())),
    )
