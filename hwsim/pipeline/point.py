"""One simulated utterance, end to end: specs -> graph + plan -> device costs -> decode schedule -> SimPy engine.

This module is the glue: `hwsim.cost` never imports simpy and `hwsim.sim` never reads specs or computes a cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hwsim.cost.calls import DeviceCallCosts, call_latency_totals, computed_precisions
from hwsim.cost.hardware import Device, load_device, load_host, with_cuda_graphs
from hwsim.cost.footprint import Footprint, peak_footprint
from hwsim.cost.host import HostModel
from hwsim.cost.ops import CostContext
from hwsim.cost.options import RunOptions
from hwsim.cost.residency import plan_residency, tensor_bytes
from hwsim.errors import SpecError
from hwsim.io.limits import check_decode_limits
from hwsim.io.paths import display_path
from hwsim.decode.simulated import Algorithm, build_schedule
from hwsim.decode.synthetic import EmissionParams
from hwsim.specs.workload import min_top_prob
from hwsim.sim.entities import RunShape
from hwsim.sim.utterance import run_utterance
from hwsim.sim.results import SimResult, summarize
from hwsim.decode.schedule import DecodeSchedule
from hwsim.size.account import SizeReport, account_size
from hwsim.precision.resolved import ResolvedModel, resolve_model

RESOURCES = ("matrix", "vector", "memory", "cpu", "link")


@dataclass(frozen=True)
class RunRequest:
    """Everything that defines one simulated point (the resolved form is written next to outputs)."""

    workload: str
    precision: str
    device: str
    frames: int
    beam: int = 1
    algorithm: Algorithm = Algorithm.TSD
    host: str | None = None
    chunk_frames: int | None = None
    overlap: bool = True
    cache: bool = True
    seed: int = 0
    max_symbols: int | None = None
    label_rate: float | None = None
    top_prob: float | None = None
    repeat_prob: float | None = None
    overrides: tuple[str, ...] = ()
    device_overrides: tuple[str, ...] = ()
    precision_overrides: tuple[str, ...] = ()
    meta_dtype: str | None = None
    options: RunOptions = field(default_factory=RunOptions)

    def __post_init__(self) -> None:
        if self.frames < 1:
            raise SpecError(None, "--frames", "expected an integer >= 1", self.frames)
        if self.beam < 1:
            raise SpecError(None, "--beam", "expected an integer >= 1", self.beam)
        if self.algorithm is Algorithm.GREEDY and self.beam != 1:
            raise SpecError(None, "--beam", "expected 1 with --algorithm greedy", self.beam)
        if self.max_symbols is not None and self.max_symbols < 1:
            raise SpecError(None, "--max-symbols", "expected an integer >= 1 (labels per frame)", self.max_symbols)
        if self.chunk_frames is not None and self.chunk_frames < 1:
            raise SpecError(None, "--chunk-frames", "expected an integer >= 1", self.chunk_frames)


@dataclass
class PreparedPoint:
    """Costs resolved once and reused across points that differ only in beam, frames or seed."""

    model: ResolvedModel
    device: Device
    sizes: SizeReport
    costs: DeviceCallCosts
    options: RunOptions | None = None  # the request's options with the device's defaults filled in

    def run_choices(self) -> dict[str, object]:
        """What the numbers assume: matmul precision, search and fusion placement, and the pair each component
        actually computes in (printed by simulate/cost/sweep and in their JSON)."""
        options = self.options or self.costs.ctx.options
        return {"matmul_precision": options.matmul_precision.value, "search_on": options.search_on.value,
                "elementwise_fusion": options.fusion.value, "computed_as": computed_precisions(self.costs),
                **({"compute_as": options.compute_as} if options.compute_as else {}),
                **({"cuda_graphs": self.device.gpu.cuda_graphs, "kernel_launch_s": self.device.gpu.per_kernel_s}
                   if self.device.gpu else {})}


@dataclass(frozen=True)
class SimulationResult:
    request: RunRequest
    result: SimResult
    schedule: DecodeSchedule | None
    footprint: Footprint
    warnings: tuple[str, ...]
    choices: dict[str, object] = field(default_factory=dict)
    lookahead_latency_s: float = 0.0  # a chunked encoder's right context: audio each chunk waits for

    def to_dict(self) -> dict[str, object]:
        data = self.result.to_dict()
        data.update({"workload": self.request.workload, "precision": self.request.precision,
                     "device": self.request.device, "frames": self.request.frames, "beam": self.request.beam,
                     "algorithm": self.request.algorithm.value, "memory": self.footprint.to_dict(),
                     "lookahead_latency_s": self.lookahead_latency_s,
                     "warnings": list(self.warnings), **self.choices})
        return data


def prepare_point(request: RunRequest) -> PreparedPoint:
    model = resolve_model(request.workload, request.precision, list(request.overrides), request.meta_dtype,
                          list(request.precision_overrides))
    device = load_device(request.device, request.device_overrides)
    if request.options.cuda_graphs is not None:  # GPU launch mode (hwsim.cost.gpu_launch)
        device = with_cuda_graphs(device, request.options.cuda_graphs)
    host_cpu = load_host(device, request.host)
    options = request.options.resolve(device)
    sizes = account_size(model.graph, model.plan)
    residency = plan_residency(model.graph, sizes, device, options.residency)
    ctx = CostContext(model.graph, model.plan, device, options, residency, tensor_bytes(sizes))
    host = HostModel(host_cpu, device.host_link, options, model.graph.vocab_size, request.algorithm.value) \
        if host_cpu else None
    costs = DeviceCallCosts(ctx, host, model.workload_spec.hmm_search)
    if host is None and (not options.search_on_accelerator or not model.graph.has_decoder):
        search = "beam search" if model.graph.has_decoder else "HMM search"
        raise SpecError(device.file, "default_host", f"a host CPU for the {search}; {device.name} names none: "
                        "give --host DEVICE (e.g. xeon_host) or --search-on accelerator")
    for op in model.graph.ops:  # surface unsupported precisions now, as one clean error, not mid-simulation
        costs.op_cost(op, 1)
    return PreparedPoint(model, device, sizes, costs, options)


def emission_params(prepared: PreparedPoint, request: RunRequest) -> EmissionParams:
    decoding = prepared.model.workload_spec.decoding
    lowest = min_top_prob(decoding.tail_ratio)
    if request.top_prob is not None and request.top_prob <= lowest:  # (1/3 with the default tail)
        raise SpecError(None, "--top-prob", f"a number above {lowest:.4g} (1 - 1 / (2 - the workload's tail_ratio "
                        f"{decoding.tail_ratio:g}))", request.top_prob)
    return EmissionParams.from_decoding(decoding, request.seed, request.label_rate, request.top_prob,
                                        request.repeat_prob)


def make_schedule(prepared: PreparedPoint, request: RunRequest) -> DecodeSchedule | None:
    if not prepared.model.graph.has_decoder:
        return None
    decoding = prepared.model.workload_spec.decoding
    frames = math.ceil(request.frames / prepared.model.graph.encoder_frame_divisor)
    symbols = request.max_symbols or decoding.max_symbols_per_frame
    check_decode_limits(None, frames, request.beam, symbols, ("encoder frames", "--beam", "--max-symbols"))
    return build_schedule(request.algorithm, frames, request.beam, emission_params(prepared, request), symbols,
                          vocab=prepared.model.graph.vocab_size, cache=request.cache)


def run_shape(prepared: PreparedPoint, request: RunRequest) -> RunShape:
    """How the encoder sees the utterance; streaming is refused for a bidirectional encoder, and a chunked
    conformer encodes its attention right context with every chunk (look-ahead compute)."""
    encoder, graph = prepared.model.workload_spec.encoder, prepared.model.graph
    lookahead = 0
    if request.chunk_frames is not None:
        if getattr(encoder, "bidirectional", False):
            raise SpecError(None, "--chunk-frames", f"a streaming encoder; {request.workload}'s is bidirectional "
                            "(encoder.bidirectional: true) and needs the whole utterance", request.chunk_frames)
        lookahead = getattr(encoder, "attention_right_context", 0) * graph.encoder_frame_divisor
    return RunShape(request.frames, graph.encoder_frame_divisor, request.chunk_frames, lookahead)


def lookahead_latency_s(prepared: PreparedPoint, request: RunRequest) -> float:
    """Algorithmic latency of a chunked encoder's right context: audio it waits for beyond each chunk."""
    shape = run_shape(prepared, request)
    return shape.lookahead_frames * prepared.model.graph.input_frame_step_s if request.chunk_frames else 0.0


def check_replay(schedule: DecodeSchedule, request: RunRequest) -> None:
    """A replayed trace must be of the beam and algorithm the run asks for (its counts depend on both)."""
    if schedule.beam != request.beam:
        raise SpecError(None, "--replay", f"a trace recorded with beam {request.beam} (as --beam gives)", schedule.beam)
    if schedule.algorithm != request.algorithm.value:
        raise SpecError(None, "--replay", f"a trace recorded with algorithm {request.algorithm.value!r} (as --algorithm "
                        "gives)", schedule.algorithm)


def simulate_point(request: RunRequest, prepared: PreparedPoint | None = None,
             schedule: DecodeSchedule | None = None) -> SimulationResult:
    """Simulate one utterance. A recorded `schedule` (replay) replaces the statistical emission model."""
    prepared = prepared or prepare_point(request)
    graph = prepared.model.graph
    shape = run_shape(prepared, request)
    if schedule is None:
        schedule = make_schedule(prepared, request)
    elif not graph.has_decoder:
        raise SpecError(None, "--replay", "an RNN-T workload (hybrid models have no decoder trace)")
    else:
        check_replay(schedule, request)
        if schedule.frames != math.ceil(request.frames / graph.encoder_frame_divisor):
            raise SpecError(None, "--replay", f"a trace of {math.ceil(request.frames / graph.encoder_frame_divisor)} "
                            "encoder frames (as --frames gives)", schedule.frames)
    capacities = {name: 1 for name in RESOURCES}
    run = run_utterance(prepared.costs, shape, schedule, request.overlap, capacities)
    audio_s = request.frames * graph.input_frame_step_s
    result = summarize(run, capacities, audio_s, schedule)
    footprint = peak_footprint(graph, prepared.model.plan, prepared.sizes, prepared.device, request.frames,
                               request.chunk_frames, request.beam)
    warnings = () if footprint.fits else (
        f"peak device memory {footprint.total_bytes / 1e9:.2f} GB exceeds {prepared.device.name}'s "
        f"{footprint.capacity_level} capacity {footprint.capacity_bytes / 1e9:.2f} GB",)
    calls = (schedule.prediction_calls, schedule.joint_calls) if schedule is not None else (0, 0)
    latency = call_latency_totals(prepared.costs, [frames for frames, _ in shape.chunks()], *calls)
    return SimulationResult(request, result, schedule, footprint, warnings,
                            choices={**prepared.run_choices(), "call_latency_s": latency},
                            lookahead_latency_s=lookahead_latency_s(prepared, request))


def resolved_config(request: RunRequest, prepared: PreparedPoint) -> dict[str, object]:
    config = prepared.model.resolved_config()
    config["device"] = {"name": prepared.device.name, "file": display_path(prepared.device.file)}
    config["run"] = {k: (v.value if hasattr(v, "value") else v) for k, v in request.__dict__.items()
                     if k != "options"}
    options = prepared.options or request.options
    config["run"]["options"] = {k: (v.value if hasattr(v, "value") else v) for k, v in options.__dict__.items()}
    return config
