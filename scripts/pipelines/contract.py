"""What a use case's pipeline module receives, and how the kit finds and builds it.

The contract (``use_cases/README.md`` says it for a team):

* the module is ``use_cases/<use case>/pipeline.py`` (the use case's name from the environment
  files, e.g. ``credit-risk``), with its step scripts beside it;
* it exposes ``build(context: PipelineContext) -> Pipeline``, which only *describes* the pipeline
  with the SageMaker Python SDK v3 (``sagemaker.mlops.workflow``) under ``context.session`` (a
  ``PipelineSession``: building uploads the steps' code to S3 and starts nothing);
* every step runs as ``context.role_arn`` (the environment's pipeline execution role), writes
  under ``context.output_uri``, encrypts with ``context.kms_key_arn`` and registers into
  ``context.model_package_group``; what changes per execution is a pipeline parameter;
* a pipeline that declares the String parameters ``DatasetAssetId`` and ``DatasetRevision``
  beside ``InputData`` runs on the use case's subscribed dataset: ``mlgov pipeline start`` sets
  the three from the approved DataZone subscription (docs/DATA.md) and the card should record
  the two in ``custom_details`` (``dataset_asset_id``, ``dataset_asset_revision``).

Building needs the ``pipeline`` extra; importing this module does not.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

USE_CASES_DIR = Path(__file__).resolve().parents[2] / "use_cases"
MODULE_FILE = "pipeline.py"


class PipelineModuleError(ValueError):
    """A use case's pipeline module is missing or does not follow the contract."""


@dataclass(frozen=True)
class PipelineContext:
    """Where and as whom a use case's pipeline runs (one environment, one use case)."""

    use_case: str
    """The use case's name, as in the environment files."""
    pipeline_name: str
    """The SageMaker pipeline's name (``<prefix>-<env>-<use case>``)."""
    role_arn: str
    """The pipeline execution role: SageMaker runs the pipeline and every job as it."""
    bucket: str
    """The environment's artifact bucket."""
    output_uri: str
    """``s3://<bucket>/pipelines/<use case>``: where the pipeline's steps write their working data
    (code, card sections, the split datasets)."""
    models_uri: str
    """``s3://<bucket>/models/<use case>/pipelines``: where what the registered version is made of
    goes (the model archive with its ``baseline/`` beside it, the evaluation's reports), so that
    promotion's downstream role, which reads only ``models/``, can copy it."""
    input_data_uri: str
    """The use case's own data prefix ``data/<use case>/`` (the default of the pipeline's input
    parameter; ``mlgov pipeline start`` passes the subscribed dataset's prefix instead)."""
    model_package_group: str
    """The use case's model package group in this environment."""
    region: str
    session: Any
    """A ``sagemaker.core.workflow.pipeline_context.PipelineSession`` (typed Any: the SDK is optional)."""
    kms_key_arn: str | None = None
    """The environment's KMS key, for the jobs' outputs."""
    datazone_project_id: str | None = None
    """The use case's DataZone project id (published by the DataZone home environment), for the
    card's ``additional_information.custom_details``; None when it is not known."""
    lifecycle_stage: str | None = None
    """The environment's model lifecycle stage (its SSM ``registry/lifecycle_stage``, e.g.
    ``Development``): the registered version's ``ModelLifeCycle`` is that stage, ``Registered``, as
    ``mlgov register`` sets it; None registers without one."""


def module_path(use_case: str, root: Path = USE_CASES_DIR) -> Path:
    return root / use_case / MODULE_FILE


def load(use_case: str, root: Path = USE_CASES_DIR) -> ModuleType:
    """The use case's pipeline module; raises :class:`PipelineModuleError` naming the file when it
    is missing or has no ``build``."""
    path = module_path(use_case, root)
    if not path.is_file():
        raise PipelineModuleError(
            f"use case {use_case!r} has no pipeline: expected {path} exposing build(context) -> Pipeline"
        )
    spec = importlib.util.spec_from_file_location(
        f"mlgov_use_case_pipeline_{use_case.replace('-', '_')}", path
    )
    if spec is None or spec.loader is None:
        raise PipelineModuleError(f"{path} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "build", None)):
        raise PipelineModuleError(f"{path} must define build(context: PipelineContext) -> Pipeline")
    return module


def build(context: PipelineContext, root: Path = USE_CASES_DIR) -> Any:
    """The use case's ``Pipeline``, built for ``context``; checks it names itself as the context
    says and has a definition."""
    pipeline = load(context.use_case, root).build(context)
    if getattr(pipeline, "name", None) != context.pipeline_name or not callable(
        getattr(pipeline, "definition", None)
    ):
        raise PipelineModuleError(
            f"{module_path(context.use_case, root)}: build() must return a Pipeline named "
            f"{context.pipeline_name!r} (got {type(pipeline).__name__} named {getattr(pipeline, 'name', None)!r})"
        )
    return pipeline
