"""Seeded, properly scaled random weights for every tensor of a workload graph (float32).

| tensor                         | init                                                    |
|--------------------------------|---------------------------------------------------------|
| LSTM w_ih, w_hh, b_ih, b_hh    | uniform(-1/sqrt(H), 1/sqrt(H)), H = cells (PyTorch)      |
| dense `*.w` [in, out]          | Glorot uniform, limit sqrt(6 / (in + out))              |
| dense `*.b`                    | zeros                                                   |
| embeddings                     | N(0, 1) (PyTorch nn.Embedding)                          |

The blank bias (hwsim.reference.blank_bias) is added to `joint.out.b[0]` afterwards.
"""

from __future__ import annotations

import numpy as np

from hwsim.graph.model import Graph, Role, Tensor
from hwsim.reference.rnnt import joint_activation

LSTM_SUFFIXES = (".w_ih", ".w_hh", ".b_ih", ".b_hh")
LOGIT_STD = 4.0  # joint logits' spread after rescaling: a confident (peaked) output, as a trained model's


def init_tensor(tensor: Tensor, rng: np.random.Generator) -> np.ndarray:
    shape = tensor.shape
    if tensor.name.endswith(LSTM_SUFFIXES):
        bound = 1.0 / np.sqrt(shape[-1] // 4)
        return rng.uniform(-bound, bound, shape).astype(np.float32)
    if tensor.role is Role.EMBEDDING:
        return rng.standard_normal(shape).astype(np.float32)
    if tensor.role is Role.BIAS:
        return np.zeros(shape, np.float32)
    fan_in, fan_out = shape[0], int(np.prod(shape[1:]))
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(np.float32)


def init_weights(graph: Graph, seed: int = 0) -> dict[str, np.ndarray]:
    """Every tensor of the graph, drawn from one seeded generator in build order."""
    rng = np.random.default_rng(seed)
    return {t.name: init_tensor(t, rng) for t in graph.tensors}


def _standardise(weights: dict[str, np.ndarray], name: str, outputs: np.ndarray) -> None:
    """Fold a batch norm into dense layer `name`: its outputs on the sample get zero mean, unit std per unit."""
    std = np.maximum(outputs.std(axis=0), 1e-12)
    weights[f"{name}.w"] = (weights[f"{name}.w"] / std).astype(np.float32)
    bias = weights.get(f"{name}.b", np.zeros(std.shape, np.float32))
    weights[f"{name}.b"] = ((bias - outputs.mean(axis=0)) / std).astype(np.float32)


HISTORY_STEPS = 16


def _random_history_outputs(model, rng: np.random.Generator, histories: int) -> np.ndarray:
    """Prediction outputs along `histories` random label sequences, at every length up to HISTORY_STEPS."""
    states, outputs = [model.initial_state()] * histories, []
    for _ in range(HISTORY_STEPS):
        out, states = model.predict(rng.integers(0, model.vocab, histories), states)
        outputs.append(out)
    return np.concatenate(outputs)


def unit_variance_joint(model, encoded: np.ndarray, rng: np.random.Generator, histories: int = 64) -> None:
    """Data-dependent rescaling (LSUV, Mishkin & Matas 2016) of the joint's three dense layers, in place.

    Properly scaled random LSTMs emit small activations that barely change over time (6 random BLSTM layers
    on white noise: per-unit std over frames ~0.002 around means ~0.015), so Glorot projections give
    near-constant joint logits: blank then either always or never wins, and no blank bias makes the label
    rate move smoothly. Standardising joint.enc_proj (over the calibration utterance's frames) and
    joint.pred_proj (over the outputs of `histories` random label
    sequences at every length 1..HISTORY_STEPS, so the start-of-sequence state is not an outlier) per unit, as a folded batch norm would,
    then scaling joint.out.w so the logits have standard deviation LOGIT_STD, gives logits that vary from
    step to step and a peaked label distribution like a trained model's (with flat logits a beam search
    prefers blanks and its best path carries far fewer labels than greedy's). Every other weight keeps its
    textbook initialisation.
    """
    weights = model.weights
    _standardise(weights, "joint.enc_proj", model.project_encoder(encoded))
    pred = _random_history_outputs(model, rng, histories)
    _standardise(weights, "joint.pred_proj", model.project_prediction(pred))
    enc = model.project_encoder(encoded)[rng.integers(0, encoded.shape[0], len(pred))]
    dec = model.project_prediction(pred)
    hidden = enc * dec if model.spec.joint.kind == "multiplicative" else enc + dec
    hidden = joint_activation(model.spec.joint.activation, hidden)
    weights["joint.out.w"] *= np.float32(LOGIT_STD / max(float((hidden @ weights["joint.out.w"]).std()), 1e-12))
