"""One chip of a serving fleet: its resources (lanes), its admission queue and live set, and two workers that share
the lanes: an encoder worker (batched encoder calls over pending chunks) and a decoder worker (one batched decoder
step over every live utterance whose next step has its encoder frame).

This mirrors hwsim.sim.engine's encoder and decoder processes, so one utterance at batch 1 takes the same time.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Sequence

import simpy

from hwsim.sim.costs import CallCosts, Segment
from hwsim.sim.engine import TraceRecord
from hwsim.sim.serving.entities import BatchRecord, ChunkRecord, Utterance, UtteranceRecord
from hwsim.sim.serving.policies import BatchPolicy

if TYPE_CHECKING:
    from hwsim.sim.serving.engine import ServingEngine


class Lane:
    """One unit of a chip (matrix, vector, memory, cpu, link): FIFO, one segment at a time.

    Lighter than simpy.Resource: an uncontended hold costs one timeout event instead of three.
    """

    __slots__ = ("busy", "waiters")

    def __init__(self) -> None:
        self.busy = False
        self.waiters: deque[simpy.Event] = deque()


class Live:
    """Runtime state of one utterance on a chip (queued, then admitted until done)."""

    __slots__ = ("utt", "steps", "bounds", "queued_s", "admitted_s", "arrived", "encoded_chunks",
                 "encoded_frames", "encode_queued", "step", "next_chunk", "ready")

    def __init__(self, utt: Utterance) -> None:
        self.utt, self.steps = utt, utt.schedule.steps
        # decoder steps that need only frames of chunks 0..c, per chunk c (steps are in frame order)
        frames = [s.frame for s in self.steps]
        self.bounds = [bisect.bisect_left(frames, c.encoder_frames) for c in utt.chunks]
        self.queued_s = self.admitted_s = -1.0
        self.arrived = self.encoded_chunks = self.encoded_frames = self.step = self.next_chunk = 0
        self.encode_queued = self.ready = False


def batched_encoder(costs: CallCosts, frames: int, batch: int, exclusive: bool) -> Sequence[Segment]:
    """Encoder segments for `batch` chunks padded to `frames` input frames each."""
    if batch == 1:
        return costs.encoder(frames, exclusive)
    return costs.encoder_batch(frames, batch, exclusive)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class CompiledCall:
    """Segments of one call with their lanes (zero-length ones dropped) and the busy time they add."""

    steps: tuple[tuple[Lane, float, Segment], ...]
    busy_s: tuple[tuple[str, float], ...]
    components_s: tuple[tuple[str, float], ...]

    @classmethod
    def of(cls, segments: Sequence[Segment], lanes: dict[str, Lane]) -> "CompiledCall":
        kept = [s for s in segments if s.duration_s > 0]
        busy: dict[str, float] = {}
        components: dict[str, float] = {}
        for seg in kept:
            busy[seg.resource] = busy.get(seg.resource, 0.0) + seg.duration_s
            components[seg.component] = components.get(seg.component, 0.0) + seg.duration_s
        return cls(tuple((lanes[s.resource], s.duration_s, s) for s in kept), tuple(busy.items()),
                   tuple(components.items()))


@dataclass
class ChipLog:
    """What a chip records: busy time per resource and component, batches, finished utterances and chunks."""

    busy_s: dict[str, float] = field(default_factory=dict)
    components_s: dict[str, float] = field(default_factory=dict)
    batches: list[BatchRecord] = field(default_factory=list)
    utterances: list[UtteranceRecord] = field(default_factory=list)
    chunks: list[ChunkRecord] = field(default_factory=list)
    trace: list[TraceRecord] = field(default_factory=list)
    holds: int = 0

    def add(self, call: CompiledCall) -> None:
        for name, seconds in call.busy_s:
            self.busy_s[name] += seconds
        for name, seconds in call.components_s:
            self.components_s[name] = self.components_s.get(name, 0.0) + seconds
        self.holds += len(call.steps)


class Chip:
    def __init__(self, index: int, engine: "ServingEngine", policy: BatchPolicy, max_batch: int,
                 resources: Iterable[str], overlap: bool = True):
        self.index, self.engine, self.env, self.costs = index, engine, engine.env, engine.costs
        self.policy, self.max_batch = policy, max_batch
        shared = Lane()
        self.lanes = {name: (Lane() if overlap else shared) for name in resources}
        self.log = ChipLog(busy_s={name: 0.0 for name in resources})
        self.queue: deque[Live] = deque()
        self.live = 0
        self.encode_pending: deque[Live] = deque()
        self.ready: list[Live] = []
        self._compiled: dict[tuple[str, int], CompiledCall] = {}
        self._encoder_wake: simpy.Event | None = None
        self._decoder_wake: simpy.Event | None = None
        self._timer_at: float | None = None
        self.env.process(self._encoder_worker())
        self.env.process(self._decoder_worker())

    # ---- load ----
    @property
    def load(self) -> int:
        return len(self.queue) + self.live

    def assign(self, lv: Live) -> None:
        lv.queued_s = self.env.now
        self.queue.append(lv)
        self.try_admit()

    def chunk_arrived(self, lv: Live) -> None:
        if lv.admitted_s >= 0 and not lv.encode_queued:
            self._queue_encode(lv)

    def try_admit(self) -> None:
        now = self.env.now
        oldest = now - self.queue[0].queued_s if self.queue else 0.0
        admission = self.policy.admit(len(self.queue), self.live, oldest, self.engine.arrivals_done)
        for _ in range(admission.count):
            lv = self.queue.popleft()
            lv.admitted_s = now
            self.live += 1
            if lv.arrived > lv.encoded_chunks:
                self._queue_encode(lv)
        if admission.count == 0 and admission.recheck_after_s is not None:
            self._set_timer(now + admission.recheck_after_s)

    def _set_timer(self, at: float) -> None:
        if self._timer_at is not None and self._timer_at <= at:
            return
        self._timer_at = at
        timeout = self.env.timeout(max(0.0, at - self.env.now))
        timeout.callbacks.append(self._timer_fired)

    def _timer_fired(self, _event: simpy.Event) -> None:
        self._timer_at = None
        self.try_admit()

    def _queue_encode(self, lv: Live) -> None:
        lv.encode_queued = True
        self.encode_pending.append(lv)
        if self._encoder_wake is not None:
            self._encoder_wake, wake = None, self._encoder_wake
            wake.succeed()

    def _wake_decoder(self) -> None:
        if self._decoder_wake is not None:
            self._decoder_wake, wake = None, self._decoder_wake
            wake.succeed()

    # ---- work ----
    def _call(self, kind: str, size: int, build) -> "CompiledCall":
        """A call's segments bound to this chip's lanes, with its busy totals; built once per (kind, size)."""
        key = (kind, size)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = CompiledCall.of(build(), self.lanes)
        return compiled

    def _run(self, process: str, call: "CompiledCall") -> Iterable[simpy.Event]:
        env = self.env
        tracing = len(self.log.trace) < self.engine.trace_limit
        for lane, duration, seg in call.steps:
            if lane.busy:
                handover = env.event()
                lane.waiters.append(handover)
                yield handover
            else:
                lane.busy = True
            start = env.now
            yield env.timeout(duration)
            if lane.waiters:
                lane.waiters.popleft().succeed()
            else:
                lane.busy = False
            if tracing and len(self.log.trace) < self.engine.trace_limit:
                self.log.trace.append(TraceRecord(f"chip{self.index}.{process}", seg.component, seg.label,
                                                  f"chip{self.index}/{seg.resource}", start, env.now))
        self.log.add(call)

    def _encoder_worker(self) -> Iterable[simpy.Event]:
        env = self.env
        while True:
            if not self.encode_pending:
                self._encoder_wake = env.event()
                yield self._encoder_wake
                continue
            batch = [self.encode_pending.popleft() for _ in range(min(self.max_batch, len(self.encode_pending)))]
            frames = max(lv.utt.chunks[lv.encoded_chunks].input_frames for lv in batch)
            exclusive = self.engine.config.coarse_encoder or all(lv.utt.whole for lv in batch)
            start = env.now
            size = len(batch)
            call = self._call(f"encoder{size}{'x' if exclusive else ''}", frames,
                              lambda: batched_encoder(self.costs, frames, size, exclusive))
            yield from self._run("encoder", call)
            self.log.batches.append(BatchRecord(self.index, "encoder", len(batch), frames * len(batch), start, env.now))
            for lv in batch:
                self._encoded(lv)
            self._wake_decoder()

    def _encoded(self, lv: Live) -> None:
        lv.encoded_frames = lv.utt.chunks[lv.encoded_chunks].encoder_frames
        lv.encoded_chunks += 1
        lv.encode_queued = False
        if lv.arrived > lv.encoded_chunks:
            self._queue_encode(lv)
        self._chunks_done(lv)
        if not lv.ready and lv.step < len(lv.steps) and lv.steps[lv.step].frame < lv.encoded_frames:
            lv.ready = True
            self.ready.append(lv)

    def _chunks_done(self, lv: Live) -> None:
        while lv.next_chunk < lv.encoded_chunks and lv.step >= lv.bounds[lv.next_chunk]:
            chunk = lv.utt.chunks[lv.next_chunk]
            self.log.chunks.append(ChunkRecord(lv.utt.uid, lv.next_chunk, chunk.arrival_s, self.env.now))
            lv.next_chunk += 1

    def _decoder_worker(self) -> Iterable[simpy.Event]:
        env, costs = self.env, self.costs
        while True:
            if not self.ready:
                self._decoder_wake = env.event()
                yield self._decoder_wake
                continue
            if len(self.ready) <= self.max_batch:
                batch, self.ready = self.ready, []
            else:  # the longest-waiting first; the rest go next step (stepped ones rejoin at the back)
                batch, self.ready = self.ready[:self.max_batch], self.ready[self.max_batch:]
            prediction_rows = joint_rows = hyps = 0
            for lv in batch:
                step = lv.steps[lv.step]
                prediction_rows += step.prediction_rows
                joint_rows += step.joint_rows
                hyps += step.hyps
            start = env.now
            if prediction_rows:
                yield from self._run("decoder", self._call("prediction", prediction_rows,
                                                           lambda: costs.prediction(prediction_rows)))
            yield from self._run("decoder", self._call("joint", joint_rows, lambda: costs.joint(joint_rows)))
            yield from self._run("decoder", self._call("transfer", joint_rows, lambda: costs.transfer(joint_rows)))
            yield from self._run("decoder", self._call("search", hyps, lambda: costs.search(hyps)))
            self.log.batches.append(BatchRecord(self.index, "decoder", len(batch), joint_rows, start, env.now))
            if self._advance(batch):
                self.try_admit()

    def _advance(self, batch: list[Live]) -> bool:
        """Move every stepped utterance on; True when one finished (a slot freed)."""
        finished = False
        for lv in batch:
            lv.step += 1
            self._chunks_done(lv)
            if lv.step == len(lv.steps):
                lv.ready = False
                self.live -= 1
                finished = True
                self._finish(lv)
            elif lv.steps[lv.step].frame < lv.encoded_frames:
                self.ready.append(lv)
            else:
                lv.ready = False
        return finished

    def _finish(self, lv: Live) -> None:
        u = lv.utt
        self.engine.utterance_finished()
        self.log.utterances.append(UtteranceRecord(u.uid, u.stream, self.index, u.arrival_s, u.chunks[0].arrival_s,
                                                   u.end_of_speech_s,
                                                   lv.admitted_s, self.env.now, u.audio_s, len(lv.steps)))
