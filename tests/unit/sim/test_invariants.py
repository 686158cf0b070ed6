"""Queueing invariants of the serving engine (issue 24, item 5), each as a hand-worked case and a property test over
small random loads on hand-made costs (tests.unit.sim.test_serving_engine.FakeCosts: a batch of b costs
1 + 0.5 (b - 1) times one item, so batching pays; packed runs each frame at the batch still active).

The property tests are derandomized (same examples every run) and small, so they are deterministic and cheap.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from hwsim.sim.entities import Chunk, Utterance
from hwsim.sim.fleet import ServingConfig, ServingEngine, ServingRun
from hwsim.sim.policies import Batching, Padding
from hwsim.sim.records import UtteranceRecord
from hwsim.decode.schedule import DecodeSchedule, DecodeStep
from tests.unit.sim.test_serving_engine import MS, U0, U1, FakeCosts, whole

EXACT = 1e-9  # relative: identities of one run differ only by float rounding
FAST = settings(max_examples=40, deadline=None, derandomize=True)
SLOW = settings(max_examples=8, deadline=None, derandomize=True)


# ---- loads ----
@st.composite
def schedules(draw, max_frames: int = 24) -> DecodeSchedule:
    """An RNN-T decode: per encoder frame a blank step, plus a label step (prediction call) for some frames."""
    frames = draw(st.integers(1, max_frames))
    beam = draw(st.sampled_from([1, 2, 4]))
    labels = draw(st.lists(st.booleans(), min_size=frames, max_size=frames))
    steps = []
    for frame, label in enumerate(labels):
        if label:
            steps.append(DecodeStep(frame, beam, 0, beam, beam))
        steps.append(DecodeStep(frame, 0, 0, beam, beam))
    return DecodeSchedule("tsd", beam, frames, tuple(steps), sum(labels))


@st.composite
def offline_loads(draw, min_size: int = 1, max_size: int = 24) -> list[Utterance]:
    """Whole utterances (input frames = encoder frames) all there at t=0, in the drawn order."""
    scheds = draw(st.lists(schedules(), min_size=min_size, max_size=max_size))
    return [whole(uid, s.frames, s) for uid, s in enumerate(scheds)]


def at_times(utterances: list[Utterance], times: np.ndarray) -> list[Utterance]:
    """The same utterances arriving at `times` (whole: their audio is all there on arrival)."""
    return [Utterance(u.uid, float(t), u.audio_s, tuple(Chunk(float(t), c.input_frames, c.encoder_frames)
                                                         for c in u.chunks), u.schedule)
            for u, t in zip(utterances, times)]


@st.composite
def server_loads(draw) -> list[Utterance]:
    """Poisson-like arrivals: unit exponential gaps (seeded) over a drawn rate."""
    utterances = draw(offline_loads())
    rate_per_s = draw(st.sampled_from([10.0, 50.0, 200.0, 1000.0]))
    seed = draw(st.integers(0, 2 ** 16))
    gaps = np.random.default_rng(seed).standard_exponential(len(utterances))
    return at_times(utterances, np.cumsum(gaps) / rate_per_s)


@st.composite
def configs(draw, chips: int | None = None, overlap: bool | None = None) -> ServingConfig:
    batching = draw(st.sampled_from(list(Batching)))
    units = draw(st.sampled_from([{}, {"matrix": 2}, {"matrix": 2, "cpu": 3}]))
    return ServingConfig(batching, draw(st.integers(1, 8)), draw(st.sampled_from([0.0, 2 * MS, 20 * MS])),
                         chips if chips is not None else draw(st.integers(1, 3)),
                         overlap if overlap is not None else draw(st.booleans()),
                         live_cap=draw(st.sampled_from([None, 4, 16])),
                         padding=draw(st.sampled_from(list(Padding))), units=units)


def run(utterances: list[Utterance], config: ServingConfig) -> tuple[ServingRun, list[UtteranceRecord]]:
    result = ServingEngine(FakeCosts(), config).run(utterances)
    return result, sorted((r for log in result.chips for r in log.utterances), key=lambda r: r.uid)


def span_s(result: ServingRun, records: list[UtteranceRecord]) -> float:
    """First arrival to last result (hwsim.serving.serve's makespan_s)."""
    return result.makespan_s - min(r.arrival_s for r in records)


def throughput(utterances: list[Utterance], config: ServingConfig) -> float:
    result, records = run(utterances, config)
    return len(records) / span_s(result, records)


# ---- 1. offline: continuous >= dynamic >= static ----
def policy_throughputs(utterances, max_batch, padding, max_wait_s=2 * MS, live_cap=None) -> list[float]:
    return [throughput(utterances, ServingConfig(b, max_batch, max_wait_s, padding=padding,
                                                 live_cap=live_cap if b is Batching.CONTINUOUS else None))
            for b in (Batching.CONTINUOUS, Batching.DYNAMIC, Batching.STATIC)]


def test_offline_policy_order_by_hand():
    # static/dynamic, max batch 2, packed: {u0, u1} as in test_serving_engine (done 18.4 ms), then u2 alone
    # (4 + 3.4 + 2.3 = 9.7 ms): 28.1 ms. Continuous: u0, u1 encoded (8 ms), u2's encoder call (4 ms) holds the matrix
    # until 12; steps {u0,u1} 3.8 -> 15.8, {u0,u1} 4.0 -> 19.8 (u0 done), {u1,u2} 1.1+2.3+0.3+0.3 -> 23.8,
    # {u2} 2.3 -> 26.1 ms.
    utts = [whole(0, 4, U0), whole(1, 6, U1), whole(2, 4, U0)]
    continuous, dynamic, static = policy_throughputs(utts, 2, Padding.PACKED)
    assert 3 / continuous == pytest.approx(26.1 * MS, rel=EXACT)
    assert 3 / dynamic == 3 / static == pytest.approx(28.1 * MS, rel=EXACT)


@FAST
@given(utterances=offline_loads(min_size=2), max_batch=st.integers(1, 8), padding=st.sampled_from(list(Padding)),
       max_wait_s=st.sampled_from([1e-6, 2 * MS, 1.0]), longest_first=st.booleans())
def test_offline_continuous_at_least_dynamic_at_least_static(utterances, max_batch, padding, max_wait_s,
                                                              longest_first):
    """Condition: continuous batching's live set is not bound by memory (live_cap None; see the two findings below)
    and dynamic batching waits a little (max_wait_s > 0; all offline utterances arrive at t=0)."""
    if longest_first:
        utterances = sorted(utterances, key=lambda u: -u.chunks[0].input_frames)
    continuous, dynamic, static = policy_throughputs(utterances, max_batch, padding, max_wait_s)
    assert continuous >= dynamic * (1 - EXACT)
    assert dynamic >= static * (1 - EXACT)


def one_frame(uid: int, steps: int) -> Utterance:
    return whole(uid, 1, DecodeSchedule("tsd", 1, 1, tuple(DecodeStep(0, 0, 0, 1, 1) for _ in range(steps)), 0))


@pytest.mark.xfail(strict=True, reason="finding: continuous batching whose live set equals the step batch (memory "
                   "binds) refills one slot at a time, so encoder calls and decoder steps run at batch 1")
def test_finding_memory_bound_continuous_is_slower_than_static():
    # static, max batch 2: {u0,u1} encoder 1.5 ms, step {u0,u1} 2.6 -> 4.1, step {u1} 2.3 -> 6.4; {u2,u3} encoder
    # 1.5 -> 7.9, step 2.6 -> 10.5 ms. Continuous, live set 2: u2 is admitted at 4.1 when u0 leaves, and encoded
    # alone (1 ms) behind u1's joint (6.2 -> 7.2); u3 at 6.4, encoded alone 7.2 -> 8.2; then u2's step and u3's
    # step run apart: 10.5, 12.8 ms.
    utts = [one_frame(0, 1), one_frame(1, 2), one_frame(2, 1), one_frame(3, 1)]
    continuous, _, static = policy_throughputs(utts, 2, Padding.PACKED, live_cap=2)
    assert 4 / static == pytest.approx(10.5 * MS, rel=EXACT)
    assert 4 / continuous == pytest.approx(12.8 * MS, rel=EXACT)   # what it is today
    assert continuous >= static


def test_dynamic_without_wait_batches_simultaneous_arrivals_together():
    # four 1-frame utterances of one step, max batch 2, all at t=0: static {u0,u1} 1.5 + 2.6, {u2,u3} 1.5 + 2.6
    # = 8.2 ms. Dynamic at max_wait 0 admits the same pairs, since every arrival of an instant is queued before the
    # policy looks (it used to take u0 alone: 3.3 + 4.1 + 3.3 = 10.7 ms).
    utts = [one_frame(i, 1) for i in range(4)]
    _, dynamic, static = policy_throughputs(utts, 2, Padding.PACKED, max_wait_s=0.0)
    assert 4 / static == pytest.approx(8.2 * MS, rel=EXACT)
    assert 4 / dynamic == pytest.approx(8.2 * MS, rel=EXACT)
    assert dynamic >= static


# ---- 2. completed throughput never falls as offered load rises ----
RATES_PER_S = (5.0, 20.0, 50.0, 100.0, 200.0, 500.0, 2000.0, 1e5)


def throughput_curve(utterances, config, seed) -> list[float]:
    """Common random numbers: the same utterances and unit exponential gaps at every rate (arrivals scale 1/rate)."""
    arrivals = np.cumsum(np.random.default_rng(seed).standard_exponential(len(utterances)))
    return [throughput(at_times(utterances, arrivals / rate), config) for rate in RATES_PER_S]


def test_throughput_rises_with_load_by_hand():
    # static, batch 1: u0 (9.7 ms of work) arrives at 0, u1 (6 + 3.4 + 3.7 + 2.6 = 15.7 ms) at g / rate.
    # span = max(9.7 ms, g / rate) + 15.7 ms: throughput 2 / span rises with the rate until u1 waits for u0.
    utts = [whole(0, 4, U0), whole(1, 6, U1)]
    config = ServingConfig(Batching.STATIC, 1)
    for gap_s, span in ((0.1, 115.7 * MS), (0.005, 25.4 * MS), (0.0, 25.4 * MS)):
        assert throughput(at_times(utts, np.array([0.0, gap_s])), config) == pytest.approx(2 / span, rel=EXACT)


@SLOW
@given(utterances=offline_loads(min_size=4, max_size=30), config=configs(chips=1),
       batching=st.sampled_from([Batching.STATIC, Batching.CONTINUOUS]), seed=st.integers(0, 2 ** 16))
def test_throughput_never_falls_as_offered_load_rises(utterances, config, batching, seed):
    """Conditions: packed padding (a bigger batch never costs more per frame; padded, a batch pays for its longest
    member, so batching more can complete less, a cost-model effect), and static or continuous batching (dynamic
    batching's deadline regroups arrivals by rate: see the finding below). Static under common random numbers is
    monotone by construction: the same batches, each starting no later."""
    from dataclasses import replace

    config = replace(config, padding=Padding.PACKED, batching=batching)
    curve = throughput_curve(utterances, config, seed)
    assert all(later >= earlier * (1 - EXACT) for earlier, later in zip(curve, curve[1:])), curve


def blank_steps(uid: int, frames: int) -> Utterance:
    return whole(uid, frames, DecodeSchedule("tsd", 1, frames, tuple(DecodeStep(f, 0, 0, 1, 1)
                                                                     for f in range(frames)), 0))


@pytest.mark.xfail(strict=True, reason="finding: dynamic batching's deadline groups arrivals differently at each "
                   "rate, and at a higher rate it can pair unequal lengths (a batching anomaly, not an engine bug)")
def test_finding_dynamic_batching_can_complete_less_at_a_higher_rate():
    # 1, 3, 3, 1 frames, max batch 2, max wait 2 ms, overlap off: at 500/s u0 runs alone and {u1,u2} (3, 3) pair;
    # at 2000/s {u0,u1} (1, 3) and {u2,u3} (3, 1) pair, and each pair pays its longer member's steps
    utts = [blank_steps(i, f) for i, f in enumerate([1, 3, 3, 1])]
    config = ServingConfig(Batching.DYNAMIC, 2, 2 * MS, 1, False, padding=Padding.PACKED)
    arrivals = np.cumsum(np.random.default_rng(0).standard_exponential(4))
    at_500, at_2000 = (throughput(at_times(utts, arrivals / rate), config) for rate in (500.0, 2000.0))
    assert at_2000 == pytest.approx(182.567, rel=1e-4) and at_500 == pytest.approx(191.388, rel=1e-4)
    assert at_2000 >= at_500


# ---- 3. Little's law ----
def littles_law(result: ServingRun, records: list[UtteranceRecord]) -> tuple[float, float]:
    """(L from the engine's occupancy integral, lambda x W from the records' times in system)."""
    span = span_s(result, records)
    mean_in_system = result.occupancy_s / span
    time_in_system_s = [r.done_s - r.ready_s for r in records]
    return mean_in_system, len(records) / span * (math.fsum(time_in_system_s) / len(records))


def test_littles_law_by_hand():
    # batch 1, offline: u0 in the system 0 -> 9.7 ms, u1 0 -> 25.4 ms; L = 35.1 / 25.4 = lambda x W
    result, records = run([whole(0, 4, U0), whole(1, 6, U1)], ServingConfig(Batching.STATIC, 1))
    assert result.occupancy_s == pytest.approx(35.1 * MS, rel=EXACT)
    mean_in_system, product = littles_law(result, records)
    assert mean_in_system == pytest.approx(35.1 / 25.4, rel=EXACT) and product == pytest.approx(35.1 / 25.4)


@FAST
@given(utterances=server_loads(), config=configs())
def test_littles_law_holds(utterances, config):
    """Within 3 % as the issue asks; over a run that starts and ends empty it is in fact exact (both sides are the
    summed time in system over the span), so this is tighter."""
    mean_in_system, product = littles_law(*run(utterances, config))
    assert mean_in_system == pytest.approx(product, rel=EXACT)
    assert mean_in_system == pytest.approx(product, rel=0.03)


# ---- 4. latency = queue + service ----
def test_latency_is_queue_plus_service_by_hand():
    # batch 1: u1 arrives at 1 ms, waits for u0 (done 9.7 ms) and runs 15.7 ms
    _, records = run([whole(0, 4, U0), whole(1, 6, U1, at=1 * MS)], ServingConfig(Batching.STATIC, 1))
    u1 = records[1]
    assert (u1.queue_s, u1.service_s) == (pytest.approx(8.7 * MS), pytest.approx(15.7 * MS))
    assert u1.latency_s == pytest.approx(24.4 * MS)


@FAST
@given(utterances=st.one_of(offline_loads(), server_loads()), config=configs())
def test_latency_is_queue_plus_service(utterances, config):
    _, records = run(utterances, config)
    assert len(records) == len(utterances)
    for r in records:
        assert r.queue_s >= 0 and r.service_s > 0
        assert r.latency_s == pytest.approx(r.queue_s + r.service_s, rel=EXACT, abs=1e-15)


# ---- 5. utilisation <= 1 per resource per chip ----
def utilizations(result: ServingRun, records: list[UtteranceRecord], config: ServingConfig) -> list[float]:
    """busy_s / (units x span) for every resource of every chip; a chip's span runs from the run's first arrival
    to its last result. With overlap off the chip's resources share one unit: their busy times add up."""
    start = min(r.arrival_s for r in records)
    out = []
    for index, log in enumerate(result.chips):
        done = [r.done_s for r in records if r.chip == index]
        if not done:
            continue
        span = max(done) - start
        if config.overlap:
            out += [busy / (config.units.get(name, 1) * span) for name, busy in log.busy_s.items()]
        else:
            out.append(sum(log.busy_s.values()) / span)
    return out


def test_utilization_by_hand():
    # u0 alone: matrix busy 4 (encoder) + 1.1 (prediction) + 2 x 2.1 (joints) = 9.3 ms of a 9.7 ms run
    config = ServingConfig(Batching.STATIC, 1)
    result, records = run([whole(0, 4, U0)], config)
    assert result.chips[0].busy_s["matrix"] == pytest.approx(9.3 * MS)
    assert max(utilizations(result, records, config)) == pytest.approx(9.3 / 9.7)


@FAST
@given(utterances=st.one_of(offline_loads(), server_loads()), config=configs())
def test_utilization_is_at_most_one_per_resource_per_chip(utterances, config):
    """Over the run, and at every instant (the trace): a lane never holds more segments than its units, so no
    window of the run, however short, is more than fully busy."""
    from dataclasses import replace

    result, records = run(utterances, replace(config, trace_limit=math.inf))
    assert max(utilizations(result, records, config)) <= 1 + EXACT
    for log in result.chips:
        changes: dict[str, list[tuple[float, int]]] = {}
        for t in log.trace:
            lane = t.resource.split("/")[-1] if config.overlap else "shared"
            changes.setdefault(lane, []).extend([(t.start_s, 1), (t.end_s, -1)])
        for lane, events in changes.items():
            units = config.units.get(lane, 1) if config.overlap else 1
            held = 0
            for _, change in sorted(events, key=lambda e: (e[0], e[1])):   # ends before starts at one instant
                held += change
                assert held <= units, lane


# ---- 6. N chips: >= 0.9 N x one chip's offline throughput ----
def test_two_chips_double_two_equal_utterances_by_hand():
    utts = [whole(0, 4, U0), whole(1, 4, U0)]
    one, two = (throughput(utts, ServingConfig(Batching.STATIC, 1, chips=n)) for n in (1, 2))
    assert (1 / one, 1 / two) == (pytest.approx(9.7 * MS), pytest.approx(4.85 * MS))   # 2 / 19.4 ms, 2 / 9.7 ms


@settings(max_examples=4, deadline=None, derandomize=True)
@given(pool=st.lists(schedules(max_frames=6), min_size=5, max_size=10), chips=st.integers(2, 3), config=configs(chips=1),
       longest_first=st.booleans())
def test_n_chips_give_at_least_ninety_percent_of_n_times_one_chip(pool, chips, config, longest_first):
    """Condition: each chip gets >= 100 utterances (the issue's; fewer, and the last batch's tail weighs)."""
    from dataclasses import replace

    utterances = [whole(uid, s.frames, s) for uid, s in enumerate(pool[i % len(pool)] for i in range(100 * chips))]
    if longest_first:
        utterances.sort(key=lambda u: -u.chunks[0].input_frames)
    one = throughput(utterances, config)
    many = throughput(utterances, replace(config, chips=chips))
    assert many >= 0.9 * chips * one


# ---- 7. overlap off: makespan = the sum of busy times ----
def test_serial_makespan_by_hand():
    # batch 1, u0 then u1: every segment one after another, 9.7 + 15.7 ms
    result, _ = run([whole(0, 4, U0), whole(1, 6, U1)], ServingConfig(Batching.STATIC, 1, overlap=False))
    assert result.makespan_s == pytest.approx(sum(result.chips[0].busy_s.values()), rel=EXACT)
    assert result.makespan_s == pytest.approx(25.4 * MS, rel=EXACT)


@FAST
@given(utterances=offline_loads(), config=configs(chips=1, overlap=False))
def test_without_overlap_the_makespan_is_the_sum_of_busy_times(utterances, config):
    """Offline (all work there at t=0), so a serial chip never idles."""
    result, _ = run(utterances, config)
    assert result.makespan_s == pytest.approx(sum(result.chips[0].busy_s.values()), rel=EXACT)


# ---- an engine bug the properties found ----
def test_dynamic_batching_admits_at_its_deadline_despite_float_rounding():
    # 0.4 + 0.1 - 0.4 < 0.1 in floats: the recheck timer fired 3e-17 s short of the wait and re-armed at the same
    # instant forever (a livelock); a remaining wait under WAIT_RESOLUTION_S now counts as waited.
    _, records = run([whole(0, 4, U0, at=0.4), whole(1, 4, U0, at=10.0)], ServingConfig(Batching.DYNAMIC, 2, 0.1))
    assert records[0].admitted_s == pytest.approx(0.5)
