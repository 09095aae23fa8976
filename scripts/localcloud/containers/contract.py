"""SageMaker's container contract for processing and training jobs: the ``/opt/ml`` layout, the
configuration files, the environment and the command, built from the job's request (botocore
member names, as CreateProcessingJob / CreateTrainingJob take them).

Followed (SageMaker Developer Guide): "How Amazon SageMaker Processing Configures Input and
Output For Your Processing Container" and "How Amazon SageMaker Processing Provides Environment
Information" (inputs under each input's ``LocalPath``, outputs uploaded from each output's
``LocalPath``, ``/opt/ml/config/processingjobconfig.json`` and ``resourceconfig.json``); "How
Amazon SageMaker Provides Training Information" and "How Amazon SageMaker Processes Training
Output" (``/opt/ml/input/config/hyperparameters.json``, ``resourceconfig.json``,
``inputdataconfig.json``, channels under ``/opt/ml/input/data/<channel>``, the model under
``/opt/ml/model`` tarred to ``<S3OutputPath>/<job>/output/model.tar.gz``, ``/opt/ml/output/data``
to ``output.tar.gz``, the first 1024 characters of ``/opt/ml/output/failure`` as the failure
reason; ``TRAINING_JOB_NAME`` and ``TRAINING_JOB_ARN`` in the environment).

A training job without ``ContainerEntrypoint`` runs the framework image's own entry point, the
SageMaker training toolkit's script mode (:mod:`.training_toolkit`): the hyperparameters
``sagemaker_program`` and ``sagemaker_submit_directory`` name the script and the source tarball
(the SageMaker Python SDK v2 estimators' way). With ``ContainerEntrypoint`` (the SDK v3
``ModelTrainer``'s ``/bin/bash -c .../sm_drivers/sm_train.sh``, the v3 ``FrameworkProcessor``'s
``/bin/bash /opt/ml/processing/input/entrypoint/runproc.sh``) that command runs as given.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .runner import OPT_ML

PROCESSING_ROOT = PurePosixPath(OPT_ML) / "processing"
HOST = "algo-1"
#: The training toolkit's script-mode hyperparameters (not passed to the script as arguments).
TOOLKIT_PROGRAM = "sagemaker_program"
TOOLKIT_SUBMIT_DIRECTORY = "sagemaker_submit_directory"


class ContractError(ValueError):
    """The job asks for what its container cannot be given; the message names the member."""


@dataclass(frozen=True)
class Download:
    """Data the job's role downloads before the command runs."""

    name: str
    s3_uri: str
    local: Path
    """Where it goes on this machine (inside the job's ``/opt/ml``)."""
    data_type: str = "S3Prefix"


@dataclass(frozen=True)
class Upload:
    """A directory the job's role uploads after the command ends."""

    name: str
    s3_uri: str
    local: Path


@dataclass(frozen=True)
class Contract:
    """Everything the runner and the transfers need for one job."""

    ml_dir: Path
    downloads: list[Download]
    uploads: list[Upload]
    command: list[str]
    environment: dict[str, str]
    workdir: str = "/"
    failure_file: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _inside(ml_dir: Path, container_path: str) -> Path:
    """The host path of ``container_path`` (an absolute path under /opt/ml)."""
    relative = PurePosixPath(container_path).relative_to(OPT_ML)
    if ".." in relative.parts:
        raise ContractError(f"{container_path} leaves /opt/ml")
    return ml_dir.joinpath(*relative.parts)


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")


def _single_instance(resources: Mapping[str, Any], member: str) -> str:
    count = int(resources.get("InstanceCount") or 1)
    if count != 1:
        raise ContractError(
            f"{member}.InstanceCount is {count}: the local cloud runs a job on one instance "
            "(algo-1); set InstanceCount to 1"
        )
    return str(resources.get("InstanceType") or "ml.m5.large")


def processing_contract(job: Mapping[str, Any], ml_dir: Path) -> Contract:
    """The layout of a processing job (``job`` is its DescribeProcessingJob body)."""
    cluster = (job.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    instance_type = _single_instance(cluster, "ProcessingResources.ClusterConfig")
    downloads = []
    for item in job.get("ProcessingInputs") or []:
        s3 = item.get("S3Input")
        if s3 is None:
            raise ContractError(
                f"ProcessingInputs '{item.get('InputName')}': the local cloud reads S3Input only "
                "(DatasetDefinition inputs are not supported)"
            )
        local = _inside(ml_dir, s3["LocalPath"])
        local.mkdir(parents=True, exist_ok=True)
        downloads.append(Download(item["InputName"], s3["S3Uri"], local, s3.get("S3DataType", "S3Prefix")))
    uploads = []
    for item in (job.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
        s3 = item.get("S3Output")
        if s3 is None:
            raise ContractError(
                f"ProcessingOutputConfig.Outputs '{item.get('OutputName')}': the local cloud writes "
                "S3Output only (FeatureStoreOutput is not supported)"
            )
        local = _inside(ml_dir, s3["LocalPath"])
        local.mkdir(parents=True, exist_ok=True)
        uploads.append(Upload(item["OutputName"], s3["S3Uri"], local))
    config = ml_dir / "config"
    _write_json(config / "processingjobconfig.json", dict(job))
    _write_json(
        config / "resourceconfig.json",
        {"current_host": HOST, "current_instance_type": instance_type, "hosts": [HOST]},
    )
    app = job.get("AppSpecification") or {}
    command = [*(app.get("ContainerEntrypoint") or []), *(app.get("ContainerArguments") or [])]
    if not app.get("ContainerEntrypoint"):
        raise ContractError(
            "AppSpecification.ContainerEntrypoint is missing: the scikit-learn image has no processing "
            "entry point of its own (the SageMaker SDK's processors always set one, e.g. "
            "['python3', '/opt/ml/processing/input/code/<script>.py'])"
        )
    return Contract(ml_dir, downloads, uploads, command, dict(job.get("Environment") or {}))


def training_contract(job: Mapping[str, Any], ml_dir: Path, toolkit: Sequence[str]) -> Contract:
    """The layout of a training job (``job`` is its DescribeTrainingJob body); ``toolkit`` is the
    command that stands for the image's own ``train`` entry point."""
    resources = job.get("ResourceConfig") or {}
    instance_type = _single_instance(resources, "ResourceConfig")
    algorithm = job.get("AlgorithmSpecification") or {}
    default_mode = algorithm.get("TrainingInputMode", "File")
    hyperparameters = {str(k): str(v) for k, v in (job.get("HyperParameters") or {}).items()}
    config = ml_dir / "input" / "config"
    downloads, channels = [], {}
    for channel in job.get("InputDataConfig") or []:
        name = channel["ChannelName"]
        mode = channel.get("InputMode") or default_mode
        if mode != "File":
            raise ContractError(
                f"InputDataConfig '{name}': InputMode {mode}; the local cloud supports File mode"
            )
        source = (channel.get("DataSource") or {}).get("S3DataSource")
        if source is None:
            raise ContractError(f"InputDataConfig '{name}': the local cloud reads S3DataSource only")
        local = ml_dir / "input" / "data" / name
        local.mkdir(parents=True, exist_ok=True)
        downloads.append(Download(name, source["S3Uri"], local, source.get("S3DataType", "S3Prefix")))
        described = {
            "TrainingInputMode": mode,
            "S3DistributionType": source.get("S3DataDistributionType", "FullyReplicated"),
            "RecordWrapperType": channel.get("RecordWrapperType", "None"),
        }
        if channel.get("ContentType"):
            described["ContentType"] = channel["ContentType"]
        channels[name] = described
    _write_json(config / "hyperparameters.json", hyperparameters)
    _write_json(config / "inputdataconfig.json", channels)
    _write_json(
        config / "resourceconfig.json",
        {
            "current_host": HOST,
            "current_instance_type": instance_type,
            "current_group_name": "homogeneousCluster",
            "hosts": [HOST],
            "instance_groups": [
                {"instance_group_name": "homogeneousCluster", "instance_type": instance_type, "hosts": [HOST]}
            ],
            "network_interface_name": "eth0",
        },
    )
    model_dir, output_dir = ml_dir / "model", ml_dir / "output"
    for directory in (model_dir, output_dir / "data", ml_dir / "code"):
        directory.mkdir(parents=True, exist_ok=True)
    checkpoint = job.get("CheckpointConfig")
    if checkpoint:
        local = _inside(ml_dir, checkpoint.get("LocalPath") or f"{OPT_ML}/checkpoints")
        local.mkdir(parents=True, exist_ok=True)
        downloads.append(Download("checkpoints", checkpoint["S3Uri"], local))
    environment = dict(job.get("Environment") or {})
    environment.update(
        {"TRAINING_JOB_NAME": job["TrainingJobName"], "TRAINING_JOB_ARN": job["TrainingJobArn"]}
    )
    extra: dict[str, Any] = {}
    if algorithm.get("ContainerEntrypoint"):
        command = [*algorithm["ContainerEntrypoint"], *(algorithm.get("ContainerArguments") or [])]
        workdir = "/"
    else:
        program = hyperparameters.get(TOOLKIT_PROGRAM)
        submit = hyperparameters.get(TOOLKIT_SUBMIT_DIRECTORY)
        if not program or not submit:
            raise ContractError(
                "AlgorithmSpecification.ContainerEntrypoint is missing, so the scikit-learn image runs its "
                f"training toolkit, which needs the hyperparameters {TOOLKIT_PROGRAM} (the script) and "
                f"{TOOLKIT_SUBMIT_DIRECTORY} (the S3 URI of its source tarball)"
            )
        extra["submit_directory"] = _json_text(submit)
        command = list(toolkit)
        workdir = f"{OPT_ML}/code"
    return Contract(
        ml_dir,
        downloads,
        [],
        command,
        environment,
        workdir=workdir,
        failure_file=output_dir / "failure",
        extra=extra,
    )


def _json_text(value: str) -> str:
    """A hyperparameter as the toolkit reads it: JSON-decoded when it is JSON (the SDK v2 encodes
    every value with json.dumps), else the text."""
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, str) else value
