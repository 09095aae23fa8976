"""EventBridge delivers to a CloudWatch Logs target only when the log group's policy lets it.

On AWS a rule whose target is a log group writes through CloudWatch Logs' resource policies of
the log group's account, never through a role: EventBridge calls ``logs:CreateLogStream`` and
``logs:PutLogEvents`` as the service principal ``events.amazonaws.com``. Without a statement
allowing that on the log group the invocation fails (the rule's ``FailedInvocations`` metric)
and nothing lands. moto wrote every matching event into the group whatever the policies said, so
a stack without (or with a wrong) log group policy looked fine here. Followed: EventBridge User
Guide, [Using resource-based policies for Amazon EventBridge, CloudWatch Logs
permissions](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-cloudwatchlogs-permissions).

Evaluated here: every resource policy of the account and region (``PutResourcePolicy``), an
explicit Deny first; a statement applies when its ``Principal`` names the service (or ``*``), its
``Action`` matches each call (``logs:*`` and other wildcards included, ``NotAction`` too) and its
``Resource`` matches the log stream EventBridge writes
(``arn:aws:logs:<region>:<account>:log-group:<name>:log-stream:<stream>``); conditions are
evaluated against ``aws:SourceAccount`` and, for ``PutLogEvents``, ``aws:SourceArn`` (the rule)
with :mod:`.conditions`. A refused delivery is logged and dropped, as on AWS. A delivered event
is the whole event, ``account`` included (moto's default template dropped it).
"""

from __future__ import annotations

import fnmatch
import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from moto.events.models import Rule

from .core.conditions import conditions_met

log = logging.getLogger(__name__)

SERVICE = "events.amazonaws.com"
ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")

_original_send = Rule._send_to_cw_log_group


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _names_service(statement: Mapping[str, Any]) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    return SERVICE in _as_list(principal.get("Service")) or "*" in _as_list(principal.get("AWS"))


def _matches(patterns: list[Any], value: str, *, ignore_case: bool) -> bool:
    if ignore_case:
        return any(fnmatch.fnmatchcase(value.lower(), str(p).lower()) for p in patterns)
    return any(fnmatch.fnmatchcase(value, str(p)) for p in patterns)


def _applies(statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str]) -> bool:
    if not _names_service(statement):
        return False
    if "NotAction" in statement:
        if _matches(_as_list(statement["NotAction"]), action, ignore_case=True):
            return False
    elif not _matches(_as_list(statement.get("Action")), action, ignore_case=True):
        return False
    if "NotResource" in statement:
        if _matches(_as_list(statement["NotResource"]), resource, ignore_case=False):
            return False
    elif not _matches(_as_list(statement.get("Resource")), resource, ignore_case=False):
        return False
    return conditions_met(statement, context)


def _statements(account_id: str, region: str) -> Iterator[Mapping[str, Any]]:
    from moto.logs import logs_backends

    for policy in logs_backends[account_id][region].resource_policies.values():
        try:
            document = json.loads(policy.policy_document)
        except (TypeError, ValueError):
            continue
        for statement in _as_list(document.get("Statement")):
            if isinstance(statement, Mapping):
                yield statement


def delivery_allowed(rule: Rule, log_group: str) -> tuple[bool, str]:
    """Whether the resource policies let EventBridge write ``rule``'s event into ``log_group``,
    and, when not, which call is refused and why."""
    account, region = rule.account_id, rule.region_name
    stream = f"arn:aws:logs:{region}:{account}:log-group:{log_group}:log-stream:*"
    statements = list(_statements(account, region))
    for action in ACTIONS:
        context = {"aws:sourceaccount": account}
        if action == "logs:PutLogEvents":
            context["aws:sourcearn"] = rule.arn
        applying = [s for s in statements if _applies(s, action, stream, context)]
        if any(s.get("Effect") == "Deny" for s in applying):
            return False, f"{action} on {stream} is denied by a resource policy"
        if not any(s.get("Effect") == "Allow" for s in applying):
            return False, f"no resource policy allows {SERVICE} {action} on {stream}"
    return True, ""


#: The members of an EventBridge event, in the order AWS writes them (EventBridge User Guide,
#: "Amazon EventBridge events", event structure).
EVENT_MEMBERS = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")


def _whole_event(rule: Rule, event: dict[str, Any]) -> dict[str, Any]:
    """The event as AWS delivers it to a target without an input transformer: moto's default
    template leaves out ``account``."""
    whole = {**event, "account": event.get("account") or rule.account_id}
    return {key: whole[key] for key in EVENT_MEMBERS if key in whole} | {
        k: v for k, v in whole.items() if k not in EVENT_MEMBERS
    }


def _send_to_cw_log_group(self: Rule, name: str, event: dict[str, Any]) -> None:
    allowed, reason = delivery_allowed(self, name)
    if not allowed:
        log.warning("event of rule %s not delivered to log group %s: %s", self.arn, name, reason)
        return
    target = next((t for t in self.targets if t.get("Arn", "").endswith(f":log-group:{name}")), {})
    _original_send(self, name, event if target.get("InputTransformer") else _whole_event(self, event))


def register() -> None:
    """Check the log group's resource policies before delivering (idempotent)."""
    Rule._send_to_cw_log_group = _send_to_cw_log_group  # type: ignore[method-assign]
