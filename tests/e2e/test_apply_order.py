"""Upstream first into empty accounts fails the way AWS fails.

dev's key, bucket and model package group policies name staging's promotion role. Applied with a
plain ``terraform apply`` before that role exists (the order an operator who ignores the kit's
would use), each of those policies is refused with the error its service returns on AWS
(principals must exist when a policy is written). The kit's own order, the roles other
environments' policies name first, succeeds into the same kind of empty accounts: that is the
session deploy every test of tests/e2e builds on (``deployed_cloud``, tests/e2e/conftest.py).

An emulator of its own (empty accounts, IAM enforced), so under xdist this runs beside the
session deploy. Most of its two minutes is the provider retrying the refused KMS CreateKey and
S3 PutBucketPolicy, as it would on AWS while IAM changes propagate (terraform-provider-aws
``internal/service/kms/key.go``, ``internal/service/s3/bucket_policy.go``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from environments import Names, load_platform
from tests.e2e.deployed import DeployedCloud, UpstreamFirst, apply_upstream_first

pytestmark = pytest.mark.e2e

_DIAGNOSTIC = re.compile(r"Error: (?P<message>.*?)^[\s│|]*with (?P<address>[\w.-]+),", re.M | re.S)


def _failures(output: str) -> dict[str, str]:
    """Terraform's error diagnostics: resource address -> error message (up to its ``with``
    line, so a message Terraform wrapped is whole)."""
    return {m["address"]: m["message"] for m in _DIAGNOSTIC.finditer(output)}


@pytest.fixture(scope="module")
def empty_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from scripts.localcloud import LocalCloud

    cloud = LocalCloud(state_dir=tmp_path_factory.mktemp("empty-cloud"), enforce_iam=True).start(reuse=False)
    try:
        yield cloud
    finally:
        cloud.stop()


@pytest.fixture(scope="module")
def upstream_first(empty_cloud: Any, synth: Any, tmp_path_factory: pytest.TempPathFactory) -> UpstreamFirst:
    target = DeployedCloud(
        cloud=empty_cloud,
        platform=load_platform(),
        outdir=synth.outdir,
        work_root=tmp_path_factory.mktemp("upstream-first-work"),
        plan_before_apply=[],
        apply=[],
    )
    return apply_upstream_first(target, target.platform.promotion_order()[0].name)


def test_upstream_first_into_empty_accounts_fails_naming_a_missing_principal(upstream_first):
    """Each resource policy naming staging's promotion role is refused with its service's AWS
    error (KMS CreateKey MalformedPolicyDocumentException, S3 PutBucketPolicy MalformedPolicy
    "Invalid principal in policy", SageMaker PutModelPackageGroupPolicy ValidationException), and
    nothing else fails."""
    first = upstream_first
    assert first.env == "dev"
    assert first.returncode == 1, first.output[-3000:]
    failures = _failures(first.output)
    by_type = {address.split(".")[0]: message for address, message in failures.items()}
    assert sorted(by_type) == [
        "aws_kms_key",
        "aws_s3_bucket_policy",
        "aws_sagemaker_model_package_group_policy",
    ], failures
    assert len(failures) == 3, failures
    assert "MalformedPolicyDocumentException" in by_type["aws_kms_key"]
    assert "MalformedPolicy" in by_type["aws_s3_bucket_policy"]
    assert "Invalid principal in policy" in by_type["aws_s3_bucket_policy"]
    platform = load_platform()
    missing = Names.of(platform, "staging").role_arn("promotion")
    group_error = by_type["aws_sagemaker_model_package_group_policy"]
    assert "ValidationException" in group_error and missing in group_error
    # The failing bucket policy is the artifact bucket's (it grants staging's promotion role).
    dev = Names.of(platform, "dev")
    assert f"putting S3 Bucket ({dev.artifact_bucket}) Policy" in by_type["aws_s3_bucket_policy"]
    # Terraform carried on with what does not depend on the refused policies: partial state.
    assert any(a.startswith("aws_vpc.") for a in first.state), first.state
    assert not any(a.startswith(("aws_kms_key.", "aws_sagemaker_domain.")) for a in first.state)
    assert len(first.vpc_ids) == 1, first.vpc_ids
