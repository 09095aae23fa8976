"""What SageMaker does on the instances of an endpoint variant or a job, done on this machine.

* :func:`role_session`: SageMaker acts as the model's (or job's) execution role, as AWS does: it
  assumes the role (credentials minted by moto's STS for ``<role>/SageMaker``) and its S3 calls
  go through the local cloud like any client's, so IAM (identity and bucket policies) decides
  whether the model archive can be read or the captured data written. In server mode the calls
  go to the local cloud's own URL; in-process (``mock_aws``) they are intercepted by moto.
* :class:`ModelFiles`: the model archive (``ModelDataUrl``) downloaded and extracted, as the
  instance's ``/opt/ml/model``; an ``s3://`` ``SAGEMAKER_SUBMIT_DIRECTORY`` downloaded too.
* :class:`VariantServer`: one production variant's model server (the scikit-learn container
  stand-in, ``containers/sklearn_serving.py``), started once for the variant's life; its output
  goes to the endpoint's CloudWatch Logs group ``/aws/sagemaker/Endpoints/<endpoint>``, stream
  ``<variant>/<instance id>``, as SageMaker sends it.

Only the SageMaker scikit-learn serving image (repository ``sagemaker-scikit-learn``) is run; a
variant of any other image fails with a reason saying so. One process serves a variant whatever
its instance count.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import logging
import queue
import re
import secrets
import shutil
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...containers.container import Container, ContainerError, Mount, free_port

log = logging.getLogger(__name__)

SKLEARN_SERVING_MODULE = "scripts.localcloud.containers.sklearn_serving"
#: The SageMaker scikit-learn images (any registry account, region and tag).
SKLEARN_IMAGE = re.compile(
    r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/sagemaker-scikit-learn:[\w.-]+$"
)
#: How long a variant may take to pass its first ping (SageMaker's default startup health check
#: allows minutes; a stand-in that does not answer within this is failed).
DEFAULT_HEALTH_CHECK_TIMEOUT_S = 120.0
#: SageMaker's real-time invocation timeout.
INVOCATION_TIMEOUT_S = 60.0


class DeploymentError(RuntimeError):
    """A variant could not be deployed; the message is the FailureReason SageMaker reports."""


def role_session(account_id: str, region: str, role_arn: str) -> Any:
    """A boto3 session as ``role_arn`` with SageMaker's session name, for calls SageMaker makes
    on the role's behalf (the trust in sagemaker.amazonaws.com was checked when the model or job
    was created)."""
    import boto3
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    from ..state_lock import STATE_LOCK

    # On a fleet's or job's thread: the STS and IAM backends change under the backends' lock.
    with STATE_LOCK:
        assumed = sts_backends[account_id][get_partition(region)].assume_role(
            region_name=region,
            role_session_name="SageMaker",
            role_arn=role_arn,
            policy="",
            duration=3600,
            external_id="",
        )
    return boto3.Session(
        aws_access_key_id=assumed.access_key_id,
        aws_secret_access_key=assumed.secret_access_key,
        aws_session_token=assumed.session_token,
        region_name=region,
    )


def client(session: Any, service: str, service_url: str | None) -> Any:
    from botocore.config import Config

    return session.client(
        service, endpoint_url=service_url, config=Config(retries={"mode": "standard", "max_attempts": 3})
    )


def split_s3_uri(uri: str) -> tuple[str, str]:
    without = uri.removeprefix("s3://")
    bucket, _, key = without.partition("/")
    return bucket, key


def _extract(archive: bytes, into: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as tar:
        tar.extractall(into, filter="data")


@dataclass
class ModelFiles:
    """A container's ``/opt/ml/model`` (and ``/opt/ml/code``) on this machine."""

    root: Path
    model_dir: Path
    code_dir: Path | None = None

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def fetch_model_files(
    s3: Any, container_name: str, model_data_url: str | None, environment: dict[str, str]
) -> tuple[ModelFiles, dict[str, str]]:
    """Download and extract the model archive (and an S3 submit directory) as the role whose
    client ``s3`` is; the container's environment with the submit directory made local."""
    from botocore.exceptions import ClientError

    root = Path(tempfile.mkdtemp(prefix="mlgov-model-"))
    files = ModelFiles(root=root, model_dir=root / "model")
    files.model_dir.mkdir()
    env = dict(environment)
    try:
        if model_data_url:
            bucket, key = split_s3_uri(model_data_url)
            try:
                archive = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            except ClientError:
                raise DeploymentError(
                    f'Failed to download model data for container "{container_name}" from URL: '
                    f'"{model_data_url}". Please ensure that there is an object located at the URL '
                    "and that the role passed to CreateModel has permissions to download the object."
                ) from None
            try:
                _extract(archive, files.model_dir)
            except (tarfile.TarError, OSError) as error:
                raise DeploymentError(
                    f'Failed to extract model data archive from URL "{model_data_url}". Please ensure '
                    f"that the object located at the URL is a valid tar.gz archive ({error})."
                ) from None
        submit = env.get("SAGEMAKER_SUBMIT_DIRECTORY", "")
        if submit.startswith("s3://"):
            bucket, key = split_s3_uri(submit)
            try:
                source = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            except ClientError:
                raise DeploymentError(
                    f'Failed to download the submit directory "{submit}" for container "{container_name}".'
                ) from None
            files.code_dir = root / "code"
            files.code_dir.mkdir()
            _extract(source, files.code_dir)
            env["SAGEMAKER_SUBMIT_DIRECTORY"] = "/opt/ml/code"
    except BaseException:
        files.cleanup()
        raise
    return files, env


class ContainerLogs:
    """A CloudWatch Logs stream of a container, written in-process (moto's logs backend): SageMaker
    sends an endpoint's container output to ``/aws/sagemaker/Endpoints/<endpoint>`` (stream
    ``<variant>/<instance id>``), a transform job's to ``/aws/sagemaker/TransformJobs`` and a
    processing job's to ``/aws/sagemaker/ProcessingJobs`` (stream ``<job>/<instance id>``)."""

    def __init__(self, account_id: str, region: str, group: str, stream_prefix: str) -> None:
        self.account_id = account_id
        self.region = region
        self.group = group
        self.stream = f"{stream_prefix}/i-{secrets.token_hex(8)}"
        self.lock = threading.Lock()
        self.ready = False

    @classmethod
    def endpoint(cls, account_id: str, region: str, endpoint: str, variant: str) -> ContainerLogs:
        return cls(account_id, region, f"/aws/sagemaker/Endpoints/{endpoint}", variant)

    @property
    def arn(self) -> str:
        return f"arn:aws:logs:{self.region}:{self.account_id}:log-group:{self.group}:log-stream:{self.stream}"

    def __call__(self, line: str) -> None:
        from moto.logs.models import logs_backends

        backend = logs_backends[self.account_id][self.region]
        with self.lock:
            if not self.ready:
                if self.group not in backend.groups:
                    backend.create_log_group(self.group, tags={})
                with contextlib.suppress(Exception):  # already there after a restart of the variant
                    backend.create_log_stream(self.group, self.stream)
                self.ready = True
            backend.put_log_events(
                self.group, self.stream, [{"timestamp": int(time.time() * 1000), "message": line}]
            )


@dataclass
class Invocation:
    """What the container answered."""

    status: int
    body: bytes
    content_type: str | None
    custom_attributes: str | None = None


@dataclass
class VariantServer:
    """One production variant's model server, up for as long as the variant is."""

    endpoint: str
    variant: str
    image: str
    environment: dict[str, str]
    files: ModelFiles
    logs: ContainerLogs
    container: Container | None = None
    started_seconds: float | None = None
    _connections: queue.LifoQueue[http.client.HTTPConnection] = field(default_factory=queue.LifoQueue)

    def start(self, health_timeout: float) -> float:
        """Start the server and wait until ``/ping`` answers 200: the seconds that took."""
        if not SKLEARN_IMAGE.match(self.image):
            raise DeploymentError(
                f"The local cloud runs only the SageMaker scikit-learn serving image "
                f"(repository sagemaker-scikit-learn); image {self.image} of production variant "
                f"{self.variant} is not emulated."
            )
        mounts = [Mount(self.files.model_dir, "model")]
        if self.files.code_dir is not None:
            mounts.append(Mount(self.files.code_dir, "code"))
        self.container = Container(
            f"{self.endpoint}-{self.variant}",
            SKLEARN_SERVING_MODULE,
            env=self.environment,
            mounts=mounts,
            log_sink=self.logs,
        )
        try:
            self.container.start(port=free_port())
            self.started_seconds = self.container.wait_healthy(health_timeout)
        except ContainerError as error:
            detail = self.container.output(6)
            self.stop()
            log.warning(
                "variant %s of %s failed its health check: %s\n%s", self.variant, self.endpoint, error, detail
            )
            raise DeploymentError(
                f"The primary container for production variant {self.variant} did not pass the ping "
                f"health check. Please check CloudWatch logs for this endpoint. ({error})"
            ) from None
        return self.started_seconds

    def healthy(self) -> bool:
        return self.container is not None and self.container.running()

    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None, custom: str | None
    ) -> Invocation:
        assert self.container is not None and self.container.port is not None
        headers = {"Content-Type": content_type or "application/octet-stream"}
        if accept:
            headers["Accept"] = accept
        if custom:
            headers["X-Amzn-SageMaker-Custom-Attributes"] = custom
        for attempt in (1, 2):
            try:
                connection = self._connections.get_nowait()
            except queue.Empty:
                connection = http.client.HTTPConnection(
                    "127.0.0.1", self.container.port, timeout=INVOCATION_TIMEOUT_S
                )
            try:
                connection.request("POST", "/invocations", body=body, headers=headers)
                answer = connection.getresponse()
                payload = answer.read()
            except (OSError, http.client.HTTPException):
                connection.close()
                if attempt == 2 or not self.healthy():
                    raise
                continue
            self._connections.put(connection)
            return Invocation(
                status=answer.status,
                body=payload,
                content_type=answer.getheader("Content-Type"),
                custom_attributes=answer.getheader("X-Amzn-SageMaker-Custom-Attributes"),
            )
        raise AssertionError("unreachable")

    def stop(self) -> None:
        while True:
            try:
                self._connections.get_nowait().close()
            except queue.Empty:
                break
        if self.container is not None:
            self.container.stop()
        self.files.cleanup()
