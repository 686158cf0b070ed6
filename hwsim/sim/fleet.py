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

from hwsim.sim.chip import Chip, ChipLog, Live
from hwsim.cost.segments import CallCosts
from hwsim.sim.entities import Utterance
from hwsim.sim.policies import Batching, Padding, make_policy

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
        self._step_arrays: dict[int, tuple] = {}
        self.chips = [Chip(i, self, make_policy(config.batching, config.admission_limit, config.max_wait_s))
                      for i in range(config.chips)]

    def step_arrays(self, schedule) -> tuple:
        """A schedule's steps as arrays (prediction rows, joint rows, hyps, frames), built once per schedule (a
        pooled schedule is shared by many utterances)."""
        arrays = self._step_arrays.get(id(schedule))
        if arrays is None:
            table = np.array([(s.prediction_rows, s.joint_rows, s.hyps, s.frame) for s in schedule.steps],
                             dtype=np.int64).reshape(-1, 4)
            arrays = self._step_arrays[id(schedule)] = (*(np.ascontiguousarray(table[:, k]) for k in range(4)),
                                                        schedule)
        return arrays

    def _count(self, change: int) -> None:
        now = self.env.now
        self.occupancy_s += self.in_system * (now - self._counted_at)
        self.in_system += change
        self._counted_at = now

    def _arrivals(self, lives: list[Live]) -> Iterable[simpy.Event]:
        env = self.env
        # equal arrival times keep the list's order (offline: the run's --order)
        events = sorted(((c.arrival_s, position, index, lv) for position, lv in enumerate(lives)
                         for index, c in enumerate(lv.utt.chunks)), key=lambda e: e[:3])
        chip_of: dict[int, Chip] = {}
        waiting: dict[int, Chip] = {}   # chips given arrivals at this instant, admitting once all are queued
        remaining = len(lives)
        for arrival_s, _, index, lv in events:
            if arrival_s > env.now:
                self._admit(waiting)
                self.next_arrival_s = arrival_s
                yield env.timeout(arrival_s - env.now)
            self.next_arrival_s = arrival_s
            lv.arrived += 1
            if index == 0:
                self._count(+1)
                chip = min(self.chips, key=lambda c: (c.load, c.index))
                chip_of[id(lv)] = chip
                chip.assign(lv, admit=False)
                waiting[chip.index] = chip
                remaining -= 1
                if not remaining:
                    self._last_arrival()
            else:
                chip_of[id(lv)].chunk_arrived(lv)
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
        lives = [Live(u) for u in utterances]
        self.total, self.next_report = len(lives), 1
        self.env.process(self._arrivals(lives))
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
