"""``mlgov batch`` on the local cloud with IAM enforced, as the model-deploy role with the policy
the stack synthesizes, its transform job running as the execution role with the stack's serving
statements (tests/serving/conftest.py).

dev: an approved version transforms a local CSV and a folder of CSV files in S3 into the model's
own predictions, one ``<file>.out`` per file under the job's output prefix, encrypted with the
platform key; the audit record and the lineage link to the job's trial component. staging: each
gate refuses, naming itself, and nothing is uploaded or created. Input outside the use case's
batch prefix, a header line, or no file at all are refused before anything is written.

Only dev and staging: prod's version numbers belong to tests/serving/test_serve.py.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from scripts.governance import lineage
from scripts.governance.errors import RefusedError, UsageError
from scripts.serving import batch
from tests.emulator.serving_kit import csv_body, expected, parse_csv_answer
from tests.serving.conftest import ServingWorld, rows

pytestmark = pytest.mark.xdist_group("serving-jobs")


def _audit(world: ServingWorld, env: str, job: str) -> list[dict[str, Any]]:
    account = world.accounts[env]
    s3, bucket = account.client("s3"), account.names.artifact_bucket
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="audit/").get("Contents", [])]
    records = [json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in keys]
    return [
        r
        for r in records
        if r["what"]["action"] == "batch-transform" and r["after"].get("TransformJobName") == job
    ]


def test_an_approved_version_transforms_a_local_csv_into_the_models_own_predictions(world, tmp_path):
    platform, dev = world.platform, world.accounts["dev"]
    arn = dev.register("batch-local", world.archives["forest"])
    sample = rows(40, start=300)
    source = tmp_path / "applicants.csv"
    source.write_text(csv_body(sample) + "\n")
    sm = dev.client("sagemaker")
    # the version's registration lineage, as mlgov register records it
    lineage.record_registration(
        sm,
        package_arn=arn,
        env="dev",
        dataset_uri=f"s3://{dev.names.artifact_bucket}/datasets/credit.csv",
        dataset_hash="ab" * 32,
        model_uri=f"s3://{dev.names.artifact_bucket}/models/credit-risk/batch-local/model.tar.gz",
        training={"algorithm": "random_forest", "hyperparameters": {}, "metrics": {}},
    )

    result = batch.transform(
        platform,
        "dev",
        arn,
        "monthly scoring",
        csv_path=str(source),
        download=str(tmp_path / "out"),
        poll=0.2,
    )
    assert result["status"] == "Completed" and result["model_package_arn"] == arn
    job = result["transform_job"]
    names = dev.names
    assert job.startswith(f"{names.serving_name('credit-risk', int(arn.rsplit('/', 1)[-1]))}-")
    bucket = names.artifact_bucket
    assert result["input_uri"] == f"s3://{bucket}/batch/credit-risk/input/{job}/applicants.csv"
    assert result["output_uri"] == f"s3://{bucket}/batch/credit-risk/output/{job}/"
    (out,) = result["outputs"]
    assert out["uri"] == f"s3://{bucket}/batch/credit-risk/output/{job}/applicants.csv.out"
    assert out["rows"] == len(sample)
    assert parse_csv_answer(Path(out["path"]).read_text()) == expected(world.models["forest"], sample)
    text = batch.render(result)
    assert text.startswith(f"{job} (dev): Completed, {arn} over 1 file(s)")
    assert f"{out['uri']} -> {out['path']} (40 rows)" in text and result["audit_key"] in text
    s3 = dev.client("s3")
    head = s3.head_object(Bucket=bucket, Key=f"batch/credit-risk/output/{job}/applicants.csv.out")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == dev.key_arn

    described = sm.describe_transform_job(TransformJobName=job)
    assert described["ModelName"] == result["model"]
    assert described["TransformInput"]["SplitType"] == "Line"
    assert described["TransformInput"]["ContentType"] == "text/csv"
    assert described["TransformOutput"]["AssembleWith"] == "Line"
    assert described["TransformOutput"]["KmsKeyId"] == dev.key_arn
    assert described["TransformResources"]["VolumeKmsKeyId"] == dev.key_arn
    assert described["BatchStrategy"] == "MultiRecord"
    model = sm.describe_model(ModelName=result["model"])
    assert model["Containers"][0]["ModelPackageName"] == arn
    assert model["ExecutionRoleArn"] == names.role_arn("execution")

    (record,) = _audit(world, "dev", job)
    assert record["what"]["model_package_arn"] == arn and record["why"] == "monthly scoring"
    assert record["role"] == names.role_arn("model_deploy") and record["who"]
    assert (
        record["after"]["Input"] == result["input_uri"] and record["after"]["Output"] == result["output_uri"]
    )

    # lineage: the version's package artifact --ContributedTo--> the job's trial component
    component = sm.describe_trial_component(TrialComponentName=f"{job}-aws-transform-job")
    assert result["lineage"][lineage.TRANSFORM] == component["TrialComponentArn"]
    links = sm.list_associations(
        SourceArn=result["lineage"][lineage.PACKAGE], DestinationArn=component["TrialComponentArn"]
    )["AssociationSummaries"]
    assert [a["AssociationType"] for a in links] == ["ContributedTo"]
    package = sm.describe_artifact(ArtifactArn=result["lineage"][lineage.PACKAGE])
    assert package["Source"]["SourceUri"] == arn
    assert component["Source"]["SourceArn"] == result["transform_job_arn"]
    # mlgov lineage's walk lists the version's batch job first, then back to its dataset
    chain = lineage.walk_back(lambda account: sm, arn)
    assert [n.kind for n in chain] == [
        lineage.TRANSFORM,
        lineage.PACKAGE,
        lineage.MODEL,
        lineage.TRAINING,
        lineage.DATASET,
    ]
    assert chain[0].source_uri == result["transform_job_arn"]


def test_a_folder_of_files_in_s3_gives_one_out_file_each(world):
    platform, dev = world.platform, world.accounts["dev"]
    arn = dev.register("batch-folder", world.archives["logistic"])
    s3, bucket = dev.client("s3"), dev.names.artifact_bucket
    first, second = rows(9, start=10), rows(3, start=500)
    for key, matrix in (("2026-11/a.csv", first), ("2026-11/more/b.csv", second)):
        s3.put_object(
            Bucket=bucket,
            Key=f"batch/credit-risk/input/{key}",
            Body=csv_body(matrix) + "\n",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=dev.key_arn,
        )
    result = batch.transform(
        platform,
        "dev",
        arn,
        "scoring",
        input_uri=f"s3://{bucket}/batch/credit-risk/input/2026-11/",
        batch_strategy="SingleRecord",
        poll=0.2,
    )
    assert result["status"] == "Completed"
    assert sorted(result["inputs"]) == [
        f"s3://{bucket}/batch/credit-risk/input/2026-11/a.csv",
        f"s3://{bucket}/batch/credit-risk/input/2026-11/more/b.csv",
    ]
    out = f"batch/credit-risk/output/{result['transform_job']}/"
    assert sorted(o["uri"] for o in result["outputs"]) == [
        f"s3://{bucket}/{out}a.csv.out",
        f"s3://{bucket}/{out}more/b.csv.out",
    ]
    model = world.models["logistic"]
    for key, matrix in ((f"{out}a.csv.out", first), (f"{out}more/b.csv.out", second)):
        text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        # SingleRecord: one row a request, so the model's answer for each row alone (a matrix of
        # one row can differ from a larger one's in the last bit of a probability)
        assert parse_csv_answer(text) == [expected(model, matrix[i : i + 1])[0] for i in range(len(matrix))]


@pytest.mark.parametrize(
    ("label", "state", "gate"),
    [
        ("batch-pending", {"approval": "PendingManualApproval"}, "approval"),
        ("batch-draft-card", {"card": "Draft"}, "card_status"),
        ("batch-other-stage", {"stage": "Development"}, "stage"),
        ("batch-tampered", {"recorded_sha256": hashlib.sha256(b"what was approved").hexdigest()}, "checksum"),
    ],
)
def test_a_version_failing_a_gate_is_refused_naming_it_and_nothing_is_written(
    world, tmp_path, label, state, gate
):
    staging = world.accounts["staging"]
    arn = staging.register(label, world.archives["logistic"], **state)
    source = tmp_path / "rows.csv"
    source.write_text(csv_body(rows(3)) + "\n")
    with pytest.raises(RefusedError) as refused:
        batch.transform(world.platform, "staging", arn, "try", csv_path=str(source))
    assert [f.gate for f in refused.value.failures] == [gate]
    assert str(refused.value) == f"refused to run a batch transform of {arn} in staging"
    sm, s3 = staging.client("sagemaker"), staging.client("s3")
    name = staging.names.serving_name("credit-risk", int(arn.rsplit("/", 1)[-1]))
    assert sm.list_transform_jobs(NameContains=name)["TransformJobSummaries"] == []
    assert sm.list_models(NameContains=name)["Models"] == []
    listed = s3.list_objects_v2(Bucket=staging.names.artifact_bucket, Prefix="batch/")
    assert not [o["Key"] for o in listed.get("Contents", []) if name in o["Key"]]


def test_input_the_job_may_not_read_or_with_a_header_is_refused_before_anything_is_written(world, tmp_path):
    platform, dev = world.platform, world.accounts["dev"]
    arn = dev.register("batch-bad-input", world.archives["logistic"])
    s3, bucket = dev.client("s3"), dev.names.artifact_bucket
    sm = dev.client("sagemaker")
    before = sm.list_transform_jobs()["TransformJobSummaries"]

    with pytest.raises(UsageError, match=r"is not under s3://.*/batch/credit-risk/input/"):
        batch.transform(platform, "dev", arn, "x", input_uri=f"s3://{bucket}/models/credit-risk/")
    with pytest.raises(UsageError, match=r"is not under"):
        batch.transform(
            platform, "dev", arn, "x", input_uri="s3://someone-elses-bucket/batch/credit-risk/input/a/"
        )
    with pytest.raises(UsageError, match=r"whole batch input prefix"):
        batch.transform(platform, "dev", arn, "x", input_uri=f"s3://{bucket}/batch/credit-risk/input/")
    with pytest.raises(UsageError, match=r"no files under"):
        batch.transform(
            platform, "dev", arn, "x", input_uri=f"s3://{bucket}/batch/credit-risk/input/nothing/"
        )
    s3.put_object(
        Bucket=bucket,
        Key="batch/credit-risk/input/headed/rows.csv",
        Body="income_k,debt_to_income\n1,2\n",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=dev.key_arn,
    )
    with pytest.raises(UsageError, match=r"headed/rows.csv: its first line is not numbers .*no header line"):
        batch.transform(platform, "dev", arn, "x", input_uri=f"s3://{bucket}/batch/credit-risk/input/headed/")
    headed = tmp_path / "headed.csv"
    headed.write_text("income_k,debt_to_income\n1,2\n")
    with pytest.raises(UsageError, match=r"headed.csv: its first line is not numbers"):
        batch.transform(platform, "dev", arn, "x", csv_path=str(headed))
    with pytest.raises(UsageError, match=r"cannot read"):
        batch.transform(platform, "dev", arn, "x", csv_path=str(tmp_path / "missing.csv"))
    with pytest.raises(UsageError, match=r"--reason is required"):
        batch.transform(platform, "dev", arn, " ", csv_path=str(headed))
    assert sm.list_transform_jobs()["TransformJobSummaries"] == before


def test_dry_run_checks_the_gates_and_writes_nothing(world, tmp_path):
    dev = world.accounts["dev"]
    arn = dev.register("batch-dry", world.archives["logistic"])
    source = tmp_path / "rows.csv"
    source.write_text(csv_body(rows(2)) + "\n")
    result = batch.transform(world.platform, "dev", arn, "rehearsal", csv_path=str(source), dry_run=True)
    assert result["would_change"] and not result["changed"]
    assert batch.render(result).startswith(f"{result['transform_job']} (dev): would transform 1 file(s)")
    sm = dev.client("sagemaker")
    assert sm.list_transform_jobs(NameContains=result["transform_job"])["TransformJobSummaries"] == []
    assert "Contents" not in dev.client("s3").list_objects_v2(
        Bucket=dev.names.artifact_bucket, Prefix=f"batch/credit-risk/input/{result['transform_job']}/"
    )
