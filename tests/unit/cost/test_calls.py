"""Call segments: launch latency per host-launched call, per-recurrent-step latency, search placement."""

import pytest

from hwsim.cost.options import Placement

D, L = "modelling.dispatch_latency_s.value=2e-05", "modelling.step_latency_s.value=3e-07"


def total(segments, label=None):
    return sum(s.duration_s for s in segments if label is None or s.label.endswith(label))


def test_host_search_launches_every_network_call(prepared_small):
    costs = prepared_small(overrides=(D, L), search_on=Placement.HOST).costs
    segments = costs.prediction(2)
    host = [s for s in segments if s.resource == "cpu"]  # the host's gather and the launch, merged: one hold
    assert len(host) == 1 and host[0].label == "prediction.gather..."
    assert host[0].duration_s == pytest.approx(2 * costs.host.cpu.per_candidate_s + 2e-05)
    joint_host = [s for s in costs.joint(2) if s.resource == "cpu"]
    assert joint_host[0].duration_s == pytest.approx(2 * costs.host.cpu.per_candidate_s + 2e-05)
    assert total(costs.transfer(2)) > 0


def test_device_search_has_no_launches_and_no_per_step_transfer(prepared_small):
    costs = prepared_small(overrides=(D, L), search_on=Placement.ACCELERATOR).costs
    assert total(costs.prediction(2), "launch") == 0 and total(costs.joint(2), "launch") == 0
    assert tuple(costs.transfer(2)) == ()
    search = costs.search(2)
    assert [s.duration_s for s in search if s.label == "search.step latency"] == [3e-07]
    assert {s.resource for s in search} == {"matrix", "vector"}


def test_encoder_pays_one_launch_and_a_latency_per_recurrent_step(prepared_small):
    zero = ("modelling.dispatch_latency_s.value=0", "modelling.step_latency_s.value=0")
    plain = prepared_small(overrides=zero, search_on=Placement.HOST).costs
    slow = prepared_small(overrides=(D, L), search_on=Placement.HOST).costs
    steps = 4 * 2 * 8  # 4 BiLSTM layers x 2 directions x 8 frames
    assert slow.recurrent_steps(8) == steps
    for exclusive in (False, True):
        extra = total(slow.encoder(8, exclusive)) - total(plain.encoder(8, exclusive))
        assert extra == pytest.approx(2e-05 + steps * 3e-07)


def test_simulate_reports_how_much_of_the_time_is_per_call_latency():
    from hwsim.cost.options import RunOptions
    from hwsim.pipeline.point import RunRequest, simulate_point
    sim = simulate_point(RunRequest("lstm_rnnt_small", "fp32", "tpu_v5e", frames=8, beam=2, device_overrides=(D, L),
                              options=RunOptions(search_on=Placement.HOST)))
    calls = sim.schedule.prediction_calls + sim.schedule.joint_calls
    assert sim.to_dict()["call_latency_s"] == pytest.approx({"launch_s": 2e-05 * (1 + calls),
                                                             "step_latency_s": 3e-07 * 4 * 2 * 8})


def test_device_search_sorts_and_keeps_books_on_the_vector_unit(prepared_small):
    from hwsim.cost.device_search import device_search_s
    assert device_search_s(8, 4, 1e9) == pytest.approx((4 * 32 * 5 + 8 * 5 * 8) / 1e9)  # n log n sort + 8 ops/candidate
    costs = prepared_small(overrides=(D, L), search_on=Placement.ACCELERATOR).costs
    vector = [s for s in costs.search(8) if s.resource == "vector"]
    assert vector[0].duration_s == pytest.approx((640 + 320) / (2048 * 1.5e9))
