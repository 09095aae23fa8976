"""The pipeline's least-privilege policies are enough, and no more, on the served local cloud with
IAM enforced: ``mlgov pipeline`` as a data-scientist role whose pipeline permissions are
modules/pipelines.py's ``data_scientist_pipeline_statements``, running the credit-risk pipeline
as a pipeline execution role whose whole policy is ``pipeline_role_statements`` (what the dev
stack applies; tests/unit/test_pipeline_role.py reads the same statements in the synthesized JSON).

The rest of the dev account is built by hand, as the stack names it (bucket, key, group, SSM
parameters); the data scientist's platform basics (read the SSM parameters, use the key) are
written here, as modules/iam.py grants them. No Terraform: the e2e test
(tests/e2e/test_pipeline_deployed.py) runs the same on the applied stacks.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from environments import Names, load_platform
from scripts import cli
from scripts.governance import credit_data
from scripts.localcloud import LocalCloud

if importlib.util.find_spec("sagemaker.mlops") is None or importlib.util.find_spec("sagemaker.train") is None:
    _MISSING = "the pipeline extra (sagemaker-mlops, sagemaker-train) is not installed"
    if os.environ.get("CI", "").strip().lower() in ("true", "1"):
        pytest.fail(f"{_MISSING}. CI=true: `make install` installs it", pytrace=False)
    pytest.skip(_MISSING, allow_module_level=True)

pytestmark = pytest.mark.xdist_group("pipeline-iam")

USE_CASES = ("credit-risk",)


def _doc(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from modules.pipelines import data_scientist_pipeline_statements, pipeline_role_statements, pipeline_trust

    platform = load_platform()
    names = Names.of(platform, "dev")
    env = names.env
    with LocalCloud(state_dir=tmp_path_factory.mktemp("pipeline-iam")) as cloud:
        assert cloud.status()["enforce_iam"] is True
        variables = cloud.env()
        admin = boto3.Session(
            aws_access_key_id=variables["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=variables["AWS_SECRET_ACCESS_KEY"],
            region_name=env.region,
        )
        creds = admin.client("sts", endpoint_url=cloud.url).assume_role(
            RoleArn=env.deploy_role_arn, RoleSessionName="setup"
        )["Credentials"]
        deploy = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=env.region,
        )

        def client(service: str) -> Any:
            return deploy.client(service, endpoint_url=cloud.url)

        key = client("kms").create_key(Description="platform")["KeyMetadata"]["Arn"]
        client("s3").create_bucket(Bucket=names.artifact_bucket)
        sm = client("sagemaker")
        group = names.model_package_group("credit-risk")
        sm.create_model_package_group(ModelPackageGroupName=group)
        iam = client("iam")
        iam.create_role(
            RoleName=names.role_name("pipeline"), AssumeRolePolicyDocument=_doc(pipeline_trust(names))
        )
        iam.put_role_policy(
            RoleName=names.role_name("pipeline"),
            PolicyName="policy",
            PolicyDocument=_doc(pipeline_role_statements(names, USE_CASES, kms_key_arn=key, strict=False)),
        )
        scientist = names.role_name("data_scientist")
        root = {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{env.account_id}:root"},
            # every kit session carries the person in (scripts/aws.py: SourceIdentity)
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
        }
        iam.create_role(RoleName=scientist, AssumeRolePolicyDocument=_doc([root]))
        basics = [
            {
                "Effect": "Allow",
                "Action": ["ssm:GetParameter", "ssm:GetParameters"],
                "Resource": f"arn:aws:ssm:{env.region}:{env.account_id}:parameter{names.ssm_prefix}/*",
            },
            {
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                "Resource": key,
            },
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": names.artifact_bucket_arn},
        ]
        iam.put_role_policy(RoleName=scientist, PolicyName="basics", PolicyDocument=_doc(basics))
        iam.put_role_policy(
            RoleName=scientist,
            PolicyName="pipelines",
            PolicyDocument=_doc(data_scientist_pipeline_statements(names, USE_CASES)),
        )
        params = {
            names.ssm_artifact_bucket: names.artifact_bucket,
            names.ssm_kms_key_arn: key,
            names.ssm_role_arn("pipeline"): names.role_arn("pipeline"),
            names.ssm_group_name("credit-risk"): group,
            names.ssm_lifecycle_stage: names.env.lifecycle_stage,
            names.ssm_datazone_project_id("credit-risk"): "prj-iam-test",
        }
        for path, value in params.items():
            client("ssm").put_parameter(Name=path, Value=value, Type="String")
        data = tmp_path_factory.mktemp("data") / "credit.csv"
        data.write_text(credit_data.generate().to_csv())
        mp = pytest.MonkeyPatch()
        mp.delenv("AWS_PROFILE", raising=False)
        mp.delenv("AWS_SESSION_TOKEN", raising=False)
        for name, value in variables.items():
            mp.setenv(name, value)
        mp.setenv("SAGEMAKER_VALIDATE_ROLE", "false")
        try:
            yield {
                "names": names,
                "sm": sm,
                "s3": client("s3"),
                "iam": iam,
                "key": key,
                "group": group,
                "data": data,
            }
        finally:
            mp.undo()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    capsys.readouterr()
    code = cli.main(["pipeline", *argv, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else None, captured.err


def test_the_platform_policies_run_the_pipeline_to_a_registered_version(world, capsys):
    started = time.monotonic()
    code, _, err = _run(capsys, "upsert", "--env", "dev")
    upserted = time.monotonic()
    assert code == 0, err
    code, run, err = _run(
        capsys, "start", "--env", "dev", "--data", str(world["data"]), "--wait", "--interval", "1"
    )
    with capsys.disabled():
        steps = ", ".join(f"{r['step']} {r['seconds']} s" for r in run["steps"])
        print(
            f"\nserved, IAM enforced: upsert {upserted - started:.1f} s, start --wait "
            f"{time.monotonic() - upserted:.1f} s ({steps})"
        )
    assert code == 0, err
    assert run["status"] == "Succeeded"
    package = world["sm"].describe_model_package(ModelPackageName=run["model_package"])
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    life = package["ModelLifeCycle"]
    assert (life["Stage"], life["StageStatus"]) == (world["names"].env.lifecycle_stage, "Registered")
    card = json.loads(package["ModelCard"]["ModelCardContent"])
    assert card["additional_information"]["custom_details"]["datazone_project_id"] == "prj-iam-test"
    # Every step ran as the pipeline role, and wrote only under the use case's prefixes: its
    # working data under pipelines/, what the version is made of under models/ (what promotion
    # copies), the model archive with its baseline beside it.
    names = world["names"]
    keys = [
        o["Key"]
        for page in world["s3"].get_paginator("list_objects_v2").paginate(Bucket=names.artifact_bucket)
        for o in page.get("Contents", [])
    ]
    assert keys and all(
        k.startswith(("pipelines/credit-risk/", "data/credit-risk/", "models/credit-risk/pipelines/"))
        for k in keys
    ), keys
    archive = next(c["ModelDataUrl"] for c in package["InferenceSpecification"]["Containers"])
    assert archive.startswith(f"s3://{names.artifact_bucket}/models/credit-risk/pipelines/"), archive
    baseline = archive.rsplit("/", 1)[0] + "/baseline/"
    quality = package["ModelMetrics"]["ModelDataQuality"]
    assert (quality["Statistics"]["S3Uri"], quality["Constraints"]["S3Uri"]) == (
        baseline + "statistics.json",
        baseline + "constraints.json",
    )


def test_the_data_scientist_may_not_create_a_pipeline_of_another_use_case(world):
    from scripts.governance.context import env_context

    names = world["names"]
    sm = env_context(load_platform(), "dev", "data_scientist", job="test").client("sagemaker")
    with pytest.raises(ClientError) as denied:
        sm.create_pipeline(
            PipelineName=names.pipeline_name("fraud"),
            RoleArn=names.role_arn("pipeline"),
            PipelineDefinition=json.dumps({"Version": "2020-12-01", "Parameters": [], "Steps": []}),
            ClientRequestToken="another-use-case-000000000000000",
        )
    assert "sagemaker:CreatePipeline" in denied.value.response["Error"]["Message"]


def test_the_data_scientist_may_not_read_another_prefix_of_the_bucket(world, tmp_path: Path):
    from scripts.governance.context import env_context

    names = world["names"]
    s3 = env_context(load_platform(), "dev", "data_scientist", job="test").client("s3")
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket=names.artifact_bucket, Key="data/fraud/x.csv", Body=b"x")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_in_a_strict_tier_the_pipeline_role_may_not_register(world, capsys):
    """The same role with the statements a staging or prod stack applies (``strict=True``): the
    run stops at Register, refused, and registers nothing."""
    from modules.pipelines import pipeline_role_statements

    names, iam = world["names"], world["iam"]
    role = names.role_name("pipeline")
    strict = pipeline_role_statements(names, USE_CASES, kms_key_arn=world["key"], strict=True)
    iam.put_role_policy(RoleName=role, PolicyName="policy", PolicyDocument=_doc(strict))
    try:
        assert _run(capsys, "upsert", "--env", "dev")[0] == 0
        before = world["sm"].list_model_packages(ModelPackageGroupName=world["group"])[
            "ModelPackageSummaryList"
        ]
        code, run, err = _run(
            capsys, "start", "--env", "dev", "--data", str(world["data"]), "--wait", "--interval", "1"
        )
        assert code == 1 and run["status"] == "Failed"
        [failed] = [r for r in run["steps"] if r["status"] == "Failed"]
        assert failed["step"] == "Register"
        assert "sagemaker:CreateModelPackage" in failed["failure_reason"], failed
        assert "(failed: Register)" in err
        after = world["sm"].list_model_packages(ModelPackageGroupName=world["group"])[
            "ModelPackageSummaryList"
        ]
        assert after == before
    finally:
        relaxed = pipeline_role_statements(names, USE_CASES, kms_key_arn=world["key"], strict=False)
        iam.put_role_policy(RoleName=role, PolicyName="policy", PolicyDocument=_doc(relaxed))
