"""CKV_MLGOV_3: a role DataZone may assume names the account it acts for (confused deputy)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _policy import as_list, policy_dict, statements

DATAZONE = "datazone.amazonaws.com"


def _has_source_account(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    return any(
        isinstance(keys, dict) and any(k.lower() == "aws:sourceaccount" for k in keys)
        for operator, keys in condition.items()
        if not operator.startswith("ForAnyValue")  # must hold for the request, not "any of"
    )


class DataZoneExecutionRoleSourceAccount(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure roles trusted by datazone.amazonaws.com condition on aws:SourceAccount",
            id="CKV_MLGOV_3",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_iam_role"],
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        policy = policy_dict(conf.get("assume_role_policy"))
        if policy is None:
            return CheckResult.UNKNOWN
        datazone_statements = [
            s
            for s in statements(policy)
            if s.get("Effect") == "Allow"
            and isinstance(s.get("Principal"), dict)
            and DATAZONE in as_list(s["Principal"].get("Service"))
        ]
        if not datazone_statements:
            return CheckResult.UNKNOWN  # not a DataZone role: nothing to say
        if all(_has_source_account(s.get("Condition")) for s in datazone_statements):
            return CheckResult.PASSED
        return CheckResult.FAILED

    def get_evaluated_keys(self) -> list[str]:
        return ["assume_role_policy"]


check = DataZoneExecutionRoleSourceAccount()
