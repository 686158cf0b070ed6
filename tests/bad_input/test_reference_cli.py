"""`hwsim reference` on bad input: one line `hwsim: error: ...`, exit code 2."""

from __future__ import annotations

import pytest

from hwsim.cli import main


@pytest.mark.parametrize("argv, expected", [
    (["ibm_rnnt_swb", "--frames", "10", "--beam", "0"], "--beam: expected a whole number > 0, got 0"),
    (["ibm_rnnt_swb", "--frames", "0"], "--frames: expected a whole number > 0, got 0"),
    (["usm_rnnt_1b", "--frames", "10"], "the numpy reference implements LSTM encoders only"),
    (["ibm_rnnt_swb", "--frames", "10", "--algorithm", "tds"], "unknown algorithm 'tds' (did you mean 'tsd'?)"),
    (["ibm_rnnt_swb", "--frames", "10", "--algorithm", "greedy", "--beam", "4"], "--beam: expected 1 with"),
])
def test_bad_reference_input(capsys, argv, expected):
    code = main(["reference", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("hwsim: error: ") and expected in err
    assert "Traceback" not in err


def test_a_workload_the_reference_cannot_run_is_refused_before_its_weights_are_made(capsys, monkeypatch):
    """usm_rnnt_1b's 1 B random weights took ~25 s and 4 GB before the encoder kind was looked at."""
    import hwsim.reference.timed_decode

    def no_weights(*_args, **_kwargs):
        raise AssertionError("weights were made for a workload the reference refuses")

    monkeypatch.setattr(hwsim.reference.timed_decode, "init_weights", no_weights)
    assert main(["reference", "usm_rnnt_1b", "--frames", "10"]) == 2
    assert "the numpy reference implements LSTM encoders only" in capsys.readouterr().err
