"""Lineage from dataset to deployment, and the walk back across accounts (moto + the kit's
SageMaker lineage extension, two accounts)."""

from __future__ import annotations

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
