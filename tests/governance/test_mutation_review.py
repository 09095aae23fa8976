"""Review's input checks on their own (no emulator): the stage-status vocabulary and the required
reason, which every review command applies before any call (docs/mutation.md)."""

from __future__ import annotations

import pytest

from scripts.governance import review
from scripts.governance.errors import UsageError
from scripts.governance.metadata import STAGE_STATUSES


@pytest.mark.parametrize("status", STAGE_STATUSES)
def test_every_status_of_the_vocabulary_is_accepted_as_is(status: str) -> None:
    assert review.check_stage_status(status) == status


def test_an_unknown_status_lists_the_whole_vocabulary_and_where_it_is_documented() -> None:
    with pytest.raises(UsageError) as err:
        review.check_stage_status("Serving")
    assert str(err.value) == (
        "unknown stage status 'Serving': expected one of Registered, InProgress, OnHold, Deployed, "
        "RolledBack, Retired (docs/GOVERNANCE.md, Lifecycle stage status)"
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
