"""The one GEMM cost: array, memory, conversion, output scaling, passes, overlap, and `hwsim gemm` (text, JSON).

Expected values are computed by hand from the device files' figures (cited next to each number)."""

import json
from dataclasses import replace

import pytest

from hwsim.cli import main
from hwsim.cost.hardware import Dataflow, load_device
from hwsim.formats import NumberFormat as F
from hwsim.cost.gemm import gemm_cost
from hwsim.cost.engine_select import MatmulPrecision

V5E_CLOCK, V5E_HBM, V5E_VPU = 1.5e9, 819e9, 2048 * 1.5e9  # tpu_v5e.yaml: MXU clock, HBM B/s, VPU ops/s


def cycles(cost):
    return cost.time_s * cost.array.clock_hz


def serial(device):
    return replace(device, modelling=replace(device.modelling, conversion_concurrent=False))


def test_systolic_128_equals_scalesim_count():
    cost = gemm_cost(load_device("systolic_128"), 16, 300, 256, F.INT8, F.INT8)
    assert cycles(cost) == pytest.approx(6 * (2 * 128 + 128 + 16 - 2))  # SCALE-Sim prints 2387 = this - 1
    assert cost.memory_s < cost.array_s
    assert cost.time_s == pytest.approx(2388e-9)


def test_matrix_vector_on_v5e_is_memory_bound_and_counts_output_bytes():
    cost = gemm_cost(load_device("tpu_v5e"), 1, 4096, 4096, F.BF16, F.BF16)
    moved = (4096 + 4096 * 4096 + 4096) * 2  # inputs + weights + outputs, bf16
    assert cost.traffic.bytes == moved
    assert cost.memory_s == pytest.approx(moved / V5E_HBM)
    assert cost.bound == "memory"
    assert cost.time_s == pytest.approx(cost.memory_s)  # no conversion, no overhead


def test_weight_only_int4_on_tpu_overlaps_conversion_with_the_mxu():
    """The issue's example: 16 x 640 x 16384 int4xbf16 on v5e is near its packed-bytes memory time, not array + VPU."""
    device = load_device("tpu_v5e")
    cost = gemm_cost(device, 16, 640, 16384, F.INT4, F.BF16)
    packed = 640 * 16384 / 2 + (16 * 640 + 16 * 16384) * 2
    conversion = 640 * 16384 * 2 / V5E_VPU  # conversion_ops_per_element = 2
    assert cost.conversion_s == pytest.approx(conversion)
    assert cost.memory_s == pytest.approx(packed / V5E_HBM)
    assert cost.time_s == pytest.approx(max(cost.array_s, cost.memory_s, conversion))
    in_series = gemm_cost(serial(device), 16, 640, 16384, F.INT4, F.BF16)
    assert in_series.time_s == pytest.approx(max(cost.array_s, cost.memory_s) + conversion)


@pytest.mark.parametrize("fmt, bits", [(F.INT4, 4), (F.INT2, 2), (F.BINARY, 1)])
def test_lower_weight_bits_move_fewer_bytes(fmt, bits):
    cost = gemm_cost(load_device("tpu_v5e"), 16, 1024, 1024, fmt, F.BF16)
    assert cost.traffic.weight_bytes == 1024 * 1024 * bits / 8
    assert cost.conversion_s == pytest.approx(1024 * 1024 * 2 / V5E_VPU)  # K x N weights, never M x N


def test_conversion_counts_weights_not_outputs():
    device = serial(load_device("tpu_v5e"))
    wide = gemm_cost(device, 16, 64, 4096, F.INT4, F.BF16)
    tall = gemm_cost(device, 4096, 64, 16, F.INT4, F.BF16)
    assert wide.conversion_s == pytest.approx(64 * 4096 * 2 / V5E_VPU)
    assert tall.conversion_s == pytest.approx(64 * 16 * 2 / V5E_VPU)


def test_sub_channel_output_scaling_is_counted():
    device = serial(load_device("tpu_v5e"))
    plain = gemm_cost(device, 64, 1024, 1024, F.INT8, F.INT8)
    per_channel = gemm_cost(device, 64, 1024, 1024, F.INT8, F.INT8, scale_blocks=1)
    blocks = gemm_cost(device, 64, 1024, 1024, F.INT8, F.INT8, scale_blocks=8)  # block 128 along K = 1024
    assert plain.scaling_s == 0
    assert per_channel.scaling_s == pytest.approx(64 * 1024 * 2 / V5E_VPU)
    assert blocks.scaling_s == pytest.approx(8 * 64 * 1024 * 2 / V5E_VPU)
    assert blocks.time_s - plain.time_s == pytest.approx(blocks.scaling_s)


@pytest.mark.parametrize("precision, passes", [("default", 1), ("high", 3), ("highest", 6)])
def test_float32_on_v5e_repeats_the_array_work_per_matmul_precision(precision, passes):
    device = load_device("tpu_v5e")
    f32 = gemm_cost(device, 1024, 1024, 1024, F.FLOAT32, F.FLOAT32, matmul_precision=MatmulPrecision(precision))
    bf16 = gemm_cost(device, 1024, 1024, 1024, F.BF16, F.BF16)
    assert f32.array_s == pytest.approx(passes * bf16.array_s)


def test_large_square_gemm_is_compute_bound_near_peak():
    cost = gemm_cost(load_device("tpu_v5e"), 4096, 4096, 4096, F.BF16, F.BF16)
    assert cost.bound == "compute"
    assert cost.utilization > 0.95


def test_dataflow_override():
    cost = gemm_cost(load_device("systolic_128"), 200, 50, 300, F.INT8, F.INT8, dataflow=Dataflow.OS)
    assert cycles(cost) == pytest.approx(6 * (50 + 128 + 128 - 2))


def test_measured_table_replaces_array_and_memory():
    device = load_device("local_cpu")
    cost = gemm_cost(device, 4, 1280, 2560, F.FLOAT32, F.FLOAT32)
    assert cost.measured and cost.memory_s == 0
    assert cost.array_s == pytest.approx(device.gemm_table.seconds(4, 1280, 2560))


def test_cli_json_has_the_breakdown(capsys):
    code = main(["gemm", "--device", "systolic_128", "--m", "16", "--k", "300", "--n", "256", "--dataflow", "ws", "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["cycles"] == pytest.approx(2388)
    assert data["time_s"] == pytest.approx(2388e-9)
    assert data["utilization"] == pytest.approx(75 / 2388)
    assert data["bound"] == "fill_drain"  # 1,524 fill/drain cycles of 2,388; no fixed overhead (issue 29)
    for key in ("ideal_cycles", "spatial_underuse_cycles", "fill_drain_cycles", "weight_load_cycles",
                "memory_stall_cycles", "compute_pair", "notes", "matmul_precision", "computed_as",
                "conversion_overlap", "output_scaling_s"):
        assert key in data


def test_cli_text_says_what_is_computed_and_how_terms_combine(capsys):
    assert main(["gemm", "--device", "tpu_v5e", "--m", "16", "--k", "640", "--n", "16384", "--precision", "int4xbf16"]) == 0
    out = capsys.readouterr().out
    assert "int4 weights x bf16 activations computed as bf16 x bf16 (weights converted) on tpu_v5e mxu" in out
    assert "max(array, memory, conversion)" in out
    assert "bound:" in out


def test_cli_rejects_unknown_matmul_precision(capsys):
    assert main(["gemm", "--device", "tpu_v5e", "--m", "1", "--k", "1", "--n", "1", "--matmul-precision", "hgh"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["hwsim: error: --matmul-precision: unknown matmul precision 'hgh' (did you mean 'high'?); "
                   "known: default, high, highest"]


@pytest.mark.parametrize("argv, term, label", [
    (["--device", "tpu_v4", "--m", "1", "--k", "512", "--n", "512"], "weight_load", "weight-load stall"),  # 255 > 254
    (["--device", "systolic_128", "--m", "16", "--k", "300", "--n", "256", "--dataflow", "ws"], "fill_drain",
     "fill/drain"),
])
def test_bound_names_the_pipeline_term_that_dominates(capsys, argv, term, label):
    """issue 29: a GEMM whose time is mostly weight-load stall said 'bound: overhead' (no fixed overhead at all)."""
    assert main(["gemm", *argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["overhead_cycles"] == 0
    assert data["bound"] == term
    assert main(["gemm", *argv]) == 0
    assert f"bound: {label}\n" in capsys.readouterr().out
