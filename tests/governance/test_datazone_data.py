"""`mlgov data` on the local cloud with IAM enforced (in-process): the data engineer publishes the
credit dataset, a use case's project subscribes, the owner decides; the use case's execution role
reads the data only while an approved subscription's grant is in place."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from scripts.datazone import catalog, datasets, grants
from scripts.errors import KitError, PermissionDeniedError
from tests.governance.datazone_platform import DataPlatform, build


@pytest.fixture
def world(mocked: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    yield from build(monkeypatch)


@pytest.fixture
def ready(world: DataPlatform) -> DataPlatform:
    """After ``mlgov data setup`` and ``mlgov data publish``."""
    catalog.setup(world.platform)
    datasets.publish(world.platform)
    return world


def read_dataset(world: DataPlatform, role: str = "execution") -> str:
    """GetObject of the dataset as one of the use case's roles (the execution role, or the
    pipeline execution role its pipeline runs as); the error code when refused."""
    s3 = world.act_as(role).client("s3")
    key = f"{world.names.datasets_prefix}credit/credit.csv"
    try:
        s3.get_object(Bucket=world.names.artifact_bucket, Key=key)["Body"].read()
        return "read"
    except ClientError as err:
        return str(err.response["Error"]["Code"])


def audit_records(world: DataPlatform) -> list[dict[str, Any]]:
    s3 = world.deploy.client("s3")
    listed = s3.list_objects_v2(Bucket=world.names.artifact_bucket, Prefix="audit/datazone/").get(
        "Contents", []
    )
    return [
        json.loads(s3.get_object(Bucket=world.names.artifact_bucket, Key=o["Key"])["Body"].read())
        for o in listed
    ]


def test_setup_makes_the_people_members_and_the_types(world):
    done = catalog.setup(world.platform)
    assert sorted(done["types"]) == ["MlgovModelAssetType", "MlgovS3DatasetAssetType"]
    assert {(m["role"].rsplit("/", 1)[1], m["designation"]) for m in done["members"]} == {
        ("mlgov-dev-data-engineer", "PROJECT_OWNER"),
        ("mlgov-dev-data-scientist", "PROJECT_CONTRIBUTOR"),
    }
    again = catalog.setup(world.platform)
    assert again["types"] == []


def test_publish_lists_the_dataset_with_its_form(ready):
    published = datasets.publish(ready.platform)
    assert published["changed"] is False  # the same table: no new revision
    dz = ready.act_as("data_scientist").client("datazone")
    [item] = dz.search_listings(domainIdentifier=ready.domain, searchText="risk-data-team")["items"]
    listing = item["assetListing"]
    assert (listing["name"], listing["entityId"], listing["owningProjectId"]) == (
        "mlgov-credit",
        published["asset_id"],
        ready.producer,
    )
    shown = dz.get_listing(domainIdentifier=ready.domain, identifier=listing["listingId"])
    form = json.loads(shown["item"]["assetListing"]["forms"])["MlgovDatasetForm"]
    assert (form["protectedFacet"], form["owner"], form["classification"]) == (
        "age_group",
        "risk-data-team",
        "CONFIDENTIAL",
    )
    assert {"name": "age_group", "type": "string"} in form["schema"]
    assert form["s3Uri"] == f"s3://{ready.names.artifact_bucket}/datasets/credit/"


def test_subscription_is_the_way_to_the_data(ready):
    assert read_dataset(ready) == "AccessDenied"  # no subscription
    assert read_dataset(ready, "pipeline") == "AccessDenied"
    asked = datasets.subscribe(ready.platform, use_case="credit-risk", reason="train the credit model")
    assert asked["status"] == "PENDING"
    assert datasets.subscribe(ready.platform, use_case="credit-risk", reason="again")["changed"] is False
    assert read_dataset(ready) == "AccessDenied"  # requested, not decided

    approved = datasets.approve(ready.platform, request_id=asked["request_id"], reason="model training, Q4")
    assert read_dataset(ready) == "read"
    assert read_dataset(ready, "pipeline") == "read"
    sub = approved["subscription_id"]
    assert approved["policy"] == f"mlgov-datazone-{sub}"
    assert approved["s3_prefix"] == f"s3://{ready.names.artifact_bucket}/datasets/credit/"
    assert approved["roles"] == ["mlgov-dev-sagemaker-execution", "mlgov-dev-pipeline-execution"]
    # exactly the prefix: the rest of the bucket stays closed
    s3 = ready.act_as("execution").client("s3")
    with pytest.raises(ClientError) as denied:
        s3.get_object(Bucket=ready.names.artifact_bucket, Key=approved["audit_key"])
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    [record] = audit_records(ready)
    assert (record["what"], record["why"]) == (
        {"action": "grant", "subscription_id": sub},
        "model training, Q4",
    )
    assert record["who"].startswith("arn:aws:sts::111111111111:assumed-role/mlgov-dev-data-grant/")
    assert record["details"]["decided_by"].startswith(
        "arn:aws:sts::111111111111:assumed-role/mlgov-dev-data-engineer/"
    )

    revoked = datasets.revoke(ready.platform, subscription_id=sub, reason="project closed")
    assert revoked["status"] == "REVOKED"
    assert revoked["removed_from"] == ["mlgov-dev-sagemaker-execution", "mlgov-dev-pipeline-execution"]
    assert read_dataset(ready) == "AccessDenied"
    assert read_dataset(ready, "pipeline") == "AccessDenied"
    assert [r["what"]["action"] for r in sorted(audit_records(ready), key=lambda r: r["when"])] == [
        "grant",
        "revoke",
    ]
    # a rerun finds nothing left to remove, and says so
    assert datasets.revoke(ready.platform, subscription_id=sub, reason="project closed")["removed_from"] == []


def test_a_rejected_request_grants_nothing(ready):
    asked = datasets.subscribe(ready.platform, use_case="credit-risk", reason="train")
    rejected = datasets.reject(
        ready.platform, request_id=asked["request_id"], reason="use the anonymised copy"
    )
    assert rejected["status"] == "REJECTED"
    assert read_dataset(ready) == "AccessDenied"
    with pytest.raises(KitError, match="was rejected"):
        datasets.approve(ready.platform, request_id=asked["request_id"], reason="changed my mind")
    assert read_dataset(ready) == "AccessDenied"


def test_the_data_scientist_cannot_decide_its_own_request(ready):
    asked = datasets.subscribe(ready.platform, use_case="credit-risk", reason="train")
    dz = ready.act_as("data_scientist").client("datazone")
    with pytest.raises(ClientError) as denied:
        dz.accept_subscription_request(domainIdentifier=ready.domain, identifier=asked["request_id"])
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    # nor assume the grant role
    with pytest.raises(ClientError) as refused:
        ready.act_as("data_scientist").client("sts").assume_role(
            RoleArn=ready.names.role_arn("data_grant"), RoleSessionName="sneaky"
        )
    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_the_grant_role_writes_only_the_grantee_roles(ready):
    engineer = catalog.role_context(
        ready.platform, ready.platform.datazone_home, "data_engineer", job="t", source=None
    )
    granter = grants.granter(engineer)
    with pytest.raises(PermissionDeniedError), grants.kit_errors(granter.role_arn):
        granter.client("iam").put_role_policy(
            RoleName=ready.names.role_name("data_engineer"),
            PolicyName="mlgov-datazone-x",
            PolicyDocument=json.dumps(grants.read_policy(ready.names.artifact_bucket, "datasets/")),
        )


def test_a_non_member_cannot_publish_into_the_producer_project(ready):
    """The data scientist is allowed CreateAsset by IAM but is no member of the producer project:
    DataZone refuses."""
    dz = ready.act_as("data_scientist").client("datazone")
    with pytest.raises(ClientError) as denied:
        dz.create_asset(
            domainIdentifier=ready.domain,
            name="mlgov-credit-copy",
            owningProjectIdentifier=ready.producer,
            typeIdentifier="MlgovS3DatasetAssetType",
            formsInput=[],
        )
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"


def test_approve_refuses_a_project_that_is_no_use_case(ready):
    """A project the kit does not know gets no grant (and its request stays undecided)."""
    dz = ready.deploy.client("datazone")  # an administrator's side project
    stray = dz.create_project(domainIdentifier=ready.domain, name="side-project")["id"]
    listing = datasets.subscribe(ready.platform, use_case="credit-risk", reason="x")["listing_id"]
    asked = dz.create_subscription_request(
        domainIdentifier=ready.domain,
        subscribedPrincipals=[{"project": {"identifier": stray}}],
        subscribedListings=[{"identifier": listing}],
        requestReason="side",
    )
    with pytest.raises(KitError, match="no use case's project"):
        datasets.approve(ready.platform, request_id=asked["id"], reason="ok")
    detail = dz.get_subscription_request_details(domainIdentifier=ready.domain, identifier=asked["id"])
    assert detail["status"] == "PENDING"
    assert read_dataset(ready) == "AccessDenied"


def test_list_shows_listings_requests_and_subscriptions(ready):
    asked = datasets.subscribe(ready.platform, use_case="credit-risk", reason="train")
    shown = datasets.listing(ready.platform)
    assert [entry["name"] for entry in shown["listings"]] == ["mlgov-credit"]
    assert [(r["request_id"], r["status"], r["reason"]) for r in shown["subscription_requests"]] == [
        (asked["request_id"], "PENDING", "train")
    ]
    mine = datasets.listing(ready.platform, role="data_scientist", use_case="credit-risk")
    assert [r["request_id"] for r in mine["subscription_requests"]] == [asked["request_id"]]


def test_only_the_home_environment_holds_the_catalog(world):
    with pytest.raises(KitError, match="use --env dev"):
        datasets.publish(world.platform, "staging")


def test_the_command_line_runs_the_flow_and_refuses_bad_input(world, capsys):
    from scripts import cli

    assert cli.main(["data", "setup", "--json"]) == 0
    assert cli.main(["data", "publish", "--json"]) == 0
    capsys.readouterr()
    assert cli.main(["data", "subscribe", "--use-case", "credit-risk", "--reason", "train", "--json"]) == 0
    request = json.loads(capsys.readouterr().out)["request_id"]
    # a blank reason is refused before anything changes
    assert cli.main(["data", "approve-subscription", "--request", request, "--reason", " "]) == 2
    assert "a reason is required" in capsys.readouterr().err
    assert read_dataset(world) == "AccessDenied"
    assert cli.main(["data", "approve-subscription", "--request", request, "--reason", "ok", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "APPROVED"
    assert read_dataset(world) == "read"
    assert cli.main(["data", "list"]) == 0
    assert "mlgov-credit" in capsys.readouterr().out
    assert cli.main(["data", "publish", "--env", "prod"]) == 2
    assert "use --env dev" in capsys.readouterr().err
