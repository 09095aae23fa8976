"""One job's run, on a thread of its own: SageMaker's steps for a processing or training job.

1. assume the job's role as SageMaker (``service_role``);
2. lay out ``/opt/ml`` from the request (``containers.contract``) and download every input into
   it as the role (``transfers``; a refusal fails the job with the reason);
3. run the command under the container contract (``containers.runner``: a private ``/opt/ml``,
   the local cloud's interpreter, the job's time limit, StopXJob);
4. send its output to CloudWatch Logs as the role (``/aws/sagemaker/ProcessingJobs`` or
   ``/aws/sagemaker/TrainingJobs``, stream ``<job>/algo-1-<epoch seconds>``, after the command
   ends; a role without ``logs:`` permissions gets no log, as on AWS);
5. upload the outputs as the role, with the job's KMS key when it names one: each processing
   output's ``LocalPath``; a training job's ``/opt/ml/model`` as ``model.tar.gz`` (or the files
   under ``.../output/model/`` with ``CompressionType=NONE``) and ``/opt/ml/output/data`` as
   ``output.tar.gz``;
6. record the lineage SageMaker records (``workflow_lineage``) and end the job: ``Completed``,
   ``Failed`` with its reason, or ``Stopped``.

The job's directory (``$MLGOV_LOCALCLOUD_JOBS_DIR`` or the system's temporary directory) is
removed when the job ends.
"""

from __future__ import annotations

import logging
import tarfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from moto.core.utils import utcnow

from ..state_lock import STATE_LOCK
from . import workflow_lineage
from .job_records import ProcessingJob, TrainingJob, WorkflowJob
from .service_role import RoleSession, assume_for_sagemaker
from .transfers import TransferError, download, split_s3, tar_directory, upload_directory, upload_file

if TYPE_CHECKING:
    from .jobs import JobsBackend

log = logging.getLogger(__name__)

#: Log events per PutLogEvents call (the API allows 10,000 and 1 MB).
LOG_BATCH = 2000


class JobFailure(Exception):
    """Ends a job as Failed with this reason."""


def start(backend: JobsBackend, job: WorkflowJob) -> None:
    """Record the job's lineage as SageMaker does on creation, then run it on a thread."""
    workflow_lineage.job_created(backend, job)  # type: ignore[arg-type]
    thread = threading.Thread(
        target=run, args=(backend, job), name=f"sagemaker-{job.ARN_TYPE}-{job.name}", daemon=True
    )
    thread.start()


def _finish(
    backend: JobsBackend, job: WorkflowJob, status: str, reason: str | None, outputs: dict[str, str]
) -> None:
    """End the job and its lineage in one step under the lock: whoever sees the job ended sees
    its trial component ended and its outputs recorded."""
    with STATE_LOCK:
        job.end_time = utcnow()
        job.status = status
        job.failure_reason = reason[:1024] if reason else None
        if isinstance(job, TrainingJob):
            secondary = {"Completed": "Completed", "Failed": "Failed"}.get(status, job.secondary_status)
            if status == "Stopped" and job.secondary_status != "MaxRuntimeExceeded":
                secondary = "Stopped"
            messages = {
                "Completed": "Training job completed",
                "Failed": "Training job failed",
                "Stopped": "Training job stopped",
                "MaxRuntimeExceeded": "Training job runtime exceeded MaxRuntimeInSeconds provided",
            }
            if secondary != job.secondary_status or secondary in ("Completed", "Failed"):
                job.advance(secondary, messages.get(secondary, secondary))
            job.transitions[-1]["EndTime"] = job.end_time
        job.touch()
        workflow_lineage.job_ended(backend, job, outputs)  # type: ignore[arg-type]


def _advance(job: WorkflowJob, secondary: str, message: str) -> None:
    if isinstance(job, TrainingJob):
        with STATE_LOCK:
            job.advance(secondary, message)


def run(backend: JobsBackend, job: WorkflowJob) -> None:
    """The job from start to end (never raises: every failure ends the job with a reason)."""
    from scripts.localcloud import containers

    workdir = containers.runner.job_directory(job.name)
    outputs: dict[str, str] = {}
    status, reason = "Completed", None
    try:
        with STATE_LOCK:
            job.start_time = utcnow()
            job.touch()
        session = assume_for_sagemaker(
            job.role_arn,
            account_id=job.account_id,
            region=job.region_name,
            source_arn=job.arn,
            endpoint_url=job.endpoint_url,
        )
        s3 = session.client("s3")
        ml_dir = workdir / "ml"
        ml_dir.mkdir()
        description = job.describe()
        try:
            if isinstance(job, ProcessingJob):
                contract = containers.processing_contract(description, ml_dir)
            else:
                contract = containers.training_contract(description, ml_dir, containers.TOOLKIT_COMMAND)
        except containers.ContractError as err:
            raise JobFailure(f"ClientError: {err}") from None
        _advance(job, "Downloading", "Downloading input data")
        for item in contract.downloads:
            download(
                s3, item.s3_uri, item.local, item.data_type, role_arn=job.role_arn, region=job.region_name
            )
        if contract.extra.get("submit_directory"):
            _unpack_submit_directory(s3, contract.extra["submit_directory"], ml_dir / "code")
        _advance(job, "Training", "Training image download completed. Training in progress.")
        containers.runner.write_shims(workdir / "bin")
        environment = containers.runner.base_environment(workdir / "bin", workdir / "home")
        environment.update(session.environment())
        environment.update(contract.environment)
        (workdir / "home").mkdir(exist_ok=True)
        started = time.time()
        result = containers.run(
            contract.command,
            ml_dir=ml_dir,
            env=environment,
            workdir=contract.workdir,
            time_limit_s=job.max_runtime_s,
            stop=job.stop_requested,
        )
        _send_logs(session, job, result.output, started)
        if result.stopped:
            status = "Stopped"
        elif result.timed_out:
            status = "Stopped"
            _advance(job, "MaxRuntimeExceeded", "Training job runtime exceeded MaxRuntimeInSeconds provided")
            job.exit_message = (
                f"Job exceeded MaxRuntimeInSeconds ({int(job.max_runtime_s)} s) and was stopped."
            )
        elif result.exit_code != 0:
            status, reason = (
                "Failed",
                _algorithm_error(job, contract.failure_file, result.output, result.exit_code),
            )
        else:
            outputs = _upload(s3, job, contract, workdir)
    except JobFailure as failure:
        status, reason = "Failed", str(failure)
    except TransferError as failure:
        status, reason = "Failed", str(failure)
    except containers.NamespaceUnavailable as failure:
        status, reason = "Failed", f"InternalServerError: The local cloud cannot run this job here: {failure}"
    except Exception as err:  # a bug of the local cloud: the job fails with it, the server keeps serving
        log.exception("job %s failed in the local cloud", job.arn)
        status, reason = "Failed", f"InternalServerError: The local cloud failed to run the job: {err!r}"
    finally:
        try:
            _finish(backend, job, status, reason, outputs)
        finally:
            job.done.set()
            containers.runner.release(workdir)


def _unpack_submit_directory(s3: Any, uri: str, code_dir: Path) -> None:
    """The training toolkit's ``sagemaker_submit_directory`` (a tar.gz on S3) into /opt/ml/code."""
    bucket, key = split_s3(uri)
    archive = code_dir / "sourcedir.tar.gz"
    try:
        archive.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except (ClientError, BotoCoreError) as err:
        code = err.response.get("Error", {}).get("Code") if isinstance(err, ClientError) else str(err)
        raise TransferError(f"ClientError: Failed to download data. {code} ({uri})") from None
    with tarfile.open(archive) as tar:
        tar.extractall(code_dir, filter="data")
    archive.unlink()


def _algorithm_error(
    job: WorkflowJob, failure_file: Path | None, output: list[str], exit_code: int | None
) -> str:
    """SageMaker's reason for a command that failed: the first 1024 characters of
    /opt/ml/output/failure when the algorithm wrote it, else a pointer to the job's log."""
    if failure_file is not None and failure_file.is_file():
        written = failure_file.read_text(encoding="utf-8", errors="replace").strip()
        if written:
            return f"AlgorithmError: {written}"[:1024]
    tail = "\n".join(line for line in output[-5:] if line.strip())
    job.exit_message = (f"Exit code {exit_code}. " + tail)[-1024:]
    return f"AlgorithmError: See job logs for more information (exit code {exit_code})"


def _upload(s3: Any, job: WorkflowJob, contract: Any, workdir: Path) -> dict[str, str]:
    """The job's outputs to S3 as its role; returns name -> S3 URI of what was produced."""
    produced: dict[str, str] = {}
    if isinstance(job, ProcessingJob):
        kms = (job.request.get("ProcessingOutputConfig") or {}).get("KmsKeyId")
        for item in contract.uploads:
            upload_directory(s3, item.local, item.s3_uri, kms)
            produced[item.name] = item.s3_uri
        return produced
    assert isinstance(job, TrainingJob)
    _advance(job, "Uploading", "Uploading generated training model")
    output_config = job.request["OutputDataConfig"]
    kms = output_config.get("KmsKeyId")
    model_dir, data_dir = contract.ml_dir / "model", contract.ml_dir / "output" / "data"
    if output_config.get("CompressionType") == "NONE":
        upload_directory(s3, model_dir, job.model_artifacts, kms)
    else:
        upload_file(s3, tar_directory(model_dir, workdir / "model.tar.gz"), job.model_artifacts, kms)
    produced["SageMaker.ModelArtifact"] = job.model_artifacts
    if any(data_dir.rglob("*")):
        output_uri = job.model_artifacts.rsplit("/", 1)[0] + "/output.tar.gz"
        upload_file(s3, tar_directory(data_dir, workdir / "output.tar.gz"), output_uri, kms)
    return produced


def _send_logs(session: RoleSession, job: WorkflowJob, lines: list[str], started: float) -> None:
    """The command's output into the job's log stream, as its role (skipped, and noted in the
    server log, when the role may not write logs)."""
    stream = f"{job.name}/algo-1-{int(started)}"
    logs = session.client("logs")
    try:
        try:
            logs.create_log_group(logGroupName=job.LOG_GROUP)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "ResourceAlreadyExistsException":
                raise
        logs.create_log_stream(logGroupName=job.LOG_GROUP, logStreamName=stream)
        stamp = int(started * 1000)
        events = [{"timestamp": stamp + i, "message": line or " "} for i, line in enumerate(lines)]
        for start_at in range(0, len(events), LOG_BATCH):
            logs.put_log_events(
                logGroupName=job.LOG_GROUP,
                logStreamName=stream,
                logEvents=events[start_at : start_at + LOG_BATCH],
            )
        job.log_stream = stream
    except (ClientError, BotoCoreError) as err:
        log.warning("no CloudWatch log for %s: %s", job.arn, err)
