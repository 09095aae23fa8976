"""The deployed settings, read back from each account of the local cloud (IAM enforced).

Terraform's exit code says the provider accepted the calls; these tests read what the accounts
hold afterwards, through each environment's deploy role: bucket encryption, public access block,
versioning and policies; the KMS key policy; the model package group policy; the inline and
attached policies of the approver, data-scientist, promotion and execution roles; the Studio
domain and its user profiles. Expected values come from configuration
(``environments.naming.Names``), never from Terraform state.

Cross-account grants: the upstream environment's bucket, key and group policies grant exactly
the promotion role of the environment that promotes from it (dev -> staging -> prod), and prod,
with no downstream, grants no other account anything. The strict tiers' bucket and group policies
also deny every principal but the one writer (``models/*`` write-once and never deleted; versions
registered only by promotion, changed only by the approver, approved only with a passing gate
record, never deleted), and person-facing roles trust exactly the configured people.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from environments import Names
from tests.e2e.deployed import Account, DeployedCloud

pytestmark = pytest.mark.e2e

ENVS = ("dev", "staging", "prod")
#: What a downstream promotion role may do on the upstream bucket, key and group: read, nothing else.
BUCKET_READ = {"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"}
KEY_READ = {"kms:Decrypt", "kms:DescribeKey"}
GROUP_READ = {
    "sagemaker:DescribeModelPackage",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:ListModelPackages",
}
#: Actions whose Allow would grant (or hide) everything of a service.
BROAD_ACTIONS = {"*", "iam:*", "kms:*", "s3:*", "sagemaker:*", "sts:*"}


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def statements(policy: str | dict[str, Any]) -> list[dict[str, Any]]:
    doc = json.loads(policy) if isinstance(policy, str) else policy
    return as_list(doc["Statement"])


def aws_principals(stmt: dict[str, Any]) -> set[str]:
    principal = stmt.get("Principal")
    if principal == "*":
        return {"*"}
    return set(as_list((principal or {}).get("AWS")))


def actions(stmts: list[dict[str, Any]]) -> set[str]:
    return {a for s in stmts for a in as_list(s.get("Action"))}


def downstream_promotion(target: DeployedCloud, env: str) -> set[str]:
    """The promotion role ARN of every environment promoting from ``env``."""
    platform = target.platform
    return {Names.of(platform, d).role_arn("promotion") for d in platform.downstream_of(env)}


def granted_roles(stmt: dict[str, Any]) -> set[str]:
    """The roles a cross-account grant admits: its principals are exactly their accounts (never
    the roles themselves, which would have to exist first) and ``ArnEquals`` on
    ``aws:PrincipalArn`` names the roles."""
    roles = set(as_list(stmt.get("Condition", {}).get("ArnEquals", {}).get("aws:PrincipalArn")))
    assert aws_principals(stmt) == {f"arn:aws:iam::{r.split(':')[4]}:root" for r in roles}, stmt
    return roles


def ssm_value(account: Account, name: str) -> str:
    return str(account.client("ssm").get_parameter(Name=name)["Parameter"]["Value"])


@pytest.fixture(params=ENVS)
def env(request: pytest.FixtureRequest, deployed_cloud: DeployedCloud) -> tuple[Names, Account]:
    names = Names.of(deployed_cloud.platform, request.param)
    return names, deployed_cloud.account(request.param)


# -- buckets --------------------------------------------------------------------------------------
def test_data_bucket_is_sse_kms_with_the_platform_key_and_log_bucket_sse_s3(env):
    names, account = env
    s3 = account.client("s3")
    key_arn = ssm_value(account, names.ssm_kms_key_arn)

    def default_encryption(bucket: str) -> dict[str, Any]:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        assert len(rules) == 1, rules
        return dict(rules[0])

    data = default_encryption(names.artifact_bucket)
    assert data["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": key_arn,
    }
    assert data["BucketKeyEnabled"] is True
    # S3 delivers no server access logs to a bucket whose default encryption is SSE-KMS.
    logs = default_encryption(names.access_log_bucket)
    assert logs["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_every_bucket_blocks_public_access_and_is_versioned(env):
    names, account = env
    s3 = account.client("s3")
    for bucket in (names.artifact_bucket, names.access_log_bucket):
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert block == {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        }, bucket
        assert s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled", bucket
    logging = s3.get_bucket_logging(Bucket=names.artifact_bucket)["LoggingEnabled"]
    assert logging["TargetBucket"] == names.access_log_bucket


def _deny_insecure_transport(stmts: list[dict[str, Any]], bucket: str) -> None:
    tls = [s for s in stmts if s["Effect"] == "Deny" and "aws:SecureTransport" in str(s.get("Condition"))]
    assert len(tls) == 1, tls
    assert aws_principals(tls[0]) == {"*"}
    assert as_list(tls[0]["Action"]) == ["s3:*"]
    assert set(as_list(tls[0]["Resource"])) == {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"}
    assert tls[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_artifact_bucket_policy_is_tls_only_and_grants_exactly_the_downstream_reads(env, deployed_cloud):
    names, account = env
    stmts = statements(account.client("s3").get_bucket_policy(Bucket=names.artifact_bucket)["Policy"])
    _deny_insecure_transport(stmts, names.artifact_bucket)
    bucket_arn = names.artifact_bucket_arn
    models = f"{bucket_arn}/models/*"
    allows = [s for s in stmts if s["Effect"] == "Allow"]
    downstream = downstream_promotion(deployed_cloud, names.env.name)
    if not downstream:
        assert allows == [], "an environment without a downstream grants no other account"
    else:
        assert all(granted_roles(s) == downstream for s in allows), allows
        assert actions(allows) == BUCKET_READ
        for stmt in allows:
            # Approved artifacts only (models/*): never the audit records nor the promotion state.
            if "s3:ListBucket" in stmt["Action"]:
                assert as_list(stmt["Resource"]) == [bucket_arn], stmt
                assert stmt["Condition"]["StringLike"] == {"s3:prefix": ["models/*"]}, stmt
            else:
                assert as_list(stmt["Resource"]) == [models], stmt
    # A strict tier's models/* has one writer and is write-once: denies for every principal.
    models_denies = {
        s["Sid"]: s
        for s in stmts
        if s["Effect"] == "Deny" and "aws:SecureTransport" not in str(s.get("Condition"))
    }
    if not names.env.tier.strict:
        assert models_denies == {}, models_denies
        return
    assert set(models_denies) == {"ModelsOnlyByPromotion", "ModelsWriteOnce", "ModelsNeverDeleted"}
    assert all(
        aws_principals(s) == {"*"} and as_list(s["Resource"]) == [models] for s in models_denies.values()
    )
    only = models_denies["ModelsOnlyByPromotion"]
    assert "s3:PutObject" in only["Action"]
    assert only["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": names.role_arn("promotion")}}
    once = models_denies["ModelsWriteOnce"]
    assert as_list(once["Action"]) == ["s3:PutObject"]
    assert once["Condition"]["StringNotEquals"] == {"s3:if-none-match": "*"}
    kept = models_denies["ModelsNeverDeleted"]
    assert set(as_list(kept["Action"])) == {"s3:DeleteObject", "s3:DeleteObjectVersion"}
    assert "Condition" not in kept


def test_access_log_bucket_policy_admits_only_log_delivery_for_its_source(env):
    names, account = env
    stmts = statements(account.client("s3").get_bucket_policy(Bucket=names.access_log_bucket)["Policy"])
    _deny_insecure_transport(stmts, names.access_log_bucket)
    allows = [s for s in stmts if s["Effect"] == "Allow"]
    assert len(allows) == 1, allows
    (delivery,) = allows
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert as_list(delivery["Action"]) == ["s3:PutObject"]
    assert as_list(delivery["Resource"]) == [
        f"arn:aws:s3:::{names.access_log_bucket}/{names.artifact_bucket}/*"
    ]
    assert delivery["Condition"] == {
        "ArnLike": {"aws:SourceArn": names.artifact_bucket_arn},
        "StringEquals": {"aws:SourceAccount": names.env.account_id},
    }


# -- KMS and the registry -------------------------------------------------------------------------
def test_key_policy_names_exactly_the_downstream_promotion_role(env, deployed_cloud):
    names, account = env
    kms = account.client("kms")
    key_arn = ssm_value(account, names.ssm_kms_key_arn)
    assert kms.describe_key(KeyId=names.kms_alias)["KeyMetadata"]["Arn"] == key_arn
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is True
    stmts = statements(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
    root = f"arn:aws:iam::{names.env.account_id}:root"
    principals = set().union(*(aws_principals(s) for s in stmts))
    downstream = downstream_promotion(deployed_cloud, names.env.name)
    # The account administers its key; no role or user is named as a principal.
    assert {p for p in principals if ":role/" in p or ":user/" in p} == set()
    assert root in principals
    # The downstream promotion role: one statement, its account as principal and the role by
    # aws:PrincipalArn, through S3 and SageMaker only.
    cross = [s for s in stmts if s.get("Sid") == "DownstreamPromotionRead"]
    if downstream:
        assert len(cross) == 1 and granted_roles(cross[0]) == downstream, cross
        assert cross[0]["Effect"] == "Allow" and actions(cross) == KEY_READ
        via = set(as_list(cross[0]["Condition"]["StringEquals"]["kms:ViaService"]))
        assert via == {f"{svc}.{names.env.region}.amazonaws.com" for svc in ("s3", "sagemaker")}, cross
    else:
        assert cross == [], cross
    # Other accounts' roots besides that: only in the DataZone home (associated accounts), through
    # DataZone only.
    for stmt in (s for s in stmts if s not in cross and aws_principals(s) - {root}):
        assert names.env.datazone_home, stmt
        via = stmt["Condition"]["StringEquals"]["kms:ViaService"]
        assert via == f"datazone.{names.env.region}.amazonaws.com", stmt
    services = [s for s in stmts if "Service" in (s.get("Principal") or {})]
    assert [s["Principal"]["Service"] for s in services] == [f"logs.{names.env.region}.amazonaws.com"]
    # CloudWatch Logs may use the key for this account's log groups only (confused deputy).
    assert services[0]["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": (
                f"arn:aws:logs:{names.env.region}:{names.env.account_id}:log-group:*"
            )
        }
    }


def test_group_policy_lets_the_downstream_read_and_never_update(env, deployed_cloud):
    names, account = env
    sm = account.client("sagemaker")
    downstream = downstream_promotion(deployed_cloud, names.env.name)
    strict = names.env.tier.strict
    for uc in names.env.use_cases:
        group = names.model_package_group(uc.name)
        versions = {names.model_package_group_arn(uc.name), names.model_package_arn_pattern(uc.name)}
        if not downstream and not strict:
            with pytest.raises(ClientError) as none:
                sm.get_model_package_group_policy(ModelPackageGroupName=group)
            assert none.value.response["Error"]["Code"] == "ValidationException"
            continue
        stmts = statements(sm.get_model_package_group_policy(ModelPackageGroupName=group)["ResourcePolicy"])
        allows = [s for s in stmts if s["Effect"] == "Allow"]
        assert all(granted_roles(s) == downstream for s in allows), allows
        # Separation of duties: UpdateModelPackage would let the downstream approve upstream.
        assert actions(allows) == (GROUP_READ if downstream else set())
        assert {r for s in stmts for r in as_list(s["Resource"])} == versions
        denies = {s["Sid"]: s for s in stmts if s["Effect"] == "Deny"}
        if not strict:
            assert denies == {}, denies
            continue
        # A strict tier's group: one writer per change, whatever a principal's own policies say.
        assert set(denies) == {
            "OnlyPromotionRegisters",
            "OnlyApproverChangesVersions",
            "ApprovalNeedsGateRecord",
            "VersionsAreKept",
        }
        assert all(aws_principals(s) == {"*"} for s in denies.values())
        assert denies["OnlyPromotionRegisters"]["Condition"] == {
            "ArnNotEquals": {"aws:PrincipalArn": names.role_arn("promotion")}
        }
        assert denies["OnlyApproverChangesVersions"]["Condition"] == {
            "ArnNotEquals": {"aws:PrincipalArn": names.role_arn("approver")}
        }
        gate = denies["ApprovalNeedsGateRecord"]["Condition"]
        assert gate["StringEquals"] == {"sagemaker:ModelApprovalStatus": "Approved"}
        assert list(gate["StringNotEquals"]) == ["sagemaker:CurrentCustomerMetadataProperties/mlgov-gates"]
        assert as_list(denies["VersionsAreKept"]["Action"]) == ["sagemaker:DeleteModelPackage"]
        assert "Condition" not in denies["VersionsAreKept"]


# -- role policies --------------------------------------------------------------------------------
def role_policies(
    account: Account, names: Names, key: str
) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """(trust policy, every inline statement, attached managed policy ARNs) of one platform role."""
    iam = account.client("iam")
    role = names.role_name(key)
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    inline: list[dict[str, Any]] = []
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=role):
        for policy in page["PolicyNames"]:
            inline += statements(iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"])
    attached = [
        p["PolicyArn"]
        for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role)
        for p in page["AttachedPolicies"]
    ]
    return trust, inline, attached


def allowed(stmts: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    """Allow statements naming ``action`` (or a wildcard covering its service)."""
    service = action.split(":")[0]
    return [
        s
        for s in stmts
        if s["Effect"] == "Allow" and {action, f"{service}:*", "*"} & set(as_list(s["Action"]))
    ]


def denied_everywhere(stmts: list[dict[str, Any]], action: str) -> bool:
    return any(
        s["Effect"] == "Deny"
        and action in as_list(s["Action"])
        and as_list(s["Resource"]) == ["*"]
        and "Condition" not in s
        for s in stmts
    )


#: The kit's two managed policies, attached to every role that registers or updates versions:
#: deny-only (``modules/role_basics.py``: governance_metadata_guard, registration_guard).
GUARDS = ("governance-metadata-guard", "registration-guard")
GUARDED = {"approver", "data_scientist", "promotion", "execution", "pipeline"}


@pytest.mark.parametrize(
    "key", ["approver", "data_scientist", "promotion", "execution", "model_deploy", "pipeline"]
)
def test_no_role_holds_a_service_wide_allow_or_a_managed_policy_that_allows(env, key):
    names, account = env
    iam = account.client("iam")
    _, inline, attached = role_policies(account, names, key)
    assert inline, f"{names.role_name(key)} has no inline policy"
    broad = [s for s in inline if s["Effect"] == "Allow" and BROAD_ACTIONS & set(as_list(s["Action"]))]
    assert not broad, broad
    guards = {f"arn:aws:iam::{names.env.account_id}:policy/{names.base}-{g}" for g in GUARDS}
    assert set(attached) == (guards if key in GUARDED else set()), attached
    for arn in attached:
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        effects = {s["Effect"] for s in statements(document)}
        assert effects == {"Deny"}, (arn, effects)


def trusted_people(trust: dict[str, Any]) -> set[str]:
    """The principals a person-facing role trusts (named ARNs and role patterns), checking every
    AWS statement's shape: assume and carry the source identity; an account only as the principal
    of a pattern's ``ArnLike`` (an IAM Identity Center role), never bare."""
    people: set[str] = set()
    for stmt in trust["Statement"]:
        if "Federated" in stmt["Principal"]:
            continue
        assert stmt["Effect"] == "Allow"
        assert sorted(as_list(stmt["Action"])) == ["sts:AssumeRole", "sts:SetSourceIdentity"], stmt
        if "Condition" in stmt:
            (account,) = aws_principals(stmt)
            assert account.endswith(":root"), stmt
            patterns = set(as_list(stmt["Condition"]["ArnLike"]["aws:PrincipalArn"]))
            assert all(p.split(":")[4] == account.split(":")[4] for p in patterns), stmt
            people |= patterns
        else:
            principals = aws_principals(stmt)
            assert not any(p == "*" or p.endswith(":root") for p in principals), stmt
            people |= principals
    return people


def test_approver_is_the_only_role_that_may_approve_and_only_here(env):
    names, account = env
    trust, inline, _ = role_policies(account, names, "approver")
    assert trusted_people(trust) == set(names.env.approvers)
    grants = allowed(inline, "sagemaker:UpdateModelPackage")
    assert len(grants) == 1, grants
    resources = set(as_list(grants[0]["Resource"]))
    own = {names.model_package_arn_pattern(uc.name) for uc in names.env.use_cases}
    assert own <= resources
    assert all(f":{names.env.account_id}:" in r for r in resources), resources
    strict = names.env.tier.strict
    for key in ("data_scientist", "promotion", "execution"):
        _, stmts, _ = role_policies(account, names, key)
        if strict:
            # An unconditional Deny: no Allow added later can reopen approval to these roles.
            assert denied_everywhere(stmts, "sagemaker:UpdateModelPackage"), key
            assert denied_everywhere(stmts, "sagemaker:UpdateModelCard"), key
        elif key != "data_scientist":
            assert allowed(stmts, "sagemaker:UpdateModelPackage") == [], key
    if not strict:
        # dev: the data scientist approves their own versions, in this account's groups only.
        _, stmts, _ = role_policies(account, names, "data_scientist")
        (self_approval,) = allowed(stmts, "sagemaker:UpdateModelPackage")
        assert own <= set(as_list(self_approval["Resource"]))
        assert all(f":{names.env.account_id}:" in r for r in as_list(self_approval["Resource"]))


def test_promotion_role_never_updates_a_version_and_reads_only_its_upstream(env, deployed_cloud):
    names, account = env
    trust, inline, _ = role_policies(account, names, "promotion")
    # The operators the environment names, and the CI promote job through GitHub's OIDC provider.
    assert trusted_people(trust) == set(names.env.promotion_operators)
    for ci in (s for s in trust["Statement"] if "Federated" in s["Principal"]):
        assert as_list(ci["Action"]) == ["sts:AssumeRoleWithWebIdentity"]
        condition = ci["Condition"]["StringEquals"]
        assert condition["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
        assert condition["token.actions.githubusercontent.com:sub"], ci
    assert allowed(inline, "sagemaker:UpdateModelPackage") == []
    platform = deployed_cloud.platform
    upstream_name = names.env.promotes_from
    other_accounts = {
        r
        for s in inline
        if s["Effect"] == "Allow"
        for r in as_list(s["Resource"])
        if r != "*" and f":{names.env.account_id}:" not in r and not r.startswith("arn:aws:s3:::")
    }
    if upstream_name is None:
        assert other_accounts == set()
        return
    upstream = Names.of(platform, upstream_name)
    reads = [s for s in inline if set(as_list(s["Resource"])) & other_accounts]
    assert actions(reads) == GROUP_READ | KEY_READ, reads
    assert all(f":{upstream.env.account_id}:" in r for r in other_accounts), other_accounts
    # The upstream key is addressed by its alias, the one the upstream stack creates, and only
    # used through S3 (the copy's sources) and SageMaker (the upstream card).
    (decrypt,) = [s for s in reads if "kms:Decrypt" in as_list(s["Action"])]
    region = upstream.env.region
    assert decrypt["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": upstream.kms_alias},
        "StringEquals": {
            "kms:ViaService": [f"s3.{region}.amazonaws.com", f"sagemaker.{region}.amazonaws.com"]
        },
    }
    bucket_reads = [
        s
        for s in inline
        if any(str(r).startswith(upstream.artifact_bucket_arn) for r in as_list(s["Resource"]))
    ]
    assert actions(bucket_reads) == BUCKET_READ
    # Approved artifacts only: not the upstream's audit records nor its promotion state.
    assert {r for s in bucket_reads for r in as_list(s["Resource"])} == {
        upstream.artifact_bucket_arn,
        f"{upstream.artifact_bucket_arn}/models/*",
    }


def test_execution_role_is_sagemaker_s_of_this_account_and_scoped_to_this_studio(env):
    names, account = env
    trust, inline, _ = role_policies(account, names, "execution")
    (service,) = trust["Statement"]
    assert service["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert service["Condition"] == {"StringEquals": {"aws:SourceAccount": names.env.account_id}}
    domain_id = ssm_value(account, names.ssm_studio_domain_id)
    studio_words = ("App", "Domain", "Space", "UserProfile")
    studio = [
        s
        for s in inline
        if any(a.startswith("sagemaker:") and any(w in a for w in studio_words) for a in as_list(s["Action"]))
    ]
    scoped = [r for s in studio for r in as_list(s["Resource"]) if r != "*"]
    assert scoped and all(f"/{domain_id}" in r for r in scoped), scoped
    (pass_role,) = allowed(inline, "iam:PassRole")
    assert as_list(pass_role["Resource"]) == [names.role_arn("execution")]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


# -- Studio ---------------------------------------------------------------------------------------
def test_studio_domain_is_vpc_only_encrypted_in_the_kit_s_subnets(env):
    names, account = env
    sm, ec2 = account.client("sagemaker"), account.client("ec2")
    domain_id = ssm_value(account, names.ssm_studio_domain_id)
    domain = sm.describe_domain(DomainId=domain_id)
    assert domain["DomainName"] == names.studio_domain
    assert domain["AppNetworkAccessType"] == "VpcOnly"
    assert domain["AuthMode"] == "IAM"
    assert domain["KmsKeyId"] == ssm_value(account, names.ssm_kms_key_arn)
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": [names.env.network.cidr]}])["Vpcs"]
    assert domain["VpcId"] == vpc["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    assert sorted(domain["SubnetIds"]) == sorted(s["SubnetId"] for s in subnets)
    assert len(domain["SubnetIds"]) == names.env.network.az_count
    assert not any(s.get("MapPublicIpOnLaunch") for s in subnets)
    execution = names.role_arn("execution")
    assert domain["DefaultUserSettings"]["ExecutionRole"] == execution
    profiles = [
        p["UserProfileName"]
        for page in sm.get_paginator("list_user_profiles").paginate(DomainIdEquals=domain_id)
        for p in page["UserProfiles"]
    ]
    assert sorted(profiles) == sorted(names.env.studio.user_profiles)
    for profile in profiles:
        described = sm.describe_user_profile(DomainId=domain_id, UserProfileName=profile)
        assert described["UserSettings"]["ExecutionRole"] == execution, profile
