"""Packed encoder calls (--padding packed): frame-parallel ops on the members' summed rows, recurrent steps as many
as the longest member's, each on the members still active; equal lengths are exactly the padded batch."""

from __future__ import annotations

import pytest

from hwsim.graph.model import Trigger
from hwsim.pipeline.point import RunRequest, prepare_point


@pytest.fixture(scope="module")
def lstm():
    return prepare_point(RunRequest("ibm_rnnt_swb", "int4", "ibm_7nm_ai_chip", 100)).costs


@pytest.fixture(scope="module")
def conformer():
    return prepare_point(RunRequest("usm_rnnt_1b", "exp5", "tpu_v5e", 100, host="xeon_host")).costs


def total(segments) -> float:
    return sum(s.duration_s for s in segments)


@pytest.mark.parametrize("name", ["lstm", "conformer"])
def test_equal_lengths_are_the_padded_batch(request, name):
    costs = request.getfixturevalue(name)
    assert costs.encoder_packed((120, 120, 120)) == costs.encoder_batch(120, 3)


@pytest.mark.parametrize("name", ["lstm", "conformer"])
def test_packed_costs_less_than_padding_to_the_longest_and_more_than_to_the_shortest(request, name):
    costs = request.getfixturevalue(name)
    packed = total(costs.encoder_packed((300, 100)))
    assert total(costs.encoder_batch(100, 2)) < packed < total(costs.encoder_batch(300, 2))


def test_frame_parallel_ops_see_the_members_rows_summed(conformer):
    op = next(op for op in conformer.encoder_ops if op.trigger is Trigger.ENCODER_FRAMES and op.gemm is not None)
    rows = op.rows_per_invocation(300) + op.rows_per_invocation(100)
    infos = [info for seg in conformer.encoder_packed((300, 100)) for info in seg.ops if info.name == op.name]
    assert [info.time_s for info in infos] == [conformer.op_cost(op, rows).time_s]


def test_recurrent_blocks_step_as_long_as_the_longest_member(lstm):
    """300 and 100 frames (frame divisor 1): every recurrent block runs 100 steps on both members, then 200 on the
    longer one alone (before segments are merged, each exclusive step segment says how many steps it stands for)."""
    segments = lstm._packed_segments((300, 100), True)
    repeats = [s.repeat for s in segments if s.repeat > 1]
    assert sorted(set(repeats)) == [100, 200]
    assert repeats.count(100) == repeats.count(200)


def test_a_recurrent_step_runs_on_the_members_still_active(lstm):
    """The 100 steps both members share cost what a batch of two's steps cost; the 200 the longer one runs alone
    cost what one utterance's steps cost."""
    packed = lstm._packed_segments((300, 100), True)
    both = [s.duration_s for s in lstm._encoder_segments(100, True, 2) if s.repeat == 100]
    alone = [s.duration_s for s in lstm._encoder_segments(200, True, 1) if s.repeat == 200]
    assert [s.duration_s for s in packed if s.repeat == 100] == both
    assert [s.duration_s for s in packed if s.repeat == 200] == alone
