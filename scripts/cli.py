"""``mlgov``: one console entry for the governance jobs.

    mlgov seed    --env dev
    mlgov review  --env dev --version 1 --status PendingReview --reason "..."   (card status)
    mlgov approve --env dev --version 1 --reason "..." [--decision Rejected]
    mlgov reject  --env dev --version 1 --reason "..."
    mlgov stage   --env prod --version 1 --status Deployed --reason "..."
    mlgov promote --env staging --version 1
    mlgov report  [--json | --html report.html]
    mlgov demo    [--keep-running]

Each subcommand takes the options of its job (``mlgov <command> --help``) and returns its exit
code: 0 done, 1 refused or failed, 2 bad usage or input.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

COMMANDS: dict[str, tuple[str, str]] = {
    "seed": ("register the sample model versions with their cards", "seed"),
    "review": ("move a model card: Draft -> PendingReview -> Approved (and back)", "review card"),
    "approve": ("approve (or --decision Rejected) a model version", "review approve"),
    "reject": ("reject a model version", "review reject"),
    "stage": ("set a version's lifecycle stage status, e.g. Deployed", "review stage"),
    "promote": ("promote a version from the upstream environment (pull)", "promote"),
    "report": ("every version in every environment: approval, card, lifecycle, lineage", "report"),
    "demo": ("deploy on the local emulator and run the whole workflow", "demo"),
}


def _job(name: str) -> Callable[[Sequence[str]], int]:
    from . import demo
    from .governance import promote, report, review, seed

    return {
        "seed": seed.main,
        "review": review.main,
        "promote": promote.main,
        "report": report.main,
        "demo": demo.main,
    }[name]


def usage() -> str:
    width = max(len(c) for c in COMMANDS)
    lines = ["usage: mlgov <command> [options]   (mlgov <command> --help for its options)", "", "commands:"]
    lines += [f"  {c.ljust(width)}  {help_}" for c, (help_, _) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command not in COMMANDS:
        print(f"mlgov: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    target = COMMANDS[command][1].split()
    job = _job(target[0])
    try:
        return job(target[1:] + rest)
    except SystemExit as exit_:  # argparse: --help (0) or a usage error (2)
        return int(exit_.code or 0)


if __name__ == "__main__":
    sys.exit(main())
