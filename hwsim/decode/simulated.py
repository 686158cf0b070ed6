"""The simulator's decode schedules: the registry's searches (hwsim.decode) run on the synthetic scorer.

The same search code drives the numpy reference decoder (hwsim.reference), so a schedule here has exactly
the published algorithm's structure; only the network outputs are synthetic (hwsim.decode.synthetic).
"""

from __future__ import annotations

import functools

from hwsim.decode.registry import ALGORITHMS, Algorithm, run_search
from hwsim.decode.synthetic import EmissionParams, SyntheticScorer
from hwsim.decode.schedule import DecodeSchedule

__all__ = ["ALGORITHMS", "Algorithm", "build_schedule"]

DEFAULT_VOCAB = 1024  # for callers that do not say (the pipeline passes the workload's joint vocabulary)


def build_schedule(algorithm: Algorithm, frames: int, beam: int, params: EmissionParams, max_symbols: int,
                   vocab: int = DEFAULT_VOCAB, cache: bool = True) -> DecodeSchedule:
    """The schedule of `algorithm` decoding `frames` encoder frames with the synthetic model `params`.

    A pure function of its arguments (seeded), so results are memoised: a sweep over precisions or devices
    reuses each (algorithm, frames, beam, statistics) schedule instead of searching again.
    """
    if frames < 1 or beam < 1 or max_symbols < 1:
        raise ValueError("frames, beam and max_symbols must be >= 1")
    return _build(Algorithm(algorithm), frames, beam, params, max_symbols, vocab, cache)


@functools.lru_cache(maxsize=256)
def _build(algorithm: Algorithm, frames: int, beam: int, params: EmissionParams, max_symbols: int, vocab: int,
           cache: bool) -> DecodeSchedule:
    return run_search(algorithm, SyntheticScorer(params, frames, vocab), frames, beam, max_symbols, cache)
