"""cards: typed content, validation before any AWS call, sections and metrics read back."""

from __future__ import annotations

import json

import botocore.client
import pytest

from scripts.governance import cards
from scripts.governance import seed as seed_job
from scripts.governance.errors import CardValidationError


def _card(**overrides):
    base = {
        "creator": "arn:aws:sts::111111111111:assumed-role/x/y",
        "artifact_uri": "s3://b/m.tar.gz",
        "use_case": "credit-risk",
        "use_case_description": "PD model",
        "risk_rating": "High",
        "algorithm": "logistic_regression",
        "training_metrics": {"train_accuracy": 0.99},
        "evaluation_metrics": {"accuracy": 0.95, "roc_auc": 0.97},
        "evaluation_report_uri": "s3://b/e.json",
        "dataset": "d",
        "hyperparameters": {"C": 1.0},
        "datazone_project_id": "prj1",
    }
    base.update(overrides)
    return cards.build_card(**base)


def test_built_card_has_every_section_and_metrics():
    card = _card()
    assert cards.present_sections(card) == {
        "model_overview",
        "intended_uses",
        "business_details",
        "training_details",
        "evaluation_details",
        "additional_information",
    }
    assert cards.evaluation_metrics(card) == {"accuracy": 0.95, "roc_auc": 0.97}
    doc = json.loads(cards.card_json(card))
    assert doc["intended_uses"]["risk_rating"] == "High"
    assert doc["additional_information"]["custom_details"]["datazone_project_id"] == "prj1"
    assert set(doc["model_overview"]) == {"model_creator", "model_artifact"}


@pytest.mark.parametrize(
    "content, message",
    [
        ({"intended_uses": {"risk_rating": "Severe"}}, "intended_uses.risk_rating"),
        ({"model_overview": {"model_description": "x"}}, "may only hold model_artifact, model_creator"),
        (
            {
                "evaluation_details": [
                    {"name": "e", "metric_groups": [{"name": "g", "metric_data": [{"value": 1}]}]}
                ]
            },
            "evaluation_details.0.metric_groups.0.metric_data",
        ),
        ({"intended_use": {}}, "unknown section(s) intended_use"),
        ({"business_details": {"business_problem": "x" * 3000}}, "business_details.business_problem"),
    ],
)
def test_malformed_content_rejected(content, message):
    with pytest.raises(CardValidationError, match="malformed model card content") as info:
        cards.validate_card(content)
    assert message in str(info.value)


def test_invalid_risk_rating_at_build():
    with pytest.raises(ValueError):
        _card(risk_rating="Severe")


def test_repoint_changes_only_locations():
    card = cards.repoint(
        _card(),
        artifact_uri="s3://t/m.tar.gz",
        report_uri="s3://t/e.json",
        extra_details={"promoted_from": "arn:src"},
    )
    assert card.model_overview.model_artifact == ["s3://t/m.tar.gz"]
    assert card.evaluation_details[0].datasets == ["s3://t/e.json"]
    assert card.additional_information.custom_details["datazone_project_id"] == "prj1"
    assert card.additional_information.custom_details["promoted_from"] == "arn:src"
    assert cards.evaluation_metrics(card) == cards.evaluation_metrics(_card())


def test_empty_sections_are_not_present():
    card = cards.validate_card({"intended_uses": {}, "evaluation_details": []})
    assert cards.present_sections(card) == set()


@pytest.fixture
def api_calls(monkeypatch):
    calls = []
    real = botocore.client.BaseClient._make_api_call

    def record(self, op, params):
        calls.append(op)
        return real(self, op, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    return calls


def test_seed_rejects_malformed_card_file_before_any_call(cloud, platform, api_calls, tmp_path, capsys):
    bad = tmp_path / "card.json"
    bad.write_text(json.dumps({"intended_uses": {"risk_rating": "Catastrophic"}}))
    with pytest.raises(CardValidationError, match=r"intended_uses\.risk_rating"):
        seed_job.seed(platform, "dev", card_overrides=str(bad))
    assert api_calls == []
    assert seed_job.main(["--env", "dev", "--card-file", str(bad)]) == 2
    assert api_calls == []
    assert "malformed model card content" in capsys.readouterr().err
    bad.write_text("{not json")
    assert seed_job.main(["--env", "dev", "--card-file", str(bad)]) == 2
    assert api_calls == []


def test_seed_applies_valid_card_file(cloud, platform, tmp_path):
    good = tmp_path / "card.json"
    good.write_text(json.dumps({"business_details": {"business_problem": "Team-written problem statement"}}))
    result = seed_job.seed(platform, "dev", card_overrides=str(good))
    desc = cloud.client("dev", "sagemaker").describe_model_package(
        ModelPackageName=result["versions"][0]["arn"]
    )
    card = cards.parse_card(desc["ModelCard"]["ModelCardContent"])
    assert card.business_details.business_problem == "Team-written problem statement"
    assert card.business_details.line_of_business is None
