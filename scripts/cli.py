"""``mlgov``: the one console entry for everything a user runs.

    mlgov seed    --env dev
    mlgov register --env dev --use-case credit-risk --artifact model.tar.gz --image URI
                   --metrics evaluation.json --card card.json [--dataset URI] [--bias-report ...]
    mlgov review  --env dev --version 1 --status PendingReview --reason "..."   (card status)
    mlgov approve --env dev --version 1 --reason "..." [--decision Rejected]
    mlgov reject  --env dev --version 1 --reason "..."
    mlgov stage   --env prod --version 1 --status Deployed --reason "..."
    mlgov promote --env staging --version 1
    mlgov report  [--json | --html report.html]
    mlgov lineage --env prod --version 1 [--json]
    mlgov serve   --env prod --version 1 --reason "..." [--undeploy]   (as the model-deploy role)
    mlgov invoke  --env prod --csv rows.csv
    mlgov monitor --env prod
    mlgov batch   --env prod --version 1 --csv rows.csv --reason "..."   (a batch transform job)
    mlgov pipeline upsert|start|status|wait|list --env dev [--use-case credit-risk]
                   [--parameter Name=Value ...] [--wait]
    mlgov data    setup|publish|subscribe|approve-subscription|reject-subscription|revoke|list|publish-model
    mlgov demo    [--keep-running]
    mlgov deploy  plan|apply|drift|refresh|destroy|synth [--env dev] [--target local|aws] [--json]
    mlgov deploy  principals [--env dev] [--target local|aws]   # policies naming a recreated role
    mlgov cloud   start|status|env|stop
    mlgov bench   [--only synth]

Every command hands the rest of its command line to the ``main(argv)`` of the module that
defines it (the job, ``scripts.demo``, ``scripts.deploy``, ``scripts.localcloud``,
``scripts.bench``), imported only then, so its options are defined once and ``mlgov <command>
--help`` shows them (its usage line names it as typed: ``usage: mlgov <command>``). Each
``main`` runs through the command edge (:mod:`scripts.command`): logging, ``--json``, one
``error: ...`` line and the exit code. ``python -m <module>`` keeps working the same way. The
exit code is the command's: 0 done, 1 refused or failed, 2 bad usage or input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scripts.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE


@dataclass(frozen=True)
class Command:
    help: str
    """The one line ``mlgov --help`` shows."""
    module: str
    """The module whose ``main(argv)`` runs the command (imported only when it is used)."""
    prefix: tuple[str, ...] = ()
    """Arguments put before the user's, e.g. the job's own subcommand."""


COMMANDS: dict[str, Command] = {
    "seed": Command("register the sample model versions with their cards", "scripts.governance.seed"),
    "register": Command(
        "register a model your team trained: its archive, card, metrics, reports, lineage",
        "scripts.governance.register",
    ),
    "review": Command(
        "move a model card: Draft -> PendingReview -> Approved (and back)",
        "scripts.governance.review",
        ("card",),
    ),
    "approve": Command(
        "approve (or --decision Rejected) a model version", "scripts.governance.review", ("approve",)
    ),
    "reject": Command("reject a model version", "scripts.governance.review", ("reject",)),
    "stage": Command(
        "set a version's lifecycle stage status, e.g. Deployed", "scripts.governance.review", ("stage",)
    ),
    "promote": Command(
        "promote a version from the upstream environment (pull)", "scripts.governance.promote"
    ),
    "report": Command(
        "every version in every environment: approval, card, lifecycle, lineage", "scripts.governance.report"
    ),
    "lineage": Command(
        "a version's lineage: back through every promotion to its training run and dataset",
        "scripts.governance.lineage",
    ),
    "serve": Command(
        "deploy an approved version to its real-time endpoint (blue/green), or --undeploy",
        "scripts.serving.cli",
        ("serve",),
    ),
    "invoke": Command(
        "send rows to a use case's endpoint, print the predictions", "scripts.serving.cli", ("invoke",)
    ),
    "monitor": Command(
        "check the endpoint's captured data (data quality, bias drift against the card), print violations",
        "scripts.serving.cli",
        ("monitor",),
    ),
    "batch": Command(
        "batch inference: a transform job of an approved version over CSV files in S3",
        "scripts.serving.cli",
        ("batch",),
    ),
    "pipeline": Command(
        "upsert|start|status|wait|list a use case's SageMaker Pipeline (builds versions in dev)",
        "scripts.pipelines.cli",
    ),
    "data": Command(
        "training data by DataZone subscription (publish, subscribe, approve, revoke); models in the catalog",
        "scripts.datazone.cli",
    ),
    "demo": Command("deploy on the local emulator and run the whole workflow", "scripts.demo"),
    "deploy": Command(
        "synthesize once, then plan|apply|drift|refresh|destroy every environment with Terraform; bootstrap the accounts",
        "scripts.deploy",
    ),
    # The emulator's command line lives in its __main__ (python -m scripts.localcloud).
    "cloud": Command(
        "start|status|env|stop the local multi-account AWS emulator", "scripts.localcloud.__main__"
    ),
    "bench": Command("run the benchmarks; results in bench-results/bench.json", "scripts.bench"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlgov",
        description="The ML governance platform kit: governance jobs, the demo, the deploy runner, "
        "the local cloud and the benchmarks.",
        epilog="mlgov <command> --help shows the command's options. "
        "Exit codes: 0 done, 1 refused or failed, 2 bad usage or input, 130 interrupted.",
        # An unknown command is reported by main() in the kit's words, not argparse's.
        exit_on_error=False,
    )
    sub = parser.add_subparsers(dest="command", metavar="<command>", title="commands")
    for name, command in COMMANDS.items():
        # No options here: everything after the command belongs to its module's parser,
        # --help included.
        sub.add_parser(name, help=command.help, add_help=False)
    return parser


def _entry(command: Command) -> Callable[[list[str]], int]:
    main: Callable[[list[str]], int] = importlib.import_module(command.module).main
    return main


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        parsed, rest = parser.parse_known_args(args)
    except argparse.ArgumentError:
        # The top level has no option but --help, so its only possible error is the command.
        unknown = next((a for a in args if not a.startswith("-")), "")
        parser.print_usage(sys.stderr)
        print(f"mlgov: error: unknown command {unknown!r} (mlgov --help lists them)", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exit_:  # --help
        return _code(exit_)
    if parsed.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    leading = args[: args.index(parsed.command)]
    if leading:
        parser.print_usage(sys.stderr)
        print(
            f"mlgov: error: unrecognized arguments before the command: {' '.join(leading)}", file=sys.stderr
        )
        return EXIT_USAGE
    command = COMMANDS[parsed.command]
    try:
        return _entry(command)([*command.prefix, *rest])
    except SystemExit as exit_:  # the module's argparse: --help (0) or a usage error (2)
        return _code(exit_)
    except KeyboardInterrupt:  # while the command's module loads; once it runs, its edge says it
        print(f"\ninterrupted: mlgov {parsed.command}; rerun to resume", file=sys.stderr)
        return EXIT_INTERRUPTED


def _code(exit_: SystemExit) -> int:
    if exit_.code is None or isinstance(exit_.code, int):
        return exit_.code or EXIT_OK
    print(exit_.code, file=sys.stderr)
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
