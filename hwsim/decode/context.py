"""The bookkeeping every decoding algorithm shares: hypotheses, the scorer interface, the prediction-network
cache keyed by label sequence, and the record of one DecodeStep per joint call."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Protocol, Sequence

import numpy as np

from hwsim.decode.schedule import DecodeStep

BLANK = 0
History = tuple[int, ...]


@dataclass(frozen=True)
class Scores:
    """A joint call's outputs as a search uses them: blank and the k best labels of each scored row.

    Attributes:
        blank: [n] log P(blank).
        labels: [n, k] label ids (never blank), best first.
        label_logp: [n, k] their log-probabilities, non-increasing along each row.
    """

    blank: np.ndarray
    labels: np.ndarray
    label_logp: np.ndarray


class Scorer(Protocol):
    """The networks a search drives: the real numpy model, or the simulator's synthetic one."""

    vocab: int

    def predict(self, histories: Sequence[History]) -> None:
        """One batched prediction-network call on these label histories (each one's parent was predicted)."""

    def joint(self, frames: Sequence[int], histories: Sequence[History], k: int) -> Scores:
        """One batched joint call on (frame, history) pairs, returning blank and the top-k labels per row."""


class Hyp:
    """A hypothesis: label history (starting with the blank start symbol), log score, alignment position.

    `computed` is true once its prediction-network output exists and travels with it (a blank extension keeps
    it); `in_frame` counts its labels in the current frame (the per-frame symbol cap).
    """

    __slots__ = ("yseq", "score", "frame", "in_frame", "computed")

    def __init__(self, yseq: History, score: float, frame: int = 0, in_frame: int = 0, computed: bool = False):
        self.yseq, self.score, self.frame, self.in_frame, self.computed = yseq, score, frame, in_frame, computed

    @property
    def labels(self) -> int:
        return len(self.yseq) - 1

    def blank(self, logp: float) -> "Hyp":
        """Blank: same history (its prediction output is reused), next frame."""
        return Hyp(self.yseq, self.score + logp, self.frame + 1, 0, self.computed)

    def extend(self, label: int, logp: float) -> "Hyp":
        """A label: new history (needs a prediction-network row), same frame."""
        return Hyp(self.yseq + (label,), self.score + logp, self.frame, self.in_frame + 1, False)

    def __repr__(self) -> str:
        return f"Hyp({self.yseq}, {self.score:.3f}, t={self.frame})"


def log_add_merge(hyps: Sequence[Hyp]) -> list[Hyp]:
    """Recombine hypotheses with equal label histories (log-add of scores), keeping first-seen order."""
    merged: dict[History, Hyp] = {}
    merge_into(merged, hyps)
    return list(merged.values())


def merge_into(merged: dict[History, Hyp], hyps: Iterable[Hyp]) -> None:
    """log_add_merge into a running dict (history -> first-seen hypothesis, whose score absorbs the others'),
    so a search that keeps adding to one merged set does not merge what it merged before again."""
    for h in hyps:
        other = merged.get(h.yseq)
        if other is None:
            merged[h.yseq] = h
        else:
            _absorb(other, h.score, h.computed)


def merge_blanks_into(merged: dict[History, Hyp], hyps: Sequence[Hyp], blank_logp: Sequence[float]) -> None:
    """merge_into(merged, [h.blank(logp) ...]), creating a blank extension only for a history not yet merged."""
    for h, logp in zip(hyps, blank_logp):
        other = merged.get(h.yseq)
        if other is None:
            merged[h.yseq] = h.blank(logp)
        else:
            _absorb(other, h.score + logp, h.computed)


def _absorb(kept: Hyp, score: float, computed: bool) -> None:
    """Log-add another path's `score` into `kept` (the same label history)."""
    high, low = (kept.score, score) if kept.score >= score else (score, kept.score)
    kept.score = high + math.log1p(math.exp(low - high))
    kept.computed = kept.computed or computed


def best(hyps: Sequence[Hyp], beam: int) -> list[Hyp]:
    """The `beam` highest-scoring hypotheses, best first (stable on ties)."""
    return sorted(hyps, key=lambda h: -h.score)[:beam]


class SearchContext:
    """Runs the scorer for a search, applying the cache and recording one DecodeStep per joint call.

    With `cache` on, a history already predicted this utterance (or twice in one batch) is a cache hit and
    costs no prediction row; with it off, every hypothesis without an attached output is a row.
    """

    def __init__(self, scorer: Scorer, frames: int, cache: bool = True):
        self.scorer, self.frames, self.cache = scorer, frames, cache
        self.predicted: set[History] = set()
        self.steps: list[DecodeStep] = []

    @property
    def vocab(self) -> int:
        return self.scorer.vocab

    def score(self, hyps: Sequence[Hyp], k: int, frames: Sequence[int] | None = None) -> Scores:
        """Prediction network on the new histories of `hyps`, then one joint call on all of them."""
        frames = [h.frame for h in hyps] if frames is None else frames
        todo = [h for h in hyps if not h.computed]
        if self.cache:  # a history new to `predicted` (first occurrence in this batch included) is a row
            new, predicted = [], self.predicted
            for h in todo:
                known = len(predicted)
                predicted.add(h.yseq)  # one hash of a long label tuple, not three
                if len(predicted) > known:
                    new.append(h.yseq)
        else:
            new = [h.yseq for h in todo]
        if new:
            self.scorer.predict(new)
        for h in todo:
            h.computed = True
        scores = self.scorer.joint(frames, [h.yseq for h in hyps], k)
        self.steps.append(DecodeStep(max(frames), len(new), len(todo) - len(new), len(hyps), len(hyps)))
        return scores


def top_candidates(hyps: Sequence[Hyp], scores: Scores, beam: int, blanks: bool,
                   label_ok: np.ndarray | None = None) -> list[Hyp]:
    """The `beam` best one-symbol extensions of `hyps` (blank extensions too when `blanks`), best first.

    Candidates are ranked by total score; ties keep the order blanks (by parent), then labels (by parent, rank).
    `label_ok[i]` False bars hypothesis i from label extensions (the per-frame symbol cap).
    """
    n = len(hyps)
    base = np.fromiter((h.score for h in hyps), np.float64, n)
    label_total = base[:, None] + scores.label_logp
    if label_ok is not None:
        label_total = np.where(label_ok[:, None], label_total, -np.inf)
    k = label_total.shape[1]
    # Without blanks only labels compete: ranking them alone gives the same order (a stable sort keeps the
    # relative order of any subset), and a barred label (-inf) ends the list as a barred blank would.
    total = np.concatenate([base + scores.blank, label_total.ravel()]) if blanks else label_total.ravel()
    first_label = n if blanks else 0
    order = np.argsort(-total, kind="stable")[:beam]
    picked = order.tolist()
    for count, value in enumerate(total[order].tolist()):
        if value == -math.inf or (not blanks and value != value):
            del picked[count:]
            break
    flat = [index - first_label for index in picked if index >= first_label]  # into labels.ravel()
    labels = scores.labels.reshape(-1)[flat].tolist()
    label_logp = scores.label_logp.reshape(-1)[flat].tolist()
    blank_logp = scores.blank.tolist() if len(flat) < len(picked) else []
    out, extended = [], 0
    for index in picked:
        if index < first_label:
            out.append(hyps[index].blank(blank_logp[index]))
        else:
            out.append(hyps[flat[extended] // k].extend(labels[extended], label_logp[extended]))
            extended += 1
    return out
