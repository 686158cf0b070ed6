"""numpy RNN-T reference: LSTM cell maths, recorded schedules, caching, trace JSON, blank-bias fit."""

from __future__ import annotations

import numpy as np
import pytest

from hwsim.reference.compare import compare_counts
from hwsim.reference.lstm import LstmWeights, lstm_cell
from hwsim.reference.run import build_reference, random_features, run_utterance
from hwsim.reference.search import Algorithm
from hwsim.reference.trace import load_schedule_json, save_schedule_json

SMALL = ["encoder.hidden_dim=32", "encoder.num_layers=2", "predictor.hidden_dim=32"]
FRAMES = 60


@pytest.fixture(scope="module")
def ref():
    return build_reference("ibm_rnnt_swb", SMALL, seed=0)


@pytest.fixture(scope="module")
def features(ref):
    return random_features(ref.model, FRAMES, seed=0)


def _loop_lstm(x, h, c, w):
    """Per-row, per-gate scalar-formula LSTM (PyTorch gate order i, f, g, o)."""
    hidden = h.shape[1]
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))
    h_out, c_out = np.zeros_like(h), np.zeros_like(c)
    for b in range(x.shape[0]):
        z = x[b] @ w.w_ih + h[b] @ w.w_hh + w.bias
        for j in range(hidden):
            i, f = sig(z[j]), sig(z[hidden + j])
            g, o = np.tanh(z[2 * hidden + j]), sig(z[3 * hidden + j])
            c_out[b, j] = f * c[b, j] + i * g
            h_out[b, j] = o * np.tanh(c_out[b, j])
    return h_out, c_out


def test_lstm_cell_matches_a_loop_implementation():
    rng = np.random.default_rng(1)
    w = LstmWeights(rng.normal(size=(5, 16)), rng.normal(size=(4, 16)), rng.normal(size=16))
    x, h, c = rng.normal(size=(3, 5)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    got, expected = lstm_cell(x, h, c, w), _loop_lstm(x, h, c, w)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-10)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-10)


def test_beam_one_recordings_are_identical(ref, features):
    steps = {a: run_utterance(ref, features, a, 1).schedule for a in Algorithm}
    assert steps[Algorithm.GREEDY].steps == steps[Algorithm.TSD].steps == steps[Algorithm.ALSD].steps
    assert steps[Algorithm.GREEDY].labels == steps[Algorithm.TSD].labels == steps[Algorithm.ALSD].labels
    assert steps[Algorithm.GREEDY].steps[0].prediction_rows == 1  # start of sequence


def test_larger_beam_scores_more_rows(ref, features):
    rows = [run_utterance(ref, features, Algorithm.TSD, beam).schedule.joint_rows for beam in (1, 4, 8)]
    assert rows[0] < rows[1] < rows[2]


@pytest.mark.parametrize("algorithm", [Algorithm.TSD, Algorithm.ALSD])
def test_cache_hits_only_with_caching(ref, features, algorithm):
    cached = run_utterance(ref, features, algorithm, 8, cache=True).schedule
    uncached = run_utterance(ref, features, algorithm, 8, cache=False).schedule
    assert cached.cache_hits > 0 and uncached.cache_hits == 0
    assert cached.prediction_rows < uncached.prediction_rows


def test_every_step_matches_the_decode_step_invariants(ref, features):
    schedule = run_utterance(ref, features, Algorithm.TSD, 4).schedule
    assert all(s.joint_rows == s.hyps <= 4 for s in schedule.steps)
    assert [s.frame for s in schedule.steps] == sorted(s.frame for s in schedule.steps)
    assert schedule.steps[-1].frame == FRAMES - 1


def test_schedule_json_round_trips(ref, features, tmp_path):
    schedule = run_utterance(ref, features, Algorithm.ALSD, 4).schedule
    save_schedule_json(schedule, tmp_path / "trace.json")
    assert load_schedule_json(tmp_path / "trace.json") == schedule


def test_blank_bias_reaches_the_target_rate(ref):
    target = ref.model.spec.decoding.label_rate_per_frame
    assert abs(ref.calibration_rate - target) <= 0.2 * target


def test_compare_counts_reports_differences(ref, features):
    real = run_utterance(ref, features, Algorithm.TSD, 4).schedule
    table = compare_counts(real, real)
    assert table["joint_rows"] == {"real": real.joint_rows, "simulated": real.joint_rows, "diff": 0, "diff_pct": 0.0}
    assert set(table) >= {"steps", "prediction_rows", "joint_rows", "cache_hits", "labels"}
