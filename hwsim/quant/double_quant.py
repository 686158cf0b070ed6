"""Second-level ("double") int8 quantization of per-channel or per-block metadata (scales, zero points).

No public recipe exists (quantizers.md A.5: neither praxis 1.4.0/HEAD nor aqtp 0.9.0 quantizes its
scales or zero points). hwsim's recipe is the one A.5 calls natural: praxis `reduce_precision` with
contract_dims = all axes and bits=8, i.e. symmetric per-tensor int8 absmax of the f32 metadata:

    meta_scale = max|m| / 127,   m_q = clip(round_half_even(m / meta_scale), -128, 127),   m' = m_q * meta_scale

A zero meta_scale becomes 1 (praxis add_scale_eps=False). Storage cost: 8 bits per entry plus one
f32 meta_scale per tensor. The worst-case absolute error is meta_scale/2 per entry, which is large
*relative* to small scales when the metadata spans a wide range; `metadata_error` reports it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwsim.quant.praxis import absmax_forward

METADATA_BITS = 8


@dataclass(frozen=True)
class DoubleQuantized:
    """int8 codes of the metadata, their f32 scale, the reconstruction and its error."""

    codes: np.ndarray
    meta_scale: float
    restored: np.ndarray
    max_abs_error: float
    max_rel_error: float


def double_quantize(metadata: np.ndarray, bits: int = METADATA_BITS) -> DoubleQuantized:
    """Quantize a scale or zero-point array to `bits`-bit symmetric per-tensor codes; report the error."""
    metadata = np.asarray(metadata, np.float32)
    axes = tuple(range(metadata.ndim))
    result = absmax_forward(metadata, axes, bits)
    restored = result.dequant.astype(np.float32)
    return DoubleQuantized(
        codes=result.q.astype(np.int8 if bits <= 8 else np.int32),
        meta_scale=float(np.ravel(result.scale)[0]),
        restored=restored,
        max_abs_error=float(np.max(np.abs(restored - metadata))),
        max_rel_error=metadata_relative_error(metadata, restored),
    )


def metadata_relative_error(original: np.ndarray, restored: np.ndarray) -> float:
    """max |restored - original| / |original| over non-zero entries (0 when all are zero)."""
    nonzero = original != 0
    if not np.any(nonzero):
        return 0.0
    return float(np.max(np.abs(restored[nonzero] - original[nonzero]) / np.abs(original[nonzero])))
