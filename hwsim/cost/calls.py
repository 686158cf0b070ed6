"""DeviceCallCosts: the simulator's CallCosts, built from per-op costs and memoised by call size.

Segments of one call are the ops of that call in graph order, each on its resource; consecutive segments on
the same resource are merged (they would run back to back anyway). An encoder recurrent block (the per-frame
ops of one LSTM direction) repeats once per encoder frame, after a one-time load of its staged weight.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from hwsim.cost.host import TOPK_OPS_PER_ELEMENT, HostModel
from hwsim.cost.ops import COMPONENT_OF, CostContext, OpCost, cost_op
from hwsim.cost.options import Placement
from hwsim.graph.model import Op, OpKind, Trigger
from hwsim.errors import SpecError
from hwsim.sim.costs import Segment
from hwsim.specs.workload import HmmSearchSpec

ENCODER_TRIGGERS = (Trigger.ENCODER_FRAMES, Trigger.ENCODER_RECURRENT)
SCALAR_OPS_PER_CYCLE = 2  # sustained instructions per cycle of branchy search code on an out-of-order core


def merge_segments(segments: Iterable[Segment]) -> tuple[Segment, ...]:
    merged: list[Segment] = []
    for seg in segments:
        if seg.duration_s <= 0:
            continue
        last = merged[-1] if merged else None
        if last and last.resource == seg.resource and last.component == seg.component:
            label = last.label if last.label.endswith("...") else f"{last.label}..."
            merged[-1] = Segment(last.resource, last.component, last.duration_s + seg.duration_s, label)
        else:
            merged.append(seg)
    return tuple(merged)


def _segment(cost: OpCost) -> Segment:
    return Segment(cost.resource, cost.component, cost.time_s, cost.op)


class DeviceCallCosts:
    """CallCosts for one (graph, plan, device, host, options); every cost computed once per (op, rows)."""

    def __init__(self, ctx: CostContext, host: HostModel | None, hmm: HmmSearchSpec | None = None):
        self.ctx, self.host, self.hmm = ctx, host, hmm
        self._ops: dict[tuple[str, int], OpCost] = {}
        self._calls: dict[tuple[str, int], tuple[Segment, ...]] = {}
        ops = ctx.graph.ops
        self.encoder_ops = tuple(op for op in ops if op.trigger in ENCODER_TRIGGERS)
        self.prediction_ops = tuple(op for op in ops if op.trigger is Trigger.PREDICTION_CALL)
        self.joint_ops = tuple(op for op in ops if op.trigger is Trigger.JOINT_CALL and not self._softmax_on_host(op))

    def _softmax_on_host(self, op: Op) -> bool:
        return op.kind is OpKind.SOFTMAX and self.ctx.options.softmax_placement is Placement.HOST

    def op_cost(self, op: Op, rows: int) -> OpCost:
        key = (op.name, rows)
        if key not in self._ops:
            self._ops[key] = self._compute(op, rows)
        return self._ops[key]

    def _compute(self, op: Op, rows: int) -> OpCost:
        on_host = op.component.value == "joint" and self.ctx.options.joint_placement is Placement.HOST
        if on_host and op.trigger is not Trigger.ENCODER_FRAMES:
            host = self._require_host()
            if op.gemm is None:
                return host.elementwise(op, rows)
            return cost_op(self.ctx, op, rows, (host.flops_per_s, host.cpu.memory_bandwidth_bytes_per_s))
        return cost_op(self.ctx, op, rows)

    def _require_host(self) -> HostModel:
        if self.host is None:
            raise SpecError(self.ctx.device.file, "host_cpu", "a host CPU for the decoder's search (give --host DEVICE)")
        return self.host

    def _memo(self, kind: str, rows: int, build) -> tuple[Segment, ...]:
        key = (kind, rows)
        if key not in self._calls:
            self._calls[key] = merge_segments(build(rows))
        return self._calls[key]

    # ---- CallCosts ----
    def encoder(self, frames: int, exclusive: bool = False) -> Sequence[Segment]:
        kind = "encoder_exclusive" if exclusive else "encoder"
        return self._memo(kind, frames, lambda f: self._encoder_segments(f, exclusive))

    def prediction(self, rows: int) -> Sequence[Segment]:
        return self._memo("prediction", rows, lambda r: self._dispatch("prediction", r)
                          + [_segment(self.op_cost(op, r)) for op in self.prediction_ops])

    def joint(self, rows: int) -> Sequence[Segment]:
        return self._memo("joint", rows, lambda r: self._dispatch("joint", r) + self._joint_segments(r))

    def _dispatch(self, component: str, rows: int) -> list[Segment]:
        """The host gathers the hypotheses' states/outputs into a batch before a network call: one candidate's
        bookkeeping (`host_cpu.per_candidate_s`) per row."""
        if self.host is None:
            return []
        return [Segment("cpu", component, rows * self.host.cpu.per_candidate_s, f"{component}.gather")]

    def transfer(self, rows: int) -> Sequence[Segment]:
        return self._memo("transfer", rows, lambda r: [_segment(self.transfer_cost(r))])

    def search(self, hyps: int) -> Sequence[Segment]:
        return self._memo("search", hyps, lambda h: [_segment(self.search_cost(h))])

    def hmm_search(self, frames: int) -> Sequence[Segment]:
        return self._memo("hmm", frames, self._hmm_segments)

    # ---- builders ----
    def transfer_cost(self, rows: int) -> OpCost:
        out = self.ctx.plan.op("joint.out").activation_format
        return self._require_host().transfer(rows, out)

    def search_cost(self, rows: int) -> OpCost:
        return self._require_host().search(rows)

    def _joint_segments(self, rows: int) -> list[Segment]:
        segments = [_segment(self.op_cost(op, rows)) for op in self.joint_ops]
        if self.ctx.options.topk_placement is Placement.ACCELERATOR:
            elements = rows * self.ctx.graph.vocab_size * TOPK_OPS_PER_ELEMENT
            segments.append(Segment("vector", "joint", elements / self.ctx.device.vector_ops_per_s(), "joint.topk"))
        return segments

    def _encoder_segments(self, frames: int, exclusive: bool = False) -> list[Segment]:
        segments: list[Segment] = []
        steps = 0
        block: list[Op] = []
        for op in self.encoder_ops + (None,):
            if op is not None and op.trigger is Trigger.ENCODER_RECURRENT:
                block.append(op)
                steps = op.invocations(frames)
                continue
            if block:
                segments += self._recurrent_block(block, steps, exclusive)
                block = []
            if op is not None:
                segments.append(_segment(self.op_cost(op, op.rows_per_invocation(frames))))
        return segments

    def _recurrent_block(self, block: list[Op], steps: int, exclusive: bool) -> list[Segment]:
        loads = [self._staged_load(op) for op in block if op.weight in self.ctx.residency.staged]
        step = merge_segments(_segment(self.op_cost(op, 1)) for op in block)
        if exclusive:  # one segment per resource for all steps: same busy time, no other user to interleave
            return loads + [Segment(s.resource, s.component, s.duration_s * steps, f"{s.label} x{steps}") for s in step]
        return loads + list(step) * steps

    def _staged_load(self, op: Op) -> Segment:
        nbytes = self.ctx.weight_bytes[op.weight]
        seconds = nbytes / self.ctx.device.memory_bandwidth_bytes_per_s()
        return Segment("memory", COMPONENT_OF[op.component.value], seconds, f"load {op.weight}")

    def _hmm_segments(self, frames: int) -> list[Segment]:
        """WFST token passing is scalar, branchy code: it runs at SCALAR_OPS_PER_CYCLE, not the SIMD rate."""
        if self.hmm is None:
            raise ValueError("hybrid models need the workload's hmm_search section")
        host = self._require_host()
        ops = frames * self.hmm.active_tokens_per_frame * self.hmm.ops_per_token
        seconds = ops / (host.cpu.clock_hz * SCALAR_OPS_PER_CYCLE) + host.cpu.search_step_overhead_s * frames
        return [Segment("cpu", "hmm_search", seconds, "hmm_search")]

    # ---- serving (hwsim.sim.serving): one encoder call over a batch of chunks ----
    def encoder_batch(self, frames: int, batch: int, exclusive: bool = False) -> Sequence[Segment]:
        """Encoding `batch` chunks of `frames` input frames each in one call: frame-parallel ops see batch x rows
        (weights read once for the batch), recurrent blocks keep their sequential steps with `batch` rows each.
        batch 1 is exactly encoder()."""
        if batch == 1:
            return self.encoder(frames, exclusive)
        key = f"encoder_batch{batch}{'_exclusive' if exclusive else ''}"
        return self._memo(key, frames, lambda f: self._batched_encoder_segments(f, batch, exclusive))

    def _batched_encoder_segments(self, frames: int, batch: int, exclusive: bool) -> list[Segment]:
        segments: list[Segment] = []
        block: list[Op] = []
        for op in self.encoder_ops + (None,):
            if op is not None and op.trigger is Trigger.ENCODER_RECURRENT:
                block.append(op)
                continue
            if block:
                loads = [self._staged_load(b) for b in block if b.weight in self.ctx.residency.staged]
                step = merge_segments(_segment(self.op_cost(b, batch)) for b in block)
                steps = block[-1].invocations(frames)
                if exclusive:
                    step = tuple(Segment(s.resource, s.component, s.duration_s * steps, f"{s.label} x{steps}")
                                 for s in step)
                    steps = 1
                segments += loads + list(step) * steps
                block = []
            if op is not None:
                segments.append(_segment(self.op_cost(op, batch * op.rows_per_invocation(frames))))
        return segments
