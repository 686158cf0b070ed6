"""Decode-trace files: a DecodeSchedule as JSON (written by `hwsim reference --trace-out`, replayed by
`hwsim simulate --replay`, fitted by `hwsim fit-decoding`).

A trace is validated by a schema before anything uses it: strict integers (`2.5`, `true` and `"40"` are not a
beam), ranges (beam, frames >= 1; counts >= 0; vocab >= 2), at least one step, and each step's frame inside the
utterance. Then the run-size limits (hwsim.io.limits) on frames, beam and max_symbols, because fit-decoding simulates
every trace and a search's memory grows with all three.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import ConfigDict, Field, StrictInt

from hwsim.decode.registry import Algorithm
from hwsim.errors import SpecError, SpecErrors
from hwsim.io.limits import check_decode_limits
from hwsim.io.outputs import atomic_write_text
from hwsim.io.readers import read_json
from hwsim.decode.schedule import DecodeSchedule, DecodeStep, schedule_to_dict

STEP_FIELDS = ("frame", "prediction_rows", "cache_hits", "joint_rows", "hyps")
DEFAULT_TRACE_SYMBOLS = 3  # what fit-decoding assumes for a trace that does not record its cap

Count = Annotated[StrictInt, Field(ge=0)]
Positive = Annotated[StrictInt, Field(ge=1)]
AlgorithmName = Literal[tuple(a.value for a in Algorithm)]  # type: ignore[valid-type]


class TraceSpec(pydantic.BaseModel):
    """The decode-trace file format (schedule_to_dict writes it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    algorithm: AlgorithmName
    beam: Positive
    frames: Positive
    labels: Count
    max_symbols: Positive | None = None
    vocab: Annotated[StrictInt, Field(ge=2)] | None = None  # joint outputs incl. blank: blank and one label at least
    steps: Annotated[list[Annotated[list[Count], Field(min_length=5, max_length=5)]], Field(min_length=1)]
    step_fields: Annotated[list[Literal[STEP_FIELDS]], Field(min_length=5, max_length=5)] | None = None  # type: ignore[valid-type]


# pydantic's wording -> the one-line style ('KEY: expected ..., got ...')
MESSAGES = {
    "int_type": "expected an integer", "int_parsing": "expected an integer", "int_from_float": "expected an integer",
    "greater_than_equal": "expected an integer >= {ge}", "too_short": "expected at least {min_length} items",
    "too_long": "expected at most {max_length} items", "list_type": "expected a list",
}


def _trace_error(file: str | None, error: pydantic.ValidationError) -> SpecError:
    from hwsim.specs.load import key_path, one_spec_error  # the specs' one error format (imported here: no cycle)
    errors: dict[str, SpecError] = {}
    for item in error.errors(include_url=False):
        template = MESSAGES.get(item["type"])
        if template is None:
            found = one_spec_error(file, TraceSpec, item)
        else:
            got = item.get("input")
            found = SpecError(file, key_path(tuple(item["loc"])), template.format(**item.get("ctx", {})),
                              len(got) if isinstance(got, (list, dict)) else got)
        errors.setdefault(found.message, found)
    unique = list(errors.values())
    return unique[0] if len(unique) == 1 else SpecErrors(unique)


def schedule_from_dict_or_error(data: Any, file: str | None = None) -> DecodeSchedule:
    """A checked trace mapping -> DecodeSchedule; every fault is one SpecError naming the file and key path."""
    if not isinstance(data, dict):
        raise SpecError(file, "", "expected a JSON object (a decode trace)", type(data).__name__)
    try:
        trace = TraceSpec.model_validate(data)
    except pydantic.ValidationError as error:
        raise _trace_error(file, error) from None
    if trace.step_fields is not None and tuple(trace.step_fields) != STEP_FIELDS:
        raise SpecError(file, "step_fields", f"expected {list(STEP_FIELDS)} (the one step layout)", trace.step_fields)
    for index, step in enumerate(trace.steps):
        if step[0] >= trace.frames:
            raise SpecError(file, f"steps[{index}][0]", f"expected a frame below frames ({trace.frames})", step[0])
    check_decode_limits(file, trace.frames, trace.beam, trace.max_symbols or DEFAULT_TRACE_SYMBOLS)
    return DecodeSchedule(trace.algorithm, trace.beam, trace.frames, tuple(DecodeStep(*s) for s in trace.steps),
                          trace.labels, trace.max_symbols, trace.vocab)


def save_schedule_json(schedule: DecodeSchedule, path: str | Path) -> None:
    atomic_write_text(path, json.dumps(schedule_to_dict(schedule), indent=1) + "\n")


def load_schedule_json(path: str | Path) -> DecodeSchedule:
    """A trace written by `hwsim reference --trace-out` -> DecodeSchedule (replayable by the simulator)."""
    data = read_json(path)  # size, encoding, depth and NaN/Infinity checked there
    return schedule_from_dict_or_error(data, str(path))
