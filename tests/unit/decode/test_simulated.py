"""The simulator's schedules: the registry's searches on the synthetic scorer, and its statistics' meaning."""

import numpy as np
import pytest

from hwsim.decode.simulated import Algorithm, build_schedule
from hwsim.decode.synthetic import EmissionParams, SyntheticScorer

PARAMS = EmissionParams(label_rate=0.3, top_prob=0.9, repeat_prob=0.5, seed=11)
BEAMS = [a for a in Algorithm if a is not Algorithm.GREEDY]


@pytest.mark.parametrize("rate", [0.1, 0.25, 0.6])
@pytest.mark.parametrize("algorithm", [Algorithm.GREEDY, Algorithm.TSD, Algorithm.MODIFIED_BEAM])
def test_label_rate_is_labels_per_frame_on_the_best_path(rate, algorithm):
    beam = 1 if algorithm is Algorithm.GREEDY else 4
    schedule = build_schedule(algorithm, 2000, beam, EmissionParams(rate, 0.9, 0.5, seed=1), 3, vocab=64)
    assert schedule.labels / 2000 == pytest.approx(rate, rel=0.05)


def test_the_reference_alignment_has_round_rate_times_frames_labels():
    scorer = SyntheticScorer(EmissionParams(0.25, 0.9, seed=4), 152, 46)
    assert abs(int(scorer.due_by[-1]) - 38) <= 1


def test_tsd_makes_s_plus_one_joint_calls_per_frame():
    # Saon et al. 2020 / ESPnet time_sync_decoding: 152 frames x (S + 1) rounds, the beam full after frame 0
    schedule = build_schedule(Algorithm.TSD, 152, 16, PARAMS, 3, vocab=46)
    assert schedule.joint_calls == 152 * 4
    assert schedule.joint_rows == 1 + 16 * (152 * 4 - 1)


def test_same_seed_same_schedule_other_seed_differs():
    a = build_schedule(Algorithm.TSD, 200, 8, PARAMS, 3)
    assert a == build_schedule(Algorithm.TSD, 200, 8, PARAMS, 3)
    assert a != build_schedule(Algorithm.TSD, 200, 8, EmissionParams(0.3, 0.9, 0.5, seed=12), 3)


@pytest.mark.parametrize("algorithm", BEAMS)
def test_every_cache_hit_removes_exactly_one_prediction_row(algorithm):
    cached = build_schedule(algorithm, 300, 8, PARAMS, 3, vocab=46)
    uncached = build_schedule(algorithm, 300, 8, PARAMS, 3, vocab=46, cache=False)
    assert uncached.cache_hits == 0
    assert uncached.prediction_rows == cached.prediction_rows + cached.cache_hits
    assert uncached.joint_rows == cached.joint_rows


def test_cache_hits_follow_from_repeated_histories():
    hits = [build_schedule(Algorithm.TSD, 300, 8, EmissionParams(0.3, 0.9, r, seed=2), 3, vocab=46).cache_hits
            for r in (0.0, 0.5, 0.9)]
    assert hits == sorted(hits) and hits[-1] > 2 * hits[0]


def test_a_less_confident_model_makes_the_standard_beam_search_work_harder():
    calls = [build_schedule(Algorithm.BEAM, 150, 4, EmissionParams(0.3, p, 0.5, seed=2), 3, vocab=46).joint_calls
             for p in (0.98, 0.7, 0.55)]
    assert calls == sorted(calls) and calls[-1] > calls[0]


def test_rows_grow_with_beam():
    rows = [build_schedule(Algorithm.TSD, 300, b, PARAMS, 3).joint_rows for b in (1, 2, 4, 8, 16)]
    assert rows == sorted(rows) and rows[-1] > 8 * rows[0]


def test_modified_beam_one_call_per_frame_and_alsd_between_t_and_t_plus_labels():
    assert len(build_schedule(Algorithm.MODIFIED_BEAM, 150, 4, PARAMS, 3).steps) == 150
    alsd = build_schedule(Algorithm.ALSD, 150, 1, PARAMS, 50)  # beam 1: one step per frame or label
    assert len(alsd.steps) == 150 + alsd.labels


def test_invalid_arguments():
    with pytest.raises(ValueError):
        build_schedule(Algorithm.TSD, 0, 4, PARAMS, 3)
    with pytest.raises(ValueError):
        build_schedule(Algorithm.GREEDY, 10, 4, PARAMS, 3)
    with pytest.raises(ValueError):
        EmissionParams(0.3, top_prob=0.3)


@pytest.mark.parametrize("vocab, k", [(46, 8), (5, 4), (3, 2)])
def test_one_row_and_batched_joint_give_each_row_the_same_scores(vocab, k):
    """The scorer memoises single rows and due rows; every row must still be what the batch computes, which is
    the documented rule (due: the owed reference label first, then the frame's run without it)."""
    scorer = SyntheticScorer(EmissionParams(0.4, 0.8, 0.5, seed=5), 40, vocab)
    pairs = [(t, u) for t in range(0, 40, 3) for u in range(0, 20, 2)]
    matched = [(0, *scorer.reference_labels[:u].tolist()) for _, u in pairs]  # histories at position u
    batch = scorer.joint([t for t, _ in pairs], matched, k)
    runs = 1 + (scorer.frame_offsets[:, None] + range(k + 1)) % (vocab - 1)
    assert batch.labels.shape == (len(pairs), k)
    for i, (t, u) in enumerate(pairs):
        one = scorer.joint([t], [matched[i]], k)
        assert (one.blank[0], one.labels[0].tolist(), one.label_logp[0].tolist()) == \
            (batch.blank[i], batch.labels[i].tolist(), batch.label_logp[i].tolist())
        run = runs[t].tolist()
        if scorer.due_by[t] > u:
            owed = int(scorer.reference_labels[min(u, len(scorer.reference_labels) - 1)])
            assert batch.labels[i].tolist() == [owed] + [label for label in run if label != owed][:k - 1]
            assert batch.blank[i] < batch.label_logp[i, 0]
        else:
            assert batch.labels[i].tolist() == run[:k]
            assert batch.blank[i] > batch.label_logp[i, 0]


def test_an_inserted_label_does_not_pay_the_owed_reference_label():
    """Position counts matched reference labels: after an insertion the hypothesis still owes the same label (a
    count of labels would let any label stand in for it, and beams collected extra labels almost for free)."""
    scorer = SyntheticScorer(EmissionParams(0.3, 0.8, 0.5, seed=5), 60, 46)
    owed = scorer.reference_labels.tolist()
    on_track = (0, *owed[:2])
    inserted = on_track + (owed[2] % 45 + 1,)  # any label but the owed one
    assert scorer.position(on_track) == 2 and scorer.position(inserted) == 2
    assert scorer.position(inserted + (owed[2],)) == 3
    frame = int(np.searchsorted(scorer.due_by, 3))  # the first frame that holds three reference labels
    scores = scorer.joint([frame, frame], [on_track, inserted], 4)
    assert scores.labels[:, 0].tolist() == [owed[2], owed[2]]  # both still owe reference label 2
    assert (scores.label_logp[:, 0] > scores.blank).all()

