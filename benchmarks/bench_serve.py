"""Serving simulator speed (issue 24): simulated utterances per wall second for the issue's two target cases, the
README's serve examples, and the engine's cost per resource hold against bare SimPy.

- "load" is drawing lengths and arrivals and the decode schedules (hwsim.serving.schedules' pool); "engine" is the
  discrete-event run and the summary.
- A "hold" is a segment of work on a chip resource. The engine counts every hold it accounts for, including those
  its fast paths take without a SimPy event (hwsim.sim.joint's runner, hwsim.sim.chip's epochs and lone encoder
  calls), so `engine us/hold` below bare SimPy's `us/hold` (simpy.Resource request/timeout/release in one process,
  no hwsim code) means the fast paths saved more than hwsim's bookkeeping costs.
- `utt/cpu-s` divides by this process's CPU seconds (load + engine): on a shared host the least noisy figure.
- The README commands run as `python -m hwsim.cli ...` in a subprocess (start-up included).

Measured 2026-12-08 on the quiet 2-core machine (bare SimPy 6.6 us per hold), after the joint runner, each case in
a fresh process (two runs: 1,118 / 1,270 and 1,116 / 1,161 utt/s; the table shows the second):

| case                              | utts   | load [s] | engine [s] | utt/s | 2026-12-07 | before issue 24     |
|-----------------------------------|--------|----------|------------|-------|------------|---------------------|
| IBM int4 b8 server 92/s x 120 s   | 11,073 | 2.8      | 5.9        | 1,270 | 539        | > 300 s (~35 utt/s) |
| USM exp5 b8 offline 1000 x 30 s   | 1,000  | 0.6      | 0.2        | 1,161 | 778        | 120 s (8 utt/s)     |
| USM exp5 b8 streaming 500 x 60 s  | 3,274  | 2.3      | 11.8       | 232   | 92         | 169 s (19 utt/s)    |
Run one after another in one process, the USM offline case came out at 959 utt/s: its engine time doubles, as
garbage collections scan what the IBM case left alive (its schedule memo); a run is one case per process, so each
is measured so. README serve examples: 1.5 s, 11.3 s and 6.6 s.

Run: python benchmarks/bench_serve.py [--skip-readme]   (prints tables; nothing is asserted; wall times are noisy on
a shared host, so compare runs made back to back)
"""

from __future__ import annotations

import multiprocessing
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import simpy

import hwsim.serving.serve as serving_run
from hwsim.serving.load import Lengths
from hwsim.serving.serve import Scenario, ServeRequest, build_load, framing_for, serve
from hwsim.pipeline.point import RunRequest, prepare_point

IBM = RunRequest("ibm_rnnt_swb", "int4", "ibm_7nm_ai_chip", 1, beam=8)
USM = RunRequest("usm_rnnt_1b", "exp5", "tpu_v5e", 1, beam=8, host="xeon_host")
CASES = {
    "IBM int4 b8 server 92/s x 120 s": ServeRequest(IBM, Scenario.SERVER, rate_per_s=92.0, duration_s=120.0,
                                                    lengths=Lengths(3.0, 0.5)),
    "USM exp5 b8 offline 1000 x 30 s": ServeRequest(USM, Scenario.OFFLINE, utterances=1000,
                                                    lengths=Lengths(30.0, 0.0), max_batch=32),
    "USM exp5 b8 streaming 500 x 60 s": ServeRequest(USM, Scenario.STREAMING, streams=500, duration_s=60.0,
                                                     lengths=Lengths(10.0, 0.5), max_batch=64),
}
README = Path(__file__).resolve().parents[1] / "README.md"


def bare_simpy(holds: int) -> float:
    """Seconds per hold of simpy.Resource request/timeout/release in one process."""
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


def timed_case(request: ServeRequest) -> tuple[float, float, float, dict]:
    """(load seconds, engine seconds, CPU seconds of both, summary): the load built once, then serve() run on it.
    CPU seconds (this process's) are what a shared host leaves least noisy; on a quiet one they match the wall."""
    prepared = prepare_point(request.base)
    cpu_start, start = time.process_time(), time.perf_counter()
    utterances = build_load(request, prepared, framing_for(request, prepared))
    load_s = time.perf_counter() - start
    original = serving_run.build_load
    serving_run.build_load = lambda *args, **kwargs: utterances
    try:
        start = time.perf_counter()
        summary = serve(request, prepared).summary
        engine_s = time.perf_counter() - start
    finally:
        serving_run.build_load = original
    return load_s, engine_s, time.process_time() - cpu_start, summary


def readme_serve_commands() -> list[str]:
    """The `hwsim serve` commands of the README (continuation lines joined)."""
    text = README.read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip().startswith("hwsim serve ")]


def main() -> None:
    bare = bare_simpy(200_000)
    print(f"bare SimPy: {bare * 1e6:.2f} us per hold\n")
    print(f"{'case':34s} {'utts':>7s} {'load [s]':>9s} {'engine [s]':>10s} {'utt/s':>8s} {'utt/cpu-s':>9s} "
          f"{'holds':>11s} {'us/hold':>8s} {'x bare':>7s}  result")
    # each case in a fresh process, as a run is: one case's schedule memo and objects must not slow the next (a
    # garbage collection scans what an earlier case left alive)
    with multiprocessing.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
        timings = [pool.apply(timed_case, (request,)) for request in CASES.values()]
    for name, (load_s, engine_s, cpu_s, summary) in zip(CASES, timings):
        count, holds = summary["utterances"], summary["events"]
        per_hold = engine_s / holds
        print(f"{name:34s} {count:7,d} {load_s:9.1f} {engine_s:10.1f} {count / (load_s + engine_s):8.0f} "
              f"{count / cpu_s:9.0f} {holds:11,d} {per_hold * 1e6:8.2f} {per_hold / bare:7.2f}  "
              f"{summary['throughput_utt_per_s']:.1f} utt/s, p99 {summary['latency_s']['p99']:.3f} s, "
              f"batch {summary['batch']['mean']:.1f}")
    if "--skip-readme" in sys.argv:
        return
    print("\nREADME serve examples (wall seconds, incl. start-up):")
    with tempfile.TemporaryDirectory() as folder:
        for command in readme_serve_commands():
            argv = [sys.executable, "-m", "hwsim.cli", *shlex.split(command)[1:], "-q"]
            start = time.perf_counter()
            done = subprocess.run(argv, cwd=folder, capture_output=True, text=True)
            print(f"  {time.perf_counter() - start:6.1f} s  exit {done.returncode}  {command[:110]}")


if __name__ == "__main__":
    main()
