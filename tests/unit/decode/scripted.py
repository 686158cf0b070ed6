"""A hand-written scorer for tiny hand-worked decoding cases: log-probabilities from a table."""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from hwsim.decode.context import Scores

Probs = Callable[[int, tuple[int, ...]], Sequence[float]]


class ScriptedScorer:
    """probs(frame, history) -> [P(blank), P(label 1), ...]; records every prediction batch."""

    def __init__(self, probs: Probs, vocab: int):
        self.probs, self.vocab, self.predicted = probs, vocab, []

    def predict(self, histories):
        self.predicted.append(list(histories))

    def joint(self, frames, histories, k):
        logp = np.log(np.array([self.probs(t, y) for t, y in zip(frames, histories)], dtype=np.float64))
        order = np.argsort(-logp[:, 1:], axis=1, kind="stable")[:, :k]
        return Scores(logp[:, 0], order + 1, np.take_along_axis(logp[:, 1:], order, axis=1))


def const(*p: float) -> Probs:
    return lambda t, y: p


LOG = math.log
