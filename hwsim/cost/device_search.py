"""Beam search on the accelerator: the per-step work a device-side decoding loop does after the joint.

Log-softmax over the vocabulary is the graph's softmax op and top-k is costed in the joint call (both on the
vector unit); what is left per step is sorting the B x k candidates and their bookkeeping (score update,
label-history hash for merging, state index), all on the vector unit. Operation counts are algorithmic:

| work | ops | why |
|---|---|---|
| top-k over the vocabulary | 3 per element | compare, select, move (as argpartition on a CPU) |
| sort of n = B x k candidates | 4 x n log2 n | comparison sort (a bitonic network does more compares, in parallel) |
| bookkeeping | 8 per candidate | score add, hash update (multiply, add), compare, two index moves, select, store |
"""

from __future__ import annotations

from hwsim.cost.host import sort_ops

TOPK_OPS_PER_ELEMENT = 3
SORT_OPS_PER_COMPARE = 4
BOOKKEEPING_OPS_PER_CANDIDATE = 8


def device_search_s(rows: int, topk: int, vector_ops_per_s: float) -> float:
    """Seconds of one step's sort and bookkeeping on the device's vector units."""
    candidates = rows * (topk + 1)  # k label extensions + 1 blank per scored hypothesis
    ops = sort_ops(rows * topk, SORT_OPS_PER_COMPARE) + candidates * BOOKKEEPING_OPS_PER_CANDIDATE
    return ops / vector_ops_per_s
