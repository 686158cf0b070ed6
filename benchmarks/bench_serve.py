"""Serving simulator speed (issue 11): offline 1,000 utterances of 30 s on one chip, 500 real-time streams for
60 s, and the engine's overhead per event against bare SimPy.

"Event" here is one resource hold (a segment of work on a chip lane). Bare SimPy does the same number of holds
with simpy.Resource request/timeout/release in one process and no hwsim code, so the ratio is what hwsim's
bookkeeping (batching, dispatch, records) costs per hold on top of SimPy itself.

Run: python benchmarks/bench_serve.py   (prints a table; nothing is asserted; wall times are noisy on a shared host)
"""

from __future__ import annotations

import time

import simpy

from hwsim.serving.load import Lengths
from hwsim.serving.memory import chip_memory
from hwsim.serving.run import Scenario, ServeRequest, build_load, framing_for, serve
from hwsim.sim.fleet import ServingConfig, ServingEngine
from hwsim.simulate import RunRequest, prepare

BASE = RunRequest("usm_rnnt_1b", "exp5", "tpu_v5e", 1, beam=8, host="xeon_host")
CASES = {
    "offline 1000 x 30 s": ServeRequest(BASE, Scenario.OFFLINE, utterances=1000, lengths=Lengths(30.0, 0.0),
                                        max_batch=32),
    "streaming 500 x 60 s": ServeRequest(BASE, Scenario.STREAMING, streams=500, duration_s=60.0,
                                         lengths=Lengths(10.0, 0.5), max_batch=64),
}


def bare_simpy(holds: int) -> float:
    env = simpy.Environment()
    resources = [simpy.Resource(env, 1) for _ in range(4)]

    def proc():
        for i in range(holds):
            with resources[i % 4].request() as req:
                yield req
                yield env.timeout(1e-6)
    env.process(proc())
    start = time.perf_counter()
    env.run()
    return (time.perf_counter() - start) / holds


def bare_timeouts(events: int) -> float:
    """The cheapest SimPy event: one process yielding timeouts, no resources."""
    env = simpy.Environment()

    def proc():
        for _ in range(events):
            yield env.timeout(1e-6)
    env.process(proc())
    start = time.perf_counter()
    env.run()
    return (time.perf_counter() - start) / events


def engine_only(request: ServeRequest) -> tuple[float, int]:
    """Wall time of the discrete-event run alone (load and schedules built beforehand) and its holds."""
    prepared = prepare(request.base)
    framing = framing_for(request, prepared)
    utterances = build_load(request, prepared, framing)
    longest = max(sum(c.input_frames for c in u.chunks) for u in utterances)
    memory = chip_memory(prepared.model.graph, prepared.model.plan, prepared.sizes, prepared.device, longest,
                         framing.chunk_frames, request.base.beam)
    batch = memory.batch_cap(request.max_batch)
    streaming = request.scenario is Scenario.STREAMING
    config = ServingConfig(request.batching, batch, request.max_wait_s, request.chips,
                           live_cap=memory.max_concurrent_streams(batch) if streaming else None)
    engine = ServingEngine(prepared.costs, config)
    start = time.perf_counter()
    run = engine.run(utterances)
    return time.perf_counter() - start, run.events


def main() -> None:
    print(f"{'case':24s} {'wall [s]':>9s} {'engine [s]':>10s} {'holds':>10s} {'us/hold':>8s} {'bare us/hold':>12s} "
          f"{'ratio':>6s} {'bare us/timeout':>15s} {'ratio':>6s}  result")
    for name, request in CASES.items():
        start = time.perf_counter()
        summary = serve(request).summary
        wall = time.perf_counter() - start
        engine_s, holds = engine_only(request)
        per_hold = engine_s / holds
        bare = bare_simpy(min(holds, 500_000))
        timeout = bare_timeouts(min(holds, 500_000))
        print(f"{name:24s} {wall:9.1f} {engine_s:10.1f} {holds:10,d} {per_hold * 1e6:8.2f} {bare * 1e6:12.2f} "
              f"{per_hold / bare:6.2f} {timeout * 1e6:15.2f} {per_hold / timeout:6.2f}  {summary['utterances']} utt, {summary['throughput_utt_per_s']:.1f} utt/s, "
              f"p99 {summary['latency_s']['p99']:.3f} s, batch {summary['batch']['mean']:.1f}")


if __name__ == "__main__":
    main()
