"""A chip's encoder and decoder stepped together in one process, without a SimPy event per hold.

SimPy runs the chip's workers as two processes that take its resources segment by segment, so a loaded server
pays about three events per segment while the encoder and decoder contend (most of a server run). Between two
outside events (an arrival, an admission timer) nothing but these two workers touches the chip's resources, so
their interleaving is decided by the chip alone. The runner plays it out with its own heap of (time, order, action):

| action | at time t                                                                                         |
|--------|---------------------------------------------------------------------------------------------------|
| END    | a segment ends: its resource goes to the first waiter (HOLD at t) or is freed; the job asks for    |
|        | the next segment at t, or its call ends (encoder: chunks encoded; decoder: utterances step on)     |
| HOLD   | a waiter takes the resource handed to it, and its segment ends at t + duration                     |
| GO     | an idle worker was woken (new chunks to encode, ready decoder steps) and starts its next call      |

Each request, hand-over and wake is ordered as SimPy orders the same events (by the time they were made), so a
run matches the per-segment SimPy path (Chip._run) exactly, apart from an inside event that falls at the very
instant of an outside one (the outside one goes first here). The runner catches SimPy's clock up before
anything the rest of the engine can see: an utterance finishing (admission, the occupancy integral) and the next
outside event. A decoder with the resources to itself takes Chip._epoch's arrays, as before.
"""

from __future__ import annotations

import heapq
import itertools
from typing import TYPE_CHECKING, Generator

import numpy as np
import simpy

from hwsim.sim.records import BatchRecord

if TYPE_CHECKING:
    from hwsim.sim.chip import Chip, CompiledCall, FifoResource

END, HOLD, GO = 0, 1, 2


class Job:
    """One worker's place: the (resource, seconds) segments of its current call, the next one, and what the call
    is over (batch, rows, padding...)."""

    __slots__ = ("name", "segments", "index", "idle", "woken", "start_s", "calls", "batch", "rows", "padding",
                 "finishing")

    def __init__(self, name: str) -> None:
        self.name = name
        self.segments: tuple[tuple["FifoResource", float], ...] = ()
        self.index = 0
        self.idle, self.woken = True, False
        self.start_s = 0.0
        self.calls: tuple["CompiledCall", ...] = ()
        self.batch: list = []
        self.rows = self.padding = 0
        self.finishing = False


class JointRunner:
    def __init__(self, chip: "Chip") -> None:
        self.chip, self.env = chip, chip.env
        self.encoder, self.decoder = Job(chip.names["encoder"]), Job(chip.names["decoder"])
        self.heap: list[tuple[float, int, int, Job]] = []
        self.order = itertools.count()   # ties at one instant go in the order they were made, as SimPy's
        self.moved = False                # the clock moved while an action ran
        self.now = 0.0
        self.sleeping: simpy.Event | None = None
        self.columns: tuple[list, ...] = ([], [], [], [], [])   # decoder steps: size, rows, start, end, padding
        # a call sequence's (resource, seconds) segments, by its calls (CompiledCall compares by identity)
        self._segments: dict[tuple["CompiledCall", ...], tuple[tuple["FifoResource", float], ...]] = {}

    # ---- outside the runner ----
    def wake(self, job: Job) -> None:
        """A worker idle for want of work gets some: it starts at this instant, after what is already due now."""
        if job.idle and not job.woken:
            job.woken = True
            self._push(max(self.now, self.env.now), GO, job)
            if self.sleeping is not None:
                sleeping, self.sleeping = self.sleeping, None
                sleeping.succeed()

    def flush(self) -> None:
        """The decoder steps run so far into the chip's log, as columns (ChipLog.batch_columns reads them)."""
        size, rows, start, end, padding = self.columns
        if size:
            self.chip.log.step_columns.append((np.array(size), np.array(rows), np.array(start, dtype=np.float64),
                                               np.array(end, dtype=np.float64), np.array(padding)))
            for column in self.columns:
                column.clear()

    # ---- the loop ----
    def run(self) -> Generator[simpy.Event, None, None]:
        env, heap, chip = self.env, self.heap, self.chip
        pop, push, order = heapq.heappop, heapq.heappush, self.order
        horizon = chip._horizon()
        while True:
            if not heap:
                self.flush()
                self.sleeping = env.event()
                yield self.sleeping
                self.now = env.now
                horizon = chip._horizon()
                continue
            if heap[0][0] >= horizon:   # the outside event comes first: let SimPy run it, then go on
                outside = chip._horizon_event()
                self.now = max(horizon, env.now)
                yield outside if outside is not None else env.timeout(self.now - env.now)
                self.now = env.now
                horizon = chip._horizon()
                continue
            t, _, action, job = pop(heap)
            self.now = t
            if action == END:   # inline: a segment ends, the job asks for its next one (most of a run)
                segments, index, last = job.segments, job.index, len(job.segments) - 1
                done = False
                while True:
                    resource = segments[index][0]
                    if resource.waiters:
                        push(heap, (t, next(order), HOLD, resource.waiters.popleft()))
                    else:
                        resource.free += 1
                    if index == last:
                        done = True
                        break
                    index += 1
                    resource, duration = segments[index]
                    if not resource.free:
                        resource.waiters.append(job)
                        break
                    resource.free -= 1
                    end = t + duration
                    if (heap and end >= heap[0][0]) or end >= horizon:
                        push(heap, (end, next(order), END, job))
                        break
                    t = self.now = end   # this end would be the next event popped: take it at once
                job.index = index
                if not done:
                    continue
                self.moved = False
                if job is self.encoder:
                    self._encoded(t)
                else:
                    yield from self._stepped(t)
                yield from self._next(job, t)
            elif action == HOLD:
                push(heap, (t + job.segments[job.index][1], next(order), END, job))
                continue
            else:
                job.woken = False
                self.moved = False
                yield from self._next(job, t)
            if self.moved:   # the clock moved inside (SimPy ran outside events): look at the horizon again
                horizon = chip._horizon()

    def _push(self, t: float, action: int, job: Job) -> None:
        heapq.heappush(self.heap, (t, next(self.order), action, job))

    def _request(self, job: Job, t: float) -> None:
        resource, duration = job.segments[job.index]
        if resource.free:
            resource.free -= 1
            self._push(t + duration, END, job)
        else:
            resource.waiters.append(job)   # type: ignore[arg-type]  # a runner's resources queue jobs

    def _next(self, job: Job, t: float) -> Generator[simpy.Event, None, None]:
        """The worker's loop top at t: start its next call, or go idle."""
        if job is self.encoder:
            self._encode(t)
        else:
            yield from self._step(t)

    # ---- encoder ----
    def _encode(self, t: float) -> None:
        chip, job = self.chip, self.encoder
        if not chip.encode_pending:
            job.idle = True
            return
        job.idle = False
        job.batch, call, job.rows, job.padding = chip._take_encode()
        job.calls = (call,)
        self._begin(job, t)

    def _encoded(self, t: float) -> None:
        chip, job = self.chip, self.encoder
        chip.log.add(job.calls[0])
        chip.log.process_end_s[job.name] = t
        chip.log.batches.append(BatchRecord(chip.index, "encoder", len(job.batch), job.rows, job.start_s, t,
                                            job.padding))
        for flight in job.batch:
            chip._encoded(flight, t)
        if chip.ready:
            self.wake(self.decoder)

    # ---- decoder ----
    def _step(self, t: float) -> Generator[simpy.Event, None, None]:
        chip, job, env = self.chip, self.decoder, self.env
        cut = False
        while chip.ready:
            job.idle = False
            if self.encoder.idle and not self.encoder.woken and not chip.encode_pending and not cut:
                # the resources are the decoder's until the next outside event: Chip._epoch's arrays
                if t > env.now:
                    self.now = t
                    yield env.timeout(t - env.now)
                self.moved = True
                progressed = yield from chip._epoch(chip._horizon())
                self.now = t = max(t, env.now)
                if progressed:
                    cut = chip.epoch_cut   # then the next step crosses the horizon: it runs segment by segment
                    continue
            batch = chip._take_ready()
            (calls, _), rows, padding, finishing = chip._step_calls(batch)
            job.calls, job.batch, job.rows, job.padding, job.finishing = calls, batch, rows, padding, finishing
            self._begin(job, t)
            return
        job.idle = True

    def _stepped(self, t: float) -> Generator[simpy.Event, None, None]:
        chip, job, env = self.chip, self.decoder, self.env
        for call in job.calls:
            chip.log.add(call)
        chip.log.process_end_s[job.name] = t
        for column, value in zip(self.columns, (len(job.batch), job.rows, job.start_s, t, job.padding)):
            column.append(value)
        if job.finishing and t > env.now:   # admission and the occupancy integral read the clock
            self.now = t
            self.moved = True
            yield env.timeout(t - env.now)
        if chip._advance(job.batch, t):
            self.moved = True   # admission may set a timer
            chip.try_admit()

    def _begin(self, job: Job, t: float) -> None:
        segments = self._segments.get(job.calls)
        if segments is None:
            segments = self._segments[job.calls] = tuple((resource, duration) for call in job.calls
                                                         for resource, duration, _ in call.steps)
        job.segments, job.index, job.start_s = segments or _NO_SEGMENT, 0, t
        self._request(job, t)


class _AlwaysFree:
    """The resource of a call whose segments all take no time (it ends where it starts, as Chip._run's empty loop)."""

    free = 1 << 62
    waiters: tuple = ()


_NO_SEGMENT = ((_AlwaysFree(), 0.0),)
