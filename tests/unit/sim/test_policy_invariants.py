"""The batching policies against the table in hwsim/sim/policies.py, over every small state (issue 28, item 4):
static and dynamic admit only into an empty chip, a full batch at once; dynamic flushes a partial batch at its
deadline and otherwise says how long is left; continuous fills the free slots."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from hwsim.sim.policies import Admission, ContinuousBatching, DynamicBatching, StaticBatching, WAIT_RESOLUTION_S

STATES = settings(max_examples=200, deadline=None, derandomize=True)
states = st.fixed_dictionaries({"limit": st.integers(1, 6), "queued": st.integers(0, 12), "live": st.integers(0, 6),
                                "waited_s": st.sampled_from([0.0, 0.01, 0.0499999, 0.05, 0.2]),
                                "done": st.booleans()})


@STATES
@given(s=states)
def test_static_admits_a_full_batch_into_an_empty_chip(s):
    got = StaticBatching(s["limit"], 0.05).admit(s["queued"], s["live"], s["waited_s"], s["done"])
    full = s["queued"] >= s["limit"]
    expected = min(s["queued"], s["limit"]) if not s["live"] and (full or s["done"]) else 0
    assert got == Admission(expected)


@STATES
@given(s=states)
def test_dynamic_admits_a_full_batch_at_once_and_a_partial_one_at_its_deadline(s):
    wait_s = 0.05
    got = DynamicBatching(s["limit"], wait_s).admit(s["queued"], s["live"], s["waited_s"], s["done"])
    if s["live"] or not s["queued"]:
        assert got == Admission(0)
    elif s["queued"] >= s["limit"] or s["done"] or s["waited_s"] >= wait_s:
        assert got == Admission(min(s["queued"], s["limit"]))
    else:
        assert got.count == 0 and abs(got.recheck_after_s - (wait_s - s["waited_s"])) < 1e-12
        assert got.recheck_after_s > WAIT_RESOLUTION_S


@STATES
@given(s=states)
def test_continuous_fills_the_free_slots(s):
    got = ContinuousBatching(s["limit"], 0.0).admit(s["queued"], s["live"], s["waited_s"], s["done"])
    assert got == Admission(max(0, min(s["queued"], s["limit"] - s["live"])))


def test_dynamic_with_exactly_a_full_batch_does_not_wait():
    assert DynamicBatching(4, 10.0).admit(4, 0, 0.0, False) == Admission(4)
