"""The one registry of decoding algorithms: name -> search function and its published source."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable

from hwsim.decode import algorithms
from hwsim.decode.context import Hyp, Scorer, SearchContext
from hwsim.decode.schedule import DecodeSchedule


class Algorithm(str, Enum):
    GREEDY = "greedy"
    BEAM = "beam"
    TSD = "tsd"
    ALSD = "alsd"
    MODIFIED_BEAM = "modified_beam"


Search = Callable[[SearchContext, int, int], list[Hyp]]


@dataclass(frozen=True)
class AlgorithmEntry:
    algorithm: Algorithm
    search: Search
    source: str
    beam_one_only: bool = False  # greedy


ALGORITHMS: dict[Algorithm, AlgorithmEntry] = {}


def register(entry: AlgorithmEntry) -> None:
    if entry.algorithm in ALGORITHMS:
        raise ValueError(f"algorithm {entry.algorithm.value!r} registered twice")
    ALGORITHMS[entry.algorithm] = entry


register(AlgorithmEntry(Algorithm.GREEDY, algorithms.greedy, "NeMo GreedyRNNTInfer / torchaudio greedy", True))
register(AlgorithmEntry(Algorithm.BEAM, algorithms.beam, "Graves 2012; ESPnet default_beam_search"))
register(AlgorithmEntry(Algorithm.TSD, algorithms.time_synchronous, "Saon et al. ICASSP 2020; ESPnet time_sync_decoding"))
register(AlgorithmEntry(Algorithm.ALSD, algorithms.alignment_length_synchronous,
                        "Saon et al. ICASSP 2020; ESPnet align_length_sync_decoding"))
register(AlgorithmEntry(Algorithm.MODIFIED_BEAM, algorithms.modified_beam, "k2/icefall modified_beam_search"))


def run_search(algorithm: Algorithm, scorer: Scorer, frames: int, beam: int, max_symbols: int,
               cache: bool = True) -> DecodeSchedule:
    """Decode `frames` encoder frames with `scorer`; the schedule of every joint call, and the best path's labels."""
    return search_best(algorithm, scorer, frames, beam, max_symbols, cache)[0]


def search_best(algorithm: Algorithm, scorer: Scorer, frames: int, beam: int, max_symbols: int,
                cache: bool = True) -> tuple[DecodeSchedule, tuple[int, ...]]:
    """run_search, and the best path's label ids (what a transcript is scored on)."""
    if frames < 1 or beam < 1 or max_symbols < 1:
        raise ValueError("frames, beam and max_symbols must be >= 1")
    entry = ALGORITHMS[Algorithm(algorithm)]
    if entry.beam_one_only and beam != 1:
        raise ValueError(f"{entry.algorithm.value} decoding has beam 1")
    ctx = SearchContext(scorer, frames, cache)
    hyps = entry.search(ctx, beam, max_symbols)
    top = max(hyps, key=lambda h: h.score)
    schedule = DecodeSchedule(entry.algorithm.value, beam, frames, tuple(ctx.steps), top.labels, max_symbols,
                              scorer.vocab)
    return schedule, top.yseq[1:]
