"""The emission model's shape statistics (confidence_spread, due_top_prob, tail_ratio): each row's scores follow the
documented formulas, the defaults are the one-top_prob model, and hwsim fit-decoding's second stage finds them."""

import math

import numpy as np
import pytest

from hwsim.calibrate.decoding import fit_decoding
from hwsim.decode.simulated import Algorithm, build_schedule
from hwsim.decode.synthetic import EmissionParams, SyntheticScorer
from hwsim.specs.workload import min_top_prob


def _rows(scorer, k=3):
    """(not-due row, due row) scores at the first frame that holds a reference label, for the start history."""
    frame = int(np.argmax(scorer.due_by > 0))
    blank_start = scorer.joint([0], [(0,)], k) if scorer.due_by[0] == 0 else None
    due = scorer.joint([frame], [(0,)], k)
    return frame, blank_start, due


def test_the_defaults_are_the_one_top_prob_model_with_a_geometric_tail():
    p = 0.9
    scorer = SyntheticScorer(EmissionParams(0.2, p, 0.5, seed=4), 60, 46)
    _, free, due = _rows(scorer)
    assert free.blank[0] == math.log(p)
    assert free.label_logp[0].tolist() == pytest.approx([math.log((1 - p) / 2 ** j) for j in (1, 2, 3)])
    assert due.label_logp[0, 0] == math.log(p) and due.blank[0] == pytest.approx(math.log((1 - p) / 2))
    assert due.label_logp[0, 1:].tolist() == pytest.approx([math.log((1 - p) / 2 ** j) for j in (2, 3)])


def test_due_rows_take_due_top_prob_and_the_rest_top_prob():
    """Swapping the two (a due row scored as sure as a free one) fails here."""
    p, p_due, q = 0.95, 0.7, 0.25
    scorer = SyntheticScorer(EmissionParams(0.2, p, 0.5, 4, due_top_prob=p_due, tail_ratio=q), 60, 46)
    _, free, due = _rows(scorer)
    assert free.blank[0] == pytest.approx(math.log(p))
    assert free.label_logp[0].tolist() == pytest.approx([math.log((1 - p) * (1 - q) * q ** j) for j in range(3)])
    assert due.label_logp[0, 0] == pytest.approx(math.log(p_due))
    assert due.blank[0] == pytest.approx(math.log((1 - p_due) * (1 - q)))
    assert due.label_logp[0, 1:].tolist() == pytest.approx([math.log((1 - p_due) * (1 - q) * q ** j) for j in (1, 2)])


def test_confidence_spread_gives_frames_their_own_confidence_around_the_median():
    p, frames = 0.95, 4000
    flat = SyntheticScorer(EmissionParams(0.2, p, 0.5, seed=3), frames, 46)
    spread = SyntheticScorer(EmissionParams(0.2, p, 0.5, 3, confidence_spread=2.0), frames, 46)
    assert np.unique(flat.log_top).size == 1
    top = np.exp(spread.log_top)
    assert np.median(top) == pytest.approx(p, abs=0.005)
    odds = np.log((1 - top) / top)
    assert np.std(odds[top > 0.5 + 1e-9]) == pytest.approx(2.0, rel=0.15)  # below the cap: logit-normal, sigma 2
    assert (1 - top).max() <= 0.5 + 1e-12  # capped at max(1 - p, 1/2)
    # every row still prefers its preferred symbol: blank on free rows, the owed label on due rows
    _, label_logp, blank_logp = spread._tables(3)
    assert (blank_logp[:, 0] > label_logp[:, 0, 0]).all() and (label_logp[:, 1, 0] > blank_logp[:, 1]).all()
    # spread 0 draws nothing: the alignment and competitor runs do not move when a spread is added
    assert (flat.due_by == spread.due_by).all() and (flat.frame_offsets == spread.frame_offsets).all()


@pytest.mark.parametrize("kwargs", [dict(tail_ratio=0.0), dict(tail_ratio=1.0), dict(confidence_spread=-1.0),
                                    dict(top_prob=0.44, tail_ratio=0.2), dict(due_top_prob=0.3)])
def test_invalid_shape_statistics(kwargs):
    with pytest.raises(ValueError):
        EmissionParams(0.3, **{"top_prob": 0.9, **kwargs})
    assert min_top_prob(0.5) == pytest.approx(1 / 3) and min_top_prob(0.2) == pytest.approx(1 - 1 / 1.8)


def test_the_fit_finds_shape_statistics_the_one_top_prob_grid_cannot():
    """Traces of a sure-on-most-frames model: stage 1 (top_prob x repeat_prob) leaves a large residual, stage 2
    (coordinate descent over all five statistics) brings the counts within a few percent. Skipping stage 2 fails."""
    truth = EmissionParams(0.3, 0.99, 0.75, 0, confidence_spread=2.0, due_top_prob=0.95, tail_ratio=0.35)
    traces = [build_schedule(Algorithm.BEAM, 100, 4, EmissionParams(**{**truth.__dict__, "seed": s}), 3, vocab=40)
              for s in (1, 2, 3)]
    fit = fit_decoding(traces, seed=9)  # other seeds: other alignments and confusable labels than the traces'
    assert fit.loss < 0.5 * fit.stage1_loss
    assert fit.confidence_spread > 0 and fit.due_top_prob is not None
    assert all(abs(fit.residual_pct[c]) < 10 for c in ("steps", "prediction_rows", "cache_hits", "labels"))
