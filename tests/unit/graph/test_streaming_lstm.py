"""Unidirectional LSTMP encoders with time reduction (streaming_rnnt_mobile), by hand."""

from hwsim.cli import main
from hwsim.precision.resolved import load_workload


def ops_by_name():
    graph = load_workload("streaming_rnnt_mobile")
    return graph, {op.name: op for op in graph.ops}


def test_layers_after_the_reduction_read_stacked_frames_at_half_the_rate():
    graph, ops = ops_by_name()
    before, after = ops["encoder.layers.1.fwd.input_proj"], ops["encoder.layers.2.fwd.input_proj"]
    assert (before.gemm.k, before.frame_divisor) == (640, 1)
    assert (after.gemm.k, after.frame_divisor) == (2 * 640, 2)  # two 640-wide frames stacked
    assert after.encoder_rows(167) == 84 and before.encoder_rows(167) == 167
    step = ops["encoder.layers.7.fwd.recurrent_proj"]
    assert step.invocations(167) == 84 and step.rows_per_invocation(167) == 1
    assert graph.encoder_frame_divisor == 2


def test_projection_sets_recurrent_and_output_widths():
    graph, ops = ops_by_name()
    assert graph.tensor("encoder.layers.3.fwd.w_hh").shape == (640, 4 * 2048)
    assert graph.tensor("encoder.layers.3.fwd.w_proj").shape == (2048, 640)
    assert ops["encoder.layers.3.fwd.output_proj"].gemm.n == 640
    assert graph.tensor("joint.enc_proj.w").shape[0] == 640
    assert graph.tensor("predictor.layers.1.w_ih").shape == (640, 4 * 2048)


def test_parameter_count_by_hand():
    graph, _ = ops_by_name()
    lstmp = lambda i: i * 8192 + 640 * 8192 + 2 * 8192 + 2048 * 640  # w_ih, w_hh, two biases, w_proj
    encoder = lstmp(320) + lstmp(640) + lstmp(1280) + 5 * lstmp(640)
    predictor = 4096 * 128 + lstmp(128) + lstmp(640)
    joint = 2 * (640 * 640 + 640) + 640 * 4096 + 4096
    assert sum(t.params for t in graph.tensors) == encoder + predictor + joint


def test_reduction_after_the_last_layer_is_one_line(capsys):
    code = main(["params", "streaming_rnnt_mobile", "--set", "encoder.time_reduction=[{after_layer: 7, factor: 2}]"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.endswith("encoder: expected time_reduction[0].after_layer below num_layers - 1 = 7 (a reduction sits "
                        "between two layers), got 7\n")
