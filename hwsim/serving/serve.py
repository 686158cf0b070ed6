"""One serving point, end to end: request -> load (utterances with decode schedules) -> chip memory -> engine ->
summary (the `hwsim serve --json` keys) and per-utterance / per-batch / per-chunk tables."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import partial
from typing import Callable

import numpy as np
import pandas as pd

from hwsim.errors import SpecError
from hwsim.io.limits import active_limits, check_at_most, check_decode_limits, max_decode_frames
from hwsim.serving.load import Framing, Lengths, offline_load, server_load, streaming_load
from hwsim.serving.memory import ChipMemory, chip_memory, require_fits
from hwsim.serving.order import Order, arrange
from hwsim.serving.schedules import SchedulePool
from hwsim.sim.chip import BATCH_KINDS
from hwsim.sim.entities import Utterance
from hwsim.sim.fleet import ServingConfig, ServingEngine, ServingRun
from hwsim.sim.policies import Batching, Padding
from hwsim.sim.records import TraceRecord
from hwsim.pipeline.point import PreparedPoint, RunRequest, prepare_point

HOURS = 1000.0
S_PER_HOUR = 3600.0
PERCENTILES = {"p50": 50, "p90": 90, "p99": 99}
SCHEDULES_PHASE, SIMULATED_PHASE = "decode schedules", "utterances"
ServeProgress = Callable[[str, int, "int | None"], None]  # (phase, done, total; None: not known in advance)


class Scenario(str, Enum):
    OFFLINE = "offline"      # all utterances ready at t=0
    SERVER = "server"        # Poisson arrivals of whole utterances
    STREAMING = "streaming"  # real-time streams, audio arriving chunk by chunk


@dataclass(frozen=True)
class ServeRequest:
    """One serving point. `base` carries simulate's decoding, mapping and override settings (its frames are unused:
    utterance lengths come from `lengths`; decode schedules from a pool per length seeded by base.seed:
    hwsim.serving.schedules)."""

    base: RunRequest
    scenario: Scenario = Scenario.OFFLINE
    utterances: int = 100
    rate_per_s: float = 1.0
    streams: int = 1
    duration_s: float = 60.0
    chunk_s: float = 0.64
    lengths: Lengths = field(default_factory=Lengths)
    batching: Batching = Batching.CONTINUOUS
    max_batch: int = 32
    max_wait_s: float = 0.01
    chips: int = 1
    trace_limit: int = 0
    order: Order | None = None        # None: sorted offline, arrival otherwise (hwsim.serving.order)
    padding: Padding = Padding.PADDED

    def __post_init__(self) -> None:
        checks = (("--utterances", self.utterances, 1), ("--streams", self.streams, 1),
                  ("--max-batch", self.max_batch, 1), ("--chips", self.chips, 1))
        for flag, value, low in checks:
            if not isinstance(value, int) or value < low:
                raise SpecError(None, flag, f"expected an integer >= {low}", value)
        for flag, value in (("--rate", self.rate_per_s), ("--duration-s", self.duration_s),
                            ("--chunk-s", self.chunk_s)):
            if not (value > 0 and math.isfinite(value)):
                raise SpecError(None, flag, "expected a number > 0", value)
        if not (self.max_wait_s >= 0 and math.isfinite(self.max_wait_s)):
            raise SpecError(None, "--max-wait-s", "expected a number >= 0", self.max_wait_s)
        if self.scenario is not Scenario.OFFLINE and self.order not in (None, Order.ARRIVAL):
            raise SpecError(None, "--order", f"expected arrival for --scenario {self.scenario.value} (requests are "
                            "served as they arrive; sorted and bucketed reorder an offline run)", self.order.value)

    @property
    def queue_order(self) -> Order:
        """The order utterances queue in: --order, else sorted offline (see hwsim.serving.order) and arrival."""
        if self.order is not None:
            return self.order
        return Order.SORTED if self.scenario is Scenario.OFFLINE else Order.ARRIVAL

    def with_load(self, load: float) -> "ServeRequest":
        """The same point at another load: a rate (server) or a stream count (streaming)."""
        if self.scenario is Scenario.STREAMING:
            return replace(self, streams=int(load))
        return replace(self, rate_per_s=float(load))

    @property
    def load(self) -> float:
        return self.streams if self.scenario is Scenario.STREAMING else self.rate_per_s


@dataclass
class ServeResult:
    request: ServeRequest
    summary: dict[str, object]
    utterances: pd.DataFrame
    batches: pd.DataFrame
    chunks: pd.DataFrame
    trace: list[TraceRecord]
    memory: ChipMemory


def chunk_frames_for(chunk_s: float, step_s: float) -> int:
    """--chunk-s in whole input frames; below one frame is refused (it was rounded up to one without a word)."""
    frames = round(chunk_s / step_s)
    if frames < 1:
        raise SpecError(None, "--chunk-s", f"expected at least one input frame ({step_s:g} s for this workload)",
                        chunk_s)
    return frames


def max_symbols(request: ServeRequest, prepared: PreparedPoint) -> int:
    """The per-frame label cap the run's searches use: --max-symbols, else the workload's decoding block."""
    return request.base.max_symbols or prepared.model.workload_spec.decoding.max_symbols_per_frame


def framing_for(request: ServeRequest, prepared: PreparedPoint) -> Framing:
    """Frame step and divisor, the streaming chunk, and the longest utterance (input frames) the limits allow."""
    graph = prepared.model.graph
    chunk = request.base.chunk_frames
    if request.scenario is Scenario.STREAMING and chunk is None:
        chunk = chunk_frames_for(request.chunk_s, graph.input_frame_step_s)
    longest = max_decode_frames(request.base.beam, max_symbols(request, prepared)) * graph.encoder_frame_divisor
    return Framing(graph.input_frame_step_s, graph.encoder_frame_divisor, chunk, longest)


def build_load(request: ServeRequest, prepared: PreparedPoint, framing: Framing,
               schedules: dict | None = None, on_schedule: Callable[[int], None] | None = None,
               pool: SchedulePool | None = None) -> list[Utterance]:
    """Utterances with their decode schedules, drawn from a seeded pool per length (hwsim.serving.schedules).
    `schedules`: a memo of decode schedules by their inputs (capacity probes share it: utterance i has the same
    length and pool slot at every load, and a schedule does not depend on precision or device, so each is searched
    once). `pool`: one to draw from instead (it counts its searches). `on_schedule(uid)`: called after each
    utterance's schedule (a progress bar)."""
    pool = SchedulePool(prepared, request.base, schedules) if pool is None else pool
    seed = request.base.seed

    def schedule_for(frames: int, uid: int):
        schedule = pool.schedule(frames, uid)
        if on_schedule is not None:
            on_schedule(uid)
        return schedule

    if request.scenario is Scenario.OFFLINE:
        return offline_load(request.utterances, request.lengths, framing, schedule_for, seed)
    if request.scenario is Scenario.SERVER:
        return server_load(request.rate_per_s, request.duration_s, request.lengths, framing, schedule_for, seed)
    return streaming_load(request.streams, request.duration_s, request.lengths, framing, schedule_for, seed)


def expected_load(request: ServeRequest) -> tuple[float, float, str]:
    """(utterances, seconds of audio) the request will simulate, expected before drawing anything, and the flags
    that set them: offline the count x the mean length, server rate x duration, streaming each stream speaking
    from its start to past --duration-s (one more utterance than fits)."""
    mean_s = request.lengths.mean_table_s or request.lengths.mean_s
    if request.scenario is Scenario.OFFLINE:
        return request.utterances, request.utterances * mean_s, "--utterances"
    if request.scenario is Scenario.SERVER:
        count = request.rate_per_s * request.duration_s
        return count, count * mean_s, "--rate x --duration-s"
    per_stream = request.duration_s / mean_s + 1.0
    return request.streams * per_stream, request.streams * (request.duration_s + mean_s), "--streams x --duration-s"


def check_serve_limits(request: ServeRequest, framing: Framing | None = None, symbols: int | None = None) -> None:
    """Every serving size under the run-size limits before anything is drawn or simulated (hwsim.io.limits)."""
    limits = active_limits()
    check_at_most("--chips", request.chips, limits.chips, "chips")
    check_at_most("--streams", request.streams, limits.streams, "streams")
    check_at_most("--utterance-s", request.lengths.mean_s, limits.audio_s, "seconds per utterance, as --audio-s")
    count, audio_s, flags = expected_load(request)
    check_at_most(flags, round(count), limits.utterances, "utterances")
    check_at_most(f"{flags} x the mean utterance length", round(audio_s), limits.serve_audio_s, "seconds of audio")
    if framing is not None and request.lengths.table_s and min(request.lengths.table_s) < framing.input_frame_step_s / 2:
        raise SpecError(None, "--lengths", f"expected durations of at least one input frame "
                        f"({framing.input_frame_step_s:g} s for this workload; the shortest row)",
                        min(request.lengths.table_s))
    if framing is not None:
        longest_s = max(request.lengths.table_s) if request.lengths.table_s else request.lengths.mean_s
        frames = max(1, round(longest_s / framing.input_frame_step_s))
        flag = "--lengths" if request.lengths.table_s else "--utterance-s"
        check_decode_limits(None, frames, request.base.beam, symbols or 1,
                            (f"{flag}'s longest utterance in input frames", "--beam", "--max-symbols"))


def load_cap(request: ServeRequest) -> float:
    """The largest load (rate or streams) a capacity search may probe within the limits."""
    limits = active_limits()
    count, audio_s, _ = expected_load(request.with_load(1.0))
    return min(limits.utterances / count, limits.serve_audio_s / audio_s,
               limits.streams if request.scenario is Scenario.STREAMING else math.inf)


def check_servable(prepared: PreparedPoint, request: ServeRequest) -> None:
    if not prepared.model.graph.has_decoder:
        raise SpecError(None, "WORKLOAD", "an RNN-T workload (hwsim serve does not model hybrid HMM decoders)",
                        request.base.workload)


def serve(request: ServeRequest, prepared: PreparedPoint | None = None, schedules: dict | None = None,
          on_progress: ServeProgress | None = None) -> ServeResult:
    """`schedules`: see build_load (it must belong to `prepared`). `on_progress(phase, done, total)`: a progress
    bar's feed, first per decode schedule drawn (SCHEDULES_PHASE; total known offline only), then as utterances
    finish (SIMULATED_PHASE; at most hwsim.sim.fleet.PROGRESS_STEPS times a run)."""
    prepared = prepared or prepare_point(request.base)
    check_servable(prepared, request)
    framing = framing_for(request, prepared)
    check_serve_limits(request, framing, max_symbols(request, prepared))
    total = request.utterances if request.scenario is Scenario.OFFLINE else None
    drawn = None if on_progress is None else (lambda uid: on_progress(SCHEDULES_PHASE, uid + 1, total))
    utterances = build_load(request, prepared, framing, schedules, drawn)
    if not utterances:
        raise SpecError(None, "--rate", f"a rate that brings at least one utterance within --duration-s "
                        f"{request.duration_s}", request.rate_per_s)
    longest = max(sum(c.input_frames for c in u.chunks) for u in utterances)
    memory = chip_memory(prepared.model.graph, prepared.model.plan, prepared.sizes, prepared.device, longest,
                         framing.chunk_frames, request.base.beam)
    require_fits(memory, prepared.device)
    batch = memory.batch_cap(request.max_batch)
    streaming = request.scenario is Scenario.STREAMING
    utterances = arrange(utterances, request.queue_order, batch, request.base.seed)
    # continuous batching keeps every utterance live whose state fits in memory; a step takes up to `batch`
    live_cap = max(batch, memory.max_live(batch))
    # streams: a chunk's recurrent encoder steps as one segment per resource (event count, not busy time)
    config = ServingConfig(request.batching, batch, request.max_wait_s, request.chips, request.base.overlap,
                           request.trace_limit, live_cap, coarse_encoder=streaming, padding=request.padding)
    finished = None if on_progress is None else partial(on_progress, SIMULATED_PHASE)
    run = ServingEngine(prepared.costs, config, on_progress=finished).run(utterances)
    return _result(request, prepared, run, memory, batch)


def percentiles(values: np.ndarray) -> dict[str, float]:
    """p50/p90/p99 (linear interpolation between order statistics, numpy's default) and max."""
    if len(values) == 0:
        return {**{k: float("nan") for k in PERCENTILES}, "max": float("nan")}
    out = {k: float(np.percentile(values, q)) for k, q in PERCENTILES.items()}
    out["max"] = float(np.max(values))
    return out


def _frames(run: ServingRun) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    utts = pd.DataFrame([{**r.__dict__, "latency_s": r.latency_s, "queue_s": r.queue_s, "service_s": r.service_s}
                         for log in run.chips for r in log.utterances])
    utts = utts.sort_values("uid", kind="stable").reset_index(drop=True)
    columns = [log.batch_columns(index) for index, log in enumerate(run.chips)]
    batches = pd.DataFrame({name: np.concatenate([c[name] for c in columns])
                            for name in ("chip", "kind", "size", "rows", "start_s", "end_s", "padding_rows")})
    batches["kind"] = pd.Categorical.from_codes(batches["kind"], BATCH_KINDS)
    chunks = pd.DataFrame([c.__dict__ for log in run.chips for c in log.chunks],
                          columns=["uid", "chunk", "arrival_s", "done_s"])
    chunks["latency_s"] = chunks.done_s - chunks.arrival_s
    return utts, batches, chunks


def padding_waste(batches: pd.DataFrame) -> dict[str, float]:
    """Per kind of call, the fraction of the work charged that was padding (encoder frames, decoder joint rows)."""
    waste = {}
    for kind in ("encoder", "decoder"):
        calls = batches[batches.kind == kind]
        rows = float(calls["rows"].sum())
        waste[kind] = float(calls["padding_rows"].sum()) / rows if rows else 0.0
    return waste


def _sum_over_chips(per_chip: list[dict[str, float]]) -> dict[str, float]:
    total: dict[str, float] = {}
    for seconds_by_name in per_chip:
        for name, seconds in seconds_by_name.items():
            total[name] = total.get(name, 0.0) + seconds
    return total


def _result(request: ServeRequest, prepared: PreparedPoint, run: ServingRun, memory: ChipMemory,
            batch: int) -> ServeResult:
    utts, batches, chunks = _frames(run)
    span = run.makespan_s - float(utts.arrival_s.min())
    audio_s = float(utts.audio_s.sum())
    rtfx = audio_s / span if span > 0 else float("inf")
    busy = _sum_over_chips([log.busy_s for log in run.chips])
    device = prepared.device
    chip_hours_per_audio_hour = request.chips / rtfx
    decoder = batches[batches.kind == "decoder"]["size"]
    encoder = batches[batches.kind == "encoder"]["size"]
    summary: dict[str, object] = {
        "scenario": request.scenario.value, "workload": request.base.workload, "precision": request.base.precision,
        "device": request.base.device, "beam": request.base.beam, "algorithm": request.base.algorithm.value,
        "batching": request.batching.value, "load": request.load, "utterances": len(utts),
        "audio_s": audio_s, "makespan_s": span,
        "throughput_utt_per_s": len(utts) / span if span > 0 else float("inf"),
        "rtfx": rtfx,
        "latency_s": percentiles(utts.latency_s.to_numpy()),
        "queue_s": percentiles(utts.queue_s.to_numpy()),
        "service_s": percentiles(utts.service_s.to_numpy()),
        "mean_in_system": run.occupancy_s / span if span > 0 else 0.0,
        "order": request.queue_order.value, "padding": request.padding.value,
        "padding_waste": padding_waste(batches),
        "utilization": {name: seconds / (request.chips * span) for name, seconds in busy.items()},
        "components_busy_s": _sum_over_chips([log.components_s for log in run.chips]),
        "batch": {"mean": float(decoder.mean()), "max": int(decoder.max()),
                  "encoder_mean": float(encoder.mean()), "encoder_max": int(encoder.max())},
        "memory": memory.to_dict(batch, request.max_batch),
        "chips": request.chips,
        "cost_per_1000h_usd": HOURS * chip_hours_per_audio_hour * device.price_per_hour_usd
        if device.price_per_hour_usd else None,
        "events": run.events,
    }
    if device.power_w:
        summary["energy_per_hour_audio_j"] = chip_hours_per_audio_hour * device.power_w * S_PER_HOUR
    if request.scenario is Scenario.STREAMING:
        summary["streams"] = request.streams
        summary["chunk_latency_s"] = percentiles(chunks.latency_s.to_numpy())
    trace = [t for log in run.chips for t in log.trace]
    return ServeResult(request, summary, utts, batches, chunks, trace, memory)


@dataclass(frozen=True)
class TraceWindow:
    """What `serve --trace` writes: the run from its start until the first `utterances` finished (or until a chip's
    trace ran out of segments, if earlier): the batches started, the chunks of the utterances finished and the trace
    segments started before `until_s`."""

    until_s: float
    utterances: int
    batches: pd.DataFrame
    chunks: pd.DataFrame
    trace: list[TraceRecord]
    segments_capped: bool

    def describe(self) -> dict[str, object]:
        """The summary's `trace` key: how much of the run the trace files hold."""
        return {"utterances": self.utterances, "until_s": self.until_s, "batches": len(self.batches),
                "segments": len(self.trace), "segments_capped": self.segments_capped}


def trace_window(result: ServeResult, utterances: int) -> TraceWindow:
    """Cut the per-batch, per-chunk and trace records to the time the first `utterances` finished."""
    done = np.sort(result.utterances.done_s.to_numpy())
    until = float(done[min(utterances, len(done)) - 1])
    limit = result.request.trace_limit
    per_chip: dict[str, list[TraceRecord]] = {}
    for record in result.trace:
        per_chip.setdefault(record.resource.split("/", 1)[0], []).append(record)
    ends = [max(r.end_s for r in records) for records in per_chip.values() if limit and len(records) >= limit]
    capped = bool(ends) and min(ends) < until
    until = min([until, *ends])
    finished = result.utterances[result.utterances.done_s <= until]
    return TraceWindow(until, len(finished), result.batches[result.batches.start_s < until].reset_index(drop=True),
                       result.chunks[result.chunks.uid.isin(finished.uid)].reset_index(drop=True),
                       [r for r in result.trace if r.start_s < until], capped)
