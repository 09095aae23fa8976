"""The environment's customer-managed KMS key: artifacts, Studio EFS, log groups, DataZone."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from .policy import Statement, document, org_condition, roles_by_arn, statement


class PlatformKey(Construct):
    """A symmetric KMS key with rotation and an explicit key policy.

    The policy keeps the account in charge (root delegates to IAM), lets CloudWatch Logs encrypt
    this account's log groups only, and grants each downstream environment's promotion role
    exactly Decrypt and DescribeKey, through S3 and SageMaker only, so a promotion can read the
    artifacts it copies and the version it promotes. (S3 server
    access logs are not encrypted with it: their buckets are SSE-S3, see ``AccessLogBucket``.)

    In the DataZone home environment the key also encrypts the domain, and the accounts associated
    with it get the use of the key the DataZone User Guide requires ("Request association with
    other AWS accounts" > "Provide account access to your customer-managed KMS key",
    https://docs.aws.amazon.com/datazone/latest/userguide/invite-account-to-associate.html): the
    console's "Other AWS accounts" control, i.e. the two statements of the KMS Developer Guide's
    "Allowing users in other accounts to use a KMS key" (key-policy-modifying-external-accounts.html)
    with the account as principal (its IAM decides who inside it). Both are limited to requests
    DataZone makes for them (``kms:ViaService``): the key protects the artifacts too, and an
    associated account has no other business with it.
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
        datazone_associated_accounts: tuple[str, ...] = (),
    ) -> None:
        """
        :param account_id: the environment's account; its root administers the key.
        :param region: region of the key (scopes the CloudWatch Logs service principal).
        :param alias: key alias, ``Names.kms_alias``.
        :param downstream_reader_arns: promotion role ARNs of environments that promote from this
            one; they may decrypt (read) what this key protects, nothing else.
        :param organization_id: when set, cross-account grants also require aws:PrincipalOrgID.
        :param deletion_window_days: waiting period before a scheduled deletion (7-30).
        :param datazone_associated_accounts: accounts associated with the DataZone domain this key
            encrypts (home environment only; empty elsewhere).
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
            # Only as S3 (the copy reads SSE-KMS source objects) and SageMaker (the upstream
            # version's card, read with AllData) use the key for them: never a direct Decrypt.
            via = [f"{service}.{region}.amazonaws.com" for service in ("s3", "sagemaker")]
            org = org_condition(organization_id).get("StringEquals", {})
            principal, readers = roles_by_arn(downstream_reader_arns)
            statements.append(
                statement(
                    "DownstreamPromotionRead",
                    ["kms:Decrypt", "kms:DescribeKey"],
                    ["*"],
                    principal=principal,
                    condition={"StringEquals": {**org, "kms:ViaService": via}, **readers},
                )
            )
        if datazone_associated_accounts:
            statements.extend(
                _datazone_associated_accounts(region, datazone_associated_accounts, organization_id)
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


def _datazone_associated_accounts(
    region: str, accounts: tuple[str, ...], organization_id: str | None
) -> list[Statement]:
    """What the KMS console's "Other AWS accounts" adds for ``accounts``, through DataZone only."""
    principal = {"AWS": [f"arn:aws:iam::{account}:root" for account in sorted(accounts)]}
    via_datazone = {"StringEquals": {"kms:ViaService": f"datazone.{region}.amazonaws.com"}}
    org = org_condition(organization_id).get("StringEquals", {})
    use = {"StringEquals": {**via_datazone["StringEquals"], **org}}
    grants = {**use, "Bool": {"kms:GrantIsForAWSResource": "true"}}
    return [
        statement(
            "DataZoneAssociatedAccountsUse",
            ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
            ["*"],
            principal=principal,
            condition=use,
        ),
        statement(
            "DataZoneAssociatedAccountsGrants",
            ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            ["*"],
            principal=principal,
            condition=grants,
        ),
    ]
