"""Insiders on the deployed local cloud (IAM enforced): as each actor, with that role's own
credentials, every way around the gates that issue 16 lists is tried, and each is refused by AWS's
policies with AWS's error code; the same calls on the gated path succeed.

Who acts, and how they get their credentials (as on AWS, no kit code in between):

- a person (data scientist, approver, promotion operator) signs in from the management account to
  the principal the configuration names (the local cloud creates it: a permission set's role
  pattern made concrete), carrying who they are (``SourceIdentity``), then assumes the kit role;
- the deploy role and the plan role are the bootstrap stack's (``bootstrap-prod``): their trust
  and policies are created here from the synthesized documents under a name of this test's (the
  session's cloud runs the local cloud's stand-in deploy role, which must keep deploying), and
  entered the way CI enters them (``AssumeRoleWithWebIdentity`` with a GitHub subject) or by the
  local admin standing in for a break-glass principal;
- a Studio user is the execution role's session carrying the user profile's name, as a domain
  with ``ExecutionRoleIdentityConfig: USER_PROFILE_NAME`` makes it (the test stands in for
  SageMaker, adding the local admin to the role's trust for the module and restoring it after).

Runs after test_workflow.py (``e2e_after_workflow``): it writes one version and one artifact in
prod, which that test's counts would see.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from environments import Names
from environments.fields import concrete_principal
from tests.e2e.deployed import RETRY, DeployedCloud

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_after_workflow]

ENV = "prod"
USE_CASE = "credit-risk"
GITHUB = "token.actions.githubusercontent.com"
CARD = json.dumps({"intended_uses": {"purpose_of_model": "insider test"}})


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def code_of(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def refused(call: Any, expected: str, **kwargs: Any) -> None:
    """``call(**kwargs)`` is refused with ``expected`` (AWS's error code)."""
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    assert code(error) == expected, error.value.response["Error"]


@dataclass
class Insiders:
    """Sessions of every actor in prod (and dev, for registration), and prod's names."""

    cloud: Any
    names: Names
    dev_names: Names
    admin: boto3.Session
    region: str

    def client(self, session: boto3.Session, service: str) -> Any:
        return session.client(service, endpoint_url=self.cloud.url, region_name=self.region, config=RETRY)

    def assume(self, source: boto3.Session, role_arn: str, person: str | None = None) -> boto3.Session:
        extra = {"SourceIdentity": person} if person else {}
        creds = self.client(source, "sts").assume_role(RoleArn=role_arn, RoleSessionName="insider", **extra)[
            "Credentials"
        ]
        return boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=self.region,
        )

    def person(self, names: Names, role_key: str, principals: tuple[str, ...], who: str) -> boto3.Session:
        """``who`` signs in to the first principal of ``principals`` and takes role ``role_key``."""
        signed_in = self.assume(self.admin, concrete_principal(principals[0]), who)
        return self.assume(signed_in, names.role_arn(role_key), who)

    def web_identity(self, role_arn: str, subject: str) -> boto3.Session:
        claims = {"iss": f"https://{GITHUB}", "aud": "sts.amazonaws.com", "sub": subject}
        token = ".".join(
            base64.urlsafe_b64encode(json.dumps(p).encode()).decode().rstrip("=")
            for p in ({"alg": "RS256"}, claims, {"sig": "x"})
        )
        sts = boto3.client(
            "sts",
            endpoint_url=self.cloud.url,
            region_name=self.region,
            config=Config(signature_version=UNSIGNED),
        )
        creds = sts.assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName="gha", WebIdentityToken=token
        )["Credentials"]
        return boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=self.region,
        )


def _bootstrap_role(deployed: DeployedCloud, admin_iam: Any, key: str, name: str) -> str:
    """Role ``key`` (deploy or plan) of ``bootstrap-prod`` as synthesized (trust and every policy,
    references resolved as the access matrix resolves them), created as ``name``; the local admin
    added to its trust (the break-glass principal ``ci.admin_principals`` would name)."""
    from scripts.deploy.access import Stacks
    from scripts.deploy.runner import policy_evaluator

    platform = deployed.platform
    env = platform.env(ENV)
    names = Names.of(platform, env)
    stacks = Stacks.read(platform, deployed.outdir, policy_evaluator().managed_document)
    arn = env.deploy_role_arn if key == "deploy" else names.plan_role_arn
    role = stacks.roles[arn]
    admin_arn = "arn:aws:iam::123456789012:user/localcloud-admin"
    trust = dict(role.trust.body)
    trust["Statement"] = [
        *role.trust.statements(),
        {"Effect": "Allow", "Principal": {"AWS": admin_arn}, "Action": "sts:AssumeRole"},
    ]
    created = admin_iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    for index, document in enumerate(role.identity):
        if document.label.startswith("arn:aws:iam::aws:policy/"):
            admin_iam.attach_role_policy(RoleName=name, PolicyArn=document.label)
        else:
            admin_iam.put_role_policy(
                RoleName=name, PolicyName=f"synthesized-{index}", PolicyDocument=json.dumps(document.body)
            )
    return str(created)


@pytest.fixture(scope="module")
def insiders(deployed_cloud: DeployedCloud) -> Iterator[Insiders]:
    cloud = deployed_cloud.cloud
    assert cloud.status().get("enforce_iam") is True, "the insider suite needs IAM enforced"
    platform = deployed_cloud.platform
    env = platform.env(ENV)
    keys = cloud.env()
    admin = boto3.Session(
        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        region_name=env.region,
    )
    yield Insiders(cloud, Names.of(platform, env), Names.of(platform, "dev"), admin, env.region)


@pytest.fixture(scope="module")
def prod(insiders: Insiders, deployed_cloud: DeployedCloud) -> dict[str, Any]:
    """Every prod actor's session, and one approved-looking artifact written by promotion."""
    env = deployed_cloud.platform.env(ENV)
    n = insiders.names
    sessions = {
        "data_scientist": insiders.person(n, "data_scientist", env.data_scientists, "dana"),
        "approver": insiders.person(n, "approver", env.approvers, "avery"),
        "promotion": insiders.person(n, "promotion", env.promotion_operators, "omar"),
    }
    admin_iam = insiders.client(insiders.assume(insiders.admin, env.deploy_role_arn), "iam")
    try:  # the bootstrap stack's GitHub provider, which the plan role's trust names
        admin_iam.create_open_id_connect_provider(
            Url=f"https://{GITHUB}", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
        )
    except ClientError as error:
        if code_of(error) != "EntityAlreadyExists":
            raise
    suffix = uuid.uuid4().hex[:6]
    deploy_arn = _bootstrap_role(deployed_cloud, admin_iam, "deploy", f"insider-deploy-{suffix}")
    plan_arn = _bootstrap_role(deployed_cloud, admin_iam, "plan", f"insider-plan-{suffix}")
    sessions["deploy"] = insiders.assume(insiders.admin, deploy_arn)
    key = f"models/insider-{suffix}/model.tar.gz"
    s3 = insiders.client(sessions["promotion"], "s3")
    s3.put_object(Bucket=n.artifact_bucket, Key=key, Body=b"approved bytes", IfNoneMatch="*")
    return {"sessions": sessions, "key": key, "plan_arn": plan_arn, "suffix": suffix}


# -- approved bytes -------------------------------------------------------------------------------
def test_no_one_overwrites_or_deletes_an_approved_artifact_in_prod(insiders: Insiders, prod: dict) -> None:
    bucket, key = insiders.names.artifact_bucket, prod["key"]
    for actor in ("data_scientist", "approver", "deploy"):
        s3 = insiders.client(prod["sessions"][actor], "s3")
        refused(s3.put_object, "AccessDenied", Bucket=bucket, Key=key, Body=b"forged")
        refused(s3.put_object, "AccessDenied", Bucket=bucket, Key=key, Body=b"forged", IfNoneMatch="*")
        refused(s3.delete_object, "AccessDenied", Bucket=bucket, Key=key)
    promotion = insiders.client(prod["sessions"]["promotion"], "s3")
    # the one writer: unconditional writes are refused by the bucket policy, a conditional one by S3
    refused(promotion.put_object, "AccessDenied", Bucket=bucket, Key=key, Body=b"forged")
    refused(promotion.put_object, "PreconditionFailed", Bucket=bucket, Key=key, Body=b"x", IfNoneMatch="*")
    refused(promotion.delete_object, "AccessDenied", Bucket=bucket, Key=key)
    assert promotion.get_object(Bucket=bucket, Key=key)["Body"].read() == b"approved bytes"


# -- the registry ---------------------------------------------------------------------------------
def _create(sm: Any, group: str, **metadata: str) -> Any:
    extra = {"CustomerMetadataProperties": metadata} if metadata else {}
    return sm.create_model_package(
        ModelPackageGroupName=group,
        ModelApprovalStatus="PendingManualApproval",
        ModelCard={"ModelCardContent": CARD, "ModelCardStatus": "Draft"},
        **extra,
    )


def test_no_one_but_promotion_registers_straight_into_prod(insiders: Insiders, prod: dict) -> None:
    group = insiders.names.model_package_group(USE_CASE)
    for actor in ("data_scientist", "approver", "deploy"):
        sm = insiders.client(prod["sessions"][actor], "sagemaker")
        refused(_create, "AccessDeniedException", sm=sm, group=group)
        refused(
            _create,
            "AccessDeniedException",
            sm=sm,
            group=group,
            **{"mlgov-gates": "passed", "mlgov-source-arn": "arn:aws:sagemaker:forged"},
        )


def test_source_metadata_cannot_be_forged_in_dev(insiders: Insiders, deployed_cloud: DeployedCloud) -> None:
    """In dev a data scientist registers, but not with the keys only a promotion writes."""
    dev = deployed_cloud.platform.env("dev")
    session = insiders.person(insiders.dev_names, "data_scientist", dev.data_scientists, "dana")
    sm = session.client("sagemaker", endpoint_url=insiders.cloud.url, region_name=dev.region, config=RETRY)
    group = insiders.dev_names.model_package_group(USE_CASE)
    for forged in ({"mlgov-source-arn": "arn:aws:sagemaker:forged"}, {"mlgov-gates": "passed"}):
        refused(_create, "AccessDeniedException", sm=sm, group=group, **forged)


def test_approval_needs_a_gate_record_and_only_the_approver_approves(insiders: Insiders, prod: dict) -> None:
    group = insiders.names.model_package_group(USE_CASE)
    promotion = insiders.client(prod["sessions"]["promotion"], "sagemaker")
    ungated = _create(promotion, group)["ModelPackageArn"]
    gated = _create(promotion, group, **{"mlgov-gates": "passed"})["ModelPackageArn"]
    approver = insiders.client(prod["sessions"]["approver"], "sagemaker")

    def approve(sm: Any, arn: str) -> Any:
        return sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")

    refused(approve, "AccessDeniedException", sm=approver, arn=ungated)
    # the gate record is written once, at creation, by promotion: nobody sets it afterwards
    refused(
        approver.update_model_package,
        "AccessDeniedException",
        ModelPackageArn=ungated,
        CustomerMetadataProperties={"mlgov-gates": "passed"},
    )
    for actor in ("data_scientist", "promotion", "deploy"):
        refused(
            approve,
            "AccessDeniedException",
            sm=insiders.client(prod["sessions"][actor], "sagemaker"),
            arn=gated,
        )
    approve(approver, gated)
    described = approver.describe_model_package(ModelPackageName=ungated)
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    assert approver.describe_model_package(ModelPackageName=gated)["ModelApprovalStatus"] == "Approved"


# -- the roles ------------------------------------------------------------------------------------
def test_the_deploy_role_takes_no_governance_role(insiders: Insiders, prod: dict) -> None:
    deploy = prod["sessions"]["deploy"]
    for role_key in ("approver", "promotion", "data_scientist"):
        refused(insiders.assume, "AccessDenied", source=deploy, role_arn=insiders.names.role_arn(role_key))


def test_the_plan_role_reads_no_prod_data(
    insiders: Insiders, prod: dict, deployed_cloud: DeployedCloud
) -> None:
    ci = deployed_cloud.platform.ci
    assert ci is not None
    repo = ci.github_repository
    # prod's plan role never trusts a pull request
    refused(
        insiders.web_identity, "AccessDenied", role_arn=prod["plan_arn"], subject=f"repo:{repo}:pull_request"
    )
    plan = insiders.web_identity(prod["plan_arn"], f"repo:{repo}:ref:refs/heads/main")
    n = insiders.names
    s3 = insiders.client(plan, "s3")
    refused(s3.get_object, "AccessDenied", Bucket=n.artifact_bucket, Key=prod["key"])
    logs = insiders.client(plan, "logs")
    refused(logs.filter_log_events, "AccessDeniedException", logGroupName=n.governance_log_group)
    # the session itself is good: the refusals above are the policies'
    assert insiders.client(plan, "sts").get_caller_identity()["Arn"].endswith("/gha")


# -- Studio ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def studio(insiders: Insiders, deployed_cloud: DeployedCloud) -> Iterator[tuple[str, dict[str, Any]]]:
    """dev's domain, and a session of the execution role for each user profile (as SageMaker
    makes them: the profile's name as the source identity)."""
    dev = deployed_cloud.platform.env("dev")
    names = insiders.dev_names
    account = deployed_cloud.account(dev)
    iam = account.client("iam")
    domain = account.client("ssm").get_parameter(Name=names.ssm_studio_domain_id)["Parameter"]["Value"]
    role_name = names.role_name("execution")
    written = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    stand_in = {
        "Sid": "InsiderStandsInForSageMaker",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:user/localcloud-admin"},
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
    }
    iam.update_assume_role_policy(
        RoleName=role_name,
        PolicyDocument=json.dumps({**written, "Statement": [*written["Statement"], stand_in]}),
    )
    try:
        users = {
            profile: insiders.client(
                insiders.assume(insiders.admin, names.role_arn("execution"), profile), "sagemaker"
            )
            for profile in dev.studio.user_profiles[:2]
        }
        yield domain, users
    finally:
        iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=json.dumps(written))


def test_one_user_cannot_delete_another_users_space(studio: tuple[str, dict[str, Any]]) -> None:
    domain, users = studio
    (owner, sm), (_, other_sm) = users.items()
    space = f"insider-{hashlib.sha256(owner.encode()).hexdigest()[:6]}"
    sm.create_space(
        DomainId=domain,
        SpaceName=space,
        OwnershipSettings={"OwnerUserProfileName": owner},
        SpaceSharingSettings={"SharingType": "Private"},
        SpaceSettings={"AppType": "JupyterLab"},
    )
    try:
        refused(other_sm.delete_space, "AccessDeniedException", DomainId=domain, SpaceName=space)
        refused(
            other_sm.create_app,
            "AccessDeniedException",
            DomainId=domain,
            SpaceName=space,
            AppType="JupyterLab",
            AppName="default",
        )
        # nor may a user create a space in another user's name
        refused(
            other_sm.create_space,
            "AccessDeniedException",
            DomainId=domain,
            SpaceName=f"{space}-x",
            OwnershipSettings={"OwnerUserProfileName": owner},
            SpaceSharingSettings={"SharingType": "Private"},
            SpaceSettings={"AppType": "JupyterLab"},
        )
    finally:
        deadline = time.monotonic() + 120
        while sm.describe_space(DomainId=domain, SpaceName=space)["Status"] == "Pending":
            assert time.monotonic() < deadline, "the space stayed Pending"
            time.sleep(0.5)
        sm.delete_space(DomainId=domain, SpaceName=space)
