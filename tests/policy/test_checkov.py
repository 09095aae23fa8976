"""checkov over every synthesized stack (zero failures), and the kit's custom checks proven on
bad resources. checkov lives in its own virtual environment (.venv-checkov) and runs as a
subprocess with the repository's .checkov.yaml."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.policy

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
CONFIG = ROOT / ".checkov.yaml"
CUSTOM = ("CKV_MLGOV_1", "CKV_MLGOV_2", "CKV_MLGOV_3")


def run_checkov(directory: Path, *extra: str) -> list[dict[str, Any]]:
    """Run checkov with the kit's configuration; return its per-framework JSON reports."""
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} is missing: run `make install` (checkov has its own venv)")
    env = {
        **os.environ,
        "BC_SKIP_MAPPING": "TRUE",  # offline: no guideline download
        "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
    }
    proc = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(directory),
            "--config-file",
            str(CONFIG),
            "--skip-download",
            "--output",
            "json",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    # exit 1 only means "failed checks"; anything else is checkov itself failing
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    reports = json.loads(proc.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    assert [r["check_type"] for r in reports] == ["terraform_json"], proc.stdout[:500]
    return reports


def results(reports: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [c for r in reports for c in r["results"][kind]]


def logical_ids(stack_dir: Path, rtype: str) -> dict[str, str]:
    """Logical id -> construct path of one resource type in a synthesized stack."""
    data = json.loads((stack_dir / "cdk.tf.json").read_text())
    return {
        logical: config["//"]["metadata"]["path"]
        for logical, config in data.get("resource", {}).get(rtype, {}).items()
    }


def test_checkov_passes_every_stack_with_the_custom_checks(synth):
    reports = run_checkov(synth.outdir / "stacks")
    failed = results(reports, "failed_checks")
    assert failed == [], "\n".join(
        f"{c['check_id']} {c['file_path']} {c['resource']}: {c['check_name']}" for c in failed
    )
    passed = results(reports, "passed_checks")
    platform_stacks = [name for name in synth.stacks if not name.startswith("bootstrap-")]
    assert {c["file_path"].split("/")[1] for c in passed} >= set(platform_stacks)
    # the custom checks ran, on the resources they are about, in every platform stack
    by_check: dict[str, set[str]] = {cid: set() for cid in CUSTOM}
    for c in passed:
        if c["check_id"] in by_check:
            by_check[c["check_id"]].add(f"{c['file_path'].split('/')[1]}:{c['resource'].split('.')[-1]}")
    for name in platform_stacks:
        stack_dir = synth.outdir / "stacks" / name
        domain = {f"{name}:{i}" for i in logical_ids(stack_dir, "aws_sagemaker_domain")}
        assert domain and domain <= by_check["CKV_MLGOV_1"]
        group_policies = {
            f"{name}:{i}" for i in logical_ids(stack_dir, "aws_sagemaker_model_package_group_policy")
        }
        assert group_policies <= by_check["CKV_MLGOV_2"]
        datazone_role = {
            f"{name}:{i}"
            for i, path in logical_ids(stack_dir, "aws_iam_role").items()
            if path == f"{name}/iam/datazone"
        }
        assert len(datazone_role) == 1 and datazone_role <= by_check["CKV_MLGOV_3"]
    assert by_check["CKV_MLGOV_2"], "no model package group policy was checked"


def test_checkov_passes_the_stacks_with_scheduled_data_quality_monitors(monitored_synth):
    """The option's resources (data_quality_schedule on every use case) under the same checks:
    none fails, and checkov did check the job definitions (KMS, volume KMS, isolation, in-transit
    encryption are its data-quality checks)."""
    reports = run_checkov(monitored_synth.outdir / "stacks")
    failed = results(reports, "failed_checks")
    assert failed == [], "\n".join(
        f"{c['check_id']} {c['file_path']} {c['resource']}: {c['check_name']}" for c in failed
    )
    #: checkov's data-quality job definition checks: output KMS, volume KMS, in-transit encryption
    quality_checks = {"CKV_AWS_367", "CKV_AWS_368", "CKV_AWS_369"}
    checked = {
        (c["file_path"].split("/")[1], c["check_id"], c["resource"].split(".")[-1])
        for c in results(reports, "passed_checks")
        if c["check_id"] in quality_checks
    }
    for name in (n for n in monitored_synth.stacks if not n.startswith("bootstrap-")):
        stack_dir = monitored_synth.outdir / "stacks" / name
        (definition,) = logical_ids(stack_dir, "aws_sagemaker_data_quality_job_definition")
        assert {(name, check, definition) for check in quality_checks} <= checked


def _bad_stack() -> dict[str, Any]:
    trust_without_source_account = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "datazone.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }

    def group_policy(principal: Any, action: Any) -> str:
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": principal,
                        "Action": action,
                        "Resource": "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/g",
                    }
                ],
            }
        )

    return {
        "resource": {
            "aws_sagemaker_domain": {
                "public_domain": {
                    "domain_name": "d",
                    "auth_mode": "IAM",
                    "vpc_id": "vpc-1",
                    "subnet_ids": ["subnet-1"],
                    "app_network_access_type": "PublicInternetOnly",
                    "default_user_settings": {"execution_role": "arn:aws:iam::111111111111:role/r"},
                },
                "default_domain": {
                    "domain_name": "e",
                    "auth_mode": "IAM",
                    "vpc_id": "vpc-1",
                    "subnet_ids": ["subnet-1"],
                    "default_user_settings": {"execution_role": "arn:aws:iam::111111111111:role/r"},
                },
            },
            "aws_sagemaker_model_package_group_policy": {
                "star_principal": {
                    "model_package_group_name": "g",
                    "resource_policy": group_policy("*", "sagemaker:DescribeModelPackage"),
                },
                "star_aws_principal": {
                    "model_package_group_name": "g",
                    "resource_policy": group_policy({"AWS": ["*"]}, "sagemaker:DescribeModelPackage"),
                },
                "star_action": {
                    "model_package_group_name": "g",
                    "resource_policy": group_policy(
                        {"AWS": "arn:aws:iam::222222222222:role/p"}, "sagemaker:*"
                    ),
                },
            },
            "aws_iam_role": {
                "datazone_no_source_account": {
                    "name": "dz",
                    "assume_role_policy": json.dumps(trust_without_source_account),
                },
            },
        }
    }


def test_custom_checks_fail_on_bad_resources(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "cdk.tf.json").write_text(json.dumps(_bad_stack(), indent=2))
    reports = run_checkov(bad, "--check", ",".join(CUSTOM))
    failed = {(c["check_id"], c["resource"].split(".")[-1]) for c in results(reports, "failed_checks")}
    assert failed == {
        ("CKV_MLGOV_1", "public_domain"),
        ("CKV_MLGOV_1", "default_domain"),  # the provider default is PublicInternetOnly
        ("CKV_MLGOV_2", "star_principal"),
        ("CKV_MLGOV_2", "star_aws_principal"),
        ("CKV_MLGOV_2", "star_action"),
        ("CKV_MLGOV_3", "datazone_no_source_account"),
    }
    assert results(reports, "passed_checks") == []


def test_each_suppression_is_listed_once_with_a_reason():
    lines = CONFIG.read_text().splitlines()
    ids = [m.group(1) for line in lines if (m := re.match(r"\s*-\s*(CKV\w+)\s*$", line))]
    assert ids, "no skip-check entries parsed"
    assert len(ids) == len(set(ids)), ids
    for index, line in enumerate(lines):
        if re.match(r"\s*-\s*CKV\w+\s*$", line):
            check_id = line.split("-", 1)[1].strip()
            assert lines[index - 1].lstrip().startswith("#"), f"{check_id} has no reason above it"
            assert any(check_id in lines[j] for j in range(max(0, index - 8), index)), (
                f"the reason above {check_id} does not name it"
            )
    # nothing of the kit's own is suppressed
    assert not [i for i in ids if i.startswith("CKV_MLGOV")]
