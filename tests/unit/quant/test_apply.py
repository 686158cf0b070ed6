"""Mapping plan entries to hwsim.quant calls: layouts, granularities, casts, clipping and synthetic init."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hwsim.errors import SpecError
from hwsim.graph.model import Component, Role, Tensor
from hwsim.precision.plan import TensorPrecision
from hwsim.quant import QuantizerKind, QuantSettings, quantize
from hwsim.quant.analyse import analyse_tensor
from hwsim.quant.apply import cast, round_to_bf16, weight_quantizer
from hwsim.quant.error import clipped_count
from hwsim.quant.layout import group_layout
from hwsim.quant.weights import synthetic_weights
from hwsim.specs.precision import FORMAT_BITS, Granularity, MetadataDtype, NumberFormat


def dense(name="enc.w", shape=(8, 3)):
    return Tensor(name, shape, Role.WEIGHT, Component.ENCODER, ("in", "out"), (0,), (1,))


def precision(name="enc.w", fmt=NumberFormat.INT4, granularity=Granularity.PER_CHANNEL, quantizer="absmax",
              block_size=None, block_axis=None, symmetric=True, meta=MetadataDtype.F32, rule=0):
    return TensorPrecision(name, fmt, FORMAT_BITS[fmt], None, granularity, block_size, block_axis, symmetric, meta,
                           0, quantizer, rule)


def hand_made(shape=(8, 3)):
    return (np.arange(math.prod(shape), dtype=np.float32).reshape(shape) * 0.37 % 2.3 - 1.1).astype(np.float32)


def run_in_graph_layout(tensor, plan_entry, w):
    layout = group_layout(tensor, plan_entry)
    result = weight_quantizer(plan_entry).run(layout.to_groups(w))
    return layout, result, layout.from_groups(result.dequant)


def test_per_channel_in_out_tensor_equals_hwsim_quant_on_its_transpose():
    w = hand_made()
    layout, result, dequant = run_in_graph_layout(dense(), precision(), w)
    expected = quantize(w.T, "absmax", QuantSettings(bits=4, contract_axes=(1,)))
    assert layout.grouped_shape == (3, 1, 8)
    np.testing.assert_array_equal(dequant, expected.dequant.T)
    np.testing.assert_array_equal(np.ravel(result.scale), np.max(np.abs(w), axis=0) / 7)


def test_sub_channel_blocks_run_along_the_contracting_axis():
    w = hand_made()
    entry = precision(fmt=NumberFormat.BINARY, granularity=Granularity.SUB_CHANNEL, quantizer="absmean",
                      block_size=4, block_axis=0)
    layout, result, dequant = run_in_graph_layout(dense(), entry, w)
    expected = quantize(w.T, "absmean", QuantSettings(bits=1, contract_axes=(1,), block_size=4))
    assert layout.grouped_shape == (3, 2, 4)
    np.testing.assert_array_equal(dequant, expected.dequant.T)
    scales = np.ravel(result.scale).reshape(3, 2)  # [out, block]
    np.testing.assert_allclose(scales[0, 1], np.mean(np.abs(w[4:8, 0])), rtol=1e-6)
    np.testing.assert_allclose(scales[2, 0], np.mean(np.abs(w[0:4, 2])), rtol=1e-6)


def test_embedding_contracts_over_its_embed_axis_and_conv_over_three():
    emb = Tensor("emb", (5, 4), Role.EMBEDDING, Component.PREDICTOR, ("vocab", "embed"), (1,), (0,))
    w = hand_made((5, 4))
    np.testing.assert_array_equal(group_layout(emb, precision("emb")).to_groups(w)[:, 0, :], w)
    conv = Tensor("k", (3, 3, 2, 4), Role.CONV, Component.ENCODER, ("time", "freq", "in", "out"), (0, 1, 2), (3,))
    k = hand_made((3, 3, 2, 4))
    layout = group_layout(conv, precision("k"))
    grouped = layout.to_groups(k)
    assert grouped.shape == (4, 1, 18)
    np.testing.assert_array_equal(grouped[1, 0], k[..., 1].ravel())
    np.testing.assert_array_equal(layout.from_groups(grouped), k)


def test_block_along_an_output_axis_shares_one_scale_per_block_of_channels():
    entry = precision(granularity=Granularity.SUB_CHANNEL, block_size=2, block_axis=1)
    layout = group_layout(dense(shape=(3, 4)), entry)
    w = hand_made((3, 4))
    grouped = layout.to_groups(w)
    assert grouped.shape == (2, 1, 6)
    np.testing.assert_array_equal(grouped[1, 0], w[:, 2:4].T.ravel())
    np.testing.assert_array_equal(layout.from_groups(grouped), w)


@pytest.mark.parametrize("name, granularity, kind", [
    ("max", Granularity.PER_TENSOR, QuantizerKind.MAX), ("max", Granularity.PER_CHANNEL, QuantizerKind.MAX_PER_CHANNEL),
    ("sawb", Granularity.PER_TENSOR, QuantizerKind.SAWB),
    ("sawb", Granularity.PER_CHANNEL, QuantizerKind.SAWB_PER_CHANNEL),
    ("absmax", Granularity.PER_TENSOR, QuantizerKind.ABSMAX),
])
def test_granularity_picks_the_variant_that_implements_it(name, granularity, kind):
    quantizer = weight_quantizer(precision(quantizer=name, granularity=granularity))
    assert quantizer.kind is kind and quantizer.per_row == (granularity is not Granularity.PER_TENSOR)


def test_per_tensor_praxis_uses_one_scale():
    w = hand_made()
    _, result, _ = run_in_graph_layout(dense(), precision(granularity=Granularity.PER_TENSOR), w)
    assert np.size(result.scale) == 1 and math.isclose(float(np.ravel(result.scale)[0]), np.max(np.abs(w)) / 7,
                                                       rel_tol=1e-6)


@pytest.mark.parametrize("changes, text", [
    ({"quantizer": "sawb", "granularity": Granularity.SUB_CHANNEL, "block_size": 4, "block_axis": 0},
     "rules[0].weights.granularity: expected per_tensor or per_channel for quantizer 'sawb' (fms_mo)"),
    ({"quantizer": "pact"}, "rules[0].weights.quantizer: expected a weight quantizer"),
    ({"quantizer": "absmax", "symmetric": False}, "rules[0].weights.symmetric: expected symmetric: true for quantizer 'absmax'"),
    ({"quantizer": "absmax", "fmt": NumberFormat.BINARY}, "expected one of {2..16} bits"),
])
def test_unsupported_requests_name_the_rule_and_tensor(changes, text):
    with pytest.raises(SpecError) as error:
        weight_quantizer(precision(**changes), "p.yaml")
    assert text in str(error.value) and "(tensor enc.w)" in str(error.value) and str(error.value).startswith("p.yaml")


def test_clipped_fraction_by_family():
    w = np.array([[1.0, -3.0, 2.0, -2.0]], np.float32)  # absmean scale 2: only |-3| lies beyond the levels ±2
    result = quantize(w, "absmean", QuantSettings(bits=1, contract_axes=(1,)))
    assert clipped_count(w, result, (-1, 1)) == 1
    result = quantize(w, "absmax", QuantSettings(bits=4, contract_axes=(1,)))
    assert clipped_count(w, result, (-8, 7)) == 0  # the range is set by max|w|


def test_bf16_rounds_to_nearest_even_and_fp16_overflows():
    ulp = 2.0**-7
    values = np.array([1 + ulp / 2, 1 + 1.5 * ulp, 1 + 0.75 * ulp, -(1 + 1.5 * ulp)], np.float32)
    np.testing.assert_array_equal(round_to_bf16(values), [1.0, 1 + 2 * ulp, 1 + ulp, -(1 + 2 * ulp)])
    restored, largest = cast(np.array([70000.0, 1.0], np.float32), NumberFormat.FP16)
    assert largest == 65504 and np.isinf(restored[0]) and restored[1] == 1


def test_synthetic_init_statistics():
    glorot = synthetic_weights(dense("a.w", (600, 400)), seed=0)
    limit = math.sqrt(6 / 1000)
    assert np.max(np.abs(glorot)) <= limit and math.isclose(np.std(glorot), limit / math.sqrt(3), rel_tol=0.01)
    lstm = synthetic_weights(dense("l.w_hh", (640, 2560)), seed=0)
    assert np.max(np.abs(lstm)) <= 1 / math.sqrt(640) and np.min(lstm) < -0.99 / math.sqrt(640)
    emb = synthetic_weights(Tensor("e", (1000, 64), Role.EMBEDDING, Component.PREDICTOR, ("vocab", "embed"), (1,), (0,)), 0)
    assert abs(np.mean(emb)) < 0.01 and math.isclose(np.std(emb), 1.0, rel_tol=0.01)
    vector = lambda name, role: synthetic_weights(Tensor(name, (4,), role, Component.ENCODER, ("out",), (), (0,)), 0)
    assert not vector("x.b", Role.BIAS).any() and (vector("n.scale", Role.NORM) == 1).all()
    assert not vector("n.bias", Role.NORM).any() and (vector("c.moving_var", Role.STATS) == 1).all()
    assert not vector("c.moving_mean", Role.STATS).any()
    np.testing.assert_array_equal(glorot, synthetic_weights(dense("a.w", (600, 400)), seed=0))
    assert not np.array_equal(glorot, synthetic_weights(dense("a.w", (600, 400)), seed=1))


def test_sampling_keeps_whole_channels_and_never_samples_a_per_tensor_scale():
    tensor = dense("s.w", (64, 500))
    w = synthetic_weights(tensor, 0)
    sampled = analyse_tensor(tensor, precision("s.w"), w, "synthetic", 0, max_rows=50)
    full = analyse_tensor(tensor, precision("s.w"), w, "synthetic", 0)
    assert (sampled.rows, sampled.rows_analysed, sampled.sums.elements) == (500, 50, 50 * 64)
    assert abs(sampled.sums.sqnr_db - full.sums.sqnr_db) < 0.5
    per_tensor = analyse_tensor(tensor, precision("s.w", granularity=Granularity.PER_TENSOR), w, "synthetic", 0,
                                max_rows=50)
    assert per_tensor.rows_analysed == 500


def test_int8_metadata_reports_double_quantization_error():
    tensor = dense("m.w", (64, 32))
    w = synthetic_weights(tensor, 0)
    entry = precision("m.w", fmt=NumberFormat.INT2, quantizer="absmax_asym", symmetric=False, meta=MetadataDtype.INT8)
    report = analyse_tensor(tensor, entry, w, "synthetic", 0)
    meta = report.metadata
    assert 0 < meta.scale_rel_error < 0.05 and meta.zero_point_rel_error is not None
    assert abs(meta.sqnr_double_quant_db - report.sums.sqnr_db) < 0.1  # 8-bit scales: a small perturbation
    assert analyse_tensor(tensor, precision("m.w"), w, "synthetic", 0).metadata is None
