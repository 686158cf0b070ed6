"""`hwsim quantize` on bad input: one line naming the option/file, exit code 2, nothing written."""

from __future__ import annotations

import numpy as np
import pytest

from hwsim.cli import main


@pytest.fixture
def weights(tmp_path):
    path = tmp_path / "w.npy"
    np.save(path, np.random.default_rng(0).normal(size=(4, 12)).astype(np.float32))
    return path


def _run(capsys, tmp_path, *argv):
    out = tmp_path / "out.npz"
    code = main(["quantize", *map(str, argv), "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    return code, err, out


def _bad(tmp_path, name, array):
    path = tmp_path / name
    np.save(path, array)
    return path


@pytest.mark.parametrize("case, expected", [
    ("nan", "finite"), ("strings", "numeric"), ("bits", "--bits"), ("block", "--block"),
    ("unknown", "did you mean 'sawb'"), ("missing", "no such file"), ("alpha", "--alpha"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(capsys, tmp_path, weights, case, expected):
    args = {
        "nan": [_bad(tmp_path, "nan.npy", np.array([[1.0, np.nan]])), "--quantizer", "absmax", "--bits", "4"],
        "strings": [_bad(tmp_path, "s.npy", np.array([["a", "b"]])), "--quantizer", "absmax", "--bits", "4"],
        "bits": [weights, "--quantizer", "absmean", "--bits", "4"],
        "block": [weights, "--quantizer", "absmean", "--bits", "1", "--block", "5"],
        "unknown": [weights, "--quantizer", "sawbb", "--bits", "4"],
        "missing": [tmp_path / "nope.npy", "--quantizer", "absmax", "--bits", "4"],
        "alpha": [weights, "--quantizer", "pact2", "--bits", "4"],
    }[case]
    code, err, out = _run(capsys, tmp_path, *args)
    assert code == 2
    assert len(err) == 1 and err[0].startswith("hwsim: error: ") and expected in err[0]
    assert not out.exists() and not list(tmp_path.glob(".out.npz*"))


def test_quantize_writes_codes_scales_and_grad(capsys, tmp_path, weights):
    cot = _bad(tmp_path, "g.npy", np.ones((4, 12), np.float32))
    code, _, out = _run(capsys, tmp_path, weights, "--quantizer", "absmax_asym", "--bits", "2", "--block", "4",
                        "--cotangent", cot)
    assert code == 0
    data = np.load(out)
    assert set(data.files) == {"q", "scale", "zero_point", "dequant", "grad"}
    assert data["q"].shape == (4, 3, 4) and data["dequant"].shape == (4, 12)
