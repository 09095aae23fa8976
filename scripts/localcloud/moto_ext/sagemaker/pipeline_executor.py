"""A pipeline execution, run on a thread of its own as SageMaker Pipelines runs one.

SageMaker assumes the pipeline's role (the execution's ``RoleArn``) and makes every step's call
with it: CreateProcessingJob / CreateTrainingJob (with ``iam:PassRole`` of the job's role),
DescribeProcessingJob / DescribeTrainingJob, CreateModelPackage, CreateModel, and the S3 reads of
property files. Here those calls go through the local cloud's own endpoint with that role's
credentials, so the role's policies decide exactly as they would on AWS (a role without
``sagemaker:CreateProcessingJob`` fails its step with the AccessDeniedException).

Scheduling: a step starts once every step it depends on (``DependsOn``, the steps whose
properties or property files its arguments read, and for a step inside a condition's branch, that
condition) has succeeded, up to ``ParallelismConfiguration.MaxParallelExecutionSteps`` at a time
(default 50). A step inside the branch its condition did not take, and every step depending on
a step that did not succeed, does not run (and is not listed). A failed step fails the execution
("Step failure: One or multiple steps failed."); steps already running finish first and no other
starts. StopPipelineExecution stops the running jobs and ends the execution ``Stopped``.

Each step is listed from the moment it starts: ``Starting`` (arguments being evaluated),
``Executing`` (its job running), then ``Succeeded``, ``Failed`` (with ``FailureReason``: the job's,
the refused call's, an expression's, or a Fail step's ``ErrorMessage``) or ``Stopped``. Job names
are ``pipelines-<execution id>-<step name>-<10 characters>``, as SageMaker names them; jobs carry
``ExperimentConfig`` (the execution's experiment and trial, created by the service), so their
trial components join the execution's trial.
"""

from __future__ import annotations

import json
import logging
import random
import re
import string
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import SagemakerClientError

from ..state_lock import STATE_LOCK
from . import workflow_lineage
from .pipeline_definition import StepDef
from .pipeline_expressions import ExpressionError, Resolver, condition_holds, text_of
from .service_role import RoleSession, assume_for_sagemaker

if TYPE_CHECKING:
    from .models import GovernanceSageMakerBackend
    from .pipelines import ExecutionStep, PipelineExecution

log = logging.getLogger(__name__)

STEP_FAILURE = "Step failure: One or multiple steps failed."
DEFAULT_PARALLELISM = 50
#: How often a waiting step looks at its job and at a stop request (seconds).
POLL_S = 0.2
JOB_STEPS = {
    "Processing": (
        "ProcessingJob",
        "processing_jobs",
        "create_processing_job",
        "describe_processing_job",
        "stop_processing_job",
    ),
    "Training": (
        "TrainingJob",
        "training_jobs",
        "create_training_job",
        "describe_training_job",
        "stop_training_job",
    ),
}


class StepFailure(Exception):
    """Ends a step as Failed with this reason."""


def start(backend: GovernanceSageMakerBackend, execution: PipelineExecution) -> None:
    thread = threading.Thread(
        target=run,
        args=(backend, execution),
        name=f"pipeline-execution-{execution.execution_id}",
        daemon=True,
    )
    thread.start()


def _client_error(err: Exception) -> str:
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        return f"{error.get('Code')}: {error.get('Message')}"
    return str(err)


def _job_name(execution: PipelineExecution, step: str, prefix: str | None) -> str:
    suffix = "".join(random.choices(string.ascii_letters + string.digits, k=10))
    if prefix:
        return f"{prefix[:52]}-{suffix}"
    clean = re.sub(r"[^A-Za-z0-9]+", "-", step).strip("-")[:20].strip("-") or "step"
    return f"pipelines-{execution.execution_id}-{clean}-{suffix}"


class ExecutionRun:
    """The state of one running execution."""

    def __init__(
        self, backend: GovernanceSageMakerBackend, execution: PipelineExecution, session: RoleSession
    ) -> None:
        self.backend = backend
        self.execution = execution
        self.session = session
        self.sagemaker = session.client("sagemaker")
        self.s3 = session.client("s3")
        self.outcomes: dict[str, bool] = {}

    # -- expressions -----------------------------------------------------------------------------
    def _properties(self, name: str) -> dict[str, Any] | None:
        step = self.execution.steps.get(name)
        if step is None or step.status != "Succeeded":
            return None
        return step.properties

    def _read_json(self, uri: str) -> Any:
        if not uri.startswith("s3://"):
            raise ExpressionError(f"{uri} is not an S3 URI.")
        bucket, _, key = uri[len("s3://") :].partition("/")
        try:
            body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except (ClientError, BotoCoreError) as err:
            raise ExpressionError(
                f"Received an error while reading file {uri} from S3: {_client_error(err)}"
            ) from None
        try:
            return json.loads(body)
        except ValueError:
            raise ExpressionError(f"Contents of file {uri} are not in valid JSON format.") from None

    def resolver(self, current: dict[str, Any] | None = None) -> Resolver:
        return Resolver(
            parameters=self.execution.parameters,
            execution=self.execution.variables(),
            experiment=self.execution.experiment or {},
            properties=self._properties,
            property_files=self.execution.definition.property_files,
            read_json=self._read_json,
            current=current or {},
        )

    # -- one step ------------------------------------------------------------------------------
    def _update(self, step: ExecutionStep, **changes: Any) -> None:
        with STATE_LOCK:
            for key, value in changes.items():
                setattr(step, key, value)
            self.execution.touch()

    def run_step(self, definition: StepDef) -> str:
        raw = definition.raw
        with STATE_LOCK:
            step = self.execution.start_step(definition.name, raw.get("DisplayName"), raw.get("Description"))
        try:
            status = self._run(definition, step)
        except StepFailure as failure:
            self._update(step, status="Failed", failure_reason=str(failure)[:1024], end_time=utcnow())
            return "Failed"
        except ExpressionError as failure:
            self._update(step, status="Failed", failure_reason=str(failure)[:1024], end_time=utcnow())
            return "Failed"
        except Exception as err:  # a bug of the local cloud: the step fails with it
            log.exception("step %s of %s failed in the local cloud", definition.name, self.execution.arn)
            self._update(
                step, status="Failed", failure_reason=f"InternalServerError: {err!r}", end_time=utcnow()
            )
            return "Failed"
        self._update(step, status=status, end_time=utcnow())
        return status

    def _run(self, definition: StepDef, step: ExecutionStep) -> str:
        step_type = definition.type
        if step_type in JOB_STEPS:
            return self._job_step(definition, step)
        if step_type == "Condition":
            conditions = definition.raw["Arguments"]["Conditions"]
            resolver = self.resolver()
            outcome = all(condition_holds(c, resolver) for c in conditions)
            self.outcomes[definition.name] = outcome
            self._update(
                step,
                properties={"Outcome": outcome},
                metadata={"Condition": {"Outcome": str(outcome)}},
            )
            return "Succeeded"
        if step_type == "Fail":
            message = text_of(
                self.resolver().resolve((definition.raw.get("Arguments") or {}).get("ErrorMessage", ""))
            )
            self._update(
                step, metadata={"Fail": {"ErrorMessage": message}}, properties={"ErrorMessage": message}
            )
            raise StepFailure(message)
        if step_type == "RegisterModel":
            return self._register_step(definition, step)
        if step_type == "Model":
            return self._model_step(definition, step)
        raise StepFailure(
            f"The local cloud does not run {step_type} steps (it runs Processing, Training, "
            "Condition, Fail, RegisterModel and Model steps)."
        )

    def _call(self, operation: str, **request: Any) -> dict[str, Any]:
        try:
            response = getattr(self.sagemaker, operation)(**request)
        except (ClientError, BotoCoreError) as err:
            raise StepFailure(_client_error(err)) from None
        response.pop("ResponseMetadata", None)
        return dict(response)

    def _job_step(self, definition: StepDef, step: ExecutionStep) -> str:
        kind, attribute, create, describe, stop = JOB_STEPS[definition.type]
        arguments = dict(definition.raw.get("Arguments") or {})
        prefix = arguments.pop(f"{kind}Name", None)
        name = _job_name(self.execution, definition.name, prefix if isinstance(prefix, str) else None)
        request = self.resolver({f"{kind}Name": name}).resolve(arguments)
        request[f"{kind}Name"] = name
        if self.execution.experiment:
            request["ExperimentConfig"] = {
                "ExperimentName": self.execution.experiment["ExperimentName"],
                "TrialName": self.execution.experiment["TrialName"],
                "TrialComponentDisplayName": definition.name,
            }
        arn = self._call(create, **request)[f"{kind}Arn"]
        self._update(step, status="Executing", metadata={kind: {"Arn": arn}})
        job = getattr(self.backend, attribute).get(name)
        stopped = False
        while job is not None and not job.done.wait(POLL_S):
            if self.execution.stop_requested.is_set() and not stopped:
                stopped = True
                self._update(step, status="Stopping")
                try:
                    self._call(stop, **{f"{kind}Name": name})
                except StepFailure:
                    log.warning("could not stop %s", arn)
        described = self._call(describe, **{f"{kind}Name": name})
        self._update(step, properties=described)
        status = described.get(f"{kind}Status")
        if status == "Completed":
            return "Succeeded"
        if status == "Stopped":
            if described.get("SecondaryStatus") == "MaxRuntimeExceeded" or not stopped:
                raise StepFailure(
                    described.get("FailureReason")
                    or f"{kind} {name} was stopped: it exceeded its MaxRuntimeInSeconds."
                )
            return "Stopped"
        raise StepFailure(described.get("FailureReason") or f"{kind} {name} ended in status {status}.")

    def _register_step(self, definition: StepDef, step: ExecutionStep) -> str:
        request = self.resolver().resolve(definition.raw.get("Arguments") or {})
        arn = self._call("create_model_package", **request)["ModelPackageArn"]
        self._update(step, metadata={"RegisterModel": {"Arn": arn}})
        described = self._call("describe_model_package", ModelPackageName=arn)
        workflow_lineage.model_package_registered(self.backend, described)
        self._update(step, properties=described)
        return "Succeeded"

    def _model_step(self, definition: StepDef, step: ExecutionStep) -> str:
        arguments = dict(definition.raw.get("Arguments") or {})
        prefix = arguments.pop("ModelName", None)
        request = self.resolver().resolve(arguments)
        request["ModelName"] = _job_name(
            self.execution, definition.name, prefix if isinstance(prefix, str) else None
        )
        arn = self._call("create_model", **request)["ModelArn"]
        self._update(step, metadata={"Model": {"Arn": arn}})
        self._update(step, properties=self._call("describe_model", ModelName=request["ModelName"]))
        return "Succeeded"

    # -- the schedule ----------------------------------------------------------------------------
    def runnable(self, definition: StepDef, states: dict[str, str]) -> bool | None:
        """True: may start now; False: will never run; None: not yet."""
        if definition.branch is not None:
            condition, if_branch = definition.branch
            if states.get(condition) == "Succeeded" and self.outcomes.get(condition) is not if_branch:
                return False
        for dependency in definition.depends_on:
            state = states.get(dependency)
            if state in ("Failed", "Stopped", "Skipped"):
                return False
            if state != "Succeeded":
                return None
        return True

    def schedule(self) -> str:
        steps = self.execution.definition.steps
        states: dict[str, str] = {}
        limit = (self.execution.parallelism or {}).get("MaxParallelExecutionSteps") or DEFAULT_PARALLELISM
        running: dict[Future[str], str] = {}
        with ThreadPoolExecutor(
            max_workers=max(1, min(limit, len(steps) or 1)), thread_name_prefix="pipeline-step"
        ) as pool:
            while True:
                failing = any(state == "Failed" for state in states.values())
                stopping = self.execution.stop_requested.is_set()
                progressed = True
                while progressed:
                    progressed = False
                    for name, definition in steps.items():
                        if name in states:
                            continue
                        verdict = self.runnable(definition, states)
                        if verdict is False:
                            states[name] = "Skipped"
                            progressed = True
                        elif verdict and not failing and not stopping and len(running) < limit:
                            states[name] = "Running"
                            running[pool.submit(self.run_step, definition)] = name
                if not running:
                    break
                done, _ = wait(list(running), timeout=POLL_S, return_when=FIRST_COMPLETED)
                for future in done:
                    states[running.pop(future)] = future.result()
        if self.execution.stop_requested.is_set():
            return "Stopped"
        return "Failed" if any(state == "Failed" for state in states.values()) else "Succeeded"


def _ensure_experiment(backend: GovernanceSageMakerBackend, experiment: dict[str, str] | None) -> None:
    """The execution's experiment and trial, created by the service as SageMaker creates them."""
    if not experiment:
        return
    with STATE_LOCK:
        name, trial = experiment.get("ExperimentName"), experiment.get("TrialName")
        if name and name not in backend.experiments:
            backend.create_experiment(name)
        if name and trial and trial not in backend.trials:
            backend.create_trial(trial, name)


def _end(execution: PipelineExecution, status: str, reason: str | None) -> None:
    with STATE_LOCK:
        execution.status = status
        execution.failure_reason = reason
        execution.touch()
    execution.done.set()


def run(backend: GovernanceSageMakerBackend, execution: PipelineExecution) -> None:
    """The whole execution (never raises: it ends Succeeded, Failed or Stopped)."""
    try:
        session = assume_for_sagemaker(
            execution.role_arn,
            account_id=backend.account_id,
            region=backend.region_name,
            source_arn=execution.arn,
            endpoint_url=execution.endpoint_url,
        )
    except SagemakerClientError as err:
        _end(execution, "Failed", err.message)
        return
    try:
        _ensure_experiment(backend, execution.experiment)
        status = ExecutionRun(backend, execution, session).schedule()
    except Exception as err:  # a bug of the local cloud: the execution fails with it
        log.exception("execution %s failed in the local cloud", execution.arn)
        _end(execution, "Failed", f"InternalServerError: {err!r}")
        return
    _end(execution, status, STEP_FAILURE if status == "Failed" else None)
