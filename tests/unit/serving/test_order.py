"""--order: the queue order of an offline run (hwsim.serving.order)."""

from __future__ import annotations

import pytest

from hwsim.serving.order import BUCKETS, Order, arrange, input_frames
from hwsim.sim.entities import Chunk, Utterance

LENGTHS = [7, 30, 12, 30, 3, 18, 25, 9, 14, 21, 5, 27]


def utterances(lengths=LENGTHS) -> list[Utterance]:
    return [Utterance(uid, 0.0, frames * 0.01, (Chunk(0.0, frames, frames),), None) for uid, frames in
            enumerate(lengths)]


def test_arrival_keeps_the_drawn_order():
    assert [u.uid for u in arrange(utterances(), Order.ARRIVAL, 4, 0)] == list(range(len(LENGTHS)))


def test_sorted_is_longest_first_ties_in_arrival_order():
    ordered = arrange(utterances(), Order.SORTED, 4, 0)
    assert [input_frames(u) for u in ordered] == sorted(LENGTHS, reverse=True)
    assert [u.uid for u in ordered][:2] == [1, 3]   # the two 30-frame utterances, in arrival order


def test_bucketed_batches_hold_one_bucket_each_and_are_shuffled_reproducibly():
    lengths = list(range(1, 101))
    ordered = arrange(utterances(lengths), Order.BUCKETED, 5, seed=3)
    assert sorted(u.uid for u in ordered) == list(range(100))
    buckets = [{u.uid for u in ordered if (input_frames(u) - 1) // (100 // BUCKETS) == b} for b in range(BUCKETS)]
    for start in range(0, 100, 5):
        batch = {u.uid for u in ordered[start:start + 5]}
        assert any(batch <= bucket for bucket in buckets)          # never mixes two length buckets
        members = [u.uid for u in ordered[start:start + 5]]
        assert members == sorted(members)                          # arrival order inside a batch
    assert [u.uid for u in arrange(utterances(lengths), Order.BUCKETED, 5, seed=3)] == [u.uid for u in ordered]
    assert [u.uid for u in arrange(utterances(lengths), Order.BUCKETED, 5, seed=4)] != [u.uid for u in ordered]
    assert [input_frames(u) for u in ordered] != sorted(lengths, reverse=True)   # not simply sorted


@pytest.mark.parametrize("order", list(Order))
def test_every_order_is_a_permutation(order):
    assert sorted(u.uid for u in arrange(utterances(), order, 3, 1)) == list(range(len(LENGTHS)))
