"""SageMaker's container contract on this machine: what the local cloud runs for a processing or
training job instead of a Docker container.

A job's command (the image's ``ContainerEntrypoint`` + ``ContainerArguments``, or the framework
image's own entry point) runs in a subprocess of the local cloud, in a private mount namespace
where a per-job directory is bind-mounted on ``/opt/ml``, so the paths SageMaker documents
(``/opt/ml/processing/...``, ``/opt/ml/input/data/<channel>``, ``/opt/ml/model`` ...) are the
job's own and two jobs never see each other's files. The interpreter is the local cloud's own
(``sys.executable``: scikit-learn, pandas and numpy are installed), found on ``PATH`` as
``python``/``python3``, as it is in the scikit-learn framework image; only that image is run
(:mod:`.images`). Modules:

* :mod:`.runner`: the namespace, the ``PATH`` shims, the subprocess, its output, time limit and stop;
* :mod:`.contract`: the ``/opt/ml`` layout and environment of a processing or a training job;
* :mod:`.images`: which images the local cloud runs, and the refusal for the others;
* :mod:`.training_toolkit`: the image's own ``train`` entry point (script mode) for a training job
  without ``ContainerEntrypoint``; :mod:`.pip_guard`: ``pip`` inside a job.

Hosting, batch transform and Model Monitor run stand-ins for SageMaker's own containers: the
scikit-learn serving container's model server (``sklearn_serving.py``) and the Model Monitor
analyzer (``model_monitor.py``), each started by :mod:`.container` as a process with its
``/opt/ml`` layout (tmpfs and bind mounts in a private mount namespace, checked as the jobs' is).
They are the local cloud's, not AWS's images: each module's docstring says which container it
stands in for, what of its contract it reproduces and what not (docs/emulator-gaps.md too).

This package knows nothing of moto: the SageMaker extension (``moto_ext/sagemaker/jobs.py``,
``fleet.py``, ``transform.py``, ``monitoring_runs.py``) downloads the inputs into the layout, runs the
command or the stand-in and uploads the outputs as the job's role.
"""

from pathlib import Path

from .contract import Contract, ContractError, Download, Upload, processing_contract, training_contract
from .images import FRAMEWORK, image_problem
from .runner import NamespaceUnavailable, RunResult, namespace_problem, run

#: The command that stands for the scikit-learn image's own ``train`` entry point.
TOOLKIT_COMMAND = ["python3", str(Path(__file__).with_name("training_toolkit.py"))]

__all__ = [
    "FRAMEWORK",
    "TOOLKIT_COMMAND",
    "Contract",
    "ContractError",
    "Download",
    "NamespaceUnavailable",
    "RunResult",
    "Upload",
    "image_problem",
    "namespace_problem",
    "processing_contract",
    "run",
    "training_contract",
]
