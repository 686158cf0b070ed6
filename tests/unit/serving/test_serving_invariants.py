"""Queueing invariants of `serve` on a shipped workload (issue 24, item 5): completed throughput against offered load,
Little's law on the summary, latency = queue + service, utilisation and chip scaling. Small runs (a few hundred
2 s utterances of lstm_rnnt_small); the engine-level properties are in tests/unit/sim/test_invariants.py."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from hwsim.serving.load import Lengths
from hwsim.serving.order import Order
from hwsim.serving.run import Scenario, ServeRequest, serve
from hwsim.sim.policies import Padding
from hwsim.simulate import RunRequest, prepare

BASE = RunRequest("lstm_rnnt_small", "fp16", "ibm_7nm_ai_chip", 1)
POINT = ServeRequest(BASE, Scenario.OFFLINE, utterances=300, lengths=Lengths(2.0, 0.5), max_batch=16,
                     order=Order.ARRIVAL)
UTTERANCES_PER_RATE = 100.0   # server runs last UTTERANCES_PER_RATE / capacity seconds: 100 utterances at capacity


@pytest.fixture(scope="module")
def prepared():
    return prepare(BASE), {}


def served(request: ServeRequest, prepared) -> dict:
    return serve(request, *prepared).summary


def throughput_curve(prepared, multiples, padding: Padding) -> tuple[float, list[float]]:
    """Common random numbers: utterance i has the same length and unit exponential gap at every rate (load.py), so
    a higher rate only compresses the arrivals and adds utterances. Capacity: the same kind of utterances offline,
    in arrival order."""
    point = replace(POINT, padding=padding)
    capacity = served(point, prepared)["throughput_utt_per_s"]
    server = replace(point, scenario=Scenario.SERVER, order=None, duration_s=UTTERANCES_PER_RATE / capacity)
    return capacity, [served(server.with_load(m * capacity), prepared)["throughput_utt_per_s"] for m in multiples]


def test_completed_throughput_never_falls_as_offered_load_rises(prepared):
    """Packed (the condition in tests/unit/sim/test_invariants.py: a bigger batch never costs more per frame)."""
    capacity, completed = throughput_curve(prepared, (0.5, 1.0, 2.0, 3.0, 4.0), Padding.PACKED)
    assert all(later >= earlier for earlier, later in zip(completed, completed[1:])), completed
    assert completed[0] == pytest.approx(0.5 * capacity, rel=0.15)          # below capacity: what is offered


@pytest.fixture(scope="module")
def padded_curve(prepared):
    return throughput_curve(prepared, (2.0, 3.0, 4.0), Padding.PADDED)


def test_completed_throughput_is_flat_past_capacity(padded_curve):
    """The defaults (continuous, padded): from 2x capacity on, the chip is saturated from the start (below, a
    finite run still ramps up)."""
    capacity, completed = padded_curve
    for throughput in completed:
        assert throughput == pytest.approx(capacity, rel=0.05), throughput / capacity


@pytest.mark.xfail(strict=True, reason="finding: padded, 3x capacity completes 0.08 % less than 2x (and 6x ~3 % "
                   "less than 4x): more queued work makes bigger encoder batches in arrival order, which pay for "
                   "their longest member")
def test_finding_padded_throughput_dips_as_offered_load_rises(padded_curve):
    _, completed = padded_curve
    assert all(later >= earlier for earlier, later in zip(completed, completed[1:])), completed


@pytest.fixture(scope="module")
def overloaded(prepared):
    """Two chips at twice one chip's capacity, with the per-utterance table."""
    capacity = served(POINT, prepared)["throughput_utt_per_s"]
    request = replace(POINT, scenario=Scenario.SERVER, order=None, chips=2, rate_per_s=2 * capacity,
                      duration_s=UTTERANCES_PER_RATE / capacity)
    return serve(request, *prepared)


def test_littles_law_on_the_summary(overloaded):
    """mean_in_system is the engine's occupancy integral; throughput x mean time in system comes from the records."""
    summary, utts = overloaded.summary, overloaded.utterances
    time_in_system_s = (utts.done_s - utts.ready_s).mean()
    assert summary["mean_in_system"] == pytest.approx(summary["throughput_utt_per_s"] * time_in_system_s, rel=0.03)


def test_every_latency_is_queue_plus_service(overloaded):
    utts = overloaded.utterances
    assert (utts.queue_s >= 0).all() and (utts.service_s > 0).all()
    assert ((utts.latency_s - (utts.queue_s + utts.service_s)).abs() <= 1e-9 * utts.latency_s).all()
    assert overloaded.summary["latency_s"]["max"] == pytest.approx(float(utts.latency_s.max()))


def test_utilization_is_at_most_one_per_resource(overloaded):
    utilization = overloaded.summary["utilization"]
    assert max(utilization.values()) <= 1.0 and max(utilization.values()) > 0.1
    assert not any(math.isnan(u) for u in utilization.values())


def test_two_chips_give_at_least_ninety_percent_of_twice_one_chip(prepared):
    """Each chip gets >= 100 utterances (the issue's condition)."""
    request = replace(POINT, utterances=200, order=None)
    one, two = (served(replace(request, chips=n), prepared)["throughput_utt_per_s"] for n in (1, 2))
    assert two >= 0.9 * 2 * one
