"""Decode-trace files: a DecodeSchedule as JSON (written by `hwsim reference --trace-out`, replayed by
`hwsim simulate --replay`)."""

from __future__ import annotations

import json
from pathlib import Path

from hwsim.errors import SpecError
from hwsim.outputs import atomic_write_text
from hwsim.readers import read_json
from hwsim.sim.schedule import DecodeSchedule, schedule_from_dict, schedule_to_dict


def schedule_from_dict_or_error(data: dict, file: str | None = None) -> DecodeSchedule:
    try:
        return schedule_from_dict(data)
    except (ValueError, OverflowError) as error:
        raise SpecError(file, "", f"expected {error}") from None


def save_schedule_json(schedule: DecodeSchedule, path: str | Path) -> None:
    atomic_write_text(path, json.dumps(schedule_to_dict(schedule), indent=1) + "\n")


def load_schedule_json(path: str | Path) -> DecodeSchedule:
    """A trace written by `hwsim reference --trace-out` -> DecodeSchedule (replayable by the simulator)."""
    data = read_json(path)  # size, encoding, depth and NaN/Infinity checked there
    return schedule_from_dict_or_error(data, str(path))
