"""The local cloud in server mode: start/stop, accounts reached by AssumeRole, IAM enforcement."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from environments import load_platform
from scripts.localcloud import LocalCloud
from scripts.localcloud.cloud import REPO_ROOT

CONFIG = Config(retries={"mode": "standard", "max_attempts": 2})


def session_for(
    cloud: LocalCloud, role_arn: str | None = None, via: boto3.Session | None = None
) -> boto3.Session:
    """The admin user's session, or ``role_arn`` assumed from it (or from ``via``: a role that
    trusts only its own account is assumed from inside that account, as on AWS)."""
    env = cloud.env()
    base = via or boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"],
    )
    if role_arn is None:
        return base
    sts = base.client("sts", endpoint_url=cloud.url, config=CONFIG)
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="emulator-test")["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=env["AWS_DEFAULT_REGION"],
    )


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory):
    """The local cloud as a user gets it: IAM enforced by default."""
    with LocalCloud(state_dir=tmp_path_factory.mktemp("localcloud")) as running:
        yield running


@pytest.fixture(scope="module")
def enforced(cloud: LocalCloud) -> LocalCloud:
    assert cloud.status()["enforce_iam"] is True
    return cloud


def test_every_environment_account_has_its_deploy_role(cloud):
    platform = load_platform()
    for env in platform.environments.values():
        session = session_for(cloud, env.deploy_role_arn)
        identity = session.client("sts", endpoint_url=cloud.url, config=CONFIG).get_caller_identity()
        assert identity["Account"] == env.account_id
        # The deploy role may create resources in its own account only.
        s3 = session.client("s3", endpoint_url=cloud.url, config=CONFIG)
        s3.create_bucket(Bucket=f"probe-{env.account_id}")
    dev, staging = platform.env("dev"), platform.env("staging")
    dev_buckets = session_for(cloud, dev.deploy_role_arn).client("s3", endpoint_url=cloud.url).list_buckets()
    assert [b["Name"] for b in dev_buckets["Buckets"]] == [f"probe-{dev.account_id}"]
    staging_iam = session_for(cloud, staging.deploy_role_arn).client("iam", endpoint_url=cloud.url)
    assert staging_iam.get_role(RoleName=staging.deploy_role_name)["Role"]["Arn"] == staging.deploy_role_arn


def test_the_people_sign_in_as_themselves(cloud):
    """env() points MLGOV_PEOPLE at the people file, which names in every account the role each
    person signs in to; the role exists there and takes its person as source identity."""
    env = cloud.env()
    assert "MLGOV_ENTRY_ROLE" not in env
    people = json.loads(Path(env["MLGOV_PEOPLE"]).read_text())["accounts"]
    prod = people["333333333333"]
    # the model deployers are prod's approvers (no model_deployers configured); data engineers
    # only where data lives (dev)
    assert set(prod) == {"data_scientist", "approver", "promotion", "model_deploy"}
    assert set(people["111111111111"]) == {"data_scientist", "approver", "model_deploy", "data_engineer"}
    assert prod["approver"]["person"] == "avery@example.com"
    assert prod["approver"]["role_arn"].endswith(
        ":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_MLGovApprover_local"
    )
    assert "promotion" not in people["111111111111"]  # dev names no promotion operator
    admin = session_for(cloud).client("sts", endpoint_url=cloud.url, config=CONFIG)
    answer = admin.assume_role(
        RoleArn=prod["approver"]["role_arn"], RoleSessionName="avery", SourceIdentity="avery@example.com"
    )
    assert answer["SourceIdentity"] == "avery@example.com"


def test_extensions_are_served_in_server_mode(cloud):
    session = session_for(cloud, load_platform().env("dev").deploy_role_arn)
    sm = session.client("sagemaker", endpoint_url=cloud.url, config=CONFIG)
    sm.create_model_package_group(ModelPackageGroupName="server-mode")
    card = {
        "ModelCardContent": json.dumps({"intended_uses": {"risk_rating": "Low"}}),
        "ModelCardStatus": "Draft",
    }
    arn = sm.create_model_package(ModelPackageGroupName="server-mode", ModelCard=card)["ModelPackageArn"]
    assert sm.describe_model_package(ModelPackageName=arn)["ModelCard"]["ModelCardStatus"] == "Draft"
    dz = session.client("datazone", endpoint_url=cloud.url, config=CONFIG)
    domain = dz.create_domain(name="server-mode", domainExecutionRole="arn:aws:iam::111111111111:role/r")
    assert domain["arn"].startswith("arn:aws:datazone:us-east-1:111111111111:domain/dzd_")
    assert dz.get_domain(identifier=domain["id"])["status"] == "CREATING"


def test_reuse_returns_the_running_server(cloud):
    again = LocalCloud(state_dir=cloud.state_dir).start(reuse=True)
    assert again.url == cloud.url
    assert again.status()["pid"] == cloud.status()["pid"]


def test_cli_status_and_env(cloud):
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "scripts.localcloud", "--state-dir", str(cloud.state_dir), *args],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )

    status = run("--json", "status")
    assert status.returncode == 0 and json.loads(status.stdout)["url"] == cloud.url
    env = run("env")
    assert f"export AWS_ENDPOINT_URL={cloud.url}" in env.stdout.splitlines()
    # IAM is enforced by default, so the admin user's keys are handed out, not "test".
    assert f"export AWS_ACCESS_KEY_ID={cloud.env()['AWS_ACCESS_KEY_ID']}" in env.stdout.splitlines()
    assert "export AWS_ACCESS_KEY_ID=test" not in env.stdout.splitlines()
    usage = run("start", "--help")
    assert usage.returncode == 0 and "--no-enforce-iam" in usage.stdout
    assert run("--help").returncode == 0
    assert run("bogus").returncode == 2


def test_cli_reports_not_running(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "scripts.localcloud", "--state-dir", str(tmp_path), "env"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "not running" in result.stderr


DENY_APPROVAL = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "sagemaker:UpdateModelPackage", "Resource": "*"},
        ],
    }
)
ALLOW_ALL_SAGEMAKER = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}]}
)


def make_role(iam, name: str, policy: str, account: str) -> str:
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=policy)
    return arn


def test_iam_enforcement_denies_what_a_policy_denies(enforced):
    assert enforced.env()["AWS_ACCESS_KEY_ID"] != "test"
    staging = load_platform().env("staging")
    deploy = session_for(enforced, staging.deploy_role_arn)
    iam = deploy.client("iam", endpoint_url=enforced.url, config=CONFIG)
    scientist = make_role(iam, "emulator-data-scientist", DENY_APPROVAL, staging.account_id)
    approver = make_role(iam, "emulator-approver", ALLOW_ALL_SAGEMAKER, staging.account_id)
    sm_deploy = deploy.client("sagemaker", endpoint_url=enforced.url, config=CONFIG)
    sm_deploy.create_model_package_group(ModelPackageGroupName="enforced")
    arn = sm_deploy.create_model_package(ModelPackageGroupName="enforced")["ModelPackageArn"]

    denied = session_for(enforced, scientist, via=deploy).client(
        "sagemaker", endpoint_url=enforced.url, config=CONFIG
    )
    assert (
        denied.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "PendingManualApproval"
    )
    with pytest.raises(ClientError) as error:
        denied.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"

    allowed = session_for(enforced, approver, via=deploy).client(
        "sagemaker", endpoint_url=enforced.url, config=CONFIG
    )
    allowed.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    assert allowed.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"


def test_iam_enforcement_rejects_unknown_keys(enforced):
    anonymous = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    with pytest.raises(ClientError) as error:
        anonymous.client("sts", endpoint_url=enforced.url, config=CONFIG).get_caller_identity()
    assert error.value.response["Error"]["Code"] == "InvalidClientTokenId"
    sagemaker = anonymous.client("sagemaker", endpoint_url=enforced.url, config=CONFIG)
    with pytest.raises(ClientError) as error:
        sagemaker.list_model_package_groups()
    assert error.value.response["Error"]["Code"] == "UnrecognizedClientException"


def _raw_error(cloud: LocalCloud, service: str, body: str) -> tuple[int, ElementTree.Element]:
    """A signed query request with unknown keys, sent as is; the status and the parsed body."""
    request = AWSRequest(
        method="POST",
        url=cloud.url + "/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials("test", "test"), service, "us-east-1").add_auth(request)
    prepared = request.prepare()
    response = requests.post(prepared.url, data=prepared.body, headers=dict(prepared.headers), timeout=30)
    return response.status_code, ElementTree.fromstring(response.content)


def test_refusals_come_in_the_error_envelope_of_the_service_protocol(enforced):
    """Read the way the Go SDK (Terraform's provider) reads them, not botocore's lenient way:
    query protocol (STS, IAM) ``Error>Code`` directly under the root; EC2 ``Errors>Error>Code``.
    In moto's one envelope for all, Terraform saw a refused AssumeRole as "403 UnknownError"."""
    status, sts = _raw_error(enforced, "sts", "Action=GetCallerIdentity&Version=2011-06-15")
    assert status == 403
    assert sts.tag == "ErrorResponse"
    assert sts.findtext("Error/Code") == "InvalidClientTokenId"
    assert sts.findtext("Error/Message") == "The security token included in the request is invalid."
    assert sts.findtext("Error/Type") == "Sender"
    assert sts.findtext("RequestId")
    status, iam = _raw_error(enforced, "iam", "Action=ListRoles&Version=2010-05-08")
    assert (status, iam.findtext("Error/Code")) == (403, "InvalidClientTokenId")
    status, ec2 = _raw_error(enforced, "ec2", "Action=DescribeVpcs&Version=2016-11-15")
    assert status in (401, 403)
    assert ec2.findtext("Errors/Error/Code") in ("AuthFailure", "InvalidClientTokenId")


def test_aws_managed_policies_exist_in_every_account(enforced):
    """Without any switch: an AWS-managed policy appears in an account when a call names it."""
    staging = load_platform().env("staging")
    iam = session_for(enforced, staging.deploy_role_arn).client(
        "iam", endpoint_url=enforced.url, config=CONFIG
    )
    policy = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")["Policy"]
    assert policy["PolicyName"] == "ReadOnlyAccess"


def test_concurrent_creates_with_one_client_token_register_one_version(cloud):
    """Parallel promotions send one token to the threaded server: exactly one version results.

    (The backend serialises create-by-token under a lock; the race it closes is too narrow to
    provoke reliably here, so this checks the outcome, not the lock.)
    """
    from concurrent.futures import ThreadPoolExecutor

    session = session_for(cloud, load_platform().env("prod").deploy_role_arn)
    sm = session.client("sagemaker", endpoint_url=cloud.url, config=CONFIG)
    sm.create_model_package_group(ModelPackageGroupName="concurrent")

    def create(_: int) -> str:
        client = session.client("sagemaker", endpoint_url=cloud.url, config=CONFIG)
        return client.create_model_package(ModelPackageGroupName="concurrent", ClientToken="one-token")[
            "ModelPackageArn"
        ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        arns = set(pool.map(create, range(16)))
    assert len(arns) == 1
    listed = sm.list_model_packages(ModelPackageGroupName="concurrent")["ModelPackageSummaryList"]
    assert [p["ModelPackageArn"] for p in listed] == list(arns)


def test_cross_account_reads_need_the_group_resource_policy_when_enforced(enforced):
    """As on AWS: identity policy AND the upstream group's resource policy must allow."""
    platform = load_platform()
    dev, staging = platform.env("dev"), platform.env("staging")
    upstream = session_for(enforced, dev.deploy_role_arn).client(
        "sagemaker", endpoint_url=enforced.url, config=CONFIG
    )
    upstream.create_model_package_group(ModelPackageGroupName="shared-group")
    package = upstream.create_model_package(ModelPackageGroupName="shared-group")["ModelPackageArn"]
    staging_deploy = session_for(enforced, staging.deploy_role_arn)
    iam = staging_deploy.client("iam", endpoint_url=enforced.url, config=CONFIG)
    granted = make_role(iam, "emulator-promotion", ALLOW_ALL_SAGEMAKER, staging.account_id)
    other = make_role(iam, "emulator-other", ALLOW_ALL_SAGEMAKER, staging.account_id)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": [granted]},
                "Action": ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"],
                "Resource": [
                    f"arn:aws:sagemaker:us-east-1:{dev.account_id}:model-package-group/shared-group",
                    f"arn:aws:sagemaker:us-east-1:{dev.account_id}:model-package/shared-group/*",
                ],
            }
        ],
    }
    upstream.put_model_package_group_policy(
        ModelPackageGroupName="shared-group", ResourcePolicy=json.dumps(policy)
    )

    reader = session_for(enforced, granted, via=staging_deploy).client(
        "sagemaker", endpoint_url=enforced.url, config=CONFIG
    )
    assert reader.describe_model_package(ModelPackageName=package)["ModelPackageArn"] == package
    with pytest.raises(ClientError) as error:
        reader.update_model_package(ModelPackageArn=package, ApprovalDescription="not granted")
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"

    stranger = session_for(enforced, other, via=staging_deploy).client(
        "sagemaker", endpoint_url=enforced.url, config=CONFIG
    )
    with pytest.raises(ClientError) as error:
        stranger.describe_model_package(ModelPackageName=package)
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"

    upstream.delete_model_package_group_policy(ModelPackageGroupName="shared-group")
    with pytest.raises(ClientError) as error:
        reader.describe_model_package(ModelPackageName=package)
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"


def test_created_and_modified_by_name_the_calling_role(cloud):
    dev = load_platform().env("dev")
    sm = session_for(cloud, dev.deploy_role_arn).client("sagemaker", endpoint_url=cloud.url, config=CONFIG)
    sm.create_model_package_group(ModelPackageGroupName="who")
    arn = sm.create_model_package(ModelPackageGroupName="who")["ModelPackageArn"]
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    described = sm.describe_model_package(ModelPackageName=arn)
    expected = f"arn:aws:sts::{dev.account_id}:assumed-role/{dev.deploy_role_name}/emulator-test"
    assert described["CreatedBy"]["IamIdentity"]["Arn"] == expected
    assert described["LastModifiedBy"]["IamIdentity"]["Arn"] == expected


def test_enforced_policies_scoped_to_arns_allow_what_they_name(enforced):
    """Role policies scoped to real ARNs (as the stacks write them) work, and only for those."""
    prod = load_platform().env("prod")
    account = prod.account_id
    deploy = session_for(enforced, prod.deploy_role_arn)
    deploy.client("ssm", endpoint_url=enforced.url, config=CONFIG).put_parameter(
        Name="/app/a", Value="1", Type="String"
    )
    deploy.client("ssm", endpoint_url=enforced.url, config=CONFIG).put_parameter(
        Name="/other/b", Value="2", Type="String"
    )
    sm = deploy.client("sagemaker", endpoint_url=enforced.url, config=CONFIG)
    sm.create_model_package_group(ModelPackageGroupName="scoped")
    sm.create_model_package_group(ModelPackageGroupName="elsewhere")
    inside = sm.create_model_package(ModelPackageGroupName="scoped")["ModelPackageArn"]
    outside = sm.create_model_package(ModelPackageGroupName="elsewhere")["ModelPackageArn"]
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["ssm:GetParameters"],
                    "Resource": [f"arn:aws:ssm:us-east-1:{account}:parameter/app/*"],
                },
                {
                    "Effect": "Allow",
                    "Action": ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"],
                    "Resource": [
                        f"arn:aws:sagemaker:us-east-1:{account}:model-package-group/scoped",
                        f"arn:aws:sagemaker:us-east-1:{account}:model-package/scoped/*",
                    ],
                },
                {
                    "Effect": "Allow",
                    "Action": ["events:PutEvents"],
                    "Resource": [f"arn:aws:events:us-east-1:{account}:event-bus/default"],
                },
            ],
        }
    )
    iam = deploy.client("iam", endpoint_url=enforced.url, config=CONFIG)
    role = session_for(enforced, make_role(iam, "emulator-scoped", policy, account), via=deploy)
    ssm = role.client("ssm", endpoint_url=enforced.url, config=CONFIG)
    assert ssm.get_parameters(Names=["/app/a"])["Parameters"][0]["Value"] == "1"
    with pytest.raises(ClientError) as error:
        ssm.get_parameters(Names=["/app/a", "/other/b"])
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    reader = role.client("sagemaker", endpoint_url=enforced.url, config=CONFIG)
    assert reader.describe_model_package(ModelPackageName=inside)["ModelPackageArn"] == inside
    assert len(reader.list_model_packages(ModelPackageGroupName="scoped")["ModelPackageSummaryList"]) == 1
    with pytest.raises(ClientError) as error:
        reader.describe_model_package(ModelPackageName=outside)
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    events = role.client("events", endpoint_url=enforced.url, config=CONFIG)
    entry = {"Source": "mlgov.governance", "DetailType": "audit", "Detail": "{}"}
    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
    with pytest.raises(ClientError) as error:
        events.put_events(Entries=[{**entry, "EventBusName": "other-bus"}])
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"


def test_a_repeated_sdk_call_gets_its_first_answer_instead_of_a_second_write():
    """An SDK retries a call whose answer it did not receive, with the same invocation id; the
    server answers it again instead of doing the write twice (a created resource would otherwise
    answer 'already exists' to a client that never saw it created). Failed calls are not kept."""
    import io

    from scripts.localcloud.server import SerializedApp

    calls: list[bytes] = []

    def app(environ, start_response):
        calls.append(environ["wsgi.input"].read())
        code = "400 BAD REQUEST" if b"fail" in calls[-1] else "200 OK"
        start_response(code, [("Content-Type", "text/xml")])
        return [f"answer {len(calls)}".encode()]

    served = SerializedApp(app)

    def call(body: bytes, invocation: str) -> tuple[str, bytes]:
        seen: list[str] = []
        environ = {
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/",
            "HTTP_AMZ_SDK_INVOCATION_ID": invocation,
        }
        payload = b"".join(served(environ, lambda code, headers, exc=None: seen.append(code)))
        return seen[0], payload

    assert call(b"Action=CreateSecurityGroup", "a") == ("200 OK", b"answer 1")
    assert call(b"Action=CreateSecurityGroup", "a") == ("200 OK", b"answer 1")
    assert len(calls) == 1
    assert call(b"Action=CreateSecurityGroup", "b") == ("200 OK", b"answer 2")
    assert call(b"Action=fail", "c")[0] == "400 BAD REQUEST"
    assert call(b"Action=fail", "c")[0] == "400 BAD REQUEST"
    assert len(calls) == 4
