"""The deploy runner: synthesize once, then Terraform per environment on the local cloud or AWS.

``python -m scripts.deploy`` (or ``mlgov deploy``) is the command; :mod:`.runner` the engine,
:mod:`.terraform` the Terraform CLI wrapper and :mod:`.ci` the helpers the GitHub workflows call.
"""

from .runner import DeployError, StepResult, deploy, main, synth

__all__ = ["DeployError", "StepResult", "deploy", "main", "synth"]
