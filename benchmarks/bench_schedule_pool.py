"""Serving's decode-schedule pool (hwsim.serving.schedules): searches and wall time of building the load (lengths,
arrivals, chunks and schedules; not the engine) for issue 24's two speed cases.

Run: python benchmarks/bench_schedule_pool.py [SCALE] [--exact]   (SCALE < 1 shrinks both cases; --exact: the
per-length pool, not the prefix pool; nothing is asserted)

Measured on the shared 2-core machine (2026-12-07), before the pool (one search per utterance, timed at SCALE 0.2:
2,264 IBM utterances in 102.5 s and 200 USM ones in 24.2 s, scaled to the full case as each search costs the same
at any scale), with the exact pool of POOL_SIZE 4 (--exact; full cases) and with the prefix pool (grid x1.5):

| case                                           | utterances | searches              | build_load               |
|------------------------------------------------|------------|-----------------------|--------------------------|
| ibm_rnnt_swb int4 B=8 server 92/s x 120 s, 3 s | 11,073     | 11,073 -> 1,393 -> 35 | ~500 s -> 86-166 s -> 3.1 s |
| usm_rnnt_1b exp5 tpu_v5e B=8 offline 1,000x30 s| 1,000      | 1,000 -> 4 -> 5       | ~121 s -> 0.6-1.9 s -> 0.7 s |

The IBM case has 457 distinct encoder-frame lengths (its frame divisor is 1), so the exact pool still searches ~3
per length; the prefix pool searches 4 per grid point plus utterance 0's exact search. USM's one length (750
encoder frames) is off the grid, so it searches 4 at 930 frames and utterance 0's 750. (The exact pool's time varies
with the machine's load: 86 s with it quiet, 166 s shared by other jobs.)
"""

from __future__ import annotations

import sys
import time

from hwsim.serving.load import Lengths
from hwsim.serving.serve import Scenario, ServeRequest, build_load, framing_for
from hwsim.serving.schedules import SchedulePool
from hwsim.pipeline.point import RunRequest, prepare_point


def cases(scale: float) -> dict[str, ServeRequest]:
    ibm = RunRequest("ibm_rnnt_swb", "int4", "ibm_7nm_ai_chip", 1, beam=8)
    usm = RunRequest("usm_rnnt_1b", "exp5", "tpu_v5e", 1, beam=8, host="xeon_host")
    return {f"ibm int4 server 92/s x {120 * scale:g} s, 3 s": ServeRequest(
                ibm, Scenario.SERVER, rate_per_s=92.0, duration_s=120.0 * scale, lengths=Lengths(3.0, 0.5)),
            f"usm exp5 offline {round(1000 * scale)} x 30 s": ServeRequest(
                usm, Scenario.OFFLINE, utterances=round(1000 * scale), lengths=Lengths(30.0, 0.0))}


def main(scale: float, prefix: bool) -> None:
    print(f"{'case':40s} {'pool':>6s} {'utterances':>10s} {'lengths':>8s} {'searches':>9s} {'build [s]':>9s} "
          f"{'utt/s':>7s}")
    for name, request in cases(scale).items():
        prepared = prepare_point(request.base)
        pool = SchedulePool(prepared, request.base, prefix=prefix)
        start = time.perf_counter()
        utterances = build_load(request, prepared, framing_for(request, prepared), pool=pool)
        wall = time.perf_counter() - start
        lengths = len({u.schedule.frames for u in utterances})
        kind = "prefix" if pool.prefix else "exact"
        print(f"{name:40s} {kind:>6s} {len(utterances):10,d} {lengths:8,d} {pool.searches:9,d} {wall:9.1f} "
              f"{len(utterances) / wall:7.0f}")


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--exact"]
    main(float(arguments[0]) if arguments else 1.0, "--exact" not in sys.argv[1:])
