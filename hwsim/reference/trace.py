"""What a real decode did, step by step, in the simulator's DecodeStep terms, plus wall time per component.

Each decoder step calls, in order: `prediction` (new label histories, batched; cache hits counted),
`joint` (every hypothesis scored this step), `search` (blank/label extension, merging, pruning), then
`Recorder.step(...)`. The recording maps 1:1 onto hwsim.sim.schedule.DecodeStep, so the simulator can
replay it and get exactly the same prediction and joint call counts.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterator

from hwsim.sim.schedule import DecodeSchedule, DecodeStep
from hwsim.sim.schedule_io import load_schedule_json, save_schedule_json  # noqa: F401  (re-exported)

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
