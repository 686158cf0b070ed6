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
the search's; eight would halve the variance of that mean at twice the searches. With the exact (per-length) pool
searches per run are about min(utterances, POOL_SIZE) per distinct length: USM's 1,000 x 30 s offline case searches
4 (~0.5 s) instead of 1,000 (~120 s); a lognormal server load has hundreds of distinct lengths, and there they, not
the pool, set the count (hence the prefix pool below).

Prefix pool (PREFIX, on by default). A lognormal load has many lengths (457 encoder-frame counts in issue 24's
IBM server case), and 4 searches per length still cost 1,393 searches (86 s). A frame-synchronous search (steps'
frames never decrease, and what it does at frame t depends on the scorer's frames <= t only) does on its first T
frames what a T-frame search does: the synthetic scorer's statistics are per frame and stationary
(hwsim.decode.synthetic), so the steps with frame < T of a G-frame search are distributed as a T-frame search's. So a
T-frame utterance takes prefix(), the first T frames, of its slot's search at the grid point G = grid_frames(T) >= T,
and a run searches at most slots x grid points (+ utterance 0's exact search) whatever its lengths (35 for the IBM
case, 3 s). Measured (ibm_rnnt_swb TSD beam 8, 16 seeds, T = 20 to 400): joint rows and steps equal the exact
search's, mean prediction rows within -1.9 % to +1.3 % of its, inside the seed-to-seed spread (CV 12 % at 20
frames, 3 % at 400); beam, greedy and modified_beam alike within 2 %.

| algorithm     | steps' frames                                                              | pool              |
|---------------|----------------------------------------------------------------------------|-------------------|
| greedy        | frame by frame                                                             | prefix            |
| beam          | frame by frame (data-dependent calls per frame)                            | prefix            |
| tsd           | frame by frame (S + 1 calls per frame)                                     | prefix            |
| modified_beam | frame by frame (1 call per frame)                                          | prefix            |
| alsd          | by alignment length t + u: one step mixes frames, they are not monotone,  | exact, per length |
|               | and the end (finals at t = T - 1, at most T (S + 1) steps) depends on T    |                   |

The grid is GRID_MIN x GRID_RATIO^k rounded up (16, 24, 36, 54, 81, 122, ...), capped at the search limits'
longest decode. The ratio trades the load's independent draws against searched frames: each grid point's 4
searches serve every length in (G / ratio, G], so a coarser grid has fewer and the load's total work strays further
from the exact pool's, while a finer one searches more (a slot searches ratio / (ratio - 1) x its top grid point).
Measured on the IBM case at 92 utt/s x 10 s, 4 seeds, total prediction rows against the exact pool's: ratio 1.25
rms 0.5 % (~50 searches), 1.5 rms 0.7 % (~32), 2 rms 1.2 % (~20); 1.5 is the middle. Exact where it matters: a
length on the grid takes the whole search, which is `simulate --seed S+slot` of that length, and utterance 0 always
gets its own exact search (slot 0), so a one-utterance serve still equals `simulate` to the bit. Lengths below
GRID_MIN are prefixes too (they are distributed as their exact search like any other). A prefix's `labels`
(best-path labels; serve does not read them) is the searched schedule's scaled by T / G and rounded: the best path
at frame T is not recorded. SchedulePool(prefix=False), or PREFIX = False, keeps the exact per-length pool.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import replace

from hwsim.decode.registry import Algorithm
from hwsim.io.limits import max_decode_frames
from hwsim.decode.schedule import DecodeSchedule
from hwsim.pipeline.point import PreparedPoint, RunRequest, emission_params, make_schedule

POOL_SIZE = 4           # schedules searched per encoder-frame count at most (see the module docstring)
SLOT_STREAM = 4         # the slot draws' own seed stream (hwsim.serving.load uses 1-3 for lengths, arrivals, offsets)
MEMO_SIZE = 100_000     # decode schedules a memo keeps (cleared when full)
PREFIX = True           # T-frame schedules as prefixes of grid-length searches (frame-synchronous algorithms only)
GRID_MIN, GRID_RATIO = 16, 1.5  # the prefix pool's grid of searched lengths (encoder frames; see the docstring)
FRAME_SYNCHRONOUS = frozenset({Algorithm.GREEDY, Algorithm.BEAM, Algorithm.TSD, Algorithm.MODIFIED_BEAM})
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


def grid_frames(frames: int, longest: int) -> int:
    """The prefix pool's searched length for `frames` encoder frames: the least grid point >= frames (GRID_MIN x
    GRID_RATIO^k, rounded up), at most `longest` (the search limits' longest decode, which frames never exceeds)."""
    point = GRID_MIN
    while point < frames:
        point = math.ceil(point * GRID_RATIO)
    return min(point, max(longest, frames))


def prefix(schedule: DecodeSchedule, frames: int) -> DecodeSchedule:
    """The first `frames` encoder frames of a frame-synchronous search: its steps with frame < frames (they lead,
    as frames never decrease), best-path labels scaled by frames / schedule.frames (an estimate; nothing in serve
    reads it). The whole schedule when it has `frames` frames."""
    if frames == schedule.frames:
        return schedule
    if not 1 <= frames < schedule.frames:
        raise ValueError(f"a prefix of 1 to {schedule.frames} frames, got {frames}")
    count = bisect.bisect_left(schedule.steps, frames, key=lambda step: step.frame)
    return replace(schedule, frames=frames, steps=schedule.steps[:count],
                   labels=round(schedule.labels * frames / schedule.frames))


def schedule_inputs(prepared: PreparedPoint, run: RunRequest) -> tuple:
    """Everything make_schedule's result depends on (its decoding statistics, lengths, search and vocabulary)."""
    graph = prepared.model.graph
    return (run.algorithm, math.ceil(run.frames / graph.encoder_frame_divisor), run.beam,
            emission_params(prepared, run),
            run.max_symbols or prepared.model.workload_spec.decoding.max_symbols_per_frame, graph.vocab_size,
            run.cache, graph.has_decoder)


class SchedulePool:
    """The schedules of one load: at most `pool_size` searches per encoder-frame count (per grid point with the
    prefix pool), kept in `memo` (a dict by schedule_inputs, which capacity probes of one point share:
    hwsim.serving.capacity.SCHEDULES). `prefix`: None follows PREFIX; an algorithm whose steps are not
    frame-synchronous (ALSD) always searches each length."""

    def __init__(self, prepared: PreparedPoint, base: RunRequest, memo: dict | None = None,
                 pool_size: int | None = None, prefix: bool | None = None):
        self.prepared, self.base = prepared, base
        self.memo = {} if memo is None else memo
        self.pool_size = POOL_SIZE if pool_size is None else pool_size
        if self.pool_size < 1:
            raise ValueError(f"pool_size must be >= 1, got {self.pool_size}")
        self.searches = 0  # schedules this pool searched (the rest came from the memo)
        self._divisor = prepared.model.graph.encoder_frame_divisor
        self.prefix = ((PREFIX if prefix is None else prefix) and Algorithm(base.algorithm) in FRAME_SYNCHRONOUS
                       and prepared.model.graph.has_decoder)  # a hybrid model has no schedule to cut
        self._longest = 0  # encoder frames a search may have (prefix pool)
        if self.prefix:
            symbols = base.max_symbols or prepared.model.workload_spec.decoding.max_symbols_per_frame
            self._longest = max_decode_frames(base.beam, symbols)
        self._drawn: dict[tuple[int, int], DecodeSchedule] = {}  # by (encoder frames, slot), this pool's own
        self._first: DecodeSchedule | None = None  # utterance 0's exact search (prefix pool)

    def schedule(self, frames: int, uid: int) -> DecodeSchedule:
        """Utterance `uid`'s schedule for `frames` input frames."""
        encoder_frames = math.ceil(frames / self._divisor)  # as make_schedule counts them
        if self.prefix and uid == 0:  # exact, so a one-utterance serve is simulate's utterance
            if self._first is None or self._first.frames != encoder_frames:
                self._first = self._search(encoder_frames, 0)
            return self._first
        slot = slot_of(self.base.seed, uid, self.pool_size)
        schedule = self._drawn.get((encoder_frames, slot))
        if schedule is None:
            if self.prefix:
                searched = self._search(grid_frames(encoder_frames, self._longest), slot)
                schedule = prefix(searched, encoder_frames)
            else:
                schedule = self._search(encoder_frames, slot)
            self._drawn[encoder_frames, slot] = schedule
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
