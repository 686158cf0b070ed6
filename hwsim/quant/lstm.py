"""A one-layer LSTM regressor in numpy with hand-written BPTT, so QAT can be run without a framework.

Fake quantization enters through `QuantHooks`: weights are fake-quantized once per forward pass,
the cell inputs x_t and the recurrent state h_(t-1) at every step (as Fasoli et al. quantize LSTM
inputs and hidden states, keeping the cell state in float). Backward sends the gradient of each
fake-quantized tensor through that quantizer's STE backward and collects clip gradients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

# (values) -> (fake-quantized values, backward(cotangent) -> (d values, {clip name: gradient}))
FakeQuant = Callable[[np.ndarray], tuple[np.ndarray, Callable[[np.ndarray], tuple[np.ndarray, dict]]]]


def identity_fake_quant(values: np.ndarray):
    return values, lambda g: (g, {})


@dataclass(frozen=True)
class QuantHooks:
    """Which fake-quantizer applies to weights, cell inputs and hidden states (identity = float)."""

    weight: FakeQuant = identity_fake_quant
    cell_input: FakeQuant = identity_fake_quant
    hidden: FakeQuant = identity_fake_quant


@dataclass
class LstmParams:
    """W: [4H, D+H] gates (i, f, g, o) over [x; h]; b: [4H]; W_out: [O, H]; b_out: [O]."""

    W: np.ndarray
    b: np.ndarray
    W_out: np.ndarray
    b_out: np.ndarray
    clips: dict[str, float] = field(default_factory=dict)

    def copy(self) -> "LstmParams":
        return LstmParams(self.W.copy(), self.b.copy(), self.W_out.copy(), self.b_out.copy(), dict(self.clips))


def init_params(rng: np.random.Generator, inputs: int, hidden: int, outputs: int) -> LstmParams:
    scale = 1.0 / np.sqrt(inputs + hidden)
    b = np.zeros(4 * hidden)
    b[hidden:2 * hidden] = 1.0  # forget-gate bias 1: the usual start that keeps memory early in training
    return LstmParams(rng.uniform(-scale, scale, (4 * hidden, inputs + hidden)), b,
                      rng.uniform(-scale, scale, (outputs, hidden)) / np.sqrt(hidden), np.zeros(outputs))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def forward(params: LstmParams, xs: np.ndarray, hooks: QuantHooks = QuantHooks()):
    """xs: [T, B, D] -> (predictions [T, B, O], cache for `backward`)."""
    steps, batch, _ = xs.shape
    hidden = params.W.shape[0] // 4
    W_q, W_back = hooks.weight(params.W)
    Wo_q, Wo_back = hooks.weight(params.W_out)
    h, c = np.zeros((batch, hidden)), np.zeros((batch, hidden))
    cache = {"steps": [], "W_q": W_q, "Wo_q": Wo_q, "W_back": W_back, "Wo_back": Wo_back, "hs": []}
    for t in range(steps):
        x_q, x_back = hooks.cell_input(xs[t])
        h_q, h_back = hooks.hidden(h)
        u = np.concatenate([x_q, h_q], axis=1)
        z = u @ W_q.T + params.b
        i, f, o = _sigmoid(z[:, :hidden]), _sigmoid(z[:, hidden:2 * hidden]), _sigmoid(z[:, 3 * hidden:])
        g = np.tanh(z[:, 2 * hidden:3 * hidden])
        c_prev, c = c, f * c + i * g
        h = o * np.tanh(c)
        cache["steps"].append((u, i, f, g, o, c_prev, c, x_back, h_back))
        cache["hs"].append(h)
    hs = np.stack(cache["hs"])
    return hs @ Wo_q.T + params.b_out, cache


def mse_loss(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error and its gradient with respect to `pred`."""
    diff = pred - target
    return float(np.mean(diff**2)), 2.0 * diff / diff.size


def backward(params: LstmParams, cache: dict, dpred: np.ndarray) -> LstmParams:
    """BPTT: gradients of every parameter (clip gradients in `clips`) for dL/dpred."""
    hidden = params.W.shape[0] // 4
    inputs = params.W.shape[1] - hidden
    hs = np.stack(cache["hs"])
    dWo_q = np.einsum("tbo,tbh->oh", dpred, hs)
    dh_all = dpred @ cache["Wo_q"]
    dW_q, db = np.zeros_like(params.W), np.zeros_like(params.b)
    clips: dict[str, float] = {}
    dh_next, dc_next = np.zeros_like(hs[0]), np.zeros_like(hs[0])
    for t in reversed(range(len(cache["steps"]))):
        u, i, f, g, o, c_prev, c, x_back, h_back = cache["steps"][t]
        dh = dh_all[t] + dh_next
        tanh_c = np.tanh(c)
        dc = dc_next + dh * o * (1 - tanh_c**2)
        dz = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),
                             dh * tanh_c * o * (1 - o)], axis=1)
        dW_q += dz.T @ u
        db += dz.sum(axis=0)
        du = dz @ cache["W_q"]
        _, x_clips = x_back(du[:, :inputs])
        dh_next, h_clips = h_back(du[:, inputs:])
        dc_next = dc * f
        for name, value in {**x_clips, **h_clips}.items():
            clips[name] = clips.get(name, 0.0) + value
    dW, w_clips = cache["W_back"](dW_q)
    dWo, _ = cache["Wo_back"](dWo_q)
    return LstmParams(dW, db, dWo, dpred.sum(axis=(0, 1)), {**clips, **w_clips})
