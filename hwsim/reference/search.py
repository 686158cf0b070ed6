"""Greedy, time-synchronous (TSD) and alignment-length synchronous (ALSD) RNN-T search, for real, in numpy.

The step structure is the simulator's (hwsim.sim.decode), so each step becomes one DecodeStep:
prediction network on the scored hypotheses whose label history is new (batched; cache hits counted),
joint on every scored hypothesis, then the search. Shared rules:

| rule                    | greedy | TSD                                              | ALSD                                      |
|-------------------------|--------|--------------------------------------------------|-------------------------------------------|
| step                    | 1 hyp  | one expansion round of frame t (<= max_symbols)  | one alignment position                    |
| scored hyps             | 1      | round 0: the beam; round v: last round's labels  | the whole beam (each at its own frame)    |
| candidates              | argmax | blank-ended hyps of t (merged, log-sum-exp) plus | blank (frame + 1) and top-k labels of each |
|                         |        | top-k label extensions; best `beam` kept         | hyp, merged by (history, frame); best kept |
| per-frame symbol cap    | max_symbols labels, then the frame advances (the labels of the last round/step are carried over) |

k = min(beam, vocab - 1) label candidates per hypothesis, which makes the pruning exact. Pruning is by
accumulated log-probability. Prediction outputs are cached by label-history tuple when `cache` is on
(ESPnet's `batch_score` cache); with it off every new history is computed (cache_hits = 0).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from hwsim.reference.rnnt import BLANK, PredictorState, RnntModel
from hwsim.reference.trace import Recorder
from hwsim.sim.decode import Algorithm  # one closed set for the simulator and the real decoder
from hwsim.sim.schedule import DecodeSchedule


@dataclass(frozen=True)
class Hyp:
    yseq: tuple[int, ...]  # label history, starting with the blank start-of-sequence symbol
    score: float
    parent_state: PredictorState  # prediction-network state after yseq[:-1]
    state: PredictorState | None = None  # after yseq; None until the prediction network has run on it
    pred_proj: np.ndarray | None = None  # joint.pred_proj of the prediction output
    frame: int = 0  # ALSD: the frame this hypothesis is at
    in_frame: int = 0  # labels emitted in the current frame (symbol cap)

    def label(self, k: int, logp: float, max_symbols: int) -> "Hyp":
        capped = self.in_frame + 1 >= max_symbols
        return Hyp(self.yseq + (k,), self.score + logp, self.state, frame=self.frame + capped,
                   in_frame=0 if capped else self.in_frame + 1)

    def blank(self, logp: float) -> "Hyp":
        return replace(self, score=self.score + logp, frame=self.frame + 1, in_frame=0)


def merge(hyps: list[Hyp], key=lambda h: h.yseq) -> list[Hyp]:
    """Recombine hypotheses with equal keys: log-sum-exp of scores; keep one whose prediction is computed."""
    merged: dict[object, Hyp] = {}
    for h in hyps:
        other = merged.get(key(h))
        if other is None:
            merged[key(h)] = h
            continue
        keep = other if other.pred_proj is not None or h.pred_proj is None else h
        merged[key(h)] = replace(keep, score=float(np.logaddexp(other.score, h.score)))
    return list(merged.values())


class Decoder:
    """Runs the networks for a search and records every step."""

    def __init__(self, model: RnntModel, encoded: np.ndarray, recorder: Recorder, cache: bool = True):
        self.model, self.recorder, self.use_cache = model, recorder, cache
        self.cache: dict[tuple[int, ...], tuple[PredictorState, np.ndarray]] = {}
        with recorder.timed("joint"):
            self.enc_proj = model.project_encoder(encoded)
        self.frames = encoded.shape[0]

    def initial(self) -> Hyp:
        return Hyp((BLANK,), 0.0, self.model.initial_state())

    def predict(self, hyps: list[Hyp]) -> tuple[list[Hyp], int, int]:
        """Fill in prediction outputs; returns (hyps, rows computed, cache hits).

        The prediction network is timed as 'prediction'; its output projection (`joint.pred_proj` in the
        workload graph) as 'joint', matching the simulator's component of that op.
        """
        with self.recorder.timed("prediction"):
            todo = [i for i, h in enumerate(hyps) if h.pred_proj is None]
            hits = [i for i in todo if self.use_cache and hyps[i].yseq in self.cache]
            compute, seen = [], set()
            for i in todo:
                if i in hits or (self.use_cache and hyps[i].yseq in seen):
                    continue
                compute.append(i)
                seen.add(hyps[i].yseq)
            if compute:
                labels = np.array([hyps[i].yseq[-1] for i in compute])
                out, states = self.model.predict(labels, [hyps[i].parent_state for i in compute])
        if compute:
            with self.recorder.timed("joint"):
                proj = self.model.project_prediction(out)
            with self.recorder.timed("prediction"):
                computed = {hyps[i].yseq: (s, p) for i, s, p in zip(compute, states, proj)}
                if self.use_cache:
                    self.cache.update(computed)
                for i in compute:
                    hyps[i] = replace(hyps[i], state=computed[hyps[i].yseq][0], pred_proj=computed[hyps[i].yseq][1])
        with self.recorder.timed("prediction"):
            for i in todo:
                if hyps[i].pred_proj is None:  # a cache hit, or a duplicate of a history computed in this batch
                    state, proj_row = self.cache[hyps[i].yseq]
                    hyps[i] = replace(hyps[i], state=state, pred_proj=proj_row)
        return hyps, len(compute), len(todo) - len(compute)

    def joint(self, frames: list[int], hyps: list[Hyp]) -> np.ndarray:
        with self.recorder.timed("joint"):
            return self.model.joint(self.enc_proj[frames], np.stack([h.pred_proj for h in hyps]))

    def note(self, scored: int, kept: list[tuple[Hyp, bool]]) -> None:
        """Beam-slot statistics; `kept` is sorted best first, flag = label extension."""
        stats = self.recorder.stats
        best_label = bool(kept and kept[0][1])
        stats.best_labels += best_label
        stats.competitor_slots += max(scored - 1, 0)
        stats.competitor_labels += sum(flag for _, flag in kept) - best_label


def top_labels(hyps: list[Hyp], logp: np.ndarray, k: int, max_symbols: int) -> list[Hyp]:
    """The k best label extensions of every hypothesis (blank excluded)."""
    labels = logp[:, 1:]
    top = np.argpartition(-labels, k - 1, axis=1)[:, :k] + 1 if k < labels.shape[1] else \
        np.tile(np.arange(1, logp.shape[1]), (len(hyps), 1))
    return [h.label(int(j), float(logp[i, j]), max_symbols) for i, h in enumerate(hyps) for j in top[i]]


def best_of(pool: list[tuple[Hyp, bool]], beam: int) -> list[tuple[Hyp, bool]]:
    return sorted(pool, key=lambda item: item[0].score, reverse=True)[:beam]


def greedy(dec: Decoder, max_symbols: int) -> DecodeSchedule:
    hyp, rec = dec.initial(), dec.recorder
    for t in range(dec.frames):
        for _ in range(max_symbols):
            [hyp], rows, hits = dec.predict([hyp])
            logp = dec.joint([t], [hyp])
            with rec.timed("search"):
                k = int(np.argmax(logp[0]))
                dec.note(1, [(hyp, k != BLANK)])
                if k != BLANK:
                    hyp = hyp.label(k, float(logp[0, k]), max_symbols)
            rec.step(t, rows, hits, 1, 1)
            if k == BLANK:
                break
    return rec.schedule(Algorithm.GREEDY.value, 1, dec.frames, len(hyp.yseq) - 1)


def time_synchronous(dec: Decoder, beam: int, max_symbols: int) -> DecodeSchedule:
    rec, k = dec.recorder, min(beam, dec.model.vocab - 1)
    live = [dec.initial()]
    for t in range(dec.frames):
        scored, ended = live, []
        for _ in range(max_symbols):
            scored, rows, hits = dec.predict(list(scored))
            logp = dec.joint([t] * len(scored), scored)
            with rec.timed("search"):
                ended = merge(ended + [h.blank(float(logp[i, BLANK])) for i, h in enumerate(scored)])
                kept = best_of([(h, False) for h in ended] + [(h, True) for h in top_labels(scored, logp, k, max_symbols)], beam)
                dec.note(len(scored), kept)
                ended, extended = [h for h, lab in kept if not lab], [h for h, lab in kept if lab]
            rec.step(t, rows, hits, len(scored), len(scored))
            scored = extended
            if not scored:
                break
        with rec.timed("search"):  # labels of a capped last round carry over to frame t + 1 unpredicted
            live = sorted(merge(ended + scored), key=lambda h: h.score, reverse=True)[:beam]
    best = max(live, key=lambda h: h.score)
    return rec.schedule(Algorithm.TSD.value, beam, dec.frames, len(best.yseq) - 1)


def alignment_length_synchronous(dec: Decoder, beam: int, max_symbols: int) -> DecodeSchedule:
    rec, k = dec.recorder, min(beam, dec.model.vocab - 1)
    live, final = [dec.initial()], []
    while live:
        live, rows, hits = dec.predict(live)
        logp = dec.joint([h.frame for h in live], live)
        with rec.timed("search"):
            blanks = [(h.blank(float(logp[i, BLANK])), False) for i, h in enumerate(live)]
            labels = [(h, True) for h in top_labels(live, logp, k, max_symbols)]
            flags = {(h.yseq, h.frame): lab for h, lab in labels + blanks}  # blank wins a merge: it is computed
            merged = merge([h for h, _ in blanks + labels], key=lambda h: (h.yseq, h.frame))
            kept = best_of([(h, flags[(h.yseq, h.frame)]) for h in merged], beam)
            dec.note(len(live), kept)
        rec.step(max(h.frame for h in live), rows, hits, len(live), len(live))
        final += [h for h, _ in kept if h.frame >= dec.frames]
        live = [h for h, _ in kept if h.frame < dec.frames]
    best = max(final, key=lambda h: h.score)
    return rec.schedule(Algorithm.ALSD.value, beam, dec.frames, len(best.yseq) - 1)


def search(dec: Decoder, algorithm: Algorithm, beam: int, max_symbols: int) -> DecodeSchedule:
    if algorithm is Algorithm.GREEDY:
        return greedy(dec, max_symbols)
    if algorithm is Algorithm.TSD:
        return time_synchronous(dec, beam, max_symbols)
    return alignment_length_synchronous(dec, beam, max_symbols)
