"""DeviceSpec: the validated, still-in-YAML-units description of one accelerator or host.

Every figure is a sourced quantity, `{value: ..., source: "..."}`, `{value: ..., assumption: "why"}` or,
in files written by `hwsim calibrate`, `{value: ..., measured: "benchmark, shape, repeats, median"}`;
a bare number, a figure with none or with more than one is an error. Units are in key names (`_hz`, `_bytes`,
`_gb_per_s` = 1e9 bytes/s, `_s`, `_w`). Conversion to base units happens once, in `hwsim.cost.hardware`.

Layout of a device file (see devices/*.yaml):

    schema_version: 1
    name: ...
    matrix_engines: [ {name, kind?, cores, arrays_per_core, rows, cols, clock_hz, precisions: {WxA: ...},
                       tiling?} ]      kind tensor_core (GPU): cores = SMs, arrays_per_core = tensor cores per SM,
                                       tiling = {tile_m, tile_n, min_tile_m, tiles_per_sm, peak_fraction}
    vector_units:   [ {name, count, clock_hz, ops_per_cycle, formats} ]
    memory:         [ {name, capacity_bytes, bandwidth_gb_per_s?} ]
    host_cpu:       {cores, clock_hz, flops_per_cycle_per_core, memory_bandwidth_gb_per_s, search_step_overhead_s,
                     per_candidate_s, search_by_algorithm?, *_ops_per_element, sort_ops_per_compare,
                     scalar_ops_per_cycle} (optional)
    default_host:   {value: DEVICE, source: ...}: the host whose host_cpu runs the search      (optional)
    host_link:      {bandwidth_gb_per_s, latency_s}                                         (optional)
    power_w, price_per_hour_usd                                                              (optional)
    modelling:      {dataflow, weight_load, fill_drain, overhead_s, operand_memory, conversion_ops_per_element,
                     conversion_overlap, dispatch_latency_s, step_latency_s, elementwise_fusion, search_on,
                     fused_recurrence, runtime_calls?: {prediction, joint: {fixed_s, per_row_s}}}
    gpu:            {kernel_launch_s, graph_kernel_s?, graph_launch_s?, cuda_graphs?}  (required with tensor_core)
    calibration:    {machine: {fact: value}, measurements: [ {benchmark, dtype, shape, repeats, median_s,
                     work, work_unit, rate_per_s} ]}                                         (optional)

`calibration` holds the raw micro-benchmark table of a measured device (hwsim calibrate), so that a cost
model can later use shape-dependent efficiency (small-M GEMMs) instead of one peak figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, Field, field_validator, model_validator

from hwsim.formats import format_names, split_pair
from hwsim.errors import SpecError, did_you_mean
from hwsim.specs.base import SpecModel
from hwsim.specs.load import SCHEMA_VERSION, key_path, read_yaml, spec_error_from_validation

SOURCE_HELP = ("exactly one of 'source' (where the figure is published), 'assumption' (why this value is used) "
               "or 'measured' (which benchmark on this machine gave it)")


class _Spec(SpecModel):
    """Closed keys, frozen, finite numbers, no booleans for numbers (hwsim.specs.base)."""


class _Sourced(_Spec):
    """Provenance shared by every figure: a citation, a stated assumption or a measurement, exactly one."""

    source: str | None = Field(None, description="where the figure is published: a citation, with source IDs "
                                                 "from docs/sources.md and any derivation")
    assumption: str | None = Field(None, description="why this value is used when no published figure exists "
                                                     "(a modelling knob)")
    measured: str | None = Field(None, description="how hwsim calibrate measured the figure on this machine "
                                                   "(benchmark, shape, repeats, median)")

    @model_validator(mode="after")
    def _one_provenance(self) -> "_Sourced":
        given = [text for text in (self.source, self.assumption, self.measured) if text is not None]
        if len(given) != 1 or not given[0].strip():
            found = {0: "none", 1: "an empty one", 2: "two", 3: "all three"}[len(given)]
            raise ValueError(f"expected {SOURCE_HELP}, got {found}")
        return self


class PositiveQuantity(_Sourced):
    value: float = Field(gt=0, description="the figure, in the unit of the key holding it")


class NonNegativeQuantity(_Sourced):
    value: float = Field(ge=0, description="the figure, in the unit of the key holding it (0 allowed)")


class CountQuantity(_Sourced):
    value: int = Field(gt=0, description="the count, a whole number")


class DataflowChoice(_Sourced):
    value: Literal["ws", "os", "is"] = Field(description="ws = weight stationary, os = output stationary, "
                                                     "is = input stationary")


class WeightLoadChoice(_Sourced):
    value: Literal["overlapped", "stall"] = Field(description="overlapped = weights double-buffered behind the "
                                                          "previous fold; stall = the array waits for each load")


class FillDrainChoice(_Sourced):
    value: Literal["per_fold", "once"] = Field(description="per_fold = fill/drain skew on every fold; "
                                                       "once = once per GEMM")


class VectorOverheadChoice(_Sourced):
    value: Literal["per_op", "per_pass"] = Field(description="per_op = one overhead per element-wise op; "
                                                         "per_pass = one per pass over the data")


class NameChoice(_Sourced):
    value: str = Field(min_length=1, description="the name chosen (a memory level or a device)")


class OverlapChoice(_Sourced):
    value: Literal["concurrent", "serial"] = Field(description="concurrent = runs beside the matrix engine "
                                                           "(time is the max); serial = time is added")


class FusionChoice(_Sourced):
    value: Literal["none", "per_layer"] = Field(description="none = every element-wise op is its own pass; "
                                                        "per_layer = fused into its layer")


class PlacementChoice(_Sourced):
    value: Literal["host", "accelerator"] = Field(description="where the work runs: the host CPU or the "
                                                          "device itself")


def _default(kind: type[_Sourced], value: object, why: str, description: str | None = None) -> Any:
    """An optional figure's default, with its provenance, so resolved configs show where it came from."""
    return Field(default_factory=lambda: kind(value=value, assumption=f"default when the file gives none: {why}"),
                 description=description)


class BoolChoice(_Sourced):
    value: bool = Field(description="true or false")


class TilingSpec(_Spec):
    """How a GPU GEMM kernel tiles the output: one thread block computes tile_m x tile_n outputs on one SM.

    For a tensor_core engine, `cores` are the SMs and `arrays_per_core` the tensor cores per SM.
    """

    tile_m: CountQuantity = Field(description="thread-block tile rows (M) for large GEMMs")
    tile_n: CountQuantity = Field(description="thread-block tile columns (N)")
    min_tile_m: CountQuantity = Field(description="smallest M tile a kernel picks for small M (the MMA instruction's M)")
    tiles_per_sm: CountQuantity = Field(description="thread blocks resident on one SM at once")
    peak_fraction: PositiveQuantity = Field(description="achievable fraction of tensor-core peak in a large GEMM's "
                                                        "main loop (<= 1)")


class GpuSpec(_Spec):
    """Kernel-launch figures of a GPU: each kernel an eager framework launches costs `kernel_launch_s`; captured in a
    CUDA graph, a kernel costs `graph_kernel_s` and each graph launch (one network call) `graph_launch_s`."""

    kernel_launch_s: NonNegativeQuantity | None = Field(  # required for a device with tensor_core engines
        None, description="host time to launch one kernel eagerly, added to every op's overhead_s (required with "
                          "tensor_core engines)")
    graph_kernel_s: NonNegativeQuantity | None = Field(
        None, description="time per kernel replayed from a CUDA graph, added to every op's overhead_s instead "
                          "(required when cuda_graphs is true)")
    graph_launch_s: NonNegativeQuantity | None = Field(
        None, description="time of one CUDA graph launch, added once per network call to dispatch_latency_s "
                          "(required when cuda_graphs is true)")
    cuda_graphs: BoolChoice = Field(default_factory=lambda: BoolChoice(
        value=False, assumption="default when the file gives none: eager launches, as PyTorch without CUDA graphs"),
        description="launch kernels from CUDA graphs by default (--cuda-graphs overrides); false = eager launches")


class PrecisionSupportSpec(_Spec):
    """How one weight x activation pair runs on an engine: natively, emulated via another pair, or rejected."""

    support: Literal["native", "emulated", "rejected"] = Field(
        description="native = runs at ops_per_cycle; emulated = runs as the `via` pair, `slowdown` times slower; "
                    "rejected = an error naming `reason`")
    ops_per_cycle: PositiveQuantity | None = Field(default=None, description="per array; a MAC is 2 ops")
    via: str | None = Field(default=None, description="native pair that emulates this one")
    slowdown: PositiveQuantity | None = Field(default=None, description="time factor vs. the `via` pair")
    reason: str | None = Field(default=None, description="why the pair is rejected (with a citation)")

    @model_validator(mode="after")
    def _fields_match_support(self) -> "PrecisionSupportSpec":
        needed = {"native": {"ops_per_cycle"}, "emulated": {"via", "slowdown"}, "rejected": {"reason"}}[self.support]
        given = {name for name in ("ops_per_cycle", "via", "slowdown", "reason") if getattr(self, name) is not None}
        if given != needed:
            raise ValueError(f"expected support: {self.support} to give exactly {', '.join(sorted(needed))}, got {', '.join(sorted(given)) or 'none'}")
        return self


class MatrixEngineSpec(_Spec):
    """A group of identical systolic (or systolic-like) arrays: `cores` x `arrays_per_core` per chip."""

    name: str = Field(min_length=1, description="engine name, shown in reports and messages")
    kind: Literal["systolic", "tensor_core"] = Field(
        default="systolic", description="compute model of the engine (hwsim.cost.compute_model): systolic arrays, "
                                        "or GPU tensor cores (hwsim.cost.tensorcore, needs `tiling`)")
    cores: CountQuantity = Field(description="cores per chip that hold arrays (SMs for kind tensor_core)")
    arrays_per_core: CountQuantity = Field(description="matrix arrays per core (tensor cores per SM for kind "
                                                       "tensor_core)")
    rows: CountQuantity = Field(description="PE rows of one systolic array (1 for kind tensor_core)")
    cols: CountQuantity = Field(description="PE columns of one systolic array (1 for kind tensor_core)")
    clock_hz: PositiveQuantity = Field(description="array clock")
    precisions: dict[str, PrecisionSupportSpec] = Field(
        min_length=1, description="support of each WEIGHTxACTIVATION format pair (e.g. int8xint8) on this engine")
    tiling: TilingSpec | None = Field(default=None, description="GPU thread-block tiling (kind: tensor_core only)")

    @field_validator("precisions")
    @classmethod
    def _known_pairs(cls, precisions: dict[str, PrecisionSupportSpec]) -> dict[str, PrecisionSupportSpec]:
        for pair, entry in precisions.items():
            _check_pair(pair, "precision pair")
            if entry.via is not None:
                _check_pair(entry.via, f"{pair}.via")
                target = precisions.get(entry.via)
                if target is None or target.support != "native":
                    native = [p for p, e in precisions.items() if e.support == "native"]
                    raise ValueError(f"expected {pair}.via to name a native pair of this engine ({', '.join(native)}), got {entry.via!r}")
        return precisions


def _check_pair(pair: str, what: str) -> None:
    if split_pair(pair) is None:
        raise ValueError(f"expected {what} as WEIGHTxACTIVATION with formats from {', '.join(format_names())}, "
                         f"got {pair!r}{did_you_mean(pair, [f'{f}x{f}' for f in format_names()])}")


class VectorUnitSpec(_Spec):
    """Element-wise / special-function units (TPU VPU, RaPiD SFU) used for activations and dequantization."""

    name: str = Field(min_length=1, description="unit name, shown in reports and messages")
    count: CountQuantity = Field(description="units of this kind per chip")
    clock_hz: PositiveQuantity = Field(description="unit clock")
    ops_per_cycle: PositiveQuantity = Field(description="element ops per cycle per unit")
    formats: list[str] = Field(min_length=1, description="number formats the unit computes in (element-wise ops "
                                                         "in other formats cannot use it)")

    @field_validator("formats")
    @classmethod
    def _known_formats(cls, formats: list[str]) -> list[str]:
        for name in formats:
            if name not in format_names():
                raise ValueError(f"expected a format from {', '.join(format_names())}, got {name!r}{did_you_mean(name, format_names())}")
        return formats


class MemoryLevelSpec(_Spec):
    """One level of the memory hierarchy. Omit `bandwidth_gb_per_s` when no public figure exists."""

    name: str = Field(min_length=1, description="level name, referred to by modelling.operand_memory and "
                                                "modelling.onchip_memory")
    capacity_bytes: PositiveQuantity = Field(description="capacity of the level (the largest level bounds the "
                                                         "footprint check)")
    bandwidth_gb_per_s: PositiveQuantity | None = Field(
        None, description="peak bandwidth of the level; required for a level the modelling knobs name")


class SearchCostSpec(_Spec):
    """One search algorithm's host time per step and per candidate (as for the host-wide pair)."""

    step_s: NonNegativeQuantity = Field(description="fixed host time of one step (one joint call) of this search")
    per_candidate_s: NonNegativeQuantity = Field(description="host time per candidate of a step (rows x (k + 1))")


SearchAlgorithmName = Literal["greedy", "beam", "tsd", "alsd", "modified_beam"]


class HostCpuSpec(_Spec):
    cores: CountQuantity = Field(description="CPU cores (the search runs single-threaded on one of them)")
    clock_hz: PositiveQuantity = Field(description="core clock")
    flops_per_cycle_per_core: PositiveQuantity = Field(description="FP32 FLOP per cycle per core")
    memory_bandwidth_gb_per_s: PositiveQuantity = Field(description="host DRAM bandwidth for the search's reads "
                                                                   "of logits and host-side ops")
    search_step_overhead_s: NonNegativeQuantity = Field(
        description="fixed host time of one beam-search step (dispatch, synchronisation, bookkeeping)")
    per_candidate_s: NonNegativeQuantity = Field(
        description="host time per candidate a step generates (k label extensions + 1 blank per scored hypothesis): "
                    "hypothesis objects, label-history hashing for merges, score updates")
    search_by_algorithm: dict[SearchAlgorithmName, SearchCostSpec] | None = Field(
        default=None, description="per search algorithm, its own step and per-candidate time (measured by hwsim "
                                  "calibrate on the registry's searches); an algorithm not listed uses "
                                  "search_step_overhead_s and per_candidate_s")
    # operation counts of the host's search work (hwsim.cost.host); optional so measured files stay valid
    log_softmax_ops_per_element: PositiveQuantity = _default(
        PositiveQuantity, 20, "max, subtract, exp (~15 lane-ops as a polynomial), sum, subtract log-sum-exp",
        "host ops per logit for a log-softmax over the vocabulary")
    topk_ops_per_element: PositiveQuantity = _default(
        PositiveQuantity, 3, "argpartition: compare, select, move", "host ops per logit for the top-k selection")
    sort_ops_per_compare: PositiveQuantity = _default(
        PositiveQuantity, 4, "comparison sort of the B x k candidates: 4 ops per compare, n log2 n compares",
        "host ops per comparison when sorting the n = B x k candidates (n log2 n compares)")
    transcendental_ops_per_element: PositiveQuantity = _default(
        PositiveQuantity, 15, "exp/tanh as a vectorised polynomial on a CPU without a special-function unit",
        "host ops per sigmoid/tanh/exp evaluation in host-side ops")
    scalar_ops_per_cycle: PositiveQuantity = _default(
        PositiveQuantity, 2, "sustained instructions per cycle of branchy WFST/search code on an out-of-order core",
        "sustained scalar instructions per cycle per core for branchy search code (WFST decoding)")


class HostLinkSpec(_Spec):
    bandwidth_gb_per_s: PositiveQuantity = Field(description="one direction")
    latency_s: NonNegativeQuantity = Field(description="fixed time of one host-device transfer, added to bytes / "
                                                       "bandwidth")


class RuntimeCallSpec(_Spec):
    """Host time of one network call of an eager runtime beyond its ops' own costs (hwsim calibrate measures it)."""

    fixed_s: NonNegativeQuantity = Field(description="time of one call whatever its batch: the runtime's glue around "
                                                     "the ops (argument handling, state look-ups, result packing)")
    per_row_s: NonNegativeQuantity = Field(description="time per hypothesis row of the call's batch: gathering its "
                                                        "state or projection, storing its result")


class RuntimeCallsSpec(_Spec):
    """Per-call host time of the prediction network and the joint, as the runtime driving them dispatches them."""

    prediction: RuntimeCallSpec = Field(description="one prediction-network call")
    joint: RuntimeCallSpec = Field(description="one joint call (with the runtime's log-softmax and top-k)")
    cold_cache_factor: PositiveQuantity = _default(
        PositiveQuantity, 1, "glue time not known to depend on the cache state",
        "the runtime's host glue (these calls' figures and the search's) with the caches evicted before every "
        "prediction call, over the same glue hot; the cost model scales the glue by 1 + f x (factor - 1), f the "
        "decoder's measured cache miss fraction (hwsim.cost.cache_reuse)")


class ModellingSpec(_Spec):
    """Named knobs for what no datasheet says: the systolic-array modelling assumptions."""

    dataflow: DataflowChoice = Field(description="systolic dataflow: which operand stays in the array "
                                                 "(ws weights, os outputs, is inputs)")
    weight_load: WeightLoadChoice = Field(description="overlapped = double-buffered weights; stall = load blocks the array")
    fill_drain: FillDrainChoice = Field(description="per_fold = pipeline fill/drain paid on every fold; once = per GEMM")
    overhead_s: NonNegativeQuantity = Field(description="fixed time added to every op (launch, sync)")
    operand_memory: NameChoice = Field(description="memory level whose bandwidth feeds GEMM operands")
    conversion_ops_per_element: PositiveQuantity = Field(description="vector-unit ops to dequantize/convert one element")
    vector_overhead: VectorOverheadChoice = Field(
        description="per_op = one overhead_s per element-wise op (fused kernel); per_pass = one per pass over the "
                    "data (an eager library such as numpy issues one call per element-wise operation)")
    transcendental_ops_per_element: PositiveQuantity = Field(
        description="vector-unit ops per sigmoid/tanh/exp evaluation (1 = a hardware special-function unit)")
    onchip_memory: NameChoice | None = Field(
        default=None, description="level where weights that fit stay resident across invocations (needs a bandwidth)")
    conversion_overlap: OverlapChoice = _default(
        OverlapChoice, "serial", "weight conversion not known to run beside the matrix engine; charged in series",
        "whether weight conversion on the vector unit overlaps the matrix engine's GEMM or adds to it")
    dispatch_latency_s: NonNegativeQuantity = _default(
        NonNegativeQuantity, 0.0, "no per-call dispatch latency known for this device",
        "fixed time of each network call the host launches (driver, framework dispatch)")
    step_latency_s: NonNegativeQuantity = _default(
        NonNegativeQuantity, 0.0, "no per-recurrent-step latency known for this device",
        "fixed time of each recurrent encoder step, and of each search step when the search runs on the device")
    elementwise_fusion: FusionChoice = _default(
        FusionChoice, "none", "every element-wise op is its own pass over memory (no fusing compiler assumed)",
        "per_layer = element-wise ops fused into their layer (no memory round trip, no overhead); none = one pass each")
    search_on: PlacementChoice = _default(PlacementChoice, "host", "beam search runs on the host CPU",
                                          "default placement of the beam search: the host CPU or the accelerator")
    fused_recurrence: BoolChoice = _default(
        BoolChoice, False, "each op of a recurrent step is dispatched on its own (eager numpy)",
        "true = the runtime runs a recurrent layer as one kernel (onnxruntime's LSTM op, cuDNN): the ops of a "
        "recurrent step pay no overhead_s; step_latency_s is the per-step cost")
    runtime_calls: RuntimeCallsSpec | None = Field(
        default=None, description="per prediction / joint call host time of the runtime beyond its ops (measured "
                                  "by hwsim calibrate on a tiny model); when given it replaces dispatch_latency_s and "
                                  "the host's per_candidate_s gather for those calls")


class MeasurementSpec(_Spec):
    """One micro-benchmark result: `work` units of `work_unit` took `median_s` (median of `repeats`)."""

    benchmark: str = Field(min_length=1, description="micro-benchmark name (gemm, copy, sigmoid, argsort, ...)")
    dtype: str = Field(min_length=1, description="numpy dtype the benchmark ran in")
    shape: list[int] = Field(min_length=1, description="problem size; [M, K, N] for gemm")
    repeats: int = Field(gt=0, description="timed repetitions")
    median_s: float = Field(gt=0, description="median time of one repetition")
    work: float = Field(gt=0, description="work done by one repetition, in work_unit")
    work_unit: Literal["flop", "byte", "element", "row", "call", "candidate", "step"] = Field(
        description="unit of `work` and `rate_per_s`")
    rate_per_s: float = Field(gt=0, description="work / median_s")
    spread_pct: float | None = Field(default=None, ge=0, description="interquartile range of the repeats / median, %")


class CalibrationSpec(_Spec):
    """Raw benchmark table and machine facts behind a measured device file."""

    machine: dict[str, str | int | float] = Field(
        default_factory=dict, description="facts about the measured machine (CPU model, cores, BLAS, versions, date)")
    measurements: list[MeasurementSpec] = Field(min_length=1, description="one entry per micro-benchmark run")


class DeviceSpec(_Spec):
    schema_version: Literal[1] = Field(description="version of this file layout")
    name: str = Field(min_length=1, description="device name shown in reports")
    description: str = Field("", description="free text: what the device is, in one or two sentences")
    matrix_engines: list[MatrixEngineSpec] = Field(min_length=1, description="GEMM engines; the first one that can "
                                                                             "run a precision pair is used")
    vector_units: list[VectorUnitSpec] = Field(min_length=1, description="element-wise / special-function units")
    memory: list[MemoryLevelSpec] = Field(min_length=1, description="memory levels of the device")
    host_cpu: HostCpuSpec | None = Field(None, description="the host CPU's figures, for the search when this "
                                                           "device is the host")
    host_link: HostLinkSpec | None = Field(None, description="link between host and device (e.g. PCIe) carrying "
                                                             "logits or top-k results each search step")
    power_w: PositiveQuantity | None = Field(None, description="device power, for energy per hour of audio")
    price_per_hour_usd: PositiveQuantity | None = Field(None, description="rental price of one device, for cost "
                                                                          "per hour of audio")
    modelling: ModellingSpec = Field(description="modelling knobs for what no datasheet says")
    calibration: CalibrationSpec | None = Field(None, description="raw micro-benchmark table (files written by "
                                                                  "hwsim calibrate)")
    default_host: NameChoice | None = Field(
        default=None, description="shipped device (or path) whose host_cpu runs the search when --host is not given")
    gpu: GpuSpec | None = Field(default=None, description="kernel-launch figures (required with tensor_core engines)")


# ---- loading: pydantic errors -> one line naming file, key path, expectation and found value ----

_LIMIT_MESSAGES = {"greater_than": "expected a number > {gt:g}", "greater_than_equal": "expected a number >= {ge:g}"}
_TYPE_MESSAGES = {
    "model_type": "expected a mapping {value: ..., source: ...} or {value: ..., assumption: ...}",
    "model_attributes_type": "expected a mapping {value: ..., source: ...} or {value: ..., assumption: ...}",
    "float_parsing": "expected a number", "float_type": "expected a number",
    "int_parsing": "expected a whole number", "int_from_float": "expected a whole number", "int_type": "expected a whole number",
}


def device_spec_error(path: Path | str, error: pydantic.ValidationError) -> SpecError:
    """Device-specific wording for limits, bare numbers and unknown keys; everything else via load.py."""
    errors = error.errors(include_url=False)
    # a misspelt key shows up as "extra" plus "missing"; the extra one is the user's actual mistake
    first = next((e for e in errors if e.get("type") == "extra_forbidden"), errors[0])
    loc, kind, got = tuple(first.get("loc", ())), first.get("type", ""), first.get("input")
    if kind in _LIMIT_MESSAGES:
        return SpecError(path, key_path(loc), _LIMIT_MESSAGES[kind].format(**first.get("ctx", {})), got)
    if kind in _TYPE_MESSAGES:
        return SpecError(path, key_path(loc), _TYPE_MESSAGES[kind], got)
    if kind == "extra_forbidden":
        known = _fields_at(DeviceSpec, loc[:-1])
        hint = did_you_mean(str(loc[-1]), known)
        return SpecError(path, key_path(loc), f"unknown key{hint}; known keys: {', '.join(known)}")
    if kind == "missing":
        return SpecError(path, key_path(loc), f"expected required key {str(loc[-1])!r}, got nothing")
    if kind == "literal_error" and loc == ("schema_version",):
        return SpecError(path, "schema_version", f"expected {SCHEMA_VERSION}", got)
    return spec_error_from_validation(path, DeviceSpec, error)


def _fields_at(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model reached by walking `loc`, skipping list indices and dict keys."""
    current = model
    for part in loc:
        fields = getattr(current, "model_fields", {})
        if part in fields:
            current = _model_in(fields[part].annotation) or current
    return list(getattr(current, "model_fields", {}))


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


# Cross-field checks of a GPU device file: what a tensor-core engine needs before the cost model can price it.
SOURCED = "{value: ..., source: ...} or {value: ..., assumption: ...}"


def check_gpu_spec(spec: DeviceSpec, path: Path | str) -> None:
    """A tensor_core engine needs `tiling` and the file a `gpu.kernel_launch_s`; tiling only on tensor cores;
    a CUDA-graphs default needs the graph figures; peak_fraction is a fraction."""
    gpu_engines = [i for i, e in enumerate(spec.matrix_engines) if e.kind == "tensor_core"]
    for i, engine in enumerate(spec.matrix_engines):
        if engine.kind == "tensor_core" and engine.tiling is None:
            raise SpecError(path, f"matrix_engines[{i}].tiling", "expected a tiling section {tile_m, tile_n, "
                            "min_tile_m, tiles_per_sm, peak_fraction} for kind tensor_core, got nothing")
        if engine.kind != "tensor_core" and engine.tiling is not None:
            raise SpecError(path, f"matrix_engines[{i}].tiling", "expected no tiling for kind "
                            f"{engine.kind} (tiling is for kind tensor_core)", "a tiling section")
        if engine.tiling is not None and engine.tiling.peak_fraction.value > 1:
            raise SpecError(path, f"matrix_engines[{i}].tiling.peak_fraction.value", "expected a fraction in (0, 1]",
                            engine.tiling.peak_fraction.value)
    if not gpu_engines:
        return
    gpu = spec.gpu
    if gpu is None or gpu.kernel_launch_s is None:
        raise SpecError(path, "gpu.kernel_launch_s", f"expected a kernel launch latency {SOURCED} for a device "
                        "with tensor_core engines, got nothing")
    if gpu.cuda_graphs.value:
        for key in ("graph_kernel_s", "graph_launch_s"):
            if getattr(gpu, key) is None:
                raise SpecError(path, f"gpu.{key}", f"expected {SOURCED} because gpu.cuda_graphs is true, got nothing")


def validate_device_spec(data: dict[str, Any], path: Path | str) -> DeviceSpec:
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise SpecError(path, "schema_version", f"expected {SCHEMA_VERSION}", version)
    try:
        spec = DeviceSpec.model_validate(data)
    except pydantic.ValidationError as error:
        raise device_spec_error(path, error) from None
    _check_operand_memory(spec, path)
    check_gpu_spec(spec, path)
    return spec


def _check_operand_memory(spec: DeviceSpec, path: Path | str) -> None:
    """The GEMM operand level (and the on-chip level, if named) must exist and have a bandwidth."""
    levels = {level.name: level for level in spec.memory}
    knobs = [("operand_memory", spec.modelling.operand_memory)]
    if spec.modelling.onchip_memory is not None:
        knobs.append(("onchip_memory", spec.modelling.onchip_memory))
    for knob, choice in knobs:
        wanted = choice.value
        if wanted not in levels:
            raise SpecError(path, f"modelling.{knob}.value",
                            f"expected a memory level name ({', '.join(levels)}){did_you_mean(wanted, levels)}", wanted)
        if levels[wanted].bandwidth_gb_per_s is None:
            index = list(levels).index(wanted)
            raise SpecError(path, f"memory[{index}].bandwidth_gb_per_s",
                            f"expected a bandwidth, because modelling.{knob} names {wanted!r}")


def load_device_spec(path: Path) -> DeviceSpec:
    """Read and validate one device YAML file."""
    return validate_device_spec(read_yaml(path), path)
