"""Decode-trace files: a DecodeSchedule as JSON (written by `hwsim reference --trace-out`, replayed by
`hwsim simulate --replay`)."""

from __future__ import annotations

import json
from pathlib import Path

from hwsim.decode.registry import Algorithm
from hwsim.errors import SpecError
from hwsim.outputs import atomic_write_text
from hwsim.readers import read_json
from hwsim.sim.schedule import DecodeSchedule, schedule_from_dict, schedule_to_dict


def schedule_from_dict_or_error(data: dict, file: str | None = None) -> DecodeSchedule:
    try:
        schedule = schedule_from_dict(data)
    except (ValueError, OverflowError) as error:
        raise SpecError(file, "", f"expected {error}") from None
    names = [a.value for a in Algorithm]
    if schedule.algorithm not in names:
        raise SpecError(file, "algorithm", f"one of {', '.join(names)}", schedule.algorithm)
    return schedule


def save_schedule_json(schedule: DecodeSchedule, path: str | Path) -> None:
    atomic_write_text(path, json.dumps(schedule_to_dict(schedule), indent=1) + "\n")


def load_schedule_json(path: str | Path) -> DecodeSchedule:
    """A trace written by `hwsim reference --trace-out` -> DecodeSchedule (replayable by the simulator)."""
    data = read_json(path)  # size, encoding, depth and NaN/Infinity checked there
    if not isinstance(data, dict):
        raise SpecError(path, "", "expected a JSON object (a decode trace)", type(data).__name__)
    return schedule_from_dict_or_error(data, str(path))
