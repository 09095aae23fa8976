"""Run a SageMaker container stand-in (a model server, the Model Monitor analyzer) as a process
with its ``/opt/ml`` layout, the way a SageMaker instance runs the container. (A processing or
training job's own command runs through :mod:`.runner`.)

A container sees ``/opt/ml/model`` (the extracted model archive), ``/opt/ml/code``,
``/opt/ml/processing/...`` and so on at fixed paths. The local cloud gives each process its own
mount namespace (``unshare --mount --propagation private``) with a tmpfs on ``/opt/ml`` and each
host directory bind-mounted where the container expects it, so two variants (or two jobs) see
their own ``/opt/ml/model`` at once and the host's ``/opt/ml`` is never touched. This needs root
(or ``CAP_SYS_ADMIN``) and util-linux's ``unshare``; without them the container fails with a
reason saying so.

A :class:`Container` is started once and stays up until :meth:`Container.stop` (a model server
lives as long as its endpoint's variant); it exits by itself when the local cloud's process is
gone (the stand-ins watch their parent). Its output is kept (the last lines, for failure reasons)
and handed to a log sink (the endpoint's CloudWatch Logs stream).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .runner import OPT_ML, namespace_problem

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[3]
PARENT_PID_ENV = "MLGOV_LOCALCLOUD_PARENT_PID"
#: Lines of a container's output kept for failure reasons.
TAIL_LINES = 60


class ContainerError(RuntimeError):
    """The container could not start or did not become healthy; the message says why."""


@dataclass(frozen=True)
class Mount:
    """A host directory seen by the container at ``/opt/ml/<target>``."""

    source: Path
    target: str


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def isolation_available() -> str | None:
    """None when containers can be run here, else why not: the jobs' probe of a private mount
    namespace with a mount on ``/opt/ml`` (:func:`.runner.namespace_problem`, which also makes
    ``/opt/ml``), one check for every process the local cloud runs as a container."""
    return namespace_problem()


def _launch_script(mounts: Sequence[Mount], argv: Sequence[str]) -> str:
    steps = ["set -e", f"mount -t tmpfs -o mode=0755 mlgov-opt-ml {OPT_ML}"]
    for mount in mounts:
        target = f"{OPT_ML}/{mount.target.strip('/')}"
        steps.append(f"mkdir -p {shlex.quote(target)}")
        steps.append(f"mount --bind {shlex.quote(str(mount.source))} {shlex.quote(target)}")
    steps.append("exec " + " ".join(shlex.quote(a) for a in argv))
    return "; ".join(steps)


class Container:
    """One container stand-in process: ``python -m <module>`` with ``env`` and ``mounts``."""

    def __init__(
        self,
        name: str,
        module: str,
        *,
        env: Mapping[str, str],
        mounts: Sequence[Mount],
        log_sink: Callable[[str], None] | None = None,
    ) -> None:
        self.name = name
        self.module = module
        self.env = dict(env)
        self.mounts = list(mounts)
        self.log_sink = log_sink
        self.process: subprocess.Popen[bytes] | None = None
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self.started_at: float | None = None
        self.port: int | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, *, port: int | None = None) -> None:
        unavailable = isolation_available()
        if unavailable:
            raise ContainerError(
                f"the local cloud cannot give the container its {OPT_ML} mounts: {unavailable}"
            )
        for mount in self.mounts:
            if not mount.source.is_dir():
                raise ContainerError(f"{mount.source} (for {OPT_ML}/{mount.target}) is not a directory")
        self.port = port
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "PYTHONPATH": str(REPO_ROOT),
            "PYTHONUNBUFFERED": "1",
            # One instance's worth of threads: BLAS/OpenMP pools sized to the host's cores only
            # contend with the local cloud and the other containers.
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            PARENT_PID_ENV: str(os.getpid()),
            **self.env,
        }
        if port is not None:
            env["SAGEMAKER_BIND_TO_PORT"] = str(port)
        # Run the module's file, not ``-m``: ``-m`` would import the kit's packages above it
        # (scripts.localcloud imports the cloud's client), a quarter second of every start.
        argv = [sys.executable, str(REPO_ROOT / (self.module.replace(".", "/") + ".py"))]
        command = ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c"]
        command.append(_launch_script(self.mounts, argv))
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        threading.Thread(target=self._pump, name=f"container-log-{self.name}", daemon=True).start()

    def _pump(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.tail.append(line)
            if self.log_sink is not None:
                try:
                    self.log_sink(line)
                except Exception:  # a log sink must never stop the container's output
                    log.exception("log sink of %s failed", self.name)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self, lines: int = 12) -> str:
        return "\n".join(list(self.tail)[-lines:])

    def wait(self, timeout: float | None = None) -> int:
        """Wait for a job container to exit; its exit code."""
        assert self.process is not None
        code = self.process.wait(timeout=timeout)
        # Let the pump read the last lines.
        time.sleep(0.05)
        return code

    def stop(self, grace: float = 5.0) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait(timeout=grace)

    # -- serving -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout: float, *, failures_to_give_up: int = 3) -> float:
        """Ping ``/ping`` (2 s a ping, as SageMaker) until it answers 200: the seconds it took.

        SageMaker pings until the variant's startup health check timeout. Here an answer other
        than 200 three times in a row also ends it (a model whose load raises answers 500 on
        every ping, and would only be retried until the timeout), as does the process exiting.
        """
        assert self.started_at is not None
        deadline = time.monotonic() + timeout
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        failed = 0
        last = "no answer"
        while time.monotonic() < deadline:
            if not self.running():
                code = self.process.returncode if self.process else None
                raise ContainerError(
                    f"the container exited with code {code} before passing the ping health check"
                )
            try:
                with opener.open(f"{self.url}/ping", timeout=2.0) as answer:
                    if answer.status == 200:
                        return time.monotonic() - self.started_at
                    last = f"HTTP {answer.status}"
            except urllib.error.HTTPError as error:
                last = f"HTTP {error.code}"
                failed += 1
                if failed >= failures_to_give_up:
                    raise ContainerError(f"/ping answered {last} {failed} times in a row") from None
                time.sleep(0.2)
                continue
            except (urllib.error.URLError, OSError) as error:
                last = str(getattr(error, "reason", error))
            failed = 0
            time.sleep(0.1)
        raise ContainerError(f"/ping did not answer 200 within {timeout:.0f} s (last: {last})")
