"""``mlgov batch`` on the stacks as Terraform applied them, IAM enforced: the model-deploy role
runs the transform job, which reads its input and writes its output as the execution role with
the synthesized serving policy, under the platform key and bucket policy the stack made.

dev v1 (seeded, reviewed and approved as the workflow does) transforms a CSV into exactly the
predictions of the model loaded on its own from its archive; a dev version that is not Approved
is refused naming the approval gate, with nothing written; in prod the data scientist can neither
take the model-deploy role nor start a transform job itself.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import joblib
import pytest

from environments import Names
from scripts.governance import review, seed
from scripts.governance.context import env_context
from scripts.governance.errors import RefusedError
from scripts.serving import batch
from tests.e2e.deployed import DeployedCloud

# It writes audit records into the shared accounts (test_workflow.py counts them).
pytestmark = [pytest.mark.e2e, pytest.mark.e2e_after_workflow]

ROWS = [
    [38.5, 0.21, 4.0, 0.0, 12.0, 3.5],
    [120.0, 0.05, 15.0, 0.0, 20.0, 10.0],
    [22.0, 0.62, 1.0, 3.0, 30.0, 0.5],
    [64.0, 0.33, 8.0, 1.0, 9.5, 2.0],
]


@pytest.fixture
def jobs_env(deployed_cloud: DeployedCloud, monkeypatch: pytest.MonkeyPatch) -> DeployedCloud:
    for key, value in deployed_cloud.cloud.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return deployed_cloud


def _approved_v1(jobs_env: DeployedCloud) -> None:
    """dev v1 seeded, its card and the version approved (as test_serve_deployed.py does)."""
    platform = jobs_env.platform
    seed.seed(platform, "dev")
    ctx = env_context(platform, "dev", "approver", job="test")
    arn = Names.of(platform, "dev").model_package_arn_pattern("credit-risk")[:-1] + "1"
    desc = ctx.client("sagemaker").describe_model_package(ModelPackageName=arn)
    card = desc["ModelCard"]["ModelCardStatus"]
    for status in {"Draft": ["PendingReview", "Approved"], "PendingReview": ["Approved"]}.get(card, []):
        review.set_card_status(platform, "dev", "1", status, "e2e batch")
    if desc["ModelApprovalStatus"] != "Approved":
        review.set_approval(platform, "dev", "1", "e2e batch")


def _model_of(jobs_env: DeployedCloud, package_arn: str) -> Any:
    dev = jobs_env.account("dev")
    desc = dev.client("sagemaker").describe_model_package(ModelPackageName=package_arn)
    uri = desc["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    bucket, key = uri[5:].split("/", 1)
    archive = dev.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        member = tar.extractfile("model.joblib")
        assert member is not None
        return joblib.load(io.BytesIO(member.read()))


def test_batch_of_dev_v1_as_the_deployed_model_deploy_role(jobs_env: DeployedCloud, tmp_path: Path) -> None:
    platform = jobs_env.platform
    _approved_v1(jobs_env)
    source = tmp_path / "applicants.csv"
    source.write_text("\n".join(",".join(map(str, r)) for r in ROWS) + "\n")

    result = batch.transform(
        platform, "dev", "1", "e2e batch", csv_path=str(source), download=str(tmp_path / "out"), poll=0.5
    )
    assert result["status"] == "Completed", result
    (out,) = result["outputs"]
    answered = [
        (int(label), float(p))
        for label, p in (line.split(",") for line in Path(out["path"]).read_text().splitlines())
    ]
    model = _model_of(jobs_env, result["model_package_arn"])
    mine = [
        (int(label), float(p))
        for label, p in zip(model.predict(ROWS), model.predict_proba(ROWS)[:, 1], strict=True)
    ]
    assert answered == mine
    assert "error" not in result["lineage"]

    # a version that is not Approved: refused naming the gate, nothing written
    approver = env_context(platform, "dev", "approver", job="test").client("sagemaker")
    group = Names.of(platform, "dev").model_package_group("credit-risk")
    pending = [
        p["ModelPackageArn"]
        for p in approver.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
        if p["ModelApprovalStatus"] != "Approved"
    ]
    if not pending:
        # after the workflow every dev version is approved: register one that is not (as seed
        # does, as the data scientist: PendingManualApproval, card Draft)
        from scripts.governance import seed
        from scripts.governance.train import TrainingSpec

        probe = TrainingSpec("batch-probe", "decision_stump", {"max_depth": 2})
        [registered] = seed.seed(platform, "dev", specs=[probe])["versions"]
        pending = [registered["arn"]]
    with pytest.raises(RefusedError) as refused:
        batch.transform(platform, "dev", pending[0], "e2e batch", csv_path=str(source))
    assert "approval" in [f.gate for f in refused.value.failures]
    number = int(pending[0].rsplit("/", 1)[-1])
    name = Names.of(platform, "dev").serving_name("credit-risk", number)
    jobs = jobs_env.account("dev").client("sagemaker").list_transform_jobs(NameContains=name)
    assert jobs["TransformJobSummaries"] == []


def test_the_data_scientist_cannot_run_a_batch_transform_in_prod(jobs_env: DeployedCloud) -> None:
    platform = jobs_env.platform
    names = Names.of(platform, "prod")
    scientist = env_context(platform, "prod", "data_scientist", job="test")
    with pytest.raises(Exception, match=r"AccessDenied|not authorized"):
        scientist.client("sts").assume_role(RoleArn=names.role_arn("model_deploy"), RoleSessionName="try")
    bucket = names.artifact_bucket
    with pytest.raises(Exception, match=r"AccessDenied|not authorized"):
        scientist.client("sagemaker").create_transform_job(
            TransformJobName=f"{names.serving_name('credit-risk', 1)}-by-hand",
            ModelName=names.serving_name("credit-risk", 1),
            TransformInput={
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{bucket}/{names.batch_input_prefix('credit-risk')}x/",
                    }
                },
                "ContentType": "text/csv",
                "SplitType": "Line",
            },
            TransformOutput={"S3OutputPath": f"s3://{bucket}/{names.batch_output_prefix('credit-risk')}x"},
            TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        )
    with pytest.raises(Exception, match=r"AccessDenied|not authorized"):
        scientist.client("s3").put_object(
            Bucket=bucket, Key=f"{names.batch_input_prefix('credit-risk')}x/rows.csv", Body=b"1,2\n"
        )
