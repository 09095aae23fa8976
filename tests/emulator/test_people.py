"""The local cloud's people: every principal the configuration names exists in its account, signs
in from the management account carrying who it is, and reaches exactly the roles whose trust
names it (a permission set's pattern through ArnLike on aws:PrincipalArn). IAM enforced,
in-process, with the kit's trust statements (modules/policy.py, people_trust)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from environments import load_platform
from scripts.localcloud.accounts import PEOPLE, PEOPLE_FIELDS, provision_people, stand_in
from tests.emulator.conftest import EnforcedCloud

PROD = "333333333333"


def people_trust(account: str, patterns: list[str]) -> str:
    """The kit's trust of a person-facing role named by pattern (modules/policy.py, people_trust)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
                    "Condition": {"ArnLike": {"aws:PrincipalArn": patterns}},
                }
            ],
        }
    )


def sign_in(enforced: EnforcedCloud, role_arn: str, person: str) -> boto3.Session:
    return enforced.assume(role_arn, enforced.admin, SourceIdentity=person)


def test_every_configured_principal_exists_and_the_file_names_one_person_per_duty(enforced: EnforcedCloud):
    people = provision_people()
    platform = load_platform()
    for env in platform.environments.values():
        iam = enforced.deploy[env.account_id].client("iam")
        for role_key, field in PEOPLE_FIELDS.items():
            configured = getattr(env, field)
            for principal in configured:
                name = stand_in(principal).rsplit("/", 1)[-1]
                assert iam.get_role(RoleName=name)["Role"]["Arn"] == stand_in(principal)
            entry = people["accounts"][env.account_id].get(role_key)
            if configured:
                assert entry == {"role_arn": stand_in(configured[0]), "person": PEOPLE[role_key]}
            else:
                assert entry is None, (env.name, role_key)
    assert (
        stand_in("arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_MLGovApprover_*")
        == "arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_MLGovApprover_local"
    )


def test_a_person_reaches_only_the_roles_whose_trust_names_them(enforced: EnforcedCloud):
    """Avery (prod approver) takes prod's approver role; Dana (prod data scientist) is refused it
    with STS's AccessDenied: the account is the principal only with Avery's pattern. The person
    rides the chain as the session's source identity."""
    people = provision_people()
    env = load_platform().env("prod")
    approver = enforced.role(PROD, "approver", people_trust(PROD, list(env.approvers)))
    avery = people["accounts"][PROD]["approver"]
    dana = people["accounts"][PROD]["data_scientist"]
    as_avery = sign_in(enforced, avery["role_arn"], avery["person"])
    creds = as_avery.client("sts").assume_role(
        RoleArn=approver, RoleSessionName="review", SourceIdentity=avery["person"]
    )
    assert creds["SourceIdentity"] == "avery@example.com"
    as_dana = sign_in(enforced, dana["role_arn"], dana["person"])
    with pytest.raises(ClientError) as refused:
        as_dana.client("sts").assume_role(
            RoleArn=approver, RoleSessionName="review", SourceIdentity=dana["person"]
        )
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    # the deploy role (an administrator here) is not a person the trust names either
    with pytest.raises(ClientError) as refused:
        enforced.deploy[PROD].client("sts").assume_role(RoleArn=approver, RoleSessionName="review")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
