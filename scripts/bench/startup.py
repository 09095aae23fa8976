"""``startup``: how long a command takes to start, in a fresh interpreter each run.

``mlgov --help``, ``mlgov report --help``, ``mlgov promote --help`` and ``mlgov approve --help``
(the module of the command imported, nothing run) and ``import scripts.governance.report``, each
:data:`RUNS` times; the minimum and the median of the wall time. The read-only commands load
neither the training and evaluation libraries (scikit-learn, SHAP, pandas, smclarify, numpy) nor
the SageMaker SDK (``tests/unit/test_imports.py`` guards that); these figures say what it saves.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Any

from .core import REPO_ROOT, BenchContext, section

#: Runs of each command (the minimum is the figure: the machine's other load only adds).
RUNS = 7
COMMANDS = {
    "mlgov --help": ["-m", "scripts.cli", "--help"],
    "mlgov report --help": ["-m", "scripts.cli", "report", "--help"],
    "mlgov promote --help": ["-m", "scripts.cli", "promote", "--help"],
    "mlgov approve --help": ["-m", "scripts.cli", "approve", "--help"],
    "import scripts.governance.report": ["-c", "import scripts.governance.report"],
    "python (nothing imported)": ["-c", "pass"],
}


def _seconds(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=REPO_ROOT, capture_output=True, check=True, timeout=120)
    return time.perf_counter() - started


@section("startup", order=5)
def startup(ctx: BenchContext) -> dict[str, Any]:
    """Start-up of mlgov --help and the read-only commands' --help, min and median of 7 runs."""
    out: dict[str, Any] = {}
    for name, args in COMMANDS.items():
        times = [_seconds(args) for _ in range(RUNS)]
        out[name] = {"min_s": round(min(times), 3), "median_s": round(statistics.median(times), 3)}
        ctx.progress(f"[bench] {name}: {out[name]['min_s']:.3f}s (median {out[name]['median_s']:.3f}s)")
    return out
