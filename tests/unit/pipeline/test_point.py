"""The simulator on real cost tables: serial totals, beam-1 agreement, replay, streaming, memory warnings."""

import pytest

from hwsim.decode.simulated import Algorithm
from hwsim.decode.schedule import DecodeSchedule, DecodeStep
from hwsim.errors import SpecError
from hwsim.pipeline.point import RunRequest, prepare_point, run_shape, simulate_point
from tests.unit.sim.fake_costs import serial_sum


UNIDIRECTIONAL = ("encoder.bidirectional=false",)


def request(**changes):
    base = dict(workload="ibm_rnnt_swb", precision="int4", device="ibm_7nm_ai_chip", frames=40, beam=4)
    base.update(changes)
    return RunRequest(**base)


@pytest.mark.parametrize("chunk", [None, 8])
def test_without_overlap_total_equals_sum_of_op_times(chunk):
    req = request(overlap=False, chunk_frames=chunk, overrides=UNIDIRECTIONAL)
    prepared = prepare_point(req)
    sim = simulate_point(req, prepared)
    shape = run_shape(prepared, req)
    total = serial_sum(prepared.costs, shape, sim.schedule, exclusive=req.chunk_frames is None)
    assert sim.result.total_s == pytest.approx(total, rel=1e-9)


def test_serial_total_equals_cost_table_for_the_encoder():
    """The encoder's simulated busy time is exactly the per-op cost table's sum (invocations x op time)."""
    from hwsim.cost.table import cost_table
    req = request(overlap=False)
    prepared = prepare_point(req)
    sim = simulate_point(req, prepared)
    table = cost_table(prepared.costs, req.frames, req.beam, sim.schedule)
    encoder_ops = table[table.name.str.startswith("encoder.") | (table.name == "joint.enc_proj")]
    staged = sum(s.duration_s for s in prepared.costs.encoder(req.frames, True) if s.label.startswith("load "))
    busy = sim.result.components_s["encoder"] + sum(
        r.end_s - r.start_s for r in sim.result.trace if r.op == "joint.enc_proj")
    assert busy == pytest.approx(encoder_ops.total_time_s.sum() + staged, rel=1e-9)


def test_chunked_streaming_of_a_bidirectional_encoder_is_refused():
    with pytest.raises(SpecError, match="--chunk-frames.*bidirectional"):
        simulate_point(request(chunk_frames=8))


def test_chunked_conformer_encodes_its_right_context_with_every_chunk():
    usm = dict(workload="usm_rnnt_1b", precision="exp5", device="tpu_v5e", host="xeon_host", frames=960, beam=1,
               algorithm=Algorithm.GREEDY, overlap=False)
    prepared = prepare_point(RunRequest(**usm))
    whole, chunked = RunRequest(**usm), RunRequest(**usm, chunk_frames=320)
    shape = run_shape(prepared, chunked)
    right = prepared.model.workload_spec.encoder.attention_right_context * 4  # input frames (4x sub-sampling)
    assert shape.lookahead_frames == right == 512
    # chunks of 320 input frames: each encodes min(512, frames left after it) look-ahead frames too
    assert shape.chunks() == [(320 + 512, 80), (320 + 320, 160), (320, 240)]
    assert run_shape(prepared, whole).chunks() == [(960, 240)]
    result = simulate_point(chunked, prepared)
    assert result.lookahead_latency_s == pytest.approx(512 * 0.02)
    assert result.result.components_s["encoder"] > simulate_point(whole, prepared).result.components_s["encoder"]


def test_a_replay_of_another_beam_or_algorithm_is_refused():
    trace = simulate_point(request(beam=4)).schedule
    with pytest.raises(SpecError, match="--replay.*beam 2"):
        simulate_point(request(beam=2), schedule=trace)
    with pytest.raises(SpecError, match="--replay.*alsd"):
        simulate_point(request(beam=4, algorithm=Algorithm.ALSD), schedule=trace)


def test_beam_one_alsd_agrees_with_greedy_below_the_symbol_cap():
    # ALSD with one hypothesis takes one step per label or frame, exactly greedy's calls while no frame is capped
    greedy = simulate_point(request(beam=1, algorithm=Algorithm.GREEDY, max_symbols=20))
    for algorithm in (Algorithm.ALSD,):
        other = simulate_point(request(beam=1, algorithm=algorithm, max_symbols=20))
        assert other.result.calls == greedy.result.calls
        assert other.result.total_s == pytest.approx(greedy.result.total_s, rel=1e-12)


def test_replayed_trace_gives_exactly_its_counts():
    steps = (DecodeStep(0, 1, 0, 1, 1), DecodeStep(0, 3, 1, 4, 4), DecodeStep(1, 0, 0, 4, 4), DecodeStep(2, 2, 0, 4, 4))
    trace = DecodeSchedule("tsd", 4, 3, steps, labels=2)
    sim = simulate_point(request(frames=3), schedule=trace)
    assert sim.result.calls["prediction"] == 3 and sim.result.calls["prediction_rows"] == 6
    assert sim.result.calls["joint"] == 4 and sim.result.calls["joint_rows"] == 13


def test_int4_is_faster_than_fp16_and_components_move_as_expected():
    fp16, int4 = simulate_point(request(precision="fp16", beam=8)), simulate_point(request(beam=8))
    assert int4.result.components_s["encoder"] < fp16.result.components_s["encoder"]
    assert int4.result.components_s["prediction"] < fp16.result.components_s["prediction"]
    assert int4.result.components_s["search"] == pytest.approx(fp16.result.components_s["search"])


def test_streaming_finishes_no_later_than_serial():
    serial = simulate_point(request(chunk_frames=8, overlap=False, overrides=UNIDIRECTIONAL)).result.total_s
    overlapped = simulate_point(request(chunk_frames=8, overrides=UNIDIRECTIONAL)).result.total_s
    assert overlapped <= serial


def test_every_shipped_workload_simulates():
    for workload, precision, device, host in [("usm_rnnt_1b", "exp5", "tpu_v5e", "xeon_host"),
                                             ("dblstm_hmm_300", "int4", "ibm_7nm_ai_chip", None),
                                             ("dblstm_hmm_2000", "int8", "ibm_7nm_ai_chip", None),
                                             ("lstm_rnnt_small", "fp32", "local_cpu", None)]:
        sim = simulate_point(RunRequest(workload=workload, precision=precision, device=device, host=host, frames=64,
                                        beam=2))
        assert sim.result.total_s > 0 and sim.result.rtf > 0


def test_memory_warning_when_weights_exceed_capacity():
    sim = simulate_point(RunRequest(workload="usm_rnnt_1b", precision="exp0", device="ibm_7nm_ai_chip", frames=64,
                              device_overrides=("memory.1.capacity_bytes.value=1e8",),
                              precision_overrides=("defaults.weights.format=fp16", "defaults.activations.format=fp16")))
    assert sim.warnings and "exceeds" in sim.warnings[0]
