"""The SimPy engine: an encoder process (whole utterance or streaming chunks) and a decoder process
(prediction -> joint -> transfer -> CPU search per step) sharing the device's resources.

Overlap: the encoder of later chunks runs while the decoder works on earlier frames, each on whatever
resources its segments name. With `overlap=False` every segment also takes one global lock, so nothing runs
concurrently and the total equals the sum of all segment durations.

Speed: once the encoder has finished (for a whole utterance: from the decoder's second step on) the
decoder is alone, and its remaining steps are added up without SimPy events (`Engine._decode_alone`), giving
the same trace, waits, event count and times to the bit (tests/unit/sim/test_engine.py compares both paths).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import simpy

from hwsim.sim.costs import CallCosts, Segment
from hwsim.sim.schedule import DecodeSchedule, DecodeStep


@dataclass(frozen=True)
class TraceRecord:
    process: str
    component: str
    op: str
    resource: str
    start_s: float
    end_s: float
    segment: Segment | None = field(default=None, repr=False, compare=False)  # the work done (ops detail), for traces


@dataclass(frozen=True)
class WaitRecord:
    """Time a process spent not working: waiting for encoded frames ('dependency') or a busy resource."""

    process: str
    reason: str       # 'frames' or 'resource:<name>'
    start_s: float
    end_s: float


@dataclass
class EngineRun:
    total_s: float
    trace: list[TraceRecord] = field(default_factory=list)
    waits: list[WaitRecord] = field(default_factory=list)
    events: int = 0
    process_end_s: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RunShape:
    """How the utterance is processed.

    Attributes:
        frames: input frames of the utterance.
        frame_divisor: input frames per encoder frame (sub-sampling).
        chunk_frames: input frames per encoder chunk (streaming); None = whole utterance at once.
        lookahead_frames: input frames of right context a chunk is encoded with (chunked attention with
            look-ahead): each chunk encodes its own frames plus up to this many following ones, which the
            next chunk encodes again. Ignored for the whole utterance.
    """

    frames: int
    frame_divisor: int
    chunk_frames: int | None = None
    lookahead_frames: int = 0

    @property
    def encoder_frames(self) -> int:
        return math.ceil(self.frames / self.frame_divisor)

    def chunks(self) -> list[tuple[int, int]]:
        """[(input frames the chunk encodes, incl. look-ahead; encoder frames available after it)]."""
        size = self.chunk_frames or self.frames
        lookahead = self.lookahead_frames if self.chunk_frames is not None else 0
        out, done = [], 0
        while done < self.frames:
            take = min(size, self.frames - done)
            done += take
            out.append((take + min(lookahead, self.frames - done),
                        min(math.ceil(done / self.frame_divisor), self.encoder_frames)))
        return out


class Engine:
    """One simulated utterance on a set of resources."""

    def __init__(self, capacities: dict[str, int], overlap: bool = True, shortcut: bool = True):
        """`shortcut`: run the decoder's steps without SimPy once it is alone (`_decode_alone`); the same
        results either way, False only to check exactly that."""
        self.env = simpy.Environment()
        self.shortcut = shortcut
        self.resources = {name: simpy.Resource(self.env, capacity) for name, capacity in capacities.items()}
        self.serial = None if overlap else simpy.Resource(self.env, 1)
        self.run_data = EngineRun(0.0)
        self.encoded_frames = 0
        self._frames_event = self.env.event()
        self._alone_end_s = 0.0  # where the decoder finished once it ran alone (SimPy's clock stops earlier)

    def _hold(self, process: str, segment: Segment) -> Iterable[simpy.Event]:
        if segment.duration_s <= 0:
            return
        resource = self.resources[segment.resource]
        lock = self.serial.request() if self.serial is not None else None
        request = resource.request()
        asked = self.env.now
        yield (request & lock) if lock is not None else request
        if self.env.now > asked:
            self.run_data.waits.append(WaitRecord(process, f"resource:{segment.resource}", asked, self.env.now))
        start = self.env.now
        yield self.env.timeout(segment.duration_s)
        resource.release(request)
        if lock is not None:
            self.serial.release(lock)
        self.run_data.trace.append(TraceRecord(process, segment.component, segment.label, segment.resource,
                                               start, self.env.now, segment))
        self.run_data.events += 3

    def _run_segments(self, process: str, segments: Sequence[Segment]) -> Iterable[simpy.Event]:
        for segment in segments:
            yield from self._hold(process, segment)

    def _publish_frames(self, available: int) -> None:
        self.encoded_frames = available
        event, self._frames_event = self._frames_event, self.env.event()
        event.succeed()

    def _wait_for_frame(self, process: str, frame: int) -> Iterable[simpy.Event]:
        start = self.env.now
        while self.encoded_frames <= frame:
            yield self._frames_event
        if self.env.now > start:
            self.run_data.waits.append(WaitRecord(process, "frames", start, self.env.now))

    def encoder_process(self, costs: CallCosts, shape: RunShape) -> Iterable[simpy.Event]:
        for chunk_frames, available in shape.chunks():
            exclusive = shape.chunk_frames is None  # whole utterance: the decoder waits for every frame
            yield from self._run_segments("encoder", costs.encoder(chunk_frames, exclusive))
            self._publish_frames(available)
        self.run_data.process_end_s["encoder"] = self.env.now

    def decoder_process(self, costs: CallCosts, schedule: DecodeSchedule) -> Iterable[simpy.Event]:
        steps = schedule.steps
        last_frame = max((step.frame for step in steps), default=-1)
        for index, step in enumerate(steps):
            if self.shortcut and "encoder" in self.run_data.process_end_s and last_frame < self.encoded_frames:
                self.run_data.process_end_s["decoder"] = self._decode_alone(costs, steps[index:])
                return
            yield from self._wait_for_frame("decoder", step.frame)
            yield from self._run_segments("decoder", _step_segments(costs, step))
        self.run_data.process_end_s["decoder"] = self.env.now

    def _decode_alone(self, costs: CallCosts, steps: Sequence[DecodeStep]) -> float:
        """The decoder's remaining steps once the encoder has finished and every frame is encoded: nothing else
        can hold a resource, so each segment starts as the previous one ends (no waits) and SimPy's events
        would only add up the durations. Add them up directly, in SimPy's order (`now + duration`), with the
        same trace records and event count; returns the decoder's end time."""
        now, trace, events = self.env.now, self.run_data.trace, 0
        by_shape: dict[tuple[int, int, int], list[tuple[float, dict[str, object]]]] = {}
        for step in steps:
            shape = (step.prediction_rows, step.joint_rows, step.hyps)
            segments = by_shape.get(shape)
            if segments is None:
                segments = by_shape[shape] = [(segment.duration_s, _record_fields("decoder", segment))
                                              for segment in self._working(_step_segments(costs, step))]
            for duration_s, template in segments:
                fields = template.copy()
                fields["start_s"], now = now, now + duration_s
                fields["end_s"] = now
                record = _new_object(TraceRecord)
                _set_attribute(record, "__dict__", fields)  # = TraceRecord(**fields), at a third of the cost
                trace.append(record)
            events += 3 * len(segments)
        self.run_data.events += events
        self._alone_end_s = now
        return now

    def _working(self, segments: Iterable[Segment]) -> tuple[Segment, ...]:
        """The segments that take time (as `_hold` skips the rest), each on a resource this engine has."""
        working = tuple(segment for segment in segments if segment.duration_s > 0)
        for segment in working:
            self.resources[segment.resource]  # an unknown resource fails here as it would in _hold
        return working

    def hmm_process(self, costs: CallCosts, shape: RunShape) -> Iterable[simpy.Event]:
        searched = 0
        for _, available in shape.chunks():
            yield from self._wait_for_frame("hmm_search", available - 1)
            yield from self._run_segments("hmm_search", costs.hmm_search(available - searched))
            searched = available
        self.run_data.process_end_s["hmm_search"] = self.env.now

    def run(self, costs: CallCosts, shape: RunShape, schedule: DecodeSchedule | None) -> EngineRun:
        """Simulate one utterance: RNN-T when a decode schedule is given, else a hybrid model's HMM search."""
        self.env.process(self.encoder_process(costs, shape))
        if schedule is not None:
            self.env.process(self.decoder_process(costs, schedule))
        else:
            self.env.process(self.hmm_process(costs, shape))
        self.env.run()
        self.run_data.total_s = max(self.env.now, self._alone_end_s)
        return self.run_data


def _step_segments(costs: CallCosts, step: DecodeStep) -> list[Segment]:
    """One decode step's work in order: prediction (when it has rows), joint, transfer, search."""
    segments = list(costs.prediction(step.prediction_rows)) if step.prediction_rows else []
    return segments + [*costs.joint(step.joint_rows), *costs.transfer(step.joint_rows), *costs.search(step.hyps)]


_new_object, _set_attribute = object.__new__, object.__setattr__


def _record_fields(process: str, segment: Segment) -> dict[str, object]:
    """A TraceRecord's fields for `segment`, in field order (start and end to be filled in): the decoder run
    alone builds its many records from these instead of through the frozen dataclass's __init__."""
    return dict(TraceRecord(process, segment.component, segment.label, segment.resource, 0.0, 0.0, segment).__dict__)
