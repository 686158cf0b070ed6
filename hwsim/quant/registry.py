"""The enum-keyed table of quantizers: which library they reproduce, which bits they accept, how to call them.

Registering a kind twice is an error, so a typo cannot silently replace an existing quantizer.
Every forward takes (x, settings, axes) and every backward (x, settings, axes, cotangent), where
`axes` are the (possibly block-shifted) contracting axes; fms_mo kinds ignore them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from hwsim.quant import fms_activations as act
from hwsim.quant import fms_weights as wts
from hwsim.quant import praxis
from hwsim.quant.common import QuantGrads, QuantizerKind, QuantResult, QuantSettings

Forward = Callable[[np.ndarray, QuantSettings, tuple[int, ...]], QuantResult]
Backward = Callable[[np.ndarray, QuantSettings, tuple[int, ...], np.ndarray], QuantGrads]

ANY_BITS = tuple(range(2, 17))


@dataclass(frozen=True)
class QuantizerEntry:
    """How to run one quantizer kind and what it accepts."""

    kind: QuantizerKind
    library: str
    bits: tuple[int, ...]
    forward: Forward
    backward: Backward
    needs_alpha: bool = False
    blockwise: bool = False  # praxis kinds: per-channel along the contracting axes, optional blocks


REGISTRY: dict[QuantizerKind, QuantizerEntry] = {}


def register(entry: QuantizerEntry) -> None:
    """Add a kind to REGISTRY; raises ValueError when it is already there (a programming error)."""
    if entry.kind in REGISTRY:
        raise ValueError(f"quantizer {entry.kind.value!r} registered twice")
    REGISTRY[entry.kind] = entry


def _identity(x, s, axes, g):
    return wts.identity_backward(g)


def _register_praxis() -> None:
    register(QuantizerEntry(QuantizerKind.ABSMEAN, "praxis", (1,), lambda x, s, a: praxis.absmean_forward(x, a),
                            lambda x, s, a, g: praxis.absmean_backward(x, a, g), blockwise=True))
    register(QuantizerEntry(QuantizerKind.ABSMEAN_CENTERED, "praxis", (1,),
                            lambda x, s, a: praxis.absmean_centered_forward(x, a),
                            lambda x, s, a, g: praxis.absmean_centered_backward(x, a, g), blockwise=True))
    register(QuantizerEntry(QuantizerKind.ABSMAX, "praxis", ANY_BITS,
                            lambda x, s, a: praxis.absmax_forward(x, a, s.bits),
                            lambda x, s, a, g: praxis.absmax_backward(x, a, s.bits, g), blockwise=True))
    register(QuantizerEntry(QuantizerKind.ABSMAX_ASYM, "praxis", (1,) + ANY_BITS,
                            lambda x, s, a: praxis.absmax_asym_forward(x, a, s.bits),
                            lambda x, s, a, g: praxis.absmax_asym_backward(x, a, s.bits, g), blockwise=True))


def _register_fms_weights() -> None:
    register(QuantizerEntry(QuantizerKind.MAX, "fms_mo", ANY_BITS,
                            lambda x, s, a: wts.max_forward(x, s.bits, per_channel=False), _identity))
    register(QuantizerEntry(QuantizerKind.MAX_PER_CHANNEL, "fms_mo", ANY_BITS,
                            lambda x, s, a: wts.max_forward(x, s.bits, per_channel=True), _identity))
    register(QuantizerEntry(QuantizerKind.SAWB, "fms_mo", wts.SAWB_BITS,
                            lambda x, s, a: wts.sawb_forward(x, s.bits, fallback_to_max=False),
                            lambda x, s, a, g: wts.sawb_backward(x, s.bits, g)))
    register(QuantizerEntry(QuantizerKind.SAWB_PLUS, "fms_mo", wts.SAWB_BITS,
                            lambda x, s, a: wts.sawb_forward(x, s.bits, fallback_to_max=True), _identity))
    register(QuantizerEntry(QuantizerKind.SAWB_PER_CHANNEL, "fms_mo", wts.SAWB_BITS,
                            lambda x, s, a: wts.sawb_per_channel_forward(x, s.bits), _identity))
    register(QuantizerEntry(QuantizerKind.SAWB_UNALIGNED, "fms_mo", wts.SAWB_BITS,
                            lambda x, s, a: wts.sawb_unaligned_forward(x, s.bits),
                            lambda x, s, a, g: wts.sawb_unaligned_backward(x, s.bits, g)))


def _register_fms_activations() -> None:
    bits = tuple(range(1, 17))
    register(QuantizerEntry(QuantizerKind.PACT, "fms_mo", bits, lambda x, s, a: act.pact_forward(x, s.bits, s.alpha),
                            lambda x, s, a, g: act.pact_backward(x, s.alpha, g), needs_alpha=True))
    register(QuantizerEntry(QuantizerKind.PACT2, "fms_mo", bits,
                            lambda x, s, a: act.pact2_forward(x, s.bits, s.alpha, s.alpha_neg),
                            lambda x, s, a, g: act.pact2_backward(x, s.alpha, s.alpha_neg, g), needs_alpha=True))
    register(QuantizerEntry(QuantizerKind.PACT_PLUS, "fms_mo", bits,
                            lambda x, s, a: act.pact_plus_forward(x, s.bits, s.alpha, None),
                            lambda x, s, a, g: act.pact_plus_backward(x, s.bits, s.alpha, None, g), needs_alpha=True))
    register(QuantizerEntry(QuantizerKind.PACT2_PLUS, "fms_mo", bits,
                            lambda x, s, a: act.pact_plus_forward(x, s.bits, s.alpha, s.alpha_neg),
                            lambda x, s, a, g: act.pact_plus_backward(x, s.bits, s.alpha, s.alpha_neg, g),
                            needs_alpha=True))
    register(QuantizerEntry(QuantizerKind.PACT_SYM, "fms_mo", ANY_BITS,
                            lambda x, s, a: act.pact_sym_forward(x, s.bits, s.alpha),
                            lambda x, s, a, g: act.pact_sym_backward(x, s.alpha, g), needs_alpha=True))
    register(QuantizerEntry(QuantizerKind.BAC, "fms_mo", ANY_BITS,
                            lambda x, s, a: act.bac_forward(x, s.bits, 1.0 if s.alpha is None else s.alpha),
                            _identity))


_register_praxis()
_register_fms_weights()
_register_fms_activations()
