"""SageMaker Pipelines run by the local cloud (in-process moto; no SageMaker SDK needed).

The pipeline here is written as definition JSON, the way the SDK writes one: a processing step
whose property file carries a metric taken from a parameter, a training step reading the
processing output, a condition on the metric (JsonGet >= a parameter), a register step whose
model card is the property file's content, and a Fail step on the other branch.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from .workflow_support import (
    BUCKET,
    IMAGE,
    put_script,
    sagemaker_role,
    steps_of,
    wait_execution,
)

GROUP = "credit-risk-dev"

PREPARE = """
import json, pathlib, sys
quality = float(sys.argv[sys.argv.index('--quality') + 1])
out = pathlib.Path('/opt/ml/processing/output')
card = {'intended_uses': {'risk_rating': 'High', 'purpose_of_model': 'credit risk'},
        'evaluation_details': [{'name': 'holdout', 'metric_groups': [{'name': 'q', 'metric_data': [{'name': 'auc', 'type': 'number', 'value': quality}]}]}]}
(out / 'evaluation').mkdir(parents=True, exist_ok=True)
(out / 'evaluation' / 'evaluation.json').write_text(json.dumps({'metrics': {'auc': quality}, 'card': json.dumps(card)}))
(out / 'train').mkdir(parents=True, exist_ok=True)
rows = pathlib.Path('/opt/ml/processing/input/raw/rows.csv').read_text()
(out / 'train' / 'train.csv').write_text(rows)
"""

TRAIN = """
import json, os, pathlib
rows = (pathlib.Path('/opt/ml/input/data/train') / 'train.csv').read_text()
hyperparameters = json.loads(pathlib.Path('/opt/ml/input/config/hyperparameters.json').read_text())
pathlib.Path('/opt/ml/model/model.json').write_text(json.dumps({'rows': rows, 'hp': hyperparameters, 'job': os.environ['TRAINING_JOB_NAME']}))
"""


def _s3_input(name: str, uri: Any, local: str) -> dict[str, Any]:
    return {
        "InputName": name,
        "S3Input": {"S3Uri": uri, "LocalPath": local, "S3DataType": "S3Prefix", "S3InputMode": "File"},
    }


def definition(role: str) -> dict[str, Any]:
    execution_prefix = {
        "Std:Join": {"On": "/", "Values": [f"s3://{BUCKET}/runs", {"Get": "Execution.PipelineExecutionId"}]}
    }
    outputs = {
        name: {"Std:Join": {"On": "/", "Values": [execution_prefix, name]}}
        for name in ("evaluation", "train")
    }
    report = {"Get": "Steps.Prepare.PropertyFiles.Report"}
    return {
        "Version": "2020-12-01",
        "Metadata": {},
        "Parameters": [
            {"Name": "Quality", "Type": "Float", "DefaultValue": 0.9},
            {"Name": "MinQuality", "Type": "Float", "DefaultValue": 0.8},
            {"Name": "InputData", "Type": "String", "DefaultValue": f"s3://{BUCKET}/data/rows.csv"},
            {"Name": "Epochs", "Type": "Integer", "DefaultValue": 2},
        ],
        "PipelineExperimentConfig": {
            "ExperimentName": {"Get": "Execution.PipelineName"},
            "TrialName": {"Get": "Execution.PipelineExecutionId"},
        },
        "Steps": [
            {
                "Name": "Prepare",
                "Type": "Processing",
                "Arguments": {
                    "ProcessingResources": {
                        "ClusterConfig": {
                            "InstanceType": "ml.m5.large",
                            "InstanceCount": 1,
                            "VolumeSizeInGB": 30,
                        }
                    },
                    "AppSpecification": {
                        "ImageUri": IMAGE,
                        "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/prepare.py"],
                        "ContainerArguments": [
                            "--quality",
                            {"Std:Join": {"On": "", "Values": [{"Get": "Parameters.Quality"}]}},
                        ],
                    },
                    "RoleArn": role,
                    "ProcessingInputs": [
                        _s3_input("raw", {"Get": "Parameters.InputData"}, "/opt/ml/processing/input/raw"),
                        _s3_input("code", f"s3://{BUCKET}/code/prepare.py", "/opt/ml/processing/input/code"),
                    ],
                    "ProcessingOutputConfig": {
                        "Outputs": [
                            {
                                "OutputName": name,
                                "S3Output": {
                                    "S3Uri": uri,
                                    "LocalPath": f"/opt/ml/processing/output/{name}",
                                    "S3UploadMode": "EndOfJob",
                                },
                            }
                            for name, uri in outputs.items()
                        ]
                    },
                },
                "PropertyFiles": [
                    {"PropertyFileName": "Report", "OutputName": "evaluation", "FilePath": "evaluation.json"}
                ],
            },
            {
                "Name": "Train",
                "Type": "Training",
                "Arguments": {
                    "AlgorithmSpecification": {
                        "TrainingImage": IMAGE,
                        "TrainingInputMode": "File",
                        "ContainerEntrypoint": ["python3", "/opt/ml/input/data/code/train.py"],
                    },
                    "HyperParameters": {
                        "epochs": {"Std:Join": {"On": "", "Values": [{"Get": "Parameters.Epochs"}]}}
                    },
                    "InputDataConfig": [
                        {
                            "ChannelName": "train",
                            "DataSource": {
                                "S3DataSource": {
                                    "S3DataType": "S3Prefix",
                                    "S3Uri": {
                                        "Get": "Steps.Prepare.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"
                                    },
                                }
                            },
                        },
                        {
                            "ChannelName": "code",
                            "DataSource": {
                                "S3DataSource": {
                                    "S3DataType": "S3Prefix",
                                    "S3Uri": f"s3://{BUCKET}/code/train.py",
                                }
                            },
                        },
                    ],
                    "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/models"},
                    "ResourceConfig": {
                        "InstanceType": "ml.m5.large",
                        "InstanceCount": 1,
                        "VolumeSizeInGB": 30,
                    },
                    "RoleArn": role,
                    "StoppingCondition": {"MaxRuntimeInSeconds": 600},
                },
            },
            {
                "Name": "Check",
                "Type": "Condition",
                "Arguments": {
                    "Conditions": [
                        {
                            "Type": "GreaterThanOrEqualTo",
                            "LeftValue": {"Std:JsonGet": {"PropertyFile": report, "Path": "metrics.auc"}},
                            "RightValue": {"Get": "Parameters.MinQuality"},
                        }
                    ],
                    "IfSteps": [
                        {
                            "Name": "Register",
                            "Type": "RegisterModel",
                            "Arguments": {
                                "ModelPackageGroupName": GROUP,
                                "InferenceSpecification": {
                                    "Containers": [
                                        {
                                            "Image": IMAGE,
                                            "ModelDataUrl": {
                                                "Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"
                                            },
                                        }
                                    ],
                                    "SupportedContentTypes": ["text/csv"],
                                    "SupportedResponseMIMETypes": ["text/csv"],
                                },
                                "ModelApprovalStatus": "PendingManualApproval",
                                "ModelCard": {
                                    "ModelCardContent": {
                                        "Std:JsonGet": {"PropertyFile": report, "Path": "card"}
                                    },
                                    "ModelCardStatus": "PendingReview",
                                },
                            },
                        }
                    ],
                    "ElseSteps": [
                        {
                            "Name": "TooWeak",
                            "Type": "Fail",
                            "Arguments": {
                                "ErrorMessage": {
                                    "Std:Join": {
                                        "On": " ",
                                        "Values": [
                                            "quality below the floor",
                                            {"Get": "Parameters.MinQuality"},
                                        ],
                                    }
                                }
                            },
                        }
                    ],
                },
            },
        ],
    }


@pytest.fixture
def aws(mocked: None) -> dict[str, Any]:
    clients = {name: boto3.client(name) for name in ("iam", "s3", "sagemaker")}
    clients["s3"].create_bucket(Bucket=BUCKET)
    clients["s3"].put_object(Bucket=BUCKET, Key="data/rows.csv", Body=b"label,x\n1,0.5\n0,0.1\n")
    put_script(clients["s3"], "code/prepare.py", PREPARE)
    put_script(clients["s3"], "code/train.py", TRAIN)
    clients["sagemaker"].create_model_package_group(ModelPackageGroupName=GROUP)
    clients["role"] = sagemaker_role(clients["iam"], "pipeline-role")
    clients["sagemaker"].create_pipeline(
        PipelineName="credit",
        RoleArn=clients["role"],
        PipelineDefinition=json.dumps(definition(clients["role"])),
    )
    return clients


def upstream(sm: Any, arn: str) -> list[dict[str, Any]]:
    return list(sm.list_associations(DestinationArn=arn)["AssociationSummaries"])


def test_a_passing_execution_registers_the_version_with_the_card_of_its_property_file(aws):
    sm, s3 = aws["sagemaker"], aws["s3"]
    arn = sm.start_pipeline_execution(
        PipelineName="credit",
        PipelineParameters=[{"Name": "Quality", "Value": "0.93"}],
        ClientRequestToken="run-1-" + "0" * 30,
    )["PipelineExecutionArn"]
    assert arn.startswith("arn:aws:sagemaker:us-east-1:123456789012:pipeline/credit/execution/")
    described = wait_execution(sm, arn)
    steps = steps_of(sm, arn)
    assert described["PipelineExecutionStatus"] == "Succeeded", {
        n: s.get("FailureReason") for n, s in steps.items()
    }
    assert set(steps) == {"Prepare", "Train", "Check", "Register"}  # TooWeak's branch was not taken
    assert all(s["StepStatus"] == "Succeeded" for s in steps.values())
    assert steps["Check"]["Metadata"] == {"Condition": {"Outcome": "True"}}
    assert steps["Prepare"]["StartTime"] <= steps["Train"]["StartTime"] <= steps["Register"]["StartTime"]
    execution_id = arn.rsplit("/", 1)[-1]
    job_arn = steps["Train"]["Metadata"]["TrainingJob"]["Arn"]
    assert job_arn.startswith(
        f"arn:aws:sagemaker:us-east-1:123456789012:training-job/pipelines-{execution_id}-train-"
    )
    training = sm.describe_training_job(TrainingJobName=job_arn.rsplit("/", 1)[-1])
    assert training["HyperParameters"] == {"epochs": "2"}
    assert training["ExperimentConfig"] == {
        "ExperimentName": "credit",
        "TrialName": execution_id,
        "TrialComponentDisplayName": "Train",
    }
    # The register step: the version with the property file's card and the trained model.
    package_arn = steps["Register"]["Metadata"]["RegisterModel"]["Arn"]
    package = sm.describe_model_package(ModelPackageName=package_arn)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["ModelCard"]["ModelCardStatus"] == "PendingReview"
    report = json.loads(
        s3.get_object(Bucket=BUCKET, Key=f"runs/{execution_id}/evaluation/evaluation.json")["Body"].read()
    )
    assert package["ModelCard"]["ModelCardContent"] == report["card"]
    model_url = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    assert model_url == training["ModelArtifacts"]["S3ModelArtifacts"]
    # What the execution ran with, and its definition.
    parameters = sm.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)["PipelineParameters"]
    assert {p["Name"]: p["Value"] for p in parameters} == {
        "Quality": "0.93",
        "MinQuality": "0.8",
        "InputData": f"s3://{BUCKET}/data/rows.csv",
        "Epochs": "2",
    }
    ran = sm.describe_pipeline_definition_for_execution(PipelineExecutionArn=arn)["PipelineDefinition"]
    assert json.loads(ran) == definition(aws["role"])
    assert described["PipelineExperimentConfig"] == {"ExperimentName": "credit", "TrialName": execution_id}
    # The same ClientRequestToken starts nothing new.
    again = sm.start_pipeline_execution(PipelineName="credit", ClientRequestToken="run-1-" + "0" * 30)[
        "PipelineExecutionArn"
    ]
    assert again == arn
    # Lineage from the version back to the input dataset, through both jobs.
    [package_artifact] = sm.list_artifacts(SourceUri=package_arn)["ArtifactSummaries"]
    into_package = upstream(sm, package_artifact["ArtifactArn"])
    [model] = [a for a in into_package if a["SourceType"] == "Model"]
    [trainer] = upstream(sm, model["SourceArn"])
    assert trainer["AssociationType"] == "Produced" and trainer["SourceName"].endswith("-aws-training-job")
    into_training = upstream(sm, trainer["SourceArn"])
    train_data = next(
        a
        for a in into_training
        if sm.describe_artifact(ArtifactArn=a["SourceArn"])["Source"]["SourceUri"].endswith("/train")
    )
    [preparer] = upstream(sm, train_data["SourceArn"])
    assert preparer["SourceName"].endswith("-aws-processing-job")
    sources = {
        sm.describe_artifact(ArtifactArn=a["SourceArn"])["Source"]["SourceUri"]
        for a in upstream(sm, preparer["SourceArn"])
    }
    assert f"s3://{BUCKET}/data/rows.csv" in sources and IMAGE in sources
    [group] = sm.list_associations(SourceArn=package_artifact["ArtifactArn"])["AssociationSummaries"]
    assert group["DestinationType"] == "ModelGroup"
    trial = sm.describe_trial_component(TrialComponentName=trainer["SourceName"])
    assert trial["Source"]["SourceArn"] == job_arn
    # QueryLineage names the jobs' trial components by the job's type (the SDK's LineageSourceEnum).
    vertices = sm.query_lineage(
        StartArns=[package_artifact["ArtifactArn"]], Direction="Ascendants", IncludeEdges=False, MaxDepth=10
    )["Vertices"]
    jobs = {v["Arn"]: v.get("Type") for v in vertices if v.get("LineageType") == "TrialComponent"}
    assert jobs == {trainer["SourceArn"]: "TrainingJob", preparer["SourceArn"]: "ProcessingJob"}
    trainers = sm.query_lineage(
        StartArns=[package_artifact["ArtifactArn"]],
        Direction="Ascendants",
        Filters={"Types": ["TrainingJob"]},
        MaxDepth=10,
    )["Vertices"]
    assert [v["Arn"] for v in trainers] == [trainer["SourceArn"]]


def test_a_failing_condition_ends_at_the_fail_step_and_registers_nothing(aws):
    sm = aws["sagemaker"]
    arn = sm.start_pipeline_execution(
        PipelineName="credit",
        PipelineParameters=[{"Name": "Quality", "Value": "0.5"}, {"Name": "MinQuality", "Value": "0.75"}],
    )["PipelineExecutionArn"]
    described = wait_execution(sm, arn)
    assert described["PipelineExecutionStatus"] == "Failed"
    assert described["FailureReason"] == "Step failure: One or multiple steps failed."
    steps = steps_of(sm, arn)
    assert "Register" not in steps
    assert steps["Check"]["Metadata"] == {"Condition": {"Outcome": "False"}}
    assert steps["TooWeak"]["StepStatus"] == "Failed"
    assert steps["TooWeak"]["FailureReason"] == "quality below the floor 0.75"
    assert steps["TooWeak"]["Metadata"] == {"Fail": {"ErrorMessage": "quality below the floor 0.75"}}
    assert sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"] == []
    summaries = sm.list_pipeline_executions(PipelineName="credit")["PipelineExecutionSummaries"]
    assert [(s["PipelineExecutionArn"], s["PipelineExecutionStatus"]) for s in summaries] == [(arn, "Failed")]


def test_a_failed_job_fails_its_step_with_the_jobs_reason_and_stops_the_execution(aws):
    sm, s3 = aws["sagemaker"], aws["s3"]
    put_script(
        s3, "code/train.py", "raise SystemExit(open('/opt/ml/output/failure', 'w').write('bad data') and 2)\n"
    )
    arn = sm.start_pipeline_execution(PipelineName="credit")["PipelineExecutionArn"]
    assert wait_execution(sm, arn)["PipelineExecutionStatus"] == "Failed"
    steps = steps_of(sm, arn)
    assert (
        steps["Train"]["StepStatus"] == "Failed"
        and steps["Train"]["FailureReason"] == "AlgorithmError: bad data"
    )
    assert steps["Prepare"]["StepStatus"] == "Succeeded"
    assert "Register" not in steps  # it depends on Train


def test_start_refuses_parameters_the_definition_does_not_have_or_of_the_wrong_type(aws):
    sm = aws["sagemaker"]
    for parameters, message in (
        ([{"Name": "Speed", "Value": "1"}], "Pipeline parameter 'Speed' is not defined"),
        (
            [{"Name": "Epochs", "Value": "two"}],
            "Value 'two' of pipeline parameter 'Epochs' is not a valid Integer",
        ),
    ):
        with pytest.raises(ClientError) as error:
            sm.start_pipeline_execution(PipelineName="credit", PipelineParameters=parameters)
        assert error.value.response["Error"]["Code"] == "ValidationException"
        assert message in error.value.response["Error"]["Message"]
    assert sm.list_pipeline_executions(PipelineName="credit")["PipelineExecutionSummaries"] == []
    with pytest.raises(ClientError) as error:
        sm.start_pipeline_execution(PipelineName="missing")
    assert error.value.response["Error"]["Code"] == "ResourceNotFound"


def test_pipelines_are_created_once_updated_in_versions_and_deleted(aws):
    sm, s3, role = aws["sagemaker"], aws["s3"], aws["role"]
    with pytest.raises(ClientError) as error:
        sm.create_pipeline(
            PipelineName="credit", RoleArn=role, PipelineDefinition=json.dumps(definition(role))
        )
    assert "Pipeline names must be unique" in error.value.response["Error"]["Message"]
    broken = definition(role)
    broken["Steps"][1]["Arguments"]["Unknown"] = 1
    with pytest.raises(ClientError) as error:
        sm.update_pipeline(PipelineName="credit", PipelineDefinition=json.dumps(broken))
    assert error.value.response["Error"]["Message"] == (
        "Unable to parse pipeline definition. Unknown Argument member 'Unknown'. (step 'Train')"
    )
    changed = definition(role)
    changed["Parameters"][1]["DefaultValue"] = 0.95
    s3.put_object(Bucket=BUCKET, Key="definitions/credit.json", Body=json.dumps(changed).encode())
    updated = sm.update_pipeline(
        PipelineName="credit",
        PipelineDefinitionS3Location={"Bucket": BUCKET, "ObjectKey": "definitions/credit.json"},
    )
    assert updated["PipelineVersionId"] == 2
    assert json.loads(sm.describe_pipeline(PipelineName="credit")["PipelineDefinition"]) == changed
    first = sm.describe_pipeline(PipelineName="credit", PipelineVersionId=1)
    assert json.loads(first["PipelineDefinition"]) == definition(role)
    assert [p["PipelineName"] for p in sm.list_pipelines(PipelineNamePrefix="cre")["PipelineSummaries"]] == [
        "credit"
    ]
    assert sm.delete_pipeline(PipelineName="credit")["PipelineArn"].endswith(":pipeline/credit")
    with pytest.raises(ClientError) as error:
        sm.describe_pipeline(PipelineName="credit")
    assert error.value.response["Error"]["Code"] == "ResourceNotFound"


def test_stop_pipeline_execution_stops_its_running_job(aws):
    sm, s3 = aws["sagemaker"], aws["s3"]
    put_script(s3, "code/prepare.py", "import time\nprint('waiting', flush=True)\ntime.sleep(300)\n")
    arn = sm.start_pipeline_execution(PipelineName="credit")["PipelineExecutionArn"]

    def prepare_running() -> dict[str, Any]:
        steps = steps_of(sm, arn)
        return {"Status": steps.get("Prepare", {}).get("StepStatus", "none")}

    from .workflow_support import wait_for

    wait_for(prepare_running, "Status", ("none", "Starting"))
    sm.stop_pipeline_execution(PipelineExecutionArn=arn)
    with pytest.raises(ClientError) as error:
        sm.delete_pipeline(PipelineName="credit")
    assert error.value.response["Error"]["Code"] == "ConflictException"
    described = wait_execution(sm, arn)
    assert described["PipelineExecutionStatus"] == "Stopped"
    prepare = steps_of(sm, arn)["Prepare"]
    assert prepare["StepStatus"] == "Stopped"
    job = sm.describe_processing_job(
        ProcessingJobName=prepare["Metadata"]["ProcessingJob"]["Arn"].rsplit("/", 1)[-1]
    )
    assert job["ProcessingJobStatus"] == "Stopped"


def test_a_model_step_creates_the_model_as_the_pipeline_role(aws):
    sm, role = aws["sagemaker"], aws["role"]
    definition = {
        "Version": "2020-12-01",
        "Parameters": [
            {"Name": "ModelData", "Type": "String", "DefaultValue": f"s3://{BUCKET}/models/m.tar.gz"}
        ],
        "Steps": [
            {
                "Name": "MakeModel",
                "Type": "Model",
                "Arguments": {
                    "ExecutionRoleArn": role,
                    "PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": {"Get": "Parameters.ModelData"}},
                },
            }
        ],
    }
    sm.create_pipeline(PipelineName="model-only", RoleArn=role, PipelineDefinition=json.dumps(definition))
    arn = sm.start_pipeline_execution(PipelineName="model-only")["PipelineExecutionArn"]
    assert wait_execution(sm, arn)["PipelineExecutionStatus"] == "Succeeded"
    step = steps_of(sm, arn)["MakeModel"]
    model_arn = step["Metadata"]["Model"]["Arn"]
    model = sm.describe_model(ModelName=model_arn.rsplit("/", 1)[-1])
    assert model["PrimaryContainer"]["ModelDataUrl"] == f"s3://{BUCKET}/models/m.tar.gz"
    assert model["ModelName"].startswith(f"pipelines-{arn.rsplit('/', 1)[-1]}-MakeModel-")
