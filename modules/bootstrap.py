"""Per-account bootstrap: what must exist before the platform stack can use remote state and CI.

One :class:`BootstrapStack` per environment (stack id ``bootstrap-<env>``) creates, in that
environment's account:

- the Terraform state bucket (``Names.state_bucket``): versioned, default-encrypted with a KMS
  key of its own, TLS only, every public access blocked, owner-enforced, server access logs to a
  hardened log bucket; the platform stack's S3 backend keeps one object per environment in it
  and locks with an S3 lock file (``use_lockfile``), so no DynamoDB table is needed;
- the GitHub Actions OIDC provider (unless ``ci.create_oidc_provider`` is false);
- the deploy role (``env.deploy_role_name``) that Terraform and the CI apply jobs assume, trusted
  by exact OIDC subjects (``CiConfig.deploy_subjects``), by the break-glass principals, and by
  itself (the platform stack's provider assumes the deploy role, also when CI is already in it).
  It may manage what the stacks manage (:func:`deploy_statements`), and is denied every model
  governance write: registering, approving or changing versions and cards, writing ``models/*``,
  reading the platform's data, assuming the platform's roles (docs/THREAT_MODEL.md);
- the read-only plan role (``Names.plan_role_name``) for pull-request plans and drift detection:
  AWS's ``ReadOnlyAccess`` with the data denied (:func:`plan_denies`: objects outside the state
  bucket, decryption with any key but the state key, log events); a prod-tier environment's plan
  role never trusts a pull request (``CiConfig.plan_subjects``).

The bootstrap keeps its own state locally (it creates the bucket the other state lives in), in a
path relative to the directory Terraform runs in: ``mlgov deploy bootstrap``
(``scripts/deploy/bootstrap.py``) runs it in ``.terraform-work/<target>/bootstrap-<env>/``, never in
``cdktf.out``, which every synthesis rewrites and ``make clean`` deletes. The operator guide shows
how to move that state into the bucket afterwards.
"""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from environments.naming import Names
from environments.schema import CiConfig, EnvironmentConfig, PlatformConfig

from .buckets import AccessLogBucket, HardenedBucket, Lifecycle
from .policy import Statement, document, statement
from .providers import aws_provider, state_backend
from .roles import GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST, github_trust

#: GitHub's published certificate thumbprints. IAM no longer checks them for this provider (it
#: trusts GitHub's root CAs), but the API still accepts and older provider versions require them.
GITHUB_OIDC_THUMBPRINTS = (
    "6938fd4d98bab03faadb97b34396831e3780aea1",
    "1c58a3a8518e8759bf075b76b750d4f2df264fcd",
)
#: The plan role reads what Terraform refreshes, everywhere: AWS's read-only policy (Terraform's
#: reads span every service the stacks manage), with the data itself denied (``plan_denies``).
PLAN_POLICY_ARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"
#: Old state versions kept for recovery (a bad apply can be rolled back by restoring one).
STATE_NONCURRENT_DAYS = 90


class StateStore(Construct):
    """The Terraform state bucket, its KMS key and its access-log bucket."""

    def __init__(self, scope: Construct, id: str, *, names: Names, deletion_window_days: int) -> None:
        """
        :param names: derived names of the environment (state bucket, log bucket, key alias).
        :param deletion_window_days: waiting period before a scheduled key deletion (7-30).
        """
        super().__init__(scope, id)
        account_id = names.env.account_id

        self.key = KmsKey(
            self,
            "key",
            description=f"Terraform state of {names.prefix} in {account_id}",
            enable_key_rotation=True,
            deletion_window_in_days=deletion_window_days,
            # Root delegates to IAM: the deploy and plan roles get key use through their policies.
            policy=document(
                statement(
                    "AccountAdministersKey",
                    ["kms:*"],
                    ["*"],
                    principal={"AWS": f"arn:aws:iam::{account_id}:root"},
                ),
            ),
        )
        self.alias = KmsAlias(self, "alias", name=names.state_kms_alias, target_key_id=self.key.key_id)

        # Same layout as the platform's artifact store; the log bucket is SSE-S3 (AccessLogBucket).
        logs = AccessLogBucket(
            self,
            "access-logs",
            name=names.state_log_bucket,
            source_bucket_name=names.state_bucket,
            account_id=account_id,
            force_destroy=False,
        )
        self.log_bucket = logs.bucket

        # Never force_destroy: losing the state bucket orphans every resource of the account.
        state = HardenedBucket(
            self,
            "state",
            name=names.state_bucket,
            kms_key_arn=self.key.arn,
            lifecycle=Lifecycle(noncurrent_days=STATE_NONCURRENT_DAYS),
            force_destroy=False,
            policy_id="policy",
            access_logs=logs,
        )
        self.bucket = state.bucket


class CiIdentity(Construct):
    """The GitHub OIDC provider, the deploy role and the read-only plan role of one account."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        names: Names,
        ci: CiConfig | None,
        state_bucket_arn: str,
        state_key_arn: str,
    ) -> None:
        """
        :param names: derived names of the environment (role names, OIDC provider ARN).
        :param ci: the CI identity to trust; None trusts only the account itself (no OIDC).
        :param state_bucket_arn: the state bucket; the plan role may write lock files there.
        :param state_key_arn: the state key; the plan role may use it for those lock files.
        """
        super().__init__(scope, id)
        env = names.env
        account_root = f"arn:aws:iam::{env.account_id}:root"
        oidc_arn = names.github_oidc_provider_arn
        if ci is not None and ci.create_oidc_provider:
            self.oidc_provider: IamOpenidConnectProvider | None = IamOpenidConnectProvider(
                self,
                "github-oidc",
                url=f"https://{GITHUB_OIDC_HOST}",
                client_id_list=[GITHUB_OIDC_AUDIENCE],
                thumbprint_list=list(GITHUB_OIDC_THUMBPRINTS),
            )
            oidc_arn = self.oidc_provider.arn
        else:
            self.oidc_provider = None

        def github(sid: str, subjects: tuple[str, ...]) -> list[dict]:
            if ci is None or not subjects:
                return []
            return [github_trust(sid, oidc_arn, subjects)]

        def itself(role_name: str) -> dict:
            # A role may assume itself only when its trust says so. Naming the role as principal
            # would fail at creation (it does not exist yet), so trust the account, narrowed to
            # exactly this role by aws:PrincipalArn.
            return statement(
                "AssumeItself",
                ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
                principal={"AWS": account_root},
                condition={
                    "ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{env.account_id}:role/{role_name}"}
                },
            )

        deploy_trust = [
            *github("GitHubActionsDeploy", ci.deploy_subjects(env) if ci else ()),
            itself(env.deploy_role_name),
        ]
        if ci is not None and ci.admin_principals:
            # A break-glass operator's session may carry a source identity (an Identity Center
            # sign-in, or the kit's own assume_role): its trust must let them bring it.
            deploy_trust.append(
                statement(
                    "BreakGlass",
                    ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
                    principal={"AWS": list(ci.admin_principals)},
                )
            )
        if ci is None:
            # No CI identity configured: IAM policies in this account decide who may deploy.
            deploy_trust.append(
                statement(
                    "AccountPrincipals",
                    ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
                    principal={"AWS": account_root},
                )
            )
        self.deploy_role = IamRole(
            self,
            "deploy-role",
            name=env.deploy_role_name,
            description=f"Terraform deploy role of {names.base} (CI apply jobs and operators)",
            assume_role_policy=document(*deploy_trust),
            max_session_duration=3600,
        )
        # Construct id and name kept from the PowerUserAccess attachment this policy replaced.
        IamRolePolicy(
            self,
            "deploy-services",
            role=self.deploy_role.id,
            name="platform-services",
            policy=document(*deploy_statements(names, state_bucket_arn=state_bucket_arn)),
        )
        IamRolePolicy(
            self,
            "deploy-iam",
            role=self.deploy_role.id,
            name="platform-iam",
            policy=_deploy_iam_policy(names),
        )

        plan_trust = [
            *github("GitHubActionsPlan", ci.plan_subjects(env) if ci else ()),
            itself(names.plan_role_name),
        ]
        self.plan_role = IamRole(
            self,
            "plan-role",
            name=names.plan_role_name,
            description=f"Read-only Terraform plan role of {names.base} (pull requests, drift detection)",
            assume_role_policy=document(*plan_trust),
            max_session_duration=3600,
        )
        IamRolePolicyAttachment(self, "plan-read-only", role=self.plan_role.name, policy_arn=PLAN_POLICY_ARN)
        # ReadOnlyAccess reads the state; a plan also takes the S3 lock (writes and deletes
        # <key>.tflock), encrypted under the state key.
        IamRolePolicy(
            self,
            "plan-state-lock",
            role=self.plan_role.id,
            name="terraform-state-lock",
            policy=document(
                statement(
                    "StateLockFiles",
                    ["s3:PutObject", "s3:DeleteObject"],
                    [f"{state_bucket_arn}/*.tflock"],
                ),
                statement(
                    "StateKey",
                    ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                    [state_key_arn],
                ),
                *plan_denies(state_bucket_arn=state_bucket_arn, state_key_arn=state_key_arn),
            ),
        )


def plan_denies(*, state_bucket_arn: str, state_key_arn: str) -> list[Statement]:
    """What ``ReadOnlyAccess`` would read that a plan never needs: the platform's data.

    A pull request's plan job runs the pull request's own code after its credentials are set
    (``python main.py``), so whatever the plan role may read, a pull request's author may read.
    Terraform refreshes configurations, never contents: S3 object bodies (but the state's), KMS
    decryption (SecureString parameter values, SSE-KMS objects, SageMaker's registry content: all
    need kms:Decrypt; the state key's alone is left), CloudWatch log events.
    """
    return [
        statement(
            "NoObjectReadsButTheState",
            ["s3:GetObject", "s3:GetObjectVersion"],
            effect="Deny",
            not_resources=[f"{state_bucket_arn}/*"],
        ),
        statement("NoDecryptionButTheState", ["kms:Decrypt"], effect="Deny", not_resources=[state_key_arn]),
        statement("NoLogEvents", LOG_DATA_ACTIONS, ["*"], effect="Deny"),
    ]


#: CloudWatch Logs actions that return log events (data), not log group configuration.
LOG_DATA_ACTIONS = (
    "logs:FilterLogEvents",
    "logs:GetLogEvents",
    "logs:GetLogRecord",
    "logs:GetQueryResults",
    "logs:StartLiveTail",
    "logs:StartQuery",
    "logs:Unmask",
)


def deploy_statements(names: Names, *, state_bucket_arn: str) -> list[Statement]:
    """The deploy role's permissions on the services the stacks manage, and its denies.

    Scoped by resource where the service's ARNs allow it (this account's and region's, the
    platform's names); ``ec2:*`` and ``datazone:*``/``ram:*`` stay on ``*`` (VPC resources have
    generated ids and most EC2 actions take several resource types; DataZone and RAM calls of the
    stack take generated ids or no resource type). Not practical to narrow, and said so in
    docs/THREAT_MODEL.md: the deploy role rewrites the platform's policies (that is what
    infrastructure as code is), so what limits it is who may assume it (the protected apply job,
    the named break-glass principals) and these explicit denies, which no policy it writes can
    lift (it cannot change its own policies: ``ProtectCiRoles``).
    """
    env = names.env
    region, account = env.region, env.account_id
    here = f"{region}:{account}"
    buckets = [f"arn:aws:s3:::{names.base}-*", f"arn:aws:s3:::{names.base}-*/*"]
    artifacts = names.artifact_bucket_arn
    platform_roles = [
        names.role_arn(key) for key in ("execution", "data_scientist", "approver", "promotion", "datazone")
    ]
    return [
        statement("Network", ["ec2:*"], ["*"]),
        statement(
            "PlatformKeys",
            ["kms:*"],
            [f"arn:aws:kms:{here}:key/*", f"arn:aws:kms:{here}:alias/{names.prefix}-*"],
        ),
        statement("CreateKeys", ["kms:CreateKey", "kms:ListAliases", "kms:ListKeys"], ["*"]),
        statement("PlatformBuckets", ["s3:*"], buckets),
        statement(
            "TerraformState",
            ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            [f"{state_bucket_arn}/{names.state_key}", f"{state_bucket_arn}/{names.state_key}.tflock"],
        ),
        statement("TerraformStateBucket", ["s3:ListBucket"], [state_bucket_arn]),
        statement(
            "PlatformLogs",
            ["logs:*"],
            [f"arn:aws:logs:{here}:log-group:/{names.prefix}/{env.name}/*"],
        ),
        statement(
            "LogResourcePolicies",
            [
                "logs:DeleteResourcePolicy",
                "logs:DescribeLogGroups",
                "logs:DescribeResourcePolicies",
                "logs:PutResourcePolicy",
            ],
            ["*"],
        ),
        statement("PlatformEvents", ["events:*"], [f"arn:aws:events:{here}:rule/*"]),
        statement(
            "PlatformParameters", ["ssm:*"], [f"arn:aws:ssm:{here}:parameter/{names.prefix}/{env.name}/*"]
        ),
        statement("DescribeParameters", ["ssm:DescribeParameters"], ["*"]),
        statement("StudioAndRegistry", ["sagemaker:*"], ["*"]),
        statement("DataZoneAndSharing", ["datazone:*", "ram:*"], ["*"]),
        statement("WhoAmI", ["sts:GetCallerIdentity"], ["*"]),
        statement(
            "ServiceLinkedRoles",
            ["iam:CreateServiceLinkedRole"],
            [f"arn:aws:iam::{account}:role/aws-service-role/*"],
            condition={
                "StringEquals": {
                    "iam:AWSServiceName": [
                        "datazone.amazonaws.com",
                        "ram.amazonaws.com",
                        "sagemaker.amazonaws.com",
                    ]
                }
            },
        ),
        # -- model governance is not the deploy role's: none of it, whatever it is allowed above
        statement(
            "NoModelGovernanceWrites",
            [
                "sagemaker:CreateModelCard",
                "sagemaker:CreateModelPackage",
                "sagemaker:DeleteModelCard",
                "sagemaker:DeleteModelPackage",
                "sagemaker:UpdateModelCard",
                "sagemaker:UpdateModelPackage",
            ],
            ["*"],
            effect="Deny",
        ),
        statement("NoModelArtifactWrites", ["s3:PutObject"], [f"{artifacts}/models/*"], effect="Deny"),
        # Terraform manages the domain and its user profiles, never what people run in it.
        statement(
            "NoStudioUse",
            [
                "sagemaker:CreateApp",
                "sagemaker:CreatePresignedDomainUrl",
                "sagemaker:CreateSpace",
                "sagemaker:DeleteApp",
                "sagemaker:DeleteSpace",
                "sagemaker:UpdateSpace",
            ],
            ["*"],
            effect="Deny",
        ),
        statement(
            "NoPlatformDataReads",
            ["s3:GetObject", "s3:GetObjectVersion", *LOG_DATA_ACTIONS],
            [f"{artifacts}/*", f"arn:aws:logs:{here}:log-group:*"],
            effect="Deny",
        ),
        statement(
            "NoPlatformRoles",
            ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
            platform_roles,
            effect="Deny",
        ),
    ]


#: What Terraform does to the platform's roles and their policies (create, read, update, tag,
#: delete, pass to SageMaker and DataZone). Listed, not iam:*, so nothing else (users, access
#: keys, OIDC providers, account settings) is reachable.
_PLATFORM_IAM_ACTIONS = (
    "iam:AttachRolePolicy",
    "iam:CreatePolicy",
    "iam:CreatePolicyVersion",
    "iam:CreateRole",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListPolicyVersions",
    "iam:ListRolePolicies",
    "iam:ListRoleTags",
    "iam:PassRole",
    "iam:PutRolePolicy",
    "iam:TagPolicy",
    "iam:TagRole",
    "iam:UntagPolicy",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)


def _deploy_iam_policy(names: Names) -> str:
    """IAM for the platform stack's roles (``<prefix>-<env>-*``), and nothing on the CI roles."""
    account = names.env.account_id
    platform_roles = f"arn:aws:iam::{account}:role/{names.base}-*"
    platform_policies = f"arn:aws:iam::{account}:policy/{names.base}-*"
    return document(
        statement("PlatformRoles", _PLATFORM_IAM_ACTIONS, [platform_roles, platform_policies]),
        statement(
            "ReadIam",
            ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicies", "iam:ListRoles"],
            [
                f"arn:aws:iam::{account}:role/*",
                f"arn:aws:iam::{account}:policy/*",
                "arn:aws:iam::aws:policy/*",
            ],
        ),
        # The plan role matches the platform pattern; the deploy role must not widen it.
        statement(
            "ProtectCiRoles",
            _PLATFORM_IAM_ACTIONS,
            [names.plan_role_arn, names.env.deploy_role_arn],
            effect="Deny",
        ),
    )


class BootstrapStack(TerraformStack):
    """Everything one account needs before its platform stack can use remote state and CI.

    The provider uses the operator's ambient credentials (an administrator of that account: the
    deploy role does not exist yet) and refuses any other account (``allowed_account_ids``).
    """

    def __init__(
        self,
        scope: Construct,
        platform: PlatformConfig,
        env: EnvironmentConfig,
        *,
        deletion_window_days: int = 30,
    ) -> None:
        """
        :param platform: the whole configuration (prefix and the ``ci`` identity).
        :param env: the environment (account) to bootstrap; stack id ``bootstrap-<env>``.
        :param deletion_window_days: waiting period before a scheduled deletion of the state key.
        """
        super().__init__(scope, f"bootstrap-{env.name}")
        names = Names.of(platform, env)
        self.names = names
        aws_provider(self, platform, env, component="bootstrap")
        # Its own state stays local: it creates the bucket the other stacks' state lives in. The
        # path is relative to the working directory the kit applies it in (.terraform-work/...).
        state_backend(self, remote_state=None, local_path=f"terraform.bootstrap-{env.name}.tfstate")

        self.state = StateStore(self, "state", names=names, deletion_window_days=deletion_window_days)
        self.ci = CiIdentity(
            self,
            "ci",
            names=names,
            ci=platform.ci,
            state_bucket_arn=self.state.bucket.arn,
            state_key_arn=self.state.key.arn,
        )

        TerraformOutput(self, "state_bucket", value=self.state.bucket.bucket)
        TerraformOutput(self, "state_key_arn", value=self.state.key.arn)
        TerraformOutput(self, "deploy_role_arn", value=self.ci.deploy_role.arn)
        TerraformOutput(self, "plan_role_arn", value=self.ci.plan_role.arn)
        # What to put in environments/<env>.yaml to switch the platform stack to this bucket.
        TerraformOutput(
            self,
            "remote_state",
            value={
                "bucket": names.state_bucket,
                "key": names.state_key,
                "region": env.region,
                "use_lockfile": True,
                # Without it the backend's encrypt=true asks for SSE-S3 and bypasses the state key.
                "kms_key_id": f"arn:aws:kms:{env.region}:{env.account_id}:{names.state_kms_alias}",
            },
        )
