"""A SageMaker pipeline definition's shape: AWS's published JSON schema with its amendments, and
the step arguments checked against the API's request shapes. ``pipeline_definition.py`` parses a
definition with these checks and its own reference checks; ``pipeline_expressions.py`` evaluates
its expressions while an execution runs.

**The schema.** ``pipeline_definition.schema.json`` is AWS's published pipeline definition JSON
schema, byte for byte (:data:`SCHEMA_SOURCE`; the CreatePipeline API reference links it as "the
JSON pipeline definition"). It was last changed in April 2025 and describes less than SageMaker
accepts and the SageMaker Python SDK writes, so it is applied with the :data:`AMENDMENTS` below,
each naming what it adds and where that is documented; nothing else is loosened. A definition
the amended schema refuses is refused as AWS refuses one it cannot read: ValidationException
"Unable to parse pipeline definition. <what is wrong, and where>".

**Step arguments.** SageMaker reads the ``Arguments`` of a processing, training, register-model
and model step as the request of CreateProcessingJob, CreateTrainingJob, CreateModelPackage and
CreateModel, and refuses a member those operations do not have with "Unable to parse pipeline
definition. Unknown Argument member '<name>'." (the wording the SageMaker Python SDK's changelog
quotes, sagemaker-python-sdk PR #3472). So those arguments are checked against botocore's input
shapes of the operations (members and JSON types; an expression may stand for any value), not
against the schema's stale copies of them. Members the pipeline service sets itself
(``ModelPackageName``, ``CertifyForMarketplace`` of a register step: the SDK removes them for
that reason) are refused.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

SCHEMA_FILE = Path(__file__).with_name("pipeline_definition.schema.json")
#: Where the vendored schema comes from (its SHA-256 is checked by the tests: do not edit it).
SCHEMA_SOURCE = {
    "repository": "https://github.com/aws-sagemaker-mlops/sagemaker-model-building-pipeline-definition-JSON-schema",
    "path": "schema/pipeline-definition.schema.json",
    "commit": "db33edc4534123e47058aa8e2d3afea32687f35e",
    "published": "https://aws-sagemaker-mlops.github.io/sagemaker-model-building-pipeline-definition-JSON-schema/",
    "sha256": "35633f4376dda695d1847bd16d72d3b3d9201f0106e75107eafbeef11ef5ce30",
}

#: Step type -> the operation whose request its Arguments are.
ARGUMENT_OPERATIONS = {
    "Processing": "CreateProcessingJob",
    "Training": "CreateTrainingJob",
    "RegisterModel": "CreateModelPackage",
    "Model": "CreateModel",
}
#: Members of those requests SageMaker Pipelines sets itself and refuses in a definition.
SERVICE_MEMBERS = {"RegisterModel": frozenset({"ModelPackageName", "CertifyForMarketplace"})}
EXPRESSION_KEYS = frozenset({"Get", "Std:Join", "Std:JsonGet"})


# -- the schema and its amendments ------------------------------------------------------------
@dataclass(frozen=True)
class Amendment:
    """One change to the published schema: what it adds, and where that is documented."""

    what: str
    source: str
    apply: Callable[[dict[str, Any]], None]


def _expression_value(json_type: str | list[str]) -> dict[str, Any]:
    return {
        "anyOf": [
            {"type": json_type},
            {"$ref": "#/definitions/GetFunction"},
            {"$ref": "#/definitions/JoinFunction"},
            {"$ref": "#/definitions/JsonGetFunction"},
        ]
    }


def _set_expressions(schema: dict[str, Any]) -> None:
    d = schema["definitions"]
    value = {
        "anyOf": [
            {"type": ["string", "number", "boolean", "null"]},
            {"$ref": "#/definitions/GetFunction"},
            {"$ref": "#/definitions/JoinFunction"},
            {"$ref": "#/definitions/JsonGetFunction"},
        ]
    }
    d["JoinFunction"] = {
        "type": "object",
        "properties": {
            "Std:Join": {
                "type": "object",
                "properties": {"On": {"type": "string"}, "Values": {"type": "array", "items": value}},
                "required": ["Values"],
                "additionalProperties": False,
            }
        },
        "required": ["Std:Join"],
        "additionalProperties": False,
    }
    d["JsonGetFunction"] = {
        "type": "object",
        "properties": {
            "Std:JsonGet": {
                "type": "object",
                "properties": {
                    "PropertyFile": {"$ref": "#/definitions/GetFunction"},
                    "S3Uri": {
                        "anyOf": [
                            {"type": "string"},
                            {"$ref": "#/definitions/GetFunction"},
                            {"$ref": "#/definitions/JoinFunction"},
                        ]
                    },
                    "Path": {"type": "string"},
                },
                "required": ["Path"],
                "additionalProperties": False,
            }
        },
        "required": ["Std:JsonGet"],
        "additionalProperties": False,
    }
    for name, json_type in (
        ("StringArgumentValue", "string"),
        ("IntegerArgumentValue", "integer"),
        ("FloatArgumentValue", "number"),
        ("BooleanArgumentValue", "boolean"),
    ):
        d[name] = _expression_value(json_type)


def _set_conditions(schema: dict[str, Any]) -> None:
    d = schema["definitions"]
    any_value = {
        "anyOf": [
            {"$ref": "#/definitions/StringArgumentValue"},
            {"$ref": "#/definitions/BooleanArgumentValue"},
            {"$ref": "#/definitions/IntegerArgumentValue"},
            {"$ref": "#/definitions/FloatArgumentValue"},
        ]
    }
    d["InCondition"] = {
        "type": "object",
        "properties": {
            "Type": {"type": "string", "enum": ["In"]},
            "QueryValue": any_value,
            "Values": {"type": "array", "items": any_value},
        },
        "required": ["Type", "QueryValue", "Values"],
        "additionalProperties": False,
    }
    condition = {
        "anyOf": [
            {"$ref": "#/definitions/BinaryCondition"},
            {"$ref": "#/definitions/InCondition"},
            {"$ref": "#/definitions/OrCondition"},
            {"$ref": "#/definitions/NotCondition"},
        ]
    }
    d["NotCondition"] = {
        "type": "object",
        "properties": {"Type": {"type": "string", "enum": ["Not"]}, "Condition": condition},
        "required": ["Type", "Condition"],
        "additionalProperties": False,
    }
    d["OrCondition"]["properties"]["Conditions"]["items"] = condition
    d["ConditionStep"]["properties"]["Arguments"]["properties"]["Conditions"]["items"] = condition


def _set_branches(schema: dict[str, Any]) -> None:
    arguments = schema["definitions"]["ConditionStep"]["properties"]["Arguments"]["properties"]
    any_step = schema["properties"]["Steps"]["items"]
    for branch in ("IfSteps", "ElseSteps"):
        arguments[branch]["items"] = any_step


def _set_property_files(schema: dict[str, Any]) -> None:
    schema["definitions"]["ProcessingStep"]["properties"]["PropertyFiles"] = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "PropertyFileName": {"type": "string"},
                "OutputName": {"type": "string"},
                "FilePath": {"type": "string"},
            },
            "required": ["PropertyFileName", "OutputName", "FilePath"],
            "additionalProperties": False,
        },
    }


def _set_top_level(schema: dict[str, Any]) -> None:
    string_value = {"$ref": "#/definitions/StringArgumentValue"}
    schema["properties"]["PipelineExperimentConfig"] = {
        "type": ["object", "null"],
        "properties": {"ExperimentName": string_value, "TrialName": string_value},
        "additionalProperties": False,
    }
    schema["properties"]["MlflowConfig"] = {"type": ["object", "null"]}


def _set_api_arguments(schema: dict[str, Any]) -> None:
    names = {
        "Processing": "ProcessingStep",
        "Training": "TrainingStep",
        "RegisterModel": "RegisterModelStep",
        "Model": "CreateModelStep",
    }
    for step_type in ARGUMENT_OPERATIONS:
        schema["definitions"][names[step_type]]["properties"]["Arguments"] = {"type": "object"}


AMENDMENTS: tuple[Amendment, ...] = (
    Amendment(
        "Expressions in argument values: Std:Join with On and any value, Std:JsonGet (PropertyFile or "
        "S3Uri, Path), wherever a Get is allowed (the published schema has Get only, and a Join "
        "without On)",
        "Developer Guide 'Pipelines steps' (JsonGet in conditions and step properties); SageMaker "
        "Python SDK workflow/functions.py (Join.expr, JsonGet.expr)",
        _set_expressions,
    ),
    Amendment(
        "Conditions In {QueryValue, Values} and Not {Condition}; any condition inside Or",
        "SageMaker Python SDK workflow/conditions.py (ConditionIn, ConditionNot, ConditionOr.to_request)",
        _set_conditions,
    ),
    Amendment(
        "Any step type in a condition's IfSteps and ElseSteps (the published schema lists five)",
        "SageMaker Python SDK workflow/condition_step.py (if_steps, else_steps: any Step)",
        _set_branches,
    ),
    Amendment(
        "PropertyFiles of a processing step (PropertyFileName, OutputName, FilePath)",
        "Developer Guide 'Pass data between steps' (property files); SDK workflow/steps.py ProcessingStep",
        _set_property_files,
    ),
    Amendment(
        "Top-level PipelineExperimentConfig {ExperimentName, TrialName} and MlflowConfig",
        "API reference DescribePipelineExecution (PipelineExperimentConfig, MLflowConfig); SDK "
        "workflow/pipeline.py Pipeline.definition()",
        _set_top_level,
    ),
    Amendment(
        "Arguments of Processing, Training, RegisterModel and Model steps checked against the "
        "CreateProcessingJob, CreateTrainingJob, CreateModelPackage and CreateModel request shapes "
        "(the schema's copies lack, e.g., AlgorithmSpecification.ContainerEntrypoint and the "
        "register step's ModelCard, ModelApprovalStatus, CustomerMetadataProperties)",
        "botocore sagemaker service model; 'Unknown Argument member' refusal quoted in "
        "sagemaker-python-sdk PR #3472",
        _set_api_arguments,
    ),
)


@cache
def published_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@cache
def schema() -> dict[str, Any]:
    """The published schema with :data:`AMENDMENTS` applied."""
    amended = copy.deepcopy(published_schema())
    for amendment in AMENDMENTS:
        amendment.apply(amended)
    return amended


def schema_errors(definition: Any, *, amended: bool = True) -> list[str]:
    """Every schema violation of ``definition`` as ``<json path>: <message>`` (most specific first)."""
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import best_match

    root = schema() if amended else published_schema()
    validator = Draft7Validator(root)
    by_type = {
        d["properties"]["Type"]["enum"][0]: name
        for name, d in root["definitions"].items()
        if name.endswith("Step") and "enum" in d.get("properties", {}).get("Type", {})
    }

    def where(path: Any) -> str:
        return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)

    found = []
    for error in sorted(validator.iter_errors(definition), key=lambda e: list(e.absolute_path)):
        instance = error.instance
        if (
            error.validator == "oneOf"
            and isinstance(instance, dict)
            and "Type" in instance
            and "Name" in instance
        ):
            # A step matched no step schema: report it against the schema of its own Type.
            step_type = instance.get("Type")
            if step_type not in by_type:
                found.append(f"{where(error.absolute_path)}: unknown step type {step_type!r}")
                continue
            step_schema = {"$ref": f"#/definitions/{by_type[step_type]}", "definitions": root["definitions"]}
            for sub in Draft7Validator(step_schema).iter_errors(instance):
                specific = best_match(sub.context) or sub if sub.context else sub
                path = [*error.absolute_path, *specific.absolute_path]
                found.append(f"{where(path)}: {specific.message}"[:500])
            continue
        specific = best_match(error.context) or error if error.context else error
        found.append(f"{where(specific.absolute_path)}: {specific.message}"[:500])
    return found


# -- step arguments against the API's request shapes --------------------------------------------
def is_expression(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in EXPRESSION_KEYS


@cache
def _input_shape(operation: str) -> StructureShape:
    from moto.core.utils import get_service_model

    shape = get_service_model("sagemaker").operation_model(operation).input_shape
    assert isinstance(shape, StructureShape)
    return shape


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "blob": (str,),
    "timestamp": (str, int, float),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
}


def _argument_problems(shape: Shape, value: Any, where: str) -> Iterator[str]:
    if is_expression(value):
        return
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            yield f"Argument member '{where}' must be an object."
            return
        for name, item in value.items():
            if name not in shape.members:
                yield f"Unknown Argument member '{name}'."
                continue
            yield from _argument_problems(shape.members[name], item, f"{where}.{name}" if where else name)
    elif isinstance(shape, ListShape):
        if not isinstance(value, list):
            yield f"Argument member '{where}' must be a list."
            return
        for index, item in enumerate(value):
            yield from _argument_problems(shape.member, item, f"{where}[{index}]")
    elif isinstance(shape, MapShape):
        if not isinstance(value, dict):
            yield f"Argument member '{where}' must be a map."
            return
        for key, item in value.items():
            yield from _argument_problems(shape.value, item, f"{where}['{key}']")
    else:
        expected = _JSON_TYPES.get(shape.type_name, (object,))
        if not isinstance(value, expected) or (
            shape.type_name in ("integer", "long") and isinstance(value, bool)
        ):
            yield f"Argument member '{where}' must be a {shape.type_name}, not {json.dumps(value)[:80]}."


def argument_problems(step_type: str, arguments: Any) -> list[str]:
    operation = ARGUMENT_OPERATIONS.get(step_type)
    if operation is None:
        return []
    refused = [
        f"Unknown Argument member '{m}'."
        for m in sorted(SERVICE_MEMBERS.get(step_type, ()))
        if m in (arguments or {})
    ]
    return refused + list(_argument_problems(_input_shape(operation), arguments, ""))
