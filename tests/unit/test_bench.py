"""The bench's bookkeeping: where the demo's time went, read from its own output lines, and the
summary table's goal column. (The measurements themselves run in ``make bench``, not here.)"""

from __future__ import annotations

from scripts.bench import core

#: The lines ``python -m scripts.demo`` prints, with arrival times (seconds), as it overlaps them:
#: the emulator comes up during the synthesis, the workflow starts once an environment's apply has
#: made every change but its lifecycle rules, and the applies end beside it.
DEMO_LINES = [
    (0.2, "synthesizing the stacks while the local cloud starts and the sample models train"),
    (11.4, "  [local] *          synth      ok           11.2s"),
    (11.4, "local cloud at http://127.0.0.1:38011"),
    (11.5, "  apply: dev, staging, prod at once"),
    (20.1, "  [local] staging    plan       changes        7.6s"),
    (55.0, "1. the data engineer publishes the credit dataset to the DataZone catalog"),
    (92.9, "  [local] staging    apply      ok           64.3s"),
    (94.0, "  [local] staging    associate  ok            0.7s  accepted 1 invitation(s)"),
    (107.1, "  dev v1 -> staging v1 -> prod v1"),
    (111.6, "demo finished: every step behaved as expected"),
]


def test_demo_shares_split_setup_apply_and_workflow_at_the_demo_s_own_lines():
    shares = core.demo_shares(DEMO_LINES, 112.6)
    assert shares is not None
    # setup ends with the later of the emulator and the synthesis; the apply share ends at the
    # workflow's first step, though deploy lines come after it (the applies end beside it)
    assert shares["seconds"] == {"setup": 11.4, "apply": 43.6, "workflow": 57.6}
    assert shares["applies_end_s"] == 94.0
    assert abs(sum(shares["share"].values()) - 1) < 0.01


def test_demo_shares_take_the_later_of_emulator_and_synthesis_whichever_comes_first():
    lines = [
        (3.0, "local cloud at http://x"),
        *[(t, line) for t, line in DEMO_LINES if "local cloud" not in line],
    ]
    late_cloud = [(t, line) for t, line in DEMO_LINES if "local cloud" not in line]
    late_cloud.insert(2, (13.0, "local cloud at http://x"))
    assert core.demo_shares(lines, 112.6)["seconds"]["setup"] == 11.4  # type: ignore[index]
    assert core.demo_shares(late_cloud, 112.6)["seconds"]["setup"] == 13.0  # type: ignore[index]
    # a transcript without the lines it needs gives no split rather than a wrong one
    assert core.demo_shares([(1.0, "local cloud at http://x")], 5.0) is None


def test_summary_marks_the_demo_goal_met_or_not():
    def doc(wall: float) -> dict:
        return {"sections": {"demo": {"wall_s": wall}}}

    def row(table: str) -> str:
        return next(line for line in table.splitlines() if "python -m scripts.demo" in line)

    assert "| yes |" in row(core.summary_table(doc(112.6), None))
    assert "| **no** | 127.91 s |" in row(core.summary_table(doc(120.5), doc(127.91)))


def test_summary_puts_the_install_beside_pip_s_figure_and_counts_warnings():
    def rows(cold: float, warnings: int) -> dict[str, str]:
        doc = {"sections": {"install": {"cold_s": cold, "warm_s": 9.5, "warnings": warnings}}}
        table = core.summary_table(doc, None).splitlines()
        return {line.split(" | ")[0].lstrip("| "): line for line in table}

    goal = core.INSTALL_GOAL_FRACTION * core.PIP_INSTALL_S
    fast, slow = rows(goal - 1, 0), rows(goal + 1, 2)
    cold = "install: fresh clone, empty caches (both venvs, from the locks)"
    assert f"pip's {core.PIP_INSTALL_S:.0f} s" in fast[cold]
    assert fast[cold].endswith("| yes | — |") and slow[cold].endswith("| **no** | — |")
    assert "9.50 s" in fast["install: fresh clone, warm caches"]
    assert fast["install: warnings printed"].endswith("| yes | — |")
    assert slow["install: warnings printed"].endswith("| **no** | — |")
