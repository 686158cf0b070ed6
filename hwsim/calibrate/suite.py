"""Which micro-benchmarks `hwsim calibrate` runs, and how much work each call does.

| benchmark         | call                                             | work per call          |
|-------------------|--------------------------------------------------|------------------------|
| gemm              | a[M, K] @ b[K, N]                                | 2 M K N flop           |
| copy              | np.copyto(dst, src), src larger than the L3      | 2 x nbytes (read+write)|
| scale_add         | dst = src * s; dst += other (numpy's "triad")    | 5 x nbytes (2 passes)  |
| sigmoid/tanh/exp  | the reference LSTM's formulas, out= preallocated | elements               |
| argpartition      | top-4 of each row (np.argpartition, axis -1)     | rows                   |
| argsort           | full sort of each row                            | rows                   |
| gemm_cold         | a[M, K] @ b[K, N] right after a pass over a      | 2 M K N flop           |
|                   | buffer 3x the L3 (one call per repeat, untimed   |                        |
|                   | eviction before it): the weights come from DRAM  |                        |
| weight_stream     | M rows @ each of a set of 0.5 MiB weight matrices| bytes of the set       |
|                   | in turn, the set as large as a working set       |                        |
| gemm_in_decoder   | each per-call decoder GEMM of a calibration      | 2 M K N flop           |
|                   | workload, timed inside a cycle over all of them  |                        |
|                   | (hwsim.calibrate.decoder_cycle)                  |                        |
| matmul_call       | (1 x 8) @ (8 x 8) float32: per-call overhead     | 1 call                 |
| loop_iteration    | one Python loop iteration doing x += 1 on 8 elts | 1 call                 |
| candidate         | beam-search bookkeeping: 8 hypotheses x (4 label | candidates (40)        |
|                   | + 1 blank) hypothesis records (labels, score,    |                        |
|                   | state, frame, in_frame), log-add merge by label  |                        |
|                   | history, sort by score, prune to 8               |                        |

GEMM shapes (float32) are every distinct matmul (K, N) of the workloads `hwsim validate` runs
(CALIBRATION_WORKLOADS: the IBM RNN-T and the small LSTM RNN-T, from their graphs), so the cost model reads
a measured shape instead of scaling another one by area across cache levels. M, the rows per call, is dense
where decoding lives (1, 2, 3, 4, 6, 8 hypotheses) because BLAS changes kernels there: OpenBLAS runs M = 1 as a
matrix-vector product that streams the weights once, and M >= 2 as a packed GEMM that costs several times
more at M = 2 than M = 1 (measured 0.13 ms vs 1.2 ms for 768 x 3072 on this project's 2-core machine), so
interpolating between M = 1 and 4 under-predicts beam search's 2-3-row calls. Larger M (16, 64, 256) covers
the encoder's T frames. float64 is measured on the IBM shapes (GEMM_KN: K = 340, 640, 768, 1280; N = 2560,
3072) at M = 1, 4, 16, 64, 256 only.

`gemm_cold` and `weight_stream` measure what the hot table cannot: a decoder's weights are re-read on every
call, and whether they are still in cache depends on what ran in between (hwsim.cost.cache_reuse). `gemm_cold`
gives each decoding-size GEMM with its weights evicted; `weight_stream` gives the rate at which GEMMs of M rows
sweep a working set of a given size cyclically, from L2-sized sets to 2x the L3, so the cost model can tell
how much of a working set the caches keep. Both are measured at M = 1 and at M > 1 because the BLAS kernel
changes there (a packed GEMM writes a copy of the weight panel as it goes, which evicts more).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterator

import numpy as np

from hwsim.calibrate.decoder_cycle import decoder_gemm_shapes, measure_decoder_cycles, workload_ops
from hwsim.calibrate.microbench import Measurement, spread_pct, time_call, time_cold
from hwsim.units import MIB, OPS_PER_MAC

GEMM_KN = ((340, 2560), (640, 2560), (1280, 2560), (768, 3072))
CALIBRATION_WORKLOADS = ("ibm_rnnt_swb", "lstm_rnnt_small")
DECODING_M = (1, 2, 3, 4, 6, 8, 16, 64, 256)
COLD_M = (1, 2, 3, 4, 6, 8)  # the rows of a decoder call (hypotheses)
STREAM_M = (1, 4)  # matrix-vector and packed-GEMM kernels
STREAM_WORKING_SETS = tuple(int(x * MIB) for x in (0.5, 1, 2, 4, 8, 12, 16, 24, 32, 48, 64))
STREAM_CHUNK_BYTES = MIB // 2  # every set is made of the same 256 x 512 matrices: only the set's size varies
EVICT_BYTES = 96 * MIB  # 3x this machine class's 32 MiB L3: one pass leaves none of the weights cached
TOPK = 4


def workload_gemm_shapes(workloads: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """Every distinct (K, N) of the workloads' matmul ops, sorted."""
    from hwsim.graph.model import OpKind

    return tuple(sorted({(op.gemm.k, op.gemm.n) for name in workloads for op in workload_ops(name)
                         if op.kind is OpKind.MATMUL and op.gemm}))


@dataclass(frozen=True)
class SuitePlan:
    """Sizes and repeats: `quick` keeps a run under ~10 s (tests), the full run about a minute."""

    gemm_m: tuple[int, ...]
    gemm_kn: tuple[tuple[int, int], ...]
    gemm_dtypes: tuple[str, ...]  # the first at every (M, K, N) below, the others at gemm_m x gemm_kn only
    float32_m: tuple[int, ...]
    float32_kn: tuple[tuple[int, int], ...]
    cold_m: tuple[int, ...]  # gemm_cold at these M over float32_kn
    stream_m: tuple[int, ...]
    stream_working_sets: tuple[int, ...]  # bytes
    evict_bytes: int
    cycle_workloads: tuple[str, ...]  # gemm_in_decoder (hwsim.calibrate.decoder_cycle) at cold_m
    stream_bytes: int
    elementwise_sizes: tuple[int, ...]
    sort_rows: tuple[int, ...]
    sort_lengths: tuple[int, ...]
    repeats: int
    min_repeat_s: float


FULL = SuitePlan(gemm_m=(1, 4, 16, 64, 256), gemm_kn=GEMM_KN, gemm_dtypes=("float32", "float64"),
                 float32_m=DECODING_M, float32_kn=GEMM_KN,  # full_plan() adds the workloads' shapes
                 cold_m=COLD_M, stream_m=STREAM_M, stream_working_sets=STREAM_WORKING_SETS, evict_bytes=EVICT_BYTES,
                 cycle_workloads=CALIBRATION_WORKLOADS,
                 stream_bytes=256 * MIB, elementwise_sizes=(4 * 2560, 1 << 20), sort_rows=(1, 4, 16),
                 sort_lengths=(46, 16384), repeats=7, min_repeat_s=0.02)
QUICK = SuitePlan(gemm_m=(1, 16, 256), gemm_kn=((640, 2560), (768, 3072)), gemm_dtypes=("float32", "float64"),
                  float32_m=(1, 2, 16, 256), float32_kn=((640, 2560), (768, 3072)), cold_m=(1, 2),
                  stream_m=STREAM_M, stream_working_sets=(MIB, 16 * MIB, 64 * MIB), evict_bytes=48 * MIB,
                  cycle_workloads=("lstm_rnnt_small",),
                  stream_bytes=32 * MIB, elementwise_sizes=(1 << 18,), sort_rows=(1, 16), sort_lengths=(46, 16384),
                  repeats=3, min_repeat_s=0.003)


def full_plan() -> SuitePlan:
    """FULL with every matmul shape of CALIBRATION_WORKLOADS (built on demand: it reads the workloads)."""
    return replace(FULL, float32_kn=tuple(sorted(set(GEMM_KN) | set(workload_gemm_shapes(CALIBRATION_WORKLOADS)))))


def with_workloads(plan: SuitePlan, workloads: tuple[str, ...]) -> SuitePlan:
    """`plan` plus the float32 GEMM shapes and decoder cycle of `workloads` (`hwsim calibrate --workload`)."""
    if not workloads:
        return plan
    shapes = set(plan.float32_kn) | set(workload_gemm_shapes(workloads))
    return replace(plan, float32_kn=tuple(sorted(shapes)),
                   cycle_workloads=tuple(dict.fromkeys(plan.cycle_workloads + workloads)))


@dataclass(frozen=True)
class Bench:
    benchmark: str
    dtype: str
    shape: tuple[int, ...]
    work: float
    work_unit: str
    make: Callable[[], Callable[[], object]]  # allocates operands, returns the timed call
    cold: bool = False  # time one call per repeat, each after evicting the caches (run_bench)


def sigmoid(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Logistic function as the reference LSTM computes it: 0.5 (1 + tanh(x / 2)), overflow-free."""
    np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def _gemm(m: int, k: int, n: int, dtype: str) -> Callable[[], object]:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    out = np.empty((m, n), dtype)
    return lambda: np.matmul(a, b, out=out)


def _gemm_onnxruntime(m: int, k: int, n: int, dtype: str) -> Callable[[], object]:
    """a[M, K] @ b[K, N] as a one-node onnxruntime session (b an initializer, as weights are), single-threaded."""
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)).astype(np.float32), rng.standard_normal((k, n)).astype(np.float32)
    graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["y"])], "gemm",
                              [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
                              [numpy_helper.from_array(b, "b")])
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
                                           .SerializeToString(), options, providers=["CPUExecutionProvider"])
    feed = {"a": a}
    return lambda: session.run(None, feed)


GEMMS = {"numpy": _gemm, "onnxruntime": _gemm_onnxruntime}


def _weight_stream(m: int, working_set: int, gemm: Callable[..., Callable[[], object]]) -> Callable[[], object]:
    """One sweep of M-row GEMMs over `working_set` bytes of float32 weights in 0.5 MiB matrices (K = 256), each
    matrix read once per sweep, as a decoder reads its layers once per step."""
    calls = [gemm(m, STREAM_K, columns, "float32") for columns in _stream_columns(working_set)]

    def sweep() -> None:
        for call in calls:
            call()
    return sweep


STREAM_K = 256


def _stream_columns(working_set: int) -> list[int]:
    """N of each K = 256 float32 matrix a weight_stream set of `working_set` bytes is made of."""
    return [max(1, min(STREAM_CHUNK_BYTES, working_set - i) // 4 // STREAM_K)
            for i in range(0, working_set, STREAM_CHUNK_BYTES)]


def stream_bytes(working_set: int) -> int:
    """The weight bytes one weight_stream sweep actually reads (matrices rounded to whole columns)."""
    return sum(STREAM_K * columns * 4 for columns in _stream_columns(working_set))


def _stream(nbytes: int, kind: str) -> Callable[[], object]:
    src = np.ones(nbytes // 8)
    other, dst = np.ones_like(src), np.empty_like(src)
    if kind == "copy":
        return lambda: np.copyto(dst, src)
    return lambda: (np.multiply(src, 3.0, out=dst), np.add(dst, other, out=dst))


def _elementwise(size: int, kind: str) -> Callable[[], object]:
    x = np.random.default_rng(0).standard_normal(size).astype(np.float32)
    out = np.empty_like(x)
    if kind == "sigmoid":
        return lambda: sigmoid(x, out)
    return lambda: getattr(np, kind)(x, out=out)


def _sort(rows: int, length: int, kind: str) -> Callable[[], object]:
    x = np.random.default_rng(0).standard_normal((rows, length)).astype(np.float32)
    if kind == "argpartition":
        return lambda: np.argpartition(x, length - TOPK, axis=-1)
    return lambda: np.argsort(x, axis=-1)


def _loop_iteration() -> Callable[[], object]:
    x = np.zeros(8, np.float32)

    def run() -> None:
        for _ in range(100):
            x.__iadd__(1.0)
    return run


@dataclass(frozen=True)
class _Candidate:
    """A typical Python hypothesis record: label history, score, decoder-state reference, alignment position."""

    labels: tuple[int, ...]
    score: float
    state: object
    frame: int
    in_frame: int


CANDIDATE_PARENTS, CANDIDATE_LABELS = 8, TOPK


def _candidates() -> Callable[[], object]:
    """Generic hypothesis bookkeeping of one beam-search step: per parent, k label extensions (new records with
    an extended label tuple) and one blank extension (`dataclasses.replace`, the usual idiom), log-add merge of
    equal label histories, sort by score, prune to the beam."""
    rng = np.random.default_rng(0)
    state = np.zeros(8, np.float32)
    parents = [_Candidate(tuple(int(v) for v in rng.integers(1, 46, size=12)), float(-i), state, 0, 0)
               for i in range(CANDIDATE_PARENTS)]
    scores = rng.standard_normal((CANDIDATE_PARENTS, CANDIDATE_LABELS + 1)).astype(np.float32)
    labels = rng.integers(1, 46, size=(CANDIDATE_PARENTS, CANDIDATE_LABELS))

    def run() -> list[_Candidate]:
        pool: dict[tuple[int, ...], _Candidate] = {}
        for i, parent in enumerate(parents):
            row = scores[i]
            extended = [_Candidate(parent.labels + (int(labels[i, j]),), parent.score + float(row[j + 1]), state,
                                   parent.frame, parent.in_frame + 1) for j in range(CANDIDATE_LABELS)]
            for cand in [replace(parent, score=parent.score + float(row[0]), frame=parent.frame + 1, in_frame=0)] + extended:
                other = pool.get(cand.labels)
                pool[cand.labels] = cand if other is None else replace(other, score=float(np.logaddexp(other.score, cand.score)))
        return sorted(pool.values(), key=lambda c: c.score, reverse=True)[:CANDIDATE_PARENTS]
    return run


def benches(plan: SuitePlan, runtime: str = "numpy") -> Iterator[Bench]:
    """The suite; with runtime 'onnxruntime' the GEMMs and the per-call overhead are onnxruntime sessions
    (float32 only), the element-wise, copy and bookkeeping figures stay numpy's (the search loop is Python)."""
    gemm = GEMMS[runtime]
    for dtype in plan.gemm_dtypes if runtime == "numpy" else ("float32",):
        ms, kns = (plan.float32_m, plan.float32_kn) if dtype == "float32" else (plan.gemm_m, plan.gemm_kn)
        for k, n in kns:
            for m in ms:
                yield Bench("gemm", dtype, (m, k, n), OPS_PER_MAC * m * k * n, "flop",
                            lambda m=m, k=k, n=n, d=dtype: gemm(m, k, n, d))
    elements = plan.stream_bytes // 8
    yield Bench("copy", "float64", (elements,), 2 * plan.stream_bytes, "byte", lambda: _stream(plan.stream_bytes, "copy"))
    yield Bench("scale_add", "float64", (elements,), 5 * plan.stream_bytes, "byte",
                lambda: _stream(plan.stream_bytes, "scale_add"))
    for kind in ("sigmoid", "tanh", "exp"):
        for size in plan.elementwise_sizes:
            yield Bench(kind, "float32", (size,), size, "element", lambda s=size, k=kind: _elementwise(s, k))
    for kind in ("argpartition", "argsort"):
        for length in plan.sort_lengths:
            for rows in plan.sort_rows:
                yield Bench(kind, "float32", (rows, length), rows, "row", lambda r=rows, n=length, k=kind: _sort(r, n, k))
    for k, n in plan.float32_kn:
        for m in plan.cold_m:
            yield Bench("gemm_cold", "float32", (m, k, n), OPS_PER_MAC * m * k * n, "flop",
                        lambda m=m, k=k, n=n: gemm(m, k, n, "float32"), cold=True)
    for m in plan.stream_m:
        for working_set in plan.stream_working_sets:
            yield Bench("weight_stream", "float32", (m, working_set), stream_bytes(working_set), "byte",
                        lambda m=m, w=working_set: _weight_stream(m, w, gemm))
    yield Bench("matmul_call", "float32", (1, 8, 8), 1, "call", lambda: gemm(1, 8, 8, "float32"))
    yield Bench("loop_iteration", "float32", (8,), 100, "call", _loop_iteration)
    yield Bench("candidate", "float32", (CANDIDATE_PARENTS, CANDIDATE_LABELS + 1),
                CANDIDATE_PARENTS * (CANDIDATE_LABELS + 1), "candidate", _candidates)


def run_bench(bench: Bench, plan: SuitePlan) -> Measurement:
    call = bench.make()
    timing = time_cold(call, plan.repeats, plan.evict_bytes) if bench.cold else \
        time_call(call, plan.repeats, plan.min_repeat_s)
    return Measurement(bench.benchmark, bench.dtype, bench.shape, timing.repeats, timing.median_s,
                       bench.work, bench.work_unit, timing.spread_pct)


NOISE_GEMM = (64, 640, 2560)


def noise_floor_pct(plan: SuitePlan) -> float:
    """This machine's timing noise right now: the spread of 3 x `repeats` timings of one mid-size GEMM."""
    return time_call(_gemm(*NOISE_GEMM, "float32"), 3 * plan.repeats, plan.min_repeat_s).spread_pct


def run_suite(plan: SuitePlan, progress: bool = True, runtime: str = "numpy") -> list[Measurement]:
    """Run every benchmark of `plan`, showing a tqdm bar on stderr."""
    from hwsim.progress import progress as progress_bar  # stderr; off under --quiet or without a terminal

    todo = list(benches(plan, runtime))
    bar = progress_bar(todo, desc="calibrate", unit="bench", enabled=progress)
    results = []
    shapes = {workload: decoder_gemm_shapes(workload) for workload in plan.cycle_workloads}
    cycle = lambda: measure_decoder_cycles(shapes, plan.cold_m, plan.repeats, GEMMS[runtime])  # noqa: E731
    cycles = [cycle()]
    for index, bench in enumerate(bar):
        bar.set_postfix_str(f"{bench.benchmark} {bench.dtype} {'x'.join(map(str, bench.shape))}")
        results.append(run_bench(bench, plan))
        if index == len(todo) // 2:
            cycles.append(cycle())
    cycles.append(cycle())
    return results + median_of_sessions(cycles)


def median_of_sessions(sessions: list[list[Measurement]]) -> list[Measurement]:
    """The decoder cycle is measured at the start, middle and end of the suite (how much of the shared L3 the
    machine's other tenants leave changes from minute to minute, and with it how cold the cycle runs): per op,
    the session whose time is the median, with the spread across sessions."""
    merged = []
    for rows in zip(*sessions):
        ordered = sorted(rows, key=lambda r: r.median_s)
        chosen = ordered[len(ordered) // 2]
        merged.append(replace(chosen, spread_pct=spread_pct([r.median_s for r in rows])))
    return merged
