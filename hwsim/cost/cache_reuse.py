"""Decoder weights re-read on every call: how much of them the CPU's caches still hold (measured devices).

The GEMM table (hwsim.cost.measured) times each shape with its weights hot in cache, as a tight loop leaves
them. A beam-search decoder re-reads the prediction network's and the joint's weights on every call, with the
other decoder calls' weights (and the BLAS's packing buffers) streamed in between. When that per-step working
set outgrows what the caches keep, the weights come from DRAM: measured on this project's 2-core machine, the
joint's 768 x 256 projection takes 15 us at 2 rows hot but 93 us right after the 768 x 3072 prediction GEMM.

`hwsim calibrate` measures, for a device, two things (hwsim.calibrate.suite):

| benchmark     | what                                                        | gives                              |
|---------------|-------------------------------------------------------------|------------------------------------|
| gemm_cold     | each decoding-size GEMM (M <= 8) right after evicting the   | the cold time of an op             |
|               | caches                                                      |                                    |
| weight_stream | M-row GEMMs sweeping working sets of 0.5-64 MiB cyclically  | the miss fraction at a working set |

For a decoder op (triggered per prediction or joint call) with hot time h and cold time c, in a decoder whose
per-call weights total W bytes (the working set each step re-reads):

    time = h + f(W) x max(0, c - h),   f(W) = (t(W) - t_hot) / (t_cold - t_hot), clamped to [0, 1]

where t(W) is the measured seconds per byte of the weight_stream sweep at working set W (interpolated in
log W, made non-decreasing in W: a larger working set cannot be read faster), t_hot its smallest-set value and
t_cold its largest (a set 2x the L3: DRAM). The sweep is measured at M = 1 (matrix-vector kernel) and M > 1
(packed GEMM kernel, which also writes a packed copy of the weights and so evicts more); an op uses the curve
of its own call's rows. Ops at more rows than gemm_cold measured stay at their hot time (encoder-sized GEMMs
are not re-read per call).

The working-set sweep uses uniform 0.5 MiB matrices, so it cannot see what one large GEMM does to the cache
(a packed GEMM over a 9 MiB weight evicts far more than its size suggests). Where calibration timed the
decoder's GEMMs inside their own cycle (`gemm_in_decoder`, hwsim.calibrate.decoder_cycle) for the op's exact
(K, N), that in-cycle time replaces the estimate: time = in-cycle time at the op's M. The sweep estimate
covers the shapes of workloads calibration did not cycle.

The runtime's Python glue around the calls (hwsim.calibrate.runtime_calls: per-call fixed and per-row time,
the search's per-step and per-candidate time) slows down the same way: its objects are evicted too. Calibration
measures that glue on a tiny model with the caches evicted before every prediction call
(modelling.runtime_calls.cold_cache_factor, g). A decoder whose GEMMs run with miss fraction f (the largest
over its per-call GEMMs at the call's rows: the op that finds the caches coldest says how much the step evicted)
pays glue x (1 + f (g - 1)), and so does each decoder op's own per-call dispatch overhead (its numpy ufunc and
reduction calls or its onnxruntime kernel launch are host work of the same kind: an 8 x 46 log-softmax measured
5.3 us in a tight loop, 6.8 us after a 4 MiB pass and 39 us after a 48 MiB pass; the glue factor g was measured
with those dispatches inside it).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from hwsim.cost.measured import GemmTable, gemm_table


@dataclass(frozen=True)
class StreamCurve:
    """Seconds per byte of a cyclic weight sweep against the working set's bytes, for one kernel class."""

    m: int
    points: tuple[tuple[float, float], ...]  # (working-set bytes, seconds per byte), sorted, non-decreasing

    def seconds_per_byte(self, working_set: float) -> float:
        sizes = [p[0] for p in self.points]
        if working_set <= sizes[0]:
            return self.points[0][1]
        if working_set >= sizes[-1]:
            return self.points[-1][1]
        i = bisect.bisect_right(sizes, working_set)
        (x0, y0), (x1, y1) = self.points[i - 1], self.points[i]
        w = (math.log(working_set) - math.log(x0)) / (math.log(x1) - math.log(x0))
        return y0 + w * (y1 - y0)

    def miss_fraction(self, working_set: float) -> float:
        """0 = as fast as a cache-resident set, 1 = as slow as a set 2x the L3 (all from DRAM)."""
        hot, cold = self.points[0][1], self.points[-1][1]
        if cold <= hot:
            return 0.0
        return min(1.0, max(0.0, (self.seconds_per_byte(working_set) - hot) / (cold - hot)))


@dataclass(frozen=True)
class CacheReuse:
    hot: GemmTable
    cold: GemmTable
    curves: tuple[StreamCurve, ...]  # by kernel class m, ascending
    cold_max_m: int
    in_decoder: GemmTable | None = None  # gemm_in_decoder rows (hwsim.calibrate.decoder_cycle)

    @property
    def in_decoder_shapes(self) -> frozenset[tuple[int, int]]:
        return frozenset((k, n) for _, k, n, _ in self.in_decoder.rows) if self.in_decoder else frozenset()

    def curve(self, m: int) -> StreamCurve:
        """The curve of the kernel class `m` falls in: the largest measured class <= m (M = 1 is its own)."""
        eligible = [c for c in self.curves if c.m <= m]
        return eligible[-1] if eligible else self.curves[0]

    def miss_fraction(self, m: int, k: int, n: int, working_set_bytes: float) -> float:
        """How cold an (m, k, n) decoder GEMM runs: 0 = its hot time, 1 = its weights all from DRAM. From its
        in-cycle time where measured, else the working-set sweep."""
        if m > self.cold_max_m:
            return 0.0
        if self.in_decoder is not None and (k, n) in self.in_decoder_shapes:
            hot, cold = self.hot.seconds(m, k, n), self.cold.seconds(m, k, n)
            return min(1.0, max(0.0, (self.in_decoder.seconds(m, k, n) - hot) / (cold - hot))) if cold > hot else 0.0
        return self.curve(m).miss_fraction(working_set_bytes)

    def refetch_s(self, m: int, k: int, n: int, working_set_bytes: float) -> float:
        """Time an (m, k, n) GEMM adds to its hot time when it re-reads its weights in a decoder whose per-step
        weights total `working_set_bytes`: measured inside the decoder's own GEMM cycle when calibration ran that
        shape there, else the miss fraction of the working set times the cold - hot difference."""
        if m > self.cold_max_m:
            return 0.0
        if self.in_decoder is not None and (k, n) in self.in_decoder_shapes:
            return max(0.0, self.in_decoder.seconds(m, k, n) - self.hot.seconds(m, k, n))
        extra = self.cold.seconds(m, k, n) - self.hot.seconds(m, k, n)
        return self.curve(m).miss_fraction(working_set_bytes) * max(0.0, extra)


def stream_curves(measurements: list[dict[str, object]]) -> tuple[StreamCurve, ...]:
    by_m: dict[int, list[tuple[float, float]]] = {}
    for row in measurements:
        if row["benchmark"] == "weight_stream":
            m, working_set = int(row["shape"][0]), float(row["shape"][1])
            by_m.setdefault(m, []).append((working_set, float(row["median_s"]) / float(row["work"])))
    curves = []
    for m, points in sorted(by_m.items()):
        points.sort()
        running, monotone = 0.0, []
        for size, per_byte in points:
            running = max(running, per_byte)
            monotone.append((size, running))
        curves.append(StreamCurve(m, tuple(monotone)))
    return tuple(curves)


def cache_reuse(measurements: list[dict[str, object]] | None) -> CacheReuse | None:
    """The device's reuse model when its calibration has gemm_cold and weight_stream rows, else None."""
    if not measurements:
        return None
    hot = gemm_table(measurements)
    cold_rows = [dict(row, benchmark="gemm") for row in measurements if row["benchmark"] == "gemm_cold"]
    calls = [row for row in measurements if row["benchmark"] == "matmul_call"]
    cold = gemm_table(cold_rows + calls)
    curves = stream_curves(measurements)
    if hot is None or cold is None or not curves:
        return None
    in_decoder = gemm_table([dict(row, benchmark="gemm") for row in measurements
                             if row["benchmark"] == "gemm_in_decoder"] + calls)
    return CacheReuse(hot, cold, curves, max(m for m, _, _, _ in cold.rows), in_decoder)
