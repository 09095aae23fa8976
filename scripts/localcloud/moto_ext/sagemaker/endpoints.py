"""SageMaker hosting on the governance backend: models, endpoint configs and endpoints that serve.

:class:`EndpointBackend` (a ``SageMakerModelBackend`` part of
:class:`~.models.GovernanceSageMakerBackend`) replaces what moto 5.2.1 serves for these
operations (an endpoint ``InService`` at once, no UpdateEndpoint, a canned InvokeEndpoint):

* **CreateModel** from an image and ``ModelDataUrl`` or from a model package
  (``Containers[].ModelPackageName``: image, model data and environment taken from the package's
  ``InferenceSpecification``); the execution role must exist and trust
  ``sagemaker.amazonaws.com`` (ValidationException "Could not assume role ...", as AWS); the
  caller's ``iam:PassRole`` is checked by the handler. DescribeModel leaves out what was not set
  (moto answered ``VpcConfig: {}``).
* **CreateEndpointConfig** (ProductionVariants, DataCaptureConfig, KmsKeyId): the models must
  exist; **CreateEndpoint** / **UpdateEndpoint** deploy a *fleet*: each variant's model archive is
  downloaded as the model's execution role and its model server started (``fleet.py``), once,
  for the fleet's life. An endpoint is ``Creating`` / ``Updating`` until its fleet passed the
  ping health check and ``MLGOV_LOCALCLOUD_ENDPOINT_DELAY_S`` (default 1 s, read when the create
  or update starts) has passed, then ``InService``; a first fleet that fails leaves it ``Failed``
  with the FailureReason SageMaker gives.
* **UpdateEndpoint** is SageMaker's blue/green deployment: the new (green) fleet is provisioned
  beside the old (blue) one, which keeps answering. Traffic then shifts to green as
  ``DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration`` says (``ALL_AT_ONCE``;
  ``CANARY``: ``CanarySize`` then the rest after ``WaitIntervalInSeconds``; ``LINEAR``: steps of
  ``LinearStepSize`` every ``WaitIntervalInSeconds``), is baked for ``WaitIntervalInSeconds``,
  and blue is stopped ``TerminationWaitInSeconds`` later; the endpoint is ``Updating`` until then.
  The deployment rolls back (green stopped, blue serving on the old config, status back to
  ``InService`` with a FailureReason and ``LastDeploymentConfig``) when green fails to deploy,
  when one of ``AutoRollbackConfiguration.Alarms`` is in ``ALARM`` (moto's CloudWatch alarm
  state, SetAlarmState) while traffic is on green, or when ``MaximumExecutionTimeoutInSeconds``
  passes. No DeploymentConfig means all at once with no waits, as the API reference says.
* **InvokeEndpoint** (``sagemaker_runtime/``) routes a request by the variants' weights (the
  traffic share of green during a shift), answers with the model server's answer and captures
  it (``capture.py``).

Statuses follow the clock: each read re-evaluates the deployment against ``utcnow`` (a test moves
the clock instead of sleeping), and a thread per deployment does the same every 0.2 s so a fleet
no one reads still finishes or rolls back. State lives on the per-account, per-region backend
(``serving_lock``); no lock is held while SageMaker calls S3 as the role, since those calls come
back through the local cloud's own server.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import SageMakerModelBackend
from moto.utilities.paginator import paginate

from .capture import CaptureBuffer, CaptureSettings, register
from .fleet import (
    DEFAULT_HEALTH_CHECK_TIMEOUT_S,
    ContainerLogs,
    DeploymentError,
    Invocation,
    VariantServer,
    client,
    fetch_model_files,
    role_session,
    split_s3_uri,
)
from .utils import PAGINATION_MODEL, without_none

log = logging.getLogger(__name__)

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


def _not_found(kind: str, arn: str) -> ValidationError:
    return ValidationError(f'Could not find {kind} "{arn}".')


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


# -- fleets and deployments --------------------------------------------------------------------
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


# -- the backend part --------------------------------------------------------------------------
class ServingState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.models: dict[str, ServingModel] = {}
        self.endpoint_configs: dict[str, ServingEndpointConfig] = {}
        self.endpoints: dict[str, ServingEndpoint] = {}
        #: Where SageMaker reaches S3 as a role: the local cloud's own URL in server mode, None
        #: in-process (moto intercepts). Set by the handlers from the request's Host.
        self.service_url: str | None = None


_state_lock = threading.Lock()


def _stop_later(fleets: list[Fleet]) -> None:
    for fleet in fleets:
        if not fleet.stopped:
            threading.Thread(target=fleet.stop, name="fleet-stop", daemon=True).start()


class EndpointBackend(SageMakerModelBackend):
    """Models, endpoint configs and endpoints (part of GovernanceSageMakerBackend)."""

    @property
    def serving(self) -> ServingState:
        state = self.__dict__.get("_serving_state")
        if state is None:
            with _state_lock:
                state = self.__dict__.setdefault("_serving_state", ServingState())
        return state

    # -- models -----------------------------------------------------------------------------
    def _check_sagemaker_can_assume(self, role_arn: str, source_arn: str | None = None) -> None:
        """AWS refuses a model or job whose role SageMaker cannot assume (``service_role``)."""
        from .service_role import check_trust

        check_trust(role_arn, account_id=self.account_id, region=self.region_name, source_arn=source_arn)

    def _resolve_container(self, container: dict[str, Any]) -> ResolvedContainer:
        package_name = container.get("ModelPackageName")
        if package_name:
            from moto.sagemaker.models import sagemaker_backends

            # The package's account's backend (the governance backend, as in every account:
            # imported through moto's registry, not models.py, which is composed of this one).
            backend: Any = self
            if package_name.startswith("arn:"):
                parts = package_name.split(":")
                backend = sagemaker_backends[parts[4]][parts[3]]
            package = backend.describe_model_package(package_name)
            spec_containers = (package.inference_specification or {}).get("Containers") or []
            if not spec_containers:
                raise ValidationError(
                    f"Model package {package.arn} has no InferenceSpecification containers."
                )
            source = spec_containers[0]
            environment = {**(source.get("Environment") or {}), **(container.get("Environment") or {})}
            return ResolvedContainer(
                image=str(source["Image"]),
                model_data_url=source.get("ModelDataUrl"),
                environment=environment,
                model_package_arn=package.arn,
            )
        if not container.get("Image"):
            raise ValidationError(
                "Either Image or ModelPackageName must be specified in a container definition."
            )
        return ResolvedContainer(
            image=str(container["Image"]),
            model_data_url=container.get("ModelDataUrl"),
            environment=dict(container.get("Environment") or {}),
        )

    def create_model(  # type: ignore[override]
        self,
        model_name: str,
        execution_role_arn: str | None,
        primary_container: dict[str, Any] | None,
        containers: list[dict[str, Any]] | None,
        inference_execution_config: dict[str, Any] | None,
        vpc_config: dict[str, Any] | None,
        enable_network_isolation: bool | None,
        tags: list[dict[str, str]] | None,
    ) -> ServingModel:
        state = self.serving
        with state.lock:
            arn = sagemaker_arn("model", model_name, self.account_id, self.region_name)
            if any(m.arn == arn for m in state.models.values()):
                raise ValidationError(f'Cannot create already existing model "{arn}".')
            if bool(primary_container) == bool(containers):
                raise ValidationError("Exactly one of PrimaryContainer or Containers must be specified.")
            if not execution_role_arn:
                raise ValidationError(
                    "ExecutionRoleArn is required to create a model served by the local cloud."
                )
            self._check_sagemaker_can_assume(execution_role_arn, arn)
            definitions = [primary_container] if primary_container else list(containers or [])
            resolved = [self._resolve_container(c) for c in definitions if c is not None]
            model = ServingModel(
                name=model_name,
                account_id=self.account_id,
                region_name=self.region_name,
                execution_role_arn=execution_role_arn,
                primary_container=primary_container,
                containers=containers,
                inference_execution_config=inference_execution_config,
                vpc_config=vpc_config,
                enable_network_isolation=enable_network_isolation,
                tags=tags,
                resolved=resolved,
            )
            state.models[model_name] = model
            return model

    def serving_model(self, model_name: str) -> ServingModel:
        """The model of that name, whatever its case (names are unique case-insensitively and
        ARNs carry them lower-cased, so the name read back from an ARN finds the model)."""
        models = self.serving.models
        model = models.get(model_name) or next(
            (m for m in list(models.values()) if m.name.lower() == model_name.lower()), None
        )
        if model is None:
            raise _not_found("model", sagemaker_arn("model", model_name, self.account_id, self.region_name))
        return model

    def describe_model(self, model_name: str) -> ServingModel:  # type: ignore[override]
        return self.serving_model(model_name)

    def delete_model(self, model_name: str) -> None:
        with self.serving.lock:
            self.serving_model(model_name)
            del self.serving.models[model_name]

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_serving_models(
        self,
        name_contains: str | None,
        creation_time_before: datetime | None,
        creation_time_after: datetime | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[ServingModel]:
        return _listed(
            list(self.serving.models.values()),
            name_contains,
            creation_time_before,
            creation_time_after,
            sort_by,
            sort_order,
        )

    # -- endpoint configs ---------------------------------------------------------------------
    def create_endpoint_config(  # type: ignore[override]
        self,
        endpoint_config_name: str,
        production_variants: list[dict[str, Any]],
        data_capture_config: dict[str, Any] | None,
        async_inference_config: dict[str, Any] | None,
        tags: list[dict[str, str]] | None,
        kms_key_id: str | None,
    ) -> ServingEndpointConfig:
        state = self.serving
        with state.lock:
            arn = sagemaker_arn("endpoint-config", endpoint_config_name, self.account_id, self.region_name)
            if any(c.arn == arn for c in state.endpoint_configs.values()):
                raise ValidationError(f'Cannot create already existing endpoint configuration "{arn}".')
            names = [v["VariantName"] for v in production_variants]
            if len(set(names)) != len(names):
                raise ValidationError("ProductionVariants must have unique VariantNames.")
            for variant in production_variants:
                if not variant.get("ModelName"):
                    raise ValidationError(
                        f"ModelName is required for production variant {variant['VariantName']}."
                    )
                self.serving_model(variant["ModelName"])
                if not variant.get("InstanceType") and not variant.get("ServerlessConfig"):
                    raise ValidationError(
                        f"Production variant {variant['VariantName']} needs an InstanceType or a ServerlessConfig."
                    )
            if data_capture_config:
                if not data_capture_config.get("CaptureOptions"):
                    raise ValidationError("DataCaptureConfig.CaptureOptions must name Input, Output or both.")
                if not str(data_capture_config.get("DestinationS3Uri", "")).startswith("s3://"):
                    raise ValidationError("DataCaptureConfig.DestinationS3Uri must be an s3:// URI.")
            config = ServingEndpointConfig(
                name=endpoint_config_name,
                account_id=self.account_id,
                region_name=self.region_name,
                production_variants=production_variants,
                data_capture_config=data_capture_config,
                kms_key_id=kms_key_id,
                async_inference_config=async_inference_config,
                tags=tags,
            )
            state.endpoint_configs[endpoint_config_name] = config
            return config

    def serving_endpoint_config(self, name: str) -> ServingEndpointConfig:
        config = self.serving.endpoint_configs.get(name)
        if config is None:
            arn = sagemaker_arn("endpoint-config", name, self.account_id, self.region_name)
            raise _not_found("endpoint configuration", arn)
        return config

    def describe_endpoint_config(self, endpoint_config_name: str) -> dict[str, Any]:
        return self.serving_endpoint_config(endpoint_config_name).describe()

    def delete_endpoint_config(self, endpoint_config_name: str) -> None:
        # AWS lets a config in use be deleted (the endpoint keeps serving it).
        with self.serving.lock:
            self.serving_endpoint_config(endpoint_config_name)
            del self.serving.endpoint_configs[endpoint_config_name]

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_serving_endpoint_configs(
        self,
        name_contains: str | None,
        creation_time_before: datetime | None,
        creation_time_after: datetime | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[ServingEndpointConfig]:
        return _listed(
            list(self.serving.endpoint_configs.values()),
            name_contains,
            creation_time_before,
            creation_time_after,
            sort_by,
            sort_order,
        )

    # -- endpoints ------------------------------------------------------------------------------
    def _fleet(
        self, config: ServingEndpointConfig, retained: Fleet | None, exclude: set[str] | None
    ) -> Fleet:
        variants = []
        for spec in config.production_variants:
            weight = float(spec.get("InitialVariantWeight", 1.0))
            count = int(spec.get("InitialInstanceCount", 1))
            old = (
                next((v for v in retained.variants if v.name == spec["VariantName"]), None)
                if retained
                else None
            )
            if old is not None and exclude is not None:
                if "DesiredWeight" not in exclude:
                    weight = old.weight
                if "DesiredInstanceCount" not in exclude:
                    count = old.instance_count
            variants.append(
                Variant(
                    spec=spec,
                    model=self.serving_model(spec["ModelName"]),
                    weight=weight,
                    instance_count=count,
                )
            )
        return Fleet(
            config=config, variants=variants, capture=CaptureSettings.from_config(config.data_capture_config)
        )

    def create_endpoint(  # type: ignore[override]
        self, endpoint_name: str, endpoint_config_name: str, tags: list[dict[str, str]] | None
    ) -> ServingEndpoint:
        state = self.serving
        with state.lock:
            arn = sagemaker_arn("endpoint", endpoint_name, self.account_id, self.region_name)
            if any(e.arn == arn for e in state.endpoints.values()):
                raise ValidationError(f'Cannot create already existing endpoint "{arn}".')
            config = self.serving_endpoint_config(endpoint_config_name)
            fleet = self._fleet(config, None, None)
            endpoint = ServingEndpoint(
                name=endpoint_name, account_id=self.account_id, region_name=self.region_name, tags=tags
            )
            endpoint.first_config_name = config.name
            now = utcnow()
            endpoint.deployment = Deployment(
                kind="create",
                fleet=fleet,
                deployment_config=None,
                started_at=now,
                not_before=now + deployment_delay(),
            )
            state.endpoints[endpoint_name] = endpoint
        self._start_deployment(endpoint, endpoint.deployment)
        return endpoint

    def update_endpoint(
        self,
        endpoint_name: str,
        endpoint_config_name: str,
        deployment_config: dict[str, Any] | None,
        retain_all_variant_properties: bool,
        exclude_retained_variant_properties: list[dict[str, str]] | None,
        retain_deployment_config: bool,
    ) -> ServingEndpoint:
        state = self.serving
        with state.lock:
            endpoint = self.serving_endpoint(endpoint_name)
            _stop_later(endpoint.advance(utcnow()))
            if endpoint.status in ("Creating", "Updating", "Deleting", "SystemUpdating", "RollingBack"):
                raise ValidationError(f'Cannot update in-progress endpoint "{endpoint.arn}".')
            if endpoint.status == "Failed" or endpoint.fleet is None:
                raise ValidationError(f'Cannot update failed endpoint "{endpoint.arn}".')
            config = self.serving_endpoint_config(endpoint_config_name)
            if deployment_config is None and retain_deployment_config:
                deployment_config = endpoint.last_deployment_config
            exclude = (
                {p["VariantPropertyType"] for p in exclude_retained_variant_properties or []}
                if retain_all_variant_properties
                else None
            )
            fleet = self._fleet(config, endpoint.fleet, exclude)
            validate_deployment_config(deployment_config, fleet.instance_count)
            steps, total, timeout = traffic_plan(deployment_config, fleet.instance_count)
            alarms = tuple(
                a["AlarmName"]
                for a in ((deployment_config or {}).get("AutoRollbackConfiguration") or {}).get("Alarms")
                or []
            )
            now = utcnow()
            deployment = Deployment(
                kind="update",
                fleet=fleet,
                deployment_config=deployment_config,
                started_at=now,
                not_before=now + deployment_delay(),
                steps=steps,
                total_seconds=total,
                max_seconds=timeout,
                alarms=alarms,
            )
            endpoint.deployment = deployment
            endpoint.status = "Updating"
            endpoint.failure_reason = None
            endpoint.last_modified_time = now
        self._start_deployment(endpoint, deployment)
        return endpoint

    def serving_endpoint(self, endpoint_name: str) -> ServingEndpoint:
        endpoint = self.serving.endpoints.get(endpoint_name)
        if endpoint is None:
            raise _not_found(
                "endpoint", sagemaker_arn("endpoint", endpoint_name, self.account_id, self.region_name)
            )
        return endpoint

    def describe_endpoint(self, endpoint_name: str) -> dict[str, Any]:
        with self.serving.lock:
            endpoint = self.serving_endpoint(endpoint_name)
            now = utcnow()
            _stop_later(endpoint.advance(now))
            return endpoint.describe(now)

    def delete_endpoint(self, endpoint_name: str) -> None:
        with self.serving.lock:
            endpoint = self.serving_endpoint(endpoint_name)
            endpoint.deleted = True
            endpoint.status = "Deleting"
            del self.serving.endpoints[endpoint_name]
            fleets = [
                f for f in (endpoint.fleet, endpoint.deployment.fleet if endpoint.deployment else None) if f
            ]
        _stop_later(fleets)

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_serving_endpoints(
        self,
        name_contains: str | None,
        creation_time_before: datetime | None,
        creation_time_after: datetime | None,
        last_modified_time_before: datetime | None,
        last_modified_time_after: datetime | None,
        status_equals: str | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[ServingEndpoint]:
        with self.serving.lock:
            now = utcnow()
            endpoints = list(self.serving.endpoints.values())
            for endpoint in endpoints:
                _stop_later(endpoint.advance(now))
        found = [
            e
            for e in endpoints
            if (status_equals is None or e.status == status_equals)
            and (last_modified_time_before is None or e.last_modified_time < last_modified_time_before)
            and (last_modified_time_after is None or e.last_modified_time > last_modified_time_after)
        ]
        if sort_by == "Status":
            found.sort(key=lambda e: e.status, reverse=(sort_order or "Descending") == "Descending")
            return [e for e in found if _matches_name(e.name, name_contains)]
        return _listed(found, name_contains, creation_time_before, creation_time_after, sort_by, sort_order)

    # -- deployments --------------------------------------------------------------------------
    def _start_deployment(self, endpoint: ServingEndpoint, deployment: Deployment) -> None:
        threading.Thread(
            target=self._run_deployment,
            args=(endpoint, deployment, self.serving.service_url),
            name=f"deploy-{endpoint.name}",
            daemon=True,
        ).start()

    def _run_deployment(
        self, endpoint: ServingEndpoint, deployment: Deployment, service_url: str | None
    ) -> None:
        fleet = deployment.fleet
        try:
            self._provision(endpoint, fleet, service_url)
        except DeploymentError as error:
            fleet.failure = str(error)
        except Exception as error:  # an emulator fault must still end the deployment
            log.exception("deployment of %s failed", endpoint.name)
            fleet.failure = f"The local cloud could not deploy the endpoint: {error}"
        fleet.ready_at = utcnow()
        if fleet.failure is not None:
            fleet.stop()
        fleet.provisioned.set()
        while True:
            with self.serving.lock:
                if endpoint.deleted or endpoint.deployment is not deployment:
                    break
                stopping = endpoint.advance(utcnow())
            _stop_later(stopping)
            time.sleep(0.2)
        if endpoint.deleted:
            # DeleteEndpoint may have stopped the fleet while a server was still starting.
            fleet.stop()

    def _provision(self, endpoint: ServingEndpoint, fleet: Fleet, service_url: str | None) -> None:
        """Download every variant's model as its role and start its model server."""
        for variant in fleet.variants:
            if endpoint.deleted:
                return
            container = variant.model.resolved[0]
            role = variant.model.execution_role_arn or ""
            session = role_session(self.account_id, self.region_name, role)
            files, environment = fetch_model_files(
                client(session, "s3", service_url),
                "container_1",
                container.model_data_url,
                container.environment,
            )
            server = VariantServer(
                endpoint=endpoint.name,
                variant=variant.name,
                image=container.image,
                environment=environment,
                files=files,
                logs=ContainerLogs.endpoint(self.account_id, self.region_name, endpoint.name, variant.name),
            )
            variant.server = server
            timeout = float(
                variant.spec.get("ContainerStartupHealthCheckTimeoutInSeconds")
                or DEFAULT_HEALTH_CHECK_TIMEOUT_S
            )
            seconds = server.start(timeout)
            log.info(
                "endpoint %s variant %s: model server up in %.2f s", endpoint.name, variant.name, seconds
            )
            if fleet.capture is not None:
                fleet.buffers[variant.name] = register(
                    CaptureBuffer(
                        endpoint=endpoint.name,
                        variant=variant.name,
                        settings=fleet.capture,
                        upload=_uploader(session, service_url),
                    )
                )

    # -- invocations ---------------------------------------------------------------------------
    def invoke_endpoint(
        self,
        endpoint_name: str,
        body: bytes,
        content_type: str | None,
        accept: str | None,
        custom_attributes: str | None,
        target_variant: str | None,
        inference_id: str | None,
    ) -> tuple[Invocation, Variant, ContainerLogs] | None:
        """The answer of the variant the request is routed to; None if the endpoint does not
        exist or has nothing in service."""
        with self.serving.lock:
            endpoint = self.serving.endpoints.get(endpoint_name)
            if endpoint is None:
                return None
            now = utcnow()
            _stop_later(endpoint.advance(now))
            if endpoint.status not in ("InService", "Updating"):
                return None
            routed = endpoint.route(now, target_variant)
        if routed is None:
            return None
        fleet, variant = routed
        server = variant.server
        assert server is not None
        answer = server.invoke(body, content_type, accept, custom_attributes)
        buffer = fleet.buffers.get(variant.name)
        if buffer is not None and answer.status == 200 and buffer.settings.sampled():
            at = utcnow()
            buffer.add(
                at,
                buffer.settings.record(
                    request=body,
                    request_type=content_type,
                    response=answer.body,
                    response_type=answer.content_type,
                    at=at,
                    inference_id=inference_id,
                ),
            )
        return answer, variant, server.logs

    # -- tags on the resource types added here ------------------------------------------------
    def _get_resource_from_arn(self, arn: str) -> Any:
        resource_type = arn.split(":", 5)[-1].partition("/")[0]
        collections: dict[str, dict[str, Any]] = {
            "model": self.serving.models,
            "endpoint-config": self.serving.endpoint_configs,
            "endpoint": self.serving.endpoints,
        }
        if resource_type in collections:
            found = next((r for r in collections[resource_type].values() if r.arn == arn.lower()), None)
            if found is None:
                raise _not_found(resource_type.replace("-config", " configuration"), arn)
            return found
        return super()._get_resource_from_arn(arn)


def _uploader(session: Any, service_url: str | None) -> Any:
    s3 = client(session, "s3", service_url)

    def upload(bucket: str, key: str, body: bytes, kms_key_id: str | None) -> None:
        extra: dict[str, str] = {}
        if kms_key_id:
            extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/jsonlines", **extra)

    return upload


def _matches_name(name: str, contains: str | None) -> bool:
    return contains is None or contains.lower() in name.lower()


def _listed(
    items: list[Any],
    name_contains: str | None,
    before: datetime | None,
    after: datetime | None,
    sort_by: str | None,
    sort_order: str | None,
) -> list[Any]:
    found = [
        i
        for i in items
        if _matches_name(i.name, name_contains)
        and (before is None or i.creation_time < before)
        and (after is None or i.creation_time > after)
    ]
    if sort_by == "Name":
        found.sort(key=lambda i: i.name, reverse=(sort_order or "Descending") == "Descending")
    else:
        found.sort(key=lambda i: i.creation_time, reverse=(sort_order or "Descending") == "Descending")
    return found


__all__ = ["EndpointBackend", "split_s3_uri"]
