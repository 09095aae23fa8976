"""moto extensions: what the platform's stacks and scripts call and moto 5.2.1 does not serve.

Everything is written in moto's own idiom (backend classes holding per-account, per-region state,
response classes with one handler per botocore operation, url maps) and registered by one call:

    from scripts.localcloud.moto_ext import install
    install()          # idempotent; before mock_aws() in tests, before serving in the emulator

See README.md beside this file for the package layout and the list of operations.
"""

from __future__ import annotations

import threading

from .serving_operations import RUNTIME_OPERATIONS, SAGEMAKER_SERVING_OPERATIONS

#: SageMaker Pipelines and the processing and training jobs they run (``sagemaker/pipelines.py``,
#: ``sagemaker/jobs.py``): part of ``OPERATIONS["sagemaker"]``.
WORKFLOW_OPERATIONS = (
    "CreatePipeline",
    "UpdatePipeline",
    "DescribePipeline",
    "ListPipelines",
    "DeletePipeline",
    "StartPipelineExecution",
    "DescribePipelineExecution",
    "ListPipelineExecutions",
    "ListPipelineExecutionSteps",
    "DescribePipelineDefinitionForExecution",
    "StopPipelineExecution",
    "ListPipelineParametersForExecution",
    "CreateProcessingJob",
    "DescribeProcessingJob",
    "ListProcessingJobs",
    "StopProcessingJob",
    "CreateTrainingJob",
    "DescribeTrainingJob",
    "ListTrainingJobs",
    "StopTrainingJob",
)

#: Every botocore operation this package adds to moto or changes, by service. The shape test
#: (tests/emulator/test_shapes.py) drives each one and fails if one is missing from its scenario.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "sagemaker": (
        "CreateModelPackage",
        "UpdateModelPackage",
        "DescribeModelPackage",
        "ListModelPackages",
        "DescribeModelPackageGroup",
        "CreateModelPackageGroup",
        "DeleteModelPackage",
        "DeleteModelPackageGroup",
        "PutModelPackageGroupPolicy",
        "GetModelPackageGroupPolicy",
        "DeleteModelPackageGroupPolicy",
        "CreateDomain",
        "DescribeDomain",
        "UpdateDomain",
        "DeleteDomain",
        "CreateUserProfile",
        "DescribeUserProfile",
        "UpdateUserProfile",
        "DeleteUserProfile",
        "ListUserProfiles",
        "CreateSpace",
        "DescribeSpace",
        "ListSpaces",
        "DeleteSpace",
        "CreateApp",
        "DescribeApp",
        "ListApps",
        "DeleteApp",
        "CreateArtifact",
        "DescribeArtifact",
        "ListArtifacts",
        "UpdateArtifact",
        "DeleteArtifact",
        "CreateAction",
        "DescribeAction",
        "ListActions",
        "UpdateAction",
        "DeleteAction",
        "CreateContext",
        "DescribeContext",
        "ListContexts",
        "UpdateContext",
        "DeleteContext",
        "AddAssociation",
        "DeleteAssociation",
        "ListAssociations",
        "QueryLineage",
        "AddTags",
        "ListTags",
        "DeleteTags",
        "Search",
        *WORKFLOW_OPERATIONS,
        "CreateModelCard",
        "DescribeModelCard",
        "UpdateModelCard",
        "ListModelCardVersions",
        "CreateModelCardExportJob",
        "DescribeModelCardExportJob",
        "ListModelCardExportJobs",
        *SAGEMAKER_SERVING_OPERATIONS,
    ),
    "sagemaker-runtime": RUNTIME_OPERATIONS,
    "ram": (
        "CreateResourceShare",
        "GetResourceShares",
        "AssociateResourceShare",
        "DisassociateResourceShare",
        "ListResourceSharePermissions",
        "TagResource",
        "UntagResource",
        "GetResourceShareInvitations",
        "AcceptResourceShareInvitation",
        "RejectResourceShareInvitation",
        "ListResources",
    ),
    "sts": ("AssumeRole", "AssumeRoleWithWebIdentity"),
    "s3": (
        "PutBucketLogging",
        "GetBucketNotificationConfiguration",
        "CopyObject",
        "DeleteObject",
        "PutBucketVersioning",
    ),
    "datazone": (
        "CreateDomain",
        "GetDomain",
        "UpdateDomain",
        "DeleteDomain",
        "ListDomains",
        "CreateProject",
        "GetProject",
        "UpdateProject",
        "DeleteProject",
        "ListProjects",
        "TagResource",
        "UntagResource",
        "ListTagsForResource",
        "CreateUserProfile",
        "GetUserProfile",
        "CreateProjectMembership",
        "DeleteProjectMembership",
        "ListProjectMemberships",
        "CreateGlossary",
        "GetGlossary",
        "UpdateGlossary",
        "DeleteGlossary",
        "CreateGlossaryTerm",
        "GetGlossaryTerm",
        "UpdateGlossaryTerm",
        "DeleteGlossaryTerm",
        "CreateFormType",
        "GetFormType",
        "DeleteFormType",
        "CreateAssetType",
        "GetAssetType",
        "DeleteAssetType",
        "SearchTypes",
        "CreateAsset",
        "GetAsset",
        "CreateAssetRevision",
        "ListAssetRevisions",
        "DeleteAsset",
        "CreateListingChangeSet",
        "GetListing",
        "Search",
        "SearchListings",
        "ListEnvironmentBlueprints",
        "PutEnvironmentBlueprintConfiguration",
        "CreateEnvironment",
        "GetEnvironment",
        "ListEnvironments",
        "AssociateEnvironmentRole",
        "DeleteEnvironment",
        "CreateSubscriptionTarget",
        "GetSubscriptionTarget",
        "ListSubscriptionTargets",
        "DeleteSubscriptionTarget",
        "CreateSubscriptionRequest",
        "AcceptSubscriptionRequest",
        "RejectSubscriptionRequest",
        "GetSubscriptionRequestDetails",
        "ListSubscriptionRequests",
        "GetSubscription",
        "ListSubscriptions",
        "RevokeSubscription",
        "CancelSubscription",
        "CreateSubscriptionGrant",
        "GetSubscriptionGrant",
        "ListSubscriptionGrants",
        "UpdateSubscriptionGrantStatus",
        "DeleteSubscriptionGrant",
    ),
}

_lock = threading.Lock()
_installed = False


def install() -> None:
    """Register every extension into moto in this process. Safe to call more than once."""
    global _installed
    with _lock:
        if _installed:
            return
        from moto.sagemaker.exceptions import ValidationError as SageMakerValidation

        from . import (
            auth_errors,
            authentication,
            datazone,
            events_logs,
            iam_managed_policies,
            iam_resources,
            kms,
            principals,
            ram,
            resource_policies,
            s3,
            s3_policy,
            s3_writes,
            sagemaker,
            sagemaker_runtime,
            state_lock,
            sts,
            validation,
        )
        from .datazone.exceptions import ValidationException as DataZoneValidation
        from .datazone.responses import DataZoneResponse
        from .sagemaker.responses import GovernanceSageMakerResponse

        sagemaker.register()
        sagemaker_runtime.register()
        datazone.register()
        validation.validate_operations(
            GovernanceSageMakerResponse, OPERATIONS["sagemaker"], SageMakerValidation
        )
        validation.validate_operations(DataZoneResponse, OPERATIONS["datazone"], DataZoneValidation)
        ram.register()
        s3.register()
        s3_policy.register()
        s3_writes.register()
        authentication.register()
        auth_errors.register()
        iam_resources.register()
        resource_policies.register()
        iam_managed_policies.register()
        kms.register()
        principals.register()
        events_logs.register()
        sts.register()
        state_lock.register()
        _installed = True


__all__ = ["OPERATIONS", "install"]
