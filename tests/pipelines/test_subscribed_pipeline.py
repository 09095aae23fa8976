"""The sample pipeline on its subscribed dataset, on the local cloud with IAM enforced (in-process,
the DataZone world of tests/governance/datazone_platform.py with the pipeline execution role and
the data scientist's pipeline policy as the stack gives them):

- without an approved subscription the pipeline role cannot read the dataset: an input named by
  hand (past ``start``'s own check) fails at the preprocessing job with S3's AccessDenied;
- with one, ``mlgov pipeline start`` runs on it and the version it registers names the asset id
  and revision the catalog lists on its card, and ``mlgov lineage`` shows the asset id on the
  dataset the chain ends at;
- revoking the subscription removes the read: the same input fails again.

Needs the ``pipeline`` extra (as test_pipeline_runs.py); three executions, so about a minute or two.
"""

from __future__ import annotations

import importlib.util
import json
import os
from typing import Any

import pytest
from moto import mock_aws

from scripts import command
from scripts.datazone import catalog, datasets
from scripts.governance.lineage import ASSET_ID, lineage_of
from scripts.governance.metadata import DATASET_ASSET_KEY, DATASET_REVISION_KEY
from scripts.pipelines import runs as pipeline_runs
from tests.governance.datazone_platform import DataPlatform, build

if importlib.util.find_spec("sagemaker.mlops") is None or importlib.util.find_spec("sagemaker.train") is None:
    _MISSING = "the pipeline extra (sagemaker-mlops, sagemaker-train) is not installed"
    if os.environ.get("CI", "").strip().lower() in ("true", "1"):
        pytest.fail(f"{_MISSING}. CI=true: `make install` installs it", pytrace=False)
    pytest.skip(_MISSING, allow_module_level=True)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Any:
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("SAGEMAKER_VALIDATE_ROLE", "false")
    with mock_aws():
        yield from build(monkeypatch)


def run(world: DataPlatform, *parameters: str) -> tuple[dict[str, Any], str | None]:
    """Start and wait; the result and the error (None when it succeeded)."""
    done = pipeline_runs.start(world.platform, "dev", parameters=parameters, wait_for_end=True, interval=0.5)
    if isinstance(done, command.Outcome):
        return done.result, str(done.error) if done.error else None
    return done, None


def test_the_pipeline_reads_the_data_only_through_an_approved_subscription(world):
    catalog.setup(world.platform)
    datasets.publish(world.platform)
    assert pipeline_runs.upsert(world.platform, "dev")["action"] == "created"
    prefix = f"s3://{world.names.artifact_bucket}/datasets/credit/"

    # no subscription: past start's own check, IAM is what refuses, at the job
    result, error = run(world, f"InputData={prefix}")
    assert result["status"] == "Failed" and error is not None
    [preprocess] = [s for s in result["steps"] if s["step"] == "Preprocess"]
    assert preprocess["status"] == "Failed" and "AccessDenied" in preprocess["failure_reason"], preprocess

    asked = datasets.subscribe(world.platform, use_case="credit-risk", reason="train the credit model")
    approved = datasets.approve(world.platform, request_id=asked["request_id"], reason="model training")
    result, error = run(world)
    assert error is None and result["status"] == "Succeeded", result
    dataset = result["dataset"]
    assert dataset["s3_uri"] == prefix == approved["s3_prefix"]
    dz = world.act_as("data_scientist").client("datazone")
    [item] = dz.search_listings(domainIdentifier=world.domain, searchText="mlgov-credit")["items"]
    listed = (item["assetListing"]["entityId"], item["assetListing"]["entityRevision"])
    assert (dataset["asset_id"], dataset["revision"]) == listed

    approver = world.act_as("approver").client("sagemaker")
    package = approver.describe_model_package(ModelPackageName=result["model_package"])
    details = json.loads(package["ModelCard"]["ModelCardContent"])["additional_information"]["custom_details"]
    assert (details[DATASET_ASSET_KEY], details[DATASET_REVISION_KEY]) == listed
    assert details["datazone_project_id"] == world.projects["credit-risk"]

    walked = lineage_of(world.platform, "dev", result["model_package"].rsplit("/", 1)[-1])
    assert walked["reaches_dataset"] is True
    start = walked["chain"][-1]
    assert (start["kind"], start["source_uri"]) == ("DataSet", prefix)
    assert start["properties"][ASSET_ID] == listed[0]

    datasets.revoke(world.platform, subscription_id=approved["subscription_id"], reason="project closed")
    result, error = run(world, f"InputData={prefix}")
    assert result["status"] == "Failed" and error is not None
    [preprocess] = [s for s in result["steps"] if s["step"] == "Preprocess"]
    assert "AccessDenied" in preprocess["failure_reason"], preprocess
