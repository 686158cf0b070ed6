"""The decode-schedule pool of a serving load (hwsim.serving.schedules): searches capped per length (exact pool)
or per grid point (prefix pool), seeded, the same slot for an utterance at every load, and a real spread between
utterances of one length."""

from __future__ import annotations

import collections
import json
import statistics
from dataclasses import replace

import pytest

import hwsim.serving.schedules as schedules
from hwsim.decode.registry import Algorithm
from hwsim.serving.load import Lengths
from hwsim.serving.run import Scenario, ServeRequest, build_load, framing_for, serve
from hwsim.serving.schedules import SchedulePool, grid_frames, pool_seed, prefix, slot_of
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


@pytest.fixture
def exact(monkeypatch):
    """The per-length pool (PREFIX off): its tests pin how slots share one length's searches."""
    monkeypatch.setattr(schedules, "PREFIX", False)


def offline(count: int, lengths: Lengths = ONE_LENGTH, base: RunRequest = BASE) -> ServeRequest:
    return ServeRequest(base, Scenario.OFFLINE, utterances=count, lengths=lengths)


def load(request: ServeRequest, prepared, memo: dict | None = None):
    return build_load(request, prepared, framing_for(request, prepared), memo)


def test_one_length_is_searched_at_most_pool_size_times(prepared, searches, exact):
    """It searched once per utterance: 1,000 x 30 s of USM took 118 s of searches for a 2-s simulation."""
    utterances = load(offline(200), prepared)
    assert len(searches) == len({id(u.schedule) for u in utterances}) == schedules.POOL_SIZE
    assert len(set(searches)) == len(searches)  # each slot searched once


def test_the_prefix_pool_searches_one_length_at_its_grid_point(prepared, searches):
    """Prefix pool: the slots' searches are at the grid point (10 frames -> 16), and utterance 0 has its own."""
    utterances = load(offline(200), prepared)
    assert sorted(searches) == [(10, 0)] + [(16, pool_seed(0, slot)) for slot in range(schedules.POOL_SIZE)]
    assert len({id(u.schedule) for u in utterances}) == schedules.POOL_SIZE + 1
    assert {u.schedule.frames for u in utterances} == {10}


def test_a_small_run_searches_no_more_schedules_than_utterances(prepared, searches, exact):
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


@pytest.mark.parametrize("prefixed", [False, True])
def test_utterances_of_one_length_get_different_schedules(prepared, monkeypatch, prefixed):
    monkeypatch.setattr(schedules, "PREFIX", prefixed)
    utterances = load(offline(40), prepared)
    distinct = {u.schedule for u in utterances}
    assert len(distinct) == schedules.POOL_SIZE + prefixed > 1  # the prefix pool: utterance 0's exact one too
    work = collections.Counter(s.prediction_rows + s.joint_rows for s in distinct)
    assert len(work) > 1  # different searches, not the same schedule under another seed


def test_a_pool_of_one_makes_every_utterance_of_a_length_identical(prepared, searches, monkeypatch, exact):
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
    pool = SchedulePool(prepare(base), base, pool_size=1, prefix=False)
    found = [pool.schedule(frames, uid) for uid, frames in enumerate((9, 10, 11, 12, 13))]
    assert [s.frames for s in found] == [3, 3, 3, 3, 4]
    assert len({id(s) for s in found[:4]}) == 1 and pool.searches == len(searches) == 2
    searches.clear()
    pool = SchedulePool(prepare(base), base, pool_size=1, prefix=True)  # utterance 0 (9 frames) has its own
    found = [pool.schedule(frames, uid) for uid, frames in enumerate((9, 10, 11, 12, 13, 14))]
    assert [s.frames for s in found] == [3, 3, 3, 3, 4, 4]
    assert len({id(s) for s in found[1:4]}) == 1 and pool.searches == len(searches) == 2  # 3 frames, grid 16


# The prefix pool (hwsim.serving.schedules.prefix): a T-frame schedule is the first T frames of a longer search.

TSD_SPREAD_SEEDS = 32
# Prediction rows of a 50-frame lstm_rnnt_small TSD beam-4 search vary between seeds with a coefficient of
# variation of 6.6 % (measured, 32 seeds; 6.9 % at 30 frames, 5.0 % at 100). The mean of 32 prefixes and the mean
# of 32 exact searches then differ by sd 6.6 % x sqrt(2 / 32) = 1.65 % if the prefix is distributed as the exact
# search; 3 sd is 5 %. (Measured: -2.3 %; cutting no steps, i.e. the whole 100-frame search, is +100 %.)
TSD_PREDICTION_TOLERANCE = 0.05


def frame_synchronous(algorithm: Algorithm) -> RunRequest:
    return replace(BASE, algorithm=algorithm, beam=1 if algorithm is Algorithm.GREEDY else BASE.beam)


@pytest.mark.parametrize("algorithm", [Algorithm.GREEDY, Algorithm.BEAM, Algorithm.TSD, Algorithm.MODIFIED_BEAM])
def test_a_prefix_is_the_searchs_steps_before_the_frame(prepared, algorithm):
    searched = make_schedule(prepared, replace(frame_synchronous(algorithm), frames=40, seed=2))
    frames = [step.frame for step in searched.steps]
    assert frames == sorted(frames)  # frame-synchronous: what the prefix relies on
    for length in (1, 7, 25, 39):
        cut = prefix(searched, length)
        count = len(cut.steps)
        assert cut.frames == length and cut.steps == searched.steps[:count]
        assert all(s.frame < length for s in cut.steps) and searched.steps[count].frame >= length
        assert cut.labels == round(searched.labels * length / 40)
        assert (cut.algorithm, cut.beam, cut.max_symbols, cut.vocab) == \
            (searched.algorithm, searched.beam, searched.max_symbols, searched.vocab)
    assert prefix(searched, 40) is searched
    with pytest.raises(ValueError):
        prefix(searched, 41)


@pytest.mark.parametrize("algorithm", [Algorithm.TSD, Algorithm.MODIFIED_BEAM])
def test_a_prefix_has_the_exact_searchs_step_structure(prepared, algorithm):
    """TSD runs S + 1 calls on every frame over a full beam, modified beam one per frame: a prefix's steps, and
    TSD's joint rows, are the exact search's at the same seed, for lengths on and off the grid."""
    base = frame_synchronous(algorithm)
    for length, seed in ((7, 0), (16, 1), (25, 2), (50, 3)):
        exact_search = make_schedule(prepared, replace(base, frames=length, seed=seed))
        cut = prefix(make_schedule(prepared, replace(base, frames=100, seed=seed)), length)
        assert len(cut.steps) == len(exact_search.steps)
        assert [s.frame for s in cut.steps] == [s.frame for s in exact_search.steps]
        if algorithm is Algorithm.TSD:
            assert [s.joint_rows for s in cut.steps] == [s.joint_rows for s in exact_search.steps]


def test_a_tsd_prefix_has_the_exact_searchs_prediction_rows_within_the_seed_spread(prepared):
    def mean_rows(frames: int, length: int) -> float:
        return statistics.mean(prefix(make_schedule(prepared, replace(BASE, frames=frames, seed=seed)), length)
                               .prediction_rows for seed in range(TSD_SPREAD_SEEDS))

    exact_mean, prefix_mean = mean_rows(50, 50), mean_rows(100, 50)
    assert abs(prefix_mean / exact_mean - 1) <= TSD_PREDICTION_TOLERANCE


def test_grid_points(prepared):
    assert [grid_frames(t, 10 ** 6) for t in (1, 16, 17, 24, 25, 36, 37, 54, 55, 81, 82)] == \
        [16, 16, 24, 24, 36, 36, 54, 54, 81, 81, 122]
    assert grid_frames(100, 110) == 110 and grid_frames(110, 110) == 110  # the search limits cap a grid point


def test_a_length_on_the_grid_gets_the_whole_search(prepared):
    pool = SchedulePool(prepared, BASE, prefix=True)
    uid = next(uid for uid in range(1, 50) if slot_of(BASE.seed, uid, pool.pool_size) == 2)
    assert pool.schedule(24, uid) == make_schedule(prepared, replace(BASE, frames=24, seed=pool_seed(0, 2)))
    assert pool.schedule(23, uid) == prefix(pool.schedule(24, uid), 23)


def test_the_prefix_pool_searches_at_most_slots_times_grid_points(prepared, searches):
    request = ServeRequest(BASE, Scenario.SERVER, rate_per_s=40.0, duration_s=10.0, lengths=Lengths(1.0, 0.7))
    utterances = load(request, prepared)
    lengths = {u.schedule.frames for u in utterances}
    grid = {grid_frames(t, 10 ** 6) for t in lengths}
    assert len(lengths) > 30 and len(grid) <= 8
    first = utterances[0].schedule.frames
    assert set(searches) <= {(g, pool_seed(0, s)) for g in grid for s in range(schedules.POOL_SIZE)} | {(first, 0)}
    assert len(searches) <= schedules.POOL_SIZE * len(grid) + 1


def test_the_prefix_pool_is_deterministic_and_the_switch_turns_it_off(prepared, monkeypatch):
    request = ServeRequest(BASE, Scenario.SERVER, rate_per_s=40.0, duration_s=3.0, lengths=Lengths(1.0, 0.7))
    first, again = load(request, prepared), load(request, prepared, {})
    assert [u.schedule for u in first] == [u.schedule for u in again]
    monkeypatch.setattr(schedules, "PREFIX", False)
    exact_load = load(request, prepared, {})
    assert [u.schedule.frames for u in exact_load] == [u.schedule.frames for u in first]
    assert exact_load[0].schedule == first[0].schedule  # utterance 0 is exact in both
    assert [u.schedule for u in exact_load] != [u.schedule for u in first]
    assert all(u.schedule == make_schedule(prepared, replace(BASE, frames=u.schedule.frames,
                                                             seed=pool_seed(0, slot_of(0, u.uid, 4))))
               for u in exact_load[:20])


def test_alsd_keeps_the_exact_per_length_pool(prepared, searches):
    """ALSD's steps mix frames (alignment length t + u) and its end depends on T: no prefix."""
    base = replace(BASE, algorithm=Algorithm.ALSD)
    assert not SchedulePool(prepared, base, prefix=True).prefix
    utterances = load(offline(12, Lengths(table_s=(0.4, 0.8, 0.92)), base=base), prepared)
    assert {frames for frames, _ in searches} == {10, 20, 23}
    assert all(u.schedule == make_schedule(prepared, replace(base, frames=u.schedule.frames,
                                                             seed=pool_seed(0, slot_of(0, u.uid, 4))))
               for u in utterances)
