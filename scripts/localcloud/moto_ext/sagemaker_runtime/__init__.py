"""SageMaker Runtime (``runtime.sagemaker``): InvokeEndpoint answered by the endpoint's model
servers, replacing moto 5.2.1's canned answers.

Laid out like moto's own package: ``models.py`` (:class:`GovernanceSageMakerRuntimeBackend`),
``responses.py`` (:class:`GovernanceSageMakerRuntimeResponse`), ``urls.py``, ``exceptions.py``.
The endpoints themselves (their fleets, routing and data capture) live on the SageMaker backend
(``sagemaker/endpoints.py``, ``deployments.py``); this package is the runtime's front door: request parsing, AWS's
errors (``ValidationError`` for an endpoint that is not there, ``ModelError`` with the container's
status for a model that failed) and the answer's headers. :func:`register` makes moto build this
backend for every account and region.
"""

from __future__ import annotations

from moto.sagemakerruntime import models as runtime_models

from .models import GovernanceSageMakerRuntimeBackend


def register() -> None:
    """Make moto build the runtime backend of the local cloud (idempotent)."""
    backends = runtime_models.sagemakerruntime_backends
    backends.backend = GovernanceSageMakerRuntimeBackend
    for account_backends in backends.values():
        account_backends.backend = GovernanceSageMakerRuntimeBackend
        for backend in account_backends.values():
            backend.__class__ = GovernanceSageMakerRuntimeBackend


__all__ = ["GovernanceSageMakerRuntimeBackend", "register"]
