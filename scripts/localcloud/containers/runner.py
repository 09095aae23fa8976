"""Run a job's command the way a SageMaker container runs it: its own ``/opt/ml``, the framework
image's interpreter on ``PATH``, a time limit and a stop.

The command runs under ``unshare -m --propagation private``: in a private mount namespace the
job's directory is bind-mounted on ``/opt/ml`` (``mount --bind``), so the absolute paths of
SageMaker's contract are the job's own and nothing leaks to the host's mount table. This needs
root (``CAP_SYS_ADMIN``), which the local cloud has on the machines the kit runs on (a developer's
container, CI); where it does not, :func:`namespace_problem` says why and the job fails with that
reason instead of running somewhere else.

``python`` and ``python3`` on the job's ``PATH`` are shims for the local cloud's own interpreter
(``sys.executable``), as the scikit-learn image puts its interpreter first on ``PATH``. ``pip``
(and ``python -m pip``) go to :mod:`.pip_guard`: the interpreter is shared by every job and the
server, so nothing may be installed into it; a requirement it already satisfies passes, any other
fails the job with a message saying so.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

OPT_ML = "/opt/ml"
#: ``$0`` = the job's directory, ``$1`` = the working directory, the rest = the command.
_MOUNT_THEN_EXEC = f'mkdir -p {OPT_ML} && mount --bind "$0" {OPT_ML} && cd "$1" && shift && exec "$@"'
#: The scikit-learn image's PATH, less its conda prefix (whose interpreter the shims stand for).
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#: Seconds between SIGTERM and SIGKILL when a job is stopped or runs out of time.
KILL_GRACE_S = 5.0
#: Output lines kept per job (for its log stream and failure reason); later lines are counted.
MAX_OUTPUT_LINES = 20_000


#: The jobs' processes running now and their directories (what :func:`terminate_all` ends and
#: removes when the local cloud stops).
_RUNNING: set[subprocess.Popen[str]] = set()
_DIRECTORIES: set[Path] = set()
_RUNNING_LOCK = threading.Lock()


class NamespaceUnavailable(RuntimeError):
    """This machine cannot give a job a private ``/opt/ml``; the message says why."""


@dataclass(frozen=True)
class RunResult:
    """How a job's command ended."""

    exit_code: int | None
    """The command's exit status (None when it was killed before it ended)."""
    stopped: bool
    """Ended by a stop request."""
    timed_out: bool
    """Ended because it ran longer than its time limit."""
    seconds: float
    output: list[str] = field(default_factory=list)
    """stdout and stderr, line by line, in order (at most :data:`MAX_OUTPUT_LINES`)."""


@cache
def namespace_problem() -> str | None:
    """None when a job can run with its own directory on ``/opt/ml``; else why not (cached: the
    answer does not change while the local cloud runs)."""
    unshare, mount = shutil.which("unshare"), shutil.which("mount")
    if not unshare or not mount:
        return "unshare(1) and mount(8) are needed to give a job its own /opt/ml, and were not found on PATH"
    with tempfile.TemporaryDirectory(prefix="mlgov-ns-probe-") as probe:
        try:
            done = subprocess.run(
                [
                    unshare,
                    "-m",
                    "--propagation",
                    "private",
                    "--",
                    "/bin/sh",
                    "-c",
                    _MOUNT_THEN_EXEC,
                    probe,
                    "/",
                    "true",
                ],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            return f"unshare -m could not be run: {err}"
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip() or f"exit status {done.returncode}"
        return (
            "a private mount namespace with a bind mount on /opt/ml could not be made "
            f"(unshare -m --propagation private + mount --bind need root): {detail}"
        )
    return None


def job_directory(name: str) -> Path:
    """A new directory for one job (under ``$MLGOV_LOCALCLOUD_JOBS_DIR`` or the system's
    temporary directory); :func:`release` removes it."""
    root = Path(os.environ.get("MLGOV_LOCALCLOUD_JOBS_DIR") or tempfile.gettempdir())
    root.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix=f"mlgov-job-{name[:40]}-", dir=root))
    with _RUNNING_LOCK:
        _DIRECTORIES.add(directory)
    return directory


def release(directory: Path) -> None:
    with _RUNNING_LOCK:
        _DIRECTORIES.discard(directory)
    shutil.rmtree(directory, ignore_errors=True)


def write_shims(bin_dir: Path) -> None:
    """``python``/``python3`` (the local cloud's interpreter) and ``pip``/``pip3`` (the guard)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    python = shlex.quote(sys.executable)
    guard = shlex.quote(str(Path(__file__).with_name("pip_guard.py")))
    interpreter = (
        "#!/bin/sh\n"
        f'if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then shift 2; exec {python} {guard} "$@"; fi\n'
        f'exec {python} "$@"\n'
    )
    pip = f'#!/bin/sh\nexec {python} {guard} "$@"\n'
    for name, body in (("python", interpreter), ("python3", interpreter), ("pip", pip), ("pip3", pip)):
        path = bin_dir / name
        path.write_text(body, encoding="utf-8")
        path.chmod(0o755)


def base_environment(bin_dir: Path, home: Path) -> dict[str, str]:
    """What every job's process starts with (the server's own environment is not passed on: a
    container does not inherit its host's)."""
    return {
        "PATH": f"{bin_dir}:{SYSTEM_PATH}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "TRUE",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        # However pip is reached (the SDK's install_requirements.py runs `sys.executable -m pip`),
        # it only checks the shared interpreter: nothing downloaded, nothing installed.
        "PIP_DRY_RUN": "1",
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def run(
    command: Sequence[str],
    *,
    ml_dir: Path,
    env: Mapping[str, str],
    workdir: str = "/",
    time_limit_s: float | None = None,
    stop: threading.Event | None = None,
    on_line: Callable[[str], None] | None = None,
) -> RunResult:
    """Run ``command`` with ``ml_dir`` on ``/opt/ml`` until it ends, is stopped or runs out of
    time (then SIGTERM, and SIGKILL :data:`KILL_GRACE_S` later, to its whole process group).

    Raises :class:`NamespaceUnavailable` when this machine cannot do that."""
    problem = namespace_problem()
    if problem is not None:
        raise NamespaceUnavailable(problem)
    unshare = shutil.which("unshare") or "unshare"
    argv = [unshare, "-m", "--propagation", "private", "--", "/bin/sh", "-c", _MOUNT_THEN_EXEC]
    argv += [str(ml_dir), workdir, *command]
    started = time.monotonic()
    output: list[str] = []
    dropped = 0
    process = subprocess.Popen(
        argv,
        env=dict(env),
        cwd="/",
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )

    def read() -> None:
        nonlocal dropped
        assert process.stdout is not None
        for line in process.stdout:
            text = line.rstrip("\n")
            if len(output) < MAX_OUTPUT_LINES:
                output.append(text)
            else:
                dropped += 1
            if on_line is not None:
                on_line(text)

    with _RUNNING_LOCK:
        _RUNNING.add(process)
    reader = threading.Thread(target=read, name=f"job-output-{process.pid}", daemon=True)
    reader.start()
    stopped = timed_out = False
    while process.poll() is None:
        if stop is not None and stop.is_set():
            stopped = True
        elif time_limit_s is not None and time.monotonic() - started > time_limit_s:
            timed_out = True
        if stopped or timed_out:
            _terminate(process)
            break
        try:
            process.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            continue
    reader.join(timeout=KILL_GRACE_S)
    with _RUNNING_LOCK:
        _RUNNING.discard(process)
    if dropped:
        output.append(f"[local cloud: {dropped} more output lines not kept]")
    exit_code = None if (stopped or timed_out) else process.returncode
    return RunResult(exit_code, stopped, timed_out, time.monotonic() - started, output)


def terminate_all() -> None:
    """Kill every job still running and remove the jobs' directories (the local cloud is
    stopping: its jobs end with it)."""
    with _RUNNING_LOCK:
        running, directories = list(_RUNNING), list(_DIRECTORIES)
    for process in running:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    for directory in directories:
        shutil.rmtree(directory, ignore_errors=True)


def _terminate(process: subprocess.Popen[str]) -> None:
    for sig, wait_s in ((signal.SIGTERM, KILL_GRACE_S), (signal.SIGKILL, KILL_GRACE_S)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue
