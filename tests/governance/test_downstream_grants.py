"""Dev's grants to staging (bucket, key and model package group policies, as synthesized) admit
staging's promotion role and no other principal of staging or of any other account: they name
staging's account as principal and the role in ``ArnEquals`` on ``aws:PrincipalArn``
(modules/policy.py ``roles_by_arn``), and an account principal would otherwise let every principal
of that account whose own policies allow it in.

In-process, IAM enforced: dev's bucket, key and group carry the policies of the synthesized dev
stack; staging's roles carry the promotion role's synthesized identity policy, the impostors that
same policy plus an Allow of every S3, KMS and SageMaker action (what an insider who can widen a
role's identity policy, e.g. the data-grant role's PutRolePolicy or an administrator, would give
it). So only the principal's ARN tells them apart. The emulator decides the requests with
``core/evaluation.py`` and ``request_context.py`` (``aws:PrincipalArn``: the role's ARN, with its
path, for every session of it; the user's ARN for a user). S3 reads do not consult the object's
KMS key in the local cloud (docs/emulator-gaps.md), so the key policy's ``kms:ViaService`` S3 half
is checked with the same evaluator on the synthesized document directly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from environments import Names
from scripts.localcloud.moto_ext.core import evaluation as ev
from tests.emulator import conftest as emulator
from tests.emulator.conftest import EnforcedCloud, policy_document, root, trusting

# IAM enforced in-process, as the emulator's own tests have it (its fixtures, used by name)
aws_env, mocked, enforced = emulator.aws_env, emulator.mocked, emulator.enforced

REGION = "us-east-1"
SPEC = {
    "Containers": [{"Image": "111111111111.dkr.ecr.us-east-1.amazonaws.com/x:1"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}
#: What the impostors are given on top of the promotion role's own policy.
EVERYTHING = {"Effect": "Allow", "Action": ["s3:*", "kms:*", "sagemaker:*"], "Resource": "*"}
_TF_REFERENCE = re.compile(r"\$\{aws_[^}]+\}")


def _identity_policy(text: str, account: str) -> str:
    """A synthesized identity policy as AWS receives it: Terraform references to the stack's own
    resources (its key) become an ARN of ``account`` that matches nothing here, ``$${var}``
    becomes ``${var}``."""
    text = _TF_REFERENCE.sub(f"arn:aws:kms:{REGION}:{account}:key/not-in-this-test", text)
    return text.replace("$${", "${")


@dataclass
class Dev:
    """Dev's resources and the ARNs and keys the tests read."""

    names: Names
    key_arn: str
    version_arn: str
    model_key: str
    audit_key: str


@pytest.fixture
def world(synth: Any, enforced: EnforcedCloud) -> tuple[Dev, dict[str, Any]]:
    platform = synth.platform
    dev, staging = Names.of(platform, "dev"), Names.of(platform, "staging")
    assert [e.name for e in platform.downstream_of("dev")] == ["staging"]
    stack = synth["dev"]
    session = enforced.deploy[dev.env.account_id]

    kms = session.client("kms")
    key_arn = kms.create_key(Policy=json.dumps(stack.policy("aws_kms_key", "encryption/key")))["KeyMetadata"][
        "Arn"
    ]
    # the promotion role's identity policy names dev's key by its alias (kms:ResourceAliases)
    kms.create_alias(AliasName=dev.kms_alias, TargetKeyId=key_arn)
    s3 = session.client("s3")
    s3.create_bucket(Bucket=dev.artifact_bucket)
    s3.put_bucket_policy(
        Bucket=dev.artifact_bucket,
        Policy=json.dumps(stack.policy("aws_s3_bucket_policy", "artifacts/policy")),
    )
    model_key, audit_key = "models/credit-risk/v1/model.tar.gz", "audit/credit-risk/v000001/record.json"
    for object_key in (model_key, audit_key):
        s3.put_object(
            Bucket=dev.artifact_bucket,
            Key=object_key,
            Body=b"bytes",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=key_arn,
        )
    sm = session.client("sagemaker")
    group = dev.model_package_group("credit-risk")
    sm.create_model_package_group(ModelPackageGroupName=group)
    sm.put_model_package_group_policy(
        ModelPackageGroupName=group,
        ResourcePolicy=json.dumps(
            stack.policy("aws_sagemaker_model_package_group_policy", "registry/group-credit-risk-policy")
        ),
    )
    version_arn = sm.create_model_package(
        ModelPackageGroupName=group, InferenceSpecification=SPEC, SecurityConfig={"KmsKeyId": key_arn}
    )["ModelPackageArn"]

    promotion_policy = _identity_policy(
        synth["staging"].resource("aws_iam_role_policy", "iam/promotion-policy")["policy"],
        staging.env.account_id,
    )
    return Dev(dev, key_arn, version_arn, model_key, audit_key), {
        "promotion_policy": promotion_policy,
        "staging": staging,
        "prod": Names.of(platform, "prod"),
    }


def _role_session(
    enforced: EnforcedCloud, account: str, name: str, *policies: str, path: str = "/"
) -> boto3.Session:
    iam = enforced.deploy[account].client("iam")
    arn = iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=trusting(root(account)))["Role"][
        "Arn"
    ]
    for index, policy in enumerate(policies):
        iam.put_role_policy(RoleName=name, PolicyName=f"p{index}", PolicyDocument=policy)
    return enforced.assume(arn, enforced.deploy[account])


def _user_session(enforced: EnforcedCloud, account: str, name: str, *policies: str) -> boto3.Session:
    iam = enforced.deploy[account].client("iam")
    iam.create_user(UserName=name)
    for index, policy in enumerate(policies):
        iam.put_user_policy(UserName=name, PolicyName=f"p{index}", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name=REGION
    )


def _delete_role(enforced: EnforcedCloud, account: str, name: str) -> None:
    iam = enforced.deploy[account].client("iam")
    for inline in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=inline)
    iam.delete_role(RoleName=name)


def _reads(session: boto3.Session, dev: Dev) -> dict[str, Callable[[], Any]]:
    """Every read dev grants its downstream promotion role: models/* objects, their listing, the
    group and its versions (the version's content under dev's key: SageMaker decrypts as the
    caller, kms:ViaService = SageMaker)."""
    s3, sm = session.client("s3"), session.client("sagemaker")
    bucket, group_arn = dev.names.artifact_bucket, dev.names.model_package_group_arn("credit-risk")
    return {
        "GetObject models/*": lambda: s3.get_object(Bucket=bucket, Key=dev.model_key)["Body"].read(),
        "ListObjectsV2 models/": lambda: s3.list_objects_v2(Bucket=bucket, Prefix="models/"),
        "DescribeModelPackageGroup": lambda: sm.describe_model_package_group(ModelPackageGroupName=group_arn),
        "DescribeModelPackage (MetadataOnly)": lambda: sm.describe_model_package(
            ModelPackageName=dev.version_arn, IncludedData="MetadataOnly"
        ),
        "DescribeModelPackage (AllData: kms:Decrypt through SageMaker)": lambda: sm.describe_model_package(
            ModelPackageName=dev.version_arn
        ),
    }


def _refused(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as error:
        call()
    return str(error.value.response["Error"]["Code"])


def test_staging_promotion_reads_dev_models_and_versions_and_nothing_else(world, enforced):
    dev, extra = world
    staging = extra["staging"]
    promotion = _role_session(
        enforced, staging.env.account_id, staging.role_name("promotion"), extra["promotion_policy"]
    )
    for what, call in _reads(promotion, dev).items():
        assert call() is not None, what
    # the grant is models/* through S3 and SageMaker only
    s3 = promotion.client("s3")
    assert (
        _refused(lambda: s3.get_object(Bucket=dev.names.artifact_bucket, Key=dev.audit_key)) == "AccessDenied"
    )
    kms = promotion.client("kms")
    assert _refused(lambda: kms.describe_key(KeyId=dev.key_arn)) == "AccessDeniedException"


@pytest.mark.parametrize("role", ["data_scientist", "approver", "execution", "model_deploy", "pipeline"])
def test_another_staging_role_with_promotions_policy_and_more_is_refused(world, enforced, role):
    dev, extra = world
    staging = extra["staging"]
    impostor = _role_session(
        enforced,
        staging.env.account_id,
        staging.role_name(role),
        extra["promotion_policy"],
        policy_document(EVERYTHING),
    )
    for what, call in _reads(impostor, dev).items():
        assert _refused(call) in ("AccessDenied", "AccessDeniedException"), what


def test_a_user_named_as_the_promotion_role_is_refused(world, enforced):
    dev, extra = world
    staging = extra["staging"]
    user = _user_session(
        enforced,
        staging.env.account_id,
        staging.role_name("promotion"),
        extra["promotion_policy"],
        policy_document(EVERYTHING),
    )
    for what, call in _reads(user, dev).items():
        assert _refused(call) in ("AccessDenied", "AccessDeniedException"), what


def test_the_promotion_roles_name_in_another_account_is_refused(world, enforced):
    """Prod's account (granted nothing by dev) and a role there named as staging's promotion role."""
    dev, extra = world
    prod, staging = extra["prod"], extra["staging"]
    elsewhere = _role_session(
        enforced,
        prod.env.account_id,
        staging.role_name("promotion"),
        extra["promotion_policy"],
        policy_document(EVERYTHING),
    )
    for what, call in _reads(elsewhere, dev).items():
        assert _refused(call) in ("AccessDenied", "AccessDeniedException"), what


def test_the_grant_follows_the_roles_name_and_path(world, enforced):
    """The grant names the role, not one role's unique id: whoever may create a role of that name
    (with no path) in staging's account is granted; under another path (a different ARN) it is
    not. In the kit only staging's deploy role may create, delete or re-trust ``<prefix>-staging-*``
    roles (modules/bootstrap.py ``_deploy_iam_policy``), and it could already re-trust the existing
    promotion role (docs/THREAT_MODEL.md, "The deploy role rewrites policies")."""
    dev, extra = world
    staging = extra["staging"]
    account, name = staging.env.account_id, staging.role_name("promotion")
    pathed = _role_session(enforced, account, name, extra["promotion_policy"], path="/squat/")
    for what, call in _reads(pathed, dev).items():
        assert _refused(call) in ("AccessDenied", "AccessDeniedException"), what
    _delete_role(enforced, account, name)
    again = _role_session(enforced, account, name, extra["promotion_policy"])
    for what, call in _reads(again, dev).items():
        assert call() is not None, what


@pytest.mark.parametrize("service", ["s3", "sagemaker"])
def test_dev_key_decrypts_for_staging_promotion_only_through_s3_and_sagemaker(synth, service):
    """The synthesized key policy's downstream statement on its own (the local cloud's S3 does
    not use the key): staging's promotion role through S3 or SageMaker, and only it."""
    dev, staging = Names.of(synth.platform, "dev"), Names.of(synth.platform, "staging")
    key_policy = synth["dev"].policy("aws_kms_key", "encryption/key")
    key = f"arn:aws:kms:{REGION}:{dev.env.account_id}:key/k"
    account = staging.env.account_id

    def grant(role_arn: str, via: str | None) -> ev.Grant:
        context: dict[str, Any] = {
            "aws:principalarn": role_arn,
            "aws:principalaccount": account,
            "aws:principaltype": "AssumedRole",
            "kms:calleraccount": account,
        }
        if via:
            context.update({"kms:viaservice": f"{via}.{REGION}.amazonaws.com", "aws:viaawsservice": "true"})
        caller = ev.Caller(account, role_arn, f"{role_arn}/session")
        return ev.resource_policy_grant(key_policy, caller, "kms:Decrypt", key, context)

    assert grant(staging.role_arn("promotion"), service) is ev.Grant.THROUGH_ACCOUNT
    assert grant(staging.role_arn("promotion"), None) is ev.Grant.NONE
    assert grant(staging.role_arn("promotion"), "ec2") is ev.Grant.NONE
    for other in ("data_scientist", "approver", "execution", "model_deploy", "pipeline"):
        assert grant(staging.role_arn(other), service) is ev.Grant.NONE, other
    pathed = staging.role_arn("promotion").replace(":role/", ":role/squat/")
    assert grant(pathed, service) is ev.Grant.NONE
