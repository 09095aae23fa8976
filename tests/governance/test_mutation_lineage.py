"""lineage.walk_back over an in-memory lineage graph (no emulator): the branches the two-account
moto tests in test_lineage.py do not reach, found by the mutation run (docs/mutation.md)."""

from __future__ import annotations

from typing import Any

import pytest

from scripts.governance import lineage

DEV, STAGING = "111111111111", "222222222222"
DEV_PKG = f"arn:aws:sagemaker:us-east-1:{DEV}:model-package/g/1"
STAGING_PKG = f"arn:aws:sagemaker:us-east-1:{STAGING}:model-package/g/1"


def _art(account: str, name: str) -> str:
    return f"arn:aws:sagemaker:us-east-1:{account}:artifact/{name}"


def _act(account: str, name: str) -> str:
    return f"arn:aws:sagemaker:us-east-1:{account}:action/{name}"


class FakeLineage:
    """One account's lineage entities and associations, read the way walk_back reads them
    (paginators of list_artifacts / list_associations, describe_artifact / describe_action)."""

    def __init__(self) -> None:
        self.entities: dict[str, dict[str, Any]] = {}
        self.associations: list[dict[str, str]] = []

    def add(self, arn: str, kind: str | None, uri: str | None, **props: str) -> str:
        self.entities[arn] = {"kind": kind, "uri": uri, "props": props}
        return arn

    def link(self, source: str, destination: str, destination_type: str | None = None) -> None:
        assoc = {"SourceArn": source, "DestinationArn": destination}
        if destination_type:
            assoc["DestinationType"] = destination_type
        self.associations.append(assoc)

    def get_paginator(self, operation: str) -> Any:
        fake = self

        class Paginator:
            def paginate(self, **kw: Any) -> list[dict[str, Any]]:
                if operation == "list_artifacts":
                    found = [
                        {"ArtifactArn": arn}
                        for arn, e in fake.entities.items()
                        if ":artifact/" in arn
                        and e["uri"] == kw["SourceUri"]
                        and e["kind"] == kw["ArtifactType"]
                    ]
                    return [{"ArtifactSummaries": found}]
                assert operation == "list_associations", operation
                found_assocs = [
                    a
                    for a in fake.associations
                    if all(a[k] == v for k, v in kw.items() if k in ("SourceArn", "DestinationArn"))
                ]
                return [{"AssociationSummaries": found_assocs}]

        return Paginator()

    def _describe(self, arn: str, type_key: str) -> dict[str, Any]:
        # DescribeArtifact and DescribeAction may omit the type, the source and the properties.
        e = self.entities[arn]
        out: dict[str, Any] = {}
        if e["kind"] is not None:
            out[type_key] = e["kind"]
        if e["uri"] is not None:
            out["Source"] = {"SourceUri": e["uri"]}
        if e["props"]:
            out["Properties"] = e["props"]
        return out

    def describe_artifact(self, *, ArtifactArn: str) -> dict[str, Any]:
        return self._describe(ArtifactArn, "ArtifactType")

    def describe_action(self, *, ActionName: str) -> dict[str, Any]:
        return self._describe(ActionName, "ActionType")


def _dev_chain(sm: FakeLineage, *, dataset: bool = True) -> str:
    pkg = sm.add(_art(DEV, "pkg"), lineage.PACKAGE, DEV_PKG)
    model = sm.add(_art(DEV, "model"), lineage.MODEL, "s3://b/model.tar.gz")
    run = sm.add(_act(DEV, "train"), lineage.TRAINING, "run-1", **{"hp.C": "1.0"})
    sm.link(model, pkg)
    sm.link(run, model)
    if dataset:
        data = sm.add(_art(DEV, "data"), lineage.DATASET, "s3://b/data.csv", sha256="ab")
        sm.link(data, run)
    return pkg


def _kinds(chain: list[lineage.Node]) -> list[tuple[str, str]]:
    return [(n.kind, n.account) for n in chain]


def test_walk_back_reads_kind_uri_account_and_properties_of_every_node() -> None:
    dev = FakeLineage()
    _dev_chain(dev)
    chain = lineage.walk_back({DEV: dev}.__getitem__, DEV_PKG)
    assert [(n.kind, n.arn, n.source_uri, n.account, n.properties) for n in chain] == [
        (lineage.PACKAGE, _art(DEV, "pkg"), DEV_PKG, DEV, {}),
        (lineage.MODEL, _art(DEV, "model"), "s3://b/model.tar.gz", DEV, {}),
        (lineage.TRAINING, _act(DEV, "train"), "run-1", DEV, {"hp.C": "1.0"}),
        (lineage.DATASET, _art(DEV, "data"), "s3://b/data.csv", DEV, {"sha256": "ab"}),
    ]


def test_a_version_registered_without_a_dataset_ends_at_its_training_run() -> None:
    dev = FakeLineage()
    _dev_chain(dev, dataset=False)
    chain = lineage.walk_back({DEV: dev}.__getitem__, DEV_PKG)
    assert [n.kind for n in chain] == [lineage.PACKAGE, lineage.MODEL, lineage.TRAINING]


def test_a_chain_that_stops_before_training_names_where() -> None:
    dev = FakeLineage()
    pkg = dev.add(_art(DEV, "pkg"), lineage.PACKAGE, DEV_PKG)
    dev.link(dev.add(_art(DEV, "model"), lineage.MODEL, "s3://b/model.tar.gz"), pkg)
    with pytest.raises(
        lineage.LineageError,
        match=f"lineage of {DEV_PKG} stops at Model s3://b/model.tar.gz in account {DEV}: nothing leads to it",
    ):
        lineage.walk_back({DEV: dev}.__getitem__, DEV_PKG)


def test_unknown_version_names_its_account() -> None:
    with pytest.raises(lineage.LineageError, match=f"^no lineage recorded for {DEV_PKG} in account {DEV}$"):
        lineage.walk_back({DEV: FakeLineage()}.__getitem__, DEV_PKG)


def test_crossing_accounts_continues_with_the_other_accounts_reader() -> None:
    dev, staging = FakeLineage(), FakeLineage()
    _dev_chain(dev)
    target = staging.add(_art(STAGING, "pkg"), lineage.PACKAGE, STAGING_PKG)
    # The upstream package stands in the staging account as an artifact whose SourceUri is its ARN.
    upstream = staging.add(_art(STAGING, "upstream"), lineage.PACKAGE, DEV_PKG)
    staging.link(upstream, target)
    chain = lineage.walk_back({DEV: dev, STAGING: staging}.__getitem__, STAGING_PKG)
    assert _kinds(chain) == [
        (lineage.PACKAGE, STAGING),
        (lineage.PACKAGE, DEV),
        (lineage.MODEL, DEV),
        (lineage.TRAINING, DEV),
        (lineage.DATASET, DEV),
    ]
    assert chain[1].arn == _art(DEV, "pkg")


def test_crossing_into_an_account_without_the_upstream_lineage_names_it() -> None:
    staging = FakeLineage()
    target = staging.add(_art(STAGING, "pkg"), lineage.PACKAGE, STAGING_PKG)
    staging.link(staging.add(_art(STAGING, "upstream"), lineage.PACKAGE, DEV_PKG), target)
    with pytest.raises(lineage.LineageError, match=f"^no lineage recorded for {DEV_PKG} in account {DEV}$"):
        lineage.walk_back({DEV: FakeLineage(), STAGING: staging}.__getitem__, STAGING_PKG)


def test_a_package_artifact_not_named_by_an_arn_stays_in_its_account() -> None:
    dev = FakeLineage()
    pkg = _dev_chain(dev)
    # A package artifact whose SourceUri is not an ARN (hand-made) is followed where it lies.
    odd = dev.add(_art(DEV, "odd"), lineage.PACKAGE, "s3://b/pkg")
    dev.link(odd, pkg)
    chain = lineage.walk_back({DEV: dev}.__getitem__, DEV_PKG)
    assert [n.arn for n in chain[:2]] == [_art(DEV, "pkg"), _art(DEV, "model")]
    assert lineage.walk_back({DEV: dev}.__getitem__, DEV_PKG)[-1].kind == lineage.DATASET


def test_deployments_come_first_and_other_actions_fed_by_the_package_do_not() -> None:
    dev = FakeLineage()
    pkg = _dev_chain(dev)
    # Found by DestinationType alone, by an action ARN alone, and an action of another type.
    deploy_a = dev.add(_act(DEV, "deploy-a"), lineage.DEPLOYMENT, "endpoint-a", env="dev")
    dev.link(pkg, deploy_a)
    deploy_b = dev.add(_act(DEV, "deploy-b"), lineage.DEPLOYMENT, "endpoint-b")
    dev.link(pkg, deploy_b, destination_type=lineage.DEPLOYMENT)
    approval = dev.add(_act(DEV, "approval"), "ApprovalAction", "approval-1")
    dev.link(pkg, approval)
    # Another version's deployment in the same account is not this version's.
    other = dev.add(_art(DEV, "pkg-2"), lineage.PACKAGE, DEV_PKG[:-1] + "2")
    dev.link(other, dev.add(_act(DEV, "deploy-other"), lineage.DEPLOYMENT, "endpoint-other"))
    chain = lineage.walk_back({DEV: dev}.__getitem__, DEV_PKG)
    assert [(n.kind, n.arn, n.source_uri, n.properties) for n in chain[:2]] == [
        (lineage.DEPLOYMENT, deploy_a, "endpoint-a", {"env": "dev"}),
        (lineage.DEPLOYMENT, deploy_b, "endpoint-b", {}),
    ]
    assert [n.kind for n in chain].count(lineage.DEPLOYMENT) == 2
    assert chain[2].kind == lineage.PACKAGE


def test_of_several_sources_the_first_by_arn_is_followed() -> None:
    dev = FakeLineage()
    pkg = dev.add(_art(DEV, "pkg"), lineage.PACKAGE, DEV_PKG)
    dev.link(dev.add(_art(DEV, "model-b"), lineage.MODEL, "s3://b/b.tar.gz"), pkg)
    model_a = dev.add(_art(DEV, "model-a"), lineage.MODEL, "s3://b/a.tar.gz")
    dev.link(model_a, pkg)
    dev.link(dev.add(_art(DEV, "data"), lineage.DATASET, "s3://b/data.csv"), model_a)
    chain = lineage.walk_back({DEV: dev}.__getitem__, DEV_PKG)
    assert [n.source_uri for n in chain] == [DEV_PKG, "s3://b/a.tar.gz", "s3://b/data.csv"]


def test_a_loop_is_named_not_followed_forever() -> None:
    dev = FakeLineage()
    pkg = dev.add(_art(DEV, "pkg"), lineage.PACKAGE, DEV_PKG)
    model = dev.add(_art(DEV, "model"), lineage.MODEL, "s3://b/model.tar.gz")
    dev.link(model, pkg)
    dev.link(pkg, model)
    with pytest.raises(lineage.LineageError, match=f"^lineage loops at {pkg} in account {DEV}$"):
        lineage.walk_back({DEV: dev}.__getitem__, DEV_PKG)


def test_a_chain_longer_than_max_steps_is_refused() -> None:
    dev = FakeLineage()
    _dev_chain(dev)
    assert len(lineage.walk_back({DEV: dev}.__getitem__, DEV_PKG, max_steps=4)) == 4
    with pytest.raises(lineage.LineageError, match=f"^lineage of {DEV_PKG} is longer than 3 steps$"):
        lineage.walk_back({DEV: dev}.__getitem__, DEV_PKG, max_steps=3)


def test_entities_described_without_type_or_source_read_as_empty_strings() -> None:
    dev = FakeLineage()
    pkg = dev.add(_art(DEV, "pkg"), lineage.PACKAGE, DEV_PKG)
    bare_artifact = dev.add(_art(DEV, "bare"), None, None)
    bare_action = dev.add(_act(DEV, "bare-run"), None, None)
    run = dev.add(_act(DEV, "train"), lineage.TRAINING, "run-1")
    dev.link(bare_artifact, pkg)
    dev.link(bare_action, bare_artifact)
    dev.link(run, bare_action)
    chain = lineage.walk_back({DEV: dev}.__getitem__, DEV_PKG)
    assert [(n.kind, n.source_uri, n.properties) for n in chain[1:3]] == [("", "", {}), ("", "", {})]
    assert chain[-1].kind == lineage.TRAINING
