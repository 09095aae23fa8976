"""CKV_MLGOV_1: a SageMaker Studio domain must reach the network only through its VPC."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class SageMakerDomainVpcOnly(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure SageMaker Studio domains use app_network_access_type VpcOnly",
            id="CKV_MLGOV_1",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_sagemaker_domain"],
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        # The provider's default is PublicInternetOnly: a missing attribute fails too.
        value = conf.get("app_network_access_type", [None])
        value = value[0] if isinstance(value, list) and value else value
        return CheckResult.PASSED if value == "VpcOnly" else CheckResult.FAILED

    def get_evaluated_keys(self) -> list[str]:
        return ["app_network_access_type"]


check = SageMakerDomainVpcOnly()
