"""Exit codes and the errors every command reports to a person (jobs, deploy runner, CI helpers).

Exit codes: 0 done, 1 refused by a gate or failed, 2 bad usage or input (nothing was changed).
"""

from __future__ import annotations

from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class KitError(Exception):
    """Base of every error a command reports to a person; ``exit_code`` is what the CLI returns."""

    exit_code = EXIT_FAILED

    def to_dict(self) -> dict[str, Any]:
        return {"error": type(self).__name__, "message": str(self)}


class UsageError(KitError):
    """Bad input (unknown environment, version or option, malformed file): the message names it
    and how to fix it. Nothing was changed."""

    exit_code = EXIT_USAGE
