"""Decode schedules: beam-1 agreement, determinism, growth with beam, caching."""

import pytest

from hwsim.sim.decode import Algorithm, build_schedule
from hwsim.sim.emission import EmissionParams

PARAMS = EmissionParams(label_rate=0.3, blank_prob=0.6, merge_prob=0.1, seed=11)


@pytest.mark.parametrize("algorithm", [Algorithm.TSD, Algorithm.ALSD])
@pytest.mark.parametrize("max_symbols", [1, 2, 5])
def test_beam_one_equals_greedy(algorithm, max_symbols):
    greedy = build_schedule(Algorithm.GREEDY, 300, 1, PARAMS, max_symbols)
    beam = build_schedule(algorithm, 300, 1, PARAMS, max_symbols)
    assert beam.steps == greedy.steps
    assert beam.labels == greedy.labels


def test_same_seed_same_schedule_other_seed_differs():
    a = build_schedule(Algorithm.TSD, 200, 8, PARAMS, 3)
    b = build_schedule(Algorithm.TSD, 200, 8, PARAMS, 3)
    c = build_schedule(Algorithm.TSD, 200, 8, EmissionParams(0.3, 0.6, 0.1, seed=12), 3)
    assert a == b
    assert a != c


def test_label_rate_is_respected_on_the_best_path():
    schedule = build_schedule(Algorithm.GREEDY, 20000, 1, EmissionParams(0.25, 0.5, seed=1), 10)
    # geometric emissions: expected labels per frame = lambda / (1 - lambda) without a cap
    assert schedule.labels / 20000 == pytest.approx(0.25 / 0.75, rel=0.05)


def test_calls_grow_with_beam_and_cache_removes_rows():
    rows = [build_schedule(Algorithm.TSD, 300, b, PARAMS, 3).joint_rows for b in (1, 2, 4, 8, 16)]
    assert rows == sorted(rows) and rows[-1] > 8 * rows[0]
    no_cache = build_schedule(Algorithm.TSD, 300, 8, EmissionParams(0.3, 0.6, 0.0, seed=11), 3)
    cached = build_schedule(Algorithm.TSD, 300, 8, PARAMS, 3)
    assert no_cache.cache_hits == 0 and cached.cache_hits > 0


def test_alsd_has_one_step_per_frame_or_label():
    schedule = build_schedule(Algorithm.ALSD, 150, 4, PARAMS, 50)  # cap never reached: every label is a step
    assert len(schedule.steps) == 150 + schedule.labels


def test_invalid_arguments():
    with pytest.raises(ValueError):
        build_schedule(Algorithm.TSD, 0, 4, PARAMS, 3)
    with pytest.raises(ValueError):
        build_schedule(Algorithm.GREEDY, 10, 4, PARAMS, 3)
