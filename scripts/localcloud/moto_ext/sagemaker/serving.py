"""The serving half of the SageMaker backend, as one part: hosting (``endpoints.py``), batch
transform (``transform.py``) and Model Monitor (``monitoring.py``).
:class:`~.models.GovernanceSageMakerBackend` is composed of :class:`ServingBackend` like its
other parts."""

from __future__ import annotations

from .endpoints import EndpointBackend


class ServingBackend(EndpointBackend):
    """Models, endpoint configs, endpoints, transform jobs and Model Monitor."""


__all__ = ["ServingBackend"]
