"""Validation compares components as the runtime times them: onnxruntime's prediction session holds
joint.pred_proj, so its predicted time moves from joint to prediction there, and nowhere else."""

from __future__ import annotations

import pytest

from hwsim.decode.registry import Algorithm
from hwsim.reference.runtimes import REFERENCE_OPTIONS
from hwsim.decode.schedule import DecodeSchedule, DecodeStep
from hwsim.pipeline.point import RunRequest, prepare_point, simulate_point
from hwsim.validation.runner import COMPONENTS, as_runtime_measures

# frame, prediction rows, cache hits, joint rows, hyps: three prediction calls (1, 2 and 3 rows), one step without
STEPS = (DecodeStep(0, 1, 0, 1, 1), DecodeStep(0, 2, 0, 2, 2), DecodeStep(1, 0, 2, 2, 2), DecodeStep(1, 3, 0, 3, 3))


@pytest.fixture(scope="module")
def replayed():
    request = RunRequest(workload="ibm_rnnt_swb", precision="fp32", device="local_cpu", frames=2, beam=3,
                         algorithm=Algorithm.TSD, overlap=False, options=REFERENCE_OPTIONS)
    schedule = DecodeSchedule("tsd", 3, 2, STEPS, 1)
    prepared = prepare_point(request)
    sim = simulate_point(request, prepared, schedule)
    return prepared.costs, schedule, {c: sim.result.components_s.get(c, 0.0) for c in COMPONENTS}


def test_onnxruntime_moves_pred_proj_of_every_prediction_call_to_prediction(replayed):
    costs, schedule, predicted = replayed
    op = next(o for o in costs.ctx.graph.ops if o.name == "joint.pred_proj")
    pred_proj_s = sum(costs.op_cost(op, rows).time_s for rows in (1, 2, 3))
    assert pred_proj_s > 0
    moved = as_runtime_measures(predicted, costs, schedule, "onnxruntime")
    assert moved["joint"] == pytest.approx(predicted["joint"] - pred_proj_s, rel=1e-12)
    assert moved["prediction"] == pytest.approx(predicted["prediction"] + pred_proj_s, rel=1e-12)
    assert moved["encoder"] == predicted["encoder"] and moved["search"] == predicted["search"]
    assert sum(moved.values()) == pytest.approx(sum(predicted.values()), rel=1e-12)


def test_numpy_times_pred_proj_as_the_graph_does(replayed):
    costs, schedule, predicted = replayed
    assert as_runtime_measures(predicted, costs, schedule, "numpy") == predicted
