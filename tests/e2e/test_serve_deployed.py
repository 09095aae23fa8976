"""``mlgov serve`` on the stacks as Terraform applied them, IAM enforced: the model-deploy role,
the execution role and its serving policy, the key and bucket policies are the synthesized ones.

dev v1 (seeded, reviewed and approved as the workflow does) is deployed, answers the predictions
of the model loaded on its own from its archive, and is undeployed; the data-scientist role can
neither assume the model-deploy role nor create an endpoint itself.
"""

from __future__ import annotations

import io
import tarfile

import joblib
import pytest

from environments import Names
from scripts.governance import review, seed
from scripts.governance.context import env_context
from scripts.governance.errors import PermissionDeniedError
from scripts.serving import deploy, runtime
from tests.e2e.deployed import DeployedCloud

pytestmark = pytest.mark.e2e


@pytest.fixture
def jobs_env(deployed_cloud: DeployedCloud, monkeypatch: pytest.MonkeyPatch) -> DeployedCloud:
    for key, value in deployed_cloud.cloud.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return deployed_cloud


def test_serve_dev_v1_as_the_deployed_model_deploy_role(jobs_env: DeployedCloud) -> None:
    platform = jobs_env.platform
    seed.seed(platform, "dev")
    ctx = env_context(platform, "dev", "approver", job="test")
    card = ctx.client("sagemaker").describe_model_package(
        ModelPackageName=Names.of(platform, "dev").model_package_arn_pattern("credit-risk")[:-1] + "1"
    )["ModelCard"]["ModelCardStatus"]
    for status in {"Draft": ["PendingReview", "Approved"], "PendingReview": ["Approved"]}.get(card, []):
        review.set_card_status(platform, "dev", "1", status, "e2e serve")
    review.set_approval(platform, "dev", "1", "e2e serve")

    served = deploy.serve(platform, "dev", "1", "e2e serve")
    assert served["status"] == "InService" and served["endpoint"] == "mlgov-credit-risk"
    try:
        dev = jobs_env.account("dev")
        desc = dev.client("sagemaker").describe_model_package(ModelPackageName=served["model_package_arn"])
        uri = desc["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
        bucket, key = uri[5:].split("/", 1)
        archive = dev.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            member = tar.extractfile("model.joblib")
            assert member is not None
            model = joblib.load(io.BytesIO(member.read()))
        rows = [[38.5, 0.21, 4.0, 0.0, 12.0, 3.5], [120.0, 0.05, 15.0, 0.0, 20.0, 10.0]]
        answer = runtime.invoke(platform, "dev", "\n".join(",".join(map(str, r)) for r in rows))
        mine = [
            (int(label), float(p))
            for label, p in zip(model.predict(rows), model.predict_proba(rows)[:, 1], strict=True)
        ]
        assert [(p["predicted_label"], p["probability"]) for p in answer["predictions"]] == mine

        # the data scientist: not trusted by the model-deploy role, no hosting of its own
        scientist = env_context(platform, "dev", "data_scientist", job="test")
        with pytest.raises(Exception, match=r"AccessDenied|not authorized"):
            scientist.client("sts").assume_role(
                RoleArn=Names.of(platform, "dev").role_arn("model_deploy"), RoleSessionName="try"
            )
        with pytest.raises(Exception, match=r"AccessDenied|not authorized"):
            scientist.client("sagemaker").delete_endpoint(EndpointName=served["endpoint"])
        # the model-deploy role never writes a version (a change, whatever v2's status now)
        v2 = ctx.client("sagemaker").describe_model_package(
            ModelPackageName=served["model_package_arn"][:-1] + "2"
        )["ModelApprovalStatus"]
        decision = "Rejected" if v2 != "Rejected" else "Approved"
        with pytest.raises(PermissionDeniedError, match="UpdateModelPackage"):
            review.set_approval(platform, "dev", "2", "self-approval", decision=decision, role="model_deploy")
    finally:
        gone = deploy.undeploy(platform, "dev", "e2e serve done")
    assert gone["changed"] and gone["previous"] == served["model_package_arn"]
