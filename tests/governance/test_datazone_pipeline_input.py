"""The subscribed dataset as a version's input, on the local cloud with IAM enforced (in-process):
``mlgov pipeline start`` takes the dataset from the use case's approved subscription (its prefix,
asset id and listed revision) and refuses, naming the request to make, without one; a version
registered with the dataset's asset carries the same id and revision on its card and in lineage
as the catalog lists. The pipeline run itself: tests/pipelines/test_subscribed_pipeline.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scripts.datazone import catalog, datasets
from scripts.errors import UsageError
from scripts.governance import cards, lineage
from scripts.governance.metadata import DATASET_ASSET_KEY, DATASET_REVISION_KEY
from scripts.pipelines import runs as pipeline_runs
from tests.governance.datazone_platform import DataPlatform, build

DEFINITION = Path(__file__).parents[1] / "emulator" / "fixtures" / "credit_risk_pipeline_definition.json"


@pytest.fixture
def world(mocked: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    yield from build(monkeypatch)


@pytest.fixture
def published(world: DataPlatform) -> dict[str, Any]:
    """After ``mlgov data setup`` and ``mlgov data publish``; the use case's pipeline exists (the
    committed definition of the sample, created as the deploy role)."""
    catalog.setup(world.platform)
    done = datasets.publish(world.platform)
    world.deploy.client("sagemaker").create_pipeline(
        PipelineName=world.names.pipeline_name("credit-risk"),
        PipelineDefinition=DEFINITION.read_text(),
        RoleArn=world.names.role_arn("pipeline"),
    )
    return done


def catalog_asset(world: DataPlatform) -> tuple[str, str]:
    """The dataset's asset id and revision as the catalog lists it (SearchListings, any user)."""
    dz = world.act_as("data_scientist").client("datazone")
    [item] = dz.search_listings(domainIdentifier=world.domain, searchText="mlgov-credit")["items"]
    return item["assetListing"]["entityId"], item["assetListing"]["entityRevision"]


def dry_start(world: DataPlatform, *parameters: str) -> dict[str, Any]:
    result = pipeline_runs.start(world.platform, "dev", parameters=parameters, dry_run=True)
    assert isinstance(result, dict)
    return result


def test_start_reads_the_subscribed_dataset_and_refuses_without_a_subscription(world, published):
    with pytest.raises(UsageError) as none:
        dry_start(world)
    assert "no approved subscription to dataset 'mlgov-credit'" in str(none.value)
    assert "mlgov data subscribe --env dev --use-case credit-risk --reason" in str(none.value)

    asked = datasets.subscribe(world.platform, use_case="credit-risk", reason="train the credit model")
    with pytest.raises(UsageError) as pending:
        dry_start(world)
    assert f"request {asked['request_id']} waits for the data owner" in str(pending.value)

    approved = datasets.approve(world.platform, request_id=asked["request_id"], reason="model training")
    started = dry_start(world, "MinRocAuc=0.7")
    asset_id, revision = catalog_asset(world)
    assert started["parameters"] == {
        "MinRocAuc": "0.7",
        "InputData": f"s3://{world.names.artifact_bucket}/datasets/credit/",
        "DatasetAssetId": asset_id,
        "DatasetRevision": revision,
    }
    assert started["parameters"]["InputData"] == approved["s3_prefix"]  # what the grant covers
    assert started["dataset"]["subscription_id"] == approved["subscription_id"]

    # the asset is the subscription's, never the caller's word
    with pytest.raises(UsageError, match="DatasetAssetId: set by `mlgov pipeline start`"):
        dry_start(world, "DatasetAssetId=someone-elses")
    # an input named by hand is no catalog asset: nothing is resolved or recorded
    own = dry_start(world, f"InputData=s3://{world.names.artifact_bucket}/data/credit-risk/x.csv")
    assert own["dataset"] is None and "DatasetAssetId" not in own["parameters"]

    datasets.revoke(world.platform, subscription_id=approved["subscription_id"], reason="closed")
    with pytest.raises(UsageError, match="no approved subscription"):
        dry_start(world)


def test_a_registration_with_the_dataset_names_its_asset_on_the_card_and_in_lineage(world, published):
    """What ``mlgov register`` records with the subscribed dataset: the card's custom details and
    the lineage's dataset artifact (and training run) name the asset the catalog lists."""
    asked = datasets.subscribe(world.platform, use_case="credit-risk", reason="train")
    datasets.approve(world.platform, request_id=asked["request_id"], reason="ok")
    found = datasets.subscribed(world.platform, use_case="credit-risk")
    asset_id, revision = catalog_asset(world)
    assert (found["asset_id"], found["revision"]) == (asset_id, revision)

    content = cards.assemble(
        {},
        creator="test",
        artifact_uri=f"s3://{world.names.artifact_bucket}/models/credit-risk/model.tar.gz",
        evaluations=[],
        datazone_project_id=world.projects["credit-risk"],
        use_case="credit-risk",
        dataset_asset=(found["asset_id"], found["revision"]),
    ).model_dump(mode="json", exclude_none=True)
    details = content["additional_information"]["custom_details"]
    assert (details[DATASET_ASSET_KEY], details[DATASET_REVISION_KEY]) == (asset_id, revision)
    # and a team's card may not set them itself
    assert cards.kit_owned({"additional_information": {"custom_details": {DATASET_ASSET_KEY: "x"}}})

    package = f"arn:aws:sagemaker:us-east-1:{world.names.env.account_id}:model-package/mlgov-credit-risk/1"
    lineage.record_registration(
        world.act_as("data_scientist").client("sagemaker"),
        package_arn=package,
        env="dev",
        dataset_uri=found["s3_uri"],
        dataset_hash="ab" * 32,
        model_uri=f"s3://{world.names.artifact_bucket}/models/credit-risk/model.tar.gz",
        training={"algorithm": "logistic_regression"},
        dataset_asset=found,
    )
    approver = world.act_as("approver").client("sagemaker")
    chain = lineage.walk_back(lambda account: approver, package)
    dataset, training = chain[-1], chain[-2]
    assert (dataset.kind, dataset.source_uri) == ("DataSet", found["s3_uri"])
    assert dataset.properties[lineage.ASSET_ID] == asset_id
    assert dataset.properties["sha256"] == "ab" * 32  # kept beside the asset
    assert (training.properties["dataset_asset_id"], training.properties["dataset_asset_revision"]) == (
        asset_id,
        revision,
    )
    shown = lineage.render(
        {
            "version": package,
            "environment": "dev",
            "use_case": "credit-risk",
            "reaches_dataset": True,
            "chain": [{**n.to_dict(), "environment": "dev"} for n in chain],
        }
    )
    assert f"datazone_asset_id={asset_id}" in shown and f"dataset_asset_revision={revision}" in shown
    json.dumps(found)  # the resolved dataset is plain data (it goes into --json output)


def test_register_with_the_subscribed_dataset(world, published, tmp_path, capsys):
    """``mlgov register --subscribed-dataset``: refused without an approved subscription (nothing
    registered); with one, the version's card and lineage name the asset the catalog lists."""
    from scripts.governance.register import job as register_job
    from tests.governance.fixtures.team_model import register_args, write_team_model

    team = write_team_model(tmp_path / "team")
    args = [*register_args(team, use_case="credit-risk"), "--json"]
    at = args.index("--dataset")
    del args[at : at + 2]  # the dataset is the subscribed one
    sm = world.act_as("approver").client("sagemaker")
    group = world.names.model_package_group("credit-risk")

    assert register_job.main([*args, "--subscribed-dataset"]) == 2
    assert "no approved subscription to dataset 'mlgov-credit'" in capsys.readouterr().err
    assert sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"] == []
    assert register_job.main([*args, "--subscribed-dataset", "--dataset", str(team.dataset)]) == 2
    assert "give one" in capsys.readouterr().err

    asked = datasets.subscribe(world.platform, use_case="credit-risk", reason="train")
    datasets.approve(world.platform, request_id=asked["request_id"], reason="ok")
    assert register_job.main([*args, "--subscribed-dataset"]) == 0
    out = json.loads(capsys.readouterr().out)
    asset_id, revision = catalog_asset(world)
    assert (out["dataset_asset"]["asset_id"], out["dataset_asset"]["revision"]) == (asset_id, revision)
    package = sm.describe_model_package(ModelPackageName=out["version"]["arn"])
    details = json.loads(package["ModelCard"]["ModelCardContent"])["additional_information"]["custom_details"]
    assert (details[DATASET_ASSET_KEY], details[DATASET_REVISION_KEY]) == (asset_id, revision)
    walked = lineage.lineage_of(world.platform, "dev", out["version"]["arn"].rsplit("/", 1)[-1])
    dataset = walked["chain"][-1]
    assert (dataset["kind"], dataset["source_uri"]) == (
        "DataSet",
        f"s3://{world.names.artifact_bucket}/datasets/credit/",
    )
    assert dataset["properties"][lineage.ASSET_ID] == asset_id
