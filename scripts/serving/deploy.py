"""Deploy an approved model version to the use case's real-time endpoint, and take it down.

``mlgov serve`` acts as the environment's model-deploy role (modules/serving.py):

1. Gates, read from the version (nothing is written when one fails, and every failure is named):
   ModelApprovalStatus ``Approved``; card ``Approved``; ModelLifeCycle stage equal to the
   environment's (``lifecycle_stage``, a version of another stage is not this environment's to
   serve); and the archive at ``ModelDataUrl`` hashing to the SHA-256 registration recorded in
   the version's metadata (``mlgov-model-sha256``; a version without it is refused).
2. The inference code (scripts/serving/inference.py, SageMaker's scikit-learn serving contract)
   as ``sourcedir.tar.gz`` under ``serving/code/<sha256>/`` (content-addressed, written once),
   which the container loads through ``SAGEMAKER_SUBMIT_DIRECTORY``.
3. The SageMaker model ``<prefix>-<use case>-v<n>`` from the model package
   (``Containers[].ModelPackageName``, as the SageMaker SDK's ``ModelPackage`` creates it), run as
   the execution role, its container told the card's post-training bias facets
   (``MLGOV_FACET_COLUMNS``: requests may carry them for the bias-drift monitor, the model does
   not take them); its endpoint config of the same name under the platform key, capturing
   requests and responses to ``s3://<artifact bucket>/capture/``.
4. The endpoint ``<prefix>-<use case>``: created, or updated by SageMaker's blue/green deployment
   (all at once, rolled back when the new fleet fails its health checks, or when one of
   ``--rollback-alarm`` goes into ALARM). Waits for ``InService``; a rolled-back update is a
   failure that says the old version still serves.
5. The served version's data-quality baseline (``baseline/`` beside its archive) copied to
   ``Names.served_baseline_prefix``, where the stack's scheduled monitor reads it
   (``data_quality_schedule``, modules/monitoring.py); removed when the version has none, and on
   ``--undeploy``.
6. Records: the version's stage status ``Deployed`` (and ``Retired`` for the version it
   replaced; ``RolledBack`` for a version whose update rolled back), set as the approver role,
   the one writer of a version (review.py); an audit record of who, when, which endpoint; and
   lineage as SageMaker records an endpoint: a context ``Endpoint`` (source: the endpoint ARN),
   an action ``ModelDeployment`` per endpoint config, ``package artifact --ContributedTo-->
   deployment --AssociatedWith--> endpoint``.

Re-running is safe: the model and config are reused, an endpoint already serving the version is
left as it is, and the records are completed. ``--undeploy`` deletes the endpoint and the kit's
models and configs of the use case, and marks the served version ``Retired``.

    mlgov serve --env prod --version 1 --reason "go-live"      [--use-case credit-risk]
    mlgov serve --env prod --undeploy --reason "decommissioned"
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from environments import PlatformConfig
from scripts.aws import describe_client_error, error_code, kit_errors

from ..governance import audit, lineage, review
from ..governance.baseline import BASELINE_DIR, CONSTRAINTS, STATISTICS
from ..governance.context import EnvContext, env_context, paginate, resolve_use_case
from ..governance.errors import GateFailure, GovernanceError, RefusedError, UsageError
from ..governance.metadata import META_MODEL_SHA256, STAGE_DEPLOYED
from ..governance.versions import describe_version, resolve_version, version_number
from . import bias_drift

logger = logging.getLogger(__name__)

ROLE = "model_deploy"
INFERENCE = Path(__file__).with_name("inference.py")
#: The container finds the user module by these (SageMaker scikit-learn container contract).
PROGRAM = "inference.py"
VARIANT = "AllTraffic"
DEFAULT_INSTANCE_TYPE = "ml.m5.large"
DEFAULT_TIMEOUT_S = 900.0
#: Statuses of an endpoint on its way somewhere (DescribeEndpoint EndpointStatus).
MOVING = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting")
STAGE_RETIRED, STAGE_ROLLED_BACK = "Retired", "RolledBack"


@dataclass(frozen=True)
class Target:
    """Where a version is served: the context (model-deploy role) and the names."""

    ctx: EnvContext
    use_case: str

    @property
    def endpoint(self) -> str:
        return self.ctx.names.endpoint_name(self.use_case)

    def resource_name(self, version: int) -> str:
        return self.ctx.names.serving_name(self.use_case, version)

    @property
    def sm(self) -> Any:
        return self.ctx.client("sagemaker")


def target(
    platform: PlatformConfig, env: str, use_case: str | None, *, job: str, source: boto3.Session | None
) -> Target:
    ctx = env_context(platform, env, ROLE, job=job, source=source)
    return Target(ctx, resolve_use_case(ctx.env, use_case))


# -- gates ---------------------------------------------------------------------------------------
def model_data_url(desc: dict[str, Any]) -> str:
    containers = (desc.get("InferenceSpecification") or {}).get("Containers") or []
    return str(next((c["ModelDataUrl"] for c in containers if c.get("ModelDataUrl")), ""))


def baseline_of(desc: dict[str, Any]) -> str:
    """Where the version's data-quality baseline lives: ``baseline/`` beside its archive."""
    model = model_data_url(desc)
    return f"{model.rsplit('/', 1)[0]}/{BASELINE_DIR}" if model else ""


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def artifact_sha256(ctx: EnvContext, uri: str) -> str:
    """SHA-256 of the object at ``uri``, streamed."""
    bucket, key = split_s3(uri)
    digest = hashlib.sha256()
    with kit_errors(ctx.role_arn):
        body = ctx.client("s3").get_object(Bucket=bucket, Key=key)["Body"]
        for chunk in iter(lambda: body.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def gate_failures(ctx: EnvContext, desc: dict[str, Any]) -> list[GateFailure]:
    """Every reason the version may not be served in ``ctx.env``; empty when it may."""
    failures: list[GateFailure] = []
    approval = desc.get("ModelApprovalStatus")
    if approval != "Approved":
        failures.append(
            GateFailure(
                "approval", f"the version is {approval}, not Approved (mlgov approve)", approval, "Approved"
            )
        )
    card = (desc.get("ModelCard") or {}).get("ModelCardStatus")
    if card != "Approved":
        failures.append(
            GateFailure(
                "card_status",
                f"its model card is {card}, not Approved (mlgov review --status Approved)",
                card,
                "Approved",
            )
        )
    stage = (desc.get("ModelLifeCycle") or {}).get("Stage")
    expected = ctx.lifecycle_stage
    if stage != expected:
        failures.append(
            GateFailure(
                "stage",
                f"its lifecycle stage is {stage}, not {expected!r}, the stage of environment "
                f"{ctx.env.name!r} (promote it here first: mlgov promote --env {ctx.env.name})",
                stage,
                expected,
            )
        )
    recorded = (desc.get("CustomerMetadataProperties") or {}).get(META_MODEL_SHA256)
    uri = model_data_url(desc)
    if not recorded:
        failures.append(
            GateFailure(
                "checksum",
                f"the version records no artifact checksum ({META_MODEL_SHA256}): register it with the kit",
                None,
                "a recorded SHA-256",
            )
        )
    elif not uri:
        failures.append(GateFailure("checksum", "the version names no model artifact (ModelDataUrl)"))
    else:
        actual = artifact_sha256(ctx, uri)
        if actual != recorded:
            failures.append(
                GateFailure(
                    "checksum",
                    f"{uri} hashes to {actual}, not the {recorded} recorded at registration: "
                    "the artifact changed after it was approved",
                    actual,
                    recorded,
                )
            )
    return failures


def approved_version(t: Target, version: str, *, refusal: str) -> tuple[str, dict[str, Any]]:
    """``version``'s model package ARN and description once every gate of
    :func:`gate_failures` passes; otherwise :class:`RefusedError` naming each failed gate, with
    ``refusal`` (``{arn}`` replaced by the version's ARN) as its message. What ``mlgov serve``
    and ``mlgov batch`` check before they create anything."""
    arn = resolve_version(t.ctx, t.use_case, version)
    desc = describe_version(t.ctx, arn)
    failures = gate_failures(t.ctx, desc)
    if failures:
        raise RefusedError(refusal.replace("{arn}", arn), failures)
    return arn, desc


# -- SageMaker resources ---------------------------------------------------------------------------
def source_dir() -> tuple[bytes, str]:
    """``sourcedir.tar.gz`` of the inference script (deterministic bytes) and its SHA-256."""
    from ..governance.train import tar_gz

    data = tar_gz({PROGRAM: INFERENCE.read_bytes()})
    return data, hashlib.sha256(data).hexdigest()


def publish_code(t: Target) -> str:
    """The code archive's S3 URI, uploaded once per content."""
    ctx = t.ctx
    data, digest = source_dir()
    key = f"{ctx.names.serving_code_prefix}code/{digest}/sourcedir.tar.gz"
    s3 = ctx.client("s3")
    try:
        s3.head_object(Bucket=ctx.artifact_bucket, Key=key)
    except ClientError as err:
        if error_code(err) not in ("404", "NoSuchKey", "NotFound"):
            raise
        with kit_errors(ctx.role_arn):
            s3.put_object(
                Bucket=ctx.artifact_bucket,
                Key=key,
                Body=data,
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=ctx.kms_key_arn,
            )
    return f"s3://{ctx.artifact_bucket}/{key}"


def _missing(err: ClientError) -> bool:
    message = str(err.response.get("Error", {}).get("Message", "")).lower()
    return error_code(err) in ("ValidationException", "ResourceNotFound") and (
        "could not find" in message or "does not exist" in message or "not found" in message
    )


def _describe(call: Callable[..., Any], role_arn: str, **kwargs: Any) -> dict[str, Any] | None:
    """A Describe call's answer, or None when the resource does not exist."""
    try:
        return dict(call(**kwargs))
    except ClientError as err:
        if _missing(err):
            return None
        raise describe_client_error(err, role_arn=role_arn) from err


def ensure_model(t: Target, arn: str, code_uri: str, facets: Sequence[str] = ()) -> str:
    """The version's SageMaker Model. ``facets`` (the card's post-training bias facets) go into
    the container's ``MLGOV_FACET_COLUMNS``: requests may carry them for the bias-drift monitor
    without the model taking them (scripts/serving/inference.py, bias_drift.py)."""
    name = t.resource_name(version_number(arn))
    existing = _describe(t.sm.describe_model, t.ctx.role_arn, ModelName=name)
    if existing is not None:
        packages = [c.get("ModelPackageName") for c in existing.get("Containers") or []]
        if arn not in packages:
            raise GovernanceError(
                f"model {name} exists but serves {packages or 'no model package'}, not {arn}: "
                f"delete it (mlgov serve --env {t.ctx.env.name} --undeploy) and deploy again"
            )
        return name
    execution = t.ctx.param(t.ctx.names.ssm_role_arn("execution"))
    environment = {"SAGEMAKER_PROGRAM": PROGRAM, "SAGEMAKER_SUBMIT_DIRECTORY": code_uri}
    if facets:
        environment[bias_drift.FACET_COLUMNS_VAR] = ",".join(facets)
    with kit_errors(t.ctx.role_arn):
        t.sm.create_model(
            ModelName=name,
            ExecutionRoleArn=execution,
            Containers=[{"ModelPackageName": arn, "Environment": environment}],
        )
    return name


def publish_served_baseline(t: Target, desc: dict[str, Any]) -> str | None:
    """The served version's data-quality baseline copied to ``Names.served_baseline_prefix``,
    where the stack's scheduled monitor (``data_quality_schedule``) reads it, so each scheduled
    run compares the traffic with the baseline of the version serving it; its S3 URI. A version
    without a baseline removes the one there (None): a scheduled run then fails saying the
    baseline is missing, rather than judging the new version by the old one's training data."""
    ctx = t.ctx
    s3 = ctx.client("s3")
    target_prefix = ctx.names.served_baseline_prefix(t.use_case)
    source = baseline_of(desc)
    documents: dict[str, bytes] = {}
    with kit_errors(ctx.role_arn, allow=("NoSuchKey", "404")):
        for name in (STATISTICS, CONSTRAINTS):
            bucket, key = split_s3(f"{source}{name}")
            documents[name] = s3.get_object(Bucket=bucket, Key=key)["Body"].read() if source else b""
    with kit_errors(ctx.role_arn):
        if source and len(documents) == 2 and all(documents.values()):
            for name, body in documents.items():
                s3.put_object(
                    Bucket=ctx.artifact_bucket,
                    Key=f"{target_prefix}{name}",
                    Body=body,
                    ContentType="application/json",
                    ServerSideEncryption="aws:kms",
                    SSEKMSKeyId=ctx.kms_key_arn,
                )
            return f"s3://{ctx.artifact_bucket}/{target_prefix}"
        remove_served_baseline(t)
    return None


def remove_served_baseline(t: Target) -> None:
    s3 = t.ctx.client("s3")
    prefix = t.ctx.names.served_baseline_prefix(t.use_case)
    with kit_errors(t.ctx.role_arn):
        for name in (STATISTICS, CONSTRAINTS):
            s3.delete_object(Bucket=t.ctx.artifact_bucket, Key=f"{prefix}{name}")


def capture_uri(t: Target) -> str:
    return f"s3://{t.ctx.artifact_bucket}/{t.ctx.names.capture_prefix.rstrip('/')}"


def ensure_config(t: Target, model: str, *, instance_type: str, instance_count: int) -> str:
    name = model
    if _describe(t.sm.describe_endpoint_config, t.ctx.role_arn, EndpointConfigName=name) is not None:
        return name
    key = t.ctx.kms_key_arn
    with kit_errors(t.ctx.role_arn):
        t.sm.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[
                {
                    "VariantName": VARIANT,
                    "ModelName": model,
                    "InstanceType": instance_type,
                    "InitialInstanceCount": instance_count,
                }
            ],
            KmsKeyId=key,
            DataCaptureConfig={
                "EnableCapture": True,
                "InitialSamplingPercentage": 100,
                "DestinationS3Uri": capture_uri(t),
                "KmsKeyId": key,
                "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
                "CaptureContentTypeHeader": {
                    "CsvContentTypes": ["text/csv"],
                    "JsonContentTypes": ["application/json"],
                },
            },
        )
    return name


def blue_green(alarms: Sequence[str]) -> dict[str, Any]:
    """SageMaker's blue/green update, all at once: green takes every request once it passed its
    health checks; a green that fails them, or an alarm in ALARM while traffic is on green, rolls
    back to blue, which answered throughout."""
    config: dict[str, Any] = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
            "TerminationWaitInSeconds": 0,
            "MaximumExecutionTimeoutInSeconds": 1800,
        }
    }
    if alarms:
        config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in alarms]}
    return config


def served_version(t: Target, endpoint: dict[str, Any]) -> str | None:
    """The model package the endpoint's current config serves (None if it is not the kit's)."""
    config = _describe(
        t.sm.describe_endpoint_config, t.ctx.role_arn, EndpointConfigName=endpoint["EndpointConfigName"]
    )
    for variant in (config or {}).get("ProductionVariants") or []:
        model = _describe(t.sm.describe_model, t.ctx.role_arn, ModelName=variant["ModelName"])
        for container in (model or {}).get("Containers") or []:
            if container.get("ModelPackageName"):
                return str(container["ModelPackageName"])
    return None


def wait_settled(t: Target, timeout: float, *, poll: float = 1.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        with kit_errors(t.ctx.role_arn):
            described: dict[str, Any] = t.sm.describe_endpoint(EndpointName=t.endpoint)
        if described["EndpointStatus"] not in MOVING:
            return described
        if time.monotonic() > deadline:
            raise GovernanceError(
                f"endpoint {t.endpoint} is still {described['EndpointStatus']} after {timeout:.0f} s; "
                f"run the same command again to keep waiting"
            )
        time.sleep(poll)


# -- records ---------------------------------------------------------------------------------------
def record_stage(
    platform: PlatformConfig,
    t: Target,
    arn: str,
    status: str,
    reason: str,
    source: boto3.Session | None,
) -> dict[str, Any]:
    """The version's stage status, set as the approver role: the only writer of a version in
    strict tiers (separation of duties); review.py audits it."""
    return review.set_stage_status(
        platform, t.ctx.env.name, arn, status, reason, use_case=t.use_case, role="approver", source=source
    )


def require_reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise UsageError("--reason is required: say why, it goes into the audit record")
    return reason.strip()


# -- the jobs --------------------------------------------------------------------------------------
def serve(
    platform: PlatformConfig,
    env: str,
    version: str,
    reason: str,
    *,
    use_case: str | None = None,
    instance_type: str = DEFAULT_INSTANCE_TYPE,
    instance_count: int = 1,
    rollback_alarms: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT_S,
    dry_run: bool = False,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """Deploy ``version`` of the use case to its endpoint in ``env`` (see the module docstring)."""
    reason = require_reason(reason)
    if instance_count < 1:
        raise UsageError(f"--instance-count must be at least 1, got {instance_count}")
    t = target(platform, env, use_case, job="serve", source=source)
    ctx = t.ctx
    arn, desc = approved_version(
        t, version, refusal=f"refused to deploy {{arn}} to {t.endpoint} in {ctx.env.name}"
    )
    existing = _describe(t.sm.describe_endpoint, ctx.role_arn, EndpointName=t.endpoint)
    previous = served_version(t, existing) if existing else None
    result: dict[str, Any] = {
        "environment": ctx.env.name,
        "use_case": t.use_case,
        "endpoint": t.endpoint,
        "model_package_arn": arn,
        "version": version_number(arn),
        "previous": previous,
        "dry_run": dry_run,
    }
    if existing and existing["EndpointStatus"] in MOVING:
        raise GovernanceError(
            f"endpoint {t.endpoint} is {existing['EndpointStatus']}; wait for it to settle, then run again"
        )
    if existing and existing["EndpointStatus"] == "Failed" and previous != arn:
        raise GovernanceError(
            f"endpoint {t.endpoint} is Failed ({existing.get('FailureReason')}); SageMaker cannot update a "
            f"failed endpoint: mlgov serve --env {ctx.env.name} --undeploy, then deploy again"
        )
    action = "unchanged" if previous == arn else ("update" if existing else "create")
    if dry_run:
        return {**result, "action": action, "changed": False, "would_change": action != "unchanged"}

    started = time.monotonic()
    code = publish_code(t)
    model = ensure_model(t, arn, code, bias_drift.facet_columns(bias_drift.card_json(desc)))
    config = ensure_config(t, model, instance_type=instance_type, instance_count=instance_count)
    with kit_errors(ctx.role_arn):
        if action == "create":
            t.sm.create_endpoint(EndpointName=t.endpoint, EndpointConfigName=config)
        elif action == "update":
            t.sm.update_endpoint(
                EndpointName=t.endpoint,
                EndpointConfigName=config,
                DeploymentConfig=blue_green(rollback_alarms),
            )
    described = wait_settled(t, timeout)
    seconds = round(time.monotonic() - started, 2)
    result.update(
        action=action,
        endpoint_arn=described["EndpointArn"],
        endpoint_config=config,
        model=model,
        code_uri=code,
        capture_uri=f"{capture_uri(t)}/{t.endpoint}/{VARIANT}/",
        status=described["EndpointStatus"],
        seconds=seconds,
    )
    if described["EndpointStatus"] == "Failed":
        raise GovernanceError(
            f"endpoint {t.endpoint} failed to deploy {arn}: {described.get('FailureReason')}; "
            f"mlgov serve --env {ctx.env.name} --undeploy removes it"
        )
    if described["EndpointConfigName"] != config:
        # The blue/green update rolled back: blue still serves.
        record_stage(platform, t, arn, STAGE_ROLLED_BACK, f"blue/green update rolled back: {reason}", source)
        raise GovernanceError(
            f"the update of {t.endpoint} to {arn} rolled back ({described.get('FailureReason')}); "
            f"{previous or described['EndpointConfigName']} still serves"
        )
    with kit_errors(ctx.role_arn):
        result["lineage"] = lineage.record_endpoint_deployment(
            t.sm,
            package_arn=arn,
            env=ctx.env.name,
            endpoint_arn=described["EndpointArn"],
            config_arn=_config_arn(t, config),
            properties={"model": model, "code": code, "reason": reason},
        )
    result["monitoring_baseline"] = publish_served_baseline(t, desc)
    if previous and previous != arn:
        record_stage(
            platform, t, previous, STAGE_RETIRED, f"replaced on {t.endpoint} by {arn}: {reason}", source
        )
    staged = record_stage(platform, t, arn, STAGE_DEPLOYED, reason, source)
    result["stage"] = staged["after"]
    if action != "unchanged" or staged["changed"]:
        rec = audit.record(
            ctx,
            action="deploy",
            model_package_arn=arn,
            group=desc["ModelPackageGroupName"],
            version=version_number(arn),
            reason=reason,
            before={"Endpoint": t.endpoint, "ServedVersion": previous},
            after={"Endpoint": t.endpoint, "ServedVersion": arn, "EndpointConfigName": config},
            extra={
                k: result[k]
                for k in ("action", "endpoint_arn", "model", "code_uri", "capture_uri", "seconds")
            },
        )
        result.update(audit_key=rec["key"], who=rec["who"])
    result["changed"] = action != "unchanged"
    return result


def _config_arn(t: Target, config: str) -> str:
    env = t.ctx.env
    return f"arn:aws:sagemaker:{env.region}:{env.account_id}:endpoint-config/{config.lower()}"


def undeploy(
    platform: PlatformConfig,
    env: str,
    reason: str,
    *,
    use_case: str | None = None,
    dry_run: bool = False,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """Delete the use case's endpoint, and the kit's models and endpoint configs of it."""
    reason = require_reason(reason)
    t = target(platform, env, use_case, job="serve", source=source)
    ctx = t.ctx
    existing = _describe(t.sm.describe_endpoint, ctx.role_arn, EndpointName=t.endpoint)
    previous = served_version(t, existing) if existing else None
    prefix = f"{t.endpoint}-v"
    with kit_errors(ctx.role_arn):
        configs = [
            c["EndpointConfigName"]
            for c in paginate(t.sm, "list_endpoint_configs", "EndpointConfigs", NameContains=prefix)
            if c["EndpointConfigName"].startswith(prefix)
        ]
        models = [
            m["ModelName"]
            for m in paginate(t.sm, "list_models", "Models", NameContains=prefix)
            if m["ModelName"].startswith(prefix)
        ]
    result: dict[str, Any] = {
        "environment": ctx.env.name,
        "use_case": t.use_case,
        "endpoint": t.endpoint,
        "action": "undeploy",
        "previous": previous,
        "deleted": {
            "endpoint": [t.endpoint] if existing else [],
            "endpoint_configs": configs,
            "models": models,
        },
        "dry_run": dry_run,
    }
    if dry_run or not (existing or configs or models):
        return {**result, "changed": False, "would_change": bool(existing or configs or models)}
    remove_served_baseline(t)
    with kit_errors(ctx.role_arn):
        if existing:
            t.sm.delete_endpoint(EndpointName=t.endpoint)
        for name in configs:
            t.sm.delete_endpoint_config(EndpointConfigName=name)
        for name in models:
            t.sm.delete_model(ModelName=name)
    if previous:
        record_stage(platform, t, previous, STAGE_RETIRED, f"undeployed from {t.endpoint}: {reason}", source)
        rec = audit.record(
            ctx,
            action="undeploy",
            model_package_arn=previous,
            group=ctx.group_name(t.use_case),
            version=version_number(previous),
            reason=reason,
            before={"Endpoint": t.endpoint, "ServedVersion": previous},
            after={"Endpoint": None, "ServedVersion": None},
            extra={"deleted": result["deleted"]},
        )
        result.update(audit_key=rec["key"], who=rec["who"])
    return {**result, "changed": True}


def render(result: dict[str, Any]) -> str:
    if result["action"] == "undeploy":
        deleted = result["deleted"]
        if not result.get("changed"):
            state = "would delete" if result.get("would_change") else "nothing to undeploy"
        else:
            state = "deleted"
        return (
            f"{result['endpoint']} ({result['environment']}): {state}: endpoint {deleted['endpoint'] or '-'}, "
            f"{len(deleted['endpoint_configs'])} endpoint config(s), {len(deleted['models'])} model(s)"
            + (f"; {result['previous']} Retired" if result.get("changed") and result.get("previous") else "")
        )
    if result.get("dry_run"):
        return f"{result['endpoint']} ({result['environment']}): would {result['action']} to serve {result['model_package_arn']}"
    lines = [
        f"{result['endpoint']} ({result['environment']}): {result['status']}, serving "
        f"{result['model_package_arn']} ({result['action']}, {result['seconds']} s)",
        f"  replaced: {result['previous']}"
        if result.get("previous") and result["previous"] != result["model_package_arn"]
        else "",
        f"  data capture: {result['capture_uri']}",
        f"  baseline for a scheduled monitor: {result['monitoring_baseline']}"
        if result.get("monitoring_baseline")
        else "",
        f"  audit: {result['audit_key']}" if result.get("audit_key") else "",
        f"  try it: mlgov invoke --env {result['environment']} --use-case {result['use_case']} --csv rows.csv",
    ]
    return "\n".join(line for line in lines if line)
