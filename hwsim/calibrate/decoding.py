"""Fit the synthetic scorer's decoding statistics (hwsim.sim.emission) to a recorded decode trace.

| statistic                | how it is fitted                                                            |
|--------------------------|-----------------------------------------------------------------------------|
| label_rate_per_frame     | its definition: best-path labels / encoder frames of the trace              |
| top_prob                 | grid search, with competitor_repeat_prob, minimising the squared log ratios |
| competitor_repeat_prob   | of the simulated to the recorded counts (steps, joint rows, prediction rows, |
|                          | cache hits, labels) of the same algorithm, beam, frames and symbol cap      |

The residual of every count is reported; a statistic the trace's algorithm does not move (TSD's joint rows
do not depend on top_prob) simply keeps a flat objective, which the residuals show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hwsim.decode.registry import Algorithm
from hwsim.sim.decode import build_schedule
from hwsim.sim.emission import EmissionParams
from hwsim.sim.schedule import DecodeSchedule

TOP_PROBS = (0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)
REPEAT_PROBS = (0.0, 0.25, 0.5, 0.75, 0.9, 0.97)
COUNTS = ("steps", "joint_rows", "prediction_rows", "cache_hits", "labels")
DEFAULT_MAX_SYMBOLS, DEFAULT_VOCAB = 3, 1024


def schedule_counts(schedule: DecodeSchedule) -> dict[str, int]:
    return {name: len(schedule.steps) if name == "steps" else int(getattr(schedule, name)) for name in COUNTS}


@dataclass(frozen=True)
class DecodingFit:
    label_rate_per_frame: float
    top_prob: float
    competitor_repeat_prob: float
    max_symbols: int
    vocab: int
    recorded: dict[str, int]
    simulated: dict[str, int]

    @property
    def residual_pct(self) -> dict[str, float | None]:
        return {k: (100.0 * (self.simulated[k] - v) / v if v else None) for k, v in self.recorded.items()}


def _loss(simulated: dict[str, int], recorded: dict[str, int]) -> float:
    return sum(math.log((simulated[k] + 1) / (recorded[k] + 1)) ** 2 for k in COUNTS)


def fit_decoding(trace: DecodeSchedule, max_symbols: int | None = None, vocab: int | None = None,
                 seed: int = 0) -> DecodingFit:
    """Decoding statistics that make the simulator reproduce `trace`'s counts (same algorithm, beam, T)."""
    symbols = max_symbols or trace.max_symbols or DEFAULT_MAX_SYMBOLS
    vocab = vocab or trace.vocab or DEFAULT_VOCAB
    rate = min(max(trace.labels / trace.frames, 1e-3), 0.999)
    recorded = schedule_counts(trace)
    best = None
    for top in TOP_PROBS:
        for repeat in REPEAT_PROBS:
            schedule = build_schedule(Algorithm(trace.algorithm), trace.frames, trace.beam,
                                      EmissionParams(rate, top, repeat, seed), symbols, vocab=vocab)
            counts = schedule_counts(schedule)
            loss = _loss(counts, recorded)
            if best is None or loss < best[0]:
                best = (loss, top, repeat, counts)
    _, top, repeat, counts = best
    return DecodingFit(rate, top, repeat, symbols, vocab, recorded, counts)


def decoding_block(fit: DecodingFit, source: str) -> str:
    """The workload YAML `decoding:` block (and `inferred:` notes) for a fit."""
    residuals = ", ".join(f"{k} {v:+.1f} %" for k, v in fit.residual_pct.items() if v is not None)
    note = f"Fitted by `hwsim fit-decoding {source}`; simulated vs recorded counts: {residuals}."
    return "\n".join([
        "decoding:",
        f"  label_rate_per_frame: {fit.label_rate_per_frame:.4g}   # fitted, see inferred",
        f"  top_prob: {fit.top_prob:g}   # fitted, see inferred",
        f"  competitor_repeat_prob: {fit.competitor_repeat_prob:g}   # fitted, see inferred",
        f"  max_symbols_per_frame: {fit.max_symbols}",
        "inferred:",
        "  decoding.label_rate_per_frame: >-",
        f"    {note}",
        "  decoding.top_prob: >-",
        f"    {note}",
        "  decoding.competitor_repeat_prob: >-",
        f"    {note}",
        ""])
