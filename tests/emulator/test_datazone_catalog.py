"""DataZone's business catalog on the local cloud (in-process): users and project membership, form
and asset types, assets and their revisions, publishing and search, with DataZone's own
authorization by project membership. Each test names the AWS behaviour it pins; the sources are in
the docstrings of scripts/localcloud/moto_ext/datazone/."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from scripts.localcloud.moto_ext.datazone.catalog_records import LISTING_READY_ENV
from scripts.localcloud.moto_ext.datazone.models import READY_DELAY_ENV
from tests.emulator.datazone_world import (
    ACCOUNT,
    CONFIG,
    DATASET,
    World,
    build_world,
    code_of,
    dataset_forms,
    message_of,
    person,
    trust,
)


@pytest.fixture
def world(mocked: None, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv(READY_DELAY_ENV, "0")
    monkeypatch.setenv(LISTING_READY_ENV, "0")
    return build_world()


def profile_id(world: World, arn: str) -> str:
    return str(world.engineer.get_user_profile(domainIdentifier=world.domain, userIdentifier=arn)["id"])


def members(world: World, project: str) -> dict[str, str]:
    listed = world.engineer.list_project_memberships(domainIdentifier=world.domain, projectIdentifier=project)
    return {m["memberDetails"]["user"]["userId"]: m["designation"] for m in listed["members"]}


# -- users and membership ------------------------------------------------------------------------
def test_an_iam_role_is_one_user_and_the_creator_of_a_project_owns_it(world):
    """A role's sessions are one DataZone user (details.iam.arn = the role ARN); CreateProject's
    caller is the project's PROJECT_OWNER."""
    profile = world.engineer.get_user_profile(
        domainIdentifier=world.domain, userIdentifier=world.engineer_arn
    )
    assert (profile["type"], profile["status"]) == ("IAM", "ACTIVATED")
    assert profile["details"]["iam"]["arn"] == world.engineer_arn
    by_id = world.builder.get_user_profile(domainIdentifier=world.domain, userIdentifier=profile["id"])
    assert by_id["details"]["iam"]["arn"] == world.engineer_arn
    assert members(world, world.producer) == {profile["id"]: "PROJECT_OWNER"}
    project = world.engineer.get_project(domainIdentifier=world.domain, identifier=world.producer)
    assert project["createdBy"] == profile["id"]


def test_only_an_owner_manages_members_and_a_project_keeps_an_owner(world):
    builder = profile_id(world, world.builder_arn)
    member = {"userIdentifier": builder}
    for stranger in (world.builder, world.outsider):
        with pytest.raises(ClientError) as denied:
            stranger.create_project_membership(
                domainIdentifier=world.domain,
                projectIdentifier=world.producer,
                member=member,
                designation="PROJECT_OWNER",
            )
        assert code_of(denied) == "AccessDeniedException"
        assert "needs one of PROJECT_OWNER" in message_of(denied)
    world.engineer.create_project_membership(
        domainIdentifier=world.domain,
        projectIdentifier=world.producer,
        member={"userIdentifier": world.builder_arn},
        designation="PROJECT_CONTRIBUTOR",
    )
    assert members(world, world.producer)[builder] == "PROJECT_CONTRIBUTOR"
    with pytest.raises(ClientError) as denied:
        world.builder.delete_project_membership(
            domainIdentifier=world.domain,
            projectIdentifier=world.producer,
            member={"userIdentifier": profile_id(world, world.engineer_arn)},
        )
    assert code_of(denied) == "AccessDeniedException"
    with pytest.raises(ClientError) as last:
        world.engineer.delete_project_membership(
            domainIdentifier=world.domain,
            projectIdentifier=world.producer,
            member={"userIdentifier": profile_id(world, world.engineer_arn)},
        )
    assert code_of(last) == "ValidationException"
    world.engineer.delete_project_membership(
        domainIdentifier=world.domain, projectIdentifier=world.producer, member=member
    )
    assert builder not in members(world, world.producer)
    with pytest.raises(ClientError) as bad:
        world.engineer.create_project_membership(
            domainIdentifier=world.domain,
            projectIdentifier=world.producer,
            member=member,
            designation="USER_CREATED_DESIGNATION",
        )
    assert code_of(bad) == "ValidationException"


def test_user_profiles_are_created_for_existing_principals_of_the_domain_account(world):
    iam = boto3.client("iam", config=CONFIG)
    arn = iam.create_role(RoleName="mlgov-dev-data-grant", AssumeRolePolicyDocument=trust())["Role"]["Arn"]
    with pytest.raises(ClientError) as missing:
        world.engineer.get_user_profile(domainIdentifier=world.domain, userIdentifier=arn)
    assert code_of(missing) == "ResourceNotFoundException"
    created = world.admin.create_user_profile(
        domainIdentifier=world.domain, userIdentifier=arn, userType="IAM_ROLE"
    )
    assert (created["status"], created["details"]["iam"]["arn"]) == ("ACTIVATED", arn)
    again = world.admin.create_user_profile(domainIdentifier=world.domain, userIdentifier=arn)
    assert again["id"] == created["id"]
    refusals = {
        f"arn:aws:iam::{ACCOUNT}:role/does-not-exist": "does not exist",
        "arn:aws:iam::222222222222:role/elsewhere": "does not exist",
    }
    for identifier, text in refusals.items():
        with pytest.raises(ClientError) as refused:
            world.admin.create_user_profile(domainIdentifier=world.domain, userIdentifier=identifier)
        assert code_of(refused) == "ValidationException"
        assert text in message_of(refused)
    for user_type in ("SSO_USER", "IAM_USER"):
        with pytest.raises(ClientError) as refused:
            world.admin.create_user_profile(
                domainIdentifier=world.domain, userIdentifier=arn, userType=user_type
            )
        assert code_of(refused) == "ValidationException"


# -- types and forms -----------------------------------------------------------------------------
def test_a_dataset_is_published_with_its_form_and_the_managed_s3_form(world):
    asset = world.create_dataset()
    assert (asset["revision"], asset["typeIdentifier"], asset["owningProjectId"]) == (
        "1",
        "MlgovS3DatasetAssetType",
        world.producer,
    )
    forms = {f["formName"]: f for f in asset["formsOutput"]}
    assert forms["S3ObjectCollectionForm"]["typeName"] == "amazon.datazone.S3ObjectCollectionFormType"
    assert json.loads(forms["MlgovDatasetForm"]["content"]) == DATASET
    assert ": " not in forms["MlgovDatasetForm"]["content"]  # re-serialized compactly, as DataZone does
    published = world.publish(asset["id"])
    assert (published["listingRevision"], published["status"]) == ("1", "ACTIVE")
    listing = world.builder.get_listing(domainIdentifier=world.domain, identifier=published["listingId"])
    item = listing["item"]["assetListing"]
    assert (item["assetId"], item["assetRevision"], item["assetType"]) == (
        asset["id"],
        "1",
        "MlgovS3DatasetAssetType",
    )
    assert json.loads(item["forms"])["MlgovDatasetForm"]["protectedFacet"] == "age"
    assert item["glossaryTerms"] == [
        {"name": "Credit risk", "shortDescription": "The chance a borrower does not repay"}
    ]
    got = world.engineer.get_asset(domainIdentifier=world.domain, identifier=asset["id"])
    assert got["listing"] == {"listingId": published["listingId"], "listingStatus": "ACTIVE"}


def test_forms_are_validated_against_their_form_types_and_nothing_is_created(world):
    """CreateAsset checks each form against its form type's model and the forms the asset type
    requires; DataZone's messages name the JSON path."""
    cases = {
        "null member": (dataset_forms(owner=None), "$.MlgovDatasetForm.owner: null found, string expected"),
        "wrong type": (
            dataset_forms(schema="age,int"),
            "$.MlgovDatasetForm.schema: string found, array expected",
        ),
        "enum": (
            dataset_forms(classification="SECRET"),
            "$.MlgovDatasetForm.classification: does not have a value",
        ),
        "unknown member": (dataset_forms(pii=True), "$.MlgovDatasetForm.pii: is not defined in the schema"),
        "nested": (
            dataset_forms(schema=[{"name": "age"}]),
            "$.MlgovDatasetForm.schema[0].type: is missing but it is required",
        ),
        "required form": (dataset_forms()[:1], "$.MlgovDatasetForm: is missing but it is required"),
        "managed form": (
            [{"formName": "S3ObjectCollectionForm", "content": "{}"}, dataset_forms()[1]],
            "$.S3ObjectCollectionForm.bucketArn: is missing but it is required",
        ),
        "not json": (
            [dataset_forms()[0], {"formName": "MlgovDatasetForm", "content": "{owner: x}"}],
            "is not valid JSON",
        ),
    }
    for case, (forms, text) in cases.items():
        with pytest.raises(ClientError) as refused:
            world.engineer.create_asset(
                domainIdentifier=world.domain,
                name=case,
                owningProjectIdentifier=world.producer,
                typeIdentifier="MlgovS3DatasetAssetType",
                formsInput=forms,
            )
        assert code_of(refused) == "ValidationException", case
        assert text in message_of(refused), case
    with pytest.raises(ClientError) as missing:
        world.engineer.create_asset(
            domainIdentifier=world.domain,
            name="unknown term",
            owningProjectIdentifier=world.producer,
            typeIdentifier="MlgovS3DatasetAssetType",
            formsInput=dataset_forms(),
            glossaryTerms=["nosuchterm0000"],
        )
    assert code_of(missing) == "ResourceNotFoundException"
    found = world.engineer.search(domainIdentifier=world.domain, searchScope="ASSET")
    assert found["items"] == [] and found["totalMatchCount"] == 0


def test_form_and_asset_types_revise_by_name_and_belong_to_one_project(world):
    """CreateFormType / CreateAssetType with an existing name is the next revision (DataZone has
    no Update call for them); the model must define the structure the form type is named after."""
    model = {"smithy": "structure MlgovDatasetForm { @required s3Uri: String }"}
    revised = world.engineer.create_form_type(
        domainIdentifier=world.domain,
        name="MlgovDatasetForm",
        model=model,
        owningProjectIdentifier=world.producer,
    )
    assert revised["revision"] == "2"
    first = world.engineer.get_form_type(
        domainIdentifier=world.domain, formTypeIdentifier="MlgovDatasetForm", revision="1"
    )
    assert "protectedFacet" in first["model"]["smithy"]
    # The asset type still pins revision 1: the full dataset form is still what it checks.
    world.create_dataset()
    refusals = [
        ("structure Other { a: String }", "must define a structure named Broken"),
        ("structure Broken { a: Missing }", "targets Missing, which is not defined"),
        ("structure Broken { a: String ", "the model ends unexpectedly"),
    ]
    for smithy, text in refusals:
        with pytest.raises(ClientError) as refused:
            world.engineer.create_form_type(
                domainIdentifier=world.domain,
                name="Broken",
                model={"smithy": smithy},
                owningProjectIdentifier=world.producer,
            )
        assert code_of(refused) == "ValidationException"
        assert text in message_of(refused)
    with pytest.raises(ClientError) as reserved:
        world.engineer.create_form_type(
            domainIdentifier=world.domain,
            name="amazon.datazone.MineFormType",
            model={"smithy": "structure MineFormType { a: String }"},
            owningProjectIdentifier=world.producer,
        )
    assert code_of(reserved) == "ValidationException"
    with pytest.raises(ClientError) as other_project:
        world.builder.create_form_type(
            domainIdentifier=world.domain,
            name="MlgovDatasetForm",
            model=model,
            owningProjectIdentifier=world.consumer,
        )
    assert code_of(other_project) == "ConflictException"
    with pytest.raises(ClientError) as not_member:
        world.outsider.create_asset_type(
            domainIdentifier=world.domain,
            name="Sneaky",
            formsInput={},
            owningProjectIdentifier=world.producer,
        )
    assert code_of(not_member) == "AccessDeniedException"
    managed = world.builder.search_types(
        domainIdentifier=world.domain, searchScope="ASSET_TYPE", managed=True
    )
    assert [i["assetTypeItem"]["name"] for i in managed["items"]] == [
        "amazon.datazone.S3ObjectCollectionAssetType"
    ]
    custom = world.builder.search_types(domainIdentifier=world.domain, searchScope="FORM_TYPE", managed=False)
    assert [(i["formTypeItem"]["name"], i["formTypeItem"]["revision"]) for i in custom["items"]] == [
        ("MlgovDatasetForm", "2")
    ]


# -- DataZone's authorization --------------------------------------------------------------------
def test_a_non_member_can_neither_create_revise_publish_nor_read_the_inventory(world):
    asset = world.create_dataset()
    calls = {
        "CreateAsset": lambda c: c.create_asset(
            domainIdentifier=world.domain,
            name="x",
            owningProjectIdentifier=world.producer,
            typeIdentifier="MlgovS3DatasetAssetType",
            formsInput=dataset_forms(),
        ),
        "CreateAssetRevision": lambda c: c.create_asset_revision(
            domainIdentifier=world.domain, identifier=asset["id"], name="x", formsInput=dataset_forms()
        ),
        "CreateListingChangeSet": lambda c: world.publish(asset["id"], client=c),
        "DeleteAsset": lambda c: c.delete_asset(domainIdentifier=world.domain, identifier=asset["id"]),
        "read asset": lambda c: c.get_asset(domainIdentifier=world.domain, identifier=asset["id"]),
        "Search": lambda c: c.search(
            domainIdentifier=world.domain, searchScope="ASSET", owningProjectIdentifier=world.producer
        ),
    }
    for operation, call in calls.items():
        with pytest.raises(ClientError) as denied:
            call(world.outsider)
        assert code_of(denied) == "AccessDeniedException", operation
        assert world.outsider_arn in message_of(denied)
    assert world.outsider.search(domainIdentifier=world.domain, searchScope="ASSET")["items"] == []
    # A catalog viewer reads the inventory but does not publish.
    world.engineer.create_project_membership(
        domainIdentifier=world.domain,
        projectIdentifier=world.producer,
        member={"userIdentifier": world.outsider_arn},
        designation="PROJECT_CATALOG_VIEWER",
    )
    assert (
        world.outsider.get_asset(domainIdentifier=world.domain, identifier=asset["id"])["id"] == asset["id"]
    )
    with pytest.raises(ClientError) as viewer:
        world.publish(asset["id"], client=world.outsider)
    assert code_of(viewer) == "AccessDeniedException"
    assert "is PROJECT_CATALOG_VIEWER of" in message_of(viewer)
    # A contributor publishes.
    world.engineer.create_project_membership(
        domainIdentifier=world.domain,
        projectIdentifier=world.producer,
        member={"userIdentifier": world.outsider_arn},
        designation="PROJECT_CONTRIBUTOR",
    )
    assert world.publish(asset["id"], client=world.outsider)["status"] == "ACTIVE"


def test_only_the_owner_updates_or_deletes_a_project(world):
    for call in (
        lambda: world.outsider.update_project(
            domainIdentifier=world.domain, identifier=world.producer, description="x"
        ),
        lambda: world.outsider.delete_project(domainIdentifier=world.domain, identifier=world.producer),
    ):
        with pytest.raises(ClientError) as denied:
            call()
        assert code_of(denied) == "AccessDeniedException"
    world.engineer.update_project(
        domainIdentifier=world.domain, identifier=world.producer, description="data"
    )


# -- revisions, publishing, search ---------------------------------------------------------------
def test_a_new_revision_is_published_as_a_new_listing_revision(world):
    asset = world.create_dataset()
    first = world.publish(asset["id"])
    revised = world.engineer.create_asset_revision(
        domainIdentifier=world.domain,
        identifier=asset["id"],
        name="German credit",
        formsInput=dataset_forms(s3Uri="s3://mlgov-dev-data/credit/german/v2/"),
        glossaryTerms=[world.term],
    )
    assert revised["revision"] == "2"
    assert revised["firstRevisionCreatedAt"] <= revised["createdAt"]
    revisions = world.engineer.list_asset_revisions(domainIdentifier=world.domain, identifier=asset["id"])[
        "items"
    ]
    assert [r["revision"] for r in revisions] == ["2", "1"]
    with pytest.raises(ClientError) as dropped:
        world.engineer.create_asset_revision(
            domainIdentifier=world.domain,
            identifier=asset["id"],
            name="German credit",
            formsInput=dataset_forms()[:1],
        )
    assert code_of(dropped) == "ValidationException"  # the forms given replace the revision's forms
    second = world.publish(asset["id"])
    assert (second["listingId"], second["listingRevision"]) == (first["listingId"], "2")
    latest = world.builder.get_listing(domainIdentifier=world.domain, identifier=first["listingId"])
    assert latest["item"]["assetListing"]["assetRevision"] == "2"
    assert json.loads(latest["item"]["assetListing"]["forms"])["MlgovDatasetForm"]["s3Uri"].endswith("/v2/")
    older = world.builder.get_listing(
        domainIdentifier=world.domain, identifier=first["listingId"], listingRevision="1"
    )
    assert older["item"]["assetListing"]["assetRevision"] == "1"
    old = world.engineer.get_asset(domainIdentifier=world.domain, identifier=asset["id"], revision="1")
    assert json.loads(old["formsOutput"][1]["content"])["s3Uri"] == DATASET["s3Uri"]


def test_search_by_a_business_term_finds_the_listing_and_an_unpublished_one_is_not_found(world):
    asset = world.create_dataset()
    other = world.create_dataset(name="Churn events")
    listing = world.publish(asset["id"])["listingId"]

    def found(**query) -> list[str]:
        items = world.builder.search_listings(domainIdentifier=world.domain, **query)["items"]
        return [i["assetListing"]["listingId"] for i in items]

    assert found(searchText="credit risk") == [listing]  # the glossary term, not the name
    assert found(searchText="Credit Risk default") == []  # every word must match
    assert found(searchText="risk-data-team") == [listing]  # a searchable form member
    assert found(searchText="CONFIDENTIAL") == []  # not searchable
    assert found(searchText="credit risk", searchIn=[{"attribute": "name"}]) == []
    assert found(searchText="german", searchIn=[{"attribute": "name"}]) == [listing]
    assert found(filters={"filter": {"attribute": "owningProjectId", "value": world.producer}}) == [listing]
    assert found(
        filters={"filter": {"attribute": "MlgovDatasetForm.classification", "value": "CONFIDENTIAL"}}
    ) == [listing]
    assert found(filters={"filter": {"attribute": "typeName", "value": "Other"}}) == []
    with pytest.raises(ClientError) as unknown:
        found(filters={"filter": {"attribute": "colour", "value": "red"}})
    assert code_of(unknown) == "ValidationException"
    assert other["id"] not in str(world.builder.search_listings(domainIdentifier=world.domain))
    world.publish(asset["id"], action="UNPUBLISH")
    assert found(searchText="credit risk") == []
    assert (
        world.builder.get_listing(domainIdentifier=world.domain, identifier=listing)["status"] == "INACTIVE"
    )
    with pytest.raises(ClientError) as twice:
        world.publish(asset["id"], action="UNPUBLISH")
    assert code_of(twice) == "ConflictException"
    world.publish(asset["id"])
    assert found(searchText="credit risk") == [listing]


def test_a_model_asset_type_carries_the_cards_business_details(world):
    """What an approval publishes: a model asset type whose form carries the card's
    business details, risk rating, evaluation, approval and stage, the package ARN and the source
    dataset's asset id; a newer approved version is a new revision; an archived one is unlisted."""
    model_form = """
structure Evaluation {
    quality: Document
    bias: Document
    explainability: Document
}
enum RiskRating {
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"
    UNKNOWN = "Unknown"
}
structure MlgovModelForm {
    @required
    @amazon.datazone#searchable
    businessProblem: String
    @amazon.datazone#searchable
    intendedUses: String
    @required
    riskRating: RiskRating
    evaluation: Evaluation
    @required
    approvalStatus: String
    @required
    stage: String
    @required
    @pattern("^arn:aws:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/.+$")
    modelPackageArn: String
    @required
    sourceDatasetAssetId: String
}
"""
    form = world.engineer.create_form_type(
        domainIdentifier=world.domain,
        name="MlgovModelForm",
        model={"smithy": model_form},
        owningProjectIdentifier=world.producer,
    )
    world.engineer.create_asset_type(
        domainIdentifier=world.domain,
        name="MlgovModelAssetType",
        owningProjectIdentifier=world.producer,
        formsInput={
            "MlgovModelForm": {
                "typeIdentifier": "MlgovModelForm",
                "typeRevision": form["revision"],
                "required": True,
            }
        },
    )
    dataset = world.create_dataset()
    card = {
        "businessProblem": "Decide loan applications",
        "intendedUses": "Pre-screening of consumer credit",
        "riskRating": "Medium",
        "evaluation": {"quality": {"auc": 0.91}, "bias": {"dpl": 0.02}, "explainability": {"top": ["age"]}},
        "approvalStatus": "Approved",
        "stage": "Production",
        "modelPackageArn": "arn:aws:sagemaker:us-east-1:333333333333:model-package/credit-risk/1",
        "sourceDatasetAssetId": dataset["id"],
    }

    def model_forms(**changes):
        return [{"formName": "MlgovModelForm", "content": json.dumps({**card, **changes})}]

    with pytest.raises(ClientError) as bad_arn:
        world.engineer.create_asset(
            domainIdentifier=world.domain,
            name="credit-risk",
            owningProjectIdentifier=world.producer,
            typeIdentifier="MlgovModelAssetType",
            formsInput=model_forms(modelPackageArn="credit-risk/1"),
        )
    assert "does not match the regex pattern" in message_of(bad_arn)
    model = world.engineer.create_asset(
        domainIdentifier=world.domain,
        name="credit-risk",
        owningProjectIdentifier=world.producer,
        typeIdentifier="MlgovModelAssetType",
        formsInput=model_forms(),
        glossaryTerms=[world.term],
        externalIdentifier=card["modelPackageArn"],
    )
    listing = world.publish(model["id"])["listingId"]
    hits = world.builder.search_listings(
        domainIdentifier=world.domain,
        searchText="credit risk",
        filters={"filter": {"attribute": "typeName", "value": "MlgovModelAssetType"}},
    )["items"]
    assert [h["assetListing"]["entityId"] for h in hits] == [model["id"]]
    found = world.builder.search_listings(domainIdentifier=world.domain, searchText="pre-screening")["items"]
    assert [h["assetListing"]["listingId"] for h in found] == [listing]
    world.engineer.create_asset_revision(
        domainIdentifier=world.domain,
        identifier=model["id"],
        name="credit-risk",
        formsInput=model_forms(modelPackageArn=card["modelPackageArn"][:-1] + "2"),
        glossaryTerms=[world.term],
    )
    assert world.publish(model["id"])["listingRevision"] == "2"
    world.publish(model["id"], action="UNPUBLISH")
    assert (
        world.builder.search_listings(domainIdentifier=world.domain, searchText="credit risk")["items"] == []
    )
    with pytest.raises(ClientError) as duplicate:
        world.engineer.create_asset(
            domainIdentifier=world.domain,
            name="again",
            owningProjectIdentifier=world.producer,
            typeIdentifier="MlgovModelAssetType",
            formsInput=model_forms(),
            externalIdentifier=card["modelPackageArn"],
        )
    assert code_of(duplicate) == "ConflictException"


def test_a_listing_is_creating_until_its_publication_is_ready(world, monkeypatch, clock):
    """Publishing is asynchronous on AWS (the getting-started script waits after publishing):
    the listing is CREATING, unsearchable and not subscribable until it is ACTIVE."""
    monkeypatch.setenv(LISTING_READY_ENV, "60")
    asset = world.create_dataset()
    published = world.publish(asset["id"])
    assert published["status"] == "CREATING"
    assert world.builder.search_listings(domainIdentifier=world.domain, searchText="credit")["items"] == []
    with pytest.raises(ClientError) as early:
        world.builder.create_subscription_request(
            domainIdentifier=world.domain,
            subscribedPrincipals=[{"project": {"identifier": world.consumer}}],
            subscribedListings=[{"identifier": published["listingId"]}],
            requestReason="train",
        )
    assert code_of(early) == "ValidationException"
    clock.advance(61)
    assert (
        world.builder.get_listing(domainIdentifier=world.domain, identifier=published["listingId"])["status"]
        == "ACTIVE"
    )
    assert (
        len(world.builder.search_listings(domainIdentifier=world.domain, searchText="credit")["items"]) == 1
    )


def test_search_pages_through_results_with_tokens_tied_to_the_search(world):
    for index in range(3):
        world.publish(world.create_dataset(name=f"credit part {index}")["id"])
    first = world.builder.search_listings(domainIdentifier=world.domain, searchText="credit", maxResults=2)
    assert (len(first["items"]), first["totalMatchCount"]) == (2, 3)
    rest = world.builder.search_listings(
        domainIdentifier=world.domain, searchText="credit", maxResults=2, nextToken=first["nextToken"]
    )
    assert len(rest["items"]) == 1 and "nextToken" not in rest
    names = [i["assetListing"]["name"] for i in first["items"] + rest["items"]]
    assert names == ["credit part 0", "credit part 1", "credit part 2"]
    ordered = world.builder.search_listings(
        domainIdentifier=world.domain, searchText="credit", sort={"attribute": "name", "order": "DESCENDING"}
    )
    assert [i["assetListing"]["name"] for i in ordered["items"]] == names[::-1]
    with pytest.raises(ClientError):
        world.builder.search_listings(
            domainIdentifier=world.domain, searchText="other", maxResults=2, nextToken=first["nextToken"]
        )


def test_deleting_a_published_asset_needs_it_unpublished(world):
    asset = world.create_dataset()
    world.publish(asset["id"])
    with pytest.raises(ClientError) as published:
        world.engineer.delete_asset(domainIdentifier=world.domain, identifier=asset["id"])
    assert code_of(published) == "ConflictException"
    world.publish(asset["id"], action="UNPUBLISH")
    world.engineer.delete_asset(domainIdentifier=world.domain, identifier=asset["id"])
    with pytest.raises(ClientError) as gone:
        world.engineer.get_asset(domainIdentifier=world.domain, identifier=asset["id"])
    assert code_of(gone) == "ResourceNotFoundException"


def test_a_person_is_a_distinct_user_per_role(world):
    """Two roles are two users; the same role in two sessions is one."""
    arn, again = person("mlgov-dev-second")
    first = again.get_user_profile(domainIdentifier=world.domain, userIdentifier=arn)["id"]
    assert first != profile_id(world, world.engineer_arn)
    creds = boto3.client("sts", config=CONFIG).assume_role(RoleArn=arn, RoleSessionName="another-session")[
        "Credentials"
    ]
    other_session = boto3.client(
        "datazone",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        config=CONFIG,
    )
    project = other_session.create_project(domainIdentifier=world.domain, name="second")["id"]
    assert members(world, project) == {first: "PROJECT_OWNER"}


def test_the_new_operations_check_their_input_server_side(world):
    """AWS's server-side constraints (validation.py) cover the added operations: ranges, enums and
    patterns botocore's client does not check."""
    cases = [
        (
            lambda: world.builder.search_listings(domainIdentifier=world.domain, maxResults=51),
            "less than or equal to 50",
        ),
        (
            lambda: world.engineer.create_project_membership(
                domainIdentifier=world.domain,
                projectIdentifier=world.producer,
                member={"userIdentifier": world.builder_arn},
                designation="PROJECT_ADMIN",
            ),
            "Member must satisfy enum value set",
        ),
        (
            lambda: world.engineer.get_asset_type(domainIdentifier=world.domain, identifier=".hidden"),
            "regular expression pattern",
        ),
    ]
    for call, text in cases:
        with pytest.raises(ClientError) as refused:
            call()
        assert code_of(refused) == "ValidationException"
        assert text in message_of(refused)


def test_types_and_glossaries_are_torn_down_as_terraform_does(world):
    """aws_datazone_glossary / _glossary_term disable before they delete; a form type used by an
    asset type, an asset type with assets and a term still attached cannot go."""
    asset = world.create_dataset()
    refusals = [
        lambda c: c.delete_glossary_term(domainIdentifier=world.domain, identifier=world.term),
        lambda c: c.delete_glossary(domainIdentifier=world.domain, identifier=world.glossary),
        lambda c: c.delete_form_type(domainIdentifier=world.domain, formTypeIdentifier="MlgovDatasetForm"),
        lambda c: c.delete_asset_type(domainIdentifier=world.domain, identifier="MlgovS3DatasetAssetType"),
    ]
    for refuse in refusals:
        with pytest.raises(ClientError) as denied:
            refuse(world.outsider)
        assert code_of(denied) == "AccessDeniedException"
        with pytest.raises(ClientError) as conflict:
            refuse(world.engineer)
        assert code_of(conflict) == "ConflictException"
    world.engineer.update_glossary_term(
        domainIdentifier=world.domain, identifier=world.term, status="DISABLED"
    )
    with pytest.raises(ClientError) as attached:
        world.engineer.delete_glossary_term(domainIdentifier=world.domain, identifier=world.term)
    assert "is attached to assets" in message_of(attached)
    world.engineer.delete_asset(domainIdentifier=world.domain, identifier=asset["id"])
    world.engineer.delete_glossary_term(domainIdentifier=world.domain, identifier=world.term)
    renamed = world.engineer.update_glossary(
        domainIdentifier=world.domain, identifier=world.glossary, status="DISABLED"
    )
    assert renamed["status"] == "DISABLED"
    world.engineer.delete_glossary(domainIdentifier=world.domain, identifier=world.glossary)
    world.engineer.delete_asset_type(domainIdentifier=world.domain, identifier="MlgovS3DatasetAssetType")
    world.engineer.delete_form_type(domainIdentifier=world.domain, formTypeIdentifier="MlgovDatasetForm")
    with pytest.raises(ClientError) as managed:
        world.engineer.delete_asset_type(
            domainIdentifier=world.domain, identifier="amazon.datazone.S3ObjectCollectionAssetType"
        )
    assert code_of(managed) == "ValidationException"
    with pytest.raises(ClientError) as gone:
        world.engineer.get_form_type(domainIdentifier=world.domain, formTypeIdentifier="MlgovDatasetForm")
    assert code_of(gone) == "ResourceNotFoundException"
