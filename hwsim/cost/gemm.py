"""The one GEMM cost: `hwsim gemm`, `hwsim cost` and the simulator all price a GEMM here.

    array      = compute-model cycles of one pass x passes / clock        (hwsim.cost.compute_model)
    memory     = weight bytes / their bandwidth + activation bytes (in + out) / theirs
    conversion = converted elements x conversion_ops_per_element / vector ops/s   (promoted operand)
    scaling    = M x N x scale blocks along K x OUTPUT_SCALE_OPS / vector ops/s    (integer compute on scaled
                 weights: each K-block's partial sum is multiplied by its scale and accumulated)

    modelling.conversion_overlap | time
    concurrent                   | max(array, memory, conversion + scaling) + overhead
    serial                       | max(array, memory) + conversion + scaling + overhead

Operand streams always overlap the array (double-buffered DMA): the two cases differ only in whether the
vector unit converts and scales beside the matrix engine (TPU: XLA fuses the convert into the operand
stream and the VPU runs beside the MXU) or in series with it. A device's measured GEMM table (a calibrated
CPU) replaces array and memory time for the pair it was measured at: a measurement already contains both.

`OperandTraffic` says where the bytes come from: `hwsim gemm` uses packed operand bytes from the operand
memory (activations from the on-chip level when the device has one); the per-op model passes the stored
weight bytes (quantization metadata included) from where residency put them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hwsim.cost.compute_model import ArrayTime
from hwsim.cost.hardware import Dataflow, Device
from hwsim.cost.engine_select import EngineChoice, MatmulPrecision, select_engine
from hwsim.formats import NumberFormat
from hwsim.cost.systolic import check_dims

OUTPUT_SCALE_OPS = 2  # multiply a partial sum by its block's scale, add it into the accumulator


@dataclass(frozen=True)
class OperandTraffic:
    """Bytes one GEMM pass moves, and the bandwidth each stream comes at."""

    weight_bytes: float
    weight_bytes_per_s: float
    activation_bytes: float  # inputs read + outputs written
    activation_bytes_per_s: float
    weight_location: str | None = None

    @property
    def bytes(self) -> float:
        return self.weight_bytes + self.activation_bytes

    @property
    def seconds(self) -> float:
        weights = self.weight_bytes / self.weight_bytes_per_s if self.weight_bytes else 0.0
        return weights + self.activation_bytes / self.activation_bytes_per_s


def activation_level(device: Device) -> str:
    """Activations live in the on-chip level when the device names one with a bandwidth, else the operand memory."""
    return device.modelling.onchip_memory or device.modelling.operand_memory


def packed_traffic(device: Device, m: int, k: int, n: int, weight_fmt: NumberFormat,
                   act_fmt: NumberFormat) -> OperandTraffic:
    """Compulsory traffic of `hwsim gemm`: K x N packed weights streamed, M x K in and M x N out activations."""
    act_bw = device.memory_bandwidth_bytes_per_s(activation_level(device))
    return OperandTraffic(k * n * weight_fmt.bytes, device.memory_bandwidth_bytes_per_s(),
                          (m * k + m * n) * act_fmt.bytes, act_bw, "stream")


ARRAY_BREAKDOWN = ("ideal_cycles", "spatial_underuse_cycles", "fill_drain_cycles", "weight_load_cycles")
PIPELINE_TERMS = ("weight_load", "fill_drain")  # ties go to the first: the stall a dataflow change can hide


@dataclass(frozen=True)
class GemmCost:
    """One GEMM (times `batch` independent GEMMs of the same shape), every term in seconds."""

    device: str
    m: int
    k: int
    n: int
    batch: int
    choice: EngineChoice
    array: ArrayTime
    traffic: OperandTraffic
    array_s: float
    memory_s: float
    conversion_s: float
    scaling_s: float
    overhead_s: float
    concurrent: bool
    measured: bool

    @property
    def vector_s(self) -> float:
        return self.conversion_s + self.scaling_s

    @property
    def time_s(self) -> float:
        if self.concurrent:
            return max(self.array_s, self.memory_s, self.vector_s) + self.overhead_s
        return max(self.array_s, self.memory_s) + self.vector_s + self.overhead_s

    @property
    def utilization(self) -> float:
        """Fraction of the compute pair's native peak achieved (ideal one-pass time / total time)."""
        return self.batch * self.array.ideal_cycles / self.array.clock_hz / self.time_s if self.time_s else 0.0

    @property
    def bound(self) -> str:
        terms = {"compute": self.array_s, "memory": self.memory_s, "conversion": self.vector_s}
        if not self.concurrent:
            terms["conversion"] = self.vector_s if self.vector_s > max(self.array_s, self.memory_s) else 0.0
        if self.overhead_s > max(terms.values()):
            return "overhead"
        if terms["compute"] >= max(terms.values()) and not self.measured:
            pipeline = self.array.cycles - self.array.stream_cycles
            return "compute" if self.array.stream_cycles >= pipeline else self.pipeline_term
        return max(terms, key=terms.get)

    @property
    def pipeline_term(self) -> str:
        """The array's largest non-streaming term (weight_load or fill_drain), named rather than called overhead:
        "overhead" is the fixed per-call cost, which is a different fix (fusion, graphs) from a stall."""
        terms = {name: float(self.array.details.get(f"{name}_cycles", 0.0)) for name in PIPELINE_TERMS}
        return max(terms, key=terms.get) if any(terms.values()) else "pipeline"

    def breakdown(self) -> dict[str, float]:
        """The terms of as_dict() an op's cost keeps (the array's cycle terms, conversion, output scaling and
        memory stall, then extra_pass_cycles), without building the whole dict: pricing a call prices every GEMM in it."""
        details, clock = self.array.details, self.array.clock_hz
        out = {key: float(details[key]) for key in ARRAY_BREAKDOWN if key in details}
        out["conversion_s"] = float(self.conversion_s)
        out["output_scaling_s"] = float(self.scaling_s)
        out["memory_stall_cycles"] = float(max(0.0, self.memory_s - self.array_s) * clock)
        out["extra_pass_cycles"] = float(self.array.cycles * (self.choice.passes - 1) * self.batch)
        return out

    def as_dict(self) -> dict[str, object]:
        """Flat JSON-ready breakdown (the `hwsim gemm --json` object)."""
        c, clock = self.choice, self.array.clock_hz
        return {
            "device": self.device, "engine": c.engine.name, "compute_model": c.engine.kind,
            "m": self.m, "k": self.k, "n": self.n, "batch": self.batch,
            "weight_format": c.weight_fmt.value, "activation_format": c.act_fmt.value,
            "compute_pair": c.compute_pair, "compute_mode": c.mode.value, "passes": c.passes,
            "matmul_precision": c.matmul_precision.value, "computed_as": c.describe(self.device),
            "converted_operand": c.converted_operand, **self.array.details,
            "passes_extra_cycles": self.array.cycles * (c.passes - 1) * self.batch,
            "array_s": self.array_s, "memory_s": self.memory_s, "conversion_s": self.conversion_s,
            "output_scaling_s": self.scaling_s, "overhead_s": self.overhead_s,
            "conversion_overlap": "concurrent" if self.concurrent else "serial", "measured_table": self.measured,
            "memory_cycles": self.memory_s * clock, "memory_stall_cycles": max(0.0, self.memory_s - self.array_s) * clock,
            "conversion_cycles": self.vector_s * clock, "overhead_cycles": self.overhead_s * clock,
            "bytes_moved": self.traffic.bytes * self.batch, "clock_hz": clock,
            "cycles": self.time_s * clock, "time_s": self.time_s, "utilization": self.utilization, "bound": self.bound,
            "notes": list(self.array.notes),
        }


def gemm_cost(device: Device, m: int, k: int, n: int, weight_fmt: NumberFormat, act_fmt: NumberFormat, *,
              dataflow: Dataflow | None = None, matmul_precision: MatmulPrecision = MatmulPrecision.DEFAULT,
              traffic: OperandTraffic | None = None, scale_blocks: int = 0, batch: int = 1,
              compute_as: str | None = None) -> GemmCost:
    """Cost of `batch` x (M x K activations) @ (K x N weights) on `device`.

    Args:
        traffic: bytes and bandwidths of one GEMM; default `packed_traffic` (what `hwsim gemm` assumes).
        scale_blocks: weight scales along K per output (0 = an unscaled integer GEMM, as SCALE-Sim counts it;
            1 = per-channel/per-tensor; K / block = sub-channel).
        compute_as: the pair to compute a pair the device lacks as (--compute-as; hwsim.cost.engine_select).
    """
    check_dims(m=m, k=k, n=n)
    choice = select_engine(device, weight_fmt, act_fmt, matmul_precision, compute_as)
    knobs = device.modelling
    array = choice.model.matmul(choice.engine, knobs, m, k, n, macs_per_pe=choice.macs_per_pe_per_cycle,
                                dataflow=dataflow or knobs.dataflow)
    traffic = traffic or packed_traffic(device, m, k, n, weight_fmt, act_fmt)
    array_s, memory_s = array.seconds * choice.passes * batch, traffic.seconds * batch
    table, measured = device.gemm_table, False
    if table is not None and choice.compute_pair == f"{table.dtype}x{table.dtype}":
        array_s, memory_s, measured = table.seconds(m, k, n) * batch, 0.0, True
    vector_rate = device.vector_ops_per_s()
    conversion_s = _converted_elements(choice, m, k, n) * knobs.conversion_ops_per_element / vector_rate * batch
    scaling_s = _scaled_outputs(choice, m, n, scale_blocks) * OUTPUT_SCALE_OPS / vector_rate * batch
    return GemmCost(device.name, m, k, n, batch, choice, array, traffic, array_s, memory_s, conversion_s,
                    scaling_s, knobs.overhead_s, knobs.conversion_concurrent, measured)


def _converted_elements(choice: EngineChoice, m: int, k: int, n: int) -> int:
    """The promoted operand is converted once per GEMM: K x N weights (weight-only quantization) or M x K inputs."""
    operand = choice.converted_operand
    if operand is None:
        return 0
    return ("weights" in operand) * k * n + ("activations" in operand) * m * k


def _scaled_outputs(choice: EngineChoice, m: int, n: int, scale_blocks: int) -> int:
    """Integer compute on quantized weights rescales every output once per scale block along K (promoted weights
    were dequantized with their scales on the way in, and float weights carry no scales)."""
    if "weights" in (choice.converted_operand or "") or choice.weight_fmt.is_float:
        return 0
    return m * n * scale_blocks


def scale_blocks_along_k(metadata_entries: int, n: int) -> int:
    """Scale entries per output column: 1 per-channel, K / block for sub-channel blocks along the contraction."""
    return max(1, math.ceil(metadata_entries / n))
