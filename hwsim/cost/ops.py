"""Per-op cost: what one invocation of a graph op costs on a device under a precision plan.

    time = max(compute, memory) + conversion + overhead

| op kind | compute | memory traffic |
|---|---|---|
| matmul / conv2d / attention | systolic fold cycles on the selected engine (hwsim.cost.systolic) x passes | weights (stored bytes incl. quantization metadata) from where they live + activations in/out |
| element-wise / activation / norm / softmax / depthwise | (vector ops + transcendental evaluations x their op cost) / vector-unit rate | activations in/out + small parameter vectors |
| lookup | - | gathered embedding rows |

Weights live on-chip or stream from the operand memory as `hwsim.cost.residency` decides; activations use
the on-chip level when the device has one with a bandwidth, else the operand memory. `conversion` is the
vector-unit dequantization of a promoted operand (weight-only quantization). `bound` names the largest term.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hwsim.cost.device import Device
from hwsim.cost.engine_select import select_engine
from hwsim.cost.options import Placement, RunOptions
from hwsim.cost.residency import Residency
from hwsim.cost.systolic import gemm_cycles
from hwsim.formats import NumberFormat
from hwsim.graph.model import Graph, Op, OpKind
from hwsim.precision.plan import PrecisionPlan
from hwsim.units import OPS_PER_MAC

GEMM_KINDS = (OpKind.MATMUL, OpKind.CONV2D, OpKind.ATTENTION)
COMPONENT_OF = {"encoder": "encoder", "predictor": "prediction", "joint": "joint", "other": "encoder"}


@dataclass(frozen=True)
class OpCost:
    """One invocation of one op. `resource` is the simulator lane it occupies."""

    op: str
    component: str
    kind: str
    resource: str
    rows: int
    time_s: float
    flops: float
    bytes: float
    bound: str
    utilization: float
    compute_s: float
    memory_s: float
    conversion_s: float
    overhead_s: float
    weight_format: str | None
    activation_format: str
    compute_pair: str | None = None
    weight_location: str | None = None
    breakdown: dict[str, float] = field(default_factory=dict)

    @property
    def intensity_flops_per_byte(self) -> float:
        return self.flops / self.bytes if self.bytes else float("inf")

    @property
    def achieved_flops_per_s(self) -> float:
        return self.flops / self.time_s if self.time_s else 0.0


@dataclass(frozen=True)
class CostContext:
    """Everything op costs depend on, resolved once per run."""

    graph: Graph
    plan: PrecisionPlan
    device: Device
    options: RunOptions
    residency: Residency
    weight_bytes: dict[str, float]

    def bandwidth(self, location: str) -> float:
        if location == "onchip" and self.residency.onchip_level is not None:
            return self.device.memory_bandwidth_bytes_per_s(self.residency.onchip_level)
        return self.device.memory_bandwidth_bytes_per_s()

    @property
    def activation_location(self) -> str:
        return "onchip" if self.device.modelling.onchip_memory is not None else "stream"


def _finish(ctx: CostContext, op: Op, resource: str, rows: int, compute_s: float, memory_s: float,
            conversion_s: float, flops: float, nbytes: float, ideal_s: float, weight_fmt: str | None,
            act_fmt: str, calls: int = 1, **extra: object) -> OpCost:
    overhead_s = ctx.device.modelling.overhead_s * calls
    time_s = max(compute_s, memory_s) + conversion_s + overhead_s
    terms = {"compute": compute_s, "memory": memory_s, "overhead": overhead_s + conversion_s}
    bound = max(terms, key=terms.get)
    return OpCost(op.name, COMPONENT_OF[op.component.value], op.kind.value, resource, rows, time_s, flops, nbytes,
                  bound, ideal_s / time_s if time_s else 0.0, compute_s, memory_s, conversion_s, overhead_s,
                  weight_fmt, act_fmt, **extra)


def _weight_traffic(ctx: CostContext, name: str | None) -> tuple[float, float, str | None]:
    """(bytes, seconds) of reading a weight once, and where it is read from."""
    if name is None:
        return 0.0, 0.0, None
    where = ctx.residency.where(name)
    nbytes = ctx.weight_bytes[name]
    return nbytes, nbytes / ctx.bandwidth(where), where


def _gemm_on_accelerator(ctx: CostContext, op: Op, rows: int) -> OpCost:
    act = ctx.plan.op(op.name).activation_format
    weight = ctx.plan.tensor(op.weight).format if op.weight else act
    choice = select_engine(ctx.device, weight, act)
    engine, knobs, gemm = choice.engine, ctx.device.modelling, op.gemm
    m = gemm.m(rows)
    cycles = gemm_cycles(m, gemm.k, gemm.n, rows=engine.rows, cols=engine.cols, dataflow=knobs.dataflow,
                         weight_load=knobs.weight_load, fill_drain=knobs.fill_drain, arrays=engine.arrays,
                         macs_per_pe=choice.macs_per_pe_per_cycle)
    compute_s = cycles.total_cycles * choice.passes * gemm.batch / engine.clock_hz
    w_bytes, w_s, where = _weight_traffic(ctx, op.weight)
    act_bytes = (m * gemm.k + m * gemm.n) * gemm.batch * act.bytes
    extra_bytes = sum(ctx.weight_bytes[name] for name in op.extra_weights)
    memory_s = w_s + (act_bytes + extra_bytes) / ctx.bandwidth(ctx.activation_location)
    table = ctx.device.gemm_table
    if table is not None and choice.compute_pair == f"{table.dtype}x{table.dtype}":
        compute_s, memory_s = table.seconds(m, gemm.k, gemm.n) * gemm.batch, 0.0  # measured: memory included
    conversion_s = _conversion_s(ctx, choice.converted_operand, m, gemm.k, gemm.n) * gemm.batch
    macs = op.macs(rows)
    ideal_s = macs * OPS_PER_MAC / choice.peak_ops_per_s
    breakdown = {"ideal_cycles": cycles.ideal_cycles, "spatial_underuse_cycles": cycles.spatial_underuse_cycles,
                 "fill_drain_cycles": cycles.fill_drain_cycles, "weight_load_cycles": cycles.weight_load_cycles,
                 "extra_pass_cycles": cycles.total_cycles * (choice.passes - 1),
                 "memory_stall_s": max(0.0, memory_s - compute_s), "array_cycles": cycles.total_cycles * choice.passes}
    return _finish(ctx, op, "matrix", rows, compute_s, memory_s, conversion_s, op.flops(rows),
                   w_bytes + act_bytes + extra_bytes, ideal_s, weight.value, act.value,
                   compute_pair=choice.compute_pair, weight_location=where, breakdown=breakdown)


def _conversion_s(ctx: CostContext, converted: str | None, m: int, k: int, n: int) -> float:
    if converted is None:
        return 0.0
    elements = k * n if converted == "weights" else m * k
    return elements * ctx.device.modelling.conversion_ops_per_element / ctx.device.vector_ops_per_s()


def _vector_format(ctx: CostContext, wanted: NumberFormat) -> NumberFormat:
    """Element-wise work runs in the activation format if a vector unit handles it, else in its widest float."""
    formats = [f for unit in ctx.device.vector_units for f in unit.formats]
    if wanted in formats:
        return wanted
    floats = [f for f in formats if f.is_float]
    return max(floats, key=lambda f: f.bits) if floats else formats[0]


def _vector_op(ctx: CostContext, op: Op, rows: int) -> OpCost:
    fmt = _vector_format(ctx, ctx.plan.op(op.name).activation_format)
    knobs = ctx.device.modelling
    ops = rows * (op.vector_ops_per_row + op.sfu_ops_per_row * knobs.transcendental_ops_per_element)
    rate = ctx.device.vector_ops_per_s(fmt)
    compute_s = ops / rate
    act_bytes = op.activation_elements(rows) * fmt.bytes
    w_bytes, w_s, where = _weight_traffic(ctx, op.weight)
    extra_bytes = sum(ctx.weight_bytes[name] for name in op.extra_weights)
    memory_s = w_s + (act_bytes + extra_bytes) / ctx.bandwidth(ctx.activation_location)
    ideal_s = rows * (op.vector_ops_per_row + op.sfu_ops_per_row) / rate
    return _finish(ctx, op, "vector", rows, compute_s, memory_s, 0.0, op.flops(rows), act_bytes + w_bytes + extra_bytes,
                   ideal_s, ctx.plan.tensor(op.weight).format.value if op.weight else None, fmt.value,
                   calls=_vector_calls(ctx, op), weight_location=where)


def _vector_calls(ctx: CostContext, op: Op) -> int:
    """Overheads an element-wise op pays: 1 when fused; one per pass over its output when issued eagerly."""
    if not ctx.device.modelling.vector_overhead_per_pass or not op.out_elements_per_row:
        return 1
    return max(1, math.ceil((op.vector_ops_per_row + op.sfu_ops_per_row) / op.out_elements_per_row))


def _lookup(ctx: CostContext, op: Op, rows: int) -> OpCost:
    table = ctx.graph.tensor(op.weight)
    per_element = ctx.weight_bytes[op.weight] / table.params
    nbytes = rows * op.out_elements_per_row * per_element
    where = ctx.residency.where(op.weight)
    memory_s = nbytes / ctx.bandwidth(where)
    return _finish(ctx, op, "vector", rows, 0.0, memory_s, 0.0, 0.0, nbytes, 0.0,
                   ctx.plan.tensor(op.weight).format.value, ctx.plan.op(op.name).activation_format.value,
                   weight_location=where)


def _gemm_on_host(ctx: CostContext, op: Op, rows: int, host_flops_per_s: float, host_bw: float) -> OpCost:
    """A joint GEMM placed on the host CPU: roofline on one core (the search thread)."""
    flops = op.flops(rows)
    nbytes = ctx.graph.tensor(op.weight).params * NumberFormat.FLOAT32.bytes + op.activation_elements(rows) * 4
    compute_s, memory_s = flops / host_flops_per_s, nbytes / host_bw
    cost = _finish(ctx, op, "cpu", rows, compute_s, memory_s, 0.0, flops, nbytes, compute_s, NumberFormat.FLOAT32.value,
                   NumberFormat.FLOAT32.value)
    return cost


def cost_op(ctx: CostContext, op: Op, rows: int, host: tuple[float, float] | None = None) -> OpCost:
    """Cost of one invocation of `op` over `rows` rows.

    Args:
        host: (flops/s, bytes/s) of the host thread, needed when the joint runs on the host.
    """
    if op.component.value == "joint" and ctx.options.joint_placement is Placement.HOST and op.gemm is not None:
        if host is None:
            raise ValueError("host rates needed for a host-placed joint")
        return _gemm_on_host(ctx, op, rows, *host)
    if op.kind in GEMM_KINDS:
        return _gemm_on_accelerator(ctx, op, rows)
    if op.kind is OpKind.LOOKUP:
        return _lookup(ctx, op, rows)
    return _vector_op(ctx, op, rows)
