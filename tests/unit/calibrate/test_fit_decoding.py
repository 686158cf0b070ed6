"""fit-decoding: statistics recovered from a trace they generated, on another seed; the printed block loads."""

import json
from dataclasses import replace

import pytest
import yaml

from hwsim.calibrate.decoding import LABEL_TOLERANCE, decoding_block, fit_decoding
from hwsim.cli import main
from hwsim.decode.simulated import Algorithm, build_schedule
from hwsim.decode.synthetic import EmissionParams
from hwsim.decode.schedule_io import save_schedule_json
from hwsim.specs.workload import DecodingSpec


def test_fit_recovers_the_statistics_of_a_simulated_trace():
    truth = EmissionParams(0.2, top_prob=0.45, repeat_prob=0.75, seed=3)
    trace = build_schedule(Algorithm.BEAM, 200, 4, truth, 3, vocab=46)
    fit = fit_decoding(trace, seed=9)  # another seed: another alignment and other confusable labels
    assert fit.label_rate_per_frame == pytest.approx(trace.labels / 200)
    assert fit.top_prob == pytest.approx(0.45, abs=0.051)
    assert abs(fit.residual_pct["steps"]) < 10 and abs(fit.residual_pct["prediction_rows"]) < 25


def test_fit_decoding_prints_a_loadable_decoding_block(tmp_path, capsys):
    # 60 frames: the block's keys and the recorded label rate do not need a long trace (fit time grows with it)
    trace = build_schedule(Algorithm.TSD, 60, 4, EmissionParams(0.3, 0.9, 0.5, seed=1), 2, vocab=46)
    path = tmp_path / "trace.json"
    save_schedule_json(trace, path)
    assert main(["fit-decoding", str(path)]) == 0
    block = yaml.safe_load(capsys.readouterr().out)
    spec = DecodingSpec(**block["decoding"])
    assert spec.max_symbols_per_frame == 2 and spec.label_rate_per_frame == pytest.approx(trace.labels / 60, rel=1e-3)
    fitted = {"label_rate_per_frame", "top_prob", "competitor_repeat_prob", "confidence_spread", "tail_ratio"}
    if "due_top_prob" in block["decoding"]:
        fitted.add("due_top_prob")
    assert set(block["inferred"]) == {f"decoding.{k}" for k in fitted}
    assert {k: block["decoding"][k] for k in fitted - {"label_rate_per_frame"}} == {
        k: getattr(spec, k) for k in fitted - {"label_rate_per_frame"}}
    assert main(["fit-decoding", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["recorded"]["steps"] == len(trace.steps)


def test_fit_decoding_of_a_broken_trace_is_one_line(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text("[1, 2]")
    assert main(["fit-decoding", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.json" in err[0]


def test_block_says_how_it_was_fitted():
    fit = fit_decoding(build_schedule(Algorithm.GREEDY, 80, 1, EmissionParams(0.25), 3, vocab=46))
    assert "hwsim fit-decoding X.json" in decoding_block(fit, "X.json")


def _with_more_histories(trace, factor: int):
    """The same decode, but a decoder whose beam built `factor` times the new label histories."""
    steps = tuple(replace(s, prediction_rows=factor * s.prediction_rows, cache_hits=factor * s.cache_hits)
                  for s in trace.steps)
    return replace(trace, steps=steps)


def test_the_fit_keeps_the_label_rate_meaning_what_it_says():
    """Matching 3x the prediction rows pulls top_prob towards 1/3, where alignments with extra labels outscore the
    reference one and the simulated best path carries 18 labels for the trace's 12 (+50 %); such statistics are
    ranked after every one that keeps the labels within LABEL_TOLERANCE."""
    trace = build_schedule(Algorithm.ALSD, 100, 4, EmissionParams(0.12, 0.9, 0.75, seed=1), 3, vocab=46)
    fit = fit_decoding(_with_more_histories(trace, 3), seed=4)
    assert abs(fit.simulated["labels"] - trace.labels) <= max(LABEL_TOLERANCE * trace.labels, 2)


def test_several_traces_are_fitted_together_and_summed():
    truth = EmissionParams(0.2, top_prob=0.8, repeat_prob=0.5, seed=3)
    traces = [build_schedule(Algorithm.TSD, frames, 4, replace(truth, seed=seed), 3, vocab=46)
              for frames, seed in ((30, 3), (45, 5))]  # short: the sums hold at any length
    fit = fit_decoding(traces, seed=9)
    assert fit.traces == 2
    assert fit.recorded["joint_rows"] == sum(t.joint_rows for t in traces)
    assert fit.label_rate_per_frame == pytest.approx(sum(t.labels for t in traces) / 75)
    with pytest.raises(ValueError):
        fit_decoding([traces[0], build_schedule(Algorithm.BEAM, 30, 4, truth, 3, vocab=46)])


def test_fit_decoding_takes_several_traces_of_one_algorithm(tmp_path, capsys):
    paths = []
    for name, algorithm in (("a", Algorithm.TSD), ("b", Algorithm.TSD), ("c", Algorithm.BEAM)):
        paths.append(tmp_path / f"{name}.json")
        save_schedule_json(build_schedule(algorithm, 25, 4, EmissionParams(0.3, 0.9, 0.5, seed=1), 3, vocab=46),
                           paths[-1])
    assert main(["fit-decoding", str(paths[0]), str(paths[1]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["traces"] == 2
    assert main(["fit-decoding", str(paths[0]), str(paths[2])]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "c.json" in err[0] and "algorithm" in err[0]
