"""An error names a file the user can open from where they ran hwsim (issue 29: errors named hwsim/data/...
paths that do not exist from the user's folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwsim.io.paths import DATA_DIR

CASES = {
    "device": ["simulate", "ibm_rnnt_swb", "int4", "--device", "tpu_v5e", "--frames", "10"],
    "device-set": ["cost", "ibm_rnnt_swb", "int4", "--device", "ibm_7nm_ai_chip", "--frames", "10",
                   "--device-set", "host_link.latncy_s.value=1"],
    "precision-set": ["size", "ibm_rnnt_swb", "int4", "--precision-set", "defaults.weights.formt=int8"],
    "set": ["size", "ibm_rnnt_swb", "int4", "--set", "joint.hiden_dim=3"],
}


def _named_file(err: str) -> str:
    assert err.startswith("hwsim: error: ") and err.count("\n") == 1, err
    return err.removeprefix("hwsim: error: ").split(": ", 1)[0]


@pytest.mark.parametrize("argv", CASES.values(), ids=CASES.keys())
def test_error_names_a_path_that_exists_from_another_folder(argv, run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli(*argv)
    assert result.code == 2
    named = _named_file(result.err)
    assert Path(named).is_absolute() and Path(named).is_file(), named


def test_error_names_a_relative_path_from_inside_the_checkout(run_cli, monkeypatch):
    monkeypatch.chdir(DATA_DIR / "workloads")  # a folder above the file: the path relative to it opens
    result = run_cli(*CASES["precision-set"])
    named = _named_file(result.err)
    assert named == "precisions/ibm_rnnt_swb/int4.yaml" and Path(named).is_file()
