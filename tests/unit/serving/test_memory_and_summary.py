"""Chip memory caps, percentiles and the capacity search on a made-up latency curve."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from hwsim.serving.capacity import find_max_load
from hwsim.serving.memory import ChipMemory, UtteranceState, chip_memory
from hwsim.serving.serve import Scenario, ServeRequest, percentiles
from hwsim.pipeline.point import RunRequest


def test_percentiles_by_hand():
    values = np.arange(1, 101, dtype=float)          # 1..100
    p = percentiles(values)
    # linear interpolation: position q/100 x (n - 1) from the first order statistic
    assert p == {"p50": 50.5, "p90": pytest.approx(90.1), "p99": pytest.approx(99.01), "max": 100.0}
    assert percentiles(np.array([3.0]))["p99"] == 3.0


def test_memory_caps_the_batch_and_counts_streams():
    state = UtteranceState(encoder_output_bytes=12.0, hypothesis_states_bytes=5.0, logits_bytes=3.0)
    memory = ChipMemory(capacity_bytes=1000.0, capacity_level="hbm", weights_bytes=400.0, state=state,
                        activations_per_item_bytes=30.0)
    assert memory.per_stream_bytes == memory.per_utterance_bytes == 20.0   # 12 + 5 + 3
    assert memory.batch_cap(8) == 8                  # 400 + 8 x 50 = 800 fits
    assert memory.batch_cap(64) == 12                # (1000 - 400) / 50
    assert memory.max_batch_by_memory() == 12
    assert memory.batch_limited_by(8) == "max_batch" and memory.batch_limited_by(12) == "max_batch"
    assert memory.batch_limited_by(13) == "memory"
    assert memory.max_concurrent_streams(12) == memory.max_live(12) == 12   # (1000 - 400 - 360) / 20
    assert memory.max_concurrent_streams(1) == memory.max_live(1) == 28     # (1000 - 400 - 30) / 20 = 28.5
    assert ChipMemory(100.0, "hbm", 99.0, UtteranceState(logits_bytes=1.0), 1.0).batch_cap(4) == 0


def test_the_json_memory_block_says_what_bound_the_batch():
    memory = ChipMemory(1000.0, "hbm", 400.0, UtteranceState(12.0, 5.0, 3.0), 30.0)
    capped = memory.to_dict(memory.batch_cap(64), 64)
    assert capped["batch_cap"] == 12 and capped["requested_batch"] == 64 and capped["max_batch_by_memory"] == 12
    assert capped["batch_limited_by"] == "memory"
    assert (capped["encoder_output_bytes"], capped["hypothesis_states_bytes"], capped["logits_bytes"],
            capped["streaming_cache_bytes"]) == (12.0, 5.0, 3.0, 0.0)
    assert capped["per_stream_bytes"] == 20.0 and capped["peak_bytes"] == 400 + 12 * 50
    free = memory.to_dict(memory.batch_cap(8), 8)
    assert free["batch_cap"] == free["requested_batch"] == 8 and free["batch_limited_by"] == "max_batch"


def test_an_utterance_holds_its_encoder_output_while_it_is_decoded():
    from hwsim.pipeline.point import prepare_point

    prepared = prepare_point(RunRequest("streaming_rnnt_mobile", "fp16", "ibm_7nm_ai_chip", 1, beam=4))
    graph, plan = prepared.model.graph, prepared.model.plan
    whole = chip_memory(graph, plan, prepared.sizes, prepared.device, 1000, None, 4)
    # 1000 input frames of 30 ms, time reduction x2: 500 encoder frames x the 640-wide joint encoder projection,
    # fp16 (2 bytes); the decoder reads the projected frames (joint.enc_proj runs with the encoder)
    assert whole.state.encoder_output_bytes == 500 * 640 * 2
    # beam 4 x 2 predictor LSTMP layers x (h projected to 640 + c of the 2048 cells), f32; logits 2 x beam x 4096
    # word pieces, f32
    states = 4 * 2 * (640 + 2048) * 4
    logits = 2 * 4 * 4096 * 4
    assert (whole.state.hypothesis_states_bytes, whole.state.logits_bytes) == (states, logits)
    assert whole.per_stream_bytes == 500 * 640 * 2 + states + logits
    # streaming: a stream holds only its current chunk's encoder frames (40 input frames -> 20 encoder frames)
    chunked = chip_memory(graph, plan, prepared.sizes, prepared.device, 1000, 40, 4)
    assert chunked.state.encoder_output_bytes == 20 * 640 * 2
    # and carries each of the 8 encoder LSTMP layers' (h 640, c 2048) in f32 from chunk to chunk
    assert chunked.state.streaming_cache_bytes == 8 * (640 + 2048) * 4
    assert chunked.per_stream_bytes == 20 * 640 * 2 + states + logits + 8 * (640 + 2048) * 4


class CurveExecutor:
    """Pretends to serve: p99 = load / 100 s, ignoring the function it is given."""

    def __init__(self):
        self.loads = []

    def map(self, fn, requests):
        self.loads += [r.load for r in requests]
        return [{"latency_s": {"p50": r.load / 200, "p99": r.load / 100}} for r in requests]

    def close(self):
        pass


def base(scenario, **kw):
    return ServeRequest(RunRequest("lstm_rnnt_small", "fp16", "ibm_7nm_ai_chip", 1), scenario, **kw)


def test_capacity_search_finds_the_largest_stream_count():
    executor = CurveExecutor()
    capacity = find_max_load(base(Scenario.STREAMING, streams=1), 0.505, executor)
    assert capacity.max_load == 50                   # 50 streams: p99 0.50 <= 0.505; 51: 0.51
    assert 51 in executor.loads
    again = CurveExecutor()
    assert find_max_load(base(Scenario.STREAMING, streams=1), 0.505, again).max_load == 50
    assert again.loads == executor.loads             # deterministic probe points


def test_capacity_search_on_rates_is_within_tolerance():
    capacity = find_max_load(base(Scenario.SERVER, rate_per_s=1.0), 0.5, CurveExecutor())
    assert 49.0 <= capacity.max_load <= 50.0
    assert math.isclose(capacity.max_load, 50.0, rel_tol=0.02)


def test_capacity_is_zero_when_the_smallest_load_misses():
    assert find_max_load(base(Scenario.STREAMING, streams=1), 0.001, CurveExecutor()).max_load == 0


def test_capacity_search_stops_at_a_limit_that_meets_the_target():
    executor = CurveExecutor()
    capacity = find_max_load(base(Scenario.STREAMING, streams=1), 0.505, executor, limit=30)
    assert capacity.max_load == 30 and max(executor.loads) == 30
    assert find_max_load(base(Scenario.STREAMING, streams=1), 0.505, CurveExecutor(), limit=80).max_load == 50


class ServedCurveExecutor(CurveExecutor):
    """As CurveExecutor, and each probe reports it served at most `served` streams' audio (rtfx) per second."""

    def __init__(self, served):
        super().__init__()
        self.served = served

    def map(self, fn, requests):
        out = super().map(fn, requests)
        for r, s in zip(requests, out):
            s["rtfx"] = min(float(r.load), self.served)
        return out


def test_bisection_finds_the_exact_stream_count_in_few_probes():
    executor = CurveExecutor()
    capacity = find_max_load(base(Scenario.STREAMING, streams=1), 0.505, executor, limit=1000, probes_per_round=1,
                             estimate=5000)
    assert capacity.max_load == 50 and 51 in executor.loads
    assert executor.loads[0] == 1000                 # the lower of the memory bound and the estimate first
    lo, hi = 0, 1000
    for load in executor.loads[1:]:                  # then each probe halves the bracket
        assert load == max(1, round((lo + hi) / 2))
        lo, hi = (load, hi) if load <= 50 else (lo, load)
    assert len(executor.loads) <= 1 + 10             # 1 + ceil(log2(1000)) halvings at most
    assert all(p.meets == (p.load <= 50) for p in capacity.probes)


def test_bisection_stops_at_the_relative_tolerance_below_capacity():
    executor = CurveExecutor()
    capacity = find_max_load(base(Scenario.STREAMING, streams=1), 0.505, executor, limit=1000, tolerance=0.1,
                             probes_per_round=1, estimate=1000)
    failing = min(p.load for p in capacity.probes if not p.meets)
    assert capacity.max_load <= 50 < failing         # never above capacity; the bracket holds it
    assert (failing - capacity.max_load) / failing <= 0.1
    assert len(executor.loads) < 12


def test_first_section_aims_at_the_throughput_a_failing_probe_served():
    executor = ServedCurveExecutor(served=60.0)
    capacity = find_max_load(base(Scenario.STREAMING, streams=1), 0.505, executor, probes_per_round=1, estimate=1000)
    assert executor.loads[:2] == [1000, 60]          # the estimate, then what the overloaded chip served
    assert capacity.max_load == 50
    plain = CurveExecutor()
    find_max_load(base(Scenario.STREAMING, streams=1), 0.505, plain, probes_per_round=1, estimate=1000)
    assert len(executor.loads) < len(plain.loads)


def test_a_limit_that_meets_the_target_takes_one_probe():
    executor = CurveExecutor()
    assert find_max_load(base(Scenario.STREAMING, streams=1), 0.505, executor, limit=40,
                         probes_per_round=1, estimate=1000).max_load == 40
    assert executor.loads == [40]


def test_an_estimate_below_capacity_grows_to_a_bracket_then_bisects():
    executor = CurveExecutor()
    capacity = find_max_load(base(Scenario.STREAMING, streams=1), 0.505, executor, limit=1000, probes_per_round=1,
                             estimate=20)
    assert executor.loads[:3] == [20, 40, 80] and capacity.max_load == 50


def test_probes_of_one_point_share_its_decode_schedules_and_give_the_same_bytes():
    from hwsim.io.jsonout import dumps
    from hwsim.serving.load import Lengths
    from hwsim.serving.serve import serve
    from hwsim.pipeline.point import prepare_point

    small = ServeRequest(RunRequest("lstm_rnnt_small", "fp16", "ibm_7nm_ai_chip", 1), Scenario.STREAMING,
                         streams=2, duration_s=3.0, lengths=Lengths(1.5, 0.3))
    big = small.with_load(4)
    prepared, memo = prepare_point(small.base), {}
    for request in (small, big):
        assert dumps(serve(request, prepared, memo).summary) == dumps(serve(request).summary)
    # utterance i has the same length and pool slot at every load, so the small load's schedules are the big one's:
    # the shared memo holds what the big load alone searches (one per uid with the exact pool, fewer with prefixes)
    alone: dict = {}
    serve(big, prepared, alone)
    searched = len(memo)
    assert 0 < searched == len(alone) and set(memo) == set(alone)
    other = replace(big, base=replace(big.base, precision="bf16", device="tpu_v5e"))  # nor on precision or device
    assert dumps(serve(other, prepare_point(other.base), memo).summary) == dumps(serve(other).summary)
    assert len(memo) == searched
    beam2 = replace(big, base=replace(big.base, beam=2))             # ... but on the beam
    assert dumps(serve(beam2, prepare_point(beam2.base), memo).summary) == dumps(serve(beam2).summary)
    assert len(memo) == 2 * searched


class UtilizationCurveExecutor(CurveExecutor):
    """As CurveExecutor; the busiest resource is busy load/80 of the time and the chip serves what is offered."""

    def map(self, fn, requests):
        out = super().map(fn, requests)
        for r, s in zip(requests, out):
            s["rtfx"], s["utilization"] = float(r.load), {"cpu": 0.1, "matrix": r.load / 80}
        return out


def test_growth_aims_at_the_load_that_saturates_the_busiest_resource():
    executor = UtilizationCurveExecutor()
    capacity = find_max_load(base(Scenario.STREAMING, streams=1), 0.505, executor, limit=1000, probes_per_round=1,
                             estimate=20, growth=8.0)
    assert executor.loads[:2] == [20, 80]            # 20 / (20 / 80), not 20 x 8
    assert capacity.max_load == 50
