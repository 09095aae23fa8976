"""The list of gates is written once, in scripts/governance/promote/gates.py (GATES): the table
docs/GOVERNANCE.md shows between its gate markers is gates.docs_table()."""

from __future__ import annotations

from pathlib import Path

from scripts.governance.promote import gates

DOC = Path(__file__).resolve().parents[2] / "docs" / "GOVERNANCE.md"
START, END = "<!-- gates: generated from scripts/governance/promote/gates.py -->", "<!-- /gates -->"


def test_the_gate_table_of_the_docs_is_the_gate_list() -> None:
    shown = DOC.read_text().split(START, 1)[1].split(END, 1)[0].strip()
    assert shown == gates.docs_table(), "paste gates.docs_table() into docs/GOVERNANCE.md"


def test_the_table_has_a_row_per_failure_name_of_every_gate() -> None:
    rows = gates.docs_table().splitlines()[2:]
    assert [r.split("|")[1].strip() for r in rows] == [
        "`approval`",
        "`card_status`",
        "`card_sections`",
        "`metric:<name>`",
        "`bias:DPPL`",
        "`bias:DI`",
        "`explainability`",
    ]
