"""Read a YAML file into a validated, frozen pydantic spec, turning every failure into one SpecError line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from hwsim.errors import SpecError, did_you_mean

SpecT = TypeVar("SpecT", bound=pydantic.BaseModel)
SCHEMA_VERSION = 1


def read_yaml(path: Path) -> dict[str, Any]:
    """Parse a YAML mapping, or raise a SpecError naming the file (and line, for syntax errors)."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise SpecError(path, "", "file not found") from None
    except OSError as error:
        raise SpecError(path, "", f"cannot read file ({error.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise SpecError(path, where, f"valid YAML ({problem})") from None
    if not isinstance(data, dict):
        raise SpecError(path, "", "a YAML mapping at the top level", type(data).__name__)
    return data


def key_path(loc: tuple[Any, ...]) -> str:
    """('rules', 3, 'weights', 'format') -> 'rules[3].weights.format'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _models_in(annotation: Any) -> list[type[pydantic.BaseModel]]:
    """The pydantic models an annotation may hold (several for a union)."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return [annotation]
    found: list[type[pydantic.BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()) or ():
        found += _models_in(arg)
    return found


def _tag_of(model: type[pydantic.BaseModel]) -> Any:
    field = model.model_fields.get("kind")
    if field is None:
        return None
    literal_values = getattr(field.annotation, "__args__", ()) or ()
    return literal_values[0] if len(literal_values) == 1 else field.default


def walk_location(model: type[pydantic.BaseModel], loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[str]]:
    """(loc without discriminated-union tags, field names of the model owning the last key).

    pydantic puts a tagged union's tag into the location ('encoder', 'blstm', 'hidden_dim'); users wrote
    'encoder.hidden_dim', so the tag is dropped and the tagged member is used for did-you-mean hints.
    """
    clean: list[Any] = []
    candidates: list[type[pydantic.BaseModel]] = [model]
    for index, part in enumerate(loc):
        if isinstance(part, int):
            clean.append(part)
            continue
        if len(candidates) > 1:
            tagged = [m for m in candidates if _tag_of(m) == part]
            if tagged:
                candidates = tagged
                continue
        clean.append(part)
        owner = candidates[0] if candidates else None
        if index == len(loc) - 1 or owner is None or part not in owner.model_fields:
            return tuple(clean) + tuple(loc[index + 1:]), list(owner.model_fields) if owner else []
        candidates = _models_in(owner.model_fields[part].annotation)
    return tuple(clean), []


def spec_error_from_validation(path: Path | str | None, model: type[pydantic.BaseModel], error: pydantic.ValidationError) -> SpecError:
    """The first pydantic error as a one-line SpecError with key path, expectation and found value."""
    first = error.errors(include_url=False)[0]
    loc, known = walk_location(model, tuple(first.get("loc", ())))
    kind = first.get("type", "")
    if kind == "extra_forbidden":
        field = str(loc[-1])
        hint = did_you_mean(field, known)
        expected = f"unknown key{hint}" + (f"; known keys: {', '.join(known)}" if known else "")
        return SpecError(path, key_path(loc), expected)
    if kind == "missing":
        return SpecError(path, key_path(loc), "required key is missing")
    if kind in ("literal_error", "enum") and isinstance(first.get("input"), str):
        choices = re.findall(r"'([^']*)'", str(first.get("ctx", {}).get("expected", "")))
        value = first["input"]
        return SpecError(path, key_path(loc), f"unknown {value!r}{did_you_mean(value, choices)}; expected one of: {', '.join(choices)}")
    message = first.get("msg", "invalid value")
    message = message.removeprefix("Value error, ").replace("Input should be", "expected", 1)
    got = first.get("input")
    if isinstance(got, (dict, list)):
        got = None
    return SpecError(path, key_path(loc), message[0].lower() + message[1:] if message else message, got)


def validate_spec(model: type[SpecT], data: dict[str, Any], path: Path | str | None) -> SpecT:
    """Validate a mapping against a spec model; checks `schema_version` first."""
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise SpecError(path, "schema_version", f"expected {SCHEMA_VERSION}", version)
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as error:
        raise spec_error_from_validation(path, model, error) from None


def load_spec(model: type[SpecT], path: Path) -> SpecT:
    """Read and validate one spec file."""
    return validate_spec(model, read_yaml(path), path)
