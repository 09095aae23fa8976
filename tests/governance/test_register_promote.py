"""Issue 11's end-to-end claim on moto: a model the kit did not train (a k-NN on scikit-learn's
diabetes data, with its own card, metrics and Clarify-format reports) is registered in dev,
reviewed and approved, promoted through staging into prod behind every gate (quality floors,
bias limits, explainability), and `mlgov lineage` walks back from the prod version to the
team's dataset in dev."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts import cli
from scripts.governance import review
from scripts.governance.promote import promote

from .conftest import provision
from .fixtures import team_model
from .fixtures.team_model import USE_CASE


def _approve(platform, env: str, version: str, *, from_draft: bool) -> None:
    for status in (["PendingReview"] if from_draft else []) + ["Approved"]:
        review.set_card_status(platform, env, version, status, f"review: {status}", use_case=USE_CASE)
    review.set_approval(platform, env, version, "validated", use_case=USE_CASE)


def test_a_team_model_is_promoted_to_prod_and_traced_back_to_its_dataset(
    mocked: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    platform = team_model.platform_with_use_case(tmp_path / "environments")
    provision(platform)
    model = team_model.write_team_model(tmp_path / "team")
    registered = team_model.register_team_model(platform, model)
    dev_version = str(registered["version"]["version"])

    _approve(platform, "dev", dev_version, from_draft=True)
    staging = promote(platform, "staging", dev_version, use_case=USE_CASE)
    staging_version = staging["target_arn"].rsplit("/", 1)[1]
    _approve(platform, "staging", staging_version, from_draft=False)  # promoted cards arrive PendingReview
    prod = promote(platform, "prod", staging_version, use_case=USE_CASE)
    prod_version = prod["target_arn"].rsplit("/", 1)[1]
    assert f":model-package/mlgov-{USE_CASE}/" in prod["target_arn"]
    assert prod["target_arn"].split(":")[4] == platform.env("prod").account_id

    capsys.readouterr()
    code = cli.main(
        [
            "lineage",
            "--env",
            "prod",
            "--version",
            prod_version,
            "--use-case",
            USE_CASE,
            "--json",
            "--config-dir",
            str(tmp_path / "environments"),
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    kinds = [(n["kind"], n["environment"]) for n in result["chain"]]
    assert kinds[0] == ("ModelPackage", "prod")
    assert ("ModelPackage", "staging") in kinds and ("ModelPackage", "dev") in kinds
    assert kinds[-1] == ("DataSet", "dev") and result["reaches_dataset"] is True
    assert result["chain"][-1]["source_uri"].endswith(model.dataset.name)
