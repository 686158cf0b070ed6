"""Error of one quantized or cast tensor: SQNR, MSE, share clipped, and the cost of int8 metadata.

Definitions (w = the weights analysed, w' = their dequantized or cast values):

- SQNR dB = 10 log10(sum w^2 / sum (w - w')^2); +inf when w' == w exactly, -inf when w == 0 but w' != w.
- MSE = mean (w - w')^2.
- clipped fraction: share of w outside the representable range of its scale group in real units,
  [lowest code * scale - zero_point, highest code * scale - zero_point] (codes from `apply.code_range`),
  with a tolerance of 1/1000 of a step so that float rounding of the scale does not count the arg-max
  itself. By family: absmax / absmax_asym / max always give 0 (the range is set by max|w| or min/max);
  absmean counts |w| > scale (the binary levels are ±mean|w|, so roughly half the weights saturate);
  sawb counts |w| > its code-table clip. For fp16 / bf16 casts it is the share that overflows the
  format's largest finite value.
- double quantization (metadata_dtype int8): the scales (and zero points) are requantized with
  `double_quant.double_quantize` (int8 absmax per tensor). scale_rel_error / zero_point_rel_error are the
  max relative errors of the entries; sqnr_double_quant_db is the weight's SQNR when dequantized with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hwsim.quant.common import QuantResult
from hwsim.quant.double_quant import double_quantize

CLIP_TOLERANCE_STEPS = 1e-3


@dataclass(frozen=True)
class ErrorSums:
    """Sums that add over tensors and samples: signal and noise energy, elements, clipped elements."""

    signal: float
    noise: float
    elements: int
    clipped: int

    @property
    def sqnr_db(self) -> float:
        return sqnr_db(self.signal, self.noise)

    @property
    def mse(self) -> float:
        return self.noise / self.elements if self.elements else math.nan

    @property
    def clipped_fraction(self) -> float:
        return self.clipped / self.elements if self.elements else math.nan


@dataclass(frozen=True)
class MetadataError:
    scale_rel_error: float
    zero_point_rel_error: float | None
    sqnr_double_quant_db: float

    @property
    def max_rel_error(self) -> float:
        return max(self.scale_rel_error, self.zero_point_rel_error or 0.0)


def sqnr_db(signal: float, noise: float) -> float:
    if noise == 0:
        return math.inf  # exact reconstruction, also of an all-zero tensor
    ratio = signal / noise
    if ratio == 0:  # no signal, or an infinite error (a value cast beyond its format's range)
        return -math.inf
    return 10 * math.log10(ratio) if ratio == ratio else math.nan


def error_sums(original: np.ndarray, restored: np.ndarray, clipped: int = 0) -> ErrorSums:
    w = np.asarray(original, np.float64)
    diff = w - np.asarray(restored, np.float64)
    return ErrorSums(float(np.sum(w * w)), float(np.sum(diff * diff)), int(w.size), int(clipped))


def clipped_count(matrix: np.ndarray, result: QuantResult, codes: tuple[int, int]) -> int:
    """Elements of the [groups, group_length] matrix outside their group's [lowest, highest] level."""
    scale = np.abs(np.asarray(result.scale, np.float64))
    zero_point = 0.0 if result.zero_point is None else np.asarray(result.zero_point, np.float64)
    low = codes[0] * scale - zero_point - CLIP_TOLERANCE_STEPS * scale
    high = codes[1] * scale - zero_point + CLIP_TOLERANCE_STEPS * scale
    return int(np.count_nonzero((matrix < low) | (matrix > high)))


def metadata_error(matrix: np.ndarray, result: QuantResult) -> MetadataError:
    """Double-quantize scale (and zero point) to int8 and measure what it costs the weight."""
    scales = double_quantize(np.ravel(result.scale))
    restored = result.q.astype(np.float32) * scales.restored.reshape(np.shape(result.scale))
    zp_error = None
    if result.zero_point is not None:
        points = double_quantize(np.ravel(result.zero_point))
        restored = restored - points.restored.reshape(np.shape(result.zero_point))
        zp_error = points.max_rel_error
    sums = error_sums(matrix, restored)
    return MetadataError(scales.max_rel_error, zp_error, sums.sqnr_db)
