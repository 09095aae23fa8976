"""``mlgov cloud start|stop|status|env`` (or ``python -m scripts.localcloud``): run the local
multi-account cloud.

``start`` enforces IAM (SigV4 and IAM policies, as AWS does) unless given ``--no-enforce-iam``;
``env`` then prints the admin user's keys, which ``eval "$(mlgov cloud env)"`` puts in the shell.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys

from scripts import command

from .cloud import LocalCloud


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlgov cloud",
        description=(
            "Start, stop and describe the local multi-account AWS emulator (moto server with the "
            "kit's extensions on 127.0.0.1 and a free port). Each environment's account gets its "
            "deploy role at start-up; reach it with STS AssumeRole. IAM is enforced unless "
            "`start --no-enforce-iam`: `env` prints the admin user's keys to sign with."
        ),
    )
    parser.add_argument(
        "--state-dir", default=None, help="Where state.json and server.log live (default: .localcloud/)."
    )
    parser.add_argument("--region", default="us-east-1", help="AWS_DEFAULT_REGION handed to clients.")
    parser.add_argument("--json", action="store_true", help="Print machine-readable JSON.")
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="Start the emulator, or reuse the running one.")
    start.add_argument(
        "--enforce-iam",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=(
            "Authenticate and authorize every call with IAM, as AWS does (the default). "
            "--no-enforce-iam accepts any credentials and allows every call: for debugging only, "
            "a run without enforcement proves nothing about permissions. Without either flag a "
            "running cloud is reused whichever way it was started."
        ),
    )
    start.add_argument(
        "--managed-policies",
        action="store_true",
        help=(
            "Create every AWS-managed IAM policy in every account at start-up (slow). Not needed: "
            "an AWS-managed policy appears in an account the first time a call names it."
        ),
    )
    start.add_argument("--no-reuse", action="store_true", help="Fail if an emulator is already running.")
    start.add_argument(
        "--environments-dir", default=None, help="Environment YAMLs whose accounts to provision."
    )
    sub.add_parser("stop", help="Stop the running emulator.")
    sub.add_parser("status", help="Report whether the emulator runs, and where (exit 1 when it does not).")
    sub.add_parser("env", help="Print the environment variables that point clients at the emulator.")
    return parser


def main(argv: list[str] | None = None) -> int:
    return command.main(build_parser(), argv, run)


def run(args: argparse.Namespace) -> command.Outcome:
    """One subcommand; it prints its own lines (``status`` exits 1 when no emulator runs)."""
    if args.command == "start":
        cloud = LocalCloud(
            args.state_dir,
            region=args.region,
            enforce_iam=args.enforce_iam,
            environments_dir=args.environments_dir,
            load_managed_policies=args.managed_policies,
        ).start(reuse=not args.no_reuse)
        print(json.dumps(cloud.status(), indent=2) if args.json else f"local cloud running at {cloud.url}")
        return command.Outcome()
    cloud = LocalCloud(args.state_dir, region=args.region)
    if args.command == "stop":
        stopped = cloud.stop()
        print(json.dumps({"stopped": stopped}) if args.json else ("stopped" if stopped else "not running"))
        return command.Outcome()
    if args.command == "status":
        status = cloud.status()
        if args.json:
            print(json.dumps(status, indent=2))
        else:
            print(f"running at {status['url']} (pid {status['pid']})" if status["running"] else "not running")
        return command.Outcome(code=0 if status["running"] else 1)
    variables = cloud.env()
    if args.json:
        print(json.dumps(variables, indent=2))
    else:
        for key, value in variables.items():
            print(f"export {key}={shlex.quote(value)}")
    return command.Outcome()


if __name__ == "__main__":
    sys.exit(main())
