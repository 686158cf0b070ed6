"""`--audio-s` is accepted wherever `--frames` is (cost, simulate, sweep) and gives the same run."""

from __future__ import annotations

import json

import pandas as pd

IBM = ["ibm_rnnt_swb", "int4", "--device", "ibm_7nm_ai_chip"]


def test_cost_audio_s_equals_the_matching_frames(run_cli):
    by_audio = json.loads(run_cli("cost", *IBM, "--audio-s", "0.5", "--json").out)
    by_frames = json.loads(run_cli("cost", *IBM, "--frames", "25", "--json").out)  # 0.5 s / 0.02 s
    assert by_audio["frames"] == 25
    assert by_audio == by_frames


def test_simulate_audio_s_uses_the_workload_frame_step(run_cli):
    payload = json.loads(run_cli("simulate", "dblstm_hmm_300", "int4", "--device", "ibm_7nm_ai_chip",
                                 "--audio-s", "0.3", "--json").out)
    assert payload["frames"] == 30  # dblstm_hmm_300: input_frame_step_s 0.01


def test_sweep_takes_a_list_of_lengths(run_cli, tmp_path):
    result = run_cli("sweep", "ibm_rnnt_swb", "--device", "ibm_7nm_ai_chip", "--precisions", "fp16,int4",
                     "--beams", "1", "--audio-s", "0.2,0.4", "--out", str(tmp_path), "--quiet")
    assert result.code == 0, result.err
    assert sorted(pd.read_csv(tmp_path / "points.csv").frames.unique()) == [10, 20]


def test_frames_and_audio_s_exclude_each_other_and_bad_lengths_are_one_line(run_cli):
    both = run_cli("cost", *IBM, "--frames", "3", "--audio-s", "1")
    assert both.code == 2 and "hwsim: error: --audio-s: expected only one of --audio-s and --frames, got both" in both.err
    negative = run_cli("cost", *IBM, "--audio-s", "-1")
    assert negative.code == 2
    assert negative.err.strip() == "hwsim: error: --audio-s: expected a number > 0, got -1.0"


def test_reference_takes_audio_s_too(run_cli):
    bad = run_cli("reference", "ibm_rnnt_swb", "--audio-s", "0")
    assert bad.code == 2 and bad.err.strip() == "hwsim: error: --audio-s: expected a number > 0, got 0.0"
    both = run_cli("reference", "ibm_rnnt_swb", "--audio-s", "1", "--frames", "3")
    assert both.code == 2 and "expected only one of --frames and --audio-s, got both" in both.err
