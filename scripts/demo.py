"""``make demo``: the whole governance workflow on the local multi-account emulator.

Starts the local cloud (IAM enforced unless it was started without), deploys every environment,
then:

1. DataZone: the data engineer publishes the credit dataset, the use case's project subscribes,
   the data owner approves (the kit grants the use case's pipeline and execution roles read on its
   prefix);
2. the use case's SageMaker Pipeline builds v1 from the subscribed data (a fair logistic
   regression; a line per step), then seed registers v2, a random forest that uses age, and v3, a
   decision stump; each with its card carrying quality, bias and explainability;
3. review and approve v1 in dev (each approval publishes the model to the DataZone catalog); promote it along the chain; in the first strict environment a
   data scientist tries to approve it first (denied by IAM: separation of duties), then the
   approver reviews and approves it;
4. serve it at the end of the chain on the use case's endpoint as the model-deploy role (which
   records it Deployed), print the predictions for a handful of applicants; try to serve dev's
   newest version that is not approved: REFUSED, naming each gate; send drifted applicants and
   run the monitor against the version's data-quality baseline: its violations name the drift
   (``--no-serve`` skips this step and only marks the version Deployed);
5. print the evaluation sections of the deployed version's card, its lineage back to the
   subscribed dataset, and the catalog as another project finds it by a business term;
6. promote v2 as far as its bias allows: prod's bias gate REFUSES it, naming DPPL and DI;
7. approve v3 in dev: staging's quality floors REFUSE it, naming the metrics;
8. print the report.

Exits 0 when every step behaved as expected. The emulator is stopped at the end unless
``--keep-running`` (an emulator that was already running is left alone).

What overlaps, so that the command stays short: the stacks are synthesized while the emulator
starts, the workflow's modules load, the sample models train and the SDK's pipeline classes load
(main.py keeps one core busy); every environment is planned and applied at once; the workflow
starts in an environment as soon as its apply has made every change but the buckets'
lifecycle rules (the deploy runner's ``on_ready``: the AWS provider reads a lifecycle
configuration back for 55 s after creating it, and nothing the workflow does depends on it), so
the applies finish beside the workflow; the demo ends only when they have. The closing
``apply -refresh-only`` (the deploy runner's ``refresh`` action) runs only when the local cloud
outlives the demo: its state describes nothing once the cloud is stopped.

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
import threading
import warnings
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
    shapes: about 1.5 s) and queue the training runs seed makes behind it (the first version is
    the pipeline's), then the import of the SDK's pipeline classes (about 3 s) the pipeline's
    upsert needs."""
    from .governance import workflow  # noqa: F401  (the import is the work)
    from .governance.train import DEFAULT_SPECS, train_ahead

    trainer = train_ahead(pool, DEFAULT_SPECS[1:])
    pool.submit(_import_pipeline_sdk)
    return trainer


def _import_pipeline_sdk() -> None:
    import sagemaker.mlops.workflow.pipeline  # noqa: F401  (the import is the work)


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
        # The demo narrates each step itself; the jobs' progress lines are for --verbose. The
        # SageMaker SDK sets levels on loggers of its own (DEBUG, INFO) and warns about what every
        # pipeline definition does (job names it leaves to SageMaker): below ERROR, its records
        # are dropped at the handlers.
        logging.getLogger("scripts").setLevel(logging.WARNING)
        for handler in logging.getLogger().handlers:
            handler.addFilter(_not_sdk_chatter)
        warnings.filterwarnings("ignore", message="Running within a PipelineSession")
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
            deploying: Future[list[Any]] | None = None
            ready = Readiness(platform)
            if not args.skip_deploy:
                say("synthesizing the stacks while the local cloud starts and the sample models train")
                deploy(
                    "synth", force_synth=args.force_synth, progress=lambda line: say(f"  {line}"), **common
                )
            starting.result()
            # The jobs reach the emulator through the standard variables boto3 honours.
            os.environ.update(cloud.env())
            say(f"local cloud at {cloud.url}")
            if args.skip_deploy:
                ready.all_set()
            else:
                say(
                    "deploying every environment at once; the workflow starts in each as soon as its "
                    "apply has made every change but its buckets' lifecycle rules"
                )
                deploying = pool.submit(
                    deploy,
                    "apply",
                    synthesize=False,
                    # The state is refreshed below only if the local cloud outlives the demo.
                    refresh_after_apply=False,
                    on_ready=ready.set,
                    progress=lambda line: say(f"  {line}"),
                    **common,
                )
                ready.deployment = deploying
            from .governance.workflow import run_workflow

            result = run_workflow(
                platform,
                say=say,
                html_path=args.html,
                trainer=trainer.result(),
                serving=not args.no_serve,
                ready=ready.wait,
            )
            if deploying is not None:
                deploying.result()  # the lifecycle rules and the association: a failure raises here
                if args.keep_running or not ours:
                    say(
                        "recording in Terraform state what the provider reads back (the local cloud stays up)"
                    )
                    steps = deploy("refresh", synthesize=False, **common)
                    say("state refreshed: " + ", ".join(f"{r.env} {r.seconds:.1f}s" for r in steps))
    finally:
        if ours and not args.keep_running:
            cloud.stop()
    say("demo finished: every step behaved as expected")
    say(local_cloud_note(cloud.running_state()))
    return result


def _not_sdk_chatter(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.ERROR or not record.name.startswith("sagemaker")


class Readiness:
    """Which environments the workflow may use: :meth:`set` by the deploy runner's ``on_ready``
    (every change applied but the buckets' lifecycle rules), :meth:`wait` by the workflow before
    it first acts in an environment. A deployment that fails before an environment is ready
    raises its error from :meth:`wait`."""

    def __init__(self, platform: Any) -> None:
        self.events = {e.name: threading.Event() for e in platform.promotion_order()}
        self.deployment: Future[list[Any]] | None = None

    def set(self, env: str) -> None:
        self.events[env].set()

    def all_set(self) -> None:
        for event in self.events.values():
            event.set()

    def wait(self, env: str) -> None:
        event = self.events[env]
        while not event.wait(READY_POLL_S):
            if self.deployment is not None and self.deployment.done():
                self.deployment.result()  # raises the deployment's failure
                if not event.is_set():
                    raise AssertionError(f"the deployment finished without {env!r} being ready")


#: How often :meth:`Readiness.wait` checks whether the deployment failed meanwhile.
READY_POLL_S = 0.2


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
