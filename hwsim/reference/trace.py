"""What a real decode did, step by step, in the simulator's DecodeStep terms, plus wall time per component.

Each decoder step (one joint call of a hwsim.decode search) maps 1:1 onto hwsim.decode.schedule.DecodeStep,
so the simulator can replay it and get exactly the same prediction and joint call counts. 'search' time is
the decode's wall time less its network calls.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterator

from hwsim import clock
from hwsim.decode.schedule import DecodeSchedule, DecodeStep
from hwsim.decode.schedule_io import load_schedule_json, save_schedule_json  # noqa: F401  (re-exported)

COMPONENTS = ("encoder", "prediction", "joint", "search")


@dataclass
class Recorder:
    steps: list[DecodeStep] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    network_calls: list[tuple[str, int, float]] | None = None  # (call, rows, seconds) of each one, when a list
    before_call: Callable[[str], None] | None = None  # run untimed before each network call (calibration's evictions)
    excluded_s: float = 0.0  # time spent in before_call: belongs to no component


    @contextlib.contextmanager
    def timed(self, component: str, call: str | None = None, rows: int = 0) -> Iterator[None]:
        """Time a block as `component`; a prediction or joint network call names itself (`call`) and its rows,
        and is logged one by one when `network_calls` is a list (hwsim.calibrate.runtime_calls reads them)."""
        if call is not None and self.before_call is not None:
            hook_start = clock.now()
            self.before_call(call)
            self.excluded_s += clock.now() - hook_start
        start = clock.now()
        try:
            yield
        finally:
            seconds = clock.now() - start
            self.seconds[component] += seconds
            self.calls[component] += 1
            if call is not None and self.network_calls is not None:
                self.network_calls.append((call, rows, seconds))

    def step(self, frame: int, prediction_rows: int, cache_hits: int, joint_rows: int, hyps: int) -> None:
        self.steps.append(DecodeStep(frame, prediction_rows, cache_hits, joint_rows, hyps))

    def schedule(self, algorithm: str, beam: int, frames: int, labels: int) -> DecodeSchedule:
        return DecodeSchedule(algorithm, beam, frames, tuple(self.steps), labels)
