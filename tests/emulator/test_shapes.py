"""Every operation the kit adds to moto, driven through botocore's service models in server mode.

For each call: botocore builds and signs the request from the model (so the server must parse
what the real SDK sends), and the raw response must match the operation's output shape: no member
the model does not define, every required member present, types, enums, lengths and patterns
(AWS's id formats live in the patterns) respected. Errors must be codes the model knows.
The scenario must cover every name in ``moto_ext.OPERATIONS``, so an added operation without a
shape check fails here.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from botocore.validate import ParamValidator

from environments import load_platform
from scripts.localcloud import LocalCloud
from scripts.localcloud.moto_ext import OPERATIONS
from tests.emulator.serving_shapes import serving_scenario

# Errors any AWS JSON service may return whatever the operation's model lists.
COMMON_ERRORS = {
    "ValidationException",
    "ValidationError",
    "AccessDeniedException",
    "ThrottlingException",
    "InternalServerException",
}
# S3's model lists almost no errors; these are from the S3 API reference's error-code table.
DOCUMENTED_ERRORS = {"s3": {"InvalidTargetBucketForLogging", "PreconditionFailed", "InvalidBucketState"}}


class ShapeChecker:
    """Checks one raw JSON response against an operation's output shape."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.json_wire = False

    def check(self, operation: OperationModel, body: Any, where: str, *, json_wire: bool = False) -> None:
        """``json_wire``: ``body`` is the raw JSON body, whose timestamps must be on the wire as
        the model says (epoch-second numbers unless the member's ``timestampFormat`` says
        otherwise): botocore reads text as well, the Go SDK of Terraform's provider does not."""
        self.json_wire = json_wire
        shape = operation.output_shape
        if shape is None:
            if body not in (None, {}, ""):
                self.problems.append(f"{where}: output has no shape but body is {body!r}")
            return
        self._walk(shape, body, where, top=True)

    def _walk(self, shape: Shape, value: Any, where: str, top: bool = False) -> None:
        if isinstance(shape, StructureShape):
            if not isinstance(value, dict):
                self.problems.append(f"{where}: expected an object, got {type(value).__name__}")
                return
            by_wire_name = {}
            for name, member in shape.members.items():
                if top and member.serialization.get("location"):
                    continue  # header/status members are not in the body
                by_wire_name[member.serialization.get("name", name)] = (name, member)
            for key, item in value.items():
                if key not in by_wire_name:
                    self.problems.append(f"{where}: unknown member {key!r}")
                    continue
                self._walk(by_wire_name[key][1], item, f"{where}.{key}")
            for required in shape.required_members:
                member = shape.members[required]
                if top and member.serialization.get("location"):
                    continue
                if member.serialization.get("name", required) not in value:
                    self.problems.append(f"{where}: required member {required!r} missing")
        elif isinstance(shape, ListShape):
            if not isinstance(value, list):
                self.problems.append(f"{where}: expected a list")
                return
            for index, item in enumerate(value):
                self._walk(shape.member, item, f"{where}[{index}]")
        elif isinstance(shape, MapShape):
            if not isinstance(value, dict):
                self.problems.append(f"{where}: expected a map")
                return
            for key, item in value.items():
                self._walk(shape.key, key, f"{where}<key>")
                self._walk(shape.value, item, f"{where}[{key!r}]")
        elif shape.type_name == "string":
            if not isinstance(value, str):
                self.problems.append(f"{where}: expected a string, got {value!r}")
                return
            enum = shape.enum
            if enum and value not in enum:
                self.problems.append(f"{where}: {value!r} is not one of {enum}")
            pattern = shape.metadata.get("pattern")
            if pattern:
                try:
                    matched = re.fullmatch(pattern, value, flags=re.DOTALL)
                except re.error:
                    matched = True  # a pattern Python cannot compile is not ours to judge
                if not matched:
                    self.problems.append(f"{where}: {value!r} does not match {pattern!r}")
            low, high = shape.metadata.get("min"), shape.metadata.get("max")
            if (low is not None and len(value) < low) or (high is not None and len(value) > high):
                self.problems.append(f"{where}: length {len(value)} outside [{low}, {high}]")
        elif shape.type_name in ("integer", "long"):
            if not isinstance(value, int) or isinstance(value, bool):
                self.problems.append(f"{where}: expected an integer, got {value!r}")
        elif shape.type_name in ("float", "double"):
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                self.problems.append(f"{where}: expected a number, got {value!r}")
        elif shape.type_name == "boolean":
            if not isinstance(value, bool):
                self.problems.append(f"{where}: expected a boolean, got {value!r}")
        elif shape.type_name == "timestamp":
            if not isinstance(value, (int, float, str, datetime)):
                self.problems.append(f"{where}: expected a timestamp, got {value!r}")
            wire_format = shape.serialization.get("timestampFormat", "unixTimestamp")
            if self.json_wire and wire_format == "unixTimestamp" and not isinstance(value, (int, float)):
                self.problems.append(f"{where}: expected epoch seconds (a JSON number), got {value!r}")


class Recorder:
    """Calls operations, keeps each raw response, and checks it against the model."""

    def __init__(self) -> None:
        self.checker = ShapeChecker()
        self.covered: dict[str, set[str]] = {}
        self._raw: dict[str, Any] = {}

    def client(self, session: boto3.Session, service: str, url: str) -> Any:
        client = session.client(
            service, endpoint_url=url, config=Config(retries={"mode": "standard", "max_attempts": 1})
        )
        client.meta.events.register("before-parse", self._keep_raw)
        return client

    def _keep_raw(self, response_dict: dict[str, Any], **_: Any) -> None:
        self._raw["response"] = response_dict

    def call(
        self, client: Any, operation: str, expect_error: str | None = None, **params: Any
    ) -> dict[str, Any]:
        service_model = client.meta.service_model
        model = service_model.operation_model(operation)
        method = getattr(client, _snake(operation))
        where = f"{service_model.service_name}.{operation}"
        try:
            result = method(**params)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            # The wire code: an error shape's own code where the model gives one (query protocol).
            known = {shape.metadata.get("error", {}).get("code", shape.name) for shape in model.error_shapes}
            known |= COMMON_ERRORS
            known |= DOCUMENTED_ERRORS.get(service_model.service_name, set())
            if expect_error is None:
                raise
            assert code == expect_error, f"{where}: expected {expect_error}, got {code}"
            if code not in known:
                self.checker.problems.append(
                    f"{where}: error code {code!r} is not in the model ({sorted(known)})"
                )
            self.covered.setdefault(service_model.service_name, set()).add(operation)
            return error.response
        if expect_error:
            pytest.fail(f"{where}: expected {expect_error}, the call succeeded")
        raw = self._raw.pop("response")
        assert raw["status_code"] == model.http.get("responseCode", 200), (
            f"{where}: HTTP {raw['status_code']}"
        )
        payload = model.output_shape is not None and model.output_shape.serialization.get("payload")
        if payload:
            pass  # the body is the payload itself (InvokeEndpoint): botocore's validator below
        elif service_model.protocol in ("json", "rest-json"):
            body = json.loads(raw["body"]) if raw["body"] else {}
            self.checker.check(model, body, where, json_wire=True)
        elif model.output_shape is not None:
            # XML: botocore's parser keeps only modelled members, so check the parsed result.
            parsed = {k: v for k, v in result.items() if k != "ResponseMetadata"}
            self.checker.check(model, _strip_locations(model.output_shape, parsed), where)
        if model.output_shape is not None:
            # botocore's own validator over the parsed result (types, required, ranges).
            parsed = {k: v for k, v in result.items() if k != "ResponseMetadata"}
            report = ParamValidator().validate(
                _strip_locations(model.output_shape, parsed), model.output_shape
            )
            if report.has_errors():
                self.checker.problems.append(f"{where}: {report.generate_report()}")
        self.covered.setdefault(service_model.service_name, set()).add(operation)
        return result


def _strip_locations(shape: StructureShape, parsed: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in parsed.items() if k in shape.members}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with LocalCloud(state_dir=tmp_path_factory.mktemp("shapes")) as running:
        yield running


@pytest.fixture(scope="module")
def session(cloud: LocalCloud) -> boto3.Session:
    return session_for(cloud, "dev")


def session_for(cloud: LocalCloud, environment: str) -> boto3.Session:
    env = cloud.env()
    base = boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"],
    )
    role = load_platform().env(environment).deploy_role_arn
    creds = base.client("sts", endpoint_url=cloud.url).assume_role(RoleArn=role, RoleSessionName="shapes")[
        "Credentials"
    ]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=env["AWS_DEFAULT_REGION"],
    )


CARD = {
    "model_overview": {"model_creator": "data-science", "model_artifact": ["s3://b/model.tar.gz"]},
    "intended_uses": {"purpose_of_model": "credit risk", "risk_rating": "Medium"},
    "business_details": {"business_problem": "defaults"},
    "training_details": {"training_job_details": {"training_metrics": [{"name": "auc", "value": 0.91}]}},
    "evaluation_details": [
        {
            "name": "holdout",
            "metric_groups": [
                {"name": "quality", "metric_data": [{"name": "auc", "type": "number", "value": 0.9}]}
            ],
        }
    ],
    "additional_information": {"custom_details": {"datazone_project_id": "abc123"}},
}
SPEC = {
    "Containers": [
        {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/sk:1", "ModelDataUrl": "s3://b/m.tar.gz"}
    ],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}


def sagemaker_scenario(rec: Recorder, sm: Any, key_arn: str) -> None:
    group = "shape-group"
    rec.call(
        sm, "CreateModelPackageGroup", ModelPackageGroupName=group, ModelPackageGroupDescription="shapes"
    )
    rec.call(sm, "CreateModelPackageGroup", expect_error="ValidationException", ModelPackageGroupName=group)
    first = rec.call(
        sm,
        "CreateModelPackage",
        ModelPackageGroupName=group,
        InferenceSpecification=SPEC,
        ModelCard={"ModelCardContent": json.dumps(CARD), "ModelCardStatus": "Draft"},
        ModelLifeCycle={"Stage": "Development", "StageStatus": "Registered", "StageDescription": "seeded"},
        SecurityConfig={"KmsKeyId": key_arn},
        ModelMetrics={
            "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": "s3://b/eval.json"}}
        },
        CustomerMetadataProperties={"source": "seed"},
        ClientToken="shape-token-1",
        Tags=[{"Key": "team", "Value": "ml"}],
    )["ModelPackageArn"]
    rec.call(
        sm,
        "CreateModelPackage",
        expect_error="ValidationException",
        ModelPackageGroupName=group,
        ModelCard={"ModelCardContent": json.dumps({"model_package_details": {}}), "ModelCardStatus": "Draft"},
    )
    rec.call(
        sm,
        "UpdateModelPackage",
        ModelPackageArn=first,
        ModelApprovalStatus="Approved",
        ApprovalDescription="approved by the officer",
        CustomerMetadataProperties={"reviewed": "yes"},
        CustomerMetadataPropertiesToRemove=["source"],
        ModelCard={"ModelCardStatus": "Approved"},
        ModelLifeCycle={"Stage": "Development", "StageStatus": "Approved"},
    )
    described = rec.call(sm, "DescribeModelPackage", ModelPackageName=first)
    assert described["ModelCard"]["ModelCardStatus"] == "Approved"
    rec.call(sm, "DescribeModelPackage", expect_error="ValidationException", ModelPackageName=f"{first}0")
    rec.call(sm, "ListModelPackages", ModelPackageGroupName=group)
    rec.call(sm, "DescribeModelPackageGroup", ModelPackageGroupName=group)
    # A role that exists: the local cloud refuses a principal that does not (checked below).
    grantee = load_platform().env("staging").deploy_role_arn
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": grantee},
                    "Action": ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"],
                    "Resource": "*",
                }
            ],
        }
    )
    rec.call(
        sm,
        "PutModelPackageGroupPolicy",
        expect_error="ValidationException",
        ModelPackageGroupName=group,
        ResourcePolicy=policy.replace(grantee, grantee.rsplit("/", 1)[0] + "/no-such-role"),
    )
    rec.call(sm, "PutModelPackageGroupPolicy", ModelPackageGroupName=group, ResourcePolicy=policy)
    rec.call(sm, "GetModelPackageGroupPolicy", ModelPackageGroupName=group)
    rec.call(sm, "DeleteModelPackageGroupPolicy", ModelPackageGroupName=group)

    artifact = rec.call(
        sm,
        "CreateArtifact",
        ArtifactName="shape-model",
        Source={"SourceUri": "s3://b/m.tar.gz", "SourceTypes": [{"SourceIdType": "S3ETag", "Value": "etag"}]},
        ArtifactType="Model",
        Properties={"k": "v"},
    )["ArtifactArn"]
    rec.call(sm, "DescribeArtifact", ArtifactArn=artifact)
    rec.call(sm, "UpdateArtifact", ArtifactArn=artifact, Properties={"rows": "10"}, PropertiesToRemove=["k"])
    rec.call(sm, "ListArtifacts", SourceUri="s3://b/m.tar.gz")
    action = rec.call(
        sm,
        "CreateAction",
        ActionName="shape-promotion",
        Source={"SourceUri": first},
        ActionType="Promotion",
        Status="Completed",
    )["ActionArn"]
    rec.call(sm, "DescribeAction", ActionName="shape-promotion")
    rec.call(sm, "UpdateAction", ActionName="shape-promotion", Status="Completed", Description="promoted")
    rec.call(sm, "ListActions", ActionType="Promotion")
    context = rec.call(
        sm,
        "CreateContext",
        ContextName="shape-endpoint",
        Source={"SourceUri": "endpoint"},
        ContextType="Endpoint",
    )["ContextArn"]
    rec.call(sm, "DescribeContext", ContextName="shape-endpoint")
    rec.call(sm, "UpdateContext", ContextName="shape-endpoint", Description="endpoint")
    rec.call(sm, "ListContexts")
    version = rec.call(sm, "CreateArtifact", Source={"SourceUri": first}, ArtifactType="ModelPackage")[
        "ArtifactArn"
    ]
    rec.call(
        sm, "AddAssociation", SourceArn=artifact, DestinationArn=version, AssociationType="ContributedTo"
    )
    rec.call(sm, "AddAssociation", SourceArn=version, DestinationArn=action, AssociationType="AssociatedWith")
    rec.call(
        sm,
        "AddAssociation",
        expect_error="ResourceNotFound",
        SourceArn=artifact.replace("shape-model", "missing"),
        DestinationArn=version,
    )
    rec.call(
        sm, "AddAssociation", expect_error="ValidationException", SourceArn=artifact, DestinationArn=first
    )
    rec.call(sm, "ListAssociations", DestinationArn=version)
    lineage = rec.call(
        sm,
        "QueryLineage",
        StartArns=[action],
        Direction="Ascendants",
        IncludeEdges=True,
        Filters={"LineageTypes": ["Artifact"]},
        MaxDepth=5,
        MaxResults=1,
    )
    assert lineage["Vertices"] and lineage["NextToken"]
    rec.call(
        sm,
        "QueryLineage",
        StartArns=[action],
        Direction="Ascendants",
        Filters={"LineageTypes": ["Artifact"]},
        MaxDepth=5,
        MaxResults=1,
        NextToken=lineage["NextToken"],
    )
    rec.call(
        sm,
        "QueryLineage",
        expect_error="ResourceNotFound",
        StartArns=[artifact.replace("shape-model", "missing")],
    )
    rec.call(sm, "ListAssociations", SourceArn=version, AssociationType="AssociatedWith")
    rec.call(sm, "DeleteAssociation", SourceArn=version, DestinationArn=action)
    rec.call(sm, "AddTags", ResourceArn=artifact, Tags=[{"Key": "a", "Value": "b"}])
    rec.call(sm, "ListTags", ResourceArn=artifact)
    rec.call(sm, "DeleteTags", ResourceArn=artifact, TagKeys=["a"])
    rec.call(sm, "DeleteArtifact", ArtifactArn=artifact)
    rec.call(sm, "DeleteAction", ActionName="shape-promotion")
    rec.call(sm, "DeleteContext", ContextName="shape-endpoint")
    assert context

    domain = rec.call(
        sm,
        "CreateDomain",
        DomainName="shape-studio",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": "arn:aws:iam::111111111111:role/mlgov-dev-sagemaker-execution"},
        SubnetIds=["subnet-0123456789abcdef0"],
        VpcId="vpc-0123456789abcdef0",
        AppNetworkAccessType="VpcOnly",
        KmsKeyId="arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    )
    domain_id = domain["DomainId"]
    rec.call(sm, "DescribeDomain", DomainId=domain_id)
    rec.call(
        sm,
        "UpdateDomain",
        DomainId=domain_id,
        DefaultUserSettings={"ExecutionRole": "arn:aws:iam::111111111111:role/mlgov-dev-sagemaker-execution"},
    )
    rec.call(
        sm,
        "CreateUserProfile",
        DomainId=domain_id,
        UserProfileName="data-scientist-1",
        Tags=[{"Key": "k", "Value": "v"}],
    )
    rec.call(
        sm,
        "CreateUserProfile",
        expect_error="ResourceInUse",
        DomainId=domain_id,
        UserProfileName="data-scientist-1",
    )
    rec.call(sm, "DescribeUserProfile", DomainId=domain_id, UserProfileName="data-scientist-1")
    rec.call(
        sm,
        "UpdateUserProfile",
        DomainId=domain_id,
        UserProfileName="data-scientist-1",
        UserSettings={"ExecutionRole": "arn:aws:iam::111111111111:role/mlgov-dev-data-scientist"},
    )
    rec.call(sm, "ListUserProfiles", DomainIdEquals=domain_id)
    studio_space_scenario(rec, sm, domain_id, "data-scientist-1")
    rec.call(sm, "DeleteUserProfile", DomainId=domain_id, UserProfileName="data-scientist-1")
    rec.call(
        sm,
        "DescribeUserProfile",
        expect_error="ResourceNotFound",
        DomainId=domain_id,
        UserProfileName="data-scientist-1",
    )
    rec.call(sm, "DeleteDomain", DomainId=domain_id)
    rec.call(sm, "DescribeDomain", expect_error="ResourceNotFound", DomainId=domain_id)

    search_scenario(rec, sm, group, first)
    model_card_scenario(rec, sm)
    # DescribeModel's shape: serving_scenario (a model needs a role SageMaker can assume).

    rec.call(sm, "DeleteModelPackageGroup", expect_error="ConflictException", ModelPackageGroupName=group)
    rec.call(sm, "DeleteModelPackage", ModelPackageName=first)
    rec.call(sm, "DeleteModelPackageGroup", ModelPackageGroupName=group)


def search_scenario(rec: Recorder, sm: Any, group: str, first: str) -> None:
    for _ in range(2):
        sm.create_model_package(
            ModelPackageGroupName=group,
            ModelCard={"ModelCardContent": json.dumps(CARD), "ModelCardStatus": "Draft"},
        )
    in_group = {"Filters": [{"Name": "ModelPackageGroupName", "Operator": "Equals", "Value": group}]}
    page = rec.call(
        sm,
        "Search",
        Resource="ModelPackage",
        SearchExpression=in_group,
        SortBy="CreationTime",
        SortOrder="Ascending",
        MaxResults=2,
    )
    assert page["Results"][0]["ModelPackage"]["ModelPackageArn"] == first and page["NextToken"]
    rest = rec.call(
        sm,
        "Search",
        Resource="ModelPackage",
        SearchExpression=in_group,
        SortBy="CreationTime",
        SortOrder="Ascending",
        MaxResults=2,
        NextToken=page["NextToken"],
    )
    assert len(rest["Results"]) == 1 and "NextToken" not in rest
    rec.call(
        sm,
        "Search",
        Resource="ModelPackage",
        SearchExpression={
            "Filters": [{"Name": "ModelApprovalStatus", "Value": "Approved"}],
            "SubExpressions": [
                {
                    "Operator": "Or",
                    "Filters": [
                        {"Name": "CreationTime", "Operator": "GreaterThan", "Value": "2020-01-01T00:00:00"}
                    ],
                }
            ],
        },
    )
    rec.call(sm, "Search", Resource="ModelPackageGroup")
    rec.call(
        sm,
        "Search",
        expect_error="ValidationException",
        Resource="ModelPackage",
        SearchExpression={"Filters": [{"Name": "NoSuchProperty", "Value": "x"}]},
    )
    for version in range(2, 4):
        sm.delete_model_package(ModelPackageName=f"{first.rsplit('/', 1)[0]}/{version}")


def model_card_scenario(rec: Recorder, sm: Any) -> None:
    content = json.dumps({"model_overview": {"model_id": "m-1"}, "intended_uses": {"risk_rating": "Low"}})
    rec.call(sm, "CreateModelCard", ModelCardName="shape-card", Content=content, ModelCardStatus="Draft")
    rec.call(sm, "DescribeModelCard", ModelCardName="shape-card", IncludedData="MetadataOnly")
    rec.call(sm, "UpdateModelCard", ModelCardName="shape-card", ModelCardStatus="PendingReview")
    rec.call(
        sm,
        "UpdateModelCard",
        expect_error="ValidationException",
        ModelCardName="shape-card",
        Content=content,
        ModelCardStatus="Approved",
    )
    rec.call(sm, "ListModelCardVersions", ModelCardName="shape-card")
    rec.call(sm, "Search", Resource="ModelCard")
    rec.call(
        sm,
        "CreateModelCardExportJob",
        expect_error="ResourceNotFound",
        ModelCardName="no-such-card",
        ModelCardExportJobName="shape-export",
        OutputConfig={"S3OutputPath": "s3://shape-exports/cards"},
    )
    job = rec.call(
        sm,
        "CreateModelCardExportJob",
        ModelCardName="shape-card",
        ModelCardExportJobName="shape-export",
        OutputConfig={"S3OutputPath": "s3://shape-exports/cards"},
    )["ModelCardExportJobArn"]
    described = rec.call(sm, "DescribeModelCardExportJob", ModelCardExportJobArn=job)
    assert described["Status"] == "Failed"  # no such bucket in this account
    rec.call(sm, "ListModelCardExportJobs", ModelCardName="shape-card")
    sm.delete_model_card(ModelCardName="shape-card")


WORKFLOW_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def _finished(describe: Any, key: str, running: tuple[str, ...]) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while (described := describe())[key] in running:
        assert time.monotonic() < deadline, f"still {described[key]}"
        time.sleep(0.25)
    return described


def workflow_scenario(rec: Recorder, sm: Any, session: boto3.Session, url: str) -> None:
    """Jobs and a pipeline that run (real subprocesses), each call checked against the model."""
    s3, iam = session.client("s3", endpoint_url=url), session.client("iam", endpoint_url=url)
    s3.create_bucket(Bucket="shape-workflow")
    s3.put_object(
        Bucket="shape-workflow",
        Key="code/ok.py",
        Body=b"import time\ntime.sleep(float(__import__('os').environ.get('NAP', '0')))\n",
    )
    trust = {
        "Effect": "Allow",
        "Principal": {"Service": "sagemaker.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    role = iam.create_role(
        RoleName="shape-workflow",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [trust]}),
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="shape-workflow",
        PolicyName="all",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )
    code = {
        "S3Uri": "s3://shape-workflow/code/ok.py",
        "LocalPath": "/opt/ml/processing/input/code",
        "S3DataType": "S3Prefix",
        "S3InputMode": "File",
    }
    processing = {
        "RoleArn": role,
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30}
        },
        "AppSpecification": {
            "ImageUri": WORKFLOW_IMAGE,
            "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/ok.py"],
        },
        "ProcessingInputs": [{"InputName": "code", "S3Input": code}],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "out",
                    "S3Output": {
                        "S3Uri": "s3://shape-workflow/out",
                        "LocalPath": "/opt/ml/processing/output/out",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    }
    rec.call(sm, "CreateProcessingJob", ProcessingJobName="shape-processing", **processing)
    rec.call(
        sm,
        "CreateProcessingJob",
        expect_error="ValidationException",
        ProcessingJobName="shape-refused",
        **{
            **processing,
            "AppSpecification": {"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/mine:1"},
        },
    )
    rec.call(
        sm, "CreateProcessingJob", ProcessingJobName="shape-stopped", Environment={"NAP": "300"}, **processing
    )
    rec.call(sm, "StopProcessingJob", ProcessingJobName="shape-stopped")
    _finished(
        lambda: sm.describe_processing_job(ProcessingJobName="shape-processing"),
        "ProcessingJobStatus",
        ("InProgress",),
    )
    _finished(
        lambda: sm.describe_processing_job(ProcessingJobName="shape-stopped"),
        "ProcessingJobStatus",
        ("InProgress", "Stopping"),
    )
    assert (
        rec.call(sm, "DescribeProcessingJob", ProcessingJobName="shape-processing")["ProcessingJobStatus"]
        == "Completed"
    )
    rec.call(sm, "DescribeProcessingJob", ProcessingJobName="shape-stopped")
    rec.call(sm, "StopProcessingJob", expect_error="ValidationException", ProcessingJobName="shape-stopped")
    rec.call(sm, "ListProcessingJobs", SortBy="Name", SortOrder="Ascending", MaxResults=1)
    training = {
        "RoleArn": role,
        "AlgorithmSpecification": {
            "TrainingImage": WORKFLOW_IMAGE,
            "TrainingInputMode": "File",
            "ContainerEntrypoint": ["python3", "/opt/ml/input/data/code/ok.py"],
        },
        "InputDataConfig": [
            {
                "ChannelName": "code",
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://shape-workflow/code/ok.py"}
                },
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://shape-workflow/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
        "HyperParameters": {"C": "1.0"},
    }
    rec.call(sm, "CreateTrainingJob", TrainingJobName="shape-training", **training)
    rec.call(
        sm, "CreateTrainingJob", expect_error="ResourceInUse", TrainingJobName="shape-training", **training
    )
    rec.call(
        sm,
        "CreateTrainingJob",
        TrainingJobName="shape-training-stopped",
        Environment={"NAP": "300"},
        **training,
    )
    rec.call(sm, "StopTrainingJob", TrainingJobName="shape-training-stopped")
    for name in ("shape-training", "shape-training-stopped"):
        _finished(
            lambda name=name: sm.describe_training_job(TrainingJobName=name),
            "TrainingJobStatus",
            ("InProgress", "Stopping"),
        )
        rec.call(sm, "DescribeTrainingJob", TrainingJobName=name)
    rec.call(sm, "DescribeTrainingJob", expect_error="ValidationException", TrainingJobName="shape-none")
    rec.call(sm, "StopTrainingJob", expect_error="ValidationException", TrainingJobName="shape-training")
    rec.call(sm, "ListTrainingJobs", StatusEquals="Completed")

    arguments = {k: v for k, v in processing.items() if k != "StoppingCondition"}
    arguments["AppSpecification"] = {
        **processing["AppSpecification"],
        "ContainerArguments": [{"Std:Join": {"On": "", "Values": [{"Get": "Parameters.Floor"}]}}],
    }
    definition = {
        "Version": "2020-12-01",
        "Parameters": [{"Name": "Floor", "Type": "Float", "DefaultValue": 0.5}],
        "Steps": [
            {"Name": "Run", "Type": "Processing", "Arguments": arguments},
            {
                "Name": "Check",
                "Type": "Condition",
                "DependsOn": ["Run"],
                "Arguments": {
                    "Conditions": [
                        {"Type": "GreaterThan", "LeftValue": {"Get": "Parameters.Floor"}, "RightValue": 0.9}
                    ],
                    "IfSteps": [],
                    "ElseSteps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "below"}}],
                },
            },
        ],
    }
    rec.call(
        sm,
        "CreatePipeline",
        PipelineName="shape-pipeline",
        RoleArn=role,
        PipelineDefinition=json.dumps(definition),
        PipelineDescription="shape",
        Tags=[{"Key": "k", "Value": "v"}],
    )
    rec.call(
        sm,
        "CreatePipeline",
        expect_error="ValidationException",
        PipelineName="shape-broken",
        RoleArn=role,
        PipelineDefinition="{}",
    )
    rec.call(
        sm,
        "UpdatePipeline",
        PipelineName="shape-pipeline",
        PipelineDefinition=json.dumps(definition),
        PipelineDisplayName="Shape",
    )
    rec.call(sm, "DescribePipeline", PipelineName="shape-pipeline", PipelineVersionId=1)
    rec.call(sm, "DescribePipeline", expect_error="ResourceNotFound", PipelineName="shape-none")
    rec.call(sm, "ListPipelines", PipelineNamePrefix="shape", SortBy="Name")
    execution = rec.call(
        sm,
        "StartPipelineExecution",
        PipelineName="shape-pipeline",
        PipelineParameters=[{"Name": "Floor", "Value": "0.7"}],
    )["PipelineExecutionArn"]
    _finished(
        lambda: sm.describe_pipeline_execution(PipelineExecutionArn=execution),
        "PipelineExecutionStatus",
        ("Executing",),
    )
    assert (
        rec.call(sm, "DescribePipelineExecution", PipelineExecutionArn=execution)["PipelineExecutionStatus"]
        == "Failed"
    )
    steps = rec.call(sm, "ListPipelineExecutionSteps", PipelineExecutionArn=execution)[
        "PipelineExecutionSteps"
    ]
    assert {s["StepName"]: s["StepStatus"] for s in steps} == {
        "Run": "Succeeded",
        "Check": "Succeeded",
        "Stop": "Failed",
    }
    rec.call(sm, "ListPipelineExecutions", PipelineName="shape-pipeline")
    rec.call(sm, "DescribePipelineDefinitionForExecution", PipelineExecutionArn=execution)
    rec.call(sm, "ListPipelineParametersForExecution", PipelineExecutionArn=execution)
    rec.call(sm, "StopPipelineExecution", expect_error="ConflictException", PipelineExecutionArn=execution)
    running = sm.start_pipeline_execution(PipelineName="shape-pipeline")["PipelineExecutionArn"]
    rec.call(sm, "StopPipelineExecution", PipelineExecutionArn=running)
    _finished(
        lambda: sm.describe_pipeline_execution(PipelineExecutionArn=running),
        "PipelineExecutionStatus",
        ("Executing", "Stopping"),
    )
    rec.call(sm, "DeletePipeline", PipelineName="shape-pipeline")


def datazone_scenario(rec: Recorder, dz: Any) -> None:
    domain = rec.call(
        dz,
        "CreateDomain",
        name="shape-governance",
        description="governance",
        domainExecutionRole="arn:aws:iam::111111111111:role/mlgov-dev-datazone-execution",
        kmsKeyIdentifier="arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        tags={"env": "dev"},
    )
    domain_id, arn = domain["id"], domain["arn"]
    rec.call(dz, "GetDomain", identifier=domain_id)
    rec.call(dz, "UpdateDomain", identifier=domain_id, description="governance domain")
    rec.call(dz, "ListDomains")
    rec.call(dz, "TagResource", resourceArn=arn, tags={"owner": "platform"})
    rec.call(dz, "UntagResource", resourceArn=arn, tagKeys=["env"])
    tags = rec.call(dz, "ListTagsForResource", resourceArn=arn)["tags"]
    assert tags == {"owner": "platform"}
    project = rec.call(
        dz, "CreateProject", domainIdentifier=domain_id, name="shape-credit-risk", description="p"
    )
    rec.call(
        dz,
        "CreateProject",
        expect_error="ConflictException",
        domainIdentifier=domain_id,
        name="shape-credit-risk",
    )
    rec.call(dz, "GetProject", domainIdentifier=domain_id, identifier=project["id"])
    rec.call(
        dz, "UpdateProject", domainIdentifier=domain_id, identifier=project["id"], description="credit risk"
    )
    rec.call(dz, "ListProjects", domainIdentifier=domain_id)
    rec.call(dz, "DeleteDomain", expect_error="ConflictException", identifier=domain_id)
    rec.call(dz, "DeleteProject", domainIdentifier=domain_id, identifier=project["id"])
    rec.call(
        dz,
        "GetProject",
        expect_error="ResourceNotFoundException",
        domainIdentifier=domain_id,
        identifier=project["id"],
    )
    rec.call(dz, "DeleteDomain", identifier=domain_id)
    rec.call(dz, "GetDomain", expect_error="ResourceNotFoundException", identifier=domain_id)


DATASET_FORM = """
structure Column {
    @required
    name: String
    @required
    type: String
}
list Columns {
    member: Column
}
structure ShapeDatasetForm {
    @required
    s3Uri: String
    @required
    schema: Columns
    @amazon.datazone#searchable
    owner: String
}
"""


def datazone_catalog_scenario(rec: Recorder, dz: Any, iam: Any) -> None:
    """Users, membership, glossary, types, assets, listings, search, environments, subscriptions
    and grants, each call's response checked against the model; one principal (the deploy role)
    owns both projects, so every call succeeds except the refusals asked for."""
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "datazone.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    consumer_role = iam.create_role(RoleName="shape-consumer", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    grant_role = iam.create_role(RoleName="shape-grant", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    domain_id = dz.create_domain(name="shape-catalog", domainExecutionRole=consumer_role)["id"]
    producer = dz.create_project(domainIdentifier=domain_id, name="shape-producer")["id"]
    consumer = dz.create_project(domainIdentifier=domain_id, name="shape-consumer")["id"]
    profile = rec.call(
        dz, "CreateUserProfile", domainIdentifier=domain_id, userIdentifier=consumer_role, userType="IAM_ROLE"
    )
    rec.call(dz, "GetUserProfile", domainIdentifier=domain_id, userIdentifier=profile["id"])
    rec.call(
        dz,
        "GetUserProfile",
        expect_error="ResourceNotFoundException",
        domainIdentifier=domain_id,
        userIdentifier=grant_role,
    )
    member = {"userIdentifier": profile["id"]}
    rec.call(
        dz,
        "CreateProjectMembership",
        domainIdentifier=domain_id,
        projectIdentifier=consumer,
        member=member,
        designation="PROJECT_CONTRIBUTOR",
    )
    # A member added again takes the new designation.
    rec.call(
        dz,
        "CreateProjectMembership",
        domainIdentifier=domain_id,
        projectIdentifier=consumer,
        member=member,
        designation="PROJECT_CATALOG_CONSUMER",
    )
    rec.call(dz, "ListProjectMemberships", domainIdentifier=domain_id, projectIdentifier=consumer)
    rec.call(
        dz, "DeleteProjectMembership", domainIdentifier=domain_id, projectIdentifier=consumer, member=member
    )
    glossary = rec.call(
        dz,
        "CreateGlossary",
        domainIdentifier=domain_id,
        name="Business terms",
        owningProjectIdentifier=producer,
    )
    rec.call(dz, "GetGlossary", domainIdentifier=domain_id, identifier=glossary["id"])
    term = rec.call(
        dz,
        "CreateGlossaryTerm",
        domainIdentifier=domain_id,
        glossaryIdentifier=glossary["id"],
        name="Credit risk",
        shortDescription="The chance a borrower defaults",
    )
    rec.call(dz, "GetGlossaryTerm", domainIdentifier=domain_id, identifier=term["id"])
    form = rec.call(
        dz,
        "CreateFormType",
        domainIdentifier=domain_id,
        name="ShapeDatasetForm",
        model={"smithy": DATASET_FORM},
        owningProjectIdentifier=producer,
        status="ENABLED",
    )
    rec.call(
        dz,
        "CreateFormType",
        expect_error="ValidationException",
        domainIdentifier=domain_id,
        name="ShapeBroken",
        model={"smithy": "structure Other { a: String }"},
        owningProjectIdentifier=producer,
    )
    rec.call(dz, "GetFormType", domainIdentifier=domain_id, formTypeIdentifier="ShapeDatasetForm")
    rec.call(
        dz,
        "GetFormType",
        domainIdentifier=domain_id,
        formTypeIdentifier="amazon.datazone.S3ObjectCollectionFormType",
    )
    rec.call(
        dz,
        "CreateAssetType",
        domainIdentifier=domain_id,
        name="ShapeDataset",
        owningProjectIdentifier=producer,
        formsInput={
            "S3ObjectCollectionForm": {
                "typeIdentifier": "amazon.datazone.S3ObjectCollectionFormType",
                "typeRevision": "1",
                "required": True,
            },
            "ShapeDatasetForm": {
                "typeIdentifier": "ShapeDatasetForm",
                "typeRevision": form["revision"],
                "required": True,
            },
        },
    )
    rec.call(dz, "GetAssetType", domainIdentifier=domain_id, identifier="ShapeDataset")
    rec.call(
        dz,
        "GetAssetType",
        domainIdentifier=domain_id,
        identifier="amazon.datazone.S3ObjectCollectionAssetType",
    )
    rec.call(dz, "SearchTypes", domainIdentifier=domain_id, searchScope="ASSET_TYPE", managed=False)
    forms = [
        {
            "formName": "S3ObjectCollectionForm",
            "content": json.dumps({"bucketArn": "arn:aws:s3:::shape-data"}),
        },
        {
            "formName": "ShapeDatasetForm",
            "content": json.dumps(
                {"s3Uri": "s3://shape-data/credit/", "schema": [{"name": "age", "type": "int"}]}
            ),
        },
    ]
    asset = rec.call(
        dz,
        "CreateAsset",
        domainIdentifier=domain_id,
        name="shape credit applications",
        owningProjectIdentifier=producer,
        typeIdentifier="ShapeDataset",
        formsInput=forms,
        glossaryTerms=[term["id"]],
        description="loan applications",
    )
    rec.call(
        dz,
        "CreateAsset",
        expect_error="ValidationException",
        domainIdentifier=domain_id,
        name="missing form",
        owningProjectIdentifier=producer,
        typeIdentifier="ShapeDataset",
        formsInput=forms[:1],
    )
    rec.call(dz, "GetAsset", domainIdentifier=domain_id, identifier=asset["id"])
    rec.call(
        dz,
        "CreateAssetRevision",
        domainIdentifier=domain_id,
        identifier=asset["id"],
        name="shape credit applications",
        formsInput=forms,
        glossaryTerms=[term["id"]],
        description="loan applications, refreshed",
    )
    rec.call(dz, "ListAssetRevisions", domainIdentifier=domain_id, identifier=asset["id"])
    listing = rec.call(
        dz,
        "CreateListingChangeSet",
        domainIdentifier=domain_id,
        entityIdentifier=asset["id"],
        entityType="ASSET",
        action="PUBLISH",
    )
    deadline = time.monotonic() + 30
    while (
        rec.call(dz, "GetListing", domainIdentifier=domain_id, identifier=listing["listingId"])["status"]
        != "ACTIVE"
    ):
        assert time.monotonic() < deadline, "the listing never became ACTIVE"
        time.sleep(0.2)
    found = rec.call(
        dz,
        "SearchListings",
        domainIdentifier=domain_id,
        searchText="credit risk",
        additionalAttributes=["FORMS"],
    )
    assert [i["assetListing"]["listingId"] for i in found["items"]] == [listing["listingId"]]
    rec.call(dz, "Search", domainIdentifier=domain_id, searchScope="ASSET", owningProjectIdentifier=producer)
    rec.call(dz, "Search", domainIdentifier=domain_id, searchScope="GLOSSARY_TERM", searchText="credit")
    account = consumer_role.split(":")[4]
    [blueprint] = rec.call(
        dz, "ListEnvironmentBlueprints", domainIdentifier=domain_id, managed=True, name="CustomAwsService"
    )["items"]
    rec.call(
        dz,
        "PutEnvironmentBlueprintConfiguration",
        domainIdentifier=domain_id,
        environmentBlueprintIdentifier=blueprint["id"],
        enabledRegions=["us-east-1"],
    )
    environment = rec.call(
        dz,
        "CreateEnvironment",
        domainIdentifier=domain_id,
        projectIdentifier=consumer,
        name="shape-training",
        environmentBlueprintIdentifier=blueprint["id"],
        environmentAccountIdentifier=account,
        environmentAccountRegion="us-east-1",
    )
    rec.call(
        dz,
        "AssociateEnvironmentRole",
        domainIdentifier=domain_id,
        environmentIdentifier=environment["id"],
        environmentRoleArn=consumer_role,
    )
    rec.call(dz, "GetEnvironment", domainIdentifier=domain_id, identifier=environment["id"])
    rec.call(dz, "ListEnvironments", domainIdentifier=domain_id, projectIdentifier=consumer)
    target = rec.call(
        dz,
        "CreateSubscriptionTarget",
        domainIdentifier=domain_id,
        environmentIdentifier=environment["id"],
        name="shape-s3-read",
        type="BaseSubscriptionTargetType",
        subscriptionTargetConfig=[],
        authorizedPrincipals=[consumer_role],
        manageAccessRole=grant_role,
        applicableAssetTypes=["ShapeDataset"],
        provider="mlgov",
    )
    rec.call(
        dz,
        "GetSubscriptionTarget",
        domainIdentifier=domain_id,
        environmentIdentifier=environment["id"],
        identifier=target["id"],
    )
    rec.call(
        dz, "ListSubscriptionTargets", domainIdentifier=domain_id, environmentIdentifier=environment["id"]
    )
    request = rec.call(
        dz,
        "CreateSubscriptionRequest",
        domainIdentifier=domain_id,
        subscribedPrincipals=[{"project": {"identifier": consumer}}],
        subscribedListings=[{"identifier": listing["listingId"]}],
        requestReason="train the credit model",
    )
    rec.call(
        dz,
        "CreateSubscriptionRequest",
        expect_error="ConflictException",
        domainIdentifier=domain_id,
        subscribedPrincipals=[{"project": {"identifier": consumer}}],
        subscribedListings=[{"identifier": listing["listingId"]}],
        requestReason="again",
    )
    rec.call(dz, "GetSubscriptionRequestDetails", domainIdentifier=domain_id, identifier=request["id"])
    rec.call(
        dz,
        "ListSubscriptionRequests",
        domainIdentifier=domain_id,
        approverProjectId=producer,
        status="PENDING",
    )
    rec.call(dz, "ListSubscriptionRequests", expect_error="ValidationException", domainIdentifier=domain_id)
    rec.call(
        dz,
        "AcceptSubscriptionRequest",
        domainIdentifier=domain_id,
        identifier=request["id"],
        decisionComment="approved",
    )
    rec.call(
        dz,
        "RejectSubscriptionRequest",
        expect_error="ConflictException",
        domainIdentifier=domain_id,
        identifier=request["id"],
        decisionComment="too late",
    )
    [subscription] = rec.call(dz, "ListSubscriptions", domainIdentifier=domain_id, owningProjectId=consumer)[
        "items"
    ]
    rec.call(dz, "GetSubscription", domainIdentifier=domain_id, identifier=subscription["id"])
    [grant] = rec.call(
        dz, "ListSubscriptionGrants", domainIdentifier=domain_id, subscriptionId=subscription["id"]
    )["items"]
    rec.call(
        dz,
        "CreateSubscriptionGrant",
        expect_error="ConflictException",
        domainIdentifier=domain_id,
        environmentIdentifier=environment["id"],
        subscriptionTargetIdentifier=target["id"],
        grantedEntity={"listing": {"identifier": listing["listingId"], "revision": "1"}},
    )
    for status in ("GRANT_IN_PROGRESS", "GRANTED"):
        rec.call(
            dz,
            "UpdateSubscriptionGrantStatus",
            domainIdentifier=domain_id,
            identifier=grant["id"],
            assetIdentifier=asset["id"],
            status=status,
        )
    rec.call(dz, "GetSubscriptionGrant", domainIdentifier=domain_id, identifier=grant["id"])
    rec.call(
        dz,
        "DeleteSubscriptionGrant",
        expect_error="ConflictException",
        domainIdentifier=domain_id,
        identifier=grant["id"],
    )
    rec.call(dz, "RevokeSubscription", domainIdentifier=domain_id, identifier=subscription["id"])
    rec.call(
        dz,
        "CancelSubscription",
        expect_error="ConflictException",
        domainIdentifier=domain_id,
        identifier=subscription["id"],
    )
    rec.call(
        dz,
        "UpdateSubscriptionGrantStatus",
        domainIdentifier=domain_id,
        identifier=grant["id"],
        assetIdentifier=asset["id"],
        status="REVOKED",
    )
    rec.call(dz, "DeleteSubscriptionGrant", domainIdentifier=domain_id, identifier=grant["id"])
    again = dz.create_subscription_request(
        domainIdentifier=domain_id,
        subscribedPrincipals=[{"project": {"identifier": consumer}}],
        subscribedListings=[{"identifier": listing["listingId"]}],
        requestReason="once more",
    )
    dz.accept_subscription_request(domainIdentifier=domain_id, identifier=again["id"])
    [renewed] = dz.list_subscriptions(
        domainIdentifier=domain_id, owningProjectId=consumer, status="APPROVED"
    )["items"]
    rec.call(dz, "CancelSubscription", domainIdentifier=domain_id, identifier=renewed["id"])
    [granted] = dz.list_subscription_grants(domainIdentifier=domain_id, subscriptionId=renewed["id"])["items"]
    rec.call(
        dz,
        "CreateSubscriptionGrant",
        expect_error="ValidationException",
        domainIdentifier=domain_id,
        environmentIdentifier=environment["id"],
        grantedEntity={"listing": {"identifier": listing["listingId"], "revision": "1"}},
    )
    rec.call(
        dz,
        "DeleteSubscriptionTarget",
        expect_error="ConflictException",
        domainIdentifier=domain_id,
        environmentIdentifier=environment["id"],
        identifier=target["id"],
    )
    dz.update_subscription_grant_status(
        domainIdentifier=domain_id, identifier=granted["id"], assetIdentifier=asset["id"], status="REVOKED"
    )
    rec.call(
        dz,
        "DeleteSubscriptionTarget",
        domainIdentifier=domain_id,
        environmentIdentifier=environment["id"],
        identifier=target["id"],
    )
    rec.call(dz, "DeleteEnvironment", domainIdentifier=domain_id, identifier=environment["id"])
    rec.call(
        dz,
        "DeleteAsset",
        expect_error="ConflictException",
        domainIdentifier=domain_id,
        identifier=asset["id"],
    )
    dz.create_listing_change_set(
        domainIdentifier=domain_id, entityIdentifier=asset["id"], entityType="ASSET", action="UNPUBLISH"
    )
    rec.call(dz, "DeleteAsset", domainIdentifier=domain_id, identifier=asset["id"])
    rec.call(
        dz,
        "DeleteFormType",
        expect_error="ConflictException",
        domainIdentifier=domain_id,
        formTypeIdentifier="ShapeDatasetForm",
    )
    rec.call(dz, "DeleteAssetType", domainIdentifier=domain_id, identifier="ShapeDataset")
    rec.call(dz, "DeleteFormType", domainIdentifier=domain_id, formTypeIdentifier="ShapeDatasetForm")
    rec.call(
        dz,
        "DeleteGlossaryTerm",
        expect_error="ConflictException",
        domainIdentifier=domain_id,
        identifier=term["id"],
    )
    rec.call(dz, "UpdateGlossaryTerm", domainIdentifier=domain_id, identifier=term["id"], status="DISABLED")
    rec.call(dz, "DeleteGlossaryTerm", domainIdentifier=domain_id, identifier=term["id"])
    rec.call(dz, "UpdateGlossary", domainIdentifier=domain_id, identifier=glossary["id"], status="DISABLED")
    rec.call(dz, "DeleteGlossary", domainIdentifier=domain_id, identifier=glossary["id"])


def ram_scenario(rec: Recorder, ram: Any, domain_arn: str, receiver: Any) -> None:
    share = rec.call(
        ram,
        "CreateResourceShare",
        name="shape-share",
        allowExternalPrincipals=True,
        tags=[{"key": "env", "value": "dev"}],
    )["resourceShare"]["resourceShareArn"]
    rec.call(ram, "AssociateResourceShare", resourceShareArn=share, resourceArns=[domain_arn])
    rec.call(ram, "AssociateResourceShare", resourceShareArn=share, principals=["222222222222"])
    shares = rec.call(ram, "GetResourceShares", resourceOwner="SELF", resourceShareArns=[share])[
        "resourceShares"
    ]
    assert [s["tags"] for s in shares] == [[{"key": "env", "value": "dev"}]]
    rec.call(ram, "ListResourceSharePermissions", resourceShareArn=share)
    # A share carrying a permission, as the stack's does: its timestamps on the wire too.
    with_permission = rec.call(
        ram,
        "CreateResourceShare",
        name="shape-share-with-permission",
        resourceArns=[domain_arn],
        permissionArns=["arn:aws:ram::aws:permission/AWSRAMDefaultPermissionAmazonDataZoneDomain"],
    )["resourceShare"]["resourceShareArn"]
    listed = rec.call(ram, "ListResourceSharePermissions", resourceShareArn=with_permission)["permissions"]
    assert [p["name"] for p in listed] == ["AWSRAMDefaultPermissionAmazonDataZoneDomain"]
    rec.call(ram, "DeleteResourceShare", resourceShareArn=with_permission)
    rec.call(ram, "TagResource", resourceShareArn=share, tags=[{"key": "owner", "value": "platform"}])
    rec.call(ram, "UntagResource", resourceShareArn=share, tagKeys=["env"])
    associated = ram.get_resource_share_associations(associationType="PRINCIPAL", resourceShareArns=[share])
    assert [a["associatedEntity"] for a in associated["resourceShareAssociations"]] == ["222222222222"]
    [invitation] = rec.call(receiver, "GetResourceShareInvitations", resourceShareArns=[share])[
        "resourceShareInvitations"
    ]
    assert invitation["status"] == "PENDING"
    rec.call(receiver, "ListResources", resourceOwner="OTHER-ACCOUNTS", resourceShareArns=[share])
    rec.call(
        receiver,
        "AcceptResourceShareInvitation",
        resourceShareInvitationArn=invitation["resourceShareInvitationArn"],
    )
    rec.call(
        receiver,
        "RejectResourceShareInvitation",
        expect_error="ResourceShareInvitationAlreadyAcceptedException",
        resourceShareInvitationArn=invitation["resourceShareInvitationArn"],
    )
    rec.call(receiver, "GetResourceShares", resourceOwner="OTHER-ACCOUNTS", resourceShareArns=[share])
    listed = rec.call(receiver, "ListResources", resourceOwner="OTHER-ACCOUNTS", resourceShareArns=[share])
    assert [r["arn"] for r in listed["resources"]] == [domain_arn]
    rec.call(ram, "DisassociateResourceShare", resourceShareArn=share, principals=["222222222222"])
    rec.call(ram, "DisassociateResourceShare", resourceShareArn=share, resourceArns=[domain_arn])
    ram.delete_resource_share(resourceShareArn=share)


def studio_space_scenario(rec: Recorder, sm: Any, domain_id: str, profile: str) -> None:
    """A private JupyterLab space of ``profile`` and its app, created, read and deleted."""
    space = {"DomainId": domain_id, "SpaceName": "shape-lab"}
    rec.call(
        sm,
        "CreateSpace",
        **space,
        Tags=[{"Key": "k", "Value": "v"}],
        SpaceSettings={
            "AppType": "JupyterLab",
            "SpaceStorageSettings": {"EbsStorageSettings": {"EbsVolumeSizeInGb": 5}},
        },
        OwnershipSettings={"OwnerUserProfileName": profile},
        SpaceSharingSettings={"SharingType": "Private"},
        SpaceDisplayName="Shape lab",
    )
    rec.call(
        sm,
        "CreateSpace",
        expect_error="ResourceInUse",
        **space,
        OwnershipSettings={"OwnerUserProfileName": profile},
        SpaceSharingSettings={"SharingType": "Private"},
    )
    rec.call(sm, "DescribeSpace", **space)
    rec.call(sm, "ListSpaces", DomainIdEquals=domain_id, SortBy="LastModifiedTime")
    app = {**space, "AppType": "JupyterLab", "AppName": "default"}
    rec.call(
        sm,
        "CreateApp",
        **app,
        ResourceSpec={"InstanceType": "ml.t3.medium"},
        Tags=[{"Key": "k", "Value": "v"}],
    )
    rec.call(sm, "CreateApp", expect_error="ResourceInUse", **app)
    rec.call(sm, "DescribeApp", **app)
    rec.call(sm, "ListApps", DomainIdEquals=domain_id, SpaceNameEquals="shape-lab", SortBy="CreationTime")
    rec.call(sm, "DeleteSpace", expect_error="ResourceInUse", **space)
    rec.call(sm, "DeleteApp", **app)
    deadline = time.monotonic() + 30
    while sm.describe_app(**app)["Status"] != "Deleted":
        assert time.monotonic() < deadline, "the app never reached Deleted"
        time.sleep(0.25)
    rec.call(sm, "DescribeApp", **app)  # Deleted apps are still described
    rec.call(sm, "DeleteApp", expect_error="ResourceNotFound", **app)
    rec.call(sm, "DeleteSpace", **space)
    rec.call(sm, "DescribeSpace", expect_error="ResourceNotFound", **space)


def s3_scenario(rec: Recorder, s3: Any) -> None:
    s3.create_bucket(Bucket="shape-logs")
    s3.create_bucket(Bucket="shape-data")
    # ACLs enabled on the target: the log-delivery grant is checked when logging is configured.
    s3.put_bucket_ownership_controls(
        Bucket="shape-logs", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    )
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": ["s3:PutObject"],
                "Resource": ["arn:aws:s3:::shape-logs/shape-data/*"],
            }
        ],
    }
    logging_status = {"LoggingEnabled": {"TargetBucket": "shape-logs", "TargetPrefix": "shape-data/"}}
    rec.call(
        s3,
        "PutBucketLogging",
        expect_error="InvalidTargetBucketForLogging",
        Bucket="shape-data",
        BucketLoggingStatus=logging_status,
    )
    s3.put_bucket_policy(Bucket="shape-logs", Policy=json.dumps(policy))
    rec.call(s3, "PutBucketLogging", Bucket="shape-data", BucketLoggingStatus=logging_status)
    s3.put_bucket_notification_configuration(
        Bucket="shape-data", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    got = rec.call(s3, "GetBucketNotificationConfiguration", Bucket="shape-data")
    assert got["EventBridgeConfiguration"] == {}
    s3.put_object(Bucket="shape-data", Key="models/a", Body=b"a")
    source = {"Bucket": "shape-data", "Key": "models/a"}
    rec.call(s3, "CopyObject", Bucket="shape-data", Key="models/b", CopySource=source, IfNoneMatch="*")
    rec.call(
        s3,
        "CopyObject",
        expect_error="PreconditionFailed",
        Bucket="shape-data",
        Key="models/b",
        CopySource=source,
        IfNoneMatch="*",
    )
    rec.call(s3, "DeleteObject", Bucket="shape-data", Key="models/b")
    s3.create_bucket(Bucket="shape-locked", ObjectLockEnabledForBucket=True)
    rec.call(s3, "PutBucketVersioning", Bucket="shape-data", VersioningConfiguration={"Status": "Enabled"})
    rec.call(
        s3,
        "PutBucketVersioning",
        expect_error="InvalidBucketState",
        Bucket="shape-locked",
        VersioningConfiguration={"Status": "Suspended"},
    )


def sts_scenario(rec: Recorder, session: boto3.Session, url: str) -> None:
    """AssumeRole with a SourceIdentity (its answer carries it) and AssumeRoleWithWebIdentity
    (unsigned) as the CI workflows make it."""
    import base64

    from botocore import UNSIGNED

    iam = session.client("iam", endpoint_url=url)
    account = session.client("sts", endpoint_url=url).get_caller_identity()["Account"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
            },
            {
                "Effect": "Allow",
                "Principal": {
                    "Federated": f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"
                },
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
                },
            },
        ],
    }
    iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com",
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["a" * 40],
    )
    role = iam.create_role(RoleName="mlgov-dev-shape-sts", AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]
    sts = rec.client(session, "sts", url)
    answer = rec.call(sts, "AssumeRole", RoleArn=role, RoleSessionName="shapes", SourceIdentity="ana")
    assert answer["SourceIdentity"] == "ana"
    rec.call(
        sts,
        "AssumeRole",
        expect_error="ValidationError",
        RoleArn=role,
        RoleSessionName="shapes",
        SourceIdentity="a b",
    )
    claims = {
        "iss": "https://token.actions.githubusercontent.com",
        "aud": "sts.amazonaws.com",
        "sub": "repo:o/r",
    }
    token = ".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
        for part in ({"alg": "RS256"}, claims, {})
    )
    unsigned = session.client("sts", endpoint_url=url, config=Config(signature_version=UNSIGNED))
    unsigned.meta.events.register("before-parse", rec._keep_raw)
    rec.call(
        unsigned, "AssumeRoleWithWebIdentity", RoleArn=role, RoleSessionName="gha", WebIdentityToken=token
    )
    rec.call(
        unsigned,
        "AssumeRoleWithWebIdentity",
        expect_error="InvalidIdentityToken",
        RoleArn=role,
        RoleSessionName="gha",
        WebIdentityToken="not-a-token",
    )


def test_every_emulated_operation_matches_the_botocore_model(cloud, session):
    rec = Recorder()
    key_arn = session.client("kms", endpoint_url=cloud.url).create_key()["KeyMetadata"]["Arn"]
    sagemaker_scenario(rec, rec.client(session, "sagemaker", cloud.url), key_arn)
    datazone_scenario(rec, rec.client(session, "datazone", cloud.url))
    datazone_catalog_scenario(
        rec, rec.client(session, "datazone", cloud.url), session.client("iam", endpoint_url=cloud.url)
    )
    dz = session.client("datazone", endpoint_url=cloud.url)
    domain_arn = dz.create_domain(
        name="shape-shared", domainExecutionRole="arn:aws:iam::111111111111:role/r"
    )["arn"]
    receiver = rec.client(session_for(cloud, "staging"), "ram", cloud.url)
    ram_scenario(rec, rec.client(session, "ram", cloud.url), domain_arn, receiver)
    s3_scenario(rec, rec.client(session, "s3", cloud.url))
    sts_scenario(rec, session, cloud.url)
    workflow_scenario(rec, rec.client(session, "sagemaker", cloud.url), session, cloud.url)
    serving_scenario(rec, session, cloud.url)
    assert rec.checker.problems == [], "\n".join(rec.checker.problems)
    for service, operations in OPERATIONS.items():
        missing = set(operations) - rec.covered.get(service, set())
        assert not missing, f"{service} operations without a shape check: {sorted(missing)}"


def test_the_checker_catches_drift():
    """The checker itself: an unknown member, a missing required one, a bad id format."""
    model = boto3.session.Session().client("datazone", region_name="us-east-1").meta.service_model
    checker = ShapeChecker()
    checker.check(
        model.operation_model("GetDomain"), {"id": "d-bad", "status": "AVAILABLE", "extra": 1}, "GetDomain"
    )
    text = "\n".join(checker.problems)
    assert "unknown member 'extra'" in text
    assert "required member 'domainExecutionRole' missing" in text
    assert "does not match" in text
