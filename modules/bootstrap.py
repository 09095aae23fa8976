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
  itself (the platform stack's provider assumes the deploy role, also when CI is already in it);
- the read-only plan role (``Names.plan_role_name``) for pull-request plans and drift detection.

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
from .policy import document, statement
from .providers import aws_provider, state_backend

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
#: GitHub's published certificate thumbprints. IAM no longer checks them for this provider (it
#: trusts GitHub's root CAs), but the API still accepts and older provider versions require them.
GITHUB_OIDC_THUMBPRINTS = (
    "6938fd4d98bab03faadb97b34396831e3780aea1",
    "1c58a3a8518e8759bf075b76b750d4f2df264fcd",
)
#: The deploy role creates KMS keys, buckets, VPCs, SageMaker and DataZone resources: the
#: AWS-managed power-user policy (everything except IAM, Organizations and account settings),
#: plus IAM on the platform's own roles only (see ``_deploy_iam_policy``). Not administrator:
#: the role can neither touch other roles nor rewrite its own trust.
DEPLOY_POLICY_ARN = "arn:aws:iam::aws:policy/PowerUserAccess"
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
            return [
                statement(
                    sid,
                    ["sts:AssumeRoleWithWebIdentity"],
                    principal={"Federated": oidc_arn},
                    condition={
                        "StringEquals": {
                            f"{GITHUB_OIDC_HOST}:aud": GITHUB_OIDC_AUDIENCE,
                            f"{GITHUB_OIDC_HOST}:sub": list(subjects),
                        }
                    },
                )
            ]

        def itself(role_name: str) -> dict:
            # A role may assume itself only when its trust says so. Naming the role as principal
            # would fail at creation (it does not exist yet), so trust the account, narrowed to
            # exactly this role by aws:PrincipalArn.
            return statement(
                "AssumeItself",
                ["sts:AssumeRole", "sts:TagSession"],
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
            deploy_trust.append(
                statement(
                    "BreakGlass",
                    ["sts:AssumeRole", "sts:TagSession"],
                    principal={"AWS": list(ci.admin_principals)},
                )
            )
        if ci is None:
            # No CI identity configured: IAM policies in this account decide who may deploy.
            deploy_trust.append(
                statement(
                    "AccountPrincipals", ["sts:AssumeRole", "sts:TagSession"], principal={"AWS": account_root}
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
        IamRolePolicyAttachment(
            self, "deploy-policy", role=self.deploy_role.name, policy_arn=DEPLOY_POLICY_ARN
        )
        IamRolePolicy(
            self,
            "deploy-iam",
            role=self.deploy_role.id,
            name="platform-iam",
            policy=_deploy_iam_policy(names),
        )

        plan_trust = [
            *github("GitHubActionsPlan", ci.plan_subjects() if ci else ()),
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
            ),
        )


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
