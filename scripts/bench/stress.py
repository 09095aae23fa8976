"""Run the local cloud's concurrency proofs many times in a row: a flaky pass is a failure.

    python -m scripts.bench.stress                          # 10 runs of each proof
    python -m scripts.bench.stress --runs 3 --only accounts
    python -m scripts.bench.stress --stop-on-failure

Each run is a fresh ``pytest`` process (``-p no:xdist``) with its own ``--basetemp``, so every
run starts its own emulator, as CI's clean clone does. The proofs:

- ``accounts``: ``tests/emulator/test_concurrency.py``, threads calling into every environment's
  account at once (assume role, VPC, security group and its egress rule, registry writes);
- ``remote-state``: ``tests/deploy/test_remote_state_e2e.py``, the bootstrap of three accounts
  at once, then Terraform through the S3 backend and its lock file, with IAM enforced.

Results go to ``bench-results/stress.json``: per proof and run, the outcome, the seconds, and how
many calls the local cloud answered as repeated (``(repeated, ...)`` in each emulator's
``server.log``: an SDK attempt whose first answer was lost on the way, docs/emulator-gaps.md).
Not part of ``make test``: ten runs of the remote-state proof take about an hour here.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scripts import command
from scripts.errors import EXIT_FAILED, EXIT_OK, UsageError

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "bench-results" / "stress.json"

PROOFS: dict[str, str] = {
    "accounts": "tests/emulator/test_concurrency.py",
    "remote-state": "tests/deploy/test_remote_state_e2e.py",
}


def repeated_calls(basetemp: Path) -> int:
    """Calls the emulators of one run answered as repeated (first answer lost on the way)."""
    return sum(
        log.read_text(encoding="utf-8", errors="replace").count("(repeated, ")
        for log in basetemp.rglob("server.log")
    )


def run_once(proof: str, basetemp: Path) -> dict[str, Any]:
    started = time.monotonic()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [*command, "--basetemp", str(basetemp), PROOFS[proof]],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or [""]
    return {
        "passed": done.returncode == 0,
        "seconds": round(time.monotonic() - started, 1),
        "repeated_calls": repeated_calls(basetemp),
        "summary": tail[0],
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m scripts.bench.stress", description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=10, help="runs of each proof (default: 10)")
    p.add_argument("--only", action="append", choices=sorted(PROOFS), help="run only this proof (repeatable)")
    p.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="results file (default: bench-results/stress.json)"
    )
    p.add_argument("--stop-on-failure", action="store_true", help="stop at the first failed run")
    return command.main(p, argv, stress)


def stress(args: argparse.Namespace) -> command.Outcome:
    """Run each proof ``--runs`` times; write the results; exit 1 when a run failed."""
    if args.runs < 1:
        raise UsageError("--runs must be at least 1")
    doc: dict[str, Any] = {"started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "proofs": {}}
    failed = False
    with tempfile.TemporaryDirectory(prefix="mlgov-stress-") as scratch:
        for proof in args.only or sorted(PROOFS):
            runs: list[dict[str, Any]] = []
            doc["proofs"][proof] = {"runs": runs}
            for n in range(1, args.runs + 1):
                result = run_once(proof, Path(scratch) / f"{proof}-{n}")
                runs.append(result)
                outcome = "passed" if result["passed"] else "FAILED"
                print(
                    f"[stress] {proof} run {n}/{args.runs}: {outcome} in {result['seconds']}s, "
                    f"{result['repeated_calls']} repeated calls ({result['summary']})",
                    file=sys.stderr,
                    flush=True,
                )
                failed = failed or not result["passed"]
                if failed and args.stop_on_failure:
                    break
            doc["proofs"][proof]["passed_in_a_row"] = next(
                (i for i, r in enumerate(runs) if not r["passed"]), len(runs)
            )
            if failed and args.stop_on_failure:
                break
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    print(f"results written to {args.out}", file=sys.stderr)
    return command.Outcome(code=EXIT_FAILED if failed else EXIT_OK)


if __name__ == "__main__":
    sys.exit(main())
