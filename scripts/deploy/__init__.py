"""The deploy runner: synthesize once, then Terraform per environment on the local cloud or AWS.

``mlgov deploy`` (or ``python -m scripts.deploy``) is the command (:mod:`.cli`); :mod:`.runner`
is the engine, :mod:`.cross_stack` the check that lets it apply every environment at once (no
stack names another stack's role as a principal), :mod:`.synthesis` main.py and its skip key, :mod:`.targets` the
local emulator and AWS targets, :mod:`.terraform` the Terraform CLI wrapper and :mod:`.ci` the
helpers the GitHub workflows call.
"""

from .cli import main
from .runner import DeployError, StepResult, deploy, environments_dir, synth
from .targets import OVERRIDE_FILE, local_override

__all__ = [
    "OVERRIDE_FILE",
    "DeployError",
    "StepResult",
    "deploy",
    "environments_dir",
    "local_override",
    "main",
    "synth",
]
