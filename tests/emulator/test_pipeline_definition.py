"""The pipeline definition check and expressions of the local cloud (no SageMaker SDK needed).

``fixtures/credit_risk_pipeline_definition.json`` is the definition the SageMaker Python SDK v3
(sagemaker-mlops 1.27.0) wrote for ``use_cases/credit-risk/pipeline.py``; it is committed so these
tests run without the SDK (``tests/pipelines`` regenerates and compares it where the SDK is
installed).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from moto.sagemaker.exceptions import ValidationError

from scripts.localcloud.moto_ext.sagemaker import pipeline_definition as pd
from scripts.localcloud.moto_ext.sagemaker import pipeline_expressions as pe
from scripts.localcloud.moto_ext.sagemaker import pipeline_schema as ps

FIXTURE = Path(__file__).parent / "fixtures" / "credit_risk_pipeline_definition.json"


def sdk_definition() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


def refused(definition: Any) -> str:
    with pytest.raises(ValidationError) as error:
        pd.parse(definition if isinstance(definition, str) else json.dumps(definition))
    message = error.value.message
    assert message.startswith("Unable to parse pipeline definition. "), message
    return message


def test_the_vendored_schema_is_aws_published_file_unchanged():
    assert hashlib.sha256(ps.SCHEMA_FILE.read_bytes()).hexdigest() == ps.SCHEMA_SOURCE["sha256"]
    assert ps.published_schema()["title"] == "SageMaker Pipeline Definition JSON Schema"


def test_the_sdk_definition_needs_each_amendment_and_passes_with_them():
    """The published schema refuses what the SDK writes (so the amendments are needed, each for
    something named here); the amended schema and the argument check accept it."""
    published = "\n".join(ps.schema_errors(sdk_definition(), amended=False))
    for stale in (
        "'PipelineExperimentConfig' were unexpected",  # top-level experiment config
        "'PropertyFiles' was unexpected",  # property files of a processing step
        "'ContainerArguments', 'ContainerEntrypoint' were unexpected",  # training entry point
        "{'Std:Join': {'On': '/'",  # Join with On, as an argument value
        "'Value' is a required property",  # the SDK's In/binary conditions
        "'RegisterModel' is not one of ['Training']",  # a register step inside a branch
    ):
        assert stale in published
    assert ps.schema_errors(sdk_definition()) == []
    parsed = pd.parse(json.dumps(sdk_definition()))
    depends = {name: set(step.depends_on) for name, step in parsed.steps.items()}
    assert depends == {
        "Preprocess": set(),
        "Train": {"Preprocess"},
        "Evaluate": {"Preprocess", "Train"},
        "CheckQuality": {"Evaluate"},
        "Register": {"CheckQuality", "Evaluate", "Train"},
        "QualityTooLow": {"CheckQuality"},
    }
    assert parsed.steps["Register"].branch == ("CheckQuality", True)
    assert parsed.steps["QualityTooLow"].branch == ("CheckQuality", False)
    assert parsed.property_files == {
        ("Evaluate", "EvaluationReport"): ("evaluation", "evaluation.json"),
        ("Evaluate", "Checksums"): ("checksums", "checksums.json"),
    }


def test_each_amendment_names_its_source():
    for amendment in ps.AMENDMENTS:
        assert amendment.what and amendment.source


def _register(definition: dict[str, Any]) -> dict[str, Any]:
    return definition["Steps"][3]["Arguments"]["IfSteps"][0]["Arguments"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["Steps"][0].update(Argumentz={}), "'Argumentz' was unexpected"),
        (lambda d: d["Steps"][0].update(Type="Teleport"), "unknown step type 'Teleport'"),
        (lambda d: d["Steps"][1]["Arguments"].update(Nonsense=1), "Unknown Argument member 'Nonsense'."),
        (lambda d: _register(d).update(ModelPackageName="x"), "Unknown Argument member 'ModelPackageName'."),
        (
            lambda d: d["Steps"][1]["Arguments"]["ResourceConfig"].update(InstanceCount="1"),
            "'ResourceConfig.InstanceCount' must be a integer",
        ),
        (
            lambda d: d["Steps"][2]["Arguments"]["AppSpecification"]["ContainerArguments"].append(
                {"Get": "Parameters.Nope"}
            ),
            "reads parameter 'Nope', which the pipeline does not define",
        ),
        (lambda d: d["Steps"][1].update(DependsOn=["Ghost"]), "depends on step(s) that do not exist: Ghost"),
        (lambda d: d["Steps"][0].update(DependsOn=["Train"]), "form a cycle"),
        (lambda d: d["Steps"][2].update(Name="Train"), "Step names must be unique within a pipeline: Train"),
        (
            lambda d: d["Steps"][3]["Arguments"]["Conditions"][0]["LeftValue"]["Std:JsonGet"][
                "PropertyFile"
            ].update(Get="Steps.Evaluate.PropertyFiles.Missing"),
            "property file 'Missing', which step 'Evaluate' does not declare",
        ),
        (lambda d: d.update(Version="2099-01-01"), "'2099-01-01' is not one of ['2020-12-01']"),
    ],
)
def test_an_invalid_definition_is_refused_naming_what_is_wrong(change, expected):
    definition = sdk_definition()
    change(definition)
    assert expected in refused(definition)


def test_text_that_is_not_a_json_object_is_refused():
    assert "Expecting" in refused("{not json")
    assert refused("[1, 2]").endswith("Expecting start of Json Object.")


def resolver(properties: dict[str, Any], files: dict[str, Any] | None = None) -> pe.Resolver:
    return pe.Resolver(
        parameters={"Threshold": 0.7, "Flag": True, "Name": "x"},
        execution={"PipelineExecutionId": "abc123def456", "PipelineName": "p"},
        experiment={"ExperimentName": "p", "TrialName": "abc123def456"},
        properties=lambda step: properties.get(step),
        property_files={("Eval", "Report"): ("evaluation", "evaluation.json")},
        read_json=lambda uri: (files or {})[uri],
    )


def test_expressions_resolve_parameters_properties_joins_and_json():
    described = {
        "ProcessingOutputConfig": {
            "Outputs": [
                {"OutputName": "train", "S3Output": {"S3Uri": "s3://b/train"}},
                {"OutputName": "evaluation", "S3Output": {"S3Uri": "s3://b/eval/"}},
            ]
        }
    }
    r = resolver(
        {"Eval": described}, {"s3://b/eval/evaluation.json": {"metrics": {"auc": 0.91}, "list": [1, 2]}}
    )
    assert (
        r.resolve({"Get": "Steps.Eval.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"})
        == "s3://b/train"
    )
    assert r.resolve({"Get": "Steps.Eval.ProcessingOutputConfig.Outputs[1].S3Output.S3Uri"}) == "s3://b/eval/"
    joined = {
        "Std:Join": {
            "On": "/",
            "Values": ["s3://x", {"Get": "Execution.PipelineExecutionId"}, {"Get": "Parameters.Flag"}],
        }
    }
    assert r.resolve(joined) == "s3://x/abc123def456/true"
    json_get = {
        "Std:JsonGet": {"PropertyFile": {"Get": "Steps.Eval.PropertyFiles.Report"}, "Path": "metrics.auc"}
    }
    assert r.resolve(json_get) == 0.91
    assert r.resolve({"Std:JsonGet": {"S3Uri": "s3://b/eval/evaluation.json", "Path": "list[1]"}}) == 2
    assert r.resolve(
        [{"Get": "Parameters.Threshold"}, {"k": {"Get": "PipelineExperimentConfig.TrialName"}}]
    ) == [
        0.7,
        {"k": "abc123def456"},
    ]
    with pytest.raises(pe.ExpressionError, match=r"Invalid JSON path 'metrics\.f1'"):
        r.resolve({"Std:JsonGet": {"S3Uri": "s3://b/eval/evaluation.json", "Path": "metrics.f1"}})
    with pytest.raises(pe.ExpressionError, match="did not run"):
        r.resolve({"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"})


def test_conditions_compare_as_sagemaker_does():
    r = resolver({})

    def holds(condition: dict[str, Any]) -> bool:
        return pe.condition_holds(condition, r)

    threshold = {"Get": "Parameters.Threshold"}
    assert holds({"Type": "GreaterThanOrEqualTo", "LeftValue": 0.7, "RightValue": threshold})
    assert not holds({"Type": "GreaterThan", "LeftValue": 0.7, "RightValue": threshold})
    assert holds({"Type": "LessThan", "LeftValue": 1, "RightValue": 2})
    assert holds({"Type": "Equals", "LeftValue": 1, "RightValue": 1.0})
    assert holds({"Type": "In", "QueryValue": {"Get": "Parameters.Name"}, "Values": ["y", "x"]})
    assert holds({"Type": "Not", "Condition": {"Type": "Equals", "LeftValue": "a", "RightValue": "b"}})
    assert holds(
        {
            "Type": "Or",
            "Conditions": [
                {"Type": "Equals", "LeftValue": "a", "RightValue": "b"},
                {"Type": "LessThanOrEqualTo", "LeftValue": 0.5, "RightValue": threshold},
            ],
        }
    )
    with pytest.raises(pe.ExpressionError, match="not of the same type"):
        holds({"Type": "Equals", "LeftValue": "1", "RightValue": 1})
    with pytest.raises(pe.ExpressionError, match="not supported between"):
        holds({"Type": "GreaterThan", "LeftValue": "1", "RightValue": 0.5})


def test_parameter_values_are_typed_or_refused():
    assert pe.typed_value(pd.ParameterDef("n", "Integer"), "3") == 3
    assert pe.typed_value(pd.ParameterDef("f", "Float"), "0.75") == 0.75
    assert pe.typed_value(pd.ParameterDef("b", "Boolean"), "TRUE") is True
    assert pe.typed_value(pd.ParameterDef("s", "String"), 5) == "5"
    for parameter, value in (("Integer", "3.5"), ("Float", "high"), ("Boolean", "yes")):
        with pytest.raises(ValidationError, match=f"is not a valid {parameter}"):
            pe.typed_value(pd.ParameterDef("p", parameter), value)
