"""One chip: its resources, its admission queue and live set, and the workers that share the resources.

- encoder worker: one batched encoder call over the pending chunks of live utterances (up to the step batch);
- decoder worker: one batched decoder step (one prediction call, one joint call, one transfer, one search) over
  every live utterance whose next step has its encoder frame (up to the step batch, oldest admitted first);
- HMM worker (hybrid models): the host's search over each newly encoded chunk.

`simulate` is this chip running one utterance at batch 1 (hwsim.sim.utterance), so a single utterance and a
loaded service share the step order, frame gating, overlap switch and resource holding.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Generator, Iterable, Sequence

import numpy as np
import simpy

from hwsim.cost.segments import CallCosts, Segment
from hwsim.sim.joint import JointRunner
from hwsim.sim.policies import BatchPolicy, Padding
from hwsim.sim.shapes import StepShapes, joint_rows_of, shape_key
from hwsim.sim.records import BatchRecord, ChunkRecord, TraceRecord, UtteranceRecord, WaitRecord

if TYPE_CHECKING:
    from hwsim.sim.entities import Utterance
    from hwsim.sim.fleet import ServingEngine


class FifoResource:
    """One resource of a chip (matrix, vector, memory, cpu, link) with `units` identical units, served FIFO.

    Lighter than simpy.Resource: an uncontended hold costs one timeout event instead of three.
    """

    __slots__ = ("free", "waiters")

    def __init__(self, units: int = 1) -> None:
        if units < 1:
            raise ValueError("a resource has at least one unit")
        self.free = units
        self.waiters: deque[simpy.Event] = deque()


class InFlight:
    """Runtime state of one utterance on a chip (queued, then admitted until done)."""

    __slots__ = ("utt", "steps", "bounds", "queued_s", "admitted_s", "arrived", "encoded_chunks", "encoded_frames",
                 "encode_queued", "step", "next_chunk", "ready", "seq", "searched_frames")

    def __init__(self, utt: "Utterance", step_frames: Sequence[int] | None = None) -> None:
        """`step_frames`: the encoder frame of each of the schedule's steps, when the caller keeps them (a pooled
        schedule serves many utterances)."""
        self.utt = utt
        self.steps = utt.schedule.steps if utt.schedule is not None else ()
        # decoder steps that need only frames of chunks 0..c, per chunk c (steps are in frame order)
        if step_frames is None:
            frames = [s.frame for s in self.steps]
            self.bounds = [bisect.bisect_left(frames, c.encoder_frames) for c in utt.chunks]
        else:
            self.bounds = np.searchsorted(step_frames, [c.encoder_frames for c in utt.chunks]).tolist()
        self.queued_s = self.admitted_s = -1.0
        self.arrived = self.encoded_chunks = self.encoded_frames = self.step = self.next_chunk = 0
        self.seq = self.searched_frames = 0
        self.encode_queued = self.ready = False


def batched_encoder(costs: CallCosts, frames: int, batch: int, exclusive: bool) -> Sequence[Segment]:
    """Encoder segments for `batch` chunks padded to `frames` input frames each."""
    if batch == 1:
        return costs.encoder(frames, exclusive)
    return costs.encoder_batch(frames, batch, exclusive)  # type: ignore[attr-defined]


@dataclass(frozen=True, eq=False)
class CompiledCall:
    """Segments of one call with their resources (zero-length ones dropped) and the busy time they add. Built once per
    call shape and compared by identity (a log counts calls by it)."""

    steps: tuple[tuple[FifoResource, float, Segment], ...]
    busy_s: tuple[tuple[str, float], ...]
    components_s: tuple[tuple[str, float], ...]

    @classmethod
    def of(cls, segments: Sequence[Segment], resources: dict[str, FifoResource]) -> "CompiledCall":
        kept = [s for s in segments if s.duration_s > 0]
        busy: dict[str, float] = {}
        components: dict[str, float] = {}
        for seg in kept:
            busy[seg.resource] = busy.get(seg.resource, 0.0) + seg.duration_s
            components[seg.component] = components.get(seg.component, 0.0) + seg.duration_s
        return cls(tuple((resources[s.resource], s.duration_s, s) for s in kept), tuple(busy.items()),
                   tuple(components.items()))


@dataclass
class ChipLog:
    """What a chip records: busy time per resource and component, batches, finished utterances and chunks, trace
    segments and waits (when asked for), and when each process last ended work."""

    busy_s: dict[str, float] = field(default_factory=dict)
    components_s: dict[str, float] = field(default_factory=dict)
    batches: list[BatchRecord] = field(default_factory=list)
    step_columns: list[tuple[np.ndarray, ...]] = field(default_factory=list)  # decoder steps run as one epoch
    utterances: list[UtteranceRecord] = field(default_factory=list)
    chunks: list[ChunkRecord] = field(default_factory=list)
    trace: list[TraceRecord] = field(default_factory=list)
    waits: list[WaitRecord] = field(default_factory=list)
    process_end_s: dict[str, float] = field(default_factory=dict)
    holds: int = 0
    calls: dict[CompiledCall, int] = field(default_factory=dict)
    shapes: StepShapes | None = None   # decoder step shapes run as arrays, counted per shape

    def add(self, call: CompiledCall) -> None:
        """Count a call run; busy times are added up once, by settle(), from the counts."""
        self.calls[call] = self.calls.get(call, 0) + 1

    def settle(self) -> None:
        """Busy seconds per resource and component, and holds, from the calls counted (each call x its count).
        Summed exactly (math.fsum), so the totals do not depend on the order calls were counted in (the
        per-segment processes, the runner and the epochs count them in different orders)."""
        if self.shapes is not None:
            for call, count in self.shapes.call_counts().items():
                self.calls[call] = self.calls.get(call, 0) + count
        busy: dict[str, list[float]] = {name: [seconds] for name, seconds in self.busy_s.items()}
        components: dict[str, list[float]] = {name: [seconds] for name, seconds in self.components_s.items()}
        holds = 0
        for call, count in self.calls.items():
            for name, seconds in call.busy_s:
                busy.setdefault(name, []).append(seconds * count)
            for name, seconds in call.components_s:
                components.setdefault(name, []).append(seconds * count)
            holds += len(call.steps) * count
        self.busy_s = {name: math.fsum(terms) for name, terms in busy.items()}
        self.components_s = {name: math.fsum(terms) for name, terms in components.items()}
        self.holds += holds
        self.calls = {}

    def batch_columns(self, chip: int) -> dict[str, np.ndarray]:
        """Every batch as columns (BatchRecord's fields; `kind` as codes into BATCH_KINDS), in start order: the
        records plus the epochs' and the runner's decoder steps."""
        names = ("size", "rows", "start_s", "end_s", "padding_rows")
        records = self.batches
        columns = {name: [np.array([getattr(b, name) for b in records])] for name in names}
        codes = [np.array([BATCH_KINDS.index(b.kind) for b in records], dtype=np.int8)]
        if self.step_columns:
            for name, parts in zip(names, zip(*self.step_columns)):
                columns[name].append(np.concatenate(parts))
            codes.append(np.full(len(columns["size"][-1]), BATCH_KINDS.index("decoder"), dtype=np.int8))
        out = {name: np.concatenate(parts) for name, parts in columns.items()}
        out["kind"] = np.concatenate(codes)
        order = np.argsort(out["start_s"], kind="stable")
        return {"chip": np.full(len(order), chip), **{name: values[order] for name, values in out.items()}}

    def all_batches(self, chip: int) -> list[BatchRecord]:
        """batch_columns as records (for small runs and tests; a large run's table comes from the columns)."""
        c = self.batch_columns(chip)
        return [BatchRecord(chip, BATCH_KINDS[c["kind"][i]], int(c["size"][i]), int(c["rows"][i]),
                            float(c["start_s"][i]), float(c["end_s"][i]), int(c["padding_rows"][i]))
                for i in range(len(c["kind"]))]


BATCH_KINDS = ("encoder", "decoder", "hmm_search")


class Chip:
    def __init__(self, index: int, engine: "ServingEngine", policy: BatchPolicy):
        config = engine.config
        self.index, self.engine, self.env, self.costs = index, engine, engine.env, engine.costs
        self.policy, self.max_batch = policy, config.max_batch
        self.packed = config.padding is Padding.PACKED
        self.fixed_batches = not config.continuous   # static / dynamic: a batch runs to completion
        self.record_waits, self.trace_limit = config.record_waits, config.trace_limit
        shared = FifoResource()
        self.resources = {name: (FifoResource(config.units.get(name, 1)) if config.overlap else shared)
                      for name in engine.resources}
        self.log = ChipLog(busy_s={name: 0.0 for name in engine.resources})
        self.names = {p: (f"chip{index}.{p}" if config.chip_names else p) for p in ("encoder", "decoder", "hmm_search")}
        self.queue: deque[InFlight] = deque()
        self.live = self.admitted = 0
        self.encode_pending: deque[InFlight] = deque()
        self.hmm_pending: deque[InFlight] = deque()
        self.ready: list[tuple[int, InFlight]] = []      # heap by admission order
        self.padding = (0, 0, 0)                     # rows a fixed batch's finished members still occupy (padded)
        self._compiled: dict[tuple, CompiledCall] = {}
        self._steps: dict[tuple[int, int, int], tuple[tuple[CompiledCall, ...], tuple[float, ...]]] = {}
        self._wakes: dict[str, simpy.Event | None] = {"encoder": None, "decoder": None, "hmm_search": None}
        self._timer_at: float | None = None
        self._timer_event: simpy.Event | None = None
        self._runner: JointRunner | None = None
        self.shapes = StepShapes(self._step_shape)   # decoder steps run as arrays (_epoch)
        self.log.shapes = self.shapes
        self.epoch_cut = False   # the last _epoch stopped at the horizon (its next step crosses it)

    def start(self, joint: bool) -> None:
        """Start the workers: one JointRunner for the encoder and decoder (`joint`: serve without a trace, waits or
        hybrid utterances), else one SimPy process each, holding the resources segment by segment."""
        if joint:
            self._runner = JointRunner(self)
            self.env.process(self._runner.run())
            return
        self.env.process(self._encoder_worker())
        self.env.process(self._decoder_worker())
        self.env.process(self._hmm_worker())

    # ---- load ----
    @property
    def load(self) -> int:
        return len(self.queue) + self.live

    def assign(self, flight: InFlight, admit: bool = True) -> None:
        """Queue an arrival; `admit=False`: the dispatcher calls try_admit once this instant's arrivals are queued."""
        flight.queued_s = self.env.now
        self.queue.append(flight)
        if admit:
            self.try_admit()

    def chunk_arrived(self, flight: InFlight) -> None:
        if flight.admitted_s >= 0 and not flight.encode_queued:
            self._queue_encode(flight)

    def try_admit(self) -> None:
        now = self.env.now
        oldest = now - self.queue[0].queued_s if self.queue else 0.0
        admission = self.policy.admit(len(self.queue), self.live, oldest, self.engine.arrivals_done)
        if admission.count and self.fixed_batches:
            self.padding = (0, 0, 0)
        for _ in range(admission.count):
            flight = self.queue.popleft()
            flight.admitted_s = now
            flight.seq = self.admitted
            self.admitted += 1
            self.live += 1
            if flight.arrived > flight.encoded_chunks:
                self._queue_encode(flight)
        if admission.count == 0 and admission.recheck_after_s is not None:
            self._set_timer(now + admission.recheck_after_s)

    def _set_timer(self, at: float) -> None:
        if self._timer_at is not None and self._timer_at <= at:
            return
        self._timer_at = at
        self._timer_event = timeout = self.env.timeout(max(0.0, at - self.env.now))
        timeout.callbacks.append(self._timer_fired)

    def _timer_fired(self, event: simpy.Event) -> None:
        if event is self._timer_event:   # an earlier timer, since replaced by a sooner one, leaves it be
            self._timer_at = self._timer_event = None
        self.try_admit()

    def _queue_encode(self, flight: InFlight) -> None:
        flight.encode_queued = True
        self.encode_pending.append(flight)
        self._wake("encoder")

    def _wake(self, worker: str) -> None:
        if self._runner is not None:
            self._runner.wake(self._runner.encoder if worker == "encoder" else self._runner.decoder)
            return
        wake = self._wakes[worker]
        if wake is not None:
            self._wakes[worker] = None
            wake.succeed()

    def _idle(self, worker: str) -> Iterable[simpy.Event]:
        """Sleep until woken; a decoder or search idle while an utterance is live was waiting for frames."""
        start = self.env.now
        self._wakes[worker] = wake = self.env.event()
        yield wake
        if self.record_waits and worker != "encoder" and self.live and self.env.now > start:
            self.log.waits.append(WaitRecord(self.names[worker], "frames", start, self.env.now))

    # ---- work ----
    def _call(self, key: tuple, build: Callable[[], Sequence[Segment]]) -> CompiledCall:
        """A call's segments bound to this chip's resources, with its busy totals; built once per key."""
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = CompiledCall.of(build(), self.resources)
        return compiled

    def _run(self, process: str, call: CompiledCall) -> Iterable[simpy.Event]:
        env, log = self.env, self.log
        tracing = len(log.trace) < self.trace_limit
        for resource, duration, seg in call.steps:
            if resource.free:
                resource.free -= 1
            else:
                asked = env.now
                handover = env.event()
                resource.waiters.append(handover)
                yield handover
                if self.record_waits and env.now > asked:
                    log.waits.append(WaitRecord(process, f"resource:{seg.resource}", asked, env.now))
            start = env.now
            yield env.timeout(duration)
            if resource.waiters:
                resource.waiters.popleft().succeed()
            else:
                resource.free += 1
            if tracing and len(log.trace) < self.trace_limit:
                log.trace.append(self._record(process, seg, start))
        log.add(call)
        log.process_end_s[process] = env.now

    def _record(self, process: str, seg: Segment, start: float) -> TraceRecord:
        """A trace record; a single chip's (simulate) keeps the segment's per-op detail, a fleet's one slice each."""
        if self.engine.config.chip_names:
            return TraceRecord(process, seg.component, seg.label, f"chip{self.index}/{seg.resource}", start,
                               self.env.now)
        return TraceRecord(process, seg.component, seg.label, seg.resource, start, self.env.now, seg)

    def _encoder_call(self, frames: list[int], exclusive: bool) -> tuple[CompiledCall, int, int]:
        """The call over chunks of `frames` input frames, the frames it charges and how many of those are padding."""
        longest, size, useful = max(frames), len(frames), sum(frames)
        if self.packed and min(frames) != longest:
            lengths = tuple(sorted(frames, reverse=True))
            call = self._call(("packed", lengths, exclusive),
                              lambda: self.costs.encoder_packed(lengths, exclusive))  # type: ignore[attr-defined]
            return call, useful, 0
        call = self._call(("encoder", size, longest, exclusive),
                          lambda: batched_encoder(self.costs, longest, size, exclusive))
        return call, longest * size, longest * size - useful

    def _take_encode(self) -> tuple[list[InFlight], CompiledCall, int, int]:
        """The next encoder call: up to the step batch of pending chunks, oldest first, with its call, the frames it
        charges and how many of those are padding (both workers, SimPy's and the joint runner's, start calls here)."""
        pending = self.encode_pending
        batch = [pending.popleft() for _ in range(min(self.max_batch, len(pending)))]
        frames = [flight.utt.chunks[flight.encoded_chunks].input_frames for flight in batch]
        exclusive = self.engine.config.coarse_encoder or all(flight.utt.whole for flight in batch)
        return (batch, *self._encoder_call(frames, exclusive))

    def _encoder_worker(self) -> Iterable[simpy.Event]:
        env, pending, name = self.env, self.encode_pending, self.names["encoder"]
        while True:
            if not pending:
                yield from self._idle("encoder")
                continue
            batch, call, rows, padding = self._take_encode()
            start = env.now
            end = self._alone_end(call) if self._encoder_only() else None
            if end is not None and end <= self._horizon():   # nothing else can run meanwhile: one event
                self.log.add(call)
                yield env.timeout(end - start)
                self.log.process_end_s[name] = env.now
            else:
                yield from self._run(name, call)
            self.log.batches.append(BatchRecord(self.index, "encoder", len(batch), rows, start, env.now, padding))
            for flight in batch:
                self._encoded(flight)
            if self.ready:
                self._wake("decoder")
            if self.hmm_pending:
                self._wake("hmm_search")

    def _encoded(self, flight: InFlight, at: float | None = None) -> None:
        """`flight`'s next chunk is encoded (at `at`, default now): its chunks done so far, its readiness to step."""
        flight.encoded_frames = flight.utt.chunks[flight.encoded_chunks].encoder_frames
        flight.encoded_chunks += 1
        flight.encode_queued = False
        if flight.arrived > flight.encoded_chunks:
            self._queue_encode(flight)
        if flight.utt.schedule is None:
            self.hmm_pending.append(flight)
            return
        self._chunks_done(flight, at)
        steps = flight.steps
        if not flight.ready and flight.step < len(steps) and steps[flight.step].frame < flight.encoded_frames:
            flight.ready = True
            heapq.heappush(self.ready, (flight.seq, flight))

    def _chunks_done(self, flight: InFlight, at: float | None = None) -> None:
        while flight.next_chunk < flight.encoded_chunks and flight.step >= flight.bounds[flight.next_chunk]:
            chunk = flight.utt.chunks[flight.next_chunk]
            self.log.chunks.append(ChunkRecord(flight.utt.uid, flight.next_chunk, chunk.arrival_s,
                                               self.env.now if at is None else at))
            flight.next_chunk += 1

    def _take_ready(self) -> list[InFlight]:
        """Up to the step batch of ready utterances, oldest admitted first (the rest wait for the next step)."""
        ready = self.ready
        if len(ready) <= self.max_batch:
            batch = [flight for _, flight in ready]
            ready.clear()
            return batch
        return [heapq.heappop(ready)[1] for _ in range(self.max_batch)]

    def _decoder_worker(self) -> Iterable[simpy.Event]:
        env, name = self.env, self.names["decoder"]
        while True:
            if not self.ready:
                yield from self._idle("decoder")
                continue
            if self.engine.config.shortcut and self._alone():
                self._decode_alone(self.ready.pop()[1])
                continue
            if self.engine.config.fast_forward and self._decoder_only():
                progressed = yield from self._fast_forward()
                if progressed:
                    continue
            batch = self._take_ready()
            (calls, _), joint_rows, padding, _ = self._step_calls(batch)
            start = env.now
            for call in calls:
                yield from self._run(name, call)
            self.log.batches.append(BatchRecord(self.index, "decoder", len(batch), joint_rows, start, env.now,
                                                padding))
            if self._advance(batch):
                self.try_admit()

    def _step_calls(self, batch: list[InFlight]) -> tuple[tuple[tuple[CompiledCall, ...], tuple[float, ...]], int, int,
                                                       bool]:
        """One decoder step over `batch`: its shape (_step_shape), its joint rows, how many of those are padding (a
        padded fixed batch's finished members), and whether a member finishes with it."""
        prediction_rows, joint_rows, hyps = self.padding if not self.packed else (0, 0, 0)
        padding, finishing = joint_rows, False
        for flight in batch:
            step = flight.steps[flight.step]
            prediction_rows += step.prediction_rows
            joint_rows += step.joint_rows
            hyps += step.hyps
            finishing = finishing or flight.step + 1 == len(flight.steps)
        return self._step_shape(prediction_rows, joint_rows, hyps), joint_rows, padding, finishing

    def _step_shape(self, prediction_rows: int, joint_rows: int, hyps: int) -> tuple[tuple[CompiledCall, ...],
                                                                                   tuple[float, ...]]:
        """A step's calls and its segments' durations in order, built once per (rows, rows, hyps)."""
        key = (prediction_rows, joint_rows, hyps)
        shape = self._steps.get(key)
        if shape is None:
            costs = self.costs
            calls = [self._call(("prediction", prediction_rows), lambda: costs.prediction(prediction_rows))] \
                if prediction_rows else []
            calls += [self._call(("joint", joint_rows), lambda: costs.joint(joint_rows)),
                      self._call(("transfer", joint_rows), lambda: costs.transfer(joint_rows)),
                      self._call(("search", hyps), lambda: costs.search(hyps))]
            shape = self._steps[key] = (tuple(calls), tuple(d for call in calls for _, d, _ in call.steps))
        return shape

    def _encoder_only(self) -> bool:
        """serve's fast path for an encoder call: the decoder and host search are parked with nothing ready and no
        trace is being recorded, so the call's segments run back to back."""
        return (self.engine.config.fast_forward and not self.ready and self._wakes["decoder"] is not None
                and not self.hmm_pending and self._wakes["hmm_search"] is not None
                and len(self.log.trace) >= self.trace_limit)

    def _alone_end(self, call: CompiledCall) -> float:
        """When `call` ends if it starts now and nothing contends (one addition per segment, as SimPy's clock)."""
        end = self.env.now
        for _, duration, _ in call.steps:
            end += duration
        return end

    def _horizon(self) -> float:
        """When work from outside may next reach this chip: the next arrival or this chip's admission timer."""
        timer = self._timer_at if self._timer_at is not None else math.inf
        return min(self.engine.next_arrival_s, timer)

    def _horizon_event(self) -> simpy.Event | None:
        """The pending event behind _horizon(): the arrivals' next timeout or this chip's timer. A process waits on it
        rather than on a timeout of (horizon - now), which float rounding can land an ulp short of the event, at
        the same instant again and again."""
        engine = self.engine
        if self._timer_at is not None and self._timer_at <= engine.next_arrival_s:
            event = self._timer_event
        else:
            event = engine.next_arrival_event
        return event if event is not None and not event.processed else None

    def _decoder_only(self) -> bool:
        """The encoder and the host search are parked with nothing to do: the decoder alone holds the chip's resources
        until the next arrival (or admission timer) brings work."""
        return (not self.encode_pending and self._wakes["encoder"] is not None and not self.hmm_pending
                and self._wakes["hmm_search"] is not None)

    def _fast_forward(self) -> Generator[simpy.Event, None, bool]:
        """Decoder steps while nothing else can run, without SimPy events per hold: each step's segments run back
        to back, so its end is its start plus its calls' durations. Steps go on until one would end after the next
        arrival or admission timer (that one runs in SimPy, where the encoder may contend) or until an utterance
        finishes (the clock catches up first, so its slot is refilled at the right time). True when a step ran."""
        env, ready, log, name = self.env, self.ready, self.log, self.names["decoder"]
        horizon = self._horizon()
        now, ran = env.now, 0
        if len(log.trace) >= self.trace_limit:   # no trace to record: the steps as arrays
            progressed = yield from self._epoch(horizon)
            return progressed
        while ready:
            batch = self._take_ready()
            (calls, durations), joint_rows, padding, finishing = self._step_calls(batch)
            end = now
            for duration in durations:   # one addition per segment, as SimPy's clock advances
                end += duration
            if end > horizon:
                for flight in batch:
                    heapq.heappush(ready, (flight.seq, flight))
                break
            start = now
            for call in calls:
                log.add(call)
                start = self._trace_call(name, call, start)
            log.batches.append(BatchRecord(self.index, "decoder", len(batch), joint_rows, now, end, padding))
            now, ran = end, ran + 1
            if finishing:
                yield env.timeout(now - env.now)    # the clock, to rounding; the records keep `now` itself
                log.process_end_s[name] = now
                if self._advance(batch, now):
                    self.try_admit()
                return True
            for flight in batch:
                flight.step += 1
                if flight.next_chunk < flight.encoded_chunks and flight.step >= flight.bounds[flight.next_chunk]:
                    self._chunks_done(flight, now)
                self._moved_on(flight, now)
        if ran:
            yield env.timeout(now - env.now)
            log.process_end_s[name] = now
        return ran > 0

    def _epoch(self, horizon: float) -> Generator[simpy.Event, None, bool]:
        """_fast_forward without a trace, as arrays: the step batch (the oldest ready utterances) keeps its members
        until one finishes or waits for frames, so its steps until then are known in advance. Their rows are summed
        over members in numpy, their segments' ends are one cumulative sum (sequential, as SimPy's clock), and the
        steps that end by `horizon` are taken at once. True when a step ran."""
        env, ready, log, name = self.env, self.ready, self.log, self.names["decoder"]
        batch = self._take_ready()
        keys, steps = self._epoch_keys(batch)
        # each step's shape id, then every step's zero-padded segment durations in one cumulative sum from now:
        # each step's exact end (hwsim.sim.shapes)
        ids = self.shapes.ids(keys)
        width = self.shapes.width
        ends = np.cumsum(np.concatenate(([env.now], self.shapes.table[ids].ravel())))[width::width]
        available, steps = steps, int(np.searchsorted(ends, horizon, side="right"))
        self.epoch_cut = steps < available   # the next step would end after the horizon
        if steps == 0:
            for flight in batch:
                heapq.heappush(ready, (flight.seq, flight))
            return False
        ends = ends[:steps]
        self.shapes.run(ids[:steps])
        starts = np.concatenate(([env.now], ends[:-1]))
        log.step_columns.append((np.full(steps, len(batch)), joint_rows_of(keys[:steps]), starts, ends,
                                 np.full(steps, 0 if self.packed else self.padding[1])))
        now = float(ends[-1])
        yield env.timeout(now - env.now)       # the clock, to rounding; the records keep the exact ends
        log.process_end_s[name] = now
        finished = False
        for flight in batch:
            first = flight.step
            flight.step += steps
            while flight.next_chunk < flight.encoded_chunks and flight.step >= flight.bounds[flight.next_chunk]:
                at = float(ends[max(1, flight.bounds[flight.next_chunk] - first) - 1])
                self.log.chunks.append(ChunkRecord(flight.utt.uid, flight.next_chunk,
                                                   flight.utt.chunks[flight.next_chunk].arrival_s,
                                                   at))
                flight.next_chunk += 1
            finished = self._moved_on(flight, now) or finished
        if finished:
            self.try_admit()
        return True

    def _epoch_keys(self, batch: list[InFlight]) -> tuple[np.ndarray, int]:
        """The shape keys of the batch's next steps (hwsim.sim.shapes: the sum of its members' keys and the
        padding's), for as many steps as every member can take before it finishes or waits for a frame; and that
        count."""
        arrays = [self.engine.step_arrays(flight.utt.schedule) for flight in batch]
        steps = min(int(np.searchsorted(frames, flight.encoded_frames, side="left")) - flight.step
                    for (_, frames), flight in zip(arrays, batch))
        pad = 0 if self.packed else shape_key(*self.padding)
        return pad + sum(keys[flight.step:flight.step + steps] for (keys, _), flight in zip(arrays, batch)), steps

    def _trace_call(self, process: str, call: CompiledCall, start: float) -> float:
        """Trace records of a call run back to back from `start`; returns its end."""
        for _, duration, seg in call.steps:
            end = start + duration
            if len(self.log.trace) < self.trace_limit:
                self.log.trace.append(TraceRecord(process, seg.component, seg.label,
                                                  f"chip{self.index}/{seg.resource}", start, end))
            start = end
        return start

    def _alone(self) -> bool:
        """One live utterance, fully encoded, and nothing else can arrive or run: its decoder holds every resource."""
        return (len(self.ready) == 1 and self.live == 1 and not self.queue and not self.encode_pending
                and self.engine.arrivals_done and len(self.engine.chips) == 1
                and self.ready[0][1].encoded_chunks == len(self.ready[0][1].utt.chunks))

    def _decode_alone(self, flight: InFlight) -> None:
        """simulate's shortcut: with nothing else to contend, each of the remaining steps' segments starts as the
        previous one ends, and SimPy's events would only add the durations up. Add them up directly, in SimPy's
        order (`now + duration`), with the same trace records, holds and end times (tests/unit/sim/test_engine.py
        runs both ways). The SimPy clock stays where it is; the run's end is the utterance's done time."""
        name, now = self.names["decoder"], self.env.now
        trace, tracing = self.log.trace, len(self.log.trace) < self.trace_limit
        for step in flight.steps[flight.step:]:
            for call in self._step_shape(step.prediction_rows, step.joint_rows, step.hyps)[0]:
                for _, duration, seg in call.steps:
                    start, now = now, now + duration
                    if tracing:
                        trace.append(_trace_record(name, seg, start, now))
                self.log.add(call)
        self.log.process_end_s[name] = now
        flight.step = len(flight.steps)
        flight.ready = False
        self._chunks_done(flight, now)
        self._finish(flight, now)

    def _advance(self, batch: list[InFlight], at: float | None = None) -> bool:
        """Move every stepped utterance on (its step ended at `at`, default now); True when one finished."""
        finished = False
        for flight in batch:
            flight.step += 1
            self._chunks_done(flight, at)
            finished = self._moved_on(flight, at) or finished
        return finished

    def _moved_on(self, flight: InFlight, at: float | None) -> bool:
        """After `flight`'s steps moved on: finish it (True), requeue it if its next step's frame is encoded, or leave
        it waiting for the encoder."""
        if flight.step == len(flight.steps):
            flight.ready = False
            if self.fixed_batches:  # its beam's rows stay in a padded batch until the batch ends
                beam = flight.utt.schedule.beam
                pred, joint, hyps = self.padding
                self.padding = (pred + beam, joint + beam, hyps)
            self._finish(flight, at)
            return True
        if flight.steps[flight.step].frame < flight.encoded_frames:
            heapq.heappush(self.ready, (flight.seq, flight))
        else:
            flight.ready = False
        return False

    def _hmm_worker(self) -> Iterable[simpy.Event]:
        """Hybrid models: the host searches each chunk's new encoder frames as it is encoded, in order."""
        env, costs, name, pending = self.env, self.costs, self.names["hmm_search"], self.hmm_pending
        while True:
            if not pending:
                yield from self._idle("hmm_search")
                continue
            flight = pending.popleft()
            available = flight.utt.chunks[flight.next_chunk].encoder_frames
            frames = available - flight.searched_frames
            start = env.now
            yield from self._run(name, self._call(("hmm", frames), lambda: costs.hmm_search(frames)))
            self.log.batches.append(BatchRecord(self.index, "hmm_search", 1, frames, start, env.now))
            flight.searched_frames = available
            self.log.chunks.append(ChunkRecord(flight.utt.uid, flight.next_chunk,
                                               flight.utt.chunks[flight.next_chunk].arrival_s,
                                               env.now))
            flight.next_chunk += 1
            if flight.next_chunk == len(flight.utt.chunks):
                self._finish(flight)
                self.try_admit()

    def _finish(self, flight: InFlight, at: float | None = None) -> None:
        u = flight.utt
        self.live -= 1
        self.engine.utterance_finished()
        self.log.utterances.append(UtteranceRecord(u.uid, u.stream, self.index, u.arrival_s, u.chunks[0].arrival_s,
                                                   u.end_of_speech_s, flight.admitted_s,
                                                   self.env.now if at is None else at, u.audio_s, len(flight.steps)))


_new_object, _set_attribute = object.__new__, object.__setattr__
def _trace_record(process: str, seg: Segment, start: float, end: float) -> TraceRecord:
    """TraceRecord(process, seg.component, seg.label, seg.resource, start, end, seg) at a third of the cost of the
    frozen dataclass's __init__ (the shortcut builds one per segment of a long decode)."""
    record = _new_object(TraceRecord)
    _set_attribute(record, "__dict__", {"process": process, "component": seg.component, "op": seg.label,
                                        "resource": seg.resource, "start_s": start, "end_s": end, "segment": seg})
    return record
