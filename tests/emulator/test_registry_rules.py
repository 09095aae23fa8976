"""The registry, model card and lineage calls answered as AWS answers them (issue 17's list, found
by replaying AWS's governance notebooks; issue 16's archived cards). Each test names what
AWS does and fails on moto's own behaviour."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.emulator.conftest import EnforcedCloud, policy_document, root, trusting

CONFIG = Config(retries={"mode": "standard", "max_attempts": 1})
CARD = {
    "model_overview": {"model_id": "credit-model", "model_name": "credit"},
    "intended_uses": {"purpose_of_model": "credit risk", "risk_rating": "Medium"},
}


@pytest.fixture
def sm(mocked: None):
    return boto3.client("sagemaker", config=CONFIG)


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def message(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Message"])


# -- model package groups ----------------------------------------------------------------------------
def test_an_existing_group_is_refused_not_replaced(sm):
    arn = sm.create_model_package_group(
        ModelPackageGroupName="churn",
        ModelPackageGroupDescription="churn models",
        Tags=[{"Key": "t", "Value": "v"}],
    )["ModelPackageGroupArn"]
    with pytest.raises(ClientError) as error:
        sm.create_model_package_group(ModelPackageGroupName="churn")
    assert code(error) == "ValidationException"
    assert message(error) == f"Model Package Group already exists: {arn}"
    described = sm.describe_model_package_group(ModelPackageGroupName="churn")
    assert described["ModelPackageGroupDescription"] == "churn models"
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "t", "Value": "v"}]


@pytest.mark.parametrize(
    ("name", "constraint"),
    [
        ("g" * 64, "Member must have length less than or equal to 63"),
        ("-leading-hyphen", "Member must satisfy regular expression pattern"),
        ("under_score", "Member must satisfy regular expression pattern"),
    ],
)
def test_group_names_outside_the_documented_pattern_are_refused(sm, name: str, constraint: str):
    with pytest.raises(ClientError) as error:
        sm.create_model_package_group(ModelPackageGroupName=name)
    assert code(error) == "ValidationException"
    assert constraint in message(error)
    assert sm.list_model_package_groups()["ModelPackageGroupSummaryList"] == []


def test_model_package_arns_keep_the_group_names_case(sm):
    sm.create_model_package_group(ModelPackageGroupName="CreditRisk")
    arn = sm.create_model_package(
        ModelPackageGroupName="CreditRisk",
        InferenceSpecification={
            "Containers": [{"Image": "111111111111.dkr.ecr.us-east-1.amazonaws.com/x:1"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    assert arn.endswith(":model-package/CreditRisk/1")
    assert sm.describe_model_package(ModelPackageName=arn)["ModelPackageArn"] == arn
    # Found by the group name in any case, as AWS matches it.
    assert sm.describe_model_package(ModelPackageName=arn.lower())["ModelPackageArn"] == arn


def test_describe_model_leaves_unset_members_out(sm):
    # CreateModel needs a role SageMaker can assume (ValidationException "Could not assume role").
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    sm.create_model(
        ModelName="m",
        ExecutionRoleArn=role["Arn"],
        PrimaryContainer={"Image": "111111111111.dkr.ecr.us-east-1.amazonaws.com/x:1"},
    )
    described = sm.describe_model(ModelName="m")
    assert "VpcConfig" not in described
    assert described["ModelName"] == "m"


# -- standalone model cards --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (json.dumps({"intended_uses": {"risk_rating": "Severe"}}), "intended_uses/risk_rating"),
        (json.dumps({"unknown_section": {}}), "Additional properties are not allowed"),
        ("not json", "Content is not valid JSON"),
    ],
    ids=["risk-rating", "unknown-section", "not-json"],
)
def test_model_card_content_follows_the_model_card_schema(sm, content: str, expected: str):
    with pytest.raises(ClientError) as error:
        sm.create_model_card(ModelCardName="c", Content=content, ModelCardStatus="Draft")
    assert code(error) == "ValidationException" and expected in message(error)
    sm.create_model_card(ModelCardName="c", Content=json.dumps(CARD), ModelCardStatus="Draft")
    with pytest.raises(ClientError) as error:
        sm.update_model_card(ModelCardName="c", Content=content)
    assert code(error) == "ValidationException" and expected in message(error)
    assert json.loads(sm.describe_model_card(ModelCardName="c")["Content"]) == CARD


def test_search_by_model_id_finds_a_card_made_for_a_model_package(sm):
    package = "arn:aws:sagemaker:us-east-1:123456789012:model-package/credit/3"
    content = {
        "model_package_details": {"model_package_arn": package, "model_package_group_name": "credit"},
        "intended_uses": {"risk_rating": "Low"},
    }
    sm.create_model_card(ModelCardName="for-package", Content=json.dumps(content), ModelCardStatus="Draft")
    results = sm.search(
        Resource="ModelCard", SearchExpression={"Filters": [{"Name": "ModelId", "Value": package}]}
    )["Results"]
    assert [r["ModelCard"]["ModelCardName"] for r in results] == ["for-package"]


def test_an_archived_model_card_stays_archived(sm):
    """ModelCardStatus (UpdateModelCard API reference): "Archived: The model card is archived. No
    more updates should be made to the model card"; moving it back to Draft would reopen it."""
    sm.create_model_card(ModelCardName="old", Content=json.dumps(CARD), ModelCardStatus="Approved")
    sm.update_model_card(ModelCardName="old", ModelCardStatus="Archived")
    for change in (
        {"ModelCardStatus": "Draft"},
        {"ModelCardStatus": "Approved"},
        {"Content": json.dumps(CARD)},
    ):
        with pytest.raises(ClientError) as error:
            sm.update_model_card(ModelCardName="old", **change)
        assert code(error) == "ValidationException"
        assert message(error) == "Model Card is in Archived state."
    assert sm.describe_model_card(ModelCardName="old")["ModelCardStatus"] == "Archived"


# -- lineage -------------------------------------------------------------------------------------------
def _entity(sm, kind: str, name: str, entity_type: str, **extra) -> str:
    create = getattr(sm, f"create_{kind.lower()}")
    return str(
        create(
            **{f"{kind}Name": name, f"{kind}Type": entity_type, "Source": {"SourceUri": f"s3://b/{name}"}},
            **extra,
        )[f"{kind}Arn"]
    )


@pytest.fixture
def graph(sm):
    """dataset -> training -> model -> endpoint (a context); an unrelated artifact on the side."""
    dataset = _entity(sm, "Artifact", "dataset", "DataSet", Properties={"team": "risk"})
    training = _entity(sm, "Action", "training", "ModelTraining")
    model = _entity(sm, "Artifact", "model", "Model")
    endpoint = _entity(sm, "Context", "endpoint", "Endpoint")
    _entity(sm, "Artifact", "unrelated", "DataSet")
    for source, destination, kind in (
        (dataset, training, "ContributedTo"),
        (training, model, "Produced"),
        (model, endpoint, "AssociatedWith"),
    ):
        sm.add_association(SourceArn=source, DestinationArn=destination, AssociationType=kind)
    return {"dataset": dataset, "training": training, "model": model, "endpoint": endpoint}


def _arns(answer: dict) -> list[str]:
    return sorted(v["Arn"] for v in answer["Vertices"])


def test_query_lineage_walks_the_graph_as_asked(sm, graph):
    up = sm.query_lineage(StartArns=[graph["endpoint"]], Direction="Ascendants", IncludeEdges=True)
    assert _arns(up) == sorted([graph["dataset"], graph["training"], graph["model"]])
    assert {(e["SourceArn"], e["DestinationArn"], e["AssociationType"]) for e in up["Edges"]} == {
        (graph["dataset"], graph["training"], "ContributedTo"),
        (graph["training"], graph["model"], "Produced"),
        (graph["model"], graph["endpoint"], "AssociatedWith"),
    }
    dataset = next(v for v in up["Vertices"] if v["Arn"] == graph["dataset"])
    assert dataset == {"Arn": graph["dataset"], "Type": "DataSet", "LineageType": "Artifact"}
    down = sm.query_lineage(StartArns=[graph["dataset"]], Direction="Descendants", IncludeEdges=False)
    assert _arns(down) == sorted([graph["training"], graph["model"], graph["endpoint"]])
    assert "Edges" not in down
    both = sm.query_lineage(StartArns=[graph["training"]], Direction="Both", MaxDepth=1)
    assert _arns(both) == sorted([graph["dataset"], graph["model"]])
    assert sm.query_lineage(StartArns=[graph["model"]], Direction="Descendants")["Vertices"][0][
        "LineageType"
    ] == ("Context")


def test_query_lineage_filters_and_pages(sm, graph):
    only_artifacts = sm.query_lineage(
        StartArns=[graph["endpoint"]], Direction="Ascendants", Filters={"LineageTypes": ["Artifact"]}
    )
    assert _arns(only_artifacts) == sorted([graph["dataset"], graph["model"]])
    datasets = sm.query_lineage(
        StartArns=[graph["endpoint"]], Direction="Ascendants", Filters={"Types": ["DataSet"]}
    )
    assert _arns(datasets) == [graph["dataset"]]
    by_property = sm.query_lineage(
        StartArns=[graph["endpoint"]], Direction="Ascendants", Filters={"Properties": {"team": "risk"}}
    )
    assert _arns(by_property) == [graph["dataset"]]
    later = datetime.now(tz=UTC) + timedelta(hours=1)
    assert (
        sm.query_lineage(
            StartArns=[graph["endpoint"]], Direction="Ascendants", Filters={"CreatedAfter": later}
        )["Vertices"]
        == []
    )
    seen: list[str] = []
    page = sm.query_lineage(StartArns=[graph["endpoint"]], Direction="Ascendants", MaxResults=1)
    while True:
        assert len(page["Vertices"]) == 1
        seen.append(page["Vertices"][0]["Arn"])
        if "NextToken" not in page:
            break
        page = sm.query_lineage(
            StartArns=[graph["endpoint"]], Direction="Ascendants", MaxResults=1, NextToken=page["NextToken"]
        )
    assert sorted(seen) == sorted([graph["dataset"], graph["training"], graph["model"]])


def test_query_lineage_from_an_entity_that_does_not_exist(sm):
    with pytest.raises(ClientError) as error:
        sm.query_lineage(StartArns=["arn:aws:sagemaker:us-east-1:123456789012:artifact/missing"])
    assert code(error) == "ResourceNotFound"


def test_update_lineage_entities(sm, graph):
    sm.update_artifact(ArtifactArn=graph["dataset"], Properties={"rows": "100"}, PropertiesToRemove=["team"])
    assert sm.describe_artifact(ArtifactArn=graph["dataset"])["Properties"] == {"rows": "100"}
    sm.update_action(ActionName="training", Status="Completed", Description="trained")
    action = sm.describe_action(ActionName="training")
    assert (action["Status"], action["Description"]) == ("Completed", "trained")
    sm.update_context(ContextName="endpoint", Description="prod endpoint")
    assert sm.describe_context(ContextName="endpoint")["Description"] == "prod endpoint"
    with pytest.raises(ClientError) as error:
        sm.update_action(ActionName="missing", Status="Failed")
    assert code(error) == "ResourceNotFound"


# -- across accounts, IAM enforced ----------------------------------------------------------------
SPEC = {
    "Containers": [{"Image": "111111111111.dkr.ecr.us-east-1.amazonaws.com/x:1"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}


def test_cross_account_registration_needs_the_group_policy(enforced: EnforcedCloud):
    """Cross-account model registry: a version is registered into another account's group when
    the group's resource policy allows the caller sagemaker:CreateModelPackage on its versions."""
    dev_sm = enforced.deploy["111111111111"].client("sagemaker")
    open_group = dev_sm.create_model_package_group(ModelPackageGroupName="shared")["ModelPackageGroupArn"]
    closed_group = dev_sm.create_model_package_group(ModelPackageGroupName="closed")["ModelPackageGroupArn"]
    registrar = enforced.role(
        "222222222222",
        "registrar",
        trusting(root("222222222222")),
        policy_document({"Effect": "Allow", "Action": "sagemaker:CreateModelPackage", "Resource": "*"}),
    )
    dev_sm.put_model_package_group_policy(
        ModelPackageGroupName="shared",
        ResourcePolicy=policy_document(
            {
                "Effect": "Allow",
                "Principal": {"AWS": registrar},
                "Action": "sagemaker:CreateModelPackage",
                "Resource": "arn:aws:sagemaker:us-east-1:111111111111:model-package/shared/*",
            }
        ),
    )
    sm = enforced.assume(registrar, enforced.deploy["222222222222"]).client("sagemaker")
    arn = sm.create_model_package(ModelPackageGroupName=open_group, InferenceSpecification=SPEC)[
        "ModelPackageArn"
    ]
    assert arn == "arn:aws:sagemaker:us-east-1:111111111111:model-package/shared/1"
    assert dev_sm.describe_model_package(ModelPackageName=arn)["CreatedBy"]["IamIdentity"]["Arn"].endswith(
        "assumed-role/registrar/test"
    )
    with pytest.raises(ClientError) as error:
        sm.create_model_package(ModelPackageGroupName=closed_group, InferenceSpecification=SPEC)
    assert code(error) == "AccessDeniedException"
    assert "because no resource-based policy allows the sagemaker:CreateModelPackage action" in message(error)
    assert dev_sm.list_model_packages(ModelPackageGroupName="closed")["ModelPackageSummaryList"] == []
