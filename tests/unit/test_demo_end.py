"""The demo's last words: whether the local cloud is still up, how to connect and how to stop it.

``scripts.demo.main`` runs with the local cloud, the deploy runner and the workflow stood in for,
so only what the demo itself decides and prints is under test.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from scripts import demo

URL = "http://127.0.0.1:4566"


class FakeCloud:
    """The local cloud's lifecycle as the demo uses it; ``already`` is a cloud running before."""

    already = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.running = FakeCloud.already

    def running_state(self) -> dict[str, Any] | None:
        return {"url": URL, "pid": 1} if self.running else None

    def start(self, reuse: bool = True) -> FakeCloud:
        self.running = True
        return self

    def stop(self) -> bool:
        was, self.running = self.running, False
        return was

    @property
    def url(self) -> str:
        return URL

    def env(self) -> dict[str, str]:
        return {}


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    import scripts.deploy
    import scripts.localcloud

    monkeypatch.setattr(scripts.localcloud, "LocalCloud", FakeCloud)
    monkeypatch.setattr(scripts.deploy, "deploy", lambda *args, **kwargs: [])
    monkeypatch.setattr(demo, "_train_samples", lambda pool: None)
    workflow = types.ModuleType("scripts.governance.workflow")
    workflow.run_workflow = lambda *args, **kwargs: {}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "scripts.governance.workflow", workflow)

    def demo_main(*argv: str, already: bool = False) -> list[str]:
        monkeypatch.setattr(FakeCloud, "already", already)
        assert demo.main([*argv, "--skip-deploy"]) == 0
        return capsys.readouterr().out.splitlines()

    return demo_main


def test_the_demo_ends_saying_it_stopped_the_local_cloud_and_how_to_keep_it(run):
    last = run()[-1]
    assert last.startswith("the local cloud is stopped"), last
    assert "`mlgov demo --keep-running`" in last


def test_with_keep_running_it_ends_saying_where_the_cloud_runs_how_to_connect_and_stop(run):
    last = run("--keep-running")[-1]
    assert last.startswith(f"the local cloud is still running at {URL}"), last
    assert '`eval "$(mlgov cloud env)"`' in last and "`mlgov cloud stop`" in last


def test_a_local_cloud_that_ran_before_the_demo_is_left_running_and_said_so(run):
    last = run(already=True)[-1]
    assert last.startswith(f"the local cloud is still running at {URL}"), last
