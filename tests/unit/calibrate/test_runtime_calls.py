"""The runtime per-call figures: the fit recovers what it is given, the device file carries them, and the cost
model charges exactly fixed + rows x per_row per call and each search algorithm its own pair."""

from __future__ import annotations

from dataclasses import replace

import pytest
import yaml

from hwsim import clock
from hwsim.calibrate.microbench import Measurement
from hwsim.calibrate.runtime_calls import (FitPoint, LinearFit, RuntimeCalibration, measure_runtime_calls,
                                           nonnegative_fit)
from hwsim.calibrate.writer import device_document
from hwsim.cost.device import load_device
from hwsim.decode.registry import Algorithm
from hwsim.paths import DEVICES_DIR
from hwsim.reference.runtimes import REFERENCE_OPTIONS
from hwsim.simulate import RunRequest, prepare

FIXED_S, PER_ROW_S = 12e-6, 3e-6


def _call_points(rows_list, fixed=FIXED_S, per_row=PER_ROW_S):
    return [FitPoint(f"rows={r}", (1.0, float(r)), fixed + per_row * r) for r in rows_list]


def test_fit_recovers_fixed_and_per_row_and_checks_held_out_points():
    fit = nonnegative_fit(_call_points((1, 4, 16)), _call_points((2, 8)), ("fixed_s", "per_row_s"))
    assert fit.coefficients == pytest.approx((FIXED_S, PER_ROW_S), rel=1e-9)
    assert fit.worst_pct(fit.held_out) == pytest.approx(0.0, abs=1e-6)
    wrong = nonnegative_fit(_call_points((1, 4, 16)), _call_points((2, 8), per_row=2 * PER_ROW_S), fit.names)
    assert wrong.worst_pct(wrong.held_out) > 20  # a held-out point that disagrees shows up


def test_fit_never_returns_a_negative_figure():
    falling = [FitPoint(f"rows={r}", (1.0, float(r)), 50e-6 - 2e-6 * r) for r in (1, 4, 16)]
    fit = nonnegative_fit(falling, [], ("fixed_s", "per_row_s"))
    assert min(fit.coefficients) >= 0 and fit.coefficients[1] == 0.0


def _fit(values):
    return LinearFit(("a", "b")[:len(values)], tuple(values), (), ())


RUNTIME = RuntimeCalibration(
    prediction=_fit((FIXED_S, PER_ROW_S)), joint=_fit((20e-6, 1e-6)), encoder_step=_fit((2e-6,)),
    search=_fit((15e-6, 0.5e-6)), search_by_algorithm=(("tsd", _fit((40e-6, 0.25e-6))),),
    measurements=(Measurement("prediction_call", "float32", (4,), 3, 30e-6, 1, "call"),))


@pytest.fixture(scope="module")
def device_file(tmp_path_factory):
    base = yaml.safe_load((DEVICES_DIR / "local_cpu.yaml").read_text())  # a valid measured base document
    measurements = [Measurement(**{k: (tuple(v) if k == "shape" else v) for k, v in m.items() if k != "rate_per_s"})
                    for m in base["calibration"]["measurements"]]
    document = device_document("runtime_test", base["calibration"]["machine"], measurements, RUNTIME)
    path = tmp_path_factory.mktemp("dev") / "runtime_test.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_device_file_carries_the_runtime_figures(device_file):
    modelling = load_device(device_file).modelling
    assert modelling.runtime_call("prediction").fixed_s == FIXED_S
    assert modelling.runtime_call("prediction").per_row_s == PER_ROW_S
    assert modelling.step_latency_s == 2e-6
    host = load_device(device_file).host_cpu
    assert host.search_costs("tsd") == (40e-6, 0.25e-6)
    assert host.search_costs("beam") == (15e-6, 0.5e-6)  # not measured per algorithm: the host-wide pair


def _costs(device_file, algorithm=Algorithm.TSD, beam=4):
    request = RunRequest(workload="lstm_rnnt_small", precision="fp32", device=str(device_file), frames=20,
                         beam=beam, algorithm=algorithm, overlap=False, options=replace(REFERENCE_OPTIONS, topk=beam))
    return prepare(request).costs


@pytest.mark.parametrize("rows", [1, 3, 8])
def test_a_prediction_call_is_charged_fixed_plus_rows_times_per_row(device_file, rows):
    ops = {op.name: op.time_s for segment in _costs(device_file).prediction(rows) for op in segment.ops}
    assert ops["prediction.gather"] == pytest.approx(rows * PER_ROW_S)
    assert ops["prediction.launch"] == pytest.approx(FIXED_S)


def test_each_search_is_charged_its_own_step_and_candidate_time(device_file):
    costs = _costs(device_file)
    search = costs.search_cost(4)
    assert search.overhead_s == pytest.approx(40e-6 + 4 * (4 + 1) * 0.25e-6)
    beam = _costs(device_file, Algorithm.BEAM).search_cost(4)
    assert beam.overhead_s == pytest.approx(15e-6 + 4 * (4 + 1) * 0.5e-6)


def test_clock_choice_is_scoped():
    assert clock.name() == clock.DEFAULT
    with clock.using("wall"):
        assert clock.name() == "wall"
    assert clock.name() == clock.DEFAULT
    with pytest.raises(ValueError):
        with clock.using("sundial"):
            pass


def test_tiny_model_benchmarks_run_and_give_non_negative_figures():
    base = yaml.safe_load((DEVICES_DIR / "local_cpu.yaml").read_text())
    base["modelling"].pop("runtime_calls", None)
    runtime = measure_runtime_calls(base, repeats=1, search_repeats=1)
    for fit in (runtime.prediction, runtime.joint, runtime.encoder_step, runtime.search):
        assert all(c >= 0 for c in fit.coefficients) and fit.fit and fit.held_out
    assert {name for name, _ in runtime.search_by_algorithm} == {a.value for a in Algorithm}
    names = {m.benchmark for m in runtime.measurements}
    assert {"prediction_call", "joint_call", "encoder_step", "search_tsd"} <= names
    assert runtime.cold.value >= 1.0 and len(runtime.cold.fit) == 2 and len(runtime.cold.held_out) == 3


def test_fused_recurrence_drops_the_per_op_overhead_inside_the_step_loop(device_file, tmp_path):
    document = yaml.safe_load(device_file.read_text())
    document["modelling"]["fused_recurrence"] = {"value": True, "assumption": "test"}
    fused_file = tmp_path / "fused.yaml"
    fused_file.write_text(yaml.safe_dump(document, sort_keys=False))
    eager, fused = _costs(device_file), _costs(fused_file)
    frames = 10
    recurrent_ops = [op for op in eager.encoder_ops if op.trigger.value == "encoder_recurrent"]
    total = lambda costs: sum(s.duration_s for s in costs.encoder(frames, exclusive=True))  # noqa: E731
    dropped = sum(eager.op_cost(op, 1).overhead_s * op.invocations(frames) for op in recurrent_ops)
    assert recurrent_ops and dropped > 0
    assert total(eager) - total(fused) == pytest.approx(dropped, rel=1e-9)


def test_gemm_table_rows_are_net_of_the_per_call_overhead():
    from hwsim.cost.measured import gemm_table
    rows = [{"benchmark": "gemm", "dtype": "float32", "shape": [4, 64, 64], "median_s": 10e-6},
            {"benchmark": "matmul_call", "dtype": "float32", "shape": [1, 8, 8], "median_s": 2e-6}]
    assert gemm_table(rows).seconds(4, 64, 64) == pytest.approx(8e-6)


def test_a_before_call_hook_is_timed_as_no_component(monkeypatch):
    """The calibration's evictions (Recorder.before_call) must not land in the call, the search or anywhere."""
    from hwsim.reference.trace import Recorder

    ticks = iter(range(0, 1000, 1))
    monkeypatch.setattr(clock, "now", lambda: float(next(ticks)))
    hooked: list[str] = []

    def hook(call):
        hooked.append(call)
        for _ in range(5):
            clock.now()  # the hook "takes" clock ticks

    recorder = Recorder(before_call=hook)
    with recorder.timed("prediction", "prediction", 2):
        pass
    with recorder.timed("joint"):  # not a network call: no hook
        pass
    assert hooked == ["prediction"]
    assert recorder.seconds["prediction"] == 1.0 and recorder.seconds["joint"] == 1.0
    assert recorder.excluded_s == 6.0


def test_cold_factor_reports_its_residuals_on_fit_and_held_out_runs():
    from hwsim.calibrate.runtime_calls import ColdFactor

    factor = ColdFactor(1.5, (("tsd B=4", 1.4), ("beam B=4", 1.6)), (("alsd B=4", 1.65),))
    assert "worst residual 6.7 % on them and 10.0 % on 1 held-out runs" in factor.describe()
    assert len(factor.table()) == 3


def test_a_call_is_modelled_with_the_ops_the_runtime_times_inside_it():
    """onnxruntime's prediction session ends with joint.pred_proj, numpy times it apart: the glue fit subtracts
    exactly what each runtime's timed call holds (hwsim.reference.runtimes.MEASURED_IN)."""
    from hwsim.calibrate import runtime_calls

    costs = prepare(RunRequest(workload=runtime_calls.TINY_WORKLOAD, precision="fp32", device="local_cpu", frames=8,
                               overrides=runtime_calls.TINY_OVERRIDES, overlap=False,
                               options=replace(REFERENCE_OPTIONS, topk=4))).costs
    runtimes = {}
    for name in ("numpy", "onnxruntime"):
        runtimes[name] = runtime_calls._Runtime.__new__(runtime_calls._Runtime)  # the cost side only: no sessions
        runtimes[name].runtime, runtimes[name].costs = name, costs
    numpy, ort = runtimes["numpy"], runtimes["onnxruntime"]
    names = lambda rt, call: [op.name for op in rt.call_ops(call)]  # noqa: E731
    assert "joint.pred_proj" not in names(numpy, "prediction")
    assert names(ort, "prediction") == names(numpy, "prediction") + ["joint.pred_proj"]
    assert names(ort, "joint") == names(numpy, "joint") == ["joint.combine", "joint.out", "joint.log_softmax"]
    pred_proj = next(op for op in costs.prediction_ops if op.name == "joint.pred_proj")
    assert ort.modelled_call_s("prediction", 4) == pytest.approx(
        numpy.modelled_call_s("prediction", 4) + costs.op_cost(pred_proj, 4).time_s)
