"""The simulator's stand-in for a trained RNN-T: a seeded synthetic scorer the real search algorithms run on.

The decoders of hwsim.decode ask it for joint outputs exactly as they ask the numpy networks, so the
simulated schedule has the published algorithm's structure, and cache hits, merges and label counts come
from the label histories the search actually builds. Six documented statistics drive it (the last three default
to a model equally sure on every row, which is what the first three alone described):

| statistic | meaning |
|---|---|
| `label_rate` (lambda)     | labels per encoder frame on the best path: the utterance carries round(lambda T) reference labels |
| `top_prob` (p)            | probability of the preferred symbol on a row not due a label, on the median frame                |
| `repeat_prob`             | probability that a frame's competing labels are the previous frame's (slowly changing acoustics) |
| `confidence_spread` (s)   | per frame, logit(1 - p_t) = logit(1 - p) + s z_t, z_t ~ N(0, 1) seeded: sure frames and unsure ones |
| `due_top_prob` (p_d)      | the same for rows due a label (the owed label's probability; default p), same z_t               |
| `tail_ratio` (q)          | alternative j (1-based) gets (1 - p_t)(1 - q) q^(j-1): q = 1/2 is the geometric tail 1/2, 1/4, ...  |

- Reference alignment: label i sits at frame floor((i + phase + jitter_i) / lambda), phase ~ U[0, 1),
  jitter_i ~ U[-0.4, 0.4]: evenly spread with some clustering, and exactly round(lambda T) +- 1 labels.
- A history's *position* is how many reference labels it has matched, in order: a label equal to the one it
  owes advances it, any other label is an insertion (or a substitution) and does not. A hypothesis at frame t
  is *due* when more reference labels lie at frames <= t than its position. Due: its preferred symbol is the
  owed reference label (prob. p_d,t), blank comes next ((1 - p_d,t)(1 - q)), then other labels. Not due: blank
  is preferred (prob. p_t), then labels. Alternatives of rank j (1-based, among the non-preferred symbols) get
  (1 - p_t)(1 - q) q^(j-1). A frame's competing mass is capped at max(1 - p, 1/2), and p, p_d must exceed
  1 - 1 / (2 - q) (min_top_prob), so the preferred symbol always outscores every alternative.
- The non-preferred labels at frame t are a run of label ids, the same for every hypothesis at that frame
  (acoustics, not history, decide which labels are confusable); with probability r it is the previous
  frame's run, else a fresh random one. So paths re-extend the same histories across frames and meet in
  the prediction-network cache as often as r says.

Why position and not the label count: a trained model that inserts a wrong label still expects the right one
when its acoustics come. Counting labels let any label stand in for the owed one, so a beam could trade the
owed reference label for whichever alternative scored best, which changes the histories ALSD and TSD keep
(reports/validation: ALSD prediction rows). With positions an insertion costs a whole extra symbol, and a
deletion keeps the hypothesis due (its blanks at (1 - p) / 2) until it emits the owed label. What positions do
not change: with p near 1/3 blank and the best label score alike, and summing over alignments favours
histories with extra labels, so a beam's best path can carry more labels than the reference; hwsim
fit-decoding therefore ranks such statistics last (hwsim.calibrate.decoding).

How far this holds is checked against a trained transducer on every `validate` (hwsim.validation.trained_counts),
all five counts of every algorithm. Why the shape statistics exist: with one top_prob for every joint call the
standard beam search popped more hypotheses per frame than the trained model's (prediction rows 1.4-1.8x), because
it spread competing label mass over all frames where the trained model is sure on most and unsure on a few, least
sure where a label is due (trained_counts.TRAINED_NOTE).

So greedy decoding follows the reference exactly (p > min_top_prob keeps the preferred symbol above the best
alternative, (1 - p) / 2): labels = round(lambda T) less labels still due at the end, which is what
`label_rate_per_frame` means. Scores depend on (frame, position) only, are deterministic given the seed, and
cost a few vectorised numpy operations per joint call plus one dictionary look-up per scored history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from hwsim.decode.context import BLANK, History, Scores
from hwsim.specs.workload import MAX_SPREAD, min_top_prob

JITTER = 0.4
CONFIDENCE_STREAM = 1  # the per-frame confidence draws' own generator, so spread 0 leaves the rest unchanged


@dataclass(frozen=True)
class EmissionParams:
    label_rate: float
    top_prob: float = 0.9
    repeat_prob: float = 0.0
    seed: int = 0
    confidence_spread: float = 0.0  # sigma of a frame's log-odds of competing mass; 0: every frame alike
    due_top_prob: float | None = None  # preferred symbol's probability on rows due a label; None: top_prob
    tail_ratio: float = 0.5  # each further alternative's share of the competing mass relative to the one before

    @classmethod
    def from_decoding(cls, decoding, seed: int = 0, label_rate: float | None = None, top_prob: float | None = None,
                      repeat_prob: float | None = None) -> "EmissionParams":
        """A workload's `decoding:` block (hwsim.specs.workload.DecodingSpec), with optional overrides."""
        return cls(decoding.label_rate_per_frame if label_rate is None else label_rate,
                   decoding.top_prob if top_prob is None else top_prob,
                   decoding.competitor_repeat_prob if repeat_prob is None else repeat_prob, seed,
                   decoding.confidence_spread, decoding.due_top_prob, decoding.tail_ratio)

    def __post_init__(self) -> None:
        if not 0.0 < self.label_rate < 1.0:
            raise ValueError(f"label_rate must be in (0, 1), got {self.label_rate}")
        if not 0.0 < self.tail_ratio < 1.0:
            raise ValueError(f"tail_ratio must be in (0, 1), got {self.tail_ratio}")
        lowest = min_top_prob(self.tail_ratio)
        for name in ("top_prob", "due_top_prob"):
            value = getattr(self, name)
            if value is not None and not lowest < value < 1.0:
                raise ValueError(f"{name} must be in ({lowest:.4g}, 1) with tail_ratio {self.tail_ratio:g}, "
                                 f"got {value}")
        if not 0.0 <= self.repeat_prob <= 1.0:
            raise ValueError(f"repeat_prob must be in [0, 1], got {self.repeat_prob}")
        if not 0.0 <= self.confidence_spread <= MAX_SPREAD:
            raise ValueError(f"confidence_spread must be in [0, {MAX_SPREAD:g}], got {self.confidence_spread}")


def reference_label_frames(rate: float, frames: int, rng: np.random.Generator) -> np.ndarray:
    """Frames of the reference labels, non-decreasing: label i at floor((i + phase + jitter_i) / rate)."""
    count = int(math.ceil(rate * frames)) + 2
    positions = (np.arange(count) + rng.random() + JITTER * (2.0 * rng.random(count) - 1.0)) / rate
    located = np.floor(positions).astype(np.int64)
    return located[(located >= 0) & (located < frames)]


def competitor_runs(repeat_prob: float, frames: int, vocab: int, rng: np.random.Generator) -> np.ndarray:
    """Per frame, the offset of its run of confusable labels: the previous frame's with probability repeat_prob."""
    fresh = rng.integers(0, vocab - 1, size=frames)
    new_run = rng.random(frames) >= repeat_prob
    new_run[0] = True
    return fresh[np.maximum.accumulate(np.where(new_run, np.arange(frames), 0))]


def frame_confidence(top_prob: float, spread: float, z: np.ndarray | None, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, log of the preferred symbol's probability and of the competing mass c_t: logit(c_t) =
    logit(1 - top_prob) + spread z_t, so top_prob is the median frame's. c_t is capped at max(1 - top_prob, 1/2),
    which keeps the preferred symbol above every alternative (EmissionParams.min_top_prob)."""
    if not spread:
        return np.full(frames, math.log(top_prob)), np.full(frames, math.log1p(-top_prob))
    rest = 1.0 - top_prob
    competing = np.minimum(1.0 / (1.0 + np.exp(-(math.log(rest / top_prob) + spread * z))), max(rest, 0.5))
    return np.log1p(-competing), np.log(competing)


class SyntheticScorer:
    """Scorer protocol (hwsim.decode.context) over a seeded reference alignment; prediction calls are free."""

    def __init__(self, params: EmissionParams, frames: int, vocab: int):
        if vocab < 2:
            raise ValueError("vocab must hold blank and at least one label")
        self.params, self.vocab, self.frames = params, vocab, frames
        rng = np.random.default_rng(params.seed)
        label_frames = reference_label_frames(params.label_rate, frames, rng)
        self.due_by = np.searchsorted(label_frames, np.arange(frames), side="right")  # labels at frames <= t
        self.reference_labels = rng.integers(1, vocab, size=len(label_frames) + 1)
        self.frame_offsets = competitor_runs(params.repeat_prob, frames, vocab, rng)
        z = np.random.default_rng([params.seed, CONFIDENCE_STREAM]).standard_normal(frames) \
            if params.confidence_spread else None
        due_prob = params.top_prob if params.due_top_prob is None else params.due_top_prob
        self.log_top, self.log_rest = frame_confidence(params.top_prob, params.confidence_spread, z, frames)
        self.due_log_top, self.due_log_rest = frame_confidence(due_prob, params.confidence_spread, z, frames)
        self._owed = self.reference_labels.tolist()
        self._position: dict[History, int] = {(BLANK,): 0}
        self._by_k: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._due_rows: dict[tuple[int, int, int], np.ndarray] = {}
        self._single: dict[tuple[int, int, int], Scores] = {}

    def predict(self, histories: Sequence[History]) -> None:
        """The synthetic model's outputs need no prediction state."""

    def position(self, history: History) -> int:
        """Reference labels `history` has matched in order, memoised (a search scores a history's parent first,
        so this is one look-up and one comparison per new history)."""
        position = self._position.get(history)
        if position is None:
            before = self.position(history[:-1])
            matched = before < len(self._owed) and history[-1] == self._owed[before]
            position = self._position[history] = before + 1 if matched else before
        return position

    def _tables(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per k, cached: every frame's run of confusable labels [T, k + 1], label log-probs [T, 2, k] and blank
        log-probs [T, 2], the middle index being due (0 = not due, 1 = due)."""
        cached = self._by_k.get(k)
        if cached is None:
            runs = 1 + (self.frame_offsets[:, None] + np.arange(k + 1)) % (self.vocab - 1)
            r = self.params.tail_ratio
            step, first = math.log(r), math.log((1.0 - r) / r)  # alternative j: rest + log(1 - r) + (j - 1) log r
            ranks = np.arange(1, k + 1) * step
            tail = (self.log_rest[:, None] + first) + ranks
            due_tail = (self.due_log_rest[:, None] + first) + ranks  # blank is a due row's first alternative
            due_labels = np.concatenate([self.due_log_top[:, None], due_tail[:, :k - 1] + step], axis=1)
            cached = self._by_k[k] = (runs, np.stack([tail, due_labels], axis=1),
                                      np.stack([self.log_top, due_tail[:, 0]], axis=1))
        return cached

    def joint(self, frames: Sequence[int], histories: Sequence[History], k: int) -> Scores:
        if len(histories) == 1:  # greedy and standard beam search score one hypothesis per call
            return self._one_row(frames[0], self.position(histories[0]), k)
        runs, label_logp, blank_logp = self._tables(k)
        t = np.fromiter(frames, np.int64, len(histories))
        position = np.fromiter(map(self.position, histories), np.int64, len(histories))
        due = (self.due_by[t] > position).view(np.int8)
        labels = runs[t, :k]
        for i in np.flatnonzero(due).tolist():
            labels[i] = self._due_labels(int(t[i]), int(position[i]), k)
        return Scores(blank_logp[t, due], labels, label_logp[t, due])

    def _due_labels(self, frame: int, position: int, k: int) -> np.ndarray:
        """A due row's k labels: the reference label it owes first, then the frame's run without it. Depends on
        (frame, position) only, and searches ask for the same pair again and again, so it is memoised."""
        key = (frame, position, k)
        row = self._due_rows.get(key)
        if row is None:
            reference = int(self.reference_labels[min(position, len(self.reference_labels) - 1)])
            run = self._tables(k)[0][frame]
            row = self._due_rows[key] = np.concatenate([[reference], run[run != reference][:k - 1]])
        return row

    def _one_row(self, frame: int, position: int, k: int) -> Scores:
        """Scores of a single (frame, position) row, memoised; the arrays are read-only as they are shared."""
        key = (frame, position, k)
        scores = self._single.get(key)
        if scores is None:
            runs, label_logp, blank_logp = self._tables(k)
            due = int(self.due_by[frame] > position)
            labels = self._due_labels(frame, position, k) if due else runs[frame, :k]
            scores = Scores(blank_logp[frame, due:due + 1].copy(), labels[None, :].copy(),
                            label_logp[frame, due:due + 1].copy())
            for array in (scores.blank, scores.labels, scores.label_logp):
                array.flags.writeable = False
            self._single[key] = scores
        return scores
