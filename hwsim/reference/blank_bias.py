"""The blank bias: one number added to joint.out.b[blank] so random weights emit labels at a realistic rate.

Random weights give a near-uniform output distribution, so blank wins ~1/V of the time and greedy decoding
would emit `max_symbols` labels on almost every frame. The bias is found by bisection on a calibration
utterance (seeded random features, `CALIBRATION_FRAMES` frames, encoded once): greedy decoding's label rate
(labels / frames) falls as the blank bias grows, so 14 halvings of [-10, 30] give the bias within 0.003 whose
rate is closest to the workload's `decoding.label_rate_per_frame`. Before the bisection the joint's dense
weights are rescaled to unit-variance outputs on the same utterance (weights.unit_variance_joint), without
which the logits are nearly constant and the rate jumps from 0 to max_symbols at one bias value.
"""

from __future__ import annotations

import numpy as np

from hwsim.reference.rnnt import BLANK, RnntModel
from hwsim.decode.registry import Algorithm
from hwsim.reference.search import decode
from hwsim.reference.trace import Recorder
from hwsim.reference.weights import unit_variance_joint

CALIBRATION_FRAMES = 100
BIAS_RANGE = (-10.0, 30.0)
ITERATIONS = 14


def set_blank_bias(model: RnntModel, bias: float) -> None:
    out_bias = model.weights.get("joint.out.b")
    if out_bias is None:
        out_bias = model.weights["joint.out.b"] = np.zeros(model.vocab, np.float32)
    out_bias[BLANK] = bias


def greedy_label_rate(model: RnntModel, encoded: np.ndarray, max_symbols: int) -> float:
    schedule = decode(model, encoded, Recorder(), Algorithm.GREEDY, 1, max_symbols, cache=False)
    return schedule.labels / schedule.frames


def fit_blank_bias(model: RnntModel, target_rate: float, max_symbols: int, seed: int = 0,
                   frames: int = CALIBRATION_FRAMES) -> tuple[float, float]:
    """Set and return (blank bias, greedy label rate it gives on the calibration utterance)."""
    features = np.random.default_rng([seed, 1]).standard_normal((frames, model.input_dim)).astype(np.float32)
    encoded = model.encode(features)
    set_blank_bias(model, 0.0)
    unit_variance_joint(model, encoded, np.random.default_rng([seed, 3]))
    low, high = BIAS_RANGE
    best = (np.inf, 0.0, 0.0)  # (|rate - target|, bias, rate)
    for _ in range(ITERATIONS):
        middle = 0.5 * (low + high)
        set_blank_bias(model, middle)
        rate = greedy_label_rate(model, encoded, max_symbols)
        best = min(best, (abs(rate - target_rate), middle, rate))
        low, high = (middle, high) if rate > target_rate else (low, middle)
    set_blank_bias(model, best[1])
    return best[1], best[2]
