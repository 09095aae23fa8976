"""register: a model the kit did not train becomes a version with its own card, reports and lineage;
every bad input is refused with its file and field named, before any AWS call."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import botocore.client
import pytest

from environments import PlatformConfig
from scripts import cli
from scripts.governance import cards, lineage, register
from scripts.governance import evaluation as ev
from scripts.governance.metadata import META_DATA_HASH, META_KEY, META_MODEL_SHA256

from .conftest import DATAZONE_PROJECT_ID, Provisioned, audit_records, provision
from .fixtures import team_model
from .fixtures.team_model import IMAGE, USE_CASE, TeamModel

GROUP = f"mlgov-{USE_CASE}"


@pytest.fixture(scope="module")
def team_files(tmp_path_factory: pytest.TempPathFactory) -> TeamModel:
    """The team's files (training the team's model once per module)."""
    return team_model.write_team_model(tmp_path_factory.mktemp("team"))


@pytest.fixture
def team(tmp_path: Path, team_files: TeamModel) -> TeamModel:
    """A private copy of the team's files, free to be broken by a test."""
    out = {}
    for name in ("artifact", "metrics", "card", "bias", "explainability", "dataset"):
        source: Path = getattr(team_files, name)
        target = tmp_path / source.name
        target.write_bytes(source.read_bytes())
        out[name] = target
    return TeamModel(**out, evaluation=team_files.evaluation)


@pytest.fixture
def team_platform(tmp_path: Path) -> PlatformConfig:
    """The kit's environment files with the team's use case added (in tmp_path/environments)."""
    return team_model.platform_with_use_case(tmp_path / "environments")


@pytest.fixture
def team_cloud(mocked: None, team_platform: PlatformConfig) -> Provisioned:
    """The local cloud of those environment files."""
    return provision(team_platform)


@pytest.fixture
def api_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = botocore.client.BaseClient._make_api_call

    def record(self: Any, op: str, params: Any) -> Any:
        calls.append(op)
        return real(self, op, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    return calls


def _config_args(tmp_path: Path) -> list[str]:
    return ["--config-dir", str(tmp_path / "environments")]


def test_fixture_metrics_are_what_the_team_model_scores(team_files: TeamModel) -> None:
    """metrics.json is the team's evaluation of this very model, not numbers made up."""
    _, metrics = register.parse_metrics(team_files.metrics.read_bytes(), source="metrics.json")
    assert metrics == pytest.approx(team_files.evaluation, abs=1e-4)


def test_register_a_model_the_kit_did_not_train(team_cloud, team, tmp_path, capsys) -> None:
    args = [*team_model.register_args(team), *_config_args(tmp_path), "--json"]
    assert cli.main(["register", *args]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["group"], out["use_case"], out["datazone_project_id"]) == (
        GROUP,
        USE_CASE,
        DATAZONE_PROJECT_ID,
    )
    version = out["version"]
    assert (version["status"], version["version"], version["label"]) == ("created", 1, "knn-progression-v1")

    sm, s3 = team_cloud.client("dev", "sagemaker"), team_cloud.client("dev", "s3")
    desc = sm.describe_model_package(ModelPackageName=version["arn"])
    assert desc["ModelApprovalStatus"] == "PendingManualApproval"
    assert desc["ModelCard"]["ModelCardStatus"] == "Draft"
    assert (desc["ModelLifeCycle"]["Stage"], desc["ModelLifeCycle"]["StageStatus"]) == (
        "Development",
        "Registered",
    )
    assert desc["SecurityConfig"]["KmsKeyId"] == team_cloud.kms_keys["dev"]
    container = desc["InferenceSpecification"]["Containers"][0]
    assert container["Image"] == IMAGE
    meta = desc["CustomerMetadataProperties"]
    assert meta[META_KEY] == version["key"] and desc["ModelPackageArn"] == version["arn"]
    assert meta[META_MODEL_SHA256] == hashlib.sha256(team.artifact.read_bytes()).hexdigest()
    assert meta[META_DATA_HASH] == hashlib.sha256(team.dataset.read_bytes()).hexdigest()

    # Every object lies under the version's prefix, under dev's key, byte for byte as handed in.
    prefix = f"s3://{team_cloud.bucket('dev')}/models/{USE_CASE}/{version['key']}/"
    handed_in = {
        "model.tar.gz": team.artifact,
        "evaluation.json": team.metrics,
        "bias.json": team.bias,
        "explainability.json": team.explainability,
    }
    for name, path in handed_in.items():
        key = (prefix + name)[len(f"s3://{team_cloud.bucket('dev')}/") :]
        head = s3.head_object(Bucket=team_cloud.bucket("dev"), Key=key)
        assert head["SSEKMSKeyId"] == team_cloud.kms_keys["dev"]
        assert s3.get_object(Bucket=team_cloud.bucket("dev"), Key=key)["Body"].read() == path.read_bytes()
    assert container["ModelDataUrl"] == prefix + "model.tar.gz"
    metrics = desc["ModelMetrics"]
    assert metrics["ModelQuality"]["Statistics"]["S3Uri"] == prefix + "evaluation.json"
    assert metrics["Bias"]["Report"]["S3Uri"] == prefix + "bias.json"
    assert metrics["Explainability"]["Report"]["S3Uri"] == prefix + "explainability.json"

    # The card: the team's sections as written, plus what the kit registered.
    card = cards.parse_card(desc["ModelCard"]["ModelCardContent"])
    assert card is not None
    written = json.loads(team.card.read_text())
    assert card.intended_uses.model_dump(mode="json", exclude_none=True) == written["intended_uses"]
    assert card.business_details.model_dump(exclude_none=True) == written["business_details"]
    assert card.additional_information.custom_details == {
        "owner_team": "clinical-analytics",
        cards.DATAZONE_PROJECT_KEY: DATAZONE_PROJECT_ID,
        "use_case": USE_CASE,
    }
    assert card.model_overview.model_artifact == [prefix + "model.tar.gz"]
    datasets = {item.name: item.datasets for item in card.evaluation_details}
    assert datasets == {
        cards.EVAL_QUALITY: [prefix + "evaluation.json"],
        ev.EVAL_PRE_BIAS: [prefix + "bias.json"],
        ev.EVAL_POST_BIAS: [prefix + "bias.json"],
        ev.EVAL_EXPLAINABILITY: [prefix + "explainability.json"],
    }
    assert cards.evaluation_metrics(card) == pytest.approx(team.evaluation, abs=1e-4)
    post = ev.bias_metrics(card)
    assert abs(post["DPPL"]) <= 0.1 and 0.8 <= post["DI"] <= 1.25  # within prod's bias limits
    assert ev.has_explainability(card)
    assert cards.present_sections(card) >= set(
        team_cloud.platform.env("prod").governance.required_card_sections
    )

    # Lineage from the team's dataset (content hash) to the version, and an audit record.
    chain = lineage.lineage_of(team_cloud.platform, "dev", "1", use_case=USE_CASE)
    assert [n["kind"] for n in chain["chain"]] == [
        lineage.PACKAGE,
        lineage.MODEL,
        lineage.TRAINING,
        lineage.DATASET,
    ]
    assert chain["chain"][-1]["source_uri"] == team.dataset.resolve().as_uri()
    assert chain["chain"][-1]["properties"]["sha256"] == meta[META_DATA_HASH]
    assert chain["chain"][2]["properties"]["hp.n_neighbors"] == "25"
    (record,) = audit_records(team_cloud, "dev")
    assert record["what"] == {"action": "register", "model_package_arn": version["arn"]}
    assert record["role"].endswith(":role/mlgov-dev-data-scientist")


def test_registering_again_returns_the_same_version(team_cloud, team, tmp_path, capsys) -> None:
    args = [*team_model.register_args(team), *_config_args(tmp_path), "--json"]
    assert register.main(args) == 0
    first = json.loads(capsys.readouterr().out)["version"]
    assert register.main(args) == 0
    again = json.loads(capsys.readouterr().out)["version"]
    assert (again["status"], again["arn"], again["key"]) == ("exists", first["arn"], first["key"])
    listed = team_cloud.client("dev", "sagemaker").list_model_packages(ModelPackageGroupName=GROUP)
    assert len(listed["ModelPackageSummaryList"]) == 1
    # Anything that makes a version distinct makes a new one: here, the card.
    card = json.loads(team.card.read_text())
    card["business_details"]["line_of_business"] = "Chronic care (pilot)"
    team.card.write_text(json.dumps(card))
    assert register.main(args) == 0
    changed = json.loads(capsys.readouterr().out)["version"]
    assert (changed["status"], changed["version"]) == ("created", 2)


def test_helper_registers_for_other_tests(team_cloud, team) -> None:
    """register_team_model is the path a promotion test starts from."""
    result = team_model.register_team_model(team_cloud.platform, team)
    assert result["version"]["status"] == "created"
    assert result["version"]["arn"].endswith(f":model-package/{GROUP}/1")


@pytest.mark.parametrize("s3_checksum", [True, False], ids=["s3-sha256", "no-checksum"])
def test_artifact_in_s3_is_copied_inside_s3(
    s3_checksum, team_cloud, team, tmp_path, api_calls, capsys
) -> None:
    """An s3:// artifact: checked by its first bytes, hashed (by S3's own SHA-256 when it has one,
    else read once), copied by S3 under dev's key (its bytes never uploaded by the job); a
    dataset URI is recorded with its hash unknown."""
    s3 = team_cloud.client("dev", "s3")
    s3.create_bucket(Bucket="team-models")
    extra = {"ChecksumAlgorithm": "SHA256"} if s3_checksum else {}
    s3.put_object(Bucket="team-models", Key="knn/model.tar.gz", Body=team.artifact.read_bytes(), **extra)
    args = team_model.register_args(team)
    args[args.index("--artifact") + 1] = "s3://team-models/knn/model.tar.gz"
    args[args.index("--dataset") + 1] = "s3://team-data/diabetes.csv"
    api_calls.clear()
    assert register.main([*args, *_config_args(tmp_path), "--json"]) == 0
    version = json.loads(capsys.readouterr().out)["version"]
    assert "CopyObject" in api_calls
    assert api_calls.count("GetObject") == (1 if s3_checksum else 2)  # the probe, then the read to hash
    assert api_calls.count("PutObject") == 4  # evaluation, bias, explainability reports and the audit record
    desc = team_cloud.client("dev", "sagemaker").describe_model_package(ModelPackageName=version["arn"])
    model_uri = desc["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    bucket, key = model_uri[5:].split("/", 1)
    assert bucket == team_cloud.bucket("dev")
    assert s3.head_object(Bucket=bucket, Key=key)["SSEKMSKeyId"] == team_cloud.kms_keys["dev"]
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == team.artifact.read_bytes()
    meta = desc["CustomerMetadataProperties"]
    assert meta[META_MODEL_SHA256] == hashlib.sha256(team.artifact.read_bytes()).hexdigest()
    assert meta[META_DATA_HASH] == "unknown"
    chain = lineage.lineage_of(team_cloud.platform, "dev", "1", use_case=USE_CASE)["chain"]
    assert chain[-1]["source_uri"] == "s3://team-data/diabetes.csv"
    assert chain[-1]["properties"]["sha256"] == "unknown"


def test_s3_object_that_is_not_an_archive_is_refused_before_any_write(
    team_cloud, team, tmp_path, api_calls, capsys
) -> None:
    s3 = team_cloud.client("dev", "s3")
    s3.create_bucket(Bucket="team-models")
    s3.put_object(Bucket="team-models", Key="knn/model.tar.gz", Body=gzip.compress(b'{"not": "a tar"}'))
    args = team_model.register_args(team)
    args[args.index("--artifact") + 1] = "s3://team-models/knn/model.tar.gz"
    api_calls.clear()
    assert register.main([*args, *_config_args(tmp_path)]) == 2
    assert "--artifact s3://team-models/knn/model.tar.gz: not a model archive" in capsys.readouterr().err
    writes = {"PutObject", "CopyObject", "CreateModelPackage", "CreateArtifact", "CreateAction"}
    assert writes.isdisjoint(api_calls)


def _break(team: TeamModel, tmp_path: Path, case: str) -> tuple[list[str], str]:
    """The command line with one bad input, and what the error must name."""
    args = team_model.register_args(team)

    def set_arg(option: str, value: str) -> None:
        args[args.index(option) + 1] = value

    def edit_json(path: Path, change: Any) -> None:
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))

    if case == "missing metrics file":
        set_arg("--metrics", str(tmp_path / "nope.json"))
        return args, f"--metrics {tmp_path / 'nope.json'}: cannot read it"
    if case == "metrics not in the quality layout":
        team.metrics.write_text(json.dumps({"accuracy": 0.8}))
        return args, f"--metrics {team.metrics}: no binary_classification_metrics"
    if case == "metric that is not a number":
        edit_json(team.metrics, lambda d: d["binary_classification_metrics"]["roc_auc"].update(value="high"))
        return (
            args,
            f"--metrics {team.metrics}: binary_classification_metrics.roc_auc.value: expected a number",
        )
    if case in ("metric that is null", "metric that is NaN (json.dump of a NaN)"):
        value = None if case == "metric that is null" else float("nan")
        edit_json(team.metrics, lambda d: d["binary_classification_metrics"]["roc_auc"].update(value=value))
        return (
            args,
            f"--metrics {team.metrics}: binary_classification_metrics.roc_auc.value: expected a number, "
            f"got {value!r}",
        )
    if case in ("card metric that is null", "card metric that is NaN (json.dump of a NaN)"):
        value = None if case == "card metric that is null" else float("nan")
        entry = {
            "name": "team-holdout",
            "metric_groups": [
                {"name": "quality", "metric_data": [{"name": "accuracy", "type": "number", "value": value}]}
            ],
        }
        edit_json(team.card, lambda d: d.setdefault("evaluation_details", []).append(entry))
        return args, (
            f"card file {team.card}: malformed model card content: evaluation_details[0] 'team-holdout': "
            f"metric 'accuracy' is {'null' if value is None else 'nan'}: a metric's value must be a finite number"
        )
    if case == "malformed card":
        edit_json(team.card, lambda d: d["intended_uses"].update(risk_rating="Severe"))
        return args, f"card file {team.card}: malformed model card content: intended_uses.risk_rating"
    if case == "card that is not JSON":
        team.card.write_text("{intended_uses: ")
        return args, f"card file {team.card} is not JSON"
    if case == "card without a required section":
        edit_json(team.card, lambda d: d.pop("intended_uses"))
        return args, f"card file {team.card}: missing section(s) intended_uses, required in environment 'dev'"
    if case == "card that sets the DataZone project":
        edit_json(
            team.card,
            lambda d: d["additional_information"]["custom_details"].update(datazone_project_id="prj-other"),
        )
        return args, f"card file {team.card}: sets what the kit writes"
    if case == "malformed bias report":
        edit_json(team.bias, lambda d: d.pop(ev.POST_TRAINING))
        return args, f"--bias-report {team.bias}: post_training_bias_metrics: missing"
    if case == "bias report of nulls (a numeric facet given a value)":

        def nulls(d: dict) -> None:
            for stage in (ev.PRE_TRAINING, ev.POST_TRAINING):
                for result in d[stage]["facets"]["sex"]:
                    result["value_or_threshold"] = "(2.0, 2.0]"
                    for m in result["metrics"]:
                        m["value"] = None

        edit_json(team.bias, nulls)
        return args, (
            f"--bias-report {team.bias}: pre_training_bias_metrics.facets.sex[0] (value_or_threshold "
            "'(2.0, 2.0]'): every metric is null (CI, DPL, KL)"
        )
    if case == "malformed explainability report":
        team.explainability.write_text(json.dumps({"explanations": {}}))
        return args, f"--explainability-report {team.explainability}: explanations.kernel_shap: missing"
    if case == "artifact that is not gzip":
        team.artifact.write_bytes(b"model weights")
        return args, f"--artifact {team.artifact}: not a model archive (not gzip-compressed)"
    if case == "gzip that is not a tar":
        team.artifact.write_bytes(gzip.compress(b"model weights" * 100))
        return args, f"--artifact {team.artifact}: not a model archive"
    if case == "missing artifact":
        set_arg("--artifact", str(tmp_path / "gone.tar.gz"))
        return args, f"--artifact {tmp_path / 'gone.tar.gz'}: cannot read it"
    if case == "unknown use case":
        set_arg("--use-case", "fraud")
        return args, "unknown use case 'fraud' in environment 'dev'"
    if case == "image with a space":
        set_arg("--image", "my image:latest")
        return args, "--image 'my image:latest': expected a container image URI"
    if case == "missing dataset file":
        set_arg("--dataset", str(tmp_path / "data.csv"))
        return args, f"--dataset {tmp_path / 'data.csv'}: no such file"
    if case == "downstream environment":
        set_arg("--env", "staging")
        return (
            args,
            "register registers new versions only where versions are born; 'staging' promotes from 'dev'",
        )
    raise AssertionError(case)


BAD_INPUTS = (
    "missing metrics file",
    "metrics not in the quality layout",
    "metric that is not a number",
    "metric that is null",
    "metric that is NaN (json.dump of a NaN)",
    "card metric that is null",
    "card metric that is NaN (json.dump of a NaN)",
    "malformed card",
    "card that is not JSON",
    "card without a required section",
    "card that sets the DataZone project",
    "malformed bias report",
    "bias report of nulls (a numeric facet given a value)",
    "malformed explainability report",
    "artifact that is not gzip",
    "gzip that is not a tar",
    "missing artifact",
    "unknown use case",
    "image with a space",
    "missing dataset file",
    "downstream environment",
)


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_refused_naming_file_and_field_before_any_call(
    case, mocked, team_platform, team, tmp_path, api_calls, capsys
) -> None:
    """No AWS call at all, so nothing registered: the emulator's accounts need not even exist."""
    args, expected = _break(team, tmp_path, case)
    assert register.main([*args, *_config_args(tmp_path)]) == 2
    assert api_calls == []
    assert expected in capsys.readouterr().err
    assert register.main([*args, *_config_args(tmp_path), "--dry-run"]) == 2  # a dry run refuses it too
    assert api_calls == []


def test_dry_run_registers_nothing(team_cloud, team, tmp_path, capsys) -> None:
    args = [*team_model.register_args(team), *_config_args(tmp_path), "--dry-run", "--json"]
    assert register.main(args) == 0
    assert json.loads(capsys.readouterr().out)["version"]["status"] == "would-create"
    listed = team_cloud.client("dev", "sagemaker").list_model_packages(ModelPackageGroupName=GROUP)
    assert listed["ModelPackageSummaryList"] == []
    assert "Contents" not in team_cloud.client("dev", "s3").list_objects_v2(Bucket=team_cloud.bucket("dev"))


# -- gates that would surface late ---------------------------------------------------------------
def _rename_metric(team: TeamModel, old: str, new: str) -> None:
    data = json.loads(team.metrics.read_text())
    data["binary_classification_metrics"][new] = data["binary_classification_metrics"].pop(old)
    team.metrics.write_text(json.dumps(data))


def _without_section(team: TeamModel, section: str) -> None:
    card = json.loads(team.card.read_text())
    del card[section]
    team.card.write_text(json.dumps(card))


def test_register_reports_which_downstream_gates_would_refuse_and_why(
    team_cloud, team, tmp_path, capsys, api_calls
) -> None:
    """A card without business_details and a metric named auc (SageMaker's name; the gates read
    roc_auc) pass dev's rules; registering says now that staging and prod would refuse it, and
    why, with a "did you mean". Without --strict it is reported, never refused in dev."""
    _rename_metric(team, "roc_auc", "auc")
    _without_section(team, "business_details")
    args = [*team_model.register_args(team), *_config_args(tmp_path)]
    assert cli.main(["register", *args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    for env, floor in (("staging", "0.78"), ("prod", "0.8")):
        assert f"  {env}: would REFUSE it at promotion:" in out
        assert (
            f"    - metric:roc_auc: roc_auc is not in the card's evaluation metrics nor the evaluation "
            f"report; {env} requires >= {floor} (the metrics file has 'auc': did you mean roc_auc?)"
        ) in out
        assert f"    - card_sections: card lacks section(s) business_details required by {env}" in out
    assert "note: metric 'auc' is SageMaker's name for what the gates read as 'roc_auc'" in out
    assert "CreateModelPackage" not in api_calls
    assert cli.main(["register", *args, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["version"]["status"] == "created"
    refused = {d["env"]: [f["gate"] for f in d["failures"]] for d in result["downstream"]}
    assert refused == {
        "staging": ["card_sections", "metric:roc_auc"],
        "prod": ["card_sections", "metric:roc_auc"],
    }


def test_register_strict_refuses_what_a_downstream_gate_would_refuse_before_any_call(
    team_cloud, team, tmp_path, capsys, api_calls
) -> None:
    _rename_metric(team, "roc_auc", "auc")
    args = [*team_model.register_args(team), *_config_args(tmp_path), "--strict"]
    assert cli.main(["register", *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --strict: staging, prod would refuse this version at promotion")
    assert "  - staging metric:roc_auc: roc_auc is not in the card's evaluation metrics" in err
    assert "did you mean roc_auc?" in err
    assert api_calls == []


def test_a_submission_every_downstream_gate_accepts_is_reported_so(
    team_cloud, team, tmp_path, capsys
) -> None:
    args = [*team_model.register_args(team), *_config_args(tmp_path), "--dry-run", "--strict", "--json"]
    assert cli.main(["register", *args]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [(d["env"], d["refused"]) for d in result["downstream"]] == [("staging", False), ("prod", False)]
    assert result["metric_notes"] == []
