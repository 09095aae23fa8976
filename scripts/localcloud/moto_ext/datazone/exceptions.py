"""DataZone errors, by the codes botocore's model declares for its operations."""

from __future__ import annotations

from moto.core.exceptions import ServiceException


class DataZoneClientError(ServiceException):
    pass


class ResourceNotFoundException(DataZoneClientError):
    code = "ResourceNotFoundException"


class ConflictException(DataZoneClientError):
    code = "ConflictException"


class ValidationException(DataZoneClientError):
    code = "ValidationException"


class AccessDeniedException(DataZoneClientError):
    """DataZone's own authorization refused the caller (project membership, the domain's
    association), after IAM allowed the call: HTTP 403, as the model declares."""

    code = "AccessDeniedException"
