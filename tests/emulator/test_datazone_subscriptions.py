"""Subscriptions on the local cloud (in-process): a consumer project requests a listing, the owning
project decides with a reason, the subscription is revoked or cancelled; grants for a custom
subscription target are requested by DataZone and reported by the publisher's automation; and
the events a grant mechanism reacts to reach EventBridge rules."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from scripts.localcloud.moto_ext.datazone.catalog_records import LISTING_READY_ENV
from scripts.localcloud.moto_ext.datazone.models import READY_DELAY_ENV
from tests.emulator.datazone_world import (
    ACCOUNT,
    CONFIG,
    World,
    build_world,
    code_of,
    message_of,
    person,
    trust,
)


@pytest.fixture
def world(mocked: None, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv(READY_DELAY_ENV, "0")
    monkeypatch.setenv(LISTING_READY_ENV, "0")
    built = build_world()
    asset = built.create_dataset()
    built.extra["asset"] = asset["id"]
    built.extra["listing"] = built.publish(asset["id"])["listingId"]
    return built


@pytest.fixture
def inbox(world: World) -> Any:
    """Every aws.datazone event of the domain's account, through a rule to an SQS queue."""
    sqs = boto3.client("sqs", config=CONFIG)
    url = sqs.create_queue(QueueName="datazone-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events", config=CONFIG)
    events.put_rule(Name="datazone", EventPattern=json.dumps({"source": ["aws.datazone"]}))
    events.put_targets(Rule="datazone", Targets=[{"Id": "queue", "Arn": arn}])

    def received() -> list[dict[str, Any]]:
        found = []
        while True:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return found
            for message in batch:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    return received


def request(
    world: World, client: Any = None, project: str | None = None, reason: str = "train the credit model"
) -> dict[str, Any]:
    return dict(
        (client or world.builder).create_subscription_request(
            domainIdentifier=world.domain,
            subscribedPrincipals=[{"project": {"identifier": project or world.consumer}}],
            subscribedListings=[{"identifier": world.extra["listing"]}],
            requestReason=reason,
        )
    )


def subscriptions(world: World, **filters: Any) -> list[dict[str, Any]]:
    return list(
        world.builder.list_subscriptions(
            domainIdentifier=world.domain, owningProjectId=world.consumer, **filters
        )["items"]
    )


def test_the_owner_accepts_with_a_reason_and_the_events_go_out(world, inbox):
    asked = request(world)
    assert asked["status"] == "PENDING"
    assert asked["subscribedPrincipals"] == [{"project": {"id": world.consumer, "name": "mlgov-credit-risk"}}]
    [listed] = asked["subscribedListings"]
    assert (listed["id"], listed["ownerProjectId"], listed["item"]["assetListing"]["entityId"]) == (
        world.extra["listing"],
        world.producer,
        world.extra["asset"],
    )
    pending = world.engineer.list_subscription_requests(
        domainIdentifier=world.domain, approverProjectId=world.producer, status="PENDING"
    )["items"]
    assert [r["id"] for r in pending] == [asked["id"]]
    accepted = world.engineer.accept_subscription_request(
        domainIdentifier=world.domain, identifier=asked["id"], decisionComment="approved for model training"
    )
    engineer = world.engineer.get_user_profile(
        domainIdentifier=world.domain, userIdentifier=world.engineer_arn
    )["id"]
    assert (accepted["status"], accepted["decisionComment"], accepted["reviewerId"]) == (
        "ACCEPTED",
        "approved for model training",
        engineer,
    )
    [subscription] = subscriptions(world)
    assert (subscription["status"], subscription["subscriptionRequestId"]) == ("APPROVED", asked["id"])
    detail = world.builder.get_subscription_request_details(
        domainIdentifier=world.domain, identifier=asked["id"]
    )
    assert detail["status"] == "ACCEPTED"
    events = {e["detail-type"]: e for e in inbox()}
    assert {"Subscription Request Created", "Subscription Request Accepted", "Subscription Created"} <= set(
        events
    )
    created = events["Subscription Request Created"]
    assert (created["source"], created["region"]) == ("aws.datazone", "us-east-1")
    assert created["detail"]["metadata"]["awsAccountId"] == ACCOUNT  # the domain's account
    metadata, data = created["detail"]["metadata"], created["detail"]["data"]
    assert (metadata["id"], metadata["domain"], metadata["owningProjectId"]) == (
        asked["id"],
        world.domain,
        world.consumer,
    )
    assert data["subscribedListings"][0]["ownerProjectId"] == world.producer
    assert data["subscribedPrincipals"] == [{"id": world.consumer, "type": "PROJECT"}]
    made = events["Subscription Created"]["detail"]["data"]
    assert (made["status"], made["subscribedListing"]["id"], made["subscribedPrincipal"]["id"]) == (
        "APPROVED",
        world.extra["listing"],
        world.consumer,
    )
    assert (
        events["Subscription Request Accepted"]["detail"]["data"]["decisionComment"]
        == "approved for model training"
    )


def test_the_owner_rejects_with_a_reason_and_no_subscription_exists(world, inbox):
    asked = request(world)
    rejected = world.engineer.reject_subscription_request(
        domainIdentifier=world.domain,
        identifier=asked["id"],
        decisionComment="the protected facet is not cleared for this use",
    )
    assert (rejected["status"], rejected["decisionComment"]) == (
        "REJECTED",
        "the protected facet is not cleared for this use",
    )
    assert subscriptions(world) == []
    with pytest.raises(ClientError) as decided:
        world.engineer.accept_subscription_request(domainIdentifier=world.domain, identifier=asked["id"])
    assert code_of(decided) == "ConflictException"
    assert "Subscription Request Rejected" in [e["detail-type"] for e in inbox()]
    # A rejected request does not block asking again.
    assert request(world, reason="with the facet removed")["status"] == "PENDING"


def test_only_the_owning_project_decides_and_only_members_of_a_project_request_for_it(world):
    with pytest.raises(ClientError) as stranger:
        request(world, client=world.outsider)
    assert code_of(stranger) == "AccessDeniedException"
    asked = request(world)
    for client in (world.builder, world.outsider):
        for decide in (client.accept_subscription_request, client.reject_subscription_request):
            with pytest.raises(ClientError) as denied:
                decide(domainIdentifier=world.domain, identifier=asked["id"])
            assert code_of(denied) == "AccessDeniedException"
    with pytest.raises(ClientError) as hidden:
        world.outsider.get_subscription_request_details(domainIdentifier=world.domain, identifier=asked["id"])
    assert code_of(hidden) == "AccessDeniedException"
    assert (
        world.outsider.list_subscription_requests(
            domainIdentifier=world.domain, approverProjectId=world.producer
        )["items"]
        == []
    )
    with pytest.raises(ClientError) as unfiltered:
        world.engineer.list_subscription_requests(domainIdentifier=world.domain)
    assert code_of(unfiltered) == "ValidationException"
    assert "Missing required filters" in message_of(unfiltered)


def test_a_project_asks_once_per_listing(world):
    request(world)
    with pytest.raises(ClientError) as twice:
        request(world, reason="again")
    assert code_of(twice) == "ConflictException"
    assert "SubscriptionRequest already exists" in message_of(twice)
    [pending] = world.engineer.list_subscription_requests(
        domainIdentifier=world.domain, owningProjectId=world.consumer
    )["items"]
    world.engineer.accept_subscription_request(domainIdentifier=world.domain, identifier=pending["id"])
    with pytest.raises(ClientError) as subscribed:
        request(world, reason="and again")
    assert code_of(subscribed) == "ConflictException"


def test_revoke_and_cancel_end_a_subscription_once(world, inbox):
    world.engineer.accept_subscription_request(domainIdentifier=world.domain, identifier=request(world)["id"])
    [subscription] = subscriptions(world)
    with pytest.raises(ClientError) as consumer_revokes:
        world.builder.revoke_subscription(domainIdentifier=world.domain, identifier=subscription["id"])
    assert code_of(consumer_revokes) == "AccessDeniedException"
    revoked = world.engineer.revoke_subscription(domainIdentifier=world.domain, identifier=subscription["id"])
    assert revoked["status"] == "REVOKED"
    with pytest.raises(ClientError) as again:
        world.builder.cancel_subscription(domainIdentifier=world.domain, identifier=subscription["id"])
    assert code_of(again) == "ConflictException"
    revoked_event = [e for e in inbox() if e["detail-type"] == "Subscription Revoked"]
    assert [e["detail"]["data"]["status"] for e in revoked_event] == ["REVOKED"]
    # Asked and approved again, then cancelled by the subscriber.
    world.engineer.accept_subscription_request(domainIdentifier=world.domain, identifier=request(world)["id"])
    [approved] = subscriptions(world, status="APPROVED")
    with pytest.raises(ClientError) as publisher_cancels:
        world.outsider.cancel_subscription(domainIdentifier=world.domain, identifier=approved["id"])
    assert code_of(publisher_cancels) == "AccessDeniedException"
    assert (
        world.builder.cancel_subscription(domainIdentifier=world.domain, identifier=approved["id"])["status"]
        == "CANCELLED"
    )
    assert [s["status"] for s in subscriptions(world, sortOrder="ASCENDING")] == ["REVOKED", "CANCELLED"]
    assert "Subscription Cancelled" in [e["detail-type"] for e in inbox()]


# -- grants for a custom subscription target (DataZone does not manage S3 access) ----------------
def environment_with_target(world: World) -> dict[str, Any]:
    """The consumer project's environment in the account (custom AWS service blueprint, the
    training role as environment role) and its subscription target for the dataset type, whose
    grants the publisher's grant role reports."""
    iam = boto3.client("iam", config=CONFIG)
    training = iam.create_role(RoleName="mlgov-dev-sagemaker-execution", AssumeRolePolicyDocument=trust())[
        "Role"
    ]["Arn"]
    grant_arn, grant = person("mlgov-dev-data-grant")
    blueprint = world.builder.list_environment_blueprints(
        domainIdentifier=world.domain, managed=True, name="CustomAwsService"
    )["items"][0]["id"]
    with pytest.raises(ClientError) as not_enabled:
        world.builder.create_environment(
            domainIdentifier=world.domain,
            projectIdentifier=world.consumer,
            name="training",
            environmentBlueprintIdentifier=blueprint,
            environmentAccountIdentifier=ACCOUNT,
            environmentAccountRegion="us-east-1",
        )
    assert code_of(not_enabled) == "ValidationException"
    world.admin.put_environment_blueprint_configuration(
        domainIdentifier=world.domain, environmentBlueprintIdentifier=blueprint, enabledRegions=["us-east-1"]
    )
    environment = world.builder.create_environment(
        domainIdentifier=world.domain,
        projectIdentifier=world.consumer,
        name="training",
        environmentBlueprintIdentifier=blueprint,
        environmentAccountIdentifier=ACCOUNT,
        environmentAccountRegion="us-east-1",
    )
    world.builder.associate_environment_role(
        domainIdentifier=world.domain, environmentIdentifier=environment["id"], environmentRoleArn=training
    )
    target = world.builder.create_subscription_target(
        domainIdentifier=world.domain,
        environmentIdentifier=environment["id"],
        name="s3-prefix-read",
        type="BaseSubscriptionTargetType",
        subscriptionTargetConfig=[],
        authorizedPrincipals=[training],
        manageAccessRole=grant_arn,
        applicableAssetTypes=["MlgovS3DatasetAssetType"],
        provider="mlgov",
    )
    return {"environment": environment, "target": target, "grant": grant, "training": training}


def test_approval_requests_a_grant_the_grant_role_reports_and_revocation_requests_its_revoke(world, inbox):
    setup = environment_with_target(world)
    env = world.builder.get_environment(domainIdentifier=world.domain, identifier=setup["environment"]["id"])
    assert env["provisionedResources"] == [
        {"name": "userRoleArn", "type": "IAMRole", "value": setup["training"], "provider": "IAM"}
    ]
    world.engineer.accept_subscription_request(domainIdentifier=world.domain, identifier=request(world)["id"])
    [subscription] = subscriptions(world)
    [grant] = world.builder.list_subscription_grants(
        domainIdentifier=world.domain, subscriptionId=subscription["id"]
    )["items"]
    assert (grant["status"], grant["assets"][0]["status"], grant["subscriptionTargetId"]) == (
        "PENDING",
        "GRANT_PENDING",
        setup["target"]["id"],
    )
    requested = [e for e in inbox() if e["detail-type"] == "Subscription Grant Requested"]
    [event] = requested
    data = event["detail"]["data"]
    assert event["detail"]["metadata"]["id"] == grant["id"]
    assert (data["asset"]["listingId"], data["asset"]["typeName"], data["subscriptionTarget"]["id"]) == (
        world.extra["listing"],
        "MlgovS3DatasetAssetType",
        setup["target"]["id"],
    )
    assert data["subscriptionTarget"]["environmentId"] == setup["environment"]["id"]

    def report(client: Any, status: str, **extra: Any) -> dict[str, Any]:
        return dict(
            client.update_subscription_grant_status(
                domainIdentifier=world.domain,
                identifier=grant["id"],
                assetIdentifier=world.extra["asset"],
                status=status,
                **extra,
            )
        )

    with pytest.raises(ClientError) as consumer_reports:
        report(world.builder, "GRANTED")
    assert code_of(consumer_reports) == "AccessDeniedException"
    assert report(setup["grant"], "GRANT_IN_PROGRESS")["status"] == "IN_PROGRESS"
    granted = report(setup["grant"], "GRANTED")
    assert (granted["status"], granted["assets"][0]["status"]) == ("COMPLETED", "GRANTED")
    assert "grantedTimestamp" in granted["assets"][0]
    with pytest.raises(ClientError) as out_of_turn:
        report(setup["grant"], "REVOKED")
    assert code_of(out_of_turn) == "ConflictException"
    assert "Subscription Grant Completed" in [e["detail-type"] for e in inbox()]
    with pytest.raises(ClientError) as still_granted:
        world.builder.delete_subscription_grant(domainIdentifier=world.domain, identifier=grant["id"])
    assert code_of(still_granted) == "ConflictException"

    world.engineer.revoke_subscription(domainIdentifier=world.domain, identifier=subscription["id"])
    pending = world.builder.get_subscription_grant(domainIdentifier=world.domain, identifier=grant["id"])
    assert (pending["status"], pending["assets"][0]["status"]) == ("PENDING", "REVOKE_PENDING")
    revoke_events = [e for e in inbox() if e["detail-type"] == "Subscription Grant Revoke Requested"]
    assert [e["detail"]["metadata"]["id"] for e in revoke_events] == [grant["id"]]
    failed = report(setup["grant"], "REVOKE_FAILED", failureCause={"message": "policy write refused"})
    assert (failed["status"], failed["assets"][0]["failureCause"]) == (
        "REVOKE_FAILED",
        {"message": "policy write refused"},
    )
    assert report(setup["grant"], "REVOKED")["assets"][0]["status"] == "REVOKED"
    assert {"Subscription Grant Revoke Failed", "Subscription Grant Revoke Completed"} <= {
        e["detail-type"] for e in inbox()
    }
    world.builder.delete_subscription_grant(domainIdentifier=world.domain, identifier=grant["id"])
    assert world.builder.list_subscription_grants(domainIdentifier=world.domain)["items"] == []


def test_retain_permissions_leaves_the_grant_and_a_new_target_gets_grants_for_held_subscriptions(
    world, inbox
):
    world.engineer.accept_subscription_request(domainIdentifier=world.domain, identifier=request(world)["id"])
    assert world.builder.list_subscription_grants(domainIdentifier=world.domain)["items"] == []
    setup = environment_with_target(world)  # created after the approval
    [grant] = world.builder.list_subscription_grants(domainIdentifier=world.domain)["items"]
    assert grant["subscriptionTargetId"] == setup["target"]["id"]
    [subscription] = subscriptions(world)
    kept = world.engineer.revoke_subscription(
        domainIdentifier=world.domain, identifier=subscription["id"], retainPermissions=True
    )
    assert (kept["status"], kept["retainPermissions"]) == ("REVOKED", True)
    assert (
        world.builder.get_subscription_grant(domainIdentifier=world.domain, identifier=grant["id"])["assets"][
            0
        ]["status"]
        == "GRANT_PENDING"
    )
    assert "Subscription Grant Revoke Requested" not in [e["detail-type"] for e in inbox()]


def test_a_grant_by_hand_needs_an_approved_subscription_of_the_environments_project(world):
    setup = environment_with_target(world)
    entity = {"listing": {"identifier": world.extra["listing"], "revision": "1"}}
    with pytest.raises(ClientError) as unsubscribed:
        world.builder.create_subscription_grant(
            domainIdentifier=world.domain,
            environmentIdentifier=setup["environment"]["id"],
            grantedEntity=entity,
        )
    assert code_of(unsubscribed) == "ValidationException"
    world.engineer.accept_subscription_request(domainIdentifier=world.domain, identifier=request(world)["id"])
    with pytest.raises(ClientError) as duplicate:
        world.builder.create_subscription_grant(
            domainIdentifier=world.domain,
            environmentIdentifier=setup["environment"]["id"],
            grantedEntity=entity,
        )
    assert code_of(duplicate) == "ConflictException"
    with pytest.raises(ClientError) as stranger:
        world.outsider.create_subscription_grant(
            domainIdentifier=world.domain,
            environmentIdentifier=setup["environment"]["id"],
            grantedEntity=entity,
        )
    assert code_of(stranger) == "AccessDeniedException"


def test_environment_roles_and_target_principals_must_exist(world):
    setup = environment_with_target(world)
    environment = setup["environment"]["id"]
    with pytest.raises(ClientError) as missing_role:
        world.builder.associate_environment_role(
            domainIdentifier=world.domain,
            environmentIdentifier=environment,
            environmentRoleArn=f"arn:aws:iam::{ACCOUNT}:role/does-not-exist",
        )
    assert code_of(missing_role) == "ValidationException"
    with pytest.raises(ClientError) as missing_principal:
        world.builder.create_subscription_target(
            domainIdentifier=world.domain,
            environmentIdentifier=environment,
            name="other",
            type="BaseSubscriptionTargetType",
            subscriptionTargetConfig=[],
            authorizedPrincipals=[f"arn:aws:iam::{ACCOUNT}:role/does-not-exist"],
            manageAccessRole=setup["training"],
            applicableAssetTypes=["MlgovS3DatasetAssetType"],
        )
    assert code_of(missing_principal) == "ValidationException"
    with pytest.raises(ClientError) as unknown_type:
        world.builder.create_subscription_target(
            domainIdentifier=world.domain,
            environmentIdentifier=environment,
            name="other",
            type="BaseSubscriptionTargetType",
            subscriptionTargetConfig=[],
            authorizedPrincipals=[setup["training"]],
            manageAccessRole=setup["training"],
            applicableAssetTypes=["NoSuchAssetType"],
        )
    assert code_of(unknown_type) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as outsider:
        world.outsider.create_subscription_target(
            domainIdentifier=world.domain,
            environmentIdentifier=environment,
            name="other",
            type="BaseSubscriptionTargetType",
            subscriptionTargetConfig=[],
            authorizedPrincipals=[setup["training"]],
            manageAccessRole=setup["training"],
            applicableAssetTypes=["MlgovS3DatasetAssetType"],
        )
    assert code_of(outsider) == "AccessDeniedException"
