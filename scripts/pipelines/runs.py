"""What ``mlgov pipeline`` does (its command line is :mod:`.cli`, which documents each
subcommand): upsert a use case's pipeline from its module, start an execution with checked
parameters and the use case's subscribed dataset, follow it step by step, list the pipelines.
Each acts as the environment's data-scientist role.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from environments import PlatformConfig
from scripts import command
from scripts.aws import describe_client_error, error_code, kit_errors
from scripts.errors import KitError, UsageError
from scripts.governance.context import (
    EnvContext,
    datazone_project_id,
    env_context,
    paginate,
    resolve_use_case,
)
from scripts.governance.lineage import record_dataset_asset

from . import contract

log = logging.getLogger(__name__)

ROLE = "data_scientist"
RUNNING = ("Executing", "Stopping")
FAILED = ("Failed", "Stopped")
#: Seconds between two looks at a running execution.
DEFAULT_INTERVAL_S = 5.0
DEFAULT_TIMEOUT_S = 3600.0
_PARAMETER_TYPES: dict[str, Callable[[str], Any]] = {
    "String": str,
    "Integer": int,
    "Float": float,
    "Boolean": lambda v: {"true": True, "false": False}[v.lower()],
}


class PipelineRunError(KitError):
    """An execution ended Failed or Stopped (exit 1); the message names the failed steps."""

    def __init__(self, message: str, steps: Sequence[str] = ()) -> None:
        super().__init__(message)
        self._steps = list(steps)

    def details(self) -> list[str]:
        return self._steps


class WaitTimeout(KitError):
    """The execution was still running when ``--timeout`` ran out (exit 1; it keeps running)."""


@dataclass(frozen=True)
class Target:
    """A use case's pipeline in one environment, acted on as the data-scientist role."""

    ctx: EnvContext
    use_case: str

    @property
    def name(self) -> str:
        return self.ctx.names.pipeline_name(self.use_case)

    def sagemaker(self) -> Any:
        return self.ctx.client("sagemaker")


def target(
    platform: PlatformConfig, env: str, use_case: str | None, *, job: str, source: boto3.Session | None = None
) -> Target:
    ctx = env_context(platform, env, ROLE, job=f"pipeline-{job}", source=source)
    return Target(ctx, resolve_use_case(ctx.env, use_case))


# -- upsert ------------------------------------------------------------------------------------
def _sdk_environment(region: str) -> None:
    """What the SageMaker SDK needs before it is imported: a region (it makes clients at import
    time), and no role validation: ModelTrainer validates its role with
    iam:SimulatePrincipalPolicy, which the data-scientist role is not granted (the pipeline role
    is the platform's own, its policy set by the stack)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    os.environ.setdefault("SAGEMAKER_VALIDATE_ROLE", "false")


def _context_values(t: Target, source: boto3.Session | None) -> dict[str, Any]:
    ctx, names, uc = t.ctx, t.ctx.names, t.use_case
    values = ctx.params(
        [
            names.ssm_artifact_bucket,
            names.ssm_kms_key_arn,
            names.ssm_role_arn("pipeline"),
            names.ssm_group_name(uc),
            names.ssm_lifecycle_stage,
        ]
    )
    bucket = values[names.ssm_artifact_bucket]
    return {
        "use_case": uc,
        "pipeline_name": t.name,
        "role_arn": values[names.ssm_role_arn("pipeline")],
        "bucket": bucket,
        "output_uri": f"s3://{bucket}/{names.pipeline_prefix(uc).rstrip('/')}",
        "models_uri": f"s3://{bucket}/{names.pipeline_models_prefix(uc).rstrip('/')}",
        "input_data_uri": f"s3://{bucket}/{names.data_prefix(uc)}",
        "model_package_group": values[names.ssm_group_name(uc)],
        "region": ctx.env.region,
        "kms_key_arn": values[names.ssm_kms_key_arn],
        "lifecycle_stage": values[names.ssm_lifecycle_stage],
        "datazone_project_id": datazone_project_id(ctx.platform, uc, job="pipeline-upsert", source=source),
    }


def _exists(sm: Any, name: str, role_arn: str) -> bool:
    try:
        sm.describe_pipeline(PipelineName=name)
    except ClientError as err:
        if error_code(err) == "ResourceNotFound":
            return False
        raise describe_client_error(err, role_arn=role_arn) from err
    return True


def upsert(
    platform: PlatformConfig,
    env: str,
    use_case: str | None = None,
    *,
    dry_run: bool = False,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """Create or update the use case's pipeline from its module; returns what was done."""
    t = target(platform, env, use_case, job="upsert", source=source)
    try:
        contract.load(t.use_case)
    except contract.PipelineModuleError as err:
        raise UsageError(str(err)) from None
    values = _context_values(t, source)
    summary = {
        "kind": "upsert",
        "env": env,
        "use_case": t.use_case,
        "pipeline": t.name,
        "role": values["role_arn"],
        "output_uri": values["output_uri"],
        "input_data_uri": values["input_data_uri"],
        "model_package_group": values["model_package_group"],
    }
    sm = t.sagemaker()
    existed = _exists(sm, t.name, t.ctx.role_arn)
    if dry_run:
        return {**summary, "action": "would update" if existed else "would create", "dry_run": True}
    _sdk_environment(t.ctx.env.region)
    started = time.monotonic()
    from sagemaker.core.workflow.pipeline_context import PipelineSession  # the pipeline extra

    session = PipelineSession(
        boto_session=t.ctx.boto_session(),
        sagemaker_client=sm,
        default_bucket=values["bucket"],
        default_bucket_prefix=t.ctx.names.pipeline_prefix(t.use_case).rstrip("/"),
    )
    context = contract.PipelineContext(session=session, **values)
    with kit_errors(t.ctx.role_arn):
        pipeline = contract.build(context)
        definition = json.loads(pipeline.definition())
        response = pipeline.upsert(role_arn=values["role_arn"])
    return {
        **summary,
        "action": "updated" if existed else "created",
        "arn": response["PipelineArn"],
        "steps": _step_names(definition),
        "parameters": {p["Name"]: p.get("DefaultValue") for p in definition.get("Parameters", [])},
        "seconds": round(time.monotonic() - started, 1),
    }


def _step_names(definition: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for step in definition.get("Steps", []):
        names.append(step["Name"])
        arguments = step.get("Arguments") or {}
        for branch in ("IfSteps", "ElseSteps"):
            names += _step_names({"Steps": arguments.get(branch, [])})
    return names


# -- start -------------------------------------------------------------------------------------
def _aws_error(t: Target, err: ClientError) -> KitError:
    """A missing pipeline is the user's to fix (upsert it); anything else is AWS's error."""
    if error_code(err) == "ResourceNotFound":
        return UsageError(
            f"no pipeline {t.name!r} in environment {t.ctx.env.name!r}: create it with "
            f"`mlgov pipeline upsert --env {t.ctx.env.name} --use-case {t.use_case}`"
        )
    return describe_client_error(err, role_arn=t.ctx.role_arn)


def _definition(t: Target) -> dict[str, Any]:
    try:
        described = t.sagemaker().describe_pipeline(PipelineName=t.name)
    except ClientError as err:
        raise _aws_error(t, err) from err
    loaded: dict[str, Any] = json.loads(described["PipelineDefinition"])
    return loaded


def parse_parameters(given: Sequence[str], definition: dict[str, Any], pipeline: str) -> dict[str, str]:
    """``Name=Value`` pairs checked against the definition's parameters (name and type); a
    mistake raises :class:`UsageError` naming the parameter and what the pipeline accepts."""
    declared = {p["Name"]: p.get("Type", "String") for p in definition.get("Parameters", [])}
    accepted = ", ".join(f"{n} ({t})" for n, t in declared.items()) or "none"
    out: dict[str, str] = {}
    for pair in given:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--parameter {pair!r}: expected Name=Value (the pipeline takes {accepted})")
        if name not in declared:
            raise UsageError(
                f"pipeline {pipeline!r} has no parameter {name!r}: it takes {accepted} "
                "(add a parameter in the use case's pipeline.py, then upsert)"
            )
        kind = declared[name]
        try:
            _PARAMETER_TYPES.get(kind, str)(value)
        except (ValueError, KeyError):
            raise UsageError(f"--parameter {name}={value!r}: {name} is a {kind} parameter") from None
        if name in out:
            raise UsageError(f"--parameter {name} is given twice")
        out[name] = value
    return out


#: The parameter a use case's pipeline reads its data from (use_cases/README.md): ``--data``
#: sets it to the uploaded file; otherwise ``start`` sets it to the subscribed dataset's prefix.
DATA_PARAMETER = "InputData"
#: The parameters naming the DataZone asset ``InputData`` is (and its revision): set by ``start``
#: from the use case's approved subscription, never by hand.
ASSET_PARAMETER, REVISION_PARAMETER = "DatasetAssetId", "DatasetRevision"


def _subscribed_input(
    t: Target,
    platform: PlatformConfig,
    declared: set[str],
    given: dict[str, str],
    data: Path | None,
    source: boto3.Session | None,
) -> dict[str, Any] | None:
    """The subscribed dataset the run reads, when the pipeline takes one (it declares
    ``DatasetAssetId``) and no input was given by hand (``--data`` or ``InputData``); without an
    approved subscription, a :class:`UsageError` naming the request to make."""
    for name in (ASSET_PARAMETER, REVISION_PARAMETER):
        if name in given:
            raise UsageError(
                f"--parameter {name}: set by `mlgov pipeline start` from the use case's approved "
                "subscription, not by hand"
            )
    if ASSET_PARAMETER not in declared or DATA_PARAMETER in given or data is not None:
        return None
    from scripts.datazone import datasets

    return datasets.subscribed(platform, t.ctx.env.name, use_case=t.use_case, source=source)


def _data_key(t: Target, path: Path) -> tuple[str, bytes]:
    """Where ``--data`` goes: ``data/<use case>/<sha256 16>/<file name>`` (content-addressed: the
    same file is uploaded to the same key)."""
    if not path.is_file():
        raise UsageError(f"--data {str(path)!r}: no such file")
    body = path.read_bytes()
    digest = hashlib.sha256(body).hexdigest()[:16]
    return f"{t.ctx.names.data_prefix(t.use_case)}{digest}/{path.name}", body


def start(
    platform: PlatformConfig,
    env: str,
    use_case: str | None = None,
    parameters: Sequence[str] = (),
    *,
    data: Path | None = None,
    dry_run: bool = False,
    wait_for_end: bool = False,
    timeout: float = DEFAULT_TIMEOUT_S,
    interval: float = DEFAULT_INTERVAL_S,
    source: boto3.Session | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any] | command.Outcome:
    """Start an execution with ``parameters`` (``Name=Value``), on ``data`` (a local file,
    uploaded under the use case's ``data/`` prefix) when given; with ``wait_for_end``, wait."""
    t = target(platform, env, use_case, job="start", source=source)
    definition = _definition(t)
    values = parse_parameters(parameters, definition, t.name)
    declared = {p["Name"] for p in definition.get("Parameters", [])}
    dataset = _subscribed_input(t, platform, declared, values, data, source)
    if dataset is not None:
        values[DATA_PARAMETER] = dataset["s3_uri"]
        values[ASSET_PARAMETER] = dataset["asset_id"]
        values[REVISION_PARAMETER] = str(dataset["revision"])
        if not dry_run:
            with kit_errors(t.ctx.role_arn):
                record_dataset_asset(t.sagemaker(), uri=dataset["s3_uri"], asset=dataset)
    if data is not None:
        if DATA_PARAMETER not in {p["Name"] for p in definition.get("Parameters", [])}:
            raise UsageError(
                f"--data: pipeline {t.name!r} has no {DATA_PARAMETER} parameter to read it from "
                "(use_cases/README.md: the pipeline's input data parameter)"
            )
        if DATA_PARAMETER in values:
            raise UsageError(f"--data and --parameter {DATA_PARAMETER}=... both set the input data: give one")
        key, body = _data_key(t, data)
        values[DATA_PARAMETER] = f"s3://{t.ctx.artifact_bucket}/{key}"
        if not dry_run:
            with kit_errors(t.ctx.role_arn):
                t.ctx.client("s3").put_object(
                    Bucket=t.ctx.artifact_bucket,
                    Key=key,
                    Body=body,
                    ServerSideEncryption="aws:kms",
                    SSEKMSKeyId=t.ctx.kms_key_arn,
                )
    if dry_run:
        return {
            "kind": "start",
            "pipeline": t.name,
            "parameters": values,
            "dry_run": True,
            "dataset": dataset,
        }
    with kit_errors(t.ctx.role_arn):
        arn = t.sagemaker().start_pipeline_execution(
            PipelineName=t.name,
            PipelineParameters=[{"Name": n, "Value": v} for n, v in values.items()],
            ClientRequestToken=str(uuid.uuid4()),
        )["PipelineExecutionArn"]
    log.info("started %s", arn)
    if wait_for_end:
        waited = _wait(t, arn, timeout=timeout, interval=interval, progress=progress)
        (waited.result if isinstance(waited, command.Outcome) else waited)["dataset"] = dataset
        return waited
    return {"kind": "start", "pipeline": t.name, "execution": arn, "parameters": values, "dataset": dataset}


# -- status / wait -----------------------------------------------------------------------------
def _execution_arn(t: Target, given: str | None) -> str:
    if given:
        if f":pipeline/{t.name.lower()}/execution/" not in given:
            raise UsageError(
                f"--execution {given!r} is not an execution of pipeline {t.name!r} "
                f"(expected arn:aws:sagemaker:...:pipeline/{t.name.lower()}/execution/<id>)"
            )
        return given
    try:
        found = t.sagemaker().list_pipeline_executions(
            PipelineName=t.name, SortBy="CreationTime", SortOrder="Descending", MaxResults=1
        )["PipelineExecutionSummaries"]
    except ClientError as err:
        raise _aws_error(t, err) from err
    if not found:
        raise UsageError(
            f"pipeline {t.name!r} has no execution yet: start one with "
            f"`mlgov pipeline start --env {t.ctx.env.name} --use-case {t.use_case}`"
        )
    return str(found[0]["PipelineExecutionArn"])


def _job_name(metadata: dict[str, Any]) -> str | None:
    for kind in ("ProcessingJob", "TrainingJob", "RegisterModel", "Model", "Fail"):
        arn = (metadata.get(kind) or {}).get("Arn")
        if arn:
            return str(arn)
    return None


def snapshot(t: Target, arn: str) -> dict[str, Any]:
    """The execution and its steps, in the order they started."""
    sm = t.sagemaker()
    with kit_errors(t.ctx.role_arn):
        described = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
        steps = list(
            paginate(
                sm,
                "list_pipeline_execution_steps",
                "PipelineExecutionSteps",
                PipelineExecutionArn=arn,
                SortOrder="Ascending",
            )
        )
    rows = []
    for step in steps:
        start_, end = step.get("StartTime"), step.get("EndTime")
        rows.append(
            {
                "step": step["StepName"],
                "status": step["StepStatus"],
                "seconds": round((end - start_).total_seconds(), 1) if start_ and end else None,
                "resource": _job_name(step.get("Metadata") or {}),
                "failure_reason": step.get("FailureReason"),
            }
        )
    registered = [r["resource"] for r in rows if r["resource"] and ":model-package/" in r["resource"]]
    return {
        "kind": "status",
        "pipeline": t.name,
        "execution": arn,
        "status": described["PipelineExecutionStatus"],
        "failure_reason": described.get("FailureReason"),
        "steps": rows,
        "model_package": registered[0] if registered else None,
    }


def _outcome(result: dict[str, Any]) -> dict[str, Any] | command.Outcome:
    if result["status"] not in FAILED:
        return result
    failed = [r for r in result["steps"] if r["status"] in FAILED]
    reasons = [f"{r['step']} {r['status']}: {r['failure_reason'] or 'no reason given'}" for r in failed]
    what = ", ".join(r["step"] for r in failed) or "no step"
    message = (
        f"execution {result['execution']} of {result['pipeline']} {result['status']} "
        f"(failed: {what}): {reasons[0] if reasons else result.get('failure_reason') or 'no reason given'}"
    )
    return command.Outcome(result, error=PipelineRunError(message, reasons))


def status(
    platform: PlatformConfig,
    env: str,
    use_case: str | None = None,
    execution: str | None = None,
    *,
    source: boto3.Session | None = None,
) -> dict[str, Any] | command.Outcome:
    t = target(platform, env, use_case, job="status", source=source)
    return _outcome(snapshot(t, _execution_arn(t, execution)))


def progress_line(row: dict[str, Any], elapsed: float) -> str:
    tail = f"  {row['resource']}" if row["resource"] else ""
    if row["failure_reason"]:
        tail += f"  {row['failure_reason']}"
    return f"[{elapsed:6.0f} s] {row['step']:<16} {row['status']:<10}{tail}"


def _wait(
    t: Target,
    arn: str,
    *,
    timeout: float,
    interval: float,
    progress: Callable[[str], None] | None,
) -> dict[str, Any] | command.Outcome:
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    started = time.monotonic()
    seen: dict[str, str] = {}
    while True:
        current = snapshot(t, arn)
        elapsed = time.monotonic() - started
        for row in current["steps"]:
            if seen.get(row["step"]) != row["status"]:
                seen[row["step"]] = row["status"]
                say(progress_line(row, elapsed))
        if current["status"] not in RUNNING:
            say(f"[{elapsed:6.0f} s] execution {current['status']}")
            return _outcome({**current, "seconds": round(elapsed, 1)})
        if elapsed >= timeout:
            raise WaitTimeout(
                f"execution {arn} still {current['status']} after {timeout:.0f} s; it keeps running: "
                f"`mlgov pipeline wait --env {t.ctx.env.name} --use-case {t.use_case} --execution {arn}`"
            )
        time.sleep(interval)


def wait(
    platform: PlatformConfig,
    env: str,
    use_case: str | None = None,
    execution: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    interval: float = DEFAULT_INTERVAL_S,
    source: boto3.Session | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any] | command.Outcome:
    t = target(platform, env, use_case, job="wait", source=source)
    return _wait(t, _execution_arn(t, execution), timeout=timeout, interval=interval, progress=progress)


# -- list --------------------------------------------------------------------------------------
def list_pipelines(
    platform: PlatformConfig, env: str, *, source: boto3.Session | None = None
) -> dict[str, Any]:
    """Every use case of ``env``: its pipeline (if upserted) and its latest execution."""
    ctx = env_context(platform, env, ROLE, job="pipeline-list", source=source)
    sm = ctx.client("sagemaker")
    # The prefix may not end with a hyphen (PipelineNamePrefix's pattern); the names are exact below.
    with kit_errors(ctx.role_arn):
        existing = {
            p["PipelineName"]: p
            for p in paginate(sm, "list_pipelines", "PipelineSummaries", PipelineNamePrefix=ctx.names.base)
        }
    rows = []
    for uc in ctx.env.use_cases:
        name = ctx.names.pipeline_name(uc.name)
        row: dict[str, Any] = {"use_case": uc.name, "pipeline": name, "exists": name in existing}
        if name in existing:
            with kit_errors(ctx.role_arn):
                latest = sm.list_pipeline_executions(
                    PipelineName=name, SortBy="CreationTime", SortOrder="Descending", MaxResults=1
                )["PipelineExecutionSummaries"]
            row["modified"] = existing[name].get("LastModifiedTime")
            if latest:
                row["latest_execution"] = latest[0]["PipelineExecutionArn"]
                row["latest_status"] = latest[0]["PipelineExecutionStatus"]
                row["latest_started"] = latest[0].get("StartTime")
        rows.append(row)
    return {"kind": "list", "env": env, "pipelines": rows}
