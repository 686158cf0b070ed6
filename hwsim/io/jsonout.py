"""Strict JSON (RFC 8259) for every `--json` output and JSON file hwsim writes.

JSON has no NaN or infinity; Python's json module writes them as bare `NaN`/`Infinity`, which strict parsers
(jq, JavaScript's JSON.parse, Go, serde) reject. Here a number that is not finite becomes `null` (for example
the utilization of an op that does no work), numpy scalars and arrays become numbers and lists, enums their
value, paths strings. Anything else is a programming error and raises TypeError.
"""

from __future__ import annotations

import json
import math
import sys
from enum import Enum
from pathlib import PurePath
from typing import Any, TextIO


def to_strict(value: Any) -> Any:
    """A JSON-ready copy of `value`: non-finite floats -> None, numpy/enum/path values -> plain ones."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {_key(k): to_strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_strict(v) for v in value]
    if isinstance(value, Enum):
        return to_strict(value.value)
    if isinstance(value, PurePath):
        return str(value)
    if hasattr(value, "tolist"):  # numpy scalar or array
        return to_strict(value.tolist())
    if _is_missing(value):  # pandas NA / NaT
        return None
    if hasattr(value, "value"):  # enum-like
        return to_strict(value.value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _key(key: Any) -> str:
    if isinstance(key, Enum):
        key = key.value
    return key if isinstance(key, str) else str(to_strict(key))


def _is_missing(value: Any) -> bool:
    return type(value).__name__ in ("NAType", "NaTType")


def dumps(payload: Any, indent: int | None = 2) -> str:
    """Strict JSON text (allow_nan=False guards the conversion)."""
    return json.dumps(to_strict(payload), indent=indent, allow_nan=False)


def print_json(payload: Any, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    stream.write(dumps(payload) + "\n")
