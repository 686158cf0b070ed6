"""Hand-worked tiny cases (T <= 5, B <= 3) of every registered algorithm's call schedule.

Each expected step is (frame, prediction rows, cache hits, joint rows, hyps), derived by hand in the comments
from the published algorithm; the simulator and the reference decoder both run these registry functions.
"""

import math

import pytest

from hwsim.decode.context import SearchContext
from hwsim.decode.registry import ALGORITHMS, Algorithm, AlgorithmEntry, register, run_search
from hwsim.decode.schedule import DecodeStep
from tests.unit.decode.scripted import ScriptedScorer, const


def steps(*rows):
    return tuple(DecodeStep(*r) for r in rows)


def run(algorithm, probs, frames, beam, max_symbols, cache=True, vocab=3):
    return run_search(algorithm, ScriptedScorer(probs, vocab), frames, beam, max_symbols, cache)


def test_registry_holds_the_five_published_algorithms_once():
    assert set(ALGORITHMS) == set(Algorithm) and len(Algorithm) == 5
    with pytest.raises(ValueError, match="twice"):
        register(AlgorithmEntry(Algorithm.TSD, ALGORITHMS[Algorithm.TSD].search, "again"))
    for entry in ALGORITHMS.values():
        assert "Calls" in entry.search.__doc__ and entry.source


def greedy_probs(t, y):
    # frame 0: 'a' after the start symbol, then blank; frame 1: blank; frame 2: 'b', 'a', (cap S = 2)
    table = {(0, (0,)): (.2, .7, .1), (2, (0, 1)): (.2, .1, .7), (2, (0, 1, 2)): (.2, .7, .1)}
    return table.get((t, y), (.8, .1, .1))


def test_greedy_emits_until_blank_or_the_cap():
    s = run(Algorithm.GREEDY, greedy_probs, 3, 1, 2)
    # calls = T + labels - capped frames = 3 + 3 - 1; the 3rd label's history is never scored
    assert s.steps == steps((0, 1, 0, 1, 1), (0, 1, 0, 1, 1), (1, 0, 0, 1, 1), (2, 0, 0, 1, 1), (2, 1, 0, 1, 1))
    assert s.labels == 3


def test_tsd_runs_s_plus_one_rounds_and_the_cache_serves_repeated_histories():
    # P = blank .6, a .3, b .1 everywhere; B = 2, S = 1.
    # frame 0: round 0 scores the start (1 row); its labels (0,1), (0,2) form round 1 (2 new rows).
    #   A = {(0,): lb, (0,1): la+lb, (0,2): lbb+lb} -> carry (0,), (0,1).
    # frame 1: round 0 scores both carried hyps (outputs attached: no rows); the best 2 label extensions are
    #   (0,1) [lb+la] and (0,2) [lb+lbb > la+lb+la]: both predicted on frame 0 -> 2 cache hits, no rows.
    s = run(Algorithm.TSD, const(.6, .3, .1), 2, 2, 1)
    assert s.steps == steps((0, 1, 0, 1, 1), (0, 2, 0, 2, 2), (1, 0, 0, 2, 2), (1, 0, 2, 2, 2))
    assert s.labels == 0
    no_cache = run(Algorithm.TSD, const(.6, .3, .1), 2, 2, 1, cache=False)
    assert no_cache.steps[-1] == DecodeStep(1, 2, 0, 2, 2)


def test_tsd_rounds_per_frame_follow_the_symbol_cap():
    for symbols in (1, 2, 3):
        s = run(Algorithm.TSD, const(.6, .3, .1), 4, 3, symbols)
        assert [st.frame for st in s.steps] == [t for t in range(4) for _ in range(symbols + 1)]


def test_tsd_label_and_blank_probabilities_are_not_interchangeable():
    # P = blank .2, a .7, b .1; B = 2, S = 1, T = 2 (probabilities, not logs, below).
    # frame 0: A = {(0,): .2}; round 1 scores (0,1) .7, (0,2) .1 -> A += (0,1) .14, (0,2) .02; carry (0,), (0,1).
    # frame 1: round 0 -> A = {(0,) .04, (0,1) .028}; best 2 labels: (0,1) .14 (cache hit), (0,1,1) .098 (new);
    #   round 1 -> (0,1) .028 + .028 = .056 (merged), (0,1,1) .0196: best path (0,1), one label.
    s = run(Algorithm.TSD, const(.2, .7, .1), 2, 2, 1)
    assert s.steps[-1] == DecodeStep(1, 1, 1, 2, 2)
    assert s.labels == 1
    swapped = run(Algorithm.TSD, const(.7, .2, .1), 2, 2, 1)  # blank and the label's probabilities exchanged
    assert swapped.labels == 0
    assert final(Algorithm.TSD, const(.2, .7, .1), 2, 2, 1) == pytest.approx({(0, 1): .056, (0,): .04})


def final(algorithm, probs, frames, beam, max_symbols):
    """{history: probability} of the hypotheses a search returns."""
    ctx = SearchContext(ScriptedScorer(probs, 3), frames)
    return {h.yseq: math.exp(h.score) for h in ALGORITHMS[algorithm].search(ctx, beam, max_symbols)}


def test_modified_beam_merges_after_the_top_b_as_icefall_does():
    # frame 0: (0,) .6, (0,1) .3. frame 1 candidates: (0,) .36, (0,1) .18 (blank of (0,1)), (0,1) .18 (label of
    # (0,)), ...: the top 2 are (0,) and the first (0,1); icefall adds them to a HypothesisList (merging equal
    # histories) only after its topk, so the second .18 path is pruned, not merged.
    assert final(Algorithm.MODIFIED_BEAM, const(.6, .3, .1), 2, 2, 3) == pytest.approx({(0,): .36, (0, 1): .18})
    # with three slots both (0,1) paths survive the top-B and merge: .36
    assert final(Algorithm.MODIFIED_BEAM, const(.6, .3, .1), 2, 3, 3)[(0, 1)] == pytest.approx(.36)


def test_modified_beam_one_call_per_frame_and_new_histories_only():
    # B = 2, P = blank .6, a .3, b .1. frame 0: start (1 row); best 2 of {(0,) .6, (0,1) .3, (0,2) .1}:
    #   (0,), (0,1). frame 1: (0,1) is new -> 1 row; candidates (0,) .36, (0,1) .18 + .18 (merged: blank of
    #   (0,1) and label of (0,)) = .36; ... -> (0,), (0,1). frame 2: both computed -> 0 rows.
    s = run(Algorithm.MODIFIED_BEAM, const(.6, .3, .1), 3, 2, 3)
    assert s.steps == steps((0, 1, 0, 1, 1), (1, 1, 0, 2, 2), (2, 0, 0, 2, 2))


def test_alsd_steps_follow_alignment_length():
    # B = 1 with labels likely on frame 0 only: i = 0 label (t stays 0), i = 1 blank -> t = 1, i = 2 blank.
    probs = lambda t, y: (.2, .7, .1) if (t, y) == (0, (0,)) else (.8, .1, .1)
    s = run(Algorithm.ALSD, probs, 2, 1, 3)
    assert s.steps == steps((0, 1, 0, 1, 1), (0, 1, 0, 1, 1), (1, 0, 0, 1, 1))
    assert s.labels == 1
    # B = 2: the beam holds alignments at different frames; one call per step, rows = live hypotheses
    wide = run(Algorithm.ALSD, const(.6, .3, .1), 2, 2, 3)
    assert [st.joint_rows for st in wide.steps][:2] == [1, 2]
    assert all(st.joint_rows <= 2 for st in wide.steps)


def test_beam_pops_one_hypothesis_per_call():
    # B = 1, P = blank .6 ...: pop the start, kept = {(0,) .6}, pending best .3 < .6 -> next frame.
    s = run(Algorithm.BEAM, const(.6, .3, .1), 3, 1, 3)
    assert s.steps == steps((0, 1, 0, 1, 1), (1, 0, 0, 1, 1), (2, 0, 0, 1, 1))
    # B = 2: frame 0 pops (0,) then (0,1) [.3 > remaining .1 ... until 2 kept beat the best pending]
    wide = run(Algorithm.BEAM, const(.6, .3, .1), 2, 2, 3)
    assert all(st.joint_rows == 1 for st in wide.steps) and len(wide.steps) >= 2 * 2


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_every_algorithm_is_deterministic_and_bad_arguments_raise(algorithm):
    beam = 1 if algorithm is Algorithm.GREEDY else 3
    a = run(algorithm, const(.5, .3, .2), 5, beam, 2)
    assert a == run(algorithm, const(.5, .3, .2), 5, beam, 2)
    with pytest.raises(ValueError):
        run(algorithm, const(.5, .3, .2), 0, beam, 2)
    with pytest.raises(ValueError):
        run(algorithm, const(.5, .3, .2), 5, beam, 0)
