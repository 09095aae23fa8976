"""Start, reuse, stop and describe the local cloud (the emulator process) from Python."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from scripts.errors import KitError

from .accounts import PEOPLE_FILE

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STATE_DIR = REPO_ROOT / ".localcloud"
DEFAULT_REGION = "us-east-1"
START_TIMEOUT_S = 60.0


class LocalCloudError(KitError, RuntimeError):
    """The emulator could not be started, reached or stopped; the message says what to do (exit 1)."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _responds(url: str, timeout: float = 2.0) -> bool:
    # Loopback never goes through a proxy, whatever HTTP(S)_PROXY says.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/moto-api/", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


class LocalCloud:
    """The local multi-account AWS emulator: moto server + the kit's extensions on 127.0.0.1.

    ``with LocalCloud(state_dir=tmp) as cloud: boto3.client("s3", endpoint_url=cloud.url)``

    Args:
        state_dir: where ``state.json`` and ``server.log`` live (default ``<repo>/.localcloud``,
            or ``$MLGOV_LOCALCLOUD_DIR``).
        region: ``AWS_DEFAULT_REGION`` handed to clients.
        enforce_iam: authenticate every request (SigV4 against known keys) and authorize it with
            IAM as AWS does, which is the default: clients then sign with the admin user's keys
            (``env()`` hands them out). ``False`` accepts any credentials and allows every call
            (for debugging only: a local run then proves nothing about permissions). ``None``
            (the default) starts an enforcing cloud, and reuses a running one whichever way it
            was started; ``True`` / ``False`` refuse to reuse a cloud started the other way.
        environments_dir: environment YAMLs whose accounts are provisioned (default: the kit's).
        load_managed_policies: create every AWS-managed IAM policy in every account at start-up
            (moto's ``MOTO_IAM_LOAD_MANAGED_POLICIES``; slow). Not needed: without it an
            AWS-managed policy appears in an account the first time a call names it.
    """

    def __init__(
        self,
        state_dir: str | Path | None = None,
        region: str = DEFAULT_REGION,
        enforce_iam: bool | None = None,
        environments_dir: str | Path | None = None,
        load_managed_policies: bool = False,
    ) -> None:
        chosen = state_dir or os.environ.get("MLGOV_LOCALCLOUD_DIR") or DEFAULT_STATE_DIR
        self.state_dir = Path(chosen).resolve()
        self.region = region
        self.enforce_iam = enforce_iam
        self.environments_dir = Path(environments_dir).resolve() if environments_dir else None
        self.load_managed_policies = load_managed_policies
        self._state: dict[str, Any] | None = None
        self._owned = False

    # -- state --------------------------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        return self.state_dir / "state.json"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "server.log"

    @property
    def people_file(self) -> Path:
        """Who signs in to which role, per account (``accounts.provision_people``)."""
        return self.state_dir / PEOPLE_FILE

    def _read_state(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def running_state(self) -> dict[str, Any] | None:
        """The recorded server if its process is alive and answering, else None."""
        state = self._read_state()
        if state and _alive(int(state["pid"])) and _responds(state["url"]):
            return state
        return None

    @property
    def url(self) -> str:
        if self._state is None:
            self._state = self.running_state()
        if self._state is None:
            raise LocalCloudError("the local cloud is not running: start it with `mlgov cloud start`")
        return str(self._state["url"])

    def env(self) -> dict[str, str]:
        """Environment variables that point boto3, the AWS CLI and Terraform at the emulator."""
        url = self.url
        assert self._state is not None
        enforced = bool(self._state.get("enforce_iam"))
        return {
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": self._state["admin_access_key_id"] if enforced else "test",
            "AWS_SECRET_ACCESS_KEY": self._state["admin_secret_access_key"] if enforced else "test",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            # The admin user lives in the management account, the local cloud's identity
            # provider: jobs sign in to each account as the person whose role they need, then
            # assume that role (scripts/governance/context.py, MLGOV_PEOPLE; accounts.py).
            "MLGOV_PEOPLE": str(self.people_file),
            # No instance metadata lookups on a laptop or CI runner.
            "AWS_EC2_METADATA_DISABLED": "true",
            # A corporate proxy must not see (or break) calls to the loopback emulator.
            "NO_PROXY": ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"])),
        }

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self, reuse: bool = True) -> LocalCloud:
        """Start the emulator (or reuse a running one recorded in ``state.json``)."""
        running = self.running_state()
        if running is not None:
            enforced = bool(running.get("enforce_iam"))
            if reuse and self.enforce_iam in (None, enforced):
                log.info("reusing the local cloud at %s (pid %s)", running["url"], running["pid"])
                self._state = running
                return self
            raise LocalCloudError(
                f"a local cloud already runs at {running['url']} (pid {running['pid']}, IAM "
                f"enforced: {running.get('enforce_iam')}); stop it first with "
                f"`mlgov cloud stop`"
            )
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state_file.unlink(missing_ok=True)
        ready = self.state_dir / "ready.json"
        ready.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "scripts.localcloud.server",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--ready-file",
            str(ready),
        ]
        if self.environments_dir:
            command += ["--environments-dir", str(self.environments_dir)]
        if self.enforce_iam is not False:
            command.append("--enforce-iam")
        if self.load_managed_policies:
            command.append("--load-managed-policies")
        env = {k: v for k, v in os.environ.items() if k != "INITIAL_NO_AUTH_ACTION_COUNT"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        with open(self.log_file, "ab") as log_handle:
            # A session of its own: the server outlives `python -m scripts.localcloud start`.
            process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not ready.exists():
            if process.poll() is not None:
                raise LocalCloudError(
                    f"the emulator exited with code {process.returncode} while starting; see {self.log_file}"
                )
            if time.monotonic() > deadline:
                process.terminate()
                raise LocalCloudError(
                    f"the emulator did not start within {START_TIMEOUT_S:.0f} s; see {self.log_file}"
                )
            time.sleep(0.1)
        state = json.loads(ready.read_text(encoding="utf-8"))
        state["region"] = self.region
        state["log_file"] = str(self.log_file)
        self.people_file.write_text(
            json.dumps(state.pop("people", {"accounts": {}}), indent=2), encoding="utf-8"
        )
        self.state_file.write_text(json.dumps(state, indent=2), encoding="utf-8")
        ready.unlink(missing_ok=True)
        self._state = state
        self._owned = True
        log.info("local cloud started at %s (pid %s)", state["url"], state["pid"])
        return self

    def stop(self) -> bool:
        """Stop the recorded emulator; returns False if none was running."""
        state = self._read_state()
        self._state = None
        self._owned = False
        if not state:
            return False
        pid = int(state["pid"])
        stopped = False
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while _alive(pid) and time.monotonic() < deadline:
                # Reap it if it is our child, so it does not linger as a zombie.
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
                time.sleep(0.05)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
            stopped = True
        self.state_file.unlink(missing_ok=True)
        return stopped

    def status(self) -> dict[str, Any]:
        """What ``python -m scripts.localcloud status`` reports."""
        state = self.running_state()
        if state is None:
            return {"running": False, "state_file": str(self.state_file)}
        public = {k: v for k, v in state.items() if not k.startswith("admin_")}
        return {"running": True, "state_file": str(self.state_file), **public}

    def __enter__(self) -> LocalCloud:
        return self.start(reuse=True)

    def __exit__(self, *exc: object) -> None:
        # Stop only a server this object started; a reused one belongs to someone else.
        if self._owned:
            self.stop()
