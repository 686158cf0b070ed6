"""Timers for micro-benchmarks: warm-up, auto-sized inner loops, repeats, medians (on hwsim.clock: thread CPU time by default).

A repeat times `number` back-to-back calls and divides, so calls far shorter than the timer resolution
still get a stable per-call figure; `number` is chosen once, like timeit's autorange, so that one repeat
lasts at least `min_repeat_s`. Untimed warm-up calls first (caches, BLAS thread start-up, lazy allocation).
The reported figure is the median over repeats (robust to a preempted repeat on a shared machine), and the
interquartile spread of the repeats, in % of the median, says how noisy it was.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Callable

from hwsim import clock


@dataclass(frozen=True)
class Timing:
    median_s: float  # per call
    repeats: int
    number: int  # calls per repeat
    spread_pct: float = 0.0  # interquartile range of the repeats / median, in %


def spread_pct(samples: list[float]) -> float:
    """Interquartile range of `samples` in % of their median (0 for fewer than 2 samples)."""
    if len(samples) < 2:
        return 0.0
    q1, _, q3 = statistics.quantiles(samples, n=4, method="inclusive")
    return 100.0 * (q3 - q1) / statistics.median(samples)


@dataclass(frozen=True)
class Measurement:
    """One benchmark result; `work` (in `work_unit`) per call, so rate = work / median."""

    benchmark: str
    dtype: str
    shape: tuple[int, ...]
    repeats: int
    median_s: float
    work: float
    work_unit: str  # flop, byte, element, row, call, candidate
    spread_pct: float = 0.0  # interquartile range of the repeats / median, in %

    @property
    def rate_per_s(self) -> float:
        return self.work / self.median_s

    def as_dict(self) -> dict[str, object]:
        return {"benchmark": self.benchmark, "dtype": self.dtype, "shape": list(self.shape),
                "repeats": self.repeats, "median_s": float(self.median_s), "work": float(self.work),
                "work_unit": self.work_unit, "rate_per_s": float(self.rate_per_s),
                "spread_pct": round(float(self.spread_pct), 3)}

    def describe(self) -> str:
        """How the figure was obtained, for a `measured:` provenance string."""
        shape = "x".join(str(d) for d in self.shape)
        return (f"{self.benchmark} {self.dtype} {shape}, median of {self.repeats} repeats = "
                f"{self.median_s:.4g} s per call ({self.rate_per_s:.4g} {self.work_unit}/s)")


def calls_per_repeat(fn: Callable[[], object], min_repeat_s: float) -> int:
    """Smallest power of two of calls that lasts at least `min_repeat_s` (one call when it already does)."""
    number = 1
    while True:
        start = clock.now()
        for _ in range(number):
            fn()
        if clock.now() - start >= min_repeat_s or number >= 1 << 20:
            return number
        number *= 2


def cache_evictor(evict_bytes: int) -> Callable[[], None]:
    """A call that does one read-modify-write pass over `evict_bytes` (larger than the last-level cache), so
    that whatever runs next reads its data from DRAM."""
    import numpy as np

    buffer = np.zeros(evict_bytes // 8)

    def evict() -> None:
        np.add(buffer, 1.0, out=buffer)
    return evict


def time_cold(fn: Callable[[], object], repeats: int, evict_bytes: int, warmup: int = 1) -> Timing:
    """Median time of single calls of `fn`, each right after an untimed cache_evictor pass."""
    evict = cache_evictor(evict_bytes)
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        evict()
        start = clock.now()
        fn()
        samples.append(clock.now() - start)
    return Timing(statistics.median(samples), repeats, 1, spread_pct(samples))


def time_call(fn: Callable[[], object], repeats: int, min_repeat_s: float, warmup: int = 3) -> Timing:
    """Median per-call wall time of `fn` over `repeats` repeats, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    number = calls_per_repeat(fn, min_repeat_s)
    samples = []
    for _ in range(repeats):
        start = clock.now()
        for _ in range(number):
            fn()
        samples.append((clock.now() - start) / number)
    return Timing(statistics.median(samples), repeats, number, spread_pct(samples))
