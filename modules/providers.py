"""The AWS provider and the state backend of a stack, shared by the platform and bootstrap stacks.

Only stacks call these (``modules.stack``, ``modules.bootstrap``); no construct creates a provider
or a backend.
"""

from __future__ import annotations

from cdktf import LocalBackend, S3Backend, TerraformBackend, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderAssumeRole, AwsProviderDefaultTags

from environments.schema import EnvironmentConfig, PlatformConfig, RemoteStateConfig

#: The prebuilt bindings are generated for provider 5.99.1 and pin exactly that; the kit runs
#: with any 5.x from 5.99 on (the mirror carries 5.100.0).
AWS_PROVIDER_CONSTRAINT = "~> 5.99"
#: The ``managed-by`` default tag on every resource the kit creates.
MANAGED_BY = "mlgov-platform-kit"


def aws_provider(
    stack: TerraformStack,
    platform: PlatformConfig,
    env: EnvironmentConfig,
    *,
    assume_role: AwsProviderAssumeRole | None = None,
    component: str | None = None,
) -> AwsProvider:
    """The stack's AWS provider: the environment's region, only its account, the kit's default
    tags, and the provider source and version constraint.

    :param assume_role: the role Terraform works as; None uses the ambient credentials.
    :param component: adds a ``component`` default tag (e.g. ``bootstrap``).
    """
    tags = {
        **dict(env.tags),
        "environment": env.name,
        "platform": platform.name_prefix,
        "managed-by": MANAGED_BY,
    }
    if component is not None:
        tags["component"] = component
    provider = AwsProvider(
        stack,
        "aws",
        region=env.region,
        allowed_account_ids=[env.account_id],
        assume_role=[assume_role] if assume_role is not None else None,
        default_tags=[AwsProviderDefaultTags(tags=tags)],
    )
    stack.add_override("terraform.required_providers.aws.source", "hashicorp/aws")
    stack.add_override("terraform.required_providers.aws.version", AWS_PROVIDER_CONSTRAINT)
    return provider


def state_backend(
    stack: TerraformStack, *, remote_state: RemoteStateConfig | None, local_path: str
) -> TerraformBackend:
    """The S3 backend (encrypted, S3 lock file) when ``remote_state`` is set, else local state in
    ``local_path``."""
    if remote_state is None:
        return LocalBackend(stack, path=local_path)
    backend = S3Backend(
        stack,
        bucket=remote_state.bucket,
        key=remote_state.key,
        region=remote_state.region,
        encrypt=True,
        kms_key_id=remote_state.kms_key_id,
    )
    # cdktf 0.20 predates S3-native locking; Terraform >= 1.10 reads this setting.
    stack.add_override("terraform.backend.s3.use_lockfile", remote_state.use_lockfile)
    return backend
