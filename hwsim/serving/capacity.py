"""Capacity at a latency target: the largest rate (server) or stream count (streaming) whose p99 latency meets the
target, by a deterministic bracket-then-section search whose probe points do not depend on the executor.

Each round runs PROBES_PER_ROUND loads at once (in parallel on the executor): first growing geometrically from the
start until one fails, then evenly inside the [last pass, first fail] bracket until it is tight (streams: adjacent
integers; rates: within RELATIVE_TOLERANCE). Arrivals and lengths use common random numbers (hwsim.serving.load),
so p99 rises with load and the search does not chase seed noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from hwsim.executor import Executor, LocalExecutor
from hwsim.serving.run import Scenario, ServeRequest, serve

PROBES_PER_ROUND = 4
GROWTH = 2.0
RELATIVE_TOLERANCE = 0.02
MAX_ROUNDS = 12


@dataclass(frozen=True)
class Probe:
    load: float
    p50_s: float
    p99_s: float
    meets: bool
    summary: dict


@dataclass(frozen=True)
class Capacity:
    max_load: float           # 0 when even the smallest load misses the target
    probes: tuple[Probe, ...]


def probe_summary(request: ServeRequest) -> dict:
    """One probe (top level, so worker processes can import it)."""
    return serve(request).summary


def _round(base: ServeRequest, loads: list[float], slo_p99_s: float, executor: Executor) -> list[Probe]:
    summaries = executor.map(probe_summary, [base.with_load(load) for load in loads])
    return [Probe(load, s["latency_s"]["p50"], s["latency_s"]["p99"], s["latency_s"]["p99"] <= slo_p99_s, s)
            for load, s in zip(loads, summaries)]


def find_max_load(base: ServeRequest, slo_p99_s: float, executor: Executor | None = None,
                  start: float | None = None, tolerance: float | None = None,
                  limit: float | None = None, growth: float = GROWTH) -> Capacity:
    """`tolerance`: stop when the bracket is within this fraction of its top (default: RELATIVE_TOLERANCE for
    rates; stream counts search to adjacent integers unless a tolerance is given). `limit`: no load above it is
    probed (e.g. the streams a chip's memory holds); when it meets the target it is the answer. `growth`: factor
    between bracketing probes (a good `start` with a small growth saves probes at loads far past capacity)."""
    executor = executor or LocalExecutor(1)
    integer = base.scenario is Scenario.STREAMING
    if tolerance is None:
        tolerance = 0.0 if integer else RELATIVE_TOLERANCE
    snap: Callable[[float], float] = (lambda x: float(max(1, round(x)))) if integer else float
    lo, hi, probes = 0.0, None, []
    load = snap(start if start is not None else base.load)
    for _ in range(MAX_ROUNDS):          # bracket: grow until a probe fails
        loads = sorted({_cap(snap(load * growth ** i), limit) for i in range(PROBES_PER_ROUND)})
        probes += _round(base, loads, slo_p99_s, executor)
        lo, hi = _bracket(probes, 0.0, None)
        if hi is not None or (limit is not None and loads[-1] >= limit):
            break
        load = loads[-1] * growth
    if hi is None:
        return Capacity(lo, tuple(sorted(probes, key=lambda p: p.load)))
    for _ in range(MAX_ROUNDS):          # section: evenly spaced probes inside (lo, hi)
        step = (hi - lo) / (PROBES_PER_ROUND + 1)
        loads = sorted({snap(lo + step * (i + 1)) for i in range(PROBES_PER_ROUND)})
        loads = [x for x in loads if lo < x < hi]
        if _tight(lo, hi, integer, tolerance) or not loads:
            break
        probes += _round(base, loads, slo_p99_s, executor)
        lo, hi = _bracket(probes, lo, hi)
    return Capacity(lo, tuple(sorted(probes, key=lambda p: p.load)))


def _cap(load: float, limit: float | None) -> float:
    return load if limit is None else min(load, limit)


def _bracket(probes: list[Probe], lo: float, hi: float | None) -> tuple[float, float | None]:
    """(largest passing load below the smallest failing one, smallest failing load)."""
    failing = [p.load for p in probes if not p.meets]
    if failing:
        hi = min(failing) if hi is None else min(hi, min(failing))
    passing = [p.load for p in probes if p.meets and (hi is None or p.load < hi)]
    return max([lo, *passing]), hi


def _tight(lo: float, hi: float, integer: bool, tolerance: float) -> bool:
    if integer and hi - lo <= 1:
        return True
    return lo > 0 and (hi - lo) / hi <= tolerance
