"""The environment's customer-managed KMS key: artifacts, Studio EFS, log groups, DataZone."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from .policy import document, org_condition, statement


class PlatformKey(Construct):
    """A symmetric KMS key with rotation and an explicit key policy.

    The policy keeps the account in charge (root delegates to IAM), lets CloudWatch Logs encrypt
    this account's log groups only, and grants each downstream environment's promotion role
    exactly Decrypt and DescribeKey so a promotion can read the artifacts it copies. (S3 server
    access logs are not encrypted with it: their buckets are SSE-S3, see ``AccessLogBucket``.)
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        account_id: str,
        region: str,
        alias: str,
        downstream_reader_arns: tuple[str, ...],
        organization_id: str | None,
        deletion_window_days: int,
    ) -> None:
        """
        :param account_id: the environment's account; its root administers the key.
        :param region: region of the key (scopes the CloudWatch Logs service principal).
        :param alias: key alias, ``Names.kms_alias``.
        :param downstream_reader_arns: promotion role ARNs of environments that promote from this
            one; they may decrypt (read) what this key protects, nothing else.
        :param organization_id: when set, cross-account grants also require aws:PrincipalOrgID.
        :param deletion_window_days: waiting period before a scheduled deletion (7-30).
        """
        super().__init__(scope, id)
        statements = [
            statement(
                "AccountAdministersKey",
                ["kms:*"],
                ["*"],
                principal={"AWS": f"arn:aws:iam::{account_id}:root"},
            ),
            statement(
                "CloudWatchLogsOfThisAccount",
                [
                    "kms:Decrypt*",
                    "kms:Describe*",
                    "kms:Encrypt*",
                    "kms:GenerateDataKey*",
                    "kms:ReEncrypt*",
                ],
                ["*"],
                principal={"Service": f"logs.{region}.amazonaws.com"},
                # Confused deputy: only log groups of this account may use the key.
                condition={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:aws:logs:{region}:{account_id}:log-group:*"
                        )
                    }
                },
            ),
        ]
        if downstream_reader_arns:
            statements.append(
                statement(
                    "DownstreamPromotionRead",
                    ["kms:Decrypt", "kms:DescribeKey"],
                    ["*"],
                    principal={"AWS": list(downstream_reader_arns)},
                    condition=org_condition(organization_id) or None,
                )
            )
        self.key = KmsKey(
            self,
            "key",
            description=f"Platform key for {alias.removeprefix('alias/')}",
            enable_key_rotation=True,
            deletion_window_in_days=deletion_window_days,
            policy=document(*statements),
        )
        self.alias = KmsAlias(self, "alias", name=alias, target_key_id=self.key.key_id)

    @property
    def key_arn(self) -> str:
        """ARN of the key (a Terraform reference)."""
        return self.key.arn
