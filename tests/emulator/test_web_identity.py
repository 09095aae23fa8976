"""AssumeRoleWithWebIdentity with IAM enforced, as the CI workflows call it: unsigned, decided by
the OIDC provider of the role's account and the role's trust policy on the token's claims
(``token.actions.githubusercontent.com:sub`` / ``:aud``). moto answered HTTP 500 (it looked for
an Authorization header). The token's signature is not verified here."""

from __future__ import annotations

import base64
import json
import time

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.emulator.conftest import EnforcedCloud, policy_document

DEV = "111111111111"
HOST = "token.actions.githubusercontent.com"
PROVIDER = f"arn:aws:iam::{DEV}:oidc-provider/{HOST}"


def token(**claims: object) -> str:
    payload = {"iss": f"https://{HOST}", "aud": "sts.amazonaws.com", **claims}
    parts = ({"alg": "RS256", "typ": "JWT"}, payload, {"signature": "not verified"})
    return ".".join(base64.urlsafe_b64encode(json.dumps(p).encode()).decode().rstrip("=") for p in parts)


@pytest.fixture
def ci_role(enforced: EnforcedCloud) -> str:
    iam = enforced.deploy[DEV].client("iam")
    iam.create_open_id_connect_provider(
        Url=f"https://{HOST}", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
    )
    trust = policy_document(
        {
            "Effect": "Allow",
            "Principal": {"Federated": PROVIDER},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{HOST}:aud": "sts.amazonaws.com",
                    f"{HOST}:sub": "repo:org/kit:environment:prod",
                }
            },
        }
    )
    return str(iam.create_role(RoleName="promote", AssumeRolePolicyDocument=trust)["Role"]["Arn"])


def assume(role: str, web_token: str) -> dict:
    sts = boto3.client("sts", region_name="us-east-1", config=Config(signature_version=UNSIGNED))
    return sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="gha", WebIdentityToken=web_token)


def test_the_trust_policy_decides_on_the_tokens_claims(ci_role: str):
    answer = assume(ci_role, token(sub="repo:org/kit:environment:prod"))
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{DEV}:assumed-role/promote/gha"
    session = boto3.Session(
        aws_access_key_id=answer["Credentials"]["AccessKeyId"],
        aws_secret_access_key=answer["Credentials"]["SecretAccessKey"],
        aws_session_token=answer["Credentials"]["SessionToken"],
        region_name="us-east-1",
    )
    assert session.client("sts").get_caller_identity()["Account"] == DEV
    for claims in (
        {"sub": "repo:org/kit:pull_request"},
        {"sub": "repo:org/kit:environment:prod", "aud": "other"},
    ):
        with pytest.raises(ClientError) as error:
            assume(ci_role, token(**claims))
        code = error.value.response["Error"]["Code"]
        assert code == ("InvalidIdentityToken" if claims.get("aud") else "AccessDenied")


def test_tokens_of_unknown_issuers_or_expired(ci_role: str):
    with pytest.raises(ClientError) as error:
        assume(ci_role, token(iss="https://example.com", sub="repo:org/kit:environment:prod"))
    assert error.value.response["Error"]["Code"] == "InvalidIdentityToken"
    with pytest.raises(ClientError) as error:
        assume(ci_role, token(sub="repo:org/kit:environment:prod", exp=int(time.time()) - 60))
    assert error.value.response["Error"]["Code"] == "ExpiredTokenException"
    with pytest.raises(ClientError) as error:
        assume(ci_role, "not-a-jwt")
    assert error.value.response["Error"]["Code"] == "InvalidIdentityToken"
