"""A SageMaker pipeline definition, checked when it is created or updated (:func:`parse`): JSON,
then ``pipeline_schema.py``'s checks (AWS's published schema with its amendments, step arguments
against the API's request shapes), then the references below. Its expressions are evaluated while
an execution runs by ``pipeline_expressions.py``.

**References.** Step names are unique over the whole definition (branches included); every
``DependsOn``, ``{"Get": "Steps.<name>...."}``, ``Parameters.<name>``, ``Execution.<variable>``
and property file names something that exists; dependencies have no cycle.

A definition refused is refused as AWS refuses one it cannot read: ValidationException "Unable to
parse pipeline definition. <what is wrong, and where>".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from moto.sagemaker.exceptions import ValidationError

from .pipeline_schema import argument_problems, schema_errors

PARSE_ERROR = "Unable to parse pipeline definition."
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


def parse_error(detail: str) -> ValidationError:
    return ValidationError(f"{PARSE_ERROR} {detail}")


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
