"""Round trips of every registered quantizer (issue 28, item 4) and block quantization over several contracting
axes.

For each kind: the dequantized tensor is its codes on the grid, q x scale - zero_point (the convention of
hwsim.quant.common), every code within the kind's range, every value within half a step of the input clipped to
the kind's range, and an input already on the grid comes back exactly. The binary kinds (absmean) have two
levels per channel and no half-step bound; their round trip is exact on +-c weights.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from hwsim.quant import QuantizerKind as K, QuantSettings, quantize
from hwsim.quant.registry import REGISTRY

PROPERTY = settings(max_examples=25, deadline=None, derandomize=True)
ALPHA, ALPHA_NEG = 2.0, -1.5
CLIPS = {K.PACT: (ALPHA, None), K.PACT2: (ALPHA, ALPHA_NEG), K.PACT_PLUS: (ALPHA, None),
         K.PACT2_PLUS: (ALPHA, ALPHA_NEG), K.PACT_SYM: (ALPHA, None), K.BAC: (ALPHA, None)}
BINARY = (K.ABSMEAN, K.ABSMEAN_CENTERED)
PER_ROW = (K.MAX_PER_CHANNEL, K.SAWB_PER_CHANNEL)


def settings_for(kind: K, bits: int, block: int | None = None) -> QuantSettings:
    alpha, alpha_neg = CLIPS.get(kind, (None, None))
    return QuantSettings(bits=bits, contract_axes=(1,), alpha=alpha, alpha_neg=alpha_neg, block_size=block)


def code_range(kind: K, bits: int) -> tuple[int, int]:
    """The integer codes each kind may emit."""
    if kind in (K.ABSMAX, K.ABSMAX_ASYM):
        return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    if kind in (K.PACT, K.PACT_PLUS):
        return 0, 2 ** bits - 1
    if kind is K.SAWB_UNALIGNED:
        return 0, 2 ** bits - 1
    if kind in (K.PACT2, K.PACT2_PLUS):               # round(s x - zp): codes above the rounded zero point
        return -(2 ** bits), 2 ** bits
    return -(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1  # symmetric, zero-aligned: max, sawb, pact_sym, bac


def value_range(kind: K, bits: int, x: np.ndarray, result) -> tuple[np.ndarray, np.ndarray]:
    """Where the kind's grid reaches: inputs clipped to it lie within half a step of their dequantized value."""
    row = lambda reduce: reduce(x, axis=1, keepdims=True)
    if kind is K.ABSMAX or kind is K.MAX_PER_CHANNEL:
        peak = row(lambda a, **kw: np.max(np.abs(a), **kw))
        return -peak, peak
    if kind is K.MAX:
        peak = np.max(np.abs(x))
        return -peak, peak
    if kind is K.ABSMAX_ASYM:
        return row(np.min), row(np.max)
    if kind in (K.SAWB, K.SAWB_PLUS, K.SAWB_PER_CHANNEL):
        clip = result.scale * (2 ** bits - 2) / 2   # (2^b - 2) / 2 steps each side of 0
        return -clip, clip
    if kind is K.SAWB_UNALIGNED:
        return -result.zero_point, result.zero_point
    if kind in (K.PACT, K.PACT_PLUS):
        return 0.0, ALPHA
    if kind in (K.PACT2, K.PACT2_PLUS):
        return ALPHA_NEG, ALPHA
    return -ALPHA, ALPHA                                  # pact_sym, bac


def dequantized(result, shape) -> np.ndarray:
    """q x scale - zero_point, in the input's layout."""
    values = result.q * result.scale
    if result.zero_point is not None:
        values = values - result.zero_point
    return values.reshape(shape)


def inputs(kind: K, rng: np.random.Generator, shape=(3, 8)) -> np.ndarray:
    x = rng.normal(size=shape).astype(np.float32) * 1.5
    return np.abs(x) if kind in (K.PACT, K.PACT_PLUS) else x   # one-sided PACT rejects negatives


@pytest.mark.parametrize("kind", [k for k in K if k not in BINARY])
@PROPERTY
@given(seed=st.integers(0, 10 ** 6), bits_index=st.integers(0, 100))
def test_dequant_is_within_half_a_step_of_the_clipped_input(kind, seed, bits_index):
    widths = [b for b in REGISTRY[kind].bits if b >= 2]
    bits = widths[bits_index % len(widths)]
    x = inputs(kind, np.random.default_rng(seed))
    result = quantize(x, kind, settings_for(kind, bits))
    low, high = code_range(kind, bits)
    assert result.q.min() >= low and result.q.max() <= high
    step = np.broadcast_to(result.scale, x.shape)
    rounding = 8 * np.finfo(np.float32).eps * (np.abs(x).max() + ALPHA)   # float32 arithmetic of the grid
    np.testing.assert_allclose(dequantized(result, x.shape), result.dequant, rtol=0, atol=rounding)
    lo, hi = value_range(kind, bits, x, result)
    clipped = np.clip(x, lo, hi)
    assert np.all(np.abs(clipped - result.dequant) <= step / 2 + rounding), kind


def grid_input(kind: K, bits: int) -> tuple[np.ndarray, QuantSettings]:
    """Values on the kind's grid, reaching its extremes, so the scale the kind derives is the grid's own."""
    s = settings_for(kind, bits)
    top = 2 ** (bits - 1) - 1
    if kind is K.ABSMAX:      # max|w| = top steps of 0.25 per row
        return np.array([[-top, 0, 1, top], [top, -1, 0, 0]], np.float32) * 0.25, s
    if kind is K.ABSMAX_ASYM:  # min and max of each row on the grid: low and high codes of step 0.5
        low = -2 ** (bits - 1)
        return np.array([[low, 0, -1, top], [top, low, 0, low]], np.float32) * 0.5 + 0.25, s
    if kind in (K.MAX, K.MAX_PER_CHANNEL):   # clip = max|x|, step 2 clip / (2^b - 2) = clip / top
        return np.array([[-top, -1, 0, 1], [1, top, 0, -top]], np.float32) / top * 3.0, s
    if kind in (K.PACT, K.PACT_PLUS):        # step alpha / (2^b - 1)
        levels = 2 ** bits - 1
        return np.array([[0, 1, levels, 3]], np.float32) * (ALPHA / levels), s
    if kind is K.PACT_SYM:                   # step alpha / top
        return np.array([[-top, 0, 1, top]], np.float32) * (ALPHA / top), s
    if kind is K.BAC:                        # step 2 alpha / (2^b - 2)
        return np.array([[-top, 0, 1, top]], np.float32) * (2 * ALPHA / (2 ** bits - 2)), s
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", [K.ABSMAX, K.ABSMAX_ASYM, K.MAX, K.MAX_PER_CHANNEL, K.PACT, K.PACT_PLUS,
                                  K.PACT_SYM, K.BAC])
@pytest.mark.parametrize("bits", [2, 4, 8])
def test_values_on_the_grid_come_back_exactly(kind, bits):
    x, s = grid_input(kind, bits)
    result = quantize(x, kind, s)
    np.testing.assert_allclose(result.dequant, x, rtol=1e-6, atol=1e-7)
    again = quantize(result.dequant, kind, s)   # and quantizing the dequantized tensor changes nothing
    np.testing.assert_array_equal(again.q, result.q)


@pytest.mark.parametrize("kind", [K.SAWB, K.SAWB_PLUS, K.SAWB_PER_CHANNEL, K.SAWB_UNALIGNED, K.PACT2, K.PACT2_PLUS])
def test_data_dependent_grids_hold_their_dequantized_values(kind):
    """SAWB's clip is a statistic of the tensor (re-quantizing moves it) and PACT2's zero point is rounded, so their
    round trip is checked as: each dequantized value is a code on the grid of its scale."""
    bits = 4
    x = inputs(kind, np.random.default_rng(7), (4, 16))
    result = quantize(x, kind, settings_for(kind, bits))
    np.testing.assert_allclose(dequantized(result, x.shape), result.dequant, rtol=1e-6, atol=1e-6)
    assert len(np.unique(result.dequant)) <= 2 ** bits * (4 if kind in PER_ROW else 1)


@pytest.mark.parametrize("kind", BINARY)
def test_binary_round_trip_is_exact_on_plus_minus_c(kind):
    # rows of +-c with zero mean: signs times mean|w| = c gives w back; absmean_centered subtracts a zero mean
    w = np.array([[0.5, -0.5, 0.5, -0.5], [-2.0, 2.0, 2.0, -2.0]], np.float32)
    result = quantize(w, kind, QuantSettings(bits=1, contract_axes=(1,)))
    np.testing.assert_array_equal(result.dequant, w)
    np.testing.assert_array_equal(result.q, np.sign(w).astype(np.int8))
    np.testing.assert_allclose(result.scale.ravel(), [0.5, 2.0])


# ---- block (sub-channel) quantization over several contracting axes ----
def block_absmax(w: np.ndarray, bits: int, blocks: list[tuple]) -> np.ndarray:
    """The definition: within each block (a tuple of slices), scale = max|w| / (2^(b-1) - 1), round to nearest."""
    top = 2 ** (bits - 1) - 1
    out = np.empty_like(w)
    for index in blocks:
        scale = np.max(np.abs(w[index])) / top
        out[index] = np.clip(np.rint(w[index] / scale), -top - 1, top) * scale
    return out


def test_blocks_split_the_last_contracting_axis_when_it_is_the_largest():
    # [out 2, a 3, b 8], contracting (1, 2), blocks of 4 along b (the largest): per (out, b-block) one scale
    # over a x 4 values -> scale [2, 1, 2, 1] in the blocked layout [2, 3, 2, 4]
    w = np.random.default_rng(0).normal(size=(2, 3, 8)).astype(np.float32)
    result = quantize(w, "absmax", QuantSettings(bits=4, contract_axes=(1, 2), block_size=4))
    assert result.q.shape == (2, 3, 2, 4) and result.scale.shape == (2, 1, 2, 1)
    for o in range(2):
        for block in range(2):
            expected = np.max(np.abs(w[o, :, 4 * block:4 * block + 4])) / 7
            assert result.scale[o, 0, block, 0] == pytest.approx(expected)
    blocks = [(o, slice(None), slice(4 * b, 4 * b + 4)) for o in range(2) for b in range(2)]
    np.testing.assert_allclose(result.dequant, block_absmax(w, 4, blocks), rtol=1e-6)


def test_blocks_split_the_first_contracting_axis_when_it_is_the_largest():
    # [out 2, a 6, b 4], contracting (1, 2), blocks of 3 along a (6 > 4): blocked [2, 2, 3, 4], axes (2, 3),
    # per (out, a-block) one scale over 3 x 4 values
    w = np.random.default_rng(1).normal(size=(2, 6, 4)).astype(np.float32)
    result = quantize(w, "absmax", QuantSettings(bits=8, contract_axes=(1, 2), block_size=3))
    assert result.q.shape == (2, 2, 3, 4) and result.scale.shape == (2, 2, 1, 1)
    blocks = [(o, slice(3 * b, 3 * b + 3), slice(None)) for o in range(2) for b in range(2)]
    np.testing.assert_allclose(result.dequant, block_absmax(w, 8, blocks), rtol=1e-6)
    np.testing.assert_allclose(dequantized(result, w.shape), result.dequant, rtol=1e-6)


def test_blocks_with_the_output_axis_between_contracting_axes():
    # [a 4, out 2, b 6], contracting (0, 2): b (6) is split into 2 blocks of 3; statistics over a x 3 per (out, block)
    w = np.random.default_rng(2).normal(size=(4, 2, 6)).astype(np.float32)
    result = quantize(w, "absmax_asym", QuantSettings(bits=4, contract_axes=(0, 2), block_size=3))
    assert result.q.shape == (4, 2, 2, 3) and result.scale.shape == (1, 2, 2, 1)
    for o in range(2):
        for block in range(2):
            values = w[:, o, 3 * block:3 * block + 3]
            assert result.scale[0, o, block, 0] == pytest.approx((values.max() - values.min()) / 15)
    np.testing.assert_allclose(dequantized(result, w.shape), result.dequant, rtol=1e-6, atol=1e-6)


@PROPERTY
@given(seed=st.integers(0, 10 ** 6), kind=st.sampled_from([K.ABSMAX, K.ABSMAX_ASYM, K.ABSMEAN]))
def test_a_block_as_long_as_the_axis_is_per_channel(seed, kind):
    w = np.random.default_rng(seed).normal(size=(3, 4, 6)).astype(np.float32)
    bits = 1 if kind is K.ABSMEAN else 4
    per_channel = quantize(w, kind, QuantSettings(bits=bits, contract_axes=(1, 2)))
    one_block = quantize(w, kind, QuantSettings(bits=bits, contract_axes=(1, 2), block_size=6))
    np.testing.assert_array_equal(one_block.dequant, per_channel.dequant)
    # and blocks of the whole tensor's halves are each the per-channel quantization of that half
    halves = quantize(w, kind, QuantSettings(bits=bits, contract_axes=(1, 2), block_size=3))
    for half in (slice(0, 3), slice(3, 6)):
        part = quantize(np.ascontiguousarray(w[:, :, half]), kind, QuantSettings(bits=bits, contract_axes=(1, 2)))
        np.testing.assert_allclose(halves.dequant[:, :, half], part.dequant, rtol=1e-6, atol=1e-7)
