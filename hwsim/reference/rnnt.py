"""RNN-T inference pieces in numpy: BLSTM encoder over T frames, batched prediction-network step, batched joint.

Shapes follow the workload graph (hwsim.graph): encoder layers `encoder.layers.{l}.{fwd,bwd}`, output
[T, 2H] (directions concatenated, forward first); prediction network `predictor.embedding` [V, E] then
`predictor.layers.{l}` LSTMs, output the top layer's h; joint `tanh(enc_proj(e) (+|*) pred_proj(p))`,
`out`, log-softmax. Label 0 is blank; the start-of-sequence input of the prediction network is blank too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwsim.errors import HwsimError
from hwsim.reference.lstm import LstmWeights, lstm_cell, lstm_sequence
from hwsim.specs.workload import WorkloadSpec

BLANK = 0


def _lstm(weights: dict[str, np.ndarray], prefix: str) -> LstmWeights:
    w_ih, w_hh = weights[f"{prefix}.w_ih"], weights[f"{prefix}.w_hh"]
    bias = np.zeros(w_hh.shape[1], np.float32)
    for name in ("b_ih", "b_hh", "b"):
        bias = bias + weights.get(f"{prefix}.{name}", 0.0)
    return LstmWeights(w_ih, w_hh, bias.astype(np.float32), weights.get(f"{prefix}.w_proj"))


def stack_frames(x: np.ndarray, factor: int) -> np.ndarray:
    """Time reduction: `factor` consecutive frames concatenated ([T, D] -> [ceil(T / factor), factor D]); a short
    last group is zero-padded (the graph counts ceil(T / factor) frames)."""
    if factor == 1:
        return x
    pad = (-x.shape[0]) % factor
    if pad:
        x = np.concatenate([x, np.zeros((pad, x.shape[1]), x.dtype)])
    return x.reshape(x.shape[0] // factor, factor * x.shape[1])


@dataclass(frozen=True)
class PredictorState:
    """Per-hypothesis recurrent state of the prediction network: h and c, each [layers, H]."""

    h: np.ndarray
    c: np.ndarray


def joint_activation(name: str, x: np.ndarray) -> np.ndarray:
    """The joint's non-linearity (workload `joint.activation`), as the graph costs it (hwsim.graph.heads)."""
    if name == "tanh":
        return np.tanh(x)
    if name == "relu":
        return np.maximum(x, 0)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-x))
    return x


def log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def check_reference_spec(spec: WorkloadSpec) -> None:
    """Refuse what the numpy reference cannot run (anything but an RNN-T with LSTM encoders) before its weights
    are made: a 1 B-parameter workload's random weights take seconds and gigabytes."""
    if spec.architecture != "rnnt":
        raise HwsimError(f"{spec.name}: the numpy reference runs RNN-T workloads only, got architecture "
                         f"{spec.architecture!r}")
    if spec.encoder.kind != "blstm":
        raise HwsimError(f"{spec.name}: encoder.kind: the numpy reference implements LSTM encoders only, "
                         f"got {spec.encoder.kind!r}")


class RnntModel:
    """Weights + the three networks. Stateless apart from the weights; the search owns hypotheses."""

    def __init__(self, spec: WorkloadSpec, weights: dict[str, np.ndarray]):
        check_reference_spec(spec)
        self.spec, self.weights = spec, weights
        enc = spec.encoder
        directions = ("fwd", "bwd") if enc.bidirectional else ("fwd",)
        self.encoder_layers = [[(_lstm(weights, f"encoder.layers.{l}.{d}"), d == "bwd") for d in directions]
                               for l in range(enc.num_layers)]
        self.predictor_layers = [_lstm(weights, f"predictor.layers.{l}") for l in range(spec.predictor.num_layers)]
        self.embedding = weights["predictor.embedding"]
        self.vocab = spec.joint.vocab_size

    @property
    def input_dim(self) -> int:
        return self.spec.encoder.input_dim

    def encode(self, features: np.ndarray) -> np.ndarray:
        """features [T, input_dim] -> encoder output [T / frame_divisor, directions x H]."""
        x = features.astype(np.float32)
        for index, layer in enumerate(self.encoder_layers):
            x = np.concatenate([lstm_sequence(x, w, reverse) for w, reverse in layer], axis=1)
            x = stack_frames(x, self.spec.encoder.reduction_after(index))
        return x[::self.spec.encoder.frame_divisor]

    def initial_state(self) -> PredictorState:
        layers, first = len(self.predictor_layers), self.predictor_layers[0]
        return PredictorState(np.zeros((layers, first.hidden), np.float32), np.zeros((layers, first.cells), np.float32))

    def predict(self, labels: np.ndarray, states: list[PredictorState]) -> tuple[np.ndarray, list[PredictorState]]:
        """One prediction-network step for a batch of label histories: last labels [B] + their states."""
        x = self.embedding[labels]
        h_all = np.stack([s.h for s in states], axis=1)  # [L, B, H]
        c_all = np.stack([s.c for s in states], axis=1)
        new_h, new_c = [], []
        for l, w in enumerate(self.predictor_layers):
            h, c = lstm_cell(x, h_all[l], c_all[l], w)
            new_h.append(h)
            new_c.append(c)
            x = h
        hs, cs = np.stack(new_h, axis=1), np.stack(new_c, axis=1)  # [B, L, H]
        return x, [PredictorState(hs[b], cs[b]) for b in range(len(labels))]

    def project_encoder(self, encoded: np.ndarray) -> np.ndarray:
        """joint.enc_proj for every encoder frame (runs once per frame, as in the graph)."""
        return encoded @ self.weights["joint.enc_proj.w"] + self.weights.get("joint.enc_proj.b", 0.0)

    def project_prediction(self, pred: np.ndarray) -> np.ndarray:
        """joint.pred_proj once per prediction-network output (cached with it, as in the graph)."""
        return pred @ self.weights["joint.pred_proj.w"] + self.weights.get("joint.pred_proj.b", 0.0)

    def joint(self, enc_proj: np.ndarray, pred_proj: np.ndarray) -> np.ndarray:
        """Projected (frame, history) pairs [B, J] each -> log-probabilities [B, V]."""
        joint = self.spec.joint
        hidden = enc_proj * pred_proj if joint.kind == "multiplicative" else enc_proj + pred_proj
        hidden = joint_activation(joint.activation, hidden)
        return log_softmax(hidden @ self.weights["joint.out.w"] + self.weights.get("joint.out.b", 0.0))
