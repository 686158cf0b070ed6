"""The GEMM cost's terms where each one decides the time (issue 28, item 4): the shipped cases are memory or
compute bound, so a conversion term dropped from the concurrent maximum, or converted activations counted as
outputs, went unnoticed. Hand-computed from tpu_v5e.yaml (VPU 2048 x 1.5 GHz ops/s, 819 GB/s HBM)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hwsim.cost.hardware import load_device
from hwsim.formats import NumberFormat as F
from hwsim.cost.gemm import gemm_cost

V5E_VPU = 2048 * 1.5e9


def with_conversion(ops_per_element: float, concurrent: bool):
    device = load_device("tpu_v5e")
    return replace(device, modelling=replace(device.modelling, conversion_ops_per_element=ops_per_element,
                                             conversion_concurrent=concurrent))


def test_a_conversion_bound_gemm_takes_its_conversion_time_when_concurrent():
    # int4 weights x bf16 on v5e with 16 ops per converted weight: 4096 x 4096 x 16 / VPU = 87.4 us, above the MXU's
    # 22 us and the 10 us of weight and activation traffic; concurrent: the time is the conversion alone
    cost = gemm_cost(with_conversion(16.0, True), 1, 4096, 4096, F.INT4, F.BF16)
    conversion = 4096 * 4096 * 16 / V5E_VPU
    assert cost.conversion_s == pytest.approx(conversion)
    assert conversion > max(cost.array_s, cost.memory_s)
    assert cost.time_s == pytest.approx(conversion) and cost.bound == "conversion"
    serial = gemm_cost(with_conversion(16.0, False), 1, 4096, 4096, F.INT4, F.BF16)
    assert serial.time_s == pytest.approx(max(cost.array_s, cost.memory_s) + conversion)


def test_promoted_activations_are_converted_once_per_input_element():
    # bf16 weights x int8 activations: v5e has no such pair and converts the activations (M x K, not M x N)
    cost = gemm_cost(load_device("tpu_v5e"), 16, 64, 4096, F.BF16, F.INT8)
    assert cost.choice.converted_operand == "activations"
    assert cost.conversion_s == pytest.approx(16 * 64 * 2 / V5E_VPU)
    tall = gemm_cost(load_device("tpu_v5e"), 4096, 64, 16, F.BF16, F.INT8)
    assert tall.conversion_s == pytest.approx(4096 * 64 * 2 / V5E_VPU)


# ---- per-op terms the shipped default devices leave at zero ----
def op_named(prepared, name):
    return next(op for op in prepared.model.graph.ops if op.name == name)


def test_an_eager_runtime_pays_one_overhead_per_pass_over_the_output(prepared_small):
    """local_cpu (numpy): vector_overhead per_pass. An LSTM gates op on lstm_rnnt_small does 3072 vector ops and
    1280 transcendentals per row over 256 outputs: ceil(4352 / 256) = 17 ufunc calls, each paying overhead_s."""
    from hwsim.cost.options import Fusion

    p = prepared_small("local_cpu", "fp32", fusion=Fusion.NONE)
    op = op_named(p, "encoder.layers.0.fwd.gates")
    assert (op.vector_ops_per_row, op.sfu_ops_per_row, op.out_elements_per_row) == (3072, 1280, 256)
    cost = p.costs.op_cost(op, 1)
    assert cost.overhead_s == pytest.approx(17 * p.device.modelling.overhead_s)
    assert p.device.modelling.overhead_s > 0


def test_a_batched_gemm_reads_its_weight_and_extra_weights_once(prepared_small):
    """A GEMM repeated `batch` times (heads, directions) streams its weight and its bias once for the batch and its
    activations per member. No shipped op has both a batch and a bias, so one is made from joint.enc_proj."""
    from hwsim.cost.ops import cost_op

    p = prepared_small()
    op = op_named(p, "joint.enc_proj")        # (m x 512) @ (512 x 256) + bias 256, float32
    assert op.extra_weights == ("joint.enc_proj.b",)
    twice = replace(op, gemm=replace(op.gemm, batch=2))
    cost = cost_op(p.costs.ctx, twice, 4)
    weights, bias, activations = 512 * 256 * 4, 256 * 4, (4 * 512 + 4 * 256) * 4
    assert cost.bytes == pytest.approx(weights + bias + 2 * activations)
