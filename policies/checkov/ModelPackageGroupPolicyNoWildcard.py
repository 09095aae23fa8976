"""CKV_MLGOV_2: a model package group policy grants named principals named actions only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _policy import as_list, policy_dict, statements


def _wild_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in str(p) for values in principal.values() for p in as_list(values))
    return False


class ModelPackageGroupPolicyNoWildcard(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure model package group policies grant no '*' principal or wildcard action",
            id="CKV_MLGOV_2",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_sagemaker_model_package_group_policy"],
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        policy = policy_dict(conf.get("resource_policy"))
        if policy is None:
            return CheckResult.FAILED  # unreadable policy: cannot show it is narrow
        for stmt in statements(policy):
            if stmt.get("Effect") != "Allow":
                continue
            # Negations grant everything except what they name.
            if "NotPrincipal" in stmt or "NotAction" in stmt:
                return CheckResult.FAILED
            if _wild_principal(stmt.get("Principal")):
                return CheckResult.FAILED
            if any("*" in str(action) for action in as_list(stmt.get("Action"))):
                return CheckResult.FAILED
        return CheckResult.PASSED

    def get_evaluated_keys(self) -> list[str]:
        return ["resource_policy"]


check = ModelPackageGroupPolicyNoWildcard()
