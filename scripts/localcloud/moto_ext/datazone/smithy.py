"""The Smithy models of DataZone form types, and form content checked against them.

A form type's model is Smithy IDL (CreateFormType ``model.smithy``): one ``structure`` named like
the form type, its members typed with Smithy's prelude shapes or with shapes the model defines
(``list``, ``map``, ``structure``, ``enum``), and traits such as ``@required``, ``@length``,
``@range``, ``@pattern``, ``@amazon.datazone#glossaryterm("<glossary id>")`` and
``@amazon.datazone#searchable``. Sources: the DataZone API reference (CreateFormType, GetFormType
example: ``structure CustomerProfileFormType { @required customerId: String, ... }``), the
DataZone User Guide "Create a metadata form" (field types String, Boolean, Integer, Double,
Date/Timestamp, lists of strings for glossary terms; "Searchable" fields), and Smithy 2.0's IDL
(https://smithy.io/2.0/spec/idl.html).

Asset forms are JSON objects checked against that structure, as DataZone does on CreateAsset and
CreateAssetRevision: a missing required member, a member of the wrong JSON type, a member the
model does not define and a broken ``@length`` / ``@range`` / ``@pattern`` / enum are each a
ValidationException naming the JSON path (DataZone's own message for a wrong type reads
``$.UsagePurposeForm.usagePeriod: array found, string expected``).

Only the subset of the IDL that form models use is parsed; a model using anything else is refused
when the form type is created, naming what is not understood, so a model the local cloud accepts
is one it checks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

#: Smithy prelude shapes a member may target, by the JSON value they take.
STRING_TYPES = {"String", "Blob"}
INTEGER_TYPES = {"Integer", "Long", "Short", "Byte", "BigInteger"}
NUMBER_TYPES = {"Float", "Double", "BigDecimal"}
TIME_TYPES = {"Timestamp", "Date"}
PRELUDE = STRING_TYPES | INTEGER_TYPES | NUMBER_TYPES | TIME_TYPES | {"Boolean", "Document"}
#: Shape types a model may define, and the prelude shape a simple one stands for.
SIMPLE_SHAPES = {
    "string": "String",
    "blob": "Blob",
    "boolean": "Boolean",
    "integer": "Integer",
    "long": "Long",
    "short": "Short",
    "byte": "Byte",
    "biginteger": "BigInteger",
    "float": "Float",
    "double": "Double",
    "bigdecimal": "BigDecimal",
    "timestamp": "Timestamp",
    "document": "Document",
}
AGGREGATES = {"structure", "list", "map", "enum", "intenum"}

GLOSSARY_TERM_TRAIT = "amazon.datazone#glossaryterm"
SEARCHABLE_TRAIT = "amazon.datazone#searchable"

_TOKEN = re.compile(
    r"""\s+|//[^\n]*|(?P<string>"(?:[^"\\]|\\.)*")|(?P<number>-?\d+(?:\.\d+)?)"""
    r"""|(?P<ident>[A-Za-z_$][\w.#$]*)|(?P<punct>[{}()\[\]:,=@])"""
)


class SmithyError(ValueError):
    """A model the local cloud cannot read (the message names what and where)."""


@dataclass
class Member:
    name: str
    target: str
    traits: dict[str, Any] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return "required" in self.traits


@dataclass
class Shape:
    name: str
    kind: str
    """``structure``, ``list``, ``map``, ``enum``, ``intenum`` or a prelude name."""
    members: dict[str, Member] = field(default_factory=dict)
    traits: dict[str, Any] = field(default_factory=dict)
    values: list[Any] = field(default_factory=list)
    """An enum's values."""


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            line = text.count("\n", 0, position) + 1
            raise SmithyError(f"unexpected character {text[position]!r} on line {line} of the model")
        position = match.end()
        kind = match.lastgroup
        if kind is not None:
            found.append((kind, match.group(kind)))
    return found


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        at = self.index + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise SmithyError("the model ends unexpectedly")
        self.index += 1
        return token

    def expect(self, value: str) -> None:
        _, text = self.take()
        if text != value:
            raise SmithyError(f"expected {value!r} in the model, found {text!r}")

    def accept(self, value: str) -> bool:
        token = self.peek()
        if token is not None and token[1] == value and token[0] != "string":
            self.index += 1
            return True
        return False

    def ident(self) -> str:
        kind, text = self.take()
        if kind != "ident":
            raise SmithyError(f"expected a name in the model, found {text!r}")
        return text

    def node(self) -> Any:
        """A Smithy node value (trait argument): string, number, identifier, array or object."""
        kind, text = self.take()
        if kind == "string":
            return json.loads(text)
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "ident":
            return {"true": True, "false": False, "null": None}.get(text, text)
        if text == "[":
            items = []
            while not self.accept("]"):
                items.append(self.node())
                self.accept(",")
            return items
        if text == "{":
            return self.object_body("}")
        raise SmithyError(f"unexpected {text!r} in a trait value of the model")

    def object_body(self, closer: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while not self.accept(closer):
            kind, key = self.take()
            if kind not in ("ident", "string"):
                raise SmithyError(f"expected a key in a trait value of the model, found {key!r}")
            self.expect(":")
            result[json.loads(key) if kind == "string" else key] = self.node()
            self.accept(",")
        return result

    def traits(self) -> dict[str, Any]:
        traits: dict[str, Any] = {}
        while self.accept("@"):
            name = self.ident()
            value: Any = True
            if self.accept("("):
                token = self.peek()
                following = self.peek(1)
                if token is not None and token[1] == ")":
                    self.take()
                elif following is not None and following[1] == ":":
                    value = self.object_body(")")
                else:
                    value = self.node()
                    self.expect(")")
            traits[name.removeprefix("smithy.api#")] = value
        return traits


def parse(text: str) -> dict[str, Shape]:
    """Every shape a form model defines, by name (``SmithyError`` if it is not understood)."""
    parser = _Parser(text)
    shapes: dict[str, Shape] = {}
    while parser.peek() is not None:
        if parser.accept("$version"):
            parser.expect(":")
            parser.node()
            continue
        token = parser.peek()
        if token is not None and token[1] in ("namespace", "use", "metadata"):
            parser.take()
            if token[1] == "metadata":
                parser.ident()
                parser.expect("=")
                parser.node()
            else:
                parser.ident()
            continue
        traits = parser.traits()
        keyword = parser.ident()
        kind = keyword.lower()
        name = parser.ident()
        if name in shapes:
            raise SmithyError(f"shape {name} is defined twice in the model")
        if kind in SIMPLE_SHAPES:
            shapes[name] = Shape(name, SIMPLE_SHAPES[kind], traits=traits)
        elif kind in AGGREGATES:
            shapes[name] = _aggregate(parser, name, kind, traits)
        else:
            raise SmithyError(f"shape type {keyword!r} of {name} is not supported in a form model")
    return shapes


def _aggregate(parser: _Parser, name: str, kind: str, traits: dict[str, Any]) -> Shape:
    shape = Shape(name, kind, traits=traits)
    parser.expect("{")
    while not parser.accept("}"):
        member_traits = parser.traits()
        member = parser.ident()
        if kind in ("enum", "intenum"):
            value: Any = member
            if parser.accept("="):
                value = parser.node()
            shape.values.append(member_traits.get("enumValue", value))
        else:
            parser.expect(":")
            shape.members[member] = Member(member, parser.ident(), member_traits)
            if parser.accept("="):
                parser.node()  # a default value: the member becomes optional on input
        parser.accept(",")
    if kind == "list" and set(shape.members) != {"member"}:
        raise SmithyError(f"list {name} must define exactly one member named 'member'")
    if kind == "map" and set(shape.members) != {"key", "value"}:
        raise SmithyError(f"map {name} must define a 'key' and a 'value' member")
    return shape


@dataclass
class FormModel:
    """A parsed form type model: the structure named like the form type and its shapes."""

    name: str
    shapes: dict[str, Shape]

    @property
    def root(self) -> Shape:
        return self.shapes[self.name]

    def searchable_members(self) -> list[str]:
        """Top-level members marked ``@amazon.datazone#searchable``."""
        return [m.name for m in self.root.members.values() if SEARCHABLE_TRAIT in m.traits]

    def glossary_members(self) -> dict[str, str]:
        """Top-level members bound to a glossary (``@amazon.datazone#glossaryterm``), by name."""
        return {
            m.name: str(m.traits[GLOSSARY_TERM_TRAIT])
            for m in self.root.members.values()
            if GLOSSARY_TERM_TRAIT in m.traits
        }

    def validate(self, content: Any, form_name: str) -> list[str]:
        """Every way ``content`` (parsed JSON) breaks the model, as ``$.<form>.<path>: ...``."""
        problems: list[str] = []
        _check(self.shapes, self.name, content, f"$.{form_name}", problems)
        return problems


def load(form_type_name: str, text: str) -> FormModel:
    """Parse and check a form model: the structure named like the form type (without an
    ``amazon.datazone.`` prefix) must exist and every member must target a known shape."""
    short = form_type_name.removeprefix("amazon.datazone.")
    shapes = parse(text)
    root = shapes.get(short)
    if root is None or root.kind != "structure":
        defined = ", ".join(sorted(shapes)) or "none"
        raise SmithyError(
            f"the model must define a structure named {short} (the form type name); it defines {defined}"
        )
    for shape in shapes.values():
        for member in shape.members.values():
            target = member.target.removeprefix("smithy.api#")
            if target not in PRELUDE and target not in shapes:
                raise SmithyError(
                    f"member {shape.name}.{member.name} targets {member.target}, which is not defined"
                )
    return FormModel(short, shapes)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _check(shapes: dict[str, Shape], target: str, value: Any, path: str, problems: list[str]) -> None:
    target = target.removeprefix("smithy.api#")
    shape = shapes.get(target)
    kind = shape.kind if shape is not None else target
    traits = shape.traits if shape is not None else {}
    found = _json_type(value)
    expected = {
        **dict.fromkeys(STRING_TYPES, "string"),
        **dict.fromkeys(INTEGER_TYPES, "integer"),
        **dict.fromkeys(NUMBER_TYPES, "number"),
        "Boolean": "boolean",
        "structure": "object",
        "map": "object",
        "list": "array",
        "enum": "string",
        "intenum": "integer",
    }
    if kind == "Document":
        return
    if kind in TIME_TYPES:
        if found not in ("string", "integer", "number"):
            problems.append(f"{path}: {found} found, string or number expected")
        return
    want = expected[kind]
    matches = found == want or (want == "number" and found == "integer")
    if not matches:
        problems.append(f"{path}: {found} found, {want} expected")
        return
    if shape is None:
        return
    _check_traits(traits, value, path, problems)
    if kind == "structure":
        for name, member in shape.members.items():
            if name not in value:
                if member.required:
                    problems.append(f"{path}.{name}: is missing but it is required")
                continue
            _check_member(shapes, member, value[name], f"{path}.{name}", problems)
        for name in value:
            if name not in shape.members:
                problems.append(
                    f"{path}.{name}: is not defined in the schema and the schema does not allow additional properties"
                )
    elif kind == "list":
        member = shape.members["member"]
        for index, item in enumerate(value):
            _check_member(shapes, member, item, f"{path}[{index}]", problems)
    elif kind == "map":
        for key, item in value.items():
            _check_member(shapes, shape.members["value"], item, f"{path}.{key}", problems)
    elif kind in ("enum", "intenum") and value not in shape.values:
        problems.append(f"{path}: does not have a value in the enumeration {shape.values}")


def _check_member(
    shapes: dict[str, Shape], member: Member, value: Any, path: str, problems: list[str]
) -> None:
    before = len(problems)
    _check(shapes, member.target, value, path, problems)
    if len(problems) == before:
        _check_traits(member.traits, value, path, problems)


def _check_traits(traits: dict[str, Any], value: Any, path: str, problems: list[str]) -> None:
    """``@length``, ``@pattern``, ``@range`` and the legacy ``@enum`` trait on a value whose JSON
    type already matched."""
    if isinstance(value, str):
        _check_length(traits, value, path, problems, "characters")
        pattern = traits.get("pattern")
        if isinstance(pattern, str) and re.search(pattern, value) is None:
            problems.append(f"{path}: does not match the regex pattern {pattern}")
        legacy_enum = traits.get("enum")
        if isinstance(legacy_enum, list):
            allowed = [e.get("value") if isinstance(e, dict) else e for e in legacy_enum]
            if value not in allowed:
                problems.append(f"{path}: does not have a value in the enumeration {allowed}")
    elif isinstance(value, (list, dict)):
        _check_length(traits, value, path, problems, "items")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        bounds = traits.get("range")
        if isinstance(bounds, dict):
            if "min" in bounds and value < bounds["min"]:
                problems.append(f"{path}: must have a minimum value of {bounds['min']}")
            if "max" in bounds and value > bounds["max"]:
                problems.append(f"{path}: must have a maximum value of {bounds['max']}")


def _check_length(traits: dict[str, Any], value: Any, path: str, problems: list[str], unit: str) -> None:
    bounds = traits.get("length")
    if not isinstance(bounds, dict):
        return
    if "min" in bounds and len(value) < bounds["min"]:
        problems.append(f"{path}: must be at least {bounds['min']} {unit} long")
    if "max" in bounds and len(value) > bounds["max"]:
        problems.append(f"{path}: must be at most {bounds['max']} {unit} long")
