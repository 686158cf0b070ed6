"""The decode-schedule pool of a serving load (hwsim.serving.schedules): searches capped per length, seeded,
the same slot for an utterance at every load, and a real spread between utterances of one length."""

from __future__ import annotations

import collections
import json
from dataclasses import replace

import pytest

import hwsim.serving.schedules as schedules
from hwsim.decode.registry import Algorithm
from hwsim.serving.load import Lengths
from hwsim.serving.run import Scenario, ServeRequest, build_load, framing_for, serve
from hwsim.serving.schedules import SchedulePool, pool_seed, slot_of
from hwsim.simulate import RunRequest, make_schedule, prepare

BASE = RunRequest("lstm_rnnt_small", "fp16", "ibm_7nm_ai_chip", 1, beam=4)  # 40 ms frames: 0.4 s is 10 frames
ONE_LENGTH = Lengths(0.4, 0.0)


@pytest.fixture(scope="module")
def prepared():
    return prepare(BASE)


@pytest.fixture
def searches(monkeypatch):
    """The frames and seed of every schedule searched in the test."""
    seen: list[tuple[int, int]] = []
    search = schedules.make_schedule

    def counting(prepared, run):
        seen.append((run.frames, run.seed))
        return search(prepared, run)

    monkeypatch.setattr(schedules, "make_schedule", counting)
    return seen


def offline(count: int, lengths: Lengths = ONE_LENGTH, base: RunRequest = BASE) -> ServeRequest:
    return ServeRequest(base, Scenario.OFFLINE, utterances=count, lengths=lengths)


def load(request: ServeRequest, prepared, memo: dict | None = None):
    return build_load(request, prepared, framing_for(request, prepared), memo)


def test_one_length_is_searched_at_most_pool_size_times(prepared, searches):
    """It searched once per utterance: 1,000 x 30 s of USM took 118 s of searches for a 2-s simulation."""
    utterances = load(offline(200), prepared)
    assert len(searches) == len({id(u.schedule) for u in utterances}) == schedules.POOL_SIZE
    assert len(set(searches)) == len(searches)  # each slot searched once


def test_a_small_run_searches_no_more_schedules_than_utterances(prepared, searches):
    load(offline(3), prepared)
    assert 1 <= len(searches) <= 3
    searches.clear()
    utterances = load(offline(3, Lengths(table_s=(0.4, 0.8, 1.2))), prepared)
    assert len(searches) == 3 and [u.schedule.frames for u in utterances] == [10, 20, 30]


def test_the_pool_is_deterministic(prepared):
    first, again = load(offline(30), prepared), load(offline(30), prepared, {})
    assert [u.schedule for u in first] == [u.schedule for u in again]
    other_seed = load(offline(60, base=replace(BASE, seed=100)), prepared)  # slots 100..107
    assert not {u.schedule for u in load(offline(60), prepared)} & {u.schedule for u in other_seed}  # --seed counts


def test_serve_writes_the_same_bytes_twice():
    request = ServeRequest(BASE, Scenario.SERVER, rate_per_s=20.0, duration_s=2.0, lengths=Lengths(0.4, 0.5))
    assert json.dumps(serve(request).summary, sort_keys=True) == json.dumps(serve(request).summary, sort_keys=True)


def test_an_utterance_keeps_its_schedule_at_every_load(prepared):
    """Common random numbers: utterance i has the same length and pool slot at every rate, so a capacity search
    sees p99 move with the load and not with which schedules the utterances happened to draw."""
    request = ServeRequest(BASE, Scenario.SERVER, rate_per_s=10.0, duration_s=5.0, lengths=Lengths(0.4, 0.3))
    slow, fast = load(request, prepared), load(request.with_load(40.0), prepared, {})
    assert len(fast) > len(slow) > 20
    assert [u.schedule for u in slow] == [u.schedule for u in fast[:len(slow)]]


def test_utterances_of_one_length_get_different_schedules(prepared):
    utterances = load(offline(40), prepared)
    distinct = {u.schedule for u in utterances}
    assert len(distinct) == schedules.POOL_SIZE > 1
    work = collections.Counter(s.prediction_rows + s.joint_rows for s in distinct)
    assert len(work) > 1  # different searches, not the same schedule under another seed


def test_a_pool_of_one_makes_every_utterance_of_a_length_identical(prepared, searches, monkeypatch):
    monkeypatch.setattr(schedules, "POOL_SIZE", 1)
    utterances = load(offline(40, Lengths(table_s=(0.4, 0.8))), prepared)
    assert len(searches) == 2
    assert len({id(u.schedule) for u in utterances if u.schedule.frames == 10}) == 1
    assert len({id(u.schedule) for u in utterances if u.schedule.frames == 20}) == 1


def test_slots_are_drawn_evenly_and_per_utterance():
    drawn = collections.Counter(slot_of(0, uid, 8) for uid in range(8000))
    assert sorted(drawn) == list(range(8))
    assert all(abs(count - 1000) < 150 for count in drawn.values())  # binomial sd ~30
    assert [slot_of(0, uid, 8) for uid in range(50)] != [slot_of(1, uid, 8) for uid in range(50)]


def test_utterance_zero_decodes_as_simulate_does(prepared):
    """Slot s is `simulate --seed S+s` of its length, and slots count from utterance 0's draw, so a one-utterance
    serve is simulate's utterance (tests/unit/serving/test_serve_cli.py compares their totals)."""
    assert all(slot_of(seed, 0, size) == 0 for seed in (0, 1, 7, 2 ** 63 - 1) for size in (1, 2, 8, 13))
    assert [pool_seed(5, slot) for slot in range(3)] == [5, 6, 7]
    (utterance,) = load(offline(1, base=replace(BASE, seed=3)), prepared)
    assert utterance.schedule == make_schedule(prepared, replace(BASE, frames=10, seed=3))


def test_probes_sharing_a_memo_search_each_schedule_once(prepared, searches):
    memo: dict = {}
    request = ServeRequest(BASE, Scenario.SERVER, rate_per_s=10.0, duration_s=5.0, lengths=Lengths(0.4, 0.3))
    load(request, prepared, memo)
    first = len(searches)
    load(request.with_load(5.0), prepared, memo)
    assert first > 0 and len(searches) == first


def test_the_key_is_the_encoder_frame_count(searches):
    """USM stacks 4 input frames per encoder frame: 9 to 12 input frames are the same 3-frame search."""
    base = RunRequest("usm_rnnt_1b", "exp5", "tpu_v5e", 1, algorithm=Algorithm.GREEDY, host="xeon_host")
    pool = SchedulePool(prepare(base), base, pool_size=1)
    found = [pool.schedule(frames, uid) for uid, frames in enumerate((9, 10, 11, 12, 13))]
    assert [s.frames for s in found] == [3, 3, 3, 3, 4]
    assert len({id(s) for s in found[:4]}) == 1 and pool.searches == len(searches) == 2
