"""Host-side costs: the CPU's beam-search work per step, host-placed joint element-wise ops, link transfers.

Operation counts per element (algorithmic, for a vectorised implementation on one core):

| work | ops per element | why |
|---|---|---|
| log-softmax | 20 | max, subtract, exp (~15 lane-ops, polynomial), sum, subtract log-sum |
| top-k (argpartition) | 3 | compare, select, move |
| sort of the B x k candidates | 4 log2(n) per candidate | comparison sort |
| element-wise transcendental | 15 | polynomial exp/tanh |

plus the host's `search_step_overhead_s` per step and `per_candidate_s` per candidate generated (device
file): each scored hypothesis yields `topk` label extensions and one blank extension.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hwsim.cost.device import HostCpu, HostLink
from hwsim.cost.options import Placement, RunOptions
from hwsim.cost.ops import COMPONENT_OF, OpCost
from hwsim.formats import NumberFormat
from hwsim.graph.model import Op

LOG_SOFTMAX_OPS_PER_ELEMENT = 20
TOPK_OPS_PER_ELEMENT = 3
SORT_OPS_PER_COMPARE = 4
TRANSCENDENTAL_OPS = 15
TOPK_PAIR_BYTES = 8  # f32 score + int32 index


@dataclass(frozen=True)
class HostModel:
    cpu: HostCpu
    link: HostLink | None
    options: RunOptions
    vocab: int

    @property
    def flops_per_s(self) -> float:
        return self.cpu.core_flops_per_s

    def search(self, rows: int) -> OpCost:
        """One step's host work on the `rows` scored hypotheses: normalisation/top-k where placed here, sort, prune,
        bookkeeping of their candidates."""
        elements = rows * self.vocab
        ops = 0.0
        if self.options.softmax_placement is Placement.HOST:
            ops += elements * LOG_SOFTMAX_OPS_PER_ELEMENT
        if self.options.topk_placement is Placement.HOST:
            ops += elements * TOPK_OPS_PER_ELEMENT
        candidates = rows * self.options.topk
        ops += SORT_OPS_PER_COMPARE * candidates * math.log2(max(candidates, 2))
        compute_s = ops / self.flops_per_s
        overhead_s = self.cpu.search_step_overhead_s + rows * (self.options.topk + 1) * self.cpu.per_candidate_s
        nbytes = 0 if self.options.transfers_topk else elements * NumberFormat.FLOAT32.bytes
        memory_s = nbytes / self.cpu.memory_bandwidth_bytes_per_s
        time_s = max(compute_s, memory_s) + overhead_s
        bound = "compute" if compute_s >= max(memory_s, overhead_s) else ("memory" if memory_s >= overhead_s else "overhead")
        return OpCost("search", "search", "search", "cpu", rows, time_s, ops, nbytes, bound,
                      compute_s / time_s if time_s else 0.0, compute_s, memory_s, 0.0, overhead_s, None, "float32")

    def transfer(self, rows: int, logits_format: NumberFormat) -> OpCost:
        """Joint results to the host: top-k (value, index) pairs or the full rows."""
        if self.link is None:
            return OpCost("transfer", "transfer", "transfer", "link", rows, 0.0, 0.0, 0.0, "none", 0.0, 0.0, 0.0,
                          0.0, 0.0, None, logits_format.value)
        per_row = self.options.topk * TOPK_PAIR_BYTES if self.options.transfers_topk else self.vocab * logits_format.bytes
        nbytes = rows * per_row
        time_s = self.link.transfer_time_s(nbytes)
        bound = "memory" if nbytes / self.link.bandwidth_bytes_per_s >= self.link.latency_s else "overhead"
        return OpCost("transfer", "transfer", "transfer", "link", rows, time_s, 0.0, nbytes, bound, 0.0, 0.0,
                      time_s - self.link.latency_s, 0.0, self.link.latency_s, None, logits_format.value)

    def elementwise(self, op: Op, rows: int) -> OpCost:
        """A joint element-wise op run on the host thread (joint placed on the host)."""
        ops = rows * (op.vector_ops_per_row + op.sfu_ops_per_row * TRANSCENDENTAL_OPS)
        compute_s = ops / self.flops_per_s
        nbytes = op.activation_elements(rows) * NumberFormat.FLOAT32.bytes
        memory_s = nbytes / self.cpu.memory_bandwidth_bytes_per_s
        time_s = max(compute_s, memory_s)
        return OpCost(op.name, COMPONENT_OF[op.component.value], op.kind.value, "cpu", rows, time_s, op.flops(rows),
                      nbytes, "compute" if compute_s >= memory_s else "memory", 1.0 if compute_s >= memory_s else 0.0,
                      compute_s, memory_s, 0.0, 0.0, None, "float32")
