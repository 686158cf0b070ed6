"""praxis 1.4.0 weight quantizers (`operations.reduce_precision` + `fakequant_einsum`), forward and autodiff.

The fake-quant training path of praxis has no stop-gradient on the scale or zero point, so JAX's
autodiff sends gradient through the per-channel statistics (mean|w|, max|w|, min/max). The backward
functions below write those derivatives out by hand; the gradient of the rounding itself is the
straight-through identity (`pass_through`).

Zero handling (quantizers.md A.1): exact zeros are *replaced* by +1e-6 before binarizing, so they
give sign +1, count in the mean, and receive zero gradient (jnp.where picks the constant branch).
"""

from __future__ import annotations

import numpy as np

from hwsim.quant.common import QuantGrads, QuantResult, argextreme_share, balanced_clip_grad, round_half_even

ZERO_REPLACEMENT = 1e-6  # praxis's literal: a positive replacement, so zeros binarize to +1


def signed_range(bits: int) -> tuple[int, int]:
    """praxis `get_min_max`: two's-complement [-2^(b-1), 2^(b-1)-1] (1 bit -> [-1, 0])."""
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def _replace_zeros(w: np.ndarray) -> np.ndarray:
    return np.where(w == 0, np.asarray(ZERO_REPLACEMENT, w.dtype), w)


def absmean_forward(w: np.ndarray, axes: tuple[int, ...]) -> QuantResult:
    """praxis 'bin': signs of w (zeros -> +1) times the per-channel mean|w| (zeros counted as 1e-6)."""
    nonzero = _replace_zeros(w)
    scale = np.mean(np.abs(nonzero), axis=axes, keepdims=True)
    signs = np.sign(nonzero).astype(np.int8)
    return QuantResult(q=signs, scale=scale, zero_point=None, dequant=signs.astype(w.dtype) * scale)


def absmean_backward(w: np.ndarray, axes: tuple[int, ...], cotangent: np.ndarray) -> QuantGrads:
    """dL/dw = [w != 0] * (G * scale + sign(w)/N * sum(G * q)): STE term plus the gradient of mean|w|."""
    fwd = absmean_forward(w, axes)
    signs = fwd.q.astype(w.dtype)
    count = np.prod([w.shape[a] for a in axes])
    through_scale = np.sum(cotangent * signs, axis=axes, keepdims=True) / count
    dx = (w != 0) * (cotangent * fwd.scale + signs * through_scale)
    return QuantGrads(dx=dx.astype(w.dtype))


def absmean_centered_forward(w: np.ndarray, axes: tuple[int, ...]) -> QuantResult:
    """praxis 'bin_norm': absmean of w - mean(w); the mean is never added back (quantizers.md A.2)."""
    return absmean_forward(w - np.mean(w, axis=axes, keepdims=True), axes)


def absmean_centered_backward(w: np.ndarray, axes: tuple[int, ...], cotangent: np.ndarray) -> QuantGrads:
    """Gradient of 'bin' at the centred weights, projected by (I - 1/N) for the subtracted mean."""
    centered = w - np.mean(w, axis=axes, keepdims=True)
    grad_centered = absmean_backward(centered, axes, cotangent).dx
    return QuantGrads(dx=grad_centered - np.mean(grad_centered, axis=axes, keepdims=True))


def _nonzero_scale(scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """praxis with add_scale_eps=False: a zero scale becomes 1 (and then carries no gradient)."""
    is_zero = scale == 0
    return np.where(is_zero, np.ones_like(scale), scale), ~is_zero


def absmax_forward(w: np.ndarray, axes: tuple[int, ...], bits: int) -> QuantResult:
    """Symmetric: scale = max|w| / (2^(b-1)-1), q = clip(round(w/scale), -2^(b-1), 2^(b-1)-1)."""
    low, high = signed_range(bits)
    scale, _ = _nonzero_scale(np.max(np.abs(w), axis=axes, keepdims=True) / np.asarray(high, w.dtype))
    q = np.clip(round_half_even(w / scale), low, high)
    return QuantResult(q=q.astype(np.int32), scale=scale, zero_point=None, dequant=q * scale)


def absmax_backward(w: np.ndarray, axes: tuple[int, ...], bits: int, cotangent: np.ndarray) -> QuantGrads:
    """STE through round, balanced clip, plus the gradient of max|w| routed to the arg-max entries."""
    low, high = signed_range(bits)
    absw = np.abs(w)
    peak = np.max(absw, axis=axes, keepdims=True)
    scale, live = _nonzero_scale(peak / np.asarray(high, w.dtype))
    ratio = w / scale
    q = np.clip(round_half_even(ratio), low, high)
    clip_grad = balanced_clip_grad(round_half_even(ratio), low, high)
    dscale = np.sum(cotangent * (q - clip_grad * ratio), axis=axes, keepdims=True) * live
    dpeak = dscale / np.asarray(high, w.dtype)
    dx = cotangent * clip_grad + argextreme_share(absw, peak, axes) * np.sign(w) * dpeak
    return QuantGrads(dx=dx.astype(w.dtype))


def _asym_params(w: np.ndarray, axes: tuple[int, ...], bits: int):
    low, high = signed_range(bits)
    w_min = np.min(w, axis=axes, keepdims=True)
    w_max = np.max(w, axis=axes, keepdims=True)
    scale, live = _nonzero_scale((w_max - w_min) / np.asarray(high - low, w.dtype))
    zp_levels = low - w_min / scale  # float, deliberately not rounded (quantizers.md A.4)
    return low, high, w_min, w_max, scale, live, zp_levels


def absmax_asym_forward(w: np.ndarray, axes: tuple[int, ...], bits: int) -> QuantResult:
    """Asymmetric min/max: q = clip(round(w/scale + zp0)), zero_point = scale*zp0, dequant = q*scale - zp."""
    low, high, _, _, scale, _, zp_levels = _asym_params(w, axes, bits)
    q = np.clip(round_half_even(w / scale + zp_levels), low, high)
    zero_point = scale * zp_levels
    return QuantResult(q=q.astype(np.int32), scale=scale, zero_point=zero_point, dequant=q * scale - zero_point)


def absmax_asym_backward(w: np.ndarray, axes: tuple[int, ...], bits: int, cotangent: np.ndarray) -> QuantGrads:
    """Autodiff of the asymmetric path: STE + balanced clip, plus gradients through scale and min(w).

    With u = (w - min)/scale + low the dequant is clip(round(u))*scale - scale*low + min, so
    d/dscale = q - low - c*(u - low) and d/dmin = 1 - c (c = clip derivative), and
    scale = (max - min)/(high - low) routes d/dscale to the arg-max (+) and arg-min (-) entries.
    """
    low, high, w_min, w_max, scale, live, zp_levels = _asym_params(w, axes, bits)
    shifted = round_half_even(w / scale + zp_levels)
    q = np.clip(shifted, low, high)
    clip_grad = balanced_clip_grad(shifted, low, high)
    dscale = np.sum(cotangent * ((q - low) - clip_grad * (w - w_min) / scale), axis=axes, keepdims=True) * live
    drange = dscale / np.asarray(high - low, w.dtype)
    dmin = np.sum(cotangent * (1 - clip_grad), axis=axes, keepdims=True) - drange
    dx = (cotangent * clip_grad
          + argextreme_share(w, w_max, axes) * drange
          + argextreme_share(w, w_min, axes) * dmin)
    return QuantGrads(dx=dx.astype(w.dtype))
