"""One entry point for every quantizer: validate the request, lay out blocks, run forward or backward.

Name lookup, bit checks, clip checks and the praxis block layout live here so that the per-library
modules only hold formulas.
"""

from __future__ import annotations

import numpy as np

from hwsim.errors import SpecError, unknown_choice
from hwsim.quant.common import (
    QuantGrads, QuantizerKind, QuantResult, QuantSettings, as_float_array, check_bits, normalize_axes,
)
from hwsim.quant.registry import REGISTRY, QuantizerEntry
from hwsim.quant.subchannel import sub_channel_layout

TWO_SIDED = (QuantizerKind.PACT2, QuantizerKind.PACT2_PLUS)


def resolve_kind(name: str | QuantizerKind) -> QuantizerKind:
    """The QuantizerKind for a CLI / spec name; unknown names get a did-you-mean SpecError."""
    if isinstance(name, QuantizerKind):
        return name
    try:
        return QuantizerKind(name)
    except ValueError:
        raise unknown_choice(None, "--quantizer", "quantizer", name, [k.value for k in QuantizerKind]) from None


def _check_clips(entry: QuantizerEntry, settings: QuantSettings) -> None:
    name = entry.kind.value
    if entry.needs_alpha and (settings.alpha is None or settings.alpha <= 0):
        raise SpecError(None, "--alpha", f"quantizer {name!r} needs a clip value > 0", settings.alpha)
    if entry.kind == QuantizerKind.BAC and settings.alpha is not None and settings.alpha <= 0:
        raise SpecError(None, "--alpha", "quantizer 'bac' needs a bound > 0", settings.alpha)
    if entry.kind in TWO_SIDED and (settings.alpha_neg is None or settings.alpha_neg >= settings.alpha):
        raise SpecError(None, "--alpha-neg", f"quantizer {name!r} needs a lower clip below --alpha",
                        settings.alpha_neg)


def _check_layout(entry: QuantizerEntry, settings: QuantSettings, x: np.ndarray) -> tuple[int, ...]:
    axes = normalize_axes(settings.contract_axes, x.ndim)
    if settings.block_size is not None and not entry.blockwise:
        raise SpecError(None, "--block", f"sub-channel blocks are a praxis feature; {entry.kind.value!r} "
                        "is an fms_mo quantizer", settings.block_size)
    per_row = entry.kind in (QuantizerKind.MAX_PER_CHANNEL, QuantizerKind.SAWB_PER_CHANNEL)
    if per_row and axes != tuple(range(1, x.ndim)):
        raise SpecError(None, "--axis", "fms_mo per-channel quantizers reduce over every axis but the first "
                        f"(expected contracting axes {tuple(range(1, x.ndim))})", axes)
    if per_row and x.ndim < 2:
        raise SpecError(None, "input", "per-channel quantization needs at least a 2-D [out, in] array",
                        f"shape {x.shape}")
    return axes


def _prepare(x: object, kind: str | QuantizerKind, settings: QuantSettings):
    entry = REGISTRY[resolve_kind(kind)]
    array = as_float_array(x)
    check_bits(settings.bits, entry.bits, entry.kind.value)
    _check_clips(entry, settings)
    axes = _check_layout(entry, settings, array)
    shape, axes = array.shape, axes
    if settings.block_size is not None:
        shape, axes = sub_channel_layout(array.shape, axes, settings.block_size,
                                         settings.mimic_praxis_block_fallback)
    return entry, array, shape, axes


def quantize(x: object, kind: str | QuantizerKind, settings: QuantSettings) -> QuantResult:
    """Forward pass. With blocks, q/scale/zero_point keep the blocked layout and dequant the input's.

    Raises:
        SpecError: unknown kind, unsupported bits, missing clip, bad axis or block, non-finite input.
    """
    entry, array, shape, axes = _prepare(x, kind, settings)
    result = entry.forward(array.reshape(shape), settings, axes)
    if shape == array.shape:
        return result
    return QuantResult(result.q, result.scale, result.zero_point, result.dequant.reshape(array.shape))


def quantize_backward(x: object, kind: str | QuantizerKind, settings: QuantSettings,
                      cotangent: object) -> QuantGrads:
    """STE backward: dL/dx (and clip gradients) for upstream G = dL/d(dequant), G shaped like x.

    Raises:
        SpecError: as `quantize`, or a cotangent whose shape differs from x.
    """
    entry, array, shape, axes = _prepare(x, kind, settings)
    grad = as_float_array(cotangent, "cotangent").astype(array.dtype)
    if grad.shape != array.shape:
        raise SpecError("cotangent", "", f"expected the input's shape {array.shape}", f"shape {grad.shape}")
    grads = entry.backward(array.reshape(shape), settings, axes, grad.reshape(shape))
    return QuantGrads(grads.dx.reshape(array.shape), grads.dalpha, grads.dalpha_neg)
