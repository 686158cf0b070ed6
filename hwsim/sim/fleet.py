"""The engine: arrivals (utterances and their audio chunks), a dispatcher over replica chips, the run.

One engine serves both verbs: `serve` runs it over a load, `simulate` over one utterance at batch 1
(hwsim.sim.utterance). It only looks costs up through the CallCosts protocol; it never reads specs or computes
a cost per event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import math

import numpy as np
import simpy

from hwsim.sim.chip import Chip, ChipLog, InFlight
from hwsim.cost.segments import CallCosts
from hwsim.sim.entities import Utterance
from hwsim.sim.policies import Batching, Padding, make_policy
from hwsim.sim.shapes import shape_keys

RESOURCES = ("matrix", "vector", "memory", "cpu", "link")
PROGRESS_STEPS = 1000  # progress callbacks per run at most (one counter check per finished utterance)

Progress = Callable[[int, int], None]  # (utterances finished, utterances in the run)


@dataclass(frozen=True)
class ServingConfig:
    """How the fleet batches.

    Attributes:
        max_batch: utterances in one decoder step or encoder call (already capped by memory).
        live_cap: utterances a chip holds state for at once under continuous batching (the chip's memory bound;
            None: no bound). Static and dynamic batches hold max_batch.
        padding: how a batch of unequal members is charged (hwsim.sim.policies).
        coarse_encoder: charge a chunk's recurrent encoder steps as one segment per resource (same busy time,
            ~10x fewer events for LSTM encoders; other work cannot interleave inside one chunk's recurrent steps).
        units: units per resource (default 1 each); a hold takes one unit.
        trace_limit: segments each chip records for the Chrome trace (0: none, math.inf: all).
        record_waits: record WaitRecords (waits for frames and busy resources; simulate's critical path).
        chip_names: prefix processes and resources with the chip ("chip0.decoder", "chip0/matrix"); simulate's
            single chip uses the plain names.
        shortcut: simulate's fast path (hwsim.sim.chip.Chip._decode_alone): the same results, fewer events.
        joint: serve's runner (hwsim.sim.joint.JointRunner): the chip's encoder and decoder stepped together
            without an event per hold, when no trace, wait or hybrid utterance needs the per-segment processes;
            the same results as those, apart from an inside event at the very instant of an arrival.
        fast_forward: serve's fast path (hwsim.sim.chip.Chip._fast_forward): the same results to rounding (a
            step's end is its start plus its calls' summed durations), one event per finished utterance or
            arrival instead of one per hold.
    """

    batching: Batching = Batching.CONTINUOUS
    max_batch: int = 32
    max_wait_s: float = 0.0
    chips: int = 1
    overlap: bool = True
    trace_limit: float = 0
    live_cap: int | None = None
    coarse_encoder: bool = False
    padding: Padding = Padding.PADDED
    units: dict[str, int] = field(default_factory=dict)
    record_waits: bool = False
    chip_names: bool = True
    shortcut: bool = False   # add up a lone, fully encoded utterance's remaining decoder steps without SimPy
    fast_forward: bool = True  # decoder steps without SimPy events while the encoder has nothing to do
    joint: bool = True   # encoder and decoder in one runner (hwsim.sim.joint) when nothing is traced or recorded

    @property
    def continuous(self) -> bool:
        return self.batching is Batching.CONTINUOUS

    @property
    def admission_limit(self) -> float:
        if self.continuous:
            return math.inf if self.live_cap is None else self.live_cap
        return self.max_batch


@dataclass
class ServingRun:
    """A finished run. `occupancy_s`: the integral over time of utterances in the system (arrived, not finished),
    counted as they come and go, so occupancy_s / span is the mean number in the system (Little's L)."""

    makespan_s: float
    chips: list[ChipLog] = field(default_factory=list)
    events: int = 0
    occupancy_s: float = 0.0
    end_s: float = 0.0    # the simulation clock when nothing was left to do


class ServingEngine:
    """Utterances arrive, a dispatcher sends each to the least-loaded chip (queued + live; lowest index on ties),
    and each chip's batching policy admits them into its live set."""

    def __init__(self, costs: CallCosts, config: ServingConfig, resources: Sequence[str] = RESOURCES,
                 on_progress: Progress | None = None):
        self.env = simpy.Environment()
        self.costs, self.config, self.resources = costs, config, tuple(resources)
        self.arrivals_done = False
        self.on_progress = on_progress
        self.finished, self.total, self.next_report = 0, 0, 0
        self.in_system, self.occupancy_s, self._counted_at = 0, 0.0, 0.0
        self.next_arrival_s = 0.0   # when the arrivals process acts next (math.inf once it is done)
        self.next_arrival_event: simpy.Event | None = None   # the timeout it waits on (fires at next_arrival_s to rounding)
        self._step_arrays: dict[int, tuple] = {}
        self.chips = [Chip(i, self, make_policy(config.batching, config.admission_limit, config.max_wait_s))
                      for i in range(config.chips)]

    def step_arrays(self, schedule) -> tuple[np.ndarray, np.ndarray]:
        """A schedule's steps as arrays (shape keys, hwsim.sim.shapes; encoder frames each needs), built once per
        schedule (a pooled schedule is shared by many utterances, and this entry keeps it alive)."""
        arrays = self._step_arrays.get(id(schedule))
        if arrays is None:
            table = np.array([(s.prediction_rows, s.joint_rows, s.hyps, s.frame) for s in schedule.steps],
                             dtype=np.int64).reshape(-1, 4)
            keys = shape_keys(table[:, 0], table[:, 1], table[:, 2])
            arrays = self._step_arrays[id(schedule)] = (keys, np.ascontiguousarray(table[:, 3]), schedule)
        return arrays[0], arrays[1]

    def _count(self, change: int) -> None:
        now = self.env.now
        self.occupancy_s += self.in_system * (now - self._counted_at)
        self.in_system += change
        self._counted_at = now

    def _arrivals(self, flights: list[InFlight]) -> Iterable[simpy.Event]:
        env = self.env
        # equal arrival times keep the list's order (offline: the run's --order)
        events = sorted(((c.arrival_s, position, index, flight) for position, flight in enumerate(flights)
                         for index, c in enumerate(flight.utt.chunks)), key=lambda e: e[:3])
        chip_of: dict[int, Chip] = {}
        waiting: dict[int, Chip] = {}   # chips given arrivals at this instant, admitting once all are queued
        remaining = len(flights)
        for arrival_s, _, index, flight in events:
            if arrival_s > env.now:
                self._admit(waiting)
                self.next_arrival_s = arrival_s
                self.next_arrival_event = env.timeout(arrival_s - env.now)
                yield self.next_arrival_event
            self.next_arrival_s = arrival_s
            flight.arrived += 1
            if index == 0:
                self._count(+1)
                chip = min(self.chips, key=lambda c: (c.load, c.index))
                chip_of[id(flight)] = chip
                chip.assign(flight, admit=False)
                waiting[chip.index] = chip
                remaining -= 1
                if not remaining:
                    self._last_arrival()
            else:
                chip_of[id(flight)].chunk_arrived(flight)
        self._admit(waiting)
        self.next_arrival_s = math.inf

    @staticmethod
    def _admit(waiting: dict[int, Chip]) -> None:
        """Simultaneous arrivals are all queued before a chip's policy looks (a dynamic batch at --max-wait-s 0
        takes every utterance that arrived at once, not the first alone)."""
        for index in sorted(waiting):
            waiting[index].try_admit()
        waiting.clear()

    def utterance_finished(self) -> None:
        """A counter, and every total/PROGRESS_STEPS utterances and at the last one the progress callback (a bar)."""
        self.finished += 1
        self._count(-1)
        if (self.finished >= self.next_report or self.finished == self.total) and self.on_progress is not None:
            self.next_report = self.finished + max(1, self.total // PROGRESS_STEPS)
            self.on_progress(self.finished, self.total)

    def _last_arrival(self) -> None:
        """No utterance will arrive any more: policies waiting to fill a batch flush what they have."""
        self.arrivals_done = True
        for chip in self.chips:
            chip.try_admit()

    def run(self, utterances: Sequence[Utterance]) -> ServingRun:
        flights = [InFlight(u, self.step_arrays(u.schedule)[1] if u.schedule is not None else None) for u in utterances]
        self.total, self.next_report = len(flights), 1
        config = self.config
        joint = (config.joint and config.fast_forward and config.trace_limit == 0 and not config.record_waits
                 and all(u.schedule is not None for u in utterances))
        for chip in self.chips:
            chip.start(joint)
        self.env.process(self._arrivals(flights))
        self.env.run()
        logs = [chip.log for chip in self.chips]
        for log in logs:
            log.settle()
        done = sum(len(log.utterances) for log in logs)
        if done != len(utterances):
            raise RuntimeError(f"serving run ended with {len(utterances) - done} unfinished utterances")
        makespan = max((r.done_s for log in logs for r in log.utterances), default=0.0)
        return ServingRun(makespan, logs, sum(log.holds for log in logs), self.occupancy_s,
                          max(self.env.now, makespan))
