"""Fit the synthetic scorer's decoding statistics (hwsim.sim.emission) to one or more recorded decode traces.

| statistic                | how it is fitted                                                            |
|--------------------------|-----------------------------------------------------------------------------|
| label_rate_per_frame     | its definition: best-path labels / encoder frames, pooled over the traces   |
| top_prob                 | grid search, with competitor_repeat_prob, minimising the squared log ratios |
| competitor_repeat_prob   | of the simulated to the recorded counts (steps, joint rows, prediction rows, |
|                          | cache hits, labels), summed over the traces; each trace is simulated with   |
|                          | its own algorithm, beam, frames, symbol cap and best-path label rate        |

Several traces (utterances of one decoder) make the fit robust: on a single utterance the counts of a beam
search scatter so much (reports/validation) that the grid can land on a degenerate corner (top_prob near 1/3,
where blank and labels score alike) that reproduces that utterance and no other. The residual of every
count is reported (summed over the traces); a statistic the algorithm does not move (TSD's joint rows do not
depend on top_prob) simply keeps a flat objective, which the residuals show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from hwsim.decode.registry import Algorithm
from hwsim.sim.decode import build_schedule
from hwsim.sim.emission import EmissionParams
from hwsim.sim.schedule import DecodeSchedule

TOP_PROBS = (0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)
REPEAT_PROBS = (0.0, 0.25, 0.5, 0.75, 0.9, 0.97)
COUNTS = ("steps", "joint_rows", "prediction_rows", "cache_hits", "labels")
DEFAULT_MAX_SYMBOLS, DEFAULT_VOCAB = 3, 1024
LABEL_TOLERANCE, REJECTED = 0.1, 1e6


def schedule_counts(schedule: DecodeSchedule) -> dict[str, int]:
    return {name: len(schedule.steps) if name == "steps" else int(getattr(schedule, name)) for name in COUNTS}


@dataclass(frozen=True)
class DecodingFit:
    label_rate_per_frame: float
    top_prob: float
    competitor_repeat_prob: float
    max_symbols: int
    vocab: int
    recorded: dict[str, int]  # summed over the traces
    simulated: dict[str, int]
    traces: int = 1

    @property
    def residual_pct(self) -> dict[str, float | None]:
        return {k: (100.0 * (self.simulated[k] - v) / v if v else None) for k, v in self.recorded.items()}


def _loss(simulated: dict[str, int], recorded: dict[str, int]) -> float:
    return sum(math.log((simulated[k] + 1) / (recorded[k] + 1)) ** 2 for k in COUNTS)


def fit_decoding(traces: DecodeSchedule | Sequence[DecodeSchedule], max_symbols: int | None = None,
                 vocab: int | None = None, seed: int = 0) -> DecodingFit:
    """Decoding statistics that make the simulator reproduce the counts of `traces` (one decoder's utterances;
    each simulated with its own beam, frames and best-path label rate)."""
    traces = [traces] if isinstance(traces, DecodeSchedule) else list(traces)
    if not traces or len({t.algorithm for t in traces}) != 1:
        raise ValueError("fit_decoding needs at least one trace, all of one algorithm")
    first = traces[0]
    symbols = max_symbols or first.max_symbols or DEFAULT_MAX_SYMBOLS
    vocab = vocab or first.vocab or DEFAULT_VOCAB
    recorded = _summed(schedule_counts(t) for t in traces)
    best = None
    for top in TOP_PROBS:
        for repeat in REPEAT_PROBS:
            counts = [schedule_counts(build_schedule(Algorithm(t.algorithm), t.frames, t.beam,
                                                     EmissionParams(_rate(t), top, repeat, seed), symbols, vocab=vocab))
                      for t in traces]
            loss = sum(_loss(c, schedule_counts(t)) for c, t in zip(counts, traces))
            if not _keeps_label_rate(_summed(counts), recorded):
                loss += REJECTED
            if best is None or loss < best[0]:
                best = (loss, top, repeat, _summed(counts))
    _, top, repeat, counts = best
    rate = _rate_of(sum(t.labels for t in traces), sum(t.frames for t in traces))
    return DecodingFit(rate, top, repeat, symbols, vocab, recorded, counts, len(traces))


def _keeps_label_rate(simulated: dict[str, int], recorded: dict[str, int]) -> bool:
    """Whether the simulated best paths carry the recorded labels (within LABEL_TOLERANCE): statistics under which
    the search collects labels the reference alignment does not hold would give label_rate_per_frame another
    meaning, so the grid ranks them after every statistic that keeps it."""
    return abs(simulated["labels"] - recorded["labels"]) <= max(LABEL_TOLERANCE * recorded["labels"], 2)


def _rate_of(labels: int, frames: int) -> float:
    return min(max(labels / frames, 1e-3), 0.999)  # the scorer's label_rate lives in (0, 1)


def _rate(trace: DecodeSchedule) -> float:
    return _rate_of(trace.labels, trace.frames)


def _summed(counts) -> dict[str, int]:
    total = dict.fromkeys(COUNTS, 0)
    for c in counts:
        for name in COUNTS:
            total[name] += c[name]
    return total


def decoding_block(fit: DecodingFit, source: str) -> str:
    """The workload YAML `decoding:` block (and `inferred:` notes) for a fit."""
    residuals = ", ".join(f"{k} {v:+.1f} %" for k, v in fit.residual_pct.items() if v is not None)
    over = f" ({fit.traces} traces, counts summed)" if fit.traces > 1 else ""
    note = f"Fitted by `hwsim fit-decoding {source}`; simulated vs recorded counts{over}: {residuals}."
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
