"""Per-op costs on lstm_rnnt_small, against hand computations from the device files' figures.

tpu_v5e.yaml: HBM 819e9 B/s, VPU 2048 ops/cycle x 1.5 GHz, transcendental = 4 VPU ops, no on-chip level with a
bandwidth (activations and weights stream from HBM)."""

import pytest

from hwsim.cost.engine_select import MatmulPrecision
from hwsim.cost.options import Fusion
from hwsim.graph.model import OpKind

HBM, VPU = 819e9, 2048 * 1.5e9


def op_named(prepared, name):
    return next(op for op in prepared.model.graph.ops if op.name == name)


def test_gemm_op_moves_weights_inputs_and_outputs(prepared_small):
    p = prepared_small()
    op = op_named(p, "encoder.layers.1.fwd.input_proj")  # (m x 512) @ (512 x 1024), float32
    cost = p.costs.op_cost(op, 8)
    expected = 512 * 1024 * 4 + (8 * 512 + 8 * 1024) * 4  # weights + inputs + outputs
    assert cost.bytes == expected
    assert cost.memory_s == pytest.approx(expected / HBM)


def test_gemm_op_passes_follow_matmul_precision(prepared_small):
    op = op_named(prepared_small(), "encoder.layers.1.fwd.input_proj")
    one = prepared_small(matmul_precision=MatmulPrecision.DEFAULT).costs.op_cost(op, 8)
    six = prepared_small(matmul_precision=MatmulPrecision.HIGHEST).costs.op_cost(op, 8)
    assert six.compute_s == pytest.approx(6 * one.compute_s)
    assert (one.passes, six.passes) == (1, 6)


def test_unfused_activation_op_round_trips_memory(prepared_small):
    p = prepared_small(fusion=Fusion.NONE)
    op = op_named(p, "encoder.layers.0.fwd.gates")
    cost = p.costs.op_cost(op, 1)
    compute = (3072 + 1280 * 4) / VPU  # vector ops + 1280 transcendentals x 4 VPU ops
    act_bytes = op.activation_elements(1) * 4
    params = 2 * 1024 * 4  # b_ih + b_hh, float32
    assert cost.compute_s == pytest.approx(compute)
    assert cost.memory_s == pytest.approx((act_bytes + params) / HBM)
    assert cost.time_s == pytest.approx(max(compute, (act_bytes + params) / HBM))


def test_fused_activation_op_reads_only_its_parameters(prepared_small):
    p = prepared_small(fusion=Fusion.PER_LAYER)
    cost = p.costs.op_cost(op_named(p, "encoder.layers.0.fwd.gates"), 1)
    assert cost.memory_s == pytest.approx(2 * 1024 * 4 / HBM)
    assert cost.overhead_s == 0


def test_softmax_is_never_fused(prepared_small):
    p = prepared_small(fusion=Fusion.PER_LAYER, search_on=None)
    op = op_named(p, "joint.log_softmax")
    assert op.kind is OpKind.SOFTMAX
    cost = p.costs.op_cost(op, 4)
    assert cost.memory_s == pytest.approx(op.activation_elements(4) * 4 / HBM)


def test_emulated_float32_on_bf16_says_what_it_computes(prepared_small):
    cost = prepared_small().costs.op_cost(op_named(prepared_small(), "joint.out"), 4)
    assert cost.computed_as == "float32 x float32 computed as bf16 x bf16 (emulated, 1 pass) on tpu_v5e mxu"


def test_lookup_reads_only_the_gathered_rows(prepared_small):
    p = prepared_small()
    cost = p.costs.op_cost(op_named(p, "predictor.embedding"), 3)
    assert cost.bytes == 3 * 64 * 4
    assert cost.memory_s == pytest.approx(3 * 64 * 4 / HBM)
