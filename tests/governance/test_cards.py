"""cards: typed content, validation before any AWS call, sections and metrics read back."""

from __future__ import annotations

import json

import botocore.client
import pytest

from scripts.governance import cards
from scripts.governance import evaluation as ev
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


def test_a_promoted_card_leaves_the_source_catalog_asset_behind():
    """The source's card names the source environment's catalog asset; the copy is published as
    its own environment's asset when approved there, so promotion does not carry the old one."""
    published = cards.with_custom_details(
        _card(), {"model_asset_id": "dev-asset", "model_asset_revision": "3"}
    )
    assert published.additional_information.custom_details["model_asset_id"] == "dev-asset"
    assert published.additional_information.custom_details["datazone_project_id"] == "prj1"
    assert published.model_dump(exclude={"additional_information"}) == _card().model_dump(
        exclude={"additional_information"}
    )
    card = cards.repoint(published, artifact_uri="s3://t/m", report_uri="s3://t/e", extra_details={})
    details = card.additional_information.custom_details
    assert "model_asset_id" not in details and "model_asset_revision" not in details
    assert details["datazone_project_id"] == "prj1"


def test_a_team_card_may_not_set_the_catalog_asset():
    sections = {"additional_information": {"custom_details": {"model_asset_id": "forged"}}}
    assert cards.kit_owned(sections) == [
        "additional_information.custom_details.model_asset_id (from the use case)"
    ]


def _reports() -> tuple[dict, dict]:
    bias_section = {
        "label": "y",
        "label_value_or_threshold": "1",
        "facets": {
            "age_group": [{"value_or_threshold": "under_25", "metrics": [{"name": "DPPL", "value": 0.04}]}]
        },
    }
    bias = {ev.PRE_TRAINING: bias_section, ev.POST_TRAINING: bias_section}
    shap = {"explanations": {"kernel_shap": {"y": {"global_shap_values": {"accuracy": 0.5, "income": 0.2}}}}}
    return bias, shap


def test_repoint_leaves_each_report_entry_its_own_dataset():
    """Only the quality entry names the evaluation report: a bias or explainability entry names
    its own report, which promotion re-points to that report's copy."""
    bias, shap = _reports()
    entries = ev.card_evaluations(bias, shap, bias_uri="s3://b/bias.json", explainability_uri="s3://b/x.json")
    card = cards.repoint(
        _card(evaluations=entries),
        artifact_uri="s3://t/m.tar.gz",
        report_uri="s3://t/e.json",
        extra_details={},
    )
    assert {i.name: i.datasets for i in card.evaluation_details} == {
        cards.EVAL_QUALITY: ["s3://t/e.json"],
        ev.EVAL_PRE_BIAS: ["s3://b/bias.json"],
        ev.EVAL_POST_BIAS: ["s3://b/bias.json"],
        ev.EVAL_EXPLAINABILITY: ["s3://b/x.json"],
    }


def test_quality_metrics_are_not_read_from_report_entries():
    """A feature named like a quality metric is an attribution, not the model's accuracy."""
    bias, shap = _reports()
    card = _card(evaluations=ev.card_evaluations(bias, shap, bias_uri=None, explainability_uri=None))
    assert cards.evaluation_metrics(card) == {"accuracy": 0.95, "roc_auc": 0.97}


def test_assemble_adds_what_the_kit_registers_to_the_teams_sections():
    team = {
        "intended_uses": {"purpose_of_model": "triage", "risk_rating": "Low"},
        "evaluation_details": [{"name": "fairness-review", "evaluation_observation": "manual review"}],
        "additional_information": {"custom_details": {"owner_team": "clinic"}},
    }
    quality = cards.quality_evaluation({"accuracy": 0.8}, report_uri="s3://b/e.json")
    card = cards.assemble(
        team,
        creator="arn:me",
        artifact_uri="s3://b/m.tar.gz",
        evaluations=[quality],
        datazone_project_id="prj1",
        use_case="triage",
    )
    assert card.model_overview.model_dump(exclude_none=True) == {
        "model_creator": "arn:me",
        "model_artifact": ["s3://b/m.tar.gz"],
    }
    assert [i.name for i in card.evaluation_details] == [cards.EVAL_QUALITY, "fairness-review"]
    assert card.additional_information.custom_details == {
        "owner_team": "clinic",
        "datazone_project_id": "prj1",
        "use_case": "triage",
    }
    assert card.intended_uses.purpose_of_model == "triage"


@pytest.mark.parametrize(
    "content, named",
    [
        (
            {"model_overview": {"model_artifact": ["s3://elsewhere/m.tar.gz"]}},
            "model_overview.model_artifact",
        ),
        (
            {"evaluation_details": [{"name": "holdout-evaluation"}]},
            "evaluation_details[0].name 'holdout-evaluation'",
        ),
        ({"evaluation_details": [{"name": "e"}, {"name": "explainability"}]}, "evaluation_details[1].name"),
        (
            {"additional_information": {"custom_details": {"datazone_project_id": "prj-other"}}},
            "additional_information.custom_details.datazone_project_id",
        ),
    ],
)
def test_team_card_may_not_set_what_the_kit_writes(tmp_path, content, named):
    path = tmp_path / "card.json"
    path.write_text(json.dumps(content))
    with pytest.raises(CardValidationError, match=f"card file {path}: sets what the kit writes") as info:
        cards.load_overrides(str(path))
    assert named in str(info.value)


def test_objective_function_is_refused_before_aws_would():
    """The SDK's objective_function shape is not the schema CreateModelPackage checks."""
    content = {"training_details": {"objective_function": {"function": "Maximize", "facet": "AUC"}}}
    with pytest.raises(CardValidationError, match=r"training_details\.objective_function"):
        cards.validate_card(content)


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
    with pytest.raises(CardValidationError, match=rf"card file {bad}: .*intended_uses\.risk_rating"):
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
