"""The refusals of issue 21 on the deployed stacks, IAM enforced, each shown with the refused
role's own credentials (proven in-process first: tests/governance/test_datazone_data.py,
test_datazone_models.py, tests/emulator/test_datazone_*.py):

- a use case's project without an approved subscription is denied the data: its roles (the
  SageMaker execution role and the pipeline execution role) get ``AccessDenied`` reading the
  dataset's prefix, and ``mlgov pipeline``'s input lookup names the subscription to request;
- revoking the subscription removes the read: read works while it is approved, ``AccessDenied``
  after;
- a non-member of a project cannot publish into it: DataZone's own ``AccessDeniedException``
  (IAM allows the call);
- a rejected or archived version is not listed: a search of the catalog by a business term, as
  another project's member, finds it while it is approved and not after.

Nothing here disturbs the shared cloud for the tests after it: the subscriptions are to a dataset
of this module's own (``datasets/e2e-refusals/``, unlisted at the end), so the workflow's
subscription to the credit dataset and its grant are untouched; the rejected and archived version
is one this module registers, and the dev model asset listed before it is listed again after.
The execution and pipeline roles trust SageMaker only: for this module the dev deploy role is added
to their trust policies (standing in for SageMaker, as test_insider.py does for Studio) and the
trust policies Terraform wrote are restored after; their permissions are never touched. It writes
audit records and registers a version in dev, so it runs after test_workflow.py
(``e2e_after_workflow``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from environments import Names, PlatformConfig
from scripts.aws import RETRY_CONFIG, kit_errors
from scripts.datazone import catalog, datasets, models
from scripts.datazone.types import DATASET_ASSET_TYPE, DATASET_FORM, MODEL_FORM, S3_FORM
from scripts.governance import review, seed
from scripts.governance.errors import UsageError
from scripts.governance.metadata import MODEL_ASSET_KEY, MODEL_ASSET_REVISION_KEY
from scripts.governance.train import TrainingSpec
from tests.e2e.deployed import DeployedCloud

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_after_workflow]

#: This module's own dataset (``datasets/<name>/``); no other test subscribes to it.
DATASET = "e2e-refusals"
#: The business term the sample card's line of business carries (the demo searches it too).
TERM = "retail lending"
#: How long a catalog change may take to show in a search (DataZone indexes listings
#: asynchronously); polled, never slept out.
SEARCH_DEADLINE_S = 60.0
#: The grantee roles whose reads are shown (environments.naming.DATA_GRANTEE_ROLES).
GRANTEES = ("execution", "pipeline")


@dataclass
class Home:
    """The DataZone home environment (dev) as this module uses it."""

    cloud: DeployedCloud
    platform: PlatformConfig
    names: Names
    engineer: catalog.Catalog
    dataset_asset: dict[str, Any]


def _session(cloud: DeployedCloud, role_arn: str, region: str) -> boto3.Session:
    creds = (
        cloud.account("dev")
        .client("sts")
        .assume_role(RoleArn=role_arn, RoleSessionName="mlgov-e2e-datazone")["Credentials"]
    )
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )


@pytest.fixture(scope="module")
def home(deployed_cloud: DeployedCloud) -> Iterator[Home]:
    """``mlgov data setup`` and the credit dataset published (both idempotent: the workflow may
    have done them), and this module's own dataset published by the data engineer; unlisted
    after the module."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in deployed_cloud.cloud.env().items():
            mp.setenv(key, value)
        mp.delenv("AWS_PROFILE", raising=False)
        platform = deployed_cloud.platform
        env = platform.datazone_home
        catalog.setup(platform)
        datasets.publish(platform)
        engineer = catalog.Catalog(
            catalog.role_context(platform, env, "data_engineer", job="e2e", source=None)
        )
        ctx = engineer.ctx
        prefix = f"{ctx.names.datasets_prefix}{DATASET}/"
        body = b"income_k,debt_to_income,good_credit\n38.5,0.21,1\n22.0,0.62,0\n"
        with kit_errors(ctx.role_arn):
            ctx.client("s3").put_object(
                Bucket=ctx.artifact_bucket,
                Key=f"{prefix}rows.csv",
                Body=body,
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=ctx.kms_key_arn,
            )
        form = {
            "s3Uri": f"s3://{ctx.artifact_bucket}/{prefix}",
            "schema": [
                {"name": "income_k", "type": "double"},
                {"name": "debt_to_income", "type": "double"},
                {"name": "good_credit", "type": "int"},
            ],
            "owner": datasets.SAMPLE_OWNER,
            "classification": "INTERNAL",
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        asset, _ = engineer.put_asset(
            project=engineer.producer_project,
            name=datasets.asset_name(ctx, DATASET),
            description="e2e: a dataset of the refusals test",
            type_name=DATASET_ASSET_TYPE,
            forms=[
                {
                    "formName": S3_FORM,
                    "content": json.dumps({"bucketArn": f"arn:aws:s3:::{ctx.artifact_bucket}"}),
                },
                {"formName": DATASET_FORM, "content": json.dumps(form)},
            ],
        )
        engineer.publish(asset)
        try:
            yield Home(deployed_cloud, platform, ctx.names, engineer, asset)
        finally:
            engineer.unpublish(engineer.call("get_asset", identifier=asset["id"]))


@pytest.fixture(scope="module")
def grantees(home: Home) -> Iterator[dict[str, boto3.Session]]:
    """A session of each grantee role: its own permissions, entered through a trust statement
    that stands in for SageMaker (removed after the module)."""
    iam = home.cloud.account("dev").client("iam")
    env = home.names.env
    written: dict[str, Any] = {}
    try:
        for key in GRANTEES:
            name = home.names.role_name(key)
            written[name] = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
            stand_in = {
                "Sid": "DataZoneE2EStandsInForSageMaker",
                "Effect": "Allow",
                "Principal": {"AWS": env.deploy_role_arn},
                "Action": "sts:AssumeRole",
            }
            iam.update_assume_role_policy(
                RoleName=name,
                PolicyDocument=json.dumps(
                    {**written[name], "Statement": [*written[name]["Statement"], stand_in]}
                ),
            )
        yield {key: _session(home.cloud, home.names.role_arn(key), env.region) for key in GRANTEES}
    finally:
        for name, document in written.items():
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(document))


def _read(home: Home, session: boto3.Session) -> str:
    """GetObject of this module's dataset as ``session``: ``read``, or the error code."""
    s3 = session.client("s3", endpoint_url=home.cloud.cloud.url, config=RETRY_CONFIG)
    try:
        s3.get_object(
            Bucket=home.names.artifact_bucket, Key=f"{home.names.datasets_prefix}{DATASET}/rows.csv"
        )["Body"].read()
        return "read"
    except ClientError as err:
        return str(err.response["Error"]["Code"])


def _reads(home: Home, grantees: dict[str, boto3.Session]) -> dict[str, str]:
    return {key: _read(home, session) for key, session in grantees.items()}


def test_the_data_is_read_only_under_an_approved_subscription(home: Home, grantees: dict[str, boto3.Session]):
    platform = home.platform
    denied = dict.fromkeys(GRANTEES, "AccessDenied")
    # no subscription: the use case's roles are denied, and the pipeline's input lookup says why
    assert _reads(home, grantees) == denied
    with pytest.raises(UsageError, match="no approved subscription"):
        datasets.subscribed(platform, use_case="credit-risk", dataset=DATASET)
    asked = datasets.subscribe(platform, use_case="credit-risk", reason="e2e: train on it", dataset=DATASET)
    assert asked["status"] == "PENDING"
    assert _reads(home, grantees) == denied  # requested, not decided

    approved = datasets.approve(platform, request_id=asked["request_id"], reason="e2e: approved")
    assert _reads(home, grantees) == dict.fromkeys(GRANTEES, "read")
    assert (
        datasets.subscribed(platform, use_case="credit-risk", dataset=DATASET)["asset_id"]
        == (home.dataset_asset["id"])
    )

    revoked = datasets.revoke(platform, subscription_id=approved["subscription_id"], reason="e2e: revoked")
    assert revoked["status"] == "REVOKED"
    assert sorted(revoked["removed_from"]) == sorted(home.names.role_name(k) for k in GRANTEES)
    assert _reads(home, grantees) == denied
    with pytest.raises(UsageError, match="no approved subscription"):
        datasets.subscribed(platform, use_case="credit-risk", dataset=DATASET)


@pytest.mark.parametrize(
    ("role", "project"),
    [("data_scientist", "producer"), ("data_engineer", "credit-risk")],
    ids=["data scientist into the producer project", "data engineer into the use case's project"],
)
def test_a_non_member_cannot_publish_into_a_project(home: Home, role: str, project: str):
    """Each role holds datazone:CreateAsset (IAM lets the call through) and is a member of its own
    project only: DataZone refuses it in the other."""
    target = home.engineer.producer_project if project == "producer" else home.engineer.project(project)
    dz = catalog.role_context(
        home.platform, home.platform.datazone_home, role, job="e2e", source=None
    ).client("datazone")
    with pytest.raises(ClientError) as refused:
        dz.create_asset(
            domainIdentifier=home.engineer.domain,
            name=f"mlgov-e2e-{role}-intrusion",
            owningProjectIdentifier=target,
            typeIdentifier=DATASET_ASSET_TYPE,
            formsInput=[],
        )
    error = refused.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    # DataZone's own refusal (project membership), not IAM's (which names the action)
    assert "not authorized to perform" not in error["Message"], error
    assert "not a member" in error["Message"], error


def _listed_versions(platform: PlatformConfig) -> dict[str, dict[str, Any]]:
    """Model package ARN -> its model listing, as another project's member (the data engineer)
    finds it by the business term."""
    found = datasets.search(platform, text=TERM)["listings"]
    out = {}
    for hit in found:
        forms = hit["forms"]
        if isinstance(forms, list):  # [{"formName": ..., "content": "<json>"}]
            forms = {f.get("formName"): f.get("content") for f in forms}
        form = forms.get(MODEL_FORM)
        form = json.loads(form) if isinstance(form, str) else form
        if form:
            out[form["modelPackageArn"]] = {**hit, "form": form}
    return out


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + SEARCH_DEADLINE_S
    while not check():
        assert time.monotonic() < deadline, f"after {SEARCH_DEADLINE_S:.0f} s: {what}"
        time.sleep(0.5)


def test_a_rejected_or_archived_version_is_not_listed(home: Home):
    platform = home.platform
    dev_model = models.asset_name(home.engineer.ctx, "credit-risk", "dev")
    before = [v for v in _listed_versions(platform).values() if v["name"] == dev_model]
    [probe] = seed.seed(
        platform,
        "dev",
        specs=[TrainingSpec("e2e-catalog-probe", "decision_stump", {"max_depth": 2, "min_samples_leaf": 21})],
    )["versions"]
    # a version of its own (hyperparameters no other test trains with: seed would find that one)
    assert probe["status"] != "exists", probe
    arn, version = probe["arn"], probe["arn"].rsplit("/", 1)[-1]
    sm = home.cloud.account("dev").client("sagemaker")
    try:
        for status in ("PendingReview", "Approved"):
            review.set_card_status(platform, "dev", version, status, "e2e: card reviewed")
        approved = review.set_approval(platform, "dev", version, "e2e: approved")
        assert approved["catalog"]["action"] == "published", approved["catalog"]
        _until(lambda: arn in _listed_versions(platform), f"{arn} approved is not found by {TERM!r}")
        listing = _listed_versions(platform)[arn]
        assert listing["name"] == dev_model and listing["form"]["approvalStatus"] == "Approved"
        # the card names the asset and the revision the catalog lists
        card = json.loads(sm.describe_model_package(ModelPackageName=arn)["ModelCard"]["ModelCardContent"])
        details = card["additional_information"]["custom_details"]
        assert (details[MODEL_ASSET_KEY], details[MODEL_ASSET_REVISION_KEY]) == (
            listing["asset_id"],
            str(listing["revision"]),
        )

        rejected = review.set_approval(platform, "dev", version, "e2e: rejected", decision="Rejected")
        assert rejected["catalog"]["action"] == "unlisted", rejected["catalog"]
        _until(lambda: arn not in _listed_versions(platform), f"{arn} rejected is still found")

        # approved again, then its card archived: out of the catalog again
        assert review.set_approval(platform, "dev", version, "e2e: approved again")["catalog"]["action"] == (
            "published"
        )
        _until(lambda: arn in _listed_versions(platform), f"{arn} approved again is not found")
        archived = review.set_card_status(platform, "dev", version, "Archived", "e2e: archived")
        assert archived["catalog"]["action"] == "unlisted", archived["catalog"]
        _until(lambda: arn not in _listed_versions(platform), f"{arn} archived is still found")
        assert models.publish_model(platform, "dev", version=version)["action"] == "not-listed"
        assert arn not in _listed_versions(platform)
        # left rejected: no later test finds an approved version it did not expect
        review.set_approval(platform, "dev", version, "e2e: done", decision="Rejected")
    finally:
        # the dev model the catalog listed before this test is listed again
        for entry in before:
            models.publish_model(platform, "dev", version=str(entry["form"]["version"]))
