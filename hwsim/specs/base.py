"""The one pydantic base of every spec model: closed keys, frozen, finite numbers, booleans are not numbers.

pydantic's lax mode reads `hidden_dim: true` as 1 and `clock_hz: .inf` as infinity; both are typos in a spec,
never intent. Full strict mode would also refuse a YAML list for a tuple field and a string for an enum, so
only these two conversions are switched off.
"""

from __future__ import annotations

import sys
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

NUMBER_ERROR = "hwsim_number"  # hwsim.specs.load appends ctx["key"] to the location


def _allows_bool(annotation: Any) -> bool:
    """Whether `bool` (or Any) appears anywhere in a field's annotation (e.g. `bool | None`, `dict[str, bool]`)."""
    if annotation is bool or annotation is Any:
        return True
    return any(_allows_bool(arg) for arg in typing.get_args(annotation))


def _holds_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, (list, tuple)):
        return any(isinstance(v, bool) for v in value)
    return False


class SpecModel(BaseModel):
    """Base of every YAML-facing spec class (devices, workloads, precisions, claims)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _check_numbers(cls, data: Any) -> Any:
        # A model-level check: pydantic forbids field 'before' validators on discriminator fields (`kind`).
        if isinstance(data, dict):
            for key, value in data.items():
                field = cls.model_fields.get(key) if isinstance(key, str) else None
                if field is not None and _holds_bool(value) and not _allows_bool(field.annotation):
                    raise PydanticCustomError(NUMBER_ERROR, "expected a number or text, got a boolean (true/false)",
                                              {"key": key, "value": value})
        return data

    @model_validator(mode="after")
    def _no_subnormal_numbers(self) -> "SpecModel":
        # After validation: YAML 1.1 reads `1e-320` as text, which pydantic then turns into a float.
        for key, value in self.__dict__.items():
            for number in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(number, float) and 0 < abs(number) < sys.float_info.min:
                    raise PydanticCustomError(NUMBER_ERROR, "expected 0 or a number of magnitude >= 2.2e-308 (a "
                                              "subnormal figure divides to infinity)", {"key": key, "value": number})
        return self
