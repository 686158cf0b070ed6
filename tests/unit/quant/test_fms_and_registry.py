"""fms_mo semantics by hand, the registry, and the double-quantization recipe."""

from __future__ import annotations

import numpy as np
import pytest

from hwsim.quant import QuantizerKind, QuantSettings, quantize, quantize_backward
from hwsim.quant.double_quant import double_quantize
from hwsim.quant.fms_activations import bac_alpha
from hwsim.quant.registry import REGISTRY, QuantizerEntry, register

ALPHAS = {"pact": (2.0, None), "pact2": (2.0, -1.5), "pact_plus": (2.0, None), "pact2_plus": (2.0, -1.5),
          "pact_sym": (1.5, None), "bac": (4 / 3, None)}


def _settings(kind: QuantizerKind, bits: int) -> QuantSettings:
    alpha, alpha_neg = ALPHAS.get(kind.value, (None, None))
    return QuantSettings(bits=bits, contract_axes=(1,), alpha=alpha, alpha_neg=alpha_neg)


@pytest.mark.parametrize("kind", list(QuantizerKind))
@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_every_kind_runs_or_rejects_bits(kind, bits):
    x = np.abs(np.random.default_rng(bits).normal(size=(4, 8))).astype(np.float32)
    if bits not in REGISTRY[kind].bits:
        with pytest.raises(Exception, match="--bits"):
            quantize(x, kind, _settings(kind, bits))
        return
    result = quantize(x, kind, _settings(kind, bits))
    grads = quantize_backward(x, kind, _settings(kind, bits), np.ones_like(x))
    assert result.dequant.shape == x.shape and grads.dx.shape == x.shape
    assert np.issubdtype(result.q.dtype, np.integer)
    assert np.all(np.isfinite(result.dequant))


def test_registering_a_kind_twice_is_an_error():
    with pytest.raises(ValueError, match="twice"):
        register(QuantizerEntry(QuantizerKind.MAX, "x", (4,), None, None))


def test_max_4bit_ties_are_half_to_odd_on_shifted_grid():
    x = np.array([[7, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0]], np.float32)
    assert quantize(x, "max", QuantSettings(bits=4)).q.tolist() == [[7, -3, -1, -1, 1, 1, 3, 0]]
    per_channel = quantize(x, "max_per_channel", QuantSettings(bits=4))
    assert per_channel.q.tolist() == [[7, -2, -2, 0, 0, 2, 2, 0]]


def test_bac_bounds_follow_dropout():
    assert bac_alpha(0.25) == pytest.approx(4 / 3) and bac_alpha(0.0) == 1.0
    x = np.linspace(-2, 2, 41).reshape(1, -1)
    deq = quantize(x, "bac", QuantSettings(bits=4, alpha=bac_alpha(0.2))).dequant
    assert np.max(np.abs(deq)) == pytest.approx(1.25)
    assert 0.0 in deq  # zero-aligned: 15 levels


def test_pact_sym_alpha_gradient_does_not_flip_sign():
    x = np.array([[-3.0, 3.0, 0.1]])
    grads = quantize_backward(x, "pact_sym", QuantSettings(bits=4, alpha=1.0), np.ones_like(x))
    assert grads.dalpha == 2.0 and grads.dx.tolist() == [[0.0, 0.0, 1.0]]


def test_double_quant_reports_error_of_int8_scales():
    scales = np.array([0.5, 0.01, 0.25, 1e-4])
    dq = double_quantize(scales)
    assert dq.codes.dtype == np.int8 and dq.codes.max() == 127
    assert dq.max_abs_error <= dq.meta_scale / 2 + 1e-9
    assert dq.max_rel_error > 0.5  # the 1e-4 scale is far below one int8 step of a 0.5-max vector
