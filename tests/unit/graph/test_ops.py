"""Op work as a function of run dimensions (frames, hypotheses)."""

from hwsim.graph.model import Trigger
from hwsim.specs.resolve import load_workload


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
