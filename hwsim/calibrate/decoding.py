"""Fit the synthetic scorer's decoding statistics (hwsim.decode.synthetic) to one or more recorded decode traces.

| statistic                | how it is fitted                                                              |
|--------------------------|-------------------------------------------------------------------------------|
| label_rate_per_frame     | its definition: best-path labels / encoder frames, pooled over the traces     |
| top_prob                 | stage 1: grid search of these two at the defaults of the three below          |
| competitor_repeat_prob   | (every frame alike, geometric tail 1/2)                                       |
| confidence_spread        | stage 2: coordinate descent from stage 1's fit and from CONFIDENT_START:      |
| due_top_prob             | top_prob (within TOP_STEPS grid places) jointly with each other statistic in  |
| tail_ratio               | turn, until a whole pass lowers the objective no further; never worse than    |
|                          | stage 1                                                                       |

The objective: each count (steps, joint rows, prediction rows, cache hits, labels) of every trace, simulated with
its own algorithm, beam, frames, symbol cap and best-path label rate, minus the recorded one, in units of the
tolerance `validate` judges a count by (count_tolerance), squared and summed.

Why two stages: a trained transducer is sure on most frames and unsure on a few, and least sure where a label is
due (hwsim.validation.trained_counts measures it); the standard beam search's pops and prediction rows follow
that shape, so one top_prob for every row over-predicts them. The three shape statistics reproduce it, but a
full grid over five statistics costs thousands of simulated decodes; coordinate descent from the two-statistic
fit costs a few hundred and is deterministic.

Several traces (utterances of one decoder) make the fit robust: on a single utterance the counts of a beam
search scatter so much (reports/validation) that the grid can land on a degenerate corner (top_prob near 1/3,
where blank and labels score alike) that reproduces that utterance and no other. The residual of every
count is reported (summed over the traces); a statistic the algorithm does not move (TSD's joint rows do not
depend on top_prob) simply keeps a flat objective, which the residuals show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from hwsim.decode.registry import Algorithm
from hwsim.decode.simulated import build_schedule
from hwsim.decode.synthetic import EmissionParams
from hwsim.specs.workload import min_top_prob
from hwsim.decode.schedule import DecodeSchedule
from hwsim.decode.schedule_io import DEFAULT_TRACE_SYMBOLS

TOP_PROBS = (0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)
REPEAT_PROBS = (0.0, 0.25, 0.5, 0.75, 0.9, 0.97)
# stage 2's grids: the stage-1 values and the confident end a trained model reaches (median top probability 0.998)
SHAPE_GRID: dict[str, tuple] = {
    "confidence_spread": (0.0, 1.0, 2.0, 3.0),
    "due_top_prob": (None, 0.8, 0.9, 0.95, 0.98, 0.995),
    "tail_ratio": (0.5, 0.35, 0.2),
    "top_prob": TOP_PROBS + (0.99, 0.995),
    "repeat_prob": REPEAT_PROBS,
}
PAIRED = ("repeat_prob", "confidence_spread", "due_top_prob", "tail_ratio")
TOP_STEPS, MAX_PASSES = 2, 8
# stage 2's second start: a trained transducer's shape (reports/trained_reference: sure on most frames, unsure
# on a few, least sure where a label is due), so the descent need not walk there from a one-top_prob fit
CONFIDENT_START = {"top_prob": 0.99, "confidence_spread": 2.0, "due_top_prob": 0.95}
COUNTS = ("steps", "joint_rows", "prediction_rows", "cache_hits", "labels")
DEFAULT_MAX_SYMBOLS, DEFAULT_VOCAB = DEFAULT_TRACE_SYMBOLS, 1024
LABEL_TOLERANCE, REJECTED = 0.1, 1e6
TOLERANCE_PCT, TOLERANCE_FLOOR = 35.0, 8  # validate's tolerance of one count (hwsim.validation.counts)


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
    confidence_spread: float = 0.0
    due_top_prob: float | None = None
    tail_ratio: float = 0.5
    loss: float = 0.0  # the objective at the fit (per-trace squared errors in tolerance units, summed)
    stage1_loss: float = 0.0  # the objective of the two-statistic fit stage 2 started from

    @property
    def residual_pct(self) -> dict[str, float | None]:
        return {k: (100.0 * (self.simulated[k] - v) / v if v else None) for k, v in self.recorded.items()}

    def params(self, seed: int = 0, label_rate: float | None = None) -> EmissionParams:
        """The emission model these statistics define (at the pooled label rate unless one is given)."""
        return EmissionParams(self.label_rate_per_frame if label_rate is None else label_rate, self.top_prob,
                              self.competitor_repeat_prob, seed, self.confidence_spread, self.due_top_prob,
                              self.tail_ratio)


def count_tolerance(real: float) -> float:
    """How far a simulated count may be from the real one: TOLERANCE_PCT of it, or TOLERANCE_FLOOR counts."""
    return max(TOLERANCE_PCT / 100 * real, TOLERANCE_FLOOR)


def _loss(simulated: dict[str, int], recorded: dict[str, int]) -> float:
    """Squared errors in units of the tolerance validate judges a count by, so a count of a few (ALSD's cache hits
    on a trained model) does not outweigh the rest by its noise."""
    return sum(((simulated[k] - recorded[k]) / count_tolerance(recorded[k])) ** 2 for k in COUNTS)


class _Objective:
    """The fit objective over the traces, memoised by statistics (coordinate descent revisits points)."""

    def __init__(self, traces: Sequence[DecodeSchedule], symbols: int, vocab: int, seed: int):
        self.traces, self.symbols, self.vocab, self.seed = traces, symbols, vocab, seed
        self.recorded = [schedule_counts(t) for t in traces]
        self.total = _summed(self.recorded)
        self.seen: dict[tuple, tuple[float, dict[str, int]]] = {}

    def __call__(self, stats: dict) -> tuple[float, dict[str, int]]:
        key = tuple(sorted(stats.items()))
        if key not in self.seen:
            counts = [schedule_counts(build_schedule(  # the stats' keys are EmissionParams fields
                Algorithm(t.algorithm), t.frames, t.beam, EmissionParams(_rate(t), seed=self.seed, **stats),
                self.symbols, vocab=self.vocab)) for t in self.traces]
            loss = sum(_loss(c, r) for c, r in zip(counts, self.recorded))
            if not _keeps_label_rate(_summed(counts), self.total):
                loss += REJECTED
            self.seen[key] = (loss, _summed(counts))
        return self.seen[key]


def _descend(objective: _Objective, stats: dict) -> tuple[dict, float]:
    """Coordinate descent from `stats`: top_prob jointly with each other statistic in turn (they trade against each
    other), top_prob within TOP_STEPS grid places of its current value, until a pass lowers the objective no more."""
    loss, tops = objective(stats)[0], SHAPE_GRID["top_prob"]
    for _ in range(MAX_PASSES):
        improved = False
        for name in PAIRED:
            here = tops.index(stats["top_prob"])
            for top in tops[max(here - TOP_STEPS, 0):here + TOP_STEPS + 1]:
                for value in SHAPE_GRID[name]:
                    trial = {**stats, "top_prob": top, name: value}
                    if _valid(trial) and objective(trial)[0] < loss:
                        stats, loss, improved = trial, objective(trial)[0], True
        if not improved:
            break
    return stats, loss


def _valid(stats: dict) -> bool:
    lowest = min_top_prob(stats["tail_ratio"])
    return stats["top_prob"] > lowest and (stats["due_top_prob"] is None or stats["due_top_prob"] > lowest)


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
    objective = _Objective(traces, symbols, vocab, seed)
    defaults = {"confidence_spread": 0.0, "due_top_prob": None, "tail_ratio": 0.5}
    stage1 = min(({**defaults, "top_prob": top, "repeat_prob": repeat} for top in TOP_PROBS for repeat in REPEAT_PROBS),
                 key=lambda stats: objective(stats)[0])  # first of equals, in grid order
    ends = [_descend(objective, start) for start in (stage1, {**stage1, **CONFIDENT_START})]
    stats, loss = min(ends, key=lambda end: end[1])  # the first of equals: stage 1's own descent
    rate = _rate_of(sum(t.labels for t in traces), sum(t.frames for t in traces))
    return DecodingFit(rate, stats["top_prob"], stats["repeat_prob"], symbols, vocab, objective.total,
                       objective(stats)[1], len(traces), stats["confidence_spread"], stats["due_top_prob"],
                       stats["tail_ratio"], loss, objective(stage1)[0])


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
    """The workload YAML `decoding:` block (and `inferred:` notes) for a fit; due_top_prob only when the fit gives
    due rows their own (absent, they share top_prob)."""
    residuals = ", ".join(f"{k} {v:+.1f} %" for k, v in fit.residual_pct.items() if v is not None)
    over = f" ({fit.traces} traces, counts summed)" if fit.traces > 1 else ""
    note = f"Fitted by `hwsim fit-decoding {source}`; simulated vs recorded counts{over}: {residuals}."
    fitted = {"label_rate_per_frame": f"{fit.label_rate_per_frame:.4g}", "top_prob": f"{fit.top_prob:g}",
              "competitor_repeat_prob": f"{fit.competitor_repeat_prob:g}",
              "confidence_spread": f"{fit.confidence_spread:g}", "tail_ratio": f"{fit.tail_ratio:g}"}
    if fit.due_top_prob is not None:
        fitted["due_top_prob"] = f"{fit.due_top_prob:g}"
    lines = ["decoding:", *(f"  {key}: {value}   # fitted, see inferred" for key, value in fitted.items()),
             f"  max_symbols_per_frame: {fit.max_symbols}", "inferred:"]
    for key in fitted:
        lines += [f"  decoding.{key}: >-", f"    {note}"]
    return "\n".join(lines + [""])
