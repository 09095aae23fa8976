"""The serving half of the SageMaker backend, as one part: hosting (``endpoints.py``), batch
transform (``transform.py``) and Model Monitor (``monitoring.py``).
:class:`~.models.GovernanceSageMakerBackend` is composed of :class:`ServingBackend` like its
other parts."""

from __future__ import annotations

from .monitoring import MonitoringBackend


class ServingBackend(MonitoringBackend):
    """Models, endpoint configs, endpoints, transform jobs and Model Monitor."""


__all__ = ["ServingBackend"]
