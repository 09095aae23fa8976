"""The runtime backend: InvokeEndpoint routed to the endpoint's model servers."""

from __future__ import annotations

import http.client

from moto.sagemakerruntime.models import SageMakerRuntimeBackend

from ..sagemaker.endpoints import EndpointBackend
from ..sagemaker.fleet import ContainerLogs, Invocation
from .exceptions import ModelError, ServiceUnavailable, ValidationError

#: botocore's InvokeEndpoint Body maximum (6 MB).
MAX_BODY = 6291456


class GovernanceSageMakerRuntimeBackend(SageMakerRuntimeBackend):
    """InvokeEndpoint as SageMaker answers it (moto's canned results are not used)."""

    def _endpoints(self) -> EndpointBackend:
        from moto.sagemaker.models import sagemaker_backends

        backend = sagemaker_backends[self.account_id][self.region_name]
        if not isinstance(backend, EndpointBackend):
            raise TypeError("moto_ext.install() has not swapped the SageMaker backend in")
        return backend

    def invoke(
        self,
        endpoint_name: str,
        body: bytes,
        content_type: str | None,
        accept: str | None,
        custom_attributes: str | None,
        target_variant: str | None,
        inference_id: str | None,
        target_model: str | None,
    ) -> tuple[Invocation, str]:
        """The container's answer and the variant that gave it."""
        if len(body) > MAX_BODY:
            raise ValidationError(
                f"1 validation error detected: Value at 'body' failed to satisfy constraint: Member must "
                f"have length less than or equal to {MAX_BODY}"
            )
        if target_model is not None:
            raise ValidationError(
                f"Endpoint {endpoint_name} is not a multi-model endpoint: TargetModel is not allowed."
            )
        try:
            routed = self._endpoints().invoke_endpoint(
                endpoint_name, body, content_type, accept, custom_attributes, target_variant, inference_id
            )
        except (OSError, http.client.HTTPException) as error:
            raise ServiceUnavailable(
                f"The model server of endpoint {endpoint_name} did not answer ({error}); see its CloudWatch Logs."
            ) from None
        if routed is None:
            raise ValidationError(f"Endpoint {endpoint_name} of account {self.account_id} not found.")
        answer, variant, logs = routed
        if answer.status != 200:
            raise self._model_error(endpoint_name, answer, logs)
        return answer, variant.name

    def _model_error(self, endpoint_name: str, answer: Invocation, logs: ContainerLogs) -> ModelError:
        kind = "client" if 400 <= answer.status < 500 else "server"
        text = answer.body.decode("utf-8", "replace")
        region = self.region_name
        message = (
            f'Received {kind} error ({answer.status}) from primary with message "{text}". See '
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logEventViewer:"
            f"group=/aws/sagemaker/Endpoints/{endpoint_name} in account {self.account_id} for more information."
        )
        return ModelError(message, answer.status, text, logs.arn)
