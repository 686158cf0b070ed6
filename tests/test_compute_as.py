"""A precision pair the device lacks names the nearest pair it runs, and `--compute-as PAIR` runs it with a note
(issue 29: `simulate ibm_rnnt_swb int4 --device tpu_v5e` was refused with advice to edit the device file)."""

from __future__ import annotations

import json

import pytest

from hwsim.cost.hardware import load_device
from hwsim.cost.engine_select import nearest_pair

IBM_ON_TPU = ["ibm_rnnt_swb", "int4", "--device", "tpu_v5e"]
NOTE = "fp16 x fp16 computed as bf16 x bf16 (--compute-as: tpu_v5e runs no fp16xfp16) on tpu_v5e mxu"


def test_a_missing_pair_names_the_nearest_and_the_flag(run_cli):
    result = run_cli("simulate", *IBM_ON_TPU, "--frames", "20")
    assert result.code == 2 and result.err.count("\n") == 1
    assert ("the nearest pair it runs is bf16xbf16: --compute-as bf16xbf16 computes fp16xfp16 as bf16xbf16, or model "
            "fp16xfp16 in your own copy of the device (hwsim devices --template tpu_v5e)") in result.err


def test_a_rejected_pair_names_the_nearest_too(run_cli):
    result = run_cli("gemm", "--device", "a100_sxm_80gb", "--m", "4", "--k", "64", "--n", "64", "--precision", "fp8_e4m3")
    assert result.code == 2
    assert "rejected because no FP8 tensor-core datapath" in result.err
    assert "the nearest pair it runs is bf16xbf16: --compute-as bf16xbf16" in result.err


@pytest.mark.parametrize("verb, extra", [
    ("simulate", ["--frames", "20"]),
    ("cost", ["--frames", "20"]),
    ("serve", ["--scenario", "offline", "--utterances", "2", "--utterance-s", "0.5"]),
])
def test_compute_as_runs_it_with_a_note(run_cli, verb, extra):
    human = run_cli(verb, *IBM_ON_TPU, *extra, "--compute-as", "bf16xbf16")
    assert human.code == 0, human.err
    assert "note: pairs the device lacks are computed as bf16xbf16 (--compute-as)" in human.out
    assert NOTE in human.out
    assert "int4 x int4 computed as int4 x int4 (natively)" in human.out  # pairs the device runs are untouched
    data = json.loads(run_cli(verb, *IBM_ON_TPU, *extra, "--compute-as", "bf16", "--json").out)
    assert data["compute_as"] == "bf16xbf16" and NOTE in data["computed_as"]["joint"]


def test_sweep_takes_compute_as(run_cli, tmp_path):
    result = run_cli("sweep", "ibm_rnnt_swb", "--device", "tpu_v5e", "--precisions", "fp16,int4", "--beams", "1",
                     "--frames", "20", "--compute-as", "bf16xbf16", "--out", str(tmp_path / "out"), "--quiet")
    assert result.code == 0, result.err
    assert NOTE in result.out


def test_a_same_width_float_swap_costs_as_the_bf16_model(run_cli):
    """fp16 computed as bf16 is a cast when weights load: the matrix work is the bf16 model's (element-wise work
    stays in the widest float the vector unit has, which is why the totals agree to 0.01 %, not exactly)."""
    swapped = json.loads(run_cli("simulate", "ibm_rnnt_swb", "fp16", "--device", "tpu_v5e", "--frames", "20",
                                 "--compute-as", "bf16", "--json").out)
    bf16 = json.loads(run_cli("simulate", "ibm_rnnt_swb", "fp16", "--device", "tpu_v5e", "--frames", "20", "--json",
                              "--precision-set", "defaults.weights.format=bf16",
                              "--precision-set", "defaults.activations.format=bf16").out)
    assert swapped["total_s"] == pytest.approx(bf16["total_s"], rel=1e-4)


def test_narrower_operands_are_converted_on_the_vector_unit(run_cli):
    result = run_cli("gemm", "--device", "tpu_v5e", "--m", "4", "--k", "64", "--n", "64", "--precision", "int2",
                     "--compute-as", "int4xint4", "--json")
    data = json.loads(result.out)
    assert data["compute_mode"] == "substituted" and data["converted_operand"] == "weights and activations"
    assert data["conversion_s"] > 0


@pytest.mark.parametrize("precision, passes", [("default", 1.0), ("high", 3.0), ("highest", 6.0)])
def test_float32_computed_as_bf16_passes_follows_the_matmul_precision(run_cli, precision, passes):
    """--compute-as float32 on a bf16 engine takes its passes from --matmul-precision (JAX semantics), as a float32
    GEMM does without substitution, not the device file's HIGHEST count."""
    result = run_cli("gemm", "--device", "tpu_v5e", "--m", "16", "--k", "640", "--n", "640", "--precision", "fp16",
                     "--compute-as", "float32", "--matmul-precision", precision, "--json")
    data = json.loads(result.out)
    assert data["compute_mode"] == "substituted" and data["passes"] == passes


def test_compute_as_must_be_a_pair_the_device_runs(run_cli):
    result = run_cli("simulate", *IBM_ON_TPU, "--frames", "20", "--compute-as", "fp16")
    assert result.code == 2
    assert result.err == ("hwsim: error: --compute-as: expected a pair tpu_v5e runs (bf16xbf16, int8xint8, int4xint4, "
                          "float32xfloat32), got 'fp16xfp16'\n")
    typo = run_cli("simulate", *IBM_ON_TPU, "--frames", "20", "--compute-as", "bf61")
    assert typo.code == 2 and typo.err.startswith("hwsim: error: ") and "--compute-as" in typo.err


@pytest.mark.parametrize("device, pair, nearest", [
    ("tpu_v5e", "fp16xfp16", "bf16xbf16"),   # same width and kind
    ("tpu_v5e", "int2xint2", "int4xint4"),   # the next wider integer, not bf16
    ("ibm_7nm_ai_chip", "bf16xbf16", "fp16xfp16"),
])
def test_nearest_pair(device, pair, nearest):
    assert nearest_pair(load_device(device), pair) == nearest
