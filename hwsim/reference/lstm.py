"""Batched LSTM cell in the graph's weight layout: w_ih [in, 4H], w_hh [H, 4H], biases [4H].

Gate order along the 4H axis is PyTorch's: i (input), f (forget), g (cell candidate), o (output):

    z = x @ w_ih + b_ih + h @ w_hh + b_hh          # [B, 4H]
    i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2H]), tanh(z[:, 2H:3H]), sigmoid(z[:, 3H:])
    c' = f * c + i * g ;  h' = o * tanh(c')
    h' = h' @ w_proj                                  # LSTMP only (torch.nn.LSTM(proj_size=P)): w_proj [H, P]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function as 0.5 (1 + tanh(x / 2)): no overflow for large |x|."""
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


@dataclass(frozen=True)
class LstmWeights:
    w_ih: np.ndarray  # [in, 4H]
    w_hh: np.ndarray  # [H, 4H]
    bias: np.ndarray  # [4H], b_ih + b_hh (zeros when the layer has none)
    w_proj: np.ndarray | None = None  # [H, P] (LSTMP); then w_hh is [P, 4H]

    @property
    def hidden(self) -> int:
        """Width of h (the recurrent input and the output): P with a projection, else H."""
        return self.w_hh.shape[0]

    @property
    def cells(self) -> int:
        """Width of c: H."""
        return self.w_hh.shape[1] // 4

    def project(self, h: np.ndarray) -> np.ndarray:
        return h if self.w_proj is None else h @ self.w_proj


def lstm_gates(z: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pre-activations z [B, 4H] and cell c [B, H] -> (h', c')."""
    hidden = c.shape[-1]
    i, f = sigmoid(z[:, :hidden]), sigmoid(z[:, hidden:2 * hidden])
    g, o = np.tanh(z[:, 2 * hidden:3 * hidden]), sigmoid(z[:, 3 * hidden:])
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def lstm_cell(x: np.ndarray, h: np.ndarray, c: np.ndarray, w: LstmWeights) -> tuple[np.ndarray, np.ndarray]:
    """One step for a batch: x [B, in], h [B, P or H] and c [B, H] -> (h', c')."""
    h_new, c_new = lstm_gates(x @ w.w_ih + h @ w.w_hh + w.bias, c)
    return w.project(h_new), c_new


def lstm_sequence(x: np.ndarray, w: LstmWeights, reverse: bool = False) -> np.ndarray:
    """Run over x [T, in] from zero state; the input GEMM is done once for all T frames. Returns h [T, H]."""
    frames, hidden = x.shape[0], w.hidden
    pre = x @ w.w_ih + w.bias  # [T, 4H]
    h, c = np.zeros((1, hidden), x.dtype), np.zeros((1, w.cells), x.dtype)
    out = np.empty((frames, hidden), x.dtype)
    for t in (range(frames - 1, -1, -1) if reverse else range(frames)):
        h, c = lstm_gates(pre[t:t + 1] + h @ w.w_hh, c)
        h = w.project(h)
        out[t] = h[0]
    return out
