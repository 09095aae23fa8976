"""Server-side input validation the way AWS does it, for the operations this package serves.

botocore's client checks required members, types and minimum lengths only; AWS additionally
rejects, server side, values that break the model's constraints: patterns (AWS's name and id
formats), maximum lengths, enums, list sizes and numeric ranges, with a ValidationException
that lists every violation ("2 validation errors detected: Value 'x' at 'artifactName' failed to
satisfy constraint: Member must satisfy regular expression pattern: ..."). The emulator must
reject the same requests, or a script passes here and fails on AWS.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, flags=re.DOTALL)
    except re.error:
        # A Java-only construct Python cannot compile: AWS checks it, the emulator cannot.
        return None


def violations(shape: Shape, value: Any, path: str = "") -> list[str]:
    """Constraint violations of ``value`` against ``shape`` in AWS's wording."""
    found: list[str] = []
    metadata = shape.metadata
    where = path or shape.name
    if isinstance(shape, StructureShape):
        if isinstance(value, dict):
            for name, member in shape.members.items():
                if name in value and value[name] is not None:
                    child = f"{path}.{_camel(name)}" if path else _camel(name)
                    found += violations(member, value[name], child)
        return found
    if isinstance(shape, ListShape):
        if isinstance(value, list):
            if "max" in metadata and len(value) > metadata["max"]:
                found.append(
                    f"Value '{value}' at '{where}' failed to satisfy constraint: Member must have length less than or equal to {metadata['max']}"
                )
            for item in value:
                found += violations(shape.member, item, f"{where}.member")
        return found
    if isinstance(shape, MapShape):
        if isinstance(value, dict):
            if "max" in metadata and len(value) > metadata["max"]:
                found.append(
                    f"Value '{value}' at '{where}' failed to satisfy constraint: Member must have length less than or equal to {metadata['max']}"
                )
            for key, item in value.items():
                found += violations(shape.key, key, f"{where}.key")
                found += violations(shape.value, item, f"{where}.value")
        return found
    if shape.type_name == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            found.append(
                f"Value '{value}' at '{where}' failed to satisfy constraint: Member must satisfy enum value set: [{', '.join(shape.enum)}]"
            )
        if "max" in metadata and len(value) > metadata["max"]:
            found.append(
                f"Value '{value[:64]}' at '{where}' failed to satisfy constraint: Member must have length less than or equal to {metadata['max']}"
            )
        if "min" in metadata and len(value) < metadata["min"]:
            found.append(
                f"Value '{value}' at '{where}' failed to satisfy constraint: Member must have length greater than or equal to {metadata['min']}"
            )
        compiled = _pattern(metadata["pattern"]) if "pattern" in metadata else None
        if compiled is not None and not compiled.fullmatch(value):
            found.append(
                f"Value '{value[:64]}' at '{where}' failed to satisfy constraint: Member must satisfy regular expression pattern: {metadata['pattern']}"
            )
        return found
    if shape.type_name in ("integer", "long", "float", "double") and isinstance(value, (int, float)):
        if "max" in metadata and value > metadata["max"]:
            found.append(
                f"Value '{value}' at '{where}' failed to satisfy constraint: Member must have value less than or equal to {metadata['max']}"
            )
        if "min" in metadata and value < metadata["min"]:
            found.append(
                f"Value '{value}' at '{where}' failed to satisfy constraint: Member must have value greater than or equal to {metadata['min']}"
            )
    return found


def message(problems: list[str]) -> str:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(problems)


#: Handlers already wrapped by :func:`validate_operations`, so none is checked twice.
_CHECKED_HANDLERS: set[Callable[..., Any]] = set()


def validate_operations(
    response_cls: type, operations: tuple[str, ...], error: Callable[[str], Exception]
) -> None:
    """Wrap each handler of ``operations`` on ``response_cls`` so its input is checked first.

    The handler name is moto's (CreateModelPackage -> create_model_package); ``error`` builds the
    service's ValidationException. Idempotent: a handler is wrapped once.
    """
    for operation in operations:
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
        handler = getattr(response_cls, name, None)
        if handler is None or handler in _CHECKED_HANDLERS:
            continue

        def make(handler: Callable[..., Any], operation: str) -> Callable[..., Any]:
            @functools.wraps(handler)
            def checked(self: Any) -> Any:
                from moto.core.utils import get_service_model

                model = get_service_model(self.boto3_service_name).operation_model(operation)
                params = self.params if isinstance(getattr(self, "params", None), dict) else {}
                problems = violations(model.input_shape, params) if model.input_shape else []
                if problems:
                    raise error(message(problems))
                return handler(self)

            _CHECKED_HANDLERS.add(checked)
            return checked

        setattr(response_cls, name, make(handler, operation))
