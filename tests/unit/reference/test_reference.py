"""numpy RNN-T reference: LSTM cell maths, recorded schedules, caching, trace JSON, blank-bias fit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hwsim.reference.compare import compare_counts
from hwsim.reference.lstm import LstmWeights, lstm_cell
from hwsim.reference.run import build_reference, random_features, run_utterance
from hwsim.decode.registry import Algorithm
from hwsim.reference.search import NumpyScorer
from hwsim.reference.trace import Recorder, load_schedule_json, save_schedule_json
from hwsim.sim.schedule import DecodeSchedule, DecodeStep

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


def test_reference_and_simulator_run_the_same_registry_search(ref, features, monkeypatch):
    from hwsim.decode import registry
    from hwsim.sim.decode import build_schedule
    from hwsim.sim.emission import EmissionParams

    seen = []
    original = registry.ALGORITHMS[Algorithm.TSD]

    def spy(ctx, beam, max_symbols):
        seen.append(type(ctx.scorer).__name__)
        return original.search(ctx, beam, max_symbols)
    monkeypatch.setitem(registry.ALGORITHMS, Algorithm.TSD, dataclasses.replace(original, search=spy))
    run_utterance(ref, features[:10], Algorithm.TSD, 2)
    build_schedule(Algorithm.TSD, 10, 2, EmissionParams(0.3), 3)
    assert seen == ["NumpyScorer", "SyntheticScorer"]


def test_numpy_scorer_returns_blank_and_the_top_k_labels_of_the_joint(ref, features):
    scorer = NumpyScorer(ref.model, ref.model.encode(features[:5]), Recorder())
    histories = [(0,), (0, 3)]
    scorer.predict([(0,)])
    scorer.predict([(0, 3)])
    scores = scorer.joint([1, 4], histories, 3)
    full = ref.model.joint(scorer.enc_proj[[1, 4]], np.stack([scorer.pred_proj[h] for h in histories]))
    np.testing.assert_allclose(scores.blank, full[:, 0], rtol=1e-6)
    expected = np.argsort(-full[:, 1:], axis=1)[:, :3] + 1
    np.testing.assert_array_equal(scores.labels, expected)
    np.testing.assert_allclose(scores.label_logp, np.take_along_axis(full, expected, axis=1), rtol=1e-6)


@pytest.mark.parametrize("algorithm", [Algorithm.TSD, Algorithm.MODIFIED_BEAM])
def test_real_decoder_has_the_published_call_structure(ref, features, algorithm):
    schedule = run_utterance(ref, features, algorithm, 4).schedule
    per_frame = ref.max_symbols + 1 if algorithm is Algorithm.TSD else 1
    assert [s.frame for s in schedule.steps] == [t for t in range(FRAMES) for _ in range(per_frame)]
    assert all(s.joint_rows == s.hyps <= 4 for s in schedule.steps)
    assert schedule.steps[0].prediction_rows == 1  # start of sequence


def test_larger_beam_scores_more_rows(ref, features):
    rows = [run_utterance(ref, features, Algorithm.TSD, beam).schedule.joint_rows for beam in (1, 4, 8)]
    assert rows[0] < rows[1] < rows[2]


@pytest.mark.parametrize("algorithm", [Algorithm.TSD, Algorithm.ALSD, Algorithm.BEAM])
def test_each_cache_hit_saves_one_prediction_row(ref, features, algorithm):
    cached = run_utterance(ref, features, algorithm, 4, cache=True).schedule
    uncached = run_utterance(ref, features, algorithm, 4, cache=False).schedule
    assert cached.cache_hits > 0 and uncached.cache_hits == 0
    assert uncached.prediction_rows == cached.prediction_rows + cached.cache_hits
    assert uncached.steps == tuple(dataclasses.replace(s, prediction_rows=s.prediction_rows + s.cache_hits,
                                                       cache_hits=0) for s in cached.steps)


def test_schedule_json_round_trips(ref, features, tmp_path):
    schedule = run_utterance(ref, features, Algorithm.ALSD, 4).schedule
    assert schedule.max_symbols == ref.max_symbols and schedule.vocab == ref.model.vocab
    save_schedule_json(schedule, tmp_path / "trace.json")
    assert load_schedule_json(tmp_path / "trace.json") == schedule


def test_blank_bias_reaches_the_target_rate(ref):
    target = ref.model.spec.decoding.label_rate_per_frame
    assert abs(ref.calibration_rate - target) <= 0.2 * target


def test_compare_counts_reports_signed_differences():
    real = DecodeSchedule("tsd", 2, 2, (DecodeStep(0, 1, 0, 1, 1), DecodeStep(0, 2, 0, 2, 2)), labels=4)
    simulated = DecodeSchedule("tsd", 2, 2, (DecodeStep(0, 1, 0, 1, 1), DecodeStep(0, 1, 1, 2, 2),
                                             DecodeStep(1, 0, 0, 2, 2)), labels=3)
    table = compare_counts(real, simulated)
    assert table["steps"] == {"real": 2, "simulated": 3, "diff": 1, "diff_pct": 50.0}
    assert table["prediction_rows"]["diff"] == -1 and table["cache_hits"]["diff_pct"] is None
    assert table["labels"]["diff_pct"] == -25.0


@pytest.mark.parametrize("algorithm", [a.value for a in Algorithm])
def test_reference_cli_runs_every_registered_algorithm(algorithm, tmp_path, capsys):
    import json

    from hwsim.cli import main
    beam = "1" if algorithm == "greedy" else "2"
    trace = tmp_path / "t.json"
    assert main(["reference", "ibm_rnnt_swb", *[a for s in SMALL for a in ("--set", s)], "--frames", "12", "--beam", beam,
                 "--algorithm", algorithm, "--repeats", "1", "--json", "--compare-emission",
                 "--trace-out", str(trace)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["algorithm"] == algorithm and payload["counts"]["steps"] == payload["emission_comparison"]["steps"]["real"]
    assert load_schedule_json(trace).algorithm == algorithm
