"""The scikit-learn image's own ``train`` entry point in script mode, as the SageMaker training
toolkit runs it (``sagemaker-training`` ``ENVIRONMENT_VARIABLES.md`` and its ``entry_point.run``):
for a training job created without ``ContainerEntrypoint`` (the SageMaker Python SDK v2
estimators' ``entry_point``/``source_dir``).

Inside the job's namespace it reads ``/opt/ml/input/config``, exports the ``SM_*`` variables the
toolkit exports (``SM_MODEL_DIR``, ``SM_CHANNEL_<NAME>``, ``SM_HPS``, ``SM_HP_<NAME>``,
``SM_OUTPUT_DATA_DIR``, ``SM_TRAINING_ENV`` ...) and runs ``python <sagemaker_program>
--<hyperparameter> <value> ...`` in ``/opt/ml/code``, where the local cloud has unpacked
``sagemaker_submit_directory`` (downloaded as the job's role before the command runs). A failing
script's exit status is the job's; its last error line goes to ``/opt/ml/output/failure``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ML = "/opt/ml"
CONFIG = f"{ML}/input/config"
#: Hyperparameters the toolkit reads itself and does not pass to the script.
RESERVED = (
    "sagemaker_program",
    "sagemaker_submit_directory",
    "sagemaker_region",
    "sagemaker_container_log_level",
    "sagemaker_job_name",
    "sagemaker_enable_cloudwatch_metrics",
)


def _load(name: str) -> Any:
    with open(f"{CONFIG}/{name}", encoding="utf-8") as handle:
        return json.load(handle)


def _decoded(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _exported(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def environment() -> tuple[dict[str, str], list[str], str]:
    """(the SM_* variables, the script's arguments, the script) from the job's configuration."""
    raw = _load("hyperparameters.json")
    resources = _load("resourceconfig.json")
    channels = _load("inputdataconfig.json")
    hps = {k: _decoded(v) for k, v in raw.items() if k not in RESERVED}
    program = str(_decoded(raw["sagemaker_program"]))
    arguments: list[str] = []
    for key, value in hps.items():
        arguments += [f"--{key}", _exported(value)]
    channel_dirs = {name: f"{ML}/input/data/{name}" for name in channels}
    env: dict[str, Any] = {
        "SM_HOSTS": resources["hosts"],
        "SM_CURRENT_HOST": resources["current_host"],
        "SM_CURRENT_INSTANCE_TYPE": resources.get("current_instance_type", ""),
        "SM_NETWORK_INTERFACE_NAME": resources.get("network_interface_name", "eth0"),
        "SM_NUM_CPUS": os.cpu_count() or 1,
        "SM_NUM_GPUS": 0,
        "SM_MODEL_DIR": f"{ML}/model",
        "SM_INPUT_DIR": f"{ML}/input",
        "SM_INPUT_CONFIG_DIR": CONFIG,
        "SM_OUTPUT_DIR": f"{ML}/output",
        "SM_OUTPUT_DATA_DIR": f"{ML}/output/data",
        "SM_OUTPUT_INTERMEDIATE_DIR": f"{ML}/output/intermediate",
        "SM_MODULE_DIR": str(_decoded(raw.get("sagemaker_submit_directory", ""))),
        "SM_MODULE_NAME": program.removesuffix(".py"),
        "SM_USER_ENTRY_POINT": program,
        "SM_CHANNELS": sorted(channels),
        "SM_HPS": hps,
        "SM_USER_ARGS": arguments,
        "SM_RESOURCE_CONFIG": resources,
        "SM_INPUT_DATA_CONFIG": channels,
        "SM_LOG_LEVEL": _decoded(raw.get("sagemaker_container_log_level", "20")),
    }
    for name, directory in channel_dirs.items():
        env[f"SM_CHANNEL_{name.upper()}"] = directory
    for key, value in hps.items():
        env[f"SM_HP_{key.upper()}"] = value
    env["SM_TRAINING_ENV"] = {
        "channel_input_dirs": channel_dirs,
        "current_host": env["SM_CURRENT_HOST"],
        "hosts": env["SM_HOSTS"],
        "hyperparameters": hps,
        "input_data_config": channels,
        "job_name": os.environ.get("TRAINING_JOB_NAME", ""),
        "model_dir": env["SM_MODEL_DIR"],
        "module_dir": env["SM_MODULE_DIR"],
        "module_name": env["SM_MODULE_NAME"],
        "output_data_dir": env["SM_OUTPUT_DATA_DIR"],
        "resource_config": resources,
        "user_entry_point": program,
    }
    return {k: _exported(v) for k, v in env.items()}, arguments, program


def main() -> int:
    env, arguments, program = environment()
    Path(f"{ML}/output/intermediate").mkdir(parents=True, exist_ok=True)
    child = dict(os.environ)
    child.update(env)
    child["PYTHONPATH"] = f"{ML}/code" + (f":{child['PYTHONPATH']}" if child.get("PYTHONPATH") else "")
    print(f"Invoking script with the following command:\n{sys.executable} {program} {' '.join(arguments)}")
    done = subprocess.run(
        [sys.executable, program, *arguments], cwd=f"{ML}/code", env=child, stderr=subprocess.PIPE, text=True
    )
    if done.stderr:
        sys.stderr.write(done.stderr)
    if done.returncode != 0:
        last = [line for line in (done.stderr or "").splitlines() if line.strip()][-1:] or [""]
        with open(f"{ML}/output/failure", "w", encoding="utf-8") as failure:
            failure.write(f'ExecuteUserScriptError:\nExitCode {done.returncode}\nErrorMessage "{last[0]}"')
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
