"""Read a YAML file into a validated, frozen pydantic spec, turning every failure into one SpecError line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

import pydantic

from hwsim.errors import SpecError, SpecErrors, did_you_mean
from hwsim.io.readers import read_yaml_mapping
from hwsim.specs.base import NUMBER_ERROR

SpecT = TypeVar("SpecT", bound=pydantic.BaseModel)
SCHEMA_VERSION = 1


def read_yaml(path: Path) -> dict[str, Any]:
    """Parse a YAML mapping (libyaml when present), or raise a SpecError naming the file (and line, for syntax)."""
    return read_yaml_mapping(path)


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


def _union_tags(model: type[pydantic.BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The `kind` values of the tagged union at `loc` (for 'unknown kind' / 'missing kind' messages)."""
    owner: list[type[pydantic.BaseModel]] = [model]
    for part in loc:
        if isinstance(part, int) or not owner or part not in owner[0].model_fields:
            continue
        owner = _models_in(owner[0].model_fields[part].annotation)
    return sorted(str(tag) for tag in (_tag_of(m) for m in owner) if tag is not None)


def one_spec_error(path: Path | str | None, model: type[pydantic.BaseModel], error: dict[str, Any]) -> SpecError:
    """One pydantic error -> a one-line SpecError with key path, expectation and found value."""
    raw_loc = tuple(error.get("loc", ()))
    kind = error.get("type", "")
    if kind == NUMBER_ERROR:
        raw_loc += (error["ctx"]["key"],)
    loc, known = walk_location(model, raw_loc)
    if kind == "extra_forbidden":
        field = str(loc[-1])
        hint = did_you_mean(field, known)
        expected = f"unknown key{hint}" + (f"; known keys: {', '.join(known)}" if known else "")
        return SpecError(path, key_path(loc), expected)
    if kind == "missing":
        return SpecError(path, key_path(loc), "required key is missing")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = _union_tags(model, raw_loc)
        where = key_path(loc + ("kind",))
        if kind == "union_tag_not_found":
            return SpecError(path, where, f"required key is missing; expected one of: {', '.join(tags)}")
        value = str(error.get("ctx", {}).get("tag", ""))
        return SpecError(path, where, f"unknown {value!r}{did_you_mean(value, tags)}; expected one of: {', '.join(tags)}")
    if kind in ("literal_error", "enum") and isinstance(error.get("input"), str):
        choices = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        value = error["input"]
        return SpecError(path, key_path(loc), f"unknown {value!r}{did_you_mean(value, choices)}; expected one of: {', '.join(choices)}")
    message = error.get("msg", "invalid value")
    message = message.removeprefix("Value error, ").replace("Input should be", "expected", 1)
    got = error.get("input") if kind != NUMBER_ERROR else error["ctx"].get("value")
    if isinstance(got, (dict, list)):
        got = None
    return SpecError(path, key_path(loc), message[0].lower() + message[1:] if message else message, got)


def spec_error_from_validation(path: Path | str | None, model: type[pydantic.BaseModel], error: pydantic.ValidationError) -> SpecError:
    """Every pydantic error of a file at once: a SpecErrors whose first line is also its message."""
    items = error.errors(include_url=False)
    locs = [tuple(item.get("loc", ())) for item in items]
    # A container's error that only repeats a failed element ("at least 1 item after validation") is dropped.
    items = [item for item, loc in zip(items, locs)
             if not any(len(other) > len(loc) and other[: len(loc)] == loc for other in locs)] or items
    unique: dict[str, SpecError] = {}
    for item in items:
        spec_error = one_spec_error(path, model, item)
        unique.setdefault(spec_error.message, spec_error)
    errors = list(unique.values())
    return errors[0] if len(errors) == 1 else SpecErrors(errors)


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
