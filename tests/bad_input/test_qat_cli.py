"""`hwsim qat` on bad input: one line `hwsim: error: ...`, exit code 2, nothing written."""

from __future__ import annotations

import numpy as np
import pytest


def npz(tmp_path, name, **arrays):
    path = tmp_path / f"{name}.npz"
    np.savez(path, **arrays)
    return str(path)


@pytest.mark.parametrize("case, expected", [
    ("missing_file", "--weights: expected an existing .npz file, got 'no such file'"),
    ("wrong_shape", "encoder.layers.1.fwd.w_ih: expected shape (1280, 2560), got 'shape (2560, 1280)'"),
    ("unknown_key", "did you mean 'encoder.layers.1.fwd.w_ih'?"),
    ("missing_key", "encoder.layers.1.fwd.w_hh: expected an array of shape (640, 2560) (missing key"),
    ("match_nothing", "--match: expected a glob matching at least one quantized or cast tensor"),
    ("match_float", "none quantized or cast"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(run_cli, tmp_path, case, expected):
    args = {
        "missing_file": ["ibm_rnnt_swb", "int4", "--weights", str(tmp_path / "nope.npz")],
        "wrong_shape": ["ibm_rnnt_swb", "int4", "--match", "encoder.layers.1.fwd.w_ih",
                        "--weights", npz(tmp_path, "wrong_shape", **{"encoder.layers.1.fwd.w_ih": np.zeros((2560, 1280))})],
        "unknown_key": ["ibm_rnnt_swb", "int4",
                        "--weights", npz(tmp_path, "unknown_key", **{"encoder.layers.1.fwd.w_ihh": np.zeros((1280, 2560))})],
        "missing_key": ["ibm_rnnt_swb", "int4", "--match", "encoder.layers.1.fwd.w_*",
                        "--weights", npz(tmp_path, "missing_key", **{"encoder.layers.1.fwd.w_ih": np.zeros((1280, 2560))})],
        "match_nothing": ["ibm_rnnt_swb", "int4", "--match", "nothing.*"],
        "match_float": ["usm_rnnt_1b", "exp5", "--match", "joint.*"],
    }[case]
    out = tmp_path / "out"
    result = run_cli("qat", *args, "--out", str(out))
    err = result.err.strip().splitlines()
    assert result.code == 2
    assert len(err) == 1 and err[0].startswith("hwsim: error: ") and expected in err[0], err
    assert not out.exists() and not list(tmp_path.glob(".out*"))
    assert result.out == ""


def test_unsupported_granularity_names_rule_and_tensor(run_cli, tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("""schema_version: 1
name: bad
rules:
  - match: {name: "encoder.layers.1.*", roles: [weight]}
    weights: {format: int4, granularity: sub_channel, block_size: 64, quantizer: sawb}
""")
    result = run_cli("qat", "ibm_rnnt_swb", str(spec), "--out", str(tmp_path / "out"))
    assert result.code == 2
    assert f"{spec}: rules[0].weights.granularity: expected per_tensor or per_channel for quantizer 'sawb' (fms_mo)" in result.err
    assert "(tensor encoder.layers.1.fwd.w_ih)" in result.err and not (tmp_path / "out").exists()
