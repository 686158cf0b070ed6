"""Batching policies as pure admission rules."""

import pytest

from hwsim.sim.policies import (
    POLICIES, Admission, Batching, ContinuousBatching, DynamicBatching, StaticBatching, register,
)


def test_every_kind_is_registered_once():
    assert set(POLICIES) == set(Batching)
    with pytest.raises(ValueError, match="registered twice"):
        register(Batching.STATIC)(StaticBatching)


@pytest.mark.parametrize("queued, live, done, expected", [
    (3, 0, False, 0),   # not a full batch yet
    (4, 0, False, 4),
    (9, 0, False, 4),
    (9, 2, False, 0),   # a batch is running
    (3, 0, True, 3),    # arrivals over: flush
])
def test_static(queued, live, done, expected):
    assert StaticBatching(4, 0.0).admit(queued, live, 0.0, done) == Admission(expected)


def test_dynamic_admits_a_partial_batch_after_max_wait():
    policy = DynamicBatching(4, 0.05)
    assert policy.admit(2, 0, 0.01, False) == Admission(0, pytest.approx(0.04))
    assert policy.admit(2, 0, 0.05, False) == Admission(2)
    assert policy.admit(5, 0, 0.0, False) == Admission(4)
    assert policy.admit(5, 1, 1.0, False) == Admission(0)


def test_continuous_fills_free_slots():
    policy = ContinuousBatching(4, 0.0)
    assert policy.admit(10, 1, 0.0, False) == Admission(3)
    assert policy.admit(2, 1, 0.0, False) == Admission(2)
    assert policy.admit(2, 4, 0.0, False) == Admission(0)
