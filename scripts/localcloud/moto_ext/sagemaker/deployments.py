"""An endpoint's fleets and their deployments: the variants a config was deployed to (blue or
green), the traffic plan of a blue/green update (all at once, canary, linear; baking; blue's
termination wait), the server-side rules of DeploymentConfig, and the endpoint whose status, traffic
and rollback follow the clock (:meth:`ServingEndpoint.advance`). :mod:`.endpoints` holds the backend
that starts deployments and serves the endpoint (its docstring says what SageMaker does)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ValidationError

from .capture import CaptureBuffer, CaptureSettings
from .endpoint_records import ServingEndpointConfig, ServingModel, sagemaker_arn
from .fleet import VariantServer
from .utils import without_none


@dataclass
class Variant:
    """A production variant of a fleet: its config, its model and (once up) its model server."""

    spec: dict[str, Any]
    model: ServingModel
    weight: float
    instance_count: int
    server: VariantServer | None = None

    @property
    def name(self) -> str:
        return str(self.spec["VariantName"])

    @property
    def image(self) -> str:
        return self.model.resolved[0].image


@dataclass
class Fleet:
    """The instances an endpoint config was deployed to (blue or green)."""

    config: ServingEndpointConfig
    variants: list[Variant]
    capture: CaptureSettings | None
    buffers: dict[str, CaptureBuffer] = field(default_factory=dict)
    provisioned: threading.Event = field(default_factory=threading.Event)
    failure: str | None = None
    ready_at: datetime | None = None
    stopped: bool = False

    @property
    def instance_count(self) -> int:
        return sum(v.instance_count for v in self.variants) or 1

    def alive(self) -> bool:
        return all(v.server is not None and v.server.healthy() for v in self.variants)

    def pick(self, target_variant: str | None) -> Variant | None:
        if target_variant is not None:
            return next((v for v in self.variants if v.name == target_variant), None)
        weighted = [v for v in self.variants if v.weight > 0] or self.variants
        total = sum(v.weight for v in weighted)
        if total <= 0:
            return random.choice(weighted)
        point = random.random() * total
        for variant in weighted:
            point -= variant.weight
            if point < 0:
                return variant
        return weighted[-1]

    def stop(self) -> None:
        self.stopped = True
        for buffer in self.buffers.values():
            buffer.flush()
        for variant in self.variants:
            if variant.server is not None:
                variant.server.stop()


@dataclass
class Deployment:
    """A CreateEndpoint or UpdateEndpoint in progress."""

    kind: str
    fleet: Fleet
    deployment_config: dict[str, Any] | None
    started_at: datetime
    not_before: datetime
    shift_start: datetime | None = None
    #: (seconds after the shift starts, share of traffic on green from then on)
    steps: list[tuple[float, float]] = field(default_factory=lambda: [(0.0, 1.0)])
    #: Seconds after the shift starts when blue is stopped and the update is over.
    total_seconds: float = 0.0
    max_seconds: float | None = None
    alarms: tuple[str, ...] = ()

    def green_share(self, now: datetime) -> float:
        if self.shift_start is None:
            return 0.0
        elapsed = (now - self.shift_start).total_seconds()
        return max((share for at, share in self.steps if at <= elapsed), default=0.0)


def _capacity(size: dict[str, Any], instances: int) -> float:
    """A CapacitySize as a share of the green fleet."""
    if size["Type"] == "CAPACITY_PERCENT":
        return float(size["Value"]) / 100.0
    return float(size["Value"]) / instances


def traffic_plan(
    deployment_config: dict[str, Any] | None, instances: int
) -> tuple[list[tuple[float, float]], float, float | None]:
    """The traffic steps, the total seconds until blue is stopped, and the execution timeout, of
    a blue/green update (Developer Guide, "Blue/Green Deployments": all at once, canary, linear;
    each shift followed by a baking period of ``WaitIntervalInSeconds``; blue terminated
    ``TerminationWaitInSeconds`` after the last one)."""
    policy = (deployment_config or {}).get("BlueGreenUpdatePolicy")
    if not policy:
        return [(0.0, 1.0)], 0.0, None
    routing = policy["TrafficRoutingConfiguration"]
    wait = float(routing.get("WaitIntervalInSeconds", 0))
    termination = float(policy.get("TerminationWaitInSeconds", 0))
    timeout = policy.get("MaximumExecutionTimeoutInSeconds")
    kind = routing["Type"]
    if kind == "CANARY":
        canary = _capacity(routing["CanarySize"], instances)
        steps = [(0.0, canary), (wait, 1.0)]
    elif kind == "LINEAR":
        step = _capacity(routing["LinearStepSize"], instances)
        steps, share, at = [], 0.0, 0.0
        while share < 1.0:
            share = min(1.0, share + step)
            steps.append((at, share))
            at += wait
        steps = steps or [(0.0, 1.0)]
    else:
        steps = [(0.0, 1.0)]
    total = steps[-1][0] + wait + termination
    return steps, total, float(timeout) if timeout is not None else None


def validate_deployment_config(deployment_config: dict[str, Any] | None, instances: int) -> None:
    """The server-side rules of DeploymentConfig beyond the model's constraints (API reference,
    TrafficRoutingConfig and BlueGreenUpdatePolicy)."""
    policy = (deployment_config or {}).get("BlueGreenUpdatePolicy")
    if not policy:
        if deployment_config and deployment_config.get("RollingUpdatePolicy"):
            raise ValidationError(
                "RollingUpdatePolicy is not supported by the local cloud; use BlueGreenUpdatePolicy."
            )
        return
    routing = policy["TrafficRoutingConfiguration"]
    kind = routing["Type"]
    if kind == "CANARY":
        if "CanarySize" not in routing:
            raise ValidationError("CanarySize must be specified for a CANARY traffic routing configuration.")
        if _capacity(routing["CanarySize"], instances) > 0.5:
            raise ValidationError(
                "CanarySize must be less than or equal to 50% of the variant's total instance count."
            )
    if kind == "LINEAR":
        if "LinearStepSize" not in routing:
            raise ValidationError(
                "LinearStepSize must be specified for a LINEAR traffic routing configuration."
            )
        share = _capacity(routing["LinearStepSize"], instances)
        if not 0.1 <= share <= 0.5:
            raise ValidationError("LinearStepSize must be 10-50% of the variant's total instance count.")
    timeout = policy.get("MaximumExecutionTimeoutInSeconds")
    waits = int(routing.get("WaitIntervalInSeconds", 0)) + int(policy.get("TerminationWaitInSeconds", 0))
    if timeout is not None and int(timeout) <= waits:
        raise ValidationError(
            f"MaximumExecutionTimeoutInSeconds ({timeout}) must be larger than the total waiting time "
            f"of TerminationWaitInSeconds and WaitIntervalInSeconds ({waits})."
        )


class ServingEndpoint(BaseModel):
    """An endpoint: the fleet serving it, and the deployment in progress if any."""

    def __init__(
        self, *, name: str, account_id: str, region_name: str, tags: list[dict[str, str]] | None
    ) -> None:
        self.name = name
        self.account_id = account_id
        self.region_name = region_name
        self.arn = sagemaker_arn("endpoint", name, account_id, region_name)
        self.tags = list(tags or [])
        self.creation_time = self.last_modified_time = utcnow()
        self.status = "Creating"
        self.failure_reason: str | None = None
        self.fleet: Fleet | None = None
        self.deployment: Deployment | None = None
        self.last_deployment_config: dict[str, Any] | None = None
        self.deleted = False
        self.first_config_name = ""

    # -- the clock -------------------------------------------------------------------------
    def advance(self, now: datetime) -> list[Fleet]:
        """Move the deployment on as far as ``now`` allows; the fleets to stop."""
        deployment = self.deployment
        if deployment is None or self.deleted:
            return []
        fleet = deployment.fleet
        if deployment.shift_start is None:
            if not fleet.provisioned.is_set() or now < deployment.not_before:
                return []
            if fleet.failure is not None:
                return self._end(deployment, failure=fleet.failure, now=now)
            if deployment.kind == "create":
                self.fleet = fleet
                return self._end(deployment, failure=None, now=now)
            deployment.shift_start = now
        reason = self._rollback_reason(deployment, now)
        if reason is not None:
            return self._end(deployment, failure=reason, now=now)
        if (now - deployment.shift_start).total_seconds() >= deployment.total_seconds:
            blue, self.fleet = self.fleet, fleet
            return [*self._end(deployment, failure=None, now=now), *([blue] if blue else [])]
        return []

    def _rollback_reason(self, deployment: Deployment, now: datetime) -> str | None:
        if (
            deployment.max_seconds is not None
            and (now - deployment.started_at).total_seconds() > deployment.max_seconds
        ):
            return (
                f"Deployment of endpoint config {deployment.fleet.config.name} did not complete within "
                f"MaximumExecutionTimeoutInSeconds ({deployment.max_seconds:.0f}); rolled back."
            )
        if not deployment.fleet.alive():
            return (
                f"A container of endpoint config {deployment.fleet.config.name} stopped during the "
                "deployment; rolled back."
            )
        tripped = [
            name for name in deployment.alarms if _alarm_in_alarm(self.account_id, self.region_name, name)
        ]
        if tripped:
            return f"Deployment rolled back: alarm {tripped[0]} went into ALARM state during the deployment."
        return None

    def _end(self, deployment: Deployment, *, failure: str | None, now: datetime) -> list[Fleet]:
        self.deployment = None
        self.last_modified_time = now
        if deployment.kind == "create" and failure is not None:
            self.status = "Failed"
            self.failure_reason = failure
            return [deployment.fleet]
        self.status = "InService"
        self.failure_reason = failure
        if deployment.kind == "update" and deployment.deployment_config is not None:
            self.last_deployment_config = deployment.deployment_config
        if failure is not None:
            return [deployment.fleet]
        return []

    # -- answers --------------------------------------------------------------------------------
    @property
    def config_name(self) -> str:
        """The config the endpoint serves (a failed first deployment's config stays named)."""
        if self.fleet is not None:
            return self.fleet.config.name
        return self.first_config_name

    def _variant_summary(
        self, variant: Variant, share: float, fleet_ready_at: datetime | None
    ) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "VariantName": variant.name,
            "DeployedImages": [
                without_none({"SpecifiedImage": variant.image, "ResolutionTime": fleet_ready_at})
            ],
            "CurrentWeight": variant.weight * share,
            "DesiredWeight": variant.weight,
            "CurrentInstanceCount": variant.instance_count if variant.server is not None else 0,
            "DesiredInstanceCount": variant.instance_count,
        }
        if "ServerlessConfig" in variant.spec:
            summary["CurrentServerlessConfig"] = summary["DesiredServerlessConfig"] = variant.spec[
                "ServerlessConfig"
            ]
            summary.pop("CurrentInstanceCount")
            summary.pop("DesiredInstanceCount")
        return summary

    def describe(self, now: datetime) -> dict[str, Any]:
        deployment = self.deployment
        green = deployment.green_share(now) if deployment else 0.0
        described: dict[str, Any] = {
            "EndpointName": self.name,
            "EndpointArn": self.arn,
            "EndpointConfigName": self.config_name,
            "EndpointStatus": self.status,
            "FailureReason": self.failure_reason,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "LastDeploymentConfig": self.last_deployment_config,
        }
        if self.fleet is not None:
            blue_share = 1.0 - green if deployment and deployment.kind == "update" else 1.0
            described["ProductionVariants"] = [
                self._variant_summary(v, blue_share, self.fleet.ready_at) for v in self.fleet.variants
            ]
            capture = self.fleet.config.data_capture_config
            if capture:
                described["DataCaptureConfig"] = {
                    "EnableCapture": capture.get("EnableCapture", True),
                    "CaptureStatus": "Started" if capture.get("EnableCapture", True) else "Stopped",
                    "CurrentSamplingPercentage": capture["InitialSamplingPercentage"],
                    "DestinationS3Uri": capture["DestinationS3Uri"],
                    "KmsKeyId": capture.get("KmsKeyId", ""),
                }
        if deployment is not None:
            described["PendingDeploymentSummary"] = {
                "EndpointConfigName": deployment.fleet.config.name,
                "ProductionVariants": [
                    self._pending_summary(v, deployment, now) for v in deployment.fleet.variants
                ],
                "StartTime": deployment.started_at,
            }
        return without_none(described)

    def _pending_summary(self, variant: Variant, deployment: Deployment, now: datetime) -> dict[str, Any]:
        if deployment.shift_start is None:
            status, since = "Creating", deployment.started_at
        else:
            share = deployment.green_share(now)
            since = deployment.shift_start
            status = "ActivatingTraffic" if share < 1.0 else "Baking"
        summary = self._variant_summary(variant, deployment.green_share(now), deployment.fleet.ready_at)
        summary["InstanceType"] = variant.spec.get("InstanceType")
        summary["VariantStatus"] = [{"Status": status, "StartTime": since}]
        return without_none(summary)

    def summary(self) -> dict[str, Any]:
        return {
            "EndpointName": self.name,
            "EndpointArn": self.arn,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "EndpointStatus": self.status,
        }

    # -- traffic ---------------------------------------------------------------------------
    def route(self, now: datetime, target_variant: str | None) -> tuple[Fleet, Variant] | None:
        """The fleet and variant a request goes to (blue or green by the shift's share)."""
        fleets: list[tuple[Fleet, float]] = []
        deployment = self.deployment
        green = deployment.green_share(now) if deployment and deployment.kind == "update" else 0.0
        if self.fleet is not None:
            fleets.append((self.fleet, 1.0 - green))
        if deployment is not None and green > 0:
            fleets.append((deployment.fleet, green))
        candidates = [(f, s) for f, s in fleets if s > 0]
        if not candidates:
            return None
        fleet = candidates[0][0] if len(candidates) == 1 or random.random() >= green else candidates[1][0]
        variant = fleet.pick(target_variant)
        if variant is None and len(candidates) > 1:
            other = candidates[0][0] if fleet is candidates[1][0] else candidates[1][0]
            fleet, variant = other, other.pick(target_variant)
        return (fleet, variant) if variant is not None else None


def _alarm_in_alarm(account_id: str, region: str, name: str) -> bool:
    from moto.cloudwatch.models import cloudwatch_backends

    alarm = cloudwatch_backends[account_id][region].alarms.get(name)
    return alarm is not None and alarm.state_value == "ALARM"
