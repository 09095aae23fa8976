"""Processing and training jobs run under SageMaker's container contract (in-process moto).

Each test runs real jobs: a Python script on S3, executed by the local cloud's interpreter in a
private mount namespace with the job's directory on /opt/ml (``scripts/localcloud/containers``).
"""

from __future__ import annotations

import io
import json
import tarfile
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from scripts.localcloud.containers import runner

from .workflow_support import (
    BUCKET,
    IMAGE,
    processing_request,
    put_script,
    sagemaker_role,
    training_request,
    wait_processing,
    wait_training,
)


@pytest.fixture
def aws(mocked: None) -> dict[str, Any]:
    clients = {name: boto3.client(name) for name in ("iam", "s3", "sagemaker", "logs")}
    clients["s3"].create_bucket(Bucket=BUCKET)
    clients["role"] = sagemaker_role(clients["iam"], "job-role")
    return clients


PROCESSING_CONTRACT = """
import json, os, pathlib, sys
ml = pathlib.Path('/opt/ml')
seen = {
    'args': sys.argv[1:],
    'input': sorted(str(p.relative_to(ml)) for p in (ml / 'processing/input/data').rglob('*') if p.is_file()),
    'config': json.loads((ml / 'config/processingjobconfig.json').read_text())['ProcessingJobName'],
    'resources': json.loads((ml / 'config/resourceconfig.json').read_text()),
    'env': {k: os.environ.get(k) for k in ('STAGE', 'AWS_REGION', 'PATH')},
    'python': sys.executable,
    'creds': bool(os.environ.get('AWS_SESSION_TOKEN')),
}
out = ml / 'processing/output/report'
(out / 'nested').mkdir(parents=True)
(out / 'seen.json').write_text(json.dumps(seen))
(out / 'nested' / 'part.txt').write_text('nested output')
"""


def test_a_processing_job_sees_its_inputs_config_and_environment_and_its_outputs_are_uploaded(aws):
    s3, sm = aws["s3"], aws["sagemaker"]
    s3.put_object(Bucket=BUCKET, Key="data/raw/a.csv", Body=b"x\n1\n")
    s3.put_object(Bucket=BUCKET, Key="data/raw/sub/b.csv", Body=b"x\n2\n")
    script = put_script(s3, "code/contract.py", PROCESSING_CONTRACT)
    request = processing_request("contract-job", aws["role"], script)
    request["ProcessingInputs"].append(
        {
            "InputName": "data",
            "S3Input": {
                "S3Uri": f"s3://{BUCKET}/data/raw",
                "LocalPath": "/opt/ml/processing/input/data",
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
            },
        }
    )
    request["AppSpecification"]["ContainerArguments"] = ["--alpha", "1"]
    request["Environment"] = {"STAGE": "dev"}
    request["ProcessingOutputConfig"] = {
        "Outputs": [
            {
                "OutputName": "report",
                "S3Output": {
                    "S3Uri": f"s3://{BUCKET}/out/report",
                    "LocalPath": "/opt/ml/processing/output/report",
                    "S3UploadMode": "EndOfJob",
                },
            }
        ]
    }
    arn = sm.create_processing_job(**request)["ProcessingJobArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:processing-job/contract-job"
    assert sm.describe_processing_job(ProcessingJobName="contract-job")["ProcessingJobStatus"] == "InProgress"
    described = wait_processing(sm, "contract-job")
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert described["ProcessingStartTime"] <= described["ProcessingEndTime"]
    seen = json.loads(s3.get_object(Bucket=BUCKET, Key="out/report/seen.json")["Body"].read())
    assert seen["args"] == ["--alpha", "1"]
    assert seen["input"] == ["processing/input/data/a.csv", "processing/input/data/sub/b.csv"]
    assert seen["config"] == "contract-job"
    assert seen["resources"]["hosts"] == ["algo-1"]
    assert seen["env"]["STAGE"] == "dev" and seen["env"]["AWS_REGION"] == "us-east-1"
    assert seen["env"]["PATH"].split(":")[0].endswith("/bin") and seen["creds"]
    assert s3.get_object(Bucket=BUCKET, Key="out/report/nested/part.txt")["Body"].read() == b"nested output"
    listed = sm.list_processing_jobs(StatusEquals="Completed")["ProcessingJobSummaries"]
    assert [j["ProcessingJobName"] for j in listed] == ["contract-job"]
    # SageMaker's lineage for the job: its trial component, image and input artifacts, outputs produced.
    component = sm.describe_trial_component(TrialComponentName="contract-job-aws-processing-job")
    assert component["Source"] == {"SourceArn": arn, "SourceType": "SageMakerProcessingJob"}
    assert component["Status"]["PrimaryStatus"] == "Completed"
    upstream = sm.list_associations(DestinationArn=component["TrialComponentArn"])["AssociationSummaries"]
    assert sorted(a["SourceType"] for a in upstream) == ["DataSet", "DataSet", "Image"]
    produced = sm.list_associations(SourceArn=component["TrialComponentArn"])["AssociationSummaries"]
    assert [(a["AssociationType"], a["DestinationType"]) for a in produced] == [("Produced", "DataSet")]
    # The job's output in CloudWatch Logs, stream <job>/algo-1-<epoch>.
    streams = aws["logs"].describe_log_streams(logGroupName="/aws/sagemaker/ProcessingJobs")["logStreams"]
    assert [s["logStreamName"].split("/")[0] for s in streams] == ["contract-job"]


TRAINING_CONTRACT = """
import json, os, pathlib
ml = pathlib.Path('/opt/ml')
config = ml / 'input/config'
seen = {
    'hyperparameters': json.loads((config / 'hyperparameters.json').read_text()),
    'channels': json.loads((config / 'inputdataconfig.json').read_text()),
    'resources': json.loads((config / 'resourceconfig.json').read_text()),
    'train': (ml / 'input/data/train/rows.csv').read_text(),
    'job': os.environ.get('TRAINING_JOB_NAME'),
    'arn': os.environ.get('TRAINING_JOB_ARN'),
}
(ml / 'model' / 'seen.json').write_text(json.dumps(seen))
(ml / 'model' / 'weights.bin').write_bytes(b'\\x00\\x01')
(ml / 'output/data/notes.txt').write_text('extra output')
"""


def _members(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def test_a_training_job_sees_its_configuration_and_its_model_is_tarred_to_s3(aws):
    s3, sm = aws["s3"], aws["sagemaker"]
    s3.put_object(Bucket=BUCKET, Key="data/train/rows.csv", Body=b"y,x\n1,2\n")
    script = put_script(s3, "code/train_contract.py", TRAINING_CONTRACT)
    request = training_request(
        "train-contract", aws["role"], script, HyperParameters={"C": "1.0", "features": "a,b"}
    )
    request["InputDataConfig"].append(
        {
            "ChannelName": "train",
            "ContentType": "text/csv",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/data/train"}},
        }
    )
    sm.create_training_job(**request)
    described = wait_training(sm, "train-contract")
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    model_uri = f"s3://{BUCKET}/models/train-contract/output/model.tar.gz"
    assert described["ModelArtifacts"]["S3ModelArtifacts"] == model_uri
    assert [t["Status"] for t in described["SecondaryStatusTransitions"]] == [
        "Starting",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ]
    model = _members(
        s3.get_object(Bucket=BUCKET, Key="models/train-contract/output/model.tar.gz")["Body"].read()
    )
    assert sorted(model) == ["seen.json", "weights.bin"] and model["weights.bin"] == b"\x00\x01"
    seen = json.loads(model["seen.json"])
    assert seen["hyperparameters"] == {"C": "1.0", "features": "a,b"}
    assert seen["channels"]["train"]["ContentType"] == "text/csv" and set(seen["channels"]) == {
        "code",
        "train",
    }
    assert (
        seen["resources"]["current_host"] == "algo-1"
        and seen["resources"]["current_instance_type"] == "ml.m5.large"
    )
    assert seen["train"] == "y,x\n1,2\n"
    assert seen["job"] == "train-contract" and seen["arn"] == described["TrainingJobArn"]
    output = _members(
        s3.get_object(Bucket=BUCKET, Key="models/train-contract/output/output.tar.gz")["Body"].read()
    )
    assert output == {"notes.txt": b"extra output"}
    component = sm.describe_trial_component(TrialComponentName="train-contract-aws-training-job")
    produced = sm.list_associations(SourceArn=component["TrialComponentArn"])["AssociationSummaries"]
    [model_artifact] = [a["DestinationArn"] for a in produced]
    assert sm.describe_artifact(ArtifactArn=model_artifact)["Source"]["SourceUri"] == model_uri


TOOLKIT_SCRIPT = """
import argparse, json, os
parser = argparse.ArgumentParser()
parser.add_argument('--epochs', type=int)
parser.add_argument('--label')
args = parser.parse_args()
names = ('SM_MODEL_DIR', 'SM_CHANNEL_TRAIN', 'SM_OUTPUT_DATA_DIR', 'SM_HPS', 'SM_CHANNELS', 'SM_CURRENT_HOST', 'SM_HP_EPOCHS')
env = {k: os.environ.get(k) for k in names}
with open(os.path.join(os.environ['SM_MODEL_DIR'], 'env.json'), 'w') as out:
    json.dump({'env': env, 'args': vars(args), 'cwd': os.getcwd(), 'helper': __import__('helper').VALUE}, out)
"""


def test_a_training_job_without_entrypoint_runs_the_images_toolkit_in_script_mode(aws):
    """The SDK v2 estimator's way: sagemaker_program + sagemaker_submit_directory (a tar.gz)."""
    s3, sm = aws["s3"], aws["sagemaker"]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, body in (("entry.py", TOOLKIT_SCRIPT), ("helper.py", "VALUE = 42\n")):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body.encode()))
    s3.put_object(Bucket=BUCKET, Key="code/sourcedir.tar.gz", Body=buffer.getvalue())
    s3.put_object(Bucket=BUCKET, Key="data/train/rows.csv", Body=b"1\n")
    request = training_request(
        "toolkit-job",
        aws["role"],
        f"s3://{BUCKET}/data/train",
        HyperParameters={
            "sagemaker_program": '"entry.py"',
            "sagemaker_submit_directory": f'"s3://{BUCKET}/code/sourcedir.tar.gz"',
            "epochs": "3",
            "label": '"good_credit"',
        },
    )
    del request["AlgorithmSpecification"]["ContainerEntrypoint"]
    request["InputDataConfig"][0]["ChannelName"] = "train"
    sm.create_training_job(**request)
    described = wait_training(sm, "toolkit-job")
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    model = _members(
        s3.get_object(Bucket=BUCKET, Key="models/toolkit-job/output/model.tar.gz")["Body"].read()
    )
    seen = json.loads(model["env.json"])
    assert seen["args"] == {"epochs": 3, "label": "good_credit"}
    assert seen["cwd"] == "/opt/ml/code" and seen["helper"] == 42
    env = seen["env"]
    assert env["SM_MODEL_DIR"] == "/opt/ml/model" and env["SM_OUTPUT_DATA_DIR"] == "/opt/ml/output/data"
    assert env["SM_CHANNEL_TRAIN"] == "/opt/ml/input/data/train" and json.loads(env["SM_CHANNELS"]) == [
        "train"
    ]
    assert json.loads(env["SM_HPS"]) == {"epochs": 3, "label": "good_credit"} and env["SM_HP_EPOCHS"] == "3"
    assert env["SM_CURRENT_HOST"] == "algo-1"


def test_an_image_other_than_the_scikit_learn_framework_image_is_refused(aws):
    sm = aws["sagemaker"]
    for image in (
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1-cpu-py310",
        "111111111111.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:9.9-9-cpu-py3",
    ):
        request = training_request("refused", aws["role"], f"s3://{BUCKET}/code/x.py")
        request["AlgorithmSpecification"]["TrainingImage"] = image
        with pytest.raises(ClientError) as error:
            sm.create_training_job(**request)
        assert error.value.response["Error"]["Code"] == "ValidationException"
        message = error.value.response["Error"]["Message"]
        assert image in message and "sagemaker-scikit-learn" in message
    with pytest.raises(ClientError):
        sm.describe_training_job(TrainingJobName="refused")


def test_a_failing_script_fails_the_job_with_the_algorithm_error(aws):
    s3, sm = aws["s3"], aws["sagemaker"]
    failing = put_script(
        s3,
        "code/fail.py",
        "open('/opt/ml/output/failure', 'w').write('ValueError: the label column is missing')\nraise SystemExit(3)\n",
    )
    sm.create_training_job(**training_request("fails", aws["role"], failing))
    described = wait_training(sm, "fails")
    assert described["TrainingJobStatus"] == "Failed" and described["SecondaryStatus"] == "Failed"
    assert described["FailureReason"] == "AlgorithmError: ValueError: the label column is missing"
    crash = put_script(s3, "code/crash.py", "import sys\nprint('about to fail')\nsys.exit(1)\n")
    sm.create_processing_job(**processing_request("crashes", aws["role"], crash))
    processed = wait_processing(sm, "crashes")
    assert processed["ProcessingJobStatus"] == "Failed"
    assert processed["FailureReason"].startswith("AlgorithmError: See job logs for more information")
    assert "about to fail" in processed["ExitMessage"]
    component = sm.describe_trial_component(TrialComponentName="crashes-aws-processing-job")
    assert component["Status"]["PrimaryStatus"] == "Failed"


PIP_IN_A_JOB = """
import json, pathlib, subprocess, sys
out = pathlib.Path('/opt/ml/processing/output/pip')
pathlib.Path('/tmp/pipelines-req-ok.txt').write_text('numpy\\n')
pathlib.Path('/tmp/pipelines-req-bad.txt').write_text('mlgov-no-such-package==9.9\\n')
ok = subprocess.run(['pip', 'install', '-r', '/tmp/pipelines-req-ok.txt'], capture_output=True, text=True)
bad = subprocess.run([sys.executable, '-m', 'pip', 'install', '-r', '/tmp/pipelines-req-bad.txt'], capture_output=True, text=True)
gone = subprocess.run(['pip', 'uninstall', '-y', 'numpy'], capture_output=True, text=True)
import numpy  # still there
(out / 'pip.json').write_text(json.dumps({'ok': ok.returncode, 'bad': bad.returncode, 'bad_err': bad.stderr, 'gone': gone.returncode}))
"""


def test_pip_in_a_job_checks_the_shared_interpreter_and_installs_nothing(aws):
    """A step's requirements.txt is installed on SageMaker; here it is only checked (the job runs
    with the local cloud's own interpreter, which no job may change)."""
    s3, sm = aws["s3"], aws["sagemaker"]
    script = put_script(s3, "code/pip.py", PIP_IN_A_JOB)
    request = processing_request("pip-job", aws["role"], script)
    request["ProcessingOutputConfig"] = {
        "Outputs": [
            {
                "OutputName": "pip",
                "S3Output": {
                    "S3Uri": f"s3://{BUCKET}/out/pip",
                    "LocalPath": "/opt/ml/processing/output/pip",
                    "S3UploadMode": "EndOfJob",
                },
            }
        ]
    }
    sm.create_processing_job(**request)
    assert wait_processing(sm, "pip-job")["ProcessingJobStatus"] == "Completed"
    seen = json.loads(s3.get_object(Bucket=BUCKET, Key="out/pip/pip.json")["Body"].read())
    assert seen["ok"] == 0 and seen["gone"] == 0
    assert seen["bad"] != 0 and "mlgov-no-such-package" in seen["bad_err"]


def test_an_empty_input_prefix_fails_the_job_as_sagemaker_says(aws):
    sm = aws["sagemaker"]
    script = put_script(aws["s3"], "code/noop.py", "pass\n")
    request = processing_request("empty-input", aws["role"], script)
    request["ProcessingInputs"].append(
        {
            "InputName": "data",
            "S3Input": {
                "S3Uri": f"s3://{BUCKET}/nothing/here",
                "LocalPath": "/opt/ml/processing/input/data",
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
            },
        }
    )
    sm.create_processing_job(**request)
    reason = wait_processing(sm, "empty-input")["FailureReason"]
    assert reason.startswith(f'ClientError: No S3 objects found under S3 URL "s3://{BUCKET}/nothing/here"')
    assert aws["role"] in reason


def test_a_role_that_does_not_exist_is_refused(aws):
    """(A role whose trust policy leaves SageMaker out is refused with IAM enforced:
    test_pipelines_iam.py.)"""
    missing = "arn:aws:iam::123456789012:role/does-not-exist"
    with pytest.raises(ClientError) as error:
        aws["sagemaker"].create_processing_job(
            **processing_request("no-role", missing, f"s3://{BUCKET}/code/x.py")
        )
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert error.value.response["Error"]["Message"] == (
        f"Could not assume role {missing}. Please ensure that the role exists and allows principal "
        "'sagemaker.amazonaws.com' to assume the role."
    )


def test_processing_paths_outside_opt_ml_processing_and_duplicate_names_are_refused(aws):
    sm = aws["sagemaker"]
    request = processing_request("bad-path", aws["role"], f"s3://{BUCKET}/code/x.py")
    request["ProcessingInputs"][0]["S3Input"]["LocalPath"] = "/tmp/code"
    with pytest.raises(ClientError, match="must be an absolute path under /opt/ml/processing/"):
        sm.create_processing_job(**request)
    request = processing_request("dup", aws["role"], f"s3://{BUCKET}/code/x.py")
    request["ProcessingInputs"].append(dict(request["ProcessingInputs"][0]))
    with pytest.raises(ClientError, match="names must be unique"):
        sm.create_processing_job(**request)


def test_a_job_name_is_taken_once_and_unknown_jobs_are_not_found(aws):
    s3, sm = aws["s3"], aws["sagemaker"]
    script = put_script(s3, "code/noop.py", "pass\n")
    sm.create_processing_job(**processing_request("once", aws["role"], script))
    with pytest.raises(ClientError) as error:
        sm.create_processing_job(**processing_request("once", aws["role"], script))
    assert error.value.response["Error"]["Code"] == "ResourceInUse"
    wait_processing(sm, "once")
    with pytest.raises(ClientError, match="Requested resource not found"):
        sm.describe_training_job(TrainingJobName="never")
    with pytest.raises(ClientError, match="Could not find requested job with name never"):
        sm.describe_processing_job(ProcessingJobName="never")


def test_stop_and_time_limit_end_a_job(aws):
    s3, sm = aws["s3"], aws["sagemaker"]
    sleeper = put_script(s3, "code/sleep.py", "import time\nprint('working', flush=True)\ntime.sleep(300)\n")
    sm.create_training_job(**training_request("stopped", aws["role"], sleeper))
    sm.stop_training_job(TrainingJobName="stopped")
    described = wait_training(sm, "stopped")
    assert (described["TrainingJobStatus"], described["SecondaryStatus"]) == ("Stopped", "Stopped")
    with pytest.raises(ClientError, match="in status Stopped"):
        sm.stop_training_job(TrainingJobName="stopped")
    limited = training_request("limited", aws["role"], sleeper, StoppingCondition={"MaxRuntimeInSeconds": 1})
    sm.create_training_job(**limited)
    described = wait_training(sm, "limited")
    assert (described["TrainingJobStatus"], described["SecondaryStatus"]) == ("Stopped", "MaxRuntimeExceeded")


def test_a_machine_without_a_private_mount_namespace_fails_the_job_saying_why(aws, monkeypatch):
    monkeypatch.setattr(runner, "namespace_problem", lambda: "unshare(1) ... were not found on PATH")
    script = put_script(aws["s3"], "code/noop.py", "pass\n")
    aws["sagemaker"].create_processing_job(**processing_request("no-namespace", aws["role"], script))
    described = wait_processing(aws["sagemaker"], "no-namespace")
    assert described["ProcessingJobStatus"] == "Failed"
    assert described["FailureReason"] == (
        "InternalServerError: The local cloud cannot run this job here: unshare(1) ... were not found on PATH"
    )


def test_the_image_check_reads_the_sdks_table():
    from scripts.localcloud.containers import image_problem

    in_ireland = "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    assert image_problem(IMAGE, "us-east-1") is None
    assert image_problem(in_ireland, "eu-west-1") is None
    assert "from its registry account in eu-west-1" in (
        image_problem(IMAGE.replace("us-east-1", "eu-west-1"), "eu-west-1") or ""
    )
    assert "of the job's region us-west-2, not of us-east-1" in (image_problem(IMAGE, "us-west-2") or "")


def test_stopping_the_local_cloud_ends_its_running_jobs(tmp_path):
    """A job's process is a child of the local cloud's server: it must not outlive it."""
    import subprocess
    import time
    import uuid

    from scripts.localcloud import LocalCloud

    marker = f"sleeper_{uuid.uuid4().hex}.py"

    def running() -> bool:
        found = subprocess.run(["pgrep", "-f", marker], capture_output=True, check=False)
        return found.returncode == 0

    with LocalCloud(state_dir=tmp_path, enforce_iam=False) as cloud:
        session = boto3.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
        )
        s3, sm = (
            session.client("s3", endpoint_url=cloud.url),
            session.client("sagemaker", endpoint_url=cloud.url),
        )
        s3.create_bucket(Bucket=BUCKET)
        role = sagemaker_role(session.client("iam", endpoint_url=cloud.url), "sleeper")
        script = put_script(s3, f"code/{marker}", "import time\ntime.sleep(600)\n")
        sm.create_processing_job(**processing_request("sleeper", role, script))
        deadline = time.monotonic() + 120
        while not running():
            assert time.monotonic() < deadline, "the job's process never started"
            time.sleep(0.2)
    deadline = time.monotonic() + 30
    while running():
        assert time.monotonic() < deadline, "the job's process outlived the local cloud"
        time.sleep(0.2)
