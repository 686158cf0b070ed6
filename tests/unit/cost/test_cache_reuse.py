"""Decoder weights re-read from wherever the decoder's working set left them (hwsim.cost.cache_reuse)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import yaml

from hwsim.cost.cache_reuse import StreamCurve, cache_reuse, stream_curves
from hwsim.paths import DEVICES_DIR
from hwsim.reference.runtimes import REFERENCE_OPTIONS
from hwsim.simulate import RunRequest, prepare

MIB = 2**20
HOT_PER_BYTE, COLD_PER_BYTE = 1 / 50e9, 1 / 10e9


def _row(benchmark, shape, median_s, work=1.0, dtype="float32"):
    return {"benchmark": benchmark, "dtype": dtype, "shape": list(shape), "repeats": 3, "median_s": median_s,
            "work": work, "work_unit": "flop", "rate_per_s": work / median_s}


def _stream(m, sizes_and_per_byte):
    return [_row("weight_stream", (m, size), size * per_byte, work=size) for size, per_byte in sizes_and_per_byte]


CURVE_ROWS = _stream(1, [(MIB, HOT_PER_BYTE), (8 * MIB, HOT_PER_BYTE), (64 * MIB, COLD_PER_BYTE)]) + \
    _stream(4, [(MIB, 2 * HOT_PER_BYTE), (8 * MIB, 2 * HOT_PER_BYTE), (64 * MIB, 2 * COLD_PER_BYTE)])
SHAPE = (320, 1280)
# for the device tests: hot up to 0.5 MiB, cold from 8 MiB, so lstm_rnnt_small's 2.4 MiB decoder is in between
DEVICE_CURVE_ROWS = _stream(1, [(MIB // 2, HOT_PER_BYTE), (8 * MIB, COLD_PER_BYTE)]) + \
    _stream(4, [(MIB // 2, 2 * HOT_PER_BYTE), (8 * MIB, 2 * COLD_PER_BYTE)])


def _tables(hot_s=10e-6, cold_s=90e-6, in_decoder_s=None):
    rows = [_row("gemm", (m, *SHAPE), hot_s * m) for m in (1, 4, 8)]
    rows += [_row("gemm_cold", (m, *SHAPE), cold_s * m) for m in (1, 4, 8)]
    if in_decoder_s is not None:
        rows += [_row("gemm_in_decoder", (m, *SHAPE), in_decoder_s * m) for m in (1, 4, 8)]
    return rows + CURVE_ROWS


def test_miss_fraction_is_zero_hot_one_cold_and_log_interpolated_between():
    curve = stream_curves(CURVE_ROWS)[0]
    assert curve.m == 1
    assert curve.miss_fraction(MIB) == 0.0 and curve.miss_fraction(8 * MIB) == 0.0
    assert curve.miss_fraction(64 * MIB) == 1.0 and curve.miss_fraction(1024 * MIB) == 1.0
    # 16 MiB is a third of the way from 8 to 64 MiB in log size: a third of the way from hot to cold per byte
    weight = math.log(2) / math.log(8)
    assert curve.miss_fraction(16 * MIB) == pytest.approx(weight)


def test_a_faster_larger_set_is_measurement_noise_not_physics():
    rows = _stream(1, [(MIB, HOT_PER_BYTE), (8 * MIB, COLD_PER_BYTE), (16 * MIB, HOT_PER_BYTE),
                       (64 * MIB, COLD_PER_BYTE)])
    curve = stream_curves(rows)[0]
    assert curve.miss_fraction(16 * MIB) == 1.0  # never faster than the smaller set before it


def test_refetch_is_the_miss_fraction_of_the_cold_minus_hot_time():
    reuse = cache_reuse(_tables())
    m, working_set = 4, 16 * MIB
    expected = reuse.curve(m).miss_fraction(working_set) * (90e-6 - 10e-6) * m
    assert 0 < expected
    assert reuse.refetch_s(m, *SHAPE, working_set) == pytest.approx(expected)
    assert reuse.refetch_s(m, *SHAPE, MIB) == 0.0  # a working set the caches hold pays nothing
    assert reuse.refetch_s(16, *SHAPE, 64 * MIB) == 0.0  # beyond the decoding sizes measured cold


def test_the_matrix_vector_and_packed_kernels_use_their_own_curves():
    reuse = cache_reuse(_tables())
    assert reuse.curve(1).m == 1 and reuse.curve(2).m == 1 and reuse.curve(4).m == 4 and reuse.curve(8).m == 4


def test_the_in_decoder_time_replaces_the_sweep_estimate_for_its_shape():
    reuse = cache_reuse(_tables(in_decoder_s=30e-6))
    assert reuse.refetch_s(4, *SHAPE, MIB) == pytest.approx((30e-6 - 10e-6) * 4)
    assert reuse.miss_fraction(4, *SHAPE, MIB) == pytest.approx(20 / 80)
    # another shape still uses the working-set estimate
    assert reuse.miss_fraction(4, 64, 1280, 64 * MIB) == 1.0


def test_a_calibration_without_the_cold_benchmarks_has_no_reuse_model():
    assert cache_reuse([r for r in _tables() if r["benchmark"] != "gemm_cold"]) is None
    assert cache_reuse([r for r in _tables() if r["benchmark"] != "weight_stream"]) is None
    assert cache_reuse(None) is None


@pytest.fixture(scope="module")
def device_files(tmp_path_factory):
    """The shipped measured device with the reuse benchmarks replaced by hand-made ones, with and without a
    cold-cache glue factor."""
    base = yaml.safe_load((DEVICES_DIR / "local_cpu.yaml").read_text())
    keep = [r for r in base["calibration"]["measurements"]
            if r["benchmark"] not in ("gemm_cold", "gemm_in_decoder", "weight_stream")]
    folder = tmp_path_factory.mktemp("reuse")
    files = {}
    for name, factor in (("plain", None), ("glue", 1.5)):
        document = yaml.safe_load(yaml.safe_dump(base))
        cold = [_row("gemm_cold", (m, k, n), 200e-6 * m) for k, n in ((64, 1280), SHAPE, (320, 256), (256, 256))
                for m in (1, 4, 8)]
        in_decoder = [_row("gemm_in_decoder", (m, 320, 256), 100e-6 * m) for m in (1, 4, 8)]
        document["calibration"]["measurements"] = keep + cold + in_decoder + DEVICE_CURVE_ROWS
        if factor:
            document["modelling"]["runtime_calls"]["cold_cache_factor"] = {"value": factor, "assumption": "test"}
        else:
            document["modelling"]["runtime_calls"].pop("cold_cache_factor", None)
        files[name] = folder / f"{name}.yaml"
        files[name].write_text(yaml.safe_dump(document, sort_keys=False))
    return files


def _costs(path):
    request = RunRequest(workload="lstm_rnnt_small", precision="fp32", device=str(path), frames=20, beam=4,
                         overlap=False, options=replace(REFERENCE_OPTIONS, topk=4))
    return prepare(request).costs


def test_a_decoder_gemm_pays_its_refetch_and_the_encoder_does_not(device_files):
    costs = _costs(device_files["plain"])
    reuse = costs.ctx.device.cache_reuse
    op = next(o for o in costs.prediction_ops if o.name == "predictor.layers.0.recurrent_proj")
    cost = costs.op_cost(op, 4)
    expected = reuse.refetch_s(4, op.gemm.k, op.gemm.n, costs.decoder_weight_bytes)
    assert expected > 0
    assert cost.breakdown["weight_refetch_s"] == pytest.approx(expected)
    hot = reuse.hot.seconds(4, op.gemm.k, op.gemm.n) + costs.ctx.device.modelling.overhead_s
    assert cost.time_s == pytest.approx(hot + expected)
    pred_proj = next(o for o in costs.joint_ops + costs.prediction_ops if o.name == "joint.pred_proj")
    measurements = yaml.safe_load(device_files["plain"].read_text())["calibration"]["measurements"]
    call_s = min(r["median_s"] for r in measurements if r["benchmark"] == "matmul_call")  # tables are net of it
    assert costs.op_cost(pred_proj, 4).breakdown["weight_refetch_s"] == pytest.approx(
        100e-6 * 4 - call_s - reuse.hot.seconds(4, 320, 256))
    assert all("weight_refetch_s" not in costs.op_cost(o, 1).breakdown for o in costs.encoder_ops)


def test_the_working_set_is_every_per_call_decoder_weight(device_files):
    costs = _costs(device_files["plain"])
    # lstm_rnnt_small in float32: predictor (64 + 320) x 1280, projection 320 x 256, output 256 x 256
    assert costs.decoder_weight_bytes == 4 * ((64 + 320) * 1280 + 320 * 256 + 256 * 256)


def test_the_glue_slows_by_the_miss_fraction_of_the_cold_cache_factor(device_files):
    plain, glue = _costs(device_files["plain"]), _costs(device_files["glue"])
    assert plain.glue_factor(4) == 1.0
    reuse = glue.ctx.device.cache_reuse
    fraction = max(reuse.miss_fraction(op.gemm.m(4), op.gemm.k, op.gemm.n, glue.decoder_weight_bytes)
                   for op in glue.prediction_ops + glue.joint_ops if op.gemm)
    assert 0 < fraction <= 1
    assert glue.glue_factor(4) == pytest.approx(1 + fraction * 0.5)
    runtime = glue.ctx.device.modelling.runtime_call("prediction")
    ops = {op.name: op.time_s for segment in glue.prediction(4) for op in segment.ops}
    assert ops["prediction.launch"] == pytest.approx(runtime.fixed_s * glue.glue_factor(4))
    assert ops["prediction.gather"] == pytest.approx(4 * runtime.per_row_s * glue.glue_factor(4))
    assert glue.search_cost(4).overhead_s == pytest.approx(plain.search_cost(4).overhead_s * glue.glue_factor(4))


def test_a_decoder_ops_own_dispatch_slows_like_the_glue_and_the_encoders_does_not(device_files):
    plain, glue = _costs(device_files["plain"]), _costs(device_files["glue"])
    factor = glue.glue_factor(4)
    assert factor > 1
    softmax = next(o for o in glue.joint_ops if o.name == "joint.log_softmax")
    hot = plain.op_cost(softmax, 4)
    assert hot.overhead_s > 0 and "cold_dispatch_s" not in hot.breakdown
    cold = glue.op_cost(softmax, 4)
    assert cold.time_s == pytest.approx(hot.time_s + hot.overhead_s * (factor - 1))
    assert cold.breakdown["cold_dispatch_s"] == pytest.approx(hot.overhead_s * (factor - 1))
    gates = next(o for o in glue.encoder_ops if o.gemm is None and o.trigger.name == "ENCODER_RECURRENT")
    assert glue.op_cost(gates, 1).time_s == plain.op_cost(gates, 1).time_s


def test_stream_curve_clamps_outside_the_measured_sizes():
    curve = StreamCurve(1, ((MIB, HOT_PER_BYTE), (64 * MIB, COLD_PER_BYTE)))
    assert curve.seconds_per_byte(1) == HOT_PER_BYTE and curve.seconds_per_byte(1e12) == COLD_PER_BYTE
