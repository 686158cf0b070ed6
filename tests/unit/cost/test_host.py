"""Host search, transfer and element-wise costs with a hand-made host (1e9 FLOP/s, 1e9 B/s) and link."""

import math

import pytest

from hwsim.cost.hardware import HostCpu, HostLink
from hwsim.cost.host import HostModel
from hwsim.cost.options import Placement, RunOptions
from hwsim.formats import NumberFormat as F

CPU = HostCpu(cores=1, clock_hz=1e9, flops_per_cycle_per_core=1, memory_bandwidth_bytes_per_s=1e9,
              search_step_overhead_s=1e-6, per_candidate_s=1e-8, log_softmax_ops_per_element=20,
              topk_ops_per_element=3, sort_ops_per_compare=4, transcendental_ops_per_element=15, scalar_ops_per_cycle=2)
LINK = HostLink(bandwidth_bytes_per_s=1e9, latency_s=1e-6)
ON_DEVICE_TOPK = RunOptions(softmax_placement=Placement.ACCELERATOR, topk_placement=Placement.ACCELERATOR)


def test_host_search_counts_softmax_topk_and_an_n_log_n_sort():
    cost = HostModel(CPU, LINK, RunOptions(topk=4), vocab=1000).search(8)
    sort = 4 * 32 * math.log2(32)  # 8 hypotheses x top-4 = 32 candidates: 640 ops, not 4 x 32
    assert cost.flops == 8 * 1000 * (20 + 3) + sort
    assert cost.compute_s == pytest.approx((184000 + 640) / 1e9)
    assert cost.memory_s == pytest.approx(8 * 1000 * 4 / 1e9)  # the float32 rows it reads
    assert cost.overhead_s == pytest.approx(1e-6 + 8 * 5 * 1e-8)  # per step + per candidate (k + 1 each)
    assert cost.time_s == pytest.approx(184.64e-6 + 1.4e-6)


def test_host_search_after_device_topk_only_sorts():
    cost = HostModel(CPU, LINK, ON_DEVICE_TOPK, vocab=1000).search(8)
    assert cost.flops == pytest.approx(640)
    assert cost.memory_s == 0


def test_transfer_ships_full_rows_or_topk_pairs():
    full = HostModel(CPU, LINK, RunOptions(), vocab=1000).transfer(8, F.FP16)
    pairs = HostModel(CPU, LINK, ON_DEVICE_TOPK, vocab=1000).transfer(8, F.FP16)
    assert full.bytes == 8 * 1000 * 2 and full.time_s == pytest.approx(1e-6 + 16000 / 1e9)
    assert pairs.bytes == 8 * 4 * 8 and pairs.time_s == pytest.approx(1e-6 + 256 / 1e9)


def test_host_elementwise_uses_the_host_transcendental_count(prepared_small):
    op = next(o for o in prepared_small().model.graph.ops if o.name == "joint.combine")  # 256 adds + 256 tanh a row
    cost = HostModel(CPU, LINK, RunOptions(), vocab=256).elementwise(op, 2)
    assert cost.compute_s == pytest.approx(2 * (256 + 256 * 15) / 1e9)
    assert cost.memory_s == pytest.approx(op.activation_elements(2) * 4 / 1e9)
