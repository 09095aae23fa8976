"""cdktf app: one ``PlatformStack`` per environment file, all synthesized in one process.

    .venv/bin/python main.py              # writes cdktf.out/stacks/<env>/cdk.tf.json
    MLGOV_ENVIRONMENTS_DIR=path main.py   # another configuration folder
    CDKTF_OUTDIR=path main.py             # another output folder (the cdktf CLI sets it)

The configuration is loaded and validated before anything is written: a bad file prints what is
wrong and exits 2 with no output directory created.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from environments import ConfigError, PlatformConfig, load_platform

#: Environment variable naming the configuration folder (default: ``environments/``).
ENVIRONMENTS_DIR_VAR = "MLGOV_ENVIRONMENTS_DIR"


def build_app(platform: PlatformConfig, outdir: str | Path | None = None):
    """Build (not synthesize) the app: one stack per environment, upstream environments first.

    The cdktf import is deferred so that a configuration error is reported without paying for
    the provider bindings.
    """
    from cdktf import App

    from modules.bootstrap import BootstrapStack
    from modules.stack import PlatformStack

    app = App(outdir=str(outdir)) if outdir is not None else App()
    for env in platform.promotion_order():
        PlatformStack(app, platform, env)
    # The per-account state bucket and CI roles (stack ids bootstrap-<env>), applied once per
    # account before the platform stack switches to remote state; see docs/OPERATOR_GUIDE.md.
    for env in platform.promotion_order():
        BootstrapStack(app, platform, env)
    return app


def main(argv: list[str] | None = None) -> int:
    del argv  # the cdktf CLI passes no arguments; options come from the environment
    directory = os.environ.get(ENVIRONMENTS_DIR_VAR) or None
    try:
        platform = load_platform(directory)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"configuration error: {problem}", file=sys.stderr)
        return 2
    # The cdktf CLI passes its output directory in CDKTF_OUTDIR; read it here rather than in the
    # jsii runtime, whose environment is fixed when the first cdktf module is imported.
    app = build_app(platform, outdir=os.environ.get("CDKTF_OUTDIR") or None)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
