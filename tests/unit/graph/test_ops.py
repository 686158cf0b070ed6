"""Op work as a function of run dimensions (frames, hypotheses)."""

import pytest

from hwsim.graph.model import Trigger
from hwsim.precision.resolved import load_workload


def test_weight_matmul_macs_equal_weight_elements_per_row():
    graph = load_workload("ibm_rnnt_swb")
    for op in graph.ops:
        if op.weight and op.gemm and op.kind.value == "matmul":
            assert op.macs(rows=7) == 7 * graph.tensor(op.weight).params


def test_recurrent_ops_run_once_per_frame_with_one_row():
    graph = load_workload("ibm_rnnt_swb")
    op = next(o for o in graph.ops if o.trigger is Trigger.ENCODER_RECURRENT and o.gemm)
    assert op.invocations(152) == 152
    assert op.rows_per_invocation(152) == 1


def test_conformer_ops_run_at_quarter_frame_rate():
    graph = load_workload("usm_rnnt_1b")
    op = next(o for o in graph.ops if o.name == "encoder.layers.0.attention.query")
    assert op.encoder_rows(1500) == 375
    scores = next(o for o in graph.ops if o.name == "encoder.layers.0.attention.scores")
    assert scores.macs(375) == 375 * 1536 * (129 + 128 + 1)


def test_decoder_ops_split_by_trigger():
    graph = load_workload("usm_rnnt_1b")
    prediction = graph.ops_triggered_by(Trigger.PREDICTION_CALL)
    joint = graph.ops_triggered_by(Trigger.JOINT_CALL)
    assert {o.component.value for o in prediction} == {"predictor", "joint"}  # pred_proj is part of the joint
    assert joint[-1].name == "joint.log_softmax"
    assert not load_workload("dblstm_hmm_300").has_decoder


# --- the joint's non-linearity (issue 29: a published LSTM RNN-T with a ReLU joint could not be written) ----------

def _joint_combine(activation: str):
    graph = load_workload("ibm_rnnt_swb", [f"joint.activation={activation}"])
    return next(o for o in graph.ops if o.name == "joint.combine"), graph


@pytest.mark.parametrize("activation, vector_per_element, sfu_per_element", [
    ("tanh", 1, 1),     # combine, then one transcendental
    ("sigmoid", 1, 1),  # combine, then one transcendental (as the LSTM gates count theirs)
    ("relu", 2, 0),     # combine, then max(x, 0): vector work only
    ("none", 1, 0),
])
def test_joint_activation_costs_its_vector_work_per_element(activation, vector_per_element, sfu_per_element):
    op, graph = _joint_combine(activation)
    hidden = 256  # ibm_rnnt_swb joint.hidden_dim
    assert (op.vector_ops_per_row, op.sfu_ops_per_row) == (vector_per_element * hidden, sfu_per_element * hidden)


def test_relu_joint_is_cheaper_than_tanh_on_the_vector_unit():
    from hwsim.cost.hardware import load_device
    from hwsim.cost.ops import CostContext, cost_op
    from hwsim.cost.options import RunOptions
    from hwsim.cost.residency import plan_residency, tensor_bytes
    from hwsim.precision.plan import plan_precision
    from hwsim.size.account import account_size
    from hwsim.specs.resolve import load_precision_spec, load_workload_spec

    times = {}
    for activation in ("tanh", "relu"):
        spec, _ = load_workload_spec("ibm_rnnt_swb", [f"joint.activation={activation}"])
        op, graph = _joint_combine(activation)
        plan = plan_precision(load_precision_spec("fp16", spec)[0], graph)
        device = load_device("h100_sxm")  # one transcendental costs 8 lane-ops there
        options = RunOptions().resolve(device)
        sizes = account_size(graph, plan)
        ctx = CostContext(graph, plan, device, options, plan_residency(graph, sizes, device, True), tensor_bytes(sizes))
        times[activation] = cost_op(ctx, op, 8).compute_s
    assert 0 < times["relu"] < times["tanh"]


def test_reference_joint_applies_the_activation():
    import numpy as np

    from hwsim.reference.rnnt import joint_activation

    x = np.array([-2.0, 0.0, 3.0])
    assert joint_activation("relu", x).tolist() == [0.0, 0.0, 3.0]
    assert joint_activation("sigmoid", np.array([0.0])).tolist() == [0.5]
    assert joint_activation("none", x) is x
