"""Capacity at a latency target: the largest rate (server) or stream count (streaming) whose p99 latency meets the
target, by a deterministic bracket-then-section search whose probe points do not depend on the executor.

Each round runs `probes_per_round` loads at once (in parallel on the executor; 1 is plain bisection). With a limit
(the streams chip memory holds) the limit is probed first and is the answer when it meets the target; without one
the loads grow geometrically from the start until one fails. Then the [last pass, first fail] bracket is sectioned
until it is tight (streams: adjacent integers or a given relative tolerance; rates: within RELATIVE_TOLERANCE). The
first section aims at the throughput the failing probe actually served (real-time streams need one audio second per
second each, so capacity is near or below it), which usually saves several probes; every later one is plain. Arrivals and lengths use common random numbers (hwsim.serving.load),
so p99 rises with load and the search does not chase seed noise.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

from hwsim.executor import Executor, LocalExecutor
from hwsim.serving.run import Scenario, ServeRequest, serve
from hwsim.simulate import Prepared, RunRequest, prepare

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
    """One probe (top level, so worker processes can import it). Probes of one point share its set-up: the prepared
    model and costs, and the decode schedules of its utterances (the same at every load)."""
    prepared, schedules = point_setup(request.base)
    return serve(request, prepared, schedules).summary


@functools.lru_cache(maxsize=2)
def point_setup(base: RunRequest) -> tuple[Prepared, dict]:
    """The prepared point and its decode-schedule memo, kept for the probes that follow (per process)."""
    return prepare(base), {}


def _round(base: ServeRequest, loads: list[float], slo_p99_s: float, executor: Executor) -> list[Probe]:
    summaries = executor.map(probe_summary, [base.with_load(load) for load in loads])
    return [Probe(load, s["latency_s"]["p50"], s["latency_s"]["p99"], s["latency_s"]["p99"] <= slo_p99_s, s)
            for load, s in zip(loads, summaries)]


def find_max_load(base: ServeRequest, slo_p99_s: float, executor: Executor | None = None,
                  start: float | None = None, tolerance: float | None = None,
                  limit: float | None = None, growth: float = GROWTH,
                  probes_per_round: int = PROBES_PER_ROUND) -> Capacity:
    """`tolerance`: stop when the bracket is within this fraction of its top (default: RELATIVE_TOLERANCE for
    rates; stream counts search to adjacent integers unless a tolerance is given). `limit`: no load above it is
    probed (e.g. the streams a chip's memory holds); it is probed first, and when it meets the target it is the
    answer. `growth`: factor between bracketing probes when there is no limit. `probes_per_round`: loads run at
    once on the executor (1: bisection, the fewest probes in all)."""
    executor = executor or LocalExecutor(1)
    integer = base.scenario is Scenario.STREAMING
    if tolerance is None:
        tolerance = 0.0 if integer else RELATIVE_TOLERANCE
    snap: Callable[[float], float] = (lambda x: float(max(1, round(x)))) if integer else float
    if limit is not None:                # the memory bound first: often the answer, in one probe
        probes = _round(base, [snap(limit)], slo_p99_s, executor)
        lo, hi = _bracket(probes, 0.0, None)
    else:
        lo, hi, probes = _grow(base, slo_p99_s, executor, snap(start if start is not None else base.load),
                               growth, snap, probes_per_round)
    if hi is None:
        return Capacity(lo, tuple(sorted(probes, key=lambda p: p.load)))
    top = _throughput_bound(probes, lo, hi, integer)
    for _ in range(MAX_ROUNDS):          # section: evenly spaced probes inside (lo, top]
        if _tight(lo, hi, integer, tolerance):
            break
        loads = _section(lo, hi, top, probes_per_round, snap)
        if not loads:
            break
        probes += _round(base, loads, slo_p99_s, executor)
        lo, hi = _bracket(probes, lo, hi)
        top = hi
    return Capacity(lo, tuple(sorted(probes, key=lambda p: p.load)))


def _grow(base: ServeRequest, slo_p99_s: float, executor: Executor, load: float, growth: float,
          snap: Callable[[float], float], per_round: int) -> tuple[float, float | None, list[Probe]]:
    """Bracket from below: grow geometrically until a probe fails (or MAX_ROUNDS rounds pass)."""
    probes: list[Probe] = []
    lo, hi = 0.0, None
    for _ in range(MAX_ROUNDS):
        loads = sorted({snap(load * growth ** i) for i in range(per_round)})
        probes += _round(base, loads, slo_p99_s, executor)
        lo, hi = _bracket(probes, 0.0, None)
        if hi is not None:
            break
        load = loads[-1] * growth
    return lo, hi, probes


def _throughput_bound(probes: list[Probe], lo: float, hi: float, streaming: bool) -> float:
    """Where to aim the first section: a failing probe served at most `rtfx` audio seconds per second (streams each
    need one) or `throughput_utt_per_s` utterances per second (rates), so capacity is rarely above that; used once,
    to place probes (the bracket itself only moves on probe results)."""
    failing = min((p for p in probes if not p.meets), key=lambda p: p.load)
    key = "rtfx" if streaming else "throughput_utt_per_s"
    served = failing.summary.get(key)
    if isinstance(served, (int, float)) and lo < served < hi:
        return float(served)
    return hi


def _section(lo: float, hi: float, top: float, per_round: int, snap: Callable[[float], float]) -> list[float]:
    """`per_round` loads evenly inside (lo, hi), or up to and including `top` when it is below hi."""
    if top < hi:
        step = (top - lo) / per_round
    else:
        step = (hi - lo) / (per_round + 1)
    loads = sorted({snap(lo + step * (i + 1)) for i in range(per_round)})
    return [x for x in loads if lo < x < hi]


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
