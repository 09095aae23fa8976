"""Review's checks on their own (no emulator): the stage-status vocabulary, the required reason,
the gate record a strict tier's approval needs, and which versions a new Deployed one supersedes
(docs/mutation.md)."""

from __future__ import annotations

import pytest

from environments import load_platform
from scripts.governance import review
from scripts.governance.errors import RefusedError, UsageError
from scripts.governance.metadata import STAGE_STATUSES


@pytest.mark.parametrize("status", STAGE_STATUSES)
def test_every_status_of_the_vocabulary_is_accepted_as_is(status: str) -> None:
    assert review.check_stage_status(status) == status


def test_an_unknown_status_lists_the_whole_vocabulary_and_where_it_is_documented() -> None:
    with pytest.raises(UsageError) as err:
        review.check_stage_status("Serving")
    assert str(err.value) == (
        "unknown stage status 'Serving': expected one of Registered, InProgress, OnHold, Deployed, "
        "Superseded, RolledBack, Retired (docs/GOVERNANCE.md, Lifecycle stage status)"
    )


def test_a_near_miss_suggests_the_one_closest_status() -> None:
    with pytest.raises(UsageError, match=r"^unknown stage status 'onhold' \(did you mean OnHold\?\): "):
        review.check_stage_status("onhold")


def test_the_reason_is_required_and_kept_without_surrounding_blanks() -> None:
    assert review._require_reason("  model validated on holdout \n") == "model validated on holdout"
    for missing in (None, "", "   \t"):
        with pytest.raises(
            UsageError, match=r"^--reason is required: say why, it goes into the audit record$"
        ):
            review._require_reason(missing)


ARN = "arn:aws:sagemaker:us-east-1:222222222222:model-package/mlgov-credit-risk/3"


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_a_strict_tier_approves_only_a_version_whose_gates_passed(env: str) -> None:
    platform = load_platform()
    passed = {"ModelPackageArn": ARN, "CustomerMetadataProperties": {"mlgov-gates": "passed"}}
    assert review.check_gate_record(platform.env(env), passed) is None
    for meta, why in (
        (
            None,
            f"it carries no mlgov-gates metadata: it was not registered by a promotion that passed {env}'s gates",
        ),
        ({}, "it carries no mlgov-gates metadata"),
        ({"mlgov-gates": "Passed"}, "its mlgov-gates metadata is 'Passed', not 'passed'"),
    ):
        desc = {"ModelPackageArn": ARN, **({"CustomerMetadataProperties": meta} if meta is not None else {})}
        with pytest.raises(RefusedError) as err:
            review.check_gate_record(platform.env(env), desc)
        assert str(err.value).startswith(f"{ARN} may not be approved in {env} ({env} tier): {why}")
        assert str(err.value).endswith(
            f"In a strict tier only versions promoted through the gates are approved: promote it with "
            f"`mlgov promote --env {env} --version <upstream version>`"
        )
        [failure] = err.value.failures
        assert (failure.gate, failure.value, failure.limit) == (
            "gate_record",
            (meta or {}).get("mlgov-gates"),
            "passed",
        )


def test_a_dev_tier_approves_without_a_gate_record() -> None:
    assert review.check_gate_record(load_platform().env("dev"), {"ModelPackageArn": ARN}) is None


def test_deployed_before_names_every_other_deployed_version() -> None:
    def summary(n: int, status: str | None) -> dict:
        out: dict = {"ModelPackageArn": f"arn:x/{n}"}
        if status is not None:
            out["ModelLifeCycle"] = {"Stage": "Production", "StageStatus": status}
        return out

    listed = [
        summary(1, "Deployed"),
        summary(2, "Superseded"),
        summary(3, None),
        summary(4, "Deployed"),
        summary(5, "Deployed"),
    ]
    assert review.deployed_before(listed, "arn:x/5") == ["arn:x/1", "arn:x/4"]
    assert review.deployed_before(listed, "arn:x/9") == ["arn:x/1", "arn:x/4", "arn:x/5"]
    assert review.deployed_before([summary(1, "deployed")], "arn:x/2") == []
