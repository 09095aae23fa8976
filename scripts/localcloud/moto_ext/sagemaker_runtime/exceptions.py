"""SageMaker Runtime's errors, in the JSON its SDKs read (``__type`` and the modelled members)."""

from __future__ import annotations

import json

from moto.core.exceptions import JsonRESTError


class ValidationError(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("ValidationError", message)


class ModelError(JsonRESTError):
    """The model container answered something other than 200 (HTTP 424, with its status and
    message as OriginalStatusCode / OriginalMessage and its log stream)."""

    code = 424

    def __init__(
        self, message: str, original_status: int, original_message: str, log_stream_arn: str
    ) -> None:
        super().__init__("ModelError", message)
        self.description = json.dumps(
            {
                "__type": "ModelError",
                "Message": message,
                "message": message,
                "OriginalStatusCode": original_status,
                "OriginalMessage": original_message,
                "LogStreamArn": log_stream_arn,
            }
        )


class ServiceUnavailable(JsonRESTError):
    """The variant's model server is not answering (its process has gone)."""

    code = 503

    def __init__(self, message: str) -> None:
        super().__init__("ServiceUnavailable", message)
