"""Precision -> engine mapping: native, emulated, promoted (weight-only), rejected, unsupported."""

import pytest

from hwsim.cost.hardware import load_device
from hwsim.cost.engine_select import ComputeMode, parse_matmul_precision, parse_precision, select_engine
from hwsim.formats import NumberFormat as F
from hwsim.cost.engine_select import MatmulPrecision
from hwsim.errors import SpecError


@pytest.fixture(scope="module")
def v5e():
    return load_device("tpu_v5e")


@pytest.fixture(scope="module")
def ibm():
    return load_device("ibm_7nm_ai_chip")


def test_int4_weights_and_activations_use_int4_engine(ibm, v5e):
    for device in (ibm, v5e):
        choice = select_engine(device, F.INT4, F.INT4)
        assert (choice.compute_pair, choice.mode, choice.passes) == ("int4xint4", ComputeMode.NATIVE, 1.0)


def test_weight_only_quantization_computes_in_activation_format(v5e):
    choice = select_engine(v5e, F.INT2, F.BF16)
    assert choice.compute_pair == "bf16xbf16"
    assert choice.mode is ComputeMode.PROMOTED
    assert (choice.converted_operand, choice.convert_to) == ("weights", F.BF16)
    assert choice.peak_ops_per_s == v5e.peak_ops_per_s("bf16", "bf16")


def test_binary_weights_on_v4_promote_to_bf16():
    choice = select_engine(load_device("tpu_v4"), F.BINARY, F.BF16)
    assert (choice.compute_pair, choice.converted_operand) == ("bf16xbf16", "weights")


def test_wider_weights_promote_activations(v5e):
    choice = select_engine(v5e, F.INT8, F.INT4)
    assert (choice.compute_pair, choice.converted_operand) == ("int8xint8", "activations")


@pytest.mark.parametrize("precision, passes", [("default", 1), ("high", 3), ("highest", 6)])
def test_float32_on_bf16_mxu_takes_matmul_precision_passes(v5e, precision, passes):
    """JAX semantics: DEFAULT is one bf16 pass, HIGH bf16_3x, HIGHEST bf16_6x."""
    choice = select_engine(v5e, F.FLOAT32, F.FLOAT32, MatmulPrecision(precision))
    assert (choice.compute_pair, choice.mode, choice.passes) == ("bf16xbf16", ComputeMode.EMULATED, passes)
    assert choice.peak_ops_per_s == v5e.peak_ops_per_s("bf16", "bf16") / passes


def test_promoted_float32_activations_take_matmul_precision_passes(v5e):
    choice = select_engine(v5e, F.INT4, F.FLOAT32, MatmulPrecision.HIGH)
    assert (choice.compute_pair, choice.converted_operand, choice.passes) == ("bf16xbf16", "weights", 3)
    assert "int4 weights x float32 activations computed as bf16 x bf16" in choice.describe("tpu_v5e")


def test_matmul_precision_leaves_native_pairs_alone(v5e):
    assert select_engine(v5e, F.BF16, F.BF16, MatmulPrecision.HIGHEST).passes == 1


def test_unknown_matmul_precision_is_one_line_error():
    with pytest.raises(SpecError, match="--matmul-precision: unknown matmul precision 'hihg' .*did you mean 'high'"):
        parse_matmul_precision("hihg")


def test_int8_on_ibm_chip_is_emulated_on_int4(ibm):
    choice = select_engine(ibm, F.INT8, F.INT8)
    assert (choice.compute_pair, choice.passes) == ("int4xint4", 4)


def test_int2_activations_on_tpu_are_rejected_naming_file_and_pair(v5e):
    with pytest.raises(SpecError) as info:
        select_engine(v5e, F.INT2, F.INT2)
    assert info.value.file == "devices/tpu_v5e.yaml"
    assert info.value.got == "int2xint2"


def test_declared_rejection_is_not_promoted_around():
    with pytest.raises(SpecError, match="INT4 not supported on TPU v4"):
        select_engine(load_device("tpu_v4"), F.INT4, F.INT4)


def test_xeon_picks_the_engine_that_runs_the_pair():
    xeon = load_device("xeon_host")
    assert select_engine(xeon, F.BF16, F.BF16).engine.name == "amx"
    assert select_engine(xeon, F.FLOAT32, F.FLOAT32).engine.name == "avx512_fma"


@pytest.mark.parametrize("text, device, expected", [
    ("int8", "tpu_v5e", (F.INT8, F.INT8)),
    ("fp32", "tpu_v5e", (F.FLOAT32, F.FLOAT32)),
    ("int2xbf16", "tpu_v5e", (F.INT2, F.BF16)),
    ("w4a16", "tpu_v5e", (F.INT4, F.BF16)),
    ("w4a16", "ibm_7nm_ai_chip", (F.INT4, F.FP16)),
    ("w1a16", "tpu_v4", (F.BINARY, F.BF16)),
    ("w2a8", "tpu_v5e", (F.INT2, F.INT8)),
    ("w16a16", "tpu_v5e", (F.BF16, F.BF16)),
])
def test_parse_precision(text, device, expected):
    assert parse_precision(text, load_device(device)) == expected


@pytest.mark.parametrize("text", ["int3", "w3a16", "int4xint3", ""])
def test_parse_precision_rejects_unknown(v5e, text):
    with pytest.raises(SpecError, match="--precision: expected one of"):
        parse_precision(text, v5e)
