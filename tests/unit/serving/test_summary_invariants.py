"""Invariants of `serve`'s summary and per-utterance table (issue 28, item 4), on small runs of a shipped workload:
utilisation per resource = busy time over chips x makespan (read back from the full trace), each chip at most fully
busy, latency = queue + service with the split at admission, static batches admitted when the last one finishes,
and the overlap switch (off: one chip's makespan is the sum of its busy times, so the utilisations add up to 1).

The engine-level versions on hand-made costs are in tests/unit/sim/test_invariants.py; these check the summary's
arithmetic (hwsim.serving.serve._result) on top of them.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from hwsim.serving.load import Lengths
from hwsim.serving.order import Order
from hwsim.serving.serve import Scenario, ServeRequest, percentiles, serve
from hwsim.sim.policies import Batching
from hwsim.pipeline.point import RunRequest, prepare_point as prepare

BASE = RunRequest("lstm_rnnt_small", "fp16", "ibm_7nm_ai_chip", 1)
EXACT = 1e-9
ALL_SEGMENTS = 10 ** 9   # trace_limit: every segment of the run


@pytest.fixture(scope="module")
def prepared():
    return prepare(BASE), {}


def point(**changes) -> ServeRequest:
    request = ServeRequest(BASE, Scenario.OFFLINE, utterances=12, lengths=Lengths(1.0, 0.3), max_batch=4,
                           batching=Batching.STATIC, order=Order.ARRIVAL, trace_limit=ALL_SEGMENTS)
    return replace(request, **changes)


def busy_by_chip(result) -> dict[tuple[str, str], float]:
    """{(chip, resource): seconds} summed from the trace (every segment recorded)."""
    busy: dict[tuple[str, str], float] = {}
    for record in result.trace:
        chip, resource = record.resource.split("/", 1)
        busy[chip, resource] = busy.get((chip, resource), 0.0) + record.end_s - record.start_s
    return busy


@pytest.fixture(scope="module")
def two_chips(prepared):
    """Server arrivals on two chips, static batches of 4: utterances queue, and both chips work."""
    return serve(point(scenario=Scenario.SERVER, order=None, rate_per_s=2000.0, duration_s=0.012, chips=2),
                 *prepared)


def test_two_chip_utilisation_is_busy_over_chips_times_makespan(two_chips):
    summary = two_chips.summary
    assert summary["chips"] == 2 and set(two_chips.utterances.chip) == {0, 1}
    span = summary["makespan_s"]
    assert span == pytest.approx(two_chips.utterances.done_s.max() - two_chips.utterances.arrival_s.min(), rel=EXACT)
    busy = busy_by_chip(two_chips)
    for name, utilization in summary["utilization"].items():
        seconds = sum(s for (_, resource), s in busy.items() if resource == name)
        assert utilization == pytest.approx(seconds / (2 * span), rel=1e-9, abs=1e-15), name
    assert sum(busy.values()) == pytest.approx(sum(summary["components_busy_s"].values()), rel=1e-9)


def test_each_chip_is_at_most_fully_busy(two_chips):
    """A chip's resource holds one unit at a time: busy time over the run's span at most 1, per chip; the
    summary's mean over chips is then at most 1 too."""
    span = two_chips.summary["makespan_s"]
    busy = busy_by_chip(two_chips)
    assert {chip for chip, _ in busy} == {"chip0", "chip1"}
    assert max(seconds / span for seconds in busy.values()) <= 1 + EXACT
    assert max(busy.values()) / span > 0.2                         # not trivially idle
    assert max(two_chips.summary["utilization"].values()) <= 1 + EXACT


def test_latency_is_queue_plus_service_split_at_admission(two_chips):
    utts = two_chips.utterances
    assert (utts.queue_s > 0).any() and (utts.queue_s >= 0).all() and (utts.service_s > 0).all()
    assert np.allclose(utts.queue_s, utts.admitted_s - utts.ready_s, rtol=0, atol=1e-15)
    assert np.allclose(utts.service_s, utts.done_s - utts.admitted_s, rtol=0, atol=1e-15)
    assert np.allclose(utts.latency_s, utts.queue_s + utts.service_s, rtol=EXACT, atol=1e-15)
    for key in ("latency_s", "queue_s", "service_s"):
        assert two_chips.summary[key] == percentiles(utts[key].to_numpy())
        values = two_chips.summary[key]
        assert values["p50"] <= values["p90"] <= values["p99"] <= values["max"]


def test_percentiles_by_hand():
    assert percentiles(np.array([4.0, 1.0, 3.0, 2.0])) == {"p50": 2.5, "p90": pytest.approx(3.7),
                                                           "p99": pytest.approx(3.97), "max": 4.0}
    assert all(math.isnan(v) for v in percentiles(np.array([])).values())


def test_static_batches_are_admitted_when_the_last_one_finishes(prepared):
    """Offline, one chip, static batches of 4 in arrival order: utterances 0-3 at t=0, then each next four when
    the batch before has finished (its last member's done time); their queue is that wait."""
    result = serve(point(), *prepared)
    utts = result.utterances.sort_values("uid")
    admitted, done = utts.admitted_s.to_numpy(), utts.done_s.to_numpy()
    assert list(utts.uid) == list(range(12))
    for batch in range(3):
        members = slice(4 * batch, 4 * batch + 4)
        start = 0.0 if batch == 0 else done[4 * batch - 4:4 * batch].max()
        assert admitted[members] == pytest.approx([start] * 4, rel=EXACT)
        assert utts.queue_s.to_numpy()[members] == pytest.approx([start] * 4, rel=EXACT)


def test_without_overlap_one_chip_is_busy_the_whole_makespan(prepared):
    """Overlap off: every segment of a chip runs one after another, so offline (all work there at t=0) the
    makespan is the summed busy time and the utilisations add up to 1. With overlap on, they add up to more."""
    serial = serve(point(base=replace(BASE, overlap=False), batching=Batching.CONTINUOUS), *prepared).summary
    assert serial["makespan_s"] == pytest.approx(sum(serial["components_busy_s"].values()), rel=EXACT)
    assert sum(serial["utilization"].values()) == pytest.approx(1.0, rel=EXACT)
    overlapped = serve(point(batching=Batching.CONTINUOUS), *prepared).summary
    assert sum(overlapped["utilization"].values()) > 1.0
    assert overlapped["makespan_s"] < serial["makespan_s"]


def test_without_overlap_each_of_two_chips_is_busy_until_its_last_result(prepared):
    result = serve(point(base=replace(BASE, overlap=False), chips=2), *prepared)
    busy = busy_by_chip(result)
    for chip in (0, 1):
        chip_busy = sum(s for (name, _), s in busy.items() if name == f"chip{chip}")
        last_done = result.utterances[result.utterances.chip == chip].done_s.max()
        assert chip_busy == pytest.approx(last_done, rel=EXACT)
    assert sum(result.summary["utilization"].values()) <= 1 + EXACT


def test_streaming_queue_runs_from_the_first_chunk_not_the_start_of_speech(prepared):
    """A stream's utterance is ready for the server when its first chunk has arrived (chunk_s after it starts
    speaking); a lightly loaded chip admits it then, so it never queued. Its latency runs from the end of speech,
    so here latency is not queue + service: the service covers the speaking time."""
    result = serve(point(scenario=Scenario.STREAMING, order=None, streams=2, duration_s=2.0, chunk_s=0.64,
                         batching=Batching.CONTINUOUS), *prepared)
    utts = result.utterances
    assert len(utts) >= 4
    assert np.allclose(utts.ready_s - utts.arrival_s, 0.64, rtol=0, atol=1e-9)
    assert (utts.queue_s == 0).all() and result.summary["queue_s"]["max"] == 0
    assert np.allclose(utts.service_s, utts.done_s - utts.ready_s, rtol=0, atol=1e-15)
    assert (utts.latency_s < utts.service_s).all()
    assert np.allclose(utts.latency_s, utts.done_s - utts.end_of_speech_s, rtol=0, atol=1e-15)


def test_littles_law_holds_exactly_on_the_summary(two_chips):
    """The run starts and ends empty, so the mean number in the system over the span (first arrival to last
    result) is the throughput times the mean time in the system, to rounding; the first arrival is after t=0."""
    summary, utts = two_chips.summary, two_chips.utterances
    assert utts.arrival_s.min() > 0
    in_system_s = (utts.done_s - utts.ready_s).mean()
    assert summary["mean_in_system"] == pytest.approx(summary["throughput_utt_per_s"] * in_system_s, rel=1e-9)
    assert summary["throughput_utt_per_s"] == pytest.approx(len(utts) / summary["makespan_s"], rel=1e-12)


def test_energy_and_batch_figures_follow_the_tables(two_chips, prepared):
    """Energy per hour of audio is chips x power x the hours each chip runs per hour of audio (1 / RTFx):
    ibm_7nm_ai_chip draws 13.5 W and has no price. Batch figures are the means and maxima of the per-batch table."""
    summary = two_chips.summary
    assert summary["cost_per_1000h_usd"] is None
    assert summary["energy_per_hour_audio_j"] == pytest.approx(2 / summary["rtfx"] * 13.5 * 3600, rel=1e-12)
    assert summary["rtfx"] == pytest.approx(summary["audio_s"] / summary["makespan_s"], rel=1e-12)
    batches = two_chips.batches
    for kind, mean, largest in (("decoder", "mean", "max"), ("encoder", "encoder_mean", "encoder_max")):
        sizes = batches[batches.kind == kind]["size"]
        assert summary["batch"][mean] == pytest.approx(float(sizes.mean())) and summary["batch"][largest] == sizes.max()
    static = serve(point(), *prepared)    # offline, static batches of 4: every encoder call encodes 4 utterances
    assert (static.summary["batch"]["encoder_mean"], static.summary["batch"]["encoder_max"]) == (4.0, 4)
