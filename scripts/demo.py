"""``make demo``: the whole governance workflow on the local multi-account emulator.

Starts the local cloud (IAM enforced unless it was started without), deploys every environment,
then:

1. seed dev with the sample versions: v1 fair logistic regression, v2 random forest that uses age,
   v3 decision stump; each with its card carrying quality, bias and explainability;
2. review and approve v1 in dev; promote it along the chain; in the first strict environment a
   data scientist tries to approve it first (denied by IAM: separation of duties), then the
   approver reviews and approves it;
3. serve it at the end of the chain on the use case's endpoint as the model-deploy role (which
   records it Deployed), print the predictions for a handful of applicants; try to serve dev's
   newest version that is not approved: REFUSED, naming each gate; send drifted applicants and
   run the monitor against the version's data-quality baseline: its violations name the drift
   (``--no-serve`` skips this step and only marks the version Deployed);
4. print the evaluation sections of the deployed version's card;
5. promote v2 as far as its bias allows: prod's bias gate REFUSES it, naming DPPL and DI;
6. approve v3 in dev: staging's quality floors REFUSE it, naming the metrics;
7. print the report.

Exits 0 when every step behaved as expected. The emulator is stopped at the end unless
``--keep-running`` (an emulator that was already running is left alone).

What overlaps, so that the command stays short: the stacks are synthesized while the emulator
starts, the workflow's modules load and the sample models train (main.py keeps one core busy);
the applies' closing ``apply -refresh-only`` (the deploy runner's ``refresh`` action) runs beside the
workflow, which touches nothing Terraform manages. The demo ends only when all of it has.

The workflow itself is :func:`scripts.governance.workflow.run_workflow`; the end-to-end test
calls the same function against its deployed emulator. This module imports it only once the
synthesis is under way.

    mlgov demo [--keep-running] [--skip-deploy] [--force-synth] [--no-serve] [--html report.html] [--json]
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError

from environments import load_platform

from . import command
from .governance.output import CONFIG_DIR_VAR

if TYPE_CHECKING:
    from .governance.train import TrainingResult, TrainingSpec

logger = logging.getLogger(__name__)

#: Where the demo synthesizes the stacks (the deploy runner's default).
STACKS_DIR = Path(__file__).resolve().parents[1] / "cdktf.out"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mlgov demo",
        description="Deploy every environment on the local emulator and "
        "run the whole governance workflow (make demo).",
    )
    p.add_argument(
        "--keep-running",
        action="store_true",
        help="leave the emulator running afterwards (stop: mlgov cloud stop)",
    )
    p.add_argument(
        "--skip-deploy",
        action="store_true",
        help="do not apply the stacks (they are already applied on the running emulator)",
    )
    p.add_argument(
        "--force-synth",
        action="store_true",
        help="synthesize the stacks even if nothing they are built from changed",
    )
    p.add_argument(
        "--no-serve",
        action="store_true",
        help="skip serving (serve, invoke, the refused deploy, monitor: no endpoint or monitoring "
        "job runs, so the demo is shorter); the end of the chain is then marked Deployed without "
        "an endpoint",
    )
    p.add_argument("--html", default=None, metavar="FILE", help="also write the HTML report to FILE")
    p.add_argument(
        "--config-dir",
        default=os.environ.get(CONFIG_DIR_VAR) or None,
        help=f"directory of environment YAML files (default: ${CONFIG_DIR_VAR}, as for `mlgov deploy`, "
        "else the kit's environments/)",
    )
    p.add_argument("--json", action="store_true", help="print the workflow's result as JSON at the end")
    p.add_argument("--verbose", action="store_true", help="debug logging on stderr")
    return p


def _train_samples(pool: Executor) -> Callable[[TrainingSpec], TrainingResult]:
    """On ``pool``'s thread: import the workflow (numpy, scikit-learn, boto3, the SageMaker SDK's
    shapes: about 1.5 s) and queue the sample models' training runs behind it."""
    from .governance import workflow  # noqa: F401  (the import is the work)
    from .governance.train import train_ahead

    return train_ahead(pool)


#: What a demo step that misbehaved raises (a check that failed, an AWS error no job mapped, the
#: emulator or Terraform failing): reported in one line by the command edge; anything else is a
#: bug and keeps its traceback.
DEMO_FAILURES = (AssertionError, BotoCoreError, OSError, subprocess.SubprocessError)


def main(argv: Sequence[str] | None = None) -> int:
    return command.main(build_parser(), argv, demo, render=lambda _: None, expected=DEMO_FAILURES)


def demo(args: argparse.Namespace) -> dict[str, Any]:
    """Deploy and run the workflow; the workflow's result (printed with ``--json``). The emulator
    is stopped either way (unless ``--keep-running``), once the threads have finished with it."""
    if not args.verbose:
        # The demo narrates each step itself; the jobs' progress lines are for --verbose.
        for name in ("scripts", "sagemaker"):
            logging.getLogger(name).setLevel(logging.WARNING)
    platform = load_platform(args.config_dir)
    from scripts.deploy import deploy
    from scripts.localcloud import LocalCloud

    cloud = LocalCloud()
    ours = cloud.running_state() is None
    say = (lambda line: print(line, file=sys.stderr)) if args.json else print
    common: dict[str, Any] = {
        "target": "local",
        "cloud": cloud,
        "platform": platform,
        "config_dir": args.config_dir,
        "outdir": STACKS_DIR,
    }
    try:
        # main.py's synthesis keeps about one core busy: the emulator's start, the workflow's
        # imports and the sample models' training take the other. Two pools: one for the
        # emulator's start and the closing refresh, one thread for the imports and the training
        # runs, one at a time (each fit is single-threaded: threadpoolctl's limits are per
        # process, not per thread).
        with (
            ThreadPoolExecutor(2, thread_name_prefix="demo") as pool,
            ThreadPoolExecutor(1, thread_name_prefix="demo-train") as training,
        ):
            starting = pool.submit(cloud.start, reuse=True)
            trainer = training.submit(_train_samples, training)
            refreshing: Future[list[Any]] | None = None
            if not args.skip_deploy:
                say("synthesizing the stacks while the local cloud starts and the sample models train")
                deploy(
                    "synth", force_synth=args.force_synth, progress=lambda line: say(f"  {line}"), **common
                )
            starting.result()
            # The jobs reach the emulator through the standard variables boto3 honours.
            os.environ.update(cloud.env())
            say(f"local cloud at {cloud.url}")
            if not args.skip_deploy:
                say(
                    "deploying every environment (roles other environments' policies name first, then all at once)"
                )
                deploy(
                    "apply",
                    synthesize=False,
                    refresh_after_apply=False,
                    progress=lambda line: say(f"  {line}"),
                    **common,
                )
                say("recording in Terraform state what the provider reads back, beside the workflow")
                refreshing = pool.submit(deploy, "refresh", synthesize=False, **common)
            from .governance.workflow import run_workflow

            result = run_workflow(
                platform, say=say, html_path=args.html, trainer=trainer.result(), serving=not args.no_serve
            )
            if refreshing is not None:
                steps = refreshing.result()
                say("state refreshed: " + ", ".join(f"{r.env} {r.seconds:.1f}s" for r in steps))
    finally:
        if ours and not args.keep_running:
            cloud.stop()
    say("demo finished: every step behaved as expected")
    say(local_cloud_note(cloud.running_state()))
    return result


def local_cloud_note(running: dict[str, Any] | None) -> str:
    """The demo's last line: whether the local cloud is still up, how to connect and how to stop it."""
    if running is None:
        return (
            "the local cloud is stopped (what the demo deployed went with it); "
            "`mlgov demo --keep-running` leaves it up for exploring"
        )
    return (
        f"the local cloud is still running at {running['url']}: connect with "
        '`eval "$(mlgov cloud env)"` (README, Operate), stop it with `mlgov cloud stop`'
    )


if __name__ == "__main__":
    sys.exit(main())
