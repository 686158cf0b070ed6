"""GEMM cost composition: memory stall, conversion, passes, bound, and the `hwsim gemm --json` object."""

import json

import pytest

from hwsim.cli import main
from hwsim.cost.device import Dataflow, load_device
from hwsim.cost.formats import NumberFormat as F
from hwsim.cost.gemm import gemm_cost


def test_systolic_128_equals_scalesim_count():
    cost = gemm_cost(load_device("systolic_128"), 16, 300, 256, F.INT8, F.INT8)
    assert cost.cycles == 6 * (2 * 128 + 128 + 16 - 2)  # SCALE-Sim prints 2387 = this - 1
    assert cost.memory_stall_cycles == 0
    assert cost.time_s == pytest.approx(2388e-9)


def test_matrix_vector_on_v5e_is_memory_bound():
    device = load_device("tpu_v5e")
    cost = gemm_cost(device, 1, 4096, 4096, F.BF16, F.BF16)
    moved = (4096 + 4096 * 4096 + 4096) * 2
    assert cost.bytes_moved == moved
    assert cost.memory_cycles == pytest.approx(moved / 819e9 * 1.5e9)
    assert cost.bound == "memory"
    assert cost.cycles == pytest.approx(cost.memory_cycles)  # no conversion, no overhead


def test_weight_only_int2_moves_fewer_bytes_but_pays_dequantization():
    device = load_device("tpu_v5e")
    w2 = gemm_cost(device, 16, 1024, 1024, F.INT2, F.BF16)
    bf16 = gemm_cost(device, 16, 1024, 1024, F.BF16, F.BF16)
    assert w2.bytes_moved == 16 * 1024 * 2 + 1024 * 1024 / 4 + 16 * 1024 * 2
    assert bf16.bytes_moved == 16 * 1024 * 2 + 1024 * 1024 * 2 + 16 * 1024 * 2
    # 1024*1024 weights x 2 ops / (2048 ops/cycle x 1.5 GHz) = 1024 MXU cycles at 1.5 GHz
    assert w2.conversion_cycles == pytest.approx(1024)
    assert w2.systolic == bf16.systolic


def test_emulated_float32_repeats_the_array_work():
    device = load_device("tpu_v5e")
    f32 = gemm_cost(device, 1024, 1024, 1024, F.FLOAT32, F.FLOAT32)
    bf16 = gemm_cost(device, 1024, 1024, 1024, F.BF16, F.BF16)
    assert f32.array_cycles == 6 * bf16.array_cycles


def test_large_square_gemm_is_compute_bound_near_peak():
    cost = gemm_cost(load_device("tpu_v5e"), 4096, 4096, 4096, F.BF16, F.BF16)
    assert cost.bound == "compute"
    assert cost.utilization > 0.95


def test_dataflow_override():
    device = load_device("systolic_128")
    cost = gemm_cost(device, 200, 50, 300, F.INT8, F.INT8, Dataflow.OS)
    assert cost.cycles == 6 * (50 + 128 + 128 - 2)


def test_cli_json_has_the_breakdown(capsys):
    code = main(["gemm", "--device", "systolic_128", "--m", "16", "--k", "300", "--n", "256", "--dataflow", "ws", "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["cycles"] == 2388
    assert data["time_s"] == pytest.approx(2388e-9)
    assert data["utilization"] == pytest.approx(75 / 2388)
    assert data["bound"] == "overhead"
    for key in ("ideal_cycles", "spatial_underuse_cycles", "fill_drain_cycles", "weight_load_cycles",
                "memory_stall_cycles", "compute_pair", "notes"):
        assert key in data


def test_cli_text_defaults_to_first_native_pair(capsys):
    assert main(["gemm", "--device", "tpu_v5e", "--m", "128", "--k", "128", "--n", "128"]) == 0
    out = capsys.readouterr().out
    assert "weights bf16, activations bf16 -> computes bf16xbf16 (native)" in out
    assert "bound:" in out
