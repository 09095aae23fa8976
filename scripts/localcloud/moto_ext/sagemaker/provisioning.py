"""The provisioning delay of Studio resources: a new domain, user profile, space or app is
``Pending`` for a configurable time, then ``InService`` (a deleted app is ``Deleting`` as long,
``studio.py``)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from moto.core.utils import utcnow

#: Seconds a new Studio domain or user profile stays ``Pending`` before it is ``InService``
#: (AWS takes minutes; the provider and the scripts must wait either way).
PROVISIONING_DELAY_ENV = "MLGOV_LOCALCLOUD_SAGEMAKER_DELAY_S"
DEFAULT_PROVISIONING_DELAY_S = 2.0


def provisioning_delay() -> timedelta:
    """How long a new domain or user profile is ``Pending`` (read at creation, so a test or the
    server's environment can change it)."""
    raw = os.environ.get(PROVISIONING_DELAY_ENV)
    seconds = DEFAULT_PROVISIONING_DELAY_S if raw in (None, "") else float(raw)
    return timedelta(seconds=max(seconds, 0.0))


class Provisioned:
    """A resource that is ``Pending`` until ``ready_at`` and then ``InService`` (moto sets the
    status once, so the attribute is a property computed on every read)."""

    ready_at: datetime | None = None
    _status: str = "InService"

    def start_provisioning(self) -> None:
        self.ready_at = utcnow() + provisioning_delay()

    @property
    def status(self) -> str:
        if self._status == "InService" and self.ready_at is not None and utcnow() < self.ready_at:
            return "Pending"
        return self._status

    @status.setter
    def status(self, value: str) -> None:
        self._status = value
