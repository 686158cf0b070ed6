"""Broken device files and bad `hwsim gemm` arguments: one line on stderr, exit code 2, no traceback."""

from pathlib import Path

import pytest

from hwsim.cli import main

HERE = Path(__file__).parent / "devices"
SHOWN = "tests/bad_input/devices"


def run_gemm(capsys, *args: str) -> tuple[int, str]:
    code = main(["gemm", *args])
    err = capsys.readouterr().err
    return code, err


def assert_one_line_error(code: int, err: str, expected: str) -> None:
    assert code == 2
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    assert err == expected + "\n"


@pytest.mark.parametrize("fixture, expected", [
    ("missing_figure", "matrix_engines[0].clock_hz: expected required key 'clock_hz', got nothing"),
    ("negative_figure", "memory[0].bandwidth_gb_per_s.value: expected a number > 0, got -819"),
    ("no_provenance", "matrix_engines[0].rows: expected exactly one of 'source' (where the figure is published), "
                      "'assumption' (why this value is used) or 'measured' (which benchmark on this machine gave it), "
                      "got none"),
    ("both_provenances", "matrix_engines[0].rows: expected exactly one of 'source' (where the figure is published), "
                         "'assumption' (why this value is used) or 'measured' (which benchmark on this machine gave "
                         "it), got two"),
    ("bare_number", "matrix_engines[0].rows: expected a mapping {value: ..., source: ...} or "
                    "{value: ..., assumption: ...}, got 4"),
    ("unknown_key", "matrix_engines[0].colls: unknown key (did you mean 'cols'?); known keys: name, kind, cores, "
                    "arrays_per_core, rows, cols, clock_hz, precisions, tiling"),
    ("wrong_schema_version", "schema_version: expected 1, got 2"),
    ("bad_operand_memory", "modelling.operand_memory.value: expected a memory level name (sram), got 'hbm'"),
])
def test_broken_device_file(capsys, fixture, expected):
    code, err = run_gemm(capsys, "--device", str(HERE / f"{fixture}.yaml"), "--m", "1", "--k", "1", "--n", "1")
    assert_one_line_error(code, err, f"hwsim: error: {SHOWN}/{fixture}.yaml: {expected}")


def test_bad_precision_pair_key_suggests_the_nearest(capsys):
    code, err = run_gemm(capsys, "--device", str(HERE / "bad_pair.yaml"), "--m", "1", "--k", "1", "--n", "1")
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"hwsim: error: {SHOWN}/bad_pair.yaml: matrix_engines[0].precisions: expected precision pair")
    assert "got 'int8xin8' (did you mean 'int8xint8'?)" in err


def test_unsupported_precision_names_device_file_and_pair(capsys):
    code, err = run_gemm(capsys, "--device", "tpu_v5e", "--m", "16", "--k", "64", "--n", "64", "--precision", "w2a2")
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("hwsim: error: devices/tpu_v5e.yaml: matrix_engines[0].precisions: expected a weight x "
                          "activation pair an engine runs natively, emulated or by promotion")
    assert err.rstrip().endswith("got 'int2xint2'")


def test_rejected_precision_gives_the_reason(capsys):
    code, err = run_gemm(capsys, "--device", "ibm_7nm_ai_chip", "--m", "1", "--k", "1", "--n", "1", "--precision", "fp32")
    assert_one_line_error(code, err, "hwsim: error: devices/ibm_7nm_ai_chip.yaml: "
                          "matrix_engines[0].precisions.float32xfloat32: expected a precision ibm_7nm_ai_chip "
                          "supports; rejected because no FP32 in the MPE array [S1][S2]; FP32 only in the SFUs [S8]; "
                          "the nearest pair it runs is fp16xfp16: --compute-as fp16xfp16 computes float32xfloat32 as "
                          "fp16xfp16, got 'float32xfloat32'")


def test_unknown_precision_spelling(capsys):
    code, err = run_gemm(capsys, "--device", "tpu_v5e", "--m", "1", "--k", "1", "--n", "1", "--precision", "int3")
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("hwsim: error: --precision: expected one of float32, bf16")
    assert err.rstrip().endswith("got 'int3' (did you mean 'int8'?)")


@pytest.mark.parametrize("flag, value, shown", [("--m", "0", "0"), ("--k", "-3", "-3"), ("--n", "abc", "'abc'")])
def test_gemm_dims_must_be_positive_whole_numbers(capsys, flag, value, shown):
    dims = {"--m": "1", "--k": "1", "--n": "1", flag: value}
    code, err = run_gemm(capsys, "--device", "tpu_v5e", *[x for kv in dims.items() for x in kv])
    assert_one_line_error(code, err, f"hwsim: error: {flag}: expected a whole number > 0, got {shown}")


def test_unknown_device_name_suggests_the_nearest(capsys):
    code, err = run_gemm(capsys, "--device", "tpu_v5x", "--m", "1", "--k", "1", "--n", "1")
    assert code == 2 and err.count("\n") == 1
    assert "unknown device 'tpu_v5x' (did you mean 'tpu_v5p'?)" in err
