"""fms_mo 0.8.7 weight quantizers MAX and SAWB (`QmaxSTE`, `QmaxPerChSTE`, `SAWB*STE`), forward and STE.

The per-tensor variants quantize on a [0, 1]-shifted grid: u = clamp(x * (1/clip), -1, 1) * 0.5 + 0.5,
qs = round(n_s * u), y = (2 * qs / n_s - 1) * clip. Rounding the *shifted* value makes ties
half-to-odd in the signed level when n_s/2 is odd (quantizers.md B.0), and multiplying by the f32
reciprocal of clip (not dividing) is kept on purpose: both decide which level a value lands on.
The per-channel variants call torch.fake_quantize_per_channel_affine, which rounds the signed value
x * (1/step) half-to-even. All arithmetic stays in the input dtype, as the library computes in f32.

| quantizer          | clip                       | n_s      | backward                          |
|--------------------|----------------------------|----------|-----------------------------------|
| max                | max|x| (tensor)            | 2^b - 2  | identity                          |
| max_per_channel    | max|x| per row             | 2^b - 2  | identity                          |
| sawb               | SAWB code table (tensor)   | 2^b - 2  | G * [-clip <= x <= clip]          |
| sawb_plus          | code table; <= 0 -> max|x| | 2^b - 2  | identity                          |
| sawb_per_channel   | code table per row         | 2^b - 2  | identity                          |
| sawb_unaligned     | bit table (b in 2..5)      | 2^b - 1  | G * [-clip <= x <= clip]          |
"""

from __future__ import annotations

import numpy as np

from hwsim.quant.common import QuantGrads, QuantResult, round_half_even

# fms_mo/quant/quantizers.py: sawb_params_code, keyed by bits -> code 103/403/803 (c1 * rms + c2 * mean|x|).
SAWB_CODE_COEFFS: dict[int, tuple[float, float]] = {2: (2.6, -1.71), 4: (12.035, -12.03), 8: (31.76, -35.04)}
# fms_mo/quant/quantizers.py: sawb_params, used only without zero alignment (SAWBSTE), bits 2..5.
SAWB_BIT_COEFFS: dict[int, tuple[float, float]] = {
    2: (3.12, -2.064), 3: (7.509, -6.892), 4: (12.68, -12.80), 5: (17.74, -18.64),
}
SAWB_BITS = (2, 4, 8)  # fms_mo's SAWB module rejects every other width


def row_axes(x: np.ndarray) -> tuple[int, ...]:
    """fms_mo's per-channel reduction: every axis but the first (output channels)."""
    return tuple(range(1, x.ndim))


def sawb_clip(x: np.ndarray, coeffs: tuple[float, float], axes: tuple[int, ...] | None) -> np.ndarray:
    """c1 * sqrt(mean(x^2)) + c2 * mean|x|: RMS, not the std about the mean (quantizers.md B.3)."""
    c1, c2 = (np.asarray(c, x.dtype) for c in coeffs)
    keep = axes is not None
    mean_abs = np.mean(np.abs(x), axis=axes, keepdims=keep)
    rms = np.sqrt(np.mean(x * x, axis=axes, keepdims=keep))
    return c2 * mean_abs + c1 * rms


def shifted_grid_forward(x: np.ndarray, clip: np.ndarray, intervals: int, aligned: bool) -> QuantResult:
    """Quantize on the [0, 1]-shifted grid of QmaxSTE / SAWB*STE with `intervals` = n_s steps.

    Zero-aligned grids return the signed level qs - n_s/2; unaligned ones the unsigned code qs with
    zero_point = clip (dequant = qs * 2clip/n_s - clip), since their levels straddle 0.
    """
    clip = np.asarray(clip, x.dtype)
    if np.all(clip == 0):  # fms_mo would compute 0 * inf = NaN here; hwsim returns exact zeros
        zeros = np.zeros_like(x)
        return QuantResult(q=zeros.astype(np.int32), scale=np.ones_like(clip), zero_point=None, dequant=zeros)
    unit = np.clip(x * (np.asarray(1, x.dtype) / clip), -1, 1) * np.asarray(0.5, x.dtype) + np.asarray(0.5, x.dtype)
    shifted = round_half_even(np.asarray(intervals, x.dtype) * unit)
    dequant = (2 * (shifted / np.asarray(intervals, x.dtype)) - 1) * clip
    step = 2 * clip / np.asarray(intervals, x.dtype)
    if aligned:
        return QuantResult(q=(shifted - intervals // 2).astype(np.int32), scale=step, zero_point=None, dequant=dequant)
    return QuantResult(q=shifted.astype(np.int32), scale=step, zero_point=clip, dequant=dequant)


def per_channel_forward(x: np.ndarray, clip_per_row: np.ndarray, bits: int) -> QuantResult:
    """torch.fake_quantize_per_channel_affine on axis 0 with step 2*clip/(2^b-2), levels ±(2^(b-1)-1)."""
    level_max = 2 ** (bits - 1) - 1
    step = (clip_per_row * 2 / np.asarray(2**bits - 2, x.dtype)).reshape((-1,) + (1,) * (x.ndim - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = np.where(step == 0, np.zeros_like(step), np.asarray(1, x.dtype) / step)
    q = np.clip(round_half_even(x * inverse), -level_max, level_max)
    return QuantResult(q=q.astype(np.int32), scale=step, zero_point=None, dequant=q * step)


def max_forward(x: np.ndarray, bits: int, per_channel: bool) -> QuantResult:
    """MAX: clip = max|x| over the tensor (QmaxSTE) or each output channel (QmaxPerChSTE)."""
    if per_channel:
        return per_channel_forward(x, np.max(np.abs(x), axis=row_axes(x)), bits)
    return shifted_grid_forward(x, np.max(np.abs(x)), 2**bits - 2, aligned=True)


def sawb_forward(x: np.ndarray, bits: int, fallback_to_max: bool) -> QuantResult:
    """'sawb' (SAWBZeroSTE, no fallback) and 'sawb+' (SAWBPlusZeroSTE: clip <= 0 -> max|x|)."""
    clip = sawb_clip(x, SAWB_CODE_COEFFS[bits], None)
    if fallback_to_max and clip <= 0:
        clip = np.max(np.abs(x))
    return shifted_grid_forward(x, clip, 2**bits - 2, aligned=True)


def sawb_per_channel_forward(x: np.ndarray, bits: int) -> QuantResult:
    """'sawb+perCh' (SAWBPlusZeroPerChSTE): per-row code-table clip, no negative-clip fallback in 0.8.7."""
    return per_channel_forward(x, sawb_clip(x, SAWB_CODE_COEFFS[bits], row_axes(x)), bits)


def sawb_unaligned_clip(x: np.ndarray, bits: int) -> np.ndarray:
    """SAWBSTE's clip: the bit-indexed table for 2..5 bits, else max|x| (8 bits)."""
    if bits in SAWB_BIT_COEFFS:
        return sawb_clip(x, SAWB_BIT_COEFFS[bits], None)
    return np.max(np.abs(x))


def sawb_unaligned_forward(x: np.ndarray, bits: int) -> QuantResult:
    """SAWB without zero alignment (SAWBSTE): 2^b levels, step 2*clip/(2^b-1), 0 not representable."""
    return shifted_grid_forward(x, sawb_unaligned_clip(x, bits), 2**bits - 1, aligned=False)


def clip_masked_grad(x: np.ndarray, clip: np.ndarray, cotangent: np.ndarray) -> QuantGrads:
    """SAWBZeroSTE / SAWBSTE backward: zero where x < -clip or x > clip (the bounds themselves pass)."""
    clip = np.asarray(clip, x.dtype)
    outside = (x < -clip) | (x > clip)
    return QuantGrads(dx=np.where(outside, np.zeros_like(cotangent), cotangent))


def sawb_backward(x: np.ndarray, bits: int, cotangent: np.ndarray) -> QuantGrads:
    return clip_masked_grad(x, sawb_clip(x, SAWB_CODE_COEFFS[bits], None), cotangent)


def sawb_unaligned_backward(x: np.ndarray, bits: int, cotangent: np.ndarray) -> QuantGrads:
    return clip_masked_grad(x, sawb_unaligned_clip(x, bits), cotangent)


def identity_backward(cotangent: np.ndarray) -> QuantGrads:
    """The custom backward of QmaxSTE, QmaxPerChSTE, SAWBPlus*STE and QFixSymmetric*: G unchanged."""
    return QuantGrads(dx=np.array(cotangent, copy=True))
