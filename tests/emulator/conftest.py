"""Fixtures for the emulator's own tests: moto in-process with the kit's extensions installed."""

from __future__ import annotations

import pytest
from moto import mock_aws

from scripts.localcloud.moto_ext import install


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials so nothing can reach a real account."""
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def mocked(aws_env: None):
    """moto in-process with the extensions, fresh state per test."""
    install()
    with mock_aws():
        yield


class Clock:
    """The local cloud's provisioning clocks, moved by a test instead of slept through: a delay
    long enough never to pass by itself on a loaded machine, then :meth:`advance` past it."""

    def __init__(self) -> None:
        self.offset = 0.0

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from datetime import timedelta

    from moto.core.utils import utcnow

    from scripts.localcloud.moto_ext.datazone import models as datazone_models
    from scripts.localcloud.moto_ext.sagemaker import endpoints, monitoring, provisioning, studio, transform

    moved = Clock()
    monotonic = datazone_models.clock
    monkeypatch.setattr(datazone_models, "clock", lambda: monotonic() + moved.offset)
    for module in (provisioning, studio, endpoints, monitoring, transform):
        monkeypatch.setattr(module, "utcnow", lambda: utcnow() + timedelta(seconds=moved.offset))
    return moved
