"""``pip`` inside a local-cloud job (run as ``pip ...`` or ``python -m pip ...``).

In a SageMaker container ``pip install -r requirements.txt`` installs into the container. In the
local cloud every job runs with the server's own interpreter, which nothing may change, so:

* ``pip install ...`` checks, without installing or downloading anything (``--dry-run
  --no-index``), that the interpreter already satisfies the requirements: it passes when it does
  and fails the job with pip's reason when it does not;
* ``pip uninstall ...`` uninstalls nothing and passes (the SDK's generated scripts uninstall
  ``typing`` before installing requirements);
* any other pip command fails with this explanation.

Run by the shims :func:`scripts.localcloud.containers.runner.write_shims` writes.
"""

from __future__ import annotations

import subprocess
import sys

NOTE = (
    "local cloud: jobs run with the local cloud's own Python interpreter, which is shared and never changed;"
)


def main(argv: list[str]) -> int:
    if not argv:
        print(f"{NOTE} pip is only available to check requirements (pip install).", file=sys.stderr)
        return 1
    command, rest = argv[0], argv[1:]
    if command == "uninstall":
        print(f"{NOTE} nothing uninstalled ({' '.join(rest)}).")
        return 0
    if command != "install":
        print(f"{NOTE} 'pip {command}' is not available in a job.", file=sys.stderr)
        return 1
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--no-index",
            "--disable-pip-version-check",
            *rest,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if checked.returncode != 0:
        print(
            f"{NOTE} these requirements are not all satisfied by it, and nothing can be installed:\n"
            + (checked.stderr or checked.stdout),
            file=sys.stderr,
        )
        return 1
    print(f"{NOTE} requirements already satisfied, nothing installed.\n{checked.stdout}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
