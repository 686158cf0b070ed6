"""DeviceCallCosts: the simulator's CallCosts, built from per-op costs and memoised by call size.

Segments of one call are the ops of that call in graph order, each on its resource; consecutive segments on
the same resource are merged (they would run back to back anyway). An encoder recurrent block (the per-frame
ops of one LSTM direction) repeats once per encoder frame, after a one-time load of its staged weight.

Per-call latencies (device file, `modelling`), labelled so traces show them. A launch is host work (driver,
framework dispatch) and occupies the host lane, where it merges with the host's gather of that call; a
recurrent-step or device-loop latency occupies the matrix lane (the device waits on its own synchronisation).
An eager runtime measured by `hwsim calibrate` (modelling.runtime_calls) has its own fixed and per-row host time
per prediction / joint call, its Python glue, in place of dispatch_latency_s and the per-candidate gather:

| where the search runs | per encoder call | per recurrent step | per prediction / joint call | per search step |
|---|---|---|---|---|
| host        | dispatch_latency_s | step_latency_s | dispatch_latency_s, or runtime_calls.*.fixed_s | host search |
| accelerator | dispatch_latency_s | step_latency_s | - (inside the device loop) | step_latency_s + device search |

With the search on the accelerator, log-softmax and top-k run in the joint call, sort and hypothesis
bookkeeping run on the vector unit (hwsim.cost.device_search), and no transfer happens per step; only the final
hypotheses cross the link once per utterance (a cost-table row; the engine has no end-of-utterance call, and
one link latency per utterance is below the simulator's reporting precision for any real utterance).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Sequence

from hwsim.cost.device_search import TOPK_OPS_PER_ELEMENT, device_search_s
from hwsim.cost.host import HostModel
from hwsim.cost.ops import COMPONENT_OF, CostContext, OpCost, cost_op
from hwsim.cost.options import Placement
from hwsim.graph.model import Op, OpKind, Trigger
from hwsim.errors import SpecError
from hwsim.cost.segments import OpInfo, Segment
from hwsim.specs.workload import HmmSearchSpec

ENCODER_TRIGGERS = (Trigger.ENCODER_FRAMES, Trigger.ENCODER_RECURRENT)
LAUNCH_RESOURCE, LATENCY_RESOURCE = "cpu", "matrix"


def merge_segments(segments: Iterable[Segment]) -> tuple[Segment, ...]:
    merged: list[Segment] = []
    for seg in segments:
        if seg.duration_s <= 0:
            continue
        last = merged[-1] if merged else None
        if last and last.resource == seg.resource and last.component == seg.component:
            label = last.label if last.label.endswith("...") else f"{last.label}..."
            merged[-1] = Segment(last.resource, last.component, last.duration_s + seg.duration_s, label,
                                 last.ops + seg.ops if last.repeat == seg.repeat == 1 else ())
        else:
            merged.append(seg)
    return tuple(merged)


def _segment(cost: OpCost) -> Segment:
    info = OpInfo(cost.op, cost.time_s, cost.flops, cost.bytes, cost.bound,
                  cost.compute_pair or f"{cost.activation_format or ''}")
    return Segment(cost.resource, cost.component, cost.time_s, cost.op, (info,))


class DeviceCallCosts:
    """CallCosts for one (graph, plan, device, host, options); every cost computed once per (op, rows)."""

    def __init__(self, ctx: CostContext, host: HostModel | None, hmm: HmmSearchSpec | None = None):
        self.ctx, self.host, self.hmm = ctx, host, hmm
        self._ops: dict[tuple[str, int], OpCost] = {}
        self._fused_ops: dict[tuple[str, int], OpCost] = {}
        self._calls: dict[tuple[str, int], tuple[Segment, ...]] = {}
        ops = ctx.graph.ops
        self.encoder_ops = tuple(op for op in ops if op.trigger in ENCODER_TRIGGERS)
        self.prediction_ops = tuple(op for op in ops if op.trigger is Trigger.PREDICTION_CALL)
        self.joint_ops = tuple(op for op in ops if op.trigger is Trigger.JOINT_CALL and not self._softmax_on_host(op))
        self.decoder_gemms = tuple(op for op in ops if op.trigger in DECODER_CALL_TRIGGERS and op.gemm is not None)
        # bytes of weights the decoder re-reads per step: every GEMM run per prediction or joint call
        self.decoder_weight_bytes = float(sum(ctx.weight_bytes.get(op.weight, 0.0) for op in self.decoder_gemms
                                              if op.weight))
        self._glue: dict[int, float] = {}

    def _softmax_on_host(self, op: Op) -> bool:
        return op.kind is OpKind.SOFTMAX and self.ctx.options.softmax_placement is Placement.HOST

    def op_cost(self, op: Op, rows: int) -> OpCost:
        key = (op.name, rows)
        if key not in self._ops:
            self._ops[key] = self._compute(op, rows)
        return self._ops[key]

    def recurrent_op_cost(self, op: Op, rows: int) -> OpCost:
        """An op of a recurrent step: as op_cost, but with no per-op overhead when the runtime fuses the layer
        into one kernel (modelling.fused_recurrence; its per-step cost is step_latency_s)."""
        modelling = self.ctx.device.modelling
        if not modelling.fused_recurrence:
            return self.op_cost(op, rows)
        key = (op.name, rows)
        if key not in self._fused_ops:
            device = replace(self.ctx.device, modelling=replace(modelling, overhead_s=0.0))
            self._fused_ops[key] = cost_op(replace(self.ctx, device=device), op, rows)
        return self._fused_ops[key]

    def _compute(self, op: Op, rows: int) -> OpCost:
        on_host = op.component.value == "joint" and self.ctx.options.joint_placement is Placement.HOST
        if on_host and op.trigger is not Trigger.ENCODER_FRAMES:
            host = self._require_host()
            if op.gemm is None:
                return host.elementwise(op, rows)
            return cost_op(self.ctx, op, rows, (host.flops_per_s, host.cpu.memory_bandwidth_bytes_per_s))
        return self._with_cold_dispatch(op, rows, self._with_refetch(op, rows, cost_op(self.ctx, op, rows)))

    def _with_cold_dispatch(self, op: Op, rows: int, cost: OpCost) -> OpCost:
        """A decoder op's own per-call overhead (the runtime dispatching it: numpy's ufunc and reduction calls, an
        onnxruntime kernel launch) is host work like the runtime's glue and slows the same way when the decoder's
        step has evicted the caches: overhead x glue_factor(rows). Measured here: an 8 x 46 log-softmax takes
        5.3 us in a tight loop, 6.8 us after a 4 MiB pass and 39 us after a 48 MiB pass."""
        factor = self.glue_factor(rows) if op.trigger in DECODER_CALL_TRIGGERS else 1.0
        if factor == 1.0 or cost.overhead_s <= 0.0:
            return cost
        extra = cost.overhead_s * (factor - 1.0)
        return replace(cost, time_s=cost.time_s + extra, overhead_s=cost.overhead_s + extra,
                       breakdown={**cost.breakdown, "cold_dispatch_s": extra})

    def _with_refetch(self, op: Op, rows: int, cost: OpCost) -> OpCost:
        """A decoder op priced from the hot GEMM table, plus re-reading its weights from wherever the decoder's
        per-step working set left them (hwsim.cost.cache_reuse; measured devices only)."""
        reuse = self.ctx.device.cache_reuse
        table = self.ctx.device.gemm_table
        if (reuse is None or op.gemm is None or op.trigger not in DECODER_CALL_TRIGGERS or table is None
                or cost.compute_pair != f"{table.dtype}x{table.dtype}"):
            return cost
        seconds = reuse.refetch_s(op.gemm.m(rows), op.gemm.k, op.gemm.n, self.decoder_weight_bytes) * op.gemm.batch
        if seconds <= 0.0:
            return cost
        return replace(cost, time_s=cost.time_s + seconds, memory_s=cost.memory_s + seconds,
                       breakdown={**cost.breakdown, "weight_refetch_s": seconds})

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

    @property
    def search_on_accelerator(self) -> bool:
        return self.ctx.options.search_on_accelerator

    def glue_factor(self, rows: int) -> float:
        """The runtime's host glue at a call of `rows` hypotheses over its hot (tiny-model) time: 1 + f (g - 1),
        f the decoder GEMMs' largest miss fraction at those rows, g the measured cold-cache factor
        (hwsim.cost.cache_reuse); 1 on devices without both."""
        reuse, factor = self.ctx.device.cache_reuse, self.ctx.device.modelling.cold_cache_factor
        if reuse is None or factor == 1.0:
            return 1.0
        if rows not in self._glue:
            m_cap = reuse.cold_max_m
            fraction = max((reuse.miss_fraction(min(op.gemm.m(rows), m_cap), op.gemm.k, op.gemm.n,
                                                self.decoder_weight_bytes) for op in self.decoder_gemms), default=0.0)
            self._glue[rows] = 1.0 + fraction * (factor - 1.0)
        return self._glue[rows]

    def launch_s(self, component: str, rows: int = 1) -> float:
        """Latency charged once per call of `component` (see the module table)."""
        knobs = self.ctx.device.modelling
        if component == "encoder":
            return knobs.dispatch_latency_s
        if component == "search":
            return knobs.step_latency_s if self.search_on_accelerator else 0.0
        if self.search_on_accelerator:
            return 0.0
        runtime = knobs.runtime_call(component)
        return runtime.fixed_s * self.glue_factor(rows) if runtime else knobs.dispatch_latency_s

    def gather_per_row_s(self, component: str, rows: int = 1) -> float:
        """Host time per row of a host-driven prediction / joint call: the runtime's measured per-row glue when
        the device has it (modelling.runtime_calls), else one candidate's bookkeeping (host_cpu.per_candidate_s)."""
        if self.search_on_accelerator:
            return 0.0
        runtime = self.ctx.device.modelling.runtime_call(component)
        if runtime is not None:
            return runtime.per_row_s * self.glue_factor(rows)
        return self.host.cpu.per_candidate_s if self.host is not None else 0.0

    def _launch(self, component: str, rows: int = 1) -> list[Segment]:
        seconds = self.launch_s(component, rows)
        label, resource = ("search.step latency", LATENCY_RESOURCE) if component == "search" else \
            (f"{component}.launch", LAUNCH_RESOURCE)
        return [Segment(resource, component, seconds, label, (OpInfo(label, seconds, 0.0, 0.0, "latency", ""),))]

    def _dispatch(self, component: str, rows: int) -> list[Segment]:
        """A host-driven call: its launch latency, and the host gathering the hypotheses' states/outputs into a
        batch (gather_per_row_s per row). Device-side loops do neither."""
        if self.search_on_accelerator:
            return []
        gather = []
        if self.host is not None or self.ctx.device.modelling.runtime_call(component) is not None:
            seconds = rows * self.gather_per_row_s(component, rows)
            info = OpInfo(f"{component}.gather", seconds, 0.0, 0.0, "host", "")
            gather = [Segment("cpu", component, seconds, f"{component}.gather", (info,))]
        return gather + self._launch(component, rows)

    def transfer(self, rows: int) -> Sequence[Segment]:
        if self.search_on_accelerator:
            return ()
        return self._memo("transfer", rows, lambda r: [_segment(self.transfer_cost(r))])

    def search(self, hyps: int) -> Sequence[Segment]:
        if self.search_on_accelerator:
            return self._memo("search", hyps, lambda h: self._launch("search") + [_segment(self.search_cost(h))])
        return self._memo("search", hyps, lambda h: [_segment(self.search_cost(h))])

    def hmm_search(self, frames: int) -> Sequence[Segment]:
        return self._memo("hmm", frames, self._hmm_segments)

    # ---- builders ----
    def transfer_cost(self, rows: int) -> OpCost:
        out = self.ctx.plan.op("joint.out").activation_format
        return self._require_host().transfer(rows, out)

    def search_cost(self, rows: int) -> OpCost:
        if self.search_on_accelerator:
            seconds = device_search_s(rows, self.ctx.options.topk, self.ctx.device.vector_ops_per_s())
            return OpCost("search", "search", "search", "vector", rows, seconds, 0.0, 0.0, "compute", 1.0, seconds,
                          0.0, 0.0, 0.0, None, "float32")
        cost = self._require_host().search(rows)
        factor = self.glue_factor(rows) if self.ctx.device.modelling.runtime_calls else 1.0
        if factor == 1.0:
            return cost
        extra = cost.overhead_s * (factor - 1.0)
        return replace(cost, time_s=cost.time_s + extra, overhead_s=cost.overhead_s + extra)

    def final_transfer_cost(self, beam: int, labels: int) -> OpCost:
        """Search on the accelerator: the final hypotheses (int32 labels + a float32 score each) cross once."""
        link = self.ctx.device.host_link
        nbytes = beam * (labels + 1) * 4
        seconds = link.transfer_time_s(nbytes) if link else 0.0
        return OpCost("final_hypotheses", "transfer", "transfer", "link", beam, seconds, 0.0, nbytes, "overhead", 0.0,
                      0.0, seconds - (link.latency_s if link else 0.0), 0.0, link.latency_s if link else 0.0, None, "int32")

    def _joint_segments(self, rows: int) -> list[Segment]:
        segments = [_segment(self.op_cost(op, rows)) for op in self.joint_ops]
        if self.ctx.options.topk_placement is Placement.ACCELERATOR:
            elements = rows * self.ctx.graph.vocab_size * TOPK_OPS_PER_ELEMENT
            seconds = elements / self.ctx.device.vector_ops_per_s()
            segments.append(Segment("vector", "joint", seconds, "joint.topk", (OpInfo("joint.topk", seconds, elements, 0.0, "vector", ""),)))
        return segments

    def _encoder_segments(self, frames: int, exclusive: bool = False, batch: int = 1) -> list[Segment]:
        """One encoder call over `batch` chunks of `frames` input frames (frame-parallel ops see batch x rows): the
        packed call of equal members."""
        return self._packed_segments((frames,) * batch, exclusive)

    def recurrent_steps(self, frames: int) -> int:
        """Recurrent steps of one encoder call: each recurrent block (consecutive per-frame ops) runs once per frame."""
        steps, previous = 0, None
        for op in self.encoder_ops:
            if op.trigger is Trigger.ENCODER_RECURRENT and previous is not Trigger.ENCODER_RECURRENT:
                steps += op.invocations(frames)
            previous = op.trigger
        return steps

    def latency_cost(self, component: str, rows: int = 1) -> OpCost:
        """One call's launch (or one device-loop step's latency) as a cost-table row."""
        seconds = self.launch_s(component, rows)
        label, resource = ("step_latency", LATENCY_RESOURCE) if component == "search" else ("launch", LAUNCH_RESOURCE)
        return OpCost(f"{component}.{label}", component, "latency", resource, rows, seconds, 0.0, 0.0,
                      "overhead", 0.0, 0.0, 0.0, 0.0, seconds, None, "-")

    def step_latency_cost(self) -> OpCost:
        seconds = self.ctx.device.modelling.step_latency_s
        return OpCost("encoder.step_latency", "encoder", "latency", LATENCY_RESOURCE, 1, seconds, 0.0, 0.0,
                      "overhead", 0.0, 0.0, 0.0, 0.0, seconds, None, "-")

    def gather_cost(self, component: str, rows: int) -> OpCost:
        seconds = rows * self.gather_per_row_s(component, rows)
        return OpCost(f"{component}.gather", component, "gather", "cpu", rows, seconds, 0.0, 0.0, "overhead", 0.0,
                      0.0, 0.0, 0.0, seconds, None, "-")

    def _recurrent_steps(self, block: list[Op], steps: int, exclusive: bool, rows: int) -> list[Segment]:
        """`steps` back-to-back steps of a recurrent block on `rows` rows each (its staged weights already loaded)."""
        step_s = self.ctx.device.modelling.step_latency_s
        latency = Segment(LATENCY_RESOURCE, COMPONENT_OF[block[0].component.value], step_s, "step latency",
                          (OpInfo("step latency", step_s, 0.0, 0.0, "latency", ""),))
        step = merge_segments([latency] + [_segment(self.recurrent_op_cost(op, rows)) for op in block])
        if exclusive:  # one segment per resource for all steps: same busy time, no other user to interleave
            return [Segment(s.resource, s.component, s.duration_s * steps, f"{s.label} x{steps}", s.ops, steps)
                    for s in step]
        return list(step) * steps

    def _staged_load(self, op: Op) -> Segment:
        nbytes = self.ctx.weight_bytes[op.weight]
        seconds = nbytes / self.ctx.device.memory_bandwidth_bytes_per_s()
        info = OpInfo(f"load {op.weight}", seconds, 0.0, float(nbytes), "memory", "")
        return Segment("memory", COMPONENT_OF[op.component.value], seconds, f"load {op.weight}", (info,))

    def _hmm_segments(self, frames: int) -> list[Segment]:
        """WFST token passing is scalar, branchy code: it runs at host_cpu.scalar_ops_per_cycle, not the SIMD rate."""
        if self.hmm is None:
            raise ValueError("hybrid models need the workload's hmm_search section")
        host = self._require_host()
        ops = frames * self.hmm.active_tokens_per_frame * self.hmm.ops_per_token
        seconds = ops / (host.cpu.clock_hz * host.cpu.scalar_ops_per_cycle) + host.cpu.search_step_overhead_s * frames
        return [Segment("cpu", "hmm_search", seconds, "hmm_search", (OpInfo("hmm_search", seconds, ops, 0.0, "host", ""),))]

    # ---- serving (hwsim.sim.chip): one encoder call over a batch of chunks ----
    def encoder_batch(self, frames: int, batch: int, exclusive: bool = False) -> Sequence[Segment]:
        """Encoding `batch` chunks of `frames` input frames each in one call: frame-parallel ops see batch x rows
        (weights read once for the batch), recurrent blocks keep their sequential steps with `batch` rows each.
        batch 1 is exactly encoder()."""
        if batch == 1:
            return self.encoder(frames, exclusive)
        key = f"encoder_batch{batch}{'_exclusive' if exclusive else ''}"
        return self._memo(key, frames, lambda f: self._encoder_segments(f, exclusive, batch))

    def encoder_packed(self, lengths: tuple[int, ...], exclusive: bool = False) -> Sequence[Segment]:
        """One encoder call over chunks of unequal lengths without padding (cuDNN packed sequences, padding-free
        attention): each frame-parallel op sees the members' rows summed; a recurrent block runs as many steps
        as its longest member, each on the members still active. Equal lengths are exactly encoder_batch().

        | ops              | padded (encoder_batch)      | packed                                          |
        |------------------|-----------------------------|-------------------------------------------------|
        | frame-parallel   | b x rows(f_1)               | sum_i rows(f_i)                                 |
        | recurrent block  | steps(f_1) steps at b rows  | steps(f_k) - steps(f_k+1) steps at k rows, k=b..1 |
        """
        ordered = tuple(sorted(lengths, reverse=True))
        if ordered[0] == ordered[-1]:
            return self.encoder_batch(ordered[0], len(ordered), exclusive)
        key = f"encoder_packed{'_exclusive' if exclusive else ''}"
        return self._memo(key, ordered, lambda ls: self._packed_segments(ls, exclusive))  # type: ignore[arg-type]

    def _packed_segments(self, lengths: tuple[int, ...], exclusive: bool) -> list[Segment]:
        segments: list[Segment] = self._launch("encoder")
        block: list[Op] = []
        for op in self.encoder_ops + (None,):
            if op is not None and op.trigger is Trigger.ENCODER_RECURRENT:
                block.append(op)
                continue
            if block:
                segments += [self._staged_load(o) for o in block if o.weight in self.ctx.residency.staged]
                steps = [block[0].invocations(f) for f in lengths] + [0]
                for active in range(len(lengths), 0, -1):   # all members first, the longest alone last
                    if steps[active - 1] > steps[active]:
                        segments += self._recurrent_steps(block, steps[active - 1] - steps[active], exclusive, active)
                block = []
            if op is not None:
                segments.append(_segment(self.op_cost(op, sum(op.rows_per_invocation(f) for f in lengths))))
        return segments


DECODER_CALL_TRIGGERS = (Trigger.PREDICTION_CALL, Trigger.JOINT_CALL)



def computed_precisions(costs: DeviceCallCosts) -> dict[str, list[str]]:
    """Per component, the distinct precision pairs its GEMMs actually compute in, in words (graph order):
    {'encoder': ['int4 weights x bf16 activations computed as bf16 x bf16 (weights converted) on tpu_v5e mxu']}."""
    found: dict[str, list[str]] = {}
    for op in costs.encoder_ops + costs.prediction_ops + costs.joint_ops:
        cost = costs.op_cost(op, 1)
        if cost.computed_as is not None and cost.computed_as not in found.setdefault(cost.component, []):
            found[cost.component].append(cost.computed_as)
    return {component: pairs for component, pairs in found.items() if pairs}


def call_latency_totals(costs: DeviceCallCosts, chunk_frames: list[int], prediction_calls: int,
                        joint_calls: int) -> dict[str, float]:
    """Seconds of launches and of recurrent-step / device-loop latency one run charges (they are inside the
    component times; this says how much of them is per-call latency)."""
    launches = costs.launch_s("encoder") * len(chunk_frames)
    launches += costs.launch_s("prediction") * prediction_calls + costs.launch_s("joint") * joint_calls
    steps = costs.ctx.device.modelling.step_latency_s * sum(costs.recurrent_steps(f) for f in chunk_frames)
    steps += costs.launch_s("search") * joint_calls
    return {"launch_s": launches, "step_latency_s": steps}
