"""Lay a graph tensor out as scale groups, so one quantizer call sees one row per scale.

Graph tensors keep the model's layout: dense weights are [in, out] contracting over axis 0, embeddings
[vocab, embed] contract over axis 1, conv kernels over several axes. hwsim.quant's convention is
[out, in] contracting over the last axis. `group_layout` transposes a tensor to

    [rows, groups_per_row, group_length]

where a row is one output channel (the product of the non-contracting axes) and a group is the set of
weights sharing one scale:

| granularity                   | rows                   | groups_per_row | group_length                |
|-------------------------------|------------------------|----------------|-----------------------------|
| per_tensor                    | out channels           | 1              | contraction (one scale for all) |
| per_channel                   | out channels           | 1              | contraction                 |
| sub_channel, contracting axis | out channels           | D / B          | B x other contracting axes  |
| sub_channel, output axis      | other out x D / B      | 1              | B x contraction             |

For a block along a contracting axis of length D, the block axis is moved first among the contracting
axes, so a block of B is B consecutive entries of that axis times every other contracting axis, which
is what praxis's sub-channel layout shares one scale over. Rows are whole output channels, so sampling
rows keeps every channel's and block's statistics exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hwsim.graph.model import Tensor
from hwsim.precision.plan import TensorPrecision
from hwsim.specs.precision import Granularity


@dataclass(frozen=True)
class GroupLayout:
    """How to go from a tensor's layout to [rows, groups_per_row, group_length] and back.

    Attributes:
        permutation: axes of the original tensor in transposed order.
        grouped_shape: (rows, groups_per_row, group_length).
    """

    shape: tuple[int, ...]
    permutation: tuple[int, ...]
    grouped_shape: tuple[int, int, int]

    def to_groups(self, array: np.ndarray) -> np.ndarray:
        if array.shape != self.shape:
            raise ValueError(f"expected shape {self.shape}, got {array.shape}")
        return np.ascontiguousarray(np.transpose(array, self.permutation)).reshape(self.grouped_shape)

    def from_groups(self, grouped: np.ndarray) -> np.ndarray:
        """Inverse of `to_groups` (for a full, unsampled array)."""
        transposed = grouped.reshape(tuple(self.shape[a] for a in self.permutation))
        return np.transpose(transposed, np.argsort(self.permutation))


def _split(tensor: Tensor) -> tuple[list[int], list[int]]:
    contract = list(tensor.contract_axes)
    return [a for a in range(len(tensor.shape)) if a not in contract], contract


def group_layout(tensor: Tensor, precision: TensorPrecision) -> GroupLayout:
    """The scale-group layout of `tensor` under `precision` (see the module table)."""
    out, contract = _split(tensor)
    size = lambda axes: math.prod(tensor.shape[a] for a in axes)
    block, axis = precision.block_size, precision.block_axis
    if precision.granularity is not Granularity.SUB_CHANNEL or block is None or axis is None:
        return GroupLayout(tensor.shape, tuple(out + contract), (size(out), 1, size(contract)))
    blocks = tensor.shape[axis] // block
    if axis in contract:
        rest = [a for a in contract if a != axis]
        return GroupLayout(tensor.shape, tuple(out + [axis] + rest), (size(out), blocks, block * size(rest)))
    rest = [a for a in out if a != axis]
    return GroupLayout(tensor.shape, tuple(rest + [axis] + contract), (size(rest) * blocks, 1, block * size(contract)))


def fan_in_out(tensor: Tensor) -> tuple[int, int]:
    """(product of the contracting dims, product of the rest): the Glorot fans hwsim uses."""
    out, contract = _split(tensor)
    return math.prod(tensor.shape[a] for a in contract), math.prod(tensor.shape[a] for a in out)
