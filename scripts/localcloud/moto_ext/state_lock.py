"""One lock over moto's backends, held by every request and by the local cloud's own background
work (pipeline executions and jobs, which run on threads of the server process).

moto's backends are plain dicts and lists. The server already serves one request at a time
(``server.SerializedApp``), but an execution's thread changes the backends between requests: a
job's status, the lineage SageMaker records when a job ends. Without a common lock a request
listing artifacts could iterate a dict while a job adds to it. :data:`STATE_LOCK` is taken around
every request, served over HTTP (``DomainDispatcherApplication.__call__``) or in-process under
``mock_aws`` (``BotocoreStubber.__call__``), and by the background work around each change it
makes. Background work never holds it while it calls the local cloud itself (as the job's or the
pipeline's role), so a request never waits on a thread that waits on a request.

:func:`register` replaces two methods on moto's classes (``type: ignore[method-assign]``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.core.botocore_stubber import BotocoreStubber
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

STATE_LOCK = threading.RLock()

_registered = False


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with STATE_LOCK:
            return method(*args, **kwargs)

    return locked


def register() -> None:
    """Take :data:`STATE_LOCK` around every request (idempotent)."""
    global _registered
    if _registered:
        return
    BotocoreStubber.__call__ = _locked(BotocoreStubber.__call__)  # type: ignore[method-assign]
    DomainDispatcherApplication.__call__ = _locked(DomainDispatcherApplication.__call__)  # type: ignore[method-assign]
    _registered = True
