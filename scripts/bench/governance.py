"""Bench sections of the governance workflow (registered into ``scripts.bench``).

* ``promotion``: one promotion dev -> staging: every AWS API call it makes (counted with botocore
  event hooks on the jobs' clients) and the bytes of artifact objects that pass through this
  process (request bodies of PutObject/UploadPart and response lengths of GetObject under the
  ``models/`` prefix). Server-side copy means the artifact byte count must be 0.
* ``report``: the report over 100 and 1,000 versions spread over the three accounts, each version
  with a full card (quality, bias and explainability sections) and an audit record: seconds, API
  calls and SageMaker Search pages at each size, their growth from 100 to 1,000, and the goals
  (1,000 versions: at most 5 s, and at most 3 accounts x 10 pages of Search plus a constant).

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
from scripts.aws import add_client_observer, assume_role, new_session, remove_client_observer
from scripts.governance.context import ROLE_KEYS
from scripts.governance.metadata import META_KEY, META_SOURCE_ARN

from .core import BenchContext, section

ARTIFACT_PREFIX = "models/"
REPORT_SIZES = (100, 1000)
#: Goals of the report over 1,000 versions x 3 accounts (issue 10).
REPORT_GOAL_SECONDS = 5.0
REPORT_GOAL_SEARCH_PAGES = 3 * 10
#: Calls that do not grow with versions: per account AssumeRole, GetParameters and one page of
#: the audit listing, with room for a second page per account.
REPORT_CONSTANT_CALLS = 3 * 4


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
    return assume_role(env.deploy_role_arn, source=new_session(), purpose="bench", region=env.region)


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
    from scripts.governance import promote, seed, workflow

    platform = ctx.platform
    with inprocess_cloud():
        provision(platform)
        seeded = seed.seed(platform, "dev")
        version = str(seeded["versions"][0]["version"])
        workflow._approve(platform, "dev", version, lambda _: None, None, card_from="Draft")
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


def _card_json(platform: PlatformConfig) -> str:
    """A card as registration writes it (quality, bias and explainability sections), so Search
    pages carry records of the real size; its numbers are the sample's."""
    from scripts.governance import cards
    from scripts.governance.evaluation import card_evaluations

    def facet(metrics: dict[str, float]) -> dict[str, Any]:
        return {
            "label": "default",
            "label_value_or_threshold": "1",
            "facets": {
                "age_group": [
                    {
                        "value_or_threshold": "under_25",
                        "metrics": [{"name": k, "description": k, "value": v} for k, v in metrics.items()],
                    }
                ]
            },
        }

    bias = {
        "pre_training_bias_metrics": facet({"CI": 0.62, "DPL": 0.176, "KL": 0.07}),
        "post_training_bias_metrics": facet({"DPPL": 0.039, "DI": 0.917, "AD": 0.01}),
    }
    shap_values = {f"feature_{i}": round(0.2 / (i + 1), 6) for i in range(8)}
    explainability = {"explanations": {"kernel_shap": {"default": {"global_shap_values": shap_values}}}}
    card = cards.build_card(
        creator="bench",
        artifact_uri="s3://bench/models/model.tar.gz",
        use_case=platform.promotion_order()[0].use_cases[0].name,
        use_case_description="Credit default risk of a loan applicant",
        risk_rating="High",
        algorithm="logistic_regression",
        training_metrics={"accuracy": 0.78},
        evaluation_metrics={
            "accuracy": 0.77,
            "roc_auc": 0.846,
            "f1": 0.61,
            "precision": 0.66,
            "recall": 0.57,
        },
        evaluation_report_uri="s3://bench/models/evaluation.json",
        dataset="s3://bench/data/credit.csv",
        hyperparameters={"C": 1.0, "max_iter": 500},
        datazone_project_id="prjbench0001",
    )
    card.evaluation_details = [
        *(card.evaluation_details or []),
        *card_evaluations(
            bias, explainability, bias_uri="s3://bench/bias.json", explainability_uri="s3://bench/x.json"
        ),
    ]
    return cards.card_json(card)


def _fill(platform: PlatformConfig, sessions: dict[str, Any], total: int) -> None:
    """``total`` versions spread over the chain's accounts, a third promoted onward (the target
    names its source in its metadata, as promote writes it; nothing is written on the source),
    each with a full card and one audit record key."""
    envs = [e.name for e in platform.promotion_order()]
    per_env = {e: total // len(envs) + (1 if i < total % len(envs) else 0) for i, e in enumerate(envs)}
    card = _card_json(platform)
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
                ModelCard={"ModelCardContent": card, "ModelCardStatus": "Draft"},
                ModelLifeCycle={"Stage": platform.env(env).lifecycle_stage, "StageStatus": "Registered"},
                CustomerMetadataProperties=meta,
            )["ModelPackageArn"]
            created.append(arn)
            s3.put_object(
                Bucket=names.artifact_bucket,
                Key=f"{names.audit_prefix}{group}/v{i + 1:06d}/20260101T000000000000Z_register_bench{i:04d}.json",
                Body=b"{}",
            )
        previous = created


@section("report", order=60)
def bench_report(ctx: BenchContext) -> dict[str, Any]:
    """The report over 100 and 1,000 versions across 3 accounts: time, API calls, Search pages."""
    from scripts.governance import report

    platform = ctx.platform
    out: dict[str, Any] = {}
    for size in REPORT_SIZES:
        with inprocess_cloud():
            sessions = provision(platform)
            _fill(platform, sessions, size)
            # The first run pays one-time costs (service models parsed, emulator backends created)
            # and is what one `mlgov report` costs; the second is a warm process. Both are reported.
            cold_meter = ApiMeter()
            cold_started = time.perf_counter()
            with cold_meter.active():
                report.collect(platform)
            cold = time.perf_counter() - cold_started
            meter = ApiMeter()
            started = time.perf_counter()
            with meter.active():
                data = report.collect(platform)
            seconds = time.perf_counter() - started
        assert len(data.versions) == size, f"report listed {len(data.versions)} of {size} versions"
        summary = meter.summary()
        pages = summary["calls_by_operation"].get("sagemaker:Search", 0)
        out[str(size)] = {
            "seconds": round(seconds, 3),
            "cold_seconds": round(cold, 3),
            "api_calls": summary["api_calls"],
            "cold_api_calls": cold_meter.summary()["api_calls"],
            "search_pages": pages,
            "calls_by_operation": summary["calls_by_operation"],
            "chains": len(data.chains),
        }
        ctx.progress(
            f"[bench] report over {size} versions x {len(data.environments)} accounts: "
            f"{seconds:.2f}s warm, {cold:.2f}s cold, {summary['api_calls']} API calls "
            f"({pages} Search pages)"
        )
    small, large = out[str(REPORT_SIZES[0])], out[str(REPORT_SIZES[1])]
    out["growth"] = {
        "versions_ratio": REPORT_SIZES[1] / REPORT_SIZES[0],
        "seconds_ratio": round(large["seconds"] / max(small["seconds"], 1e-9), 2),
        "api_calls_ratio": round(large["api_calls"] / max(small["api_calls"], 1), 2),
        "api_calls_added": large["api_calls"] - small["api_calls"],
    }
    # The goals of 1,000 versions, judged on the slower (cold) run and its calls.
    out["goals"] = {
        "seconds": {
            "value": large["cold_seconds"],
            "goal": f"<= {REPORT_GOAL_SECONDS:g} s",
            "met": large["cold_seconds"] <= REPORT_GOAL_SECONDS,
        },
        "api_calls": {
            "value": large["cold_api_calls"],
            "goal": f"<= {REPORT_GOAL_SEARCH_PAGES} Search pages + {REPORT_CONSTANT_CALLS}",
            "met": large["search_pages"] <= REPORT_GOAL_SEARCH_PAGES
            and large["cold_api_calls"] <= REPORT_GOAL_SEARCH_PAGES + REPORT_CONSTANT_CALLS,
        },
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
