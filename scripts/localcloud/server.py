"""The emulator process: moto's server with the kit's extensions, on loopback.

Run by :class:`scripts.localcloud.LocalCloud` as ``python -m scripts.localcloud.server``; it
installs the moto extensions, provisions every environment's account (deploy roles, and the people
the configuration names: ``accounts.provision_people``), binds a free
port on 127.0.0.1, writes ``{"url", "port", "pid", ...}`` to ``--ready-file`` and serves until it
receives SIGTERM or SIGINT.

IAM enforcement: with ``--enforce-iam`` the process sets moto's ``INITIAL_NO_AUTH_ACTION_COUNT``
to 0 before moto reads its settings, so every request is authenticated (SigV4 against known keys)
and authorized against the caller's IAM policies. The plain ``test`` keys are then unknown;
callers use the admin user's keys written to the ready file (``LocalCloud.env()`` does this).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import signal
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.localcloud.server",
        description="Serve the local multi-account AWS emulator (moto + the kit's extensions).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="Address to bind (loopback by default).")
    parser.add_argument("--port", type=int, default=0, help="Port to bind; 0 picks a free port.")
    parser.add_argument(
        "--ready-file", type=Path, required=True, help="Where to write the server's url once it serves."
    )
    parser.add_argument(
        "--environments-dir",
        type=Path,
        default=None,
        help="Environment YAMLs whose accounts to provision (default: the kit's environments/).",
    )
    parser.add_argument(
        "--enforce-iam",
        action="store_true",
        help="Authenticate and authorize every request with IAM (moto INITIAL_NO_AUTH_ACTION_COUNT=0).",
    )
    parser.add_argument(
        "--load-managed-policies",
        action="store_true",
        help="Create the AWS-managed IAM policies in every account (moto MOTO_IAM_LOAD_MANAGED_POLICIES).",
    )
    return parser.parse_args(argv)


class SerializedApp:
    """The WSGI app of the local cloud: one request at a time, each logged with its operation.

    moto's backends are dicts and lists changed without locks (security group rules, model
    packages, tags ...), and each request would be served on a thread of its own; serving one
    at a time keeps every request's view of the backends consistent. It costs little: moto's
    work is Python under the GIL, so threads never ran it in parallel, and the clients' long
    waits (provider polling) happen on their side. The operation log is how the remaining
    concurrent-apply race was narrowed to repeated requests (docs/emulator-gaps.md).
    """

    def __init__(self, app: Any, *, remembered: int = 4096) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.remembered = remembered
        #: Answers by SDK invocation id (the ``amz-sdk-invocation-id`` header, the same on every
        #: attempt of one call): a retry of a call that already succeeded gets that answer again.
        self.answers: OrderedDict[str, tuple[str, list[tuple[str, str]], bytes]] = OrderedDict()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        operation = environ.get("HTTP_X_AMZ_TARGET") or _query_action(body) or ""
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID", "")
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
        #: Where a request's time goes (waiting for the lock vs served), and which connection it
        #: came on: what tells a slow answer from a lost one in the log.
        arrived = time.monotonic()
        peer = f"{environ.get('REMOTE_ADDR', '')}:{environ.get('REMOTE_PORT', '')}"
        attempt = environ.get("HTTP_AMZ_SDK_REQUEST", "")
        with self.lock:
            started = time.monotonic()
            if invocation and invocation in self.answers:
                # The client sent this call again although it succeeded: its first answer was
                # lost on the way (the transport, not AWS's semantics). AWS's client would have
                # received it, so the local cloud repeats it instead of doing the write twice.
                code, headers, payload = self.answers[invocation]
                log.info(
                    "%s %s %s -> %s (repeated, %s %s) from %s waited %.3fs",
                    method,
                    path,
                    operation,
                    code,
                    invocation,
                    attempt,
                    peer,
                    started - arrived,
                )
                start_response(code, headers)
                return [payload]
            answer: list[Any] = []

            def recording_start_response(code: str, headers: Any, exc_info: Any = None) -> Any:
                answer[:] = [code, list(headers)]
                return start_response(code, headers, exc_info)

            chunks = self.app(environ, recording_start_response)
            try:
                payload = b"".join(chunks)
            finally:
                getattr(chunks, "close", lambda: None)()
            code = answer[0] if answer else "?"
            if invocation and code.startswith("2"):
                self.answers[invocation] = (code, answer[1], payload)
                while len(self.answers) > self.remembered:
                    self.answers.popitem(last=False)
        if operation:
            log.info(
                "%s %s %s -> %s [%s %s] from %s waited %.3fs served %.3fs",
                method,
                path,
                operation,
                code,
                invocation,
                attempt,
                peer,
                started - arrived,
                time.monotonic() - started,
            )
        return [payload]


def _query_action(body: bytes) -> str:
    """The Action of a query-protocol request (EC2, IAM, STS ...), for the server log."""
    if not body.startswith(b"Action="):
        return ""
    return body.split(b"&", 1)[0].removeprefix(b"Action=").decode("ascii", "replace")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.enforce_iam:
        # moto reads this once, when moto.settings is first imported: set it before any import.
        os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"
    if args.load_managed_policies:
        # AWS-managed policies (PowerUserAccess, ReadOnlyAccess, ...) exist in every AWS account;
        # moto creates them in each account only with this switch, at a cost of seconds per
        # account on a busy machine, so it is opt-in (or inherited from the environment).
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    class SerializedMotoServer(ThreadedMotoServer):
        """moto's server, serving one request at a time (see :class:`SerializedApp`)."""

        def _server_entry(self) -> None:
            app = SerializedApp(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(self._ip_address, self._port, app, True)
            self._server_ready_event.set()
            self._server.serve_forever()

    from .accounts import provision_admin_user, provision_deploy_roles, provision_people
    from .moto_ext import install

    install()
    roles = provision_deploy_roles(args.environments_dir)
    people = provision_people(args.environments_dir)
    admin = provision_admin_user()
    server = SerializedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    state = {
        "url": f"http://{host}:{port}",
        "host": host,
        "port": port,
        "pid": os.getpid(),
        "enforce_iam": bool(args.enforce_iam),
        "deploy_roles": roles,
        "people": people,
        "admin_access_key_id": admin.access_key_id,
        "admin_secret_access_key": admin.secret_access_key,
    }
    # Write then rename: the parent never reads a half-written file.
    partial = args.ready_file.with_suffix(".partial")
    partial.write_text(json.dumps(state), encoding="utf-8")
    partial.replace(args.ready_file)
    log.info("local cloud serving on %s (IAM enforced: %s)", state["url"], args.enforce_iam)

    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    stopping.wait()
    # Everything the emulator holds is in memory, so there is nothing to save or close: exit at
    # once instead of waiting for werkzeug's poll loop and the interpreter's teardown of a large
    # heap (about a second after a three-environment apply).
    from .containers.runner import terminate_all

    terminate_all()  # the jobs' processes end with the local cloud
    log.info("local cloud stopped")
    logging.shutdown()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
