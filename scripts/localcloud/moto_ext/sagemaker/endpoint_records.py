"""The records of SageMaker hosting: models (with the container each variant runs) and endpoint
configs as Describe and List show them, the ARNs SageMaker gives them, and how long a deployment
takes at least; :mod:`.endpoints` holds the backend that checks and serves them (its docstring says
what SageMaker checks)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from moto.core.common_models import BaseModel
from moto.core.utils import utcnow

from .utils import without_none

DELAY_ENV = "MLGOV_LOCALCLOUD_ENDPOINT_DELAY_S"
DEFAULT_DELAY_S = 1.0


def deployment_delay() -> timedelta:
    """How long a create or update takes at least (read when it starts)."""
    raw = os.environ.get(DELAY_ENV)
    seconds = DEFAULT_DELAY_S if raw in (None, "") else float(raw)
    return timedelta(seconds=max(seconds, 0.0))


def sagemaker_arn(kind: str, name: str, account_id: str, region: str) -> str:
    """SageMaker's ARN of a named resource: the name lower-cased, as SageMaker writes these ARNs."""
    return f"arn:aws:sagemaker:{region}:{account_id}:{kind}/{name.lower()}"


# -- models ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResolvedContainer:
    """What a variant runs: the image, the model data and the environment."""

    image: str
    model_data_url: str | None
    environment: dict[str, str]
    model_package_arn: str | None = None


class ServingModel(BaseModel):
    """A SageMaker Model (CreateModel)."""

    def __init__(
        self,
        *,
        name: str,
        account_id: str,
        region_name: str,
        execution_role_arn: str | None,
        primary_container: dict[str, Any] | None,
        containers: list[dict[str, Any]] | None,
        inference_execution_config: dict[str, Any] | None,
        vpc_config: dict[str, Any] | None,
        enable_network_isolation: bool | None,
        tags: list[dict[str, str]] | None,
        resolved: list[ResolvedContainer],
    ) -> None:
        self.name = name
        self.arn = sagemaker_arn("model", name, account_id, region_name)
        self.execution_role_arn = execution_role_arn
        self.primary_container = primary_container
        self.containers = containers
        self.inference_execution_config = inference_execution_config
        self.vpc_config = vpc_config
        self.enable_network_isolation = bool(enable_network_isolation)
        self.tags = list(tags or [])
        self.resolved = resolved
        self.creation_time = utcnow()

    def describe(self) -> dict[str, Any]:
        return without_none(
            {
                "ModelName": self.name,
                "PrimaryContainer": self.primary_container,
                "Containers": self.containers,
                "InferenceExecutionConfig": self.inference_execution_config,
                "ExecutionRoleArn": self.execution_role_arn,
                "VpcConfig": self.vpc_config,
                "CreationTime": self.creation_time,
                "ModelArn": self.arn,
                "EnableNetworkIsolation": self.enable_network_isolation,
            }
        )

    def summary(self) -> dict[str, Any]:
        return {"ModelName": self.name, "ModelArn": self.arn, "CreationTime": self.creation_time}


# -- endpoint configs ------------------------------------------------------------------------
class ServingEndpointConfig(BaseModel):
    """An endpoint configuration (CreateEndpointConfig)."""

    def __init__(
        self,
        *,
        name: str,
        account_id: str,
        region_name: str,
        production_variants: list[dict[str, Any]],
        data_capture_config: dict[str, Any] | None,
        kms_key_id: str | None,
        async_inference_config: dict[str, Any] | None,
        tags: list[dict[str, str]] | None,
    ) -> None:
        self.name = name
        self.arn = sagemaker_arn("endpoint-config", name, account_id, region_name)
        self.production_variants = [
            {**variant, "InitialVariantWeight": float(variant.get("InitialVariantWeight", 1.0))}
            for variant in production_variants
        ]
        self.data_capture_config = data_capture_config
        self.kms_key_id = kms_key_id
        self.async_inference_config = async_inference_config
        self.tags = list(tags or [])
        self.creation_time = utcnow()

    def describe(self) -> dict[str, Any]:
        return without_none(
            {
                "EndpointConfigName": self.name,
                "EndpointConfigArn": self.arn,
                "ProductionVariants": self.production_variants,
                "DataCaptureConfig": self.data_capture_config,
                "KmsKeyId": self.kms_key_id,
                "CreationTime": self.creation_time,
                "AsyncInferenceConfig": self.async_inference_config,
            }
        )

    def summary(self) -> dict[str, Any]:
        return {
            "EndpointConfigName": self.name,
            "EndpointConfigArn": self.arn,
            "CreationTime": self.creation_time,
        }
