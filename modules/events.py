"""Governance events: model package state changes and the kit's audit events, kept in an
encrypted CloudWatch log group."""

from __future__ import annotations

import json
from collections.abc import Sequence

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.cloudwatch_log_resource_policy import CloudwatchLogResourcePolicy
from constructs import Construct

from .policy import document, statement


class GovernanceEvents(Construct):
    """Two EventBridge rules (SageMaker model package state changes of this environment's
    groups; the kit's audit events) delivered to one KMS-encrypted log group.

    EventBridge writes to a CloudWatch Logs target through the log group's resource policy, never
    through a role ("For Amazon CloudWatch Logs targets, do not specify a RoleArn"). The policy is
    the one the EventBridge User Guide documents (CloudWatch Logs permissions): principals
    ``events.amazonaws.com`` and ``delivery.logs.amazonaws.com``, ``logs:CreateLogStream`` and
    ``logs:PutLogEvents`` on ``<log group ARN>:*``, narrowed from the guide's ``/aws/events/*`` to
    this one log group. The documented policy has no ``aws:SourceArn``/``aws:SourceAccount``
    condition, and EventBridge does not send ``aws:SourceArn`` with ``CreateLogStream`` (AWS's
    serverless-patterns sample had to drop it there), so a condition would stop delivery at the
    first event; the resource, one log group of this account, is what limits the grant.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        account_id: str,
        region: str,
        log_group_name: str,
        group_names: Sequence[str],
        audit_event_source: str,
        kms_key_arn: str,
        retention_days: int,
    ) -> None:
        """
        :param name: name prefix of the rules (``Names.base``).
        :param account_id: the environment's account (ARNs of the rules and the log group).
        :param region: the environment's region.
        :param log_group_name: ``Names.governance_log_group``.
        :param group_names: model package groups whose state changes are recorded.
        :param audit_event_source: EventBridge ``source`` of the kit's own audit events.
        :param kms_key_arn: key encrypting the log group.
        :param retention_days: retention of the log group (>= 365).
        """
        super().__init__(scope, id)
        self.log_group = CloudwatchLogGroup(
            self,
            "log-group",
            name=log_group_name,
            kms_key_id=kms_key_arn,
            retention_in_days=retention_days,
        )
        patterns = {
            "model-package-state": {
                "source": ["aws.sagemaker"],
                "detail-type": ["SageMaker Model Package State Change"],
                "detail": {"ModelPackageGroupName": sorted(group_names)},
            },
            "governance-audit": {"source": [audit_event_source]},
        }
        self.rules: dict[str, CloudwatchEventRule] = {}
        for key, pattern in patterns.items():
            rule = CloudwatchEventRule(
                self,
                key,
                name=f"{name}-{key}",
                description=f"{name}: {key.replace('-', ' ')} events to {log_group_name}",
                event_pattern=json.dumps(pattern),
            )
            CloudwatchEventTarget(
                self, f"{key}-target", rule=rule.name, target_id="governance-log", arn=self.log_group.arn
            )
            self.rules[key] = rule
        log_arn = f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_name}"
        self.resource_policy = CloudwatchLogResourcePolicy(
            self,
            "log-policy",
            policy_name=f"{name}-governance-events",
            policy_document=document(
                statement(
                    "TrustEventsToStoreLogEvent",
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    [f"{log_arn}:*"],
                    principal={"Service": ["delivery.logs.amazonaws.com", "events.amazonaws.com"]},
                )
            ),
        )
