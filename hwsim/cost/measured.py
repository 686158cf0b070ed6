"""Measured GEMM times (a calibrated device's micro-benchmark table) as a shape-aware cost.

A device written by `hwsim calibrate` carries float32 GEMM times for M in {1, 2, 3, 4, 6, 8, 16, 64, 256}
over the calibration workloads' (K, N) shapes (hwsim.calibrate.suite). For an op (m, k, n) the cost model takes the measured (K, N) closest in log(K N), reads
the time at m by linear interpolation in M between the bracketing measurements (linear extrapolation from
the last two beyond the largest M), and scales it by (k n) / (K N). The measurement already contains the
cache and memory behaviour of that shape in a tight loop (weights hot), so no separate memory term is added;
decoder ops that re-read their weights after other work add hwsim.cost.cache_reuse's refetch time. The per-call overhead of the
runtime's GEMM call is taken out of every row (gemm_table) and charged per op by the cost model instead.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class GemmTable:
    dtype: str
    rows: tuple[tuple[int, int, int, float], ...]  # (m, k, n, seconds)

    def _by_shape(self) -> dict[tuple[int, int], list[tuple[int, float]]]:
        shapes: dict[tuple[int, int], list[tuple[int, float]]] = {}
        for m, k, n, seconds in self.rows:
            shapes.setdefault((k, n), []).append((m, seconds))
        return {shape: sorted(points) for shape, points in shapes.items()}

    def seconds(self, m: int, k: int, n: int) -> float:
        shapes = self._by_shape()
        key = min(shapes, key=lambda s: abs(math.log(s[0] * s[1]) - math.log(k * n)))
        points = shapes[key]
        ms = [p[0] for p in points]
        index = bisect.bisect_left(ms, m)
        if index < len(ms) and ms[index] == m:
            base = points[index][1]
        elif len(points) == 1:
            base = points[0][1] * m / points[0][0]
        else:
            lo, hi = (points[index - 1], points[index]) if 0 < index < len(points) else (
                (points[0], points[1]) if index == 0 else (points[-2], points[-1]))
            slope = (hi[1] - lo[1]) / (hi[0] - lo[0])
            base = max(lo[1] + slope * (m - lo[0]), points[0][1] * min(1.0, m / points[0][0]))
        return base * (k * n) / (key[0] * key[1])


def gemm_table(measurements: list[dict[str, object]] | None, dtype: str = "float32") -> GemmTable | None:
    """The float32 GEMM rows of a calibration table, each less the measured per-call overhead (the `matmul_call`
    benchmark, when the table has it): the cost model charges that overhead once per op as modelling.overhead_s,
    and an op inside a fused kernel (hwsim.cost.calls, modelling.fused_recurrence) does not pay it at all."""
    if not measurements:
        return None
    calls = [float(m["median_s"]) for m in measurements if m["benchmark"] == "matmul_call"]
    call_s = min(calls) if calls else 0.0
    rows = tuple((int(m["shape"][0]), int(m["shape"][1]), int(m["shape"][2]), max(float(m["median_s"]) - call_s, 0.0))
                 for m in measurements if m["benchmark"] == "gemm" and m["dtype"] == dtype and len(m["shape"]) == 3)
    return GemmTable(dtype, rows) if rows else None
