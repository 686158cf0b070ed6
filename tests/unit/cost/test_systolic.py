"""Fold-model cycles against hand-derived formulas (module docstring of hwsim/cost/systolic.py)."""

import math

import pytest

from hwsim.cost.hardware import Dataflow, FillDrain, WeightLoad
from hwsim.cost.systolic import gemm_cycles
from hwsim.errors import SpecError

WS, OS, IS = Dataflow.WS, Dataflow.OS, Dataflow.IS
R = C = 128


def scalesim(m, k, n, dataflow, *, rows=R, cols=C):
    """SCALE-Sim's per-fold counts: ws/is 2R + C + T - 2, os R + C + T - 2 (this count; SCALE-Sim prints it - 1)."""
    sr, sc, t = {WS: (k, n, m), OS: (m, n, k), IS: (k, m, n)}[dataflow]
    folds = math.ceil(sr / rows) * math.ceil(sc / cols)
    preload = rows if dataflow is not OS else 0
    return folds * (preload + rows + cols + t - 2)


SHAPES = [(1, 128, 128), (16, 300, 256), (16, 1024, 1024), (200, 50, 300), (128, 128, 128), (1000, 700, 129)]


@pytest.mark.parametrize("dataflow", [WS, OS, IS])
@pytest.mark.parametrize("m, k, n", SHAPES)
def test_scalesim_knobs_reproduce_scalesim_fold_formula(m, k, n, dataflow):
    cycles = gemm_cycles(m, k, n, rows=R, cols=C, dataflow=dataflow, weight_load=WeightLoad.STALL,
                         fill_drain=FillDrain.PER_FOLD)
    assert cycles.total_cycles == scalesim(m, k, n, dataflow)


def test_ws_breakdown_by_hand_small_m():
    # M=16, K=300, N=256: folds = ceil(300/128) * ceil(256/128) = 3 * 2 = 6
    c = gemm_cycles(16, 300, 256, rows=R, cols=C, dataflow=WS, weight_load=WeightLoad.STALL, fill_drain=FillDrain.PER_FOLD)
    assert c.folds == 6 and c.streamed_per_fold == 16
    assert c.ideal_cycles == 16 * 300 * 256 / (128 * 128)  # 75
    assert c.stream_cycles == 6 * 16
    assert c.spatial_underuse_cycles == 96 - 75
    assert c.fill_drain_cycles == 6 * 254
    assert c.weight_load_cycles == 6 * 128
    assert c.total_cycles == 6 * (2 * 128 + 128 + 16 - 2) == 2388
    assert c.utilization == pytest.approx(75 / 2388)
    assert any("small streamed dimension" in note for note in c.notes)


def test_os_has_no_weight_load():
    # M=200, K=50, N=300: folds = ceil(200/128) * ceil(300/128) = 2 * 3 = 6, each 50 + 254 cycles
    c = gemm_cycles(200, 50, 300, rows=R, cols=C, dataflow=OS, weight_load=WeightLoad.STALL, fill_drain=FillDrain.PER_FOLD)
    assert (c.folds, c.weight_load_cycles, c.total_cycles) == (6, 0, 6 * 304)


def test_overlapped_weight_load_and_single_fill_by_hand():
    # M=16, K=N=256: 4 folds of 16 streamed rows; one 254-cycle fill; first load 128, then 3 x (128 - 16) unhidden
    c = gemm_cycles(16, 256, 256, rows=R, cols=C, dataflow=WS, weight_load=WeightLoad.OVERLAPPED, fill_drain=FillDrain.ONCE)
    assert (c.stream_cycles, c.fill_drain_cycles, c.weight_load_cycles) == (64, 254, 128 + 3 * 112)
    assert c.total_cycles == 782


def test_overlapped_load_is_hidden_when_streamed_dimension_covers_it():
    c = gemm_cycles(512, 256, 256, rows=R, cols=C, dataflow=WS, weight_load=WeightLoad.OVERLAPPED, fill_drain=FillDrain.ONCE)
    assert c.weight_load_cycles == 128  # only the first tile
    assert c.total_cycles == 4 * 512 + 254 + 128
    assert not c.notes


def test_overlapped_load_hides_behind_per_fold_fill():
    # hidden window per fold = T + R + C - 2 >= R, so only the first load stalls
    c = gemm_cycles(1, 512, 128, rows=R, cols=C, dataflow=WS, weight_load=WeightLoad.OVERLAPPED, fill_drain=FillDrain.PER_FOLD)
    assert c.weight_load_cycles == 128


def test_small_m_assumption_spread():
    """M=16 on one 128x128 array: roofline vs double-buffered vs SCALE-Sim differ by large factors."""
    kw = dict(rows=R, cols=C, dataflow=WS)
    stall = gemm_cycles(16, 1024, 1024, weight_load=WeightLoad.STALL, fill_drain=FillDrain.PER_FOLD, **kw)
    hidden = gemm_cycles(16, 1024, 1024, weight_load=WeightLoad.OVERLAPPED, fill_drain=FillDrain.ONCE, **kw)
    assert stall.ideal_cycles == hidden.ideal_cycles == 64 * 16
    assert stall.total_cycles == 64 * 398  # SCALE-Sim
    assert hidden.total_cycles == 64 * 16 + 254 + 128 + 63 * 112  # load-bound
    assert hidden.total_cycles / hidden.ideal_cycles == pytest.approx(8.26, abs=0.01)  # ~8x a roofline
    assert stall.total_cycles / stall.ideal_cycles == pytest.approx(398 / 16)  # ~25x a roofline


def test_sub_word_parallelism_packs_the_reduction_dimension():
    # 2 MACs per PE (int8 on TPU v5e): K=256 fits one 128-row tile
    c = gemm_cycles(128, 256, 128, rows=R, cols=C, dataflow=WS, weight_load=WeightLoad.STALL,
                    fill_drain=FillDrain.PER_FOLD, macs_per_pe=2)
    assert c.folds == 1
    assert c.ideal_cycles == 128
    assert c.total_cycles == 2 * 128 + 128 + 128 - 2


def test_folds_spread_over_arrays():
    # 4 arrays, 16 folds -> 4 folds each
    c = gemm_cycles(256, 512, 512, rows=R, cols=C, dataflow=WS, weight_load=WeightLoad.STALL,
                    fill_drain=FillDrain.PER_FOLD, arrays=4)
    assert (c.folds, c.folds_per_array) == (16, 4)
    assert c.total_cycles == 4 * (2 * 128 + 128 + 256 - 2)
    assert c.ideal_cycles == 256 * 512 * 512 / (128 * 128 * 4)


def test_fewer_folds_than_arrays_split_the_streamed_dimension():
    c = gemm_cycles(512, 128, 128, rows=R, cols=C, dataflow=WS, weight_load=WeightLoad.OVERLAPPED,
                    fill_drain=FillDrain.ONCE, arrays=4)
    assert (c.folds, c.folds_per_array, c.streamed_per_fold) == (1, 1, 128)
    assert c.total_cycles == 128 + 254 + 128
    assert any("split across arrays" in note for note in c.notes)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_dims_must_be_positive_ints(bad):
    with pytest.raises(SpecError, match="m: expected a whole number > 0"):
        gemm_cycles(bad, 1, 1, rows=R, cols=C, dataflow=WS, weight_load=WeightLoad.STALL, fill_drain=FillDrain.PER_FOLD)
