"""simulate's run (the serving engine at batch 1) on hand-made costs: serial totals, overlap, streaming, critical path."""

import pytest

from hwsim.decode.simulated import Algorithm, build_schedule
from hwsim.decode.synthetic import EmissionParams
from hwsim.sim.entities import RunShape
from hwsim.sim.results import summarize
from hwsim.sim.utterance import run_utterance
from tests.unit.sim.fake_costs import FakeCosts, serial_sum

CAPACITIES = {"matrix": 1, "vector": 1, "cpu": 1, "link": 1}
PARAMS = EmissionParams(label_rate=0.3, top_prob=0.9, repeat_prob=0.5, seed=3)


@pytest.mark.parametrize("chunk", [None, 16])
def test_without_overlap_total_is_sum_of_segments(chunk):
    costs, shape = FakeCosts(), RunShape(frames=120, frame_divisor=1, chunk_frames=chunk)
    schedule = build_schedule(Algorithm.TSD, 120, 4, PARAMS, 3)
    run = run_utterance(costs, shape, schedule, overlap=False)
    assert run.total_s == pytest.approx(serial_sum(costs, shape, schedule), rel=1e-12)


def test_streaming_overlaps_encoder_and_decoder():
    costs, schedule = FakeCosts(), build_schedule(Algorithm.TSD, 120, 4, PARAMS, 3)
    serial = run_utterance(costs, RunShape(120, 1, 16), schedule, overlap=False).total_s
    overlapped = run_utterance(costs, RunShape(120, 1, 16), schedule, overlap=True).total_s
    assert overlapped < serial


def test_whole_utterance_decoder_starts_after_encoder():
    costs, schedule = FakeCosts(), build_schedule(Algorithm.GREEDY, 50, 1, PARAMS, 3)
    run = run_utterance(costs, RunShape(50, 1), schedule)
    first_decoder = min(r.start_s for r in run.trace if r.process == "decoder")
    assert first_decoder == pytest.approx(50 * 1e-3)


def test_critical_path_sums_to_total():
    costs, schedule = FakeCosts(), build_schedule(Algorithm.TSD, 120, 8, PARAMS, 3)
    shape = RunShape(120, 1, 16)
    run = run_utterance(costs, shape, schedule)
    result = summarize(run, CAPACITIES, audio_s=1.2, schedule=schedule)
    assert sum(result.critical_path_s.values()) == pytest.approx(result.total_s, rel=1e-9)
    assert result.calls["joint"] == len(schedule.steps)
    assert 0 < result.utilization["matrix"] <= 1


def test_hybrid_model_runs_hmm_search_per_chunk():
    costs = FakeCosts()
    run = run_utterance(costs, RunShape(100, 1, 25), None)
    hmm = [r for r in run.trace if r.component == "hmm_search"]
    assert len(hmm) == 4
    assert sum(r.end_s - r.start_s for r in hmm) == pytest.approx(100 * 1e-4)


def test_two_units_of_a_resource_hold_two_segments_at_once():
    """A resource with two units lets the encoder's next chunk and the decoder's step share it; with one they queue."""
    costs, schedule = FakeCosts(), build_schedule(Algorithm.TSD, 120, 4, PARAMS, 3)
    one = run_utterance(costs, RunShape(120, 1, 16), schedule)
    two = run_utterance(costs, RunShape(120, 1, 16), schedule, units={"matrix": 2})
    assert two.total_s < one.total_s
    assert not [w for w in two.waits if w.reason == "resource:matrix"]
    assert [w for w in one.waits if w.reason == "resource:matrix"]


def test_waits_split_into_frames_and_resources():
    costs, schedule = FakeCosts(), build_schedule(Algorithm.TSD, 120, 4, PARAMS, 3)
    run = run_utterance(costs, RunShape(120, 1, 16), schedule)
    frames = [w for w in run.waits if w.reason == "frames"]
    assert frames and frames[0].start_s == 0.0 and all(w.process == "decoder" for w in frames)


@pytest.mark.parametrize("chunk", [None, 16])
@pytest.mark.parametrize("overlap", [True, False])
@pytest.mark.parametrize("algorithm, beam", [(Algorithm.TSD, 4), (Algorithm.BEAM, 3)])
def test_decoder_alone_without_simpy_gives_the_same_run(chunk, overlap, algorithm, beam):
    """Once the encoder is done the lone decoder's steps are added up directly; trace, waits, events and ends must
    equal SimPy's to the bit (a zero-duration transfer is skipped on both paths)."""
    costs, shape = FakeCosts(transfer_s=0.0), RunShape(120, 1, chunk)
    schedule = build_schedule(algorithm, 120, beam, PARAMS, 3)
    fast = run_utterance(costs, shape, schedule, overlap)
    slow = run_utterance(costs, shape, schedule, overlap, shortcut=False)
    assert fast.events == slow.events
    assert fast.trace == slow.trace
    assert [list(vars(r).items()) for r in fast.trace] == [list(vars(r).items()) for r in slow.trace]  # + segments
    assert (fast.total_s, fast.waits, fast.process_end_s) == (slow.total_s, slow.waits, slow.process_end_s)
    assert not any(r.component == "transfer" for r in fast.trace)


def test_the_shortcut_runs_on_a_whole_utterance(monkeypatch):
    import hwsim.sim.chip as chip

    calls = []
    original = chip.Chip._decode_alone
    monkeypatch.setattr(chip.Chip, "_decode_alone", lambda self, flight: calls.append(flight) or original(self, flight))
    run_utterance(FakeCosts(), RunShape(50, 1), build_schedule(Algorithm.GREEDY, 50, 1, PARAMS, 3))
    assert len(calls) == 1
