"""The serving engine: arrivals (utterances and their audio chunks), a dispatcher over replica chips, the run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import simpy

from hwsim.sim.costs import CallCosts
from hwsim.sim.serving.chip import Chip, ChipLog, Live
from hwsim.sim.serving.entities import Utterance
from hwsim.sim.serving.policies import Batching, make_policy

RESOURCES = ("matrix", "vector", "memory", "cpu", "link")
PROGRESS_STEPS = 1000  # progress callbacks per run at most (one counter check per finished utterance)

Progress = Callable[[int, int], None]  # (utterances finished, utterances in the run)


@dataclass(frozen=True)
class ServingConfig:
    """How the fleet batches.

    Attributes:
        max_batch: utterances in one decoder step or encoder call (already capped by memory).
        live_cap: utterances a chip holds state for at once under continuous batching (None: max_batch); real-time
            streams hold state while they talk, so streaming sets it to the chip's max concurrent streams.
        coarse_encoder: charge a chunk's recurrent encoder steps as one segment per resource (same busy time,
            ~10x fewer events for LSTM encoders; other work cannot interleave inside one chunk's recurrent steps).
    """

    batching: Batching = Batching.CONTINUOUS
    max_batch: int = 32
    max_wait_s: float = 0.0
    chips: int = 1
    overlap: bool = True
    trace_limit: int = 0          # segments recorded for the Chrome trace (0 = none)
    live_cap: int | None = None
    coarse_encoder: bool = False  # chunk encoders as one segment per resource (CallCosts' exclusive form)

    @property
    def admission_limit(self) -> int:
        if self.batching is Batching.CONTINUOUS and self.live_cap is not None:
            return self.live_cap
        return self.max_batch


@dataclass
class ServingRun:
    makespan_s: float
    chips: list[ChipLog] = field(default_factory=list)
    events: int = 0


class ServingEngine:
    """Utterances arrive, a dispatcher sends each to the least-loaded chip (queued + live; lowest index on ties),
    and each chip's batching policy admits them into its live set."""

    def __init__(self, costs: CallCosts, config: ServingConfig, resources: Sequence[str] = RESOURCES,
                 on_progress: Progress | None = None):
        self.env = simpy.Environment()
        self.costs, self.config, self.trace_limit = costs, config, config.trace_limit
        self.arrivals_done = False
        self.on_progress = on_progress
        self.finished, self.total, self.next_report = 0, 0, 0
        self.chips = [Chip(i, self, make_policy(config.batching, config.admission_limit, config.max_wait_s),
                           config.max_batch, resources, config.overlap) for i in range(config.chips)]

    def _arrivals(self, lives: list[Live]) -> Iterable[simpy.Event]:
        env = self.env
        events = sorted(((c.arrival_s, lv.utt.uid, index, lv) for lv in lives
                         for index, c in enumerate(lv.utt.chunks)), key=lambda e: e[:3])
        chip_of: dict[int, Chip] = {}
        remaining = len(lives)
        for arrival_s, _, index, lv in events:
            if arrival_s > env.now:
                yield env.timeout(arrival_s - env.now)
            lv.arrived += 1
            if index == 0:
                chip = min(self.chips, key=lambda c: (c.load, c.index))
                chip_of[id(lv)] = chip
                chip.assign(lv)
                remaining -= 1
                if not remaining:
                    self._last_arrival()
            else:
                chip_of[id(lv)].chunk_arrived(lv)

    def utterance_finished(self) -> None:
        """A counter, and every total/PROGRESS_STEPS utterances and at the last one the progress callback (a bar)."""
        self.finished += 1
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
        done = sum(len(log.utterances) for log in logs)
        if done != len(utterances):
            raise RuntimeError(f"serving run ended with {len(utterances) - done} unfinished utterances")
        makespan = max((r.done_s for log in logs for r in log.utterances), default=0.0)
        return ServingRun(makespan, logs, sum(log.holds for log in logs))
