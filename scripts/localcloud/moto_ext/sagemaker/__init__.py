"""SageMaker operations the platform needs and moto 5.2.1 does not serve (or serves partly).

Laid out like moto's own service package: ``models.py`` (:class:`GovernanceSageMakerBackend`, the
backend moto builds, with the model registry, Search and tags), composed of one
``SageMakerModelBackend`` subclass per further concern: ``studio.py`` (domains, user profiles,
spaces and apps, their provisioning delay), ``lineage.py`` (artifacts, actions, contexts and
associations), ``cards.py`` (standalone model cards and their export jobs, with ``pdf.py``),
``pipelines.py`` (pipelines and their executions, run by ``pipeline_executor.py`` from a definition
``pipeline_definition.py`` checks against ``pipeline_schema.py``, its expressions evaluated by
``pipeline_expressions.py``; and through ``jobs.py`` the processing and training jobs,
run by ``job_runs.py`` with ``transfers.py``, ``service_role.py`` and ``workflow_lineage.py``) and
``serving.py`` (hosting, batch transform and Model Monitor: ``endpoints.py`` with
``endpoint_records.py``, ``deployments.py`` and ``deployment_runs.py``, ``transform.py``,
``monitoring.py`` with ``monitoring_records.py`` and ``monitoring_runs.py``, handlers in
``serving_responses.py``);
``responses.py`` (:class:`GovernanceSageMakerResponse`, one handler per botocore operation),
``urls.py``, ``validators.py`` (model card and life cycle checks), ``search.py`` (the SearchExpression grammar) and
``utils.py`` (pagination model, shared helpers). :func:`register` makes moto build the governance
backend for every account and region.

Operations (botocore names) added or changed here:

* CreateModelPackage: ModelCard (content checked against the model package model card schema),
  ModelLifeCycle, SecurityConfig, SourceUri, ClientToken idempotency, versions never reused.
* UpdateModelPackage: ModelCard, ModelLifeCycle, CustomerMetadataProperties merged (moto replaced
  them), InferenceSpecification, SourceUri, approval change events.
* DescribeModelPackage / ListModelPackages: the fields above.
* CreateModelPackageGroup (an existing group refused), DescribeModelPackageGroup,
  DeleteModelPackage, DeleteModelPackageGroup.
* PutModelPackageGroupPolicy, GetModelPackageGroupPolicy, DeleteModelPackageGroupPolicy.
* CreateDomain / DescribeDomain / UpdateDomain / DeleteDomain: ids in AWS's format, TagPropagation.
* CreateUserProfile, DescribeUserProfile, UpdateUserProfile, DeleteUserProfile, ListUserProfiles.
* Studio spaces and apps: CreateSpace, DescribeSpace, ListSpaces, DeleteSpace, CreateApp,
  DescribeApp, ListApps, DeleteApp (a space in an existing domain, its owner a user profile of
  it; an app of a space or user profile; ResourceInUse for duplicates and for deleting what still
  has apps; DeleteUserProfile and DeleteDomain refused while spaces or apps remain).
* Lineage: CreateArtifact, DescribeArtifact, ListArtifacts, DeleteArtifact, CreateAction,
  DescribeAction, ListActions, DeleteAction, CreateContext, DescribeContext, ListContexts,
  DeleteContext, UpdateArtifact, UpdateAction, UpdateContext, AddAssociation, DeleteAssociation,
  ListAssociations, QueryLineage.
* AddTags / ListTags / DeleteTags on the new resource types (and tag keys replaced, not doubled).
* Search on ModelPackage, ModelPackageGroup and ModelCard (``search.py``): whole records, the
  SearchExpression grammar, SortBy/SortOrder, 100 a page with NextToken, the caller's account only.
* DescribeModelPackage / DescribeModelCard ``IncludedData=MetadataOnly``; an Archived card
  (package or standalone) changes no more; CreateModelCard / UpdateModelCard content held to the
  model card schema, UpdateModelCard changes content or status, not both; DescribeModel.
* A ``SecurityConfig`` key is used as the caller through SageMaker (kms:ViaService); roles a call
  hands SageMaker need iam:PassRole; tags on a new Studio space or app need sagemaker:AddTags.
* CreateModelCardExportJob / DescribeModelCardExportJob / ListModelCardExportJobs (``pdf.py``).
* Pipelines: CreatePipeline, UpdatePipeline, DescribePipeline, ListPipelines, DeletePipeline,
  StartPipelineExecution, DescribePipelineExecution, ListPipelineExecutions,
  ListPipelineExecutionSteps, DescribePipelineDefinitionForExecution, StopPipelineExecution,
  ListPipelineParametersForExecution (handlers in ``workflow_responses.py``): executions that run.
* Jobs: Create/Describe/List/StopProcessingJob, Create/Describe/List/StopTrainingJob: the job's
  command runs under SageMaker's container contract (``scripts/localcloud/containers``).
* Studio domains, user profiles, spaces and apps are ``Pending`` for a short, configurable time;
  a deleted app is ``Deleting`` as long, then ``Deleted``.
* Hosting that serves (``serving.py``: ``endpoints.py``, ``deployments.py``, ``fleet.py``,
  ``capture.py``), batch transform (``transform.py``) and Model Monitor (``monitoring.py``,
  ``monitoring_runs.py``), handlers in ``serving_responses.py``, the ARNs IAM authorizes in
  ``serving_iam.py``: the operations of ``moto_ext/serving_operations.py``.

Model package state changes are published to the account's default EventBridge bus as
"SageMaker Model Package State Change" events, the way SageMaker does.
"""

from __future__ import annotations

from typing import cast

from moto.sagemaker import models as sm_models
from moto.sagemaker.models import Domain, ModelPackage

from .models import GovernanceModelPackage, GovernanceSageMakerBackend
from .responses import GovernanceSageMakerResponse
from .studio import StudioDomain


def register() -> None:
    """Make moto build the governance backend for every account and region (idempotent)."""
    backends = sm_models.sagemaker_backends
    backends.backend = GovernanceSageMakerBackend
    for account_backends in backends.values():
        account_backends.backend = GovernanceSageMakerBackend
        for backend in account_backends.values():
            if isinstance(backend, GovernanceSageMakerBackend):
                continue
            # Backends created before install() keep their data and gain the new state; their
            # packages and domains gain the governance classes' defaults.
            backend.__class__ = GovernanceSageMakerBackend
            # The class was swapped at run time, which a type checker cannot follow.
            cast(GovernanceSageMakerBackend, backend).init_governance_state()
            for package in backend.model_packages.values():
                if type(package) is ModelPackage:
                    package.__class__ = GovernanceModelPackage
            for domain in backend.domains.values():
                if type(domain) is Domain:
                    domain.__class__ = StudioDomain


__all__ = ["GovernanceSageMakerBackend", "GovernanceSageMakerResponse", "register"]
