"""Batching policies: when a chip admits queued utterances into its live set (Vidur's scheduler registry shape).

A policy is a pure rule over counts, so it is tested without a simulator:

| policy     | admits when                                                                  | live set        |
|------------|------------------------------------------------------------------------------|-----------------|
| static     | nothing is live and a full batch is queued (or no more arrivals will come)   | one fixed batch |
| dynamic    | nothing is live and a full batch is queued, the oldest waited max_wait_s,    | one fixed batch |
|            | or no more arrivals will come                                                |                 |
| continuous | any slot is free (iteration-level: at every decoder step boundary)           | refilled        |

`limit` is the batch size for static and dynamic batching and the live-set size for continuous batching. Every
live utterance takes part in each decoder step it is ready for (up to the step batch), so a static batch runs in
lock-step until its longest member finishes, while continuous batching refills freed rows at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable, Protocol


class Batching(str, Enum):
    STATIC = "static"
    DYNAMIC = "dynamic"
    CONTINUOUS = "continuous"


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


def make_policy(kind: Batching, limit: int, max_wait_s: float) -> BatchPolicy:
    return POLICIES[kind](limit, max_wait_s)


@dataclass(frozen=True)
class _Batched:
    limit: int
    max_wait_s: float


@register(Batching.STATIC)
class StaticBatching(_Batched):
    def admit(self, queued: int, live: int, oldest_wait_s: float, arrivals_done: bool) -> Admission:
        if live or not queued or (queued < self.limit and not arrivals_done):
            return Admission(0)
        return Admission(min(queued, self.limit))


@register(Batching.DYNAMIC)
class DynamicBatching(_Batched):
    def admit(self, queued: int, live: int, oldest_wait_s: float, arrivals_done: bool) -> Admission:
        if live or not queued:
            return Admission(0)
        if queued >= self.limit or arrivals_done or oldest_wait_s >= self.max_wait_s:
            return Admission(min(queued, self.limit))
        return Admission(0, self.max_wait_s - oldest_wait_s)


@register(Batching.CONTINUOUS)
class ContinuousBatching(_Batched):
    def admit(self, queued: int, live: int, oldest_wait_s: float, arrivals_done: bool) -> Admission:
        return Admission(max(0, min(queued, self.limit - live)))
