"""The bench's API meter counts what it claims: calls per operation and artifact bytes."""

from __future__ import annotations

from scripts.bench.governance import ApiMeter
from scripts.governance.context import env_context


def test_meter_counts_calls_and_bytes_by_prefix(cloud, platform):
    ctx = env_context(platform, "dev", "approver", job="t")
    meter = ApiMeter()
    with meter.active():
        s3 = ctx.client("s3")
        s3.put_object(Bucket=ctx.artifact_bucket, Key="models/x/model.tar.gz", Body=b"a" * 1000)
        s3.put_object(Bucket=ctx.artifact_bucket, Key="audit/x.json", Body=b"{}")
        s3.get_object(Bucket=ctx.artifact_bucket, Key="models/x/model.tar.gz")["Body"].read()
    summary = meter.summary()
    assert summary["artifact_bytes_through_client"] == 2000
    assert summary["other_bytes_through_client"] == 2
    assert summary["calls_by_operation"]["s3:PutObject"] == 2
    assert summary["calls_by_operation"]["s3:GetObject"] == 1
    assert summary["calls_by_operation"]["sts:AssumeRole"] == 1
    # Clients created after the meter stops are not observed.
    before = summary["api_calls"]
    env_context(platform, "dev", "approver", job="t").client("s3").list_buckets()
    assert meter.summary()["api_calls"] == before
