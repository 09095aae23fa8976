"""Bench section ``pipeline`` (registered into ``scripts.bench``): the sample use case's SageMaker
Pipeline on the deployed local cloud, IAM enforced, run the way the README runs it.

On the run's emulator with every environment applied (:meth:`BenchContext.deployed`: the one the
``apply`` section deployed, else applied now), each step a ``mlgov`` command in a fresh
interpreter, as a person types it (``mlgov cloud env`` in its environment):

1. the training data by DataZone subscription: ``mlgov data setup``, ``publish``, ``subscribe
   --use-case credit-risk`` and ``approve-subscription`` (each command's seconds, beside);
2. ``upsert_s``: ``mlgov pipeline upsert --env dev`` (the SageMaker SDK's import, the build, the
   steps' code uploaded, CreatePipeline), and ``upsert_again_s``: the same again (UpdatePipeline);
3. ``run``: ``mlgov pipeline start --env dev --wait`` on the subscribed dataset: the command's
   wall time, and from the execution itself (DescribePipelineExecution and
   ListPipelineExecutionSteps, read as dev's deploy role) each step's seconds (StartTime to
   EndTime), when it started after the execution was created, the execution's own seconds
   (CreationTime to LastModifiedTime), and the seconds no step was running
   (:func:`step_timings`).

The version the run registers stays in dev's group (PendingManualApproval), as after the
README's ``mlgov pipeline start``.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from scripts.aws import client
from scripts.deploy import synthesis

from .core import REPO_ROOT, BenchContext, deploy_session, section

ENV = "dev"
USE_CASE = "credit-risk"
#: Seconds between two looks at the running execution (``mlgov pipeline start --interval``).
POLL_S = 0.5


def _seconds(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


def covered_seconds(intervals: Sequence[tuple[datetime, datetime]]) -> float:
    """Seconds inside at least one of ``intervals`` (steps that ran at the same time count once)."""
    total = 0.0
    end: datetime | None = None
    for start, stop in sorted(intervals):
        if end is None or start > end:
            total += _seconds(stop, start)
            end = stop
        elif stop > end:
            total += _seconds(stop, end)
            end = stop
    return total


def step_timings(steps: Sequence[Mapping[str, Any]], execution: Mapping[str, Any]) -> dict[str, Any]:
    """Where one execution's time went, from ListPipelineExecutionSteps' items (``StepName``,
    ``StepStatus``, ``StartTime``, ``EndTime``) and DescribePipelineExecution (``CreationTime``,
    ``LastModifiedTime``, ``PipelineExecutionStatus``).

    Each step's seconds are its EndTime minus its StartTime (None while it runs or when it never
    started), ``started_after_s`` its StartTime minus the execution's CreationTime. The
    execution's seconds run from CreationTime to LastModifiedTime (its end, once it ended);
    ``between_steps_s`` is the part of them no step was running (scheduling, and the look-ups
    between a step's end and the next one's start)."""
    created = execution["CreationTime"]
    rows = []
    intervals = []
    for step in sorted(steps, key=lambda s: (s.get("StartTime") or created, s["StepName"])):
        start, end = step.get("StartTime"), step.get("EndTime")
        if start is not None and end is not None:
            intervals.append((start, end))
        rows.append(
            {
                "step": step["StepName"],
                "status": step["StepStatus"],
                "seconds": round(_seconds(end, start), 2) if start is not None and end is not None else None,
                "started_after_s": round(_seconds(start, created), 2) if start is not None else None,
            }
        )
    execution_s = _seconds(execution["LastModifiedTime"], created)
    in_steps = covered_seconds(intervals)
    return {
        "status": execution["PipelineExecutionStatus"],
        "execution_s": round(execution_s, 2),
        "in_steps_s": round(in_steps, 2),
        "between_steps_s": round(execution_s - in_steps, 2),
        "steps": rows,
        "seconds_by_step": {r["step"]: r["seconds"] for r in rows},
    }


def _mlgov(env: Mapping[str, str], *argv: str) -> tuple[dict[str, Any], float]:
    """``mlgov <argv> --json`` in a fresh interpreter; its JSON result and its wall seconds."""
    started = time.monotonic()
    done = subprocess.run(
        [synthesis.python(REPO_ROOT), "-m", "scripts.cli", *argv, "--json"],
        cwd=REPO_ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"mlgov {' '.join(argv)} exited {done.returncode} after {seconds:.1f}s: "
            f"{(done.stderr or done.stdout).strip()[-2000:]}"
        )
    result: dict[str, Any] = json.loads(done.stdout)
    return result, seconds


def command_env(cloud_env: Mapping[str, str]) -> dict[str, str]:
    """This process's environment pointed at the local cloud (``mlgov cloud env``), the kit on
    PYTHONPATH, and no profile that would send the SDK elsewhere."""
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN")}
    env.update(cloud_env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    return env


@section("pipeline", order=40)
def bench_pipeline(ctx: BenchContext) -> dict[str, Any]:
    """The sample pipeline on the deployed local cloud: upsert, then a run on the subscribed dataset, seconds per step."""
    cloud = ctx.deployed()
    env = command_env(cloud.env())
    data: dict[str, float] = {}
    _, data["setup_s"] = _mlgov(env, "data", "setup")
    _, data["publish_s"] = _mlgov(env, "data", "publish")
    asked, data["subscribe_s"] = _mlgov(
        env, "data", "subscribe", "--use-case", USE_CASE, "--reason", "bench: train the credit model"
    )
    if "request_id" in asked:
        _, data["approve_s"] = _mlgov(
            env, "data", "approve-subscription", "--request", asked["request_id"], "--reason", "bench"
        )
    ctx.progress("[bench] pipeline input: " + ", ".join(f"data {k} {v:.1f}s" for k, v in data.items()))

    upserted, upsert_s = _mlgov(env, "pipeline", "upsert", "--env", ENV, "--use-case", USE_CASE)
    again, upsert_again_s = _mlgov(env, "pipeline", "upsert", "--env", ENV, "--use-case", USE_CASE)
    ctx.progress(
        f"[bench] pipeline upsert {upsert_s:.1f}s ({upserted['action']}; {upserted['seconds']}s of it "
        f"building and upserting), again {upsert_again_s:.1f}s ({again['action']})"
    )
    run, run_s = _mlgov(
        env, "pipeline", "start", "--env", ENV, "--use-case", USE_CASE, "--wait", "--interval", str(POLL_S)
    )
    sm = client(deploy_session(cloud, ctx.platform.env(ENV)), "sagemaker", endpoint_url=cloud.url)
    arn = run["execution"]
    execution = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
    steps = [
        step
        for page in sm.get_paginator("list_pipeline_execution_steps").paginate(
            PipelineExecutionArn=arn, SortOrder="Ascending"
        )
        for step in page["PipelineExecutionSteps"]
    ]
    timings = step_timings(steps, execution)
    ctx.progress(
        f"[bench] pipeline run {run_s:.1f}s (`mlgov pipeline start --wait`), execution "
        f"{timings['execution_s']:.1f}s: "
        + ", ".join(f"{r['step']} {r['seconds']}s" for r in timings["steps"])
        + f"; between steps {timings['between_steps_s']:.1f}s"
    )
    out: dict[str, Any] = {
        "measured": f"the {USE_CASE} pipeline in {ENV} on the deployed local cloud (IAM enforced), "
        "each command in a fresh interpreter",
        "data_commands_s": {k: round(v, 2) for k, v in data.items()},
        "upsert_s": round(upsert_s, 2),
        "upsert_build_s": upserted["seconds"],
        "upsert_again_s": round(upsert_again_s, 2),
        "start_wait_s": round(run_s, 2),
        "poll_interval_s": POLL_S,
        "execution": arn,
        "model_package": run.get("model_package"),
        "dataset_asset_id": (run.get("dataset") or {}).get("asset_id"),
        **timings,
    }
    if timings["status"] != "Succeeded":
        out["error"] = f"the execution ended {timings['status']}: {execution.get('FailureReason')}"
    return out
