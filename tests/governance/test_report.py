"""report: every version of every environment with approval, card, lifecycle, chain, last audit,
read in pages (SageMaker Search), not per version; table, JSON and the reviewer's HTML page.

Most tests build the registry state directly (versions, cards, audit records, lineage as the jobs
write them), so the report is tested on its own and not through seed and promote."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.stub import Stubber

from environments import DEFAULT_DIR, Names, PlatformConfig, load_platform
from scripts.aws import new_session
from scripts.bench.governance import ApiMeter
from scripts.governance import audit, cards, lineage, report, review
from scripts.governance import promote as promote_job
from scripts.governance.context import EnvContext, env_context
from scripts.governance.errors import RefusedError
from scripts.governance.evaluation import card_evaluations
from scripts.governance.metadata import META_SOURCE_ARN, promoted_to_key

from .conftest import DATAZONE_PROJECT_ID, Provisioned, make_promotable, provision

UC = "credit-risk"

BIAS = {
    "version": "1.0",
    "pre_training_bias_metrics": {
        "label": "default",
        "label_value_or_threshold": "1",
        "facets": {
            "age_group": [
                {
                    "value_or_threshold": "under_25",
                    "metrics": [
                        {"name": "CI", "description": "Class Imbalance (CI)", "value": 0.62},
                        {
                            "name": "DPL",
                            "description": "Difference in Positive Proportions in Labels (DPL)",
                            "value": 0.176,
                        },
                    ],
                }
            ]
        },
    },
    "post_training_bias_metrics": {
        "label": "default",
        "label_value_or_threshold": "1",
        "facets": {
            "age_group": [
                {
                    "value_or_threshold": "under_25",
                    "metrics": [
                        {
                            "name": "DPPL",
                            "description": "Difference in Positive Proportions in Predicted Labels (DPPL)",
                            "value": 0.039,
                        },
                        {"name": "DI", "description": "Disparate Impact (DI)", "value": 0.917},
                    ],
                }
            ]
        },
    },
}
EXPLAINABILITY = {
    "version": "1.0",
    "explanations": {
        "kernel_shap": {
            "default": {
                "global_shap_values": {"debt_ratio": 0.121, "income": 0.083, "late_payments": 0.042},
                "expected_value": 0.3,
            }
        }
    },
}


def card_content(prefix: str, *, purpose: str = "Credit default risk") -> str:
    """A full card as registration builds it: quality, bias and explainability sections."""
    card = cards.build_card(
        creator="data-science",
        artifact_uri=f"{prefix}model.tar.gz",
        use_case=UC,
        use_case_description=purpose,
        risk_rating="High",
        algorithm="logistic_regression",
        training_metrics={"accuracy": 0.78},
        evaluation_metrics={"accuracy": 0.770, "roc_auc": 0.846},
        evaluation_report_uri=f"{prefix}evaluation.json",
        dataset="s3://data/credit.csv",
        hyperparameters={"C": 1.0},
        datazone_project_id=DATAZONE_PROJECT_ID,
    )
    card.evaluation_details = [
        *(card.evaluation_details or []),
        *card_evaluations(
            BIAS,
            EXPLAINABILITY,
            bias_uri=f"{prefix}bias.json",
            explainability_uri=f"{prefix}explainability.json",
        ),
    ]
    return cards.card_json(card)


def register(
    cloud: Provisioned,
    env: str,
    *,
    meta: dict[str, str] | None = None,
    card: str | None = None,
    approval: str = "PendingManualApproval",
    stage_status: str = "Registered",
) -> str:
    sm = cloud.client(env, "sagemaker")
    request: dict[str, Any] = {
        "ModelPackageGroupName": cloud.names(env).model_package_group(UC),
        "ModelApprovalStatus": approval,
        "ModelLifeCycle": {"Stage": cloud.platform.env(env).lifecycle_stage, "StageStatus": stage_status},
    }
    if meta:
        request["CustomerMetadataProperties"] = meta
    if card:
        request["ModelCard"] = {"ModelCardContent": card, "ModelCardStatus": "Approved"}
    return str(sm.create_model_package(**request)["ModelPackageArn"])


def chain_workflow(
    cloud: Provisioned, platform: PlatformConfig, *, purpose: str = "Credit default risk"
) -> dict[str, str]:
    """dev v1 -> staging v1 -> prod v1 (deployed) with cards, audit records and lineage as the jobs
    write them (promotion writes nothing on the source), plus dev v2 that went nowhere."""
    arns: dict[str, str] = {}
    previous: str | None = None
    for env in ("dev", "staging", "prod"):
        prefix = f"s3://{cloud.bucket(env)}/models/{UC}/v1/"
        arns[env] = register(
            cloud,
            env,
            meta={META_SOURCE_ARN: previous} if previous else None,
            card=card_content(prefix, purpose=purpose),
            approval="Approved",
            stage_status="Deployed" if env == "prod" else "Registered",
        )
        sm = cloud.client(env, "sagemaker")
        if previous is None:
            lineage.record_registration(
                sm,
                package_arn=arns[env],
                env=env,
                dataset_uri="s3://data/credit.csv",
                dataset_hash="ab" * 32,
                model_uri=f"{prefix}model.tar.gz",
                training={"algorithm": "logistic_regression", "metrics": {"accuracy": 0.77}},
            )
        else:
            lineage.associate(
                sm,
                lineage.package_artifact(sm, previous, env="upstream"),
                lineage.package_artifact(sm, arns[env], env=env),
                "ContributedTo",
            )
        ctx = env_context(platform, env, "approver", job="test")
        for action, before, after, why in (
            ("register" if previous is None else "promote", {}, {"ModelCardStatus": "Draft"}, "registered"),
            (
                "card-status",
                {"ModelCardStatus": "PendingReview"},
                {"ModelCardStatus": "Approved"},
                "card reviewed",
            ),
            (
                "approve",
                {"ModelApprovalStatus": "PendingManualApproval"},
                {"ModelApprovalStatus": "Approved"},
                "approved for promotion",
            ),
        ):
            audit.record(
                ctx,
                action=action,
                model_package_arn=arns[env],
                group=cloud.names(env).model_package_group(UC),
                version=1,
                reason=why,
                before=before,
                after=after,
            )
        previous = arns[env]
    lineage.record_deployment(
        cloud.client("prod", "sagemaker"),
        package_arn=arns["prod"],
        env="prod",
        reason="go",
        when="2026-01-01",
    )
    arns["dev2"] = register(cloud, "dev", card=card_content(f"s3://{cloud.bucket('dev')}/models/{UC}/v2/"))
    return arns


# -- reading in pages ---------------------------------------------------------------------------
def _record(names: Names, version: int, meta: dict[str, str] | None = None) -> dict[str, Any]:
    """A SearchRecord.ModelPackage as AWS returns it (botocore's shape)."""
    group = names.model_package_group(UC)
    record: dict[str, Any] = {
        "ModelPackageGroupName": group,
        "ModelPackageVersion": version,
        "ModelPackageArn": names.model_package_arn_pattern(UC).replace("*", str(version)),
        "ModelApprovalStatus": "PendingManualApproval",
        "ModelCard": {"ModelCardContent": "{}", "ModelCardStatus": "Draft"},
        "ModelLifeCycle": {"Stage": names.env.lifecycle_stage, "StageStatus": "Registered"},
    }
    if meta:
        record["CustomerMetadataProperties"] = meta
    return record


def test_search_reads_pages_not_versions(platform, monkeypatch):
    """With botocore's own Search shape (Stubber checks every request and response against the
    service model and fails on any call not queued): per environment one GetParameters, one Search
    per 100 versions and one audit listing; no DescribeModelPackage. Where dev v1 went comes from
    staging v1's mlgov-source-arn, and a legacy promoted-to key is still shown."""
    sizes = {"dev": 250, "staging": 120, "prod": 1}
    stubbers: list[Stubber] = []
    contexts: dict[str, EnvContext] = {}
    session = new_session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
    dev_v1 = _record(Names.of(platform, "dev"), 1)["ModelPackageArn"]
    legacy = "arn:aws:sagemaker:us-east-1:333333333333:model-package/mlgov-credit-risk/7"
    for env, size in sizes.items():
        names = Names.of(platform, env)
        group = names.model_package_group(UC)
        clients = {s: session.client(s, region_name="us-east-1") for s in ("sagemaker", "ssm", "s3")}
        stubs = {s: Stubber(c) for s, c in clients.items()}
        stubs["ssm"].add_response(
            "get_parameters",
            {
                "Parameters": [
                    {"Name": names.ssm_group_name(UC), "Value": group, "Type": "String"},
                    {"Name": names.ssm_artifact_bucket, "Value": names.artifact_bucket, "Type": "String"},
                ]
            },
            {"Names": [names.ssm_group_name(UC), names.ssm_artifact_bucket]},
        )
        records = []
        for v in range(1, size + 1):
            meta = None
            if env == "staging" and v == 1:
                meta = {META_SOURCE_ARN: dev_v1}
            if env == "dev" and v == 2:
                meta = {promoted_to_key("prod"): legacy}
            records.append(_record(names, v, meta))
        pages = [records[i : i + 100] for i in range(0, size, 100)]
        for i, page in enumerate(pages):
            request: dict[str, Any] = {
                "Resource": "ModelPackage",
                "SearchExpression": {
                    "Filters": [{"Name": "ModelPackageGroupName", "Operator": "Equals", "Value": group}]
                },
                "SortBy": "CreationTime",
                "SortOrder": "Ascending",
                "MaxResults": 100,
            }
            if i:
                request["NextToken"] = f"page{i}"
            response: dict[str, Any] = {"Results": [{"ModelPackage": r} for r in page]}
            if i + 1 < len(pages):
                response["NextToken"] = f"page{i + 1}"
            stubs["sagemaker"].add_response("search", response, request)
        stubs["s3"].add_response(
            "list_objects_v2",
            {
                "Contents": [
                    {
                        "Key": f"{names.audit_prefix}{group}/v000001/20260101T000000000000Z_register_ab12cd34.json"
                    }
                ]
            },
            {"Bucket": names.artifact_bucket, "Prefix": f"{names.audit_prefix}{group}/"},
        )
        for stub in stubs.values():
            stub.activate()
            stubbers.append(stub)
        contexts[env] = EnvContext(platform, platform.env(env), "approver", "report", _clients=clients)
    monkeypatch.setattr(report.collection, "env_context", lambda _p, name, *_a, **_k: contexts[name])

    data = report.collect(platform)

    for stub in stubbers:
        stub.assert_no_pending_responses()
    assert len(data.versions) == sum(sizes.values())
    rows = {(r.env, r.version): r for r in data.versions}
    assert rows[("dev", 1)].went_to == "staging v1"
    assert rows[("dev", 2)].went_to == "prod v7"
    assert rows[("staging", 1)].came_from == "dev v1"
    assert rows[("dev", 1)].last_audit is not None and rows[("dev", 1)].last_audit.action == "register"
    assert [r.version for r in data.versions if r.env == "dev"] == list(range(1, 251))
    assert data.chains == (("dev v1", "staging v1"),)


def test_search_expression_for_several_groups():
    one = report.collection._expression(["a"])
    assert one == {"Filters": [{"Name": "ModelPackageGroupName", "Operator": "Equals", "Value": "a"}]}
    several = report.collection._expression(["a", "b"])
    assert several["Operator"] == "Or"
    assert [s["Filters"][0]["Value"] for s in several["SubExpressions"]] == ["a", "b"]


def test_emulated_search_pages(cloud, platform):
    """On the emulator: 230 versions in staging are read in 3 Search pages, none described (prod,
    downstream, is searched too for where staging's versions went: one empty page)."""
    sm = cloud.client("staging", "sagemaker")
    for _ in range(230):
        sm.create_model_package(
            ModelPackageGroupName="mlgov-credit-risk", ModelApprovalStatus="PendingManualApproval"
        )
    meter = ApiMeter()
    with meter.active():
        data = report.collect(platform, envs=["staging"])
    calls = meter.summary()["calls_by_operation"]
    assert [r.version for r in data.versions] == list(range(1, 231))
    assert calls.get("sagemaker:Search") == math.ceil(230 / report.SEARCH_PAGE_SIZE) + 1
    assert "sagemaker:DescribeModelPackage" not in calls and "sagemaker:ListModelPackages" not in calls


def test_more_use_cases_than_one_search_takes_are_all_reported(mocked, tmp_path):
    """Search takes at most 20 groups in one expression: 25 use cases in dev are searched in two
    batches, and every version of every use case is reported (a report that read only the first
    batch would list 20)."""
    config = tmp_path / "environments"
    shutil.copytree(DEFAULT_DIR, config)
    dev = yaml.safe_load((config / "dev.yaml").read_text())
    dev["use_cases"] += [{"name": f"uc-{i:02d}", "description": f"use case {i}"} for i in range(24)]
    (config / "dev.yaml").write_text(yaml.safe_dump(dev, sort_keys=False))
    many = load_platform(config)
    cases = [u.name for u in many.env("dev").use_cases]
    assert len(cases) == 25
    cloud = provision(many)
    sm = cloud.client("dev", "sagemaker")
    for case in cases:
        sm.create_model_package(
            ModelPackageGroupName=cloud.names("dev").model_package_group(case),
            ModelApprovalStatus="PendingManualApproval",
        )
    meter = ApiMeter()
    with meter.active():
        data = report.collect(many, envs=["dev"])
    assert [r.use_case for r in data.versions] == cases, "every use case, in the file's order"
    calls = meter.summary()["calls_by_operation"]
    # dev: 25 groups in two searches; staging and prod (where dev's versions went): one each
    assert calls["sagemaker:Search"] == 2 + 2


# -- where a version came from and went ---------------------------------------------------------
def test_promoted_to_derived_from_downstream_metadata(cloud, platform):
    """No promoted-to key on any source: dev v1's destination comes from staging's version, also
    when only dev is reported (the downstream environments are searched for it)."""
    arns = chain_workflow(cloud, platform)
    for env in ("dev", "staging"):
        meta = cloud.client(env, "sagemaker").describe_model_package(ModelPackageName=arns[env])
        assert not any(k.startswith("mlgov-promoted-to-") for k in meta.get("CustomerMetadataProperties", {}))
    data = report.collect(platform)
    rows = {(r.env, r.version): r for r in data.versions}
    assert rows[("dev", 1)].went_to == "staging v1" and rows[("dev", 1)].promoted_to == (arns["staging"],)
    assert rows[("staging", 1)].went_to == "prod v1"
    assert rows[("dev", 2)].went_to is None
    assert data.chains == (("dev v1", "staging v1", "prod v1"),)
    only_dev = report.collect(platform, envs=["dev"])
    assert {r.env for r in only_dev.versions} == {"dev"}
    assert only_dev.versions[0].went_to == "staging v1"


def test_legacy_promoted_to_key_still_shown(cloud, platform):
    target = "arn:aws:sagemaker:us-east-1:222222222222:model-package/mlgov-credit-risk/4"
    register(cloud, "dev", meta={promoted_to_key("staging"): target})
    [row] = report.collect(platform, envs=["dev"]).versions
    assert row.went_to == "staging v4" and row.promoted_to == (target,)


def test_chains_among_the_environments_reported(cloud, platform):
    """A report of staging and prod alone still joins staging v1 -> prod v1, and says where
    staging's version came from."""
    chain_workflow(cloud, platform)
    data = report.collect(platform, envs=["prod", "staging"])
    assert data.environments == ("staging", "prod")
    assert data.chains == (("staging v1", "prod v1"),)
    rows = {(r.env, r.version): r for r in data.versions}
    assert set(rows) == {("staging", 1), ("prod", 1)}
    assert rows[("staging", 1)].came_from == "dev v1"
    assert "staging v1 -> prod v1" in report.render_table(data)


# -- the reviewer's page ------------------------------------------------------------------------
def _section(doc: str, anchor: str) -> str:
    start = doc.index(f'id="{anchor}"')
    end = doc.find('<section class="version"', start)
    return doc[start : end if end != -1 else len(doc)]


def test_html_shows_card_evaluation_history_lineage(cloud, platform, tmp_path, capsys, monkeypatch):
    """The page a reviewer reads: for each version its card, every evaluation section with metric
    names and values, the DataZone project, the audit history (oldest first) and the lineage from
    the dataset to the deployment; and `--html FILE` says where it wrote."""
    chain_workflow(cloud, platform)
    monkeypatch.chdir(tmp_path)
    assert report.main(["--html", "page.html"]) == 0
    out = capsys.readouterr().out
    page = Path(tmp_path / "page.html").resolve()
    assert f"HTML report written to {page}" in out
    doc = page.read_text()
    assert doc.startswith("<!DOCTYPE html>")
    prod = _section(doc, "v-credit-risk-prod-1")
    for text in (
        "Intended uses",
        "High risk",
        "Business details",
        "Retail lending",
        "Training details",
        "Model quality",
        "Pre-training bias",
        "Post-training bias",
        "Explainability",
        DATAZONE_PROJECT_ID,
        "Approval and card history",
    ):
        assert text in prod, text
    assert re.search(r"<td>DPPL</td><td class=\"num\">0\.039</td>", prod)
    assert re.search(r"<td>DI</td><td class=\"num\">0\.917</td>", prod)
    assert re.search(r"<td>roc_auc</td><td class=\"num\">0\.846</td>", prod)
    # Explainability: one bar per feature, the largest attribution full width.
    bars = re.findall(r'<td class="feature">(\w+)</td><td><svg[^>]*><rect x="0" y="2" width="([\d.]+)"', prod)
    assert bars == [("debt_ratio", "200.0"), ("income", "137.2"), ("late_payments", "69.4")]
    # History: the three records, oldest first, with the change each made.
    history = prod[prod.index('class="history"') :]
    assert re.findall(r"<td>(promote|card-status|approve)</td>", history) == [
        "promote",
        "card-status",
        "approve",
    ]
    assert "ModelApprovalStatus: PendingManualApproval → Approved" in history
    # Lineage read from the lineage entities across the three accounts, dataset to deployment.
    chain = prod[prod.index('class="chain lineage-lineage"') :]
    kinds = re.findall(r'<div class="node k-(\w+)', chain)
    assert kinds == [
        "DataSet",
        "ModelTraining",
        "Model",
        "ModelPackage",
        "ModelPackage",
        "ModelPackage",
        "ModelDeployment",
    ]
    titles = re.findall(r'<div class="title">([^<]+)</div>', chain)
    assert titles[3:6] == ["dev v1", "staging v1", "prod v1"]
    assert 'k-ModelPackage current"><div class="kind">ModelPackage</div><div class="title">prod v1' in chain
    # dev v1 shows the same chain (its most downstream version's), with itself marked.
    dev = _section(doc, "v-credit-risk-dev-1")
    assert 'current"><div class="kind">ModelPackage</div><div class="title">dev v1' in dev
    assert "ModelDeployment" in dev
    # Self-contained: nothing loaded from elsewhere, no scripts.
    assert not re.search(r"(src|href)=\"(https?:)?//", doc) and "<script" not in doc


def test_html_lineage_from_records_when_the_role_cannot_read_it(cloud, platform, monkeypatch):
    """Where walking the lineage is denied, the chain comes from the versions' records and the
    page says so."""
    arns = chain_workflow(cloud, platform)

    def denied(reader: Any, package_arn: str, **_: Any) -> Any:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListArtifacts")

    monkeypatch.setattr(lineage, "walk_back", denied)
    data = report.collect(platform, details=True)
    assert data.lineage is not None
    chain = data.lineage[arns["prod"]]
    assert chain["source"] == "records"
    assert [n["title"] for n in chain["nodes"]] == [
        "dataset",
        "training run",
        "model artifact",
        "dev v1",
        "staging v1",
        "prod v1",
        "deployment",
    ]
    doc = report.render_html(data)
    assert "the approver role cannot read the lineage (AccessDeniedException)" in doc


def test_html_escapes_card_text(cloud, platform):
    """Card text comes from people: the page shows it, escaped."""
    register(cloud, "dev", card=card_content("s3://b/m/", purpose='<script>alert("x")</script> & <b>co</b>'))
    doc = report.render_html(report.collect(platform, envs=["dev"], details=True))
    assert "<script" not in doc and "<b>co</b>" not in doc
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;co&lt;/b&gt;" in doc


def test_html_without_details_says_so():
    row = report.VersionRow(
        env="dev",
        account="111111111111",
        use_case="<b>uc</b>",
        group="g",
        version=1,
        arn="arn:x/1",
        approval="Approved",
        approval_description=None,
        card="Draft",
        card_content=None,
        card_error=None,
        stage="<script>alert(1)</script>",
        stage_status="x&y",
        source_arn=None,
        promoted_to=(),
        came_from=None,
        went_to=None,
        last_audit=None,
    )
    doc = report.render_html(
        report.Report(
            environments=("dev",), versions=(row,), chains=(), details=False, generated="now", seconds=0.0
        )
    )
    assert "<script" not in doc and "<b>" not in doc
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in doc and "x&amp;y" in doc
    assert "were not collected" in doc and "<li>none</li>" in doc


def test_html_shows_both_kinds_of_monitor_violation():
    """Model Monitor's data-quality violations name a feature, the bias-drift check's a facet and a
    metric: the served version's row shows each as it is (the e2e demo's drift once failed here)."""
    data_quality = {
        "feature_name": "<income>",
        "constraint_check_type": "baseline_drift_check",
        "description": "Baseline drift distance: 0.9 exceeds threshold: 0.1",
    }
    bias = {
        "facet": "age_group",
        "facet_value": "young",
        "metric_name": "DPPL",
        "constraint_check_type": "bias_drift_check",
        "description": "Value 0.4 does not meet the constraint requirement",
    }
    row = report.VersionRow(
        env="prod",
        account="333333333333",
        use_case="credit-risk",
        group="g",
        version=1,
        arn="arn:x/1",
        approval="Approved",
        approval_description=None,
        card="Approved",
        card_content=None,
        card_error=None,
        stage="prod",
        stage_status="Deployed",
        source_arn=None,
        promoted_to=(),
        came_from=None,
        went_to=None,
        last_audit=None,
        monitoring={
            "data_quality": {"run": "20261206120000", "uri": "s3://b/dq", "violations": [data_quality]},
            "bias_drift": {"run": "20261206120100", "uri": "s3://b/bd", "violations": [bias]},
            "error": None,
        },
    )
    doc = report.render_html(
        report.Report(
            environments=("prod",), versions=(row,), chains=(), details=True, generated="now", seconds=0.0
        )
    )
    assert "&lt;income&gt;" in doc and "baseline_drift_check" in doc
    assert "age_group=young DPPL" in doc and "bias_drift_check" in doc


# -- the command --------------------------------------------------------------------------------
def test_cli_table_and_json(cloud, platform, capsys):
    chain_workflow(cloud, platform)
    assert report.main([]) == 0
    text = capsys.readouterr().out
    assert "dev v1 -> staging v1 -> prod v1" in text
    assert re.search(r"prod\s+credit-risk\s+1\s+Approved\s+Approved\s+Production\s+Deployed", text)
    assert report.main(["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["versions"]) == 4 and "html" not in data


def test_html_with_json_prints_path_on_stderr(cloud, platform, tmp_path, capsys):
    page = tmp_path / "r.html"
    assert report.main(["--json", "--html", str(page)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["html"] == str(page.resolve())
    assert f"HTML report written to {page.resolve()}" in captured.err


def test_one_environment_only(cloud, platform):
    chain_workflow(cloud, platform)
    data = report.collect(platform, envs=["dev"])
    assert {r.env for r in data.versions} == {"dev"}


def test_unknown_environment_exit_2(cloud, capsys):
    assert report.main(["--env", "qa"]) == 2
    assert "unknown environment 'qa'" in capsys.readouterr().err


# -- through the jobs ---------------------------------------------------------------------------
@pytest.mark.usefixtures("seeded")
def test_report_after_seed_and_promotions(platform, cloud):
    """The jobs' own records: dev v1 promoted twice and deployed; the report joins them."""
    make_promotable(platform, "dev", "1")
    promote_job.promote(platform, "staging", "1")
    make_promotable(platform, "staging", "1")
    promote_job.promote(platform, "prod", "1")
    review.set_stage_status(platform, "prod", "1", "Deployed", "go live")
    data = report.collect(platform, details=True)
    rows = {(r.env, r.version): r for r in data.versions}
    assert rows[("dev", 1)].went_to == "staging v1"
    assert rows[("staging", 1)].came_from == "dev v1" and rows[("staging", 1)].went_to == "prod v1"
    prod = rows[("prod", 1)]
    assert (prod.stage, prod.stage_status) == ("Production", "Deployed")
    assert prod.last_audit is not None and prod.last_audit.action == "stage-status"
    assert data.chains == (("dev v1", "staging v1", "prod v1"),)
    assert data.lineage is not None
    nodes = data.lineage[prod.arn]["nodes"]
    assert data.lineage[prod.arn]["source"] == "lineage", data.lineage[prod.arn]["note"]
    assert (nodes[0]["kind"], nodes[-1]["kind"]) == ("DataSet", "ModelDeployment")


@pytest.mark.usefixtures("seeded")
def test_the_gates_a_version_passed_and_its_refused_promotions_are_shown(platform, cloud, tmp_path, capsys):
    """staging v1 shows each gate it passed with its value and limit at promotion; dev v3 (the
    stump) shows staging's refusal beside it: in the table, the JSON and the page (the gates with
    their values and limits, and in its history), also when only dev is reported."""
    make_promotable(platform, "dev", "1")
    promoted = promote_job.promote(platform, "staging", "1")
    make_promotable(platform, "dev", "3")
    for _ in range(2):  # tried twice: the last refusal is shown, with the count
        with pytest.raises(RefusedError):
            promote_job.promote(platform, "staging", "3")
    data = report.collect(platform, details=True)
    rows = {(r.env, r.version): r for r in data.versions}
    staged = rows[("staging", 1)]
    assert staged.gates_status == "passed"
    by_gate = {g.gate: g for g in staged.gates}
    passed = {r["gate"]: r for r in promoted["gate_results"]}
    assert set(by_gate) == set(passed)
    assert (by_gate["metric:roc_auc"].relation, by_gate["metric:roc_auc"].limit) == ("min", "0.78")
    assert by_gate["metric:roc_auc"].value == f"{passed['metric:roc_auc']['value']:.4g}"
    assert (by_gate["bias:DI"].relation, by_gate["bias:DI"].limit) == ("in", "0.5:2")
    stump = rows[("dev", 3)]
    [refusal] = stump.refusals
    assert (refusal.env, refusal.attempts) == ("staging", 2)
    assert [f["gate"] for f in refusal.failures] == ["metric:accuracy", "metric:roc_auc"]
    assert {f["limit"] for f in refusal.failures} == {0.72, 0.78}
    assert ":assumed-role/mlgov-staging-promotion/" in refusal.who
    assert stump.refused_text == "staging (metric:accuracy, metric:roc_auc)"
    assert rows[("dev", 1)].refusals == ()
    # Reported alone, dev still shows where its versions were refused.
    alone = {(r.env, r.version): r for r in report.collect(platform, envs=["dev"]).versions}
    assert alone[("dev", 3)].refused_text == stump.refused_text
    # The table and the JSON.
    assert report.main([]) == 0
    assert re.search(
        r"dev\s+credit-risk\s+3\s.*staging \(metric:accuracy, metric:roc_auc\)", capsys.readouterr().out
    )
    assert report.main(["--json"]) == 0
    as_json = {(v["env"], v["version"]): v for v in json.loads(capsys.readouterr().out)["versions"]}
    assert as_json[("dev", 3)]["refusals"][0]["failures"][0]["gate"] == "metric:accuracy"
    assert as_json[("staging", 1)]["gates_status"] == "passed"
    # The page: the gates table of staging v1, the refusals of dev v3 with values and limits.
    doc = report.render_html(data)
    staging_section = _section(doc, "v-credit-risk-staging-1")
    gates_table = staging_section[staging_section.index('class="gates"') :]
    assert re.search(
        r"<td>metric:roc_auc</td><td class=\"num\">[\d.]+</td><td>at least 0\.78</td>", gates_table
    )
    assert re.search(
        r"<td>bias:DI</td><td class=\"num\">[\d.]+</td><td>within \(inclusive\) 0\.5:2</td>", gates_table
    )
    stump_section = _section(doc, "v-credit-risk-dev-3")
    refused = stump_section[stump_section.index('class="refusals"') :]
    accuracy = stump.refusals[0].failures[0]["value"]
    assert f'<td>metric:accuracy</td><td class="num">{accuracy:.4g}</td><td>0.72</td>' in refused
    assert "(2 attempts, the last shown)" in refused
    history = stump_section[stump_section.index('class="history"') :]
    assert history.count("<td>promote-refused</td>") == 2 and "refused by staging" in history


def test_a_versions_batch_transform_job_is_a_node_of_its_chain() -> None:
    from scripts.governance.report import chains

    job = "arn:aws:sagemaker:us-east-1:111111111111:transform-job/mlgov-credit-risk-v1-20260101120000"
    node = lineage.Node(lineage.TRANSFORM, "arn:...:experiment-trial-component/x", job, "111111111111")
    assert chains._node(node, {}, {"111111111111": "dev"}) == {
        "kind": lineage.TRANSFORM,
        "title": "batch transform",
        "lines": ["dev", "mlgov-credit-risk-v1-20260101120000"],
    }
