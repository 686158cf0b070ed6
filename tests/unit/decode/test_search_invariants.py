"""Invariants of the five searches over random scorers (issue 28, item 4): at most B hypotheses kept per frame,
at most S labels per frame, the cache's bookkeeping, and beam 1 equal to greedy where the algorithm defines it.

The scorer draws each (frame, history)'s distribution from a seed, on a coarse grid so equal scores (ties) are
common. A recording context keeps every hypothesis each joint call scores, with its frame and labels in that
frame, so the properties read what the search did, not only the DecodeSteps it reports.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from hwsim.decode.context import Hyp, SearchContext
from hwsim.decode.registry import ALGORITHMS, Algorithm, search_best
from tests.unit.decode.scripted import ScriptedScorer, const

PROPERTY = settings(max_examples=60, deadline=None, derandomize=True)
BEAMED = [a for a in Algorithm if a is not Algorithm.GREEDY]


def seeded_probs(seed: int, vocab: int):
    """P(blank), P(label 1..V-1) for each (frame, history): a seeded draw on a grid of eighths (ties happen)."""
    def probs(t, y):
        key = zlib.crc32(repr((seed, t, y)).encode())
        weights = np.random.default_rng(key).integers(1, 9, vocab).astype(np.float64)
        return weights / weights.sum()
    return probs


class Recording(SearchContext):
    """A SearchContext that keeps (frame, labels in that frame, history, labels) of every hypothesis it scores."""

    def __init__(self, scorer, frames, cache=True):
        super().__init__(scorer, frames, cache)
        self.calls: list[list[tuple[int, int, tuple[int, ...]]]] = []

    def score(self, hyps, k, frames=None):
        self.calls.append([(h.frame, h.in_frame, h.yseq) for h in hyps])
        return super().score(hyps, k, frames)


def search(algorithm: Algorithm, probs, vocab: int, frames: int, beam: int, symbols: int, cache: bool = True):
    ctx = Recording(ScriptedScorer(probs, vocab), frames, cache)
    hyps = ALGORITHMS[algorithm].search(ctx, beam, symbols)
    return ctx, hyps


cases = st.fixed_dictionaries({"seed": st.integers(0, 10 ** 6), "vocab": st.integers(2, 5),
                               "frames": st.integers(1, 5), "beam": st.integers(1, 4),
                               "symbols": st.integers(1, 3)})


def per_frame(calls):
    """{frame: the calls whose rows all sit at that frame}, in order."""
    out: dict[int, list] = {}
    for rows in calls:
        out.setdefault(max(f for f, _, _ in rows), []).append(rows)
    return out


@PROPERTY
@given(case=cases, algorithm=st.sampled_from(list(Algorithm)))
def test_every_call_scores_at_most_b_distinct_hypotheses(case, algorithm):
    beam = 1 if algorithm is Algorithm.GREEDY else case["beam"]
    ctx, hyps = search(algorithm, seeded_probs(case["seed"], case["vocab"]), case["vocab"], case["frames"], beam,
                       case["symbols"])
    one_row = algorithm in (Algorithm.GREEDY, Algorithm.BEAM)
    for rows, step in zip(ctx.calls, ctx.steps):
        assert 1 <= len(rows) <= (1 if one_row else beam)
        assert len({y for _, _, y in rows}) == len(rows)          # equal histories were recombined
        assert step.joint_rows == step.hyps == len(rows)
        assert step.frame == max(f for f, _, _ in rows)
    assert 1 <= len(hyps) <= beam and len({h.yseq for h in hyps}) == len(hyps)


@PROPERTY
@given(case=cases, algorithm=st.sampled_from([Algorithm.BEAM, Algorithm.TSD, Algorithm.MODIFIED_BEAM]))
def test_at_most_b_hypotheses_are_carried_into_each_frame(case, algorithm):
    """Carried hypotheses are the ones scored with no label yet in the frame (blank extensions of the last
    frame; modified beam carries every survivor, so all of a call's rows)."""
    ctx, _ = search(algorithm, seeded_probs(case["seed"], case["vocab"]), case["vocab"], case["frames"],
                    case["beam"], case["symbols"])
    frames = per_frame(ctx.calls)
    assert sorted(frames) == list(range(case["frames"]))      # every frame is decoded, in order
    for t, calls in frames.items():
        if algorithm is Algorithm.MODIFIED_BEAM:
            carried = {y for y in (y for rows in calls for _, _, y in rows)}
        else:
            carried = {y for rows in calls for _, in_frame, y in rows if in_frame == 0}
        assert 1 <= len(carried) <= (1 if t == 0 else case["beam"])


@PROPERTY
@given(case=cases, algorithm=st.sampled_from(list(Algorithm)))
def test_at_most_s_labels_per_frame(case, algorithm):
    beam = 1 if algorithm is Algorithm.GREEDY else case["beam"]
    symbols, frames = case["symbols"], case["frames"]
    ctx, hyps = search(algorithm, seeded_probs(case["seed"], case["vocab"]), case["vocab"], frames, beam, symbols)
    cap = 1 if algorithm is Algorithm.MODIFIED_BEAM else symbols
    for rows in ctx.calls:
        for frame, in_frame, y in rows:
            if algorithm is Algorithm.MODIFIED_BEAM:     # in_frame is not kept per frame there: count labels
                assert len(y) - 1 <= frame
            elif algorithm is Algorithm.GREEDY:          # greedy moves on at the S-th label, unscored
                assert in_frame < symbols
            else:
                assert in_frame <= symbols
    assert all(h.labels <= cap * frames for h in hyps)


@PROPERTY
@given(case=cases)
def test_tsd_runs_s_plus_one_rounds_per_frame_and_round_r_holds_r_labels(case):
    ctx, _ = search(Algorithm.TSD, seeded_probs(case["seed"], case["vocab"]), case["vocab"], case["frames"],
                    case["beam"], case["symbols"])
    for calls in per_frame(ctx.calls).values():
        assert len(calls) == case["symbols"] + 1
        for round_, rows in enumerate(calls):
            assert {in_frame for _, in_frame, _ in rows} == {round_}


@PROPERTY
@given(case=cases, algorithm=st.sampled_from(list(Algorithm)))
def test_the_cache_changes_prediction_rows_only(case, algorithm):
    """Cache on: each history is predicted once (sum of rows = distinct histories scored), the rest are hits;
    cache off: no hits, and per step the rows are the cache's rows plus its hits. The search is the same."""
    beam = 1 if algorithm is Algorithm.GREEDY else case["beam"]
    probs, vocab = seeded_probs(case["seed"], case["vocab"]), case["vocab"]
    on, hyps_on = search(algorithm, probs, vocab, case["frames"], beam, case["symbols"], cache=True)
    off, hyps_off = search(algorithm, probs, vocab, case["frames"], beam, case["symbols"], cache=False)
    assert on.calls == off.calls and [h.yseq for h in hyps_on] == [h.yseq for h in hyps_off]
    scored = {y for rows in on.calls for _, _, y in rows}
    assert sum(s.prediction_rows for s in on.steps) == len(scored) == len(on.predicted)
    predicted = [y for batch in on.scorer.predicted for y in batch]
    assert len(predicted) == len(set(predicted))
    for with_cache, without in zip(on.steps, off.steps):
        assert without.cache_hits == 0
        assert with_cache.prediction_rows + with_cache.cache_hits == without.prediction_rows
        assert (with_cache.frame, with_cache.joint_rows) == (without.frame, without.joint_rows)


@PROPERTY
@given(case=cases)
def test_modified_beam_at_beam_one_is_greedy_with_one_symbol_per_frame(case):
    """Both score the one hypothesis once per frame and take a label when it beats blank (blank wins ties), so the
    schedules and the labels agree exactly; max_symbols does not apply to modified beam search."""
    scorer = ScriptedScorer(seeded_probs(case["seed"], case["vocab"]), case["vocab"])
    greedy, greedy_labels = search_best(Algorithm.GREEDY, scorer, case["frames"], 1, 1)
    modified, modified_labels = search_best(Algorithm.MODIFIED_BEAM, scorer, case["frames"], 1, case["symbols"])
    assert modified.steps == greedy.steps
    assert (modified_labels, modified.labels) == (greedy_labels, greedy.labels)


def test_modified_beam_at_beam_one_is_greedy_by_hand():
    # P = blank .4, a .6 on every frame: greedy (S = 1) takes 'a' on each of 3 frames, one call per frame; the
    # new history is predicted on the next frame's call (1 row), the last one never.
    for algorithm, symbols in ((Algorithm.GREEDY, 1), (Algorithm.MODIFIED_BEAM, 3)):
        schedule, labels = search_best(algorithm, ScriptedScorer(const(.4, .6), 2), 3, 1, symbols)
        assert labels == (1, 1, 1)
        assert [(s.frame, s.prediction_rows, s.joint_rows) for s in schedule.steps] == [(0, 1, 1), (1, 1, 1),
                                                                                         (2, 1, 1)]


def test_beam_search_carries_at_most_b_by_hand():
    # B = 2, V = 3, P = blank .5, a .3, b .2 everywhere, S = 1. Frame 0: pop (0,) [1 call]: kept (0,) .5;
    # pending (0,1) .3, (0,2) .2; pop (0,1) [call]: kept (0,1) .15, (0,1) is capped; pop (0,2): kept (0,2) .1;
    # 2 kept above nothing pending -> stop. Carry the best 2: (0,) .5, (0,1) .15, not (0,2).
    ctx, hyps = search(Algorithm.BEAM, const(.5, .3, .2), 3, 2, 2, 1)
    assert [y for rows in ctx.calls[:3] for _, _, y in rows] == [(0,), (0, 1), (0, 2)]
    assert {y for rows in per_frame(ctx.calls)[1] for _, f, y in rows if f == 0} <= {(0,), (0, 1)}
    assert [h.yseq for h in hyps] == [(0,), (0, 1)]


@pytest.mark.parametrize("algorithm", BEAMED)
def test_every_search_starts_from_the_start_symbol_alone(algorithm):
    # frame 0 starts from the one start hypothesis: a first call of 1 row for every algorithm and beam
    for beam in (1, 2, 4):
        ctx, _ = search(algorithm, const(.5, .3, .2), 3, 3, beam, 2)
        assert len(ctx.calls[0]) == 1 and ctx.calls[0][0][2] == (0,)


def test_recording_context_is_a_search_context():
    ctx = Recording(ScriptedScorer(const(.5, .5), 2), 1)
    ctx.score([Hyp((0,), 0.0)], 1)
    assert ctx.calls == [[(0, 0, (0,))]] and len(ctx.steps) == 1


def final_probs(algorithm: Algorithm, probs, vocab: int, frames: int, beam: int, symbols: int) -> dict:
    _, hyps = search(algorithm, probs, vocab, frames, beam, symbols)
    return {h.yseq: float(np.exp(h.score)) for h in hyps}


def test_modified_beam_ranks_every_label_of_every_hypothesis():
    # B = 2, P = blank .1, a .5, b .4: frame 0's candidates are (0,) .1, (0,1) .5, (0,2) .4; the best two are both
    # labels of the start, so the second-best label of one hypothesis must be a candidate
    got = final_probs(Algorithm.MODIFIED_BEAM, const(.1, .5, .4), 3, 1, 2, 1)
    assert got == pytest.approx({(0, 1): .5, (0, 2): .4})


def reference_modified_beam(probs, vocab: int, frames: int, beam: int) -> dict:
    """icefall's modified_beam_search written out: per frame every hypothesis' blank and every label are ranked
    (blanks first on ties, then labels by parent and rank), the best B kept, equal histories merged after the cut."""
    live = [((0,), 0.0)]
    for t in range(frames):
        candidates = []
        for y, score in live:
            candidates.append((score + np.log(probs(t, y)[0]), y))
        for y, score in live:
            p = np.log(np.asarray(probs(t, y), np.float64))
            for label in np.argsort(-p[1:], kind="stable") + 1:
                candidates.append((score + p[label], y + (int(label),)))
        kept = sorted(candidates, key=lambda c: -c[0])[:beam]
        merged: dict = {}
        for score, y in kept:
            merged[y] = np.logaddexp(merged[y], score) if y in merged else score
        live = list(merged.items())
    return {y: float(np.exp(s)) for y, s in sorted(live, key=lambda h: -h[1])[:beam]}


@PROPERTY
@given(case=cases)
def test_modified_beam_equals_its_definition(case):
    probs = seeded_probs(case["seed"], case["vocab"])
    got = final_probs(Algorithm.MODIFIED_BEAM, probs, case["vocab"], case["frames"], case["beam"], case["symbols"])
    assert got == pytest.approx(reference_modified_beam(probs, case["vocab"], case["frames"], case["beam"]))


def test_alsd_finishes_every_alignment_up_to_s_labels_per_frame():
    # T = 1, S = 1, B = 2, P = blank .2, a .8: step 0 scores the start (its blank is final: .2) and extends it to
    # (0,1); step 1 (t = 0, one label) scores (0,1), whose blank is final too: .8 x .2 = .16. T x (S + 1) steps.
    assert final_probs(Algorithm.ALSD, const(.2, .8), 2, 1, 2, 1) == pytest.approx({(0,): .2, (0, 1): .16})
    ctx, _ = search(Algorithm.ALSD, const(.2, .8), 2, 1, 2, 1)
    assert [rows for rows in ctx.calls] == [[(0, 0, (0,))], [(0, 1, (0, 1))]]
