"""Lineage from dataset to deployment, and the walk back across accounts (moto + the kit's
SageMaker lineage extension, two accounts)."""

from __future__ import annotations

import json

import pytest

from scripts.governance import lineage
from tests.governance.conftest import REGION, account_session

DEV, STAGING = "111111111111", "222222222222"
DEV_PKG = f"arn:aws:sagemaker:{REGION}:{DEV}:model-package/mlgov-credit-risk/1"
STAGING_PKG = f"arn:aws:sagemaker:{REGION}:{STAGING}:model-package/mlgov-credit-risk/1"


@pytest.fixture
def clients(mocked: None) -> dict[str, object]:
    return {acct: account_session(acct).client("sagemaker", region_name=REGION) for acct in (DEV, STAGING)}


def _register_dev(sm: object) -> dict[str, str]:
    return lineage.record_registration(
        sm,
        package_arn=DEV_PKG,
        env="dev",
        dataset_uri="s3://mlgov-dev-artifacts/datasets/credit.csv",
        dataset_hash="ab" * 32,
        model_uri="s3://mlgov-dev-artifacts/models/v1/model.tar.gz",
        training={
            "algorithm": "logistic_regression",
            "hyperparameters": {"C": 1.0},
            "metrics": {"accuracy": 0.77},
        },
    )


def test_registration_records_dataset_training_model_package_and_is_idempotent(clients) -> None:
    sm = clients[DEV]
    first = _register_dev(sm)
    assert _register_dev(sm) == first
    chain = lineage.walk_back(lambda acct: clients[acct], DEV_PKG)
    assert [n.kind for n in chain] == [lineage.PACKAGE, lineage.MODEL, lineage.TRAINING, lineage.DATASET]
    training = chain[2]
    assert training.properties["hp.C"] == "1.0" and training.properties["metric.accuracy"] == "0.77"
    assert chain[3].properties["sha256"] == "ab" * 32
    assert len(sm.list_associations()["AssociationSummaries"]) == 3


def test_walk_back_crosses_accounts_from_a_deployed_promoted_version(clients) -> None:
    _register_dev(clients[DEV])
    staging = clients[STAGING]
    # What promote records in the target account: the upstream package's artifact feeds the target's.
    upstream = lineage.package_artifact(staging, DEV_PKG, env="dev")
    target = lineage.package_artifact(staging, STAGING_PKG, env="staging")
    staging.add_association(SourceArn=upstream, DestinationArn=target, AssociationType="ContributedTo")
    lineage.record_deployment(
        staging, package_arn=STAGING_PKG, env="staging", reason="release", when="2026-11-29"
    )

    chain = lineage.walk_back(lambda acct: clients[acct], STAGING_PKG)
    assert [(n.kind, n.account) for n in chain] == [
        (lineage.DEPLOYMENT, STAGING),
        (lineage.PACKAGE, STAGING),
        (lineage.PACKAGE, DEV),
        (lineage.MODEL, DEV),
        (lineage.TRAINING, DEV),
        (lineage.DATASET, DEV),
    ]
    assert chain[1].source_uri == STAGING_PKG and chain[2].source_uri == DEV_PKG
    assert chain[-1].source_uri == "s3://mlgov-dev-artifacts/datasets/credit.csv"


def test_a_broken_chain_names_where_it_stops(clients) -> None:
    staging = clients[STAGING]
    with pytest.raises(lineage.LineageError, match=r"no lineage recorded for .*/1 in account 222222222222"):
        lineage.walk_back(lambda acct: clients[acct], STAGING_PKG)
    lineage.package_artifact(staging, STAGING_PKG, env="staging")
    with pytest.raises(lineage.LineageError, match=r"stops at ModelPackage .* nothing leads to it"):
        lineage.walk_back(lambda acct: clients[acct], STAGING_PKG)


def test_registration_without_a_dataset_starts_at_the_training_run(clients) -> None:
    """No dataset given: the chain is whole from the training run, which says so; a dataset
    whose content could not be read is recorded with its hash unknown, never a hash of its URI."""
    sm = clients[DEV]
    lineage.record_registration(
        sm,
        package_arn=DEV_PKG,
        env="dev",
        dataset_uri=None,
        dataset_hash=None,
        model_uri="s3://mlgov-dev-artifacts/models/v1/model.tar.gz",
        training={"algorithm": None, "hyperparameters": {"k": "25"}, "metrics": {}},
    )
    chain = lineage.walk_back(lambda acct: clients[acct], DEV_PKG)
    assert [n.kind for n in chain] == [lineage.PACKAGE, lineage.MODEL, lineage.TRAINING]
    assert chain[2].properties["dataset"] == "not recorded"
    assert chain[2].properties["algorithm"] == "unknown"
    assert lineage.is_recorded(sm, DEV_PKG)

    other = DEV_PKG.rsplit("/", 1)[0] + "/2"
    lineage.record_registration(
        sm,
        package_arn=other,
        env="dev",
        dataset_uri="s3://team-data/train.csv",
        dataset_hash=None,
        model_uri="s3://mlgov-dev-artifacts/models/v2/model.tar.gz",
        training={},
    )
    dataset = lineage.walk_back(lambda acct: clients[acct], other)[-1]
    assert (dataset.kind, dataset.properties["sha256"]) == (lineage.DATASET, "unknown")
    (summary,) = sm.list_artifacts(SourceUri="s3://team-data/train.csv")["ArtifactSummaries"]
    assert "SourceTypes" not in summary["Source"]  # no content hash claimed


def test_is_recorded_only_once_the_chain_reaches_the_package(clients) -> None:
    sm = clients[DEV]
    assert not lineage.is_recorded(sm, DEV_PKG)
    lineage.package_artifact(sm, DEV_PKG, env="dev")  # what a run stopped midway leaves
    assert not lineage.is_recorded(sm, DEV_PKG)
    _register_dev(sm)
    assert lineage.is_recorded(sm, DEV_PKG)


def test_mlgov_lineage_from_a_dev_version_reaches_the_dataset(
    seeded, platform, cloud, capsys, monkeypatch
) -> None:
    """`mlgov lineage` walks a seeded version back to the credit data, reading as the approver
    role (the one role whose policy grants the whole lineage read)."""
    from scripts import cli
    from scripts.governance import credit_data

    roles = []
    real = lineage.env_context

    def spy(platform_, env, role_key, **kwargs):
        roles.append((env, role_key))
        return real(platform_, env, role_key, **kwargs)

    monkeypatch.setattr(lineage, "env_context", spy)
    assert cli.main(["lineage", "--env", "dev", "--version", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["version"] == seeded["versions"][1]["arn"] and out["reaches_dataset"] is True
    kinds = [(n["kind"], n["environment"]) for n in out["chain"]]
    assert kinds == [
        (lineage.PACKAGE, "dev"),
        (lineage.MODEL, "dev"),
        (lineage.TRAINING, "dev"),
        (lineage.DATASET, "dev"),
    ]
    training, dataset = out["chain"][2], out["chain"][3]
    assert training["properties"]["algorithm"] == "random_forest"
    assert training["properties"]["hp.max_depth"] == "6"
    assert dataset["properties"]["sha256"] == credit_data.generate().content_hash()
    assert dataset["source_uri"].startswith(f"s3://{cloud.bucket('dev')}/models/credit-risk/datasets/")
    assert roles == [("dev", "approver")]

    assert cli.main(["lineage", "--env", "dev", "--version", "2"]) == 0
    text = capsys.readouterr().out
    assert "<- DataSet" in text and f"sha256={dataset['properties']['sha256']}" in text


def test_mlgov_lineage_of_an_unknown_version_exits_2(seeded, capsys) -> None:
    assert lineage.main(["--env", "dev", "--version", "9"]) == 2
    assert "unknown version" in capsys.readouterr().err
