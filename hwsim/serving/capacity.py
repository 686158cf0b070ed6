"""Capacity at a latency target: the largest rate (server) or stream count (streaming) whose p99 latency meets the
target, by a deterministic bracket-then-section search whose probe points do not depend on the executor.

Each round runs `probes_per_round` loads at once (in parallel on the executor; 1 is plain bisection). The loads grow
geometrically, capped at a limit (the streams chip memory holds; when it meets the target it is the answer), from
a throughput estimate when one is given (then the first probe is often the answer or close above it) or else from
the start, until one fails. Then the [last pass, first fail] bracket is sectioned
until it is tight (streams: adjacent integers or a given relative tolerance; rates: within RELATIVE_TOLERANCE). The
first section aims at the throughput the failing probe actually served (real-time streams need one audio second per
second each, so capacity is near or below it), which usually saves several probes; every later one is plain. Arrivals and lengths use common random numbers (hwsim.serving.load),
so p99 rises with load and the search does not chase seed noise.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

from hwsim.pipeline.executors import Executor, LocalExecutor
from hwsim.serving.serve import Scenario, ServeRequest, serve
from hwsim.pipeline.point import PreparedPoint, RunRequest, prepare_point

PROBES_PER_ROUND = 4
GROWTH = 2.0
RELATIVE_TOLERANCE = 0.02
MAX_ROUNDS = 12
MIN_GROWTH = 1.1  # a utilisation-aimed growth step is at least this factor


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
    return serve(request, point_setup(request.base), SCHEDULES).summary


SCHEDULES: dict = {}  # decode schedules by their inputs, shared by every probe in this process (see build_load)


@functools.lru_cache(maxsize=2)
def point_setup(base: RunRequest) -> PreparedPoint:
    """The prepared point (model, plan, costs and their memos), kept for the probes that follow (per process)."""
    return prepare_point(base)


def _round(base: ServeRequest, loads: list[float], slo_p99_s: float, executor: Executor) -> list[Probe]:
    summaries = executor.map(probe_summary, [base.with_load(load) for load in loads])
    return [Probe(load, s["latency_s"]["p50"], s["latency_s"]["p99"], s["latency_s"]["p99"] <= slo_p99_s, s)
            for load, s in zip(loads, summaries)]


def find_max_load(base: ServeRequest, slo_p99_s: float, executor: Executor | None = None,
                  start: float | None = None, tolerance: float | None = None,
                  limit: float | None = None, growth: float = GROWTH,
                  probes_per_round: int = PROBES_PER_ROUND, estimate: float | None = None) -> Capacity:
    """`tolerance`: stop when the bracket is within this fraction of its top (default: RELATIVE_TOLERANCE for
    rates; stream counts search to adjacent integers unless a tolerance is given). `limit`: no load above it is
    probed (e.g. the streams a chip's memory holds); when it meets the target it is the answer. `estimate`: a
    throughput figure near capacity (e.g. a saturated offline run's RTFx for streams): the first probe is
    min(estimate, limit) and the bracket grows from there (without it, from `start`, default the request's load).
    `growth`: factor between bracketing probes. `probes_per_round`: loads run at once on the executor (1:
    bisection, the fewest probes in all)."""
    executor = executor or LocalExecutor(1)
    integer = base.scenario is Scenario.STREAMING
    if tolerance is None:
        tolerance = 0.0 if integer else RELATIVE_TOLERANCE
    snap: Callable[[float], float] = (lambda x: float(max(1, round(x)))) if integer else float
    first = estimate if estimate is not None else start if start is not None else base.load
    lo, hi, probes = _grow(base, slo_p99_s, executor, snap(_cap(first, limit)), growth, snap, probes_per_round, limit,
                              integer)
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
          snap: Callable[[float], float], per_round: int, limit: float | None,
          streaming: bool) -> tuple[float, float | None, list[Probe]]:
    """Bracket from below: grow from `load` until a probe fails, the limit is probed, or MAX_ROUNDS rounds pass;
    each round by `growth`, or less when the last probe's utilisation says saturation is nearer."""
    probes: list[Probe] = []
    lo, hi = 0.0, None
    for _ in range(MAX_ROUNDS):
        loads = sorted({_cap(snap(load * growth ** i), limit) for i in range(per_round)})
        probes += _round(base, loads, slo_p99_s, executor)
        lo, hi = _bracket(probes, 0.0, None)
        if hi is not None or (limit is not None and loads[-1] >= limit):
            break
        load = loads[-1] * growth
        full = _saturated_load(probes[-1], streaming)
        if full is not None and loads[-1] * MIN_GROWTH < full < load:
            load = full                  # aim at the load that keeps the busiest resource fully busy
    return lo, hi, probes


def _saturated_load(probe: Probe, streaming: bool) -> float | None:
    """The load at which the probe's busiest resource would be busy all the time: what it served (audio seconds
    per second for streams, utterances per second for rates) over that resource's utilisation."""
    key = "rtfx" if streaming else "throughput_utt_per_s"
    served, utilization = probe.summary.get(key), probe.summary.get("utilization")
    if not isinstance(served, (int, float)) or not utilization:
        return None
    busiest = max(utilization.values())
    return float(served) / busiest if busiest > 0 else None


def _cap(load: float, limit: float | None) -> float:
    return load if limit is None else min(load, limit)


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
