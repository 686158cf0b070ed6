"""praxis semantics by hand: Figure 2 of the USM paper step by step, zeros, levels, gradients vs finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from hwsim.quant import QuantSettings, quantize, quantize_backward
from hwsim.quant.subchannel import fake_quant_matmul, integer_block_matmul

W_2X6 = np.array([[0.5, -1.0, 0.25, 2.0, -0.5, 0.0], [-0.3, 0.6, 0.9, -1.2, 0.3, 0.6]])


def test_figure2_block3_step_by_step():
    blocks = W_2X6.reshape(4, 3)  # [2x6] -> sub-channels of 3 -> [4x3]
    nonzero = np.where(blocks == 0, 1e-6, blocks)
    scales = np.mean(np.abs(nonzero), axis=1, keepdims=True)
    signs = np.sign(nonzero)
    assert set(np.unique(signs)) == {-1.0, 1.0}  # zero became +1
    dequant = (signs * scales).reshape(2, 6)
    x = np.array([[1.0, 2.0, -1.0, 0.5, 0.0, 3.0]])
    result = quantize(W_2X6, "absmean", QuantSettings(bits=1, contract_axes=(1,), block_size=3))
    assert result.q.shape == (2, 2, 3) and result.scale.shape == (2, 2, 1)
    np.testing.assert_array_equal(result.q.reshape(4, 3), signs)
    np.testing.assert_allclose(result.scale.reshape(4, 1), scales)
    np.testing.assert_allclose(result.dequant, dequant)
    np.testing.assert_allclose(fake_quant_matmul(x, result.dequant), x @ dequant.T)


@pytest.mark.parametrize("kind, bits", [("absmean", 1), ("absmax", 2), ("absmax", 4), ("absmax_asym", 1),
                                        ("absmax_asym", 2), ("absmax_asym", 4), ("absmax_asym", 8)])
def test_inference_path_equals_fake_quant_path(kind, bits):
    rng = np.random.default_rng(bits)
    w, x = rng.normal(size=(5, 12)), rng.normal(size=(7, 12))
    blocked = quantize(w, kind, QuantSettings(bits=bits, contract_axes=(1,), block_size=4))
    np.testing.assert_allclose(integer_block_matmul(x, blocked), fake_quant_matmul(x, blocked.dequant),
                               rtol=1e-10, atol=1e-12)


def test_all_zero_channel_dequantizes_to_plus_eps_with_zero_gradient():
    w = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.0]])
    result = quantize(w, "absmean", QuantSettings(bits=1, contract_axes=(1,)))
    np.testing.assert_allclose(result.dequant[0], 1e-6)
    grads = quantize_backward(w, "absmean", QuantSettings(bits=1, contract_axes=(1,)), np.ones_like(w))
    assert np.all(grads.dx[w == 0] == 0)


@pytest.mark.parametrize("bits, levels", [(2, {-1, 0, 1}), (4, set(range(-7, 8)))])
def test_symmetric_absmax_never_reaches_most_negative_code(bits, levels):
    w = np.random.default_rng(0).normal(size=(4, 64))
    assert set(np.unique(quantize(w, "absmax", QuantSettings(bits=bits)).q)) <= levels


def test_asym_one_bit_has_two_levels_min_and_max():
    w = np.random.default_rng(1).normal(size=(3, 10))
    result = quantize(w, "absmax_asym", QuantSettings(bits=1))
    for row, deq in zip(w, result.dequant):
        np.testing.assert_allclose(sorted(set(np.round(deq, 12))), [row.min(), row.max()])


def _numeric_grad(f, w, eps=1e-6):
    grad = np.zeros_like(w)
    for index in np.ndindex(w.shape):
        step = np.zeros_like(w)
        step[index] = eps
        grad[index] = (f(w + step) - f(w - step)) / (2 * eps)
    return grad


@pytest.mark.parametrize("kind", ["absmean", "absmean_centered"])
def test_binarization_gradient_matches_finite_differences(kind):
    """Sign is piecewise constant, so away from zeros the loss <G, dequant> is smooth in w (through the scale)."""
    rng = np.random.default_rng(3)
    w, g = rng.normal(size=(3, 6)), rng.normal(size=(3, 6))
    settings = QuantSettings(bits=1, contract_axes=(1,), block_size=3)
    loss = lambda v: float(np.sum(g * quantize(v, kind, settings).dequant))
    ste = quantize_backward(w, kind, settings, g).dx
    through_scale = _numeric_grad(loss, w)  # the part of the gradient that is a true derivative
    result = quantize(w, kind, settings)
    direct = g * np.repeat(result.scale.reshape(3, 2), 3, axis=1)  # the straight-through part G * scale
    if kind == "absmean_centered":
        direct = direct - np.repeat(direct.reshape(3, 2, 3).mean(axis=2), 3, axis=1)
    np.testing.assert_allclose(ste, direct + through_scale, rtol=1e-5, atol=1e-7)


def test_block_not_dividing_raises_unless_mimicking_praxis():
    from hwsim.errors import SpecError
    w = np.ones((2, 10))
    with pytest.raises(SpecError, match="--block"):
        quantize(w, "absmean", QuantSettings(bits=1, block_size=3))
    fallback = quantize(w, "absmean", QuantSettings(bits=1, block_size=3, mimic_praxis_block_fallback=True))
    assert fallback.scale.shape == (2, 1)


def test_block_splits_the_largest_contracting_axis():
    from hwsim.quant.subchannel import sub_channel_layout
    assert sub_channel_layout((4, 6, 12), (1, 2), 4) == ((4, 6, 3, 4), (1, 3))
    assert sub_channel_layout((256, 192), (1,), 64) == ((256, 3, 64), (2,))
