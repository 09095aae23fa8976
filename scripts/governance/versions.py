"""Model versions (SageMaker model packages) of a use case's group: list, name, resolve, describe."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from environments import EnvironmentConfig
from scripts.aws import describe_client_error, error_code, kit_errors

from .context import EnvContext, paginate
from .errors import UnknownVersionError, UsageError


def version_number(arn: str) -> int:
    return int(arn.rsplit("/", 1)[1])


def version_arn(env: EnvironmentConfig, group: str, version: str) -> str:
    """The model package ARN of ``version`` (a version number, or an ARN that must belong to
    ``env``'s account) in ``group``; no call is made."""
    if version.startswith("arn:"):
        if f":{env.account_id}:model-package/" not in version:
            raise UsageError(
                f"{version} is not a model package of environment {env.name!r} (account {env.account_id})"
            )
        return version
    try:
        number = int(version)
    except ValueError:
        raise UsageError(
            f"version must be a version number or a model package ARN, got {version!r}"
        ) from None
    return f"arn:aws:sagemaker:{env.region}:{env.account_id}:model-package/{group}/{number}"


def list_versions(ctx: EnvContext, group: str) -> list[dict[str, Any]]:
    """Every version summary of a group, oldest first."""
    with kit_errors(ctx.role_arn):
        return list(
            paginate(
                ctx.client("sagemaker"),
                "list_model_packages",
                "ModelPackageSummaryList",
                ModelPackageGroupName=group,
                ModelPackageType="Versioned",
                SortBy="CreationTime",
                SortOrder="Ascending",
            )
        )


def resolve_version(ctx: EnvContext, use_case: str, version: str) -> str:
    """The ARN of an existing ``version`` (number or ARN) of ``use_case`` in this environment."""
    arn = version_arn(ctx.env, ctx.group_name(use_case), version)
    describe_version(ctx, arn)  # raises UnknownVersionError
    return arn


def describe_version(ctx: EnvContext, arn: str) -> dict[str, Any]:
    try:
        desc: dict[str, Any] = ctx.client("sagemaker").describe_model_package(ModelPackageName=arn)
    except ClientError as err:
        code = error_code(err)
        msg = err.response.get("Error", {}).get("Message", "").lower()
        if code == "ResourceNotFound" or (code == "ValidationException" and "not" in msg):
            raise UnknownVersionError(
                f"unknown version {arn} in environment {ctx.env.name!r}: list the versions with "
                "`mlgov report`"
            ) from None
        raise describe_client_error(err, role_arn=ctx.role_arn) from err
    return desc
