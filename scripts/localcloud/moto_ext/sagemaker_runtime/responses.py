"""InvokeEndpoint's request parsing and answer (rest-json; the body is the payload as sent)."""

from __future__ import annotations

from moto.core.common_types import TYPE_RESPONSE
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from .models import GovernanceSageMakerRuntimeBackend


class GovernanceSageMakerRuntimeResponse(SageMakerRuntimeResponse):
    @property
    def runtime_backend(self) -> GovernanceSageMakerRuntimeBackend:
        from moto.sagemakerruntime.models import sagemakerruntime_backends

        backend = sagemakerruntime_backends[self.current_account][self.region]
        if not isinstance(backend, GovernanceSageMakerRuntimeBackend):
            raise TypeError("moto_ext.install() has not swapped the SageMaker Runtime backend in")
        return backend

    def invoke_endpoint(self) -> TYPE_RESPONSE:
        from urllib.parse import unquote

        endpoint_name = unquote(self.parsed_url.path.split("/")[2])
        body = self.body if isinstance(self.body, bytes) else (self.body or "").encode("utf-8")
        answer, variant = self.runtime_backend.invoke(
            endpoint_name,
            body,
            content_type=self.headers.get("Content-Type"),
            accept=self.headers.get("Accept"),
            custom_attributes=self.headers.get("X-Amzn-SageMaker-Custom-Attributes"),
            target_variant=self.headers.get("X-Amzn-SageMaker-Target-Variant"),
            inference_id=self.headers.get("X-Amzn-SageMaker-Inference-Id"),
            target_model=self.headers.get("X-Amzn-SageMaker-Target-Model"),
        )
        headers = {"x-Amzn-Invoked-Production-Variant": variant}
        if answer.content_type:
            headers["Content-Type"] = answer.content_type
        if answer.custom_attributes:
            headers["X-Amzn-SageMaker-Custom-Attributes"] = answer.custom_attributes
        return 200, headers, answer.body

    def invoke_endpoint_async(self) -> TYPE_RESPONSE:
        from urllib.parse import unquote

        from .exceptions import ValidationError

        endpoint_name = unquote(self.parsed_url.path.split("/")[2])
        raise ValidationError(
            f"Endpoint {endpoint_name} of account {self.current_account} is not an asynchronous endpoint "
            "(the local cloud serves real-time endpoints only)."
        )
