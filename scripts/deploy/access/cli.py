"""``mlgov deploy access-matrix``: synthesize when the inputs changed, compute both tables, print them."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from environments import PlatformConfig, load_platform
from scripts import command

from .. import synthesis
from ..runner import REPO_ROOT, environments_dir, policy_evaluator, synth
from .actions import ROLES
from .stacks import Stacks
from .tables import matrix, render_markdown, render_trust, who_may_assume


def synthesized(config_dir: Path, outdir: Path | None = None, *, force: bool = False) -> Path:
    """The synthesized stacks of ``config_dir`` in ``outdir`` (default ``cdktf.out``): synthesized
    now unless the inputs are unchanged since they were written."""
    outdir = Path(outdir or REPO_ROOT / "cdktf.out").resolve()
    key = synthesis.synth_key(config_dir)
    if force or not synthesis.up_to_date(outdir, key):
        synth(outdir, config_dir=config_dir)
    return outdir


def compute(
    platform: PlatformConfig, outdir: Path, env_name: str, *, evaluator: Any = None
) -> dict[str, Any]:
    """Both tables of ``env_name`` from the stacks in ``outdir``, as data."""
    evaluator = evaluator or policy_evaluator()
    stacks = Stacks.read(platform, outdir, evaluator.managed_document)
    rows = matrix(platform, stacks, evaluator, env_name)
    trust = who_may_assume(platform, stacks, evaluator, env_name)
    return {
        "env": env_name,
        "roles": [k for k in ROLES if rows and k in rows[0].verdicts],
        "actions": [
            {
                "key": row.action.key,
                "title": row.action.title,
                "cells": {
                    role: {"allowed": v.allowed, "denied_by": sorted(v.denied_by)}
                    for role, v in row.verdicts.items()
                },
            }
            for row in rows
        ],
        "assume": {
            taker: {
                role: (None if v is None else {"allowed": v.allowed, "denied_by": sorted(v.denied_by)})
                for role, v in row.items()
            }
            for taker, row in trust.items()
        },
        "markdown": render_markdown(rows),
        "trust_markdown": render_trust(trust),
    }


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mlgov deploy access-matrix",
        description="Who can make each governance change in an environment, computed from the "
        "synthesized policies (identity, trust, bucket, key and model package group policies "
        "together) with the local cloud's IAM evaluator; and who may assume each person- and "
        "CI-facing role. docs/THREAT_MODEL.md shows the same tables.",
    )
    p.add_argument("--env", required=True, help="environment name (a file in environments/)")
    p.add_argument(
        "--json", action="store_true", help="print every cell with the Deny statements that decide it"
    )
    p.add_argument(
        "--config-dir",
        type=Path,
        default=None,
        help="directory of environment YAML files (default: $MLGOV_ENVIRONMENTS_DIR, else the kit's environments/)",
    )
    p.add_argument(
        "--outdir", type=Path, default=None, help="where the stacks are synthesized (default: cdktf.out)"
    )
    p.add_argument("--force-synth", action="store_true", help="synthesize even when the inputs are unchanged")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return p


def run(args: argparse.Namespace) -> dict[str, Any]:
    config_dir = environments_dir(args.config_dir)
    platform = load_platform(config_dir)
    platform.env(args.env)  # an unknown environment: a usage error before any synthesis
    outdir = synthesized(config_dir, args.outdir, force=args.force_synth)
    return compute(platform, outdir, args.env)


def render(result: dict[str, Any]) -> str:
    return (
        f"{result['env']}: may each role make each change?\n\n{result['markdown']}\n\n"
        f"{result['env']}: may each caller assume each role?\n\n{result['trust_markdown']}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    return command.main(build_parser(), argv, run, render=render)
