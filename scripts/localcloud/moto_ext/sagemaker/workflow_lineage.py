"""The lineage SageMaker records by itself for jobs and registered model versions.

Followed: SageMaker Developer Guide, "Amazon SageMaker AI-Created Tracking Entities" (a trial
component for each job, artifacts for the job's image and for each input and output, associated
with the job; for a model package, artifacts for the package and its containers' model data and
images, and a context for its group) and "Lineage Tracking Entities" (one artifact per SourceUri:
SageMaker reuses an existing one rather than create another). Names and shapes as the SageMaker
Python SDK reads them (``lineage/visualizer.py``: the trial component of job ``j`` is
``j-aws-processing-job`` / ``j-aws-training-job`` with ``Source.SourceArn`` = the job's ARN; a
package's artifact is found by ``ListArtifacts(SourceUri=<package ARN>)``).

For a job::

    image (Image) --ContributedTo--> trial component <--ContributedTo-- each input (DataSet)
    trial component --Produced--> each output (DataSet; a training job's model: Model)

For a batch transform job (trial component ``j-aws-transform-job``, ``Source.SourceType``
``SageMakerTransformJob``; members as a trial component SageMaker recorded for a pipeline's
transform job shows them: ``InputArtifacts["SageMaker.TransformInput"]`` with its ``MediaType``,
``OutputArtifacts["SageMaker.TransformOutput"]``, ``Parameters`` ``SageMaker.ModelName``,
``SageMaker.ModelPrimary.DataUrl``/``.Image``, instance type and count; the Developer Guide lists
its input and output as its artifacts, not the model)::

    input (DataSet) --ContributedTo--> trial component --Produced--> output (DataSet)

For a registered version::

    model data (Model) --ContributedTo--> package (ModelPackage) <--ContributedTo-- image (Image)
    package --AssociatedWith--> group (context ModelGroup)

A training job's model artifact and the version's model data are one artifact (same SourceUri),
so a version's lineage walks back through its pipeline's jobs to their input datasets. Trial
components are moto's (``trial_components``), with ``Source`` set as AWS sets it; a job of a
pipeline execution is also associated with the execution's trial (``ExperimentConfig``). All of
it is done as the service, under the backend lock, never as the job's role.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from moto.core.utils import utcnow

from ..state_lock import STATE_LOCK

if TYPE_CHECKING:
    from .job_records import WorkflowJob
    from .models import GovernanceSageMakerBackend
    from .transform import TransformJob


def artifact(backend: GovernanceSageMakerBackend, uri: str, artifact_type: str) -> str:
    """The artifact of ``uri`` (the existing one, whatever its type, or a new one)."""
    for found in backend._lineage_entities("Artifact", source_uri=uri):
        return found.arn
    return backend.create_lineage_entity(
        "Artifact", name=None, source={"SourceUri": uri}, entity_type=artifact_type
    )


def _associate(backend: GovernanceSageMakerBackend, source: str, destination: str, kind: str) -> None:
    backend.add_association(source, destination, kind)


def _job_inputs(job: WorkflowJob) -> dict[str, str]:
    request = job.request
    if job.KIND == "ProcessingJob":
        return {
            i["InputName"]: i["S3Input"]["S3Uri"]
            for i in request.get("ProcessingInputs") or []
            if i.get("S3Input")
        }
    return {
        c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"]
        for c in request.get("InputDataConfig") or []
        if (c.get("DataSource") or {}).get("S3DataSource")
    }


def _parameters(job: WorkflowJob) -> dict[str, dict[str, Any]]:
    request = job.request
    if job.KIND == "ProcessingJob":
        cluster = (request.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    else:
        cluster = request.get("ResourceConfig") or {}
    parameters: dict[str, dict[str, Any]] = {
        "SageMaker.InstanceCount": {"NumberValue": float(cluster.get("InstanceCount") or 1)},
        "SageMaker.InstanceType": {"StringValue": str(cluster.get("InstanceType") or "")},
        "SageMaker.VolumeSizeInGB": {"NumberValue": float(cluster.get("VolumeSizeInGB") or 30)},
    }
    for key, value in (request.get("HyperParameters") or {}).items():
        parameters[key] = {"StringValue": str(value)}
    return parameters


def job_created(backend: GovernanceSageMakerBackend, job: WorkflowJob) -> None:
    """The job's trial component (InProgress) and its image and input artifacts."""
    with STATE_LOCK:
        inputs = _job_inputs(job)
        backend.create_trial_component(
            trial_component_name=job.trial_component_name,
            trial_name=None,  # type: ignore[arg-type]
            status={"PrimaryStatus": "InProgress", "Message": "Status: InProgress"},
            start_time=job.creation_time,
            end_time=None,
            display_name=job.trial_component_name,
            parameters=_parameters(job),
            input_artifacts={"SageMaker.ImageUri": {"Value": job.image}}
            | {n: {"Value": u} for n, u in inputs.items()},
            output_artifacts={},
            metadata_properties=None,
        )
        component = backend.trial_components[job.trial_component_name]
        # moto's trial component has no Source; its response is built from the attributes.
        vars(component)["source"] = {"SourceArn": job.arn, "SourceType": job.SOURCE_TYPE}
        trial = (job.request.get("ExperimentConfig") or {}).get("TrialName")
        if trial and trial in backend.trials:
            backend.associate_trial_component(trial, job.trial_component_name)
        _associate(backend, artifact(backend, job.image, "Image"), component.arn, "ContributedTo")
        for uri in inputs.values():
            _associate(backend, artifact(backend, uri, "DataSet"), component.arn, "ContributedTo")


def job_ended(backend: GovernanceSageMakerBackend, job: WorkflowJob, outputs: dict[str, str]) -> None:
    """The trial component's end (status, time, outputs) and, for a completed job, the output
    artifacts it produced."""
    with STATE_LOCK:
        component = backend.trial_components.get(job.trial_component_name)
        if component is None:
            return
        primary = {"Completed": "Completed", "Failed": "Failed", "Stopped": "Stopped"}.get(
            job.status, job.status
        )
        component.status = {
            "PrimaryStatus": primary,
            "Message": f"Status: {primary}, failure reason: {job.failure_reason or 'null'}",
        }
        component.end_time = job.end_time or utcnow()
        component.last_modified_time = utcnow()
        if job.status != "Completed":
            return
        component.output_artifacts = {name: {"Value": uri} for name, uri in outputs.items()}
        for name, uri in outputs.items():
            kind = "Model" if name == "SageMaker.ModelArtifact" else "DataSet"
            _associate(backend, component.arn, artifact(backend, uri, kind), "Produced")


def _transform_parameters(job: TransformJob) -> dict[str, dict[str, Any]]:
    resources = job.request.get("TransformResources") or {}
    container = job.model.resolved[0]
    parameters: dict[str, dict[str, Any]] = {
        "SageMaker.InstanceCount": {"NumberValue": float(resources.get("InstanceCount") or 1)},
        "SageMaker.InstanceType": {"StringValue": str(resources.get("InstanceType") or "")},
        "SageMaker.ModelName": {"StringValue": job.model.name},
        "SageMaker.ModelPrimary.Image": {"StringValue": container.image},
    }
    if container.model_data_url:
        parameters["SageMaker.ModelPrimary.DataUrl"] = {"StringValue": container.model_data_url}
    return parameters


def transform_job_created(backend: GovernanceSageMakerBackend, job: TransformJob) -> None:
    """The transform job's trial component (InProgress) and its input artifact."""
    with STATE_LOCK:
        data_input = job.request["TransformInput"]
        uri = str(data_input["DataSource"]["S3DataSource"]["S3Uri"])
        media = {"MediaType": data_input["ContentType"]} if data_input.get("ContentType") else {}
        backend.create_trial_component(
            trial_component_name=job.trial_component_name,
            trial_name=None,  # type: ignore[arg-type]
            status={"PrimaryStatus": "InProgress", "Message": "Status: InProgress"},
            start_time=job.creation_time,
            end_time=None,
            display_name=job.trial_component_name,
            parameters=_transform_parameters(job),
            input_artifacts={"SageMaker.TransformInput": {**media, "Value": uri}},
            output_artifacts={},
            metadata_properties=None,
        )
        component = backend.trial_components[job.trial_component_name]
        vars(component)["source"] = {"SourceArn": job.arn, "SourceType": "SageMakerTransformJob"}
        _associate(backend, artifact(backend, uri, "DataSet"), component.arn, "ContributedTo")


def transform_job_ended(backend: GovernanceSageMakerBackend, job: TransformJob) -> None:
    """The trial component's end and, for a completed job, the output it produced."""
    with STATE_LOCK:
        component = backend.trial_components.get(job.trial_component_name)
        if component is None:
            return
        component.status = {
            "PrimaryStatus": job.status,
            "Message": f"Status: {job.status}, failure reason: {job.failure_reason or 'null'}",
        }
        component.end_time = job.end_time or utcnow()
        component.last_modified_time = utcnow()
        if job.status != "Completed":
            return
        uri = str(job.request["TransformOutput"]["S3OutputPath"])
        component.output_artifacts = {"SageMaker.TransformOutput": {"Value": uri}}
        _associate(backend, component.arn, artifact(backend, uri, "DataSet"), "Produced")


def model_package_registered(backend: GovernanceSageMakerBackend, package: dict[str, Any]) -> str:
    """The lineage of a registered version (``package`` is its DescribeModelPackage body);
    returns the package's artifact ARN."""
    with STATE_LOCK:
        package_artifact = artifact(backend, package["ModelPackageArn"], "ModelPackage")
        for container in (package.get("InferenceSpecification") or {}).get("Containers") or []:
            if container.get("ModelDataUrl"):
                _associate(
                    backend,
                    artifact(backend, container["ModelDataUrl"], "Model"),
                    package_artifact,
                    "ContributedTo",
                )
            if container.get("Image"):
                _associate(
                    backend, artifact(backend, container["Image"], "Image"), package_artifact, "ContributedTo"
                )
        group = package.get("ModelPackageGroupName")
        if group:
            group_arn = backend.model_package_group(group).arn
            found = backend._lineage_entities("Context", source_uri=group_arn)
            if found:
                context = found[0].arn
            else:
                digest = hashlib.sha256(group_arn.encode()).hexdigest()[:10]
                context = backend.create_lineage_entity(
                    "Context",
                    name=f"{group[:100]}-{digest}-ModelGroup",
                    source={"SourceUri": group_arn},
                    entity_type="ModelGroup",
                )
            _associate(backend, package_artifact, context, "AssociatedWith")
        return package_artifact
