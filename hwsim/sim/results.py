"""SimResult: what one simulated utterance reports, derived from the engine's trace."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from hwsim.sim.records import TraceRecord, WaitRecord
from hwsim.sim.utterance import EngineRun
from hwsim.decode.schedule import DecodeSchedule

COMPONENTS = ("encoder", "prediction", "joint", "search", "transfer", "hmm_search")


@dataclass(frozen=True)
class SimResult:
    """Results of one utterance.

    Attributes:
        components_s: summed busy time of the segments of each component (work, not wall time).
        critical_path_s: the last-finishing process's wall time split by what it was doing or waiting for.
        busy_s / utilization: per resource; utilization = busy / (capacity x total).
    """

    total_s: float
    audio_s: float
    components_s: dict[str, float]
    critical_path_s: dict[str, float]
    busy_s: dict[str, float]
    utilization: dict[str, float]
    calls: dict[str, int]
    events: int
    trace: tuple[TraceRecord, ...]

    @property
    def rtf(self) -> float:
        """Real-time factor: processing time / audio duration (< 1 is faster than real time)."""
        return self.total_s / self.audio_s

    def to_dict(self) -> dict[str, object]:
        return {
            "total_s": self.total_s, "audio_s": self.audio_s, "rtf": self.rtf,
            "components": self.components_s, "critical_path": self.critical_path_s,
            "busy_s": self.busy_s, "utilization": self.utilization, "calls": self.calls, "events": self.events,
        }

    def trace_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{k: v for k, v in r.__dict__.items() if k != "segment"} for r in self.trace])


def _critical_path(run: EngineRun, trace: list[TraceRecord], waits: list[WaitRecord]) -> dict[str, float]:
    last = max(run.process_end_s, key=run.process_end_s.get)
    path: dict[str, float] = defaultdict(float)
    for record in trace:
        if record.process == last:
            path[record.component] += record.end_s - record.start_s
    for wait in waits:
        if wait.process == last:
            key = "encoder" if wait.reason == "frames" else f"contention:{wait.reason.split(':', 1)[1]}"
            path[key] += wait.end_s - wait.start_s
    return dict(path)


def summarize(run: EngineRun, capacities: dict[str, int], audio_s: float,
              schedule: DecodeSchedule | None) -> SimResult:
    components = {c: 0.0 for c in COMPONENTS}
    busy = {name: 0.0 for name in capacities}
    for record in run.trace:
        duration = record.end_s - record.start_s
        components[record.component] = components.get(record.component, 0.0) + duration
        busy[record.resource] += duration
    total = run.total_s
    utilization = {name: (busy[name] / (capacities[name] * total) if total else 0.0) for name in capacities}
    calls = {"prediction": 0, "joint": 0, "prediction_rows": 0, "joint_rows": 0, "cache_hits": 0, "steps": 0}
    if schedule is not None:
        calls = {"prediction": schedule.prediction_calls, "joint": schedule.joint_calls,
                 "prediction_rows": schedule.prediction_rows, "joint_rows": schedule.joint_rows,
                 "cache_hits": schedule.cache_hits, "steps": len(schedule.steps), "labels": schedule.labels}
    return SimResult(total, audio_s, components, _critical_path(run, run.trace, run.waits), busy, utilization,
                     calls, run.events, tuple(run.trace))
