"""Helpers for the GitHub Actions workflows in ``.github/workflows/`` (needs only PyYAML).

    python -m scripts.deploy.ci matrix                          # {"include": [...]} for a job matrix
    python -m scripts.deploy.ci check-stacks                    # the stacks can be applied at once
    python -m scripts.deploy.ci env --env prod                  # key=value lines for $GITHUB_OUTPUT
    python -m scripts.deploy.ci plan-override --env dev --stack-dir cdktf.out/stacks/dev

``matrix`` lists the environments (in apply order, downstream first) with the role ARNs the
bootstrap created; it refuses an environment without ``remote_state``, because a CI run with
local state would forget everything it applied. The apply workflow applies every environment at
once, as the deploy runner does; ``check-stacks`` (run after synthesis) refuses, as the runner
does, stacks of which one names another's role as a principal (:mod:`.cross_stack`): those could
not be applied at once.

``associate`` runs in each environment associated with the DataZone domain, with that
environment's deploy role (the job's OIDC credentials), after every environment is applied: it
accepts the pending invitation of the domain's RAM share and checks the account has the domain
(:mod:`.association`, the step ``mlgov deploy apply`` ends with); ``matrix --datazone-associated``
lists those environments.

``plan-override`` writes ``zz_ci_plan_override.tf.json`` beside a synthesized stack: the stack's
provider assumes the *deploy* role, which pull-request and drift jobs must not hold; the override
makes it assume the read-only plan role instead (Terraform merges ``*_override.tf.json`` files
into the configuration; the stack JSON itself is unchanged).

Exit codes: 0 done, 1 the association failed (``associate``), 2 bad usage or configuration (the
message says what to fix).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from environments import PlatformConfig, load_platform
from environments.naming import Names
from scripts import command
from scripts.errors import UsageError

from .cross_stack import check_stacks
from .runner import environments_dir
from .targets import STACK_FILE

logger = logging.getLogger(__name__)

PLAN_OVERRIDE_FILE = "zz_ci_plan_override.tf.json"


def describe(platform: PlatformConfig, env_name: str) -> dict[str, Any]:
    """What a workflow job needs to know about one environment."""
    env = platform.env(env_name)
    names = Names.of(platform, env)
    return {
        "env": env.name,
        "tier": env.tier.value,
        "account_id": env.account_id,
        "region": env.region,
        "deploy_role_arn": env.deploy_role_arn,
        "plan_role_arn": names.plan_role_arn,
        "state_bucket": names.state_bucket,
        "state_key": names.state_key,
    }


def matrix(
    platform: PlatformConfig,
    *,
    require_remote_state: bool = True,
    datazone_associated: bool = False,
) -> dict[str, Any]:
    """``{"include": [...]}``, one entry per environment, in apply order (downstream first);
    ``datazone_associated``: only the accounts associated with the DataZone domain."""
    envs = platform.apply_order()
    if datazone_associated:
        envs = [e for e in envs if e.account_id != platform.datazone_home.account_id]
    if require_remote_state:
        missing = [e for e in envs if e.remote_state is None]
        if missing:
            raise UsageError(
                "no remote_state in " + ", ".join(e.source or e.name for e in missing) + ": bootstrap "
                "the account (docs/OPERATOR_GUIDE.md, Bootstrap) and copy the bootstrap's "
                "remote_state output into the file; CI never runs with local state"
            )
    return {"include": [describe(platform, e.name) for e in envs]}


def plan_override(platform: PlatformConfig, env_name: str, stack_dir: Path) -> dict[str, Any]:
    """The override that makes every AWS provider of the stack assume the plan role."""
    stack_file = stack_dir / STACK_FILE
    if not stack_file.is_file():
        raise UsageError(f"{stack_file} does not exist: synthesize first (python main.py)")
    stack = json.loads(stack_file.read_text(encoding="utf-8"))
    names = Names.of(platform, env_name)
    providers = stack.get("provider", {}).get("aws") or []
    if isinstance(providers, dict):
        providers = [providers]
    if not providers:
        raise UsageError(f"{stack_file} has no AWS provider: is {stack_dir.name} a platform stack?")
    blocks = []
    for provider in providers:
        # Same name and alias: Terraform merges this block into the original one; the nested
        # assume_role block given here replaces the original's.
        block: dict[str, Any] = {
            "assume_role": [{"role_arn": names.plan_role_arn, "session_name": f"{names.base}-plan"}]
        }
        if provider.get("alias"):
            block["alias"] = provider["alias"]
        blocks.append(block)
    return {"provider": {"aws": blocks}}


def _associate(platform: PlatformConfig, env_name: str, *, as_json: bool) -> None:
    """``associate``: :func:`.association.accept` with the caller's credentials (a failure is an
    :class:`.association.AssociationError`: exit 1)."""
    from scripts.aws import client, new_session

    from .association import accept

    env = platform.env(env_name)
    if env.account_id == platform.datazone_home.account_id:
        raise UsageError(f"{env_name!r} holds the DataZone domain: there is nothing to accept there")
    done = accept(platform, env, client(new_session(), "ram", region=env.region))
    if as_json:
        print(
            json.dumps(
                {
                    "env": done.env,
                    "share_arn": done.share_arn,
                    "domain_arn": done.domain_arn,
                    "accepted": done.accepted,
                }
            )
        )
    else:
        print(f"{done.env}: {done.note()} ({done.domain_arn})")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m scripts.deploy.ci", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--config-dir",
        default=None,
        help="directory of environment YAML files, as main.py reads it "
        "(default: $MLGOV_ENVIRONMENTS_DIR, else the kit's environments/)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("matrix", help="print the job matrix (JSON) of every environment, downstream first")
    m.add_argument(
        "--allow-local-state",
        action="store_true",
        help="list environments without remote_state too (for a dry run of the workflows)",
    )
    m.add_argument(
        "--datazone-associated",
        action="store_true",
        help="only environments whose accounts are associated with the DataZone domain",
    )
    a = sub.add_parser(
        "associate",
        help="accept the DataZone domain's RAM share in one environment, with its deploy role's "
        "credentials (the caller's), and check the domain is shared",
    )
    a.add_argument("--env", required=True, help="environment name (a file in environments/)")
    a.add_argument("--json", action="store_true", help="print {env, share_arn, domain_arn, accepted} as JSON")
    c = sub.add_parser(
        "check-stacks",
        help="refuse synthesized stacks that could not be applied at once (one names another's role "
        "as a principal)",
    )
    c.add_argument(
        "--out-dir", type=Path, default=Path("cdktf.out"), help="where main.py wrote (default: cdktf.out)"
    )
    e = sub.add_parser("env", help="print one environment's facts as key=value lines (for $GITHUB_OUTPUT)")
    e.add_argument("--env", required=True, help="environment name (a file in environments/)")
    e.add_argument("--json", action="store_true", help="print JSON instead of key=value lines")
    o = sub.add_parser(
        "plan-override", help=f"write {PLAN_OVERRIDE_FILE}: the stack's provider assumes the plan role"
    )
    o.add_argument("--env", required=True, help="environment name (a file in environments/)")
    o.add_argument(
        "--stack-dir", type=Path, required=True, help="the synthesized stack, e.g. cdktf.out/stacks/dev"
    )
    o.add_argument("--dry-run", action="store_true", help="print the override and write nothing")
    o.add_argument("--json", action="store_true", help="print {file, role_arn} as JSON after writing")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    return command.main(_parser(), argv, run, log_level=logging.WARNING)


def run(args: argparse.Namespace) -> None:
    """One subcommand; it prints what the workflow reads (stdout) itself."""
    platform = load_platform(environments_dir(args.config_dir))
    if args.command == "matrix":
        doc = matrix(
            platform,
            require_remote_state=not args.allow_local_state,
            datazone_associated=args.datazone_associated,
        )
        print(json.dumps(doc))
    elif args.command == "associate":
        _associate(platform, args.env, as_json=args.json)
    elif args.command == "check-stacks":
        check_stacks(platform, platform.apply_order(), args.out_dir)
        print(f"{len(platform.environments)} stacks can be applied at once")
    elif args.command == "env":
        facts = describe(platform, args.env)
        print(json.dumps(facts) if args.json else "\n".join(f"{k}={v}" for k, v in facts.items()))
    else:
        override = plan_override(platform, args.env, args.stack_dir)
        target = args.stack_dir / PLAN_OVERRIDE_FILE
        if args.dry_run:
            print(json.dumps(override, indent=2))
            return
        target.write_text(json.dumps(override, indent=2), encoding="utf-8")
        logger.info("wrote %s", target)
        role = override["provider"]["aws"][0]["assume_role"][0]["role_arn"]
        print(
            json.dumps({"file": str(target), "role_arn": role})
            if args.json
            else f"wrote {target} (assumes {role})"
        )


if __name__ == "__main__":
    sys.exit(main())
