"""Simulator speed: events/s vs a bare SimPy loop, the Fig. 1(a) sweep, one USM 30-s beam-16 run, scaling in T
and B, and the wall time of a full-model per-op cost table.

Run: python benchmarks/bench_sim.py   (prints a table; nothing is asserted)
Schedules are memoised (hwsim.decode.simulated.build_schedule), so repeated points time the engine; the
"decode schedule alone" lines time the search that builds a schedule the first time. Once the encoder has
finished (always, for a whole utterance) the engine adds up the decoder's remaining segments without SimPy
(hwsim.sim.chip.Chip._decode_alone, same results; simulate runs the serving engine at batch 1), so a point costs less than a bare SimPy loop with the
same holds; the streamed USM line keeps encoder and decoder contending in SimPy.

Measured on the shared 2-core CI-class machine (medians of 5 interleaved runs, 2026-12-02), before issue 9's
registry schedules (bc5f113), after them (597f04c), and with the faster engine and search (speed9):

| case                                        | bc5f113 | 597f04c | speed9 |
|---------------------------------------------|---------|---------|--------|
| one IBM RNN-T point, T=152, B=8 (fp16)      |   35 ms |   48 ms | 5.1 ms |
| Fig. 1(a) sweep, 10 points, incl. set-up    |  355 ms |  774 ms | 194 ms |
| USM RNN-T 1B, 30 s, B=16, per simulation    |  152 ms |  192 ms |  28 ms |
|   the same streamed in 64-frame chunks      |  204 ms |  346 ms | 180 ms |
|   ibm_rnnt_swb int4, T=76 B=8               |   18 ms |   26 ms | 3.8 ms |
|   ibm_rnnt_swb int4, T=152 B=8              |   39 ms |   57 ms | 9.4 ms |
|   ibm_rnnt_swb int4, T=304 B=8              |   78 ms |   95 ms |  23 ms |
|   ibm_rnnt_swb int4, T=608 B=8              |  141 ms |  265 ms | 134 ms |
|   ibm_rnnt_swb int4, T=152 B=1              |   16 ms |   41 ms | 6.9 ms |
|   ibm_rnnt_swb int4, T=152 B=4              |   33 ms |   35 ms | 6.8 ms |
|   ibm_rnnt_swb int4, T=152 B=16             |   45 ms |   49 ms | 8.7 ms |
|   ibm_rnnt_swb int4, T=152 B=64             |   79 ms |   41 ms | 7.2 ms |
|   decode schedule alone (TSD), T=152 B=1    |  0.6 ms |   18 ms |  10 ms |
|   decode schedule alone (TSD), T=152 B=8    |  1.2 ms |   30 ms |  21 ms |
|   decode schedule alone (TSD), T=152 B=16   |  2.0 ms |   53 ms |  41 ms |

bc5f113 drew its schedule from a statistical emission model (no search) on every call, so its points include
that and its schedule lines are not a search. Since 597f04c a schedule is a real search over the synthetic
scorer (S + 1 joint calls per frame for TSD), built once per (algorithm, frames, beam, statistics) and then
memoised. The T=608 line is dominated by the garbage collector's full passes over 36k trace objects.
Timings on this shared machine vary by up to 2x between runs; compare versions interleaved.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace

import simpy

from hwsim.cost.table import cost_table
from hwsim.pipeline.point import RunRequest, make_schedule, prepare_point, simulate_point
from hwsim.pipeline.sweep import expand, run_sweep


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
    prepared = prepare_point(fig1a)
    simulate_point(fig1a, prepared)
    sim_s = timed(lambda: simulate_point(fig1a, prepared), 5)
    result = simulate_point(fig1a, prepared).result
    holds = len(result.trace)
    bare_s = statistics.median(bare_simpy(holds) for _ in range(5))
    print(f"one IBM RNN-T point (T=152, B=8): {sim_s * 1e3:.1f} ms, {holds} holds, {result.events} events, "
          f"{result.events / sim_s:,.0f} events/s; bare SimPy with the same holds {bare_s * 1e3:.1f} ms "
          f"-> {sim_s / bare_s:.2f}x a bare SimPy loop")
    sweep = expand(fig1a, ("fp16", "int4"), ("ibm_7nm_ai_chip",), (1, 2, 4, 8, 16), (152,))
    print(f"Fig. 1(a) sweep (2 precisions x 5 beams, incl. cost-model set-up): "
          f"{timed(lambda: run_sweep(sweep, workers=1, progress=False)):.2f} s")
    usm = RunRequest(workload="usm_rnnt_1b", precision="exp5", device="tpu_v5e", host="xeon_host", frames=1500, beam=16)
    usm_prepared = prepare_point(usm)
    simulate_point(usm, usm_prepared)
    print(f"USM RNN-T 1B, 30 s, beam 16 on tpu_v5e: "
          f"{timed(lambda: simulate_point(usm, usm_prepared)):.3f} s per simulation, "
          f"set-up (graph, plan, costs) {timed(lambda: prepare_point(usm), 1):.2f} s")
    streamed = replace(usm, chunk_frames=64)
    simulate_point(streamed, usm_prepared)
    print(f"  streamed in 64-frame chunks (encoder and decoder contend in SimPy): "
          f"{timed(lambda: simulate_point(streamed, usm_prepared)):.3f} s per simulation")
    for frames in (76, 152, 304, 608):
        point = RunRequest(workload="ibm_rnnt_swb", precision="int4", device="ibm_7nm_ai_chip", frames=frames, beam=8)
        p = prepare_point(point)
        print(f"  T={frames:4d} B=8: {timed(lambda: simulate_point(point, p)) * 1e3:7.1f} ms")
    for beam in (1, 4, 16, 64):
        point = RunRequest(workload="ibm_rnnt_swb", precision="int4", device="ibm_7nm_ai_chip", frames=152, beam=beam)
        p = prepare_point(point)
        print(f"  T= 152 B={beam:2d}: {timed(lambda: simulate_point(point, p)) * 1e3:7.1f} ms")
    from hwsim.decode.simulated import _build
    for beam in (1, 8, 16):
        point = RunRequest(workload="ibm_rnnt_swb", precision="int4", device="ibm_7nm_ai_chip", frames=152, beam=beam)
        p = prepare_point(point)

        def fresh_schedule():
            _build.cache_clear()
            make_schedule(p, point)
        print(f"  decode schedule alone (TSD, T=152, B={beam:2d}, not memoised): {timed(fresh_schedule) * 1e3:7.1f} ms")
    schedule = make_schedule(usm_prepared, usm)
    print(f"full-model per-op cost table, USM on tpu_v5e ({len(usm_prepared.model.graph.ops)} ops): "
          f"{timed(lambda: cost_table(prepare_point(usm).costs, usm.frames, usm.beam, schedule), 1):.2f} s "
          "incl. set-up")


if __name__ == "__main__":
    main()
