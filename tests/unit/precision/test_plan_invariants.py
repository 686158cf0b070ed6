"""Metadata entries and block axes of one tensor under each granularity (issue 28, item 4), hand-counted on
small made-up tensors with several contracting axes: blocks along a contracting axis, ties between contracting
axes (praxis takes the first), blocks along an output axis, and the default quantizer per format."""

from __future__ import annotations

import pytest

from hwsim.errors import SpecError
from hwsim.graph.model import Component, Graph, Role, Tensor
from hwsim.precision.plan import plan_precision
from hwsim.specs.precision import PrecisionSpec


def conv(shape=(4, 6, 10)) -> Tensor:
    """A kernel [k1, k2, out], contracting over k1 and k2 (240 weights, 10 output channels)."""
    return Tensor("w", shape, Role.WEIGHT, Component.ENCODER, ("k1", "k2", "out"), (0, 1), (2,))


def plan(tensor: Tensor, **fmt):
    """The tensor's entry in the plan of a spec with one rule (format int4 unless given) matching it."""
    spec = PrecisionSpec.model_validate({"schema_version": 1, "name": "t", "rules": [
        {"match": {"name": "*"}, "weights": {"format": "int4", **fmt}}]})
    return plan_precision(spec, Graph("toy", "rnnt", (tensor,), (), 0.01, 1, 10)).tensor(tensor.name)


def test_per_channel_is_one_entry_per_output_channel():
    assert plan(conv(), granularity="per_channel").metadata_entries == 10
    assert plan(conv(), granularity="per_tensor").metadata_entries == 1


def test_blocks_along_the_largest_contracting_axis_count_every_other_contracting_axis():
    # k2 (6) is the largest contracting axis: 2 blocks of 3 per output channel, each scale shared along the other
    # contracting axis (k1) too: entries = 10 x 2 = 20 = 240 / (3 x 4)
    p = plan(conv(), granularity="sub_channel", block_size=3)
    assert (p.block_axis, p.metadata_entries) == (1, 20)


def test_equal_contracting_axes_block_the_first():
    p = plan(conv((6, 6, 10)), granularity="sub_channel", block_size=2)
    assert (p.block_axis, p.metadata_entries) == (0, 10 * 3)


def test_blocks_along_an_output_axis_share_one_contraction():
    # blocks of 5 along 'out': 2 blocks, each one scale for its whole contraction (k1 x k2): 2 entries
    p = plan(conv(), granularity="sub_channel", block_size=5, block_axis="out")
    assert (p.block_axis, p.metadata_entries) == (2, 2)


def test_a_block_must_divide_its_axis():
    with pytest.raises(SpecError, match="a divisor of 6"):
        plan(conv(), granularity="sub_channel", block_size=4)
    with pytest.raises(SpecError, match="a divisor of 10"):
        plan(conv(), granularity="sub_channel", block_size=3, block_axis="out")


@pytest.mark.parametrize("fmt, quantizer", [({"format": "int4"}, "absmax"),
                                            ({"format": "int4", "symmetric": False}, "absmax_asym"),
                                            ({"format": "binary"}, "absmean"),
                                            ({"format": "int1", "symmetric": False}, "absmax_asym")])
def test_default_quantizer_follows_format_and_symmetry(fmt, quantizer):
    p = plan(conv(), **fmt)
    assert p.quantizer == quantizer
    assert p.has_zero_point == (not fmt.get("symmetric", True))
