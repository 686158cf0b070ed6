"""Cost invariants (issue 28, item 4): which component a merged segment is booked to, and GEMM folds / tiles that
do not divide evenly over several arrays or block slots, all hand-worked from the module docstrings of
hwsim/cost/calls.py, systolic.py and tensorcore.py."""

from __future__ import annotations

import pytest

from hwsim.cost.calls import merge_segments
from hwsim.cost.hardware import Dataflow, FillDrain, Tiling, WeightLoad
from hwsim.cost.options import Placement
from hwsim.cost.systolic import gemm_cycles
from hwsim.cost.tensorcore import tensorcore_cycles
from hwsim.cost.segments import OpInfo, Segment

WS, OS = Dataflow.WS, Dataflow.OS
STALL, OVERLAPPED = WeightLoad.STALL, WeightLoad.OVERLAPPED
PER_FOLD, ONCE = FillDrain.PER_FOLD, FillDrain.ONCE


def op(name: str, seconds: float) -> OpInfo:
    return OpInfo(name, seconds)


# ---- merged segments ----
def test_merging_keeps_resource_and_component_apart_by_hand():
    a, b, e = op("a", 1.0), op("b", 2.0), op("e", 16.0)
    merged = merge_segments([
        Segment("matrix", "encoder", 1.0, "a", (a,)),
        Segment("matrix", "encoder", 2.0, "b", (b,)),
        Segment("matrix", "prediction", 4.0, "c"),        # same lane, another component: a segment of its own
        Segment("vector", "prediction", 8.0, "d"),        # another lane, same component: its own too
        Segment("vector", "prediction", 0.0, "z"),        # nothing to do: dropped
        Segment("vector", "prediction", 16.0, "e", (e,)),
        Segment("vector", "prediction", 32.0, "f"),
    ])
    assert [(s.resource, s.component, s.duration_s, s.label) for s in merged] == [
        ("matrix", "encoder", 3.0, "a..."), ("matrix", "prediction", 4.0, "c"),
        ("vector", "prediction", 56.0, "d...")]
    assert merged[0].ops == (a, b) and merged[2].ops == (e,)


def test_a_merged_repeat_keeps_no_op_detail():
    # ops of a segment standing for several steps cannot be concatenated with a single step's
    merged = merge_segments([Segment("matrix", "encoder", 3.0, "x3", (op("s", 1.0),), repeat=3),
                             Segment("matrix", "encoder", 1.0, "one", (op("o", 1.0),))])
    assert len(merged) == 1 and merged[0].ops == () and merged[0].duration_s == 4.0 and merged[0].repeat == 1


def test_merged_segments_never_touch_a_neighbour_of_the_same_lane_and_component():
    segs = [Segment(r, c, 1.0, f"{r}.{c}") for r, c in [("cpu", "joint"), ("cpu", "joint"), ("cpu", "search"),
                                                        ("cpu", "joint"), ("matrix", "joint")]]
    merged = merge_segments(segs)
    assert [(s.resource, s.component, s.duration_s) for s in merged] == [
        ("cpu", "joint", 2.0), ("cpu", "search", 1.0), ("cpu", "joint", 1.0), ("matrix", "joint", 1.0)]
    assert sum(s.duration_s for s in merged) == sum(s.duration_s for s in segs)


@pytest.mark.parametrize("device, precision", [("tpu_v5e", "fp32"), ("ibm_7nm_ai_chip", "fp16")])
@pytest.mark.parametrize("search_on", [Placement.HOST, Placement.ACCELERATOR])
def test_every_call_books_its_segments_to_its_own_component(prepared_small, search_on, device, precision):
    """Launches, gathers, step latencies and staged weight loads merge with the ops beside them; each must land on
    the component of the call that pays it (a recurrent step's latency on the encoder, a launch on its call), and
    an op on the component of its layer (joint.enc_proj and joint.pred_proj, run in the encoder and prediction
    calls, on the joint)."""
    latencies = ("modelling.dispatch_latency_s.value=2e-05", "modelling.step_latency_s.value=3e-07")
    costs = prepared_small(device, precision, overrides=latencies, search_on=search_on).costs
    calls = {"encoder": [costs.encoder(8), costs.encoder(8, True), costs.encoder_batch(8, 3),
                         costs.encoder_packed((8, 5, 2))],
             "prediction": [costs.prediction(1), costs.prediction(3)],
             "joint": [costs.joint(1), costs.joint(3)], "search": [costs.search(1), costs.search(3)],
             "transfer": [costs.transfer(3)]}
    for component, segment_lists in calls.items():
        for segments in segment_lists:
            for s in segments:   # the joint's projections: the joint's
                expected = "joint" if s.label.startswith("joint.") else component
                assert s.component == expected, (component, s.label)
            for s, t in zip(segments, segments[1:]):
                assert (s.resource, s.component) != (t.resource, t.component)
    assert sum(s.duration_s for s in costs.encoder(8) if s.resource == "matrix") > 8 * 4 * 2 * 3e-07
    if device == "ibm_7nm_ai_chip":   # it stages the recurrent weights: their loads are the encoder's
        loads = [s for s in costs.encoder(8) if s.label.startswith("load ")]
        assert len(loads) == 8 and {(s.resource, s.component) for s in loads} == {("memory", "encoder")}


def test_a_call_without_latencies_has_no_empty_segments(prepared_small):
    """Zero launch and step latencies leave no zero-length segment behind (an event and a trace row for nothing)."""
    zero = ("modelling.dispatch_latency_s.value=0", "modelling.step_latency_s.value=0")
    costs = prepared_small(overrides=zero, search_on=Placement.HOST).costs
    for segments in (costs.encoder(8), costs.encoder(8, True), costs.encoder_packed((8, 3)), costs.prediction(2),
                     costs.joint(2), costs.search(2)):
        assert all(s.duration_s > 0 for s in segments)
        assert not any(s.label.endswith(("launch", "latency")) for s in segments)


def test_final_hypotheses_cross_the_link_once_with_their_scores(prepared_small):
    # search on the accelerator: beam 4 hypotheses of 10 labels, each label int32 and one float32 score:
    # 4 x 11 x 4 = 176 bytes at 15 GB/s after the 10 us link latency (tpu_v5e.yaml host_link)
    cost = prepared_small(search_on=Placement.ACCELERATOR).costs.final_transfer_cost(4, 10)
    assert cost.bytes == 176
    assert cost.time_s == pytest.approx(1e-05 + 176 / 15e9)


# ---- systolic: folds that do not divide evenly over the arrays ----
def test_six_folds_on_four_arrays_take_two_rounds():
    # WS: K = 384 -> 3 row tiles, N = 256 -> 2 col tiles: 6 folds; on 4 arrays the busiest holds ceil(6/4) = 2.
    # stall + per-fold: 2 x (2R + C + T - 2) = 2 x (256 + 128 + 64 - 2) = 892; ideal 64*384*256/(128*128*4) = 96.
    c = gemm_cycles(64, 384, 256, rows=128, cols=128, dataflow=WS, weight_load=STALL, fill_drain=PER_FOLD, arrays=4)
    assert (c.folds, c.folds_per_array, c.streamed_per_fold) == (6, 2, 64)
    assert c.ideal_cycles == 96 and c.spatial_underuse_cycles == 2 * 64 - 96
    assert (c.fill_drain_cycles, c.weight_load_cycles) == (2 * 254, 2 * 128)
    assert c.total_cycles == 892
    # overlapped load, one fill: R + (2 - 1) x max(0, R - T) = 128 + 64 = 192 load, 254 fill, 128 streamed
    o = gemm_cycles(64, 384, 256, rows=128, cols=128, dataflow=WS, weight_load=OVERLAPPED, fill_drain=ONCE, arrays=4)
    assert (o.weight_load_cycles, o.fill_drain_cycles, o.total_cycles) == (192, 254, 574)


def test_five_output_folds_on_two_arrays():
    # OS: M = 640 -> 5 tiles, N = 128 -> 1: 5 folds, ceil(5/2) = 3 on the busiest array, K = 200 streamed each.
    # per fold R + C + T - 2 = 454 -> 1362; one fill: 3 x 200 + 254 = 854. ideal 640*200*128/(128*128*2) = 500.
    c = gemm_cycles(640, 200, 128, rows=128, cols=128, dataflow=OS, weight_load=STALL, fill_drain=PER_FOLD, arrays=2)
    assert (c.folds, c.folds_per_array, c.weight_load_cycles) == (5, 3, 0)
    assert (c.ideal_cycles, c.spatial_underuse_cycles, c.total_cycles) == (500, 100, 1362)
    once = gemm_cycles(640, 200, 128, rows=128, cols=128, dataflow=OS, weight_load=STALL, fill_drain=ONCE, arrays=2)
    assert once.total_cycles == 854


def test_three_folds_on_eight_arrays_replicate_each_tile_twice():
    # WS: K = 384 -> 3 folds on 8 arrays: 8 // 3 = 2 copies of each tile, each streaming ceil(100 / 2) = 50 rows
    # (two arrays idle). stall + per fold: 50 + 254 + 128 = 432; ideal 100*384*128/(128*128*8) = 37.5.
    c = gemm_cycles(100, 384, 128, rows=128, cols=128, dataflow=WS, weight_load=STALL, fill_drain=PER_FOLD, arrays=8)
    assert (c.folds, c.folds_per_array, c.streamed_per_fold) == (3, 1, 50)
    assert (c.ideal_cycles, c.spatial_underuse_cycles, c.total_cycles) == (37.5, 12.5, 432)
    assert any("3 fold(s) on 8 arrays" in note for note in c.notes)


def test_a_non_square_array_tiles_rows_and_columns_by_their_own_sizes():
    # 32 x 8 array. WS: K = 64 over 32 rows (2), N = 64 over 8 columns (8): 16 folds of 2R + C + M - 2 = 80.
    # IS: K = 64 over rows (2), M = 10 over columns (2): 4 folds streaming N = 50: 4 x (64 + 8 + 50 - 2) = 480.
    ws = gemm_cycles(10, 64, 64, rows=32, cols=8, dataflow=WS, weight_load=STALL, fill_drain=PER_FOLD)
    assert (ws.folds, ws.total_cycles) == (16, 16 * 80)
    is_ = gemm_cycles(10, 64, 50, rows=32, cols=8, dataflow=Dataflow.IS, weight_load=STALL, fill_drain=PER_FOLD)
    assert (is_.folds, is_.streamed_per_fold, is_.total_cycles) == (4, 50, 480)
    os_ = gemm_cycles(64, 50, 10, rows=32, cols=8, dataflow=OS, weight_load=STALL, fill_drain=PER_FOLD)
    assert (os_.folds, os_.total_cycles) == (2 * 2, 4 * (32 + 8 + 50 - 2))   # M over rows, N over columns


def test_packed_reduction_folds_unevenly_over_three_arrays():
    # 2 MACs per PE: K = 384 packs to 192 -> 2 row tiles; N = 256 -> 2: 4 folds on 3 arrays -> 2 each.
    c = gemm_cycles(32, 384, 256, rows=128, cols=128, dataflow=WS, weight_load=STALL, fill_drain=PER_FOLD, arrays=3,
                    macs_per_pe=2)
    assert (c.folds, c.folds_per_array) == (4, 2)
    assert c.ideal_cycles == pytest.approx(32 * 384 * 256 / (128 * 128 * 3 * 2))
    assert c.total_cycles == 2 * (2 * 128 + 128 + 32 - 2)


@pytest.mark.parametrize("arrays", [1, 2, 3, 4, 5, 7, 8])
@pytest.mark.parametrize("m, k, n", [(1, 128, 128), (100, 384, 128), (64, 384, 256), (640, 200, 129)])
def test_more_arrays_never_slow_a_gemm_and_never_beat_the_ideal(m, k, n, arrays):
    one = gemm_cycles(m, k, n, rows=128, cols=128, dataflow=WS, weight_load=STALL, fill_drain=PER_FOLD)
    many = gemm_cycles(m, k, n, rows=128, cols=128, dataflow=WS, weight_load=STALL, fill_drain=PER_FOLD,
                       arrays=arrays)
    assert many.total_cycles <= one.total_cycles
    assert many.stream_cycles >= many.ideal_cycles == pytest.approx(one.ideal_cycles / arrays)
    assert many.folds_per_array * min(arrays, many.folds) >= many.folds


# ---- tensor cores: tiles that do not fill the block slots evenly ----
SMALL = dict(sms=4, tensor_cores_per_sm=4, macs_per_tensor_core=8.0,
             tiling=Tiling(tile_m=16, tile_n=16, min_tile_m=8, tiles_per_sm=1, peak_fraction=0.5))


def test_three_tiles_on_four_slots_leave_one_idle():
    # 48 x 16 outputs: 3 x 1 tiles of 16 x 16 on 4 slots; split-K needs 4 // 3 = 1 -> no split; one wave of
    # 16*16*10 MACs at 16 MACs/cycle = 160 cycles, 3/4 of the slots used
    c = tensorcore_cycles(48, 10, 16, **SMALL)
    assert (c.tiles, c.split_k, c.waves, c.cycles) == (3, 1, 1, 160)
    assert c.wave_efficiency == 3 / 4


def test_three_tiles_on_eight_slots_split_k_twice():
    # 2 blocks per SM: 8 slots; 8 // 3 = 2-way split-K -> 6 blocks, one wave; each block ceil(10/2) = 5 of K;
    # an SM runs 2 resident blocks: 2 x 16*16*5 / 16 = 160 cycles
    c = tensorcore_cycles(48, 10, 16, **{**SMALL, "tiling": Tiling(16, 16, 8, 2, 0.5)})
    assert (c.tiles, c.slots, c.split_k, c.waves, c.cycles) == (3, 8, 2, 1, 160)
    assert c.wave_efficiency == 6 / 8


def test_five_tiles_on_four_slots_take_two_waves():
    c = tensorcore_cycles(16, 10, 80, **SMALL)
    assert (c.tiles, c.split_k, c.waves, c.cycles) == (5, 1, 2, 320)
    assert c.wave_efficiency == 5 / 8


def test_k_split_three_ways_rounds_each_share_up():
    # 1 tile (8 x 16, M = 3) on 3 SMs: K = 10 in shares of ceil(10/3) = 4: 8*16*4 / 16 = 32 cycles
    c = tensorcore_cycles(3, 10, 16, **{**SMALL, "sms": 3})
    assert (c.tiles, c.split_k, c.waves, c.cycles) == (1, 3, 1, 32)
    assert c.ideal_cycles == 3 * 10 * 16 / (3 * 32)
