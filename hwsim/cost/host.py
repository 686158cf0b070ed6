"""Host-side costs: the CPU's beam-search work per step, host-placed joint element-wise ops, link transfers.

Operation counts come from the host file's `host_cpu` section (each with its provenance; shipped defaults):

| work | key | default | why |
|---|---|---|---|
| log-softmax | log_softmax_ops_per_element | 20 per element | max, subtract, exp (~15 lane-ops), sum, subtract |
| top-k (argpartition) | topk_ops_per_element | 3 per element | compare, select, move |
| sort of the n = B x k candidates | sort_ops_per_compare | 4 x n log2 n | comparison sort |
| element-wise transcendental | transcendental_ops_per_element | 15 | polynomial exp/tanh |

plus `search_step_overhead_s` per step and `per_candidate_s` per candidate generated: each scored
hypothesis yields `topk` label extensions and one blank extension. A host measured by `hwsim calibrate` also
has that pair per search algorithm (`search_by_algorithm`), used for the algorithm being simulated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hwsim.cost.hardware import HostCpu, HostLink
from hwsim.cost.options import Placement, RunOptions
from hwsim.cost.ops import COMPONENT_OF, OpCost
from hwsim.formats import NumberFormat
from hwsim.graph.model import Op

TOPK_PAIR_BYTES = 8  # f32 score + int32 index


def sort_ops(candidates: int, ops_per_compare: float) -> float:
    """A comparison sort of n candidates: ops_per_compare x n log2 n (n >= 2)."""
    return ops_per_compare * candidates * math.log2(max(candidates, 2))


@dataclass(frozen=True)
class HostModel:
    cpu: HostCpu
    link: HostLink | None
    options: RunOptions
    vocab: int
    algorithm: str | None = None  # the search run, for a host with per-algorithm figures (search_by_algorithm)

    @property
    def flops_per_s(self) -> float:
        return self.cpu.core_flops_per_s

    def search(self, rows: int) -> OpCost:
        """One step's host work on the `rows` scored hypotheses: normalisation/top-k where placed here, sort, prune,
        bookkeeping of their candidates."""
        elements = rows * self.vocab
        ops = 0.0
        if self.options.softmax_placement is Placement.HOST:
            ops += elements * self.cpu.log_softmax_ops_per_element
        if self.options.topk_placement is Placement.HOST:
            ops += elements * self.cpu.topk_ops_per_element
        ops += sort_ops(rows * self.options.topk, self.cpu.sort_ops_per_compare)
        compute_s = ops / self.flops_per_s
        step_s, candidate_s = self.cpu.search_costs(self.algorithm)
        overhead_s = step_s + rows * (self.options.topk + 1) * candidate_s
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
        ops = rows * (op.vector_ops_per_row + op.sfu_ops_per_row * self.cpu.transcendental_ops_per_element)
        compute_s = ops / self.flops_per_s
        nbytes = op.activation_elements(rows) * NumberFormat.FLOAT32.bytes
        memory_s = nbytes / self.cpu.memory_bandwidth_bytes_per_s
        time_s = max(compute_s, memory_s)
        return OpCost(op.name, COMPONENT_OF[op.component.value], op.kind.value, "cpu", rows, time_s, op.flops(rows),
                      nbytes, "compute" if compute_s >= memory_s else "memory", 1.0 if compute_s >= memory_s else 0.0,
                      compute_s, memory_s, 0.0, 0.0, None, "float32")
