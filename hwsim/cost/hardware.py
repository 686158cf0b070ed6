"""Device: a validated DeviceSpec converted once to base units (ops/s, bytes/s, s) for the cost model.

Nothing here reads YAML except `load_device`, which is the one arrow spec file -> Device.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping

from hwsim.cost.gpu_launch import GpuLaunch, launch_modelling
from hwsim.cost.cache_reuse import CacheReuse, cache_reuse
from hwsim.cost.measured import GemmTable, gemm_table
from hwsim.formats import NumberFormat, pair_name, split_pair
from hwsim.errors import SpecError
from hwsim.io.paths import DEVICES_DIR, resolve_spec_path, shipped_names, user_path
from hwsim.specs.device import DeviceSpec, HostCpuSpec, MatrixEngineSpec, validate_device_spec
from hwsim.specs.load import read_yaml
from hwsim.specs.overrides import apply_overrides
from hwsim.units import GIGA, OPS_PER_MAC


class Support(str, enum.Enum):
    NATIVE = "native"
    EMULATED = "emulated"
    REJECTED = "rejected"


class Dataflow(str, enum.Enum):
    WS = "ws"  # weight stationary: K x N weight tile held in the array, M rows streamed
    OS = "os"  # output stationary: M x N output tile accumulates in place, K streamed
    IS = "is"  # input stationary: K x M input tile held, N columns streamed


class WeightLoad(str, enum.Enum):
    OVERLAPPED = "overlapped"  # double-buffered: next fold's weights load while the current fold computes
    STALL = "stall"  # the array idles while a fold's stationary tile loads (SCALE-Sim)


class FillDrain(str, enum.Enum):
    PER_FOLD = "per_fold"  # every fold pays the R + C - 2 cycle skew fill/drain (SCALE-Sim)
    ONCE = "once"  # folds stream back to back; one fill/drain per GEMM


@dataclass(frozen=True)
class PrecisionSupport:
    """One declared weight x activation pair. `ops_per_cycle` is per array; a MAC is 2 ops."""

    pair: str
    support: Support
    ops_per_cycle: float | None = None
    via: str | None = None
    slowdown: float = 1.0
    reason: str | None = None


@dataclass(frozen=True)
class Tiling:
    """GPU GEMM tiling (hwsim.cost.tensorcore): output tiles per thread block, blocks per SM, achievable peak."""

    tile_m: int
    tile_n: int
    min_tile_m: int
    tiles_per_sm: int
    peak_fraction: float


@dataclass(frozen=True)
class MatrixEngine:
    name: str
    kind: str  # compute model (hwsim.cost.compute_model): "systolic" today
    index: int  # position under matrix_engines in the device file, for error key paths
    cores: int
    arrays_per_core: int
    rows: int
    cols: int
    clock_hz: float
    precisions: Mapping[str, PrecisionSupport]
    tiling: Tiling | None = None  # GPU thread-block tiling (kind tensor_core)

    @property
    def arrays(self) -> int:
        """Arrays per chip."""
        return self.cores * self.arrays_per_core

    def macs_per_pe_per_cycle(self, pair: str) -> float:
        """Sub-word parallelism of one PE at a native pair (TPU v5e int8 = 2, RaPiD int4 = 64)."""
        return self.precisions[pair].ops_per_cycle / (OPS_PER_MAC * self.rows * self.cols)

    def peak_ops_per_s(self, pair: str) -> float:
        """Chip peak of a declared pair; an emulated pair runs at its `via` peak divided by the slowdown."""
        entry = self.precisions[pair]
        if entry.support is Support.EMULATED:
            return self.peak_ops_per_s(entry.via) / entry.slowdown
        if entry.support is Support.REJECTED:
            return 0.0
        return entry.ops_per_cycle * self.arrays * self.clock_hz


@dataclass(frozen=True)
class VectorUnit:
    name: str
    count: int
    clock_hz: float
    ops_per_cycle: float
    formats: tuple[NumberFormat, ...]

    @property
    def ops_per_s(self) -> float:
        return self.count * self.ops_per_cycle * self.clock_hz


@dataclass(frozen=True)
class MemoryLevel:
    name: str
    capacity_bytes: float
    bandwidth_bytes_per_s: float | None  # None: no public figure; such a level cannot feed the cost model


@dataclass(frozen=True)
class HostCpu:
    cores: int
    clock_hz: float
    flops_per_cycle_per_core: float
    memory_bandwidth_bytes_per_s: float
    search_step_overhead_s: float
    per_candidate_s: float
    log_softmax_ops_per_element: float = 20.0
    topk_ops_per_element: float = 3.0
    sort_ops_per_compare: float = 4.0
    transcendental_ops_per_element: float = 15.0
    scalar_ops_per_cycle: float = 2.0
    search_by_algorithm: tuple[tuple[str, float, float], ...] = ()  # (algorithm, step_s, per_candidate_s)

    def search_costs(self, algorithm: str | None) -> tuple[float, float]:
        """(per step, per candidate) host time of `algorithm`'s search: its own measured pair when the file has
        one, else the host-wide pair."""
        for name, step_s, candidate_s in self.search_by_algorithm:
            if name == algorithm:
                return step_s, candidate_s
        return self.search_step_overhead_s, self.per_candidate_s

    @property
    def core_flops_per_s(self) -> float:
        """One core: beam search is single-threaded control code."""
        return self.clock_hz * self.flops_per_cycle_per_core

    @property
    def peak_flops_per_s(self) -> float:
        return self.cores * self.clock_hz * self.flops_per_cycle_per_core


@dataclass(frozen=True)
class HostLink:
    bandwidth_bytes_per_s: float
    latency_s: float

    def transfer_time_s(self, nbytes: float) -> float:
        return self.latency_s + nbytes / self.bandwidth_bytes_per_s


@dataclass(frozen=True)
class RuntimeCall:
    """Host time of one eager-runtime network call beyond its ops: fixed + per_row_s x batch rows."""

    fixed_s: float
    per_row_s: float


@dataclass(frozen=True)
class Modelling:
    """The systolic-array and per-op assumptions of a device file (see ModellingSpec)."""

    dataflow: Dataflow
    weight_load: WeightLoad
    fill_drain: FillDrain
    overhead_s: float
    operand_memory: str
    conversion_ops_per_element: float
    transcendental_ops_per_element: float
    onchip_memory: str | None
    vector_overhead_per_pass: bool
    conversion_concurrent: bool = False  # conversion runs beside the matrix engine: time = max(...), not a sum
    dispatch_latency_s: float = 0.0      # per network call launched by the host
    step_latency_s: float = 0.0          # per recurrent step / per iteration of a device-side loop
    fuse_elementwise: bool = False       # element-wise ops fused into their layer: no memory round trip, no overhead
    search_on_accelerator: bool = False  # the device's default search placement
    runtime_calls: tuple[tuple[str, RuntimeCall], ...] = ()  # (component, call) for prediction / joint, if measured
    fused_recurrence: bool = False       # a recurrent layer is one kernel: its per-step ops pay no overhead_s
    cold_cache_factor: float = 1.0       # the runtime's glue with caches evicted / hot (hwsim.cost.cache_reuse)

    def runtime_call(self, component: str) -> RuntimeCall | None:
        return dict(self.runtime_calls).get(component)


@dataclass(frozen=True)
class Device:
    """A device in base units. The per-op cost model reads only this, never the YAML."""

    name: str
    file: str
    matrix_engines: tuple[MatrixEngine, ...]
    vector_units: tuple[VectorUnit, ...]
    memory: tuple[MemoryLevel, ...]
    host_cpu: HostCpu | None
    host_link: HostLink | None
    power_w: float | None
    price_per_hour_usd: float | None
    modelling: Modelling
    gemm_table: GemmTable | None = None  # measured devices: shape-aware GEMM times (hwsim.cost.measured)
    cache_reuse: CacheReuse | None = None  # measured devices: decoder weights re-read cold (hwsim.cost.cache_reuse)
    default_host: str | None = None      # device whose host_cpu runs the search when no --host is given
    gpu: GpuLaunch | None = None         # GPU kernel-launch figures (hwsim.cost.gpu_launch)

    def peak_ops_per_s(self, weight_fmt: str | NumberFormat, act_fmt: str | NumberFormat) -> float:
        """Chip peak for an exactly declared pair on the first engine declaring it (no promotion).

        Use `hwsim.cost.engine_select.select_engine` for the rules that map any pair onto an engine.

        Raises:
            SpecError: the pair is not declared, or declared as rejected.
        """
        pair = pair_name(NumberFormat(weight_fmt), NumberFormat(act_fmt))
        for engine in self.matrix_engines:
            entry = engine.precisions.get(pair)
            if entry is not None and entry.support is not Support.REJECTED:
                return engine.peak_ops_per_s(pair)
        raise SpecError(self.file, "matrix_engines[*].precisions", f"no engine runs {pair!r}", pair)

    def memory_level(self, name: str) -> MemoryLevel:
        for level in self.memory:
            if level.name == name:
                return level
        raise SpecError(self.file, "memory", f"expected a memory level named {name!r}; levels: {', '.join(m.name for m in self.memory)}")

    def memory_bandwidth_bytes_per_s(self, level: str | None = None) -> float:
        """Bandwidth of a named level; default: the level that feeds GEMM operands (modelling.operand_memory)."""
        found = self.memory_level(level or self.modelling.operand_memory)
        if found.bandwidth_bytes_per_s is None:
            raise SpecError(self.file, f"memory.{found.name}.bandwidth_gb_per_s", "no bandwidth given for this level")
        return found.bandwidth_bytes_per_s

    def vector_ops_per_s(self, fmt: str | NumberFormat | None = None) -> float:
        """Element-wise ops/s of all vector units that handle `fmt` (all units when None)."""
        units = [u for u in self.vector_units if fmt is None or NumberFormat(fmt) in u.formats]
        if not units:
            raise SpecError(self.file, "vector_units", f"no vector unit handles {NumberFormat(fmt).value!r}")
        return sum(u.ops_per_s for u in units)


def build_device(spec: DeviceSpec, file: str | Path) -> Device:
    """DeviceSpec (YAML units) -> Device (base units)."""
    m = spec.modelling
    measured = [x.model_dump() for x in spec.calibration.measurements] if spec.calibration else None
    device = Device(
        name=spec.name,
        file=str(file),
        matrix_engines=tuple(_engine(e, i) for i, e in enumerate(spec.matrix_engines)),
        vector_units=tuple(VectorUnit(u.name, u.count.value, u.clock_hz.value, u.ops_per_cycle.value,
                                      tuple(NumberFormat(f) for f in u.formats)) for u in spec.vector_units),
        memory=tuple(MemoryLevel(l.name, l.capacity_bytes.value,
                                 l.bandwidth_gb_per_s.value * GIGA if l.bandwidth_gb_per_s else None) for l in spec.memory),
        host_cpu=spec.host_cpu and _host_cpu(spec.host_cpu),
        host_link=spec.host_link and HostLink(spec.host_link.bandwidth_gb_per_s.value * GIGA, spec.host_link.latency_s.value),
        power_w=spec.power_w.value if spec.power_w else None,
        price_per_hour_usd=spec.price_per_hour_usd.value if spec.price_per_hour_usd else None,
        modelling=Modelling(Dataflow(m.dataflow.value), WeightLoad(m.weight_load.value), FillDrain(m.fill_drain.value),
                            m.overhead_s.value, m.operand_memory.value, m.conversion_ops_per_element.value,
                            m.transcendental_ops_per_element.value,
                            m.onchip_memory.value if m.onchip_memory else None,
                            m.vector_overhead.value == "per_pass", m.conversion_overlap.value == "concurrent",
                            m.dispatch_latency_s.value, m.step_latency_s.value,
                            m.elementwise_fusion.value == "per_layer", m.search_on.value == "accelerator",
                            _runtime_calls(m), m.fused_recurrence.value,
                            m.runtime_calls.cold_cache_factor.value if m.runtime_calls else 1.0),
        gemm_table=gemm_table(measured),
        cache_reuse=cache_reuse(measured),
        default_host=spec.default_host.value if spec.default_host else None,
    )
    return _with_gpu_launch(device, spec)


def _with_gpu_launch(device: Device, spec: DeviceSpec) -> Device:
    """GPU files: per-kernel and per-call launch latency folded into the modelling figures (hwsim.cost.gpu_launch)."""
    g = spec.gpu
    if g is None or g.kernel_launch_s is None:
        return device
    launch = GpuLaunch(g.kernel_launch_s.value, g.graph_kernel_s.value if g.graph_kernel_s else None,
                       g.graph_launch_s.value if g.graph_launch_s else None, g.cuda_graphs.value,
                       device.modelling.overhead_s, device.modelling.dispatch_latency_s)
    return replace(device, gpu=launch, modelling=launch_modelling(device.modelling, launch))


def with_cuda_graphs(device: Device, enabled: bool) -> Device:
    """`device` with its kernels launched eagerly or from CUDA graphs (`--cuda-graphs`)."""
    launch = device.gpu
    if launch is None:
        if enabled:
            raise SpecError(device.file, "gpu", "expected a GPU device file (one with a gpu section) for "
                            "--cuda-graphs", device.name)
        return device
    if enabled and (launch.graph_kernel_s is None or launch.graph_launch_s is None):
        missing = "graph_kernel_s" if launch.graph_kernel_s is None else "graph_launch_s"
        raise SpecError(device.file, f"gpu.{missing}", "expected a figure for --cuda-graphs, got nothing")
    launch = replace(launch, cuda_graphs=enabled)
    return replace(device, gpu=launch, modelling=launch_modelling(device.modelling, launch))


def _runtime_calls(m) -> tuple[tuple[str, RuntimeCall], ...]:
    calls = m.runtime_calls
    if calls is None:
        return ()
    return tuple((name, RuntimeCall(getattr(calls, name).fixed_s.value, getattr(calls, name).per_row_s.value))
                 for name in ("prediction", "joint"))


def _host_cpu(h: HostCpuSpec) -> HostCpu:
    return HostCpu(h.cores.value, h.clock_hz.value, h.flops_per_cycle_per_core.value,
                   h.memory_bandwidth_gb_per_s.value * GIGA, h.search_step_overhead_s.value, h.per_candidate_s.value,
                   h.log_softmax_ops_per_element.value, h.topk_ops_per_element.value, h.sort_ops_per_compare.value,
                   h.transcendental_ops_per_element.value, h.scalar_ops_per_cycle.value,
                   tuple((name, c.step_s.value, c.per_candidate_s.value)
                         for name, c in sorted((h.search_by_algorithm or {}).items())))


def _engine(spec: MatrixEngineSpec, index: int) -> MatrixEngine:
    precisions = {}
    for pair, p in spec.precisions.items():
        weight, act = split_pair(pair)  # validated by the spec
        canonical = pair_name(weight, act)
        precisions[canonical] = PrecisionSupport(
            pair=canonical, support=Support(p.support),
            ops_per_cycle=p.ops_per_cycle.value if p.ops_per_cycle else None,
            via=pair_name(*split_pair(p.via)) if p.via else None,
            slowdown=p.slowdown.value if p.slowdown else 1.0, reason=p.reason)
    t = spec.tiling
    tiling = t and Tiling(t.tile_m.value, t.tile_n.value, t.min_tile_m.value, t.tiles_per_sm.value,
                          t.peak_fraction.value)
    return MatrixEngine(spec.name, spec.kind, index, spec.cores.value, spec.arrays_per_core.value, spec.rows.value,
                        spec.cols.value, spec.clock_hz.value, precisions, tiling)


def load_device(name_or_path: str | Path, overrides: tuple[str, ...] | list[str] = ()) -> Device:
    """A shipped device name (file stem under devices/) or a path to a device YAML -> Device.

    `overrides` are `key.path=value` edits of the file's figures (e.g. `host_link.latency_s.value=1e-6`),
    used by sensitivity studies and explicit calibration steps; they are recorded in resolved configs.
    """
    path = resolve_spec_path(name_or_path, DEVICES_DIR, "device")
    shown = user_path(path)  # Device.file: named by errors, so a path that opens from the user's folder
    data = apply_overrides(read_yaml(path), list(overrides), shown, flag="--device-set")
    return build_device(validate_device_spec(data, shown), shown)


def load_host(device: Device, host: str | None = None, overrides: tuple[str, ...] | list[str] = ()) -> HostCpu | None:
    """The host CPU that runs `device`'s search: `host` if given, else the device file's `default_host`, else the
    device's own `host_cpu` (a CPU, or a co-processor file that describes its host). `overrides` edit the host file.

    Raises:
        SpecError: the named host file is missing or has no host_cpu section (naming the key that chose it).
    """
    name = host if host is not None else device.default_host
    if name is None:
        return device.host_cpu
    file, key = (None, "--host") if host is not None else (device.file, "default_host.value")
    try:
        path = resolve_spec_path(name, DEVICES_DIR, "device")
    except SpecError:
        raise SpecError(file, key, f"expected a shipped device ({', '.join(shipped_names(DEVICES_DIR))}) "
                        "or a device file path with a host_cpu section", name) from None
    found = load_device(path, overrides)
    if found.host_cpu is None:
        raise SpecError(file, key, f"expected a device whose file has a host_cpu section ({found.file} has none)", name)
    return found.host_cpu
