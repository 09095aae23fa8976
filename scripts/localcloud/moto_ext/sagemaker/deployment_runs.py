"""Running an endpoint's deployment, on a thread of its own: SageMaker's steps after CreateEndpoint
or UpdateEndpoint (what SageMaker does is :mod:`.endpoints`' docstring).

1. for every variant of the fleet, download its model archive as the model's execution role and
   start its model server (``fleet.py``), waiting for the ping health check up to the variant's
   ``ContainerStartupHealthCheckTimeoutInSeconds``; a failure is the fleet's ``FailureReason``;
2. register the variant's data capture buffer (``capture.py``), written to S3 as that role;
3. follow the deployment on the clock every 0.2 s (:meth:`.deployments.ServingEndpoint.advance`)
   until it ends, is replaced or the endpoint is deleted, stopping the fleets it retires.

No lock is held while SageMaker calls S3 as the role, since those calls come back through the
local cloud's own server.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from moto.core.utils import utcnow

from .capture import CaptureBuffer, register
from .deployments import Deployment, Fleet, ServingEndpoint
from .fleet import (
    DEFAULT_HEALTH_CHECK_TIMEOUT_S,
    ContainerLogs,
    DeploymentError,
    VariantServer,
    client,
    fetch_model_files,
    role_session,
)

if TYPE_CHECKING:
    from .endpoints import EndpointBackend

log = logging.getLogger(__name__)


def stop_later(fleets: list[Fleet]) -> None:
    """Stop the fleets on threads of their own, so that a caller holding the serving lock does not
    wait for the capture flush and the model servers' ends."""
    for fleet in fleets:
        if not fleet.stopped:
            threading.Thread(target=fleet.stop, name="fleet-stop", daemon=True).start()


def start(backend: EndpointBackend, endpoint: ServingEndpoint, deployment: Deployment) -> None:
    """Provision the deployment's fleet on a thread of its own, then follow it on the clock."""
    threading.Thread(
        target=_run,
        args=(backend, endpoint, deployment, backend.serving.service_url),
        name=f"deploy-{endpoint.name}",
        daemon=True,
    ).start()


def _run(
    backend: EndpointBackend, endpoint: ServingEndpoint, deployment: Deployment, service_url: str | None
) -> None:
    fleet = deployment.fleet
    try:
        _provision(backend, endpoint, fleet, service_url)
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
        with backend.serving.lock:
            if endpoint.deleted or endpoint.deployment is not deployment:
                break
            stopping = endpoint.advance(utcnow())
        stop_later(stopping)
        time.sleep(0.2)
    if endpoint.deleted:
        # DeleteEndpoint may have stopped the fleet while a server was still starting.
        fleet.stop()


def _provision(
    backend: EndpointBackend, endpoint: ServingEndpoint, fleet: Fleet, service_url: str | None
) -> None:
    """Download every variant's model as its role and start its model server."""
    for variant in fleet.variants:
        if endpoint.deleted:
            return
        container = variant.model.resolved[0]
        role = variant.model.execution_role_arn or ""
        session = role_session(backend.account_id, backend.region_name, role)
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
            logs=ContainerLogs.endpoint(backend.account_id, backend.region_name, endpoint.name, variant.name),
        )
        variant.server = server
        timeout = float(
            variant.spec.get("ContainerStartupHealthCheckTimeoutInSeconds") or DEFAULT_HEALTH_CHECK_TIMEOUT_S
        )
        seconds = server.start(timeout)
        log.info("endpoint %s variant %s: model server up in %.2f s", endpoint.name, variant.name, seconds)
        if fleet.capture is not None:
            fleet.buffers[variant.name] = register(
                CaptureBuffer(
                    endpoint=endpoint.name,
                    variant=variant.name,
                    settings=fleet.capture,
                    upload=_uploader(session, service_url),
                )
            )


def _uploader(session: Any, service_url: str | None) -> Any:
    s3 = client(session, "s3", service_url)

    def upload(bucket: str, key: str, body: bytes, kms_key_id: str | None) -> None:
        extra: dict[str, str] = {}
        if kms_key_id:
            extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/jsonlines", **extra)

    return upload
