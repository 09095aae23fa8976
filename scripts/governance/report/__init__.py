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
(quality, pre- and post-training bias, explainability), a served version's newest monitor
violations (:mod:`.monitoring`; in the JSON too), the DataZone project, the approval and
card history from the audit records, and the lineage chain from the dataset to the deployment.
Those details cost calls per version (one GetObject per audit record, a lineage walk per chain,
in parallel), so only the page asks for them. The lineage is read through
:func:`..lineage.walk_back` as the report's role in every account; where that role cannot read
it, the chain is drawn from the versions' records instead and the page says so.

Along its seams: :mod:`.collection` reads the versions and makes the typed rows
(:class:`VersionRow`, :class:`Report`) and the promotion chains; :mod:`.chains` adds the page's
details (audit histories, lineage chains); :mod:`.page` is the page's view model and the HTML;
:mod:`.job` is :func:`collect`, the table and the command line. Nothing here loads the SageMaker
SDK or the evaluation libraries: the card is read as JSON.

    mlgov report                        # terminal table
    mlgov report --json
    mlgov report --html report.html     # the reviewer's page; prints the path it wrote
"""

from __future__ import annotations

from .chains import add_details
from .collection import (
    DETAIL_WORKERS,
    SEARCH_MAX_GROUPS,
    SEARCH_PAGE_SIZE,
    AuditMark,
    HistoryEntry,
    Report,
    VersionRow,
    collect_reads,
    search_versions,
)
from .job import COLUMNS, build_parser, collect, main, render_table
from .page import render_html, write_html

__all__ = [
    "COLUMNS",
    "DETAIL_WORKERS",
    "SEARCH_MAX_GROUPS",
    "SEARCH_PAGE_SIZE",
    "AuditMark",
    "HistoryEntry",
    "Report",
    "VersionRow",
    "add_details",
    "build_parser",
    "collect",
    "collect_reads",
    "main",
    "render_html",
    "render_table",
    "search_versions",
    "write_html",
]
