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


def unit_variance_joint(model, encoded: np.ndarray, rng: np.random.Generator, histories: int = 64) -> None:
    """Data-dependent rescaling (LSUV, Mishkin & Matas 2016) of the joint's three dense weights, in place.

    Properly scaled random LSTMs emit small activations (std ~0.05), so a multiplicative joint of two
    Glorot projections gives near-constant logits, and no blank bias can make the label rate move smoothly
    (blank either always or never wins). Scaling joint.enc_proj.w and joint.pred_proj.w so their outputs have
    unit standard deviation (on the calibration utterance's frames and on `histories` random one-label
    histories), then joint.out.w so the logits have standard deviation LOGIT_STD, gives logits that vary
    from step to step and a peaked label distribution like a trained model's (with flat logits a beam
    search prefers blanks and its best path carries far fewer labels than greedy's), while every other
    weight keeps its textbook initialisation.
    """
    weights = model.weights
    weights["joint.enc_proj.w"] *= np.float32(1.0 / max(float(model.project_encoder(encoded).std()), 1e-12))
    labels = rng.integers(0, model.vocab, histories)
    pred, _ = model.predict(labels, [model.initial_state()] * histories)
    weights["joint.pred_proj.w"] *= np.float32(1.0 / max(float(model.project_prediction(pred).std()), 1e-12))
    enc = model.project_encoder(encoded)[rng.integers(0, encoded.shape[0], histories)]
    hidden = enc * model.project_prediction(pred) if model.spec.joint.kind == "multiplicative" else enc + model.project_prediction(pred)
    if model.spec.joint.activation == "tanh":
        hidden = np.tanh(hidden)
    weights["joint.out.w"] *= np.float32(LOGIT_STD / max(float((hidden @ weights["joint.out.w"]).std()), 1e-12))
