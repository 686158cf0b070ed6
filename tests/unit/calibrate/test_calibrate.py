"""hwsim calibrate --quick: the written file loads as a device, every figure has one provenance, facts present."""

from __future__ import annotations

import pytest
import yaml

from hwsim.calibrate.microbench import Measurement, time_call
from hwsim.calibrate.writer import device_document
from hwsim.cli import main
from hwsim.cost.hardware import load_device
from hwsim.formats import NumberFormat

FACTS = ("cpu_model", "physical_cores", "nominal_clock_hz", "blas", "blas_threads", "numpy_version", "date_utc")


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """The module's one quick calibration (~15 s of micro-benchmarks), written where `hwsim calibrate` writes
    without --out: the user folder under XDG_DATA_HOME (--out is exercised by tests/bad_input's campaign)."""
    from hwsim.calibrate.location import default_calibration_path

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg")))
        assert main(["calibrate", "--quick", "--no-progress"]) == 0
        return default_calibration_path()


def test_quick_calibration_loads_as_a_device(calibrated):
    device = load_device(calibrated)
    assert device.name == "local_cpu"
    assert device.peak_ops_per_s(NumberFormat.FLOAT32, NumberFormat.FLOAT32) > 0
    assert device.memory_bandwidth_bytes_per_s() > 0 and device.vector_ops_per_s() > 0
    assert device.modelling.overhead_s > 0 and device.host_cpu is not None


def test_engine_peak_is_the_best_measured_float32_gemm(calibrated):
    data = yaml.safe_load(calibrated.read_text())
    best = max(r["rate_per_s"] for r in data["calibration"]["measurements"]
               if r["benchmark"] == "gemm" and r["dtype"] == "float32")
    peak = load_device(calibrated).peak_ops_per_s(NumberFormat.FLOAT32, NumberFormat.FLOAT32)
    assert peak == pytest.approx(best, rel=1e-9)


def _figures(node):
    if isinstance(node, dict):
        if "value" in node and len(node) == 2:
            yield node
        for key, child in node.items():
            if key != "calibration":
                yield from _figures(child)
    elif isinstance(node, list):
        for child in node:
            yield from _figures(child)


def test_figures_are_measured_or_assumed_and_facts_present(calibrated):
    data = yaml.safe_load(calibrated.read_text())
    kinds = {next(k for k in f if k != "value") for f in _figures(data)}
    assert kinds <= {"measured", "assumption"} and "measured" in kinds
    assert set(FACTS) <= set(data["calibration"]["machine"])
    benchmarks = {r["benchmark"] for r in data["calibration"]["measurements"]}
    assert {"gemm", "copy", "sigmoid", "tanh", "exp", "argpartition", "argsort", "matmul_call", "loop_iteration"} <= benchmarks
    dtypes = {r["dtype"] for r in data["calibration"]["measurements"] if r["benchmark"] == "gemm"}
    assert dtypes == {"float32", "float64"}


def test_time_call_takes_the_median_of_repeats():
    timing = time_call(lambda: None, repeats=5, min_repeat_s=1e-4)
    assert timing.repeats == 5 and timing.number >= 1 and timing.median_s > 0


def test_missing_clock_falls_back_to_a_stated_assumption():
    rows = [Measurement("gemm", "float32", (4, 4, 4), 3, 1e-6, 128, "flop"),
            Measurement("copy", "float64", (8,), 3, 1e-6, 128, "byte"),
            Measurement("tanh", "float32", (8,), 3, 1e-6, 8, "element"),
            Measurement("matmul_call", "float32", (1, 8, 8), 3, 1e-6, 1, "call"),
            Measurement("loop_iteration", "float32", (8,), 3, 1e-4, 100, "call"),
            Measurement("candidate", "float32", (8, 5), 3, 1e-4, 40, "candidate")]
    document = device_document("x", {"blas_threads": 1}, rows)
    assert "assumption" in document["host_cpu"]["clock_hz"]
    ops = document["matrix_engines"][0]["precisions"]["float32xfloat32"]["ops_per_cycle"]["value"]
    assert ops * 1e9 == pytest.approx(128e6)


def test_calibration_goes_to_the_user_folder_and_never_over_a_shipped_file(calibrated, monkeypatch, tmp_path, capsys):
    from hwsim.calibrate.location import calibrated_device, default_calibration_path
    from hwsim.io.paths import DEVICES_DIR

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_calibration_path() == tmp_path / "hwsim" / "devices" / "local_cpu.yaml"
    assert calibrated_device() == ("local_cpu", False)
    shipped = DEVICES_DIR / "local_cpu.yaml"
    before = shipped.read_bytes()
    assert main(["calibrate", "--quick", "--no-progress", "--out", str(shipped)]) == 2
    assert "--out" in capsys.readouterr().err and shipped.read_bytes() == before
    # the module's calibration ran without --out, under its own XDG_DATA_HOME
    monkeypatch.setenv("XDG_DATA_HOME", str(calibrated.parents[2]))
    assert calibrated == calibrated.parents[2] / "hwsim" / "devices" / "local_cpu.yaml" and calibrated.is_file()
    assert calibrated_device() == (str(default_calibration_path()), True)
    data = yaml.safe_load(default_calibration_path().read_text())
    assert data["calibration"]["machine"]["noise_floor_pct"] >= 0
    assert all(r["spread_pct"] >= 0 for r in data["calibration"]["measurements"])


def test_spread_is_the_interquartile_range_over_the_median():
    from hwsim.calibrate.microbench import spread_pct
    assert spread_pct([1.0, 2.0, 3.0, 4.0, 5.0]) == pytest.approx(100 * (4 - 2) / 3)
    assert spread_pct([2.0]) == 0.0


def test_quick_calibration_measures_what_the_cache_reuse_model_reads(calibrated):
    """gemm_cold, weight_stream at both kernel classes and the decoder cycle are written, and the device
    built from them has a reuse model (hwsim.cost.cache_reuse) and a cold-cache glue factor >= 1."""
    data = yaml.safe_load(calibrated.read_text())
    rows = data["calibration"]["measurements"]
    assert {tuple(r["shape"]) for r in rows if r["benchmark"] == "gemm_cold"} == {
        (m, k, n) for k, n in ((640, 2560), (768, 3072)) for m in (1, 2)}
    assert {r["shape"][0] for r in rows if r["benchmark"] == "weight_stream"} == {1, 4}
    cycle = {tuple(r["shape"][1:]) for r in rows if r["benchmark"] == "gemm_in_decoder"}
    assert cycle == {(64, 1280), (320, 1280), (320, 256), (256, 256)}  # lstm_rnnt_small's per-call GEMMs
    device = load_device(calibrated)
    assert device.cache_reuse is not None and device.cache_reuse.cold_max_m == 2
    assert device.modelling.cold_cache_factor >= 1.0


def test_full_plan_measures_every_calibration_workload_shape_at_decoding_rows():
    from hwsim.calibrate.decoder_cycle import decoder_gemm_shapes
    from hwsim.calibrate.suite import CALIBRATION_WORKLOADS, full_plan

    plan = full_plan()
    for workload in CALIBRATION_WORKLOADS:
        assert set(decoder_gemm_shapes(workload)) <= set(plan.float32_kn)
    assert {1, 2, 3, 4, 6, 8} <= set(plan.float32_m) and set(plan.cold_m) == {1, 2, 3, 4, 6, 8}
    assert decoder_gemm_shapes("ibm_rnnt_swb") == ((1, 3072), (768, 3072), (768, 256), (256, 46))


def test_time_cold_times_single_calls_after_evicting():
    from hwsim.calibrate.microbench import time_cold

    calls = []
    timing = time_cold(lambda: calls.append(1), repeats=5, evict_bytes=1 << 20, warmup=1)
    assert len(calls) == 6 and timing.repeats == 5 and timing.number == 1 and timing.median_s >= 0


def test_calibration_times_on_4kib_pages_and_records_it(calibrated):
    import numpy as np

    assert yaml.safe_load(calibrated.read_text())["calibration"]["machine"]["array_pages"] == "4KiB"
    assert np._core.multiarray._get_madvise_hugepage() is False


def test_the_decoder_cycle_keeps_the_median_session_per_op():
    from hwsim.calibrate.suite import median_of_sessions

    def session(*seconds):
        return [Measurement("gemm_in_decoder", "float32", (m, 768, 256), 3, s, 1.0, "flop") for m, s in
                zip((1, 4), seconds)]
    merged = median_of_sessions([session(3e-5, 9e-5), session(1e-5, 5e-5), session(2e-5, 1.6e-4)])
    assert [m.median_s for m in merged] == [2e-5, 9e-5]
    assert [m.shape for m in merged] == [(1, 768, 256), (4, 768, 256)] and merged[1].spread_pct > 0
