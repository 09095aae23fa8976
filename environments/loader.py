"""Load and validate ``environments/*.yaml`` into frozen :mod:`environments.schema` objects.

Each environment file is validated on its own (:class:`EnvironmentConfig`), then
``platform.yaml`` together with every environment (:class:`PlatformConfig`: the rules between
files). Every check runs before anything is returned, so a bad file stops the run before a stack
is synthesized or a script touches AWS. Every problem found is reported, one line each (the
:class:`ConfigError`'s ``problems``), naming the file, the field and what was expected::

    environments/dev.yaml: account_id: expected a 12-digit AWS account id, got '1234'
    environments/dev.yaml: region: expected a known AWS region (...), got 'mars-1'
    environments/staging.yaml: network.az_count: expected 2 to 6 availability zones, got 9

The rules between files (:class:`PlatformConfig`) are checked once every environment file is
valid on its own: judged on a partial set they would report what only follows from a refused file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from .fields import KNOWN_REGIONS, REFUSAL, ConfigError
from .schema import EnvironmentConfig, PlatformConfig

__all__ = ["DEFAULT_DIR", "KNOWN_REGIONS", "PLATFORM_FILE", "load_platform"]

DEFAULT_DIR = Path(__file__).resolve().parent
PLATFORM_FILE = "platform.yaml"

_ENVIRONMENT = TypeAdapter(EnvironmentConfig)
_PLATFORM = TypeAdapter(PlatformConfig)

#: What a pydantic type error expected, in the words of an error message.
_EXPECTED_TYPE = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
    "mapping_type": "a mapping",
    "dataclass_type": "a mapping",
}

_T = TypeVar("_T")


def _label(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _field(loc: tuple[int | str, ...], extra: str) -> str:
    """``('use_cases', 0, 'name')`` -> ``use_cases[0].name``; a mapping key's own error carries
    ``[key]`` after the key, which the key already names."""
    parts = (*loc, *([extra] if extra else []))
    out = ""
    for i, part in enumerate(parts):
        if part == "[key]":
            continue
        if isinstance(part, int) and parts[i + 1 : i + 2] != ("[key]",):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (dict, list)):
        return type(value).__name__
    return f"{type(value).__name__} {value!r}"


def _message(error: ErrorDetails, label: str) -> str:
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == REFUSAL:
        label = ctx.get("file") or label
        return f"{label}: {_field(error['loc'], ctx.get('field', ''))}: {ctx['expected']}"
    if kind == "missing":
        expected = "is required"
    elif kind in _EXPECTED_TYPE:
        expected = f"expected {_EXPECTED_TYPE[kind]}, got {_shown(error['input'])}"
    elif kind in ("extra_forbidden", "unexpected_keyword_argument"):
        expected = "unknown key"
    else:  # a pydantic rule this module gave no words to; its own message still names the rule
        expected = f"expected valid input ({error['msg']}), got {error['input']!r}"
    return f"{label}: {_field(error['loc'], '')}: {expected}"


def _validate(adapter: TypeAdapter[_T], data: Any, label: str, context: dict[str, Any]) -> _T:
    """The validated object; else a :class:`ConfigError` with every problem found, in field order."""
    try:
        return adapter.validate_python(data, context=context)
    except ValidationError as exc:
        raise ConfigError(*dict.fromkeys(_message(error, label) for error in exc.errors())) from None


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read file: {exc.strerror}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


def load_platform(directory: str | Path | None = None) -> PlatformConfig:
    """Load every ``*.yaml`` in ``directory`` (default: this package's folder).

    ``platform.yaml`` holds the platform-wide settings (``name_prefix: mlgov`` when the file is
    absent); every other YAML file is one environment. Raises :class:`ConfigError` listing every
    problem found (environment files in name order, then platform.yaml and the rules between
    files).
    """
    directory = Path(directory) if directory is not None else DEFAULT_DIR
    if not directory.is_dir():
        raise ConfigError(f"{directory}: not a directory of environment files")
    platform_path = directory / PLATFORM_FILE
    env_files = [p for p in sorted(directory.glob("*.yaml")) if p.name != PLATFORM_FILE]
    if not env_files:
        raise ConfigError(
            f"{directory}: no environment files (*.yaml besides {PLATFORM_FILE}); add one, e.g. dev.yaml"
        )
    problems: list[str] = []
    envs: dict[str, EnvironmentConfig] = {}
    for path in env_files:
        label = _label(path)
        try:
            env = _validate(_ENVIRONMENT, _read_yaml(path), label, {"source": label})
        except ConfigError as exc:
            problems += exc.problems
            continue
        envs[env.name] = env
    context = {"environments": envs, "directory": _label(directory), "partial": bool(problems)}
    try:
        settings = _read_yaml(platform_path) if platform_path.exists() else {"name_prefix": "mlgov"}
        platform = _validate(_PLATFORM, settings, _label(platform_path), context)
    except ConfigError as exc:
        raise ConfigError(*problems, *exc.problems) from None
    if problems:
        raise ConfigError(*problems)
    return platform
