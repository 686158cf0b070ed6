"""The numpy networks as a Scorer for the shared searches (hwsim.decode), timed per component.

The algorithms themselves live in the registry (hwsim.decode), the same code the simulator's schedules come
from; this module only runs the real prediction network and joint for them. Prediction states are kept by
label history (a history's parent was always predicted before it is extended), `joint.pred_proj` is
computed with the prediction output and timed as 'joint' (the graph's component of that op).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from hwsim import clock
from hwsim.decode.context import BLANK, History, Scores
from hwsim.decode.registry import Algorithm, run_search
from hwsim.reference.rnnt import PredictorState, RnntModel
from hwsim.reference.trace import Recorder
from hwsim.decode.schedule import DecodeSchedule


class NumpyScorer:
    """Scorer protocol on the real networks, recording wall time of prediction and joint calls."""

    def __init__(self, model: RnntModel, encoded: np.ndarray, recorder: Recorder):
        self.model, self.recorder, self.vocab = model, recorder, model.vocab
        with recorder.timed("joint"):
            self.enc_proj = model.project_encoder(encoded)
        self.frames = encoded.shape[0]
        self.states: dict[History, PredictorState] = {(): model.initial_state()}
        self.pred_proj: dict[History, np.ndarray] = {}

    def predict(self, histories: Sequence[History]) -> None:
        with self.recorder.timed("prediction", "prediction", len(histories)):
            labels = np.fromiter((y[-1] for y in histories), np.int64, len(histories))
            out, states = self.model.predict(labels, [self.states[y[:-1]] for y in histories])
            self.states.update(zip(histories, states))
        with self.recorder.timed("joint"):
            proj = self.model.project_prediction(out)
            self.pred_proj.update(zip(histories, proj))

    def joint(self, frames: Sequence[int], histories: Sequence[History], k: int) -> Scores:
        with self.recorder.timed("joint", "joint", len(histories)):
            logp = self.model.joint(self.enc_proj[list(frames)], np.stack([self.pred_proj[y] for y in histories]))
        return top_k_scores(logp, k)


def top_k_scores(logp: np.ndarray, k: int) -> Scores:
    """Blank and the k best labels of each row, best first. Not timed as the joint: the simulator places top-k
    with the search on the host (hwsim.reference.runtimes.REFERENCE_OPTIONS), so the reference times it there."""
    labels = logp[:, 1:]
    top = np.argpartition(-labels, k - 1, axis=1)[:, :k] if k < labels.shape[1] else \
        np.tile(np.arange(labels.shape[1]), (len(labels), 1))
    top_logp = np.take_along_axis(labels, top, axis=1)
    order = np.argsort(-top_logp, axis=1, kind="stable")
    return Scores(logp[:, BLANK].astype(np.float64), np.take_along_axis(top, order, axis=1) + 1,
                  np.take_along_axis(top_logp, order, axis=1).astype(np.float64))


def decode(model: RnntModel, encoded: np.ndarray, recorder: Recorder, algorithm: Algorithm, beam: int,
           max_symbols: int, cache: bool = True) -> DecodeSchedule:
    """Run the registry's `algorithm` on the real networks; 'search' time = decode time - network time."""
    start = clock.now()
    scorer = NumpyScorer(model, encoded, recorder)
    return run_timed_search(scorer, recorder, algorithm, beam, max_symbols, cache, start)


def run_timed_search(scorer, recorder: Recorder, algorithm: Algorithm, beam: int, max_symbols: int, cache: bool,
                     start: float) -> DecodeSchedule:
    """The registry's search on `scorer` (any runtime); 'search' time = time since `start` minus the timed network
    calls, recorded with the steps the search took."""
    schedule = run_search(algorithm, scorer, scorer.frames, beam, max_symbols, cache)
    elapsed = clock.now() - start
    recorder.seconds["search"] += (elapsed - recorder.seconds.get("prediction", 0.0) - recorder.seconds.get("joint", 0.0)
                                   - recorder.excluded_s)
    recorder.calls["search"] += len(schedule.steps)
    recorder.steps.extend(schedule.steps)
    return schedule
