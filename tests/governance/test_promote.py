"""promote: gates, server-side copy under the target key, verification, registration with card,
metrics and metadata, lineage, audit; the source never written; idempotent, resumable,
concurrent."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sagemaker.core.shapes.model_card_shapes import ModelCardContent

from scripts.governance import cards
from scripts.governance import evaluation as ev
from scripts.governance import promote as promote_job
from scripts.governance.cards import evaluation_metrics, parse_card
from scripts.governance.errors import PermissionDeniedError, RefusedError, UnknownVersionError, UsageError
from scripts.governance.promote import copy as copy_module
from scripts.governance.promote import gates, register
from scripts.governance.versions import version_number

from .conftest import audit_records, make_promotable


def _versions(cloud, env):
    sm = cloud.client(env, "sagemaker")
    return sm.list_model_packages(ModelPackageGroupName="mlgov-credit-risk")["ModelPackageSummaryList"]


def _objects(cloud, env, prefix="models/"):
    resp = cloud.client(env, "s3").list_objects_v2(Bucket=cloud.bucket(env), Prefix=prefix)
    return sorted(o["Key"] for o in resp.get("Contents", []))


#: What a promotion copies of a version: model archive, evaluation, bias, explainability.
COPIED = (
    "model.tar.gz",
    "evaluation.json",
    "bias.json",
    "explainability.json",
    "statistics.json",
    "constraints.json",
)


def _record_calls(monkeypatch):
    """Every AWS operation any client makes from here on, in order."""
    import botocore.client

    calls = []
    real = botocore.client.BaseClient._make_api_call

    def record(self, op, params):
        calls.append(op)
        return real(self, op, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    return calls


def seeded_meta(cloud, seeded, index=0):
    desc = cloud.client("dev", "sagemaker").describe_model_package(
        ModelPackageName=seeded["versions"][index]["arn"]
    )
    return desc["CustomerMetadataProperties"]


def _card(cloud, env, arn):
    desc = cloud.client(env, "sagemaker").describe_model_package(ModelPackageName=arn)
    return parse_card(desc["ModelCard"]["ModelCardContent"])


def test_promote_dev_to_staging(seeded, platform, cloud):
    make_promotable(platform, "dev", "1")
    result = promote_job.promote(platform, "staging", "1")
    assert result["created"] is True
    source_arn = seeded["versions"][0]["arn"]
    assert result["source_arn"] == source_arn
    target_arn = result["target_arn"]
    assert ":222222222222:model-package/mlgov-credit-risk/1" in target_arn
    sm = cloud.client("staging", "sagemaker")
    desc = sm.describe_model_package(ModelPackageName=target_arn)
    # It arrives for staging's own review: pending approval, its card PendingReview (not Approved,
    # as it was upstream).
    assert desc["ModelApprovalStatus"] == "PendingManualApproval"
    assert desc["ModelCard"]["ModelCardStatus"] == "PendingReview"
    assert desc["ModelLifeCycle"]["Stage"] == "Staging"
    assert desc["SecurityConfig"]["KmsKeyId"] == cloud.kms_keys["staging"]
    meta = desc["CustomerMetadataProperties"]
    assert meta["mlgov-source-arn"] == source_arn
    assert meta["mlgov-source-account"] == "111111111111"
    assert meta["mlgov-source-version"] == "1"
    assert meta["mlgov-promotion-token"] == result["token"]
    # The gates it passed, each with its value and limit at promotion time, written at creation
    # (the only time promotion writes on a version), compact enough for a metadata value.
    assert meta["mlgov-gates"] == "passed"
    record = meta["mlgov-gate-results"]
    assert len(record) <= 256 and re.fullmatch(r"[\w\s.:/=+@-]+", record), record
    shown, more = gates.parse_gate_record(record)
    assert more == 0
    by_gate = {g.gate: g for g in shown}
    metrics = seeded["versions"][0]["metrics"]
    assert (by_gate["metric:accuracy"].value, by_gate["metric:accuracy"].relation) == (
        f"{metrics['accuracy']:.4g}",
        "min",
    )
    assert by_gate["metric:accuracy"].limit == "0.72" and by_gate["bias:DI"].limit == "0.5:2"
    assert by_gate["card_sections"].value == by_gate["card_sections"].limit == "5"
    assert list(by_gate) == [r["gate"] for r in result["gate_results"]]
    assert all(r["passed"] for r in result["gate_results"])
    # The SHA-256 registration recorded travels with the version, verified against the copy.
    assert meta["mlgov-model-sha256"] == seeded_meta(cloud, seeded)["mlgov-model-sha256"]
    # Metrics and card point at the copies in the staging bucket, under the staging key.
    report_uri = desc["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    assert report_uri.startswith(f"s3://{cloud.bucket('staging')}/models/")
    card = parse_card(desc["ModelCard"]["ModelCardContent"])
    assert card.model_overview.model_artifact == [
        desc["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    ]
    assert evaluation_metrics(card)["accuracy"] == seeded["versions"][0]["metrics"]["accuracy"]
    # Every report travelled with the model, and each evaluation entry names its own copy.
    staged = _objects(cloud, "staging")
    assert sorted(k.rsplit("/", 1)[1] for k in staged) == sorted(COPIED)
    model_key = next(k for k in staged if k.endswith("/model.tar.gz"))
    prefix = f"s3://{cloud.bucket('staging')}/{model_key.rsplit('/', 1)[0]}/"
    datasets = {item.name: item.datasets for item in card.evaluation_details}
    assert datasets.pop(ev.EVAL_PRE_BIAS) == datasets.pop(ev.EVAL_POST_BIAS) == [prefix + "bias.json"]
    assert datasets.pop(ev.EVAL_EXPLAINABILITY) == [prefix + "explainability.json"]
    assert list(datasets.values()) == [[report_uri]] and report_uri == prefix + "evaluation.json"
    # The data-quality baseline travelled too, beside the copied archive (where mlgov monitor
    # reads it), and ModelMetrics names the copies.
    quality = desc["ModelMetrics"]["ModelDataQuality"]
    assert quality["Statistics"]["S3Uri"] == prefix + "baseline/statistics.json"
    assert quality["Constraints"]["S3Uri"] == prefix + "baseline/constraints.json"
    source_card = _card(cloud, "dev", source_arn)
    assert ev.bias_metrics(card) == ev.bias_metrics(source_card)
    assert ev.has_explainability(card)
    s3 = cloud.client("staging", "s3")
    dev_s3 = cloud.client("dev", "s3")
    for key in staged:
        head = s3.head_object(Bucket=cloud.bucket("staging"), Key=key, ChecksumMode="ENABLED")
        src = dev_s3.head_object(Bucket=cloud.bucket("dev"), Key=key, ChecksumMode="ENABLED")
        assert head["SSEKMSKeyId"] == cloud.kms_keys["staging"]
        assert head["ChecksumSHA256"] == src["ChecksumSHA256"]
        assert (
            s3.get_object(Bucket=cloud.bucket("staging"), Key=key)["Body"].read()
            == dev_s3.get_object(Bucket=cloud.bucket("dev"), Key=key)["Body"].read()
        )
    # Lineage: source -> target.
    arts = {a["Source"]["SourceUri"]: a["ArtifactArn"] for a in sm.list_artifacts()["ArtifactSummaries"]}
    assocs = sm.list_associations(SourceArn=arts[source_arn])["AssociationSummaries"]
    assert [a["DestinationArn"] for a in assocs] == [arts[target_arn]]
    # The source is only read: where it went is the target's mlgov-source-arn and the lineage.
    src_desc = cloud.client("dev", "sagemaker").describe_model_package(ModelPackageName=source_arn)
    assert not [k for k in src_desc["CustomerMetadataProperties"] if k.startswith("mlgov-promoted-to-")]
    assert src_desc["ModelLifeCycle"]["StageStatus"] == "Registered"
    # Audit in the target environment; no lock left.
    promo = [r for r in audit_records(cloud, "staging") if r["what"]["action"] == "promote"]
    assert len(promo) == 1 and promo[0]["before"]["source_arn"] == source_arn
    assert promo[0]["before"]["ModelCardStatus"] == "Approved"
    assert promo[0]["after"] == {
        "target_arn": target_arn,
        "ModelApprovalStatus": "PendingManualApproval",
        "ModelCardStatus": "PendingReview",
        "Stage": "Staging",
    }
    assert ":assumed-role/mlgov-staging-promotion/" in promo[0]["who"]
    assert [k for k in _objects(cloud, "staging", "promotions/") if k.endswith(".lock")] == []
    # The promotion's audit record holds every gate with its value and limit.
    assert [(g["gate"], g["passed"]) for g in promo[0]["details"]["gates"]] == [
        (r["gate"], True) for r in result["gate_results"]
    ]


def _s3_requests(monkeypatch):
    """(operation, params) of every S3 request any client makes from here on."""
    import botocore.client

    seen = []
    real = botocore.client.BaseClient._make_api_call

    def record(self, op, params):
        if self.meta.service_model.service_name == "s3":
            seen.append((op, dict(params)))
        return real(self, op, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    return seen


def test_every_write_under_models_is_write_once(seeded, platform, cloud, monkeypatch):
    """Each copy into the target's models/ carries If-None-Match: * (strict tiers' bucket policies
    refuse any other write there); nothing under models/ is deleted."""
    make_promotable(platform, "dev", "1")
    seen = _s3_requests(monkeypatch)
    promote_job.promote(platform, "staging", "1")
    writes = [(op, p) for op, p in seen if op in ("CopyObject", "PutObject", "CompleteMultipartUpload")]
    to_models = [(op, p) for op, p in writes if p["Key"].startswith("models/")]
    assert sorted(p["Key"].rsplit("/", 1)[1] for _, p in to_models) == sorted(COPIED)
    assert all(op == "CopyObject" and p.get("IfNoneMatch") == "*" for op, p in to_models), to_models
    assert not [
        p for op, p in seen if op in ("DeleteObject", "DeleteObjects") and p["Key"].startswith("models/")
    ]


def test_a_copy_that_landed_before_counts_on_412_when_it_matches(seeded, platform, cloud, monkeypatch):
    """A run stopped after its copy landed; the rerun's look misses it (a race) and its
    conditional copy is answered 412: the copy verifies, so it counts as done, once."""
    from scripts.governance.promote import copy as copy_module

    make_promotable(platform, "dev", "1")
    with pytest.raises(Stop):
        promote_job.promote(platform, "staging", "1", on_step=lambda step: _stop_at(step, "copy"))
    real = copy_module.head
    missed = []

    def blind(s3, bucket, key):
        if bucket == cloud.bucket("staging") and key.startswith("models/") and key not in missed:
            missed.append(key)
            return None  # the first look at each target key misses it
        return real(s3, bucket, key)

    monkeypatch.setattr(copy_module, "head", blind)
    seen = _s3_requests(monkeypatch)
    result = promote_job.promote(platform, "staging", "1")
    assert result["created"] is True
    assert {a["method"] for a in result["artifacts"]} == {"existing"}
    assert len([op for op, _ in seen if op == "CopyObject"]) == len(COPIED)  # each answered 412
    assert len(_objects(cloud, "staging")) == len(COPIED)


def _stop_at(step, wanted):
    if step == wanted:
        raise Stop(step)


def test_an_existing_copy_that_differs_is_refused_naming_its_key(seeded, platform, cloud):
    """The target key holds other bytes (written by someone else): write-once means the promotion
    cannot replace it; it refuses naming the key, registers nothing, and the refusal is audited."""
    make_promotable(platform, "dev", "1")
    desc = cloud.client("dev", "sagemaker").describe_model_package(
        ModelPackageName=seeded["versions"][0]["arn"]
    )
    model_key = desc["InferenceSpecification"]["Containers"][0]["ModelDataUrl"].split("/", 3)[3]
    cloud.client("staging", "s3").put_object(
        Bucket=cloud.bucket("staging"),
        Key=model_key,
        Body=b"not the approved model",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=cloud.kms_keys["staging"],
        ChecksumAlgorithm="SHA256",
    )
    with pytest.raises(RefusedError) as info:
        promote_job.promote(platform, "staging", "1")
    where = f"s3://{cloud.bucket('staging')}/{model_key}"
    assert str(info.value).startswith(f"{where} already exists and does not match")
    assert "write-once" in str(info.value)
    assert [f.gate for f in info.value.failures] == ["artifact_sha256"]
    assert _versions(cloud, "staging") == []
    assert (
        cloud.client("staging", "s3").get_object(Bucket=cloud.bucket("staging"), Key=model_key)["Body"].read()
        == b"not the approved model"
    )
    [refused] = [r for r in audit_records(cloud, "staging") if r["what"]["action"] == "promote-refused"]
    assert refused["after"] == {"refused": ["artifact_sha256"]}
    assert info.value.audit_key == refused["key"]


def _replace_source_model(cloud, seeded, *, checksum):
    desc = cloud.client("dev", "sagemaker").describe_model_package(
        ModelPackageName=seeded["versions"][0]["arn"]
    )
    key = desc["InferenceSpecification"]["Containers"][0]["ModelDataUrl"].split("/", 3)[3]
    extra = {"ChecksumAlgorithm": "SHA256"} if checksum else {}
    cloud.client("dev", "s3").put_object(
        Bucket=cloud.bucket("dev"),
        Key=key,
        Body=b"\x1f\x8b swapped after approval",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=cloud.kms_keys["dev"],
        **extra,
    )
    return key


def test_a_source_artifact_replaced_after_registration_is_refused_before_any_copy(seeded, platform, cloud):
    """The approved version records its archive's SHA-256; the object under that key now holds
    other bytes (S3's checksum says so): refused before anything is written in the target."""
    make_promotable(platform, "dev", "1")
    key = _replace_source_model(cloud, seeded, checksum=True)
    with pytest.raises(
        RefusedError, match=r"source artifact s3://.*/model\.tar\.gz has SHA-256 [0-9a-f]{64}, not the "
    ):
        promote_job.promote(platform, "staging", "1")
    assert _objects(cloud, "staging") == [] and _versions(cloud, "staging") == []
    assert key.endswith("model.tar.gz")
    with pytest.raises(RefusedError, match="was replaced after registration"):
        promote_job.promote(platform, "staging", "1", dry_run=True)


def test_a_copy_whose_sha256_differs_from_the_recorded_one_registers_nothing(seeded, platform, cloud):
    """Where S3 holds no SHA-256 of the source to look at first, the copy's own (computed by S3 at
    copy) is compared with the version's record before registration: a mismatch registers nothing."""
    make_promotable(platform, "dev", "1")
    key = _replace_source_model(cloud, seeded, checksum=False)
    with pytest.raises(RefusedError) as info:
        promote_job.promote(platform, "staging", "1")
    message = str(info.value)
    assert message.startswith(
        f"the copy s3://{cloud.bucket('staging')}/{key} of s3://{cloud.bucket('dev')}/{key} failed verification, nothing registered"
    )
    recorded = seeded_meta(cloud, seeded)["mlgov-model-sha256"]
    assert "recorded on the version" in message and recorded in message
    assert _versions(cloud, "staging") == []


def test_a_source_version_without_a_recorded_sha256_is_refused(seeded, platform, cloud, monkeypatch):
    from scripts.governance.promote import job

    make_promotable(platform, "dev", "1")
    real = job.plan_promotion

    def unrecorded(ctx, use_case, version):
        plan = real(ctx, use_case, version)
        del plan.source["CustomerMetadataProperties"]["mlgov-model-sha256"]
        return plan

    monkeypatch.setattr(job, "plan_promotion", unrecorded)
    with pytest.raises(RefusedError, match="records no mlgov-model-sha256"):
        promote_job.promote(platform, "staging", "1")
    assert _objects(cloud, "staging", "models/") == [] and _versions(cloud, "staging") == []


def test_promotion_registers_everything_at_create_and_updates_no_version(
    seeded, platform, cloud, monkeypatch
):
    """Separation of duties: the promotion role holds no UpdateModelPackage, upstream or in its
    own environment, so the one CreateModelPackage carries all the target needs."""
    make_promotable(platform, "dev", "1")
    calls = _record_calls(monkeypatch)
    promote_job.promote(platform, "staging", "1")
    assert calls.count("CreateModelPackage") == 1
    assert "UpdateModelPackage" not in calls
    promote_job.promote(platform, "staging", "1")  # a rerun neither
    assert calls.count("CreateModelPackage") == 1 and "UpdateModelPackage" not in calls


def test_second_run_returns_existing_target(seeded, platform, cloud):
    make_promotable(platform, "dev", "1")
    first = promote_job.promote(platform, "staging", "1")
    second = promote_job.promote(platform, "staging", "1")
    assert second["created"] is False and second["target_arn"] == first["target_arn"]
    assert set(second["steps"].values()) == {"done", "skipped"}
    assert all(v == "skipped" for k, v in second["steps"].items() if k not in ("lock", "verify"))
    assert len(_versions(cloud, "staging")) == 1
    assert len([r for r in audit_records(cloud, "staging") if r["what"]["action"] == "promote"]) == 1


def test_chain_to_prod(seeded, platform, cloud):
    """Two hops: each target's card and metadata name the hop it came from, not the first one."""
    make_promotable(platform, "dev", "1")
    staged = promote_job.promote(platform, "staging", "1")
    make_promotable(platform, "staging", "1")
    prod = promote_job.promote(platform, "prod", "1")
    desc = cloud.client("prod", "sagemaker").describe_model_package(ModelPackageName=prod["target_arn"])
    assert desc["CustomerMetadataProperties"]["mlgov-source-arn"] == staged["target_arn"]
    assert desc["CustomerMetadataProperties"]["mlgov-source-env"] == "staging"
    assert desc["ModelLifeCycle"]["Stage"] == "Production"
    assert (desc["ModelApprovalStatus"], desc["ModelCard"]["ModelCardStatus"]) == (
        "PendingManualApproval",
        "PendingReview",
    )
    details = parse_card(desc["ModelCard"]["ModelCardContent"]).additional_information.custom_details
    assert details["promoted_from"] == staged["target_arn"]
    assert details["promoted_from_env"] == "staging"
    staging = cloud.client("staging", "sagemaker").describe_model_package(
        ModelPackageName=staged["target_arn"]
    )
    staging_details = parse_card(
        staging["ModelCard"]["ModelCardContent"]
    ).additional_information.custom_details
    assert staging_details["promoted_from"] == seeded["versions"][0]["arn"]
    assert staging_details["promoted_from_env"] == "dev"
    # Where staging's version went next is not prod's history.
    assert not [k for k in desc["CustomerMetadataProperties"] if k.startswith("mlgov-promoted-to-")]


def test_the_audit_records_the_target_as_it_arrived(seeded, platform, cloud, monkeypatch):
    """The promotion's audit record says what SageMaker holds, not what the request meant to ask
    for: a target whose card arrived Approved (a wrong request) is recorded Approved."""
    from scripts.governance.promote import register as promote_register

    real = promote_register.target_request

    def approved_card(plan):
        request = real(plan)
        request["ModelCard"]["ModelCardStatus"] = "Approved"
        return request

    monkeypatch.setattr(promote_register, "target_request", approved_card)
    make_promotable(platform, "dev", "1")
    target_arn = promote_job.promote(platform, "staging", "1")["target_arn"]
    desc = cloud.client("staging", "sagemaker").describe_model_package(ModelPackageName=target_arn)
    assert desc["ModelCard"]["ModelCardStatus"] == "Approved"
    [promo] = [r for r in audit_records(cloud, "staging") if r["what"]["action"] == "promote"]
    assert promo["after"]["ModelCardStatus"] == "Approved"
    assert promo["after"]["ModelApprovalStatus"] == "PendingManualApproval"


# -- gates ---------------------------------------------------------------------------------
def _refusal(platform, env, version):
    with pytest.raises(RefusedError) as info:
        promote_job.promote(platform, env, version)
    return {f.gate: f.reason for f in info.value.failures}


def _only_the_refusal_was_written(cloud, env, source_env, version):
    """Nothing registered, copied or locked in ``env``: its bucket holds the refusals' audit records
    only, each beside the source version (audit/<group>/upstream/<source env>/v<N>/)."""
    assert _versions(cloud, env) == []
    keys = _objects(cloud, env, "")
    prefix = f"audit/mlgov-credit-risk/upstream/{source_env}/v{int(version):06d}/"
    assert keys and all(k.startswith(prefix) and "_promote-refused_" in k for k in keys), keys
    return [r for r in audit_records(cloud, env) if r["what"]["action"] == "promote-refused"]


def test_unapproved_version_fails_every_named_gate_registers_nothing_and_is_audited(seeded, platform, cloud):
    gates = _refusal(platform, "staging", "1")
    assert gates == {
        "approval": "ModelApprovalStatus is PendingManualApproval, must be Approved",
        "card_status": "model card status is Draft, must be Approved",
    }
    [refused] = _only_the_refusal_was_written(cloud, "staging", "dev", "1")
    # Who, when, which gates with their values and limits: in the target, by its promotion role.
    assert ":assumed-role/mlgov-staging-promotion/" in refused["who"] and refused["when"]
    assert refused["what"]["model_package_arn"] == seeded["versions"][0]["arn"]
    assert refused["after"] == {"refused": ["approval", "card_status"]}
    failures = {f["gate"]: (f["value"], f["limit"]) for f in refused["details"]["failures"]}
    assert failures == {
        "approval": ("PendingManualApproval", "Approved"),
        "card_status": ("Draft", "Approved"),
    }
    every = {g["gate"]: g["passed"] for g in refused["details"]["gates"]}
    assert every["approval"] is False and every["metric:accuracy"] is True and every["bias:DPPL"] is True


def test_card_approved_but_version_not(seeded, platform, cloud):
    from scripts.governance import review

    review.set_card_status(platform, "dev", "1", "PendingReview", "r")
    review.set_card_status(platform, "dev", "1", "Approved", "r")
    assert set(_refusal(platform, "staging", "1")) == {"approval"}


def test_version_approved_but_card_not(seeded, platform, cloud):
    from scripts.governance import review

    review.set_approval(platform, "dev", "1", "r")
    assert set(_refusal(platform, "staging", "1")) == {"card_status"}


def test_quality_gate_refuses_the_stump(seeded, platform, cloud):
    """The stump (v3), approved in dev where no floors apply, is below staging's floors: both
    metrics are named with their values."""
    make_promotable(platform, "dev", "3")
    metrics = seeded["versions"][2]["metrics"]
    gates_failed = _refusal(platform, "staging", "3")
    assert {g for g in gates_failed if g.startswith("metric:")} == {"metric:accuracy", "metric:roc_auc"}
    assert gates_failed["metric:accuracy"] == (
        f"accuracy = {metrics['accuracy']} is below staging's minimum 0.72"
    )
    assert gates_failed["metric:roc_auc"] == f"roc_auc = {metrics['roc_auc']} is below staging's minimum 0.78"
    assert _versions(cloud, "staging") == []


def test_bias_gate_of_prod_names_metric_value_and_limit(seeded, platform, cloud):
    """The forest (v2) passes staging's limits; prod refuses it for DPPL and DI, each named with
    its value, its limit and the configuration field that set it. Nothing is written in prod."""
    make_promotable(platform, "dev", "2")
    staged = promote_job.promote(platform, "staging", "2")
    in_staging = str(version_number(staged["target_arn"]))
    make_promotable(platform, "staging", in_staging)
    bias = ev.bias_metrics(_card(cloud, "staging", staged["target_arn"]))
    assert abs(bias["DPPL"]) > 0.1 and not 0.8 <= bias["DI"] <= 1.25  # the sample's known bias
    gates_failed = _refusal(platform, "prod", in_staging)
    assert gates_failed == {
        "bias:DPPL": f"post-training bias DPPL {bias['DPPL']:.3f} exceeds 0.1 "
        "(prod governance.bias_limits.max_abs_dppl)",
        "bias:DI": f"post-training bias DI {bias['DI']:.3f} is outside [0.8, 1.25] "
        "(prod governance.bias_limits.disparate_impact)",
    }
    [refused] = _only_the_refusal_was_written(cloud, "prod", "staging", in_staging)
    failures = {f["gate"]: (f["value"], f["limit"]) for f in refused["details"]["failures"]}
    assert failures == {"bias:DPPL": (bias["DPPL"], 0.1), "bias:DI": (bias["DI"], [0.8, 1.25])}


def _stripping(monkeypatch, *names):
    """Cards read back without the evaluation entries ``names``."""
    real = cards.parse_card

    def stripped(content):
        card = real(content)
        if card is None:
            return card
        kept = [i for i in card.evaluation_details or [] if i.name not in names]
        return card.model_copy(update={"evaluation_details": kept})

    monkeypatch.setattr(cards, "parse_card", stripped)


def test_missing_bias_metrics_are_refused_by_name(seeded, platform, cloud, monkeypatch):
    make_promotable(platform, "dev", "1")
    _stripping(monkeypatch, ev.EVAL_POST_BIAS)
    gates_failed = _refusal(platform, "staging", "1")
    assert gates_failed == {
        "bias:DPPL": "post-training bias DPPL is not in the card's evaluation details; a version "
        "without it is refused (staging governance.bias_limits.max_abs_dppl)",
        "bias:DI": "post-training bias DI is not in the card's evaluation details; a version "
        "without it is refused (staging governance.bias_limits.disparate_impact)",
    }


def test_missing_explainability_is_refused(seeded, platform, cloud, monkeypatch):
    make_promotable(platform, "dev", "1")
    _stripping(monkeypatch, ev.EVAL_EXPLAINABILITY)
    assert _refusal(platform, "staging", "1") == {
        "explainability": "the card carries no explainability section (global feature "
        "attributions), which staging requires (staging governance.require_explainability)"
    }


def _bias_card(dppl, di):
    """A card whose post-training bias entry carries exactly ``dppl`` and ``di``."""

    def section(metrics):
        return {
            "label": "good_credit",
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

    report = {ev.PRE_TRAINING: section({"DPL": 0.176}), ev.POST_TRAINING: section({"DPPL": dppl, "DI": di})}
    return ModelCardContent(evaluation_details=ev.card_evaluations(report, None))


@pytest.mark.parametrize(
    ("dppl", "di", "failed"),
    [
        (0.1, 0.8, set()),  # both exactly at prod's limits: allowed
        (-0.1, 1.25, set()),
        (0.1001, 1.0, {"bias:DPPL"}),
        (-0.15, 1.0, {"bias:DPPL"}),  # the limit is on |DPPL|: a bias against the other group too
        (0.0, 0.79, {"bias:DI"}),
        (0.0, 1.26, {"bias:DI"}),
        (None, 1.0, {"bias:DPPL"}),  # undefined (smclarify's inf/NaN): not in the card, refused
    ],
)
def test_bias_limits_boundaries(platform, dppl, di, failed):
    candidate = gates.Candidate(platform.env("prod"), {}, _bias_card(dppl, di))
    assert {r.gate for r in gates.bias_limits(candidate) if not r.passed} == failed


def test_no_bias_limits_no_bias_gate(platform):
    assert gates.bias_limits(gates.Candidate(platform.env("dev"), {}, _bias_card(0.9, 0.1))) == []


def test_required_sections_gate(seeded, platform, cloud, monkeypatch):
    """A card without business and training details is refused by staging, naming both."""
    from scripts.governance import cards

    make_promotable(platform, "dev", "1")
    real = cards.parse_card

    def stripped(content):
        card = real(content)
        return card.model_copy(update={"business_details": None, "training_details": None}) if card else card

    monkeypatch.setattr(cards, "parse_card", stripped)
    assert _refusal(platform, "staging", "1") == {
        "card_sections": "card lacks section(s) business_details, training_details required by staging"
    }


def test_metric_missing_from_card_read_from_report(seeded, platform, cloud, monkeypatch):
    make_promotable(platform, "dev", "1")
    monkeypatch.setattr(cards, "evaluation_metrics", lambda card: {})
    result = promote_job.promote(platform, "staging", "1")
    assert result["created"] is True


def test_metric_missing_from_card_and_report_is_refused(seeded, platform, cloud, monkeypatch):
    """A metric the target requires that neither the card nor the report carries fails its gate
    (it is not taken to be at the floor), and the refusal names it."""
    make_promotable(platform, "dev", "1")
    monkeypatch.setattr(cards, "evaluation_metrics", lambda card: {})
    s3 = cloud.client("dev", "s3")
    desc = cloud.client("dev", "sagemaker").describe_model_package(
        ModelPackageName=seeded["versions"][0]["arn"]
    )
    key = desc["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"].split("/", 3)[3]
    report = json.loads(s3.get_object(Bucket=cloud.bucket("dev"), Key=key)["Body"].read())
    for section in ("metrics", "binary_classification_metrics"):
        del report[section]["roc_auc"]
    s3.put_object(Bucket=cloud.bucket("dev"), Key=key, Body=json.dumps(report).encode())
    assert _refusal(platform, "staging", "1") == {
        "metric:roc_auc": "roc_auc is not in the card's evaluation metrics nor the evaluation report; "
        "staging requires >= 0.78"
    }
    assert _versions(cloud, "staging") == []


def test_unknown_version_names_the_upstream_environment(seeded, platform, capsys):
    """--version names a version of the environment promoted FROM; the error says which."""
    with pytest.raises(
        UnknownVersionError,
        match=r"unknown version arn:aws:sagemaker:us-east-1:111111111111:model-package/mlgov-credit-risk/42 "
        r"in environment 'dev', where 'staging' promotes from",
    ):
        promote_job.promote(platform, "staging", "42")
    assert promote_job.main(["--env", "staging", "--version", "42"]) == 2
    assert "in environment 'dev'" in capsys.readouterr().err


def test_unknown_environment_cli(seeded, capsys):
    assert promote_job.main(["--env", "qa", "--version", "1"]) == 2
    assert "unknown environment 'qa'" in capsys.readouterr().err


def test_promote_into_first_environment_is_usage_error(seeded, platform):
    with pytest.raises(UsageError, match="promotes from nothing"):
        promote_job.promote(platform, "dev", "1")


def test_refusal_cli_exit_1_names_gates(seeded, capsys):
    assert promote_job.main(["--env", "staging", "--version", "2", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert {f["gate"] for f in out["failures"]} == {"approval", "card_status"}


def test_dry_run_writes_nothing(seeded, platform, cloud):
    make_promotable(platform, "dev", "1")
    result = promote_job.promote(platform, "staging", "1", dry_run=True)
    assert result["gates"] == "passed"
    assert sorted(c.rsplit("/", 1)[1] for c in result["would_copy"]) == sorted(COPIED)
    assert _versions(cloud, "staging") == []
    assert cloud.client("staging", "s3").list_objects_v2(Bucket=cloud.bucket("staging")).get("KeyCount") == 0


# -- resumability -----------------------------------------------------------------------------
class Stop(Exception):
    pass


@pytest.mark.parametrize("step", promote_job.STEPS)
def test_failure_after_each_step_then_rerun(seeded, platform, cloud, step):
    make_promotable(platform, "dev", "1")

    def stop(done):
        if done == step:
            raise Stop(done)

    with pytest.raises(Stop):
        promote_job.promote(platform, "staging", "1", on_step=stop)
    result = promote_job.promote(platform, "staging", "1")
    versions = _versions(cloud, "staging")
    assert len(versions) == 1 and versions[0]["ModelPackageArn"] == result["target_arn"]
    assert len(_objects(cloud, "staging")) == len(COPIED)
    assert [k for k in _objects(cloud, "staging", "promotions/") if k.endswith(".lock")] == []
    promo = [r for r in audit_records(cloud, "staging") if r["what"]["action"] == "promote"]
    assert len(promo) == 1
    sm = cloud.client("staging", "sagemaker")
    assert len(sm.list_associations()["AssociationSummaries"]) == 1


def test_crash_between_create_and_record(seeded, platform, cloud, monkeypatch):
    """The version was created but the run died before noting it: the rerun finds it by the
    token in its metadata instead of creating a second one."""
    make_promotable(platform, "dev", "1")
    real = register.write_record

    def die_after_create(ctx, plan, **state):
        if state.get("state") == "registered":
            raise Stop("killed")
        return real(ctx, plan, **state)

    monkeypatch.setattr(register, "write_record", die_after_create)
    with pytest.raises(Stop):
        promote_job.promote(platform, "staging", "1")
    assert len(_versions(cloud, "staging")) == 1
    monkeypatch.setattr(register, "write_record", real)
    # Even without ClientToken idempotency the metadata scan finds the version.
    result = promote_job.promote(platform, "staging", "1")
    assert result["created"] is False
    assert len(_versions(cloud, "staging")) == 1


def _lock_key(seeded, env="staging", account="222222222222"):
    return f"promotions/{promote_job.promotion_token(seeded['versions'][0]['arn'], account, env)}.lock"


def _plant_lock(cloud, seeded, **body):
    """A lock left by another run (its body as the kit writes it), written now."""
    cloud.client("staging", "s3").put_object(
        Bucket=cloud.bucket("staging"),
        Key=_lock_key(seeded),
        Body=json.dumps(
            {"owner": "other", "who": "arn:aws:sts::222222222222:assumed-role/x/y", **body}
        ).encode(),
    )


def _later(monkeypatch, seconds):
    """The lock's clock moved ``seconds`` ahead (its heartbeat ages without waiting)."""
    from scripts.governance.promote import lock

    moved = datetime.now(UTC) + timedelta(seconds=seconds)
    monkeypatch.setattr(lock, "_now", lambda: moved)


def test_a_lock_whose_heartbeat_is_older_than_the_ttl_is_taken_over_and_audited(
    seeded, platform, cloud, monkeypatch
):
    make_promotable(platform, "dev", "1")
    _plant_lock(cloud, seeded, host="elsewhere", pid=4242, started="2026-01-01T00:00:00+00:00")
    _later(monkeypatch, promote_job.LOCK_TTL.total_seconds() + 1)
    assert promote_job.promote(platform, "staging", "1", lock_wait_seconds=5)["created"] is True
    [taken] = [r for r in audit_records(cloud, "staging") if r["what"]["action"] == "take-over-lock"]
    assert taken["before"]["lock"]["host"] == "elsewhere" and taken["before"]["lock"]["pid"] == 4242
    assert "no heartbeat for" in taken["why"]


def _dead_pid():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    return int(done.stdout)


def test_a_lock_of_a_process_gone_on_this_host_is_taken_over_at_once(seeded, platform, cloud):
    """Its heartbeat is fresh (written now), but its process on this host is gone: no waiting."""
    import socket

    make_promotable(platform, "dev", "1")
    _plant_lock(cloud, seeded, host=socket.gethostname(), pid=_dead_pid())
    assert promote_job.promote(platform, "staging", "1", lock_wait_seconds=0.5)["created"] is True


def test_a_live_lock_times_out_naming_its_owner(seeded, platform, cloud):
    make_promotable(platform, "dev", "1")
    _plant_lock(cloud, seeded, host="elsewhere", pid=4242, started=datetime.now(UTC).isoformat())
    with pytest.raises(
        promote_job.PromotionConflict,
        match=r"is held by arn:aws:sts::222222222222:assumed-role/x/y on host elsewhere \(pid 4242\).*"
        r"that run is alive",
    ):
        promote_job.promote(platform, "staging", "1", lock_wait_seconds=0.5)
    assert _versions(cloud, "staging") == []


def test_release_lock_refuses_a_live_owner_and_releases_a_dead_one_audited(
    seeded, platform, cloud, monkeypatch, capsys
):
    argv = ["--env", "staging", "--version", "1", "--release-lock"]
    assert promote_job.main(argv) == 0
    assert "nothing released: no run holds the lock" in capsys.readouterr().out
    _plant_lock(cloud, seeded, host="elsewhere", pid=4242, started="2026-01-01T00:00:00+00:00")
    assert promote_job.main(argv) == 1
    err = capsys.readouterr().err
    assert re.search(
        r"held by .* on host elsewhere \(pid 4242\) since 2026-01-01T00:00:00\+00:00, last heartbeat "
        r"\d+ s ago: its owner is alive \(its last heartbeat is \d+ s old, within 30 s\), so it is "
        r"not released",
        err,
    ), err
    assert _objects(cloud, "staging", "promotions/") == [_lock_key(seeded)]
    _later(monkeypatch, 31)
    assert promote_job.main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("released s3://mlgov-staging-artifacts-222222222222/" + _lock_key(seeded))
    assert "now run the promotion again" in out
    assert _objects(cloud, "staging", "promotions/") == []
    [released] = [r for r in audit_records(cloud, "staging") if r["what"]["action"] == "release-lock"]
    assert ":assumed-role/mlgov-staging-promotion/" in released["who"]
    assert released["before"]["lock"]["host"] == "elsewhere" and "no heartbeat for" in released["why"]
    assert promote_job.main([*argv, "--dry-run"]) == 2


def test_the_lock_carries_its_owner_and_a_heartbeat(seeded, platform, cloud, monkeypatch):
    """While the run works, its lock names who, where and since when, and its heartbeat moves."""
    import socket

    from scripts.governance.promote import lock

    monkeypatch.setattr(lock, "LOCK_HEARTBEAT_SECONDS", 0.05)
    make_promotable(platform, "dev", "1")
    s3 = cloud.client("staging", "s3")
    seen = []

    def look(step):
        if step == "lock":
            first = s3.get_object(Bucket=cloud.bucket("staging"), Key=_lock_key(seeded))
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                now = s3.get_object(Bucket=cloud.bucket("staging"), Key=_lock_key(seeded))
                if now["ETag"] != first["ETag"]:
                    break
                time.sleep(0.05)
            seen.append(json.loads(now["Body"].read()))

    promote_job.promote(platform, "staging", "1", on_step=look)
    [body] = seen
    assert body["host"] == socket.gethostname() and body["pid"] == os.getpid()
    assert ":assumed-role/mlgov-staging-promotion/" in body["who"]
    assert body["started"] <= body["heartbeat"]
    assert [k for k in _objects(cloud, "staging", "promotions/") if k.endswith(".lock")] == []


def test_a_run_whose_lock_was_taken_over_stops_before_its_next_step(seeded, platform, cloud, monkeypatch):
    """Another run took the lock over (it presumed this one dead): this run's heartbeat is refused
    (If-Match), and it stops before copying anything."""
    from scripts.governance.promote import lock

    monkeypatch.setattr(lock, "LOCK_HEARTBEAT_SECONDS", 0.05)
    leases = []

    class Watched(lock.Lease):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            leases.append(self)

    monkeypatch.setattr(lock, "Lease", Watched)
    make_promotable(platform, "dev", "1")
    s3 = cloud.client("staging", "s3")

    def taken_over(step):
        if step == "lock":
            s3.put_object(Bucket=cloud.bucket("staging"), Key=_lock_key(seeded), Body=b'{"owner": "usurper"}')
            deadline = time.monotonic() + 30
            while not leases[0].lost and time.monotonic() < deadline:
                time.sleep(0.02)

    with pytest.raises(promote_job.PromotionConflict, match="was taken over by another run"):
        promote_job.promote(platform, "staging", "1", on_step=taken_over)
    assert _objects(cloud, "staging") == [] and _versions(cloud, "staging") == []
    body = json.loads(s3.get_object(Bucket=cloud.bucket("staging"), Key=_lock_key(seeded))["Body"].read())
    assert body == {"owner": "usurper"}, "the other run's lock is not this run's to delete"


def test_concurrent_promotions_give_one_target(seeded, platform, cloud):
    make_promotable(platform, "dev", "1")
    barrier = threading.Barrier(4)

    def run():
        barrier.wait()
        return promote_job.promote(platform, "staging", "1")

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(run) for _ in range(4)]
    results = [f.result() for f in futures]  # re-raises the error of any run
    assert len({r["target_arn"] for r in results}) == 1
    assert sum(r["created"] for r in results) == 1
    assert len(_versions(cloud, "staging")) == 1
    assert len([r for r in audit_records(cloud, "staging") if r["what"]["action"] == "promote"]) == 1


# -- server-side copy --------------------------------------------------------------------------
def _count_calls(client):
    calls = Counter()
    client.meta.events.register("before-call.s3", lambda model, **_: calls.update([model.name]))
    return calls


@pytest.mark.parametrize(
    ("size", "method", "expected_calls"),
    [
        (12 * 1024 * 1024 + 123, "upload_part_copy", {"UploadPartCopy": 3, "CompleteMultipartUpload": 1}),
        (1024 * 1024, "copy_object", {"CopyObject": 1, "UploadPartCopy": 0}),
    ],
)
def test_server_side_copy_by_size(cloud, size, method, expected_calls):
    """From the threshold up the copy goes part by part with UploadPartCopy, below it in one
    CopyObject; either way under the target key, verified, no upload left open."""
    s3 = cloud.client("dev", "s3")
    body = os.urandom(size)
    s3.put_object(
        Bucket=cloud.bucket("dev"),
        Key="models/big/model.tar.gz",
        Body=body,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=cloud.kms_keys["dev"],
        ChecksumAlgorithm="SHA256",
        Metadata={"sha256": hashlib.sha256(body).hexdigest()},
    )
    src_head = s3.head_object(
        Bucket=cloud.bucket("dev"), Key="models/big/model.tar.gz", ChecksumMode="ENABLED"
    )
    calls = _count_calls(s3)
    conditions = []
    s3.meta.events.register(
        "before-parameter-build.s3.*",
        lambda params, model, **_: conditions.append((model.name, params.get("IfNoneMatch"))),
    )

    def copy():
        return promote_job.server_side_copy(
            s3,
            source_bucket=cloud.bucket("dev"),
            source_key="models/big/model.tar.gz",
            bucket=cloud.bucket("staging"),
            key="models/big/model.tar.gz",
            kms_key_arn=cloud.kms_keys["staging"],
            source_head=src_head,
            threshold=5 * 1024 * 1024,
            part_size=5 * 1024 * 1024,
            write_once=True,
        )

    out = copy()
    assert out == {"method": method}
    assert {op: calls[op] for op in expected_calls} == expected_calls
    # The one write that makes the object carries If-None-Match: * (write-once) ...
    final = "CopyObject" if method == "copy_object" else "CompleteMultipartUpload"
    assert [(op, cond) for op, cond in conditions if op == final] == [(final, "*")]
    # ... so a second copy to the same key is refused by S3 and leaves nothing behind.
    with pytest.raises(copy_module.AlreadyWritten, match=r"models/big/model\.tar\.gz"):
        copy()
    assert s3.list_multipart_uploads(Bucket=cloud.bucket("staging")).get("Uploads", []) == []
    assert calls["PutObject"] == calls["UploadPart"] == calls["GetObject"] == 0  # no byte through us
    target = s3.head_object(
        Bucket=cloud.bucket("staging"), Key="models/big/model.tar.gz", ChecksumMode="ENABLED"
    )
    assert promote_job.verify_copy(src_head, target, cloud.kms_keys["staging"]) == []
    assert target["Metadata"]["source-uri"] == f"s3://{cloud.bucket('dev')}/models/big/model.tar.gz"
    assert s3.get_object(Bucket=cloud.bucket("staging"), Key="models/big/model.tar.gz")["Body"].read() == body
    assert s3.list_multipart_uploads(Bucket=cloud.bucket("staging")).get("Uploads", []) == []


def test_verify_detects_a_wrong_copy(cloud):
    src = {"ContentLength": 10, "ETag": '"abc"', "ChecksumSHA256": "A=", "Metadata": {}}
    dst = {
        "ContentLength": 9,
        "ETag": '"abc"',
        "ChecksumSHA256": "B=",
        "SSEKMSKeyId": "other",
        "Metadata": {"source-etag": "xyz"},
    }
    problems = promote_job.verify_copy(src, dst, "key")
    assert len(problems) == 4


def test_access_denied_on_copy_is_clear_and_registers_nothing(seeded, platform, cloud, monkeypatch, capsys):
    """If the upstream bucket policy does not grant the promotion role, the copy is denied: a
    clear error naming the role, exit 1, no target version, no lock left behind."""
    import botocore.client
    from botocore.exceptions import ClientError

    make_promotable(platform, "dev", "1")
    real = botocore.client.BaseClient._make_api_call

    def deny(self, op, params):
        if op == "CopyObject":
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, op)
        return real(self, op, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", deny)
    with pytest.raises(PermissionDeniedError, match=r"CopyObject was denied as .*mlgov-staging-promotion"):
        promote_job.promote(platform, "staging", "1")
    assert promote_job.main(["--env", "staging", "--version", "1"]) == 1
    assert "CopyObject was denied" in capsys.readouterr().err
    assert _versions(cloud, "staging") == []
    assert [k for k in _objects(cloud, "staging", "promotions/") if k.endswith(".lock")] == []


def test_a_baseline_copy_that_does_not_match_stops_the_promotion(seeded, platform, cloud, monkeypatch):
    """The baseline is verified like every other artifact: a constraints.json copy that differs
    from its source (here: the copy step writes other bytes) stops before registration."""
    from scripts.governance.promote import copy as copy_step

    make_promotable(platform, "dev", "1")
    real = copy_step.server_side_copy

    def tamper(s3, **kwargs):
        done = real(s3, **kwargs)
        if kwargs["key"].endswith("baseline/constraints.json"):
            s3.put_object(
                Bucket=kwargs["bucket"],
                Key=kwargs["key"],
                Body=b"{}",
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=kwargs["kms_key_arn"],
                Metadata={"source-etag": kwargs["source_head"]["ETag"].strip('"')},
                ChecksumAlgorithm="SHA256",
            )
        return done

    monkeypatch.setattr(copy_step, "server_side_copy", tamper)
    with pytest.raises(
        Exception,
        match=r"baseline/constraints\.json failed verification, nothing registered: size 2 != source",
    ):
        promote_job.promote(platform, "staging", "1")
    assert _versions(cloud, "staging") == []
