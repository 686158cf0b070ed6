"""Tensor-core GEMM cycles (hwsim.cost.tensorcore) and GPU launch modes (hwsim.cost.gpu_launch), hand-computed."""

import math

import pytest

from hwsim.cost.hardware import Tiling, load_device, with_cuda_graphs
from hwsim.formats import NumberFormat
from hwsim.cost.gemm import gemm_cost
from hwsim.cost.tensorcore import tensorcore_cycles
from hwsim.errors import SpecError

BF16 = NumberFormat.BF16
# 4 SMs x 4 tensor cores x 8 MACs = 32 MACs per SM per cycle; 16 x 16 tiles, M tiles down to 8, half of peak
SMALL = dict(sms=4, tensor_cores_per_sm=4, macs_per_tensor_core=8.0,
             tiling=Tiling(tile_m=16, tile_n=16, min_tile_m=8, tiles_per_sm=1, peak_fraction=0.5))


def test_one_full_wave():
    # 32 x 32 outputs = 2 x 2 tiles on 4 SMs: one wave of 16*16*10 MACs at 32 * 0.5 MACs/cycle per SM
    c = tensorcore_cycles(32, 10, 32, **SMALL)
    assert (c.tile_m, c.tiles, c.slots, c.waves) == (16, 4, 4, 1)
    assert c.cycles == 16 * 16 * 10 / 16 == 160
    assert c.ideal_cycles == 32 * 10 * 32 / (4 * 32) == 80
    assert c.wave_efficiency == 1 and c.tile_efficiency == 1


def test_one_tile_more_than_a_wave_takes_a_second_wave():
    # 32 x 48: 2 x 3 = 6 tiles on 4 slots -> 2 waves, twice the one-wave time though only 1.5x the work
    c = tensorcore_cycles(32, 10, 48, **SMALL)
    assert (c.tiles, c.waves) == (6, 2)
    assert c.cycles == 2 * 160
    assert c.wave_efficiency == 6 / 8


def test_small_m_picks_a_narrower_tile():
    # M = 3 rounds up to min_tile_m = 8 (not the 16-row tile): 1 x 4 tiles, one wave of 8*16*10 MACs
    c = tensorcore_cycles(3, 10, 64, **SMALL)
    assert (c.tile_m, c.tiles, c.waves) == (8, 4, 1)
    assert c.cycles == 8 * 16 * 10 / 16 == 80
    assert c.tile_efficiency == 3 / 8


def test_fewer_tiles_than_slots_split_k():
    # M = 3, N = 16: one 8 x 16 tile on 4 slots -> K = 10 split 4 ways, ceil(10 / 4) = 3 per block
    c = tensorcore_cycles(3, 10, 16, **SMALL)
    assert (c.tiles, c.split_k, c.waves) == (1, 4, 1)
    assert c.cycles == 8 * 16 * 3 / 16 == 24


def test_resident_blocks_share_the_sm():
    # two blocks per SM: 8 slots, 8 tiles in one wave, each SM does two tiles' work
    tiling = Tiling(16, 16, 8, 2, 0.5)
    c = tensorcore_cycles(32, 10, 64, **{**SMALL, "tiling": tiling})
    assert (c.tiles, c.slots, c.waves) == (8, 8, 1)
    assert c.cycles == 2 * 16 * 16 * 10 / 16


def test_h100_large_gemm_by_hand():
    # 4096^3 bf16 on 132 SMs: 32 x 32 = 1024 tiles of 128 x 128 -> ceil(1024 / 132) = 8 waves;
    # SM = 4 tensor cores x 512 MACs; peak fraction 0.75; tensor clock 1.83 GHz
    device = load_device("h100_sxm")
    cost = gemm_cost(device, 4096, 4096, 4096, BF16, BF16)
    cycles = 8 * 128 * 128 * 4096 / (4 * 512 * 0.75)
    assert cost.array.details["waves"] == 8
    assert cost.array_s == pytest.approx(cycles / 1.83e9, rel=1e-12)
    assert cost.time_s == pytest.approx(cycles / 1.83e9 + 5e-6, rel=1e-12)  # compute bound + one eager launch
    assert cost.bound == "compute"


def test_h100_wave_quantization_step():
    # M = 128: N = 132 tiles fills one wave; one more tile column costs a whole second wave
    device = load_device("h100_sxm")
    one = gemm_cost(device, 128, 8192, 128 * 132, BF16, BF16).array_s
    two = gemm_cost(device, 128, 8192, 128 * 133, BF16, BF16).array_s
    assert two == pytest.approx(2 * one, rel=1e-12)


def test_small_m_gemm_is_memory_bound_on_the_shared_roofline():
    # a decoder-step GEMM (M = 4): weights 4096 x 4096 bf16 streamed from HBM at 3.35 TB/s
    device = load_device("h100_sxm")
    cost = gemm_cost(device, 4, 4096, 4096, BF16, BF16)
    weights_s = 4096 * 4096 * 2 / 3350e9
    assert cost.memory_s == pytest.approx(weights_s + (4 * 4096 * 2) * 2 / 3350e9, rel=1e-9)
    assert cost.memory_s > cost.array_s
    assert cost.time_s == pytest.approx(cost.memory_s + 5e-6, rel=1e-12)


@pytest.mark.parametrize("name, pair, tops", [
    ("h100_sxm", "bf16", 989.4), ("h100_sxm", "int8", 1978.9), ("h100_sxm", "fp8_e4m3", 1978.9),
    ("h200_sxm", "bf16", 989.4), ("a100_sxm_80gb", "bf16", 312), ("a100_pcie_80gb", "int8", 624),
    ("a100_sxm_80gb", "int4", 1248), ("l4", "fp8_e4m3", 242.5), ("l4", "bf16", 121),
])
def test_dense_peaks_match_the_datasheets(name, pair, tops):
    assert load_device(name).peak_ops_per_s(pair, pair) / 1e12 == pytest.approx(tops, rel=0.005)


def test_hopper_int4_is_emulated_at_the_int8_rate():
    device = load_device("h100_sxm")
    int4 = gemm_cost(device, 4096, 4096, 4096, NumberFormat.INT4, NumberFormat.INT4)
    int8 = gemm_cost(device, 4096, 4096, 4096, NumberFormat.INT8, NumberFormat.INT8)
    assert int4.choice.mode.value == "emulated" and "emulated" in int4.choice.describe("h100_sxm")
    assert int4.array_s == int8.array_s


def test_eager_and_graph_launches():
    device = load_device("h100_sxm")
    assert (device.modelling.overhead_s, device.modelling.dispatch_latency_s) == (5e-6, 0.0)
    graphs = with_cuda_graphs(device, True)
    assert (graphs.modelling.overhead_s, graphs.modelling.dispatch_latency_s) == (1e-6, 5e-6)
    assert with_cuda_graphs(graphs, False).modelling == device.modelling


def test_cuda_graphs_on_a_device_without_a_gpu_section_is_an_error():
    with pytest.raises(SpecError, match="expected a GPU device file"):
        with_cuda_graphs(load_device("tpu_v5e"), True)


def test_cuda_graphs_remove_launches_from_every_decoder_step():
    from hwsim.cost.options import RunOptions
    from hwsim.pipeline.point import RunRequest, prepare_point

    def prediction_s(graphs: bool) -> tuple[float, int]:
        request = RunRequest(workload="ibm_rnnt_swb", precision="int4", device="h100_sxm", frames=20, beam=4,
                             options=RunOptions(cuda_graphs=graphs))
        costs = prepare_point(request).costs
        return sum(s.duration_s for s in costs.prediction(4)), len(costs.prediction_ops)

    eager, kernels = prediction_s(False)
    graphs, _ = prediction_s(True)
    # per call: each kernel's launch drops from 5 us to 1 us; one 5 us graph launch is added
    assert eager - graphs == pytest.approx(kernels * (5e-6 - 1e-6) - 5e-6, rel=1e-9)
    assert kernels > 2 and math.isfinite(graphs)


def test_gemm_command_equals_the_cost_table_op_on_a_gpu(capsys):
    import json

    from hwsim.cli import main

    assert main(["cost", "ibm_rnnt_swb", "fp16", "--device", "h100_sxm", "--frames", "4", "--json"]) == 0
    op = next(o for o in json.loads(capsys.readouterr().out)["ops"] if o["name"] == "encoder.layers.1.fwd.input_proj")
    assert main(["gemm", "--device", "h100_sxm", "--m", str(op["rows"]), "--k", "1280", "--n", "2560",
                 "--precision", "fp16", "--json"]) == 0
    gemm = json.loads(capsys.readouterr().out)
    assert gemm["time_s"] == op["time_s"] and gemm["overhead_s"] == 5e-6
