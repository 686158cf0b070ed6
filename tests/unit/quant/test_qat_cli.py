"""`hwsim qat` on every shipped workload x precision config, and the bit-width ordering of the error."""

from __future__ import annotations

import json
import math

import pytest

from hwsim.io.paths import MODELS_DIR, shipped_names
from hwsim.specs.resolve import load_workload_spec, precision_search_dirs

QUANTIZED_FORMATS = {"int8", "int4", "int2", "int1", "binary"}


def shipped_combinations() -> list[tuple[str, str]]:
    combos = []
    for workload in shipped_names(MODELS_DIR):
        spec, _ = load_workload_spec(workload)
        names = sorted({n for d in precision_search_dirs(spec) if d.is_dir() for n in shipped_names(d)})
        combos += [(workload, name) for name in names]
    return combos


def test_every_workload_has_shipped_precisions():
    combos = shipped_combinations()
    assert {w for w, _ in combos} == set(shipped_names(MODELS_DIR)) and len(combos) >= 20


@pytest.mark.parametrize("workload, precision", shipped_combinations())
def test_qat_runs_on_every_shipped_combination(run_cli, workload, precision):
    # 6 tensors x 128 sampled output channels keeps this fast; the sampling keeps whole channels/blocks.
    result = run_cli("qat", workload, precision, "--json", "--max-tensors", "6", "--max-rows", "128")
    assert result.code == 0, result.err
    payload = json.loads(result.out)
    assert (payload["workload"], payload["precision"]) == (workload, precision)
    for tensor in payload["tensors"]:
        if tensor["format"] in QUANTIZED_FORMATS:
            assert tensor["sqnr_db"] is not None and math.isfinite(tensor["sqnr_db"]), tensor
            assert 0 <= tensor["clipped_fraction"] <= 1
    if not payload["tensors"]:
        assert "float32 (exact)" in payload["not_analysed"]


def precision_yaml(tmp_path, fmt, symmetric=True):
    quantizer = {"binary": "absmean"}.get(fmt, "absmax")
    path = tmp_path / f"{fmt}.yaml"
    path.write_text(f"""schema_version: 1
name: {fmt}_test
rules:
  - match: {{name: "encoder.layers.0.attention.query.w"}}
    weights: {{format: {fmt}, granularity: per_channel, symmetric: {str(symmetric).lower()}, quantizer: {quantizer}}}
""")
    return str(path)


def sqnr_of(run_cli, workload, precision, name):
    result = run_cli("qat", workload, precision, "--json", "--match", name)
    assert result.code == 0, result.err
    (tensor,) = json.loads(result.out)["tensors"]
    return tensor["sqnr_db"]


def test_binary_below_int4_below_int8_on_the_same_tensor(run_cli, tmp_path):
    name = "encoder.layers.0.attention.query.w"
    binary, int4, int8 = (sqnr_of(run_cli, "usm_rnnt_1b", precision_yaml(tmp_path, f), name)
                          for f in ("binary", "int4", "int8"))
    assert binary < int4 < int8
    assert 5 < binary < 7  # uniform (Glorot) weights binarized with mean|w|: 10 log10(4) = 6.02 dB
    assert 40 < int8  # ~6 dB per bit


def test_ibm_int4_sawb_below_int8_max_on_the_same_tensor(run_cli):
    name = "encoder.layers.1.fwd.w_ih"
    assert sqnr_of(run_cli, "ibm_rnnt_swb", "int4", name) < sqnr_of(run_cli, "ibm_rnnt_swb", "int8", name)


def test_out_dir_has_tables_plot_and_resolved_config(run_cli, tmp_path):
    out = tmp_path / "qat"
    result = run_cli("qat", "ibm_rnnt_swb", "int4", "--match", "predictor.*", "--meta-dtype", "int8",
                     "--out", str(out))
    assert result.code == 0, result.err
    assert {p.name for p in out.iterdir()} == {"per_tensor.csv", "per_component.csv", "sqnr.png", "hwsim-manifest.json",
                                               "resolved_config.yaml"}
    assert "seed: 0" in (out / "resolved_config.yaml").read_text()
    assert "worst" in result.out and "predictor" in result.out
    assert "sqnr_double_quant_db" in (out / "per_tensor.csv").read_text().splitlines()[0]


def test_npz_weights_are_used_and_missing_ones_can_be_synthetic(run_cli, tmp_path):
    import numpy as np
    path = tmp_path / "ckpt.npz"
    np.savez(path, **{"encoder.layers.1.fwd.w_ih": np.full((1280, 2560), 0.5, np.float32)})
    result = run_cli("qat", "ibm_rnnt_swb", "int8", "--weights", str(path), "--match", "encoder.layers.1.fwd.w_*",
                     "--allow-missing", "--json")
    assert result.code == 0, result.err
    tensors = {t["name"]: t for t in json.loads(result.out)["tensors"]}
    assert tensors["encoder.layers.1.fwd.w_ih"]["sqnr_db"] is None  # a constant tensor is exact: inf -> null
    assert math.isfinite(tensors["encoder.layers.1.fwd.w_hh"]["sqnr_db"])
