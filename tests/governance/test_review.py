"""review: card status moves, approval, stage status; each audited; bad input refused."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from scripts.governance import review
from scripts.governance.errors import PermissionDeniedError, RefusedError, UnknownVersionError, UsageError

from .conftest import audit_records


def test_card_moves_draft_to_approved_and_back(seeded, platform, cloud):
    sm = cloud.client("dev", "sagemaker")
    arn = seeded["versions"][0]["arn"]
    for status in ("PendingReview", "Approved", "Draft"):
        result = review.set_card_status(platform, "dev", "1", status, f"to {status}")
        assert result["changed"] is True
        assert sm.describe_model_package(ModelPackageName=arn)["ModelCard"]["ModelCardStatus"] == status
    records = [r for r in audit_records(cloud, "dev") if r["what"]["action"] == "card-status"]
    assert [(r["before"]["ModelCardStatus"], r["after"]["ModelCardStatus"]) for r in records] == [
        ("Draft", "PendingReview"),
        ("PendingReview", "Approved"),
        ("Approved", "Draft"),
    ]
    assert records[0]["why"] == "to PendingReview"
    assert ":assumed-role/mlgov-dev-model-approver/" in records[0]["who"]
    assert records[0]["what"]["model_package_arn"] == arn


def test_card_cannot_skip_review(seeded, platform, cloud):
    with pytest.raises(RefusedError, match="Draft; it may move to PendingReview, Archived, not Approved"):
        review.set_card_status(platform, "dev", "1", "Approved", "skip")
    assert audit_records(cloud, "dev")[-1]["what"]["action"] == "register"


def test_approve_and_reject_record_reason(seeded, platform, cloud):
    sm = cloud.client("dev", "sagemaker")
    review.set_approval(platform, "dev", "2", "metrics reviewed")
    desc = sm.describe_model_package(ModelPackageName=seeded["versions"][1]["arn"])
    assert desc["ModelApprovalStatus"] == "Approved"
    assert desc["ApprovalDescription"] == "metrics reviewed"
    review.set_approval(platform, "dev", "2", "bias found", decision="Rejected")
    assert (
        sm.describe_model_package(ModelPackageName=seeded["versions"][1]["arn"])["ModelApprovalStatus"]
        == "Rejected"
    )
    actions = [r["what"]["action"] for r in audit_records(cloud, "dev")]
    assert actions[-2:] == ["approve", "reject"]


def test_unchanged_value_writes_nothing(seeded, platform, cloud):
    before = len(audit_records(cloud, "dev"))
    result = review.set_approval(platform, "dev", "1", "again", decision="PendingManualApproval")
    assert result["changed"] is False
    assert len(audit_records(cloud, "dev")) == before


def _deployments(cloud, env):
    sm = cloud.client(env, "sagemaker")
    return sm.list_actions(ActionType="ModelDeployment")["ActionSummaries"]


def test_stage_status_deployed_records_the_deployment_in_lineage(seeded, platform, cloud):
    arn = seeded["versions"][2]["arn"]
    result = review.set_stage_status(platform, "dev", "3", "Deployed", "canary")
    sm = cloud.client("dev", "sagemaker")
    life = sm.describe_model_package(ModelPackageName=arn)["ModelLifeCycle"]
    assert (life["Stage"], life["StageStatus"], life["StageDescription"]) == (
        "Development",
        "Deployed",
        "canary",
    )
    (action,) = _deployments(cloud, "dev")
    assert result["deployment"] == action["ActionArn"]
    package = sm.list_artifacts(SourceUri=arn, ArtifactType="ModelPackage")["ArtifactSummaries"]
    assert [
        a["DestinationArn"]
        for a in sm.list_associations(SourceArn=package[0]["ArtifactArn"])["AssociationSummaries"]
    ] == [action["ActionArn"]]
    # Again (e.g. after a run stopped between the two steps): one deployment, nothing audited twice.
    records = len(audit_records(cloud, "dev"))
    again = review.set_stage_status(platform, "dev", "3", "Deployed", "canary")
    assert again["changed"] is False and again["deployment"] == action["ActionArn"]
    assert len(_deployments(cloud, "dev")) == 1 and len(audit_records(cloud, "dev")) == records


def _stage(cloud, env, arn):
    return cloud.client(env, "sagemaker").describe_model_package(ModelPackageName=arn)["ModelLifeCycle"]


def test_a_new_deployed_version_supersedes_the_one_deployed_before(seeded, platform, cloud, capsys):
    """One version serves in an environment: v2 Deployed moves v1 (Deployed before) to
    Superseded, audited with why; v3, never deployed, is left alone; a dry run changes nothing."""
    v1, v2, v3 = (v["arn"] for v in seeded["versions"][:3])
    review.set_stage_status(platform, "dev", "1", "Deployed", "release 1")
    dry = review.set_stage_status(platform, "dev", "2", "Deployed", "release 2", dry_run=True)
    assert [(o["model_package_arn"], o["would_change"]) for o in dry["superseded"]] == [(v1, True)]
    assert _stage(cloud, "dev", v1)["StageStatus"] == "Deployed"
    assert (
        review.main(
            ["stage", "--env", "dev", "--version", "2", "--status", "Deployed", "--reason", "release 2"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert f"stage-status {v2}: " in out and f"  stage-status {v1}: " in out and "Superseded" in out
    assert _stage(cloud, "dev", v2)["StageStatus"] == "Deployed"
    life = _stage(cloud, "dev", v1)
    assert (life["StageStatus"], life["StageDescription"]) == (
        "Superseded",
        "superseded by v2, now Deployed in dev: release 2",
    )
    assert _stage(cloud, "dev", v3)["StageStatus"] == "Registered"
    superseded = [
        r
        for r in audit_records(cloud, "dev")
        if r["what"]["action"] == "stage-status" and r["after"]["StageStatus"] == "Superseded"
    ]
    assert [(r["what"]["model_package_arn"], r["before"]["StageStatus"]) for r in superseded] == [
        (v1, "Deployed")
    ]
    assert superseded[0]["why"] == "superseded by v2, now Deployed in dev: release 2"
    # Again: nothing more to supersede, nothing written twice.
    records = len(audit_records(cloud, "dev"))
    assert review.set_stage_status(platform, "dev", "2", "Deployed", "release 2")["superseded"] == []
    assert len(audit_records(cloud, "dev")) == records


def _register_in(cloud, env, meta=None):
    """A version created straight in ``env`` (not by a promotion), e.g. by a role that should not."""
    request = {
        "ModelPackageGroupName": "mlgov-credit-risk",
        "ModelApprovalStatus": "PendingManualApproval",
        "ModelCard": {"ModelCardContent": "{}", "ModelCardStatus": "Approved"},
    }
    if meta:
        request["CustomerMetadataProperties"] = meta
    return cloud.client(env, "sagemaker").create_model_package(**request)["ModelPackageArn"]


@pytest.mark.parametrize(
    ("meta", "why"),
    [
        (None, "it carries no mlgov-gates metadata"),
        ({"mlgov-gates": "failed"}, "its mlgov-gates metadata is 'failed', not 'passed'"),
    ],
)
def test_approval_in_a_strict_tier_needs_the_promotions_gate_record(cloud, platform, capsys, meta, why):
    """A version in staging that no promotion registered (no passing gate record) is not approved:
    refused before any write, naming why; rejecting it is allowed."""
    arn = _register_in(cloud, "staging", meta)
    with pytest.raises(RefusedError) as info:
        review.set_approval(platform, "staging", "1", "looks fine")
    assert str(info.value).startswith(f"{arn} may not be approved in staging (staging tier): {why}")
    assert [f.gate for f in info.value.failures] == ["gate_record"]
    assert review.main(["approve", "--env", "staging", "--version", "1", "--reason", "x"]) == 1
    assert "gate_record: " in capsys.readouterr().err
    desc = cloud.client("staging", "sagemaker").describe_model_package(ModelPackageName=arn)
    assert desc["ModelApprovalStatus"] == "PendingManualApproval"
    assert audit_records(cloud, "staging") == []
    assert review.set_approval(platform, "staging", "1", "not promoted", decision="Rejected")["changed"]


def test_approval_in_a_strict_tier_of_a_promoted_version_is_allowed(cloud, platform):
    _register_in(cloud, "staging", {"mlgov-gates": "passed", "mlgov-gate-results": "approval=Approved"})
    assert review.set_approval(platform, "staging", "1", "promoted through the gates")["changed"]


def test_other_stage_statuses_record_no_deployment(seeded, platform, cloud):
    review.set_stage_status(platform, "dev", "1", "InProgress", "validation under way")
    assert _deployments(cloud, "dev") == []
    assert review.set_stage_status(platform, "dev", "1", "Deployed", "x", dry_run=True)["would_change"]
    assert _deployments(cloud, "dev") == []


@pytest.mark.parametrize("status", ["Deployd", "deployed", "Promoted", "Live"])
def test_stage_status_outside_the_vocabulary_is_refused_and_nothing_written(
    seeded, platform, cloud, status, capsys
):
    sm = cloud.client("dev", "sagemaker")
    before = sm.describe_model_package(ModelPackageName=seeded["versions"][0]["arn"])["ModelLifeCycle"]
    records = len(audit_records(cloud, "dev"))
    with pytest.raises(UsageError, match=r"expected one of Registered, InProgress, OnHold, Deployed, "):
        review.set_stage_status(platform, "dev", "1", status, "typo")
    code = review.main(["stage", "--env", "dev", "--version", "1", "--status", status, "--reason", "typo"])
    assert code == 2
    err = capsys.readouterr().err
    assert f"unknown stage status {status!r}" in err and "RolledBack, Retired" in err
    assert (
        sm.describe_model_package(ModelPackageName=seeded["versions"][0]["arn"])["ModelLifeCycle"] == before
    )
    assert len(audit_records(cloud, "dev")) == records


def test_stage_status_typo_names_the_fix():
    with pytest.raises(UsageError, match=r"unknown stage status 'Deployd' \(did you mean Deployed\?\)"):
        review.check_stage_status("Deployd")
    assert review.check_stage_status("RolledBack") == "RolledBack"


def test_dry_run_changes_nothing(seeded, platform, cloud):
    before = len(audit_records(cloud, "dev"))
    result = review.set_approval(platform, "dev", "1", "x", dry_run=True)
    assert result["would_change"] is True
    desc = cloud.client("dev", "sagemaker").describe_model_package(
        ModelPackageName=seeded["versions"][0]["arn"]
    )
    assert desc["ModelApprovalStatus"] == "PendingManualApproval"
    assert len(audit_records(cloud, "dev")) == before


def test_audit_event_reaches_event_bus(seeded, platform, cloud):
    """A rule like the stack's (source = Names.audit_event_source) sees the audit event."""
    events = cloud.client("dev", "events")
    logs = cloud.client("dev", "logs")
    names = cloud.names("dev")
    logs.create_log_group(logGroupName=names.governance_log_group)
    # As the stack writes it (modules/events.py): EventBridge delivers through this policy only.
    log_group = f"arn:aws:logs:us-east-1:111111111111:log-group:{names.governance_log_group}"
    logs.put_resource_policy(
        policyName="governance-events",
        policyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": f"{log_group}:*",
                    }
                ],
            }
        ),
    )
    events.put_rule(Name="audit", EventPattern=json.dumps({"source": [names.audit_event_source]}))
    events.put_targets(
        Rule="audit",
        Targets=[
            {
                "Id": "log",
                "Arn": log_group,
            }
        ],
    )
    review.set_approval(platform, "dev", "1", "looks good")
    found = logs.filter_log_events(logGroupName=names.governance_log_group)["events"]
    details = [json.loads(e["message"]) for e in found]
    assert any(
        d["source"] == names.audit_event_source and d["detail"]["why"] == "looks good" for d in details
    )


def test_unknown_version(seeded, platform):
    with pytest.raises(UnknownVersionError, match=r"unknown version .*mlgov-credit-risk/42"):
        review.set_approval(platform, "dev", "42", "x")


def test_unknown_version_cli_exit_2(seeded, capsys):
    assert review.main(["approve", "--env", "dev", "--version", "42", "--reason", "x"]) == 2
    assert "unknown version" in capsys.readouterr().err


def test_unknown_environment_cli_exit_2(seeded, capsys):
    assert (
        review.main(["card", "--env", "qa", "--version", "1", "--status", "Approved", "--reason", "x"]) == 2
    )
    assert "unknown environment 'qa'" in capsys.readouterr().err


def test_empty_reason_is_usage_error(seeded, platform):
    with pytest.raises(UsageError, match="--reason is required"):
        review.set_approval(platform, "dev", "1", "  ")


def test_access_denied_is_clear(seeded, platform, monkeypatch):
    """An AccessDenied from AWS surfaces as a PermissionDeniedError naming the role."""
    import botocore.client

    real = botocore.client.BaseClient._make_api_call

    def deny(self, op, params):
        if op == "UpdateModelPackage":
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, op)
        return real(self, op, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", deny)
    with pytest.raises(
        PermissionDeniedError, match=r"UpdateModelPackage was denied as .*mlgov-dev-model-approver"
    ):
        review.set_approval(platform, "dev", "1", "x")
    assert review.main(["approve", "--env", "dev", "--version", "1", "--reason", "x"]) == 1
