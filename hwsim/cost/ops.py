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

from hwsim.cost.hardware import Device
from hwsim.cost.gemm import OperandTraffic, gemm_cost, scale_blocks_along_k
from hwsim.cost.options import Placement, RunOptions
from hwsim.cost.residency import Residency
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
    computed_as: str | None = None  # GEMMs: "int4 weights x bf16 activations computed as bf16 x bf16 (...) on ..."
    passes: float = 1.0

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
    # GEMM costs by everything gemm_cost reads (ops of equal shape, formats and traffic share one: the layers of
    # a stack); a replace()d context (another device) starts its own
    gemm_memo: dict = field(default_factory=dict, init=False, compare=False, repr=False)

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
    """A GEMM op priced by the one GEMM cost (hwsim.cost.gemm) with this run's traffic and scales."""
    act = ctx.plan.op(op.name).activation_format
    weight_plan = ctx.plan.tensor(op.weight) if op.weight else None
    weight = weight_plan.format if weight_plan else act
    gemm, m = op.gemm, op.gemm.m(rows)
    w_bytes, _, where = _weight_traffic(ctx, op.weight)
    extra_bytes = sum(ctx.weight_bytes[name] for name in op.extra_weights)
    act_bytes = (m * gemm.k + m * gemm.n) * act.bytes + extra_bytes / gemm.batch
    traffic = OperandTraffic(w_bytes / gemm.batch, ctx.bandwidth(where) if where else 1.0, act_bytes,
                             ctx.bandwidth(ctx.activation_location), where)
    blocks = scale_blocks_along_k(weight_plan.metadata_entries, gemm.n) if weight_plan and weight_plan.quantized else 1
    key = (m, gemm.k, gemm.n, gemm.batch, weight, act, traffic, blocks)
    cost = ctx.gemm_memo.get(key)
    if cost is None:
        cost = ctx.gemm_memo[key] = gemm_cost(ctx.device, m, gemm.k, gemm.n, weight, act, traffic=traffic,
                                              matmul_precision=ctx.options.matmul_precision, scale_blocks=blocks,
                                              batch=gemm.batch, compute_as=ctx.options.compute_as)
    breakdown = cost.breakdown()
    ideal_s = op.macs(rows) * OPS_PER_MAC / cost.choice.peak_ops_per_s
    return OpCost(op.name, COMPONENT_OF[op.component.value], op.kind.value, "matrix", rows, cost.time_s,
                  op.flops(rows), traffic.bytes * gemm.batch, cost.bound, ideal_s / cost.time_s if cost.time_s else 0.0,
                  cost.array_s, cost.memory_s, cost.vector_s, cost.overhead_s, weight.value, act.value,
                  compute_pair=cost.choice.compute_pair, weight_location=where, breakdown=breakdown,
                  computed_as=cost.choice.describe(ctx.device.name), passes=cost.choice.passes)



def _vector_format(ctx: CostContext, wanted: NumberFormat) -> NumberFormat:
    """Element-wise work runs in the activation format if a vector unit handles it, else in its widest float."""
    formats = [f for unit in ctx.device.vector_units for f in unit.formats]
    if wanted in formats:
        return wanted
    floats = [f for f in formats if f.is_float]
    return max(floats, key=lambda f: f.bits) if floats else formats[0]


FUSIBLE_KINDS = (OpKind.ELEMENTWISE, OpKind.ACTIVATION, OpKind.NORM)


def fused(ctx: CostContext, op: Op) -> bool:
    """Under `elementwise_fusion: per_layer` an element-wise op runs inside its layer's kernel: its inputs and
    outputs stay in registers/on-chip (no memory round trip) and it pays no launch of its own."""
    return ctx.options.fuse_elementwise and op.kind in FUSIBLE_KINDS


def _vector_op(ctx: CostContext, op: Op, rows: int) -> OpCost:
    fmt = _vector_format(ctx, ctx.plan.op(op.name).activation_format)
    knobs = ctx.device.modelling
    ops = rows * (op.vector_ops_per_row + op.sfu_ops_per_row * knobs.transcendental_ops_per_element)
    rate = ctx.device.vector_ops_per_s(fmt)
    compute_s = ops / rate
    is_fused = fused(ctx, op)
    act_bytes = 0.0 if is_fused else op.activation_elements(rows) * fmt.bytes
    w_bytes, w_s, where = _weight_traffic(ctx, op.weight)
    extra_bytes = sum(ctx.weight_bytes[name] for name in op.extra_weights)
    memory_s = w_s + (act_bytes + extra_bytes) / ctx.bandwidth(ctx.activation_location)
    ideal_s = rows * (op.vector_ops_per_row + op.sfu_ops_per_row) / rate
    return _finish(ctx, op, "vector", rows, compute_s, memory_s, 0.0, op.flops(rows), act_bytes + w_bytes + extra_bytes,
                   ideal_s, ctx.plan.tensor(op.weight).format.value if op.weight else None, fmt.value,
                   calls=0 if is_fused else _vector_calls(ctx, op), weight_location=where)


def _vector_calls(ctx: CostContext, op: Op) -> int:
    """Overheads an unfused element-wise op pays: 1 per op; one per pass over its output when issued eagerly."""
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
