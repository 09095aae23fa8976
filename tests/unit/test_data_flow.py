"""The data flow's platform side, read from the synthesized stacks (modules/data.py): the
data-engineer and data-grant roles where data lives, the shared producer project in the DataZone
home, and the data scientist's catalog policy."""

from __future__ import annotations

import pytest

from environments import Names
from tests.synthesized import allowed_actions, principals, statements


def test_data_roles_exist_only_where_data_lives(synth):
    for env in synth.platform.environments:
        stack = synth[env]
        roles = {path for path in stack.resources("aws_iam_role") if path.startswith("data/")}
        born_here = synth.platform.env(env).promotes_from is None
        assert roles == ({"data/data-engineer", "data/data-grant"} if born_here else set()), env


def test_data_engineer_is_trusted_by_the_configured_data_engineers_only(synth):
    stack = synth["dev"]
    cfg = synth.platform.env("dev")
    (stmt,) = statements(stack.policy("aws_iam_role", "data/data-engineer"))
    assert stmt["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity"]
    assert stmt["Condition"] == {"ArnLike": {"aws:PrincipalArn": list(cfg.data_engineers)}}
    assert not set(cfg.data_engineers) & set(cfg.data_scientists)
    assert stack.resource("aws_iam_role", "data/data-engineer")["name"] == "mlgov-dev-data-engineer"


def test_data_engineer_publishes_under_datasets_and_hands_grants_to_the_grant_role(synth):
    stack = synth["dev"]
    names = Names.of(synth.platform, "dev")
    policy = stack.policy("aws_iam_role_policy", "data/data-engineer-policy")
    by_sid = {s["Sid"]: s for s in statements(policy)}
    assert by_sid["WriteDatasets"]["Resource"] == [f"{names.artifact_bucket_arn}/datasets/*"]
    assert by_sid["GrantThroughTheGrantRole"]["Resource"] == [names.role_arn("data_grant")]
    assert {"datazone:AcceptSubscriptionRequest", "datazone:RevokeSubscription"} <= allowed_actions(policy)
    # no IAM writes of its own: the grant is the grant role's
    assert not {a for a in allowed_actions(policy) if a.startswith("iam:")}
    # nothing of the models
    assert not any("/models/" in r for s in statements(policy) for r in s.get("Resource", []))


def test_only_the_data_engineer_may_assume_the_grant_role(synth):
    stack = synth["dev"]
    names = Names.of(synth.platform, "dev")
    trust = stack.policy("aws_iam_role", "data/data-grant")
    assert [principals(s) for s in statements(trust)] == [[names.role_arn("data_engineer")]]
    # the engineer's role and the grantee roles exist before IAM checks this trust and policy
    grant = stack.resource("aws_iam_role", "data/data-grant")
    for path in ("data/data-engineer", "iam/execution", "pipelines/role"):
        assert f"aws_iam_role.{stack.logical_id('aws_iam_role', path)}" in grant["depends_on"], path


def test_grant_role_writes_inline_policies_of_the_grantee_roles_only(synth):
    stack = synth["dev"]
    names = Names.of(synth.platform, "dev")
    policy = stack.policy("aws_iam_role_policy", "data/data-grant-policy")
    iam = [s for s in statements(policy) if any(a.startswith("iam:") for a in s["Action"])]
    assert iam == [
        {
            "Sid": "GrantSubscribedData",
            "Effect": "Allow",
            "Action": [
                "iam:DeleteRolePolicy",
                "iam:GetRolePolicy",
                "iam:ListRolePolicies",
                "iam:PutRolePolicy",
            ],
            # the jobs' and Studio's execution role, and the pipeline execution role
            "Resource": [names.role_arn("execution"), names.role_arn("pipeline")],
        }
    ]
    assert not any(s["Effect"] == "Allow" and "*" in s.get("Resource", []) for s in iam)
    assert not {a for a in allowed_actions(policy) if a.startswith(("s3:Get", "datazone:", "sts:"))}


def test_one_shared_producer_project_in_the_datazone_home_published_for_the_scripts(synth):
    for env in synth.platform.environments:
        stack = synth[env]
        projects = stack.resources("aws_datazone_project")
        if not synth.platform.env(env).datazone_home:
            assert "data/producer-project" not in projects
            continue
        project = projects["data/producer-project"]
        assert project["name"] == "mlgov-data-producers"
        assert project["domain_identifier"] == stack.ref("aws_datazone_domain", "datazone/domain", "id")
        names = Names.of(synth.platform, env)
        param = stack.resource("aws_ssm_parameter", "ssm-datazone-producers-id")
        assert param["name"] == names.ssm_datazone_producer_project_id
        assert param["value"] == stack.ref("aws_datazone_project", "data/producer-project", "id")
        assert stack.resource("aws_ssm_parameter", "ssm-role-data_grant")["name"] == names.ssm_role_arn(
            "data_grant"
        )


@pytest.mark.parametrize("env", ["dev"])
def test_data_scientist_may_subscribe_and_publish_models_but_not_decide(synth, env):
    stack = synth[env]
    policy = stack.policy("aws_iam_role_policy", "data/data-scientist-catalog-policy")
    actions = allowed_actions(policy)
    assert {
        "datazone:CreateSubscriptionRequest",
        "datazone:CreateAsset",
        "datazone:SearchListings",
    } <= actions
    assert not actions & {
        "datazone:AcceptSubscriptionRequest",
        "datazone:RejectSubscriptionRequest",
        "datazone:RevokeSubscription",
    }
    assert stack.resource("aws_iam_role_policy", "data/data-scientist-catalog-policy")["role"] == stack.ref(
        "aws_iam_role", "iam/data-scientist", "id"
    )
