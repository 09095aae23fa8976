"""The processing and training jobs SageMaker reports (DescribeProcessingJob, DescribeTrainingJob,
their summaries and statuses): the records :class:`~.jobs.JobsBackend` holds and
``job_runs.py`` moves along, apart from both so that neither imports the other."""

from __future__ import annotations

import abc
import copy
import threading
from datetime import datetime
from typing import Any, ClassVar

from moto.core.base_backend import InstanceTrackerMeta
from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.sagemaker.utils import arn_formatter

from .utils import without_none

#: A job's time limit when its request names none (StoppingCondition's default, API reference).
DEFAULT_MAX_RUNTIME_S = 86400


class _AbstractModel(InstanceTrackerMeta, abc.ABCMeta):
    """moto's model metaclass (it tracks instances) with abstract methods enforced."""


class WorkflowJob(BaseModel, metaclass=_AbstractModel):
    """A processing or training job: its request as given (botocore members), its state, and what
    its thread needs (the local cloud's endpoint, the stop request, the end). Each kind says its
    image and answers Describe and List with its own shape."""

    KIND: ClassVar[str]
    ARN_TYPE: ClassVar[str]
    SOURCE_TYPE: ClassVar[str]
    LOG_GROUP: ClassVar[str]

    def __init__(
        self, request: dict[str, Any], *, account_id: str, region_name: str, endpoint_url: str | None
    ) -> None:
        self.request = copy.deepcopy(request)
        self.name: str = request[f"{self.KIND}Name"]
        # Resource ARNs carry the name in lower case, as SageMaker writes them.
        self.arn = arn_formatter(self.ARN_TYPE, self.name.lower(), account_id, region_name)
        self.account_id = account_id
        self.region_name = region_name
        self.role_arn: str = request["RoleArn"]
        self.endpoint_url = endpoint_url
        self.tags = list(request.get("Tags") or [])
        self.status = "InProgress"
        self.failure_reason: str | None = None
        self.exit_message: str | None = None
        self.creation_time = utcnow()
        self.last_modified_time = self.creation_time
        self.start_time: datetime | None = None
        self.end_time: datetime | None = None
        self.stop_requested = threading.Event()
        self.done = threading.Event()
        self.log_stream: str | None = None

    @property
    def trial_component_name(self) -> str:
        """The trial component SageMaker creates for the job (``<job>-aws-<kind>-job``)."""
        return f"{self.name.lower()}-aws-{self.ARN_TYPE}"

    @property
    def max_runtime_s(self) -> float:
        return float(
            (self.request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds") or DEFAULT_MAX_RUNTIME_S
        )

    @property
    @abc.abstractmethod
    def image(self) -> str: ...

    @property
    def finished(self) -> bool:
        return self.status in ("Completed", "Failed", "Stopped")

    def touch(self) -> None:
        self.last_modified_time = utcnow()

    def gen_response_object(self) -> dict[str, Any]:
        """moto's Search builds its records with this."""
        return self.describe()

    @abc.abstractmethod
    def describe(self) -> dict[str, Any]: ...

    @abc.abstractmethod
    def summary(self) -> dict[str, Any]: ...


class ProcessingJob(WorkflowJob):
    KIND = "ProcessingJob"
    ARN_TYPE = "processing-job"
    SOURCE_TYPE = "SageMakerProcessingJob"
    LOG_GROUP = "/aws/sagemaker/ProcessingJobs"

    def __init__(self, request: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        for item in self.request.get("ProcessingInputs") or []:
            s3 = item.get("S3Input")
            if s3 is not None:
                s3.setdefault("S3InputMode", "File")
                s3.setdefault("S3DataDistributionType", "FullyReplicated")
                s3.setdefault("S3CompressionType", "None")
        for item in (self.request.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
            if item.get("S3Output") is not None:
                item["S3Output"].setdefault("S3UploadMode", "EndOfJob")

    @property
    def image(self) -> str:
        return str((self.request.get("AppSpecification") or {}).get("ImageUri", ""))

    def describe(self) -> dict[str, Any]:
        members = (
            "ProcessingInputs",
            "ProcessingOutputConfig",
            "ProcessingJobName",
            "ProcessingResources",
            "StoppingCondition",
            "AppSpecification",
            "Environment",
            "NetworkConfig",
            "RoleArn",
            "ExperimentConfig",
        )
        body = {member: self.request.get(member) for member in members}
        body.update(
            {
                "ProcessingJobArn": self.arn,
                "ProcessingJobStatus": self.status,
                "ExitMessage": self.exit_message,
                "FailureReason": self.failure_reason,
                "ProcessingStartTime": self.start_time,
                "ProcessingEndTime": self.end_time,
                "LastModifiedTime": self.last_modified_time,
                "CreationTime": self.creation_time,
            }
        )
        return without_none(body)

    def summary(self) -> dict[str, Any]:
        return without_none(
            {
                "ProcessingJobName": self.name,
                "ProcessingJobArn": self.arn,
                "CreationTime": self.creation_time,
                "ProcessingEndTime": self.end_time,
                "LastModifiedTime": self.last_modified_time,
                "ProcessingJobStatus": self.status,
                "FailureReason": self.failure_reason,
                "ExitMessage": self.exit_message,
            }
        )


class TrainingJob(WorkflowJob):
    KIND = "TrainingJob"
    ARN_TYPE = "training-job"
    SOURCE_TYPE = "SageMakerTrainingJob"
    LOG_GROUP = "/aws/sagemaker/TrainingJobs"

    def __init__(self, request: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        self.request.setdefault("StoppingCondition", {"MaxRuntimeInSeconds": DEFAULT_MAX_RUNTIME_S})
        self.request.setdefault("HyperParameters", {})
        self.request["OutputDataConfig"].setdefault("CompressionType", "GZIP")
        self.request.setdefault("EnableNetworkIsolation", False)
        self.request.setdefault("EnableInterContainerTrafficEncryption", False)
        self.request.setdefault("EnableManagedSpotTraining", False)
        algorithm = self.request.setdefault("AlgorithmSpecification", {})
        algorithm.setdefault("TrainingInputMode", "File")
        for channel in self.request.get("InputDataConfig") or []:
            source = (channel.get("DataSource") or {}).get("S3DataSource")
            if source is not None:
                source.setdefault("S3DataDistributionType", "FullyReplicated")
        self.secondary_status = "Starting"
        self.transitions: list[dict[str, Any]] = [
            {
                "Status": "Starting",
                "StartTime": self.creation_time,
                "StatusMessage": "Launching requested ML instances",
            }
        ]

    @property
    def image(self) -> str:
        return str((self.request.get("AlgorithmSpecification") or {}).get("TrainingImage", ""))

    @property
    def model_artifacts(self) -> str:
        """``<S3OutputPath>/<job>/output/model.tar.gz`` (or the ``model/`` prefix uncompressed)."""
        base = f"{self.request['OutputDataConfig']['S3OutputPath'].rstrip('/')}/{self.name}/output"
        uncompressed = self.request["OutputDataConfig"].get("CompressionType") == "NONE"
        return f"{base}/model/" if uncompressed else f"{base}/model.tar.gz"

    def advance(self, secondary: str, message: str) -> None:
        """Enter a secondary status (the previous one ends now)."""
        now = utcnow()
        if self.transitions:
            self.transitions[-1]["EndTime"] = now
        self.transitions.append({"Status": secondary, "StartTime": now, "StatusMessage": message})
        self.secondary_status = secondary
        self.last_modified_time = now

    def describe(self) -> dict[str, Any]:
        members = (
            "HyperParameters",
            "AlgorithmSpecification",
            "RoleArn",
            "InputDataConfig",
            "OutputDataConfig",
            "ResourceConfig",
            "VpcConfig",
            "StoppingCondition",
            "EnableNetworkIsolation",
            "EnableInterContainerTrafficEncryption",
            "EnableManagedSpotTraining",
            "CheckpointConfig",
            "ExperimentConfig",
            "Environment",
            "RetryStrategy",
        )
        body = {member: self.request.get(member) for member in members}
        seconds = None
        if self.start_time and self.end_time:
            seconds = max(1, int((self.end_time - self.start_time).total_seconds()))
        body.update(
            {
                "TrainingJobName": self.name,
                "TrainingJobArn": self.arn,
                "ModelArtifacts": {"S3ModelArtifacts": self.model_artifacts},
                "TrainingJobStatus": self.status,
                "SecondaryStatus": self.secondary_status,
                "FailureReason": self.failure_reason,
                "CreationTime": self.creation_time,
                "TrainingStartTime": self.start_time,
                "TrainingEndTime": self.end_time,
                "LastModifiedTime": self.last_modified_time,
                "SecondaryStatusTransitions": [dict(t) for t in self.transitions],
                "TrainingTimeInSeconds": seconds,
                "BillableTimeInSeconds": seconds,
            }
        )
        return without_none(body)

    def summary(self) -> dict[str, Any]:
        return without_none(
            {
                "TrainingJobName": self.name,
                "TrainingJobArn": self.arn,
                "CreationTime": self.creation_time,
                "TrainingEndTime": self.end_time,
                "LastModifiedTime": self.last_modified_time,
                "TrainingJobStatus": self.status,
                "SecondaryStatus": self.secondary_status,
            }
        )
