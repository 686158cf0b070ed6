"""A numpy RNN-T ready to decode: its network, the blank bias that sets its label rate, and its search limit.

Built by hwsim.reference.timed_decode (random weights with a fitted blank bias) or hwsim.reference.trained (the shipped
trained weights), and decoded by both, so it lives apart from either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwsim.reference.rnnt import RnntModel
from hwsim.reference.synthetic_speech import speech_features


@dataclass(frozen=True)
class ReferenceDecoder:
    model: RnntModel
    blank_bias: float
    calibration_rate: float  # greedy label rate the bias gives on the calibration utterance
    max_symbols: int
    trained: bool = False  # shipped trained weights (hwsim.reference.trained): decodes synthetic speech

    def features(self, frames: int, seed: int) -> np.ndarray:
        """An utterance for this model: held-out synthetic speech for the trained model (random features mean
        nothing to it), seeded random features for random weights."""
        if self.trained:
            return speech_features(frames, seed)
        return random_features(self.model, frames, seed)


def random_features(model: RnntModel, frames: int, seed: int) -> np.ndarray:
    return np.random.default_rng([seed, 2]).standard_normal((frames, model.input_dim)).astype(np.float32)
