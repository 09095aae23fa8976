"""Bench section ``serving``: the local cloud's endpoint of the sample model.

On its own emulator (IAM enforced, provisioning delay 0), the v1 sample model (trained as seed
trains it) is packaged with ``scripts/serving/inference.py``, deployed to an endpoint, and
measured through boto3:

- ``model_server_start_s``: the model server's start, from its process start to its first
  200 on ``/ping`` (the server log's "model server up in" line), and ``create_to_in_service_s``:
  CreateEndpoint to ``InService`` as a client polling every 0.1 s sees it;
- ``invoke_ms``: InvokeEndpoint latency, p50 / p99 / max over 1,000 requests of one CSV row
  (after 20 warm-up requests), data capture on (100 %), as the kit's endpoints run.

Registered with ``scripts.bench`` when this module is imported; ``python -m scripts.bench.serving``
runs it alone and prints the JSON.
"""

from __future__ import annotations

import io
import json
import re
import statistics
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from .core import BenchContext, section

REPO_ROOT = Path(__file__).resolve().parents[2]
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
REQUESTS = 1000


def _archive() -> tuple[bytes, list[str]]:
    from scripts.governance import train

    result = train.train(train.DEFAULT_SPECS[0])
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(result.model_tar_gz), mode="r:gz") as tar:
        for member in tar.getmembers():
            extracted = tar.extractfile(member)
            if extracted is not None:
                files[member.name] = extracted.read()
    files["code/inference.py"] = (REPO_ROOT / "scripts" / "serving" / "inference.py").read_bytes()
    return train.tar_gz(files), list(result.spec.features)


def measure(requests: int = REQUESTS) -> dict[str, Any]:
    import os

    import boto3

    from environments import load_platform
    from scripts.governance import credit_data
    from scripts.localcloud import LocalCloud

    archive, features = _archive()
    os.environ["MLGOV_LOCALCLOUD_ENDPOINT_DELAY_S"] = "0"
    with LocalCloud(state_dir=tempfile.mkdtemp(prefix="bench-serving-"), enforce_iam=True) as cloud:
        env = cloud.env()
        base = boto3.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_DEFAULT_REGION"],
        )
        role = load_platform().env("dev").deploy_role_arn
        creds = base.client("sts", endpoint_url=cloud.url).assume_role(RoleArn=role, RoleSessionName="bench")[
            "Credentials"
        ]
        session = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=env["AWS_DEFAULT_REGION"],
        )
        s3, iam, sm = (session.client(s, endpoint_url=cloud.url) for s in ("s3", "iam", "sagemaker"))
        runtime = session.client("sagemaker-runtime", endpoint_url=cloud.url)
        s3.create_bucket(Bucket="bench-serving")
        s3.put_object(Bucket="bench-serving", Key="model.tar.gz", Body=archive)
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        execution = iam.create_role(RoleName="bench-exec", AssumeRolePolicyDocument=json.dumps(trust))[
            "Role"
        ]["Arn"]
        iam.put_role_policy(
            RoleName="bench-exec",
            PolicyName="s3",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["s3:GetObject", "s3:PutObject"],
                            "Resource": "arn:aws:s3:::bench-serving/*",
                        }
                    ],
                }
            ),
        )
        sm.create_model(
            ModelName="bench",
            ExecutionRoleArn=execution,
            PrimaryContainer={
                "Image": IMAGE,
                "ModelDataUrl": "s3://bench-serving/model.tar.gz",
                "Environment": {
                    "SAGEMAKER_PROGRAM": "inference.py",
                    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                },
            },
        )
        sm.create_endpoint_config(
            EndpointConfigName="bench",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "bench",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                }
            ],
            DataCaptureConfig={
                "EnableCapture": True,
                "InitialSamplingPercentage": 100,
                "DestinationS3Uri": "s3://bench-serving/capture",
                "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
                "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
            },
        )
        started = time.monotonic()
        sm.create_endpoint(EndpointName="bench", EndpointConfigName="bench")
        while (status := sm.describe_endpoint(EndpointName="bench")["EndpointStatus"]) == "Creating":
            time.sleep(0.1)
        in_service = time.monotonic() - started
        if status != "InService":
            raise RuntimeError(
                f"the bench endpoint is {status}: {sm.describe_endpoint(EndpointName='bench').get('FailureReason')}"
            )
        row = credit_data.generate().features(tuple(features))[0]
        body = ",".join(repr(float(v)) for v in row)
        for _ in range(20):
            runtime.invoke_endpoint(
                EndpointName="bench", Body=body, ContentType="text/csv", Accept="text/csv"
            )["Body"].read()
        latencies = []
        for _ in range(requests):
            begin = time.perf_counter()
            runtime.invoke_endpoint(
                EndpointName="bench", Body=body, ContentType="text/csv", Accept="text/csv"
            )["Body"].read()
            latencies.append((time.perf_counter() - begin) * 1000)
        log = Path(cloud.log_file).read_text(encoding="utf-8")
        up = re.findall(r"model server up in ([0-9.]+) s", log)
        sm.delete_endpoint(EndpointName="bench")
    latencies.sort()
    return {
        "model_server_start_s": float(up[-1]) if up else None,
        "create_to_in_service_s": round(in_service, 3),
        "invoke_ms": {
            "requests": requests,
            "p50": round(statistics.median(latencies), 2),
            "p99": round(latencies[int(0.99 * len(latencies)) - 1], 2),
            "max": round(latencies[-1], 2),
        },
    }


@section("serving", order=70)
def bench_serving(ctx: BenchContext) -> dict[str, Any]:
    """Endpoint of the sample model: model server start, InvokeEndpoint p50/p99 over 1,000 requests."""
    return measure()


if __name__ == "__main__":
    json.dump(measure(), sys.stdout, indent=2)
    print()
