"""Decode schedules for a serving load, drawn from a seeded pool per length instead of one search per utterance.

A schedule is a pure function of its inputs (schedule_inputs), and the search that makes one costs ~0.35 ms per
encoder frame at beam 8 (measured; ~120 ms for a 30-s USM utterance), far more than simulating it. So for each
encoder-frame count at most `POOL_SIZE` schedules are searched: slot s with the emission seed `--seed` + s (each is
`hwsim simulate --seed S+s` of that length). Utterance `uid` takes slot slot_of(seed, uid), a seeded draw of its
own, so it gets the same slot, hence the same schedule, at every load and in every process (common random
numbers, as its length and arrival in hwsim.serving.load). Slots count from utterance 0's draw, so a one-utterance
run decodes exactly as `simulate` does. A slot is searched only when an utterance draws it: a run never searches
more schedules than it has utterances. The key is the encoder-frame count (what the search sees), not the input
frames, so the input lengths a frame-stacking encoder maps to one length share one pool.

POOL_SIZE trades the spread between utterances of one length against search time. At one length the searches
differ only in prediction rows (the cache hits of the histories they build): coefficient of variation 7 % for a
3-s ibm_rnnt_swb utterance and 2.6 % for a 30-s USM one at beam 8 (16 seeds; joint rows, steps and hypotheses are
the same at every seed for TSD). Four slots keep that spread in the load (one slot would make every utterance of a
length identical) and put the pool's mean prediction rows within about 3.5 % and 1.3 % (one standard deviation) of
the search's; eight would halve the variance of that mean at twice the searches. Searches per run are about
min(utterances, POOL_SIZE) per distinct length: USM's 1,000 x 30 s offline case searches 4 (~0.5 s) instead of
1,000 (~120 s); a lognormal server load has hundreds of distinct lengths, and there they, not the pool, set the
count.
"""

from __future__ import annotations

import math
from dataclasses import replace

from hwsim.sim.schedule import DecodeSchedule
from hwsim.simulate import Prepared, RunRequest, emission_params, make_schedule

POOL_SIZE = 4           # schedules searched per encoder-frame count at most (see the module docstring)
SLOT_STREAM = 4         # the slot draws' own seed stream (hwsim.serving.load uses 1-3 for lengths, arrivals, offsets)
MEMO_SIZE = 100_000     # decode schedules a memo keeps (cleared when full)
_MASK64, _GOLDEN = 2 ** 64 - 1, 0x9E3779B97F4A7C15


def slot_of(seed: int, uid: int, pool_size: int) -> int:
    """The pool slot utterance `uid` decodes with: a seeded draw of its own (not of its length or the load), so
    it is the same at every load and in every process; counted from utterance 0's draw, which is slot 0."""
    return (uniform_draw(seed, uid) - uniform_draw(seed, 0)) % pool_size


def uniform_draw(seed: int, uid: int) -> int:
    """A uniform 64-bit draw for (seed, uid): counter-based (SplitMix64's finaliser over the seed, then over the
    uid), so any utterance's draw costs ~1 us and needs no generator state (numpy's SeedSequence costs 25 us)."""
    return _mix64((_mix64(seed + SLOT_STREAM * _GOLDEN) + uid) & _MASK64)


def _mix64(value: int) -> int:
    """SplitMix64 (Steele, Lea and Flood, OOPSLA 2014): one step of the golden-ratio counter, then its mixer."""
    z = (value + _GOLDEN) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def pool_seed(seed: int, slot: int) -> int:
    """Emission seed of slot `slot` (every length): the run's seed + slot, so slot 0 is `simulate --seed S` and a
    larger pool adds slots and keeps the others' schedules."""
    return seed + slot


def schedule_inputs(prepared: Prepared, run: RunRequest) -> tuple:
    """Everything make_schedule's result depends on (its decoding statistics, lengths, search and vocabulary)."""
    graph = prepared.model.graph
    return (run.algorithm, math.ceil(run.frames / graph.encoder_frame_divisor), run.beam,
            emission_params(prepared, run),
            run.max_symbols or prepared.model.workload_spec.decoding.max_symbols_per_frame, graph.vocab_size,
            run.cache, graph.has_decoder)


class SchedulePool:
    """The schedules of one load: at most `pool_size` searches per encoder-frame count, kept in `memo` (a dict by
    schedule_inputs, which capacity probes of one point share: hwsim.serving.capacity.SCHEDULES)."""

    def __init__(self, prepared: Prepared, base: RunRequest, memo: dict | None = None,
                 pool_size: int | None = None):
        self.prepared, self.base = prepared, base
        self.memo = {} if memo is None else memo
        self.pool_size = POOL_SIZE if pool_size is None else pool_size
        if self.pool_size < 1:
            raise ValueError(f"pool_size must be >= 1, got {self.pool_size}")
        self.searches = 0  # schedules this pool searched (the rest came from the memo)
        self._divisor = prepared.model.graph.encoder_frame_divisor
        self._drawn: dict[tuple[int, int], DecodeSchedule] = {}  # by (encoder frames, slot), this pool's own

    def schedule(self, frames: int, uid: int) -> DecodeSchedule:
        """Utterance `uid`'s schedule for `frames` input frames."""
        encoder_frames = math.ceil(frames / self._divisor)  # as make_schedule counts them
        slot = slot_of(self.base.seed, uid, self.pool_size)
        schedule = self._drawn.get((encoder_frames, slot))
        if schedule is None:
            schedule = self._drawn[encoder_frames, slot] = self._search(encoder_frames, slot)
        return schedule

    def _search(self, encoder_frames: int, slot: int) -> DecodeSchedule:
        """The slot's schedule from the shared memo, else searched (and kept there)."""
        run = replace(self.base, frames=encoder_frames * self._divisor, seed=pool_seed(self.base.seed, slot))
        key = schedule_inputs(self.prepared, run)
        schedule = self.memo.get(key)
        if schedule is None:
            if len(self.memo) >= MEMO_SIZE:
                self.memo.clear()
            schedule = self.memo[key] = make_schedule(self.prepared, run)
            self.searches += 1
        return schedule
