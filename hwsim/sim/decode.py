"""RNN-T decoding algorithms as call schedules: greedy, time-synchronous beam search (TSD), and
alignment-length synchronous decoding (ALSD).

Every step is: prediction network on the new label histories (batched), joint network on the hypotheses
being scored (batched), then the search on the CPU (log-softmax/top-k placement is a run option of the
engine). With beam 1, TSD and ALSD consume exactly the best-path draws of greedy decoding, so their schedules
equal greedy's (ALSD's per-frame symbol cap is the same `max_symbols`).
"""

from __future__ import annotations

from enum import Enum

from hwsim.sim.emission import EmissionModel, EmissionParams
from hwsim.sim.schedule import DecodeSchedule, DecodeStep


class Algorithm(str, Enum):
    GREEDY = "greedy"
    TSD = "tsd"     # time-synchronous beam search with at most max_symbols expansions per frame
    ALSD = "alsd"   # alignment-length synchronous: one step per (frame or label) advance of the hypotheses


def _new_histories(model: EmissionModel, beam: int, labels: int) -> tuple[int, int]:
    """(prediction rows, cache hits) for `labels` new label histories; merging needs >= 2 hypotheses."""
    hits = model.cache_hits(labels) if beam > 1 else 0
    return labels - hits, hits


def greedy(frames: int, params: EmissionParams, max_symbols: int) -> DecodeSchedule:
    model, steps, labels, pending = EmissionModel(params), [], 0, 1  # start-of-sequence needs a prediction
    for frame in range(frames):
        for _ in range(max_symbols):
            steps.append(DecodeStep(frame, pending, 0, 1, 1))
            pending = 0
            if not model.best_emits():
                break
            labels, pending = labels + 1, 1
    return DecodeSchedule(Algorithm.GREEDY.value, 1, frames, tuple(steps), labels)


def time_synchronous(frames: int, params: EmissionParams, beam: int, max_symbols: int) -> DecodeSchedule:
    """Per frame: score every live hypothesis; label extensions are expanded again (up to max_symbols rounds).

    Round 1 fills the beam's other slots with label extensions at rate 1 - blank_prob; in later rounds each
    label-extended hypothesis emits again at the label rate, like the best path (see hwsim.sim.emission).
    """
    model, steps, labels = EmissionModel(params), [], 0
    pending, hits, live = 1, 0, 1
    for frame in range(frames):
        active, best_active = live, True
        for expansion in range(max_symbols):
            steps.append(DecodeStep(frame, pending, hits, active, active))
            best = best_active and model.best_emits()
            others = active - (1 if best_active else 0)
            competitors = model.competitor_labels(others) if expansion == 0 else model.competitor_repeats(others)
            new = int(best) + competitors
            labels += int(best)
            pending, hits = _new_histories(model, beam, new) if new else (0, 0)
            live = beam  # the beam is full from the first frame on (vocabulary >> beam)
            if new == 0:
                break
            active, best_active = new, best
    return DecodeSchedule(Algorithm.TSD.value, beam, frames, tuple(steps), labels)


def alignment_length_synchronous(frames: int, params: EmissionParams, beam: int, max_symbols: int) -> DecodeSchedule:
    """One step per alignment position; the best path advances a frame on blank, a label otherwise."""
    model, steps, labels = EmissionModel(params), [], 0
    pending, hits, live, frame, in_frame = 1, 0, 1, 0, 0
    while frame < frames:
        steps.append(DecodeStep(frame, pending, hits, live, live))
        best = model.best_emits()
        new = int(best) + model.competitor_labels(live - 1)
        labels += int(best)
        pending, hits = _new_histories(model, beam, new) if new else (0, 0)
        live = beam
        in_frame = in_frame + 1 if best else 0
        if not best or in_frame == max_symbols:  # blank, or the per-frame symbol cap forces the frame on
            frame, in_frame = frame + 1, 0
    return DecodeSchedule(Algorithm.ALSD.value, beam, frames, tuple(steps), labels)


def build_schedule(algorithm: Algorithm, frames: int, beam: int, params: EmissionParams,
                   max_symbols: int) -> DecodeSchedule:
    if frames < 1 or beam < 1 or max_symbols < 1:
        raise ValueError("frames, beam and max_symbols must be >= 1")
    if algorithm is Algorithm.GREEDY:
        if beam != 1:
            raise ValueError("greedy decoding has beam 1")
        return greedy(frames, params, max_symbols)
    if algorithm is Algorithm.TSD:
        return time_synchronous(frames, params, beam, max_symbols)
    return alignment_length_synchronous(frames, params, beam, max_symbols)
