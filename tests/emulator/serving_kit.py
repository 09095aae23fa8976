"""What the serving tests deploy: the kit's sample model packaged as a SageMaker scikit-learn model
archive (``model.joblib``, ``features.json`` and ``code/inference.py``, the layout of
``scripts.governance.train`` plus the serving script), a model whose ``model_fn`` raises, and the
AWS resources SageMaker needs around them (a bucket, an execution role trusting SageMaker, a
KMS key), created through boto3 in whatever cloud the session points at.
"""

from __future__ import annotations

import io
import json
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from scripts.governance import credit_data
from scripts.governance.train import tar_gz

REPO = Path(__file__).resolve().parents[2]
INFERENCE = (REPO / "scripts" / "serving" / "inference.py").read_bytes()
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
ENVIRONMENT = {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}
FEATURES = credit_data.FINANCIAL_FEATURES
SAGEMAKER_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def fit(algorithm: str) -> Any:
    """A small model of the sample use case (the kit's credit data, financial columns)."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = credit_data.generate()
    x = data.features(FEATURES)
    if algorithm == "forest":
        model = RandomForestClassifier(n_estimators=20, max_depth=5, random_state=0)
    else:
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500, random_state=0))
    return model.fit(x, data.labels)


def archive(model: Any, inference: bytes = INFERENCE) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return tar_gz(
        {
            "model.joblib": buffer.getvalue(),
            "features.json": json.dumps(list(FEATURES)).encode(),
            "code/inference.py": inference,
        }
    )


BROKEN_INFERENCE = (
    INFERENCE + b'\n\ndef model_fn(model_dir):\n    raise RuntimeError("this model version cannot load")\n'
)


def load_from_archive(data: bytes) -> Any:
    """The model inside an archive, loaded on its own (not through the endpoint)."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = tar.extractfile("model.joblib")
        assert member is not None
        return joblib.load(io.BytesIO(member.read()))


def rows(count: int, start: int = 0) -> np.ndarray:
    return credit_data.generate().features(FEATURES)[start : start + count]


def csv_body(matrix: np.ndarray) -> str:
    return "\n".join(",".join(repr(float(v)) for v in row) for row in matrix)


def expected(model: Any, matrix: np.ndarray) -> list[tuple[int, float]]:
    return [
        (int(label), float(p))
        for label, p in zip(model.predict(matrix), model.predict_proba(matrix)[:, 1], strict=True)
    ]


def parse_csv_answer(text: str) -> list[tuple[int, float]]:
    out = []
    for line in text.strip().splitlines():
        label, probability = line.split(",")
        out.append((int(label), float(probability)))
    return out


def wait_for(
    check: Callable[[], Any], *, timeout: float = 120.0, interval: float = 0.2, what: str = "condition"
) -> Any:
    """Poll ``check`` until it returns a truthy value (a generous deadline, never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def settled(sm: Any, name: str, *, timeout: float = 120.0) -> dict[str, Any]:
    """DescribeEndpoint once the endpoint is neither Creating nor Updating."""

    def done() -> dict[str, Any] | None:
        described = sm.describe_endpoint(EndpointName=name)
        return described if described["EndpointStatus"] not in ("Creating", "Updating") else None

    return wait_for(done, timeout=timeout, what=f"endpoint {name} to settle")


@dataclass
class World:
    """The account resources of the serving tests."""

    session: Any
    url: str | None
    bucket: str
    role_arn: str
    key_arn: str
    model_uri: str
    model_bytes: bytes
    forest_uri: str
    forest_bytes: bytes
    broken_uri: str

    def client(self, service: str) -> Any:
        from botocore.config import Config

        return self.session.client(
            service, endpoint_url=self.url, config=Config(retries={"mode": "standard", "max_attempts": 2})
        )

    def create_model(self, name: str, model_uri: str | None = None, role_arn: str | None = None) -> None:
        self.client("sagemaker").create_model(
            ModelName=name,
            ExecutionRoleArn=role_arn or self.role_arn,
            PrimaryContainer={
                "Image": IMAGE,
                "ModelDataUrl": model_uri or self.model_uri,
                "Environment": ENVIRONMENT,
            },
        )

    def create_config(
        self, name: str, model: str, *, capture: str | None = None, instances: int = 1, **extra: Any
    ) -> None:
        request: dict[str, Any] = {
            "EndpointConfigName": name,
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "ModelName": model,
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": instances,
                }
            ],
            **extra,
        }
        if capture:
            request["DataCaptureConfig"] = {
                "EnableCapture": True,
                "InitialSamplingPercentage": 100,
                "DestinationS3Uri": capture,
                "KmsKeyId": self.key_arn,
                "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
                "CaptureContentTypeHeader": {
                    "CsvContentTypes": ["text/csv"],
                    "JsonContentTypes": ["application/json"],
                },
            }
        self.client("sagemaker").create_endpoint_config(**request)


def build_world(session: Any, url: str | None, bucket: str, *, role_name: str = "serving-exec") -> World:
    """The bucket, key, execution role and model archives (as ``session``, an admin of the
    account)."""
    from botocore.config import Config

    def client(service: str) -> Any:
        return session.client(
            service, endpoint_url=url, config=Config(retries={"mode": "standard", "max_attempts": 2})
        )

    s3, iam, kms = client("s3"), client("iam"), client("kms")
    s3.create_bucket(Bucket=bucket)
    key_arn = kms.create_key(Description="serving tests")["KeyMetadata"]["Arn"]
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=SAGEMAKER_TRUST)["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=role_name,
        PolicyName="serving",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:ListBucket", "s3:PutObject"],
                        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    },
                    {
                        "Effect": "Allow",
                        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                        "Resource": key_arn,
                    },
                ],
            }
        ),
    )
    logistic, forest = fit("logistic"), fit("forest")
    uploads = {
        "models/logistic/model.tar.gz": archive(logistic),
        "models/forest/model.tar.gz": archive(forest),
        "models/broken/model.tar.gz": archive(logistic, BROKEN_INFERENCE),
    }
    for key, body in uploads.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    return World(
        session=session,
        url=url,
        bucket=bucket,
        role_arn=role_arn,
        key_arn=key_arn,
        model_uri=f"s3://{bucket}/models/logistic/model.tar.gz",
        model_bytes=uploads["models/logistic/model.tar.gz"],
        forest_uri=f"s3://{bucket}/models/forest/model.tar.gz",
        forest_bytes=uploads["models/forest/model.tar.gz"],
        broken_uri=f"s3://{bucket}/models/broken/model.tar.gz",
    )
