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

The records are ``endpoint_records.py``'s (models, endpoint configs), the fleets and the
deployment over the clock ``deployments.py``'s, and the deployment's thread ``deployment_runs.py``'s.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import SageMakerModelBackend
from moto.utilities.paginator import paginate

from . import deployment_runs
from .capture import CaptureSettings
from .deployment_runs import stop_later
from .deployments import (
    Deployment,
    Fleet,
    ServingEndpoint,
    Variant,
    traffic_plan,
    validate_deployment_config,
)
from .endpoint_records import (
    ResolvedContainer,
    ServingEndpointConfig,
    ServingModel,
    deployment_delay,
    sagemaker_arn,
)
from .fleet import (
    ContainerLogs,
    Invocation,
    split_s3_uri,
)
from .utils import PAGINATION_MODEL


def _not_found(kind: str, arn: str) -> ValidationError:
    return ValidationError(f'Could not find {kind} "{arn}".')


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
        deployment_runs.start(self, endpoint, endpoint.deployment)
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
            stop_later(endpoint.advance(utcnow()))
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
        deployment_runs.start(self, endpoint, deployment)
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
            stop_later(endpoint.advance(now))
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
        stop_later(fleets)

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
                stop_later(endpoint.advance(now))
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
            stop_later(endpoint.advance(now))
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
