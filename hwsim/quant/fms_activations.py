"""fms_mo 0.8.7 activation quantizers: PACT family with learnable clips, and BAC's fixed bounds.

Each forward follows the library's arithmetic order in the input dtype (f32 in the library), because
`round(s*x - zp)` and `round(x/step - zp)` can land on different levels at near-ties. Each backward
is the library's hand-written `backward`, including its inconsistencies (quantizers.md C.7):

| quantizer   | module / STE        | dL/dx passes where       | dL/d(alpha)                                  |
|-------------|---------------------|--------------------------|----------------------------------------------|
| pact        | PACT_STE            | 0 <= x <= a              | sum G[x >= a]                                |
| pact2       | PACT2_STE           | a- < x < a+              | sum G[x >= a+];  a-: sum G[x <= a-]          |
| pact_plus   | PACTplusSTE         | 0 < x < a                | sum G[x >= a] - sum G*delz[0 < x < a]        |
| pact2_plus  | PACTplus2STE        | a- < x < a+              | as pact_plus; a- gets +G*delz and G[x <= a-] |
| pact_sym    | PACT2Sym_STE        | -a < x < a               | sum G[|x| >= a]  (no sign flip on x <= -a)   |
| bac         | QFixSymmetricZeroSTE| everywhere (identity)    | none (fixed bound)                           |
"""

from __future__ import annotations

import numpy as np

from hwsim.errors import SpecError
from hwsim.quant.common import QuantGrads, QuantResult, round_half_even


def bac_alpha(dropout: float = 0.0) -> float:
    """BAC's bound: 1/(1-dropout) for LSTM inputs (dropout scales them), 1 for hidden states (dropout 0)."""
    if not 0 <= dropout < 1:
        raise SpecError(None, "dropout", "expected a dropout probability in [0, 1)", dropout)
    return 1.0 / (1.0 - dropout)


def _f(value: float, x: np.ndarray) -> np.ndarray:
    return np.asarray(value, x.dtype)


def _affine_result(x: np.ndarray, codes: np.ndarray, levels_per_unit, zp_levels, dequant) -> QuantResult:
    """Package fms's (scale = levels per unit, integer zp) as hwsim's step and real-unit zero point."""
    step = _f(1, x) / levels_per_unit
    zero_point = None if zp_levels is None else -zp_levels * step
    return QuantResult(q=codes.astype(np.int32), scale=np.asarray(step), zero_point=zero_point, dequant=dequant)


def pact_forward(x: np.ndarray, bits: int, alpha: float) -> QuantResult:
    """One-sided PACT: scale = (2^b-1)/alpha, y = round(scale * min(x, alpha)) / scale; rejects negatives."""
    if np.min(x) < 0:
        raise SpecError(None, "input", "one-sided 'pact' expects non-negative values (use 'pact2')", float(np.min(x)))
    a = _f(alpha, x)
    levels_per_unit = _f(2**bits - 1, x) / max(a, _f(0, x))
    q = round_half_even(levels_per_unit * np.where(x > a, a, x))
    return _affine_result(x, q, levels_per_unit, None, q / levels_per_unit)


def pact_backward(x: np.ndarray, alpha: float, cotangent: np.ndarray) -> QuantGrads:
    a = _f(alpha, x)
    dx = np.where((x < 0) | (x > a), 0, cotangent)
    return QuantGrads(dx=dx.astype(x.dtype), dalpha=float(np.sum(np.where(x < a, 0, cotangent))))


def _pact2_params(x: np.ndarray, bits: int, alpha: float, alpha_neg: float):
    """asymmetric_linear_quantization_params: range widened to include 0, zp = round(scale * a-)."""
    low = min(_f(alpha_neg, x), _f(0, x))
    high = max(_f(alpha, x), _f(0, x))
    levels_per_unit = _f(2**bits - 1, x) / (high - low)
    return levels_per_unit, round_half_even(levels_per_unit * low)


def pact2_forward(x: np.ndarray, bits: int, alpha: float, alpha_neg: float) -> QuantResult:
    """Two-sided PACT2: y = (round(s*clamp(x, a-, a+) - zp) + zp)/s; the rounded zp can push y above a+."""
    levels_per_unit, zp = _pact2_params(x, bits, alpha, alpha_neg)
    clipped = np.where(x > _f(alpha, x), _f(alpha, x), x)
    clipped = np.where(clipped < _f(alpha_neg, x), _f(alpha_neg, x), clipped)
    q = round_half_even(levels_per_unit * clipped - zp)
    return _affine_result(x, q, levels_per_unit, zp, (q + zp) / levels_per_unit)


def pact2_backward(x: np.ndarray, alpha: float, alpha_neg: float, cotangent: np.ndarray) -> QuantGrads:
    a, an = _f(alpha, x), _f(alpha_neg, x)
    dx = np.where((x <= an) | (x >= a), 0, cotangent).astype(x.dtype)
    dalpha = float(np.sum(np.where(x < a, 0, cotangent)))
    dalpha_neg = float(np.sum(np.where(x > an, 0, cotangent)))
    return QuantGrads(dx=dx, dalpha=dalpha, dalpha_neg=dalpha_neg)


def _plus_step(x: np.ndarray, bits: int, alpha: float, alpha_neg: float):
    levels_per_unit = _f(2**bits - 1, x) / (_f(alpha, x) - _f(alpha_neg, x))
    return _f(1, x) / levels_per_unit, levels_per_unit


def pact_plus_forward(x: np.ndarray, bits: int, alpha: float, alpha_neg: float | None) -> QuantResult:
    """PACT+ (PACTplusSTE one-sided, PACTplus2STE two-sided with integer zp): y = (round(x/step - zp) + zp)*step."""
    two_sided = alpha_neg is not None
    low = _f(alpha_neg if two_sided else 0.0, x)
    step, levels_per_unit = _plus_step(x, bits, alpha, float(low))
    zp = round_half_even(low * levels_per_unit) if two_sided else _f(0, x)
    clipped = np.maximum(np.minimum(x, _f(alpha, x)), low)
    q = round_half_even(clipped / step - zp)
    dequant = (q + zp) * step if two_sided else q * step
    return _affine_result(x, q, levels_per_unit, zp if two_sided else None, dequant)


def pact_plus_backward(x: np.ndarray, bits: int, alpha: float, alpha_neg: float | None,
                       cotangent: np.ndarray) -> QuantGrads:
    """Clip gradients with the rounding residual delz = (z - round z)/(2^b-1), z = (x - a-)/step."""
    two_sided = alpha_neg is not None
    a, an = _f(alpha, x), _f(alpha_neg if two_sided else 0.0, x)
    step, _ = _plus_step(x, bits, alpha, float(an))
    z = (x - an) / step if two_sided else x / step
    delz = (z - round_half_even(z)) / _f(2**bits - 1, x)
    below, above = x <= an, x >= a
    dx = np.where(below | above, 0, cotangent).astype(x.dtype)
    dalpha = np.where(above, cotangent, np.where(below, 0, -cotangent * delz))
    if not two_sided:
        return QuantGrads(dx=dx, dalpha=float(np.sum(dalpha)))
    dalpha_neg = np.where(below, cotangent, np.where(above, 0, cotangent * delz))
    return QuantGrads(dx=dx, dalpha=float(np.sum(dalpha)), dalpha_neg=float(np.sum(dalpha_neg)))


def pact_sym_forward(x: np.ndarray, bits: int, alpha: float) -> QuantResult:
    """PACT2Sym: scale = (2^(b-1)-1)/alpha, y = round(scale * clamp(x, -alpha, alpha)) / scale."""
    a = _f(alpha, x)
    levels_per_unit = _f(2 ** (bits - 1) - 1, x) / a
    clipped = np.where(x > a, a, x)
    clipped = np.where(clipped < -a, -a, clipped)
    q = round_half_even(levels_per_unit * clipped)
    return _affine_result(x, q, levels_per_unit, None, q / levels_per_unit)


def pact_sym_backward(x: np.ndarray, alpha: float, cotangent: np.ndarray) -> QuantGrads:
    a = _f(alpha, x)
    inside = (x > -a) & (x < a)
    dx = np.where(inside, cotangent, 0).astype(x.dtype)
    return QuantGrads(dx=dx, dalpha=float(np.sum(np.where(inside, 0, cotangent))))


def bac_forward(x: np.ndarray, bits: int, alpha: float) -> QuantResult:
    """BAC = QFixSymmetricZeroSTE: 2^b-1 levels on [-alpha, alpha], y = (round(s*clamp - zp) + zp)/s."""
    a = _f(alpha, x)
    levels_per_unit = _f(2**bits - 2, x) / (2 * a)
    zp = -a * levels_per_unit
    clipped = np.where(x > a, a, x)
    clipped = np.where(clipped < -a, -a, clipped)
    shifted = round_half_even(levels_per_unit * clipped - zp)
    dequant = (shifted + zp) / levels_per_unit
    signed = shifted - (2**bits - 2) // 2
    return _affine_result(x, signed, levels_per_unit, None, dequant)
