"""A seeded statistical model of RNN-T hypothesis dynamics, so decoders make a realistic number of calls.

Two documented parameters drive it:

| parameter | meaning |
|---|---|
| `label_rate` (lambda) | labels the best hypothesis emits per encoder frame (utterance labels / frames) |
| `blank_prob` (beta) | probability that a competing beam slot is a blank extension rather than a label one |

- Best path: in every expansion round of a frame it emits (another) label with probability lambda, so a
  frame carries at least k labels with probability lambda^k (geometric; mean lambda/(1-lambda) uncapped,
  ~lambda for small lambda).
- Competitors: in a frame's first expansion round each of the other live slots is a label extension with
  probability 1 - beta; label extensions create new label histories that need a prediction-network call.
  In later rounds of the same frame (time-synchronous search) a hypothesis that already took a label emits
  another with the best path's probability lambda, so expansions within a frame decay geometrically.
- `merge_prob` (mu): probability that a new label history equals one already computed this utterance
  (alignment variants of the same prefix), served from the prediction-network cache when caching is on.

Draws come from independent generators for the best path, the competitors and merges, so a beam search with
beam 1 sees exactly the best-path draws that greedy decoding sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EmissionParams:
    label_rate: float
    blank_prob: float
    merge_prob: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("label_rate", "blank_prob", "merge_prob"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")


class EmissionModel:
    """Seeded sampler of per-frame emissions; one instance per simulated utterance."""

    def __init__(self, params: EmissionParams):
        self.params = params
        best, competitors, merges = np.random.default_rng(params.seed).spawn(3)
        self._best, self._competitors, self._merges = best, competitors, merges

    def best_emits(self) -> bool:
        """Does the best hypothesis emit (another) label in the current expansion round?"""
        return bool(self._best.random() < self.params.label_rate)

    def competitor_labels(self, slots: int) -> int:
        """How many of `slots` competing beam slots are label extensions."""
        if slots <= 0:
            return 0
        return int(self._competitors.binomial(slots, 1.0 - self.params.blank_prob))

    def competitor_repeats(self, slots: int) -> int:
        """How many of `slots` label-extended competitors emit another label in the same frame (prob. lambda)."""
        if slots <= 0:
            return 0
        return int(self._competitors.binomial(slots, self.params.label_rate))

    def cache_hits(self, new_histories: int) -> int:
        """How many of the new label histories were already computed (identical prefixes)."""
        if new_histories <= 0 or self.params.merge_prob == 0.0:
            return 0
        return int(self._merges.binomial(new_histories, self.params.merge_prob))
