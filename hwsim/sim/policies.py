"""Batching policies: when a chip admits queued utterances into its live set (Vidur's scheduler registry shape).

A policy is a pure rule over counts, so it is tested without a simulator:

| policy     | admits when                                                                  | live set           |
|------------|------------------------------------------------------------------------------|--------------------|
| static     | nothing is live and a full batch is queued (or no more arrivals will come)   | one fixed batch    |
| dynamic    | nothing is live and a full batch is queued, the oldest waited max_wait_s,    | one fixed batch    |
|            | or no more arrivals will come (Triton's dynamic batcher)                     |                    |
| continuous | any slot is free (iteration-level, Orca OSDI 2022)                           | refilled each step |

`limit` is the batch size for static and dynamic batching, and for continuous batching the utterances whose state
the chip's memory holds at once. Under continuous batching every encoder call and every decoder step is rebuilt
from all live work (up to the step batch, oldest first), so arrivals join at the next step and finished utterances
leave; a static or dynamic batch runs to completion before the next is admitted.

Padding (how a batch of unequal members is charged):
| padding | encoder call over chunks of f_1 >= ... >= f_b frames           | decoder step of a fixed batch          |
|---------|-----------------------------------------------------------------|----------------------------------------|
| padded  | b x f_1 frames (every member pays for the longest)              | finished members keep their last rows  |
| packed  | sum f_i frames; recurrent steps on the members still active     | only members still decoding            |
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable, Protocol


class Batching(str, Enum):
    STATIC = "static"
    DYNAMIC = "dynamic"
    CONTINUOUS = "continuous"


WAIT_RESOLUTION_S = 1e-9  # a recheck timer lands on its deadline only up to the clock's float rounding (arrival + wait
                          # - arrival can fall short of the wait by an ulp); a shorter remaining wait counts as waited,
                          # else the timer re-arms at the same instant forever


class Padding(str, Enum):
    PADDED = "padded"   # batched tensors padded to the longest member (PyTorch's default batched inference)
    PACKED = "packed"   # cuDNN packed sequences / padding-free attention: each step on the active members only


@dataclass(frozen=True)
class Admission:
    """How many queued utterances to admit now, and (if none) when to look again (seconds from now)."""

    count: int
    recheck_after_s: float | None = None


class BatchPolicy(Protocol):
    def admit(self, queued: int, live: int, oldest_wait_s: float, arrivals_done: bool) -> Admission:
        """Decide from the queue length, the live count, the oldest queued utterance's wait and whether more
        utterances can still arrive."""


POLICIES: dict[Batching, Callable[[int, float], BatchPolicy]] = {}


def register(kind: Batching):
    """Class decorator adding a policy to the registry; a kind registered twice is an error."""
    def add(cls):
        if kind in POLICIES:
            raise ValueError(f"batching policy {kind.value!r} registered twice")
        POLICIES[kind] = cls
        return cls
    return add


def make_policy(kind: Batching, limit: float, max_wait_s: float) -> BatchPolicy:
    return POLICIES[kind](limit, max_wait_s)


@dataclass(frozen=True)
class _Batched:
    limit: float  # math.inf: no limit (continuous batching without a memory bound, in hand-made tests)
    max_wait_s: float


@register(Batching.STATIC)
class StaticBatching(_Batched):
    def admit(self, queued: int, live: int, oldest_wait_s: float, arrivals_done: bool) -> Admission:
        if live or not queued or (queued < self.limit and not arrivals_done):
            return Admission(0)
        return Admission(int(min(queued, self.limit)))


@register(Batching.DYNAMIC)
class DynamicBatching(_Batched):
    def admit(self, queued: int, live: int, oldest_wait_s: float, arrivals_done: bool) -> Admission:
        if live or not queued:
            return Admission(0)
        remaining_s = self.max_wait_s - oldest_wait_s
        if queued >= self.limit or arrivals_done or remaining_s <= WAIT_RESOLUTION_S:
            return Admission(int(min(queued, self.limit)))
        return Admission(0, remaining_s)


@register(Batching.CONTINUOUS)
class ContinuousBatching(_Batched):
    def admit(self, queued: int, live: int, oldest_wait_s: float, arrivals_done: bool) -> Admission:
        return Admission(int(max(0, min(queued, self.limit - live))))
