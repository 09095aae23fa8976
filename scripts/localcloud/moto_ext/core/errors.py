"""Authorization failures in the envelope of the protocol of the service that was called
(``auth_errors.py`` explains why moto's single XML envelope is not enough)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from moto.core.exceptions import JsonRESTError, _RESTError


class JsonAuthError(JsonRESTError):
    def __init__(self, error_type: str, message: str, status: int) -> None:
        super().__init__(error_type, message)
        self.code = status


class QueryAuthError(_RESTError):
    """An authorization failure in the query protocol's envelope (one ``Error`` under the root)."""

    def __init__(self, error_type: str, message: str, status: int) -> None:
        super().__init__(error_type, message)
        self.code = status
        self.description = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{escape(error_type)}</Code><Message>{escape(message)}</Message>"
            # moto writes the response's request id into an empty RequestId (_enrich_response).
            "</Error><RequestId></RequestId></ErrorResponse>"
        )
        self.content_type = "text/xml"
