"""Simulator speed: events/s vs a bare SimPy loop, the Fig. 1(a) sweep, one USM 30-s beam-16 run, scaling in T
and B, and the wall time of a full-model per-op cost table.

Run: python benchmarks/bench_sim.py   (prints a table; nothing is asserted)
Schedules are memoised (hwsim.sim.decode.build_schedule), so repeated points time the engine; the
"decode schedule alone" lines time the search that builds a schedule the first time.
"""

from __future__ import annotations

import statistics
import time

import simpy

from hwsim.cost.table import cost_table
from hwsim.simulate import RunRequest, make_schedule, prepare, simulate
from hwsim.sweep import expand, run_sweep


def timed(fn, repeats: int = 3) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bare_simpy(holds: int) -> float:
    """The same number of resource holds as a simulation, with no hwsim code: request, timeout, release."""
    env = simpy.Environment()
    resources = [simpy.Resource(env, 1) for _ in range(4)]

    def proc():
        for i in range(holds):
            res = resources[i % 4]
            with res.request() as req:
                yield req
                yield env.timeout(1e-6)
    env.process(proc())
    start = time.perf_counter()
    env.run()
    return time.perf_counter() - start


def main() -> None:
    fig1a = RunRequest(workload="ibm_rnnt_swb", precision="fp16", device="ibm_7nm_ai_chip", frames=152, beam=8)
    prepared = prepare(fig1a)
    simulate(fig1a, prepared)
    sim_s = timed(lambda: simulate(fig1a, prepared), 5)
    result = simulate(fig1a, prepared).result
    holds = len(result.trace)
    bare_s = statistics.median(bare_simpy(holds) for _ in range(5))
    print(f"one IBM RNN-T point (T=152, B=8): {sim_s * 1e3:.1f} ms, {holds} holds, {result.events} events, "
          f"{result.events / sim_s:,.0f} events/s; bare SimPy with the same holds {bare_s * 1e3:.1f} ms "
          f"-> engine overhead {sim_s / bare_s:.2f}x")
    sweep = expand(fig1a, ("fp16", "int4"), ("ibm_7nm_ai_chip",), (1, 2, 4, 8, 16), (152,))
    print(f"Fig. 1(a) sweep (2 precisions x 5 beams, incl. cost-model set-up): "
          f"{timed(lambda: run_sweep(sweep, workers=1, progress=False)):.2f} s")
    usm = RunRequest(workload="usm_rnnt_1b", precision="exp5", device="tpu_v5e", host="xeon_host", frames=1500, beam=16)
    usm_prepared = prepare(usm)
    simulate(usm, usm_prepared)
    print(f"USM RNN-T 1B, 30 s, beam 16 on tpu_v5e: {timed(lambda: simulate(usm, usm_prepared)):.3f} s per simulation, "
          f"set-up (graph, plan, costs) {timed(lambda: prepare(usm), 1):.2f} s")
    for frames in (76, 152, 304, 608):
        point = RunRequest(workload="ibm_rnnt_swb", precision="int4", device="ibm_7nm_ai_chip", frames=frames, beam=8)
        p = prepare(point)
        print(f"  T={frames:4d} B=8: {timed(lambda: simulate(point, p)) * 1e3:7.1f} ms")
    for beam in (1, 4, 16, 64):
        point = RunRequest(workload="ibm_rnnt_swb", precision="int4", device="ibm_7nm_ai_chip", frames=152, beam=beam)
        p = prepare(point)
        print(f"  T= 152 B={beam:2d}: {timed(lambda: simulate(point, p)) * 1e3:7.1f} ms")
    from hwsim.sim.decode import _build
    for beam in (1, 8, 16):
        point = RunRequest(workload="ibm_rnnt_swb", precision="int4", device="ibm_7nm_ai_chip", frames=152, beam=beam)
        p = prepare(point)

        def fresh_schedule():
            _build.cache_clear()
            make_schedule(p, point)
        print(f"  decode schedule alone (TSD, T=152, B={beam:2d}, not memoised): {timed(fresh_schedule) * 1e3:7.1f} ms")
    schedule = make_schedule(usm_prepared, usm)
    print(f"full-model per-op cost table, USM on tpu_v5e ({len(usm_prepared.model.graph.ops)} ops): "
          f"{timed(lambda: cost_table(prepare(usm).costs, usm.frames, usm.beam, schedule), 1):.2f} s incl. set-up")


if __name__ == "__main__":
    main()
