"""``mlgov data``: training data by DataZone subscription, and approved models in the catalog.

mlgov data setup                     # deploy role, after the apply: memberships and types
mlgov data publish                   # data engineer: the credit dataset, listed
mlgov data subscribe --use-case credit-risk --reason "..."          # data scientist
mlgov data approve-subscription --request ID --reason "..."         # data owner: + grant
mlgov data reject-subscription  --request ID --reason "..."
mlgov data revoke --subscription ID --reason "..."                  # + grant removed
mlgov data list [--as data_scientist --use-case credit-risk]
mlgov data publish-model --env prod --use-case credit-risk --version 1
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from environments import load_platform
from scripts import command
from scripts.governance.output import common_parser, table

SUBCOMMANDS = (
    "setup",
    "publish",
    "subscribe",
    "approve-subscription",
    "reject-subscription",
    "revoke",
    "list",
    "publish-model",
)


def build_parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="mlgov data",
        description="Training data reaches a use case by DataZone subscription: the data engineer "
        "publishes a dataset, the use case's project subscribes, the data owner approves (the kit "
        "then grants the use case's execution role read on exactly the dataset's prefix) or "
        "rejects, and revokes (the grant is removed). Approved model versions are published to "
        "the catalog with their card's business metadata. Every command acts in the DataZone home "
        "environment unless told otherwise; exit codes: 0 done, 1 refused or failed, 2 bad usage.",
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="<subcommand>")

    def add(
        name: str, help: str, *, writes: bool = False, env_required: bool = False
    ) -> argparse.ArgumentParser:
        parent = common_parser(help, writes=writes, env_required=env_required)
        p = sub.add_parser(
            name, parents=[parent], add_help=False, help=help, description=help, prog=f"mlgov data {name}"
        )
        p.set_defaults(command=name)
        return p

    add(
        "setup",
        "As the deploy role, after the apply: make the data engineer owner of the producer project and "
        "the data scientist contributor of each use case's project; create the kit's form and asset types.",
    )
    add(
        "publish",
        "As the data engineer: upload the sample credit dataset under datasets/credit/ and publish it "
        "as an S3 asset with the dataset form (schema, protected facet, owner, classification).",
        writes=True,
    )
    subscribe = add("subscribe", "As the data scientist: the use case's project requests the dataset.")
    _use_case(subscribe)
    subscribe.add_argument("--dataset", default="credit", help="dataset name (default: credit)")
    subscribe.add_argument("--reason", required=True, help="why the use case needs the data")
    for name, verb in (("approve-subscription", "approve"), ("reject-subscription", "reject")):
        p = add(
            name,
            f"As the data owner (data engineer): {verb} a subscription request with a reason"
            + (
                "; the kit then grants the use case's execution role read on the dataset's prefix (audited)."
                if verb == "approve"
                else " (audited)."
            ),
        )
        p.add_argument("--request", required=True, help="subscription request id (mlgov data list)")
        p.add_argument("--reason", required=True, help="the decision's comment, recorded and audited")
    revoke = add(
        "revoke",
        "As the data owner: revoke a subscription; the kit deletes its read grant (audited).",
    )
    revoke.add_argument("--subscription", required=True, help="subscription id (mlgov data list)")
    revoke.add_argument("--reason", required=True, help="why, recorded in the audit record")
    listing = add("list", "Catalog listings, subscription requests and subscriptions.")
    listing.add_argument(
        "--as",
        dest="role",
        default="data_engineer",
        choices=["data_engineer", "data_scientist"],
        help="whose view: the producer project's (default) or the use case project's",
    )
    _use_case(listing)
    found = add(
        "search",
        "Search the catalog (listings) by words of a name, description or searchable form member, e.g. "
        "a model's business problem or line of business; prints each listing with its forms.",
    )
    found.add_argument("--text", required=True, help="the words to find, e.g. 'retail lending'")
    found.add_argument(
        "--as",
        dest="role",
        default="data_engineer",
        choices=["data_engineer", "data_scientist"],
        help="whose search: a member of the producer project (default) or of the use case's",
    )
    model = add(
        "publish-model",
        "Publish (or revise, or unlist) the catalog asset of a model version from its card, approval "
        "and stage, and record the listed asset id and revision on the version's card (as the "
        "environment's approver); approvals and archiving a card do this already, this republishes "
        "(a rerun changes nothing).",
        env_required=True,
    )
    _use_case(model)
    model.add_argument("--version", required=True, help="model version number, or a model package ARN")
    return top


def _use_case(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--use-case",
        default=None,
        help="use case name from the environment file (default: the environment's only one)",
    )


def dispatch(args: argparse.Namespace) -> Any:
    from . import catalog, datasets, models

    platform = load_platform(args.config_dir)
    env = args.env
    if args.command == "setup":
        return catalog.setup(platform, env)
    if args.command == "publish":
        return datasets.publish(platform, env, dry_run=args.dry_run)
    if args.command == "subscribe":
        return datasets.subscribe(
            platform, env, use_case=args.use_case, reason=args.reason, dataset=args.dataset
        )
    if args.command == "approve-subscription":
        return datasets.approve(platform, env, request_id=args.request, reason=args.reason)
    if args.command == "reject-subscription":
        return datasets.reject(platform, env, request_id=args.request, reason=args.reason)
    if args.command == "revoke":
        return datasets.revoke(platform, env, subscription_id=args.subscription, reason=args.reason)
    if args.command == "list":
        return datasets.listing(platform, env, role=args.role, use_case=args.use_case)
    if args.command == "search":
        return datasets.search(platform, env, text=args.text, role=args.role)
    return models.publish_model(platform, env, version=args.version, use_case=args.use_case)


def render(result: Any) -> str:
    if "listings" in result:
        parts = [table(result["listings"], ["name", "type", "asset_id", "revision", "listing_id"])]
        if result["subscription_requests"]:
            parts.append(
                table(
                    result["subscription_requests"], ["request_id", "status", "project", "listing", "reason"]
                )
            )
        if result["subscriptions"]:
            parts.append(table(result["subscriptions"], ["subscription_id", "status", "project", "listing"]))
        return "\n\n".join(parts)
    return "\n".join(f"{k}: {v}" for k, v in sorted(result.items()))


def main(argv: Sequence[str] | None = None) -> int:
    return command.main(build_parser(), list(sys.argv[1:] if argv is None else argv), dispatch, render=render)


if __name__ == "__main__":
    sys.exit(main())
