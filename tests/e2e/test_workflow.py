"""The governance workflow end to end on the emulator with every stack applied by Terraform.

Runs :func:`scripts.governance.workflow.run_workflow` (the function ``make demo`` runs) against the session's
deployed emulator: the jobs find everything through the SSM parameters the stacks published and
act through the roles the stacks created. Then checks the result from each account.
"""

from __future__ import annotations

import json

import pytest

from environments import Names
from scripts.datazone import datasets as data
from scripts.governance.cards import DATAZONE_PROJECT_KEY, parse_card
from scripts.governance.lineage import lineage_of
from scripts.governance.metadata import MODEL_ASSET_KEY, MODEL_ASSET_REVISION_KEY
from scripts.governance.workflow import run_workflow
from tests.e2e.deployed import DeployedCloud

pytestmark = pytest.mark.e2e


@pytest.fixture
def workflow(deployed_cloud: DeployedCloud, monkeypatch: pytest.MonkeyPatch, tmp_path):
    for key, value in deployed_cloud.cloud.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    lines: list[str] = []
    html = tmp_path / "report.html"
    out = run_workflow(deployed_cloud.platform, say=lines.append, html_path=str(html))
    return out, lines, html


def test_workflow_on_deployed_stacks(workflow, deployed_cloud: DeployedCloud):
    out, lines, html = workflow
    platform = deployed_cloud.platform
    # The first version is the pipeline's, built from the subscribed dataset; seed adds two.
    built = out["pipeline"]
    assert built["execution"]["status"] == "Succeeded" and len(out["seed"]["versions"]) >= 2
    asset = built["dataset"]["asset_id"]
    # lineage from the prod copy reaches the dataset, with the asset id the catalog lists
    walked = out["lineage"]
    assert walked["reaches_dataset"] and walked["chain"][-1]["properties"]["datazone_asset_id"] == asset
    assert walked["chain"][0]["environment"] == "prod"
    # another project finds the prod model by a business term, its form naming that dataset
    models = [h for h in out["catalog"]["listings"] if h["name"].endswith("-model-prod")]
    assert models and json.dumps(models[0]["forms"]).count(asset) >= 1
    assert len(out["promotions"]) == 2
    # The refusals the demo shows: prod's bias gate (v2), staging's quality floors (v3).
    assert {f["gate"] for f in out["refused_bias"]["failures"]} == {"bias:DPPL", "bias:DI"}
    assert {"metric:accuracy", "metric:roc_auc"} <= {f["gate"] for f in out["refused_quality"]["failures"]}
    # IAM is enforced on the session's cloud: the data scientist's approval in staging is denied.
    duty = out["separation_of_duties"]
    assert (duty["env"], duty["denied"]) == ("staging", True), duty
    assert "mlgov-staging-data-scientist" in duty["error"]
    assert any(line.strip().startswith("DENIED (as expected)") for line in lines)
    assert {"DPPL", "DI"} <= set(out["evaluation"]["post_training_bias"])
    prod_arn = out["promotions"][-1]["target_arn"]
    assert ":333333333333:" in prod_arn
    rows = {r["arn"]: r for r in out["report"]["versions"]}
    assert (rows[prod_arn]["approval"], rows[prod_arn]["card"], rows[prod_arn]["stage_status"]) == (
        "Approved",
        "Approved",
        "Deployed",
    )
    assert ["dev v1", "staging v1", "prod v1"] in out["report"]["chains"] or any(
        c[0].startswith("dev v") and c[-1].startswith("prod v") for c in out["report"]["chains"]
    )
    assert "<svg" in html.read_text()
    # The page draws every chain from the lineage API, as the approver of each account reads it:
    # no chain falls back to the versions' records (issue 20), and `mlgov lineage` reads the
    # whole chain as the approver of every environment.
    chains = out["report"]["lineage"]
    assert chains and {c["source"] for c in chains.values()} == {"lineage"}, {
        leaf: c["note"] for leaf, c in chains.items() if c["source"] != "lineage"
    }
    assert "drawn from the versions' records" not in html.read_text()
    for promoted in [out["seed"]["versions"][0]["arn"], *(p["target_arn"] for p in out["promotions"])]:
        env_name = {e.account_id: e.name for e in platform.environments.values()}[promoted.split(":")[4]]
        walked = lineage_of(platform, env_name, promoted)
        assert walked["reaches_dataset"], (env_name, walked)

    # From the accounts themselves: the prod version carries the card, the DataZone project id
    # the dev stack published, the prod key, and sits in the bucket under the prod key.
    prod = deployed_cloud.account("prod")
    desc = prod.client("sagemaker").describe_model_package(ModelPackageName=prod_arn)
    prod_names = Names.of(platform, "prod")
    prod_key = prod.client("ssm").get_parameter(Name=prod_names.ssm_kms_key_arn)["Parameter"]["Value"]
    assert desc["SecurityConfig"]["KmsKeyId"] == prod_key
    card = parse_card(desc["ModelCard"]["ModelCardContent"])
    dev_names = Names.of(platform, "dev")
    project = (
        deployed_cloud.account("dev")
        .client("ssm")
        .get_parameter(Name=dev_names.ssm_datazone_project_id("credit-risk"))["Parameter"]["Value"]
    )
    assert card.additional_information.custom_details[DATAZONE_PROJECT_KEY] == project
    # ... and the subscribed dataset's asset id and revision, as the catalog lists them
    listed = out["pipeline"]["dataset"]
    assert (
        card.additional_information.custom_details["dataset_asset_id"],
        card.additional_information.custom_details["dataset_asset_revision"],
    ) == (listed["asset_id"], str(listed["revision"]))
    # ... and its own model asset, as the catalog lists it (the prod approval published it and
    # wrote it on the card), which the report shows
    [prod_model] = models
    assert (
        card.additional_information.custom_details[MODEL_ASSET_KEY],
        card.additional_information.custom_details[MODEL_ASSET_REVISION_KEY],
    ) == (prod_model["asset_id"], str(prod_model["revision"]))
    assert (rows[prod_arn]["model_asset_id"], rows[prod_arn]["model_asset_revision"]) == (
        prod_model["asset_id"],
        str(prod_model["revision"]),
    )
    assert f"{prod_model['asset_id']} revision {prod_model['revision']}" in html.read_text()
    # the dataset the lineage names is the one the catalog lists (searched as the data engineer)
    [dataset_listing] = [
        entry for entry in data.listing(platform)["listings"] if entry["name"] == f"{dev_names.prefix}-credit"
    ]
    assert out["lineage"]["chain"][-1]["properties"]["datazone_asset_id"] == dataset_listing["asset_id"]
    assert card.additional_information.custom_details["dataset_asset_id"] == dataset_listing["asset_id"]
    report_uri = desc["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    bucket = report_uri[5:].split("/", 1)[0]
    assert bucket == prod_names.artifact_bucket
    # The archive and the evaluation, bias, explainability and baseline reports travelled with the
    # model into prod's bucket, under prod's key, and the card names the copies.
    metrics = desc["ModelMetrics"]
    assert {"ModelQuality", "Bias", "Explainability", "ModelDataQuality"} <= set(metrics)
    assert {"Statistics", "Constraints"} <= set(metrics["ModelDataQuality"])
    referenced = [c["ModelDataUrl"] for c in desc["InferenceSpecification"]["Containers"]]
    referenced += [src["S3Uri"] for section in metrics.values() for src in section.values()]
    datasets = {d for item in card.evaluation_details for d in item.datasets or []}
    assert datasets, "the card names its bias and explainability reports"
    for uri in {*referenced, *datasets}:
        assert uri.startswith(f"s3://{bucket}/"), uri
        head = prod.client("s3").head_object(Bucket=bucket, Key=uri.removeprefix(f"s3://{bucket}/"))
        assert head["SSEKMSKeyId"] == prod_key, uri
    # The source versions were only read: nothing downstream wrote on them.
    dev_sm = deployed_cloud.account("dev").client("sagemaker")
    source = dev_sm.describe_model_package(ModelPackageName=out["promotions"][0]["source_arn"])
    assert not [k for k in source.get("CustomerMetadataProperties", {}) if k.startswith("mlgov-promoted-to-")]
    # Audit records of the prod changes are in prod's bucket under the audit prefix.
    s3 = prod.client("s3")
    keys = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket=bucket, Prefix=prod_names.audit_prefix).get("Contents", [])
    ]
    actions = sorted(
        json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read())["what"]["action"] for k in keys
    )
    # promote-refused: the workflow's biased version, refused by prod's bias gate, is audited in
    # prod beside its source version (issue 20: a refusal leaves a record)
    # catalog-asset: the prod approval wrote the catalog's model asset on the card
    assert actions == [
        "approve",
        "card-status",
        "catalog-asset",
        "deploy",
        "promote",
        "promote-refused",
        "stage-status",
    ]
    # Served by prod's model-deploy role: the endpoint's config is the deployment in lineage, the
    # version is Deployed (above), and the endpoint answers.
    served = out["serving"]["served"]
    assert (served["model_package_arn"], served["status"]) == (prod_arn, "InService")
    deployments = prod.client("sagemaker").list_actions(ActionType="ModelDeployment")["ActionSummaries"]
    # (the Deployed stage status records the version's deployment, as mlgov stage does; serving
    # adds the endpoint config's, as SageMaker records an endpoint)
    assert sorted(a["Source"]["SourceUri"] for a in deployments) == [
        f"arn:aws:sagemaker:{prod_names.env.region}:{prod_names.env.account_id}:endpoint-config/"
        f"{served['endpoint_config'].lower()}",
        f"{prod_arn}#deployment",
    ]
    assert len(out["serving"]["predictions"]) == 5
    assert all(
        p["predicted_label"] in (0, 1) and 0 <= p["probability"] <= 1 for p in out["serving"]["predictions"]
    )
    # dev's newest version, not approved, is refused by the serving gates, each named.
    refused = {f["gate"] for f in out["serving"]["refused"]["failures"]}
    assert {"approval", "card_status"} <= refused
    assert any(line.strip().startswith("- approval: the version is PendingManualApproval") for line in lines)
    # The drifted traffic is flagged against the baseline that travelled from dev.
    checked = out["serving"]["monitor"]
    assert checked["status"] == "CompletedWithViolations"
    archive = desc["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    assert checked["baseline"] == archive.rsplit("/", 1)[0] + "/baseline/"
    drift = {
        v["feature_name"]
        for v in checked["violations"]
        if v["constraint_check_type"] == "baseline_drift_check"
    }
    assert {"income_k", "debt_to_income"} <= drift
    assert any("baseline_drift_check" in line for line in lines)


def test_second_run_changes_nothing(workflow, deployed_cloud: DeployedCloud):
    """Running the workflow once more registers, promotes and audits nothing twice."""
    first, _, _ = workflow
    out = run_workflow(deployed_cloud.platform, say=lambda _: None)
    assert [p["created"] for p in out["promotions"]] == [False, False]
    assert [p["target_arn"] for p in out["promotions"]] == [p["target_arn"] for p in first["promotions"]]
    assert all(v["status"] == "exists" for v in out["seed"]["versions"])
    assert out["pipeline"]["execution"] is None and out["pipeline"]["version"] == first["pipeline"]["version"]
    # Still served, not deployed again; nothing in dev is unapproved any more to be refused.
    assert out["serving"]["served"]["action"] == "unchanged" and out["serving"]["refused"] is None
    # staging holds v1 and the forest (v2) that prod refused; prod holds v1 only.
    for env, count in (("staging", 2), ("prod", 1)):
        sm = deployed_cloud.account(env).client("sagemaker")
        listed = sm.list_model_packages(ModelPackageGroupName="mlgov-credit-risk")["ModelPackageSummaryList"]
        assert len(listed) == count
