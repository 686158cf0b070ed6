"""The search bookkeeping shared by every algorithm: recombination and candidate ranking, against the plain
definitions (a merge of fresh blank extensions; a stable full sort of every candidate)."""

import math

import numpy as np
import pytest

from hwsim.decode.context import Hyp, Scores, log_add_merge, merge_blanks_into, merge_into, top_candidates


def hyps_from(histories, scores, computed=None):
    computed = computed or [False] * len(histories)
    return [Hyp(tuple(y), s, frame=2, computed=c) for y, s, c in zip(histories, scores, computed)]


def test_merging_blanks_lazily_equals_merging_their_blank_extensions():
    old = hyps_from([(0, 1), (0, 2)], [-1.0, -2.0], [True, False])
    scored = hyps_from([(0, 2), (0, 1, 3), (0, 1), (0, 2)], [-0.5, -0.7, -3.0, -1.25], [True, False, False, False])
    blank_logp = [-0.1, -0.2, -0.3, -0.4]
    eager: dict = {}
    merge_into(eager, [h.blank(0.0) for h in old])
    merge_into(eager, [h.blank(lp) for h, lp in zip(scored, blank_logp)])
    lazy: dict = {}
    merge_into(lazy, [h.blank(0.0) for h in old])
    merge_blanks_into(lazy, scored, blank_logp)
    as_rows = lambda merged: [(h.yseq, h.score, h.frame, h.in_frame, h.computed) for h in merged.values()]
    assert as_rows(lazy) == as_rows(eager)
    assert lazy[(0, 2)].score == pytest.approx(math.log(sum(math.exp(s) for s in (-2.0, -0.6, -1.65))))
    assert lazy[(0, 2)].computed and list(lazy) == [(0, 1), (0, 2), (0, 1, 3)]
    assert [h.yseq for h in log_add_merge([h.blank(0.0) for h in scored])] == [(0, 2), (0, 1, 3), (0, 1)]


def ranked_by_full_sort(hyps, scores, beam, blanks, label_ok=None):
    """The definition: every blank then every (parent, rank) label candidate, stable-sorted by total score."""
    candidates = [(h.score + float(scores.blank[i]) if blanks else -math.inf, ("blank", i))
                  for i, h in enumerate(hyps)]
    for i, h in enumerate(hyps):
        for r in range(scores.labels.shape[1]):
            barred = label_ok is not None and not label_ok[i]
            candidates.append((-math.inf if barred else h.score + float(scores.label_logp[i, r]), ("label", i, r)))
    ranked = sorted(candidates, key=lambda c: -c[0])[:beam]
    out = []
    for total, what in ranked:
        if total == -math.inf:
            break
        if what[0] == "blank":
            out.append((hyps[what[1]].yseq, total, hyps[what[1]].frame + 1))
        else:
            out.append((hyps[what[1]].yseq + (int(scores.labels[what[1], what[2]]),), total, hyps[what[1]].frame))
    return out


@pytest.mark.parametrize("blanks", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_top_candidates_ranks_as_a_stable_sort_of_every_candidate(blanks, seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    # a coarse grid of scores, so equal totals (ties) are common and their order matters
    hyps = hyps_from([(0, i + 1) for i in range(n)], (-rng.integers(0, 3, n) / 2).tolist())
    label_logp = -np.sort(rng.integers(0, 4, (n, k)), axis=1) / 2.0
    scores = Scores(-rng.integers(0, 4, n) / 2.0, rng.integers(1, 9, (n, k)), label_logp)
    label_ok = rng.random(n) < 0.7 if seed % 2 else None
    beam = int(rng.integers(1, n * (k + 1) + 2))
    got = [(h.yseq, h.score, h.frame) for h in top_candidates(hyps, scores, beam, blanks, label_ok)]
    assert got == ranked_by_full_sort(hyps, scores, beam, blanks, label_ok)
