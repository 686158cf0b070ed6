"""Optional: compare with fms_mo / praxis imported directly. Skipped unless the libraries are installed."""

from __future__ import annotations

import numpy as np
import pytest

from hwsim.quant import QuantSettings, quantize, quantize_backward


def test_fms_pact2_live():
    torch = pytest.importorskip("torch")
    qz = pytest.importorskip("fms_mo.quant.quantizers")
    x = np.random.default_rng(5).normal(0.2, 1.2, (3, 8)).astype(np.float32)
    module = qz.get_activation_quantizer("pact", 4, clip_val=2.0, clip_valn=-1.5, non_neg=False)
    xt = torch.tensor(x, requires_grad=True)
    y = module(xt)
    y.backward(torch.ones_like(y))
    settings = QuantSettings(bits=4, alpha=2.0, alpha_neg=-1.5)
    np.testing.assert_allclose(quantize(x, "pact2", settings).dequant, y.detach().numpy(), rtol=1e-6)
    assert quantize_backward(x, "pact2", settings, np.ones_like(x)).dalpha == pytest.approx(float(module.clip_val.grad))


def test_praxis_absmean_live():
    jnp = pytest.importorskip("jax.numpy")
    ops = pytest.importorskip("praxis.layers.quantization.operations")
    w = np.random.default_rng(6).normal(size=(4, 6)).astype(np.float32)
    theirs = ops.fakequant_einsum("...y,yz->...z", jnp.asarray(w.T), bits=1, block_size=3, quant_method="bin")
    ours = quantize(w, "absmean", QuantSettings(bits=1, block_size=3)).dequant
    np.testing.assert_allclose(ours, np.asarray(theirs).T, rtol=1e-6)
