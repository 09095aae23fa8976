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
