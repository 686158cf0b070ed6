"""Shared vocabulary of the QAT reference quantizers: kinds, settings, results and input checks.

Every quantizer in `hwsim.quant` maps a float array to a `QuantResult` (forward) and, given the
upstream cotangent G = dL/d(dequant), to a `QuantGrads` (backward, the straight-through estimator
exactly as the original library's autodiff or custom backward computes it).

Convention for all schemes: `dequant = q * scale - zero_point` (zero_point omitted when None), where
`scale` is the step in real units per integer level and broadcasts against `q`. That is praxis's
convention; fms_mo's "scale" is the inverse (levels per unit) and is converted at the boundary.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from hwsim.errors import SpecError


class QuantizerKind(enum.Enum):
    """The closed set of quantizers hwsim reproduces; the value is the CLI / registry name."""

    ABSMEAN = "absmean"
    ABSMEAN_CENTERED = "absmean_centered"
    ABSMAX = "absmax"
    ABSMAX_ASYM = "absmax_asym"
    MAX = "max"
    MAX_PER_CHANNEL = "max_per_channel"
    SAWB = "sawb"
    SAWB_PLUS = "sawb_plus"
    SAWB_PER_CHANNEL = "sawb_per_channel"
    SAWB_UNALIGNED = "sawb_unaligned"
    PACT = "pact"
    PACT2 = "pact2"
    PACT_PLUS = "pact_plus"
    PACT2_PLUS = "pact2_plus"
    PACT_SYM = "pact_sym"
    BAC = "bac"


@dataclass(frozen=True)
class QuantSettings:
    """What one quantizer call needs besides the tensor.

    Attributes:
        bits: bit width of the integer code.
        contract_axes: axes reduced over for per-channel / per-block statistics (the einsum's
            contracting axes; for a [out, in] weight that is (1,)).
        per_channel: fms_mo MAX/SAWB only: one clip per output channel instead of per tensor.
        block_size: praxis sub-channel block along the largest contracting axis (None = off).
        mimic_praxis_block_fallback: quantize per channel when the block does not divide the axis
            (praxis's silent behaviour) instead of raising.
        alpha: PACT upper clip / PACT-sym and BAC symmetric bound.
        alpha_neg: two-sided PACT lower clip (a negative number or 0).
    """

    bits: int
    contract_axes: tuple[int, ...] = (-1,)
    per_channel: bool = False
    block_size: int | None = None
    mimic_praxis_block_fallback: bool = False
    alpha: float | None = None
    alpha_neg: float | None = None


@dataclass(frozen=True)
class QuantResult:
    """Forward output: integer codes (or ±1 signs), step `scale`, optional `zero_point`, `dequant`."""

    q: np.ndarray
    scale: np.ndarray
    zero_point: np.ndarray | None
    dequant: np.ndarray


@dataclass(frozen=True)
class QuantGrads:
    """Backward output: dL/dx, plus dL/d(alpha) and dL/d(alpha_neg) for learnable PACT clips."""

    dx: np.ndarray
    dalpha: float | None = None
    dalpha_neg: float | None = None


def as_float_array(values: object, name: str = "input") -> np.ndarray:
    """The tensor as a float array (ints become float32), rejecting non-numeric and non-finite data.

    Raises:
        SpecError: not numeric, or contains NaN/inf.
    """
    array = np.asarray(values)
    if array.dtype.kind not in "fiub":
        raise SpecError(name, "", "expected a numeric array", f"dtype {array.dtype}")
    if array.dtype.kind != "f" or array.dtype.itemsize < 4:
        array = array.astype(np.float32)  # half precision too: 65504**2 overflows float16 inside SAWB's moments
    if array.size == 0:
        raise SpecError(name, "", "expected a non-empty array", f"shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise SpecError(name, "", "expected only finite values", f"{int(np.sum(~np.isfinite(array)))} NaN/inf")
    largest = float(np.max(np.abs(array)))
    limit = safe_magnitude(array.dtype)
    if largest > limit:
        raise SpecError(name, "", f"expected values of magnitude at most {limit:.3g} for {array.dtype} (squares and "
                        "sums inside the quantizers must stay finite)", f"max |x| {largest:.3g}")
    return array


def safe_magnitude(dtype: np.dtype) -> float:
    """The largest |x| whose square, summed over 10^6 elements, stays finite in `dtype`."""
    return float(np.sqrt(np.finfo(dtype).max / 1e6))


def normalize_axes(axes: tuple[int, ...], ndim: int, name: str = "--axis") -> tuple[int, ...]:
    """Non-negative, sorted, unique contracting axes.

    Raises:
        SpecError: an axis outside the array's dimensions.
    """
    normalized = []
    for axis in axes:
        if not -ndim <= axis < ndim:
            raise SpecError(None, name, f"expected an axis in [{-ndim}, {ndim - 1}]", axis)
        normalized.append(axis % ndim)
    return tuple(sorted(set(normalized)))


def check_bits(bits: int, allowed: tuple[int, ...], quantizer: str) -> None:
    """Raise a SpecError naming the quantizer when `bits` is outside what it supports."""
    if bits not in allowed:
        shown = ", ".join(str(b) for b in allowed) if len(allowed) < 10 else f"{allowed[0]}..{allowed[-1]}"
        raise SpecError(None, "--bits", f"quantizer {quantizer!r} supports bits in {{{shown}}}", bits)


def round_half_even(values: np.ndarray) -> np.ndarray:
    """jnp.round / torch.round: ties go to the even integer (numpy's np.rint does the same)."""
    return np.rint(values)


def argextreme_share(values: np.ndarray, extreme: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Indicator of where `values` equals its reduced max/min, divided by the number of ties.

    This is how JAX differentiates jnp.max / jnp.min: the cotangent is split evenly between ties.
    """
    hits = (values == extreme).astype(values.dtype)
    return hits / np.sum(hits, axis=axes, keepdims=True)


def balanced_clip_grad(unclipped: np.ndarray, low: float, high: float) -> np.ndarray:
    """d jnp.clip(x, low, high) / dx, evaluated at the value x before clipping.

    JAX builds clip from max/min, whose derivative at an exact tie is 1/2 ("balanced"), so a value
    that lands exactly on a bound passes half the gradient; outside the bounds nothing passes.
    """
    inside = ((unclipped > low) & (unclipped < high)).astype(unclipped.dtype)
    on_bound = ((unclipped == low) | (unclipped == high)).astype(unclipped.dtype)
    return inside + np.asarray(0.5, unclipped.dtype) * on_bound
