"""praxis sub-channel (block-wise) layout, and the two ways of using a block-quantized weight.

`sub_channel_layout` follows praxis's `get_sub_channel_shape`: the *largest* contracting axis d is
split into [d/B, B] and the contracting axes from d on shift by one. praxis silently falls back to
per-channel when B does not divide d (or B >= d); hwsim raises instead, unless asked to mimic.

The training path (fake-quant einsum) multiplies the inputs by the dequantized weight; the
inference path multiplies by the integer codes, applies each block's scale to its partial sum and
subtracts the zero-point correction einsum('...sc,os->...o', x, zp) (praxis `Linear` INFERENCE mode).
"""

from __future__ import annotations

import numpy as np

from hwsim.errors import SpecError
from hwsim.quant.common import QuantResult


def sub_channel_layout(shape: tuple[int, ...], axes: tuple[int, ...], block_size: int,
                       mimic_praxis_fallback: bool = False) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(blocked shape, blocked contracting axes) for `block_size` along the largest contracting axis.

    Raises:
        SpecError: block_size < 1, or it does not divide that axis and mimic_praxis_fallback is off.
    """
    if block_size < 1:
        raise SpecError(None, "--block", "expected a block size >= 1", block_size)
    split_position = int(np.argmax([shape[a] for a in axes]))  # first of ties, like np.argmax in praxis
    split_axis = axes[split_position]
    length = shape[split_axis]
    if block_size == length:
        return tuple(shape), tuple(axes)  # one block per channel: identical to per-channel
    if block_size > length or length % block_size:
        if mimic_praxis_fallback:
            return tuple(shape), tuple(axes)
        raise SpecError(None, "--block", f"expected a block size dividing axis {split_axis} "
                        f"(length {length}, the largest contracting axis)", block_size)
    blocked = list(shape)
    blocked[split_axis:split_axis + 1] = [length // block_size, block_size]
    shifted = tuple(a if i < split_position else a + 1 for i, a in enumerate(axes))
    return tuple(blocked), shifted


def fake_quant_matmul(x: np.ndarray, dequant_out_in: np.ndarray) -> np.ndarray:
    """Training path: y[..., o] = sum_i x[..., i] * dequant[o, i]."""
    return np.einsum("...i,oi->...o", x, dequant_out_in)


def integer_block_matmul(x: np.ndarray, blocked: QuantResult) -> np.ndarray:
    """Inference path for a [out, s, B] block-quantized weight: codes first, scales on partial sums.

    y = sum_s scale[o, s] * (sum_c x[s, c] q[o, s, c])  -  sum_s zp[o, s] * (sum_c x[s, c])
    """
    out_channels, blocks, block_size = blocked.q.shape
    x_blocks = x.reshape(x.shape[:-1] + (blocks, block_size))
    partial = np.einsum("...sc,osc->...so", x_blocks, blocked.q.astype(x.dtype))
    scale = blocked.scale.reshape(out_channels, blocks)
    y = np.einsum("...so,os->...o", partial, scale)
    if blocked.zero_point is not None:
        zero_point = blocked.zero_point.reshape(out_channels, blocks)
        y = y - np.einsum("...sc,os->...o", x_blocks, zero_point)
    return y
