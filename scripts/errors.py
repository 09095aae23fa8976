"""Exit codes and the errors every command reports to a person (jobs, deploy runner, CI helpers).

Exit codes: 0 done, 1 refused by a gate or failed, 2 bad usage or input (nothing was changed),
130 interrupted (Ctrl-C). :mod:`scripts.command` is where an error becomes its exit code and its
one line on stderr.
"""

from __future__ import annotations

from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: A command stopped by Ctrl-C (128 + SIGINT, as a shell reports it).
EXIT_INTERRUPTED = 130


class KitError(Exception):
    """Base of every error a command reports to a person; ``exit_code`` is what the CLI returns."""

    exit_code = EXIT_FAILED

    def to_dict(self) -> dict[str, Any]:
        return {"error": type(self).__name__, "message": str(self)}

    def details(self) -> list[str]:
        """Lines printed under the error line (a refusal: one per failed gate)."""
        return []


class UsageError(KitError):
    """Bad input (unknown environment, version or option, malformed file): the message names it
    and how to fix it. Nothing was changed."""

    exit_code = EXIT_USAGE


class AwsError(KitError):
    """An AWS call failed (exit 1); made from a botocore ``ClientError`` by
    :func:`scripts.aws.describe_client_error`, the message names the operation and the role."""


class PermissionDeniedError(AwsError):
    """AWS denied a call; the message names the role, the action and the resource."""


class CredentialsError(AwsError):
    """A role could not be assumed, or it handed out credentials that were already expired."""


class AwsCallError(AwsError):
    """Any other AWS error, with the operation that failed."""
