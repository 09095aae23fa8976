"""Approved model versions in the DataZone catalog (in-process, IAM enforced): an approved version
is listed with its card's business metadata, a newer one is the next revision, a rejected or
archived one is not listed, and a search by a business term finds the model."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scripts.datazone import catalog, models
from scripts.governance import review
from tests.governance.datazone_platform import DataPlatform, build

CARD = {
    "intended_uses": {
        "purpose_of_model": "Score retail credit applications",
        "intended_uses": "Decision support for loan officers",
        "risk_rating": "High",
    },
    "business_details": {
        "business_problem": "Reduce defaults on consumer loans",
        "business_stakeholders": "Credit risk office",
        "line_of_business": "Retail lending",
    },
    "evaluation_details": [
        {
            "name": "holdout-evaluation",
            "metric_groups": [
                {
                    "name": "binary_classification",
                    "metric_data": [{"name": "accuracy", "type": "number", "value": 0.8125}],
                }
            ],
        },
        {
            "name": "post-training-bias",
            "metric_groups": [
                {"name": "age_group", "metric_data": [{"name": "DPPL", "type": "number", "value": 0.04}]}
            ],
        },
    ],
    "additional_information": {"custom_details": {"dataset_asset_id": "asset-of-the-dataset"}},
}


@pytest.fixture
def world(mocked: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    yield from build(monkeypatch)


@pytest.fixture
def ready(world: DataPlatform) -> DataPlatform:
    catalog.setup(world.platform)
    return world


def register(world: DataPlatform, approval: str = "Approved", card_status: str = "Approved") -> str:
    sm = world.deploy.client("sagemaker")
    return str(
        sm.create_model_package(
            ModelPackageGroupName=world.names.model_package_group("credit-risk"),
            ModelApprovalStatus=approval,
            InferenceSpecification={
                "Containers": [{"Image": "123.dkr.ecr.us-east-1.amazonaws.com/x:1"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            ModelCard={"ModelCardContent": json.dumps(CARD), "ModelCardStatus": card_status},
            ModelLifeCycle={"Stage": "Development", "StageStatus": "Registered"},
        )["ModelPackageArn"]
    )


def found(world: DataPlatform, text: str) -> list[dict[str, Any]]:
    """What the data engineer (another project's member) finds in the catalog."""
    dz = world.act_as("data_engineer").client("datazone")
    items = dz.search_listings(domainIdentifier=world.domain, searchText=text)["items"]
    return [i["assetListing"] for i in items]


def listed_form(world: DataPlatform, listing_id: str) -> dict[str, Any]:
    dz = world.act_as("data_engineer").client("datazone")
    shown = dz.get_listing(domainIdentifier=world.domain, identifier=listing_id)
    return dict(json.loads(shown["item"]["assetListing"]["forms"])["MlgovModelForm"])


def test_an_approved_version_is_found_by_a_business_term_with_its_card(ready):
    arn = register(ready)
    published = models.publish_model(ready.platform, "dev", version="1")
    assert published["action"] == "published"
    [listing] = found(ready, "retail lending")
    assert (listing["name"], listing["entityId"], listing["owningProjectId"]) == (
        "mlgov-credit-risk-model-dev",
        published["asset_id"],
        ready.projects["credit-risk"],
    )
    form = listed_form(ready, listing["listingId"])
    assert form == {
        "modelPackageArn": arn,
        "useCase": "credit-risk",
        "environment": "dev",
        "version": 1,
        "businessProblem": "Reduce defaults on consumer loans",
        "lineOfBusiness": "Retail lending",
        "businessStakeholders": "Credit risk office",
        "intendedUses": "Decision support for loan officers",
        "riskRating": "High",
        "evaluation": {"quality": "accuracy=0.8125", "bias": "post-training-bias: DPPL=0.04"},
        "approvalStatus": "Approved",
        "stage": "Development/Registered",
        "sourceDatasetAssetId": "asset-of-the-dataset",
    }
    assert models.publish_model(ready.platform, "dev", version="1")["action"] == "unchanged"
    # another project (the producer project, through its creator) subscribes to the model
    asked = ready.deploy.client("datazone").create_subscription_request(
        domainIdentifier=ready.domain,
        subscribedPrincipals=[{"project": {"identifier": ready.producer}}],
        subscribedListings=[{"identifier": listing["listingId"]}],
        requestReason="monitor the credit model's inputs",
    )
    assert asked["status"] == "PENDING"


def test_a_newer_version_is_a_new_revision_and_a_rejected_one_is_not_listed(ready):
    register(ready)
    first = models.publish_model(ready.platform, "dev", version="1")
    newer = register(ready)
    second = models.publish_model(ready.platform, "dev", version="2")
    assert (second["action"], second["asset_id"], second["revision"]) == ("published", first["asset_id"], "2")
    [listing] = found(ready, "retail lending")
    assert listed_form(ready, listing["listingId"])["modelPackageArn"] == newer
    # an older version approved later does not replace the newer one
    assert models.publish_model(ready.platform, "dev", version="1")["action"] == "newer-listed"

    rejected = register(ready, approval="Rejected")
    assert models.publish_model(ready.platform, "dev", version="3")["action"] == "not-listed"
    [listing] = found(ready, "retail lending")
    assert listed_form(ready, listing["listingId"])["modelPackageArn"] == newer != rejected

    # the listed version rejected: out of the catalog
    ready.deploy.client("sagemaker").update_model_package(
        ModelPackageArn=newer, ModelApprovalStatus="Rejected"
    )
    assert models.publish_model(ready.platform, "dev", version="2")["action"] == "unlisted"
    assert found(ready, "retail lending") == []


def test_an_archived_card_is_not_listed(ready):
    register(ready, card_status="Archived")
    assert models.publish_model(ready.platform, "dev", version="1")["action"] == "not-listed"
    assert found(ready, "retail lending") == []


def test_approval_publishes_through_the_review_hook(ready):
    register(ready, approval="PendingManualApproval", card_status="Approved")
    approved = review.set_approval(ready.platform, "dev", "1", "meets the bar", source=ready.admin)
    assert approved["catalog"]["action"] == "published"
    assert [entry["name"] for entry in found(ready, "retail lending")] == ["mlgov-credit-risk-model-dev"]
    rejected = review.set_approval(
        ready.platform, "dev", "1", "bias found", decision="Rejected", source=ready.admin
    )
    assert rejected["catalog"]["action"] == "unlisted"
    assert found(ready, "retail lending") == []


def card_details(world: DataPlatform, arn: str) -> tuple[dict[str, str], Any]:
    desc = world.deploy.client("sagemaker").describe_model_package(ModelPackageName=arn)
    card = json.loads(desc["ModelCard"]["ModelCardContent"])
    return card["additional_information"]["custom_details"], desc["LastModifiedTime"]


def audit_actions(world: DataPlatform, version: int) -> list[str]:
    """The audit records of ``version``, by action (read as the deploy role)."""
    listed = world.deploy.client("s3").list_objects_v2(
        Bucket=world.names.artifact_bucket,
        Prefix=f"{world.names.audit_prefix}{world.names.model_package_group('credit-risk')}/v{version:06d}/",
    )
    return sorted(o["Key"].rsplit("/", 1)[-1].split("_")[1] for o in listed.get("Contents", []))


def test_the_card_records_the_catalog_asset_and_the_report_shows_it(ready):
    """The approver's approval publishes the version and writes the asset id and listed revision
    on its card (audited); a republish writes nothing; a newer version's card names the next
    revision and the older card keeps its own; the report shows the asset (text and HTML)."""
    from scripts.governance import report

    first = register(ready, approval="PendingManualApproval")
    approved = review.set_approval(ready.platform, "dev", "1", "meets the bar", source=ready.admin)
    assert (approved["catalog"]["action"], approved["catalog"]["card"]) == ("published", "recorded")
    [listing] = found(ready, "retail lending")
    details, modified = card_details(ready, first)
    assert (details["model_asset_id"], details["model_asset_revision"]) == (
        listing["entityId"],
        listing["entityRevision"],
    )
    # the card's other details are as registered (the dataset asset the form carries included)
    assert details["dataset_asset_id"] == "asset-of-the-dataset"
    assert listed_form(ready, listing["listingId"])["sourceDatasetAssetId"] == "asset-of-the-dataset"
    assert audit_actions(ready, 1) == ["approve", "catalog-asset"]

    again = models.publish_model(ready.platform, "dev", version="1")
    assert (again["action"], again["card"]) == ("unchanged", "unchanged")
    assert card_details(ready, first) == (details, modified)
    assert audit_actions(ready, 1) == ["approve", "catalog-asset"]

    newer = register(ready, approval="PendingManualApproval")
    review.set_approval(ready.platform, "dev", "2", "better", source=ready.admin)
    [listing] = found(ready, "retail lending")
    assert card_details(ready, newer)[0]["model_asset_revision"] == listing["entityRevision"] == "2"
    assert card_details(ready, newer)[0]["model_asset_id"] == details["model_asset_id"]
    assert card_details(ready, first)[0]["model_asset_revision"] == "1"

    # the report's rows as the collection makes them from each version's card (this in-process
    # platform has dev only; the report also reads the environments downstream of it)
    sm = ready.deploy.client("sagemaker")
    rows = {}
    for version, arn in ((1, first), (2, newer)):
        desc = sm.describe_model_package(ModelPackageName=arn)
        content, error = report.collection.card_content(desc)
        rows[version] = report.VersionRow(
            env="dev",
            account=ready.names.env.account_id,
            use_case="credit-risk",
            group=desc["ModelPackageGroupName"],
            version=version,
            arn=arn,
            approval=desc["ModelApprovalStatus"],
            approval_description=None,
            card=desc["ModelCard"]["ModelCardStatus"],
            card_content=content,
            card_error=error,
            stage="Development",
            stage_status="Registered",
            source_arn=None,
            promoted_to=(),
            came_from=None,
            went_to=None,
            last_audit=None,
        )
    shown = report.Report(
        environments=("dev",),
        versions=(rows[1], rows[2]),
        chains=(),
        details=True,
        generated="now",
        seconds=0.0,
    )
    assert rows[2].model_asset == (details["model_asset_id"], "2")
    assert rows[2].to_dict()["model_asset_id"] == details["model_asset_id"]
    assert f"{details['model_asset_id']} r2" in report.render_table(shown)
    page = report.render_html(shown)
    assert f"{details['model_asset_id']} revision 2" in page
    assert f"{details['model_asset_id']} revision 1" in page


def test_an_archived_card_is_not_written(ready):
    """A version listed, then its card archived: the archiving unlists it, and the card's details
    stay as they were (AWS refuses any change to an Archived card's content)."""
    arn = register(ready, approval="PendingManualApproval")
    review.set_approval(ready.platform, "dev", "1", "meets the bar", source=ready.admin)
    before = card_details(ready, arn)
    archived = review.set_card_status(ready.platform, "dev", "1", "Archived", "retired", source=ready.admin)
    assert archived["catalog"]["action"] == "unlisted"
    assert found(ready, "retail lending") == []
    assert card_details(ready, arn)[0] == before[0]
    assert models.publish_model(ready.platform, "dev", version="1")["action"] == "not-listed"


def test_the_hook_says_when_the_catalog_is_not_set_up(world):
    register(world, approval="PendingManualApproval")
    approved = review.set_approval(world.platform, "dev", "1", "meets the bar", source=world.admin)
    assert approved["catalog"] == {
        "action": "skipped",
        "why": "MlgovModelAssetType does not exist yet: run `mlgov data setup`",
    }


def test_the_hook_says_when_the_caller_cannot_act_in_the_catalog(ready):
    """The decision stands; the catalog step names why it did nothing."""
    register(ready, approval="PendingManualApproval")
    ready.deploy.client("iam").update_assume_role_policy(
        RoleName=ready.names.role_name("data_scientist"),
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": ready.names.role_arn("approver")},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    approved = review.set_approval(ready.platform, "dev", "1", "meets the bar", source=ready.admin)
    assert approved["changed"] is True
    assert approved["catalog"]["action"] == "skipped"
    assert (
        "cannot assume arn:aws:iam::111111111111:role/mlgov-dev-data-scientist" in approved["catalog"]["why"]
    )


def test_the_quality_entry_name_matches_the_cards():
    from scripts.governance.cards import EVAL_QUALITY

    assert models.EVAL_QUALITY == EVAL_QUALITY


def test_mlgov_data_search_finds_the_model_by_a_business_term_with_its_forms(ready, capsys):
    from scripts import cli

    arn = register(ready)
    models.publish_model(ready.platform, "dev", version="1")
    capsys.readouterr()
    assert cli.main(["data", "search", "--text", "retail lending", "--json"]) == 0
    [hit] = json.loads(capsys.readouterr().out)["listings"]
    assert (hit["name"], hit["type"]) == ("mlgov-credit-risk-model-dev", "MlgovModelAssetType")
    form = hit["forms"]["MlgovModelForm"]
    assert (form["modelPackageArn"], form["lineOfBusiness"]) == (arn, "Retail lending")
    assert cli.main(["data", "search", "--text", "no such business", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["listings"] == []
    assert cli.main(["data", "search", "--text", "  "]) == 2
    assert "--text is empty" in capsys.readouterr().err
