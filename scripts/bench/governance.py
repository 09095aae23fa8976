"""Bench sections of the governance workflow (registered into ``scripts.bench``).

* ``promotion``: one promotion dev -> staging: every AWS API call it makes (counted with botocore
  event hooks on the jobs' clients) and the bytes of artifact objects that pass through this
  process (request bodies of PutObject/UploadPart and response lengths of GetObject under the
  ``models/`` prefix). Server-side copy means the artifact byte count must be 0.
* ``report``: the report over 100 and 1,000 versions spread over the three accounts: seconds and
  API calls at each size and their growth from 100 to 1,000.

Both run on in-process moto with the kit's moto extensions (fresh state per measurement) and a
minimal provisioning of what the stacks create, so they need no Terraform apply.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

from environments import Names, PlatformConfig, load_platform
from scripts.governance.context import ROLE_KEYS, add_client_observer, new_session, remove_client_observer
from scripts.governance.metadata import META_KEY, META_SOURCE_ARN, promoted_to_key

from .core import BenchContext, section

ARTIFACT_PREFIX = "models/"
REPORT_SIZES = (100, 1000)


class ApiMeter:
    """Counts API calls per operation and object bytes through the client, via botocore events
    registered on every client the jobs create while the meter is active."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.bytes_out: Counter[str] = Counter()  # "artifact" | "other"
        self.bytes_in: Counter[str] = Counter()
        self._lock = threading.Lock()

    @staticmethod
    def _kind(key: str | None) -> str:
        return "artifact" if key and key.startswith(ARTIFACT_PREFIX) else "other"

    def _before(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    def _upload(self, params: Any, **_: Any) -> None:
        """PutObject/UploadPart bodies: the bytes this process sends."""
        body = params.get("Body", b"")
        if isinstance(body, str):
            body = body.encode()
        if isinstance(body, (bytes, bytearray)):
            size = len(body)
        else:  # a file object: its remaining length
            here = body.tell()
            body.seek(0, os.SEEK_END)
            size = body.tell() - here
            body.seek(here)
        with self._lock:
            self.bytes_out[self._kind(params.get("Key"))] += size

    @staticmethod
    def _remember_key(params: Any, context: Any, **_: Any) -> None:
        context["mlgov_key"] = params.get("Key")

    def _download(self, parsed: Any, context: Any = None, **_: Any) -> None:
        """GetObject responses: the bytes this process receives."""
        with self._lock:
            self.bytes_in[self._kind((context or {}).get("mlgov_key"))] += int(
                parsed.get("ContentLength", 0) or 0
            )

    def observe(self, client: Any) -> None:
        events = client.meta.events
        events.register("before-call", self._before)
        events.register("before-parameter-build.s3.PutObject", self._upload)
        events.register("before-parameter-build.s3.UploadPart", self._upload)
        events.register("before-parameter-build.s3.GetObject", self._remember_key)
        events.register("after-call.s3.GetObject", self._download)

    @contextlib.contextmanager
    def active(self) -> Iterator[ApiMeter]:
        add_client_observer(self.observe)
        try:
            yield self
        finally:
            remove_client_observer(self.observe)

    def summary(self) -> dict[str, Any]:
        return {
            "api_calls": sum(self.calls.values()),
            "calls_by_operation": dict(sorted(self.calls.items())),
            "artifact_bytes_through_client": self.bytes_out["artifact"] + self.bytes_in["artifact"],
            "other_bytes_through_client": self.bytes_out["other"] + self.bytes_in["other"],
        }


@contextlib.contextmanager
def inprocess_cloud() -> Iterator[None]:
    """Fresh in-process moto with the kit's extensions and fake credentials (environment
    restored afterwards, so a running emulator's variables do not leak in)."""
    from moto import mock_aws

    from scripts.localcloud.moto_ext import install

    install()
    saved = dict(os.environ)
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(key, None)
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
    )
    try:
        with mock_aws():
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _account(env: Any) -> Any:
    creds = (
        new_session()
        .client("sts", region_name=env.region)
        .assume_role(RoleArn=env.deploy_role_arn, RoleSessionName="bench")["Credentials"]
    )
    return new_session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=env.region,
    )


def provision(platform: PlatformConfig) -> dict[str, Any]:
    """What the stacks create that the jobs read: roles, key, bucket, group, SSM parameters."""
    sessions = {}
    for env in platform.environments.values():
        names = Names.of(platform, env)
        s = sessions[env.name] = _account(env)
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Principal": {"AWS": f"arn:aws:iam::{env.account_id}:root"},
                    }
                ],
            }
        )
        for key in ROLE_KEYS:
            s.client("iam").create_role(RoleName=names.role_name(key), AssumeRolePolicyDocument=trust)
        key_arn = s.client("kms").create_key()["KeyMetadata"]["Arn"]
        s.client("s3").create_bucket(Bucket=names.artifact_bucket)
        params = {
            names.ssm_artifact_bucket: names.artifact_bucket,
            names.ssm_kms_key_arn: key_arn,
            names.ssm_lifecycle_stage: env.lifecycle_stage,
        }
        for uc in env.use_cases:
            s.client("sagemaker").create_model_package_group(
                ModelPackageGroupName=names.model_package_group(uc.name)
            )
            params[names.ssm_group_name(uc.name)] = names.model_package_group(uc.name)
            if env.datazone_home:
                params[names.ssm_datazone_project_id(uc.name)] = "prjbench0001"
        for path, value in params.items():
            s.client("ssm").put_parameter(Name=path, Value=value, Type="String")
    return sessions


@section("promotion", order=50)
def bench_promotion(ctx: BenchContext) -> dict[str, Any]:
    """One promotion dev -> staging: API calls and artifact bytes through the client (must be 0)."""
    from scripts import demo
    from scripts.governance import promote, seed

    platform = ctx.platform
    with inprocess_cloud():
        provision(platform)
        seeded = seed.seed(platform, "dev")
        version = str(seeded["versions"][0]["version"])
        demo._approve(platform, "dev", version, lambda _: None, None, card_from="Draft")
        meter = ApiMeter()
        started = time.perf_counter()
        with meter.active():
            result = promote.promote(platform, "staging", version)
        seconds = time.perf_counter() - started
        rerun = ApiMeter()
        with rerun.active():
            again = promote.promote(platform, "staging", version)
    out = {
        "seconds": round(seconds, 3),
        **meter.summary(),
        "created": result["created"],
        "rerun_api_calls": rerun.summary()["api_calls"],
        "rerun_created": again["created"],
        "artifact_bytes_ok": meter.summary()["artifact_bytes_through_client"] == 0,
    }
    ctx.progress(
        f"[bench] promotion: {out['api_calls']} API calls, "
        f"{out['artifact_bytes_through_client']} artifact bytes through the client, "
        f"rerun {out['rerun_api_calls']} calls"
    )
    return out


def _fill(platform: PlatformConfig, sessions: dict[str, Any], total: int) -> None:
    """``total`` versions spread over the chain's accounts, a third promoted onward (metadata as
    promote writes it), each with one audit record key."""
    envs = [e.name for e in platform.promotion_order()]
    per_env = {e: total // len(envs) + (1 if i < total % len(envs) else 0) for i, e in enumerate(envs)}
    previous: list[str] = []
    for env in envs:
        names = Names.of(platform, env)
        sm = sessions[env].client("sagemaker")
        s3 = sessions[env].client("s3")
        group = names.model_package_group(platform.env(env).use_cases[0].name)
        created = []
        for i in range(per_env[env]):
            meta = {META_KEY: f"k{i}"}
            if i < len(previous) and i % 3 == 0:
                meta[META_SOURCE_ARN] = previous[i]
            arn = sm.create_model_package(
                ModelPackageGroupName=group,
                ModelApprovalStatus="PendingManualApproval",
                ModelCard={"ModelCardContent": "{}", "ModelCardStatus": "Draft"},
                ModelLifeCycle={"Stage": platform.env(env).lifecycle_stage, "StageStatus": "Registered"},
                CustomerMetadataProperties=meta,
            )["ModelPackageArn"]
            created.append(arn)
            s3.put_object(
                Bucket=names.artifact_bucket,
                Key=f"{names.audit_prefix}{group}/v{i + 1:06d}/20260101T000000000000Z_register_bench{i:04d}.json",
                Body=b"{}",
            )
            up = platform.env(env).promotes_from
            if up is not None and META_SOURCE_ARN in meta:
                sessions[up].client("sagemaker").update_model_package(
                    ModelPackageArn=previous[i],
                    CustomerMetadataProperties={promoted_to_key(env): arn},
                )
        previous = created


@section("report", order=60)
def bench_report(ctx: BenchContext) -> dict[str, Any]:
    """The report over 100 and 1,000 versions across 3 accounts: time, API calls, growth."""
    from scripts.governance import report

    platform = ctx.platform
    out: dict[str, Any] = {}
    for size in REPORT_SIZES:
        with inprocess_cloud():
            sessions = provision(platform)
            _fill(platform, sessions, size)
            # First run pays one-time costs (service models parsed, emulator backends created);
            # the second is what a report costs on a warm process. Both are reported.
            cold_started = time.perf_counter()
            report.collect(platform)
            cold = time.perf_counter() - cold_started
            meter = ApiMeter()
            started = time.perf_counter()
            with meter.active():
                data = report.collect(platform)
            seconds = time.perf_counter() - started
        assert len(data["versions"]) == size, f"report listed {len(data['versions'])} of {size} versions"
        summary = meter.summary()
        out[str(size)] = {
            "seconds": round(seconds, 3),
            "cold_seconds": round(cold, 3),
            "api_calls": summary["api_calls"],
            "calls_by_operation": summary["calls_by_operation"],
            "chains": len(data["chains"]),
        }
        ctx.progress(f"[bench] report over {size} versions: {seconds:.2f}s, {summary['api_calls']} API calls")
    small, large = out[str(REPORT_SIZES[0])], out[str(REPORT_SIZES[1])]
    out["growth"] = {
        "versions_ratio": REPORT_SIZES[1] / REPORT_SIZES[0],
        "seconds_ratio": round(large["seconds"] / max(small["seconds"], 1e-9), 2),
        "api_calls_ratio": round(large["api_calls"] / max(small["api_calls"], 1), 2),
    }
    return out


def run(results: dict[str, Any]) -> dict[str, Any]:
    """Run both sections outside ``scripts.bench`` (results[name] = measurements)."""
    import sys
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as scratch:
        ctx = BenchContext(Path(scratch), lambda line: print(line, file=sys.stderr))
        ctx.platform = load_platform()
        results["promotion"] = bench_promotion(ctx)
        results["report"] = bench_report(ctx)
    return results
