"""A SageMaker pipeline definition's expressions and conditions, evaluated while an execution
runs (the definition is checked by ``pipeline_definition.py``): parameters in their types, property
paths and JSON paths, :class:`Resolver`, conditions.

**Expressions** (:class:`Resolver`): ``{"Get": "Parameters.X"}``, ``{"Get":
"Execution.PipelineExecutionId"}`` (and the other execution variables the SDK defines),
``{"Get": "Steps.X.<property path>"}`` (a path into the step's Describe response, e.g.
``ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri``: a list element is selected by its
name), ``{"Get": "PipelineExperimentConfig.ExperimentName"}``, ``{"Std:Join": {"On", "Values"}}``
and ``{"Std:JsonGet": {"PropertyFile" | "S3Uri", "Path"}}`` (the JSON file read from S3 as the
pipeline's role). Conditions: Equals, GreaterThan(OrEqualTo), LessThan(OrEqualTo), In, Not, Or.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.sagemaker.exceptions import ValidationError

from .pipeline_definition import ParameterDef
from .pipeline_schema import is_expression


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
