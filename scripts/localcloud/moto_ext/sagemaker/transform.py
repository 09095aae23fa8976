"""Batch transform on the governance backend: CreateTransformJob runs the model over S3 data with
the same serving container as an endpoint.

:class:`TransformBackend` replaces moto 5.2.1's transform jobs (``Completed`` at once, nothing
run). Followed: the API reference (CreateTransformJob, TransformInput, TransformOutput) and the
Developer Guide's "Batch transform" pages:

* the model's container (``fleet.py``: model archive fetched as the model's execution role) is
  started with the job's ``Environment`` over the model's, plus ``SAGEMAKER_BATCH=true``,
  ``SAGEMAKER_MAX_PAYLOAD_IN_MB``, ``SAGEMAKER_BATCH_STRATEGY`` and
  ``SAGEMAKER_MAX_CONCURRENT_TRANSFORMS``, the variables SageMaker sets for a transform container;
* every object under ``TransformInput.DataSource.S3DataSource.S3Uri`` (``S3Prefix``; a
  ``ManifestFile`` lists the objects) is read as the model's role and cut into records by
  ``SplitType`` (``Line``; ``None`` keeps the object whole); ``BatchStrategy`` ``SingleRecord``
  sends one record a request, ``MultiRecord`` as many as fit in ``MaxPayloadInMB`` (default 6),
  with ``ContentType`` and ``TransformOutput.Accept``;
* each object's answers go to ``<S3OutputPath>/<key relative to the input prefix>.out``, joined
  as ``AssembleWith`` says (``Line``: a newline after each answer that does not end with one;
  ``None``: as they are), under ``TransformOutput.KmsKeyId`` when given;
* the job is ``InProgress`` while it runs, then ``Completed``; an answer other than 200, a model
  that cannot be fetched or started, an image other than the scikit-learn serving image (the one
  the local cloud runs), or input the model's role may not read or output it may not write, makes
  it ``Failed`` with the reason (the access reasons' wording is the local cloud's);
* its lineage as SageMaker records a transform job (``workflow_lineage.transform_job_created`` /
  ``transform_job_ended``): the trial component ``<job>-aws-transform-job``, its input
  --ContributedTo--> it --Produced--> its output.

Not served: ``DataProcessing`` (input/output filters and joins), ``DataCaptureConfig`` of a
transform job, compressed input (``CompressionType=Gzip``), ``RecordIO``/``TFRecord`` splits;
each is refused with a ValidationException naming it, rather than ignored.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.utilities.paginator import paginate

from . import workflow_lineage
from .endpoint_records import ServingModel, sagemaker_arn
from .endpoints import EndpointBackend, _listed
from .fleet import (
    DEFAULT_HEALTH_CHECK_TIMEOUT_S,
    SKLEARN_IMAGE,
    ContainerLogs,
    DeploymentError,
    VariantServer,
    client,
    fetch_model_files,
    role_session,
    split_s3_uri,
)
from .utils import PAGINATION_MODEL, without_none

log = logging.getLogger(__name__)

MB = 1024 * 1024


class TransformJob(BaseModel):
    """A batch transform job (CreateTransformJob)."""

    def __init__(
        self, *, name: str, account_id: str, region_name: str, request: dict[str, Any], model: ServingModel
    ) -> None:
        self.name = name
        self.arn = sagemaker_arn("transform-job", name, account_id, region_name)
        self.request = request
        self.model = model
        self.status = "InProgress"
        self.failure_reason: str | None = None
        self.creation_time = self.last_modified_time = utcnow()
        self.start_time: datetime | None = self.creation_time
        self.end_time: datetime | None = None
        self.tags = list(request.get("Tags") or [])
        self.stop_requested = False

    def describe(self) -> dict[str, Any]:
        request = self.request
        return without_none(
            {
                "TransformJobName": self.name,
                "TransformJobArn": self.arn,
                "TransformJobStatus": self.status,
                "FailureReason": self.failure_reason,
                "ModelName": request["ModelName"],
                "MaxConcurrentTransforms": request.get("MaxConcurrentTransforms"),
                "ModelClientConfig": request.get("ModelClientConfig"),
                "MaxPayloadInMB": request.get("MaxPayloadInMB"),
                "BatchStrategy": request.get("BatchStrategy"),
                "Environment": request.get("Environment"),
                "TransformInput": request["TransformInput"],
                "TransformOutput": request["TransformOutput"],
                "TransformResources": request["TransformResources"],
                "CreationTime": self.creation_time,
                "TransformStartTime": self.start_time,
                "TransformEndTime": self.end_time,
                "ExperimentConfig": request.get("ExperimentConfig"),
            }
        )

    @property
    def trial_component_name(self) -> str:
        """The trial component SageMaker records for the job (``workflow_lineage``)."""
        return f"{self.name}-aws-transform-job"

    def summary(self) -> dict[str, Any]:
        return without_none(
            {
                "TransformJobName": self.name,
                "TransformJobArn": self.arn,
                "CreationTime": self.creation_time,
                "TransformEndTime": self.end_time,
                "LastModifiedTime": self.last_modified_time,
                "TransformJobStatus": self.status,
                "FailureReason": self.failure_reason,
            }
        )


def split_records(data: bytes, split_type: str) -> list[bytes]:
    """An object's records: lines (without their newline) for ``Line``, the whole object for
    ``None``."""
    if split_type == "Line":
        return [line for line in data.splitlines() if line.strip()]
    return [data] if data else []


def batches(records: list[bytes], strategy: str, max_payload: int) -> list[bytes]:
    """Request bodies: one record each (``SingleRecord``), or records joined by newlines up to
    ``max_payload`` bytes (``MultiRecord``)."""
    if strategy != "MultiRecord":
        return records
    bodies: list[bytes] = []
    current: list[bytes] = []
    size = 0
    for record in records:
        if current and size + len(record) + 1 > max_payload:
            bodies.append(b"\n".join(current))
            current, size = [], 0
        current.append(record)
        size += len(record) + 1
    if current:
        bodies.append(b"\n".join(current))
    return bodies


def assemble(answers: list[bytes], assemble_with: str) -> bytes:
    if assemble_with != "Line":
        return b"".join(answers)
    return b"".join(a if a.endswith(b"\n") else a + b"\n" for a in answers)


def _access_reason(what: str, uri: str, role_arn: str, error: ClientError) -> str:
    """A FailureReason for an S3 call the job's role could not make (the wording is the local
    cloud's; SageMaker's differs by case)."""
    code = error.response.get("Error", {}).get("Code", "")
    return (
        f"ClientError: could not {what} {uri} as the model's execution role {role_arn} ({code}): "
        "the role passed to CreateModel must be allowed to read the input and write the output"
    )


class TransformBackend(EndpointBackend):
    """Batch transform jobs (part of GovernanceSageMakerBackend)."""

    @property
    def transform_jobs_state(self) -> dict[str, TransformJob]:
        jobs = self.__dict__.get("_transform_jobs")
        if jobs is None:
            jobs = self.__dict__.setdefault("_transform_jobs", {})
        return jobs

    def create_transform_job(self, request: dict[str, Any]) -> TransformJob:  # type: ignore[override]
        name = request["TransformJobName"]
        with self.serving.lock:
            arn = sagemaker_arn("transform-job", name, self.account_id, self.region_name)
            if any(j.arn == arn for j in self.transform_jobs_state.values()):
                raise ResourceInUseException(
                    f"Job name must be unique within an AWS account and region, and a job with this name already exists ({arn})"
                )
            model = self.serving_model(request["ModelName"])
            unsupported = [m for m in ("DataProcessing", "DataCaptureConfig") if request.get(m)]
            data_input = request["TransformInput"]
            if data_input.get("CompressionType", "None") != "None":
                unsupported.append("TransformInput.CompressionType")
            if data_input.get("SplitType", "None") not in ("None", "Line"):
                unsupported.append(f"TransformInput.SplitType={data_input['SplitType']}")
            if unsupported:
                raise ValidationError(
                    f"The local cloud does not run transform jobs with {', '.join(unsupported)}."
                )
            source = data_input["DataSource"]["S3DataSource"]
            if not str(source["S3Uri"]).startswith("s3://"):
                raise ValidationError("TransformInput.DataSource.S3DataSource.S3Uri must be an s3:// URI.")
            job = TransformJob(
                name=name,
                account_id=self.account_id,
                region_name=self.region_name,
                request=request,
                model=model,
            )
            self.transform_jobs_state[name] = job
        workflow_lineage.transform_job_created(self, job)  # type: ignore[arg-type]
        threading.Thread(
            target=self._run_transform,
            args=(job, self.serving.service_url),
            name=f"transform-{name}",
            daemon=True,
        ).start()
        return job

    def transform_job(self, name: str) -> TransformJob:
        job = self.transform_jobs_state.get(name)
        if job is None:
            arn = sagemaker_arn("transform-job", name, self.account_id, self.region_name)
            raise ResourceNotFound(f"Could not find job to update with name {name} ({arn}).")
        return job

    def describe_transform_job(self, transform_job_name: str) -> dict[str, Any]:
        return self.transform_job(transform_job_name).describe()

    def stop_transform_job(self, transform_job_name: str) -> None:
        job = self.transform_job(transform_job_name)
        with self.serving.lock:
            if job.status == "InProgress":
                job.stop_requested = True
                job.status = "Stopping"
                job.last_modified_time = utcnow()

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_serving_transform_jobs(
        self,
        name_contains: str | None,
        creation_time_before: datetime | None,
        creation_time_after: datetime | None,
        status_equals: str | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[TransformJob]:
        jobs = [
            j
            for j in self.transform_jobs_state.values()
            if status_equals is None or j.status == status_equals
        ]
        return _listed(jobs, name_contains, creation_time_before, creation_time_after, sort_by, sort_order)

    def _get_resource_from_arn(self, arn: str) -> Any:
        if arn.split(":", 5)[-1].partition("/")[0] == "transform-job":
            found = next((j for j in self.transform_jobs_state.values() if j.arn == arn.lower()), None)
            if found is None:
                raise ResourceNotFound(f"Could not find job {arn}.")
            return found
        return super()._get_resource_from_arn(arn)

    # -- running ---------------------------------------------------------------------------------
    def _run_transform(self, job: TransformJob, service_url: str | None) -> None:
        # The model server, once started: stopped however the job ends.
        started: list[VariantServer] = []
        try:
            self._transform(job, service_url, started)
            final, reason = ("Stopped", None) if job.stop_requested else ("Completed", None)
        except DeploymentError as error:
            final, reason = "Failed", str(error)
        except Exception as error:  # an emulator fault must still end the job
            log.exception("transform job %s failed", job.name)
            final, reason = "Failed", f"The local cloud could not run the transform job: {error}"
        finally:
            for server in started:
                server.stop()
        with self.serving.lock:
            job.status = final
            job.failure_reason = reason
            job.end_time = job.last_modified_time = utcnow()
        workflow_lineage.transform_job_ended(self, job)  # type: ignore[arg-type]

    def _transform(self, job: TransformJob, service_url: str | None, started: list[VariantServer]) -> None:
        request = job.request
        container = job.model.resolved[0]
        if not SKLEARN_IMAGE.match(container.image):
            raise DeploymentError(
                f"The local cloud runs only the SageMaker scikit-learn serving image (repository "
                f"sagemaker-scikit-learn); image {container.image} of model {job.model.name} is not "
                "emulated, so the transform job cannot run."
            )
        role = job.model.execution_role_arn or ""
        session = role_session(self.account_id, self.region_name, role)
        s3 = client(session, "s3", service_url)
        strategy = request.get("BatchStrategy") or "MultiRecord"
        max_payload = int(request.get("MaxPayloadInMB") or 6)
        environment = {
            **container.environment,
            **(request.get("Environment") or {}),
            "SAGEMAKER_BATCH": "true",
            "SAGEMAKER_MAX_PAYLOAD_IN_MB": str(max_payload),
            "SAGEMAKER_BATCH_STRATEGY": "MULTI_RECORD" if strategy == "MultiRecord" else "SINGLE_RECORD",
            "SAGEMAKER_MAX_CONCURRENT_TRANSFORMS": str(request.get("MaxConcurrentTransforms") or 1),
        }
        files, environment = fetch_model_files(s3, "container_1", container.model_data_url, environment)
        server = VariantServer(
            endpoint=job.name,
            variant=job.name,
            image=container.image,
            environment=environment,
            files=files,
            logs=ContainerLogs(self.account_id, self.region_name, "/aws/sagemaker/TransformJobs", job.name),
        )
        started.append(server)
        server.start(DEFAULT_HEALTH_CHECK_TIMEOUT_S)
        data_input, output = request["TransformInput"], request["TransformOutput"]
        source = data_input["DataSource"]["S3DataSource"]
        try:
            keys = self._input_keys(s3, source)
        except ClientError as error:
            raise DeploymentError(
                _access_reason("list the input data", source["S3Uri"], role, error)
            ) from None
        if not keys:
            raise DeploymentError(
                f'No S3 objects found under S3 URL "{source["S3Uri"]}" given in input data source.'
            )
        out_bucket, out_prefix = split_s3_uri(str(output["S3OutputPath"]))
        for bucket, key, relative in keys:
            if job.stop_requested:
                break
            try:
                data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            except ClientError as error:
                raise DeploymentError(_access_reason("read", f"s3://{bucket}/{key}", role, error)) from None
            answers = []
            for body in batches(
                split_records(data, data_input.get("SplitType") or "None"), strategy, max_payload * MB
            ):
                answer = server.invoke(body, data_input.get("ContentType"), output.get("Accept"), None)
                if answer.status != 200:
                    raise DeploymentError(
                        f"ClientError: the model container answered {answer.status} for a request of "
                        f"s3://{bucket}/{key}: {answer.body.decode('utf-8', 'replace')[:512]}"
                    )
                answers.append(answer.body)
            extra: dict[str, str] = {}
            if output.get("KmsKeyId"):
                extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": output["KmsKeyId"]}
            out_key = "/".join(p for p in (out_prefix.rstrip("/"), f"{relative}.out") if p)
            try:
                s3.put_object(
                    Bucket=out_bucket,
                    Key=out_key,
                    Body=assemble(answers, output.get("AssembleWith") or "None"),
                    **extra,
                )
            except ClientError as error:
                raise DeploymentError(
                    _access_reason("write", f"s3://{out_bucket}/{out_key}", role, error)
                ) from None

    @staticmethod
    def _input_keys(s3: Any, source: dict[str, Any]) -> list[tuple[str, str, str]]:
        """(bucket, key, key relative to the input prefix) of every object to transform."""
        bucket, prefix = split_s3_uri(str(source["S3Uri"]))
        if source.get("S3DataType") == "ManifestFile":
            import json

            manifest = json.loads(s3.get_object(Bucket=bucket, Key=prefix)["Body"].read())
            base = manifest[0]["prefix"]
            base_bucket, base_prefix = split_s3_uri(base)
            return [(base_bucket, base_prefix + entry, entry) for entry in manifest[1:]]
        found = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents") or []:
                key = item["Key"]
                if key.endswith("/"):
                    continue
                relative = key[len(prefix) :].lstrip("/") if key != prefix else key.rsplit("/", 1)[-1]
                found.append((bucket, key, relative or key.rsplit("/", 1)[-1]))
        return found
