"""Cost of one GEMM on one device: engine choice + systolic cycles + operand traffic + conversion + overhead.

    total = array cycles x passes + memory stall + conversion + fixed overhead      (all at the array clock)
    memory stall = max(0, operand bytes / bandwidth - array cycles x passes)          (traffic overlaps compute)
    conversion   = elements converted x conversion_ops_per_element / vector ops/s     (serial, not overlapped)

Operand bytes are compulsory traffic from `modelling.operand_memory`: M*K activations and K*N weights in
their storage formats (packed sub-byte) plus M*N outputs written in the activation format. This is the
on-chip-reuse-is-perfect assumption; tiling-dependent re-reads belong to the per-op model.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwsim.cost.device import Dataflow, Device
from hwsim.cost.engine_select import EngineChoice, select_engine
from hwsim.cost.formats import NumberFormat
from hwsim.cost.systolic import SystolicCycles, check_dims, gemm_cycles


@dataclass(frozen=True)
class GemmCost:
    device: str
    choice: EngineChoice
    systolic: SystolicCycles
    clock_hz: float
    bytes_moved: float
    memory_cycles: float
    conversion_cycles: float
    overhead_cycles: float

    @property
    def array_cycles(self) -> float:
        return self.systolic.total_cycles * self.choice.passes

    @property
    def memory_stall_cycles(self) -> float:
        return max(0.0, self.memory_cycles - self.array_cycles)

    @property
    def cycles(self) -> float:
        return self.array_cycles + self.memory_stall_cycles + self.conversion_cycles + self.overhead_cycles

    @property
    def time_s(self) -> float:
        return self.cycles / self.clock_hz

    @property
    def utilization(self) -> float:
        """Fraction of the compute pair's native peak achieved (roofline cycles / total cycles)."""
        return self.systolic.ideal_cycles / self.cycles

    @property
    def bound(self) -> str:
        if self.memory_stall_cycles > 0:
            return "memory"
        compute = self.systolic.stream_cycles * self.choice.passes
        overhead = self.systolic.pipeline_cycles * self.choice.passes + self.conversion_cycles + self.overhead_cycles
        return "compute" if compute >= overhead else "overhead"

    def as_dict(self) -> dict[str, object]:
        """Flat JSON-ready breakdown (the `hwsim gemm --json` object)."""
        s, c = self.systolic, self.choice
        return {
            "device": self.device, "engine": c.engine.name, "m": s.m, "k": s.k, "n": s.n,
            "weight_format": c.weight_fmt.value, "activation_format": c.act_fmt.value,
            "compute_pair": c.compute_pair, "compute_mode": c.mode.value, "passes": c.passes,
            "converted_operand": c.converted_operand,
            "dataflow": s.dataflow.value, "weight_load": s.weight_load.value, "fill_drain": s.fill_drain.value,
            "rows": s.rows, "cols": s.cols, "arrays": s.arrays, "macs_per_pe_per_cycle": s.macs_per_pe,
            "folds": s.folds, "folds_per_array": s.folds_per_array, "streamed_per_fold": s.streamed_per_fold,
            "ideal_cycles": s.ideal_cycles, "spatial_underuse_cycles": s.spatial_underuse_cycles,
            "fill_drain_cycles": s.fill_drain_cycles, "weight_load_cycles": s.weight_load_cycles,
            "passes_extra_cycles": s.total_cycles * (c.passes - 1),
            "memory_cycles": self.memory_cycles, "memory_stall_cycles": self.memory_stall_cycles,
            "conversion_cycles": self.conversion_cycles, "overhead_cycles": self.overhead_cycles,
            "bytes_moved": self.bytes_moved, "clock_hz": self.clock_hz,
            "cycles": self.cycles, "time_s": self.time_s, "utilization": self.utilization, "bound": self.bound,
            "notes": list(s.notes),
        }


def gemm_cost(device: Device, m: int, k: int, n: int, weight_fmt: NumberFormat, act_fmt: NumberFormat,
              dataflow: Dataflow | None = None) -> GemmCost:
    """Cost of (M x K activations) @ (K x N weights) on `device`; dataflow defaults to the device's knob."""
    check_dims(m=m, k=k, n=n)
    choice = select_engine(device, weight_fmt, act_fmt)
    engine, knobs = choice.engine, device.modelling
    systolic = gemm_cycles(m, k, n, rows=engine.rows, cols=engine.cols, dataflow=dataflow or knobs.dataflow,
                           weight_load=knobs.weight_load, fill_drain=knobs.fill_drain, arrays=engine.arrays,
                           macs_per_pe=choice.macs_per_pe_per_cycle)
    moved = m * k * act_fmt.bytes + k * n * weight_fmt.bytes + m * n * act_fmt.bytes
    memory_s = moved / device.memory_bandwidth_bytes_per_s()
    return GemmCost(device.name, choice, systolic, engine.clock_hz, moved, memory_s * engine.clock_hz,
                    _conversion_s(device, choice, m, k, n) * engine.clock_hz, knobs.overhead_s * engine.clock_hz)


def _conversion_s(device: Device, choice: EngineChoice, m: int, k: int, n: int) -> float:
    """Vector-unit time to convert the promoted operand (weight dequantization for weight-only quantization)."""
    if choice.converted_operand is None:
        return 0.0
    elements = k * n if choice.converted_operand == "weights" else m * k
    return elements * device.modelling.conversion_ops_per_element / device.vector_ops_per_s()
