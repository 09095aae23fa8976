"""A SageMaker pipeline definition: checked when it is created or updated, and its expressions
evaluated while an execution runs.

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

**References.** Step names are unique over the whole definition (branches included); every
``DependsOn``, ``{"Get": "Steps.<name>...."}``, ``Parameters.<name>``, ``Execution.<variable>``
and property file names something that exists; dependencies have no cycle.

**Expressions** (:class:`Resolver`): ``{"Get": "Parameters.X"}``, ``{"Get":
"Execution.PipelineExecutionId"}`` (and the other execution variables the SDK defines),
``{"Get": "Steps.X.<property path>"}`` (a path into the step's Describe response, e.g.
``ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri``: a list element is selected by its
name), ``{"Get": "PipelineExperimentConfig.ExperimentName"}``, ``{"Std:Join": {"On", "Values"}}``
and ``{"Std:JsonGet": {"PropertyFile" | "S3Uri", "Path"}}`` (the JSON file read from S3 as the
pipeline's role). Conditions: Equals, GreaterThan(OrEqualTo), LessThan(OrEqualTo), In, Not, Or.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape
from moto.sagemaker.exceptions import ValidationError

SCHEMA_FILE = Path(__file__).with_name("pipeline_definition.schema.json")
#: Where the vendored schema comes from (its SHA-256 is checked by the tests: do not edit it).
SCHEMA_SOURCE = {
    "repository": "https://github.com/aws-sagemaker-mlops/sagemaker-model-building-pipeline-definition-JSON-schema",
    "path": "schema/pipeline-definition.schema.json",
    "commit": "db33edc4534123e47058aa8e2d3afea32687f35e",
    "published": "https://aws-sagemaker-mlops.github.io/sagemaker-model-building-pipeline-definition-JSON-schema/",
    "sha256": "35633f4376dda695d1847bd16d72d3b3d9201f0106e75107eafbeef11ef5ce30",
}
PARSE_ERROR = "Unable to parse pipeline definition."

#: Step type -> the operation whose request its Arguments are.
ARGUMENT_OPERATIONS = {
    "Processing": "CreateProcessingJob",
    "Training": "CreateTrainingJob",
    "RegisterModel": "CreateModelPackage",
    "Model": "CreateModel",
}
#: Members of those requests SageMaker Pipelines sets itself and refuses in a definition.
SERVICE_MEMBERS = {"RegisterModel": frozenset({"ModelPackageName", "CertifyForMarketplace"})}
#: The execution variables (SageMaker Python SDK ``workflow/execution_variables.py``).
EXECUTION_VARIABLES = frozenset(
    {
        "StartDateTime",
        "CurrentDateTime",
        "PipelineName",
        "PipelineArn",
        "PipelineExecutionId",
        "PipelineExecutionArn",
        "TrainingJobName",
        "ProcessingJobName",
    }
)
EXPRESSION_KEYS = frozenset({"Get", "Std:Join", "Std:JsonGet"})


def parse_error(detail: str) -> ValidationError:
    return ValidationError(f"{PARSE_ERROR} {detail}")


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


# -- the parsed definition ------------------------------------------------------------------
@dataclass(frozen=True)
class ParameterDef:
    name: str
    type: str
    default: Any = None


@dataclass(frozen=True)
class StepDef:
    name: str
    type: str
    raw: dict[str, Any]
    branch: tuple[str, bool] | None
    """(condition step, True for IfSteps / False for ElseSteps) for a step inside a branch."""
    depends_on: frozenset[str]
    """Every step this one waits for: DependsOn, the steps its expressions read, its condition."""


@dataclass(frozen=True)
class Definition:
    text: str
    raw: dict[str, Any]
    parameters: dict[str, ParameterDef]
    steps: dict[str, StepDef]
    property_files: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    """(step, property file) -> (processing output name, file path)."""

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def references(value: Any) -> Iterator[str]:
    """Every ``Get`` path inside ``value`` (PropertyFile references included)."""
    for node in _walk(value):
        if isinstance(node, dict) and isinstance(node.get("Get"), str):
            yield node["Get"]


def _flatten(
    steps: list[dict[str, Any]], branch: tuple[str, bool] | None
) -> Iterator[tuple[dict[str, Any], tuple[str, bool] | None]]:
    for step in steps:
        yield step, branch
        if step.get("Type") == "Condition":
            arguments = step.get("Arguments") or {}
            yield from _flatten(arguments.get("IfSteps") or [], (step["Name"], True))
            yield from _flatten(arguments.get("ElseSteps") or [], (step["Name"], False))


def _own_expressions(step: dict[str, Any]) -> Any:
    """What a step's own expressions are in (a condition's branches are steps of their own)."""
    if step.get("Type") == "Condition":
        return (step.get("Arguments") or {}).get("Conditions")
    return step.get("Arguments")


def parse(text: str) -> Definition:
    """Check a definition (JSON text) as CreatePipeline/UpdatePipeline do; raises the
    ValidationException AWS answers."""
    try:
        raw = json.loads(text)
    except ValueError as err:
        raise parse_error(
            f"{getattr(err, 'msg', err)} at line {getattr(err, 'lineno', '?')} column {getattr(err, 'colno', '?')}."
        ) from None
    if not isinstance(raw, dict):
        raise parse_error("Expecting start of Json Object.")
    problems = schema_errors(raw)
    if problems:
        raise parse_error(
            f"{problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        )
    parameters: dict[str, ParameterDef] = {}
    for item in raw.get("Parameters") or []:
        if item["Name"] in parameters:
            raise parse_error(f"Parameter names must be unique: '{item['Name']}' is defined more than once.")
        parameters[item["Name"]] = ParameterDef(
            item["Name"], item.get("Type", "String"), item.get("DefaultValue")
        )
    flat = list(_flatten(raw.get("Steps") or [], None))
    names = [step["Name"] for step, _ in flat]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise parse_error(f"Step names must be unique within a pipeline: {', '.join(duplicates)}.")
    property_files: dict[tuple[str, str], tuple[str, str]] = {}
    for step, _ in flat:
        for pf in step.get("PropertyFiles") or []:
            property_files[(step["Name"], pf["PropertyFileName"])] = (pf["OutputName"], pf["FilePath"])
    known = set(names)
    steps: dict[str, StepDef] = {}
    for step, branch in flat:
        name = step["Name"]
        problems = argument_problems(step["Type"], step.get("Arguments"))
        if problems:
            raise parse_error(f"{problems[0]} (step '{name}')")
        depends = set(step.get("DependsOn") or [])
        for path in references(_own_expressions(step)):
            depends |= _check_reference(path, name, parameters, known, property_files)
        unknown = sorted(depends - known)
        if unknown:
            raise parse_error(f"Step '{name}' depends on step(s) that do not exist: {', '.join(unknown)}.")
        if name in depends:
            raise parse_error(f"Step '{name}' cannot depend on itself.")
        if branch is not None:
            depends.add(branch[0])
        steps[name] = StepDef(name, step["Type"], step, branch, frozenset(depends))
    _check_acyclic(steps)
    return Definition(text, raw, parameters, steps, property_files)


def _check_reference(
    path: str,
    step: str,
    parameters: dict[str, ParameterDef],
    known: set[str],
    property_files: dict[tuple[str, str], tuple[str, str]],
) -> set[str]:
    """The steps a ``Get`` path reads (empty for a parameter or variable); raises when it names
    nothing."""
    head, _, rest = path.partition(".")
    if head == "Parameters":
        if rest not in parameters:
            raise parse_error(f"Step '{step}' reads parameter '{rest}', which the pipeline does not define.")
        return set()
    if head == "Execution":
        if rest not in EXECUTION_VARIABLES:
            raise parse_error(f"Step '{step}' reads unknown execution variable '{rest}'.")
        return set()
    if head == "PipelineExperimentConfig":
        if rest not in ("ExperimentName", "TrialName"):
            raise parse_error(f"Step '{step}' reads unknown property 'PipelineExperimentConfig.{rest}'.")
        return set()
    if head == "Steps":
        target, _, property_path = rest.partition(".")
        if target not in known:
            raise parse_error(
                f"Step '{step}' reads property '{path}' of step '{target}', which does not exist."
            )
        if property_path.startswith("PropertyFiles."):
            file_name = property_path.removeprefix("PropertyFiles.")
            if (target, file_name) not in property_files:
                raise parse_error(
                    f"Step '{step}' reads property file '{file_name}', which step '{target}' does not declare."
                )
        return {target}
    raise parse_error(f"Step '{step}' has an invalid property reference '{path}'.")


def _check_acyclic(steps: dict[str, StepDef]) -> None:
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = [*trail[trail.index(name) :], name]
            raise parse_error(f"The pipeline's step dependencies form a cycle: {' -> '.join(cycle)}.")
        state[name] = 1
        for dependency in sorted(steps[name].depends_on):
            visit(dependency, [*trail, name])
        state[name] = 2

    for name in steps:
        visit(name, [])


# -- parameters ---------------------------------------------------------------------------
def typed_value(parameter: ParameterDef, value: Any) -> Any:
    """A parameter's value in its type (StartPipelineExecution sends every value as text)."""
    try:
        if parameter.type == "Integer":
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if parameter.type == "Float":
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if parameter.type == "Boolean":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text not in ("true", "false"):
                raise ValueError
            return text == "true"
    except (TypeError, ValueError):
        raise ValidationError(
            f"Value '{value}' of pipeline parameter '{parameter.name}' is not a valid {parameter.type}."
        ) from None
    return str(value)


def text_of(value: Any) -> str:
    """An evaluated value as text (a parameter's Value, a Join's part)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


# -- property paths and JSON paths ----------------------------------------------------------------
_TOKEN = re.compile(r"\.?([A-Za-z0-9_\-:]+)|\[\s*(\d+)\s*\]|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]")


def path_tokens(path: str) -> list[str | int]:
    """``A.B['c'][0].D`` -> ["A", "B", "c", 0, "D"]; raises ValueError on anything else."""
    tokens: list[str | int] = []
    position = 0
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None or match.end() == position:
            raise ValueError(f"invalid path {path!r} at {path[position:]!r}")
        name, index, single, double = match.groups()
        tokens.append(int(index) if index is not None else (name or single or double or ""))
        position = match.end()
    return tokens


def follow(data: Any, tokens: list[str | int], *, by_name: bool) -> Any:
    """The value ``tokens`` lead to in ``data``; with ``by_name`` a list element may be chosen
    by its name (``Outputs['train']``: the element whose ``...Name`` member is ``train``)."""
    current = data
    for token in tokens:
        if isinstance(current, dict):
            if token not in current:
                raise KeyError(token)
            current = current[token]
        elif isinstance(current, list):
            if isinstance(token, int):
                current = current[token]
            elif by_name:
                found = [
                    item
                    for item in current
                    if isinstance(item, dict)
                    and any(k.endswith("Name") and v == token for k, v in item.items())
                ]
                if not found:
                    raise KeyError(token)
                current = found[0]
            else:
                raise KeyError(token)
        else:
            raise KeyError(token)
    return current


class ExpressionError(Exception):
    """An expression could not be evaluated; the message is the step's failure reason."""


@dataclass
class Resolver:
    """Evaluates a step's expressions during an execution."""

    parameters: dict[str, Any]
    execution: dict[str, Any]
    experiment: dict[str, str]
    properties: Callable[[str], dict[str, Any] | None]
    """A finished step's properties (its Describe response), None when it has none."""
    property_files: dict[tuple[str, str], tuple[str, str]]
    read_json: Callable[[str], Any]
    """Reads a JSON document from an S3 URI as the pipeline's role."""
    current: dict[str, Any] = field(default_factory=dict)
    """Execution variables of the step being evaluated (TrainingJobName, ProcessingJobName)."""

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if is_expression(value):
                key, body = next(iter(value.items()))
                if key == "Get":
                    return self.get(body)
                if key == "Std:Join":
                    parts = [text_of(self.resolve(v)) for v in body.get("Values") or []]
                    return str(body.get("On", "")).join(parts)
                return self.json_get(body)
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def get(self, path: str) -> Any:
        head, _, rest = path.partition(".")
        if head == "Parameters":
            return self.parameters[rest]
        if head == "Execution":
            if rest in self.current:
                return self.current[rest]
            if rest == "CurrentDateTime":
                from moto.core.utils import utcnow

                return utcnow()
            if rest not in self.execution:
                raise ExpressionError(f"Execution variable {rest} has no value in this step.")
            return self.execution[rest]
        if head == "PipelineExperimentConfig":
            return self.experiment.get(rest)
        step, _, property_path = rest.partition(".")
        properties = self.properties(step)
        if properties is None:
            raise ExpressionError(f"Step '{step}' has no properties: it did not run in this execution.")
        try:
            return follow(properties, path_tokens(property_path), by_name=True)
        except (KeyError, IndexError, ValueError):
            raise ExpressionError(f"Property '{path}' is not defined for step '{step}'.") from None

    def json_get(self, body: dict[str, Any]) -> Any:
        path = str(body.get("Path", ""))
        if "PropertyFile" in body:
            reference = body["PropertyFile"]["Get"]
            step, _, file_name = reference.removeprefix("Steps.").partition(".PropertyFiles.")
            output, file_path = self.property_files[(step, file_name)]
            outputs = self.get(f"Steps.{step}.ProcessingOutputConfig.Outputs['{output}'].S3Output.S3Uri")
            uri = f"{str(outputs).rstrip('/')}/{file_path.lstrip('/')}"
        else:
            uri = text_of(self.resolve(body["S3Uri"]))
        document = self.read_json(uri)
        try:
            return follow(document, path_tokens(path), by_name=False)
        except (KeyError, IndexError, ValueError):
            raise ExpressionError(f"Invalid JSON path '{path}' in {uri}.") from None


# -- conditions -----------------------------------------------------------------------------------
def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _compare(kind: str, left: Any, right: Any) -> bool:
    if kind in ("Equals", "NotEquals"):
        same_kind = (_numeric(left) and _numeric(right)) or type(left) is type(right)
        if not same_kind:
            raise ExpressionError(
                f"Condition {kind}: LeftValue {left!r} ({type(left).__name__}) and RightValue {right!r} "
                f"({type(right).__name__}) are not of the same type."
            )
        return (left == right) == (kind == "Equals")
    if not ((_numeric(left) and _numeric(right)) or (isinstance(left, str) and isinstance(right, str))):
        raise ExpressionError(
            f"Condition {kind} is not supported between {left!r} ({type(left).__name__}) and {right!r} "
            f"({type(right).__name__})."
        )
    return {
        "GreaterThan": left > right,
        "GreaterThanOrEqualTo": left >= right,
        "LessThan": left < right,
        "LessThanOrEqualTo": left <= right,
    }[kind]


def condition_holds(condition: dict[str, Any], resolver: Resolver) -> bool:
    kind = condition["Type"]
    if kind == "Not":
        return not condition_holds(condition["Condition"], resolver)
    if kind == "Or":
        return any(condition_holds(c, resolver) for c in condition["Conditions"])
    if kind == "In":
        query = resolver.resolve(condition["QueryValue"])
        return query in [resolver.resolve(v) for v in condition["Values"]]
    return _compare(kind, resolver.resolve(condition["LeftValue"]), resolver.resolve(condition["RightValue"]))
