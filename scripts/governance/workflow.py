"""The governance workflow ``make demo`` runs once the stacks are applied, step by step.

:func:`run_workflow` has the data engineer publish the credit dataset to the DataZone catalog, the
use case subscribe and the data owner approve, builds the first version with the use case's
SageMaker Pipeline from the subscribed data (:func:`data_and_pipeline`; ``pipeline=False``, where
no DataZone domain or pipeline runs (moto in process), seeds it instead), seeds the first
environment of the chain with the other sample versions, reviews and approves, promotes along the chain behind each environment's gates (a data scientist's attempt to
approve in the first strict environment is denied by IAM: separation of duties), serves the last
environment's version on its endpoint as the model-deploy role (:func:`serve_and_monitor`: a
handful of predictions, an unapproved version's deployment refused with the reasons, drifted
traffic flagged by the monitor against the version's data-quality baseline), shows its card's
evaluation, its lineage back to the subscribed dataset and the catalog searched by a business term
(:func:`lineage_and_catalog`), has the biased and the weak samples refused by the gates that must
refuse them, and prints the report. ``ready(env)`` is called before the workflow first acts in an
environment (the demo waits there for that environment's apply). ``scripts.demo`` runs it after
deploying; ``tests/e2e/test_workflow.py`` runs it against the session's deployed cloud, and
``tests/governance/test_cli_and_demo.py`` against moto in process.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3

from environments import PlatformConfig
from scripts import command

from . import evaluation, review
from . import promote as promote_job
from . import report as report_job
from . import seed as seed_job
from .cards import parse_card
from .context import env_context
from .errors import PermissionDeniedError, RefusedError
from .metadata import DATASET_ASSET_KEY, DATASET_REVISION_KEY
from .train import DEFAULT_SPECS, TrainingResult, TrainingSpec
from .versions import describe_version, list_versions, resolve_version, version_number

#: How many of the strongest feature attributions the demo prints.
TOP_FEATURES = 4


def _approve(
    platform: PlatformConfig,
    env: str,
    version: str,
    say: Callable[[str], None],
    source: boto3.Session | None,
    *,
    card_from: str,
) -> None:
    """Card review to Approved (from ``card_from``), then the version approved, as the approver."""
    steps = ["PendingReview", "Approved"] if card_from == "Draft" else ["Approved"]
    for status in steps:
        r = review.set_card_status(
            platform, env, version, status, f"demo: card reviewed ({status})", source=source
        )
        say(f"  {env} v{version}: card {r['before']['ModelCardStatus']} -> {status}")
    r = review.set_approval(platform, env, version, "demo: metrics and card reviewed", source=source)
    say(f"  {env} v{version}: approval {r['before']['ModelApprovalStatus']} -> Approved (approver role)")
    catalog = r.get("catalog") or {}
    if catalog.get("action") in ("published", "unchanged"):
        say(
            f"  DataZone catalog: {catalog['asset_name']} revision {catalog['revision']} lists v{version} "
            f"({catalog['action']})"
        )
    elif catalog.get("action") == "skipped":
        say(f"  DataZone catalog: not published ({catalog['why']})")


def _separation_of_duties(
    platform: PlatformConfig,
    env: str,
    version: str,
    say: Callable[[str], None],
    source: boto3.Session | None,
) -> dict[str, Any]:
    """A data scientist tries to change the approval of ``env``'s version: IAM must deny it.

    The attempt asks for a decision other than the current one, so a call is really made on every
    run (the job skips a change to the value already set). Without IAM enforcement the call goes
    through; that is reported as it happened, never as a denial."""
    ctx = env_context(platform, env, "approver", job="demo", source=source)
    current = describe_version(ctx, resolve_version(ctx, _use_case(platform, env), version)).get(
        "ModelApprovalStatus"
    )
    decision = "Rejected" if current == "Approved" else "Approved"
    say(f"  a data scientist tries to set {env} v{version} {decision} (expected: denied by IAM)")
    try:
        review.set_approval(
            platform,
            env,
            version,
            "demo: separation-of-duties check",
            decision=decision,
            role="data_scientist",
            source=source,
        )
    except PermissionDeniedError as denied:
        say(f"  DENIED (as expected): {denied}")
        return {"env": env, "decision": decision, "denied": True, "error": str(denied)}
    say(
        f"  NOT DENIED: the data-scientist role set {env} v{version} {decision}. This local cloud "
        "does not enforce IAM (started with --no-enforce-iam?); on AWS, and on a local cloud with "
        "IAM enforced, this call is denied. The approver's decision below replaces it."
    )
    return {"env": env, "decision": decision, "denied": False, "error": None}


def _use_case(platform: PlatformConfig, env: str) -> str:
    return platform.env(env).use_cases[0].name


def evaluation_sections(card: Any) -> dict[str, Any]:
    """The card's evaluation as the demo prints it: quality metrics, pre- and post-training bias
    metrics (Clarify names) and the strongest global feature attributions."""
    out: dict[str, Any] = {
        "quality": {},
        "pre_training_bias": {},
        "post_training_bias": {},
        "top_features": [],
    }
    key = {
        evaluation.EVAL_PRE_BIAS: "pre_training_bias",
        evaluation.EVAL_POST_BIAS: "post_training_bias",
    }
    for item in (card.evaluation_details if card is not None else None) or []:
        values = {
            m.name: float(m.value)
            for group in item.metric_groups or []
            for m in group.metric_data
            if isinstance(getattr(m, "value", None), (int, float)) and not isinstance(m.value, bool)
        }
        if item.name == evaluation.EVAL_EXPLAINABILITY:
            out["top_features"] = sorted(values.items(), key=lambda kv: -abs(kv[1]))[:TOP_FEATURES]
        else:
            out[key.get(item.name, "quality")].update(values)
    return out


def _show_evaluation(sections: dict[str, Any], say: Callable[[str], None]) -> None:
    def line(values: dict[str, float]) -> str:
        return ", ".join(f"{k} {v:.3f}" for k, v in sorted(values.items())) or "(none)"

    say(f"  quality:            {line(sections['quality'])}")
    say(f"  pre-training bias:  {line(sections['pre_training_bias'])}")
    say(f"  post-training bias: {line(sections['post_training_bias'])}")
    top = ", ".join(f"{name} {value:.3f}" for name, value in sections["top_features"]) or "(none)"
    say(f"  explainability (mean |SHAP|, top {TOP_FEATURES}): {top}")


def _expect_refusal(
    platform: PlatformConfig,
    env: str,
    version: str,
    say: Callable[[str], None],
    source: boto3.Session | None,
    *,
    gate_prefix: str,
) -> dict[str, Any]:
    """Promote ``version`` into ``env``; it must be refused by a gate starting with ``gate_prefix``."""
    try:
        promote_job.promote(platform, env, version, source=source)
    except RefusedError as refusal:
        say(f"  REFUSED (as expected): {len(refusal.failures)} gate(s) failed")
        for failure in refusal.failures:
            say(f"    - {failure.gate}: {failure.reason}")
        if not any(f.gate.startswith(gate_prefix) for f in refusal.failures):
            raise AssertionError(
                f"promotion into {env} was refused, but not by a {gate_prefix} gate"
            ) from None
        return refusal.to_dict()
    raise AssertionError(f"promotion of v{version} into {env} was not refused by its {gate_prefix} gate")


#: Rows of the credit data the demo sends the endpoint: a handful to show, then drifted traffic.
SHOWN_ROWS = 5
DRIFTED_ROWS = 40
#: How long the demo waits for the monitor to see the drifted traffic (captured records reach S3
#: within the capture flush; a run that saw only part of them is repeated).
MONITOR_DEADLINE_S = 120.0


def _csv(matrix: Any) -> str:
    return "\n".join(",".join(repr(float(v)) for v in row) for row in matrix)


def traffic(features: Sequence[str]) -> tuple[Any, Any]:
    """``(shown, drifted)``: the last rows of the credit data (applicants like those trained on)
    and rows whose income is tripled and debt-to-income raised by 0.4 (the drift the monitor must
    flag), in the model's column order."""
    from . import credit_data

    matrix = credit_data.generate().features(tuple(features))
    shown = matrix[-SHOWN_ROWS:]
    drifted = matrix[-SHOWN_ROWS - DRIFTED_ROWS : -SHOWN_ROWS].copy()
    drifted[:, list(features).index("income_k")] *= 3
    drifted[:, list(features).index("debt_to_income")] += 0.4
    return shown, drifted


def served_features() -> tuple[str, ...]:
    """The input columns of the version the demo serves: the first version, a logistic regression
    on the financial features (seed's first spec, and the pipeline's default ``features``
    hyperparameter: a test checks they agree)."""
    return DEFAULT_SPECS[0].features


def _unapproved(platform: PlatformConfig, env: str, source: boto3.Session | None) -> str | None:
    """The newest version of ``env`` that is not approved or whose card is not, if any."""
    ctx = env_context(platform, env, "approver", job="demo", source=source)
    group = ctx.param(ctx.names.ssm_group_name(_use_case(platform, env)))
    for summary in sorted(list_versions(ctx, group), key=lambda v: -version_number(v["ModelPackageArn"])):
        desc = describe_version(ctx, summary["ModelPackageArn"])
        if "Approved" not in (
            desc.get("ModelApprovalStatus"),
            (desc.get("ModelCard") or {}).get("ModelCardStatus"),
        ):
            return str(version_number(summary["ModelPackageArn"]))
    return None


def serve_and_monitor(
    platform: PlatformConfig,
    env: str,
    version: str,
    features: Sequence[str],
    say: Callable[[str], None],
    step: Iterator[int],
    source: boto3.Session | None,
    *,
    refuse_from: str,
) -> dict[str, Any]:
    """Deploy ``env``'s ``version`` to its endpoint as the model-deploy role, send it a handful of
    rows, have a version of ``refuse_from`` that is not approved refused, send drifted rows and
    run the monitor against the version's baseline; its violations must name the drift."""
    from scripts.serving import deploy, runtime  # the serving jobs: loaded when the demo serves

    say(f"{next(step)}. serve {env} v{version} (model-deploy role: approval, card, stage and checksum gates)")
    served = deploy.serve(platform, env, version, "demo: serve the approved version", source=source)
    stage = served["stage"] or {}
    say(
        f"  {served['endpoint']}: {served['status']} ({served['action']}); "
        f"lifecycle {stage.get('Stage')} {stage.get('StageStatus')}"
    )
    shown, drifted = traffic(features)
    say(f"{next(step)}. invoke {served['endpoint']} with {len(shown)} applicants")
    answer = runtime.invoke(platform, env, _csv(shown), source=source)
    say(f"  {'  '.join(f'{n:>8.8}' for n in features)}  ->  label  P(good)")
    for row, p in zip(shown, answer["predictions"], strict=True):
        say(f"  {'  '.join(f'{v:8.2f}' for v in row)}  ->  {p['predicted_label']:5d}  {p['probability']:.3f}")

    out: dict[str, Any] = {"served": served, "predictions": answer["predictions"], "refused": None}
    pending = _unapproved(platform, refuse_from, source)
    if pending is None:
        say(
            f"{next(step)}. no version of {refuse_from} is unapproved any more (an earlier run approved "
            "them): no unapproved deployment to refuse this time"
        )
    else:
        say(f"{next(step)}. serve {refuse_from} v{pending}, not approved (expected: refused)")
        try:
            deploy.serve(platform, refuse_from, pending, "demo: an unapproved version", source=source)
        except RefusedError as refusal:
            say(f"  REFUSED (as expected): {refusal}")
            for failure in refusal.failures:
                say(f"    - {failure.gate}: {failure.reason}")
            out["refused"] = refusal.to_dict()
        else:
            raise AssertionError(f"serving unapproved {refuse_from} v{pending} was not refused")

    say(
        f"{next(step)}. send {len(drifted)} drifted applicants (income x3, debt-to-income +0.4), then "
        "run the monitor against the version's baseline"
    )
    runtime.invoke(platform, env, _csv(drifted), source=source)
    deadline = time.monotonic() + MONITOR_DEADLINE_S
    while True:
        checked = runtime.monitor(platform, env, source=source)
        drift = [v for v in checked["violations"] if v["constraint_check_type"] == "baseline_drift_check"]
        if drift or time.monotonic() > deadline:
            break
    for line in runtime.render_monitor(checked).splitlines():
        say(f"  {line}")
    if not {"income_k", "debt_to_income"} <= {v["feature_name"] for v in drift}:
        raise AssertionError(
            f"the monitor did not flag the drift of income_k and debt_to_income: {checked['status']}, "
            f"{checked['exit_message']}"
        )
    out["monitor"] = checked
    return out


#: The business term the demo searches the catalog for (the card's line of business).
CATALOG_TERM = "retail lending"


def _pipeline_version(platform: PlatformConfig, env: str, dataset: dict[str, Any], source: Any) -> str | None:
    """The newest version of ``env`` whose card says it was built from ``dataset``'s asset
    revision (what the pipeline records), if any: a second run of the workflow builds nothing twice."""
    ctx = env_context(platform, env, "approver", job="demo", source=source)
    group = ctx.param(ctx.names.ssm_group_name(_use_case(platform, env)))
    for summary in sorted(list_versions(ctx, group), key=lambda v: -version_number(v["ModelPackageArn"])):
        content = (describe_version(ctx, summary["ModelPackageArn"]).get("ModelCard") or {}).get(
            "ModelCardContent"
        )
        details = ((json.loads(content) if content else {}).get("additional_information") or {}).get(
            "custom_details"
        ) or {}
        if (details.get(DATASET_ASSET_KEY), details.get(DATASET_REVISION_KEY)) == (
            dataset["asset_id"],
            str(dataset["revision"]),
        ):
            return str(version_number(summary["ModelPackageArn"]))
    return None


def data_and_pipeline(
    platform: PlatformConfig,
    env: str,
    say: Callable[[str], None],
    step: Iterator[int],
    source: boto3.Session | None,
) -> dict[str, Any]:
    """The data engineer publishes the credit dataset in DataZone, the use case's project
    subscribes, the data owner approves (the grant reaches the pipeline and execution roles);
    the use case's SageMaker Pipeline builds the first version from the subscribed data, a line
    per step. A version already built from the same asset revision is not built again."""
    from scripts.datazone import catalog, datasets  # DataZone jobs: loaded when the demo uses them
    from scripts.pipelines import runs as pipelines

    use_case = _use_case(platform, env)
    say(f"{next(step)}. the data engineer publishes the credit dataset to the DataZone catalog")
    catalog.setup(platform, source=source)
    published = datasets.publish(platform, source=source)
    say(
        f"  {published['asset_name']}: asset {published['asset_id']} revision {published['revision']} "
        f"({published['s3_uri']}; form: schema, protected facet, owner, classification), listed"
    )
    say(
        f"{next(step)}. {use_case}'s project subscribes; the data owner approves (grant to its pipeline roles)"
    )
    asked = datasets.subscribe(
        platform, use_case=use_case, reason="demo: train the credit model", source=source
    )
    if asked["status"] == "APPROVED":
        say(f"  subscription {asked['subscription_id']} approved already")
    else:
        approved = datasets.approve(
            platform, request_id=asked["request_id"], reason="demo: model training", source=source
        )
        say(
            f"  request {asked['request_id']} approved by the data owner: read on {approved['s3_prefix']} "
            f"granted to {', '.join(r.rsplit('/', 1)[-1] for r in approved['roles'])} (audited)"
        )
    dataset = datasets.subscribed(platform, use_case=use_case, source=source)
    built = _pipeline_version(platform, env, dataset, source)
    say(f"{next(step)}. the {use_case} pipeline builds the first version from the subscribed data")
    if built is not None:
        say(f"  v{built} was built from asset revision {dataset['revision']} already: not run again")
        return {"version": built, "dataset": dataset, "execution": None}
    upserted = pipelines.upsert(platform, env, source=source)
    say(f"  pipeline {upserted['pipeline']} {upserted['action']}: {' -> '.join(upserted['steps'])}")
    done = pipelines.start(
        platform,
        env,
        wait_for_end=True,
        interval=PIPELINE_POLL_S,
        source=source,
        progress=lambda line: say(f"  {line}"),
    )
    if isinstance(done, command.Outcome):
        raise AssertionError(f"the pipeline did not succeed: {done.error}")
    version = str(version_number(done["model_package"]))
    say(f"  registered v{version}: {done['model_package']} (card PendingReview, PendingManualApproval)")
    return {"version": version, "dataset": dataset, "execution": done}


#: How often the demo polls the pipeline's execution (seconds).
PIPELINE_POLL_S = 0.5


def _model_form(hit: dict[str, Any]) -> dict[str, Any]:
    """The model form of a catalog search hit (empty for a dataset)."""
    from scripts.datazone.types import MODEL_FORM

    forms = hit["forms"]
    if isinstance(forms, list):  # [{"formName": ..., "content": "<json>"}]
        forms = {f.get("formName"): f.get("content") for f in forms}
    form = forms.get(MODEL_FORM) or {}
    return json.loads(form) if isinstance(form, str) else dict(form)


def lineage_and_catalog(
    platform: PlatformConfig,
    env: str,
    version: str,
    dataset: dict[str, Any] | None,
    say: Callable[[str], None],
    step: Iterator[int],
    source: boto3.Session | None,
) -> dict[str, Any]:
    """``mlgov lineage`` of ``env``'s ``version`` back to the dataset it was built from, and the
    catalog searched by a business term as another project (the producer's data engineer): the
    approved model's listing, with its card's business metadata, and the same dataset asset id
    on the card's lineage and in the catalog."""
    from scripts.datazone import datasets  # DataZone jobs: loaded when the demo uses them

    from .lineage import ASSET_ID, lineage_of

    say(f"{next(step)}. lineage of {env} v{version}: back through the promotions to the training data")
    walked = lineage_of(platform, env, version, source=source)
    kinds = " <- ".join(f"{n['kind']} ({n['environment']})" for n in walked["chain"])
    say(f"  {kinds}")
    if not walked["reaches_dataset"]:
        raise AssertionError(f"the lineage of {env} v{version} does not reach its dataset: {kinds}")
    lineage_asset = walked["chain"][-1]["properties"].get(ASSET_ID)
    say(f"  dataset: {walked['chain'][-1]['source_uri']} (DataZone asset {lineage_asset})")
    out: dict[str, Any] = {"lineage": walked}
    if dataset is None:
        return out
    if lineage_asset != dataset["asset_id"]:
        raise AssertionError(f"lineage names asset {lineage_asset}, the subscription {dataset['asset_id']}")
    say(f"{next(step)}. another project searches the catalog for '{CATALOG_TERM}'")
    found = datasets.search(platform, text=CATALOG_TERM, source=source)
    models = [h for h in found["listings"] if _model_form(h)]
    served = [h for h in models if (h["name"] or "").endswith(f"-model-{env}")]
    if not served:
        raise AssertionError(f"the search for {CATALOG_TERM!r} did not find {env}'s approved model")
    say(f"  {len(found['listings'])} listing(s): {', '.join(sorted(h['name'] for h in found['listings']))}")
    form = _model_form(served[0])
    say(
        f"  {served[0]['name']} (revision {served[0]['revision']}): v{form.get('version')} "
        f"{form.get('approvalStatus')}, risk {form.get('riskRating')}; {form.get('lineOfBusiness')}: "
        f"{form.get('businessProblem')}"
    )
    say(f"    intended uses: {form.get('intendedUses')}")
    evaluation = form.get("evaluation") or {}
    for part in ("quality", "bias", "explainability"):
        if evaluation.get(part):
            say(f"    {part}: {evaluation[part]}")
    say(
        f"    model package: {form.get('modelPackageArn')}; source dataset asset: {form.get('sourceDatasetAssetId')}"
    )
    if form.get("sourceDatasetAssetId") != dataset["asset_id"]:
        raise AssertionError(
            f"the catalog lists source dataset {form.get('sourceDatasetAssetId')}, the subscription "
            f"{dataset['asset_id']}"
        )
    out["catalog"] = found
    return out


def run_workflow(
    platform: PlatformConfig,
    *,
    say: Callable[[str], None] = print,
    source: boto3.Session | None = None,
    html_path: str | None = None,
    trainer: Callable[[TrainingSpec], TrainingResult] | None = None,
    serving: bool = True,
    pipeline: bool = True,
    ready: Callable[[str], None] = lambda env: None,
) -> dict[str, Any]:
    """Seed, review, approve, promote along the chain, deploy, show, refuse, report.

    Every environment in :meth:`PlatformConfig.promotion_order` after the first gets the first
    sample version promoted into it and approved there; the last one serves it
    (:func:`serve_and_monitor`, which records it Deployed), or with ``serving=False`` (where no
    endpoint can run: moto in process) only marks it Deployed. The second
    sample version goes as far as the environment before the last, whose successor's bias gate
    must refuse it; the third is refused by the first downstream environment's quality floors.
    ``trainer`` makes seed's training runs (default: seed's own; see
    :func:`scripts.governance.seed.seed`).
    Raises :class:`scripts.errors.KitError` if a step that should succeed does not, or
    AssertionError if a promotion that must be refused is not."""
    chain = [e.name for e in platform.promotion_order()]
    first, rest = chain[0], chain[1:]
    strict = next((e for e in rest if platform.env(e).tier.strict), None)
    out: dict[str, Any] = {"chain": chain}
    step = iter(range(1, 100))

    ready(first)
    specs: Sequence[TrainingSpec] = DEFAULT_SPECS
    if pipeline:
        out["pipeline"] = data_and_pipeline(platform, first, say, step, source)
        specs = DEFAULT_SPECS[1:]
    say(f"{next(step)}. seed {first} (data-scientist role): real training runs, cards, artifacts under KMS")
    seeded = seed_job.seed(platform, first, source=source, trainer=trainer, specs=specs)
    for v in seeded["versions"]:
        say(f"  v{v['version']} {v['label']}: {v['status']}")
    out["seed"] = seeded
    versions = [str(v["version"]) for v in seeded["versions"]]
    if pipeline:
        versions.insert(0, out["pipeline"]["version"])
    good, biased, weak = versions[:3]
    built_by_pipeline = pipeline

    def promote_along(
        version: str,
        targets: Sequence[str],
        *,
        check_duties: bool,
        card_from: str = "Draft",
        say: Callable[[str], None] = say,
        step: Iterator[int] = step,
    ) -> list[dict[str, Any]]:
        """Approve ``version`` in ``first``, then promote and approve it in each of ``targets``."""
        say(f"{next(step)}. review and approve {first} v{version} (approver role)")
        _approve(platform, first, version, say, source, card_from=card_from)
        results = []
        for target in targets:
            ready(target)
            say(
                f"{next(step)}. promote {platform.env(target).promotes_from} v{version} -> {target} "
                f"({target}'s promotion role, behind {target}'s gates)"
            )
            result = promote_job.promote(platform, target, version, source=source)
            say(f"  {'created' if result['created'] else 'already there'}: {result['target_arn']}")
            results.append(result)
            version = str(version_number(result["target_arn"]))
            if check_duties and target == strict:
                say(f"{next(step)}. separation of duties in {target}")
                out["separation_of_duties"] = _separation_of_duties(platform, target, version, say, source)
            say(f"{next(step)}. review and approve in {target} (promoted cards arrive PendingReview)")
            _approve(platform, target, version, say, source, card_from="PendingReview")
        return results

    # The pipeline registers its version with the card PendingReview; seed's cards start Draft.
    promotions = promote_along(
        good, rest, check_duties=True, card_from="PendingReview" if built_by_pipeline else "Draft"
    )
    out["promotions"] = promotions
    last = chain[-1]
    deployed_version = str(version_number(promotions[-1]["target_arn"])) if promotions else good

    def biased_chain(say: Callable[[str], None], step: Iterator[int]) -> dict[str, Any]:
        """v2 promoted as far as its bias allows; the last environment's bias gate refuses it."""
        say(f"--- v{biased}: a model that uses age; {last}'s bias gate must refuse it")
        biased_promotions = promote_along(biased, rest[:-1], check_duties=False, say=say, step=step)
        upstream = str(version_number(biased_promotions[-1]["target_arn"])) if biased_promotions else biased
        say(
            f"{next(step)}. promote {platform.env(last).promotes_from} v{upstream} -> {last} (expected: refused)"
        )
        return _expect_refusal(platform, last, upstream, say, source, gate_prefix="bias:")

    def _serve_and_show(out: dict[str, Any], deployed_version: str) -> None:
        """Serve (or mark Deployed), show the card's evaluation, the lineage and the catalog."""
        if serving:
            # Serving records the version Deployed (as the approver role) and the endpoint in lineage.
            out["serving"] = serve_and_monitor(
                platform,
                last,
                deployed_version,
                served_features(),
                say,
                step,
                source,
                refuse_from=first,
            )
        else:
            say(f"{next(step)}. mark {last} v{deployed_version} Deployed (recorded in lineage)")
            deployed = review.set_stage_status(
                platform,
                last,
                deployed_version,
                "Deployed",
                "demo: deployed to the production endpoint",
                source=source,
            )
            say(f"  lifecycle {deployed['before']} -> {deployed['after']}")
            say(f"  deployment in lineage: {deployed['deployment']}")

        say(f"{next(step)}. evaluation in the card of {last} v{deployed_version}")
        ctx = env_context(platform, last, "approver", job="demo", source=source)
        desc = describe_version(ctx, resolve_version(ctx, _use_case(platform, last), deployed_version))
        sections = evaluation_sections(parse_card((desc.get("ModelCard") or {}).get("ModelCardContent")))
        _show_evaluation(sections, say)
        out["evaluation"] = sections
        dataset = out["pipeline"]["dataset"] if pipeline else None
        out.update(lineage_and_catalog(platform, last, deployed_version, dataset, say, step, source))

    # While the last environment serves, v2 goes its way on a thread of its own, its lines held
    # back and shown after (numbered in order then). It touches no version serving reads: serving
    # refuses the newest unapproved version of the first environment, v3, approved only below.
    held: list[str] = []
    beside = ThreadPoolExecutor(1, thread_name_prefix="demo-v2")
    try:
        biased_run = (
            beside.submit(biased_chain, held.append, itertools.count(1)) if rest and serving else None
        )
        _serve_and_show(out, deployed_version)
    finally:
        beside.shutdown(wait=True)
    if rest:
        if biased_run is None:
            out["refused_bias"] = biased_chain(say, step)
        else:
            out["refused_bias"] = biased_run.result()
            for line in held:
                numbered = re.match(r"(\d+)\. ", line)
                say(f"{next(step)}. {line[numbered.end() :]}" if numbered else line)

        say(f"--- v{weak}: a decision stump; {rest[0]}'s quality floors must refuse it")
        say(f"{next(step)}. review and approve {first} v{weak} (dev has no floors)")
        _approve(platform, first, weak, say, source, card_from="Draft")
        say(f"{next(step)}. promote {first} v{weak} -> {rest[0]} (expected: refused)")
        out["refused_quality"] = _expect_refusal(platform, rest[0], weak, say, source, gate_prefix="metric:")

    say(f"{next(step)}. report")
    data = report_job.collect(platform, source=source, details=bool(html_path))
    say(report_job.render_table(data))
    if html_path:
        say(f"  HTML report: {report_job.write_html(data, html_path)}")
    out["report"] = data.to_dict()
    return out
