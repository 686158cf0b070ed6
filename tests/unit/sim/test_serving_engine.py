"""The serving engine on hand-made costs and schedules: exact totals, batching policy semantics, dispatch, chunks."""

from __future__ import annotations

import pytest

from hwsim.cost.segments import Segment
from hwsim.sim.entities import Chunk, RunShape, Utterance
from hwsim.decode.schedule import DecodeSchedule, DecodeStep
from hwsim.sim.fleet import ServingConfig, ServingEngine
from hwsim.sim.policies import Batching, Padding
from hwsim.sim.utterance import run_utterance

MS = 1e-3


class FakeCosts:
    """Encoder 1 ms per input frame (a batch of b costs 1 + 0.5 (b - 1) times one item); prediction 1 ms + 0.1 ms
    per row, joint 2 ms + 0.1 ms per row (matrix); transfer 0.1 ms per row (link); search 0.1 ms per hyp (cpu)."""

    def encoder(self, frames, exclusive=False):
        return (Segment("matrix", "encoder", frames * MS, "enc"),)

    def encoder_batch(self, frames, batch, exclusive=False):
        return (Segment("matrix", "encoder", frames * MS * (1 + 0.5 * (batch - 1)), "enc"),)

    def encoder_packed(self, lengths, exclusive=False):
        """Packed sequences: the frames between the k-th and (k+1)-th longest run at batch k."""
        ends = [*lengths, 0]
        return (Segment("matrix", "encoder", sum((ends[k] - ends[k + 1]) * MS * (1 + 0.5 * k)
                                                 for k in range(len(lengths))), "enc"),)

    def prediction(self, rows):
        return (Segment("matrix", "prediction", MS + rows * 0.1 * MS, "pred"),)

    def joint(self, rows):
        return (Segment("matrix", "joint", 2 * MS + rows * 0.1 * MS, "joint"),)

    def transfer(self, rows):
        return (Segment("link", "transfer", rows * 0.1 * MS, "xfer"),)

    def search(self, hyps):
        return (Segment("cpu", "search", hyps * 0.1 * MS, "search"),)

    def hmm_search(self, frames):
        return ()


def schedule(*steps: tuple[int, int, int, int]) -> DecodeSchedule:
    """steps as (frame, prediction_rows, joint_rows, hyps)."""
    return DecodeSchedule("tsd", 1, max(s[0] for s in steps) + 1,
                          tuple(DecodeStep(f, p, 0, j, h) for f, p, j, h in steps), 0)


U0 = schedule((0, 1, 1, 1), (1, 0, 1, 1))                 # 4 input frames
U1 = schedule((0, 1, 1, 1), (1, 1, 2, 2), (2, 0, 2, 2))   # 6 input frames


def whole(uid: int, frames: int, sched: DecodeSchedule, at: float = 0.0) -> Utterance:
    return Utterance(uid, at, frames * 0.01, (Chunk(at, frames, sched.frames),), sched)


def run(utts, batching=Batching.STATIC, max_batch=1, chips=1, max_wait_s=0.0, trace=0, padding=Padding.PACKED,
        live_cap=None):
    engine = ServingEngine(FakeCosts(), ServingConfig(batching, max_batch, max_wait_s, chips, trace_limit=trace,
                                                      padding=padding, live_cap=live_cap))
    result = engine.run(utts)
    records = {r.uid: r for log in result.chips for r in log.utterances}
    return result, records


def test_static_batch_of_two_has_the_hand_computed_total():
    # packed encoder over 6 and 4 frames: 4 frames at batch 2 (4 x 1.5 = 6 ms) + 2 at batch 1 = 8 ms; step 1 (both):
    # pred 2 rows 1.2 + joint 2.2 + transfer 0.2 + search 0.2 = 3.8 ms; step 2 (both): pred 1 row 1.1 + joint 3 rows
    # 2.3 + 0.3 + 0.3 = 4.0 ms -> u0 done at 15.8 ms; step 3 (u1 alone): joint 2.2 + 0.2 + 0.2 = 2.6 ms -> 18.4 ms.
    result, records = run([whole(0, 4, U0), whole(1, 6, U1)], max_batch=2)
    assert records[0].done_s == pytest.approx(15.8 * MS, rel=1e-12)
    assert records[1].done_s == pytest.approx(18.4 * MS, rel=1e-12)
    assert result.makespan_s == pytest.approx(18.4 * MS, rel=1e-12)
    sizes = [(b.kind, b.size) for b in result.chips[0].all_batches(0)]
    assert sizes == [("encoder", 2), ("decoder", 2), ("decoder", 2), ("decoder", 1)]


def test_a_padded_static_batch_keeps_finished_members_rows():
    # padded encoder: 6 frames x 1.5 = 9 ms, so u0 is done at 16.8 ms; step 3 still carries u0's beam row:
    # prediction 1 row 1.1 + joint 3 rows 2.3 + transfer 0.3 + search 0.2 (the host skips finished members)
    # = 3.9 ms -> 20.7 ms.
    result, records = run([whole(0, 4, U0), whole(1, 6, U1)], max_batch=2, padding=Padding.PADDED)
    assert records[0].done_s == pytest.approx(16.8 * MS, rel=1e-12)
    assert records[1].done_s == pytest.approx(20.7 * MS, rel=1e-12)
    encoder, *decoder = result.chips[0].all_batches(0)
    assert (encoder.rows, encoder.padding_rows) == (12, 2)
    assert [b.padding_rows for b in decoder] == [0, 0, 1]


def test_batch_of_one_runs_utterances_back_to_back():
    # u0: 4 + (1.1 + 2.1 + 0.1 + 0.1) + (2.1 + 0.1 + 0.1) = 9.7 ms; u1 then: 6 + 3.4 + 3.7 + 2.6 = 15.7 ms more.
    result, records = run([whole(0, 4, U0), whole(1, 6, U1)], max_batch=1)
    assert records[0].done_s == pytest.approx(9.7 * MS, rel=1e-12)
    assert records[1].admitted_s == records[0].done_s
    assert result.makespan_s == pytest.approx(25.4 * MS, rel=1e-12)


def test_one_utterance_equals_the_single_utterance_engine():
    costs = FakeCosts()
    single = run_utterance(costs, RunShape(6, 1), U1)
    result, _ = run([whole(0, 6, U1)])
    assert result.makespan_s == single.total_s


def test_continuous_refills_a_freed_slot_static_waits_for_the_whole_batch():
    utts = [whole(0, 4, U0), whole(1, 6, U1), whole(2, 4, U0)]
    _, static = run(utts, Batching.STATIC, max_batch=2)
    _, continuous = run(utts, Batching.CONTINUOUS, max_batch=2, live_cap=2)   # memory holds two
    assert static[2].admitted_s == static[1].done_s
    assert continuous[2].admitted_s == continuous[0].done_s < continuous[1].done_s
    _, unbounded = run(utts, Batching.CONTINUOUS, max_batch=2)                # all live; steps take two at a time
    assert [unbounded[i].admitted_s for i in range(3)] == [0.0, 0.0, 0.0]


def test_dynamic_batching_waits_at_most_max_wait():
    utts = [whole(0, 4, U0, at=0.0), whole(1, 6, U1, at=1 * MS)]
    _, short = run(utts, Batching.DYNAMIC, max_batch=2, max_wait_s=0.5 * MS)
    assert short[0].admitted_s == pytest.approx(0.5 * MS)           # alone, after waiting max_wait
    assert short[1].admitted_s == short[0].done_s                     # the batch holds the chip until done
    _, long = run(utts, Batching.DYNAMIC, max_batch=2, max_wait_s=2 * MS)
    assert long[0].admitted_s == long[1].admitted_s == pytest.approx(1 * MS)  # filled before the wait ran out


def test_static_flushes_a_partial_batch_once_arrivals_end():
    _, records = run([whole(0, 4, U0, at=0.0), whole(1, 6, U1, at=3 * MS)], Batching.STATIC, max_batch=4)
    assert records[0].admitted_s == records[1].admitted_s == pytest.approx(3 * MS)


def test_dispatcher_spreads_utterances_over_chips():
    result, records = run([whole(0, 4, U0), whole(1, 6, U1)], chips=2)
    assert (records[0].chip, records[1].chip) == (0, 1)
    assert result.makespan_s == pytest.approx(15.7 * MS, rel=1e-12)


def test_streaming_chunks_report_compute_latency_per_chunk():
    sched = schedule((0, 1, 1, 1), (1, 0, 1, 1), (2, 1, 1, 1), (3, 0, 1, 1))
    utt = Utterance(0, 0.0, 0.2, (Chunk(0.1, 2, 2), Chunk(0.2, 2, 4)), sched, stream=0, whole=False)
    result, records = run([utt], Batching.CONTINUOUS, max_batch=4)
    chunks = result.chips[0].chunks
    # each chunk: encoder 2 ms + steps of 3.4 ms and 2.3 ms after its audio arrives
    assert [c.done_s - c.arrival_s for c in chunks] == pytest.approx([7.7 * MS, 7.7 * MS], rel=1e-9)
    assert records[0].latency_s == pytest.approx(7.7 * MS, rel=1e-9)


def test_a_lane_never_runs_two_segments_at_once():
    utts = [whole(i, 4 + i % 3, U1 if i % 2 else U0, at=i * 0.5 * MS) for i in range(12)]
    result, _ = run(utts, Batching.CONTINUOUS, max_batch=3, trace=10_000)
    by_lane: dict[str, list] = {}
    for record in result.chips[0].trace:
        by_lane.setdefault(record.resource, []).append((record.start_s, record.end_s))
    assert set(by_lane) >= {"chip0/matrix", "chip0/cpu", "chip0/link"}
    for spans in by_lane.values():
        spans.sort()
        assert all(a_end <= b_start + 1e-15 for (_, a_end), (b_start, _) in zip(spans, spans[1:]))


def test_streaming_live_set_can_exceed_the_step_batch():
    sched = schedule((0, 1, 1, 1), (1, 0, 1, 1))
    utts = [Utterance(i, 0.0, 0.1, (Chunk(0.0, 2, 2),), sched, stream=i, whole=False) for i in range(5)]
    engine = ServingEngine(FakeCosts(), ServingConfig(Batching.CONTINUOUS, 2, 0.0, 1, live_cap=5))
    result = engine.run(utts)
    decoder = [b.size for b in result.chips[0].all_batches(0) if b.kind == "decoder"]
    assert max(decoder) == 2 and sum(decoder) == 10          # 5 utterances x 2 steps, at most 2 per step
    assert {r.admitted_s for r in result.chips[0].utterances} == {0.0}   # all five admitted at once


def test_progress_callback_counts_finished_utterances_a_bounded_number_of_times(monkeypatch):
    import hwsim.sim.fleet as serving_engine

    monkeypatch.setattr(serving_engine, "PROGRESS_STEPS", 3)   # at most ~3 calls, whatever the utterance count
    calls: list[tuple[int, int]] = []
    utts = [whole(i, 4, U0, at=i * 0.05) for i in range(10)]
    engine = ServingEngine(FakeCosts(), ServingConfig(Batching.STATIC, 1, 0.0, 1),
                           on_progress=lambda *c: calls.append(c))
    engine.run(utts)
    assert calls[0] == (1, 10) and calls[-1] == (10, 10) and all(total == 10 for _, total in calls)
    assert [done for done, _ in calls] == sorted({done for done, _ in calls})   # rising
    assert len(calls) <= 5
