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

#: Every botocore operation this package adds to moto or changes, by service. The shape test
#: (tests/emulator/test_shapes.py) drives each one and fails if one is missing from its scenario.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "sagemaker": (
        "CreateModelPackage",
        "UpdateModelPackage",
        "DescribeModelPackage",
        "ListModelPackages",
        "DescribeModelPackageGroup",
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
        "DeleteArtifact",
        "CreateAction",
        "DescribeAction",
        "ListActions",
        "DeleteAction",
        "CreateContext",
        "DescribeContext",
        "ListContexts",
        "DeleteContext",
        "AddAssociation",
        "DeleteAssociation",
        "ListAssociations",
        "AddTags",
        "ListTags",
        "DeleteTags",
        "Search",
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
    "s3": ("PutBucketLogging", "GetBucketNotificationConfiguration"),
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
            sagemaker,
            sagemaker_runtime,
            validation,
        )
        from .datazone.exceptions import ValidationException as DataZoneValidation
        from .datazone.responses import DataZoneResponse
        from .sagemaker import serving_iam
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
        authentication.register()
        auth_errors.register()
        iam_resources.register()
        serving_iam.register()
        resource_policies.register()
        iam_managed_policies.register()
        kms.register()
        principals.register()
        events_logs.register()
        _installed = True


__all__ = ["OPERATIONS", "install"]
