"""The decoder's GEMMs timed in the order a decoder runs them, each re-reading weights the others evicted.

A beam-search step runs the prediction network's GEMMs, the joint's prediction projection and its output
layer, then the next step runs them again. The hot GEMM table (each shape in a tight loop) misses what the
order does to the caches: on this project's 2-core machine the IBM RNN-T's 768 x 256 projection takes 15 us
at 2 rows in a loop but 93 us right after the 768 x 3072 prediction GEMM has streamed through. So `hwsim
calibrate` also cycles through each calibration workload's per-call GEMMs (every matmul triggered per
prediction or joint call, graph order, random float32 weights) at each decoding batch M = 1..8 and times
every op inside the cycle (benchmark `gemm_in_decoder`, shape [M, K, N]). The cost model uses these for a
decoder op of that exact shape (hwsim.cost.cache_reuse); no decode, search or validation point is involved.
The cycle is measured at the start, middle and end of the suite and the median session kept per op
(hwsim.calibrate.suite.median_of_sessions): on this machine the same op's in-cycle time moved 2-6x between
calibrations minutes apart (26-160 us for the IBM projection at 4 rows) with the L3 other tenants left.
"""

from __future__ import annotations

import statistics
from typing import Callable

from hwsim import clock
from hwsim.calibrate.microbench import Measurement, spread_pct
from hwsim.units import OPS_PER_MAC

CYCLES_PER_REPEAT = 8


def workload_ops(workload: str):
    """The ops of a workload's graph (shared by the suite's shape list and the decoder cycle)."""
    from hwsim.graph.architecture import build_graph
    from hwsim.specs.resolve import load_workload_spec

    spec, _ = load_workload_spec(workload, None)
    return build_graph(spec).ops


def decoder_gemm_shapes(workload: str) -> tuple[tuple[int, int], ...]:
    """(K, N) of every GEMM op a prediction or joint call runs, in graph order."""
    from hwsim.cost.calls import DECODER_CALL_TRIGGERS

    return tuple((op.gemm.k, op.gemm.n) for op in workload_ops(workload)
                 if op.trigger in DECODER_CALL_TRIGGERS and op.gemm is not None)


def _cycle_ops(m: int, shapes: tuple[tuple[int, int], ...],
               gemm: Callable[[int, int, int, str], Callable[[], object]]) -> list[Callable[[], object]]:
    return [gemm(m, k, n, "float32") for k, n in shapes]


def time_cycle(ops: list[Callable[[], object]], repeats: int) -> list[tuple[float, float]]:
    """Per op, (median over `repeats` of its mean time inside CYCLES_PER_REPEAT cycles, spread %)."""
    for _ in range(2):
        for op in ops:
            op()
    samples: list[list[float]] = [[] for _ in ops]
    for _ in range(repeats):
        totals = [0.0] * len(ops)
        for _ in range(CYCLES_PER_REPEAT):
            for i, op in enumerate(ops):
                start = clock.now()
                op()
                totals[i] += clock.now() - start
        for i, total in enumerate(totals):
            samples[i].append(total / CYCLES_PER_REPEAT)
    return [(statistics.median(s), spread_pct(s)) for s in samples]


def measure_decoder_cycles(cycles: dict[str, tuple[tuple[int, int], ...]], ms: tuple[int, ...], repeats: int,
                           gemm: Callable[[int, int, int, str], Callable[[], object]]) -> list[Measurement]:
    """Per workload (its decoder_gemm_shapes) and M, every op's time inside the cycle."""
    rows: list[Measurement] = []
    for shapes in cycles.values():
        for m in ms:
            for (k, n), (median_s, spread) in zip(shapes, time_cycle(_cycle_ops(m, shapes, gemm), repeats)):
                rows.append(Measurement("gemm_in_decoder", "float32", (m, k, n), repeats, median_s,
                                        OPS_PER_MAC * m * k * n, "flop", spread))
    return rows

