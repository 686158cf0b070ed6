"""Engine behaviour on hand-made costs: serial totals, overlap, streaming, critical path."""

import pytest

from hwsim.sim.decode import Algorithm, build_schedule
from hwsim.sim.emission import EmissionParams
from hwsim.sim.engine import Engine, RunShape
from hwsim.sim.results import summarize
from tests.unit.sim.fake_costs import FakeCosts, serial_sum

CAPACITIES = {"matrix": 1, "vector": 1, "cpu": 1, "link": 1}
PARAMS = EmissionParams(label_rate=0.3, top_prob=0.9, repeat_prob=0.5, seed=3)


@pytest.mark.parametrize("chunk", [None, 16])
def test_without_overlap_total_is_sum_of_segments(chunk):
    costs, shape = FakeCosts(), RunShape(frames=120, frame_divisor=1, chunk_frames=chunk)
    schedule = build_schedule(Algorithm.TSD, 120, 4, PARAMS, 3)
    run = Engine(CAPACITIES, overlap=False).run(costs, shape, schedule)
    assert run.total_s == pytest.approx(serial_sum(costs, shape, schedule), rel=1e-12)


def test_streaming_overlaps_encoder_and_decoder():
    costs, schedule = FakeCosts(), build_schedule(Algorithm.TSD, 120, 4, PARAMS, 3)
    serial = Engine(CAPACITIES, overlap=False).run(costs, RunShape(120, 1, 16), schedule).total_s
    overlapped = Engine(CAPACITIES, overlap=True).run(costs, RunShape(120, 1, 16), schedule).total_s
    assert overlapped < serial


def test_whole_utterance_decoder_starts_after_encoder():
    costs, schedule = FakeCosts(), build_schedule(Algorithm.GREEDY, 50, 1, PARAMS, 3)
    run = Engine(CAPACITIES).run(costs, RunShape(50, 1), schedule)
    first_decoder = min(r.start_s for r in run.trace if r.process == "decoder")
    assert first_decoder == pytest.approx(50 * 1e-3)


def test_critical_path_sums_to_total():
    costs, schedule = FakeCosts(), build_schedule(Algorithm.TSD, 120, 8, PARAMS, 3)
    shape = RunShape(120, 1, 16)
    run = Engine(CAPACITIES).run(costs, shape, schedule)
    result = summarize(run, CAPACITIES, audio_s=1.2, schedule=schedule)
    assert sum(result.critical_path_s.values()) == pytest.approx(result.total_s, rel=1e-9)
    assert result.calls["joint"] == len(schedule.steps)
    assert 0 < result.utilization["matrix"] <= 1


def test_hybrid_model_runs_hmm_search_per_chunk():
    costs = FakeCosts()
    run = Engine(CAPACITIES).run(costs, RunShape(100, 1, 25), None)
    hmm = [r for r in run.trace if r.component == "hmm_search"]
    assert len(hmm) == 4
    assert sum(r.end_s - r.start_s for r in hmm) == pytest.approx(100 * 1e-4)


@pytest.mark.parametrize("chunk", [None, 16])
@pytest.mark.parametrize("overlap", [True, False])
@pytest.mark.parametrize("algorithm, beam", [(Algorithm.TSD, 4), (Algorithm.BEAM, 3)])
def test_decoder_alone_without_simpy_gives_the_same_run(chunk, overlap, algorithm, beam):
    """Once the encoder is done the decoder's steps are added up directly; trace, waits, events and ends must
    equal SimPy's to the bit (a zero-duration transfer is skipped on both paths)."""
    costs, shape = FakeCosts(transfer_s=0.0), RunShape(120, 1, chunk)
    schedule = build_schedule(algorithm, 120, beam, PARAMS, 3)
    fast_engine = Engine(CAPACITIES, overlap=overlap)
    fast = fast_engine.run(costs, shape, schedule)
    slow = Engine(CAPACITIES, overlap=overlap, shortcut=False).run(costs, shape, schedule)
    assert fast_engine._alone_end_s > 0  # the shortcut ran
    assert fast.trace == slow.trace
    assert [list(vars(r).items()) for r in fast.trace] == [list(vars(r).items()) for r in slow.trace]  # + segments
    assert [repr(r) for r in fast.trace] == [repr(r) for r in slow.trace]
    assert (fast.total_s, fast.events, fast.waits, fast.process_end_s) == \
        (slow.total_s, slow.events, slow.waits, slow.process_end_s)
    assert not any(r.component == "transfer" for r in fast.trace)
