"""The README's "Extend" steps, done literally on the local cloud.

A copy of environments/ gets exactly the README's edits:

- an environment in the middle of the chain: ``qa.yaml`` copied from ``staging.yaml`` with the
  fields the README lists changed, and prod's ``promotes_from: qa``;
- a use case: ``fraud`` under dev's ``use_cases``.

Then the kit's own commands: ``mlgov deploy apply`` (every environment, on a local cloud started
for this configuration: the session's shared cloud has no qa account), and the governance jobs
through ``mlgov`` with ``--config-dir``: a version promoted dev -> staging -> qa -> prod, and the
fraud use case's seeded versions in their own group.

The four stacks are applied once for the module (about as long as the session's three).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from environments import PlatformConfig, load_platform
from scripts import cli as mlgov
from scripts.deploy import DeployError, deploy
from tests.e2e.deployed import assume

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
QA_ACCOUNT = "444444444444"


def _edit(path: Path, change: Any) -> None:
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def follow_the_readme(config: Path) -> None:
    """README, Extend: the qa environment (steps 1 and 2) and the fraud use case (step 1)."""
    for path in (REPO / "environments").glob("*.yaml"):
        shutil.copy(path, config / path.name)
    shutil.copy(config / "staging.yaml", config / "qa.yaml")

    sso = f"arn:aws:iam::{QA_ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_"

    def qa(doc: dict[str, Any]) -> None:
        doc.update(
            name="qa",
            account_id=QA_ACCOUNT,
            promotes_from="staging",
            lifecycle_stage="QA",
            data_scientists=[f"{sso}MLGovDataScientist_*"],
            approvers=[f"{sso}MLGovApprover_*"],
            promotion_operators=[f"{sso}MLGovReleaseManager_*"],
        )
        doc["network"]["cidr"] = "10.40.0.0/16"
        doc["studio"]["user_profiles"] = ["qa-validator-1"]
        assert (doc["tier"], doc["datazone_home"]) == ("staging", False), "kept as the README says"

    _edit(config / "qa.yaml", qa)
    _edit(config / "prod.yaml", lambda doc: doc.update(promotes_from="qa"))
    _edit(
        config / "dev.yaml",
        lambda doc: doc["use_cases"].append({"name": "fraud", "description": "Card fraud"}),
    )


@dataclass
class Extended:
    cloud: Any
    config: Path
    platform: PlatformConfig
    apply_seconds: float


@pytest.fixture(scope="module")
def extended(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Extended]:
    from scripts.localcloud import LocalCloud

    config = tmp_path_factory.mktemp("extended-environments")
    follow_the_readme(config)
    platform = load_platform(config)
    assert [e.name for e in platform.promotion_order()] == ["dev", "staging", "qa", "prod"]
    cloud = LocalCloud(state_dir=tmp_path_factory.mktemp("extend-cloud"), environments_dir=config)
    cloud.start(reuse=False)
    try:
        started = time.monotonic()
        try:
            deploy(
                "apply",
                None,
                "local",
                cloud,
                config_dir=config,
                work_root=tmp_path_factory.mktemp("extend-work"),
                outdir=tmp_path_factory.mktemp("extend-out"),
            )
        except DeployError as exc:
            tail = "\n".join(Path(exc.log).read_text(errors="replace").splitlines()[-60:])
            pytest.fail(f"{exc}\n{tail}", pytrace=False)
        yield Extended(cloud, config, platform, time.monotonic() - started)
    finally:
        cloud.stop()


@pytest.fixture
def run(extended: Extended, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """``mlgov <args> --config-dir <copy> --json`` against the module's cloud; returns the JSON."""
    for key, value in extended.cloud.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)

    def mlgov_json(*args: str) -> Any:
        capsys.readouterr()
        code = mlgov.main([*args, "--config-dir", str(extended.config), "--json"])
        out = capsys.readouterr()
        assert code == 0, f"mlgov {' '.join(args)} exited {code}: {out.err[-3000:]}{out.out[-3000:]}"
        return json.loads(out.out)

    return mlgov_json


def _version(arn: str) -> str:
    return arn.rsplit("/", 1)[1]


def test_a_version_is_promoted_dev_staging_qa_prod(extended: Extended, run: Any) -> None:
    started = time.monotonic()
    # dev has two use cases (fraud added): its jobs name theirs; staging, qa and prod have one.
    uc = ("--use-case", "credit-risk")
    seeded = run("seed", "--env", "dev", *uc)
    version = str(seeded["versions"][0]["version"])
    run("review", "--env", "dev", "--version", version, "--status", "PendingReview", "--reason", "ready", *uc)
    run(
        "review",
        "--env",
        "dev",
        "--version",
        version,
        "--status",
        "Approved",
        "--reason",
        "card complete",
        *uc,
    )
    run("approve", "--env", "dev", "--version", version, "--reason", "validated on holdout", *uc)
    chain = []
    for env in ("staging", "qa", "prod"):
        promoted = run("promote", "--env", env, "--version", version)
        upstream = extended.platform.env(extended.platform.env(env).promotes_from or "")
        assert f":{upstream.account_id}:" in promoted["source_arn"], (env, promoted["source_arn"])
        assert f":{extended.platform.env(env).account_id}:" in promoted["target_arn"]
        chain.append(promoted["target_arn"])
        version = _version(promoted["target_arn"])
        # Promoted cards arrive PendingReview: review, then approve, in the target.
        run(
            "review",
            "--env",
            env,
            "--version",
            version,
            "--status",
            "Approved",
            "--reason",
            f"{env} sign-off",
        )
        run("approve", "--env", env, "--version", version, "--reason", f"{env} passed")
    qa_arn, prod_arn = chain[1], chain[2]
    assert f":{QA_ACCOUNT}:model-package/mlgov-credit-risk/" in qa_arn
    prod = assume(extended.cloud, extended.platform.env("prod").deploy_role_arn, "us-east-1")
    desc = prod.client("sagemaker", endpoint_url=extended.cloud.url).describe_model_package(
        ModelPackageName=prod_arn
    )
    assert desc["ModelApprovalStatus"] == "Approved"
    print(
        f"extend: apply of 4 environments {extended.apply_seconds:.0f}s, "
        f"seed + promotion chain {time.monotonic() - started:.0f}s"
    )


def test_a_second_use_case_s_versions_land_in_its_own_group(extended: Extended, run: Any) -> None:
    dev = extended.platform.env("dev")
    sagemaker = assume(extended.cloud, dev.deploy_role_arn, dev.region).client(
        "sagemaker", endpoint_url=extended.cloud.url
    )

    def versions(group: str) -> list[str]:
        pages = sagemaker.get_paginator("list_model_packages").paginate(ModelPackageGroupName=group)
        return [p["ModelPackageArn"] for page in pages for p in page["ModelPackageSummaryList"]]

    credit_risk_before = versions("mlgov-credit-risk")
    seeded = run("seed", "--env", "dev", "--use-case", "fraud")
    assert seeded["group"] == "mlgov-fraud"
    arns = [v["arn"] for v in seeded["versions"]]
    assert arns and all(":model-package/mlgov-fraud/" in a for a in arns), arns
    assert sorted(versions("mlgov-fraud")) == sorted(arns)
    assert versions("mlgov-credit-risk") == credit_risk_before, "nothing landed in the other group"
