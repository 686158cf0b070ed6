"""What a real decode did, step by step, in the simulator's DecodeStep terms, plus wall time per component.

Each decoder step calls, in order: `prediction` (new label histories, batched; cache hits counted),
`joint` (every hypothesis scored this step), `search` (blank/label extension, merging, pruning), then
`Recorder.step(...)`. The recording maps 1:1 onto hwsim.sim.schedule.DecodeStep, so the simulator can
replay it and get exactly the same prediction and joint call counts.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from hwsim.errors import SpecError
from hwsim.outputs import atomic_write_text
from hwsim.sim.schedule import DecodeSchedule, DecodeStep

COMPONENTS = ("encoder", "prediction", "joint", "search")


@dataclass
class SearchStats:
    """Beam-slot statistics for setting the emission model from measurement (see `competitor_blank_fraction`)."""

    competitor_slots: int = 0  # scored hypotheses other than the best, summed over steps
    competitor_labels: int = 0  # label extensions kept in the beam other than the best candidate's
    best_labels: int = 0  # steps whose best kept candidate is a label extension
    new_histories: int = 0  # label histories needed (prediction rows + cache hits), start-of-sequence excluded

    @property
    def competitor_blank_fraction(self) -> float:
        """1 - competitor label extensions / competitor slots, clipped to [0, 1]: the emission model's beta."""
        if not self.competitor_slots:
            return 0.0
        return min(1.0, max(0.0, 1.0 - self.competitor_labels / self.competitor_slots))


@dataclass
class Recorder:
    steps: list[DecodeStep] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    stats: SearchStats = field(default_factory=SearchStats)

    @contextlib.contextmanager
    def timed(self, component: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[component] += time.perf_counter() - start
            self.calls[component] += 1

    def step(self, frame: int, prediction_rows: int, cache_hits: int, joint_rows: int, hyps: int) -> None:
        self.steps.append(DecodeStep(frame, prediction_rows, cache_hits, joint_rows, hyps))

    def schedule(self, algorithm: str, beam: int, frames: int, labels: int) -> DecodeSchedule:
        return DecodeSchedule(algorithm, beam, frames, tuple(self.steps), labels)


def schedule_to_dict(schedule: DecodeSchedule) -> dict[str, object]:
    return {"algorithm": schedule.algorithm, "beam": schedule.beam, "frames": schedule.frames,
            "labels": schedule.labels, "steps": [list(asdict(s).values()) for s in schedule.steps],
            "step_fields": list(DecodeStep.__dataclass_fields__)}


def schedule_from_dict(data: dict, file: str | None = None) -> DecodeSchedule:
    try:
        steps = tuple(DecodeStep(*(int(v) for v in row)) for row in data["steps"])
        return DecodeSchedule(str(data["algorithm"]), int(data["beam"]), int(data["frames"]), steps, int(data["labels"]))
    except (KeyError, TypeError, ValueError) as error:
        raise SpecError(file, "", f"expected a decode trace (algorithm, beam, frames, labels, steps): {error}") from None


def save_schedule_json(schedule: DecodeSchedule, path: str | Path) -> None:
    atomic_write_text(path, json.dumps(schedule_to_dict(schedule), indent=1) + "\n")


def load_schedule_json(path: str | Path) -> DecodeSchedule:
    """A trace written by `hwsim reference --trace-out` -> DecodeSchedule (replayable by the simulator)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise SpecError(path, "", f"expected a readable JSON decode trace: {error}") from None
    return schedule_from_dict(data, str(path))
